"""Simulators for the customer-base models (used by tests, examples and benchmarks).

Each draws customers from the generative story of its model, so a fit on the
simulated data should recover the parameters that produced it.
"""

from __future__ import annotations

import numpy as np

from loyaltymetrics._clv._fitting import FloatArray
from loyaltymetrics._engine._validation import check_rng

__all__ = [
    "simulate_bgbb",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "simulate_mbgnbd",
    "simulate_pareto_nbd",
]


def simulate_bgnbd(
    n: int,
    /,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | FloatArray,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, T)`` for ``n`` BG/NBD customers.

    Each customer buys at rate ``lambda ~ Gamma(r, rate=alpha)`` and, after
    each repeat purchase, drops out with probability ``p ~ Beta(a, b)``; the
    number of repeat purchases made before dropping out is therefore
    geometric on 1, 2, .... Observed over ``(0, T]``, the frequency is
    ``min(N, J)`` with ``N ~ Poisson(lambda T)`` purchases available and ``J``
    the purchase after which the customer drops out. Given ``N``, Poisson
    event times are uniform order statistics, so the time of the ``x``-th
    purchase is ``T * Beta(x, N - x + 1)``.
    """
    return _simulate_beta_geometric(n, r=r, alpha=alpha, a=a, b=b, T=T, rng=rng, at_start=False)


def simulate_mbgnbd(
    n: int,
    /,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | FloatArray,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, T)`` for ``n`` MBG/NBD customers.

    As :func:`simulate_bgnbd`, except that the customer may also drop out
    right at the first purchase (Batislam, Denizel & Filiztekin 2007): the
    number of repeat purchases made before dropping out is geometric on
    0, 1, 2, ....
    """
    return _simulate_beta_geometric(n, r=r, alpha=alpha, a=a, b=b, T=T, rng=rng, at_start=True)


def _simulate_beta_geometric(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | FloatArray,
    rng: object,
    at_start: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    generator = check_rng(rng)
    big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    rate = generator.gamma(r, 1.0 / alpha, size=n)
    dropout = generator.beta(a, b, size=n)
    # Guard against p == 0 from floating-point underflow (geometric needs p > 0).
    last_possible = generator.geometric(np.maximum(dropout, 1e-300)) - int(at_start)
    available = generator.poisson(rate * big_t)
    frequency = np.minimum(available, last_possible).astype(np.float64)
    recency = np.zeros(n)
    repeat = frequency > 0
    recency[repeat] = big_t[repeat] * generator.beta(
        frequency[repeat], available[repeat] - frequency[repeat] + 1.0
    )
    return frequency, recency, big_t


def simulate_gamma_gamma(
    frequency: FloatArray,
    /,
    *,
    p: float,
    q: float,
    v: float,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> FloatArray:
    """Draw the mean spend per purchase for customers with the given frequencies.

    Each customer's purchases are ``Gamma(p, rate=nu)`` with
    ``nu ~ Gamma(q, rate=v)``, so the mean of ``x`` purchases is
    ``Gamma(p x, rate=x nu)``. Customers with no repeat purchase get 0 (the
    lifetimes convention).
    """
    generator = check_rng(rng)
    x = np.asarray(frequency, dtype=np.float64)
    nu = generator.gamma(q, 1.0 / v, size=x.shape)
    safe_x = np.maximum(x, 1.0)
    spend = generator.gamma(p * safe_x, 1.0 / (safe_x * nu))
    return np.where(x > 0, spend, 0.0)


def simulate_pareto_nbd(
    n: int,
    /,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: float | FloatArray,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, T)`` for ``n`` Pareto/NBD customers.

    Each customer buys at rate ``lambda ~ Gamma(r, rate=alpha)`` for an
    exponential lifetime of rate ``mu ~ Gamma(s, rate=beta)``. Over the
    active part ``(0, min(lifetime, T)]`` the purchases are Poisson; the last
    of ``N`` uniform event times is ``active * U ** (1 / N)``.
    """
    generator = check_rng(rng)
    big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    rate = generator.gamma(r, 1.0 / alpha, size=n)
    death_rate = generator.gamma(s, 1.0 / beta, size=n)
    with np.errstate(divide="ignore", over="ignore"):
        lifetime = generator.exponential(1.0, size=n) / death_rate
    active = np.minimum(lifetime, big_t)
    frequency = generator.poisson(rate * active).astype(np.float64)
    repeat = frequency > 0
    recency = np.zeros(n)
    recency[repeat] = active[repeat] * generator.uniform(size=int(repeat.sum())) ** (
        1.0 / frequency[repeat]
    )
    return frequency, recency, big_t


def simulate_bgbb(
    n: int,
    /,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    n_periods: int,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, n_periods)`` for ``n`` BG/BB customers.

    Each customer transacts in a period with probability ``p ~ Beta(alpha,
    beta)`` while alive and, at the start of each period after the first
    transaction opportunity, dies with probability ``theta ~ Beta(gamma,
    delta)`` (Fader, Hardie & Shang 2010). ``recency`` is the period of the
    last transaction (0 if none).
    """
    generator = check_rng(rng)
    p = generator.beta(alpha, beta, size=n)
    theta = generator.beta(gamma, delta, size=n)
    # Periods alive among 1..n_periods: one less than the first death (geometric).
    alive_periods = np.minimum(generator.geometric(np.maximum(theta, 1e-300)) - 1, n_periods)
    periods = np.arange(1, n_periods + 1)
    buys = (generator.uniform(size=(n, n_periods)) < p[:, None]) & (
        periods[None, :] <= alive_periods[:, None]
    )
    frequency = buys.sum(axis=1).astype(np.float64)
    recency = np.where(buys, periods[None, :], 0).max(axis=1).astype(np.float64)
    return frequency, recency, np.full(n, float(n_periods))
