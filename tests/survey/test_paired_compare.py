"""Comparisons with ``engine="scipy"`` and paired (before/after) comparisons.

References used below: numpy by hand on the respondent rows (per-respondent
differences, discordant cells), ``scipy.stats.ttest_rel`` and
``scipy.stats.bootstrap`` on the rows, statsmodels' ``DescrStatsW`` on the
differences, and the formulas of Agresti & Min (2005) worked by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import special, stats

import loyaltymetrics as lm

RNG = np.random.default_rng(2024)
BEFORE = RNG.integers(0, 11, 300)
AFTER = np.clip(BEFORE + RNG.integers(-2, 4, 300), 0, 10)
CSAT_BEFORE = RNG.integers(1, 6, 250)
CSAT_AFTER = np.clip(CSAT_BEFORE + RNG.integers(-1, 2, 250), 1, 5)
Z95 = -special.ndtri(0.025)


def _codes(scores: np.ndarray) -> np.ndarray:
    return np.where(scores <= 6, -1.0, np.where(scores <= 8, 0.0, 1.0))


def _bootstrap_tolerance(standard_error: float) -> float:
    # Monte-Carlo sd of a 2.5% quantile of B = 2999 replicates is about
    # sqrt(0.025 * 0.975 / B) / phi(1.96) = 0.049 standard errors; two
    # independent engines differ by about 0.07 of them: 5 of those is 0.35.
    return 0.35 * standard_error


# -- paired: the estimate and the analytic standard errors ---------------------------


def test_paired_nps_difference_and_wald_se_by_hand() -> None:
    result = lm.compare_nps(AFTER, BEFORE, paired=True, method="wald")
    assert result.paired is True
    assert result.difference == pytest.approx(lm.nps(AFTER).score - lm.nps(BEFORE).score, abs=1e-9)
    # Hand formula: the SD (ddof=0, the multinomial plug-in) of the
    # per-respondent change of code over sqrt(n), in points.
    d = _codes(AFTER) - _codes(BEFORE)
    se = 100.0 * d.std(ddof=0) / math.sqrt(d.size)
    assert result.statistic == pytest.approx(result.difference / se, rel=1e-12)
    low, high = result.confidence_interval()
    assert (low, high) == pytest.approx(
        (result.difference - Z95 * se, result.difference + Z95 * se), rel=1e-12
    )
    assert result.pvalue == pytest.approx(2 * special.ndtr(-abs(result.difference / se)))
    # statsmodels on the differences: its std_mean uses ddof=1.
    descr = pytest.importorskip("statsmodels.stats.weightstats").DescrStatsW(d)
    n = d.size
    assert se == pytest.approx(100.0 * descr.std_mean * math.sqrt((n - 1) / n), rel=1e-12)


def test_paired_nps_correlation_narrows_the_interval() -> None:
    paired = lm.compare_nps(AFTER, BEFORE, paired=True, method="wald").confidence_interval()
    independent = lm.compare_nps(AFTER, BEFORE, method="wald").confidence_interval()
    assert paired.high - paired.low < independent.high - independent.low


def test_paired_nps_adjusted_wald_spreads_rocks_pseudo_respondents() -> None:
    result = lm.compare_nps(AFTER, BEFORE, paired=True)
    assert result.method == "adjusted-wald"
    # By hand: table + a_i a_j / 3 with a = (3/4, 3/2, 3/4), then Wald on it.
    table = np.zeros((3, 3))
    np.add.at(table, (_codes(AFTER).astype(int) + 1, _codes(BEFORE).astype(int) + 1), 1.0)
    pseudo = np.outer([0.75, 1.5, 0.75], [0.75, 1.5, 0.75]) / 3.0
    assert pseudo.sum(axis=1) == pytest.approx([0.75, 1.5, 0.75])
    augmented = table + pseudo
    d = np.subtract.outer([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0])
    n = augmented.sum()
    mean = (augmented * d).sum() / n
    se = math.sqrt(((augmented * d**2).sum() / n - mean**2) / n)
    low, high = result.confidence_interval()
    assert (low, high) == pytest.approx((100 * (mean - Z95 * se), 100 * (mean + Z95 * se)))


def test_paired_csat_wald_is_mcnemar_and_adjusted_is_agresti_min() -> None:
    a_sat, b_sat = CSAT_AFTER >= 4, CSAT_BEFORE >= 4
    n = a_sat.size
    only_a, only_b = np.sum(a_sat & ~b_sat), np.sum(~a_sat & b_sat)
    wald = lm.compare_csat(CSAT_AFTER, CSAT_BEFORE, paired=True, method="wald")
    assert wald.difference == pytest.approx(100 * (only_a - only_b) / n)
    assert wald.difference == pytest.approx(lm.csat(CSAT_AFTER).score - lm.csat(CSAT_BEFORE).score)
    # McNemar-type Wald SE from the discordant cells (Agresti, CDA, 11.1).
    p10, p01 = only_a / n, only_b / n
    se = math.sqrt((p10 + p01 - (p10 - p01) ** 2) / n)
    assert wald.statistic == pytest.approx((p10 - p01) / se, rel=1e-12)
    assert tuple(wald.confidence_interval()) == pytest.approx(
        (100 * (p10 - p01 - Z95 * se), 100 * (p10 - p01 + Z95 * se))
    )
    # Agresti & Min (2005): 1/2 added to each of the four cells.
    adjusted = lm.compare_csat(CSAT_AFTER, CSAT_BEFORE, paired=True)
    assert adjusted.method == "adjusted-wald"
    q10, q01 = (only_a + 0.5) / (n + 2), (only_b + 0.5) / (n + 2)
    se_adjusted = math.sqrt((q10 + q01 - (q10 - q01) ** 2) / (n + 2))
    centre = q10 - q01
    assert tuple(adjusted.confidence_interval()) == pytest.approx(
        (100 * (centre - Z95 * se_adjusted), 100 * (centre + Z95 * se_adjusted))
    )


def test_paired_ces_mean_is_scipys_paired_t_test() -> None:
    a, b = CSAT_AFTER, CSAT_BEFORE
    result = lm.compare_ces(a, b, paired=True, scale=(1, 5), agree=(4, 5))
    reference = stats.ttest_rel(a, b)
    assert result.method == "t"
    assert result.difference == pytest.approx(np.mean(a - b))
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-10)
    assert result.pvalue == pytest.approx(reference.pvalue, rel=1e-8)
    interval = reference.confidence_interval()
    assert tuple(result.confidence_interval()) == pytest.approx((interval.low, interval.high))
    greater = lm.compare_ces(a, b, paired=True, scale=(1, 5), agree=(4, 5), alternative="greater")
    assert greater.pvalue == pytest.approx(stats.ttest_rel(a, b, alternative="greater").pvalue)
    share = lm.compare_ces(a, b, paired=True, scale=(1, 5), agree=(4, 5), of="agree_share")
    csat = lm.compare_csat(a, b, paired=True)
    assert (share.of, share.difference, tuple(share.interval)) == (
        "agree_share",
        csat.difference,
        tuple(csat.interval),
    )


# -- paired: bootstrap, count table against scipy's paired bootstrap ------------------


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_paired_count_bootstrap_agrees_with_scipy_paired(method: str) -> None:
    options = {"paired": True, "method": method, "n_resamples": 2999, "rng": 11}
    count = lm.compare_nps(AFTER, BEFORE, **options)
    scipy_engine = lm.compare_nps(AFTER, BEFORE, engine="scipy", **options)
    se = count.interval.standard_error
    assert se is not None
    assert scipy_engine.interval.standard_error is not None
    # Relative MC sd of a bootstrap SD with B = 2999 is 1/sqrt(2B) = 1.3%.
    assert scipy_engine.interval.standard_error == pytest.approx(se, rel=0.1)
    # The standard error of the paired difference is the Wald one, up to MC error.
    wald = lm.compare_nps(AFTER, BEFORE, paired=True, method="wald")
    assert se == pytest.approx(wald.difference / wald.statistic, rel=0.1)
    assert tuple(scipy_engine.interval) == pytest.approx(
        tuple(count.interval), abs=_bootstrap_tolerance(se)
    )
    assert count.interval.bootstrap_distribution.shape == (2999,)
    assert scipy_engine.interval.bootstrap_distribution.shape == (2999,)
    # scipy's own: the same interval as scipy.stats.bootstrap(paired=True) on the rows.
    rows_after, rows_before = 100 * _codes(AFTER), 100 * _codes(BEFORE)
    order = np.lexsort((rows_before, rows_after))  # the table's cell order
    reference = stats.bootstrap(
        (rows_after[order], rows_before[order]),
        lambda x, y, axis=-1: np.mean(x - y, axis=axis),
        paired=True,
        n_resamples=2999,
        method=method,
        rng=np.random.default_rng(11),
    ).confidence_interval
    assert tuple(scipy_engine.interval) == pytest.approx((reference.low, reference.high), abs=1e-9)
    csat_options = {"paired": True, "method": method, "n_resamples": 2999, "rng": 3}
    csat_count = lm.compare_csat(CSAT_AFTER, CSAT_BEFORE, **csat_options)
    csat_scipy = lm.compare_csat(CSAT_AFTER, CSAT_BEFORE, engine="scipy", **csat_options)
    assert tuple(csat_scipy.interval) == pytest.approx(
        tuple(csat_count.interval), abs=_bootstrap_tolerance(csat_count.interval.standard_error)
    )


def test_paired_degenerate_everyone_answers_the_same_twice() -> None:
    scores = [0, 7, 9, 10, 10, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("wald", "percentile", "basic", "bca"):
            for engine in ("count", "scipy") if method != "wald" else ("count",):
                result = lm.compare_nps(
                    scores, scores, paired=True, method=method, engine=engine, n_resamples=99
                )
                assert (result.difference, tuple(result.interval)) == (0.0, (0.0, 0.0))
                assert (result.statistic, result.pvalue) == (0.0, 1.0)
        one_sided = lm.compare_nps(scores, scores, paired=True, method="wald", alternative="less")
        assert one_sided.pvalue == 0.5
        adjusted = lm.compare_nps(scores, scores, paired=True)
        assert adjusted.interval.low < 0 < adjusted.interval.high
        t = lm.compare_ces([1, 4, 7], [1, 4, 7], paired=True)
        assert (t.difference, tuple(t.interval), t.pvalue) == (0.0, (0.0, 0.0), 1.0)
        single = lm.compare_csat([5], [5], paired=True, method="wald")
        assert (single.difference, single.pvalue) == (0.0, 1.0)


def test_paired_missing_values_follow_nan_policy() -> None:
    a = [9.0, float("nan"), 7.0, 10.0, 3.0]
    b = [10.0, 8.0, float("nan"), 6.0, 3.0]
    with pytest.raises(ValueError, match="`a` contains missing values"):
        lm.compare_nps(a, b, paired=True)
    omitted = lm.compare_nps(a, b, paired=True, nan_policy="omit", method="wald")
    kept = lm.compare_nps([9, 10, 3], [10, 6, 3], paired=True, method="wald")
    assert (omitted.difference, tuple(omitted.interval)) == (kept.difference, tuple(kept.interval))
    with pytest.raises(ValueError, match="`a` or `b` has a missing score"):
        lm.compare_nps(a, b, paired=True, nan_policy="propagate")
    propagated = lm.compare_csat([5, None, 4], [4, 4, 1], paired=True, nan_policy="propagate")
    assert math.isnan(propagated.difference)
    assert math.isnan(propagated.pvalue)
    with pytest.raises(ValueError, match="no respondent with both answers"):
        lm.compare_csat([5, None], [None, 4], paired=True, nan_policy="omit")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lm.compare_nps([9, 10], [9], paired=True), ValueError, "`b` must have one answer"),
        (
            lambda: lm.compare_nps(lm.nps([9, 10]), [9, 10], paired=True),
            TypeError,
            "`a` must be each respondent's raw answers",
        ),
        (
            lambda: lm.compare_csat([5, 4], lm.csat([5, 4]), paired=True),
            TypeError,
            "`b` must be each respondent's raw answers",
        ),
        (lambda: lm.compare_ces([1, 8], [1, 2], paired=True), ValueError, "`a` must be integers"),
        (lambda: lm.compare_nps([9], [9], paired="yes"), TypeError, "`paired`"),
        (
            lambda: lm.compare_csat([5, 4], [4, 4], paired=True, method="newcombe"),
            ValueError,
            "`method`",
        ),
        (
            lambda: lm.compare_ces([5, 4], [4, 4], paired=True, method="welch"),
            ValueError,
            "`method`",
        ),
        (
            lambda: lm.compare_nps([9], [9], paired=True, method="wald", engine="scipy"),
            ValueError,
            "`engine='scipy'`",
        ),
        (lambda: lm.compare_csat([5], [4], engine="numpy"), ValueError, "`engine`"),
        (lambda: lm.compare_nps([9], [9], nan_policy="drop"), ValueError, "`nan_policy`"),
    ],
)
def test_paired_and_engine_errors_name_the_argument(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_paired_recompute_keeps_the_table() -> None:
    result = lm.compare_nps(AFTER, BEFORE, paired=True, method="wald")
    wider = result.confidence_interval(0.99)
    again = lm.compare_nps(AFTER, BEFORE, paired=True, method="wald", confidence_level=0.99)
    assert tuple(wider) == tuple(again.interval)
    ces = lm.compare_ces(CSAT_AFTER, CSAT_BEFORE, paired=True, scale=(1, 5), agree=(4, 5))
    assert tuple(ces.confidence_interval(method="percentile", rng=1)) == tuple(
        lm.compare_ces(
            CSAT_AFTER,
            CSAT_BEFORE,
            paired=True,
            scale=(1, 5),
            agree=(4, 5),
            method="percentile",
            rng=1,
        ).interval
    )


# -- independent samples with engine="scipy" ---------------------------------------------

A = [10, 9, 9, 8, 7, 10, 3, 6, 9, 10, 0, 9, 10, 8, 5] * 6
B = [6, 9, 7, 8, 3, 10, 2, 6, 9, 7, 4, 9, 8, 8, 5] * 6


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_scipy_engine_is_scipys_two_sample_bootstrap(method: str) -> None:
    ours = lm.compare_nps(A, B, method=method, engine="scipy", n_resamples=1999, rng=4)
    # Reference: scipy.stats.bootstrap itself on the two samples' rows (in
    # the cells' order, by band), independent resampling, the same stream.
    rows_a, rows_b = np.sort(100 * _codes(np.array(A))), np.sort(100 * _codes(np.array(B)))
    reference = stats.bootstrap(
        (rows_a, rows_b),
        lambda x, y, axis=-1: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        n_resamples=1999,
        method=method,
        rng=np.random.default_rng(4),
    )
    interval = reference.confidence_interval
    assert tuple(ours.interval) == pytest.approx((interval.low, interval.high), abs=1e-9)
    assert ours.interval.standard_error == pytest.approx(reference.standard_error)
    assert ours.interval.bootstrap_distribution == pytest.approx(reference.bootstrap_distribution)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_scipy_and_count_engines_agree_within_monte_carlo_error(
    weighted: bool, method: str
) -> None:
    weights_a = np.resize([1.0, 2.0, 0.5, 1.5], len(A)) if weighted else None
    weights_b = np.resize([0.5, 1.0, 3.0], len(B)) if weighted else None
    a, b = lm.nps(A, weights=weights_a), lm.nps(B, weights=weights_b)
    options = {"method": method, "n_resamples": 2999, "rng": 8}
    count = lm.compare_nps(a, b, **options)
    scipy_engine = lm.compare_nps(a, b, engine="scipy", **options)
    se = scipy_engine.interval.standard_error
    assert se is not None
    assert scipy_engine.difference == count.difference
    assert se == pytest.approx(count.difference / count.statistic, rel=0.1)
    assert tuple(scipy_engine.interval) == pytest.approx(
        tuple(count.interval), abs=_bootstrap_tolerance(se)
    )
    # Test and interval: MC error on a p-value p is sqrt(p (1 - p) / B), < 0.01.
    assert scipy_engine.pvalue == pytest.approx(count.pvalue, abs=0.04)
    csat_weights = np.resize([1.0, 2.0], 80) if weighted else None
    csat_a = lm.csat(np.resize([5, 4, 2, 3, 5, 1], 80), weights=csat_weights)
    csat_b = lm.csat(np.resize([4, 4, 2, 3, 1, 1, 5], 90))
    csat_count = lm.compare_csat(csat_a, csat_b, **options)
    csat_scipy = lm.compare_csat(csat_a, csat_b, engine="scipy", **options)
    assert tuple(csat_scipy.interval) == pytest.approx(
        tuple(csat_count.interval), abs=_bootstrap_tolerance(csat_scipy.interval.standard_error)
    )
    ces_a, ces_b = lm.ces(np.resize([7, 5, 2, 6], 60)), lm.ces(np.resize([3, 5, 2, 6, 1], 70))
    ces_count = lm.compare_ces(ces_a, ces_b, **options)
    ces_scipy = lm.compare_ces(ces_a, ces_b, engine="scipy", **options)
    assert tuple(ces_scipy.interval) == pytest.approx(
        tuple(ces_count.interval), abs=_bootstrap_tolerance(ces_scipy.interval.standard_error)
    )


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_scipy_engine_pvalue_inverts_its_interval(method: str) -> None:
    # At confidence level 1 - p the interval has a limit at 0 (up to the
    # interpolation between neighbouring replicates: a fraction of a point).
    options = {"method": method, "n_resamples": 4999, "rng": 5, "engine": "scipy"}
    result = lm.compare_nps(A, B, **options)
    assert 0.0 < result.pvalue < 0.3
    at_p = lm.compare_nps(A, B, confidence_level=1 - result.pvalue, **options)
    assert at_p.interval.low == pytest.approx(0.0, abs=1.0)
    # A panel with a small change (seeded; p about 0.12 with the Wald test too).
    panel = np.random.default_rng(3)
    before = panel.integers(0, 11, 120)
    after = np.clip(before + panel.integers(-3, 4, 120) + (panel.random(120) < 0.15), 0, 10)
    paired = lm.compare_nps(after, before, paired=True, **options)
    assert 0.0 < paired.pvalue < 0.3
    paired_at_p = lm.compare_nps(
        after, before, paired=True, confidence_level=1 - paired.pvalue, **options
    )
    assert paired_at_p.interval.low == pytest.approx(0.0, abs=1.0)


def test_count_engine_comparison_carries_its_bootstrap_distribution() -> None:
    result = lm.compare_nps(A, B, method="percentile", n_resamples=999, rng=2)
    distribution = result.interval.bootstrap_distribution
    assert distribution.shape == (999,)
    # scipy's conventions: the SD (ddof=1) of the replicates, and the
    # percentile interval is their 2.5% and 97.5% quantiles.
    assert result.interval.standard_error == pytest.approx(np.std(distribution, ddof=1))
    assert tuple(result.interval) == pytest.approx(tuple(np.percentile(distribution, [2.5, 97.5])))
    assert result.statistic == pytest.approx(result.difference / result.interval.standard_error)
    # On the reporting scale (points) for shares, as the difference.
    csat = lm.compare_csat([5, 4, 1, 2, 5] * 9, [1, 2, 3, 4, 5, 5] * 8, method="percentile", rng=1)
    shares = csat.interval.bootstrap_distribution
    assert tuple(csat.interval) == pytest.approx(tuple(np.percentile(shares, [2.5, 97.5])))
    assert csat.interval.standard_error == pytest.approx(np.std(shares, ddof=1))
    assert np.mean(shares) == pytest.approx(csat.difference, abs=1.0)
