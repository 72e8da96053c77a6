"""One vocabulary of calendar periods, computed the same way in every engine.

Breakdowns over time (cohort tables, RFM summaries, metrics over time) cut a
time line into periods named by one vocabulary:

* "hour": clock hours;
* "day": calendar days;
* "week": weeks from Monday to Sunday (ISO 8601 weeks);
* "month", "quarter" (January-March, ...), "year": calendar months,
  quarters and years.

Every period has an integer *period index*, the same in numpy and in every
dataframe engine: hours, days or weeks since the one containing 1970-01-01
00:00, and months, quarters or years since January 1970 (negative before
1970). The difference of two indices is a duration in that unit. A number of
days ``N`` (where a caller allows it) cuts the time line into blocks of N
days from an origin day.

Time zones: a time-zone-aware timestamp is bucketed by its own zone's
wall-clock time (2024-03-31 23:30 in Paris is in March, whatever the UTC
time), in every engine: the zone is dropped, keeping the local time, before
the period is computed. (DuckDB's ``TIMESTAMP WITH TIME ZONE`` holds
instants with no zone of their own, and narwhals does not read that type:
cast it to a plain ``TIMESTAMP`` in the zone meant.)
"""

from __future__ import annotations

import datetime
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine import _frames
from loyaltymetrics._engine._validation import check_choice

__all__ = [
    "CALENDAR_PERIODS",
    "DURATION_PERIODS",
    "PERIODS",
    "CalendarPeriod",
    "Period",
    "check_period",
    "day_of",
    "period_column",
    "period_expression",
    "period_index",
    "period_start",
    "wall_clock",
]

Period = Literal["hour", "day", "week", "month", "quarter", "year"]
#: The calendar periods (every period but "hour").
CalendarPeriod = Literal["day", "week", "month", "quarter", "year"]
#: Every period name.
PERIODS: tuple[Period, ...] = ("hour", "day", "week", "month", "quarter", "year")
#: Periods of whole days or longer (cohort tables, breakdowns over time).
CALENDAR_PERIODS: tuple[Period, ...] = ("day", "week", "month", "quarter", "year")
#: Periods of fixed length, usable as units of duration.
DURATION_PERIODS: tuple[Period, ...] = ("hour", "day", "week")

IntArray = npt.NDArray[np.int64]
# Day 0 of the engine expressions is 0001-01-01 (a Monday), which keeps every
# intermediate number non-negative, so floor division means the same in every
# engine; 1970-01-01 is day 719_162 of that count.
_DAY_1970 = 719_162
_WEEK_1970 = _DAY_1970 // 7  # the week (from Monday 1969-12-29) holding 1970-01-01
_MONTH_1970 = 1970 * 12


def check_period(
    value: object, *, name: str = "period", choices: tuple[Period, ...] = PERIODS
) -> Period:
    """Check a period name against ``choices`` (a ValueError names them)."""
    if not isinstance(value, str):
        shown = ", ".join(repr(choice) for choice in choices)
        raise TypeError(f"`{name}` must be one of {shown}; got {value!r}")
    return check_choice(value, name=name, choices=choices)


def day_of(value: object, *, name: str) -> int:
    """Day index (days since 1970-01-01) of a date, datetime, datetime64 or ISO string.

    A time-zone-aware datetime counts by its own wall-clock date.
    """
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if not isinstance(value, str | datetime.date | np.datetime64):
        raise TypeError(f"`{name}` must be a date or datetime; got {value!r}")
    try:
        day = np.datetime64(value, "D")  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise TypeError(f"`{name}` must be a date or datetime; got {value!r}") from error
    if np.isnat(day):
        raise ValueError(f"`{name}` must not be missing (NaT)")
    return int(day.astype(np.int64))


def period_index(values: npt.NDArray[Any], period: Period | int, *, origin: int = 0) -> IntArray:
    """Period index of numpy datetimes (``datetime64``, any unit); NaT is not allowed.

    ``period`` may also be a number of days: blocks of that many days from
    day ``origin`` (a day index).

    Examples
    --------
    >>> import numpy as np
    >>> days = np.array(["1970-01-01", "1970-01-05", "2024-02-29"], dtype="datetime64[D]")
    >>> period_index(days, "week").tolist(), period_index(days, "month").tolist()
    ([0, 1, 2826], [0, 0, 649])
    """
    if period == "hour":
        return values.astype("datetime64[h]").astype(np.int64)
    if period in ("month", "quarter"):
        months = _calendar_index(values, "M")
        return months if period == "month" else months // 3
    if period == "year":
        return _calendar_index(values, "Y")
    days = values.astype("datetime64[D]").astype(np.int64)
    if period == "day":
        return days
    if period == "week":
        return (days + 3) // 7  # 1970-01-01 was a Thursday
    assert isinstance(period, int)
    return (days - origin) // int(period)


#: Arrays of at least this many times get their months or years from a table
#: of the days they span (a calendar conversion of every row is far slower).
_LOOKUP_ROWS = 1 << 16


def _calendar_index(values: npt.NDArray[Any], unit: str) -> IntArray:
    """Months or years since 1970 (``unit`` "M" or "Y") of datetimes, as ``astype`` gives them."""
    if values.shape[0] >= _LOOKUP_ROWS and not np.isnat(values).any():
        days = values.astype("datetime64[D]").view(np.int64)
        low, high = int(days.min()), int(days.max())
        if high - low < values.shape[0]:
            span = np.arange(low, high + 1, dtype=np.int64).astype("datetime64[D]")
            table = span.astype(f"datetime64[{unit}]").astype(np.int64)
            days -= low
            return table[days]
    return values.astype(f"datetime64[{unit}]").astype(np.int64)


def period_start(index: npt.NDArray[Any], period: Period | int, *, origin: int = 0) -> Any:
    """First instant of each period index: ``datetime64[h]`` for hours, else ``datetime64[D]``.

    Examples
    --------
    >>> import numpy as np
    >>> period_start(np.array([0, 2826]), "week")
    array(['1969-12-29', '2024-02-26'], dtype='datetime64[D]')
    >>> period_start(np.array([216]), "quarter")
    array(['2024-01-01'], dtype='datetime64[D]')
    """
    index = np.asarray(index, dtype=np.int64)
    if period == "hour":
        return index.astype("datetime64[h]")
    if period in ("month", "quarter", "year"):
        unit = "datetime64[Y]" if period == "year" else "datetime64[M]"
        months = index * 3 if period == "quarter" else index
        return months.astype(unit).astype("datetime64[D]")
    if period == "day":
        days = index
    elif period == "week":
        days = index * 7 - 3
    else:
        assert isinstance(period, int)
        days = origin + index * int(period)
    return days.astype("datetime64[D]")


def wall_clock(nw: ModuleType, column: str, dtype: Any) -> Any:
    """Expression of a date or datetime column in its own zone's wall-clock time."""
    expression = nw.col(column)
    if getattr(dtype, "time_zone", None) is not None:
        expression = expression.dt.replace_time_zone(None)
    return expression


def period_expression(
    nw: ModuleType,
    time: Any,
    period: Period | int,
    *,
    origin: int = 0,
    integer: bool = True,
) -> Any:
    """Engine expression of the period index of ``time`` (a narwhals expression).

    Equal to :func:`period_index` in every engine: built from the calendar
    fields (year, day of the year, hour), so no engine's epoch or time-zone
    arithmetic is involved. Pass ``time`` through :func:`wall_clock` first.
    ``integer=False`` computes in floats, so that a missing time gives a
    missing index in every engine (pandas cannot hold one in an integer column).
    """
    number = nw.Int64 if integer else nw.Float64
    year = time.dt.year().cast(number)
    if period in ("month", "quarter", "year"):
        if period == "year":
            return year - 1970
        months = year * 12 + time.dt.month().cast(number) - 1
        return months - _MONTH_1970 if period == "month" else months // 3 - _MONTH_1970 // 3
    before = year - 1
    leap_days = before // 4 - before // 100 + before // 400
    days = before * 365 + leap_days + time.dt.ordinal_day().cast(number) - 1
    if period == "hour":
        return (days - _DAY_1970) * 24 + time.dt.hour().cast(number)
    if period == "day":
        return days - _DAY_1970
    if period == "week":
        return days // 7 - _WEEK_1970
    assert isinstance(period, int)
    return (days - _DAY_1970 - origin) // int(period)


def period_column(
    table: _frames.Table,
    time: str,
    period: Period | int,
    *,
    origin: int = 0,
    integer: bool = True,
) -> Any:
    """Build the period index of the column ``time`` for ``_frames.derive``, in every engine.

    For numpy columns :func:`period_index`, NaN where the time is missing
    (NaT); in a dataframe engine :func:`period_expression` of the column's
    wall-clock time (:func:`wall_clock`), missing where the time is.
    """
    dtype = _frames.column_dtype(table, time)

    def build(ops: _frames.Ops) -> Any:
        if ops.nw is None:
            moments = ops.col(time)
            index = period_index(moments, period, origin=origin)
            missing = np.isnat(moments)
            return np.where(missing, np.nan, index) if missing.any() else index
        moment = wall_clock(ops.nw, time, dtype)
        return period_expression(ops.nw, moment, period, origin=origin, integer=integer)

    return build
