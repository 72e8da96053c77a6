"""Inference on rating-scale metrics (CSAT, CES): shares and means from cell counts.

Every function here works on the reduced data of one or many samples, never on
rows: a :class:`~loyaltymetrics._engine._cells.CellTable` whose labels are scale
point indices (0 for the lowest answer on the scale), or indices into a
``values`` array for a continuous quantity. Leading axes are groups (for
example segments), computed in one vectorised pass. Unweighted data has one
cell per scale point; the distinct (point, weight) cells of weighted samples
are padded to a common number of cells with zero counts. Where a group has no
rows, every output of that group is NaN (no warnings). The share and the mean
are weighted cell means of :mod:`loyaltymetrics._engine._means`, whose rules
(zero-weight cells, empty groups) apply.

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

Bootstrap methods ("percentile", "basic", "bca") go through the engine's count
bootstrap of cell means; proportion intervals through
:func:`~loyaltymetrics._engine._intervals.proportion_interval`. All share results
are on the share scale 0..1, all mean results on the answer scale.
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    PROPORTION_METHODS,
    Alternative,
    BootstrapMethod,
    ProportionMethod,
    RandomSource,
    normal_quantile,
    proportion_interval,
    ratio_or_infinite,
)
from loyaltymetrics._engine._means import (
    CellMeans,
    Difference,
    FloatArray,
    IntArray,
    Interval,
    ValueOfPoint,
    blank_pair,
    bootstrap_difference,
    bootstrap_interval,
    bootstrap_interval_and_difference,
    normal_pvalue,
    open_side,
    t_quantile,
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
    "in_range_values",
    "mean_difference",
    "mean_interval",
    "scale_interval_and_difference",
    "score_values",
    "share_difference",
    "share_interval",
]


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


def in_range_values(in_range: tuple[int, int]) -> ValueOfPoint:
    """Cell value of a share: 1 for a scale-point index in ``in_range`` (inclusive), else 0."""
    first, last = in_range

    def indicator(point: IntArray) -> FloatArray:
        return ((point >= first) & (point <= last)).astype(np.float64)

    return indicator


def score_values(offset: float, values: npt.ArrayLike | None = None) -> ValueOfPoint:
    """Cell value of a mean: ``offset + point``, or ``values[point]`` when ``values`` is given."""
    fixed = None if values is None else np.asarray(values, dtype=np.float64)

    def score(point: IntArray) -> FloatArray:
        if fixed is not None:
            return np.asarray(fixed[point], dtype=np.float64)
        return point.astype(np.float64) + offset

    return score


def _bootstrap_limits(
    sample: CellMeans,
    *,
    confidence_level: float,
    method: str,
    n_resamples: int,
    rng: RandomSource | None,
) -> tuple[FloatArray, FloatArray]:
    result = bootstrap_interval(
        sample,
        confidence_level=confidence_level,
        method=cast("BootstrapMethod", method),
        n_resamples=n_resamples,
        rng=np.random.default_rng() if rng is None else rng,
    )
    return result.low, result.high


def share_interval(
    cells: CellTable,
    *,
    in_range: tuple[int, int],
    confidence_level: float,
    method: ShareMethod,
    n_resamples: int = 9999,
    rng: RandomSource | None = None,
) -> Interval:
    """Share of rows whose scale point is in a range, with its two-sided interval.

    Parameters
    ----------
    cells
        Cells labelled by scale-point index (see the module docstring).
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
    Interval
        Share, low, high, arrays of the group shape, on 0..1.
    """
    sample = CellMeans(cells, in_range_values(in_range))
    if method in BOOTSTRAP_METHODS:
        low, high = _bootstrap_limits(
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
    return Interval(*sample.blank(sample.estimate, low, high))


def mean_interval(
    cells: CellTable,
    *,
    offset: float = 0.0,
    confidence_level: float,
    method: MeanMethod,
    n_resamples: int = 9999,
    rng: RandomSource | None = None,
    values: npt.ArrayLike | None = None,
) -> Interval:
    """Return the (weighted) mean score, with its two-sided interval.

    Parameters
    ----------
    cells
        Cells labelled by scale-point index, or by index into ``values``.
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
        Optional value of each label (e.g. the distinct order amounts of a
        sample reduced with ``numpy.unique``), used instead of ``offset +
        point`` so that any real-valued quantity can be averaged.

    Returns
    -------
    Interval
        Mean, low, high, arrays of the group shape, on the answer scale. The t
        interval is NaN with fewer than two rows and collapses to the mean
        when every row has the same score.
    """
    sample = CellMeans(cells, score_values(offset, values))
    if method == "t":
        variance = sample.linearised_variance(finite_sample=True)
        half = t_quantile(confidence_level, sample.rows - 1.0, "two-sided") * np.sqrt(variance)
        half = np.where(variance == 0.0, 0.0, half)
        low, high = sample.estimate - half, sample.estimate + half
    else:
        low, high = _bootstrap_limits(
            sample,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
    return Interval(*sample.blank(sample.estimate, low, high))


def _bootstrap_difference(
    a: CellMeans,
    b: CellMeans,
    *,
    confidence_level: float,
    method: str,
    alternative: Alternative,
    n_resamples: int,
    rng: RandomSource | None,
) -> Difference:
    return bootstrap_difference(
        a,
        b,
        a.estimate - b.estimate,
        confidence_level=confidence_level,
        method=cast("BootstrapMethod", method),
        alternative=alternative,
        n_resamples=n_resamples,
        rng=np.random.default_rng() if rng is None else rng,
    )


def scale_interval_and_difference(
    a_cells: CellTable,
    b_cells: CellTable,
    *,
    in_range: tuple[int, int] | None = None,
    offset: float = 0.0,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
    values: npt.ArrayLike | None = None,
) -> tuple[Interval, Difference]:
    """Bootstrap interval of sample a and its two-sided comparison with b, from one resampling.

    The share of ``in_range`` (as :func:`share_interval` and
    :func:`share_difference`), or the mean score when ``in_range`` is None
    (as :func:`mean_interval` and :func:`mean_difference`). Equal to the
    interval of a with sample a's stream and the difference with ``rng``
    (whose first stream resamples a and second resamples b), at the cost of
    one set of resamples of a instead of two. ``values`` gives each label's
    value for a mean, as in :func:`mean_interval`.
    """
    cell_values = score_values(offset, values) if in_range is None else in_range_values(in_range)
    a, b = CellMeans(a_cells, cell_values), CellMeans(b_cells, cell_values)
    interval, comparison = bootstrap_interval_and_difference(
        a,
        b,
        a.estimate - b.estimate,
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return Interval(*a.blank(a.estimate, interval.low, interval.high)), comparison


def _one_sided_level(confidence_level: float, alternative: Alternative) -> float:
    """Two-sided level whose one limit is the one-sided limit at ``confidence_level``."""
    return confidence_level if alternative == "two-sided" else 2.0 * confidence_level - 1.0


def _newcombe(
    a: CellMeans, b: CellMeans, *, confidence_level: float, alternative: Alternative
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Newcombe's hybrid score limits and the pooled score z test of ``a - b``."""
    difference = a.estimate - b.estimate
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
    standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / a.effective_n + 1.0 / b.effective_n))
    statistic = ratio_or_infinite(difference, standard_error)
    low, high = open_side(low, high, alternative)
    return low, high, statistic, normal_pvalue(statistic, alternative)


def _share_wald(
    a: CellMeans, b: CellMeans, *, confidence_level: float, alternative: Alternative
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Wald limits (clipped to [-1, 1]) and z test of ``a - b`` with the unpooled SE."""
    difference = a.estimate - b.estimate
    standard_error = np.sqrt(
        a.estimate * (1.0 - a.estimate) / a.effective_n
        + b.estimate * (1.0 - b.estimate) / b.effective_n
    )
    half = normal_quantile(confidence_level, alternative) * standard_error
    low = np.maximum(difference - half, -1.0)
    high = np.minimum(difference + half, 1.0)
    statistic = ratio_or_infinite(difference, standard_error)
    low, high = open_side(low, high, alternative)
    return low, high, statistic, normal_pvalue(statistic, alternative)


def share_difference(
    a_cells: CellTable,
    b_cells: CellTable,
    *,
    in_range: tuple[int, int],
    confidence_level: float,
    method: ShareDifferenceMethod,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: RandomSource | None = None,
) -> Difference:
    """Difference ``a - b`` of two independent samples' shares, with interval and test.

    Parameters
    ----------
    a_cells, b_cells
        The two samples' cells, whose group shapes broadcast.
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
    Difference
        Arrays with the broadcast group shape; shares and their difference on
        0..1. With no spread at all (both samples all in or all out of the
        range) and no difference, the statistic is 0 (p-value 1 two-sided,
        0.5 one-sided).
    """
    indicator = in_range_values(in_range)
    a, b = CellMeans(a_cells, indicator), CellMeans(b_cells, indicator)
    if method in BOOTSTRAP_METHODS:
        return _bootstrap_difference(
            a,
            b,
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
        )
    test = _newcombe if method == "newcombe" else _share_wald
    limits = test(a, b, confidence_level=confidence_level, alternative=alternative)
    return Difference(*blank_pair(a, b, a.estimate - b.estimate, *limits))


def _welch(
    a: CellMeans, b: CellMeans, *, confidence_level: float, alternative: Alternative
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Welch's t limits and test of ``a - b`` (Welch 1947)."""
    difference = a.estimate - b.estimate
    variance_a = a.linearised_variance(finite_sample=True)
    variance_b = b.linearised_variance(finite_sample=True)
    variance = variance_a + variance_b
    with np.errstate(invalid="ignore", divide="ignore"):
        df = variance**2 / (variance_a**2 / (a.rows - 1.0) + variance_b**2 / (b.rows - 1.0))
    standard_error = np.sqrt(variance)
    half = t_quantile(confidence_level, df, alternative) * standard_error
    half = np.where(variance == 0.0, 0.0, half)
    low, high = open_side(difference - half, difference + half, alternative)
    statistic = ratio_or_infinite(difference, standard_error)
    pvalue = np.where(
        variance == 0.0,
        normal_pvalue(statistic, alternative),
        normal_pvalue(statistic, alternative, df=df),
    )
    return low, high, statistic, pvalue


def mean_difference(
    a_cells: CellTable,
    b_cells: CellTable,
    *,
    offset: float = 0.0,
    confidence_level: float,
    method: MeanDifferenceMethod,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: RandomSource | None = None,
    values: npt.ArrayLike | None = None,
) -> Difference:
    """Difference ``a - b`` of two independent samples' mean scores, with interval and test.

    Parameters
    ----------
    a_cells, b_cells
        The two samples' cells, whose group shapes broadcast.
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
    values
        Optional value of each label, as in :func:`mean_interval`.

    Returns
    -------
    Difference
        Arrays with the broadcast group shape, on the answer scale. NaN where
        a sample has fewer than two rows (Welch). When neither sample has any
        spread, the interval is the difference itself and the test is
        degenerate: statistic 0 for equal means (p-value 1 two-sided, 0.5
        one-sided), otherwise an infinite statistic with the sign of the
        difference and its normal-limit p-value (0 or 1).
    """
    cell_values = score_values(offset, values)
    a, b = CellMeans(a_cells, cell_values), CellMeans(b_cells, cell_values)
    if method == "welch":
        limits = _welch(a, b, confidence_level=confidence_level, alternative=alternative)
        return Difference(*blank_pair(a, b, a.estimate - b.estimate, *limits))
    return _bootstrap_difference(
        a,
        b,
        confidence_level=confidence_level,
        method=method,
        alternative=alternative,
        n_resamples=n_resamples,
        rng=rng,
    )
