"""A linear trend over periods, fitted on per-period cell counts.

The trend of a score over time is the slope of the (weighted) least-squares
line through the respondent-level values ``y_i`` (an NPS code -1/0/+1, a
satisfied indicator 0/1, a CES answer ...) against the index ``t_i`` of the
period they answered in. Every respondent in one (period, cell) pair shares
``t``, ``y`` and the survey weight ``w``, so the fit needs only the reduced
table: the count ``k`` of each (period, cell). Writing sums over cells with
``k w`` as the multiplicity,

    W = sum k w,  St = sum k w t,  Stt = sum k w t**2,
    Sy = sum k w y,  Sty = sum k w t y,  Syy = sum k w y**2,

the estimates are the textbook least-squares formulas (e.g. Weisberg 2014,
*Applied Linear Regression*, 4th ed., sections 2.2 and 7.1):

    slope = (W Sty - St Sy) / (W Stt - St**2),   intercept = (Sy - slope St) / W,

with residual sum of squares ``RSS = Syy - intercept Sy - slope Sty``. They are
exactly what an ordinary (or, with weights, weighted) least-squares fit on the
expanded respondent rows gives. The standard error of the slope is either

- "classical": ``sqrt(RSS / (n - 2) * W / (W Stt - St**2))``, n the number of
  respondents, valid when every respondent's value has the same variance; or
- "hc0" .. "hc3": the heteroskedasticity-consistent sandwich of White (1980,
  Econometrica 48(4)) and MacKinnon & White (1985, Journal of Econometrics
  29(3)), whose meat ``sum k w**2 e**2 x x'`` (``x = (1, t)``, ``e`` the
  residual) and leverages ``h = w x'(X'WX)^-1 x`` are constant within a cell
  and therefore also computed from the counts. HC1 scales HC0 by
  ``n / (n - 2)``; HC2 divides each squared residual by ``1 - h`` and HC3 by
  ``(1 - h)**2``.

Intervals and p-values use Student's t with ``n - 2`` degrees of freedom for
every choice, as statsmodels does for a fit with ``use_t=True``.

The cost is O(periods x cells) whatever the number of respondents, and leading
axes of the count array are a batch dimension (segments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, cast

import numpy as np
import numpy.typing as npt
from scipy import stats

from loyaltymetrics._engine._cells import weight_unit
from loyaltymetrics._engine._intervals import Alternative, tail_pvalue
from loyaltymetrics._engine._results import ConfidenceInterval, Result
from loyaltymetrics._engine._validation import check_confidence_level

__all__ = ["TREND_ERRORS", "LinearTrend", "TrendError", "linear_trend"]

FloatArray = npt.NDArray[np.float64]
TrendError = Literal["classical", "hc0", "hc1", "hc2", "hc3"]
TREND_ERRORS: tuple[TrendError, ...] = ("classical", "hc0", "hc1", "hc2", "hc3")


@dataclass(frozen=True, repr=False)
class LinearTrend(Result):
    """Least-squares linear trend of respondent values on the period index.

    Every numeric field is a float for one series, or an array over the batch
    (segment) axes of the counts.

    Attributes
    ----------
    slope : float or numpy.ndarray
        Change of the mean value per period, on the scale of the cell values.
        NaN with fewer than two distinct periods holding respondents.
    standard_error : float or numpy.ndarray
        Standard error of the slope under ``method``; NaN with fewer than 3
        respondents (no residual degree of freedom), and for "hc2" / "hc3"
        when a respondent has leverage 1 (the only one in an extreme period).
    low, high : float or numpy.ndarray
        Confidence limits for the slope (infinite on the open side of a
        one-sided alternative).
    statistic : float or numpy.ndarray
        ``slope / standard_error``, a t statistic.
    pvalue : float or numpy.ndarray
        p-value of the null hypothesis "no trend" (slope 0) under ``alternative``.
    intercept : float or numpy.ndarray
        Fitted mean value at period index 0.
    n : float or numpy.ndarray
        Number of respondents with positive weight.
    df : float or numpy.ndarray
        Residual degrees of freedom, ``n - 2``.
    method : str
        The standard error used.
    confidence_level : float
        Coverage of ``low`` .. ``high``.
    alternative : str
        "two-sided", "greater" (an upward trend) or "less".
    """

    slope: float | FloatArray
    standard_error: float | FloatArray
    low: float | FloatArray
    high: float | FloatArray
    statistic: float | FloatArray
    pvalue: float | FloatArray
    intercept: float | FloatArray
    n: float | FloatArray
    df: float | FloatArray
    method: str
    confidence_level: float
    alternative: str

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "slope",
        "standard_error",
        "low",
        "high",
        "pvalue",
        "n",
        "method",
    )

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Return the interval for the slope of a single series, by default the fitted one.

        Parameters
        ----------
        confidence_level : float, optional
            Coverage; default the level the trend was fitted at. Another level
            recomputes the limits from the slope, its standard error and the
            Student t quantile with ``df`` degrees of freedom, on the fit's
            ``alternative`` (a one-sided fit keeps its open side).

        Returns
        -------
        ConfidenceInterval
            Without arguments, exactly ``(low, high)``.

        Raises
        ------
        ValueError
            For a batch of series (use ``low`` and ``high``), or a level
            outside (0, 1).

        Examples
        --------
        >>> import numpy as np
        >>> from loyaltymetrics._engine._trend import linear_trend
        >>> counts = np.array([[30, 30, 40], [25, 30, 45], [20, 30, 50]])
        >>> fit = linear_trend(counts, [-1.0, 0.0, 1.0], method="classical")
        >>> fit.confidence_interval()
        ConfidenceInterval(low=-0.0128549, high=0.212855)
        >>> fit.confidence_interval(0.9)
        ConfidenceInterval(low=0.00537969, high=0.19462)
        """
        if np.ndim(self.low) != 0:
            raise ValueError(
                "`confidence_interval` is defined for one series; use `low` and `high` for a batch"
            )
        if confidence_level is None:
            return ConfidenceInterval(float(self.low), float(self.high))
        level = check_confidence_level(confidence_level)
        refit = _trend_result(
            np.asarray(self.slope, dtype=np.float64),
            np.asarray(self.intercept, dtype=np.float64),
            np.asarray(self.standard_error, dtype=np.float64) ** 2,
            np.asarray(self.n, dtype=np.float64),
            np.asarray(self.df, dtype=np.float64),
            level,
            cast("Alternative", self.alternative),
            cast("TrendError", self.method),
        )
        return ConfidenceInterval(float(refit.low), float(refit.high))


@dataclass(frozen=True)
class _Moments:
    """Weighted sums over the (period, cell) table, batch-shaped."""

    w: FloatArray
    t: FloatArray
    tt: FloatArray
    y: FloatArray
    ty: FloatArray
    yy: FloatArray
    n: FloatArray


def _moments(
    count: FloatArray, value: FloatArray, weight: FloatArray, period: FloatArray
) -> _Moments:
    mass = count * weight
    time = period[:, None]
    axes = (-2, -1)
    return _Moments(
        w=mass.sum(axis=axes),
        t=(mass * time).sum(axis=axes),
        tt=(mass * time**2).sum(axis=axes),
        y=(mass * value).sum(axis=axes),
        ty=(mass * time * value).sum(axis=axes),
        yy=(mass * value**2).sum(axis=axes),
        n=np.where(weight > 0, count, 0.0).sum(axis=axes),
    )


def _safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Return ``numerator / denominator``, NaN where the denominator is not positive."""
    shape = np.broadcast_shapes(np.shape(numerator), np.shape(denominator))
    out = np.full(shape, np.nan)
    return np.asarray(np.divide(numerator, denominator, out=out, where=denominator > 0))


def _sandwich_variance(
    count: FloatArray,
    value: FloatArray,
    weight: FloatArray,
    period: FloatArray,
    fit: tuple[FloatArray, FloatArray, _Moments, FloatArray],
    method: TrendError,
) -> FloatArray:
    """Heteroskedasticity-consistent variance of the slope, from the cells."""
    slope, intercept, m, determinant = fit
    time = period[:, None]
    residual = value - intercept[..., None, None] - slope[..., None, None] * time
    # (X'WX)^-1 = [[Stt, -St], [-St, W]] / determinant.
    inv_00 = _safe_divide(m.tt, determinant)[..., None, None]
    inv_01 = _safe_divide(-m.t, determinant)[..., None, None]
    inv_11 = _safe_divide(m.w, determinant)[..., None, None]
    squared = residual**2
    if method in ("hc2", "hc3"):
        leverage = weight * (inv_00 + 2.0 * inv_01 * time + inv_11 * time**2)
        room = 1.0 - leverage
        power = 1.0 if method == "hc2" else 2.0
        occupied = (count > 0) & (weight > 0)
        defined = np.where(occupied, room > 1e-12, True).all(axis=(-2, -1))
        squared = np.divide(
            squared, room**power, out=np.zeros(np.shape(squared)), where=occupied & (room > 1e-12)
        )
    else:
        defined = np.ones(np.shape(slope), dtype=bool)
    # Row of (X'WX)^-1 X' for the slope: inv_01 + inv_11 t, per cell.
    gradient = inv_01 + inv_11 * time
    variance = (count * weight**2 * squared * gradient**2).sum(axis=(-2, -1))
    if method == "hc1":
        variance = variance * _safe_divide(m.n, m.n - 2.0)
    return np.where(defined & (m.n > 2), variance, np.nan)


def linear_trend(
    counts: npt.ArrayLike,
    values: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
    periods: npt.ArrayLike | None = None,
    confidence_level: float = 0.95,
    alternative: Alternative = "two-sided",
    method: TrendError = "hc3",
) -> LinearTrend:
    """Fit the least-squares trend of respondent values on the period index.

    Arguments are validated by the caller.

    Parameters
    ----------
    counts : array_like, shape (*batch, T, C)
        Respondents per (period, cell): non-negative whole numbers. A period
        with no respondents contributes nothing.
    values : array_like, broadcastable to (*batch, T, C)
        The value of each cell (e.g. the NPS codes ``[-1, 0, 1]``).
    weights : array_like, optional, broadcastable to (*batch, T, C)
        The survey weight shared by the respondents of each cell, non-negative;
        default 1 (ordinary least squares).
    periods : array_like, shape (T,), optional
        The position of each period on the time axis; default ``0 .. T - 1``.
    confidence_level : float, default 0.95
        Coverage of the interval for the slope.
    alternative : {"two-sided", "greater", "less"}
        Alternative to "no trend" for the p-value and the interval's side.
    method : {"hc3", "classical", "hc0", "hc1", "hc2"}
        Standard error of the slope (module docstring). The default, HC3, is
        right whether or not the variance of the values changes over periods,
        as it does for NPS codes whenever the score moves, and it is the
        choice Long & Ervin (2000, The American Statistician 54(3)) recommend
        for small samples; with many respondents per period all HC variants
        and, under a constant variance, the classical error agree.

    Returns
    -------
    LinearTrend

    Examples
    --------
    >>> import numpy as np
    >>> from loyaltymetrics._engine._trend import linear_trend
    >>> counts = np.array([[30, 30, 40], [25, 30, 45], [20, 30, 50]])
    >>> fit = linear_trend(counts, [-1.0, 0.0, 1.0], method="classical")
    >>> round(float(fit.slope), 4), round(float(fit.standard_error), 4)
    (0.1, 0.0573)
    """
    count = np.asarray(counts, dtype=np.float64)
    value = np.broadcast_to(np.asarray(values, dtype=np.float64), count.shape)
    weight = np.broadcast_to(
        np.asarray(1.0 if weights is None else weights, dtype=np.float64), count.shape
    )
    # The fit does not change with the weights' scale: scaled exactly by a power
    # of two per series, huge weights do not overflow in the weighted moments.
    weight = weight * weight_unit(weight.reshape(*weight.shape[:-2], -1))[..., None]
    n_periods = count.shape[-2]
    period = (
        np.arange(n_periods, dtype=np.float64)
        if periods is None
        else np.asarray(periods, dtype=np.float64)
    )
    m = _moments(count, value, weight, period)
    determinant = m.w * m.tt - m.t**2
    # Relative guard: a single distinct period leaves only rounding in the determinant.
    spread = determinant > 1e-12 * np.maximum(m.w * m.tt, np.finfo(np.float64).tiny)
    determinant = np.where(spread, determinant, 0.0)
    slope = _safe_divide(m.w * m.ty - m.t * m.y, determinant)
    intercept = np.where(spread, _safe_divide(m.y - slope * m.t, m.w), np.nan)
    df = m.n - 2.0
    if method == "classical":
        rss = np.maximum(m.yy - intercept * m.y - slope * m.ty, 0.0)
        variance = _safe_divide(rss, df) * _safe_divide(m.w, determinant)
    else:
        fit = (slope, intercept, m, determinant)
        variance = _sandwich_variance(count, value, weight, period, fit, method)
    return _trend_result(slope, intercept, variance, m.n, df, confidence_level, alternative, method)


def _trend_result(
    slope: FloatArray,
    intercept: FloatArray,
    variance: FloatArray,
    n: FloatArray,
    df: FloatArray,
    confidence_level: float,
    alternative: Alternative,
    method: TrendError,
) -> LinearTrend:
    """Build the result: standard error, t statistic, p-value and interval of the slope."""
    defined = np.isfinite(variance) & np.isfinite(slope) & (df > 0)
    standard_error = np.where(defined, np.sqrt(np.where(defined, variance, 0.0)), np.nan)
    safe_df = np.where(defined, df, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(defined, slope / standard_error, np.nan)
    statistic = np.where(defined & (standard_error == 0) & (slope == 0), 0.0, statistic)
    upper = stats.t.sf(np.where(defined, statistic, 0.0), safe_df)
    lower = stats.t.cdf(np.where(defined, statistic, 0.0), safe_df)
    pvalue = np.where(defined, tail_pvalue(upper, lower, alternative), np.nan)
    tail = 1.0 - confidence_level
    # isf of the tail, not ppf of 1 - tail: a level within an ulp of 1 keeps a finite quantile.
    quantile = stats.t.isf(tail / 2.0 if alternative == "two-sided" else tail, safe_df)
    # At a level of (nearly) 0 a one-sided quantile is infinite: a zero standard
    # error then gives a zero half-width, not 0 * inf.
    spread = np.where(defined, standard_error, 0.0)
    with np.errstate(invalid="ignore"):
        half = np.where(spread == 0.0, 0.0, quantile * spread)
    half = np.where(defined, half, np.nan)
    low = -np.inf if alternative == "less" else slope - half
    high = np.inf if alternative == "greater" else slope + half

    def out(array: npt.ArrayLike) -> float | FloatArray:
        result = np.asarray(array, dtype=np.float64)
        return float(result) if result.ndim == 0 else result

    return LinearTrend(
        slope=out(slope),
        standard_error=out(standard_error),
        low=out(np.broadcast_to(low, np.shape(slope))),
        high=out(np.broadcast_to(high, np.shape(slope))),
        statistic=out(statistic),
        pvalue=out(pvalue),
        intercept=out(intercept),
        n=out(n),
        df=out(df),
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
    )
