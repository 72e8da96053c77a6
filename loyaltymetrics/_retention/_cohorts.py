"""Acquisition-cohort retention tables from an activity log.

Each customer's cohort is the period of their first activity. Cell (c, k) of
the table is the share of cohort c that is

* "classic" (N-period retention): active in period k after the cohort's own
  period (period c + k);
* "unbounded" (also "rolling" or "return-on-or-after" retention): active in
  period c + k *or any later period* up to the end of observation.

Classic rates can go up and down from one period to the next; unbounded rates
never increase. Both are 1 at k = 0.

The reduce step is one chain of group-bys, run in the caller's dataframe
engine (through narwhals) or, for plain arrays and pandas frames, in numpy on
hashed key codes (see ``loyaltymetrics._engine._frames``): every activity gets
an integer period index; for "unbounded" the first and last period of each
customer come from a group-by and are counted per (first, last) pair; for
"classic" the distinct (customer, period) pairs get their customer's first
period (a window minimum, or a join of the per-customer minimum in SQL and
distributed engines) and are counted per (first period, period). Only that
(cohorts x periods) table is collected.

Periods are the shared calendar vocabulary of ``loyaltymetrics._engine._periods``
(weeks start on Monday; time-zone-aware times count in their own zone's
wall-clock time); an integer ``period`` of N days cuts the time line into
N-day blocks starting on the day of the first activity in the log.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine import _frames
from loyaltymetrics._engine._frames import as_narwhals_frame
from loyaltymetrics._engine._intervals import ProportionMethod
from loyaltymetrics._engine._periods import (
    CALENDAR_PERIODS,
    Period,
    check_period,
    day_of,
    period_column,
    period_index,
    period_start,
    wall_clock,
)
from loyaltymetrics._engine._results import DisplayFormat, TabularResult
from loyaltymetrics._engine._validation import as_1d_labels, check_choice

if TYPE_CHECKING:
    from loyaltymetrics._retention._cohort_segments import CohortInterval, SegmentCohorts

__all__ = ["COHORT_KINDS", "PERIODS", "CohortTable", "cohort_retention"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
CohortKind = Literal["classic", "unbounded"]
COHORT_KINDS: tuple[CohortKind, ...] = ("classic", "unbounded")
#: The calendar periods of the shared vocabulary (see ``_engine._periods``).
PERIODS: tuple[Period, ...] = CALENDAR_PERIODS

_DAY = "__loyaltymetrics_day"
_PERIOD = "__loyaltymetrics_period"
_FIRST = "__loyaltymetrics_first"
_LAST = "__loyaltymetrics_last"
_COUNT = "__loyaltymetrics_customers"


@dataclass(frozen=True, repr=False)
class CohortTable(TabularResult):
    """Retention of acquisition cohorts, period by period.

    Attributes
    ----------
    cohorts : numpy.ndarray
        First day (``datetime64[D]``) of each cohort's period, increasing; only
        periods in which at least one customer was acquired appear.
    sizes : numpy.ndarray
        Customers in each cohort.
    counts : numpy.ndarray
        Shape ``(cohorts, periods)``: customers of cohort c active in period
        c + k ("classic") or in period c + k or later ("unbounded"); 0 in
        cells that cannot be observed.
    rates : numpy.ndarray
        ``counts / sizes`` as shares in [0, 1]; NaN in cells that cannot be
        observed yet (period c + k after the one containing
        ``observation_end``), which is different from a true 0.
    period : str or int
        "day", "week", "month", "quarter", "year", or a number of days.
    kind : str
        "classic" or "unbounded".
    observation_end : numpy.datetime64
        Last day observed; the period containing it is the last observable one.
    n_customers : int
        Customers in all cohorts.
    """

    cohorts: npt.NDArray[np.datetime64]
    sizes: IntArray
    counts: IntArray
    rates: FloatArray
    period: str | int
    kind: str
    observation_end: np.datetime64
    n_customers: int

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "period",
        "kind",
        "n_customers",
        "observation_end",
    )

    def _table(self) -> dict[str, Any]:
        columns: dict[str, Any] = {"cohort": self.cohorts, "size": self.sizes}
        for offset in range(self.rates.shape[1]):
            columns[str(offset)] = self.rates[:, offset]
        return columns

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        """Show the rates as percentages (the table keeps the shares)."""
        shown: dict[str, DisplayFormat | None] = {"cohort": None, "size": "count"}
        shown.update((str(offset), "share") for offset in range(self.rates.shape[1]))
        return shown

    def confidence_interval(
        self, confidence_level: float = 0.95, *, method: ProportionMethod = "wilson"
    ) -> CohortInterval:
        """Confidence interval of every cell: binomial, on the cohort's size.

        Cell (c, k) is ``counts[c, k]`` customers out of ``sizes[c]``, so its
        interval is a binomial proportion interval; see
        :class:`~loyaltymetrics.CohortInterval` for the methods.

        Examples
        --------
        >>> import numpy as np
        >>> import loyaltymetrics as lm
        >>> times = np.array(["2024-01-05", "2024-01-20", "2024-02-03"], dtype="datetime64[D]")
        >>> interval = lm.cohort_retention(["a", "b", "a"], time=times).confidence_interval()
        >>> interval.low.round(3), interval.high.round(3)
        (array([[0.342, 0.095]]), array([[1.   , 0.905]]))
        """
        from loyaltymetrics._retention._cohort_segments import cohort_interval

        return cohort_interval(self, confidence_level=confidence_level, method=method)


def _check_period(period: object) -> Period | int:
    if isinstance(period, bool):
        raise TypeError(f"`period` must be a period name or a number of days; got {period!r}")
    if isinstance(period, np.timedelta64):
        raise TypeError(f"`period` must be a period name or a number of days; got {period!r}")
    if isinstance(period, numbers.Integral):
        if int(period) < 1:
            raise ValueError(f"`period` as a number of days must be at least 1; got {period!r}")
        return int(period)
    if isinstance(period, str):
        return check_period(period, choices=PERIODS)
    raise TypeError(
        "`period` must be one of 'day', 'week', 'month', 'quarter', 'year' or a number of "
        f"days; got {period!r}"
    )


def _period_of_day(day: int, period: Period | int, origin: int) -> int:
    """Return the period index of the day index ``day`` (blocks of days count from ``origin``)."""
    return int(period_index(np.array([day], dtype="datetime64[D]"), period, origin=origin)[0])


@dataclass(frozen=True)
class _Reduced:
    """The collected statistic: customers per (first period, period) pair.

    ``second`` is the period of activity ("classic") or the last active period
    ("unbounded").
    """

    first: IntArray
    second: IntArray
    customers: IntArray
    #: The collected table, for a breakdown by segment keys (None without keys).
    grouped: _frames.Grouped | None = None


def _overview(table: _frames.Table, customer: str, time: str) -> tuple[int, int]:
    """Check for an empty log and missing values; return the first and last day."""
    dtype = _frames.column_dtype(table, time)
    if getattr(dtype, "time_zone", None) is not None:  # wall-clock time, as for the periods
        table = _frames.derive(
            table,
            {
                _DAY: lambda ops: (
                    ops.col(time) if ops.nw is None else wall_clock(ops.nw, time, dtype)
                )
            },
        )
        extremes = _DAY
    else:
        extremes = time
    overview = _frames.group_aggregate(
        table,
        [],
        {
            "rows": ("len", None),
            "customers": ("count", customer),
            "times": ("count", time),
            "first": ("min", extremes),
            "last": ("max", extremes),
        },
    ).values
    rows = int(overview["rows"][0])
    if rows == 0:
        raise ValueError("`data` must contain at least one activity; got an empty table")
    for role, column in (("customer", customer), ("time", time)):
        missing = rows - int(overview[f"{role}s"][0])
        if missing:
            raise ValueError(
                f"`{role}` column {column!r} has {missing} missing values; "
                "every activity needs a customer and a time"
            )
    first, last = (overview[name][0] for name in ("first", "last"))
    return day_of(first, name="time"), day_of(last, name="time")


def _reduce(
    table: _frames.Table,
    *,
    kind: CohortKind,
    period: Period | int,
    end_day: int | None,
    keys: tuple[str, ...] = (),
) -> tuple[_Reduced, int, int]:
    """Stage 1, in the table's engine. Returns the statistic, the origin day and the last day.

    Every activity gets its period index; "unbounded" counts customers per
    (first, last) period from a per-customer group-by; "classic" counts the
    distinct (customer, period) pairs per (first period, period), each pair
    carrying its customer's first period. Segment ``keys`` are one more key
    of every group-by: a customer's first period is then that within the
    segment.
    """
    customer = table.columns["customer"][0]
    time = table.columns["time"][0]
    table = _frames.encode_keys(table, [customer])  # hashed once for every step below
    origin, last_day = _overview(table, customer, time)
    if end_day is not None:
        last_day = end_day
    end_period = _period_of_day(last_day, period, origin)
    activity = _frames.derive(table, {_PERIOD: period_column(table, time, period, origin=origin)})
    if end_day is not None:
        activity = _frames.keep_rows(activity, lambda ops: ops.col(_PERIOD) <= end_period)
    if kind == "unbounded":
        per_customer = _frames.group_table(
            activity, [*keys, customer], {_FIRST: ("min", _PERIOD), _LAST: ("max", _PERIOD)}
        )
        cells = _frames.group_aggregate(
            per_customer, [*keys, _FIRST, _LAST], {_COUNT: ("len", None)}
        )
    else:
        first_period = _period_of_day(origin, period, origin)
        cells = _classic_cells(activity, keys, customer, low=first_period, high=end_period)
    second = _LAST if kind == "unbounded" else _PERIOD
    return (
        _Reduced(
            first=_as_int(cells.keys[_FIRST]),
            second=_as_int(cells.keys[second]),
            customers=np.asarray(cells.values[_COUNT], dtype=np.int64),
            grouped=cells if keys else None,
        ),
        origin,
        last_day,
    )


def _classic_cells(
    activity: _frames.Table, keys: tuple[str, ...], customer: str, *, low: int, high: int
) -> _frames.Grouped:
    """Count customers per (keys, first period, period of activity); periods in ``low..high``.

    Each distinct (customer, period) pair counts once, under its customer's
    first period. Polars collects each customer's first period and set of
    periods as a bit mask when there are at most 64 periods; otherwise the
    distinct pairs are built, given their customer's first period, and counted.
    """
    key_columns = [*keys, customer]
    cells = _frames.count_distinct_by_group_min(
        activity, key_columns, _PERIOD, keep=keys, low=low, high=high, minimum=_FIRST, count=_COUNT
    )
    if cells is not None:
        return cells
    pairs = _frames.group_table(activity, [*key_columns, _PERIOD], {})
    pairs = _frames.with_group_min(pairs, key_columns, _PERIOD, _FIRST)
    return _frames.group_aggregate(pairs, [*keys, _FIRST, _PERIOD], {_COUNT: ("len", None)})


def _as_int(values: npt.NDArray[Any]) -> IntArray:
    return np.asarray(values, dtype=np.float64).astype(np.int64)


def _as_times(values: npt.NDArray[Any]) -> npt.NDArray[np.datetime64]:
    """Check an array of activity times (datetime64, or date / datetime objects)."""
    if values.dtype.kind == "O":
        try:
            values = values.astype("datetime64[us]")
        except (TypeError, ValueError) as error:
            raise TypeError("`time` must hold dates or datetimes") from error
    if values.dtype.kind != "M":
        raise TypeError(f"`time` must hold dates or datetimes; got dtype {values.dtype}")
    missing = np.isnat(values)
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(f"`time` contains a missing value at position {position}")
    return values


def _table_from_reduced(
    reduced: _Reduced,
    *,
    kind: CohortKind,
    period: Period | int,
    origin: int,
    last_day: int,
) -> CohortTable:
    """Stage 2: arrange the statistic as a (cohort, offset) table and divide."""
    end_period = _period_of_day(last_day, period, origin)
    cohort_periods, row = np.unique(reduced.first, return_inverse=True)
    n_columns = end_period - int(cohort_periods[0]) + 1 if cohort_periods.size else 0
    counts = np.zeros((cohort_periods.shape[0], n_columns), dtype=np.int64)
    np.add.at(counts, (row.reshape(-1), reduced.second - reduced.first), reduced.customers)
    if kind == "unbounded":
        # Active in period c + k or later: customers whose last period is >= c + k.
        counts = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    return table_of_counts(
        cohort_periods, counts, kind=kind, period=period, origin=origin, last_day=last_day
    )


def table_of_counts(
    cohort_periods: IntArray,
    counts: IntArray,
    *,
    kind: CohortKind,
    period: Period | int,
    origin: int,
    last_day: int,
) -> CohortTable:
    """Return the table of the (cohort, offset) customer counts of cohorts ``cohort_periods``."""
    end_period = _period_of_day(last_day, period, origin)
    n_columns = counts.shape[1]
    sizes = counts[:, 0].copy() if n_columns else np.zeros(0, dtype=np.int64)
    offsets = np.arange(n_columns)
    observable = cohort_periods[:, None] + offsets[None, :] <= end_period
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(observable, counts / sizes[:, None], np.nan)
    return CohortTable(
        cohorts=period_start(cohort_periods, period, origin=origin),
        sizes=sizes,
        counts=np.where(observable, counts, 0),
        rates=rates,
        period=period,
        kind=kind,
        observation_end=np.datetime64(last_day, "D"),
        n_customers=int(sizes.sum()),
    )


@overload
def cohort_retention(
    data: object,
    /,
    *,
    customer: object = ...,
    time: object,
    period: str | int = ...,
    kind: str = ...,
    observation_end: object = ...,
    by: None = ...,
) -> CohortTable: ...
@overload
def cohort_retention(
    data: object,
    /,
    *,
    customer: object = ...,
    time: object,
    period: str | int = ...,
    kind: str = ...,
    observation_end: object = ...,
    by: object,
) -> SegmentCohorts: ...
def cohort_retention(
    data: object,
    /,
    *,
    customer: object = None,
    time: object,
    period: str | int = "month",
    kind: str = "classic",
    observation_end: object = None,
    by: object = None,
) -> CohortTable | SegmentCohorts:
    """Retention table of acquisition cohorts from an activity log, or one per segment.

    Parameters
    ----------
    data : DataFrame or array_like
        The activity log, one row per activity (order, login, renewal): a
        dataframe that narwhals supports (pandas, polars eager or lazy,
        pyarrow, Dask, DuckDB, PySpark ...), or an array of customer ids.
    customer : str
        With a dataframe, the name of the customer id column. Leave it out
        when ``data`` is an array of customer ids.
    time : str or array_like
        With a dataframe, the name of the column of activity dates or
        datetimes; with an array ``data``, the array of activity times
        (``datetime64``, or date / datetime objects) of the same length.
    period : {"month", "day", "week", "quarter", "year"} or int, default "month"
        Length of a period: a calendar day, week (Monday to Sunday), month,
        quarter or year, or a number of days (blocks of that many days
        starting on the day of the first activity in the log). Times with a
        time zone count in their own zone's wall-clock time.
    kind : {"classic", "unbounded"}, default "classic"
        "classic": cell (c, k) is the share of cohort c active in period k
        after its first period. "unbounded": active in period k or any later
        period.
    observation_end : date, datetime, numpy.datetime64 or str, optional
        Last day of observation; default the day of the last activity. Cells
        of periods that start after the period containing it are NaN in
        ``rates``; activity in those periods is left out.
    by : str, list of str, array_like or list of array_like, optional
        Segment column name(s) (channel, region, plan), or segment array(s)
        of the same length as array ``data``: one cohort table per segment
        (per observed combination of several keys). The segment is one more
        key of the same reduce, so a customer's cohort is their first period
        within the segment; a customer whose activities fall under several
        segments counts in each. Rows with a missing key form their own
        segment, listed last. Every segment is observed to the same end (the
        last activity of the whole log, or ``observation_end``), and an
        integer ``period`` counts from the first activity of the whole log.

    Returns
    -------
    CohortTable or SegmentCohorts
        ``cohorts``, ``sizes``, ``counts`` and ``rates``; ``to_frame()`` gives
        the table with one row per cohort and one rate column per period;
        ``confidence_interval()`` the interval of every cell. With ``by``, a
        :class:`SegmentCohorts`: one such table per segment.

    Raises
    ------
    ValueError
        If the log is empty, a customer id or time is missing, a named column
        is not in ``data``, or ``period`` / ``kind`` is not one of the choices.
    TypeError
        If the time column does not hold dates or datetimes, or column names
        are given with array data (or arrays with a dataframe).

    Notes
    -----
    A customer's cohort is the period of their first activity; period
    indices are calendar periods, so "period 1" of the January cohort is
    February whatever day in January the customer started. The reduce step
    (period of every activity, first and last period per customer, distinct
    customers per cell) runs inside the dataframe's engine; only the small
    (cohort x period) table is collected.

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> customers = ["a", "b", "a", "c", "a", "b"]
    >>> times = np.array(
    ...     ["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10", "2024-03-01", "2024-03-31"],
    ...     dtype="datetime64[D]",
    ... )
    >>> table = lm.cohort_retention(customers, time=times)
    >>> table.cohorts
    array(['2024-01-01', '2024-02-01'], dtype='datetime64[D]')
    >>> table.sizes
    array([2, 1])
    >>> table.rates
    array([[1. , 0.5, 1. ],
           [1. , 0. , nan]])
    >>> lm.cohort_retention(customers, time=times, kind="unbounded").rates
    array([[ 1.,  1.,  1.],
           [ 1.,  0., nan]])

    One table per segment:

    >>> channels = ["app", "web", "app", "web", "app", "web"]
    >>> by_channel = lm.cohort_retention(customers, time=times, by=channels)
    >>> by_channel.segments
    ('app', 'web')
    >>> by_channel.table("web").sizes, by_channel.table("web").rates
    (array([1, 1]), array([[ 1.,  0.,  1.],
           [ 1.,  0., nan]]))
    """
    chosen_period = _check_period(period)
    chosen_kind = check_choice(kind, name="kind", choices=COHORT_KINDS)
    end_day = None if observation_end is None else day_of(observation_end, name="observation_end")
    if as_narwhals_frame(data) is None:
        if customer is not None:
            raise TypeError(
                "`customer` names a column, which needs `data` to be a dataframe; "
                "with arrays, pass the customer ids as `data` and the times as `time`"
            )
        if isinstance(time, str):
            raise TypeError(
                "`time` must be an array when `data` is an array; column names "
                f"such as {time!r} need `data` to be a dataframe"
            )
        ids = as_1d_labels(data, name="customer")
        times = _as_times(_frames.key_array(time, name="time", n=ids.shape[0]))
        if ids.shape[0] == 0:
            raise ValueError("`data` must contain at least one activity; got an empty array")
        data, time = ids, times
    table = _frames.as_table(
        data,
        data_role="customer",
        roles={"customer": customer, "time": time, "by": by},
        key_roles=("customer", "time", "by"),
    )
    if table.is_frame:
        if customer is None:
            raise TypeError("`customer` must name the customer id column of `data`")
        _frames.check_temporal(table, "time")
    keys = _segment_keys(table, by)
    reduced, origin, last_day = _reduce(
        table, kind=chosen_kind, period=chosen_period, end_day=end_day, keys=keys
    )
    if end_day is not None and end_day < origin:
        raise ValueError(
            f"`observation_end` ({np.datetime64(end_day, 'D')}) is before the "
            f"first activity ({np.datetime64(origin, 'D')})"
        )
    if keys:
        from loyaltymetrics._retention._cohort_segments import segment_cohorts

        return segment_cohorts(
            reduced, keys, kind=chosen_kind, period=chosen_period, origin=origin, last_day=last_day
        )
    return _table_from_reduced(
        reduced, kind=chosen_kind, period=chosen_period, origin=origin, last_day=last_day
    )


def _segment_keys(table: _frames.Table, by: object) -> tuple[str, ...]:
    """Return the segment key columns; the customer and time columns cannot be keys."""
    if by is None:
        return ()
    keys = tuple(table.columns["by"])
    clash = set(keys) & {table.columns["customer"][0], table.columns["time"][0]}
    if clash:
        raise ValueError(f"`by` must not include the customer or time column; got {sorted(clash)}")
    return keys
