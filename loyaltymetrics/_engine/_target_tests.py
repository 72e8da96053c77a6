"""One-sample tests against a target value, each the inversion of an interval.

A test of ``estimate == target`` belongs to an interval method when, at every
confidence level, the two-sided p-value is below ``1 - level`` exactly when
the target lies outside the two-sided interval at that level (and the
one-sided p-values likewise for the one-sided limits). Every function here
returns the p-value of the interval of the same name in
:mod:`loyaltymetrics._engine._intervals` or :mod:`loyaltymetrics._engine._means`,
computed from the two one-sided tail levels: the level at which the lower
limit reaches the target ("greater") and the one at which the upper limit
does ("less"); the two-sided p-value is twice the smaller one, capped at 1.

All functions are vectorised over groups and work on the reduced sample:
a share is given as (successes, n), fractional for weighted data (Kish's
effective counts), a mean through its :class:`~loyaltymetrics._engine._means.CellMeans`.
Nothing here names a metric.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22(158): the score test the interval inverts.
Clopper, C. J. & Pearson, E. S. (1934). The use of confidence or fiducial
limits illustrated in the case of the binomial. *Biometrika* 26(4).
Agresti, A. & Coull, B. A. (1998). Approximate is better than "exact" for
interval estimation of binomial proportions. *The American Statistician* 52(2).
Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a
binomial proportion. *Statistical Science* 16(2): the Jeffreys interval.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import (
    Alternative,
    BootstrapMethod,
    BootstrapTarget,
    ProportionMethod,
    RandomSource,
    _acceleration,
    _bootstrap_pvalue,
    count_bootstraps,
    ratio_or_infinite,
    tail_pvalue,
)
from loyaltymetrics._engine._means import CellMeans, normal_pvalue, scipy_bootstrap_interval
from loyaltymetrics._engine._validation import is_real_number

__all__ = [
    "TargetOutcome",
    "bootstrap_test",
    "check_target",
    "normal_test",
    "proportion_test",
    "t_test",
]

FloatArray = npt.NDArray[np.float64]
#: Bracket of the Agresti-Coull critical value searched for its test (Phi(-40) is 0).
_AC_BRACKET = 40.0
#: Bisection steps over that bracket: 80 / 2**60 is far below float resolution.
_AC_STEPS = 60


class TargetOutcome(NamedTuple):
    """A test statistic (NaN where the method has none) and its p-value, per group."""

    statistic: FloatArray
    pvalue: FloatArray


def check_target(value: object, *, low: float, high: float, name: str = "value") -> float:
    """Return the target ``value`` as a float in ``[low, high]``.

    Raises TypeError for a non-number (booleans included) and ValueError for
    NaN, an infinity or a value outside the range, naming ``name``.
    """
    if not is_real_number(value):
        raise TypeError(f"`{name}` must be a number in [{low:g}, {high:g}]; got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"`{name}` must be finite; got {value!r}")
    if not low <= number <= high:
        raise ValueError(f"`{name}` must be in [{low:g}, {high:g}]; got {value!r}")
    return number


def normal_test(
    estimate: npt.ArrayLike, standard_error: npt.ArrayLike, target: float, alternative: Alternative
) -> TargetOutcome:
    """Return the z test of ``estimate == target`` with the given standard error.

    Inverts the interval ``estimate -/+ z * standard_error``: with the
    interval's own standard error (not one computed under the null) the
    target is outside the interval at level ``1 - alpha`` exactly when
    ``p < alpha``. A zero standard error gives ``z = 0`` (p = 1) at the
    estimate and an infinite z (p = 0) elsewhere, as the zero-width interval
    says.
    """
    statistic = ratio_or_infinite(np.asarray(estimate, dtype=np.float64) - target, standard_error)
    return TargetOutcome(statistic, normal_pvalue(statistic, alternative))


def t_test(
    estimate: npt.ArrayLike,
    standard_error: npt.ArrayLike,
    df: npt.ArrayLike,
    target: float,
    alternative: Alternative,
) -> TargetOutcome:
    """One-sample t test of ``estimate == target``: it inverts ``estimate -/+ t(df) * se``.

    NaN where ``df`` is not positive (fewer than two rows), as the interval is.
    """
    degrees = np.asarray(df, dtype=np.float64)
    statistic = ratio_or_infinite(np.asarray(estimate, dtype=np.float64) - target, standard_error)
    statistic = np.asarray(np.where(degrees > 0, statistic, np.nan), dtype=np.float64)
    safe_df = np.where(degrees > 0, degrees, 1.0)
    pvalue = normal_pvalue(statistic, alternative, df=safe_df)
    return TargetOutcome(statistic, np.asarray(np.where(degrees > 0, pvalue, np.nan)))


def _agresti_coull_lower(count: FloatArray, total: FloatArray, z: FloatArray) -> FloatArray:
    """Agresti-Coull lower limit at critical value ``z`` (any sign), clipped to [0, 1]."""
    total_c = total + z**2
    share_c = (count + z**2 / 2.0) / total_c
    lower = share_c - z * np.sqrt(np.maximum(share_c * (1.0 - share_c), 0.0) / total_c)
    return np.asarray(np.clip(lower, 0.0, 1.0), dtype=np.float64)


def _agresti_coull_test(
    count: FloatArray, total: FloatArray, target: float, alternative: Alternative
) -> TargetOutcome:
    """Agresti-Coull's own test: the critical value at which a limit meets the target.

    The interval adds ``z**2 / 2`` successes and failures, so its centre and
    standard error depend on the level. The statistic is the ``z`` solving
    ``lower(z) = target`` (the upper limit at ``z`` is the lower limit at
    ``-z``), found by bisection; the "greater" p-value is ``Phi(-z)`` and the
    "less" one ``Phi(z)``.
    """
    from scipy import special

    shape = np.broadcast_shapes(count.shape, total.shape)
    low = np.full(shape, -_AC_BRACKET)
    high = np.full(shape, _AC_BRACKET)
    for _ in range(_AC_STEPS):
        middle = (low + high) / 2.0
        above = _agresti_coull_lower(count, total, middle) > target
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    statistic = np.asarray((low + high) / 2.0, dtype=np.float64)
    greater, less = special.ndtr(-statistic), special.ndtr(statistic)
    return TargetOutcome(statistic, tail_pvalue(greater, less, alternative))


def proportion_test(
    successes: npt.ArrayLike,
    n: npt.ArrayLike,
    target: float,
    *,
    method: ProportionMethod,
    alternative: Alternative,
) -> TargetOutcome:
    """Test of a binomial share ``== target`` (target in [0, 1]) that inverts ``method``'s interval.

    "wald": z with the estimate's standard error ``sqrt(p (1 - p) / n)``.
    "wilson": the score test, z with the null standard error ``sqrt(p0 (1 -
    p0) / n)`` (Wilson's interval is the set of p0 it does not reject).
    "agresti-coull": see :func:`_agresti_coull_test`. "exact": the central
    (equal-tailed) exact binomial test, twice the smaller tail ``P(X >= x)``,
    ``P(X <= x)`` capped at 1, through the beta form of the binomial tails
    (so fractional effective counts work as in the interval); it is not the
    "minimum likelihood" two-sided test that ``scipy.stats.binomtest``
    reports by default. "jeffreys": the posterior tail probability of
    ``Beta(x + 1/2, n - x + 1/2)`` on each side. The exact and Jeffreys tests
    have no statistic (NaN).
    """
    from scipy import stats

    count = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    count, total = np.broadcast_arrays(count, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = count / total
        if method == "wald":
            return normal_test(share, np.sqrt(share * (1.0 - share) / total), target, alternative)
        if method == "wilson":
            null_se = np.sqrt(target * (1.0 - target) / total)
            return normal_test(share, null_se, target, alternative)
        if method == "agresti-coull":
            return _agresti_coull_test(count, total, target, alternative)
        nothing = np.full(count.shape, np.nan)
        if method == "jeffreys":
            greater = stats.beta.cdf(target, count + 0.5, total - count + 0.5)
            less = stats.beta.sf(target, count + 0.5, total - count + 0.5)
            return TargetOutcome(nothing, tail_pvalue(greater, less, alternative))
        if method == "exact":
            # P(X >= x | p0) = I_p0(x, n - x + 1); P(X <= x | p0) = 1 - I_p0(x + 1, n - x).
            greater = np.where(
                count <= 0.0,
                1.0,
                stats.beta.cdf(target, np.maximum(count, 1e-300), total - count + 1.0),
            )
            less = np.where(
                count >= total,
                1.0,
                stats.beta.sf(target, count + 1.0, np.maximum(total - count, 1e-300)),
            )
            pvalue = tail_pvalue(greater, less, alternative)
            pvalue = np.where(np.isnan(share), np.nan, pvalue)
            return TargetOutcome(nothing, np.asarray(pvalue, dtype=np.float64))
    raise ValueError(f"`method` {method!r} has no target test")  # pragma: no cover


def bootstrap_test(
    sample: CellMeans,
    target: float,
    *,
    method: BootstrapMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: RandomSource,
    engine: str = "count",
) -> TargetOutcome:
    """Count bootstrap test of the sample's (scaled) mean ``== target``, per group.

    The p-value is that of the test that inverts the bootstrap interval (the
    smallest ``1 - level`` at which the interval excludes the target, through
    BCa's bias and acceleration map for "bca"); the statistic is the distance
    to the target over the bootstrap standard error. The resamples are those
    of :func:`~loyaltymetrics._engine._means.bootstrap_interval` under the
    same ``rng``, so the test belongs to that very interval. ``target`` is on
    the scale of ``sample.statistic`` (its ``factor`` applied).

    ``engine="scipy"`` takes the bootstrap distribution of
    ``scipy.stats.bootstrap`` on the rows instead (one group only, ``rng`` a
    Generator) and applies the same inversion to it; scipy's interval then
    agrees with the test up to its quantile interpolation.
    """
    estimate = np.asarray(sample.statistic(sample.count), dtype=np.float64)
    if engine == "scipy":
        assert isinstance(rng, np.random.Generator)
        interval = scipy_bootstrap_interval(
            sample, confidence_level=0.95, method=method, n_resamples=n_resamples, rng=rng
        )
        assert interval.bootstrap_distribution is not None
        theta_b = np.asarray(interval.bootstrap_distribution, dtype=np.float64)
        if sample.statistic.snap is not None:
            theta_b = np.round(theta_b, sample.statistic.snap)
        z0, acceleration = np.zeros(()), np.zeros(())
        if method == "bca":
            from scipy import special

            below = (theta_b < estimate).sum() + (theta_b <= estimate).sum()
            z0 = np.asarray(special.ndtri(below / (2.0 * theta_b.shape[0])))
            acceleration = _acceleration([sample.count], sample.statistic)
        pvalue = _bootstrap_pvalue(
            theta_b[:, None],
            estimate[None],
            target,
            method=method,
            z0=z0[None],
            acceleration=np.asarray(acceleration).reshape(1),
            alternative=alternative,
        )[0]
        spread = np.asarray(interval.standard_error, dtype=np.float64)
    else:
        (result,) = count_bootstraps(
            [sample.count],
            [BootstrapTarget(sample.statistic, (0,), alternative, null_value=target)],
            confidence_level=0.95,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
        assert result.pvalue is not None  # requested through null_value
        pvalue, spread = result.pvalue, result.standard_error
    statistic = ratio_or_infinite(estimate - target, spread)
    return TargetOutcome(*sample.blank(statistic, pvalue))
