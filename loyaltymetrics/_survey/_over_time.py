"""NPS, CSAT and CES over time: one row per period (per segment), with changes and a trend.

The same two stages as :func:`~loyaltymetrics.by_segment`, with the period as
one more key:

1. **Reduce.** Every response gets the index of its calendar period (the
   library's one period vocabulary, ``_engine._periods``), computed in the
   caller's engine; one group-by counts rows per (segment keys, period,
   score[, weight]). Only that table is collected.
2. **Infer.** The (segment x period) groups are the batch dimension of one
   cell table -- every period of the observed range, so a period without
   responses is a group with no cells (NaN, n = 0). A rolling window of k
   periods is the sum of k periods' counts: each collected entry is counted
   in the k windows it falls in, still on the small table. Each row's
   comparison period is one more cell table (the rows of the first, taken at
   the comparison's positions), and the metric's batch interval and
   comparison functions -- the inference step of ``by_segment`` -- compute
   every row at once.

Random numbers: with ``rng`` turned into a Generator ``g`` (SPEC 7),
``children = g.spawn(R + 1)`` for the ``R`` rows of the table (in row
order); the overall figure uses ``children[0]`` and row ``i`` splits
``children[1 + i]`` into the streams of its own period and of its
comparison period, as the two-sample functions split their generator. Row
``i``'s change is therefore exactly ``compare_*`` called with
``children[1 + i]``, and its interval that of the single-group function
called with ``children[1 + i].spawn(2)[0]``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._corrections import Correction
from loyaltymetrics._engine._frames import (
    Table,
    as_narwhals_frame,
    as_table,
    check_numeric,
    check_temporal,
    columns_of_mapping,
    columns_to_frame,
    derive,
    group_aggregate,
    import_narwhals,
    quiet_narwhals,
    regroup,
)
from loyaltymetrics._engine._intervals import Alternative
from loyaltymetrics._engine._means import BootstrapEngine
from loyaltymetrics._engine._periods import (
    CALENDAR_PERIODS,
    CalendarPeriod,
    Period,
    check_period,
    day_of,
    period_column,
    period_index,
    period_start,
)
from loyaltymetrics._engine._results import ConfidenceInterval, DisplayFormat
from loyaltymetrics._engine._trend import TREND_ERRORS, LinearTrend, TrendError, linear_trend
from loyaltymetrics._engine._validation import (
    check_choice,
    check_confidence_level,
)
from loyaltymetrics._survey._display import breakdown_columns
from loyaltymetrics._survey._metrics import Metric, MetricName
from loyaltymetrics._survey._nps_inference import NPSMethod
from loyaltymetrics._survey._scale_inference import MeanMethod, ShareMethod
from loyaltymetrics._survey._segments import (
    _RESULT_COLUMNS,
    _ROWS,
    BreakdownResult,
    _as_float,
    _Breakdown,
    _cells,
    _checked_cells,
    _infer,
    _Inferred,
    _Options,
    _Reduced,
    comparison_columns,
    count_columns,
    overall_counts,
)

__all__ = ["OverTime", "over_time"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: What each change is measured against: a rule, a baseline period (any day
#: of it, as a date, datetime or ISO text), or None for no changes.
BaselineChoice = Literal["previous", "first"] | datetime.date | np.datetime64 | str | None

_PERIOD = "__loyaltymetrics_period"
_RULES = ("previous", "first")
_TIME_COLUMNS = ("period", "window_start", "reference")


@dataclass(frozen=True, repr=False)
class OverTime(BreakdownResult):
    """A metric per period (per segment), with period-over-period changes.

    Attributes
    ----------
    table : DataFrame or dict of numpy arrays
        One row per period (per segment and period, segments in key order,
        periods in time order), in the caller's frame library as for
        :class:`SegmentBreakdown`. The columns are described in
        :func:`over_time`.
    metric : str
        "nps", "csat", "ces", "share" or "mean".
    estimate : str
        Name of the estimate column: "score", "mean" (CES mean, or the mean
        of a column) or "share".
    period : str
        The calendar period of a row.
    window : int or None
        Periods summed in each row (None: one period per row).
    overall : float
        The estimate on all the data.
    overall_interval : ConfidenceInterval
        Its confidence interval.
    n : int
        Responses counted overall (rows, also when weighted).
    n_periods : int
        Rows per segment.
    n_segments : int
        Segments (1 without ``by``).
    confidence_level : float
        Level of every interval; changes are ``significant`` where the
        corrected p-value is at most ``1 - confidence_level``.
    method : str
        Interval method.
    comparison_method : str or None
        Method of the changes (None without comparisons).
    compare : str or None
        "previous", "first", the baseline period's first day, or None.
    correction : str or None
        Multiple-testing correction over every change in the table.
    weight_total, effective_n : float or None
        Sum of the weights and Kish's effective sample size overall, as in
        :class:`SegmentBreakdown`.
    """

    table: Any = field(compare=False)
    metric: str
    estimate: str
    period: str
    window: int | None
    overall: float
    overall_interval: ConfidenceInterval
    n: int
    n_periods: int
    n_segments: int
    confidence_level: float
    method: str
    comparison_method: str | None
    compare: str | None
    correction: str | None
    weight_total: float | None = None
    effective_n: float | None = None
    _columns: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict, compare=False)
    _counts: CellTable | None = field(default=None, compare=False)
    _values: FloatArray = field(default_factory=lambda: np.zeros(0), compare=False)
    _propagated: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.zeros(0, dtype=bool), compare=False
    )
    #: The configured metric (for displays).
    _metric: Metric | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "metric",
        "period",
        "window",
        "overall",
        "overall_interval",
        "n",
        "weight_total",
        "effective_n",
        "n_periods",
        "n_segments",
        "method",
        "compare",
        "correction",
    )

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        return breakdown_columns(self._columns, metric=self._metric, estimate=self.estimate)

    def trend(
        self,
        *,
        confidence_level: float | None = None,
        alternative: Alternative = "two-sided",
        method: TrendError = "hc3",
    ) -> LinearTrend:
        """Fit the linear trend of the metric over the periods (per segment with ``by``).

        The least-squares line through every respondent's value (NPS -100, 0
        or 100; a CSAT or CES share's 0 or 100; the CES answer) against the
        position ``0, 1, ...`` of their period, fitted from the per-period
        cell counts (windows are not used): exactly the ordinary (weighted,
        with survey weights) least-squares fit on the respondent rows. See
        ``loyaltymetrics._engine._trend`` for the formulas (Weisberg 2014)
        and the standard errors (White 1980; MacKinnon & White 1985).

        Parameters
        ----------
        confidence_level : float, optional
            Coverage of the slope's interval; default the result's level.
        alternative : {"two-sided", "greater", "less"}
            Alternative to "no trend" ("greater": an upward trend).
        method : {"hc3", "classical", "hc0", "hc1", "hc2"}
            Standard error of the slope. HC3 (default) holds whether or not
            the answers' variance changes over time (Long & Ervin 2000).

        Returns
        -------
        LinearTrend
            ``slope`` is the change of the metric per period, on the scale
            of the table's estimate (NPS points per period); ``intercept`` is
            the fitted value in the first period. Fields are floats without
            ``by`` and arrays over the segments (table order) with it. NaN
            for a segment with fewer than two periods holding responses, and
            under ``nan_policy="propagate"`` for a segment with a missing score.

        Examples
        --------
        >>> import numpy as np
        >>> import loyaltymetrics as lm
        >>> rng = np.random.default_rng(0)
        >>> month = np.repeat(np.arange(6), 400)
        >>> promoter = rng.random(month.size) < 0.40 + 0.02 * month
        >>> scores = np.where(promoter, 10, rng.choice([3, 7], size=month.size))
        >>> times = np.datetime64("2025-01", "M") + month
        >>> fit = lm.over_time(scores, time=times).trend()
        >>> round(fit.slope, 2), fit.pvalue < 0.05
        (6.01, True)
        """
        level = self.confidence_level if confidence_level is None else confidence_level
        level = check_confidence_level(level)
        alternative = check_choice(
            alternative, name="alternative", choices=("two-sided", "greater", "less")
        )
        chosen = check_choice(method, name="method", choices=TREND_ERRORS)
        assert self._counts is not None
        counts = self._counts
        fit = linear_trend(
            counts.count,
            self._values[counts.point],
            weights=counts.weight,
            confidence_level=level,
            alternative=alternative,
            method=chosen,
        )
        if not self._propagated.any():
            return fit
        updates: dict[str, Any] = {}
        for name in ("slope", "standard_error", "low", "high", "statistic", "pvalue", "intercept"):
            value = np.where(self._propagated, np.nan, getattr(fit, name))
            updates[name] = float(value) if value.ndim == 0 else value
        return dataclasses.replace(fit, **updates)


# --- validation -----------------------------------------------------------


def _check_window(window: object) -> int | None:
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise TypeError(f"`window` must be a whole number of periods or None; got {window!r}")
    if int(window) < 1:
        raise ValueError(f"`window` must be at least 1 period; got {window!r}")
    return int(window)


def _check_compare(compare: object, period: Period) -> str | int | None:
    """Return "previous", "first", None, or the period index of a baseline."""
    if compare is None or compare in _RULES:
        return compare
    if isinstance(compare, str):
        try:
            day = day_of(compare, name="compare")
        except TypeError:
            raise ValueError(
                "`compare` must be 'previous', 'first', None or a period (a date in it); "
                f"got {compare!r}"
            ) from None
    elif isinstance(compare, datetime.date | np.datetime64):
        day = day_of(compare, name="compare")
    else:
        raise TypeError(
            "`compare` must be 'previous', 'first', None or a period (a date in it); "
            f"got {compare!r}"
        )
    return int(period_index(np.array([day], dtype="datetime64[D]"), period)[0])


def _time_array(values: object) -> npt.NDArray[np.datetime64]:
    """Array times as datetime64 in their own zone's wall-clock time; NaT stays."""
    series_dt = getattr(values, "dt", None)
    if series_dt is not None and getattr(values.dtype, "tz", None) is not None:  # type: ignore[attr-defined]
        values = series_dt.tz_localize(None)
    elif series_dt is not None and getattr(values.dtype, "time_zone", None) is not None:  # type: ignore[attr-defined]
        values = series_dt.replace_time_zone(None)
    to_numpy = getattr(values, "to_numpy", None)
    array = np.asarray(to_numpy() if callable(to_numpy) else values)
    if array.dtype.kind in "OU":
        try:
            array = array.astype("datetime64[us]")
        except (TypeError, ValueError) as error:
            raise TypeError("`time` must hold dates or datetimes") from error
    if array.dtype.kind != "M" or array.ndim != 1:
        raise TypeError(
            f"`time` must be a one-dimensional array of dates or datetimes; got dtype {array.dtype}"
        )
    return array


# --- reduce ---------------------------------------------------------------


@dataclass(frozen=True)
class _TimeReduced(_Reduced):
    """The collected counts, each entry's group being its (segment, period) row."""

    n_groups: int = 0
    segment_rows: npt.NDArray[np.intp] = field(default_factory=lambda: np.zeros(0, np.intp))
    first_period: int = 0
    n_periods: int = 0
    period: Period = "month"
    entry_period: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n_segments(self) -> int:
        return self.n_groups

    def label(self, entry: int) -> str:
        start = period_start(self.entry_period[entry : entry + 1], self.period)[0]
        where = [f"period={start}"]
        if self.keys:
            where.insert(0, super().label(entry))
        return ", ".join(where)


def _table(
    data: object,
    *,
    score: object,
    time: object,
    by: object,
    weights: object,
    boolean_score: bool = False,
) -> Table:
    """Validate the column arguments into a table (a boolean score if ``boolean_score``)."""
    if isinstance(data, Mapping):
        data, roles = columns_of_mapping(
            data, score=score, roles={"time": time, "by": by, "weights": weights}
        )
        time, by, weights, score = roles["time"], roles["by"], roles["weights"], None
    if as_narwhals_frame(data) is None and not isinstance(time, str) and time is not None:
        time = _time_array(time)
    table = as_table(
        data,
        data_role="score",
        roles={"score": score, "time": time, "by": by, "weights": weights},
        key_roles=("by", "time"),
    )
    if time is None:
        raise TypeError("`time` is required: the time column name, or an array of times")
    if table.is_frame:
        if score is None:
            raise TypeError("`score` must name the score column of `data`")
        for role in ("score", "time", "weights"):
            if role in table.columns and len(table.columns[role]) != 1:
                raise ValueError(f"`{role}` must name one column; got {list(table.columns[role])}")
        check_numeric(table, "score", boolean=boolean_score)
        check_temporal(table, "time")
        if weights is not None:
            check_numeric(table, "weights")
    elif score is not None:
        raise TypeError(
            "`score` names a column, so `data` must be a dataframe; "
            "with an array of scores as `data`, leave `score` out"
        )
    return table


def _reduce(table: Table, *, period: Period, has_by: bool) -> _TimeReduced:
    """Stage 1: count rows per (segment, period, score[, weight]) in the engine."""
    keys = table.columns["by"] if has_by else ()
    score_column, time_column = table.columns["score"][0], table.columns["time"][0]
    weight_column = table.columns["weights"][0] if "weights" in table.columns else None
    used = [score_column, time_column] + ([weight_column] if weight_column else [])
    if set(keys) & set(used):
        raise ValueError(
            f"`by` must not include the score, time or weights column; got "
            f"{sorted(set(keys) & set(used))}"
        )
    dated = derive(table, {_PERIOD: period_column(table, time_column, period, integer=False)})
    group_keys = [*keys, _PERIOD, score_column] + ([weight_column] if weight_column else [])
    grouped = group_aggregate(dated, group_keys, {_ROWS: ("len", None)})
    if grouped.n_groups == 0:
        raise ValueError("`data` has no rows: a metric over time needs at least one response")
    rows = np.asarray(grouped.values[_ROWS], dtype=np.int64)
    entry_period = _as_float(grouped.keys[_PERIOD])
    if np.isnan(entry_period).any():
        n_missing = int(rows[np.isnan(entry_period)].sum())
        raise ValueError(f"`time` contains {n_missing} missing values; every response needs a time")
    index = entry_period.astype(np.int64)
    first = int(index.min())
    n_periods = int(index.max()) - first + 1
    segment, segment_rows = regroup(grouped, keys)
    return _TimeReduced(
        table=table,
        grouped=grouped,
        keys=keys,
        segment=(segment * n_periods + (index - first)).astype(np.intp),
        first_rows=segment_rows,
        score=_as_float(grouped.keys[score_column]),
        weight=None if weight_column is None else _as_float(grouped.keys[weight_column]),
        rows=rows,
        n_groups=int(segment_rows.shape[0]) * n_periods,
        segment_rows=segment_rows,
        first_period=first,
        n_periods=n_periods,
        period=period,
        entry_period=index,
    )


def _windowed(reduced: _TimeReduced, window: int) -> _TimeReduced:
    """Count each entry in the ``window`` windows that hold its period (rows: window ends)."""
    n_periods = reduced.n_periods
    if window > n_periods:
        raise ValueError(
            f"`window` ({window}) must not exceed the number of periods in the data ({n_periods})"
        )
    rows_per_segment = n_periods - window + 1
    own = reduced.entry_period - reduced.first_period
    segment = reduced.segment // n_periods
    shift = np.arange(window)
    end = own[:, None] + shift[None, :]  # the window ending at period `end` holds the entry
    keep = (end >= window - 1) & (end < n_periods)
    entry = np.broadcast_to(np.arange(own.shape[0])[:, None], end.shape)[keep]
    group = segment[entry] * rows_per_segment + (end[keep] - (window - 1))

    def repeat(values: npt.NDArray[Any] | None) -> Any:
        return None if values is None else values[entry]

    return dataclasses.replace(
        reduced,
        segment=group.astype(np.intp),
        score=repeat(reduced.score),
        weight=repeat(reduced.weight),
        rows=repeat(reduced.rows),
        n_groups=reduced.segment_rows.shape[0] * rows_per_segment,
        entry_period=repeat(reduced.entry_period),
    )


# --- infer ----------------------------------------------------------------


def _references(
    rule: str | int | None, responses: IntArray, n_segments: int, step: int, offset: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Row of each row's comparison period, and whether it has one.

    ``step`` is the distance of "previous" (the window length: windows that
    do not overlap); ``offset`` the period index of the first row.
    """
    per_segment = responses.shape[0] // n_segments
    position = np.tile(np.arange(per_segment), n_segments)
    base = np.repeat(np.arange(n_segments) * per_segment, per_segment)
    if rule is None:
        return base + position, np.zeros(position.shape[0], dtype=bool)
    if rule == "previous":
        target = position - step
    elif rule == "first":
        answered = responses.reshape(n_segments, per_segment) > 0
        target = np.repeat(np.argmax(answered, axis=1), per_segment)
    else:
        assert isinstance(rule, int)
        target = np.full(position.shape[0], rule - offset)
        if not 0 <= rule - offset < per_segment:
            raise ValueError(
                "`compare` must be a period of the table; the given baseline is not among "
                "its periods"
            )
    valid = (target >= 0) & (target != position)
    reference = base + np.where(valid, target, position)
    return reference.astype(np.intp), valid


def _changes(
    inferred: _Inferred,
    cells: _Breakdown,
    reference: npt.NDArray[np.intp],
    valid: npt.NDArray[np.bool_],
    *,
    correction: Any,
    alpha: float,
) -> dict[str, npt.NDArray[Any]]:
    """Each row against its comparison period, with p-values corrected over the table."""
    assert inferred.differences is not None
    undefined = inferred.empty | inferred.empty[reference] | ~valid
    return comparison_columns(inferred.differences, undefined, correction=correction, alpha=alpha)


# --- assemble -------------------------------------------------------------


def _frame(reduced: _TimeReduced, rows_per_segment: int, values: dict[str, Any]) -> Any:
    """Return the table in the caller's frame library (see :class:`SegmentBreakdown`)."""
    rows = np.repeat(reduced.segment_rows, rows_per_segment)
    grouped, table = reduced.grouped, reduced.table
    if not table.is_frame or (reduced.keys and grouped._frame is not None):
        return columns_to_frame(grouped, rows, values, table=table, key_columns=reduced.keys)
    # Reduced in numpy (eager pandas), or no key columns to carry over.
    columns = {key: grouped.keys[key][rows] for key in reduced.keys}
    columns.update(values)
    nw = import_narwhals()
    with quiet_narwhals():
        source = grouped._frame if grouped._frame is not None else table._frame
        return nw.from_dict(columns, backend=source.implementation).to_native()


def _trend_counts(cells: CellTable, n_segments: int, has_by: bool) -> CellTable:
    full = cells.broadcast()
    shape = (n_segments, -1, full.count.shape[-1])
    table = CellTable(
        point=full.point.reshape(shape),
        weight=full.weight.reshape(shape),
        count=full.count.reshape(shape),
    )
    return table if has_by else table.take(np.zeros((), dtype=np.intp))


def _assemble(
    options: _Options,
    reduced: _TimeReduced,
    rows: _Breakdown,
    inferred: _Inferred,
    changes: dict[str, npt.NDArray[Any]] | None,
    starts: dict[str, npt.NDArray[Any]],
) -> dict[str, npt.NDArray[Any]]:
    """Return the result columns after the keys, in display order."""
    values: dict[str, npt.NDArray[Any]] = {**starts}
    reference = values.pop("reference")
    values.update(
        {
            **count_columns(rows.segments, rows.responses, weighted=reduced.weight is not None),
            options.metric.estimate: inferred.segments.estimate,
            "low": inferred.segments.low,
            "high": inferred.segments.high,
        }
    )
    if changes is not None:
        values["reference"] = reference
        values.update(changes)
    values["n_omitted"] = rows.n_omitted
    return values


def _period_starts(
    reduced: _TimeReduced, window: int, reference: npt.NDArray[np.intp], valid: Any
) -> dict[str, npt.NDArray[Any]]:
    """First day of each row's (last) period, of its window, and of its comparison period."""
    per_segment = reduced.n_periods - window + 1
    ends = reduced.first_period + window - 1 + np.arange(per_segment)
    period = np.tile(period_start(ends, reduced.period), reduced.segment_rows.shape[0])
    starts = {"period": period}
    if window > 1:
        starts["window_start"] = np.tile(
            period_start(ends - (window - 1), reduced.period), reduced.segment_rows.shape[0]
        )
    starts["reference"] = np.where(valid, period[reference], np.datetime64("NaT", "D"))
    return starts


def _compare_label(rule: str | int | None, period: Period) -> str | None:
    if rule is None or isinstance(rule, str):
        return rule
    return str(period_start(np.array([rule]), period)[0])


def over_time(
    data: object,
    /,
    *,
    metric: MetricName = "nps",
    score: str | None = None,
    time: object,
    period: CalendarPeriod = "month",
    by: object = None,
    weights: object = None,
    window: int | None = None,
    compare: BaselineChoice = "previous",
    correction: Correction | None = "holm",
    confidence_level: float = 0.95,
    method: NPSMethod | ShareMethod | MeanMethod | None = None,
    n_resamples: int = 9999,
    rng: object = None,
    engine: BootstrapEngine = "count",
    **metric_options: object,
) -> OverTime:
    """NPS, CSAT or CES per period, with intervals and period-over-period changes.

    Parameters
    ----------
    data : dataframe or array_like
        A dataframe that narwhals supports -- pandas, polars (eager or
        ``LazyFrame``), pyarrow, Dask, DuckDB, PySpark -- with the columns
        named by ``score``, ``time``, ``by`` and ``weights``; a mapping of
        column names to arrays (what ``load_survey()`` returns by default),
        with the same column names; or an array of scores, with ``time``
        (and ``by``, ``weights``) given as arrays of the same length.
    metric : {"nps", "csat", "ces", "share", "mean"}, default "nps"
        The metric. Its options go in ``metric_options``; "share" (of a
        boolean or 0/1 column) and "mean" (of a numeric column) are as in
        :func:`by_segment`.
    score : str
        Name of the score column (dataframe input only).
    time : str or array_like
        The time of each response: a date or datetime column name, or an
        array of dates, datetimes or ISO strings. A missing time is an
        error. A time-zone-aware time counts in its own zone's wall-clock
        time (23:30 on 31 March in Paris is in March).
    period : {"day", "week", "month", "quarter", "year"}, default "month"
        The calendar period of a row; weeks run from Monday to Sunday.
        Every period from the first to the last response appears, those
        without responses with n = 0 and NaN figures, so gaps show.
    by : str, list of str, array_like or list of array_like, optional
        Segment column name(s) or array(s): one series of periods per
        segment (every segment gets every period), segments in key order, a
        missing key last, as in :func:`by_segment`.
    weights : str or array_like, optional
        Survey weights, as in :func:`by_segment`.
    window : int, optional
        Rolling windows of this many periods: each row sums the counts of
        its period and the ``window - 1`` before it, and the rows start at
        the first complete window. None (default): one period per row.
    compare : {"previous", "first"}, a period, or None, default "previous"
        What each row's change is measured against: the previous period
        (with a window, the previous window that does not overlap, ending
        ``window`` periods earlier: overlapping windows share respondents
        and are not independent samples); the first period in which the
        segment has responses; a baseline period, given as a date (or ISO
        string) inside it; or nothing. The comparison period itself, and
        rows without one, have NaN changes. The change is an independent
        two-sample comparison of the two periods' respondents.
    correction : {"holm", "bonferroni", "fdr_bh"} or None, default "holm"
        Multiple-testing correction over every change in the table (all
        segments and periods), as in :func:`by_segment`; undefined p-values
        are left out.
    confidence_level : float, default 0.95
        Level of the intervals; changes are ``significant`` where the
        corrected p-value is at most ``1 - confidence_level``.
    method : str, optional
        Interval method, as in :func:`by_segment` (default "adjusted-wald"
        for NPS, "wilson" for shares, "t" for the CES mean); the change uses
        the same method where the two-sample function has it, else its
        default.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods. With ``children =
        numpy.random.default_rng(rng).spawn(R + 1)`` for the ``R`` rows of
        the table, the overall figure uses ``children[0]``; row ``i``
        (0-based, in table order) gets the change of ``compare_*`` called
        with ``rng=children[1 + i]`` on its own and its comparison period's
        responses, and the interval of the single-group function called
        with ``rng=children[1 + i].spawn(2)[0]`` (both use the same resamples).
    engine : {"count", "scipy"}, default "count"
        For the bootstrap methods: "scipy" runs ``scipy.stats.bootstrap`` on
        each row's respondents (its two-sample bootstrap for the change), as
        in :func:`by_segment`; the interval uses the stream above and the
        change ``rng=children[1 + i]``.
    **metric_options
        ``nan_policy``, and the metric's options, as in :func:`by_segment`.

    Returns
    -------
    OverTime
        ``table`` has, per row: the segment key column(s) with ``by``;
        ``period`` (first day of the row's period, the last of its window);
        ``window_start`` (first day of the window, with ``window`` > 1);
        ``n`` (responses counted, an integer also when weighted); with
        weights, ``weight_total`` and ``effective_n`` (Kish's); the
        estimate (``score``, or ``mean`` for the CES mean) with ``low`` and
        ``high``; with a comparison, ``reference`` (the ``period`` of the
        row compared with, NaT for none), ``difference`` (this period minus
        the comparison period, on the estimate's scale), ``difference_low``,
        ``difference_high``, ``statistic``, ``pvalue``, ``pvalue_corrected``
        and ``significant``; and ``n_omitted``. :meth:`OverTime.trend` fits
        the linear trend.

    Raises
    ------
    ValueError
        For a missing column, an empty frame, a missing time, a score
        outside the scale, a bad weight, a window longer than the data, a
        baseline outside the periods, or an invalid option.
    TypeError
        For a time column that does not hold dates, a non-numeric score,
        arguments of the wrong type, or an option the metric does not have.

    See Also
    --------
    by_segment : the same figures per segment, without a time axis.
    confidence_sequence : a running interval that may be checked at every look.

    Notes
    -----
    The dataframe engine computes each response's period index and runs
    one group-by, counting rows per (segment, period, score[, weight]);
    only that table is collected. The (segment x period) groups are then
    one batch of cell tables, and one vectorised call of the metric's
    interval and comparison functions computes every row; a window sums
    periods' counts; bootstrap methods resample counts, never rows. Every
    row's figures are therefore those of the single-group function on that
    period's responses, and its change that of ``compare_*`` on the two
    periods' responses (bit for bit under the ``rng`` rule above).

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_survey
    >>> survey = load_survey(as_frame="pandas")
    >>> result = lm.over_time(survey, score="nps", time="date", period="quarter")
    >>> result.table[["period", "n", "score", "low", "high", "difference", "significant"]].round(1)
          period    n  score   low  high  difference  significant
    0 2025-01-01  748   25.8  20.0  31.4         NaN        False
    1 2025-04-01  724   23.8  17.7  29.6        -2.0        False
    2 2025-07-01  768   28.1  22.5  33.6         4.4        False
    3 2025-10-01  760   25.1  19.4  30.7        -3.0        False
    >>> round(result.trend().slope, 2)  # NPS points per quarter
    0.23

    By segment, with rolling windows of three months, against a baseline:

    >>> monthly = lm.over_time(survey, score="nps", time="date", by="region", window=3,
    ...                        compare="2025-03-01")
    >>> monthly.n_segments, monthly.n_periods, monthly.compare
    (4, 10, '2025-03-01')
    """
    options = _Options.check(
        metric=metric,
        method=method,
        confidence_level=confidence_level,
        compare=None if compare is None else "rest",
        correction=correction,
        min_n=0,
        n_resamples=n_resamples,
        rng=rng,
        metric_options=metric_options,
        engine=engine,
    )
    chosen_period = check_period(period, choices=CALENDAR_PERIODS)
    rule = _check_compare(compare, chosen_period)
    span = _check_window(window) or 1
    table = _table(
        data,
        score=score,
        time=time,
        by=by,
        weights=weights,
        boolean_score=options.metric.accepts_boolean,
    )
    reduced = _reduce(table, period=chosen_period, has_by=by is not None)
    options, reduced, per_period = _checked_cells(
        options, reduced, reserved=(*_RESULT_COLUMNS, *_TIME_COLUMNS)
    )
    return _over_time(options, reduced, per_period, rule=rule, window=span)


def _over_time(
    options: _Options,
    reduced: _TimeReduced,
    per_period: _Breakdown,
    *,
    rule: str | int | None,
    window: int,
) -> OverTime:
    """Stages 2 and 3: windows, comparison periods, the batched inference, the result."""
    rows_reduced = reduced if window == 1 else _windowed(reduced, window)
    rows = per_period
    if window > 1:
        rows = _cells(rows_reduced, options.metric, np.isnan(rows_reduced.score))
        rows = dataclasses.replace(rows, overall=per_period.overall)
    n_segments = int(reduced.segment_rows.shape[0])
    reference, valid = _references(
        rule, rows.responses, n_segments, window, reduced.first_period + window - 1
    )
    rows = dataclasses.replace(rows, rest=rows.segments.take(reference))
    inferred = _infer(options, rows)
    changes = None
    if rule is not None:
        changes = _changes(
            inferred,
            rows,
            reference,
            valid,
            correction=options.correction,
            alpha=1.0 - options.level,
        )
    starts = _period_starts(reduced, window, reference, valid)
    values = _assemble(options, reduced, rows, inferred, changes, starts)
    per_segment = len(valid) // n_segments
    key_rows = np.repeat(reduced.segment_rows, per_segment)
    columns = {key: reduced.grouped.keys[key][key_rows] for key in reduced.keys}
    columns.update(values)
    has_by = bool(reduced.keys)
    has_missing = np.asarray(per_period.has_missing.reshape(n_segments, -1).any(axis=1))
    overall = inferred.overall
    return OverTime(
        table=_frame(reduced, per_segment, values),
        metric=options.metric.name,
        estimate=options.metric.estimate,
        period=reduced.period,
        window=None if window == 1 else window,
        overall=float(overall.estimate),
        overall_interval=ConfidenceInterval(float(overall.low), float(overall.high)),
        **overall_counts(per_period.overall),
        n_periods=per_segment,
        n_segments=n_segments,
        confidence_level=options.level,
        method=options.method,
        comparison_method=None if rule is None else options.comparison_method,
        compare=_compare_label(rule, reduced.period),
        correction=options.correction,
        _columns=columns,
        _counts=_trend_counts(per_period.segments, n_segments, has_by),
        _values=options.metric.cell_value,
        _propagated=has_missing if has_by else np.asarray(has_missing[0]),
        _metric=options.metric,
    )
