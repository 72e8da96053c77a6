"""The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys at a Poisson rate ``lambda``; they stay alive for
an exponentially distributed lifetime with rate ``mu`` (dropout can happen at
any moment, not only after a purchase as in the BG/NBD). Across customers
``lambda ~ Gamma(r, alpha)`` and ``mu ~ Gamma(s, beta)`` (shapes and rates),
independently. The data are the BG/NBD's: ``x`` repeat purchases, the time
``t_x`` of the last one and the length ``T`` of observation, all measured from
the first purchase.

Formulas are from Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD
Model and Related Expressions": the likelihood (eq. 22, with the ``alpha >=
beta`` / ``alpha < beta`` switch of their 2005 note on implementing the model,
which keeps the hypergeometric argument in [0, 1)), P(alive) (eq. 18), the
expected purchases of a new customer (eq. 27) and of a customer with a
history (eq. 28).

Evaluating the Gaussian hypergeometric function
-----------------------------------------------
The likelihood is ``C * [(alpha + T)^-(r+x) (beta + T)^-s + s (G(t_x) - G(T))]``
with the tail integral

``G(y) = int_y^inf (alpha + u)^-(r+x) (beta + u)^-(s+1) du
       = (M + y)^-A / A * 2F1(A, q; A + 1; z)``,

where ``A = r + s + x``, ``M = max(alpha, beta)``, ``m = min(alpha, beta)``,
``z = (M - m) / (M + y)`` and ``q = s + 1`` if ``alpha >= beta``, else
``r + x``. The series of that 2F1 has ``c - a - b = 1 - q < 0``: it diverges
at ``z = 1`` and its terms grow before they shrink, which is where direct
evaluation fails. Euler's transformation
``2F1(A, q; A+1; z) = (1 - z)^(1-q) 2F1(1, A+1-q; A+1; z)`` moves the
divergence into the closed-form factor and leaves a series of positive terms
bounded at ``z = 1``; everything is then computed in logs. Where even that is
out of reach of :func:`scipy.special.hyp2f1` (many purchases, ``A`` in the
hundreds, with ``z`` near 1 it returns NaN), ``G`` is integrated numerically
in the form ``G(y) = (M - m)^-A int_{1-z}^1 w^-q (1 - w)^(A-1) dw``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy import integrate, special, stats

from loyaltymetrics._clv._fitting import (
    FloatArray,
    Objective,
    check_history,
    collapse_history,
    fit_log_parameters,
    fitted_fields,
    group_rows,
    numerical_gradient,
    warn_unless_converged,
    weighted_sum,
)
from loyaltymetrics._clv.models._bgnbd import _check_time, _output
from loyaltymetrics._clv.models._purchase import PurchaseModelBase
from loyaltymetrics._clv.models._purchase import check_counts as _check_counts
from loyaltymetrics._engine._validation import broadcast_named

__all__ = ["ParetoNBDModel", "fit_pareto_nbd", "pareto_nbd_log_likelihood", "pareto_nbd_pmf"]

_PARAMETERS = ("r", "alpha", "s", "beta")
# Gauss-Legendre nodes for the purchase-count distribution (an integral over
# the lifetime distribution, smooth after the change of variable used there).
_PMF_NODES = 128


def _log_tail_by_quadrature(a: float, q: float, log_w0: float, log_d: float) -> float:
    """``log[(M - m)^-A int_{w0}^1 w^-q (1 - w)^(A-1) dw]`` by adaptive quadrature.

    The integral is taken over ``tau = log w``; its integrand
    ``exp((1 - q) tau + (A - 1) log(1 - e^tau))`` is log-concave for
    ``A >= 1``, so scaling by its value at the peak and giving the peak's
    width as break points lets :func:`scipy.integrate.quad` resolve it.
    """

    def exponent(tau: FloatArray | float) -> FloatArray:
        return np.asarray((1.0 - q) * tau + (a - 1.0) * np.log1p(-np.exp(tau)))

    grid = np.linspace(log_w0, 0.0, 2001)[:-1]
    values = exponent(grid)
    peak = int(np.argmax(values))
    offset = float(values[peak])
    slope = abs((1.0 - q) - (a - 1.0) / np.expm1(-grid[peak])) + 1.0
    points = sorted(
        {
            float(grid[peak] + k / slope)
            for k in (-20.0, -5.0, -1.0, 1.0, 5.0, 20.0, 80.0)
            if log_w0 < grid[peak] + k / slope < 0.0
        }
    )
    with warnings.catch_warnings():
        # quad warns when it cannot reach the requested 1e-12; its own error
        # estimate decides below whether the value is still usable.
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, error = integrate.quad(
            lambda tau: math.exp(float(exponent(tau)) - offset),
            log_w0,
            0.0,
            points=points or None,
            limit=400,
            epsabs=0.0,
            epsrel=1e-12,
        )
    if not (value > 0 and error <= 1e-8 * value):
        return float("nan")
    return -a * log_d + offset + math.log(value)


def _log_tail(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, y: FloatArray
) -> FloatArray:
    """``log G(y)``, ``G(y) = int_y^inf (alpha + u)^-(r+x) (beta + u)^-(s+1) du``, elementwise."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    a = r + s + x
    if alpha >= beta:
        big, small, q = alpha, beta, np.full_like(x, s + 1.0)
    else:
        big, small, q = beta, alpha, r + x
    log_big = np.log(big + y)
    log_w0 = np.log(small + y) - log_big  # log(1 - z)
    z = (big - small) / (big + y)
    with np.errstate(all="ignore"):
        series = special.hyp2f1(1.0, a + 1.0 - q, a + 1.0, z)
        out = np.asarray(-np.log(a) - a * log_big + (1.0 - q) * log_w0 + np.log(series))
    # The transformed series has positive terms starting at 1; anything else
    # (NaN, inf, < 1) is a failure of the library routine, not a value.
    bad = ~np.isfinite(out) | ~(series >= 1.0)
    if bad.any():
        log_d = math.log(big - small)
        out = out.reshape(-1).copy()
        a_flat, q_flat, w0_flat = a.reshape(-1), q.reshape(-1), log_w0.reshape(-1)
        for index in np.flatnonzero(bad.reshape(-1)):
            out[index] = _log_tail_by_quadrature(
                float(a_flat[index]), float(q_flat[index]), float(w0_flat[index]), log_d
            )
        out = out.reshape(x.shape)
    return out


@dataclass(frozen=True)
class _Histories:
    """Histories with the distinct values each likelihood term depends on.

    The hypergeometric tail ``G(y)`` depends on ``(x, y)`` only, so it is
    evaluated once per distinct ``(x, t_x)`` and ``(x, T)`` pair, far fewer
    than the distinct ``(x, t_x, T)`` patterns; gamma functions once per
    distinct ``x`` and the ``log(rate + T)`` terms once per distinct ``T``.
    """

    x: FloatArray
    big_t: FloatArray
    recency_pairs: tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]
    horizon_pairs: tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]
    distinct_x: tuple[FloatArray, npt.NDArray[np.intp]]
    distinct_t: tuple[FloatArray, npt.NDArray[np.intp]]

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> _Histories:
        x, t_x, big_t = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (x, t_x, big_t))
        (x_r, t_r), group_r = group_rows(x, t_x)
        (x_h, t_h), group_h = group_rows(x, big_t)
        (x_d,), group_x = group_rows(x)
        (t_d,), group_t = group_rows(big_t)
        return cls(
            x, big_t, (x_r, t_r, group_r), (x_h, t_h, group_h), (x_d, group_x), (t_d, group_t)
        )

    def log_likelihood(
        self, params: tuple[float, float, float, float]
    ) -> tuple[FloatArray, FloatArray]:
        r, alpha, s, beta = params
        distinct_x, group_x = self.distinct_x
        distinct_t, group_t = self.distinct_t
        log_front = (special.gammaln(r + distinct_x) - special.gammaln(r))[group_x] + (
            r * math.log(alpha) + s * math.log(beta)
        )
        log_alive = (
            -(r + self.x) * np.log(alpha + distinct_t)[group_t]
            - s * np.log(beta + distinct_t)[group_t]
        )
        x_r, t_r, group_r = self.recency_pairs
        x_h, t_h, group_h = self.horizon_pairs
        log_tail_tx = _log_tail(r, alpha, s, beta, x_r, t_r)[group_r]
        log_tail_t = _log_tail(r, alpha, s, beta, x_h, t_h)[group_h]
        with np.errstate(divide="ignore"):
            # s * (G(t_x) - G(T)); G is decreasing, so the difference is >= 0 (0 when t_x == T).
            gap = np.minimum(log_tail_t - log_tail_tx, 0.0)
            log_dead = math.log(s) + log_tail_tx + np.log(-np.expm1(gap))
        log_sum = np.logaddexp(log_alive, log_dead)
        return log_front + log_sum, log_alive - log_sum


def pareto_nbd_log_likelihood(
    params: tuple[float, float, float, float], x: FloatArray, t_x: FloatArray, big_t: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-customer Pareto/NBD log-likelihood and log P(alive at ``T``).

    Fader & Hardie (2005), eqs. 22 and 18, with the hypergeometric terms
    written as tail integrals (see the module docstring).
    """
    x, t_x, big_t = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, big_t)))
    log_lik, log_alive = _Histories.of(x, t_x, big_t).log_likelihood(params)
    return log_lik.reshape(x.shape), log_alive.reshape(x.shape)


def _lifetime_integral(k: float, span: FloatArray) -> FloatArray:
    """``(1 - exp(-k * span)) / k``, equal to ``span`` at ``k = 0`` (no 0/0)."""
    if k == 0.0:
        return span
    out: FloatArray = -np.expm1(-k * span) / k
    return out


@dataclass(frozen=True, repr=False)
class ParetoNBDModel(PurchaseModelBase):
    """A fitted Pareto/NBD model.

    Rates ``alpha`` and ``beta`` and all times are in the units of the
    ``recency`` and ``T`` the model was fitted on.

    Attributes
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates (mean
        ``r / alpha`` purchases per time unit while alive).
    s, beta : float
        Shape and rate of the gamma distribution of dropout rates (mean
        lifetime ``beta / (s - 1)`` time units when ``s > 1``).
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
    fit_pareto_nbd : Fit the model.

    Examples
    --------
    >>> from loyaltymetrics import ParetoNBDModel
    >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    >>> round(float(model.probability_alive(2, 30.43, 38.86)), 4)
    0.8684
    """

    r: float
    alpha: float
    s: float
    beta: float
    _parameters: ClassVar[tuple[str, ...]] = _PARAMETERS

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.s, self.beta)

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

        Fader & Hardie (2005), eq. 18: the share of the likelihood that comes
        from customers whose lifetime exceeds ``T``. Unlike the BG/NBD, a
        customer with no repeat purchase can have dropped out too.

        With ``ahead = m > 0`` it is the probability of being alive ``m`` time
        units after ``T``: ``P(alive at T) * P(alive at T + m | alive at T)``.
        Given alive, the dropout rate is ``Gamma(s, beta + T)``, so the second
        factor is ``E[exp(-mu m)] = ((beta + T) / (beta + T + m)) ** s``.

        Examples
        --------
        >>> from loyaltymetrics import ParetoNBDModel
        >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
        >>> model.probability_alive([0, 2, 2], [0.0, 30.43, 5.0], 38.86).round(4)
        array([0.2938, 0.8684, 0.1294])
        """
        return _output(self._alive(frequency, recency, T, ahead))

    def _survival_ahead(
        self, m: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray
    ) -> FloatArray:
        out: FloatArray = np.exp(-self.s * np.log1p(m / (self.beta + big_t)))
        return out

    def _pmf_given_alive(
        self, n: FloatArray, t: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray
    ) -> FloatArray:
        # Alive at T: the rates' posteriors are Gamma(r + x, alpha + T) and
        # Gamma(s, beta + T), and the future is a new customer's with them.
        return pareto_nbd_pmf(n, t, self.r + x, self.alpha + big_t, self.s, self.beta + big_t)

    def _dert(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray, rate: float) -> FloatArray:
        """Fader, Hardie & Lee (2005, iso-value curves), eq. 2: closed form in Tricomi's U.

        Given alive, ``E[lambda] = (r + x) / (alpha + T)`` and
        ``E[1 / (mu + delta)] = (beta + T) ** s * delta ** (s - 1) * U(s, s; delta (beta + T))``.
        """
        delta = math.log1p(rate)
        shifted = self.beta + big_t
        # scipy's hyperu is wrong for a second argument within a few ulps of an
        # integer (at s = 1 + 2e-16 it is off by a factor of 10), while U is
        # smooth in its arguments: within 1e-9 of an integer, evaluate at it.
        nearest = round(self.s)
        order = float(nearest) if abs(self.s - nearest) < 1e-9 else self.s
        with np.errstate(all="ignore"):
            log_inverse = (
                self.s * np.log(shifted)
                + (self.s - 1.0) * math.log(delta)
                + np.log(special.hyperu(order, order, delta * shifted))
            )
        per_alive = (self.r + x) / (self.alpha + big_t) * np.exp(log_inverse)
        out: FloatArray = self._probability_alive(x, t_x, big_t) * per_alive
        return out

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
        _, log_alive = pareto_nbd_log_likelihood(self._params, x, t_x, big_t)
        return np.exp(log_alive)

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        """Return the expected repeat purchases in the next ``t`` time units, given the history.

        Fader & Hardie (2005), eq. 28:
        ``P(alive) * (r + x) (beta + T) / ((alpha + T) (s - 1)) *
        [1 - ((beta + T) / (beta + T + t)) ** (s - 1)]``, with the limit
        ``log((beta + T + t) / (beta + T))`` for the bracket over ``s - 1`` at
        ``s = 1``.

        Examples
        --------
        >>> from loyaltymetrics import ParetoNBDModel
        >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
        >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 4)
        1.4504
        """
        horizon = _check_time(t)
        x, t_x, big_t = check_history(frequency, recency, T)
        horizon, x, t_x, big_t = broadcast_named(
            "`t`, `frequency`, `recency` and `T`", horizon, x, t_x, big_t
        )
        r, alpha, s, beta = self._params
        while_alive = (
            (r + x)
            / (alpha + big_t)
            * (beta + big_t)
            * _lifetime_integral(s - 1.0, np.log1p(horizon / (beta + big_t)))
        )
        return _output(while_alive * self._probability_alive(x, t_x, big_t))

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> ParetoNBDModel:
        return fit_pareto_nbd(*columns, weights=weights)

    def _simulate_future(
        self,
        generator: np.random.Generator,
        x: FloatArray,
        t_x: FloatArray,
        big_t: FloatArray,
        ends: FloatArray,
    ) -> FloatArray:
        """Draw each customer's purchases in the steps ending at ``ends``, given the history.

        Given alive at ``T`` the rates' posteriors are ``Gamma(r + x, alpha + T)``
        and ``Gamma(s, beta + T)`` (Fader & Hardie 2005); the remaining lifetime
        is exponential, and purchases are Poisson over the part of each step lived.
        """
        n = x.shape[0]
        r, alpha, s, beta = self._params
        living = generator.random(n) < self._probability_alive(x, t_x, big_t)
        purchase_rate = generator.gamma(r + x, 1.0 / (alpha + big_t), size=n)
        dropout_rate = generator.gamma(s, 1.0 / (beta + big_t), size=n)
        with np.errstate(divide="ignore", over="ignore"):
            lifetime = np.where(living, generator.exponential(size=n) / dropout_rate, 0.0)
        counts = np.zeros((ends.shape[0], n))
        previous = 0.0
        for k, end in enumerate(ends):
            lived = np.clip(np.minimum(lifetime, end) - previous, 0.0, None)
            counts[k] = generator.poisson(purchase_rate * lived)
            previous = float(end)
        return counts

    def expected_purchases_new(self, t: npt.ArrayLike, /) -> FloatArray | float:
        """Return the expected repeat purchases of a new customer in their first ``t`` time units.

        Fader & Hardie (2005), eq. 27:
        ``E[X(t)] = r beta / (alpha (s - 1)) * [1 - (beta / (beta + t)) ** (s - 1)]``
        (``r beta / alpha * log(1 + t / beta)`` at ``s = 1``).

        Examples
        --------
        >>> from loyaltymetrics import ParetoNBDModel
        >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
        >>> model.expected_purchases_new([0.0, 39.0, 78.0]).round(4)
        array([0.    , 1.2024, 1.89  ])
        """
        horizon = _check_time(t)
        r, alpha, s, beta = self._params
        return _output(r / alpha * beta * _lifetime_integral(s - 1.0, np.log1p(horizon / beta)))

    def probability_of_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike, /) -> FloatArray | float:
        """Probability that a new customer makes exactly ``n`` repeat purchases by ``t``.

        Conditioning on the lifetime ``omega``: alive throughout ``(0, t]``
        the count is negative binomial ``NB(n; r, alpha / (alpha + t))``; dead
        at ``omega < t`` it is ``NB(n; r, alpha / (alpha + omega))``. Hence
        ``P(X(t) = n) = (beta / (beta + t)) ** s * NB(n; r, alpha / (alpha + t))
        + int_0^t f(omega) NB(n; r, alpha / (alpha + omega)) d omega`` with
        ``f`` the Pareto (Lomax) density of lifetimes. The integral is taken by
        Gauss-Legendre quadrature in ``rho = log(1 + omega / beta)``, where the
        integrand is smooth; the result matches Fader & Hardie's closed form
        (their 2006 note on ``P(X(t) = x)``) to quadrature accuracy.

        Examples
        --------
        >>> from loyaltymetrics import ParetoNBDModel
        >>> model = ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
        >>> model.probability_of_purchases([0, 1, 2], 39.0).round(4)
        array([0.596 , 0.1651, 0.082 ])
        """
        counts = _check_counts(n)
        horizon = _check_time(t)
        counts, horizon = broadcast_named("`n` and `t`", counts, horizon)
        return _output(pareto_nbd_pmf(counts, horizon, *self._params))


def pareto_nbd_pmf(
    n: FloatArray,
    t: FloatArray,
    r: FloatArray | float,
    alpha: FloatArray | float,
    s: FloatArray | float,
    beta: FloatArray | float,
) -> FloatArray:
    """Pareto/NBD ``P(X(t) = n)`` of a new customer, elementwise in arrays of parameters.

    See :meth:`ParetoNBDModel.probability_of_purchases`: Gauss-Legendre
    quadrature over the lifetime in ``rho = log(1 + omega / beta)``.
    """
    n, t, r, alpha, s, beta = np.broadcast_arrays(n, t, r, alpha, s, beta)
    span = np.log1p(t / beta)
    nodes, node_weights = np.polynomial.legendre.leggauss(_PMF_NODES)
    rho = span[..., None] * (nodes + 1.0) / 2.0
    omega = beta[..., None] * np.expm1(rho)
    s_node = s[..., None]
    density = s_node * np.exp(-s_node * rho) * (span[..., None] / 2.0) * node_weights
    with np.errstate(all="ignore"):
        inside = _nbinom_pmf(
            n[..., None], r[..., None], alpha[..., None] / (alpha[..., None] + omega)
        )
        survive = np.exp(-s * span) * _nbinom_pmf(n, r, alpha / (alpha + t))
    out: FloatArray = survive + np.sum(inside * density, axis=-1)
    return out


def _nbinom_pmf(n: FloatArray, r: FloatArray, p: FloatArray) -> FloatArray:
    """``NB(n; r, p)``, from its logarithm where scipy's direct form overflows.

    For success chances near the smallest float (horizons near the largest)
    and large counts, scipy's pmf raises ``OverflowError`` from its incomplete
    beta derivative; its log-pmf (gamma functions and logarithms) does not.
    """
    try:
        out: FloatArray = stats.nbinom.pmf(n, r, p)
    except OverflowError:
        out = np.exp(stats.nbinom.logpmf(n, r, p))
    return out


def pareto_nbd_objective(
    x: FloatArray, t_x: FloatArray, big_t: FloatArray, weights: FloatArray
) -> Objective:
    """Weighted mean negative log-likelihood over log(r, alpha, s, beta), numerical gradient."""
    share = weights / weights.sum()
    histories = _Histories.of(x, t_x, big_t)

    def value(log_params: FloatArray) -> float:
        r, alpha, s, beta = (float(v) for v in np.exp(log_params))
        log_lik, _ = histories.log_likelihood((r, alpha, s, beta))
        return -weighted_sum(share, log_lik)

    return numerical_gradient(value)


def fit_pareto_nbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
) -> ParetoNBDModel:
    """Fit the Pareto/NBD model by maximum likelihood.

    Customers are collapsed to their distinct ``(frequency, recency, T)``
    patterns; the log-likelihood of Fader & Hardie (2005, eq. 22), with its
    hypergeometric terms evaluated stably in every region, is maximised over
    the logarithms of ``(r, alpha, s, beta)``; standard errors come from the
    Hessian.

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
    ParetoNBDModel
        The estimates with ``standard_errors`` and ``converged``. A fit whose
        maximum is not attained (e.g. no sign of dropout at all, so ``s`` and
        ``beta`` run off to infinity together) has ``converged=False``.

    See Also
    --------
    fit_bgnbd : The BG/NBD, where dropout happens only right after purchases.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_pareto_nbd
    >>> x, t_x, T = simulate_pareto_nbd(4000, r=0.6, alpha=8.0, s=0.8, beta=12.0, T=52.0, rng=1)
    >>> model = lm.fit_pareto_nbd(x, t_x, T)
    >>> model.converged
    True
    >>> round(model.r, 2), round(model.alpha, 1), round(model.s, 2), round(model.beta, 1)
    (0.57, 7.4, 0.78, 13.0)
    """
    data = collapse_history(frequency, recency, T, weights)
    objective = pareto_nbd_objective(data.x, data.t_x, data.big_t, data.weights)
    mean_rate = data.mean_rate
    starts = [
        np.log([1.0, 1.0 / mean_rate, 1.0, 1.0]),
        np.log([0.5, 0.5 / mean_rate, 0.5, 0.5]),
        np.log([0.2, 0.2 / mean_rate, 2.0, 5.0]),
        np.log([3.0, 3.0 / mean_rate, 0.2, 0.2]),
    ]
    fit = fit_log_parameters(objective, starts, total_weight=data.total_weight)
    fields = fitted_fields(
        fit, _PARAMETERS, total_weight=data.total_weight, data=data, rates=(1, 3)
    )
    model = ParetoNBDModel(**fields)
    warn_unless_converged(model)
    return model
