"""Cohort tables by segment, and the confidence interval of every cell of a cohort table.

Segments are one more key of the cohort reduce (``_cohorts._reduce``): the
engine counts customers per (segment, first period, period) in the same chain
of group-bys, and the collected counts are spread into one (segments x
cohorts x periods) array by a single ``numpy.add.at``; each segment's table
is a slice of it.

Cell (c, k) of a cohort table is ``counts[c, k]`` customers out of the
cohort's ``sizes[c]``: a binomial proportion, whose interval is any of the
proportion intervals of the engine (Wilson 1927 by default; Agresti & Coull
1998; Jeffreys; Clopper-Pearson "exact"; Wald), as statsmodels'
``proportion_confint`` defines them. The interval treats the cohort's
customers as independent draws of the same retention probability.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine import _frames
from loyaltymetrics._engine._intervals import (
    PROPORTION_METHODS,
    ProportionMethod,
    proportion_interval,
)
from loyaltymetrics._engine._periods import Period
from loyaltymetrics._engine._results import DisplayFormat, TabularResult
from loyaltymetrics._engine._validation import check_choice, check_confidence_level
from loyaltymetrics._retention._cohorts import (
    CohortKind,
    CohortTable,
    _period_of_day,
    _Reduced,
    table_of_counts,
)

__all__ = ["CohortInterval", "SegmentCohorts", "cohort_interval", "segment_cohorts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, repr=False)
class CohortInterval(TabularResult):
    """Confidence interval of every cell of a cohort table.

    Attributes
    ----------
    cohorts : numpy.ndarray
        First day of each cohort's period, as in the table.
    rates : numpy.ndarray
        The table's retention rates, shape ``(cohorts, periods)``.
    low, high : numpy.ndarray
        Limits of each cell's interval, the shape of ``rates``; NaN where
        the rate is (cells not observable yet).
    confidence_level : float
        Level of the intervals.
    method : str
        "wilson", "agresti-coull", "jeffreys", "exact" (Clopper-Pearson) or
        "wald", as ``statsmodels.stats.proportion.proportion_confint``
        defines them ("beta" for "exact", "normal" for "wald"; Wald and
        Agresti-Coull limits are clipped to [0, 1]).

    ``to_frame()`` has one row per observable cell: ``cohort``, ``period``
    (periods after the cohort's first), ``rate``, ``low`` and ``high``.
    """

    cohorts: npt.NDArray[np.datetime64]
    rates: FloatArray
    low: FloatArray
    high: FloatArray
    confidence_level: float
    method: str

    _display_fields: ClassVar[tuple[str, ...] | None] = ("confidence_level", "method")

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        """Show the rates and limits as percentages (the table keeps the shares)."""
        return {"cohort": None, "period": None, "rate": "share", "low": "share", "high": "share"}

    def _table(self) -> dict[str, Any]:
        row, offset = np.nonzero(~np.isnan(self.rates))
        return {
            "cohort": self.cohorts[row],
            "period": offset,
            "rate": self.rates[row, offset],
            "low": self.low[row, offset],
            "high": self.high[row, offset],
        }


def cohort_interval(
    table: CohortTable, *, confidence_level: object, method: object
) -> CohortInterval:
    """Return the binomial interval of every cell of ``table`` (see :class:`CohortInterval`)."""
    level = check_confidence_level(confidence_level)
    chosen: ProportionMethod = check_choice(method, name="method", choices=PROPORTION_METHODS)
    observable = ~np.isnan(table.rates)
    sizes = np.broadcast_to(table.sizes[:, None], table.rates.shape)
    low, high = proportion_interval(
        table.counts, np.maximum(sizes, 1), confidence_level=level, method=chosen
    )
    return CohortInterval(
        cohorts=table.cohorts,
        rates=table.rates,
        low=np.where(observable, low, np.nan),
        high=np.where(observable, high, np.nan),
        confidence_level=level,
        method=chosen,
    )


@dataclass(frozen=True, repr=False)
class SegmentCohorts(TabularResult):
    """Cohort retention tables, one per segment.

    Attributes
    ----------
    keys : tuple of str
        Names of the segment key columns ("by", "by_1", ... for arrays).
    segments : tuple
        The segments in key order (a missing key, its own segment, last):
        the key value, or a tuple of values for several keys.
    tables : tuple of CohortTable
        The cohort table of each segment, in the order of ``segments``: the
        table :func:`cohort_retention` gives on the segment's rows with the
        same ``observation_end``.
    period, kind, observation_end
        As in :class:`CohortTable`, shared by every segment.
    n_customers : int
        Customers counted over all segments (a customer in two segments
        counts twice).

    ``table(segment)`` returns one segment's table; ``to_frame()`` has one
    row per observable cell of every table: the key column(s), ``cohort``,
    ``size``, ``period`` (periods after the cohort's first), ``customers``
    and ``rate``.
    """

    keys: tuple[str, ...]
    segments: tuple[Any, ...]
    tables: tuple[CohortTable, ...] = field(compare=False)
    period: str | int
    kind: str
    observation_end: np.datetime64
    n_customers: int

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "keys",
        "period",
        "kind",
        "n_customers",
        "observation_end",
    )

    def table(self, segment: object) -> CohortTable:
        """Return the cohort table of ``segment`` (a key value, or a tuple of them)."""
        for value, table in zip(self.segments, self.tables, strict=True):
            if value is segment or _equal(value, segment):
                return table
        raise ValueError(f"`segment` {segment!r} is not one of the segments {self.segments!r}")

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        """Show the rates as percentages (the table keeps the shares)."""
        return {"size": "count", "customers": "count", "rate": "share"}

    def _table(self) -> dict[str, Any]:
        parts: list[Mapping[str, Any]] = []
        for index, table in enumerate(self.tables):
            row, offset = np.nonzero(~np.isnan(table.rates))
            parts.append(
                {
                    "segment": np.full(row.shape[0], index),
                    "cohort": table.cohorts[row],
                    "size": table.sizes[row],
                    "period": offset,
                    "customers": table.counts[row, offset],
                    "rate": table.rates[row, offset],
                }
            )
        segment = np.concatenate([part["segment"] for part in parts])
        columns: dict[str, Any] = {}
        for position, key in enumerate(self.keys):
            values = [value[position] if len(self.keys) > 1 else value for value in self.segments]
            columns[key] = np.array(values, dtype=object)[segment]
        for name in ("cohort", "size", "period", "customers", "rate"):
            columns[name] = np.concatenate([part[name] for part in parts])
        return columns


def segment_cohorts(
    reduced: _Reduced,
    keys: tuple[str, ...],
    *,
    kind: CohortKind,
    period: Period | int,
    origin: int,
    last_day: int,
) -> SegmentCohorts:
    """Stage 2 by segment: one (segment, cohort, offset) count array, sliced per segment."""
    assert reduced.grouped is not None
    segment, first_rows = _frames.regroup(reduced.grouped, list(keys))
    n_segments = int(first_rows.shape[0])
    end_period = _period_of_day(last_day, period, origin)
    cohort_periods, row = np.unique(reduced.first, return_inverse=True)
    n_columns = end_period - int(cohort_periods[0]) + 1
    counts = np.zeros((n_segments, cohort_periods.shape[0], n_columns), dtype=np.int64)
    np.add.at(counts, (segment, row.reshape(-1), reduced.second - reduced.first), reduced.customers)
    if kind == "unbounded":
        counts = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1]
    tables = []
    for index in range(n_segments):
        present = np.flatnonzero(counts[index, :, 0] > 0)
        width = end_period - int(cohort_periods[present[0]]) + 1
        tables.append(
            table_of_counts(
                cohort_periods[present],
                counts[index, present, :width],
                kind=kind,
                period=period,
                origin=origin,
                last_day=last_day,
            )
        )
    key_values = [reduced.grouped.keys[key][first_rows] for key in keys]
    segments = tuple(
        values[0] if len(keys) == 1 else tuple(values)
        for values in zip(*(_frames_values(column) for column in key_values), strict=True)
    )
    return SegmentCohorts(
        keys=keys,
        segments=segments,
        tables=tuple(tables),
        period=period,
        kind=kind,
        observation_end=np.datetime64(last_day, "D"),
        n_customers=int(sum(table.n_customers for table in tables)),
    )


def _frames_values(column: npt.NDArray[Any]) -> list[Any]:
    """Plain Python values of a key column (None for a missing key)."""
    return [None if value is None or value != value else value for value in column.tolist()]


def _equal(a: object, b: object) -> bool:
    """Return ``a == b`` as a bool; values without a bool comparison (``pd.NA``) differ."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
