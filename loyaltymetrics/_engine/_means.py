"""The inference engine for weighted cell means.

NPS (cells valued -1/0/+1), a CSAT share (an indicator per cell), a CES mean
(the score of a cell) and the mean of any continuous quantity (one cell per
distinct (value, weight) pair) are all one statistic: the weighted mean of a
value per cell of a :class:`~loyaltymetrics._engine._cells.CellTable`. This
module holds what they share: the point estimate, Kish's effective sample
size, the linearised variance, normal and t tests, the count bootstrap of a
mean and of a difference of means (on shared resamples), and the one rule for
empty groups. Metric-specific methods (the NPS intervals of Rocks 2016, the
proportion intervals) plug in on top, reading :class:`CellMeans`.

The rules
    * Cells with zero weight carry no rows of the estimate: they are dropped
      (count 0), also from the bootstrap, which resamples the rows the
      estimate depends on.
    * A group with no weight left is *empty*: it is computed on a placeholder
      row (so nothing divides by zero) and every output of it is NaN, as is
      every comparison that involves it.

Weighted data
    Kish's (1965) effective size ``n_eff = (sum w)^2 / sum w^2`` stands in for
    n in the count-based methods; the standard error is the linearised
    (Taylor) variance of the ratio estimator, ``sum w_i^2 (x_i - mean)^2 /
    (sum w_i)^2``, optionally with the finite-sample factor ``m / (m - 1)``
    over the ``m`` rows of positive weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import (
    Alternative,
    BootstrapInterval,
    BootstrapMethod,
    BootstrapTarget,
    RandomSource,
    cell_sums,
    count_bootstraps,
    normal_quantile,
    ratio_or_infinite,
    tail_pvalue,
)

__all__ = [
    "CellMeans",
    "Difference",
    "Interval",
    "MeanStatistic",
    "bootstrap_difference",
    "bootstrap_interval",
    "bootstrap_interval_and_difference",
    "normal_limits",
    "normal_pvalue",
    "open_side",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ValueOfPoint = Callable[[IntArray], FloatArray]


class Interval(NamedTuple):
    """A point estimate and its two-sided limits, per group."""

    estimate: FloatArray
    low: FloatArray
    high: FloatArray


class Difference(NamedTuple):
    """A difference of two groups' estimates with its interval and test, per group."""

    difference: FloatArray
    low: FloatArray
    high: FloatArray
    statistic: FloatArray
    pvalue: FloatArray


@dataclass(frozen=True, eq=False)
class MeanStatistic:
    """``factor`` x the weighted mean of resampled cell counts, vectorised.

    Called on counts of shape ``(*extra, *groups, cells)``; ``weight`` and
    ``weighted_value`` have shape ``(*groups, cells)``. ``snap`` rounds the
    result to that many decimals, so that replicates equal to the estimate
    compare as ties (BCa counts them) however the weights are scaled. The last
    evaluation is kept, so a difference evaluated next on the same resamples
    reuses it.
    """

    weight: FloatArray
    weighted_value: FloatArray
    factor: float = 1.0
    snap: int | None = None
    _last: list[object] = field(default_factory=lambda: [None, None], repr=False)

    def __call__(self, count: IntArray) -> FloatArray:
        total, weighted_sum = cell_sums(count, self.weight, self.weighted_value)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.factor * weighted_sum / total
        if self.snap is not None:
            mean = np.round(mean, self.snap)
        self._last[:] = [count, mean]
        return np.asarray(mean, dtype=np.float64)

    def reuse(self, count: IntArray) -> FloatArray:
        """Return the value on ``count``, reused when it was the last evaluation."""
        last_count, last_value = self._last
        if last_count is count:
            return np.asarray(last_value, dtype=np.float64)
        return self(count)

    def take(self, groups: slice) -> MeanStatistic:
        """Return the statistic of the groups ``groups`` (a block of a batch)."""
        return MeanStatistic(
            self.weight[groups], self.weighted_value[groups], self.factor, self.snap
        )


@dataclass(frozen=True, eq=False)
class DifferenceStatistic:
    """``first(a) - second(b)`` on two samples' resampled counts."""

    first: MeanStatistic
    second: MeanStatistic

    def __call__(self, count_a: IntArray, count_b: IntArray) -> FloatArray:
        return np.asarray(self.first.reuse(count_a) - self.second(count_b), dtype=np.float64)

    def take(self, groups: slice) -> DifferenceStatistic:
        return DifferenceStatistic(self.first.take(groups), self.second.take(groups))


class CellMeans:
    """A cell table with a value per cell, and the sums every method needs.

    Parameters
    ----------
    cells
        The groups' cells, shape ``(*groups, cells)``.
    value_of_point
        The value averaged, from the cells' labels (an indicator for a share,
        the score for a mean, -1/0/+1 for NPS).
    factor, snap
        Reporting factor and rounding of the bootstrap statistic (see
        :class:`MeanStatistic`); the other summaries are on the value's scale.
    """

    def __init__(
        self,
        cells: CellTable,
        value_of_point: ValueOfPoint,
        *,
        factor: float = 1.0,
        snap: int | None = None,
    ) -> None:
        full = cells.broadcast()
        count = np.where(full.weight > 0, full.count, 0)
        self.empty = count.sum(axis=-1) == 0
        placeholder = np.zeros(count.shape[-1], dtype=np.int64)
        placeholder[0] = 1
        self.weight = np.where(self.empty[..., None], 1.0, full.weight)
        self.count = np.where(self.empty[..., None], placeholder, count)
        self.cells = CellTable(point=full.point, weight=self.weight, count=self.count)
        self.x = value_of_point(full.point)
        weighted = self.count * self.weight
        self.total_weight = weighted.sum(axis=-1)
        self.estimate = (weighted * self.x).sum(axis=-1) / self.total_weight
        self.effective_n = self.total_weight**2 / (weighted * self.weight).sum(axis=-1)
        self.rows = self.count.sum(axis=-1).astype(np.float64)
        self.statistic = MeanStatistic(self.weight, self.weight * self.x, factor, snap)

    def linearised_variance(self, *, finite_sample: bool) -> FloatArray:
        """Variance of the weighted mean (``s**2 / n`` unweighted with ``finite_sample``).

        Without ``finite_sample`` it is the plug-in ``sum w^2 (x - mean)^2 /
        (sum w)^2``; with it, that times ``m / (m - 1)``, NaN below two rows.
        """
        residual = self.x - self.estimate[..., None]
        spread = (self.count * self.weight**2 * residual**2).sum(axis=-1)
        if not finite_sample:
            return np.asarray(spread / self.total_weight**2, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = self.rows / (self.rows - 1.0) * spread / self.total_weight**2
        return np.asarray(np.where(self.rows > 1, variance, np.nan), dtype=np.float64)

    def label_shares(self, n_labels: int) -> FloatArray:
        """Weighted share of each label ``0..n_labels-1``, shape ``(*groups, n_labels)``."""
        totals = self.cells.label_totals(n_labels)
        return np.asarray(totals / totals.sum(axis=-1, keepdims=True), dtype=np.float64)

    def blank(self, *arrays: npt.ArrayLike) -> list[FloatArray]:
        """Set every output of an empty group to NaN."""
        return [np.asarray(np.where(self.empty, np.nan, a), dtype=np.float64) for a in arrays]


def blank_pair(a: CellMeans, b: CellMeans, *arrays: npt.ArrayLike) -> list[FloatArray]:
    """Set every output that involves an empty group of ``a`` or ``b`` to NaN."""
    empty = a.empty | b.empty
    return [np.asarray(np.where(empty, np.nan, array), dtype=np.float64) for array in arrays]


def normal_pvalue(
    statistic: npt.ArrayLike, alternative: Alternative, *, df: npt.ArrayLike | None = None
) -> FloatArray:
    """p-value of a standard normal (or Student t with ``df``) test statistic."""
    from scipy import special

    value = np.asarray(statistic, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if df is None:
            upper, lower = special.ndtr(-value), special.ndtr(value)
        else:
            from scipy import stats

            upper, lower = stats.t.sf(value, df), stats.t.cdf(value, df)
    return tail_pvalue(upper, lower, alternative)


def open_side(
    low: npt.ArrayLike, high: npt.ArrayLike, alternative: Alternative
) -> tuple[FloatArray, FloatArray]:
    """Open a one-sided interval: ``high = inf`` for "greater", ``low = -inf`` for "less"."""
    low_array = np.asarray(low, dtype=np.float64)
    high_array = np.asarray(high, dtype=np.float64)
    if alternative == "greater":
        high_array = np.full(high_array.shape, np.inf)
    elif alternative == "less":
        low_array = np.full(low_array.shape, -np.inf)
    return low_array, high_array


def normal_limits(
    centre: npt.ArrayLike,
    standard_error: npt.ArrayLike,
    *,
    confidence_level: float,
    alternative: Alternative,
) -> tuple[FloatArray, FloatArray]:
    """``centre -/+ z * standard_error``, opened on the side ``alternative`` leaves out."""
    z = normal_quantile(confidence_level, alternative)
    centre_array = np.asarray(centre, dtype=np.float64)
    se = np.asarray(standard_error, dtype=np.float64)
    return open_side(centre_array - z * se, centre_array + z * se, alternative)


def bootstrap_interval(
    sample: CellMeans,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
) -> BootstrapInterval:
    """Count bootstrap of the sample's (scaled) mean, per group."""
    (result,) = count_bootstraps(
        [sample.count],
        [BootstrapTarget(sample.statistic, (0,))],
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return result


def _bootstrap_test(
    a: CellMeans, b: CellMeans, difference: FloatArray, result: BootstrapInterval
) -> Difference:
    """Return the difference, its bootstrap limits, ``d / se_boot`` and the p-value."""
    assert result.pvalue is not None  # requested through null_value
    statistic = ratio_or_infinite(difference, result.standard_error)
    values = blank_pair(a, b, difference, result.low, result.high, statistic, result.pvalue)
    return Difference(*values)


def bootstrap_difference(
    a: CellMeans,
    b: CellMeans,
    difference: FloatArray,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: RandomSource,
) -> Difference:
    """Count bootstrap of ``a - b`` (a resampled from the first stream, b from the second).

    ``difference`` is the reported point difference. The statistic is it
    over the bootstrap standard error; the p-value is that of the test that
    inverts the bootstrap interval, so test and interval always agree.
    """
    target = BootstrapTarget(
        DifferenceStatistic(a.statistic, b.statistic), (0, 1), alternative, null_value=0.0
    )
    (result,) = count_bootstraps(
        [a.count, b.count],
        [target],
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return _bootstrap_test(a, b, difference, result)


def bootstrap_interval_and_difference(
    a: CellMeans,
    b: CellMeans,
    difference: FloatArray,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
) -> tuple[BootstrapInterval, Difference]:
    """Return the interval of a and its two-sided comparison with b, from one set of resamples.

    Equal to :func:`bootstrap_interval` of a with sample a's stream and
    :func:`bootstrap_difference` with ``rng`` (whose first stream resamples
    a and second resamples b), at the cost of one set of resamples of a.
    """
    interval, comparison = count_bootstraps(
        [a.count, b.count],
        [
            BootstrapTarget(a.statistic, (0,)),
            BootstrapTarget(DifferenceStatistic(a.statistic, b.statistic), (0, 1), null_value=0.0),
        ],
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return interval, _bootstrap_test(a, b, difference, comparison)
