"""Closed-form customer lifetime value and model-based predicted CLV."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, cast, overload

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import (
    FloatArray,
    PurchaseModel,
    SpendModel,
    check_history,
    check_number,
    model_array,
)
from loyaltymetrics._clv._value import (
    CLVPrediction,
    IntervalKind,
    IntervalMethod,
    ValueProblem,
    value_interval,
)
from loyaltymetrics._engine._validation import (
    broadcast_named,
    check_choice,
    check_confidence_level,
    check_n_resamples,
    check_rng,
)

__all__ = ["clv", "predicted_clv"]

Timing = Literal["end", "start"]


def _as_output(values: FloatArray) -> FloatArray | float:
    out: FloatArray | float = values[()] if values.ndim == 0 else values
    return out


def _finite(values: object, *, name: str) -> FloatArray:
    array = model_array(values, name=name)
    if not np.isfinite(array).all():
        raise ValueError(f"`{name}` must be finite (missing values are not allowed)")
    return array


def clv(
    margin: npt.ArrayLike,
    /,
    *,
    retention: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    periods: npt.ArrayLike | None = None,
    timing: Timing = "end",
) -> FloatArray | float:
    """Compute customer lifetime value from a margin, a retention rate and a discount rate.

    The margin multiple of Gupta & Lehmann (2003): a customer yields
    ``margin`` per period while retained; they are retained from one period
    to the next with probability ``retention``; money one period ahead is
    worth ``1 / (1 + discount_rate)`` today (``d`` below). With margins at the end of each
    period (``timing="end"``)

    * infinite horizon (``periods=None``): ``m r / (1 + d - r)``;
    * finite horizon: ``sum_{t=1..periods} m r**t / (1 + d)**t``.

    ``timing="start"`` counts the first margin at once, undiscounted and
    certain (cash flows at ``t = 0 .. periods - 1``), which multiplies the
    value by ``(1 + d) / r``: infinite horizon ``m (1 + d) / (1 + d - r)``.

    Parameters
    ----------
    margin : float or array_like
        Margin per period (may be negative).
    retention : float or array_like
        Probability of being retained from one period to the next, in [0, 1].
    discount_rate : float or array_like
        Discount rate per period, >= 0.
    periods : int or array_like of int, optional
        Number of margins counted; default an infinite horizon.
    timing : {"end", "start"}, default "end"
        Whether margins arrive at the end or at the start of each period.

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the array arguments. An infinite horizon with
        ``retention == 1`` and ``discount_rate == 0`` has no finite value and gives
        ``inf`` (times the sign of the margin).

    References
    ----------
    Gupta, S. and Lehmann, D. R. (2003), "Customers as assets", Journal of
    Interactive Marketing 17(1), 9-24.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> round(float(lm.clv(100.0, retention=0.8, discount_rate=0.1)), 4)
    266.6667
    >>> round(float(lm.clv(100.0, retention=0.8, discount_rate=0.1, timing="start")), 4)
    366.6667
    >>> lm.clv([100.0, 50.0], retention=0.8, discount_rate=0.1, periods=2).round(4)
    array([125.6198,  62.8099])
    """
    m = _finite(margin, name="margin")
    r = _finite(retention, name="retention")
    d = _finite(discount_rate, name="discount_rate")
    when = check_choice(timing, name="timing", choices=("end", "start"))
    broadcast_named("`margin`, `retention` and `discount_rate`", m, r, d)
    if ((r < 0) | (r > 1)).any():
        raise ValueError("`retention` must be in [0, 1]")
    if (d < 0).any():
        raise ValueError("`discount_rate` must be >= 0")
    # ratio = r / (1 + d): the retained, discounted worth of next period's margin.
    ratio = r / (1.0 + d)
    first = np.ones_like(ratio) if when == "start" else ratio
    if periods is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(
                ratio < 1.0, first / (1.0 - np.where(ratio < 1.0, ratio, 0.0)), np.inf
            )
        with np.errstate(invalid="ignore"):
            value = np.where(m == 0, 0.0, m * factor)
        return _as_output(np.asarray(value, dtype=np.float64))
    n = _finite(periods, name="periods")
    broadcast_named("`margin`, `retention`, `discount_rate` and `periods`", m, r, d, n)
    if ((n < 0) | (n != np.floor(n))).any():
        raise ValueError("`periods` must be whole numbers >= 0")
    # Geometric sum first * (1 - ratio**n) / (1 - ratio), written with expm1/log1p so
    # that ratio close to 1 keeps its precision; ratio == 1 is the limit first * n.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(ratio)
        series = np.where(
            ratio == 1.0,
            n,
            np.where(
                ratio == 0.0, np.minimum(n, 1.0), -np.expm1(n * log_ratio) / -np.expm1(log_ratio)
            ),
        )
    return _as_output(np.asarray(m * first * series, dtype=np.float64))


_HISTORY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
_INTERVALS: tuple[IntervalKind, ...] = ("parameter", "prediction")
_METHODS: tuple[IntervalMethod, ...] = ("delta", "bootstrap")


def _library(values: object) -> str:
    module = type(values).__module__.split(".")[0]
    return module if module in ("pandas", "polars") else "numpy"


def _table_columns(table: object) -> dict[str, Any]:
    """Return the columns of a mapping or any eager frame narwhals reads, as numpy arrays."""
    if isinstance(table, Mapping):
        return {str(name): np.asarray(values) for name, values in table.items()}
    try:
        import narwhals.stable.v2 as nw

        frame = nw.from_native(cast("Any", table), eager_only=True)
    except (ImportError, TypeError):
        raise TypeError(
            "`frequency` must be an array-like of repeat purchases (with `recency`, `T` and "
            "`monetary_value`), or one table with those columns such as `rfm_summary`'s; "
            f"got {type(table).__name__}"
        ) from None
    return {name: frame[name].to_numpy() for name in frame.columns}


def _read_history(
    frequency: object, recency: object, T: object, monetary_value: object
) -> tuple[tuple[object, ...], str, Any, str]:
    """Return the history columns, the input's library, and the customer ids and their name."""
    given = [value is not None for value in (recency, T, monetary_value)]
    if not any(given):
        columns = _table_columns(frequency)
        missing = [name for name in _HISTORY_COLUMNS if name not in columns]
        if missing:
            raise ValueError(
                f"`frequency` as a table must have the columns {list(_HISTORY_COLUMNS)}; "
                f"missing {missing}"
            )
        others = [name for name in columns if name not in _HISTORY_COLUMNS]
        id_name = others[0] if others else "customer"
        ids = columns[others[0]] if others else None
        history = tuple(columns[name] for name in _HISTORY_COLUMNS)
        return history, _library(frequency), ids, id_name
    if not all(given):
        raise TypeError(
            "pass `frequency`, `recency`, `T` and `monetary_value`, or one table with those "
            "columns as `frequency`"
        )
    library = _library(frequency)
    ids = getattr(frequency, "index", None) if library == "pandas" else None
    id_name = str(getattr(ids, "name", None) or "customer")
    return (frequency, recency, T, monetary_value), library, ids, id_name


def _as_series(values: FloatArray, library: str, ids: Any, id_name: str) -> Any:
    """Values in the input's library: a pandas Series on the customer ids, a polars Series."""
    if library == "pandas":
        import pandas as pd

        index = ids if isinstance(ids, pd.Index) else None
        if index is None and ids is not None:
            index = pd.Index(ids, name=id_name)
        return pd.Series(values, index=index, name="clv")
    if library == "polars":
        import polars as pl

        return pl.Series("clv", values)
    return values


@overload
def predicted_clv(
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    frequency: npt.ArrayLike | Any,
    recency: npt.ArrayLike | None = ...,
    T: npt.ArrayLike | None = ...,
    monetary_value: npt.ArrayLike | None = ...,
    /,
    *,
    horizon: float,
    discount_rate: float,
    step: float = ...,
    margin: float = ...,
    interval: None = ...,
    method: IntervalMethod = ...,
    confidence_level: float = ...,
    n_draws: int | None = ...,
    rng: int | np.random.Generator | np.random.SeedSequence | None = ...,
) -> Any: ...


@overload
def predicted_clv(
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    frequency: npt.ArrayLike | Any,
    recency: npt.ArrayLike | None = ...,
    T: npt.ArrayLike | None = ...,
    monetary_value: npt.ArrayLike | None = ...,
    /,
    *,
    horizon: float,
    discount_rate: float,
    step: float = ...,
    margin: float = ...,
    interval: IntervalKind,
    method: IntervalMethod = ...,
    confidence_level: float = ...,
    n_draws: int | None = ...,
    rng: int | np.random.Generator | np.random.SeedSequence | None = ...,
) -> CLVPrediction: ...


def predicted_clv(
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    frequency: npt.ArrayLike | Any,
    recency: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
    monetary_value: npt.ArrayLike | None = None,
    /,
    *,
    horizon: float,
    discount_rate: float,
    step: float = 1.0,
    margin: float = 1.0,
    interval: IntervalKind | None = None,
    method: IntervalMethod = "delta",
    confidence_level: float = 0.9,
    n_draws: int | None = None,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> Any:
    """Discounted expected value of each customer over the next ``horizon`` time units.

    The horizon is cut into steps of length ``step``; the purchases the
    purchase model expects in step ``k`` (ending at ``t_k``) are valued at the
    spend model's expected spend per purchase, times ``margin``, and
    discounted to today:

    ``CLV = margin * E[spend] * sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + discount_rate)**t_k``

    with ``E[Y(t)]`` the expected purchases in the next ``t`` time units given
    the customer's history. All times are in the unit of ``recency`` and
    ``T`` (the unit the purchase model was fitted in), and ``discount_rate``
    is per one of those units: for days and a 10% annual rate use
    ``1.10 ** (1 / 365) - 1``.

    Parameters
    ----------
    purchase_model : BGNBDModel, ParetoNBDModel, MBGNBDModel or BGBBModel
        Anything with ``expected_purchases(t, frequency, recency, T)``.
    spend_model : GammaGammaModel
        Anything with ``expected_spend(frequency, monetary_value)``.
    frequency, recency, T, monetary_value : array_like
        Each customer's history, as from :func:`rfm_summary`. Alternatively
        pass the :func:`rfm_summary` table itself as ``frequency`` (a pandas
        or polars frame, or a dict of arrays) and leave the other three out.
    horizon : float
        Length of the future to value, > 0 (in time units).
    discount_rate : float
        Discount rate per time unit, >= 0.
    step : float, default 1.0
        Length of the steps in which purchases are discounted; a last,
        shorter step ends exactly at ``horizon``. Smaller steps approach
        continuous discounting.
    margin : float, default 1.0
        Share of spend that is profit (1 gives revenue).
    interval : {None, "parameter", "prediction"}, default None
        ``None`` returns the values alone. ``"parameter"`` adds the
        uncertainty of each expected value that comes from the estimated
        parameters; ``"prediction"`` the range of the value each customer will
        actually bring (the randomness of their future purchases and spend, plus
        parameter uncertainty), by simulation. See "How sure is a CLV?" in the
        user guide.
    method : {"delta", "bootstrap"}, default "delta"
        How parameter uncertainty is taken into account: the delta method on
        the fits' covariance (fast; for ``"prediction"``, parameters are drawn
        from that normal approximation), or a bootstrap that refits both models
        on multinomial resamples of the counts of their distinct data patterns.
    confidence_level : float, default 0.9
        Coverage of the intervals, in (0, 1).
    n_draws : int, optional
        Bootstrap replicates or simulated futures; default 1000 for
        simulation and 200 bootstrap refits. Not used by the delta method.
    rng : None, int, numpy.random.Generator or SeedSequence, optional
        Source of randomness for draws (SPEC 7).

    Returns
    -------
    numpy.ndarray, pandas.Series, polars.Series or CLVPrediction
        With ``interval=None``, the value of each customer: a numpy array for
        array input, a pandas Series on the input's index (on the customer ids
        for an :func:`rfm_summary` frame) for pandas input, a polars Series in
        row order for polars input. Otherwise a :class:`CLVPrediction` with
        each customer's value, ``low`` and ``high``, the total (customer
        equity) with its own interval, and ``to_frame()``.

    Notes
    -----
    lifetimes' ``customer_lifetime_value(..., time=12, discount_rate=0.01,
    freq="D")`` (months, a monthly rate, 30-day months) is
    ``predicted_clv(..., horizon=360, step=30, discount_rate=1.01 ** (1 / 30) - 1)``.

    The two models' estimates are treated as independent (the Gamma-Gamma
    model assumes spend independent of the purchase process).

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> purchases = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> spend = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45)
    >>> lm.predicted_clv(purchases, spend, [0, 2, 6], [0.0, 30.4, 35.0], [38.9, 38.9, 38.9],
    ...                  [0.0, 22.4, 40.0], horizon=52.0, discount_rate=0.002).round(2)
    array([  8.35,  36.66, 180.07])

    With fitted models, each value gets an interval, and so does the total:

    >>> from loyaltymetrics.datasets import load_transactions
    >>> summary = lm.rfm_summary(load_transactions(), customer="customer_id", time="date",
    ...                          value="amount", period="week")
    >>> purchases = lm.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    >>> spend = lm.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    >>> result = lm.predicted_clv(purchases, spend, summary, horizon=52.0,
    ...                           discount_rate=0.002, interval="parameter")
    >>> result.n_customers, bool(result.low[0] < result.value[0] < result.high[0])
    (800, True)
    """
    if not isinstance(purchase_model, PurchaseModel):
        raise TypeError(
            "`purchase_model` must have an `expected_purchases(t, frequency, recency, T)` method"
        )
    if not isinstance(spend_model, SpendModel):
        raise TypeError(
            "`spend_model` must have an `expected_spend(frequency, monetary_value)` method"
        )
    history, library, ids, id_name = _read_history(frequency, recency, T, monetary_value)
    problem = _value_problem(
        purchase_model, spend_model, history, horizon, discount_rate, step, margin
    )
    if interval is None:
        values = problem.values(purchase_model, spend_model)
        return _as_series(values, library, ids, id_name)
    kind = check_choice(interval, name="interval", choices=_INTERVALS)
    how = check_choice(method, name="method", choices=_METHODS)
    level = check_confidence_level(confidence_level)
    default_draws = 200 if how == "bootstrap" else 1000
    draws = default_draws if n_draws is None else check_n_resamples(n_draws)
    value, low, high, total, total_interval, used = value_interval(
        problem.as_vectors(),
        interval=kind,
        method=how,
        level=level,
        n_draws=draws,
        generator=check_rng(rng),
    )
    return CLVPrediction(
        value=value,
        low=low,
        high=high,
        total=total,
        total_interval=total_interval,
        interval=kind,
        method=how,
        confidence_level=level,
        n_draws=used,
        n_customers=int(value.shape[0]),
        _ids=None if ids is None else np.asarray(ids),
        _id_name=id_name,
    )


def _value_problem(
    purchase_model: object,
    spend_model: object,
    history: tuple[object, ...],
    horizon: object,
    discount_rate: object,
    step: object,
    margin: object,
) -> ValueProblem:
    """Validate the history and options once; lay out the discounting grid."""
    length = check_number(horizon, name="horizon", low=0.0, inclusive=False)
    rate = check_number(discount_rate, name="discount_rate", low=0.0, inclusive=True)
    width = check_number(step, name="step", low=0.0, inclusive=False)
    profit = check_number(margin, name="margin", low=-math.inf, inclusive=False)
    frequency, recency, big_t_in, monetary_value = history
    x, t_x, big_t = check_history(frequency, recency, big_t_in)
    monetary = model_array(monetary_value, name="monetary_value")
    try:
        x, t_x, big_t, monetary = np.broadcast_arrays(x, t_x, big_t, monetary)
    except ValueError as error:
        raise ValueError(
            "`monetary_value` must have the same length as `frequency`; "
            f"got shapes {np.shape(monetary)} and {np.shape(x)}"
        ) from error
    # Validate spend once here, so a bad monetary value is reported before any work.
    spend_model.expected_spend(x, monetary)  # type: ignore[attr-defined]
    n_steps = math.ceil(length / width - 1e-12)
    ends = np.minimum(np.arange(1, n_steps + 1) * width, length)
    return ValueProblem(
        purchase_model=purchase_model,
        spend_model=spend_model,
        x=x,
        t_x=t_x,
        big_t=big_t,
        monetary=monetary,
        ends=ends,
        rate=rate,
        margin=profit,
    )
