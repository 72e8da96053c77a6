"""The BG/BB model of discrete-time repeat transactions (Fader, Hardie & Shang 2010).

For settings where transactions can only happen at discrete occasions (a yearly
fund-raising drive, a monthly event, a weekly visit counted once): there are
``n`` transaction opportunities after the first transaction. While alive, a
customer transacts at each opportunity with probability ``p ~ Beta(alpha,
beta)``; before each opportunity an alive customer dies for good with
probability ``theta ~ Beta(gamma, delta)``. A customer's history is ``x``
(frequency: transactions among the ``n`` opportunities), ``t_x`` (recency:
the opportunity of the last one, 0 if none) and ``n``.

All formulas are from Fader, Hardie & Shang (2010), "Customer-base analysis in
a discrete-time noncontractual setting", Marketing Science 29(6), 1086-1108:
the likelihood (eq. 5), P(alive) (eq. 11), the expected transactions of a new
customer (eq. 7) and of a customer with a history (eq. 13), and the
distribution of the number of transactions (eq. 6). The sums of beta-function
ratios that the closed forms telescope are summed term by term here, which is
exact and has no removable singularity at ``gamma = 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special

from loyaltymetrics._clv._fitting import (
    FloatArray,
    Objective,
    check_fit_weights,
    collapse_patterns,
    fit_log_parameters,
    fitted_fields,
    model_array,
    warn_unless_converged,
    weighted_sum,
)
from loyaltymetrics._clv.models._bgnbd import _output
from loyaltymetrics._clv.models._purchase import PurchaseModelBase
from loyaltymetrics._engine._validation import broadcast_named

__all__ = ["BGBBModel", "bgbb_objective", "bgbb_pmf", "check_bgbb_history", "fit_bgbb"]

_PARAMETERS = ("alpha", "beta", "gamma", "delta")


# Opportunities are counted one by one (the likelihood, the pmf and the sums of
# survival chances have one term per opportunity), so counts are capped well
# below what would exhaust memory; no discrete-time history comes near it.
MAX_OPPORTUNITIES = 100_000


def _whole(values: object, *, name: str, low: float) -> FloatArray:
    array = model_array(values, name=name)
    bad = (
        ~np.isfinite(array)
        | (array < low)
        | (array > MAX_OPPORTUNITIES)
        | (array != np.floor(array))
    )
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(
            f"`{name}` must be whole numbers >= {low:g} and at most {MAX_OPPORTUNITIES}; found "
            f"{array.reshape(-1)[position]}" + (f" at position {position}" if array.ndim else "")
        )
    return array


def check_bgbb_history(
    frequency: object, recency: object, n_periods: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a discrete-time history ``(frequency, recency, n_periods)``; arrays broadcast.

    All three are whole numbers with ``0 <= frequency <= recency <= n_periods``,
    ``n_periods >= 1``, and ``recency == 0`` exactly when ``frequency == 0``.
    """
    x = _whole(frequency, name="frequency", low=0)
    t_x = _whole(recency, name="recency", low=0)
    n = _whole(n_periods, name="n_periods", low=1)
    try:
        x, t_x, n = np.broadcast_arrays(x, t_x, n)
    except ValueError as error:
        raise ValueError(
            "`frequency`, `recency` and `n_periods` must have the same length (or broadcast)"
        ) from error
    rules = (
        (t_x > n, "`recency` must not exceed `n_periods`"),
        (x > t_x, "`frequency` must not exceed `recency` (one transaction per period at most)"),
        ((x == 0) & (t_x != 0), "`recency` must be 0 for customers with `frequency` 0"),
    )
    for bad, rule in rules:
        if bad.any():
            position = int(np.flatnonzero(bad.reshape(-1))[0])
            raise ValueError(f"{rule}; violated at position {position}")
    return x, t_x, n


def _terms(
    params: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return the likelihood's terms (FHS 2010, eq. 5) as a (pattern, term) matrix of logs.

    Column 0 is the customer alive through all ``n`` opportunities; column
    ``1 + i`` the customer who died right after opportunity ``t_x + i``
    (``i = 0 .. n - t_x - 1``); columns past a pattern's last are ``-inf``.
    Also returns, per column, the offsets of ``beta`` and ``delta`` and the
    shift of ``gamma`` the column's beta functions use.
    """
    alpha, beta, gamma, delta = params
    width = int(np.max(n - t_x)) if n.size else 0
    i = np.arange(width, dtype=np.float64)[None, :]
    beta_offset = np.concatenate([(n - x)[:, None], t_x[:, None] - x[:, None] + i], axis=1)
    delta_offset = np.concatenate([n[:, None], t_x[:, None] + i], axis=1)
    gamma_shift = np.concatenate([np.zeros((x.shape[0], 1)), np.ones((x.shape[0], width))], axis=1)
    present = np.concatenate([np.ones((x.shape[0], 1), dtype=bool), i < (n - t_x)[:, None]], axis=1)
    with np.errstate(invalid="ignore"):
        log_terms = special.betaln(alpha + x[:, None], beta + beta_offset) + special.betaln(
            gamma + gamma_shift, delta + delta_offset
        )
    return np.where(present, log_terms, -np.inf), beta_offset, delta_offset, gamma_shift


def _log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray
) -> FloatArray:
    alpha, beta, gamma, delta = params
    log_terms, _, _, _ = _terms(params, x, t_x, n)
    out: FloatArray = (
        special.logsumexp(log_terms, axis=1)
        - special.betaln(alpha, beta)
        - special.betaln(gamma, delta)
    )
    return out


def bgbb_objective(x: FloatArray, t_x: FloatArray, n: FloatArray, weights: FloatArray) -> Objective:
    """Weighted mean negative BG/BB log-likelihood over log(alpha, beta, gamma, delta)."""
    share = weights / weights.sum()

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        alpha, beta, gamma, delta = params
        log_terms, beta_offset, delta_offset, gamma_shift = _terms(params, x, t_x, n)
        row = special.logsumexp(log_terms, axis=1, keepdims=True)
        weight = np.exp(log_terms - row)  # each term's share of the pattern's likelihood
        psi_ab = special.digamma(alpha + beta + x[:, None] + beta_offset)
        psi_gd = special.digamma(gamma + delta + gamma_shift + delta_offset)
        d_alpha = special.digamma(alpha + x[:, None]) - psi_ab
        d_beta = special.digamma(beta + beta_offset) - psi_ab
        d_gamma = special.digamma(gamma + gamma_shift) - psi_gd
        d_delta = special.digamma(delta + delta_offset) - psi_gd
        base = special.digamma(alpha + beta)
        base_gd = special.digamma(gamma + delta)
        gradient = np.array(
            [
                alpha * (_mean(share, weight, d_alpha) - special.digamma(alpha) + base),
                beta * (_mean(share, weight, d_beta) - special.digamma(beta) + base),
                gamma * (_mean(share, weight, d_gamma) - special.digamma(gamma) + base_gd),
                delta * (_mean(share, weight, d_delta) - special.digamma(delta) + base_gd),
            ]
        )
        value = (
            weighted_sum(share, row[:, 0])
            - special.betaln(alpha, beta)
            - special.betaln(gamma, delta)
        )
        return -float(value), -gradient

    return objective


def _mean(share: FloatArray, weight: FloatArray, derivative: FloatArray) -> float:
    """``sum_patterns share * sum_terms weight * derivative`` (absent terms have weight 0)."""
    return float(np.sum(share * np.sum(np.where(weight > 0, weight * derivative, 0.0), axis=1)))


def _survival_sum(gamma: float, delta: float, start: FloatArray, length: FloatArray) -> FloatArray:
    """``sum_{k=1..length} B(gamma, delta + start + k) / B(gamma, delta)`` elementwise.

    The expected number of the next ``length`` opportunities at which a
    customer alive at ``start`` (with the prior of ``theta``) is still alive.
    """
    start, length = np.broadcast_arrays(start, length)
    pairs, inverse = np.unique(
        np.stack([start.reshape(-1), length.reshape(-1)], axis=1), axis=0, return_inverse=True
    )
    longest = int(pairs[:, 1].max()) if pairs.size else 0
    k = np.arange(1, longest + 1, dtype=np.float64)[None, :]
    terms = np.exp(special.betaln(gamma, delta + pairs[:, :1] + k) - special.betaln(gamma, delta))
    sums: FloatArray = np.sum(np.where(k <= pairs[:, 1:], terms, 0.0), axis=1)
    return sums[inverse.reshape(-1)].reshape(start.shape)


@dataclass(frozen=True, repr=False)
class BGBBModel(PurchaseModelBase):
    """A fitted BG/BB model (beta-geometric / beta-Bernoulli), for discrete opportunities.

    Times are counts of transaction opportunities (periods).

    Attributes
    ----------
    alpha, beta : float
        Beta distribution of the transaction probability per opportunity
        while alive (mean ``alpha / (alpha + beta)``).
    gamma, delta : float
        Beta distribution of the probability of dying before each
        opportunity (mean ``gamma / (gamma + delta)``).
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
    fit_bgbb : Fit the model.

    Examples
    --------
    >>> from loyaltymetrics import BGBBModel
    >>> model = BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> model.probability_alive([0, 3, 3], [0, 3, 6], 6).round(4)
    array([0.1161, 0.1021, 1.    ])
    """

    alpha: float
    beta: float
    gamma: float
    delta: float
    _parameters: ClassVar[tuple[str, ...]] = _PARAMETERS
    _discrete: ClassVar[bool] = True

    @property
    def _params(self) -> FloatArray:
        return np.array([self.alpha, self.beta, self.gamma, self.delta])

    def _per_pattern_log_likelihood(
        self, x: FloatArray, t_x: FloatArray, n: FloatArray
    ) -> FloatArray:
        """Log-likelihood of each history, computed once per distinct history."""
        flat = np.stack([x.reshape(-1), t_x.reshape(-1), n.reshape(-1)], axis=1)
        patterns, inverse = np.unique(flat, axis=0, return_inverse=True)
        values = _log_likelihood(self._params, patterns[:, 0], patterns[:, 1], patterns[:, 2])
        return values[inverse.reshape(-1)].reshape(x.shape)

    def _history(
        self, frequency: object, recency: object, T: object
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        return check_bgbb_history(frequency, recency, T)

    def _times(self, t: object, *, name: str) -> FloatArray:
        return _whole(t, name=name, low=0)

    def probability_alive(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
        *,
        ahead: npt.ArrayLike = 0,
    ) -> FloatArray | float:
        """Probability that a customer with this history is still alive after opportunity ``T``.

        ``T`` is the number of opportunities observed (``n_periods``). This is
        the share of the likelihood from customers alive through all of them,
        ``B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) /
        B(gamma, delta) / L`` (the convention of lifetimes). Fader, Hardie &
        Shang's eq. 11, alive at opportunity ``n + 1``, is this times
        ``(delta + n) / (gamma + delta + n)``.

        With ``ahead = m > 0`` (whole opportunities) it is the probability of
        being alive through opportunity ``n + m``, Fader & Hardie's (A10) as
        lifetimes computes it: this times ``B(gamma, delta + n + m) / B(gamma, delta + n)``.

        Examples
        --------
        >>> from loyaltymetrics import BGBBModel
        >>> model = BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> round(float(model.probability_alive(4, 5, 6)), 4)
        0.7488
        """
        return _output(self._alive(frequency, recency, T, ahead))

    def _survival_ahead(
        self, m: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray
    ) -> FloatArray:
        _, _, gamma, delta = self._params
        out: FloatArray = np.exp(
            special.betaln(gamma, delta + n + m) - special.betaln(gamma, delta + n)
        )
        return out

    def _pmf_given_alive(
        self, counts: FloatArray, t: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray
    ) -> FloatArray:
        # Alive through n: p ~ Beta(alpha + x, beta + n - x), theta ~ Beta(gamma, delta + n),
        # and the next opportunities are a new customer's with those.
        alpha, beta, gamma, delta = self._params
        return bgbb_pmf(counts, t, alpha + x, beta + n - x, gamma, delta + n)

    def _dert(self, x: FloatArray, t_x: FloatArray, n: FloatArray, rate: float) -> FloatArray:
        """Fader, Hardie & Shang (2010), eq. 14: the discounted sum of eq. 13 in closed form.

        ``B(alpha + x + 1, beta + n - x) / B(alpha, beta) * B(gamma, delta + n + 1) /
        B(gamma, delta) / (1 + d) * 2F1(1, delta + n + 1; gamma + delta + n + 1; 1 / (1 + d)) / L``.
        """
        alpha, beta, gamma, delta = self._params
        log_front = (
            special.betaln(alpha + x + 1.0, beta + n - x)
            - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n + 1.0)
            - special.betaln(gamma, delta)
            - self._per_pattern_log_likelihood(x, t_x, n)
        )
        z = 1.0 / (1.0 + rate)
        out: FloatArray = (
            np.exp(log_front) * z * special.hyp2f1(1.0, delta + n + 1.0, gamma + delta + n + 1.0, z)
        )
        return out

    def _probability_alive(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        alpha, beta, gamma, delta = self._params
        log_alive = (
            special.betaln(alpha + x, beta + n - x)
            - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n)
            - special.betaln(gamma, delta)
        )
        # The alive term is one of the likelihood's terms, so the ratio is <= 1
        # (= 1 when the last transaction is at the last opportunity); clip rounding.
        ratio = np.exp(log_alive - self._per_pattern_log_likelihood(x, t_x, n))
        alive: FloatArray = np.minimum(ratio, 1.0)
        return alive

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        """Return the expected transactions in the next ``t`` opportunities, given the history.

        Fader, Hardie & Shang (2010), eq. 13:
        ``B(alpha + x + 1, beta + n - x) / B(alpha, beta) / L *
        sum_{k=1..t} B(gamma, delta + n + k) / B(gamma, delta)``.

        Examples
        --------
        >>> from loyaltymetrics import BGBBModel
        >>> model = BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> model.expected_purchases(5, [0, 3, 6], [0, 3, 6], 6).round(4)
        array([0.0728, 0.2235, 3.7521])
        """
        horizon = _whole(t, name="t", low=0)
        x, t_x, n = check_bgbb_history(frequency, recency, T)
        horizon, x, t_x, n = broadcast_named(
            "`t`, `frequency`, `recency` and `n_periods`", horizon, x, t_x, n
        )
        alpha, beta, gamma, delta = self._params
        log_front = (
            special.betaln(alpha + x + 1.0, beta + n - x)
            - special.betaln(alpha, beta)
            - self._per_pattern_log_likelihood(x, t_x, n)
        )
        return _output(np.exp(log_front) * _survival_sum(gamma, delta, n, horizon))

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> BGBBModel:
        return fit_bgbb(*columns, weights=weights)

    def _simulate_future(
        self,
        generator: np.random.Generator,
        x: FloatArray,
        t_x: FloatArray,
        n: FloatArray,
        ends: FloatArray,
    ) -> FloatArray:
        """Draw each customer's transactions in the steps ending at opportunities ``ends``.

        Given alive through the ``n`` opportunities the posteriors are
        ``p ~ Beta(alpha + x, beta + n - x)`` and ``theta ~ Beta(gamma, delta + n)``
        (Fader, Hardie & Shang 2010); the further opportunities survived are
        geometric, and each one lived is a transaction with probability ``p``.
        """
        size = x.shape[0]
        alpha, beta, gamma, delta = self._params
        living = generator.random(size) < self._probability_alive(x, t_x, n)
        p = generator.beta(alpha + x, beta + n - x, size=size)
        theta = np.maximum(generator.beta(gamma, delta + n, size=size), 1e-300)
        survived = np.where(living, generator.geometric(theta) - 1, 0)
        counts = np.zeros((ends.shape[0], size))
        previous = 0.0
        for k, end in enumerate(ends):
            lived = np.clip(np.minimum(survived, end) - previous, 0.0, None)
            counts[k] = generator.binomial(lived.astype(np.int64), p)
            previous = float(end)
        return counts

    def expected_purchases_new(self, t: npt.ArrayLike, /) -> FloatArray | float:
        """Return the expected transactions of a new customer in the first ``t`` opportunities.

        Fader, Hardie & Shang (2010), eq. 7:
        ``alpha / (alpha + beta) * sum_{k=1..t} B(gamma, delta + k) / B(gamma, delta)``
        (their closed form ``alpha / (alpha + beta) * delta / (gamma - 1) *
        [1 - Gamma(gamma + delta) Gamma(1 + delta + t) /
        (Gamma(gamma + delta + t) Gamma(1 + delta))]`` telescopes this sum).

        Examples
        --------
        >>> from loyaltymetrics import BGBBModel
        >>> model = BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> model.expected_purchases_new([1, 6, 11]).round(4)
        array([0.4985, 2.2196, 3.3876])
        """
        horizon = _whole(t, name="t", low=0)
        alpha, beta, gamma, delta = self._params
        survival = _survival_sum(gamma, delta, np.zeros_like(horizon), horizon)
        return _output(alpha / (alpha + beta) * survival)

    def probability_of_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike, /) -> FloatArray | float:
        """Probability that a new customer transacts at exactly ``n`` of the first ``t`` occasions.

        Fader, Hardie & Shang (2010), eq. 6:
        ``C(t, n) B(alpha + n, beta + t - n) / B(alpha, beta) B(gamma, delta + t) / B(gamma, delta)
        + sum_{i=n..t-1} C(i, n) B(alpha + n, beta + i - n) / B(alpha, beta)
        B(gamma + 1, delta + i) / B(gamma, delta)``.

        Examples
        --------
        >>> from loyaltymetrics import BGBBModel
        >>> model = BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> model.probability_of_purchases([0, 1, 6], 6).round(4)
        array([0.3112, 0.1701, 0.1128])
        """
        counts = _whole(n, name="n", low=0)
        horizon = _whole(t, name="t", low=0)
        counts, horizon = broadcast_named("`n` and `t`", counts, horizon)
        return _output(bgbb_pmf(counts, horizon, *self._params))


def bgbb_pmf(
    counts: FloatArray,
    horizon: FloatArray,
    alpha: FloatArray | float,
    beta: FloatArray | float,
    gamma: FloatArray | float,
    delta: FloatArray | float,
) -> FloatArray:
    """BG/BB ``P(X(t) = n)`` of a new customer (eq. 6), elementwise in arrays of parameters."""
    shape = np.broadcast(counts, horizon, alpha, beta, gamma, delta).shape
    counts, horizon = np.broadcast_to(counts, shape), np.broadcast_to(horizon, shape)
    alpha, beta, gamma, delta = (
        np.broadcast_to(np.asarray(value, dtype=np.float64), shape).reshape(-1)[:, None]
        for value in (alpha, beta, gamma, delta)
    )
    c = counts.reshape(-1)[:, None]
    h = horizon.reshape(-1)[:, None]
    longest = int(horizon.max()) if horizon.size else 0
    i = np.arange(longest, dtype=np.float64)[None, :]
    norm = special.betaln(alpha, beta) + special.betaln(gamma, delta)
    with np.errstate(invalid="ignore"):
        whole = np.exp(
            _log_choose(h, c)
            + special.betaln(alpha + c, beta + h - c)
            + special.betaln(gamma, delta + h)
            - norm
        )
        died = np.exp(
            _log_choose(i, c)
            + special.betaln(alpha + c, beta + i - c)
            + special.betaln(gamma + 1.0, delta + i)
            - norm
        )
    died_sum = np.sum(np.where((i >= c) & (i < h), died, 0.0), axis=1, keepdims=True)
    out: FloatArray = np.where(c <= h, np.where(c <= h, whole, 0.0) + died_sum, 0.0)
    return out.reshape(shape)


def _log_choose(total: FloatArray, chosen: FloatArray) -> FloatArray:
    out: FloatArray = (
        special.gammaln(total + 1.0)
        - special.gammaln(chosen + 1.0)
        - special.gammaln(np.maximum(total - chosen, 0.0) + 1.0)
    )
    return out


def fit_bgbb(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    n_periods: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
) -> BGBBModel:
    """Fit the BG/BB model by maximum likelihood.

    Customers are collapsed to their distinct ``(frequency, recency,
    n_periods)`` patterns (at most ``(n + 1)(n + 2) / 2`` for ``n``
    opportunities) and the log-likelihood of Fader, Hardie & Shang (2010,
    eq. 5) is maximised over the logarithms of ``(alpha, beta, gamma,
    delta)`` with its analytic gradient; standard errors come from the
    Hessian.

    Parameters
    ----------
    frequency : array_like
        Number of opportunities, after the first transaction, at which each
        customer transacted (whole numbers).
    recency : array_like
        The opportunity of each customer's last transaction (1 ..
        ``n_periods``), 0 when ``frequency`` is 0.
    n_periods : array_like
        Number of opportunities observed for each customer (whole numbers
        >= 1); a scalar when all customers share it.
    weights : array_like, optional
        Frequency weights, e.g. the counts of a published ``(x, t_x)`` table.

    Returns
    -------
    BGBBModel
        The estimates with ``standard_errors`` and ``converged``.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_bgbb
    >>> x, t_x, n = simulate_bgbb(
    ...     5000, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, n_periods=6, rng=0
    ... )
    >>> model = lm.fit_bgbb(x, t_x, n)
    >>> model.converged
    True
    >>> round(model.alpha, 2), round(model.beta, 2), round(model.gamma, 2), round(model.delta, 2)
    (1.33, 0.8, 0.62, 2.44)
    """
    x, t_x, n = check_bgbb_history(frequency, recency, n_periods)
    x, t_x, n = np.atleast_1d(x, t_x, n)
    if x.ndim != 1:
        raise ValueError("`frequency`, `recency` and `n_periods` must be one-dimensional")
    if x.shape[0] == 0:
        raise ValueError("`frequency` must contain at least one customer; got an empty array")
    row_weights = check_fit_weights(weights, n=x.shape[0])
    (x, t_x, n), pattern_weights = collapse_patterns(x, t_x, n, weights=row_weights)
    objective = bgbb_objective(x, t_x, n, pattern_weights)
    starts = [
        np.log([1.0, 1.0, 1.0, 1.0]),
        np.log([0.5, 0.5, 0.5, 3.0]),
        np.log([3.0, 1.0, 0.2, 5.0]),
        np.log([0.2, 2.0, 2.0, 0.5]),
    ]
    fit = fit_log_parameters(objective, starts, total_weight=float(pattern_weights.sum()))
    fields = fitted_fields(
        fit,
        _PARAMETERS,
        total_weight=float(pattern_weights.sum()),
        patterns=(x, t_x, n, pattern_weights),
    )
    model = BGBBModel(**fields)
    warn_unless_converged(model)
    return model
