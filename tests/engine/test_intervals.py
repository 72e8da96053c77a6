"""The shared interval engine against independent references.

References: statsmodels' ``proportion_confint`` for proportion intervals;
``scipy.stats.bootstrap`` on the raw rows for the count bootstrap; a
brute-force jackknife over every row for the BCa acceleration.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels_names import STATSMODELS_NAME

from loyaltymetrics._engine._intervals import (
    PROPORTION_METHODS,
    _acceleration,
    count_bootstrap,
    normal_quantile,
    proportion_interval,
)

statsmodels_proportion = pytest.importorskip("statsmodels.stats.proportion")


def nps_of_counts(counts: np.ndarray) -> np.ndarray:
    """NPS (points) of (detractor, passive, promoter) counts on the last axis."""
    counts = np.asarray(counts, dtype=float)
    return 100.0 * (counts[..., 2] - counts[..., 0]) / counts.sum(axis=-1)


def rows_from_counts(counts: list[int]) -> np.ndarray:
    """Per-row NPS contributions: -100 detractor, 0 passive, +100 promoter."""
    return np.repeat([-100.0, 0.0, 100.0], counts)


def test_normal_quantile() -> None:
    # 1.959963984540054 is the 97.5% standard normal quantile (scipy.stats.norm.ppf(0.975)).
    assert normal_quantile(0.95) == pytest.approx(stats.norm.ppf(0.975), abs=1e-14)
    assert normal_quantile(0.95, "less") == pytest.approx(stats.norm.ppf(0.95), abs=1e-14)


@pytest.mark.parametrize("method", PROPORTION_METHODS)
@pytest.mark.parametrize("confidence_level", [0.8, 0.95, 0.99])
def test_proportion_intervals_equal_statsmodels(method: str, confidence_level: float) -> None:
    successes = np.array([0, 1, 3, 17, 50, 99, 100])
    n = 100
    low, high = proportion_interval(
        successes,
        n,
        confidence_level=confidence_level,
        method=method,  # type: ignore[arg-type]
    )
    ref_low, ref_high = statsmodels_proportion.proportion_confint(
        successes, n, alpha=1 - confidence_level, method=STATSMODELS_NAME[method]
    )
    # statsmodels does not clip the Wald interval; ours reports shares in [0, 1].
    np.testing.assert_allclose(low, np.clip(ref_low, 0, 1), rtol=0, atol=1e-10)
    np.testing.assert_allclose(high, np.clip(ref_high, 0, 1), rtol=0, atol=1e-10)


def test_proportion_interval_broadcasts_and_brackets_the_share() -> None:
    successes = np.array([[1, 5], [7, 9]])
    low, high = proportion_interval(successes, 10, confidence_level=0.9, method="wilson")
    assert low.shape == (2, 2)
    assert np.all(low <= successes / 10)
    assert np.all(successes / 10 <= high)


def brute_force_acceleration(rows: list[np.ndarray]) -> float:
    """scipy.stats.bootstrap's BCa acceleration, evaluated over every row."""
    numerator = denominator = 0.0
    for j, sample in enumerate(rows):
        n = sample.size
        others = [other.mean() for i, other in enumerate(rows) if i != j]
        theta = np.array([np.delete(sample, i).mean() for i in range(n)])
        if j == 1:  # statistic is mean(sample 0) - mean(sample 1)
            theta = others[0] - theta
        elif len(rows) == 2:
            theta = theta - others[0]
        u = (n - 1) * (theta.mean() - theta)
        numerator += (u**3).sum() / n**3
        denominator += (u**2).sum() / n**2
    return numerator / (6 * denominator**1.5)


def test_acceleration_equals_row_jackknife() -> None:
    counts = [7, 3, 15]
    closed_form = _acceleration([np.array(counts)], nps_of_counts)
    assert float(closed_form) == pytest.approx(
        brute_force_acceleration([rows_from_counts(counts)]), rel=1e-12
    )


def test_two_sample_acceleration_equals_row_jackknife() -> None:
    a, b = [4, 6, 12], [9, 2, 5]

    def difference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return nps_of_counts(x) - nps_of_counts(y)

    closed_form = _acceleration([np.array(a), np.array(b)], difference)
    expected = brute_force_acceleration([rows_from_counts(a), rows_from_counts(b)])
    assert float(closed_form) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_bootstrap_agrees_with_scipy_on_rows(method: str) -> None:
    # Monte-Carlo tolerance: with 9999 resamples the 2.5% quantile of an NPS with
    # standard error ~6.6 points (n=200) has MC sd ~0.16 points in each run, so
    # two independent runs differ by ~0.23 sd; 1.5 points is over 6 sd.
    counts = [50, 60, 90]
    ours = count_bootstrap(
        [np.array(counts)],
        nps_of_counts,
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
        n_resamples=9999,
        rng=np.random.default_rng(1),
    )
    scipy_result = stats.bootstrap(
        (rows_from_counts(counts),),
        np.mean,
        confidence_level=0.95,
        method=method,
        n_resamples=9999,
        rng=np.random.default_rng(2),
    )
    assert float(ours.low) == pytest.approx(scipy_result.confidence_interval.low, abs=1.5)
    assert float(ours.high) == pytest.approx(scipy_result.confidence_interval.high, abs=1.5)
    assert float(ours.standard_error) == pytest.approx(scipy_result.standard_error, rel=0.05)


def test_two_sample_bootstrap_agrees_with_scipy() -> None:
    a, b = [30, 20, 50], [45, 25, 30]

    def difference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return nps_of_counts(x) - nps_of_counts(y)

    ours = count_bootstrap(
        [np.array(a), np.array(b)],
        difference,
        confidence_level=0.9,
        method="bca",
        n_resamples=9999,
        rng=np.random.default_rng(3),
    )
    reference = stats.bootstrap(
        (rows_from_counts(a), rows_from_counts(b)),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        confidence_level=0.9,
        method="BCa",
        n_resamples=9999,
        rng=np.random.default_rng(4),
    )
    # Difference of two NPS with n=100 each: SE ~ 12 points; 2.5 points is ~6 MC sd.
    assert float(ours.low) == pytest.approx(reference.confidence_interval.low, abs=2.5)
    assert float(ours.high) == pytest.approx(reference.confidence_interval.high, abs=2.5)


def test_batch_dimension_matches_single_computations() -> None:
    batch = np.array([[50, 60, 90], [10, 5, 5], [0, 0, 7]])
    together = count_bootstrap(
        [batch],
        nps_of_counts,
        confidence_level=0.95,
        method="bca",
        n_resamples=4999,
        rng=np.random.default_rng(5),
    )
    np.testing.assert_allclose(
        _acceleration([batch], nps_of_counts),
        [float(_acceleration([row], nps_of_counts)) for row in batch],
        rtol=1e-12,
    )
    for index, row in enumerate(batch):
        alone = count_bootstrap(
            [row],
            nps_of_counts,
            confidence_level=0.95,
            method="bca",
            n_resamples=4999,
            rng=np.random.default_rng(6),
        )
        # Independent Monte-Carlo runs: agree within a few MC standard deviations.
        tolerance = 0.15 * float(alone.standard_error) + 1e-12
        assert float(together.low[index]) == pytest.approx(float(alone.low), abs=tolerance)
        assert float(together.high[index]) == pytest.approx(float(alone.high), abs=tolerance)


def test_degenerate_sample_gives_the_point_without_warnings() -> None:
    for method in ("percentile", "basic", "bca"):
        result = count_bootstrap(
            [np.array([0, 0, 12])],
            nps_of_counts,
            confidence_level=0.95,
            method=method,  # type: ignore[arg-type]
            n_resamples=999,
            rng=np.random.default_rng(0),
        )
        assert float(result.low) == 100.0
        assert float(result.high) == 100.0


def test_seeded_bootstrap_reproduces_and_one_sided_is_open() -> None:
    kwargs = {
        "confidence_level": 0.95,
        "method": "percentile",
        "n_resamples": 999,
    }
    first = count_bootstrap(
        [np.array([3, 4, 5])], nps_of_counts, rng=np.random.default_rng(9), **kwargs
    )  # type: ignore[arg-type]
    second = count_bootstrap(
        [np.array([3, 4, 5])], nps_of_counts, rng=np.random.default_rng(9), **kwargs
    )  # type: ignore[arg-type]
    assert (float(first.low), float(first.high)) == (float(second.low), float(second.high))
    less = count_bootstrap(
        [np.array([3, 4, 5])],
        nps_of_counts,
        rng=np.random.default_rng(9),
        alternative="less",
        **kwargs,  # type: ignore[arg-type]
    )
    assert float(less.low) == -np.inf
    assert float(less.high) < float(first.high)


def test_batch_statistic_may_close_over_per_batch_cell_arrays() -> None:
    # A weighted-share statistic whose weights differ per batch element: the
    # statistic must see the batch axes in the same place for the replicates and
    # for the jackknife. Two segments with three cells (batch size != cells).
    counts = np.array([[4, 6, 2], [3, 1, 8]])
    weight = np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 1.0]])
    hit = np.array([0.0, 1.0, 1.0])

    def weighted_share(c: np.ndarray) -> np.ndarray:
        return (c * weight * hit).sum(axis=-1) / (c * weight).sum(axis=-1)

    batch = _acceleration([counts], weighted_share)
    for index in range(2):

        def alone(c: np.ndarray, index: int = index) -> np.ndarray:
            return (c * weight[index] * hit).sum(axis=-1) / (c * weight[index]).sum(axis=-1)

        assert float(batch[index]) == pytest.approx(
            float(_acceleration([counts[index]], alone)), rel=1e-12
        )
        # And against scipy's jackknife over the rows (one value per row).
        rows_w = np.repeat(weight[index], counts[index])
        rows_hit = np.repeat(hit, counts[index])
        n = rows_w.size
        theta = np.array(
            [np.delete(rows_w * rows_hit, i).sum() / np.delete(rows_w, i).sum() for i in range(n)]
        )
        u = (n - 1) * (theta.mean() - theta)
        expected = ((u**3).sum() / n**3) / (6 * ((u**2).sum() / n**2) ** 1.5)
        assert float(batch[index]) == pytest.approx(expected, rel=1e-12)


def test_empty_cells_do_not_change_the_random_stream() -> None:
    # The same data listed with and without empty cells (an unweighted table lists
    # every band; a weighted one only the populated ones) must resample identically
    # under the same seed. numpy's multinomial alone does not: a trailing empty cell
    # shifts its stream (multinomial(8, [.75, .25, 0]) != multinomial(8, [.75, .25])).
    from loyaltymetrics._engine._intervals import _draw_replicates

    def share_of_first(counts: np.ndarray) -> np.ndarray:
        counts = np.asarray(counts, dtype=float)
        return counts[..., 0] / counts.sum(axis=-1)

    compact = _draw_replicates([np.array([6, 2])], share_of_first, 50, np.random.default_rng(2))
    padded = _draw_replicates([np.array([6, 2, 0])], share_of_first, 50, np.random.default_rng(2))
    middle = _draw_replicates([np.array([6, 0, 2])], share_of_first, 50, np.random.default_rng(2))
    np.testing.assert_array_equal(compact, padded)
    np.testing.assert_array_equal(compact, middle)


def test_ratio_or_infinite_and_tail_pvalue() -> None:
    from loyaltymetrics._engine._intervals import ratio_or_infinite, tail_pvalue

    ratio = ratio_or_infinite([0.0, 1.0, -2.0, np.nan, 3.0], [0.0, 0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(ratio, [0.0, np.inf, -np.inf, np.nan, 1.5])
    # One-sided p-values 0.03 ("greater") and 0.97 ("less"): two-sided 0.06.
    assert float(tail_pvalue(0.03, 0.97, "greater")) == pytest.approx(0.03)
    assert float(tail_pvalue(0.03, 0.97, "less")) == pytest.approx(0.97)
    assert float(tail_pvalue(0.03, 0.97, "two-sided")) == pytest.approx(0.06)
    assert float(tail_pvalue(0.6, 0.6, "two-sided")) == 1.0


def test_wilson_limits_are_exact_at_the_boundaries() -> None:
    # With 0 of 7 successes the Wilson lower limit is 0 exactly (centre - half
    # cancels); with 7 of 7 the upper limit is 1 (Wilson 1927).
    low, high = proportion_interval([0, 7], 7, confidence_level=0.95, method="wilson")
    assert low[0] == 0.0
    assert high[1] == 1.0
    assert low[1] < 1.0
    assert high[0] > 0.0
