"""Acquisition-cohort retention tables from an activity log.

Each customer's cohort is the period of their first activity. Cell (c, k) of
the table is the share of cohort c that is

* "classic" (N-period retention): active in period k after the cohort's own
  period (period c + k);
* "unbounded" (also "rolling" or "return-on-or-after" retention): active in
  period c + k *or any later period* up to the end of observation.

Classic rates can go up and down from one period to the next; unbounded rates
never increase. Both are 1 at k = 0.

The reduce step runs in the caller's dataframe engine (through narwhals):
every activity gets an integer period index; for "unbounded" the first and
last period of each customer come from a group-by and are counted per
(first, last) pair; for "classic" each row gets its customer's first period
(a window minimum in pandas and polars, a join of the per-customer minimum
in SQL and distributed engines) and the distinct (customer, period) pairs
are counted per (first period, period). Only that (cohorts x periods) table is collected. Plain
arrays take the same steps in numpy.

Period indices are calendar based and engine independent: days since
0001-01-01 (proleptic Gregorian), weeks starting on Monday, months
``12 * year + month - 1`` and quarters; an integer ``period`` of N days cuts
the time line into N-day blocks starting on the day of the first activity in
the log.
"""

from __future__ import annotations

import datetime
import numbers
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine import _frames
from loyaltymetrics._engine._results import TabularResult
from loyaltymetrics._engine._validation import as_1d_labels, check_choice

__all__ = ["COHORT_KINDS", "PERIODS", "CohortTable", "cohort_retention"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
CohortKind = Literal["classic", "unbounded"]
PeriodName = Literal["day", "week", "month", "quarter"]
COHORT_KINDS: tuple[CohortKind, ...] = ("classic", "unbounded")
PERIODS: tuple[PeriodName, ...] = ("day", "week", "month", "quarter")

# numpy's datetime64[D] counts days from 1970-01-01, which is day 719162 after
# 0001-01-01 (datetime.date(1970, 1, 1).toordinal() - 1).
_EPOCH_DAY = 719_162
_PERIOD = "__loyaltymetrics_period"
_FIRST = "__loyaltymetrics_first"
_LAST = "__loyaltymetrics_last"
_COUNT = "__loyaltymetrics_customers"
# Largest (period x period) grid counted densely in the numpy reduce.
_DENSE_CELLS = 4_000_000


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
        "day", "week", "month", "quarter", or a number of days.
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


def _check_period(period: object) -> PeriodName | int:
    if isinstance(period, bool):
        raise TypeError(f"`period` must be a period name or a number of days; got {period!r}")
    if isinstance(period, numbers.Integral):
        if int(period) < 1:
            raise ValueError(f"`period` as a number of days must be at least 1; got {period!r}")
        return int(period)
    if isinstance(period, str):
        return check_choice(period, name="period", choices=PERIODS)
    raise TypeError(
        f"`period` must be one of 'day', 'week', 'month', 'quarter' or a number of days; "
        f"got {period!r}"
    )


def _day_of(value: object) -> int:
    """Day index (since 0001-01-01) of a date, datetime, datetime64 or ISO string."""
    if not isinstance(value, str | datetime.date | np.datetime64):
        raise TypeError(f"`observation_end` must be a date or datetime; got {value!r}")
    try:
        day = np.datetime64(value, "D")  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise TypeError(f"`observation_end` must be a date or datetime; got {value!r}") from error
    if np.isnat(day):
        raise ValueError("`observation_end` must not be missing (NaT)")
    return int(day.astype(np.int64)) + _EPOCH_DAY


def _period_of_days(days: IntArray, period: PeriodName | int, origin: int) -> IntArray:
    """Period index of day indices (numpy side of the engine expressions below)."""
    if period == "day":
        return days
    if period == "week":
        return days // 7  # 0001-01-01 was a Monday
    if isinstance(period, int):
        return (days - origin) // period
    months = (days - _EPOCH_DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    month_index = months + 1970 * 12
    return month_index if period == "month" else month_index // 3


def _period_start(index: IntArray, period: PeriodName | int, origin: int) -> npt.NDArray[Any]:
    """First day (datetime64[D]) of each period index."""
    if period == "day":
        days = index
    elif period == "week":
        days = index * 7
    elif isinstance(period, int):
        days = origin + index * period
    else:
        month_index = index if period == "month" else index * 3
        return (month_index - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return (days - _EPOCH_DAY).astype("datetime64[D]")


def _period_expression(
    nw: ModuleType, time: str, period: PeriodName | int, origin: int, *, integer: bool = True
) -> Any:
    """Build the engine-side period index of ``time``, equal to :func:`_period_of_days`.

    ``integer=False`` computes in floats, so that a missing time gives a
    missing index in every engine (pandas cannot hold one in an integer column).
    """
    number = nw.Int64 if integer else nw.Float64
    column = nw.col(time)
    year = column.dt.year().cast(number)
    if period in ("month", "quarter"):
        month_index = year * 12 + column.dt.month().cast(number) - 1
        return month_index if period == "month" else month_index // 3
    before = year - 1
    days = (
        before * 365
        + before // 4
        - before // 100
        + before // 400
        + column.dt.ordinal_day().cast(number)
        - 1
    )
    if period == "day":
        return days
    if period == "week":
        return days // 7
    return (days - origin) // period


@dataclass(frozen=True)
class _Reduced:
    """The collected statistic: customers per (first period, period) pair.

    ``second`` is the period of activity ("classic") or the last active period
    ("unbounded").
    """

    first: IntArray
    second: IntArray
    customers: IntArray


def _reduce_frame(
    table: _frames.Table,
    *,
    kind: CohortKind,
    period: PeriodName | int,
    end_day: int | None,
) -> tuple[_Reduced, int, int]:
    """Stage 1 in the engine. Returns the statistic, the origin day and the last day."""
    customer = table.columns["customer"][0]
    time = table.columns["time"][0]

    def summary(nw: ModuleType, frame: Any) -> Any:
        days = _period_expression(nw, time, "day", 0, integer=False)
        return frame.select(
            nw.len().alias("rows"),
            nw.col(customer).count().alias("customers"),
            nw.col(time).count().alias("times"),
            days.min().alias("first_day"),
            days.max().alias("last_day"),
        )

    overview = _frames.collect_reduced(table, summary)
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
    origin = int(overview["first_day"][0])
    last_day = int(overview["last_day"][0]) if end_day is None else end_day
    end_period = int(_period_of_days(np.array([last_day]), period, origin)[0])

    def reduce(nw: ModuleType, frame: Any) -> Any:
        activity = frame.select(
            nw.col(customer), _period_expression(nw, time, period, origin).alias(_PERIOD)
        )
        if end_day is not None:
            activity = activity.filter(nw.col(_PERIOD) <= end_period)
        if kind == "unbounded":
            per_customer = activity.group_by(customer).agg(
                nw.col(_PERIOD).min().alias(_FIRST), nw.col(_PERIOD).max().alias(_LAST)
            )
            return per_customer.group_by(_FIRST, _LAST).agg(nw.len().alias(_COUNT))
        implementation = frame.implementation
        if implementation.is_pandas_like() or implementation.is_polars():
            # A window minimum per customer is cheaper than a join here.
            with_first = activity.with_columns(nw.col(_PERIOD).min().over(customer).alias(_FIRST))
            pairs = with_first.unique(subset=[customer, _PERIOD])
        else:
            # SQL and distributed engines join the per-customer minimum faster.
            first = activity.group_by(customer).agg(nw.col(_PERIOD).min().alias(_FIRST))
            pairs = activity.unique(subset=[customer, _PERIOD]).join(first, on=customer)
        return pairs.group_by(_FIRST, _PERIOD).agg(nw.len().alias(_COUNT))

    reduced = _frames.collect_reduced(table, reduce)
    second = _LAST if kind == "unbounded" else _PERIOD
    return (
        _Reduced(
            first=np.asarray(reduced[_FIRST], dtype=np.int64),
            second=np.asarray(reduced[second], dtype=np.int64),
            customers=np.asarray(reduced[_COUNT], dtype=np.int64),
        ),
        origin,
        last_day,
    )


def _as_days(values: npt.NDArray[Any]) -> IntArray:
    """Day indices of an array of dates / datetimes (datetime64 or date objects)."""
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
    return values.astype("datetime64[D]").astype(np.int64) + _EPOCH_DAY


def _reduce_arrays(
    table: _frames.Table,
    *,
    kind: CohortKind,
    period: PeriodName | int,
    end_day: int | None,
) -> tuple[_Reduced, int, int]:
    """Stage 1 in numpy, the same steps as :func:`_reduce_frame`."""
    assert table._arrays is not None
    ids = as_1d_labels(table._arrays["customer"], name="customer")
    days = _as_days(table._arrays[table.columns["time"][0]])
    if ids.shape[0] == 0:
        raise ValueError("`data` must contain at least one activity; got an empty array")
    origin = int(days.min())
    last_day = int(days.max()) if end_day is None else end_day
    periods = _period_of_days(days, period, origin)
    end_period = int(_period_of_days(np.array([last_day]), period, origin)[0])
    if end_day is not None:
        keep = periods <= end_period
        ids, periods = ids[keep], periods[keep]
    empty = np.zeros(0, dtype=np.int64)
    if ids.shape[0] == 0:
        return _Reduced(empty, empty, empty), origin, last_day
    _, code = np.unique(ids, return_inverse=True)
    code = code.reshape(-1)
    low = int(periods.min())
    span = int(periods.max()) - low + 1
    # Distinct (customer, period) pairs, one integer key each, by sorting.
    keys = np.sort(code.astype(np.int64) * span + (periods - low))
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    pair_customer, pair_period = keys // span, keys % span
    n_customers = int(code.max()) + 1
    # Keys are sorted by customer, then period: the first and last pair of
    # each customer hold their first and last period.
    starts = np.searchsorted(pair_customer, np.arange(n_customers), side="left")
    ends = np.searchsorted(pair_customer, np.arange(n_customers), side="right") - 1
    first = pair_period[starts]
    if kind == "unbounded":
        first_of, second_of = first, pair_period[ends]
    else:
        first_of, second_of = first[pair_customer], pair_period
    # Customers per (first, second) cell: a dense count over span x span cells,
    # or sorting when that grid would be large (daily periods over decades).
    cell_keys = first_of * span + second_of
    if span * span <= _DENSE_CELLS:
        cells = np.bincount(cell_keys, minlength=span * span)
        present = np.flatnonzero(cells)
        customers = cells[present]
    else:
        present, customers = np.unique(cell_keys, return_counts=True)
    return (
        _Reduced(
            (present // span + low).astype(np.int64),
            (present % span + low).astype(np.int64),
            customers.astype(np.int64),
        ),
        origin,
        last_day,
    )


def _table_from_reduced(
    reduced: _Reduced,
    *,
    kind: CohortKind,
    period: PeriodName | int,
    origin: int,
    last_day: int,
) -> CohortTable:
    """Stage 2: arrange the statistic as a (cohort, offset) table and divide."""
    end_period = int(_period_of_days(np.array([last_day]), period, origin)[0])
    cohort_periods, row = np.unique(reduced.first, return_inverse=True)
    n_columns = end_period - int(cohort_periods[0]) + 1 if cohort_periods.size else 0
    counts = np.zeros((cohort_periods.shape[0], n_columns), dtype=np.int64)
    np.add.at(counts, (row.reshape(-1), reduced.second - reduced.first), reduced.customers)
    if kind == "unbounded":
        # Active in period c + k or later: customers whose last period is >= c + k.
        counts = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    sizes = counts[:, 0].copy() if n_columns else np.zeros(0, dtype=np.int64)
    offsets = np.arange(n_columns)
    observable = cohort_periods[:, None] + offsets[None, :] <= end_period
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(observable, counts / sizes[:, None], np.nan)
    return CohortTable(
        cohorts=_period_start(cohort_periods, period, origin),
        sizes=sizes,
        counts=np.where(observable, counts, 0),
        rates=rates,
        period=period,
        kind=kind,
        observation_end=np.datetime64(last_day - _EPOCH_DAY, "D"),
        n_customers=int(sizes.sum()),
    )


def cohort_retention(
    data: object,
    /,
    *,
    customer: object = None,
    time: object,
    period: str | int = "month",
    kind: str = "classic",
    observation_end: object = None,
) -> CohortTable:
    """Retention table of acquisition cohorts from an activity log.

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
    period : {"month", "day", "week", "quarter"} or int, default "month"
        Length of a period: a calendar day, week (Monday to Sunday), month or
        quarter, or a number of days (blocks of that many days starting on
        the day of the first activity in the log).
    kind : {"classic", "unbounded"}, default "classic"
        "classic": cell (c, k) is the share of cohort c active in period k
        after its first period. "unbounded": active in period k or any later
        period.
    observation_end : date, datetime, numpy.datetime64 or str, optional
        Last day of observation; default the day of the last activity. Cells
        of periods that start after the period containing it are NaN in
        ``rates``; activity in those periods is left out.

    Returns
    -------
    CohortTable
        ``cohorts``, ``sizes``, ``counts`` and ``rates``; ``to_frame()`` gives
        the table with one row per cohort and one rate column per period.

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
    """
    chosen_period = _check_period(period)
    chosen_kind = check_choice(kind, name="kind", choices=COHORT_KINDS)
    end_day = None if observation_end is None else _day_of(observation_end)
    table = _frames.as_table(
        data,
        data_role="customer",
        roles={"customer": customer, "time": time},
        key_roles=("customer", "time"),
    )
    if table.is_frame:
        if customer is None:
            raise TypeError("`customer` must name the customer id column of `data`")
        _frames.check_temporal(table, "time")
        reduced, origin, last_day = _reduce_frame(
            table, kind=chosen_kind, period=chosen_period, end_day=end_day
        )
    else:
        if customer is not None:
            raise TypeError(
                "`customer` names a column, which needs `data` to be a dataframe; "
                "with arrays, pass the customer ids as `data` and the times as `time`"
            )
        reduced, origin, last_day = _reduce_arrays(
            table, kind=chosen_kind, period=chosen_period, end_day=end_day
        )
    if end_day is not None and end_day < origin:
        raise ValueError(
            f"`observation_end` ({np.datetime64(end_day - _EPOCH_DAY, 'D')}) is before the "
            f"first activity ({np.datetime64(origin - _EPOCH_DAY, 'D')})"
        )
    return _table_from_reduced(
        reduced, kind=chosen_kind, period=chosen_period, origin=origin, last_day=last_day
    )
