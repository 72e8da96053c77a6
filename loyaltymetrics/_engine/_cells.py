"""The reduced statistic: one batched table of cells, and the reduce that builds it.

Everything downstream (point estimates, intervals, bootstrap) works on a
:class:`CellTable`, never on the rows. A table holds groups x cells: for each
group (a sample, a segment, a period, or a segment-period pair; any number of
leading axes) and each cell, the cell's label, the weight shared by its rows
and how many rows it holds. An unweighted sample reduces to one cell per scale
point; a weighted one to its distinct (scale point, weight) cells, the
sufficient statistic of a row bootstrap of weighted data. The label is an
index that a metric maps to the value it averages (a scale point's score, a
band's -1/0/+1, an indicator, or the ``k``-th of the sample's distinct values
for a continuous quantity).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._validation import ScoreSample

__all__ = [
    "CellTable",
    "as_reported_count",
    "cell_table",
    "kish_effective_n",
    "response_counts",
    "tally_scores",
    "weight_unit",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CellTable:
    """Cells of one or many groups: label, weight and row count, shape ``(*groups, cells)``.

    Attributes
    ----------
    point
        Label of each cell: the index of its scale point (0 for the lowest
        score), band, or distinct value; broadcasts against ``count``.
    weight
        The weight shared by the rows of the cell (1.0 when unweighted);
        broadcasts against ``count``.
    count
        Number of rows in the cell. Padding cells (groups of a batch with
        fewer distinct cells than others) have count 0.
    """

    point: IntArray
    weight: FloatArray
    count: IntArray

    @classmethod
    def of_counts(cls, counts: npt.ArrayLike) -> CellTable:
        """Unweighted table with one cell per label ``0..K-1`` from counts ``(*groups, K)``."""
        count = np.asarray(counts, dtype=np.int64)
        n_cells = count.shape[-1]
        return cls(
            point=np.arange(n_cells, dtype=np.int64),
            weight=np.ones(n_cells, dtype=np.float64),
            count=count,
        )

    @property
    def n_rows(self) -> int:
        """Number of rows the table summarises (all groups)."""
        return int(self.count.sum())

    @property
    def weight_total(self) -> FloatArray:
        """Weighted total of each group (its number of rows when unweighted)."""
        return np.asarray((self.count * self.weight).sum(axis=-1), dtype=np.float64)

    @property
    def is_weighted(self) -> bool:
        """Whether any cell has a weight other than 1."""
        return bool(np.any(self.weight != 1.0))

    def broadcast(self) -> CellTable:
        """Return the table with its three arrays broadcast to one shape."""
        point, weight, count = np.broadcast_arrays(
            np.asarray(self.point, dtype=np.int64),
            np.asarray(self.weight, dtype=np.float64),
            np.asarray(self.count, dtype=np.int64),
        )
        return CellTable(point=point, weight=weight, count=count)

    def take(self, groups: slice | npt.NDArray[np.intp]) -> CellTable:
        """Return the groups ``groups`` (on the first group axis) of a batched table."""
        full = self.broadcast()
        return CellTable(
            point=full.point[groups], weight=full.weight[groups], count=full.count[groups]
        )

    def regroup(self, mapping: IntArray) -> CellTable:
        """Relabel one group's cells through ``mapping`` (e.g. score to NPS band) and merge."""
        return _merge_cells(mapping[self.point], self.weight, self.count)

    def label_totals(self, n_labels: int) -> FloatArray:
        """Weighted total of each label ``0..n_labels-1``, shape ``(*groups, n_labels)``."""
        weighted = self.count * self.weight
        return np.stack(
            [(weighted * (self.point == j)).sum(axis=-1) for j in range(n_labels)], axis=-1
        )


def cell_table(
    count: npt.ArrayLike, point: npt.ArrayLike | None = None, weight: npt.ArrayLike | None = None
) -> CellTable:
    """Return the table of cell arrays; ``point`` defaults to ``arange(K)``, ``weight`` to 1."""
    count_array = np.asarray(count, dtype=np.int64)
    n_cells = count_array.shape[-1]
    return CellTable(
        point=np.arange(n_cells, dtype=np.int64)
        if point is None
        else np.asarray(point, dtype=np.int64),
        weight=np.ones(n_cells) if weight is None else np.asarray(weight, dtype=np.float64),
        count=count_array,
    )


def as_reported_count(value: float, *, weighted: bool) -> float:
    """Return a count as results report it: the whole number of rows, or the weight total."""
    return value if weighted else round(value)


def response_counts(cells: CellTable) -> tuple[int, float, float]:
    """Return one group's number of responses, weight total and Kish's effective n.

    The effective sample size is ``(sum w)**2 / sum w**2`` (Kish 1965, *Survey
    Sampling*); unweighted, all three are the number of responses. A group
    without weight has an effective n of 0.
    """
    full = cells.broadcast()
    total = float((full.count * full.weight).sum())
    return cells.n_rows, total, float(kish_effective_n(full.count, full.weight))


def weight_unit(weight: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return a power of two per group (last axis) that brings its largest weight to [0.5, 1).

    Multiplying by a power of two is exact, so sums of squares of the scaled
    weights cannot overflow and give the same ratios, bit for bit, as the
    unscaled ones (unless those overflow). A group without weight gets 1.
    """
    largest = np.max(weight, axis=-1, keepdims=True, initial=0.0)
    _, exponent = np.frexp(largest)
    return np.asarray(np.ldexp(1.0, -exponent), dtype=np.float64)


def kish_effective_n(count: npt.ArrayLike, weight: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Return Kish's effective n ``(sum w)**2 / sum w**2`` of each group (last axis).

    ``count`` rows of weight ``weight`` per cell (Kish 1965, *Survey
    Sampling*). The ratio does not change with the weights' scale: it is
    computed on the weights scaled by :func:`weight_unit`, so that huge
    weights do not overflow when squared. A group without weight gets 0.
    """
    weights = np.asarray(weight, dtype=np.float64)
    scaled = weights * weight_unit(weights)
    mass = np.asarray(count) * scaled
    sums, squares = mass.sum(axis=-1), (mass * scaled).sum(axis=-1)
    return np.asarray(
        np.divide(sums * sums, squares, out=np.zeros(np.shape(sums)), where=squares > 0),
        dtype=np.float64,
    )


def _unweighted_cells(point_counts: IntArray) -> CellTable:
    return CellTable.of_counts(point_counts)


def _merge_cells(points: IntArray, weights: FloatArray, counts: IntArray) -> CellTable:
    """Sum the counts of rows or cells that share a (point, weight) pair."""
    order = np.lexsort((weights, points))
    sorted_points = points[order]
    sorted_weights = weights[order]
    starts = np.flatnonzero(
        np.concatenate(
            (
                [True],
                (np.diff(sorted_points) != 0) | (np.diff(sorted_weights) != 0),
            )
        )[: points.shape[0]]  # no rows (all missing, propagated): no cells
    )
    merged = np.add.reduceat(counts[order], starts) if starts.size else counts[:0]
    return CellTable(
        point=sorted_points[starts].astype(np.int64, copy=False),
        weight=sorted_weights[starts],
        count=merged.astype(np.int64, copy=False),
    )


#: Scores counted per ``np.bincount`` call: a chunk's platform-integer copy
#: stays small (8 MB) whatever the input's size and dtype.
_CHUNK = 1 << 20


def _count_points(values: npt.NDArray[np.integer[Any]], low: int, n_points: int) -> IntArray:
    """Count validated scores per point ``low..low+n_points-1``, in chunks, on their dtype."""
    counts = np.zeros(n_points + max(low, 0), dtype=np.int64)
    for start in range(0, values.shape[0], _CHUNK):
        chunk = values[start : start + _CHUNK]
        if low < 0:
            chunk = chunk.astype(np.intp) - low
        elif not np.can_cast(chunk.dtype, np.intp):  # uint64
            chunk = chunk.astype(np.intp)
        counts += np.bincount(chunk, minlength=counts.shape[0])
    return counts[max(low, 0) :]


def tally_scores(sample: ScoreSample, *, low: int, high: int) -> tuple[FloatArray, CellTable]:
    """Count a validated sample per scale point ``low..high``.

    Returns the (weighted, when the sample has weights) total per scale point
    and the cell table. Unweighted data is counted by ``np.bincount`` in
    chunks of the input's own dtype, never copied whole.
    """
    n_points = high - low + 1
    if sample.weights is None:
        point_counts = _count_points(sample.values, low, n_points)
        return point_counts.astype(np.float64), _unweighted_cells(point_counts)
    offsets = sample.values.astype(np.int64) - low
    totals = np.bincount(offsets, weights=sample.weights, minlength=n_points).astype(np.float64)
    ones = np.ones(offsets.shape[0], dtype=np.int64)
    return totals, _merge_cells(offsets, sample.weights, ones)
