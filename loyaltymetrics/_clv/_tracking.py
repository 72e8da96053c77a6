"""Tracking a purchase model against the calendar: expected and actual repeat transactions.

A cohort's expected cumulative repeat transactions at calendar time ``t`` is
``sum_i E[X(t - s_i)]`` over the customers whose first purchase ``s_i`` is
before ``t``, with ``E[X(.)]`` a new customer's expected repeat purchases
(Fader, Hardie & Lee 2005, "A note on implementing the Pareto/NBD model in
MATLAB", the tracking plot). Customers are reduced to their distinct
first-purchase times with counts first, so the cost grows with the number of
cohorts, not of customers. The actual counterpart counts, from a transaction
log, the periods with a purchase after each customer's first one (one purchase
per period, the convention of :func:`~loyaltymetrics.rfm_summary`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import FloatArray, group_rows, model_array
from loyaltymetrics._engine._validation import as_1d_array, as_1d_labels

__all__ = ["actual_repeat_transactions", "expected_repeat_transactions"]


@runtime_checkable
class _NewCustomerModel(Protocol):
    def expected_purchases_new(self, t: npt.ArrayLike, /) -> FloatArray | float: ...


def _finite_times(values: object, *, name: str) -> FloatArray:
    array = as_1d_array(values, name=name)
    if array.dtype.kind not in "iuf" or array.dtype.kind == "b":
        raise TypeError(f"`{name}` must be numbers (times in the model's unit)")
    floats = array.astype(np.float64)
    bad = ~np.isfinite(floats)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`{name}` must be finite; found {floats[position]} at position {position}"
        )
    return floats


def expected_repeat_transactions(
    model: _NewCustomerModel, first_purchase: npt.ArrayLike, /, *, times: npt.ArrayLike
) -> FloatArray:
    """Return a cohort's expected cumulative repeat transactions by each calendar time.

    ``sum_i E[X(t - s_i)]`` over the customers with first purchase ``s_i < t``,
    ``E[X(.)]`` the model's ``expected_purchases_new``: the model's tracking
    curve, to draw against :func:`actual_repeat_transactions` with
    :func:`loyaltymetrics.plotting.plot_tracking`.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel, MBGNBDModel or BGBBModel
        A fitted purchase model (anything with ``expected_purchases_new(t)``).
    first_purchase : array_like
        Each customer's first-purchase time, on the calendar of ``times`` and in
        the model's time unit. From an :func:`~loyaltymetrics.rfm_summary`
        table observed up to period ``end``, it is ``end - T``.
    times : array_like
        Calendar times at which to evaluate the cumulative count.

    Returns
    -------
    numpy.ndarray
        One expected cumulative count per entry of ``times``.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> model = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> lm.expected_repeat_transactions(model, [0, 0, 3], times=[1, 5, 10]).round(3)
    array([0.105, 0.576, 1.173])
    """
    if not isinstance(model, _NewCustomerModel):
        raise TypeError("`model` must be a purchase model with `expected_purchases_new(t)`")
    starts = _finite_times(first_purchase, name="first_purchase")
    at = _finite_times(times, name="times")
    (cohorts,), group = group_rows(starts)
    sizes = np.bincount(group, minlength=cohorts.shape[0]).astype(np.float64)
    elapsed = np.maximum(at[:, None] - cohorts[None, :], 0.0)
    if getattr(model, "_discrete", False):  # the BG/BB counts whole opportunities
        elapsed = np.floor(elapsed)
    per_customer = np.asarray(model.expected_purchases_new(elapsed), dtype=np.float64)
    out: FloatArray = np.sum(per_customer * sizes[None, :], axis=1)
    return out


def actual_repeat_transactions(
    customer: npt.ArrayLike, time: npt.ArrayLike, /, *, times: npt.ArrayLike
) -> FloatArray:
    """Count the cumulative repeat transactions of a transaction log by each calendar time.

    Times are cut into whole periods (``floor``); a customer's purchases in
    one period count once, and the period of their first purchase is not a
    repeat, as in :func:`~loyaltymetrics.rfm_summary`. The count at ``t`` is
    the number of repeat periods before ``t`` (periods ``< t``), the actual
    counterpart of :func:`expected_repeat_transactions`.

    Parameters
    ----------
    customer : array_like
        Customer id of each purchase (any sortable type).
    time : array_like
        Period number of each purchase (numbers; for dates, e.g. weeks since
        the first day: ``(dates - dates.min()) // np.timedelta64(7, "D")``).
    times : array_like
        Calendar times at which to count.

    Returns
    -------
    numpy.ndarray
        One cumulative count per entry of ``times``.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.actual_repeat_transactions(["a", "a", "a", "b", "b"], [0, 0.5, 2, 1, 4],
    ...                               times=[1, 3, 5])
    array([0., 1., 2.])
    """
    ids = as_1d_labels(customer, name="customer")
    periods = np.floor(_finite_times(time, name="time"))
    if ids.shape[0] != periods.shape[0]:
        raise ValueError(
            f"`customer` and `time` must have the same length; got {ids.shape[0]} and "
            f"{periods.shape[0]}"
        )
    at = model_array(times, name="times").reshape(-1)
    if ids.shape[0] == 0:
        return np.zeros(at.shape[0])
    (pair_ids, pair_periods), _ = group_rows(ids, periods)
    (_,), owner = group_rows(pair_ids)
    first = np.full(int(owner.max()) + 1, np.inf)
    np.minimum.at(first, owner, pair_periods)
    repeats = np.sort(pair_periods[pair_periods > first[owner]])
    out: FloatArray = np.searchsorted(repeats, at, side="left").astype(np.float64)
    return out
