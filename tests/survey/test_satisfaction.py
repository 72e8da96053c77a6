"""CSAT and CES: point estimates, intervals, comparisons, properties, bad input.

References: statsmodels' ``proportion_confint`` and
``confint_proportions_2indep`` / ``test_proportions_2indep``; scipy's
``ttest_1samp`` and ``ttest_ind(equal_var=False)`` on the raw answers;
hand-worked numbers where shown.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels_names import STATSMODELS_NAME

import loyaltymetrics as lm

proportion = pytest.importorskip("statsmodels.stats.proportion")


# ---------------------------------------------------------------- examples


def test_csat_hand_worked() -> None:
    # Answers 5,4,4,3,5,2,4,5,1,4: counts of 1..5 = 1,1,1,4,3; satisfied (4-5)
    # = 7 of 10 -> CSAT 70; mean = (1+2+3+16+15)/10 = 3.7.
    result = lm.csat([5, 4, 4, 3, 5, 2, 4, 5, 1, 4])
    assert result.score == pytest.approx(70.0)
    assert result.satisfied_share == pytest.approx(0.7)
    assert result.mean == pytest.approx(3.7)
    assert result.n == 10
    assert result.counts == (1, 1, 1, 4, 3)
    assert result.scale == (1, 5)
    assert result.satisfied == (4, 5)
    # ci: statsmodels' proportion_confint(7, 10, method="wilson") = (0.396778, 0.892209).
    assert repr(result) == (
        "CSATResult(score=70.0, ci=[39.6778, 89.2209], n=10, mean=3.7, counts=(1, 1, 1, 4, 3), "
        "n_omitted=0)"
    )
    json.dumps(result.to_dict())


def test_csat_other_scales() -> None:
    # 0..10 scale, satisfied 9-10: answers 10, 9, 8, 0 -> 2 of 4 = 50.
    result = lm.csat([10, 9, 8, 0], scale=(0, 10), satisfied=(9, 10))
    assert result.score == 50.0
    assert len(result.counts) == 11
    assert result.mean == pytest.approx(27 / 4)
    # 1..7 with top-box only: 7, 7, 6, 1 -> 2 of 4.
    assert lm.csat([7, 7, 6, 1], scale=(1, 7), satisfied=(7, 7)).score == 50.0


def test_ces_hand_worked_and_original_version() -> None:
    # CES 2.0 answers 7,6,5,5,3,7,2,6: mean 41/8 = 5.125; agree (5-7) 6 of 8 = 75.
    result = lm.ces([7, 6, 5, 5, 3, 7, 2, 6])
    assert result.mean == pytest.approx(5.125)
    assert result.agree_share == pytest.approx(0.75)
    assert result.score == pytest.approx(75.0)
    assert result.counts == (0, 1, 1, 0, 2, 2, 2)
    assert (result.scale, result.agree, result.version) == ((1, 7), (5, 7), "2.0")
    assert result.higher_is_better
    # Original CES (Dixon, Freeman & Toman 2010): 1..5 effort, lower is better;
    # 1,2,2,4,1: mean 10/5 = 2; low effort (1-2) 4 of 5 = 80.
    original = lm.ces([1, 2, 2, 4, 1], version="original")
    assert (original.scale, original.agree) == ((1, 5), (1, 2))
    assert original.mean == pytest.approx(2.0)
    assert original.score == pytest.approx(80.0)
    assert not original.higher_is_better
    with pytest.raises(ValueError, match=r"`scores` must be integers in 1\.\.5; found 6"):
        lm.ces([1, 6], version="original")


# ------------------------------------------- intervals against references


@pytest.mark.parametrize("method", list(STATSMODELS_NAME))
def test_csat_interval_equals_statsmodels(method: str) -> None:
    for counts in ([5, 5, 10, 40, 40], [0, 0, 0, 3, 0], [9, 0, 0, 0, 0], [1, 2, 3, 4, 5]):
        result = lm.csat_from_counts(counts)
        successes, n = sum(counts[3:]), sum(counts)
        low, high = result.confidence_interval(0.9, method=method)
        ref_low, ref_high = proportion.proportion_confint(
            successes, n, alpha=0.1, method=STATSMODELS_NAME[method]
        )
        assert low == pytest.approx(100 * max(ref_low, 0.0), abs=1e-8)
        assert high == pytest.approx(100 * min(ref_high, 1.0), abs=1e-8)


def test_ces_intervals_equal_scipy_t_and_statsmodels_wilson() -> None:
    answers = [7, 6, 5, 5, 3, 7, 2, 6, 1, 4, 7, 7]
    result = lm.ces(answers)
    reference = stats.ttest_1samp(answers, 0.0).confidence_interval(0.95)
    low, high = result.confidence_interval()
    assert low == pytest.approx(reference.low, abs=1e-10)
    assert high == pytest.approx(reference.high, abs=1e-10)
    low, high = result.confidence_interval(of="agree_share")
    ref_low, ref_high = proportion.proportion_confint(8, 12, method="wilson")
    assert (low, high) == pytest.approx((100 * ref_low, 100 * ref_high), abs=1e-8)


def test_weighted_intervals() -> None:
    answers = np.array([5, 4, 2, 5, 3, 4, 1, 5])
    weights = np.array([1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 1.0, 0.5])
    result = lm.csat(answers, weights=weights)
    share = weights[answers >= 4].sum() / weights.sum()
    n_eff = weights.sum() ** 2 / (weights**2).sum()  # Kish's effective sample size
    assert result.satisfied_share == pytest.approx(share)
    assert result.weight_total == pytest.approx(weights.sum())
    assert result.n == len(answers)
    assert result.effective_n == pytest.approx(n_eff)
    ref_low, ref_high = proportion.proportion_confint(share * n_eff, n_eff, method="wilson")
    low, high = result.confidence_interval()
    assert (low, high) == pytest.approx((100 * ref_low, 100 * ref_high), abs=1e-8)
    # Unit weights give exactly the unweighted intervals.
    plain = lm.ces(answers, scale=(1, 5), agree=(4, 5))
    unit = lm.ces(answers, scale=(1, 5), agree=(4, 5), weights=np.ones(answers.size))
    assert tuple(unit.confidence_interval()) == pytest.approx(tuple(plain.confidence_interval()))


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate() -> None:
    result = lm.csat_from_counts([5, 5, 10, 40, 40])
    first = result.confidence_interval(method="bca", n_resamples=999, rng=3)
    again = result.confidence_interval(method="bca", n_resamples=999, rng=3)
    assert tuple(first) == tuple(again)
    assert first.low <= result.score <= first.high
    ces_result = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
    for method in ("percentile", "basic", "bca"):
        low, high = ces_result.confidence_interval(method=method, n_resamples=999, rng=4)
        assert low <= ces_result.mean <= high


# ----------------------------------------------------------- comparisons


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_compare_csat_equals_statsmodels(alternative: str) -> None:
    a, b = [5, 7, 18, 40, 30], [8, 10, 22, 35, 25]
    comparison = lm.compare_csat(
        lm.csat_from_counts(a), lm.csat_from_counts(b), alternative=alternative
    )
    assert isinstance(comparison, lm.CSATComparison)
    assert comparison.difference == pytest.approx(10.0)
    alpha = 0.05 if alternative == "two-sided" else 0.1
    ref_low, ref_high = proportion.confint_proportions_2indep(
        70, 100, 60, 100, method="newcomb", compare="diff", alpha=alpha
    )
    low, high = comparison.confidence_interval()
    # The open side of a one-sided interval is the bound of the score range.
    assert low == pytest.approx(-100.0 if alternative == "less" else 100 * ref_low, abs=1e-8)
    assert high == pytest.approx(100.0 if alternative == "greater" else 100 * ref_high, abs=1e-8)
    test = proportion.test_proportions_2indep(
        70,
        100,
        60,
        100,
        method="score",
        correction=False,
        alternative={"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative],
    )
    assert comparison.statistic == pytest.approx(test.statistic, rel=1e-10)
    assert comparison.pvalue == pytest.approx(test.pvalue, rel=1e-10)
    assert (comparison.method, comparison.alternative) == ("newcombe", alternative)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_compare_ces_equals_scipy_welch(alternative: str) -> None:
    a = [7, 6, 5, 5, 3, 7, 2, 6, 1, 4, 7, 7]
    b = [4, 5, 3, 3, 6, 2, 1, 5, 4]
    comparison = lm.compare_ces(a, b, alternative=alternative)
    reference = stats.ttest_ind(a, b, equal_var=False, alternative=alternative)
    ci = reference.confidence_interval(0.95)
    assert comparison.difference == pytest.approx(np.mean(a) - np.mean(b))
    assert comparison.statistic == pytest.approx(reference.statistic, rel=1e-10)
    assert comparison.pvalue == pytest.approx(reference.pvalue, rel=1e-10)
    # scipy's open side is infinite; ours is the widest possible difference, 6.
    assert comparison.confidence_interval().low == pytest.approx(max(ci.low, -6.0), abs=1e-10)
    assert comparison.confidence_interval().high == pytest.approx(min(ci.high, 6.0), abs=1e-10)
    assert (comparison.method, comparison.of) == ("welch", "mean")


def test_compare_ces_agree_share_and_bootstrap() -> None:
    a = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
    b = lm.ces_from_counts([4, 6, 10, 15, 25, 25, 15])
    shares = lm.compare_ces(a, b, of="agree_share")
    ref_low, ref_high = proportion.confint_proportions_2indep(
        80, 100, 65, 100, method="newcomb", compare="diff"
    )
    assert shares.difference == pytest.approx(15.0)
    assert tuple(shares.confidence_interval()) == pytest.approx(
        (100 * ref_low, 100 * ref_high), abs=1e-8
    )
    assert (shares.method, shares.of) == ("newcombe", "agree_share")
    first = lm.compare_ces(a, b, method="bca", n_resamples=999, rng=5)
    second = lm.compare_ces(a, b, method="bca", n_resamples=999, rng=5)
    assert first == second
    assert first.confidence_interval().low < first.difference < first.confidence_interval().high
    boot_share = lm.compare_csat(
        lm.csat_from_counts([1, 2, 3, 4, 5]),
        lm.csat_from_counts([5, 4, 3, 2, 1]),
        method="percentile",
        n_resamples=999,
        rng=6,
    )
    assert boot_share.confidence_interval().low < boot_share.difference
    assert boot_share.difference < boot_share.confidence_interval().high


def test_compare_raw_equals_results_and_errors_name_the_argument() -> None:
    a, b = [5, 4, 4, 3, 5, 2], [1, 2, 5, 4, 3, 3, 2]
    assert lm.compare_csat(a, b) == lm.compare_csat(lm.csat(a), lm.csat(b))
    assert lm.compare_ces(a, b, scale=(1, 5), agree=(4, 5)) == lm.compare_ces(
        lm.ces(a, scale=(1, 5), agree=(4, 5)), lm.ces(b, scale=(1, 5), agree=(4, 5))
    )
    with pytest.raises(ValueError, match=r"`b` must be integers in 1\.\.5; found 6"):
        lm.compare_csat(a, [6])
    with pytest.raises(ValueError, match="`a` and `b` must have the same scale"):
        lm.compare_csat(lm.csat(a), lm.csat([7, 1], scale=(1, 7)))
    with pytest.raises(ValueError, match="`a` and `b` must have the same version"):
        lm.compare_ces(lm.ces([1, 5]), lm.ces([1, 5], version="original"))
    with pytest.raises(ValueError, match=r"`satisfied` is \(5, 5\) but the samples"):
        lm.compare_csat(lm.csat(a), lm.csat(b), satisfied=(5, 5))
    with pytest.raises(ValueError, match="`method` must be one of"):
        lm.compare_ces(a, b, method="newcombe")
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        lm.compare_csat(a, b, alternative="bigger")
    with pytest.raises(ValueError, match=r"`confidence_level` must exceed 0\.5"):
        lm.compare_csat(a, b, alternative="less", confidence_level=0.4)


def test_missing_values_propagate_to_nan_results() -> None:
    result = lm.csat([5, 4, float("nan")], nan_policy="propagate")
    assert np.isnan(result.score)
    assert np.isnan(result.mean)
    assert result.counts == (0, 0, 0, 1, 1)
    assert np.isnan(list(result.confidence_interval())).all()
    comparison = lm.compare_csat(result, lm.csat([5, 1]))
    assert np.isnan(comparison.difference)
    assert np.isnan(comparison.pvalue)
    omitted = lm.ces([7, None, 5], nan_policy="omit")
    assert (omitted.n, omitted.n_omitted, omitted.mean) == (2, 1, 6.0)
    propagated = lm.ces([7, None, 5], nan_policy="propagate")
    assert np.isnan(list(propagated.confidence_interval(of="agree_share"))).all()
    assert np.isnan(lm.compare_ces(propagated, omitted).statistic)


def test_degenerate_samples() -> None:
    # One answer: the t interval is undefined (NaN). The Wilson interval of
    # 1/1 is (1/(1+z^2), 1): centre (1 + z^2/2)/(1 + z^2), half-width
    # z sqrt(z^2/4)/(1 + z^2) = (z^2/2)/(1 + z^2); at 95% 1/(1+z^2) = 0.2065.
    one = lm.ces([6])
    assert np.isnan(list(one.confidence_interval())).all()
    low, high = lm.csat([5]).confidence_interval()
    z2 = stats.norm.ppf(0.975) ** 2
    assert (low, high) == pytest.approx((100 / (1 + z2), 100.0))
    # All answers equal: t interval collapses to the mean, no warnings.
    assert tuple(lm.ces([6, 6, 6]).confidence_interval()) == (6.0, 6.0)


# ------------------------------------------------------------ properties

scales = st.sampled_from([(1, 5), (1, 7), (1, 10), (0, 10)])


@st.composite
def answers_on_a_scale(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int], list[int]]:
    scale = draw(scales)
    first = draw(st.integers(scale[0], scale[1]))
    last = draw(st.integers(first, scale[1]))
    values = draw(st.lists(st.integers(scale[0], scale[1]), min_size=1, max_size=60))
    return scale, (first, last), values


@given(answers_on_a_scale())
def test_raw_path_equals_counts_path(
    case: tuple[tuple[int, int], tuple[int, int], list[int]],
) -> None:
    scale, band, values = case
    counts = np.bincount(np.array(values) - scale[0], minlength=scale[1] - scale[0] + 1)
    raw = lm.csat(values, scale=scale, satisfied=band)
    from_counts = lm.csat_from_counts(counts, scale=scale, satisfied=band)
    assert raw == from_counts
    assert tuple(raw.confidence_interval(method="jeffreys")) == tuple(
        from_counts.confidence_interval(method="jeffreys")
    )
    raw_ces = lm.ces(values, scale=scale, agree=band)
    counts_ces = lm.ces_from_counts(counts, scale=scale, agree=band)
    assert raw_ces == counts_ces
    np.testing.assert_array_equal(
        list(raw_ces.confidence_interval()), list(counts_ces.confidence_interval())
    )


@given(answers_on_a_scale(), st.randoms(use_true_random=False))
def test_bounds_and_permutation_invariance(
    case: tuple[tuple[int, int], tuple[int, int], list[int]], random: object
) -> None:
    scale, band, values = case
    result = lm.csat(values, scale=scale, satisfied=band)
    assert 0.0 <= result.score <= 100.0
    assert scale[0] <= result.mean <= scale[1]
    assert sum(result.counts) == result.n == len(values)
    for method in STATSMODELS_NAME:
        low, high = result.confidence_interval(method=method)
        assert 0.0 <= low <= high <= 100.0
        if method == "jeffreys" and result.score in (0.0, 100.0):
            # The Jeffreys interval (as statsmodels computes it) excludes a
            # share of exactly 0 or 1; see the CSATResult.confidence_interval notes.
            assert low > 0.0 or high < 100.0
        else:
            assert low <= result.score + 1e-9
            assert result.score - 1e-9 <= high
    ces_result = lm.ces(values, scale=scale, agree=band)
    low, high = ces_result.confidence_interval()
    if len(values) > 1:
        assert low <= ces_result.mean <= high
    shuffled = list(values)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert lm.csat(shuffled, scale=scale, satisfied=band) == result
    assert lm.ces(shuffled, scale=scale, agree=band) == ces_result
    assert tuple(lm.ces(shuffled, scale=scale, agree=band).confidence_interval()) == (
        pytest.approx(tuple(ces_result.confidence_interval()), nan_ok=True, rel=1e-12)
    )


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 4)), min_size=1, max_size=30))
def test_integer_weights_are_repetition(rows: list[tuple[int, int]]) -> None:
    values = [value for value, _ in rows]
    weights = [weight for _, weight in rows]
    repeated = [value for value, weight in rows for _ in range(weight)]
    weighted = lm.csat(values, weights=weights)
    plain = lm.csat(repeated)
    assert weighted.score == pytest.approx(plain.score)
    assert weighted.mean == pytest.approx(plain.mean)
    assert weighted.weight_total == pytest.approx(plain.n)
    assert weighted.n == len(values)
    assert weighted.counts == pytest.approx(plain.counts)
    weighted_ces = lm.ces(values, weights=weights, scale=(1, 5), agree=(4, 5))
    plain_ces = lm.ces(repeated, scale=(1, 5), agree=(4, 5))
    assert weighted_ces.mean == pytest.approx(plain_ces.mean)
    assert weighted_ces.agree_share == pytest.approx(plain_ces.agree_share)


# -------------------------------------------------------------- bad input


def test_bad_scores() -> None:
    with pytest.raises(
        ValueError, match=r"`scores` must be integers in 1\.\.5; found 6 at position 2"
    ):
        lm.csat([5, 4, 6])
    with pytest.raises(ValueError, match=r"`scores` must be integers in 1\.\.5; found 0"):
        lm.csat([0, 4])
    with pytest.raises(ValueError, match=r"found 4\.5 at position 1"):
        lm.csat([5.0, 4.5])
    with pytest.raises(ValueError, match=r"`scores` must be integers in 1\.\.7; found 8"):
        lm.ces([8])
    with pytest.raises(TypeError, match="`scores` must be numeric"):
        lm.ces(["7", "6"])
    with pytest.raises(ValueError, match="contains missing values"):
        lm.csat([5, None])
    with pytest.raises(ValueError, match="at least one response"):
        lm.csat([])


def test_bad_scales_and_ranges() -> None:
    with pytest.raises(ValueError, match=r"`satisfied` must lie inside the scale 1\.\.5"):
        lm.csat([5], satisfied=(4, 6))
    with pytest.raises(ValueError, match=r"`agree` must lie inside the scale 1\.\.7"):
        lm.ces([5], agree=(0, 2))
    with pytest.raises(ValueError, match=r"`satisfied` must be \(first, last\).*reversed"):
        lm.csat([5], satisfied=(5, 4))
    with pytest.raises(ValueError, match=r"`agree` must be a pair.*got 0 values"):
        lm.ces([5], agree=())
    with pytest.raises(ValueError, match=r"`scale` must be \(low, high\) with low < high"):
        lm.csat([5], scale=(5, 1))
    with pytest.raises(ValueError, match="low < high"):
        lm.ces_from_counts([3], scale=(4, 4))
    with pytest.raises(ValueError, match="pair of integers"):
        lm.csat([5], satisfied=(4.5, 5))
    with pytest.raises(TypeError, match="`scale` must be a pair of integers"):
        lm.ces([5], scale="1-7")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`version` must be one of"):
        lm.ces([5], version="3")


def test_bad_counts_and_interval_options() -> None:
    with pytest.raises(ValueError, match=r"one count per scale point \(5\); got 4"):
        lm.csat_from_counts([1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"found -1\.0 at position 0"):
        lm.ces_from_counts([-1, 0, 0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="must not all be zero"):
        lm.csat_from_counts([0, 0, 0, 0, 0])
    result = lm.csat_from_counts([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="`method` must be one of"):
        result.confidence_interval(method="t")
    with pytest.raises(ValueError, match="`confidence_level` must be strictly between"):
        result.confidence_interval(1.5)
    with pytest.raises(ValueError, match="`n_resamples` must be at least 2"):
        result.confidence_interval(method="bca", n_resamples=1)
    ces_result = lm.ces_from_counts([1, 2, 3, 4, 5, 6, 7])
    with pytest.raises(ValueError, match="`method` must be one of"):
        ces_result.confidence_interval(method="wilson")
    with pytest.raises(ValueError, match="`of` must be one of"):
        ces_result.confidence_interval(of="median")
    with pytest.raises(TypeError, match="`rng` must be"):
        ces_result.confidence_interval(method="bca", rng="seed")


@given(answers_on_a_scale(), answers_on_a_scale())
def test_splitting_and_merging_samples(
    first: tuple[tuple[int, int], tuple[int, int], list[int]],
    second: tuple[tuple[int, int], tuple[int, int], list[int]],
) -> None:
    scale, band, values = first
    others = [min(max(v, scale[0]), scale[1]) for v in second[2]]
    merged = lm.csat(values + others, scale=scale, satisfied=band)
    parts = [lm.csat(part, scale=scale, satisfied=band) for part in (values, others)]
    summed = np.add(parts[0].counts, parts[1].counts)
    assert lm.csat_from_counts(summed, scale=scale, satisfied=band) == merged
    # The comparison of raw samples equals that of their results, both ways round.
    forward = lm.compare_ces(values, others, scale=scale, agree=band)
    from_results = lm.compare_ces(
        lm.ces(values, scale=scale, agree=band), lm.ces(others, scale=scale, agree=band)
    )
    # assert_equal treats NaN as equal to NaN (one-answer samples have no t test).
    np.testing.assert_equal(forward.to_dict(), from_results.to_dict())
    backward = lm.compare_ces(others, values, scale=scale, agree=band)
    assert backward.difference == pytest.approx(-forward.difference, abs=1e-12)
    if np.isfinite(forward.pvalue):
        assert backward.pvalue == pytest.approx(forward.pvalue, rel=1e-9, abs=1e-15)


def test_unit_weights_leave_comparisons_unchanged() -> None:
    a, b = [5, 4, 4, 3, 5, 2, 1], [1, 2, 5, 4, 3, 3, 2, 5]
    for compare, build in ((lm.compare_csat, lm.csat), (lm.compare_ces, lm.ces)):
        plain = compare(a, b)  # type: ignore[operator]
        weighted = compare(  # type: ignore[operator]
            build(a, weights=np.ones(len(a))), build(b, weights=np.ones(len(b)))
        )
        assert weighted.difference == pytest.approx(plain.difference, abs=1e-12)
        assert tuple(weighted.confidence_interval()) == pytest.approx(
            tuple(plain.confidence_interval()), abs=1e-9
        )
        assert weighted.pvalue == pytest.approx(plain.pvalue, rel=1e-9)
