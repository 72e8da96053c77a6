"""Value concentration: how much of the value the top customers bring, Lorenz, Gini.

The sufficient statistic is the sorted values with their prefix sums (and
prefix sums of squares): every quantity below, and its standard error, is
read off them in O(1) per point after one sort.

For the top share ``p`` with ``k = round(p n)`` customers, ``q`` the largest
value outside the top, total ``S`` and mean ``m``, the share is
``T = (sum of the k largest) / S``. Its influence function (Hampel 1974;
the share is a ratio of a trimmed mean to the mean) is

    IF(x) = (max(x, q) - E max(X, q) - T (x - m)) / m,

so ``Var T = Var(max(X, q) - T X) / (n m^2)``, estimated by the sample
moments. The Gini coefficient ``G = sum_i (2 i - n - 1) x_(i) / (n S)`` is the
mean absolute difference over twice the mean; its influence function is
``(2 (E|x - X| - D) / (2 m)) - G (x - m) / m`` with ``D = E|X - Y|``
(Hoeffding 1948 for the U-statistic; the linearisation as in Davidson 2009,
"Reliable inference for the Gini index", J. Econometrics 150(1)). Intervals are
normal on the logit scale, which keeps them inside (0, 1) and is closer to
symmetric for skewed spend; coverage is measured in
``benchmarks/concentration_coverage.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import normal_quantile
from loyaltymetrics._engine._results import (
    ConfidenceInterval,
    FrameBackend,
    Result,
    make_frame,
)
from loyaltymetrics._engine._validation import (
    as_1d_array,
    check_confidence_level,
    is_integer_number,
    is_real_number,
)

__all__ = ["ValueConcentration", "value_concentration"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Sorted:
    """Sorted values and their prefix sums (the reduced statistic)."""

    values: FloatArray
    prefix: FloatArray  # prefix[i] = sum of the i smallest values
    prefix_squares: FloatArray

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @property
    def total(self) -> float:
        return float(self.prefix[-1])


def _top_shares(
    data: _Sorted, shares: FloatArray, *, at_least: int = 1
) -> tuple[FloatArray, FloatArray]:
    """Top-``p`` value shares and their standard errors, for an array of ``p``."""
    n, total = data.n, data.total
    k = np.clip(np.rint(shares * n), at_least, n).astype(np.intp)
    below = n - k  # customers outside the top
    top_sum = total - data.prefix[below]
    share = top_sum / total
    mean = total / n
    threshold = data.values[np.maximum(below - 1, 0)]
    threshold = np.where(below > 0, threshold, 0.0)
    # Moments of Y = max(X, q) - T X over the sample, from prefix sums.
    low_sum, low_sq = data.prefix[below], data.prefix_squares[below]
    high_sq = data.prefix_squares[-1] - low_sq
    sum_x, sum_x2 = total, data.prefix_squares[-1]
    sum_max = below * threshold + top_sum
    sum_max2 = below * threshold**2 + high_sq
    sum_max_x = threshold * low_sum + high_sq
    sum_y = sum_max - share * sum_x
    sum_y2 = sum_max2 - 2 * share * sum_max_x + share**2 * sum_x2
    variance = np.maximum(sum_y2 / n - (sum_y / n) ** 2, 0.0) / (n * mean**2)
    # No one or everyone in the top: the share is exactly 0 or 1.
    variance = np.where((k == 0) | (k == n), 0.0, variance)
    return share, np.sqrt(variance)


def _gini(data: _Sorted) -> tuple[float, float]:
    """Gini coefficient and its influence-function standard error."""
    n, total = data.n, data.total
    x = data.values
    rank = np.arange(1, n + 1, dtype=np.float64)
    gini = float(((2 * rank - n - 1) * x).sum() / (n * total))
    mean = total / n
    # sum_j |x_i - x_j| for each i, from the prefix sums of the sorted values.
    before = data.prefix[:-1]
    absolute = x * (rank - 1) - before + (total - data.prefix[1:]) - x * (n - rank)
    difference = absolute.sum() / n**2
    influence = (absolute / n - difference) / mean - gini * (x - mean) / mean
    return gini, float(np.sqrt(np.mean(influence**2) / n))


def _logit_interval(
    estimate: FloatArray, se: FloatArray, z: float
) -> tuple[FloatArray, FloatArray]:
    """Form the normal interval on the logit scale (delta method), inside [0, 1]."""
    inside = (estimate > 0) & (estimate < 1) & (se > 0)
    safe = np.where(inside, estimate, 0.5)
    centre = np.log(safe / (1 - safe))
    spread = z * np.where(inside, se, 0.0) / (safe * (1 - safe))
    # exp overflows to inf for a spread far beyond the centre: the limit is then 0.
    with np.errstate(over="ignore"):
        low = np.where(inside, 1 / (1 + np.exp(-(centre - spread))), estimate)
        high = np.where(inside, 1 / (1 + np.exp(-(centre + spread))), estimate)
    return low, high


@dataclass(frozen=True, repr=False)
class ValueConcentration(Result):
    """Share of value from the top customers, and the Gini coefficient.

    Attributes
    ----------
    top : float
        The share of customers counted as "top".
    top_share : float
        Their share of the total value (the ``round(top * n)`` customers,
        at least one, with the largest values).
    top_share_interval : ConfidenceInterval
        Logit-scale normal interval of ``top_share``.
    top_share_se : float
        Influence-function standard error of ``top_share``.
    gini : float
        Gini coefficient of the values (0: all equal; near 1: one customer
        holds everything).
    gini_interval : ConfidenceInterval
        Logit-scale normal interval of ``gini``.
    gini_se : float
        Influence-function standard error of ``gini``.
    n : int
        Customers.
    total : float
        Total value.
    confidence_level : float
        Coverage of the intervals.
    """

    top: float
    top_share: float
    top_share_interval: ConfidenceInterval
    top_share_se: float
    gini: float
    gini_interval: ConfidenceInterval
    gini_se: float
    n: int
    total: float
    confidence_level: float
    _data: _Sorted | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = ("top", "top_share", "gini", "n")

    def lorenz_curve(self, points: int = 101, *, backend: FrameBackend = "pandas") -> Any:
        """Return the Lorenz curve with pointwise intervals, on an even grid.

        Parameters
        ----------
        points : int, default 101
            Grid points from 0 to 1 (at least 2).
        backend : {"pandas", "polars"}, default "pandas"
            Frame library of the result.

        Returns
        -------
        DataFrame
            Columns ``population_share`` (p), ``value_share`` (L(p): the
            share of value held by the poorest ``p`` of customers) and its
            ``low`` / ``high`` limits, from ``L(p) = 1 - top share(1 - p)``.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.value_concentration([1, 1, 2, 6])
        >>> result.lorenz_curve(5, backend="polars")["value_share"].to_list()
        [0.0, 0.1, 0.2, 0.4, 1.0]
        """
        if not is_integer_number(points) or points < 2:
            raise ValueError(f"`points` must be an integer of at least 2; got {points!r}")
        assert self._data is not None
        population = np.linspace(0.0, 1.0, int(points))
        top, se = _top_shares(self._data, 1.0 - population, at_least=0)
        value = 1.0 - top
        high_top, low_top = _logit_interval(top, se, normal_quantile(self.confidence_level))
        columns = {
            "population_share": population,
            "value_share": value,
            "low": 1.0 - low_top,
            "high": 1.0 - high_top,
        }
        return make_frame(columns, backend=backend)


def value_concentration(
    values: object, /, *, top: float = 0.2, confidence_level: float = 0.95
) -> ValueConcentration:
    """How concentrated customer value is: the top customers' share, Lorenz curve, Gini.

    Parameters
    ----------
    values : array_like
        One value per customer (revenue, margin, predicted CLV): finite and
        non-negative, with a positive total.
    top : float, default 0.2
        Share of customers, by value, whose share of the total is reported
        (0.2: "the top 20% bring X% of revenue").
    confidence_level : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    ValueConcentration
        The top share and the Gini coefficient with standard errors and
        intervals; ``lorenz_curve()`` gives the curve.

    Raises
    ------
    ValueError
        If a value is missing, infinite or negative, the total is 0, or
        ``top`` is not in (0, 1].
    TypeError
        If the values are not numeric.

    Notes
    -----
    Intervals are asymptotic (influence functions, normal on the logit
    scale); the sample is treated as i.i.d. customers from a population. At
    n = 1,000 lognormal spends their coverage is within a point or two of
    nominal (``benchmarks/concentration_coverage.py``). With every value
    equal the Gini is 0 and its interval collapses to it.

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> spend = np.random.default_rng(1).lognormal(3.0, 1.0, 1000)
    >>> result = lm.value_concentration(spend, top=0.2)
    >>> round(result.top_share, 3), round(result.gini, 3)
    (0.559, 0.519)
    >>> low, high = result.top_share_interval
    >>> round(low, 3), round(high, 3)
    (0.527, 0.591)
    """
    level = check_confidence_level(confidence_level)
    if not is_real_number(top):
        raise TypeError(f"`top` must be a number in (0, 1]; got {top!r}")
    if not (0.0 < float(top) <= 1.0):
        raise ValueError(f"`top` must be in (0, 1]; got {top}")
    array = as_1d_array(values, name="values").astype(np.float64)
    if array.shape[0] == 0:
        raise ValueError("`values` must contain at least one customer")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`values` must be finite and non-negative; found {array[position]} "
            f"at position {position}"
        )
    largest = float(array.max())
    if largest <= 0:
        raise ValueError("`values` must have a positive total")
    with np.errstate(over="ignore"):
        if not np.isfinite(array.sum()):
            raise ValueError("`values` are too large: their total exceeds the floating-point range")
    # Shares and the Gini do not depend on the unit: scale to the largest value
    # so that squares neither overflow nor underflow.
    ordered = np.sort(array) / largest
    data = _Sorted(
        values=ordered,
        prefix=np.concatenate(([0.0], np.cumsum(ordered))),
        prefix_squares=np.concatenate(([0.0], np.cumsum(ordered**2))),
    )
    z = normal_quantile(level)
    share, share_se = _top_shares(data, np.array([float(top)]))
    share_low, share_high = _logit_interval(share, share_se, z)
    gini, gini_se = _gini(data)
    gini_low, gini_high = _logit_interval(np.array([gini]), np.array([gini_se]), z)
    return ValueConcentration(
        top=float(top),
        top_share=float(share[0]),
        top_share_interval=ConfidenceInterval(float(share_low[0]), float(share_high[0])),
        top_share_se=float(share_se[0]),
        gini=gini,
        gini_interval=ConfidenceInterval(float(gini_low[0]), float(gini_high[0])),
        gini_se=gini_se,
        n=data.n,
        total=float(array.sum()),
        confidence_level=level,
        _data=data,
    )
