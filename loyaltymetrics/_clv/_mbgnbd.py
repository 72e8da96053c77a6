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
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy import special, stats

from loyaltymetrics._clv._bgnbd import _check_time, _output, _purchases_factor
from loyaltymetrics._clv._fitting import (
    FloatArray,
    Objective,
    check_history,
    collapse_history,
    fit_log_parameters,
    standard_error_dict,
)
from loyaltymetrics._clv._pareto_nbd import _check_counts, _check_parameters
from loyaltymetrics._results import Result

__all__ = ["MBGNBDModel", "fit_mbgnbd", "mbgnbd_objective"]

_PARAMETERS = ("r", "alpha", "a", "b")


@dataclass(frozen=True, repr=False)
class MBGNBDModel(Result):
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
    array([0.6441, 0.8231])
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    standard_errors: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(_PARAMETERS, float("nan"))
    )
    converged: bool = True
    n_customers: float = float("nan")
    message: str = "parameters given directly"
    _covariance: FloatArray | None = None

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
        "converged",
    )

    def __post_init__(self) -> None:
        _check_parameters(self, _PARAMETERS)

    def probability_alive(
        self, frequency: object, recency: object, T: object, /
    ) -> FloatArray | float:
        """Probability that a customer with this history is still alive at ``T``.

        ``1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))``
        for every ``x``, including ``x = 0`` (Batislam et al. 2007).

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> round(float(model.probability_alive(0, 0.0, 10.0)), 4)
        0.6963
        """
        x, t_x, big_t = check_history(frequency, recency, T)
        return _output(self._probability_alive(x, t_x, big_t))

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_odds_dead = (
            math.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        alive: FloatArray = special.expit(-log_odds_dead)
        return alive

    def expected_purchases(
        self, t: object, frequency: object, recency: object, T: object, /
    ) -> FloatArray | float:
        """Return the expected repeat purchases in the next ``t`` time units, given the history.

        ``P(alive) * (a + b + x) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
        * 2F1(r + x, b + x + 1; a + b + x; t / (alpha + T + t))]``.

        Examples
        --------
        >>> from loyaltymetrics import MBGNBDModel
        >>> model = MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
        >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 4)
        1.3023
        """
        horizon = _check_time(t)
        x, t_x, big_t = check_history(frequency, recency, T)
        horizon, x, t_x, big_t = np.broadcast_arrays(horizon, x, t_x, big_t)
        r, alpha = self.r, self.alpha
        z = horizon / (alpha + big_t + horizon)
        log_discount = (r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + horizon))
        expected = _purchases_factor(self.a, r + x, self.b + x + 1.0, log_discount, z)
        out = np.where(horizon > 0, expected * self._probability_alive(x, t_x, big_t), 0.0)
        return _output(out)

    def expected_purchases_new(self, t: object, /) -> FloatArray | float:
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
        array([0.    , 1.1656, 1.9016])
        """
        t_arr = _check_time(t)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_discount = r * (math.log(alpha) - np.log(alpha + t_arr))
        expected = _purchases_factor(a, r, b + 1.0, log_discount, t_arr / (alpha + t_arr))
        return _output(np.where(t_arr > 0, b / (a + b) * expected, 0.0))

    def probability_of_purchases(self, n: object, t: object, /) -> FloatArray | float:
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
        array([0.6025, 0.1216, 0.0687])
        """
        counts = _check_counts(n)
        t_arr = _check_time(t)
        counts, t_arr = np.broadcast_arrays(counts, t_arr)
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


def mbgnbd_objective(
    x: FloatArray, t_x: FloatArray, big_t: FloatArray, weights: FloatArray
) -> Objective:
    """Weighted mean negative log-likelihood of MBG/NBD over log(r, alpha, a, b), with gradient.

    ``log L = log Gamma(r + x) - log Gamma(r) + r log alpha + log B(a, b + x + 1)
    - log B(a, b) + log[(alpha + T)^-(r+x) + a / (b + x) (alpha + t_x)^-(r+x)]``.
    """
    share = weights / weights.sum()

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(log_params)
        log_alpha_t = np.log(alpha + big_t)
        log_alpha_tx = np.log(alpha + t_x)
        term_alive = -(r + x) * log_alpha_t
        term_dead = math.log(a) - np.log(b + x) - (r + x) * log_alpha_tx
        mixture = np.logaddexp(term_alive, term_dead)
        weight_dead = np.exp(term_dead - mixture)
        weight_alive = 1.0 - weight_dead
        log_lik = (
            special.gammaln(r + x)
            - special.gammaln(r)
            + r * math.log(alpha)
            + special.betaln(a, b + x + 1.0)
            - special.betaln(a, b)
            + mixture
        )
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + x + 1.0)
        d_r = r * (
            special.digamma(r + x)
            - special.digamma(r)
            + math.log(alpha)
            - weight_alive * log_alpha_t
            - weight_dead * log_alpha_tx
        )
        d_alpha = r - alpha * (r + x) * (
            weight_alive / (alpha + big_t) + weight_dead / (alpha + t_x)
        )
        d_a = a * (psi_ab - psi_abx) + weight_dead
        d_b = b * (
            special.digamma(b + x + 1.0)
            - special.digamma(b)
            + psi_ab
            - psi_abx
            - weight_dead / (b + x)
        )
        gradient = np.array(
            [np.sum(share * d) for d in (d_r, d_alpha, d_a, d_b)], dtype=np.float64
        )
        return -float(np.sum(share * log_lik)), -gradient

    return objective


def fit_mbgnbd(
    frequency: object, recency: object, T: object, /, *, weights: object = None
) -> MBGNBDModel:
    """Fit the MBG/NBD model by maximum likelihood.

    Customers are collapsed to their distinct ``(frequency, recency, T)``
    patterns and the log-likelihood of Batislam, Denizel & Filiztekin (2007)
    is maximised over the logarithms of ``(r, alpha, a, b)`` with L-BFGS-B
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
    >>> from loyaltymetrics._clv._simulate import simulate_mbgnbd
    >>> x, t_x, T = simulate_mbgnbd(5000, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=2)
    >>> model = lm.fit_mbgnbd(x, t_x, T)
    >>> model.converged
    True
    >>> round(model.r, 2), round(model.alpha, 1), round(model.a, 2), round(model.b, 2)
    (0.5, 9.8, 0.5, 2.48)
    """
    data = collapse_history(frequency, recency, T, weights)
    objective = mbgnbd_objective(data.x, data.t_x, data.big_t, data.weights)
    mean_rate = data.mean_rate
    starts = [
        np.log([1.0, 1.0 / mean_rate, 1.0, 3.0]),
        np.log([0.25, 0.25 / mean_rate, 0.5, 2.0]),
        np.log([0.1, 0.1, 0.1, 0.1]),
        np.log([3.0, 3.0 / mean_rate, 3.0, 10.0]),
    ]
    fit = fit_log_parameters(objective, starts, total_weight=data.total_weight)
    r, alpha_scaled, a, b = (float(value) for value in fit.params)
    standard_errors = fit.standard_errors.copy()
    standard_errors[1] *= data.scale
    return MBGNBDModel(
        r=r,
        alpha=alpha_scaled * data.scale,
        a=a,
        b=b,
        log_likelihood=fit.log_likelihood + data.log_likelihood_shift(),
        standard_errors=standard_error_dict(_PARAMETERS, standard_errors),
        converged=fit.converged,
        n_customers=data.total_weight,
        message=fit.message,
        _covariance=fit.covariance,
    )
