"""Batch inference on rating-scale counts, against independent references.

References: statsmodels' ``proportion_confint``, ``confint_proportions_2indep``
and ``test_proportions_2indep``; scipy's ``ttest_1samp`` and ``ttest_ind`` on
the raw rows; Newcombe (1998), Table II; statsmodels' WLS with HC1 standard
errors for the linearised variance of a weighted mean; ``scipy.stats.bootstrap``
on the raw rows for the bootstrap methods.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels_names import STATSMODELS_NAME

from loyaltymetrics._engine._cells import cell_table
from loyaltymetrics._engine._intervals import PROPORTION_METHODS
from loyaltymetrics._survey._scale_inference import (
    mean_difference,
    mean_interval,
    share_difference,
    share_interval,
)

proportion = pytest.importorskip("statsmodels.stats.proportion")
sm = pytest.importorskip("statsmodels.api")


# Five-point counts (scale 1..5) for four segments; the last is all "5".
BATCH = np.array([[3, 5, 10, 22, 10], [0, 1, 2, 3, 4], [12, 0, 0, 0, 1], [0, 0, 0, 0, 9]])


def rows(counts: np.ndarray, low: int = 1) -> np.ndarray:
    return np.repeat(np.arange(low, low + len(counts)), counts).astype(float)


@pytest.mark.parametrize("method", PROPORTION_METHODS)
@pytest.mark.parametrize("confidence_level", [0.9, 0.95])
def test_share_interval_equals_statsmodels(method: str, confidence_level: float) -> None:
    share, low, high = share_interval(
        cell_table(BATCH, None, None),
        in_range=(3, 4),
        confidence_level=confidence_level,
        method=method,  # type: ignore[arg-type]
    )
    successes = BATCH[:, 3:].sum(axis=1)
    n = BATCH.sum(axis=1)
    ref_low, ref_high = proportion.proportion_confint(
        successes, n, alpha=1 - confidence_level, method=STATSMODELS_NAME[method]
    )
    np.testing.assert_allclose(share, successes / n, rtol=0, atol=1e-15)
    np.testing.assert_allclose(low, np.clip(ref_low, 0, 1), rtol=0, atol=1e-10)
    np.testing.assert_allclose(high, np.clip(ref_high, 0, 1), rtol=0, atol=1e-10)


def test_weighted_share_uses_kish_effective_n() -> None:
    # Rows (score index, weight), tallied by hand into distinct cells below.
    points = np.array([0, 3, 3, 4, 4, 4, 2, 3])
    weights = np.array([1.0, 2.0, 2.0, 0.5, 0.5, 1.5, 3.0, 1.0])
    share_rows = weights[points >= 3].sum() / weights.sum()
    n_eff = weights.sum() ** 2 / (weights**2).sum()  # Kish (1965)
    cell_point = np.array([0, 2, 3, 3, 4, 4])
    cell_weight = np.array([1.0, 3.0, 1.0, 2.0, 0.5, 1.5])
    cell_count = np.array([1, 1, 1, 2, 2, 1])
    for method in PROPORTION_METHODS:
        share, low, high = share_interval(
            cell_table(cell_count, cell_point, cell_weight),
            in_range=(3, 4),
            confidence_level=0.95,
            method=method,
        )
        ref_low, ref_high = proportion.proportion_confint(
            share_rows * n_eff, n_eff, alpha=0.05, method=STATSMODELS_NAME[method]
        )
        assert float(share) == pytest.approx(share_rows, abs=1e-15)
        assert float(low) == pytest.approx(max(ref_low, 0.0), abs=1e-10)
        assert float(high) == pytest.approx(min(ref_high, 1.0), abs=1e-10)


def test_t_interval_equals_scipy_on_rows() -> None:
    mean, low, high = mean_interval(
        cell_table(BATCH, None, None), offset=1, confidence_level=0.9, method="t"
    )
    for index, counts in enumerate(BATCH[:3]):
        reference = stats.ttest_1samp(rows(counts), 0.0).confidence_interval(0.9)
        assert float(mean[index]) == pytest.approx(rows(counts).mean(), abs=1e-13)
        assert float(low[index]) == pytest.approx(reference.low, abs=1e-10)
        assert float(high[index]) == pytest.approx(reference.high, abs=1e-10)
    # No spread (every answer 5): the t interval collapses to the mean.
    assert (float(low[3]), float(high[3])) == (5.0, 5.0)


def test_weighted_t_interval_uses_the_linearised_variance() -> None:
    values = np.array([1.0, 2.0, 2.0, 5.0, 4.0, 4.0, 3.0])
    weights = np.array([0.5, 1.0, 1.0, 2.0, 1.0, 3.0, 1.5])
    # Independent reference: the HC1 sandwich standard error of the intercept of
    # a weighted least-squares fit on a constant is the linearised standard
    # error of the weighted mean, n/(n-1) * sum(w^2 e^2) / (sum w)^2.
    fit = sm.WLS(values, np.ones_like(values), weights=weights).fit(cov_type="HC1")
    t = stats.t.ppf(0.975, values.size - 1)
    mean, low, high = mean_interval(
        cell_table(np.ones(values.size, dtype=int), (values - 1).astype(int), weights),
        offset=1,
        confidence_level=0.95,
        method="t",
    )
    assert float(mean) == pytest.approx(fit.params[0], abs=1e-13)
    assert float(low) == pytest.approx(fit.params[0] - t * fit.bse[0], abs=1e-10)
    assert float(high) == pytest.approx(fit.params[0] + t * fit.bse[0], abs=1e-10)


def test_unit_weights_reduce_to_unweighted() -> None:
    counts = BATCH[0]
    for function, kwargs in (
        (share_interval, {"in_range": (3, 4), "method": "wilson"}),
        (mean_interval, {"offset": 1, "method": "t"}),
    ):
        plain = function(cell_table(counts, None, None), confidence_level=0.95, **kwargs)  # type: ignore[operator]
        weighted = function(  # type: ignore[operator]
            cell_table(counts, np.arange(5), np.ones(5)), confidence_level=0.95, **kwargs
        )
        np.testing.assert_allclose(plain, weighted, rtol=1e-13)


# Newcombe (1998), "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Statistics in Medicine 17,
# 873-890, Table II, method 10 (hybrid score), 95%: (a, m, b, n, low, high).
NEWCOMBE_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


def two_point_counts(successes: int, n: int) -> np.ndarray:
    """Counts on a two-point scale: index 1 is a success."""
    return np.array([n - successes, successes])


@pytest.mark.parametrize(("a", "m", "b", "n", "low", "high"), NEWCOMBE_TABLE_II)
def test_newcombe_matches_the_published_table(
    a: int, m: int, b: int, n: int, low: float, high: float
) -> None:
    _, ours_low, ours_high, _, _ = share_difference(
        cell_table(two_point_counts(a, m), None, None),
        cell_table(two_point_counts(b, n), None, None),
        in_range=(1, 1),
        confidence_level=0.95,
        method="newcombe",
    )
    assert float(ours_low) == pytest.approx(low, abs=5e-5)
    assert float(ours_high) == pytest.approx(high, abs=5e-5)


def test_newcombe_hand_worked() -> None:
    # 6/7 vs 2/7 at 95% (z = 1.959964, z^2 = 3.841459), worked by hand:
    # Wilson 6/7: centre (6 + z^2/2) / (7 + z^2) = 0.730596,
    #   half z sqrt(7 (6/7)(1/7) + z^2/4) / (7 + z^2) = 0.243724 -> (0.486872, 0.974320)
    # Wilson 2/7: centre 0.361642, half 0.279423 -> (0.082219, 0.641066)
    # low  = 4/7 - sqrt((6/7 - 0.486872)^2 + (0.641066 - 2/7)^2) = 0.058228
    # high = 4/7 + sqrt((0.974320 - 6/7)^2 + (2/7 - 0.082219)^2) = 0.806250
    difference, low, high, _, _ = share_difference(
        cell_table(two_point_counts(6, 7), None, None),
        cell_table(two_point_counts(2, 7), None, None),
        in_range=(1, 1),
        confidence_level=0.95,
        method="newcombe",
    )
    assert float(difference) == pytest.approx(4 / 7, abs=1e-15)
    # Intermediate values above are rounded to 6 decimals: allow 1e-5.
    assert float(low) == pytest.approx(0.058228, abs=1e-5)
    assert float(high) == pytest.approx(0.806250, abs=1e-5)


def clip_finite(limit: float) -> float:
    return limit if np.isinf(limit) else float(np.clip(limit, -1.0, 1.0))


@pytest.mark.parametrize("method", ["newcombe", "wald"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_share_difference_equals_statsmodels(method: str, alternative: str) -> None:
    a = np.array([[10, 25, 40], [3, 3, 4], [0, 0, 12], [7, 1, 2]])
    b = np.array([[15, 30, 25], [1, 2, 9], [0, 0, 15], [0, 0, 5]])
    in_a, in_b = a[:, 1:].sum(axis=1), b[:, 1:].sum(axis=1)
    n_a, n_b = a.sum(axis=1), b.sum(axis=1)
    difference, low, high, statistic, pvalue = share_difference(
        cell_table(a, None, None),
        cell_table(b, None, None),
        in_range=(1, 2),
        confidence_level=0.9,
        method=method,  # type: ignore[arg-type]
        alternative=alternative,  # type: ignore[arg-type]
    )
    name = {"newcombe": "newcomb", "wald": "wald"}[method]
    # A one-sided 90% limit is a limit of the two-sided 80% interval.
    alpha = 0.1 if alternative == "two-sided" else 0.2
    test_method = {"newcombe": "score", "wald": "wald"}[method]
    for i in range(len(a)):
        ref_low, ref_high = proportion.confint_proportions_2indep(
            in_a[i], n_a[i], in_b[i], n_b[i], method=name, compare="diff", alpha=alpha
        )
        if alternative == "greater":
            ref_high = np.inf
        if alternative == "less":
            ref_low = -np.inf
        assert float(difference[i]) == pytest.approx(in_a[i] / n_a[i] - in_b[i] / n_b[i])
        # statsmodels does not clip the Wald interval to [-1, 1]; we do.
        assert float(low[i]) == pytest.approx(clip_finite(ref_low), abs=1e-10)
        assert float(high[i]) == pytest.approx(clip_finite(ref_high), abs=1e-10)
        if in_a[i] + in_b[i] in (0, n_a[i] + n_b[i]):
            # Both samples entirely in (row 2): no spread and no difference, so
            # z = 0 and its normal p-value (1 two-sided, 0.5 one-sided).
            expected_p = 1.0 if alternative == "two-sided" else 0.5
            assert (float(statistic[i]), float(pvalue[i])) == (0.0, expected_p)
            continue
        with warnings.catch_warnings():
            # statsmodels divides by a zero variance for the Wald test of row 3.
            warnings.simplefilter("ignore", RuntimeWarning)
            reference = proportion.test_proportions_2indep(
                in_a[i],
                n_a[i],
                in_b[i],
                n_b[i],
                method=test_method,
                correction=False,
                alternative={"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[
                    alternative
                ],
            )
        assert float(statistic[i]) == pytest.approx(reference.statistic, rel=1e-10)
        assert float(pvalue[i]) == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)


def test_pooled_score_test_equals_chi_square() -> None:
    # The pooled two-proportion z test is the Pearson chi-square test of the
    # 2x2 table without continuity correction: z^2 = chi2 and equal p-values.
    table = np.array([[56, 14], [48, 32]])
    _, _, _, statistic, pvalue = share_difference(
        cell_table(table[0, ::-1], None, None),
        cell_table(table[1, ::-1], None, None),
        in_range=(0, 0),
        confidence_level=0.95,
        method="newcombe",
    )
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert float(statistic) ** 2 == pytest.approx(chi2, rel=1e-12)
    assert float(pvalue) == pytest.approx(p, rel=1e-10)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_welch_equals_scipy(alternative: str) -> None:
    a = np.array([[3, 5, 10, 22, 10], [0, 1, 2, 3, 4]])
    b = np.array([[6, 9, 12, 15, 8], [2, 2, 0, 1, 0]])
    difference, low, high, statistic, pvalue = mean_difference(
        cell_table(a, None, None),
        cell_table(b, None, None),
        offset=1,
        confidence_level=0.95,
        method="welch",
        alternative=alternative,  # type: ignore[arg-type]
    )
    for i in range(2):
        reference = stats.ttest_ind(
            rows(a[i]), rows(b[i]), equal_var=False, alternative=alternative
        )
        ci = reference.confidence_interval(0.95)
        assert float(difference[i]) == pytest.approx(rows(a[i]).mean() - rows(b[i]).mean())
        assert float(statistic[i]) == pytest.approx(reference.statistic, rel=1e-10)
        assert float(pvalue[i]) == pytest.approx(reference.pvalue, rel=1e-9)
        assert float(low[i]) == pytest.approx(ci.low, abs=1e-10)
        assert float(high[i]) == pytest.approx(ci.high, abs=1e-10)


def test_welch_degenerate_cases() -> None:
    # No spread in either sample: the interval is the difference and the test
    # is decided by the sign of the difference.
    same = mean_difference(
        cell_table([0, 4], None, None),
        cell_table([0, 4], None, None),
        confidence_level=0.95,
        method="welch",
    )
    assert [float(x) for x in same] == [0.0, 0.0, 0.0, 0.0, 1.0]
    apart = mean_difference(
        cell_table([0, 4], None, None),
        cell_table([4, 0], None, None),
        confidence_level=0.95,
        method="welch",
    )
    assert [float(x) for x in apart] == [1.0, 1.0, 1.0, np.inf, 0.0]
    # One respondent: no variance estimate, so NaN (not a warning).
    one = mean_difference(
        cell_table([1, 0], None, None),
        cell_table([2, 3], None, None),
        confidence_level=0.95,
        method="welch",
    )
    assert float(one[0]) == pytest.approx(-0.6)
    assert np.isnan([float(x) for x in one[1:]]).all()


def test_empty_batch_elements_are_nan_without_warnings() -> None:
    counts = np.array([[0, 0, 0], [2, 3, 4]])
    for method in ("wilson", "exact", "bca"):
        share, low, high = share_interval(
            cell_table(counts, None, None),
            in_range=(2, 2),
            confidence_level=0.95,
            method=method,  # type: ignore[arg-type]
            n_resamples=199,
            rng=np.random.default_rng(0),
        )
        assert np.isnan([share[0], low[0], high[0]]).all()
        assert float(low[1]) < 4 / 9 < float(high[1])
    for method in ("t", "percentile"):
        mean, low, high = mean_interval(
            cell_table(counts, None, None),
            confidence_level=0.95,
            method=method,  # type: ignore[arg-type]
            n_resamples=199,
            rng=np.random.default_rng(0),
        )
        assert np.isnan([mean[0], low[0], high[0]]).all()
    outputs = share_difference(
        cell_table(counts, None, None),
        cell_table(counts[::-1], None, None),
        in_range=(2, 2),
        confidence_level=0.95,
        method="newcombe",
    )
    assert all(np.isnan(output).all() for output in outputs)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_share_and_mean_bootstrap_agree_with_scipy_on_rows(method: str) -> None:
    counts = np.array([4, 6, 9, 14, 7])
    raw = rows(counts)
    reference_mean = stats.bootstrap(
        (raw,), np.mean, method=method, n_resamples=9999, rng=np.random.default_rng(1)
    )
    reference_share = stats.bootstrap(
        ((raw >= 4).astype(float),),
        np.mean,
        method=method,
        n_resamples=9999,
        rng=np.random.default_rng(2),
    )
    _, low, high = mean_interval(
        cell_table(counts, None, None),
        offset=1,
        confidence_level=0.95,
        method=method,
        rng=np.random.default_rng(3),  # type: ignore[arg-type]
    )
    # n = 40, sd ~ 1.2: SE of the mean ~ 0.19; the MC sd of a 2.5% quantile
    # with 9999 resamples is ~ 0.006, so 0.05 is over 5 MC sd of a difference.
    assert float(low) == pytest.approx(reference_mean.confidence_interval.low, abs=0.05)
    assert float(high) == pytest.approx(reference_mean.confidence_interval.high, abs=0.05)
    _, low, high = share_interval(
        cell_table(counts, None, None),
        in_range=(3, 4),
        confidence_level=0.95,
        method=method,
        rng=np.random.default_rng(4),  # type: ignore[arg-type]
    )
    # Share SE ~ 0.08 with lattice steps of 1/40 = 0.025: allow one step.
    assert float(low) == pytest.approx(reference_share.confidence_interval.low, abs=0.026)
    assert float(high) == pytest.approx(reference_share.confidence_interval.high, abs=0.026)


def test_weighted_bootstrap_resamples_rows() -> None:
    # Rows (score, weight) resampled in pairs by scipy; cells by us.
    values = np.array([1, 2, 2, 3, 4, 4, 5, 5, 5, 3, 1, 4] * 3)
    weights = np.array([1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 1.0, 0.5, 2.0, 1.0, 2.0, 1.0] * 3)
    reference = stats.bootstrap(
        (values, weights),
        lambda x, w, axis: (x * w).sum(axis=axis) / w.sum(axis=axis),
        paired=True,
        method="percentile",
        n_resamples=9999,
        rng=np.random.default_rng(5),
    )
    cells = {}
    for value, weight in zip(values, weights, strict=True):
        cells[(value, weight)] = cells.get((value, weight), 0) + 1
    point = np.array([key[0] - 1 for key in cells])
    weight = np.array([key[1] for key in cells])
    count = np.array(list(cells.values()))
    mean, low, high = mean_interval(
        cell_table(count, point, weight),
        offset=1,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(6),
    )
    assert float(mean) == pytest.approx(np.average(values, weights=weights), abs=1e-13)
    # SE of the weighted mean ~ 0.22 (reference.standard_error); MC sd of the
    # 2.5% quantile ~ 0.01; 0.06 is about 4 sd of a difference of two runs.
    assert float(low) == pytest.approx(reference.confidence_interval.low, abs=0.06)
    assert float(high) == pytest.approx(reference.confidence_interval.high, abs=0.06)


def test_bootstrap_differences_agree_with_scipy_and_batch_broadcasts() -> None:
    a = np.array([[4, 6, 9, 14, 7], [1, 1, 2, 2, 4]])
    b = np.array([[8, 8, 10, 10, 4], [3, 2, 2, 1, 1]])
    difference, low, high, statistic, pvalue = mean_difference(
        cell_table(a, None, None),
        cell_table(b, None, None),
        offset=1,
        confidence_level=0.95,
        method="bca",
        n_resamples=9999,
        rng=np.random.default_rng(7),
    )
    share_d, share_low, share_high, _, _ = share_difference(
        cell_table(a, None, None),
        cell_table(b, None, None),
        in_range=(3, 4),
        confidence_level=0.95,
        method="percentile",
        n_resamples=9999,
        rng=np.random.default_rng(8),
    )
    reference = stats.bootstrap(
        (rows(a[0]), rows(b[0])),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        method="BCa",
        n_resamples=9999,
        rng=np.random.default_rng(9),
    )
    # SE of the difference ~ 0.27; 0.07 is > 4 MC sd of a difference of two runs.
    assert float(low[0]) == pytest.approx(reference.confidence_interval.low, abs=0.07)
    assert float(high[0]) == pytest.approx(reference.confidence_interval.high, abs=0.07)
    assert float(statistic[0]) == pytest.approx(
        float(difference[0]) / reference.standard_error, rel=0.05
    )
    # The p-value inverts the interval: with the same replicates (same seed),
    # the interval excludes 0 below level 1 - p and contains it above. The
    # differences lie on a lattice of step 1/40 with mass at 0, so a limit sits
    # exactly at 0 over a small range of levels; step 0.01 away from it.
    p = float(pvalue[0])
    assert 0.0 < p < 1.0
    for level, contains_zero in ((1 - p - 0.01, False), (1 - p + 0.01, True)):
        _, low_at, high_at, _, _ = mean_difference(
            cell_table(a, None, None),
            cell_table(b, None, None),
            offset=1,
            confidence_level=level,
            method="bca",
            n_resamples=9999,
            rng=np.random.default_rng(7),
        )
        assert (float(low_at[0]) < 0.0 < float(high_at[0])) is contains_zero
    share_reference = stats.bootstrap(
        ((rows(a[0]) >= 4).astype(float), (rows(b[0]) >= 4).astype(float)),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        method="percentile",
        n_resamples=9999,
        rng=np.random.default_rng(10),
    )
    assert float(share_d[0]) == pytest.approx(21 / 40 - 14 / 40)
    # SE ~ 0.11 on a lattice of steps 1/40: allow one step plus MC error.
    assert float(share_low[0]) == pytest.approx(share_reference.confidence_interval.low, abs=0.03)
    assert float(share_high[0]) == pytest.approx(share_reference.confidence_interval.high, abs=0.03)
    # The second batch element is computed in the same call.
    assert float(share_d[1]) == pytest.approx(6 / 10 - 2 / 9)
    assert float(share_low[1]) < float(share_d[1]) < float(share_high[1])


def test_batch_equals_one_at_a_time_with_padded_weighted_cell_table() -> None:
    # Two weighted segments with different numbers of distinct cells, padded
    # to K = 4 with zero counts (any point/weight in a padded cell).
    count = np.array([[3, 1, 2, 0], [1, 4, 2, 5]])
    point = np.array([[0, 2, 4, 0], [1, 3, 3, 4]])
    weight = np.array([[1.0, 2.5, 0.5, 9.0], [1.0, 0.5, 2.0, 1.5]])
    other = (np.array([[2, 2, 3, 1, 1]]), None, None)
    calls = [
        lambda c, p, w: share_interval(
            cell_table(c, p, w), in_range=(3, 4), confidence_level=0.9, method="jeffreys"
        ),
        lambda c, p, w: mean_interval(
            cell_table(c, p, w), offset=1, confidence_level=0.9, method="t"
        ),
        lambda c, p, w: share_difference(
            cell_table(c, p, w),
            cell_table(*other),
            in_range=(3, 4),
            confidence_level=0.9,
            method="newcombe",
        ),
        lambda c, p, w: mean_difference(
            cell_table(c, p, w), cell_table(*other), offset=1, confidence_level=0.9, method="welch"
        ),
    ]
    for call in calls:
        together = call(count, point, weight)
        for index in range(2):
            used = count[index] > 0
            alone = call(count[index][used], point[index][used], weight[index][used])
            for batch_value, single_value in zip(together, alone, strict=True):
                assert float(np.ravel(batch_value)[index]) == pytest.approx(
                    float(np.ravel(single_value)[0]), rel=1e-12
                )


def test_mean_interval_with_cell_values_equals_scipy_t() -> None:
    # Real-valued cells (distinct order amounts and their counts) instead of scale points.
    amounts = np.array([12.5, 40.0, 12.5, 7.25, 99.0, 40.0, 40.0])
    values, counts = np.unique(amounts, return_counts=True)
    mean, low, high = mean_interval(
        cell_table(counts, None, None), values=values, confidence_level=0.9, method="t"
    )
    reference = stats.ttest_1samp(amounts, 0.0).confidence_interval(0.9)
    assert float(mean) == pytest.approx(amounts.mean(), rel=1e-14)
    assert float(low) == pytest.approx(reference.low, rel=1e-12)
    assert float(high) == pytest.approx(reference.high, rel=1e-12)


def test_coverage_by_simulation_fast_version() -> None:
    # The fast version of benchmarks/satisfaction_coverage.py: 4000 simulated
    # samples (MC sd of a coverage near 0.95 is 0.0034). Exact coverage of a
    # discrete binomial interval oscillates around the nominal level, so the
    # band is wide (0.93..0.975) but excludes Wald's failure at p = 0.95, n = 20
    # (coverage about 0.64 there).
    rng = np.random.default_rng(11)
    n, p = 50, 0.8
    successes = rng.binomial(n, p, size=4000)
    counts = np.stack([n - successes, successes], axis=-1)
    _, low, high = share_interval(
        cell_table(counts, None, None), in_range=(1, 1), confidence_level=0.95, method="wilson"
    )
    assert 0.93 <= float(np.mean((low <= p) & (p <= high))) <= 0.975
    other_successes = rng.binomial(n, 0.7, size=4000)
    other = np.stack([n - other_successes, other_successes], axis=-1)
    _, low, high, _, _ = share_difference(
        cell_table(counts, None, None),
        cell_table(other, None, None),
        in_range=(1, 1),
        confidence_level=0.95,
        method="newcombe",
    )
    assert 0.93 <= float(np.mean((low <= 0.1) & (high >= 0.1))) <= 0.975
    rare = rng.binomial(20, 0.95, size=4000)
    rare_counts = np.stack([20 - rare, rare], axis=-1)
    _, low, high = share_interval(
        cell_table(rare_counts, None, None), in_range=(1, 1), confidence_level=0.95, method="wald"
    )
    assert float(np.mean((low <= 0.95) & (high >= 0.95))) < 0.8
    probabilities = np.array([0.02, 0.03, 0.05, 0.10, 0.20, 0.30, 0.30])
    truth = float(probabilities @ np.arange(1, 8))
    ces_counts = rng.multinomial(30, probabilities, size=4000)
    _, low, high = mean_interval(
        cell_table(ces_counts, None, None), offset=1, confidence_level=0.95, method="t"
    )
    assert 0.93 <= float(np.mean((low <= truth) & (truth <= high))) <= 0.975
