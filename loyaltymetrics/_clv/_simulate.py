"""Simulators for the customer-base models, public as ``loyaltymetrics.datasets.simulate_*``.

Each draws customers from the generative story of its model, so a fit on the
simulated data should recover the parameters that produced it. Only numpy is
needed (no scipy), so importing them is cheap.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import model_array
from loyaltymetrics._engine._validation import check_rng, is_integer_number, is_real_number

FloatArray = npt.NDArray[np.float64]
Seed = int | np.random.Generator | np.random.SeedSequence | None


def _check_size(n: object) -> int:
    if not is_integer_number(n):
        raise TypeError(f"`n` must be an integer number of customers; got {n!r}")
    if int(n) < 0:
        raise ValueError(f"`n` must be >= 0; got {n!r}")
    return int(n)


def _check_positive(**values: object) -> None:
    for name, value in values.items():
        if not is_real_number(value):
            raise TypeError(f"`{name}` must be a positive number; got {value!r}")
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise ValueError(f"`{name}` must be positive and finite; got {value!r}")


def _check_horizon(T: object, n: int) -> FloatArray:
    try:
        big_t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    except (TypeError, ValueError) as error:
        raise ValueError(f"`T` must be a positive number or {n} positive numbers") from error
    if not np.all(np.isfinite(big_t) & (big_t > 0)):
        raise ValueError("`T` must be positive and finite")
    return big_t


# Poisson counts are drawn as integers and returned as floats: means up to 1e15
# keep every count exact (below 2**53) and well inside numpy's sampler.
_MAX_POISSON_MEAN = 1e15


def _poisson(
    generator: np.random.Generator, rate: FloatArray, time: FloatArray, *, names: str
) -> npt.NDArray[np.int64]:
    """Poisson counts of mean ``rate * time``; a mean out of range names the parameters."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = rate * time
    bad = ~(mean <= _MAX_POISSON_MEAN)
    if bad.any():
        raise ValueError(
            f"{names} give a customer {mean[bad][0]:g} expected purchases; "
            f"at most {_MAX_POISSON_MEAN:g} can be simulated"
        )
    return generator.poisson(mean)


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
    rng: Seed = None,
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

    Parameters
    ----------
    n : int
        Number of customers.
    r, alpha, a, b : float
        The BG/NBD parameters (see :class:`~loyaltymetrics.BGNBDModel`).
    T : float or array_like
        Length of observation of each customer (one value for all, or ``n``).
    rng : None, int, numpy.random.Generator or SeedSequence, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    frequency, recency, T : numpy.ndarray
        The customers' histories, ready for :func:`~loyaltymetrics.fit_bgnbd`.

    Examples
    --------
    >>> from loyaltymetrics.datasets import simulate_bgnbd
    >>> x, t_x, T = simulate_bgnbd(4, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=0)
    >>> x.shape, bool((t_x <= T).all())
    ((4,), True)
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
    rng: Seed = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, T)`` for ``n`` MBG/NBD customers.

    As :func:`simulate_bgnbd`, except that the customer may also drop out
    right at the first purchase (Batislam, Denizel & Filiztekin 2007): the
    number of repeat purchases made before dropping out is geometric on
    0, 1, 2, ....

    Examples
    --------
    >>> from loyaltymetrics.datasets import simulate_mbgnbd
    >>> x, t_x, T = simulate_mbgnbd(3, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=0)
    >>> x.shape
    (3,)
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
    n = _check_size(n)
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    big_t = _check_horizon(T, n)
    generator = check_rng(rng)
    rate = generator.gamma(r, 1.0 / alpha, size=n)
    dropout = generator.beta(a, b, size=n)
    # Guard against p == 0 from floating-point underflow (geometric needs p > 0).
    last_possible = generator.geometric(np.maximum(dropout, 1e-300)) - int(at_start)
    available = _poisson(generator, rate, big_t, names="`r`, `alpha` and `T`")
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
    rng: Seed = None,
) -> FloatArray:
    """Draw the mean spend per purchase for customers with the given frequencies.

    Each customer's purchases are ``Gamma(p, rate=nu)`` with
    ``nu ~ Gamma(q, rate=v)``, so the mean of ``x`` purchases is
    ``Gamma(p x, rate=x nu)``. Customers with no repeat purchase get 0 (the
    lifetimes convention).

    Examples
    --------
    >>> import numpy as np
    >>> from loyaltymetrics.datasets import simulate_gamma_gamma
    >>> spend = simulate_gamma_gamma(np.array([0.0, 2.0]), p=6.0, q=4.0, v=15.0, rng=0)
    >>> float(spend[0]), bool(spend[1] > 0)
    (0.0, True)
    """
    _check_positive(p=p, q=q, v=v)
    generator = check_rng(rng)
    x = model_array(frequency, name="frequency")
    nu = generator.gamma(q, 1.0 / v, size=x.shape)
    safe_x = np.maximum(x, 1.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        shape = p * safe_x
        scale = 1.0 / (safe_x * nu)
        mean = shape * scale
    if not np.all(np.isfinite(mean)):
        raise ValueError(
            "`p`, `q`, `v` and `frequency` give a spend distribution beyond the float range "
            f"(a customer's mean spend {mean[~np.isfinite(mean)][0]:g})"
        )
    spend = generator.gamma(shape, scale)
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
    rng: Seed = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, T)`` for ``n`` Pareto/NBD customers.

    Each customer buys at rate ``lambda ~ Gamma(r, rate=alpha)`` for an
    exponential lifetime of rate ``mu ~ Gamma(s, rate=beta)``. Over the
    active part ``(0, min(lifetime, T)]`` the purchases are Poisson; the last
    of ``N`` uniform event times is ``active * U ** (1 / N)``.

    Examples
    --------
    >>> from loyaltymetrics.datasets import simulate_pareto_nbd
    >>> x, t_x, T = simulate_pareto_nbd(3, r=0.6, alpha=8.0, s=0.8, beta=12.0, T=52.0, rng=1)
    >>> x.shape
    (3,)
    """
    n = _check_size(n)
    _check_positive(r=r, alpha=alpha, s=s, beta=beta)
    big_t = _check_horizon(T, n)
    generator = check_rng(rng)
    rate = generator.gamma(r, 1.0 / alpha, size=n)
    death_rate = generator.gamma(s, 1.0 / beta, size=n)
    with np.errstate(divide="ignore", over="ignore"):
        lifetime = generator.exponential(1.0, size=n) / death_rate
    active = np.minimum(lifetime, big_t)
    frequency = _poisson(generator, rate, active, names="`r`, `alpha` and `T`").astype(np.float64)
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
    rng: Seed = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``(frequency, recency, n_periods)`` for ``n`` BG/BB customers.

    Each customer transacts in a period with probability ``p ~ Beta(alpha,
    beta)`` while alive and, at the start of each period after the first
    transaction opportunity, dies with probability ``theta ~ Beta(gamma,
    delta)`` (Fader, Hardie & Shang 2010). ``recency`` is the period of the
    last transaction (0 if none).

    Examples
    --------
    >>> from loyaltymetrics.datasets import simulate_bgbb
    >>> x, t_x, n = simulate_bgbb(
    ...     3, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, n_periods=6, rng=0
    ... )
    >>> n.tolist()
    [6.0, 6.0, 6.0]
    """
    n = _check_size(n)
    _check_positive(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    periods_given: object = n_periods
    if not is_integer_number(periods_given):
        raise TypeError(f"`n_periods` must be a whole number; got {n_periods!r}")
    if int(periods_given) < 1:
        raise ValueError(f"`n_periods` must be >= 1; got {n_periods!r}")
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
