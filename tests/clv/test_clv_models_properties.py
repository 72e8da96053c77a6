"""Properties of the Pareto/NBD, MBG/NBD and BG/BB predictions and of holdout_check."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm

positive = st.floats(min_value=-3.0, max_value=3.0).map(math.exp)
four = st.tuples(positive, positive, positive, positive)


def check_bounded_and_monotone(model, x, t_x, big_t, horizon) -> None:
    alive = model.probability_alive(x, t_x, big_t)
    assert 0.0 <= alive <= 1.0
    near = model.expected_purchases(horizon, x, t_x, big_t)
    far = model.expected_purchases(2 * horizon, x, t_x, big_t)
    assert 0.0 <= near <= far * (1 + 1e-12) + 1e-300
    new_near, new_far = model.expected_purchases_new([horizon, 2 * horizon])
    assert 0.0 <= new_near <= new_far * (1 + 1e-12) + 1e-300


@given(
    params=four,
    x=st.integers(0, 60),
    share=st.floats(0.0, 1.0),
    big_t=st.floats(0.5, 200.0),
    horizon=st.floats(0.1, 100.0),
)
def test_continuous_models_predictions_are_bounded_and_increase_with_time(
    params, x, share, big_t, horizon
) -> None:
    t_x = 0.0 if x == 0 else share * big_t
    check_bounded_and_monotone(lm.ParetoNBDModel(*params), x, t_x, big_t, horizon)
    check_bounded_and_monotone(lm.MBGNBDModel(*params), x, t_x, big_t, horizon)


@given(params=four, n=st.integers(1, 30), data=st.data(), horizon=st.integers(1, 30))
def test_bgbb_predictions_are_bounded_and_increase_with_time(params, n, data, horizon) -> None:
    t_x = data.draw(st.integers(0, n))
    x = 0 if t_x == 0 else data.draw(st.integers(1, t_x))
    model = lm.BGBBModel(*params)
    check_bounded_and_monotone(model, x, t_x, n, horizon)
    probabilities = model.probability_of_purchases(np.arange(horizon + 1), horizon)
    assert abs(probabilities.sum() - 1.0) < 1e-9


@given(order=st.permutations(list(range(8))), top=st.integers(0, 6))
def test_holdout_check_ignores_customer_order(order, top) -> None:
    summary = {
        "frequency_cal": np.array([0, 0, 1, 2, 5, 9, 3, 1]),
        "recency_cal": np.array([0.0, 0.0, 3.0, 4.0, 8.0, 9.0, 2.0, 1.0]),
        "T_cal": np.full(8, 10.0),
        "frequency_holdout": np.array([0, 1, 0, 2, 3, 6, 1, 0]),
        "duration_holdout": np.full(8, 5.0),
    }
    model = lm.ParetoNBDModel(r=0.5, alpha=3.0, s=0.7, beta=2.0)
    first = lm.holdout_check(model, summary, max_frequency=top)
    shuffled = {name: values[list(order)] for name, values in summary.items()}
    second = lm.holdout_check(model, shuffled, max_frequency=top)
    for name in ("frequency", "customers", "actual"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_allclose(second.predicted, first.predicted, rtol=1e-12)
    assert first.customers.sum() == 8
