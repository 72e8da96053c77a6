"""result.test(value): one-sample tests against a target, each inverting its interval.

Three kinds of checks:

* the agreement the API promises, as a property over counts, targets, levels,
  methods and alternatives: p < 1 - level exactly when the target lies outside
  the interval of the same method at that level (one-sided: outside the
  one-sided limit, which is the two-sided limit at level 2 * level - 1);
* independent references for every method (hand formulas, scipy, statsmodels,
  a constrained maximum likelihood fitted numerically, Monte Carlo);
* bad input and degenerate samples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

import loyaltymetrics as lm
from loyaltymetrics._survey._nps_inference import NPS_METHODS
from loyaltymetrics._survey._scale_inference import SHARE_METHODS

BOOTSTRAP = ("percentile", "basic", "bca")
NPS_ANALYTIC = tuple(m for m in NPS_METHODS if m not in BOOTSTRAP)
SHARE_ANALYTIC = tuple(m for m in SHARE_METHODS if m not in BOOTSTRAP)
ALTERNATIVES = ("two-sided", "greater", "less")
# Ties: at a target within this distance of a limit (the limits of "score" and
# "bayes" are found numerically, to ~1e-12 of the range) or a p-value within
# this distance of 1 - level, floating point decides either way; such draws are
# not evidence for or against the agreement and are skipped.
TIE = 1e-7


def nps_counts(counts: tuple[int, int, int]) -> lm.NPSResult:
    return lm.nps_from_counts(detractors=counts[0], passives=counts[1], promoters=counts[2])


def assert_agrees(test_p: float, low: float, high: float, target: float, level: float) -> None:
    """``p < 1 - level`` exactly when ``target`` is outside ``[low, high]`` (ties skipped)."""
    alpha = 1.0 - level
    span = max(1.0, abs(low), abs(high))
    if abs(test_p - alpha) <= TIE or min(abs(target - low), abs(target - high)) <= TIE * span:
        return
    outside = target < low or target > high
    assert (test_p < alpha) == outside, (test_p, alpha, low, high, target)


def check_inversion(result: object, target: float, level: float, **options: object) -> None:
    """Two-sided and both one-sided agreements of ``result.test`` with its interval."""
    interval = result.confidence_interval  # type: ignore[attr-defined]
    test = result.test  # type: ignore[attr-defined]
    low, high = interval(level, **options)
    assert_agrees(test(target, **options).pvalue, low, high, target, level)
    if level > 0.5:
        one_low, one_high = interval(2.0 * level - 1.0, **options)
        greater = test(target, alternative="greater", **options).pvalue
        less = test(target, alternative="less", **options).pvalue
        assert_agrees(greater, one_low, math.inf, target, level)
        assert_agrees(less, -math.inf, one_high, target, level)


levels = st.floats(0.05, 0.999)


@settings(max_examples=300)
@given(
    counts=st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(
        lambda c: sum(c) > 0
    ),
    target=st.one_of(st.floats(-100, 100), st.sampled_from([-100.0, 0.0, 100.0])),
    level=levels,
    method=st.sampled_from(NPS_ANALYTIC),
)
def test_nps_test_inverts_its_interval(
    counts: tuple[int, int, int], target: float, level: float, method: str
) -> None:
    check_inversion(nps_counts(counts), target, level, method=method)


@settings(max_examples=300)
@given(
    counts=st.lists(st.integers(0, 30), min_size=5, max_size=5).filter(lambda c: sum(c) > 0),
    target=st.one_of(st.floats(0, 100), st.sampled_from([0.0, 50.0, 100.0])),
    level=levels,
    method=st.sampled_from(SHARE_ANALYTIC),
)
def test_csat_test_inverts_its_interval(
    counts: list[int], target: float, level: float, method: str
) -> None:
    check_inversion(lm.csat_from_counts(counts), target, level, method=method)


@settings(max_examples=200)
@given(
    counts=st.lists(st.integers(0, 20), min_size=7, max_size=7).filter(lambda c: sum(c) > 0),
    target=st.floats(1, 7),
    level=levels,
)
def test_ces_t_test_inverts_its_interval(counts: list[int], target: float, level: float) -> None:
    check_inversion(lm.ces_from_counts(counts), target, level)


@settings(max_examples=100)
@given(
    counts=st.lists(st.integers(0, 20), min_size=7, max_size=7).filter(lambda c: sum(c) > 0),
    target=st.floats(0, 100),
    level=levels,
    method=st.sampled_from(SHARE_ANALYTIC),
)
def test_ces_share_test_inverts_its_interval(
    counts: list[int], target: float, level: float, method: str
) -> None:
    check_inversion(lm.ces_from_counts(counts), target, level, method=method, of="agree_share")


@settings(max_examples=60)
@given(
    scores=st.lists(st.integers(0, 10), min_size=1, max_size=30),
    weights=st.data(),
    target=st.floats(-100, 100),
    level=levels,
    method=st.sampled_from(NPS_ANALYTIC),
)
def test_weighted_nps_test_inverts_its_interval(
    scores: list[int], weights: st.DataObject, target: float, level: float, method: str
) -> None:
    drawn = weights.draw(st.lists(st.floats(0.1, 5.0), min_size=len(scores), max_size=len(scores)))
    check_inversion(lm.nps(scores, weights=drawn), target, level, method=method)


# ---------------------------------------------------------------------------
# Bootstrap: the same resamples as the interval under the same seed.


@pytest.mark.parametrize("method", BOOTSTRAP)
@pytest.mark.parametrize(
    ("result", "target", "options"),
    [
        (nps_counts((20, 30, 50)), 12.0, {}),
        (lm.csat_from_counts([5, 5, 10, 40, 40]), 71.5, {}),
        (lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30]), 5.2, {}),
    ],
)
def test_bootstrap_test_inverts_the_interval_of_the_same_resamples(
    result: object, target: float, options: dict[str, object], method: str
) -> None:
    test = result.test(target, method=method, rng=3)  # type: ignore[attr-defined]
    p = test.pvalue
    assert 0.0 < p < 0.5
    # Just below level 1 - p the interval excludes the target, just above it
    # contains it. The replicates lie on a lattice, so a limit can sit on the
    # target over a small range of levels: step 0.005 away from 1 - p.
    for level, contains in ((1 - p - 0.005, False), (1 - p + 0.005, True)):
        low, high = result.confidence_interval(level, method=method, rng=3)  # type: ignore[attr-defined]
        assert (low <= target <= high) is contains
    # One-sided: the same with the lower limit at level 2 * (1 - p_greater) - 1.
    greater = result.test(target, method=method, alternative="greater", rng=3).pvalue  # type: ignore[attr-defined]
    assert greater == pytest.approx(p / 2.0)
    assert result.test(target, method=method, alternative="less", rng=3).pvalue == pytest.approx(  # type: ignore[attr-defined]
        1.0 - p / 2.0
    )


# The bootstrap limits are interpolated quantiles of B replicates, so the level
# at which a limit crosses the target is known to within about 1/B of 1 - p
# (more when replicates tie at the target, which the strategy avoids). Checked
# at 1 - p -/+ 10/B, so B = 999 resolves levels to 0.01.
BOOT_B = 999
BOOT_MARGIN = 10 / BOOT_B


def check_bootstrap_inversion(result: object, offset: float, method: str, side: str) -> None:
    """Check at the target ``estimate + offset * bootstrap SE`` (clipped to the range)."""
    options = {"method": method, "n_resamples": BOOT_B, "rng": 5}
    interval = result.confidence_interval  # type: ignore[attr-defined]
    replicates = interval(**options).bootstrap_distribution
    low_end = -100.0 if isinstance(result, lm.NPSResult) else 0.0
    spread = max(float(np.std(replicates)), 0.5)
    target = min(100.0, max(low_end, result.estimate + offset * spread))  # type: ignore[attr-defined]
    if np.any(np.isclose(replicates, target, rtol=0, atol=1e-6)):
        return
    if method == "basic" and np.any(
        np.isclose(replicates, 2 * result.estimate - target, rtol=0, atol=1e-6)  # type: ignore[attr-defined]
    ):
        return
    p = result.test(target, alternative=side, **options).pvalue  # type: ignore[attr-defined]
    for level, contains in ((1 - p - BOOT_MARGIN, False), (1 - p + BOOT_MARGIN, True)):
        two_sided_level = level if side == "two-sided" else 2 * level - 1
        if not 0.0 < two_sided_level < 1.0:
            continue
        low, high = interval(two_sided_level, **options)
        if side == "greater":
            high = math.inf
        elif side == "less":
            low = -math.inf
        assert (low <= target <= high) is contains, (p, level, low, high)


@settings(max_examples=60)
@given(
    counts=st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)).filter(
        lambda c: sum(c) > 0
    ),
    offset=st.floats(-3.5, 3.5),
    method=st.sampled_from(BOOTSTRAP),
    side=st.sampled_from(ALTERNATIVES),
)
def test_nps_bootstrap_test_inverts_its_interval(
    counts: tuple[int, int, int], offset: float, method: str, side: str
) -> None:
    check_bootstrap_inversion(nps_counts(counts), offset, method, side)


@settings(max_examples=40)
@given(
    counts=st.lists(st.integers(0, 30), min_size=5, max_size=5).filter(lambda c: sum(c) > 0),
    offset=st.floats(-3.5, 3.5),
    method=st.sampled_from(BOOTSTRAP),
    side=st.sampled_from(ALTERNATIVES),
)
def test_csat_bootstrap_test_inverts_its_interval(
    counts: list[int], offset: float, method: str, side: str
) -> None:
    check_bootstrap_inversion(lm.csat_from_counts(counts), offset, method, side)


@settings(max_examples=40)
@given(
    scores=st.lists(st.integers(1, 5), min_size=1, max_size=30),
    weights=st.data(),
    target=st.floats(0, 100),
    level=levels,
    method=st.sampled_from(SHARE_ANALYTIC),
)
def test_weighted_csat_test_inverts_its_interval(
    scores: list[int], weights: st.DataObject, target: float, level: float, method: str
) -> None:
    drawn = weights.draw(st.lists(st.floats(0.1, 5.0), min_size=len(scores), max_size=len(scores)))
    check_inversion(lm.csat(scores, weights=drawn), target, level, method=method)


def test_percentile_pvalue_is_the_bootstrap_distribution_below_the_target() -> None:
    # Reference: the interval's own replicates (same seed), counted by hand with
    # ties as half: "greater" p = F*(target); two-sided twice the smaller tail.
    result = nps_counts((20, 30, 50))
    replicates = result.confidence_interval(method="percentile", rng=8).bootstrap_distribution
    assert replicates is not None
    target = 17.0
    below = (np.sum(replicates < target) + np.sum(replicates <= target)) / (2 * replicates.size)
    test = result.test(target, method="percentile", alternative="greater", rng=8)
    assert test.pvalue == pytest.approx(below, abs=1e-12)
    two_sided = result.test(target, method="percentile", rng=8).pvalue
    assert two_sided == pytest.approx(2 * min(below, 1 - below), abs=1e-12)
    # The statistic: distance over the bootstrap standard error of those replicates.
    assert test.statistic == pytest.approx((30.0 - target) / np.std(replicates, ddof=1))


@pytest.mark.parametrize("method", BOOTSTRAP)
def test_scipy_engine_agrees_within_monte_carlo_error(method: str) -> None:
    result = lm.csat_from_counts([5, 5, 10, 40, 40])
    count = result.test(72.5, method=method, rng=1).pvalue
    scipy_p = result.test(72.5, method=method, rng=1, engine="scipy").pvalue
    # Two independent runs of 9999 resamples: a p-value near 0.1 has a Monte
    # Carlo sd of about sqrt(0.1 * 0.9 / 9999) * 2 = 0.006 each.
    assert scipy_p == pytest.approx(count, abs=0.03)


# ---------------------------------------------------------------------------
# Independent references


def test_nps_wald_matches_the_hand_formula() -> None:
    # SE = 100 sqrt((0.5 + 0.2 - 0.3^2) / 100) = 7.8102497 (Rocks 2016, eq. 2);
    # z = (30 - 10) / SE = 2.5607376; p = 2 (1 - Phi(z)) from scipy.stats.norm.
    test = nps_counts((20, 30, 50)).test(10, method="wald")
    z = 20.0 / (100 * math.sqrt(0.61 / 100))
    assert test.statistic == pytest.approx(z, rel=1e-12)
    assert test.pvalue == pytest.approx(2 * stats.norm.sf(z), rel=1e-10)
    assert test.estimate == 30.0
    assert test.target == 10.0
    assert test.n == 100


def test_nps_adjusted_wald_matches_the_hand_formula() -> None:
    # Counts plus 3/4, 3/2, 3/4 (Rocks 2016): 20.75, 31.5, 50.75 of 103.
    p_p, p_d, n = 50.75 / 103, 20.75 / 103, 103.0
    centre = p_p - p_d
    se = math.sqrt((p_p + p_d - centre**2) / n)
    z = (centre - 0.10) / se
    test = nps_counts((20, 30, 50)).test(10, alternative="greater")
    assert test.method == "adjusted-wald"
    assert test.statistic == pytest.approx(z, rel=1e-12)
    assert test.pvalue == pytest.approx(stats.norm.sf(z), rel=1e-10)


@pytest.mark.parametrize(("counts", "target"), [((20, 30, 50), 10.0), ((7, 2, 1), -20.0)])
def test_nps_score_matches_a_numerical_constrained_likelihood(
    counts: tuple[int, int, int], target: float
) -> None:
    # Tango's (1998) score statistic for NPS = delta: Z = (P - D - n delta) /
    # sqrt(n (p_P + p_D - delta^2)) at the multinomial maximum-likelihood
    # shares under the constraint p_P - p_D = delta, fitted here by
    # scipy.optimize instead of Tango's closed-form root.
    d, a, p = counts
    n = d + a + p
    delta = target / 100.0

    def negative_log_likelihood(p_d: float) -> float:
        p_p = p_d + delta
        return -(d * math.log(p_d) + p * math.log(p_p) + a * math.log(1.0 - p_p - p_d))

    lowest = max(0.0, -delta) + 1e-12
    highest = (1.0 - delta) / 2.0 - 1e-12
    fit = optimize.minimize_scalar(
        negative_log_likelihood,
        bounds=(lowest, highest),
        method="bounded",
        options={"xatol": 1e-12},
    )
    p_d = fit.x
    z = (p - d - n * delta) / math.sqrt(n * (2 * p_d + delta - delta**2))
    test = nps_counts(counts).test(target, method="score")
    assert test.statistic == pytest.approx(z, rel=1e-6)
    assert test.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-5)


def test_nps_bayes_matches_monte_carlo_of_the_dirichlet_posterior() -> None:
    # Posterior Dirichlet(20 + 1, 30 + 1, 50 + 1); P(p_P - p_D < 0.2) by
    # simulation, 400,000 draws: Monte Carlo sd <= 0.0008.
    draws = np.random.default_rng(0).dirichlet([21.0, 31.0, 51.0], size=400_000)
    below = float(np.mean(draws[:, 2] - draws[:, 0] < 0.2))
    result = nps_counts((20, 30, 50))
    greater = result.test(20, method="bayes", alternative="greater")
    assert math.isnan(greater.statistic)
    assert greater.pvalue == pytest.approx(below, abs=0.004)
    assert result.test(20, method="bayes").pvalue == pytest.approx(2 * below, abs=0.008)


def test_wilson_is_the_score_test_of_statsmodels() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    # 80 satisfied of 100 against 0.7: z = (0.8 - 0.7) / sqrt(0.7 * 0.3 / 100).
    z, p = proportions_ztest(80, 100, value=0.7, prop_var=0.7)
    test = lm.csat_from_counts([5, 5, 10, 40, 40]).test(70)
    assert test.method == "wilson"
    assert test.statistic == pytest.approx(z, rel=1e-12)
    assert test.pvalue == pytest.approx(p, rel=1e-10)


def test_csat_wald_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    # statsmodels' default variance is the estimate's: p (1 - p) / n.
    z, p = proportions_ztest(80, 100, value=0.7, alternative="larger")
    test = lm.csat_from_counts([5, 5, 10, 40, 40]).test(70, method="wald", alternative="greater")
    assert test.statistic == pytest.approx(z, rel=1e-12)
    assert test.pvalue == pytest.approx(p, rel=1e-10)


@pytest.mark.parametrize("satisfied", [0, 3, 9, 13, 20])
def test_exact_matches_scipy_binomtest(satisfied: int) -> None:
    # At p0 = 0.5 the binomial is symmetric, so scipy's default two-sided
    # ("minimum likelihood") p-value equals the central one tested here; the
    # one-sided p-values are the binomial tails at any p0.
    counts = [20 - satisfied, 0, 0, 0, satisfied]
    result = lm.csat_from_counts(counts)
    assert result.test(50, method="exact").pvalue == pytest.approx(
        stats.binomtest(satisfied, 20, 0.5).pvalue, rel=1e-9
    )
    for side, scipy_side in (("greater", "greater"), ("less", "less")):
        assert result.test(35, method="exact", alternative=side).pvalue == pytest.approx(
            stats.binomtest(satisfied, 20, 0.35, alternative=scipy_side).pvalue, rel=1e-9
        )


def test_exact_is_the_central_test_not_the_minimum_likelihood_one() -> None:
    # 3 of 20 against 0.35: central = min(1, 2 * P(X <= 3)), summed by hand
    # from the binomial probabilities; scipy's default two-sided differs.
    tail = sum(math.comb(20, k) * 0.35**k * 0.65 ** (20 - k) for k in range(4))
    p = lm.csat_from_counts([17, 0, 0, 0, 3]).test(35, method="exact").pvalue
    assert p == pytest.approx(2 * tail, rel=1e-10)
    assert p != pytest.approx(stats.binomtest(3, 20, 0.35).pvalue, rel=1e-3)


def test_jeffreys_matches_the_beta_posterior() -> None:
    # Posterior Beta(80.5, 20.5): "greater" p = P(theta < 0.7) from scipy.stats.beta.
    result = lm.csat_from_counts([5, 5, 10, 40, 40])
    below = stats.beta.cdf(0.7, 80.5, 20.5)
    assert result.test(70, method="jeffreys", alternative="greater").pvalue == pytest.approx(
        below, rel=1e-12
    )
    assert result.test(70, method="jeffreys").pvalue == pytest.approx(2 * below, rel=1e-12)


def test_agresti_coull_statistic_solves_the_level_dependent_interval() -> None:
    # The interval at critical value z adds z^2/2 successes and failures; the
    # statistic is the z at which its lower limit is the target, checked here
    # by the hand formula of the limit at that z.
    test = lm.csat_from_counts([5, 5, 10, 40, 40]).test(70, method="agresti-coull")
    z = test.statistic
    n_c = 100 + z**2
    p_c = (80 + z**2 / 2) / n_c
    assert p_c - z * math.sqrt(p_c * (1 - p_c) / n_c) == pytest.approx(0.70, abs=1e-12)
    assert test.pvalue == pytest.approx(2 * special.ndtr(-z), rel=1e-12)


def test_ces_t_matches_scipy_ttest_1samp() -> None:
    counts = [2, 3, 5, 10, 20, 30, 30]
    rows = np.repeat(np.arange(1, 8), counts)
    result = lm.ces_from_counts(counts)
    for side in ALTERNATIVES:
        reference = stats.ttest_1samp(rows, 5.0, alternative=side)
        test = result.test(5.0, alternative=side)
        assert test.statistic == pytest.approx(reference.statistic, rel=1e-12)
        assert test.pvalue == pytest.approx(reference.pvalue, rel=1e-10)
    assert test.estimate == 5.53


def test_weighted_ces_t_uses_the_interval_standard_error() -> None:
    # The interval's half-width over t(m - 1) is its SE: z-free reference.
    result = lm.ces([7, 6, 5, 2, 7, 4], weights=[1.0, 2.0, 0.5, 1.0, 3.0, 1.5])
    low, high = result.confidence_interval()
    se = (high - low) / 2 / stats.t.isf(0.025, 5)
    test = result.test(4.0)
    assert test.statistic == pytest.approx((result.mean - 4.0) / se, rel=1e-10)
    assert test.pvalue == pytest.approx(2 * stats.t.sf(abs(test.statistic), 5), rel=1e-10)


def test_at_a_limit_the_pvalue_is_one_minus_the_level() -> None:
    result = nps_counts((20, 30, 50))
    for method in NPS_ANALYTIC:
        low, high = result.confidence_interval(0.9, method=method)
        assert result.test(low, method=method).pvalue == pytest.approx(0.1, abs=1e-6)
        assert result.test(high, method=method).pvalue == pytest.approx(0.1, abs=1e-6)


# ---------------------------------------------------------------------------
# Degenerate samples and the range boundary


def test_all_promoters_follow_the_interval() -> None:
    result = nps_counts((0, 0, 12))
    # Wald sees no spread: p = 1 at the score, 0 elsewhere (zero-width interval).
    assert result.test(100, method="wald").pvalue == 1.0
    assert result.test(99, method="wald").pvalue == 0.0
    # The score interval reaches 100 and is graded below it.
    assert result.test(100, method="score").pvalue == 1.0
    assert 0.0 < result.test(80, method="score").pvalue < 1.0
    # Adjusted Wald's centre is (12.75 - 0.75) / 15 = 80 points, inside its interval.
    assert result.test(80).pvalue == pytest.approx(1.0)
    assert 0.0 < result.test(60).pvalue < 1.0
    # The bootstrap collapses too.
    assert result.test(100, method="bca", n_resamples=99, rng=0).pvalue == 1.0
    assert result.test(90, method="bca", n_resamples=99, rng=0).pvalue == 0.0


def test_share_boundaries() -> None:
    none = lm.csat_from_counts([4, 6, 0, 0, 0])
    assert none.test(0).pvalue == 1.0  # Wilson reaches 0 with no successes.
    assert none.test(0, method="exact").pvalue == 1.0
    assert none.test(1, method="exact", alternative="greater").pvalue == 1.0
    assert none.test(30).pvalue < 0.05
    everyone = lm.csat_from_counts([0, 0, 0, 3, 7])
    assert everyone.test(100).pvalue == 1.0
    assert everyone.test(100, method="wald").pvalue == 1.0
    assert everyone.test(90, method="wald").pvalue == 0.0


def test_undefined_results_give_nan() -> None:
    nan = float("nan")
    for result in (
        lm.nps([9, nan], nan_policy="propagate"),
        lm.csat([4, nan], nan_policy="propagate"),
        lm.ces([4, nan], nan_policy="propagate"),
    ):
        test = result.test(50 if not isinstance(result, lm.CESResult) else 4)
        assert math.isnan(test.pvalue)
        assert math.isnan(test.statistic)
    # One CES answer: the t interval is NaN, so is the t test.
    single = lm.ces([5]).test(4.0)
    assert math.isnan(single.pvalue)
    assert math.isnan(lm.ces([5]).confidence_interval().low)


def test_nothing_warns_at_the_edges() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for counts in ((0, 0, 1), (1, 0, 0), (0, 1, 0), (3, 0, 3)):
            result = nps_counts(counts)
            for method in NPS_METHODS:
                for target in (-100.0, 0.0, 100.0):
                    for side in ALTERNATIVES:
                        p = result.test(
                            target, method=method, alternative=side, n_resamples=19, rng=0
                        ).pvalue
                        assert 0.0 <= p <= 1.0
        for counts in ([1, 0, 0, 0, 0], [0, 0, 0, 0, 1]):
            result = lm.csat_from_counts(counts)
            for method in SHARE_METHODS:
                for target in (0.0, 50.0, 100.0):
                    for side in ALTERNATIVES:
                        p = result.test(
                            target, method=method, alternative=side, n_resamples=19, rng=0
                        ).pvalue
                        assert 0.0 <= p <= 1.0


def test_result_record_displays_and_exports() -> None:
    test = nps_counts((20, 30, 50)).test(10, method="wald")
    assert isinstance(test, lm.TargetTest)
    assert repr(test).startswith("TargetTest(estimate=30.0, target=10.0, statistic=2.56074")
    assert "<table>" in test._repr_html_()
    assert test.to_dict()["alternative"] == "two-sided"
    with pytest.raises(AttributeError):
        test.pvalue = 0.5  # type: ignore[misc]


def test_inputs_are_not_mutated_and_runs_reproduce() -> None:
    result = lm.csat_from_counts([5, 5, 10, 40, 40])
    before = result.to_dict()
    generator_seed = 11
    first = result.test(75, method="bca", rng=generator_seed)
    assert result.test(75, method="bca", rng=generator_seed) == first
    assert result.to_dict() == before


# ---------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (float("nan"), ValueError, "`value` must be finite"),
        (float("inf"), ValueError, "`value` must be finite"),
        (True, TypeError, "`value`"),
        ("30", TypeError, "`value`"),
        (None, TypeError, "`value`"),
        (101, ValueError, r"`value` must be in \[-100, 100\]"),
        (-100.5, ValueError, "`value`"),
    ],
)
def test_bad_nps_target(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        nps_counts((1, 2, 3)).test(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: r.test(30, alternative="bigger"), ValueError, "`alternative`"),
        (lambda r: r.test(30, alternative=1), TypeError, "`alternative`"),
        (lambda r: r.test(30, method="wilson"), ValueError, "`method`"),
        (lambda r: r.test(30, method="bca", n_resamples=1), ValueError, "`n_resamples`"),
        (lambda r: r.test(30, method="bca", rng="x"), TypeError, "`rng`"),
        (lambda r: r.test(30, method="bayes", prior=(0, 1, 1)), ValueError, "`prior`"),
        (lambda r: r.test(30, engine="scipy"), ValueError, "`engine"),
    ],
)
def test_bad_nps_options(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call(nps_counts((1, 2, 3)))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lm.csat([4, 5]).test(100.5), ValueError, r"`value` must be in \[0, 100\]"),
        (lambda: lm.csat([4, 5]).test(0.8, method="t"), ValueError, "`method`"),
        (lambda: lm.csat([4, 5]).test(np.float64("nan")), ValueError, "`value`"),
        (lambda: lm.ces([4, 5]).test(8.0), ValueError, r"`value` must be in \[1, 7\]"),
        (lambda: lm.ces([4, 5]).test(50, of="share"), ValueError, "`of`"),
        (lambda: lm.ces([4, 5]).test(5, method="wilson"), ValueError, "`method`"),
        (lambda: lm.ces([4, 5]).test(50, of="agree_share", method="t"), ValueError, "`method`"),
        (lambda: lm.ces([1, 2], version="original").test(0.5), ValueError, r"\[1, 5\]"),
        (lambda: lm.ces([4, 5]).test([5.0]), TypeError, "`value`"),
    ],
)
def test_bad_scale_input(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]
