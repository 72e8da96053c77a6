"""Customer lifetimes from an event log: durations and churn indicators for survival.

Non-contractual customers never announce that they leave; the usual working
definition is a purchase gap: a customer has churned once ``churn_after``
passes without a purchase. For each customer, with purchase times
``t_1 <= ... <= t_k`` and the end of observation ``E``:

* churned (``observed = True``) at the first purchase ``t_j`` followed by a gap
  of at least ``churn_after``: the next purchase comes ``churn_after`` or more
  later, or there is none and ``E - t_j >= churn_after``; the duration is
  ``t_j - t_1``. A later return counts as a new customer nowhere: the first
  lapse decides.
* censored (``observed = False``) otherwise: the customer was active within
  ``churn_after`` of ``E``; the duration is ``E - t_1``.

The reduce runs inside the caller's dataframe engine (one window over the
customer's purchases in time order and one group-by), or with numpy for a
mapping of arrays; only one row per customer is collected.
"""

from __future__ import annotations

import datetime as _datetime
import numbers
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import group_rows
from loyaltymetrics._engine._frames import (
    Grouped,
    Table,
    as_narwhals_frame,
    columns_to_frame,
    import_narwhals,
    quiet_narwhals,
)
from loyaltymetrics._engine._validation import as_1d_array, is_real_number

__all__ = ["customer_durations"]

FloatArray = npt.NDArray[np.float64]
_MICROSECONDS_PER_DAY = 86_400_000_000.0
_EPOCH = _datetime.datetime(1970, 1, 1)
_T = "__lm_time"


def _span(value: object, *, is_datetime: bool) -> float:
    """``churn_after`` on the instant scale: raw units, or microseconds for datetimes."""
    if isinstance(value, bool):
        raise TypeError("`churn_after` must be a number or a time span, not a boolean")
    if is_datetime and isinstance(value, _datetime.timedelta | np.timedelta64):
        number = float(np.timedelta64(value, "us").astype(np.int64))
    elif isinstance(value, numbers.Real):
        number = float(value) * (_MICROSECONDS_PER_DAY if is_datetime else 1.0)
    elif is_datetime and callable(getattr(value, "to_timedelta64", None)):  # pandas Timedelta
        number = float(value.to_timedelta64().astype("timedelta64[us]").astype(np.int64))  # type: ignore[attr-defined]
    else:
        unit = "a number of days or a timedelta" if is_datetime else "a number"
        raise TypeError(f"`churn_after` must be {unit}; got {value!r}")
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"`churn_after` must be positive and finite; got {value!r}")
    return number


def _end(value: object, *, is_datetime: bool) -> float:
    """``observation_end`` on the instant scale."""
    if not is_datetime:
        if not is_real_number(value):
            raise TypeError("`observation_end` must be a number (the `time` column holds numbers)")
        if not np.isfinite(float(value)):
            raise ValueError(f"`observation_end` must be finite; got {value!r}")
        return float(value)
    if isinstance(value, bool | numbers.Real):
        raise TypeError("`observation_end` must be a date or datetime (`time` holds dates)")
    if isinstance(value, _datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    converter = getattr(value, "to_datetime64", None)
    if callable(converter):  # pandas Timestamp
        value = converter()
    try:
        stamp = np.datetime64(value, "us")  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`observation_end` must be a date, datetime or ISO date string; got {value!r}"
        ) from error
    if np.isnat(stamp):
        raise ValueError("`observation_end` must not be missing")
    return float(stamp.astype(np.int64))


def _read_arrays(
    transactions: Mapping[str, object], customer: str, time: str
) -> tuple[npt.NDArray[Any], FloatArray, bool]:
    for name in (customer, time):
        if name not in transactions:
            raise ValueError(f"`transactions` has no column {name!r}")
    ids = np.asarray(transactions[customer])
    raw = np.asarray(transactions[time])
    if ids.ndim != 1 or raw.ndim != 1 or ids.shape[0] != raw.shape[0]:
        raise ValueError(f"columns {customer!r} and {time!r} must be 1-D and of equal length")
    if ids.shape[0] == 0:
        raise ValueError("`transactions` must contain at least one transaction")
    if (ids.dtype.kind == "f" and np.isnan(ids).any()) or (
        ids.dtype.kind == "O" and any(item is None for item in ids.tolist())
    ):
        raise ValueError(f"`customer`: customer ids in column {customer!r} must not be missing")
    if raw.dtype.kind == "M":
        if np.isnat(raw).any():
            raise ValueError(f"column {time!r} must not contain missing times")
        return ids, raw.astype("datetime64[us]").astype(np.int64).astype(np.float64), True
    instant = as_1d_array(raw, name=time).astype(np.float64)
    if not np.isfinite(instant).all():
        raise ValueError(f"column {time!r} must not contain missing or infinite times")
    return ids, instant, False


def _reduce_arrays(
    ids: npt.NDArray[Any], instant: FloatArray, churn_after: float, end: float
) -> tuple[npt.NDArray[Any], FloatArray, FloatArray]:
    """Per customer (sorted): first purchase, churn time (NaN if censored)."""
    (cell_ids, cell_time), _ = group_rows(ids, instant)
    n = cell_ids.shape[0]
    last_of = np.ones(n, dtype=bool)
    last_of[:-1] = cell_ids[1:] != cell_ids[:-1]
    following = np.append(cell_time[1:], np.inf)
    gap = np.where(last_of, end - cell_time, following - cell_time)
    lapse = gap >= churn_after
    starts = np.flatnonzero(np.concatenate(([True], last_of[:-1])))
    churn = np.minimum.reduceat(np.where(lapse, cell_time, np.inf), starts)
    return cell_ids[starts], cell_time[starts], np.where(np.isfinite(churn), churn, np.nan)


def _frame_time(nw: Any, schema: Any, time: str, *, spark_like: bool = False) -> tuple[Any, bool]:
    dtype = schema[time]
    column = nw.col(time)
    if dtype == nw.Date:
        column = column.cast(nw.Datetime("us"))
    elif isinstance(dtype, nw.Datetime):
        if dtype.time_zone is not None:
            column = column.dt.replace_time_zone(None)
    elif dtype.is_numeric():
        return column.cast(nw.Float64), False
    else:
        raise TypeError(
            f"`time` column {time!r} must hold dates, datetimes or numbers; got {dtype}"
        )
    if spark_like:
        return _epoch_microseconds(nw, column).cast(nw.Float64), True
    micros = (column - nw.lit(_EPOCH)).dt.total_microseconds()
    return micros.cast(nw.Float64), True


def _epoch_microseconds(nw: Any, column: Any) -> Any:
    """Microseconds since 1970-01-01 from the calendar fields of a naive datetime.

    For engines whose durations have no ``total_microseconds`` (Spark). Days
    since the epoch in the proleptic Gregorian calendar: 365 a year plus the
    leap days before the year (every 4th year, not every 100th, every 400th),
    plus the day of the year.
    """
    year = column.dt.year().cast(nw.Int64)
    leap_days = (year - 1969) // 4 - (year - 1901) // 100 + (year - 1601) // 400
    days = (year - 1970) * 365 + leap_days + column.dt.ordinal_day().cast(nw.Int64) - 1
    seconds = (
        days * 86_400
        + column.dt.hour().cast(nw.Int64) * 3_600
        + column.dt.minute().cast(nw.Int64) * 60
        + column.dt.second().cast(nw.Int64)
    )
    return seconds * 1_000_000 + column.dt.microsecond().cast(nw.Int64)


def _next_purchase(nw: Any, rows: Any, customer: str) -> tuple[Any, Any]:
    """Return the next purchase time of the customer and whether there is one."""
    if not rows.implementation.is_pyarrow():
        following = nw.col(_T).shift(-1).over(customer, order_by=_T)
        return following, ~following.is_null()
    # pyarrow has no shift within partitions: one window over the whole log in
    # (customer, time) order, where the next row counts if it is the same customer.
    order = [customer, _T]
    following = nw.col(_T).shift(-1).over(order_by=order)
    same = (nw.col(customer).shift(-1).over(order_by=order) == nw.col(customer)).fill_null(False)
    return following, same


def _reduce_frame(
    frame: Any, customer: str, time: str, churn_after: object, observation_end: object
) -> tuple[Any, npt.NDArray[Any], FloatArray, FloatArray, float, bool]:
    """Run the same reduce as a lazy plan in the frame's engine and collect it."""
    nw = import_narwhals()
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    for name in (customer, time):
        if name not in schema:
            raise ValueError(f"`transactions` has no column {name!r}")
    spark_like = frame.implementation.is_pyspark() or frame.implementation.is_pyspark_connect()
    instant, is_datetime = _frame_time(nw, schema, time, spark_like=spark_like)
    checks = lazy.select(
        nw.col(customer).is_null().any().alias("ids"),
        nw.col(time).is_null().any().alias("times"),
        nw.len().alias("rows"),
        instant.max().alias("last"),
    ).collect()
    if checks["ids"][0]:
        raise ValueError(f"`customer`: customer ids in column {customer!r} must not be missing")
    if checks["times"][0]:
        raise ValueError(f"column {time!r} must not contain missing times")
    if checks["rows"][0] == 0:
        raise ValueError("`transactions` must contain at least one transaction")
    span = _span(churn_after, is_datetime=is_datetime)
    end = (
        float(checks["last"][0])
        if observation_end is None
        else _end(observation_end, is_datetime=is_datetime)
    )
    rows = lazy.select(nw.col(customer), instant.alias(_T)).filter(nw.col(_T) <= end)
    following, same = _next_purchase(nw, rows, customer)
    lapse = (same & ((following - nw.col(_T)) >= span)) | (~same & ((end - nw.col(_T)) >= span))
    table = (
        rows.with_columns(nw.when(lapse).then(nw.col(_T)).alias("__lm_lapse"))
        .group_by(customer)
        .agg(
            nw.col(_T).min().alias("__lm_first"),
            nw.col("__lm_lapse").min().alias("__lm_churn"),
        )
        .sort(customer)
        .collect()
    )
    first = np.asarray(table["__lm_first"].to_numpy(), dtype=np.float64)
    churn = np.asarray(table["__lm_churn"].to_numpy(), dtype=np.float64)
    return table, table[customer].to_numpy(), first, churn, end, is_datetime


def customer_durations(
    transactions: object,
    /,
    *,
    customer: str,
    time: str,
    churn_after: object,
    observation_end: object = None,
) -> Any:
    """Per customer, the time from first purchase to churn (a purchase gap) or to censoring.

    The result feeds :func:`kaplan_meier`, :func:`nelson_aalen` and
    :func:`logrank_test` directly (``duration`` and ``churned`` columns).

    Parameters
    ----------
    transactions : dataframe or mapping of str to array_like
        One row per purchase: a dataframe narwhals supports (pandas, polars
        eager or lazy, pyarrow, Dask, DuckDB, ...; the reduce runs in its
        engine) or a mapping of column names to arrays (reduced with numpy).
    customer : str
        Column of customer ids.
    time : str
        Column of purchase times: dates or datetimes, or numbers.
    churn_after : number or timedelta
        The gap without purchases after which a customer counts as churned.
        For dates and datetimes a number is in days (a timedelta is accepted
        too); for numeric times it is in the same units.
    observation_end : date, datetime, str or number, optional
        End of observation; default the last purchase in the log. Purchases
        after it are ignored.

    Returns
    -------
    DataFrame or dict of str to numpy.ndarray
        One row per customer, sorted by id: the ``customer`` column,
        ``duration`` (float; in days for dates and datetimes) and ``churned``
        (bool; False means censored). Eager frames give the same library
        back, lazy ones the eager library their engine collects to, a
        mapping a dict of arrays.

    Raises
    ------
    ValueError
        For missing ids or times, unknown columns, an empty log, or a
        ``churn_after`` that is not positive.
    TypeError
        For times that are neither dates nor numbers, or a ``churn_after`` /
        ``observation_end`` of the wrong kind.

    Notes
    -----
    A customer churns at the first purchase followed by a gap of at least
    ``churn_after`` (to the next purchase, or to the end of observation when
    there is none); the duration runs from the first purchase to that one.
    A customer who bought within ``churn_after`` of the end is censored at
    the end. Customers whose first purchase is after ``observation_end``
    are left out.

    Examples
    --------
    Customer "a" buys on days 0, 10 and 50: with ``churn_after=30`` the gap
    after day 10 is a lapse, so "a" churned after 10 days. Customer "b" buys
    on days 5 and 20 and is still active at day 40: censored after 35 days.

    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> log = {"id": np.array(["a", "a", "a", "b", "b"]),
    ...        "day": np.array([0, 10, 50, 5, 20])}
    >>> out = lm.customer_durations(log, customer="id", time="day", churn_after=30,
    ...                             observation_end=40)
    >>> out["duration"], out["churned"]
    (array([10., 35.]), array([ True, False]))
    """
    for argument, name in (("customer", customer), ("time", time)):
        if not isinstance(name, str):
            raise TypeError(f"`{argument}` must be a column name (str); got {name!r}")
    frame = as_narwhals_frame(transactions, name="transactions")
    if frame is None:
        if not isinstance(transactions, Mapping):
            raise TypeError(
                "`transactions` must be a dataframe (pandas, polars, pyarrow, Dask, DuckDB, "
                f"...) or a mapping of column names to arrays; got {type(transactions).__name__}"
            )
        ids, instant, is_datetime = _read_arrays(transactions, customer, time)
        span = _span(churn_after, is_datetime=is_datetime)
        end = (
            float(instant.max())
            if observation_end is None
            else _end(observation_end, is_datetime=is_datetime)
        )
        kept = instant <= end
        if not kept.any():
            raise ValueError("no purchase falls before `observation_end`")
        out_ids, first, churn = _reduce_arrays(ids[kept], instant[kept], span, end)
        eager = None
    else:
        with quiet_narwhals():
            eager, out_ids, first, churn, end, is_datetime = _reduce_frame(
                frame, customer, time, churn_after, observation_end
            )
        if out_ids.shape[0] == 0:
            raise ValueError("no purchase falls before `observation_end`")
    churned = ~np.isnan(churn)
    duration = np.where(churned, churn, end) - first
    if is_datetime:
        duration = duration / _MICROSECONDS_PER_DAY
    columns = {"duration": duration, "churned": churned}
    if eager is None:
        return {customer: out_ids, **columns}
    nw = import_narwhals()
    kind: Literal["eager", "lazy"] = "lazy" if isinstance(frame, nw.LazyFrame) else "eager"
    with quiet_narwhals():
        return columns_to_frame(
            Grouped(keys={customer: out_ids}, values={}, _frame=eager.select(customer)),
            None,
            columns,
            table=Table(kind=kind, columns={}, _frame=frame),
        )
