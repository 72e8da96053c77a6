"""compare_nps: hand-worked tests, properties and bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import loyaltymetrics as lm
from loyaltymetrics._engine._results import Comparison
from loyaltymetrics._survey._nps_inference import DIFFERENCE_METHODS

A = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
B = lm.nps_from_counts(detractors=30, passives=30, promoters=40)
counts_strategy = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(
    lambda counts: sum(counts) > 0
)


def test_wald_hand_worked() -> None:
    # Variances per respondent: a 0.5 + 0.2 - 0.09 = 0.61, b 0.4 + 0.3 - 0.01 = 0.69;
    # SE = 100 * sqrt(0.61/100 + 0.69/100) = 11.401754; z = 20 / 11.401754 = 1.754116;
    # two-sided p = 2 * (1 - Phi(1.754116)) = 0.079411.
    result = lm.compare_nps(A, B, method="wald")
    se = 100 * math.sqrt(0.013)
    assert isinstance(result, lm.NPSComparison)
    assert isinstance(result, Comparison)
    assert result.difference == pytest.approx(20.0)
    assert result.statistic == pytest.approx(20 / se)
    assert result.pvalue == pytest.approx(2 * stats.norm.sf(20 / se))
    assert result.pvalue == pytest.approx(0.079411, abs=1e-6)
    z = stats.norm.ppf(0.975)
    low, high = result.confidence_interval()
    assert (low, high) == pytest.approx((20 - z * se, 20 + z * se))
    assert result.method == "wald"
    assert result.alternative == "two-sided"


def test_adjusted_wald_hand_worked() -> None:
    # Each sample gets 0.75 / 1.5 / 0.75 pseudo-respondents (n + 3 = 103):
    # a: p_P 50.75/103, p_D 20.75/103; b: p_P 40.75/103, p_D 30.75/103.
    def augmented(detractors: float, promoters: float) -> tuple[float, float]:
        p_promoter, p_detractor = (promoters + 0.75) / 103, (detractors + 0.75) / 103
        centre = p_promoter - p_detractor
        return centre, (p_promoter + p_detractor - centre**2) / 103

    centre_a, var_a = augmented(20, 50)
    centre_b, var_b = augmented(30, 40)
    centre = 100 * (centre_a - centre_b)
    se = 100 * math.sqrt(var_a + var_b)
    result = lm.compare_nps(A, B, confidence_level=0.9)
    assert result.method == "adjusted-wald"
    assert result.difference == pytest.approx(20.0)
    assert result.statistic == pytest.approx(centre / se)
    z = stats.norm.ppf(0.95)
    assert tuple(result.confidence_interval()) == pytest.approx((centre - z * se, centre + z * se))


def test_raw_scores_equal_results() -> None:
    a = [10, 9, 9, 8, 3, 10, 6, 9]
    b = [7, 8, 3, 2, 9, 10, 0]
    for method in DIFFERENCE_METHODS:
        raw = lm.compare_nps(a, b, method=method, n_resamples=499, rng=4)
        results = lm.compare_nps(lm.nps(a), lm.nps(b), method=method, n_resamples=499, rng=4)
        assert raw == results


def test_one_sided_alternatives() -> None:
    two = lm.compare_nps(A, B, method="wald")
    greater = lm.compare_nps(A, B, method="wald", alternative="greater")
    less = lm.compare_nps(A, B, method="wald", alternative="less")
    assert greater.pvalue == pytest.approx(two.pvalue / 2)
    assert less.pvalue == pytest.approx(1 - two.pvalue / 2)
    # The open side of a one-sided interval is the end of the -200..200 range.
    assert greater.confidence_interval().high == 200.0
    assert less.confidence_interval().low == -200.0
    assert greater.confidence_interval().low > two.confidence_interval().low


@settings(max_examples=40)
@given(a=counts_strategy, b=counts_strategy, method=st.sampled_from(["wald", "adjusted-wald"]))
def test_analytic_properties(a: tuple[int, int, int], b: tuple[int, int, int], method: str) -> None:
    first = lm.nps_from_counts(detractors=a[0], passives=a[1], promoters=a[2])
    second = lm.nps_from_counts(detractors=b[0], passives=b[1], promoters=b[2])
    forward = lm.compare_nps(first, second, method=method)
    backward = lm.compare_nps(second, first, method=method)
    # Swapping the samples mirrors everything.
    assert forward.difference == pytest.approx(-backward.difference, abs=1e-9)
    assert forward.pvalue == pytest.approx(backward.pvalue, abs=1e-12)
    low, high = forward.confidence_interval()
    assert (low, high) == pytest.approx(
        (-backward.confidence_interval().high, -backward.confidence_interval().low), abs=1e-9
    )
    assert -200 <= low <= high <= 200
    assert 0 <= forward.pvalue <= 1
    # The test and the interval agree: p < 5% exactly when 0 is outside.
    if abs(forward.pvalue - 0.05) > 1e-9 and low > -200 and high < 200:
        assert (forward.pvalue < 0.05) == (not low <= 0 <= high)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_bootstrap_pvalue_inverts_the_interval(method: str) -> None:
    # At confidence level 1 - p the interval has a limit at 0 (up to the
    # interpolation between neighbouring replicates: a fraction of a point).
    result = lm.compare_nps(A, B, method=method, n_resamples=9999, rng=5)
    assert 0.0 < result.pvalue < 0.3
    at_p = lm.compare_nps(
        A, B, method=method, n_resamples=9999, rng=5, confidence_level=1 - result.pvalue
    )
    assert at_p.confidence_interval().low == pytest.approx(0.0, abs=0.5)
    # Against a Wald test on the same data (p = 0.0794): same order of evidence.
    assert result.pvalue == pytest.approx(0.0794, abs=0.02)


def test_bootstrap_identical_samples_are_not_significant() -> None:
    result = lm.compare_nps(A, A, method="bca", n_resamples=1999, rng=0)
    assert result.difference == 0.0
    assert result.pvalue > 0.9
    assert result.confidence_interval().low < 0 < result.confidence_interval().high


def test_degenerate_samples_do_not_warn() -> None:
    for method in DIFFERENCE_METHODS:
        result = lm.compare_nps([10], [0], method=method, n_resamples=99, rng=0)
        assert result.difference == 200.0
        assert math.isfinite(result.pvalue)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([11], [9]), {}, ValueError, "`a` must be integers in 0..10"),
        (([9], ["x"]), {}, TypeError, "`b`"),
        ((A, B), {"method": "score"}, ValueError, "`method`"),
        ((A, B), {"alternative": "bigger"}, ValueError, "`alternative`"),
        ((A, B), {"confidence_level": 0}, ValueError, "`confidence_level`"),
        ((A, B), {"n_resamples": 0}, ValueError, "`n_resamples`"),
        ((lm.nps([9, float("nan")], nan_policy="propagate"), B), {}, ValueError, "NaN score"),
    ],
)
def test_bad_input(
    args: tuple[object, object], kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        lm.compare_nps(*args, **kwargs)  # type: ignore[arg-type]
