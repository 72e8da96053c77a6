"""What every purchase model offers, built from each model's conditional pieces.

A customer's future given their history ``(x, t_x, T)`` is a mixture: with
probability ``P(alive at T)`` they behave like a *new* customer of the same
model with posterior parameters (for the BG/NBD ``r + x, alpha + T, a, b +
x``; Fader, Hardie & Lee 2005), otherwise they make no more purchases. So a
model supplies

* ``_probability_alive(x, t_x, T)``;
* ``_survival_ahead(m, x, t_x, T)``: the chance of still being alive ``m``
  time units later, given alive at ``T``;
* ``_pmf_given_alive(n, t, x, t_x, T)``: the distribution of the purchases in
  the next ``t``, given alive at ``T``;

and this base turns them into P(alive) ``m`` units ahead, the conditional
distribution of future purchases and the discounted expected residual
transactions (DERT). DERT is integrated numerically from the expected
purchases unless a model has a closed form:
``DERT = int_0^inf (1 + d)^-u dE[Y(u)] = delta int_0^inf e^(-delta u) E[Y(u)] du``
with ``delta = log(1 + d)``, by Gauss-Laguerre quadrature in ``delta u``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import (
    FittedModel,
    FloatArray,
    check_history,
    check_number,
    model_array,
)

__all__ = ["PurchaseModelBase", "check_counts", "check_time", "output"]

# Gauss-Laguerre nodes for DERT: E[Y(u)] is smooth and grows at most linearly,
# so 80 nodes integrate it to 1e-8 .. 1e-5 relative (checked against the
# Pareto/NBD's closed form and adaptive quadrature in the tests).
_LAGUERRE_NODES = 80


def check_time(t: object, *, name: str = "t") -> FloatArray:
    """Validate non-negative finite times (any shape)."""
    values = model_array(t, name=name)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(
            f"`{name}` must be finite and >= 0; found {values.reshape(-1)[position]}"
            + (f" at position {position}" if values.ndim else "")
        )
    return values


def check_counts(n: object) -> FloatArray:
    """Validate whole purchase counts >= 0 (any shape)."""
    counts = model_array(n, name="n")
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.floor(counts))
    if bad.any():
        raise ValueError("`n` must be whole numbers >= 0")
    return counts


def output(values: FloatArray) -> FloatArray | float:
    """Return a Python-float-compatible scalar for scalar input, else the array."""
    out: FloatArray | float = values[()] if values.ndim == 0 else values
    return out


class PurchaseModelBase(FittedModel):
    """Public methods shared by the purchase models (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB)."""

    #: Whether times are whole transaction opportunities (the BG/BB).
    _discrete: ClassVar[bool] = False

    def _history(
        self, frequency: object, recency: object, T: object
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        return check_history(frequency, recency, T)

    def _times(self, t: object, *, name: str) -> FloatArray:
        return check_time(t, name=name)

    def _probability_alive(
        self, x: FloatArray, t_x: FloatArray, big_t: FloatArray, /
    ) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _survival_ahead(
        self, m: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray, /
    ) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _pmf_given_alive(
        self, n: FloatArray, t: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray, /
    ) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        raise NotImplementedError  # pragma: no cover

    def _alive(self, frequency: object, recency: object, T: object, ahead: object) -> FloatArray:
        x, t_x, big_t = self._history(frequency, recency, T)
        m = self._times(ahead, name="ahead")
        alive = self._probability_alive(x, t_x, big_t)
        if not np.any(m > 0):
            return np.broadcast_to(alive, np.broadcast(alive, m).shape).copy()
        m, x, t_x, big_t, alive = np.broadcast_arrays(m, x, t_x, big_t, alive)
        out: FloatArray = alive * np.where(m > 0, self._survival_ahead(m, x, t_x, big_t), 1.0)
        return out

    def conditional_probability_of_purchases(
        self,
        n: npt.ArrayLike,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        """Probability of exactly ``n`` purchases in the next ``t`` time units, given the history.

        ``P(Y(t) = n | x, t_x, T) = P(alive) P_new(n, t | posterior) + (1 - P(alive)) [n = 0]``:
        a customer alive at ``T`` behaves like a new customer of the same
        model with the parameters updated by their history; a customer who
        has dropped out buys nothing.

        Parameters
        ----------
        n : int or array_like of int
            Numbers of purchases (whole numbers >= 0).
        t : float or array_like
            Length of the future period (opportunities for the BG/BB).
        frequency, recency, T : array_like
            The customers' histories; everything broadcasts.

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> from loyaltymetrics import BGNBDModel
        >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
        >>> model.conditional_probability_of_purchases([0, 1, 2], 39.0, 2, 30.43, 38.86).round(4)
        array([0.4448, 0.2395, 0.1443])
        """
        counts = check_counts(n)
        horizon = self._times(t, name="t")
        x, t_x, big_t = self._history(frequency, recency, T)
        counts, horizon, x, t_x, big_t = np.broadcast_arrays(counts, horizon, x, t_x, big_t)
        alive = self._probability_alive(x, t_x, big_t)
        given_alive = self._pmf_given_alive(counts, horizon, x, t_x, big_t)
        return output(alive * given_alive + (1.0 - alive) * (counts == 0))

    def dert(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
        *,
        discount_rate: float,
    ) -> FloatArray | float:
        """Discounted expected residual transactions of each customer, given the history.

        ``DERT = sum over all future purchases of (1 + discount_rate) ** -u``
        in expectation (``u`` the purchase time after ``T``): the customer's
        future purchases, each worth ``1 / (1 + discount_rate)`` per time unit
        of delay, over an unlimited horizon. Times a margin per purchase, this
        is the residual lifetime value (Fader, Hardie & Lee 2005, "RFM and
        CLV: using iso-value curves").

        Parameters
        ----------
        frequency, recency, T : array_like
            The customers' histories.
        discount_rate : float
            Discount rate per time unit, > 0 (per opportunity for the BG/BB).

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> from loyaltymetrics import ParetoNBDModel
        >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
        >>> model.dert([0, 2], [0.0, 30.43], 38.86, discount_rate=0.0029).round(3)
        array([0.45 , 6.168])
        """
        rate = check_number(discount_rate, name="discount_rate", low=0.0, inclusive=False)
        x, t_x, big_t = self._history(frequency, recency, T)
        return output(self._dert(x, t_x, big_t, rate))

    def _dert(
        self, x: FloatArray, t_x: FloatArray, big_t: FloatArray, rate: float, /
    ) -> FloatArray:
        delta = math.log1p(rate)
        nodes, weights = np.polynomial.laguerre.laggauss(_LAGUERRE_NODES)
        total = np.zeros(np.broadcast(x, t_x, big_t).shape)
        for node, weight in zip(nodes, weights, strict=True):
            expected = self.expected_purchases(float(node) / delta, x, t_x, big_t)
            total = total + weight * np.asarray(expected, dtype=np.float64)
        return total
