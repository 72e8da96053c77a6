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
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable, kish_effective_n, weight_unit
from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    Alternative,
    BootstrapInterval,
    BootstrapMethod,
    BootstrapTarget,
    RandomSource,
    cell_sums,
    count_bootstraps,
    inverted_pvalue,
    normal_quantile,
    ratio_or_infinite,
    tail_pvalue,
)
from loyaltymetrics._engine._results import ConfidenceInterval, Result
from loyaltymetrics._engine._validation import (
    as_1d_array,
    check_choice,
    check_confidence_level,
    check_integer_scores,
    check_n_resamples,
    check_rng,
)

__all__ = [
    "ALTERNATIVES",
    "BOOTSTRAP_DIFFERENCES",
    "BOOTSTRAP_ENGINES",
    "BootstrapEngine",
    "CellMeans",
    "ComparisonOptions",
    "Difference",
    "Interval",
    "MeanStatistic",
    "bootstrap_confidence_interval",
    "bootstrap_difference",
    "bootstrap_interval",
    "bootstrap_interval_and_difference",
    "check_comparison_options",
    "check_engine",
    "check_paired",
    "normal_limits",
    "normal_pvalue",
    "open_side",
    "paired_difference",
    "paired_means",
    "paired_table",
    "scipy_bootstrap_difference",
    "scipy_bootstrap_interval",
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


#: Counts per cell plane above which a statistic is evaluated a few groups at a time.
_CHUNK = 1 << 15


def _power_of_ten(decimals: int) -> float | None:
    """``10.0 ** decimals`` as numpy's ``round`` forms it, for 0 <= decimals <= 22 (exact)."""
    return float(10**decimals) if 0 <= decimals <= 22 else None


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
        groups = self.weight.shape[0] if self.weight.ndim == 2 else 0
        plane = count.size // max(1, count.shape[-1])
        if count.ndim < 3 or count.shape[-2] != groups or plane <= _CHUNK:
            mean = self._evaluate(count, self.weight, self.weighted_value)
        else:
            # Large replicate blocks: a few groups at a time, so that the sums,
            # the ratio and the rounding run on planes that stay in cache.
            mean = np.empty_like(count[..., 0], dtype=np.float64)
            step = max(1, _CHUNK // max(1, plane // groups))
            for start in range(0, groups, step):
                chunk = slice(start, start + step)
                mean[..., chunk] = self._evaluate(
                    count[..., chunk, :], self.weight[chunk], self.weighted_value[chunk]
                )
        self._last[:] = [count, mean]
        return np.asarray(mean, dtype=np.float64)

    def _evaluate(
        self, count: IntArray, weight: FloatArray, weighted_value: FloatArray
    ) -> FloatArray:
        total, weighted_sum = cell_sums(count, weight, weighted_value)
        # In place (both sums are new arrays): factor * sum / total, then
        # numpy's rounding to ``snap`` decimals, rint(x * 10**snap) / 10**snap.
        mean = np.multiply(weighted_sum, self.factor, out=weighted_sum)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(mean, total, out=mean)
        if self.snap is not None:
            scale = _power_of_ten(self.snap)
            if scale is None:
                mean = np.round(mean, self.snap)
            else:
                np.multiply(mean, scale, out=mean)
                np.rint(mean, out=mean)
                np.divide(mean, scale, out=mean)
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
        weight = np.where(self.empty[..., None], 1.0, full.weight)
        # Every summary is a ratio of weighted sums: scaled exactly by a power of
        # two, huge weights neither overflow when summed times a value or
        # squared, and ordinary ones give the same numbers bit for bit.
        self.weight = weight * weight_unit(weight)
        self.count = np.where(self.empty[..., None], placeholder, count)
        self.cells = CellTable(point=full.point, weight=self.weight, count=self.count)
        self.x = value_of_point(full.point)
        weighted = self.count * self.weight
        self.total_weight = weighted.sum(axis=-1)
        self.estimate = (weighted * self.x).sum(axis=-1) / self.total_weight
        self.effective_n = kish_effective_n(self.count, self.weight)
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


def bootstrap_confidence_interval(
    sample: CellMeans,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
    scale: float = 1.0,
    bound: float | None = None,
) -> ConfidenceInterval:
    """Count bootstrap of one group's mean, with its bootstrap distribution and standard error.

    The limits, replicates and standard error are multiplied by ``scale``
    after the bootstrap (as the batch functions report a share on 0..100),
    and the limits clipped to ``[-bound, bound]`` when ``bound`` is given.
    """
    result = bootstrap_interval(
        sample,
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    low, high = (scale * float(limit) for limit in (result.low, result.high))
    if bound is not None:
        with np.errstate(invalid="ignore"):
            low, high = (float(np.clip(limit, -bound, bound)) for limit in (low, high))
    distribution = None if result.distribution is None else scale * result.distribution
    return ConfidenceInterval(
        low,
        high,
        bootstrap_distribution=distribution,
        standard_error=scale * float(result.standard_error),
    )


BootstrapEngine = Literal["count", "scipy"]
BOOTSTRAP_ENGINES: tuple[BootstrapEngine, ...] = ("count", "scipy")


def check_engine(engine: object, method: str) -> BootstrapEngine:
    """Return ``engine`` ("count" or "scipy"); "scipy" needs a bootstrap ``method``."""
    chosen = check_choice(engine, name="engine", choices=BOOTSTRAP_ENGINES)
    if chosen == "scipy" and method not in BOOTSTRAP_METHODS:
        raise ValueError(
            f"`engine='scipy'` runs scipy.stats.bootstrap, so `method` must be one of "
            f"{', '.join(map(repr, BOOTSTRAP_METHODS))}; got {method!r}"
        )
    return chosen


#: Rows x resamples scipy's bootstrap holds at once (its ``batch``), about 80 MB.
_SCIPY_BATCH_VALUES = 10_000_000


def _cell_rows(sample: CellMeans) -> tuple[FloatArray, FloatArray]:
    """Rebuild the rows a one-group sample's cells stand for: values and weights, repeated.

    Zero-weight rows, which carry nothing of the estimate, are left out as in
    the count bootstrap (their count is 0 in ``sample``).
    """
    count = sample.count.reshape(-1)
    return np.repeat(sample.x.reshape(-1), count), np.repeat(sample.weight.reshape(-1), count)


def _run_scipy(
    data: tuple[npt.NDArray[Any], ...],
    statistic: Callable[..., FloatArray],
    *,
    paired: bool,
    confidence_level: float,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator,
) -> Any:
    """``scipy.stats.bootstrap`` of a vectorised statistic, in batches of bounded memory."""
    from scipy import stats

    rows = max(sample.shape[0] for sample in data)
    return stats.bootstrap(
        data,
        statistic,
        paired=paired,
        vectorized=True,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        method=method,
        alternative=alternative,
        batch=max(1, _SCIPY_BATCH_VALUES // max(1, rows)),
        rng=rng,
    )


def _weighted_mean(x: FloatArray, w: FloatArray, axis: int) -> FloatArray:
    return np.asarray(np.sum(x * w, axis=axis) / np.sum(w, axis=axis), dtype=np.float64)


def scipy_bootstrap_interval(
    sample: CellMeans,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: np.random.Generator,
    bound: float | None = None,
) -> ConfidenceInterval:
    """``scipy.stats.bootstrap`` of one group's (scaled) mean, on the rows its cells stand for.

    The interval carries scipy's bootstrap distribution and standard error;
    its limits are clipped to ``[-bound, bound]`` when ``bound`` is given.

    The rows are rebuilt from the cells (see :func:`_cell_rows`), and
    resampled paired with their weights when weighted. This is the row
    bootstrap the count bootstrap equals in distribution; it costs O(n) per
    resample (and O(n^2) for BCa's jackknife) where the count bootstrap costs
    O(cells).

    A sample without spread (one row, or every row alike) gets the count
    bootstrap's answer without calling scipy, as :func:`_scipy_test` does:
    every replicate is the estimate, so the interval has zero width there
    and the standard error is 0 (scipy refuses a one-row sample).
    """
    values, weights = _cell_rows(sample)
    factor = sample.statistic.factor
    if _no_spread(sample):
        estimate = float(factor * values[0]) if values.size else float("nan")
        return ConfidenceInterval(
            estimate,
            estimate,
            bootstrap_distribution=np.full(n_resamples, estimate),
            standard_error=0.0,
        )
    options: dict[str, Any] = {
        "confidence_level": confidence_level,
        "method": method,
        "alternative": "two-sided",
        "n_resamples": n_resamples,
        "rng": rng,
    }
    if not sample.cells.is_weighted:

        def mean(x: FloatArray, axis: int = -1) -> FloatArray:
            return np.asarray(factor * np.mean(x, axis=axis), dtype=np.float64)

        result = _run_scipy((values,), mean, paired=False, **options)
    else:

        def weighted_mean(x: FloatArray, w: FloatArray, axis: int = -1) -> FloatArray:
            return factor * _weighted_mean(x, w, axis)

        result = _run_scipy((values, weights), weighted_mean, paired=True, **options)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if bound is not None:
        low, high = (min(bound, max(-bound, limit)) for limit in (low, high))
    return ConfidenceInterval(
        low,
        high,
        bootstrap_distribution=np.asarray(result.bootstrap_distribution, dtype=np.float64),
        standard_error=float(result.standard_error),
    )


def _no_spread(*samples: CellMeans) -> bool:
    """Return True when, within each sample, every row has the same value."""
    for sample in samples:
        populated = sample.count.reshape(-1) > 0
        values = np.broadcast_to(sample.x, sample.count.shape).reshape(-1)[populated]
        if values.size and values.min() != values.max():
            return False
    return True


def _scipy_test(
    run: Callable[[], Any],
    samples: tuple[CellMeans, ...],
    statistic: Callable[..., FloatArray],
    difference: FloatArray,
    *,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
) -> tuple[Difference, ConfidenceInterval]:
    """Test a difference with scipy's bootstrap ``run()``: limits, ``d / se``, inverted p-value.

    The p-value inverts scipy's bootstrap distribution as the count
    bootstrap's test inverts its own (:func:`inverted_pvalue`), with the
    estimate, bias correction and acceleration from the cells. Without any
    spread (every replicate would be the estimate) scipy is not called: the
    interval is the estimate itself, as for the count bootstrap.
    """
    counts = [sample.count for sample in samples]
    snap = samples[0].statistic.snap
    if _no_spread(*samples):
        theta_b = np.full(n_resamples, float(difference))
        low, high = open_side(difference, difference, alternative)
        standard_error = 0.0
    else:
        result = run()
        theta_b = np.asarray(result.bootstrap_distribution, dtype=np.float64)
        low = np.asarray(result.confidence_interval.low, dtype=np.float64)
        high = np.asarray(result.confidence_interval.high, dtype=np.float64)
        standard_error = float(result.standard_error)
    # Replicates equal to the estimate must compare as ties, as in the count bootstrap.
    snapped = theta_b if snap is None else np.round(theta_b, snap)
    pvalue = inverted_pvalue(
        snapped, counts, statistic, 0.0, method=method, alternative=alternative
    )
    test = Difference(
        *blank_pair(
            samples[0],
            samples[-1],
            difference,
            low,
            high,
            ratio_or_infinite(difference, standard_error),
            pvalue,
        )
    )
    interval = ConfidenceInterval(
        float(test.low),
        float(test.high),
        bootstrap_distribution=theta_b,
        standard_error=standard_error,
    )
    return test, interval


def scipy_bootstrap_difference(
    a: CellMeans,
    b: CellMeans,
    difference: FloatArray,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[Difference, ConfidenceInterval]:
    """``scipy.stats.bootstrap`` of ``a - b`` for two independent one-group samples.

    Each sample's rows are rebuilt from its cells and resampled on its own
    (scipy's independent multi-sample bootstrap); scipy resamples the row
    *indices* of each sample, so that a weighted row keeps its weight. The
    statistic is the difference of the (weighted) means, times the
    samples' factor. Returns the test (as :func:`bootstrap_difference`) and
    the interval with scipy's bootstrap distribution and standard error,
    unclipped (infinite on the open side of a one-sided interval).
    """
    rows = [_cell_rows(a), _cell_rows(b)]
    factor = a.statistic.factor
    # A one-row sample resamples to itself: scipy (which needs two rows per
    # sample) resamples the other sample only, and the one row is a constant.
    varying = [index for index, (x, _) in enumerate(rows) if x.shape[0] > 1]

    def statistic(*indices: IntArray, axis: int = -1) -> FloatArray:
        drawn = dict(zip(varying, indices, strict=True))
        means = [
            _weighted_mean(x[drawn[index]], w[drawn[index]], axis) if index in drawn else x[0]
            for index, (x, w) in enumerate(rows)
        ]
        return np.asarray(factor * (means[0] - means[1]), dtype=np.float64)

    def run() -> Any:
        return _run_scipy(
            tuple(np.arange(rows[index][0].shape[0]) for index in varying),
            statistic,
            paired=False,
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
        )

    return _scipy_test(
        run,
        (a, b),
        DifferenceStatistic(a.statistic, b.statistic),
        difference,
        method=method,
        alternative=alternative,
        n_resamples=n_resamples,
    )


def _bootstrap_test(
    a: CellMeans, b: CellMeans, difference: FloatArray, result: BootstrapInterval
) -> Difference:
    """Return the difference, its bootstrap limits, ``d / se_boot`` and the p-value."""
    assert result.pvalue is not None  # requested through null_value
    statistic = ratio_or_infinite(difference, result.standard_error)
    values = blank_pair(a, b, difference, result.low, result.high, statistic, result.pvalue)
    return Difference(*values)


def _count_difference(
    a: CellMeans,
    b: CellMeans,
    difference: FloatArray,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: RandomSource,
) -> tuple[Difference, BootstrapInterval]:
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
    return _bootstrap_test(a, b, difference, result), result


def bootstrap_difference(
    a: CellMeans, b: CellMeans, difference: FloatArray, **options: Any
) -> Difference:
    """Count bootstrap of ``a - b`` (a resampled from the first stream, b from the second).

    ``difference`` is the reported point difference; ``options`` are
    ``confidence_level``, ``method``, ``alternative``, ``n_resamples`` and
    ``rng`` (a :data:`RandomSource`). The statistic is the difference over
    the bootstrap standard error; the p-value is that of the test that
    inverts the bootstrap interval, so test and interval always agree.
    """
    return _count_difference(a, b, difference, **options)[0]


def _with_distribution(test: Difference, result: BootstrapInterval) -> ConfidenceInterval:
    """Return a one-group test's interval, with its bootstrap distribution and standard error."""
    return ConfidenceInterval(
        float(test.low),
        float(test.high),
        bootstrap_distribution=result.distribution,
        standard_error=float(result.standard_error),
    )


def count_bootstrap_difference(
    a: CellMeans, b: CellMeans, difference: FloatArray, **options: Any
) -> tuple[Difference, ConfidenceInterval]:
    """:func:`bootstrap_difference` of two one-group samples, with its interval.

    The interval carries the bootstrap distribution and standard error; the
    call is that of :func:`scipy_bootstrap_difference`, the other engine.
    """
    test, result = _count_difference(a, b, difference, **options)
    return test, _with_distribution(test, result)


#: The two-sample bootstrap of each engine, by name.
BOOTSTRAP_DIFFERENCES = {
    "count": count_bootstrap_difference,
    "scipy": scipy_bootstrap_difference,
}


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


def t_quantile(confidence_level: float, df: FloatArray, alternative: Alternative) -> FloatArray:
    """Student t critical value for a confidence level (NaN where ``df`` is not positive)."""
    from scipy import stats

    tail = 1.0 - confidence_level
    if alternative == "two-sided":
        tail /= 2.0
    with np.errstate(invalid="ignore"):
        return np.asarray(stats.t.isf(tail, np.where(df > 0, df, np.nan)), dtype=np.float64)


PairedMethod = Literal["wald", "adjusted-wald", "t", "percentile", "basic", "bca"]


ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")


class ComparisonOptions(NamedTuple):
    """The validated options of a comparison."""

    method: str
    alternative: Alternative
    confidence_level: float
    n_resamples: int
    rng: np.random.Generator
    engine: BootstrapEngine

    def stored(self) -> dict[str, Any]:
        """Return the options a comparison keeps to be recomputed (all but ``rng``)."""
        kept = self._asdict()
        del kept["rng"]
        return kept


def check_comparison_options(
    method: object,
    methods: tuple[str, ...],
    alternative: object,
    confidence_level: object,
    n_resamples: object,
    rng: object,
    engine: object,
) -> ComparisonOptions:
    """Validate the options every comparison takes (``method`` one of ``methods``).

    A one-sided Newcombe interval is a limit of a two-sided Wilson interval
    at level ``2 * confidence_level - 1``, so it needs a level above 0.5.
    """
    chosen = check_choice(method, name="method", choices=methods)
    options = ComparisonOptions(
        chosen,
        check_choice(alternative, name="alternative", choices=ALTERNATIVES),
        check_confidence_level(confidence_level),
        check_n_resamples(n_resamples),
        check_rng(rng),
        check_engine(engine, chosen),
    )
    if (
        options.alternative != "two-sided"
        and chosen == "newcombe"
        and options.confidence_level <= 0.5
    ):
        raise ValueError(
            "`confidence_level` must exceed 0.5 for a one-sided Newcombe interval; "
            f"got {confidence_level!r}"
        )
    return options


def check_paired(paired: object) -> bool:
    """Return ``paired`` (True or False)."""
    if not isinstance(paired, bool | np.bool_):
        raise TypeError(f"`paired` must be True or False; got {paired!r}")
    return bool(paired)


def paired_table(
    a: object,
    b: object,
    *,
    low: int,
    high: int,
    answer_of_score: IntArray,
    nan_policy: str,
) -> tuple[IntArray, int, bool]:
    """Reduce two answers per respondent to the k x k table of (a answer, b answer) counts.

    ``a`` and ``b`` are raw integer scores on ``low..high``, row i of both
    being the same respondent; ``answer_of_score[score - low]`` is the index
    (0..k-1) of a score's answer in the table (its band, its indicator, or
    its scale point). Cell ``i * k + j`` counts the respondents whose answer
    in ``a`` is i and in ``b`` is j. Missing values follow ``nan_policy``
    per respondent: "raise" raises naming the argument, "omit" drops the
    respondents with either answer missing (their number is returned),
    "propagate" flags the comparison as undefined (the third output).
    """
    for value, name in ((a, "a"), (b, "b")):
        if isinstance(value, Result):
            raise TypeError(
                f"`{name}` must be each respondent's raw answers when `paired=True` "
                f"(pairing needs the rows); got a {type(value).__name__}"
            )
    first = as_1d_array(a, name="a")
    second = as_1d_array(b, name="b")
    if first.shape[0] != second.shape[0]:
        raise ValueError(
            "`b` must have one answer per respondent of `a` when `paired=True` "
            f"(the same length, {first.shape[0]}); got {second.shape[0]}"
        )
    missing = np.zeros(first.shape[0], dtype=bool)
    for array, name in ((first, "a"), (second, "b")):
        # Validates the range and whole numbers, reporting original positions.
        check_integer_scores(array, name=name, low=low, high=high, nan_policy=nan_policy)
        if array.dtype.kind == "f":
            missing |= np.isnan(array)
    keep = ~missing
    n_answers = int(answer_of_score.max()) + 1
    answers = [
        answer_of_score[np.asarray(array[keep], dtype=np.int64) - low] for array in (first, second)
    ]
    counts = np.bincount(answers[0] * n_answers + answers[1], minlength=n_answers**2)
    undefined = bool(missing.any()) and nan_policy == "propagate"
    if not undefined and counts.sum() == 0:
        raise ValueError(
            "`a` and `b` have no respondent with both answers after omitting "
            f"{int(missing.sum())} with a missing one"
        )
    return counts.astype(np.int64), int(missing.sum()), undefined


@dataclass(frozen=True)
class PairedSample:
    """The k x k table of a paired sample as a cell mean of the per-respondent difference.

    ``means`` has one cell per (a answer i, b answer j), point ``i * k + j``,
    valued ``values[i] - values[j]``: its mean is ``mean(a) - mean(b)``.
    """

    means: CellMeans
    values: FloatArray

    @property
    def k(self) -> int:
        return int(self.values.shape[0])

    def rows(self) -> tuple[FloatArray, FloatArray]:
        """Each respondent's two values, rebuilt from the table (in cell order)."""
        point = np.arange(self.k**2)
        count = self.means.count.reshape(-1)
        return (
            np.repeat(self.values[point // self.k], count),
            np.repeat(self.values[point % self.k], count),
        )


def paired_means(
    counts: npt.ArrayLike, values: npt.ArrayLike, *, factor: float = 1.0, snap: int | None = None
) -> PairedSample:
    """Return the paired sample of a k x k table of counts (flat, cell ``i * k + j``).

    Answer ``i`` is valued ``values[i]``; ``factor`` and ``snap`` are as for
    :class:`CellMeans`.
    """
    value_array = np.asarray(values, dtype=np.float64)
    k = value_array.shape[0]

    def difference(point: IntArray) -> FloatArray:
        return np.asarray(value_array[point // k] - value_array[point % k], dtype=np.float64)

    table = CellTable.of_counts(np.asarray(counts, dtype=np.int64))
    return PairedSample(CellMeans(table, difference, factor=factor, snap=snap), value_array)


def _paired_analytic(
    sample: CellMeans,
    difference: FloatArray,
    *,
    method: PairedMethod,
    pseudo_counts: FloatArray | None,
    confidence_level: float,
    alternative: Alternative,
) -> Difference:
    """Wald, adjusted Wald or paired t test and interval of a paired difference."""
    factor = sample.statistic.factor
    centre = difference
    df = None
    if method == "adjusted-wald":
        assert pseudo_counts is not None  # callers give the pseudo-counts of their metric
        augmented = sample.count + pseudo_counts
        n = augmented.sum(axis=-1)
        mean = (augmented * sample.x).sum(axis=-1) / n
        variance = np.maximum((augmented * sample.x**2).sum(axis=-1) / n - mean**2, 0.0) / n
        centre = factor * mean
    else:
        variance = sample.linearised_variance(finite_sample=method == "t")
    standard_error = factor * np.sqrt(variance)
    statistic = ratio_or_infinite(centre, standard_error)
    if method == "t":
        df = sample.rows - 1.0
        half = np.where(
            variance == 0.0, 0.0, t_quantile(confidence_level, df, alternative) * standard_error
        )
        low, high = open_side(centre - half, centre + half, alternative)
        pvalue = np.where(
            variance == 0.0,
            normal_pvalue(statistic, alternative),
            normal_pvalue(statistic, alternative, df=df),
        )
    else:
        low, high = normal_limits(
            centre, standard_error, confidence_level=confidence_level, alternative=alternative
        )
        pvalue = normal_pvalue(statistic, alternative)
    return Difference(*sample.blank(difference, low, high, statistic, pvalue))


def paired_difference(
    paired: PairedSample,
    *,
    method: PairedMethod,
    confidence_level: float,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator,
    engine: BootstrapEngine = "count",
    pseudo_counts: npt.ArrayLike | None = None,
) -> tuple[Difference, ConfidenceInterval]:
    """Difference ``mean(a) - mean(b)`` of a paired sample, with its interval and test.

    Methods: "wald", the difference ± z times its standard error from the
    multinomial k x k table, the plug-in ``sd(d) / sqrt(n)`` of the
    per-respondent differences d (for a share, the McNemar-type
    ``sqrt(p_10 + p_01 - (p_10 - p_01)^2) / sqrt(n)`` of the discordant
    cells); "adjusted-wald", the same on the table plus ``pseudo_counts``
    per cell; "t", the paired t test on d, ``sd(d) (ddof 1) / sqrt(n)`` with
    n - 1 degrees of freedom; bootstrap methods, multinomial resamples of the
    table (``engine="count"``) or ``scipy.stats.bootstrap(..., paired=True)``
    on the rebuilt rows (``engine="scipy"``), with ``d / se_boot`` and the
    p-value of the test that inverts the interval. Results are in the
    sample's factor units; the interval is unclipped and carries, for the
    bootstrap, its distribution and standard error.
    """
    sample = paired.means
    difference = sample.statistic(sample.count)
    if method not in BOOTSTRAP_METHODS:
        pseudo = None if pseudo_counts is None else np.asarray(pseudo_counts, dtype=np.float64)
        test = _paired_analytic(
            sample,
            difference,
            method=method,
            pseudo_counts=pseudo,
            confidence_level=confidence_level,
            alternative=alternative,
        )
        return test, ConfidenceInterval(float(test.low), float(test.high))
    chosen = method
    if engine == "scipy":
        a_rows, b_rows = paired.rows()
        factor = sample.statistic.factor

        def statistic(x: FloatArray, y: FloatArray, axis: int = -1) -> FloatArray:
            return np.asarray(factor * np.mean(x - y, axis=axis), dtype=np.float64)

        def run() -> Any:
            return _run_scipy(
                (a_rows, b_rows),
                statistic,
                paired=True,
                confidence_level=confidence_level,
                method=chosen,
                alternative=alternative,
                n_resamples=n_resamples,
                rng=rng,
            )

        return _scipy_test(
            run,
            (sample,),
            sample.statistic,
            difference,
            method=chosen,
            alternative=alternative,
            n_resamples=n_resamples,
        )
    (result,) = count_bootstraps(
        [sample.count],
        [BootstrapTarget(sample.statistic, (0,), alternative, null_value=0.0)],
        confidence_level=confidence_level,
        method=chosen,
        n_resamples=n_resamples,
        rng=rng,
    )
    test = _bootstrap_test(sample, sample, difference, result)
    return test, _with_distribution(test, result)
