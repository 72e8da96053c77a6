"""The reduce step: raw validated scores to counts per scale point.

Everything downstream (point estimates, intervals, bootstrap) works on what is
built here, never on the rows. An unweighted sample reduces to one count per
scale point; a weighted one additionally keeps its distinct (scale point,
weight) cells with their multiplicities, which is the sufficient statistic of a
row bootstrap of weighted data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._validation import ScoreSample

__all__ = ["CellTable", "tally_scores"]


@dataclass(frozen=True)
class CellTable:
    """Distinct (scale point, weight) cells of a sample and how many rows each holds.

    Attributes
    ----------
    point
        Index of the scale point (0 for the lowest score on the scale).
    weight
        The weight shared by the rows of the cell (1.0 when unweighted).
    count
        Number of rows in the cell.
    """

    point: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]

    @property
    def n_rows(self) -> int:
        """Number of rows the table summarises."""
        return int(self.count.sum())

    def regroup(self, mapping: npt.NDArray[np.int64]) -> CellTable:
        """Relabel scale points through ``mapping`` (e.g. score to NPS band) and merge cells."""
        return _merge_cells(mapping[self.point], self.weight, self.count)


def _unweighted_cells(point_counts: npt.NDArray[np.int64]) -> CellTable:
    points = np.arange(point_counts.shape[0], dtype=np.int64)
    return CellTable(
        point=points,
        weight=np.ones(points.shape[0], dtype=np.float64),
        count=point_counts.astype(np.int64, copy=False),
    )


def _merge_cells(
    points: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    counts: npt.NDArray[np.int64],
) -> CellTable:
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
        )
    )
    merged = np.add.reduceat(counts[order], starts) if starts.size else counts[:0]
    return CellTable(
        point=sorted_points[starts].astype(np.int64, copy=False),
        weight=sorted_weights[starts],
        count=merged.astype(np.int64, copy=False),
    )


def tally_scores(
    sample: ScoreSample, *, low: int, high: int
) -> tuple[npt.NDArray[np.float64], CellTable]:
    """Count a validated sample per scale point ``low..high``.

    Returns the (weighted, when the sample has weights) total per scale point
    and the cell table. One ``np.bincount`` pass for unweighted data.
    """
    n_points = high - low + 1
    offsets = sample.values if low == 0 else sample.values - low
    if sample.weights is None:
        point_counts = np.bincount(offsets, minlength=n_points).astype(np.int64, copy=False)
        return point_counts.astype(np.float64), _unweighted_cells(point_counts)
    totals = np.bincount(offsets, weights=sample.weights, minlength=n_points).astype(np.float64)
    ones = np.ones(offsets.shape[0], dtype=np.int64)
    return totals, _merge_cells(offsets.astype(np.int64, copy=False), sample.weights, ones)
