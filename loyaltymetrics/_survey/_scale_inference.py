"""Inference on rating-scale metrics (CSAT, CES): shares and means from cell counts.

Every function here works on the reduced data of one or many samples, never on
rows. A sample is described by three arrays with the cells on the last axis:

``count``
    Number of rows in each cell (whole numbers, shape ``(..., K)``).
``point``
    Index of the cell's scale point (0 for the lowest answer on the scale).
    ``None`` means ``arange(K)``: one cell per scale point, as for unweighted
    data.
``weight``
    The weight shared by the rows of the cell; ``None`` means 1 (unweighted).

Leading axes are a batch dimension (for example segments), computed in one
vectorised pass. Unweighted data has ``K`` = the number of scale points; the
distinct (point, weight) cells of weighted samples are padded to a common ``K``
with zero counts (a padded cell may have any point and weight). ``point`` and
``weight`` broadcast against ``count``. Where a batch element has no rows, every
output of that element is NaN (no warnings).

Estimates
    The share of a range of scale points is ``sum(c w [point in range]) /
    sum(c w)`` and the mean is ``sum(c w x) / sum(c w)`` with ``x = offset +
    point``, the score of the cell.

Weighted data
    Analytic share intervals use the weighted share with Kish's effective
    sample size ``n_eff = (sum w)^2 / sum w^2`` (Kish 1965, *Survey Sampling*)
    in place of n. The t interval of a weighted mean uses the linearised
    (sandwich, with-replacement) variance of the ratio estimator,
    ``m / (m - 1) * sum w_i^2 (x_i - mean)^2 / (sum w_i)^2`` over the m rows
    with positive weight, with ``m - 1`` degrees of freedom; with unit weights
    both reduce exactly to the unweighted formulas. The bootstrap resamples
    rows, that is the distinct (point, weight) cells with multinomial counts.

Bootstrap methods ("percentile", "basic", "bca") go through the shared count
bootstrap of :mod:`loyaltymetrics._engine._intervals`; proportion intervals through its
``proportion_interval``. All share results are on the share scale 0..1, all
mean results on the answer scale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    PROPORTION_METHODS,
    Alternative,
    BootstrapInterval,
    BootstrapMethod,
    ProportionMethod,
    RandomSource,
    cell_sums,
    count_bootstrap,
    count_bootstraps,
    difference_targets,
    normal_quantile,
    proportion_interval,
    ratio_or_infinite,
    tail_pvalue,
)

__all__ = [
    "MEAN_DIFFERENCE_METHODS",
    "MEAN_METHODS",
    "SHARE_DIFFERENCE_METHODS",
    "SHARE_METHODS",
    "MeanDifferenceMethod",
    "MeanMethod",
    "ShareDifferenceMethod",
    "ShareMethod",
    "mean_difference",
    "mean_interval",
    "scale_interval_and_difference",
    "share_difference",
    "share_interval",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ShareMethod = Literal[
    "wilson", "agresti-coull", "jeffreys", "exact", "wald", "percentile", "basic", "bca"
]
MeanMethod = Literal["t", "percentile", "basic", "bca"]
ShareDifferenceMethod = Literal["newcombe", "wald", "percentile", "basic", "bca"]
MeanDifferenceMethod = Literal["welch", "percentile", "basic", "bca"]
SHARE_METHODS: tuple[ShareMethod, ...] = (*PROPORTION_METHODS, *BOOTSTRAP_METHODS)
MEAN_METHODS: tuple[MeanMethod, ...] = ("t", *BOOTSTRAP_METHODS)
SHARE_DIFFERENCE_METHODS: tuple[ShareDifferenceMethod, ...] = (
    "newcombe",
    "wald",
    *BOOTSTRAP_METHODS,
)
MEAN_DIFFERENCE_METHODS: tuple[MeanDifferenceMethod, ...] = ("welch", *BOOTSTRAP_METHODS)

Interval = tuple[FloatArray, FloatArray, FloatArray]
DifferenceResult = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


class _Sample:
    """One batch of samples in cell form, with the sums every method needs.

    ``values`` is the per-cell quantity averaged (an indicator for a share, the
    score for a mean). Empty batch elements get a placeholder count of one row
    in the first cell so that nothing downstream divides by zero; their
    outputs are set to NaN through ``empty``.
    """

    def __init__(
        self,
        count: npt.ArrayLike,
        point: npt.ArrayLike | None,
        weight: npt.ArrayLike | None,
        values: Callable[[IntArray], FloatArray],
    ) -> None:
        count_array = np.asarray(count, dtype=np.int64)
        n_cells = count_array.shape[-1]
        point_array = (
            np.arange(n_cells, dtype=np.int64)
            if point is None
            else np.asarray(point, dtype=np.int64)
        )
        weight_array = (
            np.ones(n_cells, dtype=np.float64)
            if weight is None
            else np.asarray(weight, dtype=np.float64)
        )
        count_array, point_array, weight_array = np.broadcast_arrays(
            count_array, point_array, weight_array
        )
        self.empty = (count_array * (weight_array > 0)).sum(axis=-1) == 0
        placeholder = np.zeros(n_cells, dtype=np.int64)
        placeholder[0] = 1
        self.weight = np.where(self.empty[..., None], 1.0, weight_array)
        self.count = np.where(self.empty[..., None], placeholder, count_array)
        self.x = values(point_array)
        self.weighted_x = self.weight * self.x
        weighted = self.count * self.weight
        self.total_weight = weighted.sum(axis=-1)
        self.estimate = (weighted * self.x).sum(axis=-1) / self.total_weight
        self.effective_n = self.total_weight**2 / (weighted * self.weight).sum(axis=-1)
        self.rows = (self.count * (self.weight > 0)).sum(axis=-1).astype(np.float64)

    def statistic(self, count: IntArray) -> FloatArray:
        """Weighted mean of ``x`` for resampled counts, shape ``(*extra, *batch)``."""
        total, weighted_sum = cell_sums(count, self.weight, self.weighted_x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(weighted_sum / total, dtype=np.float64)

    def mean_variance(self) -> FloatArray:
        """Linearised variance of the weighted mean (``s**2 / n`` when unweighted)."""
        residual = self.x - self.estimate[..., None]
        spread = (self.count * self.weight**2 * residual**2).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = self.rows / (self.rows - 1.0)
            variance = factor * spread / self.total_weight**2
        return np.asarray(np.where(self.rows > 1, variance, np.nan), dtype=np.float64)

    def blank(self, *arrays: FloatArray) -> tuple[FloatArray, ...]:
        """Set every output of an empty batch element to NaN."""
        return tuple(np.where(self.empty, np.nan, array) for array in arrays)


def _in_range_values(in_range: tuple[int, int]) -> Callable[[IntArray], FloatArray]:
    first, last = in_range

    def indicator(point: IntArray) -> FloatArray:
        return ((point >= first) & (point <= last)).astype(np.float64)

    return indicator


def _cell_values(values: npt.ArrayLike) -> Callable[[IntArray], FloatArray]:
    fixed = np.asarray(values, dtype=np.float64)

    def value(point: IntArray) -> FloatArray:
        return np.broadcast_to(fixed, point.shape)

    return value


def _score_values(offset: float) -> Callable[[IntArray], FloatArray]:
    def score(point: IntArray) -> FloatArray:
        return point.astype(np.float64) + offset

    return score


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _bootstrap_one(
    sample: _Sample,
    *,
    confidence_level: float,
    method: str,
    n_resamples: int,
    rng: np.random.Generator | None,
) -> tuple[FloatArray, FloatArray]:
    result = count_bootstrap(
        [sample.count],
        sample.statistic,
        confidence_level=confidence_level,
        method=cast("BootstrapMethod", method),
        n_resamples=n_resamples,
        rng=_rng(rng),
    )
    return result.low, result.high


def share_interval(
    count: npt.ArrayLike,
    point: npt.ArrayLike | None,
    weight: npt.ArrayLike | None,
    *,
    in_range: tuple[int, int],
    confidence_level: float,
    method: ShareMethod,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> Interval:
    """Two-sided interval for the share of rows whose scale point is in a range.

    Parameters
    ----------
    count, point, weight
        Cell arrays, shape ``(..., K)`` (see the module docstring).
    in_range
        ``(first, last)``: inclusive range of scale-point *indices* counted as
        a success (e.g. ``(3, 4)`` for answers 4-5 on a 1..5 scale).
    confidence_level
        In (0, 1).
    method
        "wilson", "agresti-coull", "jeffreys", "exact" (Clopper-Pearson),
        "wald" (on ``(share * n_eff, n_eff)`` for weighted data), or a
        bootstrap method "percentile", "basic", "bca".
    n_resamples, rng
        Bootstrap only.

    Returns
    -------
    share, low, high
        Arrays of shape ``(...)``, on 0..1.
    """
    sample = _Sample(count, point, weight, _in_range_values(in_range))
    if method in BOOTSTRAP_METHODS:
        low, high = _bootstrap_one(
            sample,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
    else:
        low, high = proportion_interval(
            sample.estimate * sample.effective_n,
            sample.effective_n,
            confidence_level=confidence_level,
            method=cast("ProportionMethod", method),
        )
    share, low, high = sample.blank(sample.estimate, low, high)
    return share, low, high


def _t_quantile(confidence_level: float, df: FloatArray, alternative: Alternative) -> FloatArray:
    tail = 1.0 - confidence_level
    if alternative == "two-sided":
        tail /= 2.0
    with np.errstate(invalid="ignore"):
        return np.asarray(stats.t.isf(tail, np.where(df > 0, df, np.nan)), dtype=np.float64)


def mean_interval(
    count: npt.ArrayLike,
    point: npt.ArrayLike | None,
    weight: npt.ArrayLike | None,
    *,
    offset: float = 0.0,
    confidence_level: float,
    method: MeanMethod,
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
    values: npt.ArrayLike | None = None,
) -> Interval:
    """Two-sided interval for the (weighted) mean score.

    Parameters
    ----------
    count, point, weight
        Cell arrays, shape ``(..., K)`` (see the module docstring).
    offset
        Score of scale point 0 (the lowest answer on the scale); the score of
        a cell is ``offset + point``.
    confidence_level
        In (0, 1).
    method
        "t": Student's t interval ``mean ± t(n - 1) * se`` with ``se**2 =
        s**2 / n`` (the linearised variance for weighted data); or a bootstrap
        method "percentile", "basic", "bca".
    n_resamples, rng
        Bootstrap only.
    values
        Optional value of each cell (shape ``(K,)``, e.g. the distinct order
        amounts of a sample reduced with ``numpy.unique``), used instead of
        ``offset + point`` so that any real-valued quantity can be averaged.

    Returns
    -------
    mean, low, high
        Arrays of shape ``(...)``, on the answer scale. The t interval is NaN
        with fewer than two rows and collapses to the mean when every row has
        the same score.
    """
    sample = _Sample(
        count, point, weight, _score_values(offset) if values is None else _cell_values(values)
    )
    if method == "t":
        variance = sample.mean_variance()
        half = _t_quantile(confidence_level, sample.rows - 1.0, "two-sided") * np.sqrt(variance)
        half = np.where(variance == 0.0, 0.0, half)
        low, high = sample.estimate - half, sample.estimate + half
    else:
        low, high = _bootstrap_one(
            sample,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
    mean, low, high = sample.blank(sample.estimate, low, high)
    return mean, low, high


def _pvalue(
    statistic: FloatArray,
    alternative: Alternative,
    *,
    df: FloatArray | None = None,
) -> FloatArray:
    """Return the normal (or Student t with ``df``) p-value of a test statistic."""
    with np.errstate(invalid="ignore"):
        if df is None:
            upper, lower = special.ndtr(-statistic), special.ndtr(statistic)
        else:
            upper, lower = stats.t.sf(statistic, df), stats.t.cdf(statistic, df)
    return tail_pvalue(upper, lower, alternative)


def _open_side(
    low: FloatArray, high: FloatArray, alternative: Alternative
) -> tuple[FloatArray, FloatArray]:
    if alternative == "greater":
        high = np.full(np.shape(high), np.inf)
    elif alternative == "less":
        low = np.full(np.shape(low), -np.inf)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _bootstrap_difference(
    a: _Sample,
    b: _Sample,
    *,
    confidence_level: float,
    method: str,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator | None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Bootstrap interval of ``a - b`` and the test that inverts it.

    The statistic is the difference over its bootstrap standard error; the
    p-value is that of the count bootstrap's inverted interval (the largest
    ``1 - confidence_level`` at which the interval still contains 0), so the
    test and the interval always agree.
    """
    (result,) = count_bootstraps(
        [a.count, b.count],
        [difference_targets(a.statistic, b.statistic, alternative=alternative)[1]],
        confidence_level=confidence_level,
        method=cast("BootstrapMethod", method),
        n_resamples=n_resamples,
        rng=_rng(rng),
    )
    return _bootstrap_test(a, b, result)


def _bootstrap_test(
    a: _Sample, b: _Sample, result: BootstrapInterval
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Limits, statistic (difference over bootstrap SE) and p-value of a difference's bootstrap."""
    assert result.pvalue is not None  # requested through null_value
    statistic = ratio_or_infinite(a.estimate - b.estimate, result.standard_error)
    return result.low, result.high, statistic, result.pvalue


def scale_interval_and_difference(
    count_a: npt.ArrayLike,
    point_a: npt.ArrayLike | None,
    weight_a: npt.ArrayLike | None,
    count_b: npt.ArrayLike,
    point_b: npt.ArrayLike | None,
    weight_b: npt.ArrayLike | None,
    *,
    in_range: tuple[int, int] | None = None,
    offset: float = 0.0,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
) -> tuple[Interval, DifferenceResult]:
    """Bootstrap interval of sample a and its two-sided comparison with b, from one resampling.

    The share of ``in_range`` (as :func:`share_interval` and
    :func:`share_difference`), or the mean score when ``in_range`` is None
    (as :func:`mean_interval` and :func:`mean_difference`). Equal to the
    interval of a with sample a's stream and the difference with ``rng``
    (whose first stream resamples a and second resamples b; see
    ``count_bootstrap``), at the cost of one set of resamples of a instead of
    two.
    """
    values = _score_values(offset) if in_range is None else _in_range_values(in_range)
    a = _Sample(count_a, point_a, weight_a, values)
    b = _Sample(count_b, point_b, weight_b, values)

    interval, comparison = count_bootstraps(
        [a.count, b.count],
        difference_targets(a.statistic, b.statistic),
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    estimate, low, high = a.blank(a.estimate, interval.low, interval.high)
    low_d, high_d, statistic, pvalue = _bootstrap_test(a, b, comparison)
    return (estimate, low, high), _blank_difference(
        a, b, a.estimate - b.estimate, low_d, high_d, statistic, pvalue
    )


def _one_sided_level(confidence_level: float, alternative: Alternative) -> float:
    """Two-sided level whose one limit is the one-sided limit at ``confidence_level``."""
    return confidence_level if alternative == "two-sided" else 2.0 * confidence_level - 1.0


def share_difference(
    count_a: npt.ArrayLike,
    point_a: npt.ArrayLike | None,
    weight_a: npt.ArrayLike | None,
    count_b: npt.ArrayLike,
    point_b: npt.ArrayLike | None,
    weight_b: npt.ArrayLike | None,
    *,
    in_range: tuple[int, int],
    confidence_level: float,
    method: ShareDifferenceMethod,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> DifferenceResult:
    """Difference ``a - b`` of two independent samples' shares, with interval and test.

    Parameters
    ----------
    count_a, point_a, weight_a, count_b, point_b, weight_b
        Cell arrays of the two samples, shapes ``(..., K_a)`` and ``(..., K_b)``
        whose batch axes broadcast (see the module docstring).
    in_range
        Inclusive range of scale-point indices counted as a success.
    confidence_level
        In (0, 1); for a one-sided ``alternative`` it must exceed 0.5 with
        "newcombe" (the one-sided limit is a limit of the two-sided Wilson
        interval at level ``2 * confidence_level - 1``).
    method
        "newcombe": Newcombe's (1998) hybrid score interval (his method 10),
        built from the two Wilson score intervals ``(l_a, u_a)``, ``(l_b, u_b)``:
        ``d - sqrt((p_a - l_a)**2 + (u_b - p_b)**2)`` to
        ``d + sqrt((u_a - p_a)**2 + (p_b - l_b)**2)``, with the score
        (pooled-variance) z test, ``z = d / sqrt(p (1 - p) (1/n_a + 1/n_b))``
        with ``p`` the pooled share, for the p-value. "wald": ``d ± z se`` with
        the unpooled standard error, and the matching z test. Bootstrap
        methods: the count bootstrap of ``d``, with ``z = d / se_boot`` and the
        p-value of the test that inverts the bootstrap interval. Weighted
        samples use Kish's effective sample sizes for n.
    alternative
        "two-sided", "less" (a < b) or "greater" (a > b). A one-sided interval
        is open (infinite) on the other side.
    n_resamples, rng
        Bootstrap only.

    Returns
    -------
    difference, low, high, statistic, pvalue
        Arrays with the broadcast batch shape; shares and their difference on
        0..1. With no spread at all (both samples all in or all out of the
        range) and no difference, the statistic is 0 (p-value 1 two-sided,
        0.5 one-sided).
    """
    indicator = _in_range_values(in_range)
    a = _Sample(count_a, point_a, weight_a, indicator)
    b = _Sample(count_b, point_b, weight_b, indicator)
    difference = a.estimate - b.estimate
    if method in BOOTSTRAP_METHODS:
        low, high, statistic, pvalue = _bootstrap_difference(
            a,
            b,
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
        )
    elif method == "newcombe":
        level = _one_sided_level(confidence_level, alternative)
        low_a, high_a = proportion_interval(
            a.estimate * a.effective_n, a.effective_n, confidence_level=level, method="wilson"
        )
        low_b, high_b = proportion_interval(
            b.estimate * b.effective_n, b.effective_n, confidence_level=level, method="wilson"
        )
        low = difference - np.hypot(a.estimate - low_a, high_b - b.estimate)
        high = difference + np.hypot(high_a - a.estimate, b.estimate - low_b)
        pooled = (a.estimate * a.effective_n + b.estimate * b.effective_n) / (
            a.effective_n + b.effective_n
        )
        standard_error = np.sqrt(
            pooled * (1.0 - pooled) * (1.0 / a.effective_n + 1.0 / b.effective_n)
        )
        statistic = ratio_or_infinite(difference, standard_error)
        pvalue = _pvalue(statistic, alternative)
        low, high = _open_side(low, high, alternative)
    else:  # "wald"
        standard_error = np.sqrt(
            a.estimate * (1.0 - a.estimate) / a.effective_n
            + b.estimate * (1.0 - b.estimate) / b.effective_n
        )
        half = normal_quantile(confidence_level, alternative) * standard_error
        low = np.maximum(difference - half, -1.0)
        high = np.minimum(difference + half, 1.0)
        statistic = ratio_or_infinite(difference, standard_error)
        pvalue = _pvalue(statistic, alternative)
        low, high = _open_side(low, high, alternative)
    return _blank_difference(a, b, difference, low, high, statistic, pvalue)


def _blank_difference(a: _Sample, b: _Sample, *arrays: FloatArray) -> DifferenceResult:
    empty = a.empty | b.empty
    out = [np.asarray(np.where(empty, np.nan, array), dtype=np.float64) for array in arrays]
    return out[0], out[1], out[2], out[3], out[4]


def mean_difference(
    count_a: npt.ArrayLike,
    point_a: npt.ArrayLike | None,
    weight_a: npt.ArrayLike | None,
    count_b: npt.ArrayLike,
    point_b: npt.ArrayLike | None,
    weight_b: npt.ArrayLike | None,
    *,
    offset: float = 0.0,
    confidence_level: float,
    method: MeanDifferenceMethod,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: np.random.Generator | None = None,
) -> DifferenceResult:
    """Difference ``a - b`` of two independent samples' mean scores, with interval and test.

    Parameters
    ----------
    count_a, point_a, weight_a, count_b, point_b, weight_b
        Cell arrays of the two samples, shapes ``(..., K_a)`` and ``(..., K_b)``
        whose batch axes broadcast (see the module docstring).
    offset
        Score of scale point 0 (it cancels in the difference of unweighted
        means; it is needed for consistency of the cell scores).
    confidence_level
        In (0, 1).
    method
        "welch": Welch's t interval and test, ``t = d / se`` with ``se**2 =
        se_a**2 + se_b**2`` (linearised variances for weighted data) and the
        Welch-Satterthwaite degrees of freedom ``se**4 / (se_a**4 / (n_a - 1)
        + se_b**4 / (n_b - 1))`` (Welch 1947); or a bootstrap method
        "percentile", "basic", "bca" with ``t = d / se_boot`` and the p-value
        of the test that inverts the bootstrap interval.
    alternative
        "two-sided", "less" (a < b) or "greater" (a > b). A one-sided interval
        is open (infinite) on the other side.
    n_resamples, rng
        Bootstrap only.

    Returns
    -------
    difference, low, high, statistic, pvalue
        Arrays with the broadcast batch shape, on the answer scale. NaN where
        a sample has fewer than two rows (Welch). When neither sample has any
        spread, the interval is the difference itself and the test is
        degenerate: statistic 0 for equal means (p-value 1 two-sided, 0.5
        one-sided), otherwise an infinite statistic with the sign of the
        difference and its normal-limit p-value (0 or 1).
    """
    values = _score_values(offset)
    a = _Sample(count_a, point_a, weight_a, values)
    b = _Sample(count_b, point_b, weight_b, values)
    difference = a.estimate - b.estimate
    if method == "welch":
        variance_a, variance_b = a.mean_variance(), b.mean_variance()
        variance = variance_a + variance_b
        with np.errstate(invalid="ignore", divide="ignore"):
            df = variance**2 / (variance_a**2 / (a.rows - 1.0) + variance_b**2 / (b.rows - 1.0))
        standard_error = np.sqrt(variance)
        half = _t_quantile(confidence_level, df, alternative) * standard_error
        half = np.where(variance == 0.0, 0.0, half)
        low, high = _open_side(difference - half, difference + half, alternative)
        statistic = ratio_or_infinite(difference, standard_error)
        pvalue = np.where(
            variance == 0.0,
            _pvalue(statistic, alternative),
            _pvalue(statistic, alternative, df=df),
        )
    else:
        low, high, statistic, pvalue = _bootstrap_difference(
            a,
            b,
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
        )
    return _blank_difference(a, b, difference, low, high, statistic, pvalue)
