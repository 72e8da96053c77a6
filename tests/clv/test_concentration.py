"""value_concentration: hand-worked shares and Gini, standard errors by simulation.

References: the shares and the Gini coefficient worked by hand (and the Gini
against the mean-absolute-difference formula computed pairwise); the
standard errors against the spread of estimates over simulated samples; the
lognormal's closed-form top share and Gini (Cowell 2011, *Measuring
Inequality*, appendix A) for a fast coverage check (the full one is
``benchmarks/concentration_coverage.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import loyaltymetrics as lm


def test_hand_worked() -> None:
    # Values 1, 1, 2, 6 (total 10): the top 25% is one customer with 6 -> 0.6.
    # Gini = sum (2i - n - 1) x_(i) / (n S) = (-3 - 1 + 2 + 18) / 40 = 0.4.
    result = lm.value_concentration([6, 1, 2, 1], top=0.25)
    assert result.top_share == pytest.approx(0.6)
    assert result.gini == pytest.approx(0.4)
    assert (result.n, result.total) == (4, 10.0)
    # Top 50%: 2 + 6 = 8 of 10.
    assert lm.value_concentration([6, 1, 2, 1], top=0.5).top_share == pytest.approx(0.8)
    curve = result.lorenz_curve(5, backend="polars")
    np.testing.assert_allclose(curve["value_share"].to_numpy(), [0, 0.1, 0.2, 0.4, 1.0])
    np.testing.assert_allclose(curve["population_share"].to_numpy(), [0, 0.25, 0.5, 0.75, 1])


def test_gini_equals_mean_absolute_difference() -> None:
    x = np.random.default_rng(3).gamma(0.7, 50.0, 400)
    pairwise = np.abs(x[:, None] - x[None, :]).mean()
    assert lm.value_concentration(x).gini == pytest.approx(pairwise / (2 * x.mean()), rel=1e-12)


def test_standard_errors_match_the_spread_of_estimates() -> None:
    rng = np.random.default_rng(11)
    estimates = []
    ses = []
    for _ in range(400):
        result = lm.value_concentration(rng.lognormal(3.0, 1.0, 800))
        estimates.append((result.top_share, result.gini))
        ses.append((result.top_share_se, result.gini_se))
    spread = np.std(estimates, axis=0, ddof=1)
    # 400 replications: the sample sd is within about 7% (2 se) of the truth.
    np.testing.assert_allclose(np.mean(ses, axis=0), spread, rtol=0.12)


def test_coverage_on_lognormal_spend() -> None:
    rng = np.random.default_rng(2026)
    sigma, top = 1.0, 0.2
    share = stats.norm.sf(stats.norm.ppf(1 - top) - sigma)
    gini = 2 * stats.norm.cdf(sigma / math.sqrt(2)) - 1
    hits = np.zeros(2)
    replications = 400
    for _ in range(replications):
        result = lm.value_concentration(rng.lognormal(3.0, sigma, 1000), top=top)
        hits += [
            result.top_share_interval.low <= share <= result.top_share_interval.high,
            result.gini_interval.low <= gini <= result.gini_interval.high,
        ]
    # Nominal 95%; 400 replications give a Monte-Carlo se of about 1.1 points.
    assert np.all((hits / replications > 0.91) & (hits / replications < 0.985))


def test_degenerate_values() -> None:
    equal = lm.value_concentration([5.0] * 10, top=0.2)
    assert equal.top_share == pytest.approx(0.2)
    assert equal.gini == 0.0
    assert tuple(equal.gini_interval) == (0.0, 0.0)
    single = lm.value_concentration([3.0])
    assert single.top_share == 1.0  # the top holds at least one customer
    everyone = lm.value_concentration([1.0, 2.0], top=1.0)
    assert everyone.top_share == 1.0
    assert everyone.top_share_se == 0.0


@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60).filter(
        lambda v: sum(v) > 0
    ),
    st.floats(0.01, 1.0),
)
def test_properties(values, top) -> None:
    result = lm.value_concentration(values, top=top)
    assert -1e-12 <= result.gini <= 1.0
    assert 0.0 <= result.top_share <= 1.0 + 1e-12
    # The top share is at least the customers' share (values sorted descending).
    k = max(1, round(top * len(values)))
    assert result.top_share >= k / len(values) - 1e-9
    low, high = result.top_share_interval
    assert low - 1e-12 <= result.top_share <= high + 1e-12
    shuffled = lm.value_concentration(values[::-1], top=top)
    assert shuffled.gini == pytest.approx(result.gini, abs=1e-12)


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "at least one customer"),
        ([1, -1], {}, ValueError, "`values` must be finite and non-negative; found -1.0"),
        ([1, float("nan")], {}, ValueError, "at position 1"),
        ([0, 0], {}, ValueError, "positive total"),
        ([1, 2], {"top": 0}, ValueError, r"`top` must be in \(0, 1\]"),
        ([1, 2], {"top": "a"}, TypeError, "`top` must be a number"),
        (["a"], {}, TypeError, "`values`"),
    ],
)
def test_bad_input(values, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.value_concentration(values, **kwargs)


def test_result_behaviour() -> None:
    result = lm.value_concentration([1, 2, 3, 10])
    assert repr(result).startswith("ValueConcentration(top=0.2, top_share=")
    assert "_data" not in result.to_dict()
    with pytest.raises(ValueError, match="`points`"):
        result.lorenz_curve(1)
