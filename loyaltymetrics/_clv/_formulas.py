"""Closed-form customer lifetime value and model-based predicted CLV."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from loyaltymetrics._clv._fitting import (
    FloatArray,
    PurchaseModel,
    SpendModel,
    check_history,
    check_number,
    model_array,
)
from loyaltymetrics._engine._validation import check_choice

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
    margin: object,
    /,
    *,
    retention: object,
    discount: object,
    periods: object = None,
    timing: Timing = "end",
) -> FloatArray | float:
    """Compute customer lifetime value from a margin, a retention rate and a discount rate.

    The margin multiple of Gupta & Lehmann (2003): a customer yields
    ``margin`` per period while retained; they are retained from one period
    to the next with probability ``retention``; money one period ahead is
    worth ``1 / (1 + discount)`` today. With margins at the end of each
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
    discount : float or array_like
        Discount rate per period, >= 0.
    periods : int or array_like of int, optional
        Number of margins counted; default an infinite horizon.
    timing : {"end", "start"}, default "end"
        Whether margins arrive at the end or at the start of each period.

    Returns
    -------
    float or numpy.ndarray
        Broadcast over the array arguments. An infinite horizon with
        ``retention == 1`` and ``discount == 0`` has no finite value and gives
        ``inf`` (times the sign of the margin).

    References
    ----------
    Gupta, S. and Lehmann, D. R. (2003), "Customers as assets", Journal of
    Interactive Marketing 17(1), 9-24.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> round(float(lm.clv(100.0, retention=0.8, discount=0.1)), 4)
    266.6667
    >>> round(float(lm.clv(100.0, retention=0.8, discount=0.1, timing="start")), 4)
    366.6667
    >>> lm.clv([100.0, 50.0], retention=0.8, discount=0.1, periods=2).round(4)
    array([125.6198,  62.8099])
    """
    m = _finite(margin, name="margin")
    r = _finite(retention, name="retention")
    d = _finite(discount, name="discount")
    when = check_choice(timing, name="timing", choices=("end", "start"))
    if ((r < 0) | (r > 1)).any():
        raise ValueError("`retention` must be in [0, 1]")
    if (d < 0).any():
        raise ValueError("`discount` must be >= 0")
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


def predicted_clv(
    purchase_model: PurchaseModel,
    spend_model: SpendModel,
    frequency: object,
    recency: object,
    T: object,
    monetary_value: object,
    /,
    *,
    horizon: float,
    discount_rate: float,
    step: float = 1.0,
    margin: float = 1.0,
) -> FloatArray:
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
    purchase_model : BGNBDModel or another fitted purchase model
        Anything with ``expected_purchases(t, frequency, recency, T)``.
    spend_model : GammaGammaModel
        Anything with ``expected_spend(frequency, monetary_value)``.
    frequency, recency, T, monetary_value : array_like
        Each customer's history, as from :func:`rfm_summary`.
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

    Returns
    -------
    numpy.ndarray
        The value of each customer.

    Notes
    -----
    lifetimes' ``customer_lifetime_value(..., time=12, discount_rate=0.01,
    freq="D")`` (months, a monthly rate, 30-day months) is
    ``predicted_clv(..., horizon=360, step=30, discount_rate=1.01 ** (1 / 30) - 1)``.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> purchases = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> spend = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45)
    >>> lm.predicted_clv(purchases, spend, [0, 2, 6], [0.0, 30.4, 35.0], [38.9, 38.9, 38.9],
    ...                  [0.0, 22.4, 40.0], horizon=52.0, discount_rate=0.002).round(2)
    array([  8.35,  36.66, 180.07])
    """
    if not isinstance(purchase_model, PurchaseModel):
        raise TypeError(
            "`purchase_model` must have an `expected_purchases(t, frequency, recency, T)` method"
        )
    if not isinstance(spend_model, SpendModel):
        raise TypeError(
            "`spend_model` must have an `expected_spend(frequency, monetary_value)` method"
        )
    length = check_number(horizon, name="horizon", low=0.0, inclusive=False)
    rate = check_number(discount_rate, name="discount_rate", low=0.0, inclusive=True)
    width = check_number(step, name="step", low=0.0, inclusive=False)
    profit = check_number(margin, name="margin", low=-math.inf, inclusive=False)
    x, t_x, big_t = check_history(frequency, recency, T)
    spend = np.asarray(spend_model.expected_spend(x, monetary_value), dtype=np.float64)
    n_steps = math.ceil(length / width - 1e-12)
    ends = np.minimum(np.arange(1, n_steps + 1) * width, length)
    value = np.zeros(np.broadcast(x, spend).shape)
    previous = np.zeros_like(value)
    for end in ends:
        cumulative = np.asarray(
            purchase_model.expected_purchases(end, x, t_x, big_t), dtype=np.float64
        )
        value = value + (cumulative - previous) / (1.0 + rate) ** end
        previous = cumulative
    out: FloatArray = profit * spend * value
    return out
