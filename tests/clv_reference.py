"""Reference computations shared by the customer-base model tests."""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special


def likelihood_by_time_integral(r, alpha, s, beta, x, t_x, big_t):
    """log L with the mixing done analytically and the dropout time integrated numerically."""
    log_c = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    alive = -(r + x) * math.log(alpha + big_t) - s * math.log(beta + big_t)
    if t_x == big_t:
        return log_c + alive

    def log_density(y):
        return -(r + x) * np.log(alpha + y) - (s + 1) * np.log(beta + y)

    slope = (r + x) / (alpha + t_x) + (s + 1) / (beta + t_x)
    points = [t_x + k / slope for k in (1, 5, 20, 80) if t_x + k / slope < big_t]
    value, _ = integrate.quad(
        lambda y: np.exp(log_density(y) - log_density(t_x)),
        t_x,
        big_t,
        points=points or None,
        epsabs=0.0,
        epsrel=1e-12,
        limit=500,
    )
    return log_c + np.logaddexp(alive, math.log(s) + log_density(t_x) + math.log(value))
