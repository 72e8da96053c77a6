"""Simulators for the customer-base models (used by tests, examples and benchmarks).

Each draws customers from the generative story of its model, so a fit on the
simulated data should recover the parameters that produced it.
"""

from __future__ import annotations

import numpy as np

from loyaltymetrics._clv._fitting import FloatArray
from loyaltymetrics._validation import check_rng

__all__ = ["simulate_bgnbd", "simulate_gamma_gamma"]


def simulate_bgnbd(
    n: int,
    /,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | FloatArray,
    rng: object = None,
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
    generator = check_rng(rng)
    big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    rate = generator.gamma(r, 1.0 / alpha, size=n)
    dropout = generator.beta(a, b, size=n)
    # Guard against p == 0 from floating-point underflow (geometric needs p > 0).
    last_possible = generator.geometric(np.maximum(dropout, 1e-300))
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
    rng: object = None,
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
