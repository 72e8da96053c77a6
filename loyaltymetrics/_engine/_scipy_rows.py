"""``scipy.stats.bootstrap`` on the rows of a batch of cell tables (``engine="scipy"``).

The count bootstrap resamples cell counts; this module runs scipy's own
bootstrap on the respondent rows the cells stand for, one group at a time,
for users who must show that an interval is scipy's. Each group's rows are
rebuilt from its cells (value and weight repeated ``count`` times, zero-weight
rows left out as the count bootstrap leaves them out), and a weighted mean is
resampled with its weights paired to the values.

A difference of two independent groups is scipy's two-sample bootstrap: each
group's rows are resampled on their own (``paired=False``). scipy resamples
each sample along its axis, so the samples handed to it are the row indices
of each group, and the statistic reads values and weights through them: the
pairing of a value with its weight survives the resampling, the jackknife
of BCa included. The p-value is that of the test that inverts the bootstrap
interval, computed on scipy's bootstrap distribution exactly as the count
bootstrap computes it on its own (``_engine._intervals``), so the two engines'
tests have one definition.

Degenerate groups get the count bootstrap's answers: no rows, NaN; fewer than
two rows (scipy refuses such a sample) or a constant bootstrap distribution,
the zero-width interval at the estimate, every resample being the estimate.
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import (
    BootstrapMethod,
    BootstrapTarget,
    _interval_of_replicates,
    ratio_or_infinite,
)
from loyaltymetrics._engine._means import (
    _SCIPY_BATCH_VALUES,
    CellMeans,
    Difference,
    Interval,
    scipy_bootstrap_interval,
)

__all__ = ["scipy_difference", "scipy_interval"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class _Rows:
    """The rows one group's cells stand for: values and weights, each cell ``count`` times."""

    def __init__(self, sample: CellMeans) -> None:
        count = np.where(sample.empty, 0, sample.count)
        self.count = count
        self.value = np.repeat(sample.x, count)
        self.weight = np.repeat(sample.weight, count)
        self.estimate = float(sample.estimate) if count.sum() else float("nan")

    @property
    def n(self) -> int:
        return int(self.value.shape[0])

    def mean(self, index: npt.NDArray[np.float64]) -> FloatArray:
        """Weighted mean of the rows at ``index`` (float row numbers), along the last axis."""
        rows = index.astype(np.intp)
        weight = self.weight[rows]
        return np.asarray(
            np.sum(self.value[rows] * weight, axis=-1) / np.sum(weight, axis=-1),
            dtype=np.float64,
        )


def _run(
    rows: list[_Rows],
    statistic: object,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[float, float, FloatArray]:
    """Run scipy's bootstrap of ``statistic`` of the row indices: its limits and replicates."""
    from scipy import stats

    largest = max(group.n for group in rows)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # A sample whose rows are all alike has a constant distribution; the
        # caller gives it the zero-width interval (scipy's BCa would be NaN).
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            tuple(np.arange(group.n, dtype=np.float64) for group in rows),
            statistic,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            method=method,
            batch=max(1, _SCIPY_BATCH_VALUES // max(1, largest)),
            rng=rng,
            vectorized=True,
        )
    distribution = np.asarray(result.bootstrap_distribution, dtype=np.float64)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return low, high, distribution


def scipy_interval(
    sample: CellMeans,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: np.random.Generator,
    bound: float | None = None,
) -> Interval:
    """Estimate and scipy bootstrap limits of one group's mean (on ``sample``'s value scale).

    :func:`~loyaltymetrics._engine._means.scipy_bootstrap_interval` on the
    group, with the degenerate groups answered as the module notes say. The
    limits are clipped to ``[-bound, bound]`` when ``bound`` is given.
    """
    from scipy import stats

    rows = _Rows(sample)
    estimate = np.array(rows.estimate)
    if rows.n < 2:
        return Interval(estimate, estimate.copy(), estimate.copy())
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = scipy_bootstrap_interval(
            sample,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
            bound=bound,
        )
    low, high = result.low, result.high
    distribution = result.bootstrap_distribution
    if distribution is not None and distribution.min() == distribution.max():
        low = high = rows.estimate
    return Interval(estimate, np.array(low), np.array(high))


def scipy_difference(
    a: CellMeans,
    b: CellMeans,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: np.random.Generator,
    bound: float | None = None,
) -> Difference:
    """Run scipy's two-sample bootstrap of ``mean(a) - mean(b)``, with the inverted test.

    The statistic is the difference over scipy's bootstrap standard error;
    the two-sided p-value inverts the bootstrap interval of ``method`` on
    scipy's distribution. A group of one row is a constant in every resample
    (scipy is run on the other group alone); NaN when either group is empty.
    Limits are clipped to ``[-bound, bound]`` when ``bound`` is given.
    """
    first, second = _Rows(a), _Rows(b)
    difference = first.estimate - second.estimate
    if np.isnan(difference):
        return Difference(*(np.array(np.nan) for _ in range(5)))
    varying = [group for group in (first, second) if group.n >= 2]

    def statistic(*indices: FloatArray, axis: int = -1) -> FloatArray:
        means = iter(indices)
        parts = [
            group.mean(next(means)) if group.n >= 2 else np.asarray(group.estimate)
            for group in (first, second)
        ]
        return np.asarray(parts[0] - parts[1], dtype=np.float64)

    if varying:
        low, high, distribution = _run(
            varying,
            statistic,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
    else:
        low = high = difference
        distribution = np.full(n_resamples, difference)
    constant = distribution.min() == distribution.max()
    if constant:
        low = high = difference
    # The test: the count bootstrap's inversion, read off scipy's replicates.
    samples = [a.count if first.n >= 2 else None, b.count if second.n >= 2 else None]
    counts = [cast("IntArray", count) for count in samples if count is not None]
    inverted = _interval_of_replicates(
        counts,
        BootstrapTarget(
            lambda *count: _count_difference(a, b, first, second, count),
            tuple(range(len(counts))),
            null_value=0.0,
        ),
        distribution,
        confidence_level=confidence_level,
        method=method,
    )
    assert inverted.pvalue is not None
    standard_error = float(np.std(distribution, ddof=1)) if n_resamples > 1 else float("nan")
    if bound is not None:
        low, high = (min(bound, max(-bound, limit)) for limit in (low, high))
    return Difference(
        np.array(difference),
        np.array(low),
        np.array(high),
        ratio_or_infinite(difference, standard_error),
        np.asarray(inverted.pvalue, dtype=np.float64),
    )


def _count_difference(
    a: CellMeans, b: CellMeans, first: _Rows, second: _Rows, counts: tuple[IntArray, ...]
) -> FloatArray:
    """``mean(a) - mean(b)`` on count tables (for BCa's jackknife in the inverted test).

    The samples' statistics must be unscaled (``factor`` 1), as the rows' means are.
    """
    given = iter(counts)
    parts = [
        sample.statistic(next(given)) if rows.n >= 2 else np.asarray(rows.estimate)
        for sample, rows in ((a, first), (b, second))
    ]
    return np.asarray(parts[0] - parts[1], dtype=np.float64)
