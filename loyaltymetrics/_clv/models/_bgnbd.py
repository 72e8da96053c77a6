"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

While alive, a customer buys at a Poisson rate ``lambda``; after every repeat
purchase they drop out for good with probability ``p``. Across customers,
``lambda ~ Gamma(r, alpha)`` (shape ``r``, rate ``alpha``) and
``p ~ Beta(a, b)``. A customer's history is summarised by ``x`` (frequency:
repeat purchases), ``t_x`` (recency: time of the last purchase, measured from
the first) and ``T`` (time from the first purchase to the end of
observation).

All formulas are from Fader, Hardie & Lee (2005), "Counting your customers the
easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2),
275-284: the likelihood (their eq. 6, written in logs), the expected number of
purchases of a new customer (eq. 7), the purchase-count distribution (eq. 8),
the conditional expectation (eq. 10) and the probability of being alive
(their note "Computing P(alive) using the BG/NBD model").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from loyaltymetrics._clv._fitting import (
    FloatArray,
    Objective,
    check_history,
    collapse_history,
    fit_log_parameters,
    fitted_fields,
    shares_by_value,
    warn_unless_converged,
    weighted_sum,
)
from loyaltymetrics._clv.models._purchase import (
    PurchaseModelBase,
    check_counts,
    check_time,
    output,
)
from loyaltymetrics._engine._validation import broadcast_named

__all__ = [
    "BGNBDModel",
    "BetaGeometricModelBase",
    "beta_geometric_pmf",
    "beta_geometric_survival",
    "bgnbd_objective",
    "fit_beta_geometric",
    "fit_bgnbd",
    "simulate_beta_geometric_future",
]

_PARAMETERS = ("r", "alpha", "a", "b")


_check_time = check_time
_output = output


def beta_geometric_pmf(
    n: FloatArray,
    t: FloatArray,
    r: FloatArray | float,
    alpha: FloatArray | float,
    a: FloatArray | float,
    b: FloatArray | float,
) -> FloatArray:
    """BG/NBD ``P(X(t) = n)`` of a new customer, elementwise in arrays of parameters.

    Fader, Hardie & Lee (2005), eq. 8, with the finite sum written as a
    negative binomial distribution function:
    ``B(a, b + n) / B(a, b) * NB(n; r, alpha / (alpha + t))
    + [n > 0] * B(a + 1, b + n - 1) / B(a, b) * P(NB >= n)``.
    """
    success = alpha / (alpha + t)
    with np.errstate(all="ignore"):
        log_first = (
            special.betaln(a, b + n) - special.betaln(a, b) + stats.nbinom.logpmf(n, r, success)
        )
        second = np.exp(
            special.betaln(a + 1.0, b + np.maximum(n, 1.0) - 1.0) - special.betaln(a, b)
        ) * stats.nbinom.sf(n - 1.0, r, success)
    out: FloatArray = np.exp(log_first) + np.where(n > 0, second, 0.0)
    return out


def beta_geometric_survival(
    m: FloatArray,
    r: FloatArray | float,
    alpha: FloatArray | float,
    a: FloatArray | float,
    b: FloatArray | float,
) -> FloatArray:
    """Chance that a customer alive now is still alive ``m`` later (dropout after purchases).

    With purchase rate ``~ Gamma(r, alpha)`` and dropout probability ``p ~
    Beta(a, b)`` after each purchase, the customer survives the ``K``
    purchases of the next ``m`` with probability ``E[(1 - p) ** K]``, ``K``
    negative binomial with ``q = alpha / (alpha + m)``. Its generating
    function and Euler's integral for the hypergeometric function give
    ``q ** r * 2F1(r, b; a + b; 1 - q)``.
    """
    q = alpha / (alpha + m)
    with np.errstate(all="ignore"):
        out: FloatArray = np.exp(r * np.log(q)) * special.hyp2f1(r, b, a + b, 1.0 - q)
    return out


# Within this distance of a = 1 the factor (a + b - 1) / (a - 1) * [1 - ...] of
# eqs. 7 and 10 is 0 / 0 and loses precision (at a = 1 exactly it is NaN); there
# it is interpolated linearly between a = 1 -+ _NEAR_ONE, where it is still
# accurate to about 1e-12. The interpolation error is O(_NEAR_ONE ** 2).
_NEAR_ONE = 1e-4


def _purchases_factor(
    a: float,
    shape: FloatArray | float,
    b_shifted: FloatArray | float,
    log_discount: FloatArray,
    z: FloatArray,
) -> FloatArray:
    """Evaluate ``(a + B - 1) / (a - 1) * [1 - exp(log_discount) * 2F1(shape, B; a + B - 1; z)]``.

    The common factor of Fader, Hardie & Lee (2005) eqs. 7 (``shape = r``,
    ``B = b``) and 10 (``shape = r + x``, ``B = b + x``); removable
    singularity at ``a = 1`` handled by interpolation.
    """

    def direct(a_value: float) -> FloatArray:
        with np.errstate(all="ignore"):
            bracket = 1.0 - np.exp(log_discount) * special.hyp2f1(
                shape, b_shifted, a_value + b_shifted - 1.0, z
            )
            factor: FloatArray = (a_value + b_shifted - 1.0) / (a_value - 1.0) * bracket
        return factor

    if abs(a - 1.0) >= _NEAR_ONE:
        factor = direct(a)
    else:
        below, above = direct(1.0 - _NEAR_ONE), direct(1.0 + _NEAR_ONE)
        factor = below + (above - below) * (a - (1.0 - _NEAR_ONE)) / (2 * _NEAR_ONE)
    bad = ~np.isfinite(factor)
    if not bad.any():
        return factor
    # scipy's hyp2f1 returns NaN for some arguments with z near 1; there the
    # factor is taken from its definition, an expectation over the dropout
    # probability (below).
    factor = np.array(factor, dtype=np.float64, copy=True)
    shapes, bs, zs = np.broadcast_arrays(shape, b_shifted, z)
    for index in np.ndindex(factor.shape):
        if not bad[index]:
            continue
        factor[index] = _factor_by_quadrature(
            a, float(shapes[index]), float(bs[index]), float(zs[index])
        )
    return factor


# Gauss-Jacobi nodes of the fallback: the integrand bends at p ~ R / t, so
# far-off horizons (t / R in the hundreds) need a few hundred nodes for 1e-12.
_JACOBI_NODES = 300
# Largest ``B`` the fallback accepts: beyond it the nodes, near ``a / B``, sink
# towards the subnormal range and lose their digits.
_MAX_SHIFTED_B = 1e300


def _beta_nodes_and_weights(a: float, b_shifted: float, n: int) -> tuple[FloatArray, FloatArray]:
    """Gauss nodes in ``p`` on [0, 1] and normalised weights (summing to 1) of ``Beta(a, B)``.

    Golub & Welsch (1969): the nodes are the eigenvalues of the Jacobi matrix
    of the monic polynomials orthogonal under ``p ** (a - 1) (1 - p) ** (B - 1)``,
    the weights the squared first components of its unit eigenvectors. The
    matrix is the Jacobi-polynomial recurrence (Abramowitz & Stegun 22.7.1,
    ``alpha = B - 1``, ``beta = a - 1``, ``s = 2 k + alpha + beta``) moved to
    ``p = (1 + x) / 2``: diagonal ``(1 + a_k) / 2`` with
    ``1 + a_k = ((2k + beta) (2k + 2 alpha + beta) + 2 s + beta ** 2) / (s (s + 2))``
    (``a / (a + B)``, the beta mean, at ``k = 0``) and off-diagonal
    ``sqrt(k (k + alpha) (k + beta) (k + alpha + beta) / (s ** 2 (s + 1) (s - 1)))``
    (``sqrt(a B / ((a + B) ** 2 (a + B + 1)))``, the beta standard deviation,
    at ``k = 1``). Every factor is written as a ratio of like-sized terms, so
    nothing cancels or overflows for huge ``B``.
    """
    from scipy import linalg

    alpha, beta = b_shifted - 1.0, a - 1.0
    k = np.arange(n, dtype=np.float64)
    s = 2.0 * k + alpha + beta
    with np.errstate(divide="ignore", invalid="ignore"):  # k = 0 is replaced below
        one_plus = (2.0 * k + beta) / s * ((2.0 * k + 2.0 * alpha + beta) / (s + 2.0)) + (
            2.0 + beta * (beta / s)
        ) / (s + 2.0)
    diagonal = one_plus / 2.0
    diagonal[0] = a / (a + b_shifted)
    j = k[2:]
    sj = s[2:]
    off = np.empty(n - 1)
    total = a + b_shifted
    off[0] = math.sqrt(a / total) * math.sqrt(b_shifted / total) / math.sqrt(total + 1.0)
    off[1:] = (
        np.sqrt(j)
        * np.sqrt(j + beta)
        * np.sqrt((j + alpha) / sj)
        * np.sqrt((j + alpha + beta) / sj)
        / np.sqrt(sj + 1.0)
        / np.sqrt(sj - 1.0)
    )
    nodes, vectors = linalg.eigh_tridiagonal(diagonal, off)
    weights: FloatArray = vectors[0] ** 2
    return nodes, weights


def _factor_by_quadrature(a: float, shape: float, b_shifted: float, z: float) -> float:
    """Return the factor of :func:`_purchases_factor` as ``E[(1 - (1 + p t / R) ** -shape) / p]``.

    Given the purchase rate and the dropout probability ``p``, the expected
    purchases by ``t`` are ``(1 - exp(-lambda p t)) / p``; the gamma mixing over
    ``lambda`` gives ``(1 - (R / (R + p t)) ** shape) / p`` with ``t / R = z / (1 - z)``
    (Fader, Hardie & Lee 2005, the derivation of eq. 7), and ``p ~ Beta(a, B)``
    is integrated by Gauss-Jacobi quadrature (smooth integrand, weight
    ``p ** (a - 1) (1 - p) ** (B - 1)``). scipy's ``roots_jacobi`` scales its
    weights to their total ``2 ** (a + B - 1) B(a, B)``, which with the
    integrand overflows once ``B`` passes about 1000; there the nodes and
    normalised weights come from :func:`_beta_nodes_and_weights` instead.

    Raises
    ------
    ValueError
        If ``B`` (``b`` plus the frequency, plus one for the MBG/NBD) exceeds
        1e300.
    """
    ratio = math.inf if z >= 1.0 else z / (1.0 - z)  # z = 1: t / R beyond the float range
    if not b_shifted <= _MAX_SHIFTED_B:
        raise ValueError(
            "`frequency` plus the model's `b` must be at most 1e300 for the expected "
            f"purchases at this horizon; got a posterior dropout shape of {b_shifted!r}"
        )
    try:
        with np.errstate(all="ignore"):  # judged by the result below
            nodes, weights = special.roots_jacobi(_JACOBI_NODES, b_shifted - 1.0, a - 1.0)
            p = (1.0 + nodes) / 2.0
            values = -np.expm1(-shape * np.log1p(p * ratio)) / p
            weighted, total = np.sum(weights * values), np.sum(weights)
    except ValueError:  # B beyond about 1e150: scipy's own matrix is no longer finite
        pass
    else:
        if np.isfinite(weighted) and np.isfinite(total) and total > 0.0:
            return float(weighted / total)
    p, weights = _beta_nodes_and_weights(a, b_shifted, _JACOBI_NODES)
    values = -np.expm1(-shape * np.log1p(p * ratio)) / p
    return float(np.sum(weights * values))


class BetaGeometricModelBase(PurchaseModelBase):
    """What the BG/NBD and the MBG/NBD share: alive at ``T``, a customer is a new BG/NBD customer.

    The posterior is ``lambda ~ Gamma(r + x, alpha + T)`` and ``p ~ Beta(a, b
    + x + shift)``, with ``shift`` the dropout chances survived before the
    first repeat purchase (0 for the BG/NBD, 1 for the MBG/NBD, where a
    customer may drop out at the first purchase).
    """

    r: float
    alpha: float
    a: float
    b: float
    _dropout_shift: ClassVar[float] = 0.0

    def _posterior_b(self, x: FloatArray) -> FloatArray:
        shifted: FloatArray = (
            self.b + x + self._dropout_shift if self._dropout_shift else self.b + x
        )
        return shifted

    def _survival_ahead(
        self, m: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray
    ) -> FloatArray:
        return beta_geometric_survival(
            m, self.r + x, self.alpha + big_t, self.a, self._posterior_b(x)
        )

    def _pmf_given_alive(
        self, n: FloatArray, t: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray
    ) -> FloatArray:
        return beta_geometric_pmf(
            n, t, self.r + x, self.alpha + big_t, self.a, self._posterior_b(x)
        )

    def _conditional_expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> FloatArray | float:
        """``P(alive)`` times a new customer's expected purchases under the posterior."""
        horizon = check_time(t)
        x, t_x, big_t = check_history(frequency, recency, T)
        horizon, x, t_x, big_t = broadcast_named(
            "`t`, `frequency`, `recency` and `T`", horizon, x, t_x, big_t
        )
        return output(self._expected_purchases(horizon, x, t_x, big_t))

    def _expected_purchases(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, big_t: FloatArray
    ) -> FloatArray:
        r, alpha = self.r, self.alpha
        z = t / (alpha + big_t + t)
        log_discount = (r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t))
        expected = _purchases_factor(self.a, r + x, self._posterior_b(x), log_discount, z)
        out: FloatArray = np.where(t > 0, expected * self._probability_alive(x, t_x, big_t), 0.0)
        return out

    def _simulate_future(
        self,
        generator: np.random.Generator,
        x: FloatArray,
        t_x: FloatArray,
        big_t: FloatArray,
        ends: FloatArray,
    ) -> FloatArray:
        """Draw each customer's purchases in the steps ending at ``ends``, given the history."""
        alive = self._probability_alive(x, t_x, big_t)
        return simulate_beta_geometric_future(
            generator,
            alive,
            rate=(self.r + x, self.alpha + big_t),
            dropout=(self.a, self._posterior_b(x)),
            ends=ends,
        )


@dataclass(frozen=True, repr=False)
class BGNBDModel(BetaGeometricModelBase):
    """A fitted BG/NBD model (beta-geometric / negative binomial distribution).

    Rates ``alpha`` and all times are in the units of the ``recency`` and
    ``T`` the model was fitted on (days, weeks, ...).

    Attributes
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates across
        customers (mean rate ``r / alpha`` purchases per time unit).
    a, b : float
        Parameters of the beta distribution of the dropout probability after
        each purchase (mean ``a / (a + b)``).
    log_likelihood : float
        Maximised log-likelihood (weighted by the customer weights).
    standard_errors : dict of str to float
        Standard errors of ``r``, ``alpha``, ``a`` and ``b`` from the inverse
        Hessian of the log-likelihood (delta method from the log scale); NaN
        when the fit did not converge.
    converged : bool
        True when the optimum is an interior maximum with a positive definite
        Hessian. When False, do not use the estimates: ``message`` says why.
    n_customers : float
        Total weight of the customers the model was fitted on.
    message : str
        How the fit ended.

    See Also
    --------
    fit_bgnbd : Fit the model.

    Examples
    --------
    >>> from loyaltymetrics import BGNBDModel
    >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> round(float(model.probability_alive(2, 30.43, 38.86)), 4)
    0.7277
    """

    r: float
    alpha: float
    a: float
    b: float
    _parameters: ClassVar[tuple[str, ...]] = _PARAMETERS

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

        ``1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))``
        for ``x > 0`` and 1 for ``x = 0`` (in the BG/NBD a customer can only
        drop out right after a repeat purchase).

        With ``ahead = m > 0`` it is the probability of being alive ``m`` time
        units after ``T``: ``P(alive at T) * P(alive at T + m | alive at T)``.
        The second factor is ``q ** (r + x) * 2F1(r + x, b + x; a + b + x; 1 - q)``
        with ``q = (alpha + T) / (alpha + T + m)`` (the chance of surviving
        every purchase of the next ``m``, by the negative binomial generating
        function).

        Examples
        --------
        >>> from loyaltymetrics import BGNBDModel
        >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
        >>> model.probability_alive([0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86]).round(4)
        array([1.    , 0.7277, 0.1246])
        """
        return output(self._alive(frequency, recency, T, ahead))

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, big_t: FloatArray) -> FloatArray:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x_safe = np.maximum(x, 1.0)
        log_odds_dead = (
            np.log(a)
            - np.log(b + x_safe - 1.0)
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
        alive: FloatArray = np.where(x > 0, special.expit(-log_odds_dead), 1.0)
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

        Fader, Hardie & Lee (2005), eq. 10:
        ``E[Y(t) | x, t_x, T] = P(alive) * (a + b + x - 1) / (a - 1) *
        [1 - ((alpha + T) / (alpha + T + t)) ** (r + x) *
        2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]``.

        Examples
        --------
        >>> from loyaltymetrics import BGNBDModel
        >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
        >>> round(float(model.expected_purchases(39, 2, 30.43, 38.86)), 4)
        1.2274
        """
        return self._conditional_expected_purchases(t, frequency, recency, T)

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> BGNBDModel:
        return fit_bgnbd(*columns, weights=weights)

    def expected_purchases_new(self, t: npt.ArrayLike, /) -> FloatArray | float:
        """Return the expected repeat purchases of a new customer in their first ``t`` time units.

        Fader, Hardie & Lee (2005), eq. 7:
        ``E[X(t)] = (a + b - 1) / (a - 1) *
        [1 - (alpha / (alpha + t)) ** r * 2F1(r, b; a + b - 1; t / (alpha + t))]``.

        Examples
        --------
        >>> from loyaltymetrics import BGNBDModel
        >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
        >>> model.expected_purchases_new([0.0, 39.0, 78.0]).round(4)
        array([0.    , 1.1864, 1.8463])
        """
        t_arr = _check_time(t)
        r, alpha = self.r, self.alpha
        log_discount = r * (np.log(alpha) - np.log(alpha + t_arr))
        expected = _purchases_factor(self.a, r, self.b, log_discount, t_arr / (alpha + t_arr))
        return _output(np.where(t_arr > 0, expected, 0.0))

    def probability_of_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike, /) -> FloatArray | float:
        """Probability that a new customer makes exactly ``n`` repeat purchases by ``t``.

        Fader, Hardie & Lee (2005), eq. 8, with the finite sum written as a
        negative binomial distribution function:
        ``P(X(t) = n) = B(a, b + n) / B(a, b) * NB(n; r, alpha / (alpha + t))
        + [n > 0] * B(a + 1, b + n - 1) / B(a, b) * P(NB >= n)``.

        Examples
        --------
        >>> from loyaltymetrics import BGNBDModel
        >>> model = BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
        >>> model.probability_of_purchases([0, 1, 2], 39.0).round(4)
        array([0.5776, 0.1976, 0.0846])
        """
        counts = check_counts(n)
        t_arr = _check_time(t)
        counts, t_arr = broadcast_named("`n` and `t`", counts, t_arr)
        return output(beta_geometric_pmf(counts, t_arr, self.r, self.alpha, self.a, self.b))


def simulate_beta_geometric_future(
    generator: np.random.Generator,
    alive: FloatArray,
    *,
    rate: tuple[FloatArray | float, FloatArray | float],
    dropout: tuple[FloatArray | float, FloatArray | float],
    ends: FloatArray,
) -> FloatArray:
    """Purchases per step of customers who drop out only right after a purchase.

    A customer alive now (probability ``alive``) buys at a Poisson rate drawn
    from ``Gamma(rate[0], rate=rate[1])`` and drops out after each purchase
    with a probability drawn from ``Beta(*dropout)``: their posteriors given
    the history (Fader, Hardie & Lee 2005). In each step the purchases are
    ``min(N, J)``, ``N`` Poisson over the step and ``J`` the geometric number
    of purchases until dropout (memoryless, so drawn afresh per step).
    """
    n = np.shape(alive)[0]
    living = generator.random(n) < alive
    purchase_rate = generator.gamma(rate[0], 1.0 / np.asarray(rate[1]), size=n)
    p = np.maximum(generator.beta(dropout[0], dropout[1], size=n), 1e-300)
    counts = np.zeros((ends.shape[0], n))
    previous = 0.0
    for k, end in enumerate(ends):
        available = generator.poisson(purchase_rate * (end - previous)) * living
        until_dropout = generator.geometric(p)
        counts[k] = np.minimum(available, until_dropout)
        living &= until_dropout > available
        previous = float(end)
    return counts


def bgnbd_objective(
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    weights: FloatArray,
    *,
    dropout_at_first: bool = False,
) -> Objective:
    """Weighted mean negative log-likelihood of BG/NBD over log(r, alpha, a, b), with gradient.

    The gamma, beta and digamma terms depend on the frequency only, so they
    are evaluated once per distinct frequency; only logarithms and
    exponentials are evaluated per pattern.

    With ``dropout_at_first`` it is the MBG/NBD's (Batislam, Denizel &
    Filiztekin 2007): every customer has had one more chance to drop out (at
    the first purchase), which shifts ``b + x`` to ``b + x + 1`` in the beta
    functions and makes the "dropped out after the last purchase" term, with
    odds ``a / (b + x)``, present for ``x = 0`` too.
    """
    share = weights / weights.sum()
    distinct_x, share_x = shares_by_value(x, share)
    shift = 1.0 if dropout_at_first else 0.0
    repeat = x + shift > 0
    x_safe = np.maximum(x, 1.0 - shift)

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(log_params)
        log_alpha = np.log(alpha)
        log_alpha_t = np.log(alpha + big_t)
        log_alpha_tx = np.log(alpha + t_x)
        b_shifted = b + x_safe - 1.0 + shift
        term_a = -(r + x) * log_alpha_t
        term_b = np.where(repeat, np.log(a) - np.log(b_shifted) - (r + x) * log_alpha_tx, -np.inf)
        mixture = np.logaddexp(term_a, term_b)
        weight_b = np.exp(term_b - mixture)
        weight_a = 1.0 - weight_b
        log_lik_x = (
            special.gammaln(r + distinct_x)
            - special.gammaln(r)
            + special.betaln(a, b + distinct_x + shift)
            - special.betaln(a, b)
        )
        value = weighted_sum(share_x, log_lik_x) + r * log_alpha + weighted_sum(share, mixture)
        psi_ab = special.digamma(a + b)
        psi_abx = special.digamma(a + b + distinct_x + shift)
        d_r = r * (
            weighted_sum(share_x, special.digamma(r + distinct_x))
            - special.digamma(r)
            + log_alpha
            - weighted_sum(share, weight_a * log_alpha_t + weight_b * log_alpha_tx)
        )
        d_alpha = r - alpha * weighted_sum(
            share, (r + x) * (weight_a / (alpha + big_t) + weight_b / (alpha + t_x))
        )
        d_a = a * (psi_ab - weighted_sum(share_x, psi_abx)) + weighted_sum(share, weight_b)
        d_b = b * (
            weighted_sum(share_x, special.digamma(b + distinct_x + shift) - psi_abx)
            - special.digamma(b)
            + psi_ab
            - weighted_sum(share, weight_b / b_shifted)
        )
        return -float(value), -np.array([d_r, d_alpha, d_a, d_b])

    return objective


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
) -> BGNBDModel:
    """Fit the BG/NBD model by maximum likelihood.

    Customers are first collapsed to their distinct ``(frequency, recency,
    T)`` patterns, so the cost grows with the number of distinct patterns.
    The log-likelihood of Fader, Hardie & Lee (2005, eq. 6) is maximised over
    the logarithms of ``(r, alpha, a, b)`` with L-BFGS-B and its analytic
    gradient; standard errors come from the Hessian.

    Parameters
    ----------
    frequency : array_like
        Number of repeat purchases of each customer (whole numbers >= 0).
    recency : array_like
        Time from each customer's first to last purchase (0 when
        ``frequency`` is 0).
    T : array_like
        Time from each customer's first purchase to the end of observation
        (``T >= recency``). Same unit as ``recency``; ``alpha`` and all
        predictions use that unit.
    weights : array_like, optional
        Frequency weights: customer ``i`` counts as ``weights[i]`` identical
        customers (e.g. the counts of an already-collapsed table).

    Returns
    -------
    BGNBDModel
        The estimates with ``standard_errors`` and ``converged``. A fit whose
        maximum is not attained (for example, no customer ever repeats) has
        ``converged=False`` and NaN standard errors.

    See Also
    --------
    rfm_summary : Turn a transaction log into ``frequency``, ``recency``, ``T``.
    predicted_clv : Value customers with a purchase and a spend model.

    Notes
    -----
    The first purchase is not modelled: ``frequency`` counts repeat
    purchases only (the convention of lifetimes).

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_bgnbd
    >>> x, t_x, T = simulate_bgnbd(5000, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=2)
    >>> model = lm.fit_bgnbd(x, t_x, T)
    >>> model.converged
    True
    >>> round(model.r, 2), round(model.alpha, 1), round(model.a, 2), round(model.b, 2)
    (0.5, 9.8, 0.5, 2.48)
    """
    model = BGNBDModel(**fit_beta_geometric(frequency, recency, T, weights, dropout_at_first=False))
    warn_unless_converged(model)
    return model


def fit_beta_geometric(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None,
    *,
    dropout_at_first: bool,
) -> dict[str, Any]:
    """Fit the BG/NBD (or, with ``dropout_at_first``, the MBG/NBD); return the model's fields."""
    # Times are rescaled so that T is of order 1 and alpha starts near the right
    # scale; alpha is converted back afterwards.
    data = collapse_history(frequency, recency, T, weights)
    objective = bgnbd_objective(
        data.x, data.t_x, data.big_t, data.weights, dropout_at_first=dropout_at_first
    )
    mean_rate = data.mean_rate
    starts = [
        np.log([1.0, 1.0 / mean_rate, 1.0, 3.0]),
        np.log([0.25, 0.25 / mean_rate, 0.5, 2.0]),
        np.log([0.1, 0.1, 0.1, 0.1]),
        np.log([3.0, 3.0 / mean_rate, 3.0, 10.0]),
    ]
    fit = fit_log_parameters(objective, starts, total_weight=data.total_weight)
    return fitted_fields(fit, _PARAMETERS, total_weight=data.total_weight, data=data, rates=(1,))
