"""The MBG/NBD model of repeat purchasing (Batislam, Denizel & Filiztekin 2007).

The BG/NBD with one change: a customer may also drop out right at the first
purchase, not only after each repeat purchase. While alive, a customer buys at
a Poisson rate ``lambda ~ Gamma(r, alpha)``; at time 0 and after every repeat
purchase they drop out for good with probability ``p ~ Beta(a, b)``. So a
customer with no repeat purchase may be dead too: P(alive) < 1 for everyone,
which removes the BG/NBD's odd prediction that every one-time buyer is
certainly still a customer.

Formulas: Batislam, Denizel & Filiztekin (2007), "Empirical validation and
comparison of models for customer base analysis", International Journal of
Research in Marketing 24(3), 201-209 (likelihood, P(alive), expectations). A
customer alive at ``T`` with history ``(x, t_x)`` has posterior
``lambda ~ Gamma(r + x, alpha + T)`` and ``p ~ Beta(a, b + x + 1)`` and from
then on behaves like a new BG/NBD customer with those parameters, which gives
the conditional expectation through the BG/NBD's eq. 7 (Fader, Hardie & Lee
2005).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from loyaltymetrics._clv._fitting import (
    FloatArray,
    warn_unless_converged,
)
from loyaltymetrics._clv.models._bgnbd import (
    BetaGeometricModelBase,
    _check_time,
    _output,
    _purchases_factor,
    fit_beta_geometric,
)
from loyaltymetrics._clv.models._purchase import check_counts as _check_counts
from loyaltymetrics._engine._validation import broadcast_named

__all__ = ["MBGNBDModel", "fit_mbgnbd"]

_PARAMETERS = ("r", "alpha", "a", "b")


@dataclass(frozen=True, repr=False)
class MBGNBDModel(BetaGeometricModelBase):
    """A fitted MBG/NBD model (modified beta-geometric / negative binomial).

    Rates ``alpha`` and all times are in the units of the ``recency`` and
    ``T`` the model was fitted on.

    Attributes
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates.
    a, b : float
        Parameters of the beta distribution of the dropout probability at
        the first purchase and after each repeat purchase.
    log_likelihood : float
        Maximised log-likelihood (weighted by the customer weights).
    standard_errors : dict of str to float
        Standard errors from the inverse Hessian (NaN unless converged).
    converged : bool
        True when the optimum is an interior maximum with a positive definite
        Hessian. When False, do not use the estimates: ``message`` says why.
    n_customers : float
        Total weight of the customers the model was fitted on.
    message : str
        How the fit ended.

    See Also
    --------
    fit_mbgnbd : Fit the model.

    Examples
    --------
    >>> from loyaltymetrics import MBGNBDModel
    >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
    >>> model.probability_alive([0, 2], [0.0, 30.43], 38.86).round(4)
    array([0.387, 0.706])
    """

    r: float
    alpha: float
    a: float
    b: float
    _parameters: ClassVar[tuple[str, ...]] = _PARAMETERS
    _dropout_shift: ClassVar[float] = 1.0

    def probability_alive(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
        *,
        ahead: npt.ArrayLike = 0.0,
    ) -> FloatArray | float:
        """Probability that a customer with this history is still alive at ``T``.

        ``1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))``
        for every ``x``, including ``x = 0`` (Batislam et al. 2007).

        With ``ahead = m > 0`` it is the probability of being alive ``m`` time
        units after ``T``: ``P(alive at T) * P(alive at T + m | alive at T)``.
        As for the BG/NBD, with ``b + x + 1`` in place of ``b + x``.

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> round(float(model.probability_alive(0, 0.0, 10.0)), 4)
        0.5207
        """
        return _output(self._alive(frequency, recency, T, ahead))

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_odds_dead = (
            math.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        alive: FloatArray = special.expit(-log_odds_dead)
        return alive

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        """Return the expected repeat purchases in the next ``t`` time units, given the history.

        ``P(alive) * (a + b + x) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
        * 2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))]``.

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 4)
        1.2649
        """
        # Alive at T, the customer has survived x + 1 dropout chances and from now
        # on drops out only after purchases: a new BG/NBD customer with b + x + 1.
        return self._conditional_expected_purchases(t, frequency, recency, T)

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> MBGNBDModel:
        return fit_mbgnbd(*columns, weights=weights)

    def expected_purchases_new(self, t: npt.ArrayLike, /) -> FloatArray | float:
        """Return the expected repeat purchases of a new customer in their first ``t`` time units.

        ``E[X(t)] = b / (a - 1) * [1 - (alpha / (alpha + t)) ** r *
        2F1(r, b + 1; a + b; t / (alpha + t))]``: the customer survives the
        first purchase with probability ``b / (a + b)`` and then behaves like
        a new BG/NBD customer with ``b + 1`` in place of ``b``.

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> model.expected_purchases_new([0.0, 39.0, 78.0]).round(4)
        array([0.    , 1.1923, 1.8181])
        """
        t_arr = _check_time(t)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_discount = r * (math.log(alpha) - np.log(alpha + t_arr))
        expected = _purchases_factor(a, r, b + 1.0, log_discount, t_arr / (alpha + t_arr))
        return _output(np.where(t_arr > 0, b / (a + b) * expected, 0.0))

    def probability_of_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike, /) -> FloatArray | float:
        """Probability that a new customer makes exactly ``n`` repeat purchases by ``t``.

        Alive after ``n`` purchases (``n + 1`` survived dropout chances) with
        exactly ``n`` purchases by ``t``, or dropped out right after the
        ``n``-th with at least ``n`` purchases available:
        ``P(X(t) = n) = B(a, b + n + 1) / B(a, b) * NB(n; r, alpha / (alpha + t))
        + B(a + 1, b + n) / B(a, b) * P(NB >= n)``.

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> model.probability_of_purchases([0, 1, 2], 39.0).round(4)
        array([0.5804, 0.1833, 0.0873])
        """
        counts = _check_counts(n)
        t_arr = _check_time(t)
        counts, t_arr = broadcast_named("`n` and `t`", counts, t_arr)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        success = alpha / (alpha + t_arr)
        with np.errstate(all="ignore"):
            survived = np.exp(
                special.betaln(a, b + counts + 1.0)
                - special.betaln(a, b)
                + stats.nbinom.logpmf(counts, r, success)
            )
            dropped = np.exp(
                special.betaln(a + 1.0, b + counts) - special.betaln(a, b)
            ) * stats.nbinom.sf(counts - 1.0, r, success)
        return _output(survived + dropped)


def fit_mbgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
) -> MBGNBDModel:
    """Fit the MBG/NBD model by maximum likelihood.

    Customers are collapsed to their distinct ``(frequency, recency, T)``
    patterns and the log-likelihood of Batislam, Denizel & Filiztekin (2007)
    (the BG/NBD's with one more dropout chance, at the first purchase) is
    maximised over the logarithms of ``(r, alpha, a, b)`` with L-BFGS-B
    and its analytic gradient; standard errors come from the Hessian.

    Parameters
    ----------
    frequency : array_like
        Number of repeat purchases of each customer (whole numbers >= 0).
    recency : array_like
        Time from each customer's first to last purchase (0 when
        ``frequency`` is 0).
    T : array_like
        Time from each customer's first purchase to the end of observation
        (``T >= recency``), in the unit of ``recency``.
    weights : array_like, optional
        Frequency weights: customer ``i`` counts as ``weights[i]`` identical
        customers.

    Returns
    -------
    MBGNBDModel
        The estimates with ``standard_errors`` and ``converged``.

    See Also
    --------
    fit_bgnbd : The BG/NBD, where nobody drops out before a repeat purchase.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_mbgnbd
    >>> x, t_x, T = simulate_mbgnbd(5000, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=2)
    >>> model = lm.fit_mbgnbd(x, t_x, T)
    >>> model.converged
    True
    >>> round(model.r, 2), round(model.alpha, 1), round(model.a, 2), round(model.b, 2)
    (0.54, 10.2, 0.47, 1.92)
    """
    model = MBGNBDModel(**fit_beta_geometric(frequency, recency, T, weights, dropout_at_first=True))
    warn_unless_converged(model)
    return model
