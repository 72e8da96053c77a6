"""RFM summaries and historical value from a transaction log (the reduce step).

A transaction log is reduced once to one row per customer. The group-bys run
inside the caller's dataframe engine through narwhals (pandas, polars eager or
lazy, pyarrow, Dask, DuckDB, ...); only the per-customer table is collected. A
mapping of column names to arrays (such as
:func:`loyaltymetrics.datasets.load_transactions` returns) is reduced with
numpy instead.

Times are turned into integer *period numbers* first: whole days, hours or
weeks (weeks start on Monday) since 1970-01-01, counted on the wall-clock time
(time zones are dropped). Purchases in the same period count as one purchase
whose value is their sum. This is the convention of lifetimes'
``summary_data_from_transaction_data`` and ``calibration_and_holdout_data``.
"""

from __future__ import annotations

import datetime as _datetime
import functools
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import FloatArray, check_number
from loyaltymetrics._engine._frames import (
    Aggregation,
    Grouped,
    Ops,
    Table,
    as_narwhals_frame,
    columns_to_frame,
    derive,
    encode_keys,
    group_aggregate,
    group_order,
    group_table,
    import_narwhals,
    keep_rows,
    quiet_narwhals,
    with_group_min,
)
from loyaltymetrics._engine._keys import factorize
from loyaltymetrics._engine._validation import as_1d_array, check_choice, is_real_number

__all__ = ["historical_clv", "rfm_summary"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
#: The periods of the shared vocabulary (``_engine._periods.DURATION_PERIODS``)
#: that are units of duration.
Period = Literal["hour", "day", "week"]
_PERIODS: tuple[Period, ...] = ("hour", "day", "week")
_MICROSECONDS_PER = {"day": 86_400_000_000, "week": 86_400_000_000, "hour": 3_600_000_000}
# Weeks are the vocabulary's (Monday to Sunday; week 0 holds 1970-01-01, a
# Thursday). Shifting day numbers by 3 + 7 * 100_000 keeps every date after
# the year 1697 non-negative, so floor division means the same in every
# engine; the 100_000 weeks are taken off again.
_WEEK_SHIFT = 3 + 7 * 100_000
_EPOCH = _datetime.datetime(1970, 1, 1)
_PERIOD = "__lm_period"
_INSTANT = "__lm_instant"
_VALUE = "__lm_value"
_FIRST = "__lm_first"
_REPEAT = "__lm_repeat"
_ROWS = "__lm_rows"
_DISCOUNTED = "__lm_discounted"


@dataclass(frozen=True)
class _Scale:
    """How the time column becomes comparable numbers and period numbers."""

    is_datetime: bool
    period: Period

    def period_of(self, instant: FloatArray | float) -> FloatArray:
        """Period number of times on the instant scale (microseconds or raw numbers)."""
        values = np.asarray(instant, dtype=np.float64)
        if not self.is_datetime:
            return values
        units = np.floor_divide(values, _MICROSECONDS_PER[self.period])
        if self.period == "week":
            units = np.floor_divide(units + _WEEK_SHIFT, 7) - 100_000
        return np.asarray(units, dtype=np.float64)

    def period_column(self, ops: Ops) -> Any:
        """Build the period number of the instant column, in the engine or in numpy."""
        if ops.nw is None:
            return self.period_of(ops.col(_INSTANT))
        instant = ops.col(_INSTANT)
        if not self.is_datetime:
            return instant
        units = instant // _MICROSECONDS_PER[self.period]
        if self.period == "week":
            return (units + _WEEK_SHIFT) // 7 - 100_000
        return units


def _check_names(*, optional: tuple[str, ...] = (), **names: object) -> None:
    """Check that each argument names a column (a str); those in ``optional`` may be None."""
    for argument, name in names.items():
        if name is None and argument in optional:
            continue
        if not isinstance(name, str):
            raise TypeError(f"`{argument}` must be a column name (str); got {name!r}")


def _boundary(value: object, *, name: str, scale: _Scale) -> float:
    """Convert ``observation_end`` / ``calibration_end`` to the instant scale."""
    if not scale.is_datetime:
        if not is_real_number(value):
            raise TypeError(f"`{name}` must be a number (the `time` column holds numbers)")
        number = float(value)
        if not np.isfinite(number):
            raise ValueError(f"`{name}` must be finite; got {value!r}")
        return number
    if isinstance(value, bool | numbers.Real):
        raise TypeError(f"`{name}` must be a date or datetime (the `time` column holds dates)")
    if isinstance(value, _datetime.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # wall-clock time, as for the column
    converter = getattr(value, "to_datetime64", None)
    if callable(converter):  # pandas Timestamp
        tz_free = getattr(value, "tz_localize", None)
        if getattr(value, "tzinfo", None) is not None and callable(tz_free):
            value = tz_free(None)
        value = value.to_datetime64()  # type: ignore[attr-defined]
    try:
        stamp = np.datetime64(value)  # type: ignore[call-overload]
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"`{name}` must be a date, datetime or ISO date string; got {value!r}"
        ) from error
    if np.isnat(stamp):
        raise ValueError(f"`{name}` must not be missing")
    return float(np.asarray(stamp).astype("datetime64[us]").astype(np.int64))


# --------------------------------------------------------------------------- numpy reduce


def _read_arrays(
    transactions: Mapping[str, object], customer: str, time: str, value: str | None
) -> tuple[npt.NDArray[Any], FloatArray, bool, FloatArray | None]:
    for name in (customer, time, value):
        if name is not None and name not in transactions:
            raise ValueError(f"`transactions` has no column {name!r}")
    ids = np.asarray(transactions[customer])
    if ids.ndim != 1:
        raise ValueError(f"`transactions[{customer!r}]` must be one-dimensional")
    n = ids.shape[0]
    if n == 0:
        raise ValueError("`transactions` must contain at least one transaction")
    if ids.dtype.kind == "f" and np.isnan(ids).any():
        raise ValueError(f"`customer`: customer ids in column {customer!r} must not be missing")
    if ids.dtype.kind == "O" and any(item is None for item in ids.tolist()):
        raise ValueError(f"`customer`: customer ids in column {customer!r} must not be missing")
    raw_time = np.asarray(transactions[time])
    if raw_time.ndim != 1 or raw_time.shape[0] != n:
        raise ValueError(f"column {time!r} must be one-dimensional with the length of {customer!r}")
    if raw_time.dtype.kind == "M":
        if np.isnat(raw_time).any():
            raise ValueError(f"column {time!r} must not contain missing times")
        instant = raw_time.astype("datetime64[us]").astype(np.int64).astype(np.float64)
        is_datetime = True
    else:
        numeric = as_1d_array(raw_time, name=time)
        instant = numeric.astype(np.float64)
        if not np.isfinite(instant).all():
            raise ValueError(f"column {time!r} must not contain missing or infinite times")
        is_datetime = False
    amounts = None
    if value is not None:
        amounts = as_1d_array(transactions[value], name=value).astype(np.float64)
        if amounts.shape[0] != n:
            raise ValueError(f"column {value!r} must have the length of {customer!r}")
        if not np.isfinite(amounts).all():
            raise ValueError(
                f"column {value!r} must not contain missing or infinite values; "
                "drop or fill them first"
            )
    return ids, instant, is_datetime, amounts


# --------------------------------------------------------------------------- frame reduce


def _as_frame(transactions: object) -> Any:
    """Wrap a dataframe with narwhals; None for a mapping of arrays; TypeError otherwise."""
    frame = as_narwhals_frame(transactions, name="transactions")
    if frame is None and not isinstance(transactions, Mapping):
        raise TypeError(
            "`transactions` must be a dataframe (pandas, polars, pyarrow, Dask, DuckDB, ...) "
            f"or a mapping of column names to arrays; got {type(transactions).__name__}"
        )
    return frame


def _frame_inputs(
    frame: Any, customer: str, time: str, value: str | None
) -> tuple[Any, Any, bool, float]:
    """Return (lazy frame of id/instant/value, narwhals module, is_datetime, last instant)."""
    nw = import_narwhals()
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    for name in (customer, time, value):
        if name is not None and name not in schema:
            raise ValueError(f"`transactions` has no column {name!r}")
    dtype = schema[time]
    column = nw.col(time)
    if dtype == nw.Date:
        column = column.cast(nw.Datetime("us"))
        is_datetime = True
    elif isinstance(dtype, nw.Datetime):
        if dtype.time_zone is not None:
            column = column.dt.replace_time_zone(None)
        is_datetime = True
    elif dtype.is_numeric():
        is_datetime = False
    else:
        raise TypeError(
            f"`time` column {time!r} must hold dates, datetimes or numbers; got {dtype}"
        )
    if value is not None and not schema[value].is_numeric():
        raise TypeError(f"`value` column {value!r} must be numeric; got {schema[value]}")
    # Check the raw columns before converting them: a cast would fail on nulls.
    checks = [
        nw.col(customer).is_null().any().alias("__lm_customer"),
        nw.col(time).is_null().any().alias("__lm_time"),
    ]
    messages = [
        f"`customer`: customer ids in column {customer!r} must not be missing",
        f"column {time!r} must not contain missing times",
    ]
    if value is not None:
        checks.append(nw.col(value).is_null().any().alias("__lm_value"))
        checks.append((~nw.col(value).cast(nw.Float64).is_finite()).any().alias("__lm_infinite"))
        messages.append(
            f"column {value!r} must not contain missing values; drop or fill them first"
        )
        messages.append(f"column {value!r} must not contain infinite values")
    summary = lazy.select(
        *checks, nw.len().alias("__lm_rows"), nw.col(time).max().alias("__lm_last")
    ).collect()
    for flag, message in zip(summary.row(0), messages, strict=False):
        if flag:
            raise ValueError(message)
    if summary["__lm_rows"][0] == 0:
        raise ValueError("`transactions` must contain at least one transaction")
    instant = (column - nw.lit(_EPOCH)).dt.total_microseconds() if is_datetime else column
    # Datetimes become integer microseconds: integer group keys are much cheaper
    # to hash than floats in every engine.
    instant_type = nw.Int64 if is_datetime else nw.Float64
    selected = [nw.col(customer), instant.cast(instant_type).alias(_INSTANT)]
    if value is not None:
        selected.append(nw.col(value).cast(nw.Float64).alias(_VALUE))
    lazy = lazy.select(*selected)
    # The last purchase time, converted like a boundary argument (wall-clock time).
    last = _boundary(summary["__lm_last"][0], name=time, scale=_Scale(is_datetime, "day"))
    return lazy, nw, is_datetime, last


def _per_customer(cells: Table, customer: str, with_value: bool) -> Grouped:
    """First, last and number of periods (and the repeat periods' value) per customer.

    ``cells`` are the distinct (customer, period) pairs, with their summed
    value when there is one; the customer's first period comes from a
    window, so that the repeat value can leave it out without a join.
    """
    statistics: dict[str, tuple[Aggregation, str | None]] = {
        "first": ("min", _PERIOD),
        "last": ("max", _PERIOD),
        "n_periods": ("len", None),
    }
    if with_value:
        cells = with_group_min(cells, customer, _PERIOD, _FIRST)
        cells = derive(
            cells,
            {
                _REPEAT: lambda ops: ops.where(
                    ops.col(_PERIOD) > ops.col(_FIRST), ops.col(_VALUE), 0.0
                )
            },
        )
        statistics["repeat_sum"] = ("sum", _REPEAT)
    return group_aggregate(cells, [customer], statistics)


def _cells(table: Table, customer: str, with_value: bool) -> Table:
    """Group the log into its distinct (customer, period) pairs, summing their values."""
    sums: dict[str, tuple[Aggregation, str | None]] = (
        {_VALUE: ("sum", _VALUE)} if with_value else {}
    )
    return group_table(table, [customer, _PERIOD], sums)


def _holdout(
    table: Table, customer: str, with_value: bool, calibration: float, observation: float
) -> tuple[Grouped, Grouped | None]:
    """Distinct holdout periods, and the holdout purchases and their total, per customer."""
    holdout = keep_rows(
        table,
        lambda ops: (ops.col(_INSTANT) > calibration) & (ops.col(_INSTANT) <= observation),
    )
    frequency = group_aggregate(
        _cells(holdout, customer, False), [customer], {"frequency_holdout": ("len", None)}
    )
    if not with_value:
        return frequency, None
    totals = group_aggregate(holdout, [customer], {_ROWS: ("len", None), "total": ("sum", _VALUE)})
    return frequency, totals


def _aligned(
    base: npt.NDArray[Any], other: npt.NDArray[Any], values: npt.NDArray[Any]
) -> FloatArray:
    """``values`` of the customers ``other``, placed on the customers ``base`` (0 elsewhere)."""
    codes = factorize(np.concatenate([base.astype(object), other.astype(object)])).codes
    position = np.full(int(codes.max()) + 1 if codes.size else 0, -1, dtype=np.intp)
    position[codes[: base.shape[0]]] = np.arange(base.shape[0])
    where = position[codes[base.shape[0] :]]
    out = np.zeros(base.shape[0])
    known = where >= 0
    out[where[known]] = np.asarray(values, dtype=np.float64)[known]
    return out


def _holdout_columns(
    ids: npt.NDArray[Any], frequency: Grouped, totals: Grouped | None, customer: str
) -> dict[str, FloatArray]:
    """Holdout frequency and mean raw holdout value of each base customer."""
    out = {
        "frequency_holdout": _aligned(
            ids, frequency.keys[customer], frequency.values["frequency_holdout"]
        )
    }
    if totals is not None:
        rows = _aligned(ids, totals.keys[customer], totals.values[_ROWS])
        total = _aligned(ids, totals.keys[customer], totals.values["total"])
        out["monetary_value_holdout"] = np.where(rows > 0, total / np.maximum(rows, 1), 0.0)
    return out


# --------------------------------------------------------------------------- assemble


def _summary_columns(
    table: dict[str, FloatArray], end_period: float, *, with_value: bool, suffix: str = ""
) -> dict[str, npt.NDArray[Any]]:
    """Compute the lifetimes summary columns from the reduced per-customer table."""
    columns: dict[str, npt.NDArray[Any]] = {
        f"frequency{suffix}": (table["n_periods"] - 1).astype(np.int64),
        f"recency{suffix}": table["last"] - table["first"],
        f"T{suffix}": end_period - table["first"],
    }
    if with_value:
        repeats = table["n_periods"] - 1.0
        columns[f"monetary_value{suffix}"] = np.where(
            repeats > 0, table["repeat_sum"] / np.maximum(repeats, 1.0), 0.0
        )
    return columns


def _ends(
    observation_end: object, calibration_end: object, *, scale: _Scale, last_instant: float
) -> tuple[float, float | None]:
    if observation_end is None:
        observation = last_instant
    else:
        observation = _boundary(observation_end, name="observation_end", scale=scale)
    if calibration_end is None:
        return observation, None
    calibration = _boundary(calibration_end, name="calibration_end", scale=scale)
    if calibration >= observation:
        raise ValueError(
            "`calibration_end` must be before `observation_end` (or the last purchase)"
        )
    return observation, calibration


def _output(
    frame: Any, per: Grouped, order: npt.NDArray[np.intp], customer: str, columns: dict[str, Any]
) -> Any:
    """One row per customer, sorted by id, in the caller's library (a dict for arrays)."""
    if frame is None:
        return {customer: per.keys[customer][order], **columns}
    kind: Literal["eager", "lazy"] = (
        "lazy" if isinstance(frame, import_narwhals().LazyFrame) else "eager"
    )
    return columns_to_frame(
        per,
        order,
        columns,
        table=Table(kind=kind, columns={}, _frame=frame),
        key_columns=[customer],
    )


def _inputs(
    transactions: object, customer: str, time: str, value: str | None
) -> tuple[Any, Table, bool, float]:
    """Validate the log; return (narwhals frame or None, table to reduce, is_datetime, last)."""
    frame = _as_frame(transactions)
    if frame is None:
        assert isinstance(transactions, Mapping)
        ids, instant, is_datetime, amounts = _read_arrays(transactions, customer, time, value)
        arrays: dict[str, Any] = {customer: ids, _INSTANT: instant}
        if amounts is not None:
            arrays[_VALUE] = amounts
        table = encode_keys(Table(kind="arrays", columns={}, _arrays=arrays), [customer])
        return None, table, is_datetime, float(instant.max())
    lazy, _, is_datetime, last = _frame_inputs(frame, customer, time, value)
    return frame, Table(kind="lazy", columns={}, _frame=lazy), is_datetime, last


def _quietly(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with narwhals' Dask packaging notice silenced."""

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with quiet_narwhals():
            return function(*args, **kwargs)

    return wrapper


@_quietly
def rfm_summary(
    transactions: object,
    /,
    *,
    customer: str,
    time: str,
    value: str | None = None,
    period: Period = "day",
    observation_end: object = None,
    calibration_end: object = None,
) -> Any:
    """Summarise a transaction log per customer: frequency, recency, T, monetary value.

    The summary is the input of :func:`fit_bgnbd` and :func:`fit_gamma_gamma`
    and follows the convention of lifetimes'
    ``summary_data_from_transaction_data`` exactly:

    * times are cut into periods (``period``); all purchases of a customer in
      one period count as one purchase whose value is their sum;
    * ``frequency`` is the number of periods with a purchase, minus one (the
      first purchase is not a repeat purchase);
    * ``recency`` is the number of periods from the first to the last
      purchase; ``T`` from the first purchase to ``observation_end``;
    * ``monetary_value`` is the mean value of the repeat-purchase periods
      (0 for customers without repeat purchases).

    Purchases after the period of ``observation_end`` are ignored.

    Parameters
    ----------
    transactions : dataframe or mapping of str to array_like
        One row per purchase. Any dataframe narwhals supports (pandas, polars
        eager or lazy, pyarrow, Dask, DuckDB, ...; needs the ``frames``
        extra); the group-bys run inside its engine and only one row per
        customer is collected. A mapping of column names to arrays is
        reduced with numpy.
    customer : str
        Column of customer ids (any type that can be compared and sorted).
    time : str
        Column of purchase times: dates or datetimes (time zones are dropped;
        the wall-clock time counts), or numbers that are already period
        numbers (``period`` then does not apply: each distinct number is a
        period).
    value : str, optional
        Column of purchase values; adds ``monetary_value``.
    period : {"day", "week", "hour"}, default "day"
        Length of a period for date and datetime times: a day, a week
        (Monday to Sunday) or an hour, spelled as everywhere in the library.
        ``recency`` and ``T`` are in these units.
    observation_end : date, datetime, str or number, optional
        End of observation; default the last purchase.
    calibration_end : date, datetime, str or number, optional
        Split the log as lifetimes' ``calibration_and_holdout_data`` does:
        the summary columns get a ``_cal`` suffix and describe purchases up
        to ``calibration_end`` (inclusive); ``frequency_holdout`` counts the
        periods with a purchase after it, up to ``observation_end``;
        ``monetary_value_holdout`` is the mean value of those purchases (of
        the individual purchases, not of the periods, as in lifetimes);
        ``duration_holdout`` is the number of periods between the two ends.
        Customers whose first purchase is after ``calibration_end`` are not
        included.

    Returns
    -------
    DataFrame or dict of str to numpy.ndarray
        One row per customer, sorted by customer id: the ``customer`` column
        and ``frequency`` (int), ``recency``, ``T`` (float), and
        ``monetary_value`` when ``value`` is given. Eager input gives the same
        kind of frame back; lazy input is collected to the eager frame its
        engine produces (polars ``LazyFrame`` -> polars ``DataFrame``, Dask ->
        pandas, DuckDB -> pyarrow ``Table``); a mapping gives a dict of numpy
        arrays.

    Raises
    ------
    ValueError
        For missing ids, times or values, unknown columns, an empty log, or a
        ``calibration_end`` that is not before ``observation_end``.
    TypeError
        For a time column that holds neither dates nor numbers.

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> log = {
    ...     "id": np.array(["a", "a", "a", "b"]),
    ...     "day": np.array(["2025-01-01", "2025-01-01", "2025-01-08", "2025-01-05"],
    ...                     dtype="datetime64[D]"),
    ...     "amount": np.array([10.0, 5.0, 20.0, 7.0]),
    ... }
    >>> summary = lm.rfm_summary(log, customer="id", time="day", value="amount",
    ...                          observation_end="2025-01-31")
    >>> summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    (array([1, 0]), array([7., 0.]), array([30., 26.]), array([20.,  0.]))
    """
    _check_names(customer=customer, time=time, value=value, optional=("value",))
    chosen = check_choice(period, name="period", choices=_PERIODS)
    with_value = value is not None
    frame, raw, is_datetime, last = _inputs(transactions, customer, time, value)
    scale = _Scale(is_datetime, chosen)
    observation, calibration = _ends(
        observation_end, calibration_end, scale=scale, last_instant=last
    )
    table = derive(raw, {_PERIOD: scale.period_column})
    if calibration is not None:
        base = keep_rows(table, lambda ops: ops.col(_INSTANT) <= calibration)
    elif observation < last:
        end_period = float(scale.period_of(observation))
        base = keep_rows(table, lambda ops: ops.col(_PERIOD) <= end_period)
    else:
        base = table  # nothing to cut when observation ends at or after the last purchase
    per = _per_customer(_cells(base, customer, with_value), customer, with_value)
    if per.n_groups == 0:
        raise ValueError("no purchase falls before `calibration_end`")
    order = group_order(per)
    statistics = {name: np.asarray(v, dtype=np.float64)[order] for name, v in per.values.items()}
    if calibration is None:
        end = float(scale.period_of(observation))
        columns = _summary_columns(statistics, end, with_value=with_value)
        return _output(frame, per, order, customer, columns)
    columns = _summary_columns(
        statistics, float(scale.period_of(calibration)), with_value=with_value, suffix="_cal"
    )
    frequency, totals = _holdout(table, customer, with_value, calibration, observation)
    holdout = _holdout_columns(per.keys[customer][order], frequency, totals, customer)
    columns["frequency_holdout"] = holdout["frequency_holdout"].astype(np.int64)
    if with_value:
        columns["monetary_value_holdout"] = holdout["monetary_value_holdout"]
    columns["duration_holdout"] = np.full(
        per.n_groups, float(scale.period_of(observation) - scale.period_of(calibration))
    )
    return _output(frame, per, order, customer, columns)


@_quietly
def historical_clv(
    transactions: object,
    /,
    *,
    customer: str,
    time: str,
    value: str,
    discount_rate: float = 0.0,
    period: Period = "day",
    observation_end: object = None,
) -> Any:
    """Realised value of each customer from a transaction log, optionally discounted.

    Each customer's purchases up to ``observation_end`` are summed, every
    purchase discounted back to the period of the customer's first purchase:
    ``sum_j value_j / (1 + discount_rate) ** (period_j - first_period)``.
    With ``discount_rate=0`` this is the customer's total spend.

    Parameters
    ----------
    transactions : dataframe or mapping of str to array_like
        One row per purchase; see :func:`rfm_summary` for the frames
        accepted and how lazy input is collected.
    customer, time, value : str
        Columns of customer ids, purchase times (dates, datetimes or
        numbers) and purchase values.
    discount_rate : float, default 0.0
        Discount rate per period, >= 0.
    period : {"day", "week", "hour"}, default "day"
        Period length for date and datetime times (see :func:`rfm_summary`).
    observation_end : date, datetime, str or number, optional
        Purchases in later periods are ignored; default the last purchase.

    Returns
    -------
    DataFrame or dict of str to numpy.ndarray
        One row per customer, sorted by id: ``customer``, ``purchases``
        (number of transactions), ``revenue`` (undiscounted total) and
        ``historical_clv`` (discounted total).

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> log = {"id": np.array([1, 1, 2]), "day": np.array([0, 10, 3]),
    ...        "amount": np.array([100.0, 110.0, 50.0])}
    >>> out = lm.historical_clv(log, customer="id", time="day", value="amount",
    ...                         discount_rate=0.01)
    >>> out["revenue"], out["historical_clv"].round(2)
    (array([210.,  50.]), array([199.58,  50.  ]))
    """
    _check_names(customer=customer, time=time, value=value)
    chosen = check_choice(period, name="period", choices=_PERIODS)
    rate = check_number(discount_rate, name="discount_rate", low=0.0, inclusive=True)
    log_growth = float(np.log1p(rate))
    frame, table, is_datetime, last = _inputs(transactions, customer, time, value)
    scale = _Scale(is_datetime, chosen)
    observation, _ = _ends(observation_end, None, scale=scale, last_instant=last)
    table = derive(table, {_PERIOD: scale.period_column})
    if observation < last:
        end_period = float(scale.period_of(observation))
        table = keep_rows(table, lambda ops: ops.col(_PERIOD) <= end_period)
    # Sum within (customer, period) cells first: the window then runs on the
    # small cell table (and Dask cannot window over a filtered frame).
    cells = group_table(table, [customer, _PERIOD], {_ROWS: ("len", None), _VALUE: ("sum", _VALUE)})
    cells = with_group_min(cells, customer, _PERIOD, _FIRST)
    cells = derive(
        cells,
        {
            _DISCOUNTED: lambda ops: (
                ops.col(_VALUE) * ops.exp(-(ops.col(_PERIOD) - ops.col(_FIRST)) * log_growth)
            )
        },
    )
    per = group_aggregate(
        cells,
        [customer],
        {
            "purchases": ("sum", _ROWS),
            "revenue": ("sum", _VALUE),
            "historical_clv": ("sum", _DISCOUNTED),
        },
    )
    order = group_order(per)
    columns = {name: np.asarray(values)[order] for name, values in per.values.items()}
    columns["purchases"] = columns["purchases"].astype(np.int64)
    return _output(frame, per, order, customer, columns)
