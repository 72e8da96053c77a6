"""Properties of the conditional predictions of every purchase model, on random parameters.

For any parameters and history: the conditional distribution of future
purchases is a distribution (in [0, 1], summing to 1 up to the truncated
tail), P(alive) never rises with the time ahead, and DERT is positive and
falls as the discount rate rises.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm

positive = st.floats(min_value=-2.0, max_value=2.0).map(math.exp)
four = st.tuples(positive, positive, positive, positive)
CONTINUOUS = (lm.BGNBDModel, lm.ParetoNBDModel, lm.MBGNBDModel)


@given(
    params=four,
    kind=st.sampled_from(CONTINUOUS),
    x=st.integers(0, 30),
    share=st.floats(0.0, 1.0),
    big_t=st.floats(0.5, 100.0),
    horizon=st.floats(0.1, 50.0),
)
def test_continuous_conditional_predictions(params, kind, x, share, big_t, horizon) -> None:
    model = kind(*params)
    t_x = 0.0 if x == 0 else share * big_t
    pmf = model.conditional_probability_of_purchases(np.arange(400), horizon, x, t_x, big_t)
    assert np.all((pmf >= 0) & (pmf <= 1 + 1e-12))
    assert pmf.sum() <= 1 + 1e-9
    if pmf[-50:].max() < 1e-14:  # the tail beyond 400 purchases is negligible
        assert pmf.sum() > 1 - 1e-9
    alive = model.probability_alive(x, t_x, big_t, ahead=[0.0, horizon, 2 * horizon])
    assert np.all(np.diff(alive) <= 1e-12)
    assert alive[-1] >= 0
    low, high = (
        model.dert(x, t_x, big_t, discount_rate=0.05),
        model.dert(x, t_x, big_t, discount_rate=0.01),
    )
    assert 0 < low <= high * (1 + 1e-9)


@given(
    params=four,
    n=st.integers(1, 8),
    data=st.data(),
    horizon=st.integers(1, 10),
)
def test_bgbb_conditional_predictions(params, n, data, horizon) -> None:
    model = lm.BGBBModel(*params)
    t_x = data.draw(st.integers(0, n))
    x = 0 if t_x == 0 else data.draw(st.integers(1, t_x))
    pmf = model.conditional_probability_of_purchases(np.arange(horizon + 2), horizon, x, t_x, n)
    assert np.all(pmf >= 0)
    assert pmf[-1] == 0.0  # more transactions than opportunities
    np.testing.assert_allclose(pmf.sum(), 1.0, atol=1e-10)
    alive = model.probability_alive(x, t_x, n, ahead=[0, horizon, 2 * horizon])
    assert np.all(np.diff(alive) <= 1e-12)
    assert model.dert(x, t_x, n, discount_rate=0.1) > 0
