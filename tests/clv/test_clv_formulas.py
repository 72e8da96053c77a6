"""Tests of the closed-form CLV and of model-based predicted CLV."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm

PURCHASES = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
SPEND = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45)


def explicit_sum(margin: float, retention: float, discount: float, periods: int, start: bool):
    """The cash flows one by one: t = 1..periods (end) or t = 0..periods - 1 (start)."""
    times = range(periods) if start else range(1, periods + 1)
    return sum(margin * retention**t / (1 + discount) ** t for t in times)


def test_hand_calculations() -> None:
    # m r / (1 + d - r) = 100 * 0.8 / 0.3
    assert lm.clv(100.0, retention=0.8, discount_rate=0.1) == pytest.approx(800 / 3)
    # m (1 + d) / (1 + d - r) = 100 * 1.1 / 0.3
    assert lm.clv(100.0, retention=0.8, discount_rate=0.1, timing="start") == pytest.approx(
        1100 / 3
    )
    # 100 * (0.8 / 1.1 + 0.64 / 1.21)
    assert lm.clv(100.0, retention=0.8, discount_rate=0.1, periods=2) == pytest.approx(
        100 * (0.8 / 1.1 + 0.64 / 1.21)
    )
    # start timing, two periods: 100 + 100 * 0.8 / 1.1
    assert lm.clv(
        100.0, retention=0.8, discount_rate=0.1, periods=2, timing="start"
    ) == pytest.approx(100 + 80 / 1.1)


@given(
    margin=st.floats(-500, 500),
    retention=st.floats(0, 1),
    discount=st.floats(0, 0.5),
    periods=st.integers(0, 60),
    start=st.booleans(),
)
def test_finite_horizon_is_the_explicit_sum(margin, retention, discount, periods, start) -> None:
    value = lm.clv(
        margin,
        retention=retention,
        discount_rate=discount,
        periods=periods,
        timing="start" if start else "end",
    )
    expected = explicit_sum(margin, retention, discount, periods, start)
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(retention=st.floats(0, 0.99), discount=st.floats(0.001, 0.5))
def test_long_finite_horizon_tends_to_the_infinite_one(retention, discount) -> None:
    infinite = lm.clv(1.0, retention=retention, discount_rate=discount)
    long = lm.clv(1.0, retention=retention, discount_rate=discount, periods=100_000)
    assert long == pytest.approx(infinite, rel=1e-9, abs=1e-12)


def test_broadcasting_and_limits() -> None:
    values = lm.clv(np.array([100.0, 200.0]), retention=np.array([[0.5], [0.9]]), discount_rate=0.1)
    assert values.shape == (2, 2)
    assert values[1, 1] == pytest.approx(200 * 0.9 / 0.2)
    assert math.isinf(lm.clv(10.0, retention=1.0, discount_rate=0.0))
    assert lm.clv(-10.0, retention=1.0, discount_rate=0.0) == -math.inf
    assert lm.clv(0.0, retention=1.0, discount_rate=0.0) == 0.0
    assert lm.clv(10.0, retention=1.0, discount_rate=0.0, periods=7) == pytest.approx(70.0)
    assert lm.clv(10.0, retention=0.0, discount_rate=0.1) == 0.0
    assert lm.clv(10.0, retention=0.0, discount_rate=0.1, timing="start", periods=5) == 10.0


def test_clv_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`retention` must be in"):
        lm.clv(1.0, retention=1.2, discount_rate=0.1)
    with pytest.raises(ValueError, match="`discount_rate` must be >= 0"):
        lm.clv(1.0, retention=0.5, discount_rate=-0.1)
    with pytest.raises(ValueError, match="`periods` must be whole numbers"):
        lm.clv(1.0, retention=0.5, discount_rate=0.1, periods=2.5)
    with pytest.raises(ValueError, match="`timing` must be one of"):
        lm.clv(1.0, retention=0.5, discount_rate=0.1, timing="middle")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`margin` must be finite"):
        lm.clv(np.nan, retention=0.5, discount_rate=0.1)
    with pytest.raises(TypeError, match="`margin`"):
        lm.clv("10", retention=0.5, discount_rate=0.1)


# ---------------------------------------------------------------- predicted CLV

HISTORY = (
    np.array([0.0, 2.0, 6.0]),
    np.array([0.0, 30.4, 35.0]),
    np.array([38.9, 38.9, 38.9]),
    np.array([0.0, 22.4, 40.0]),
)


def test_without_discount_one_step_is_spend_times_purchases() -> None:
    x, t_x, big_t, m = HISTORY
    value = lm.predicted_clv(
        PURCHASES, SPEND, x, t_x, big_t, m, horizon=52.0, discount_rate=0.0, step=52.0
    )
    expected = SPEND.expected_spend(x, m) * PURCHASES.expected_purchases(52.0, x, t_x, big_t)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_steps_discount_each_increment() -> None:
    # Hand-built sum over steps ending at 10, 20, 25 (the last one shorter).
    x, t_x, big_t, m = HISTORY
    value = lm.predicted_clv(
        PURCHASES, SPEND, x, t_x, big_t, m, horizon=25.0, discount_rate=0.01, step=10.0, margin=0.3
    )
    cumulative = [PURCHASES.expected_purchases(t, x, t_x, big_t) for t in (0.0, 10.0, 20.0, 25.0)]
    expected = sum(
        (cumulative[k] - cumulative[k - 1]) / 1.01**end
        for k, end in zip((1, 2, 3), (10.0, 20.0, 25.0), strict=True)
    )
    np.testing.assert_allclose(value, 0.3 * SPEND.expected_spend(x, m) * expected, rtol=1e-12)


def test_discounting_lowers_value_and_finer_steps_converge() -> None:
    x, t_x, big_t, m = HISTORY
    plain = lm.predicted_clv(PURCHASES, SPEND, x, t_x, big_t, m, horizon=100.0, discount_rate=0.0)
    discounted = lm.predicted_clv(
        PURCHASES, SPEND, x, t_x, big_t, m, horizon=100.0, discount_rate=0.005
    )
    assert np.all(discounted < plain)
    fine = lm.predicted_clv(
        PURCHASES, SPEND, x, t_x, big_t, m, horizon=100.0, discount_rate=0.005, step=0.1
    )
    finer = lm.predicted_clv(
        PURCHASES, SPEND, x, t_x, big_t, m, horizon=100.0, discount_rate=0.005, step=0.05
    )
    # Discounting each step at its end undervalues by about step * rate / 2
    # relative: 2.5e-4 at step 0.1, so the two differ by about 1.25e-4.
    np.testing.assert_allclose(fine, finer, rtol=2e-4)
    assert np.all(fine < finer)


def test_predicted_clv_bad_inputs() -> None:
    x, t_x, big_t, m = HISTORY
    with pytest.raises(ValueError, match="`horizon` must be finite and > 0"):
        lm.predicted_clv(PURCHASES, SPEND, x, t_x, big_t, m, horizon=0.0, discount_rate=0.0)
    with pytest.raises(ValueError, match="`discount_rate` must be finite and >= 0"):
        lm.predicted_clv(PURCHASES, SPEND, x, t_x, big_t, m, horizon=1.0, discount_rate=-0.1)
    with pytest.raises(ValueError, match="`step` must be finite and > 0"):
        lm.predicted_clv(PURCHASES, SPEND, x, t_x, big_t, m, horizon=1.0, discount_rate=0.0, step=0)
    with pytest.raises(TypeError, match="`purchase_model` must have"):
        lm.predicted_clv(SPEND, SPEND, x, t_x, big_t, m, horizon=1.0, discount_rate=0.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`spend_model` must have"):
        lm.predicted_clv(PURCHASES, PURCHASES, x, t_x, big_t, m, horizon=1.0, discount_rate=0.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`monetary_value` must be positive"):
        lm.predicted_clv(
            PURCHASES, SPEND, x, t_x, big_t, [0.0, -1.0, 5.0], horizon=1.0, discount_rate=0.0
        )
