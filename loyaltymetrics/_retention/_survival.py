"""Kaplan-Meier survival curves with right censoring.

The estimator (Kaplan & Meier 1958, "Nonparametric estimation from incomplete
observations", JASA 53(282)) is a function of the number of events ``d_i`` and
the number at risk ``n_i`` at each distinct duration ``t_i``:

    S(t) = prod_{t_i <= t} (1 - d_i / n_i).

The default interval is the exponential Greenwood ("log-log") interval
(Kalbfleisch & Prentice 2002, *The Statistical Analysis of Failure Time Data*,
2nd ed., section 1.4): with Greenwood's variance sum
``V(t) = sum d_i / (n_i (n_i - d_i))`` and ``z`` the normal quantile, the limits are

    exp(-exp(log(-log S) -/+ z sqrt(V) / log S)),

which always lie in [0, 1]. The "log" interval is ``S exp(-/+ z sqrt(V))``,
capped at 1 (R's ``survfit`` default). Where ``S = 1`` (no event yet) both limits are 1;
where ``S = 0`` both are 0; a time at which every subject at risk has the
event adds nothing to ``V``. These are the conventions of lifelines'
``KaplanMeierFitter``, which the tests compare against.

The reduce step is a tally of (events, exits) per group and distinct duration
(:mod:`._survival_tally`); stage 2 runs along every group's cells at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import model_array
from loyaltymetrics._engine._intervals import (
    Alternative,
    core_count,
    normal_quantile,
    tail_pvalue,
)
from loyaltymetrics._engine._results import (
    Comparison,
    ConfidenceInterval,
    FrameBackend,
    Result,
    TabularResult,
    make_frame,
)
from loyaltymetrics._engine._validation import check_choice, check_confidence_level, is_real_number
from loyaltymetrics._retention._survival_tally import (
    IntArray,
    SurvivalInputs,
    Tally,
    factorize_labels,
    group_event_keys,
    keys_all_distinct,
    looks_continuous,
    segment_cumsum,
    segment_first,
    sorted_event_keys,
    survival_inputs,
    tally,
    weighted_count,
)

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from loyaltymetrics._retention._logrank import LogrankResult

__all__ = [
    "RestrictedMean",
    "RestrictedMeanComparison",
    "SurvivalCurve",
    "SurvivalCurves",
    "kaplan_meier",
]

FloatArray = npt.NDArray[np.float64]
IntervalType = Literal["log-log", "log"]
_INTERVALS: tuple[IntervalType, ...] = ("log-log", "log")
# R's survfit reads "at or below 0.5" with this much allowance for rounding.
_HALF_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))
# The median reads "at or below 0.5" up to rounding only, so that curves computed
# per group (a sum of logarithms) and alone (a product) give the same median.
_ROUNDING = 1e-12


@dataclass(frozen=True, repr=False)
class SurvivalCurve(TabularResult):
    """A Kaplan-Meier survival curve.

    One entry per distinct duration in the data (event or censoring time),
    in increasing order. The curve is a right-continuous step function: the
    survival at ``times[i]`` holds until ``times[i + 1]``; before ``times[0]``
    it is 1.

    Attributes
    ----------
    times : numpy.ndarray
        Distinct durations, increasing.
    survival : numpy.ndarray
        Estimated probability of surviving beyond each time.
    survival_low, survival_high : numpy.ndarray
        Pointwise confidence limits (see ``interval``).
    at_risk : numpy.ndarray
        Subjects (or total weight) at risk just before each time.
    events : numpy.ndarray
        Events (or their weight) at each time.
    censored : numpy.ndarray
        Censored subjects (or their weight) at each time.
    median : float
        First time at which the survival is at or below 0.5; ``inf`` if it
        never is.
    n : float
        Number of subjects (total weight).
    n_events : float
        Number of events (total event weight).
    confidence_level : float
        Coverage of the pointwise limits.
    median_low, median_high : float
        Confidence limits of the median (Brookmeyer & Crowley): the first
        times the lower and the upper pointwise limit are at or below 0.5, as
        R's ``survfit`` reports them; ``inf`` where a limit never gets there.
    interval : str
        "log-log" (exponential Greenwood) or "log".

    Examples
    --------
    In a notebook the curve displays as a table; ``to_frame()`` gives that
    table as a pandas (default) or polars DataFrame, one row per time.

    >>> import loyaltymetrics as lm
    >>> curve = lm.kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    >>> curve.to_frame(backend="polars").columns
    ['time', 'survival', 'survival_low', 'survival_high', 'at_risk', 'events', 'censored']
    """

    times: FloatArray
    survival: FloatArray
    survival_low: FloatArray
    survival_high: FloatArray
    at_risk: FloatArray
    events: FloatArray
    censored: FloatArray
    median: float
    n: float
    n_events: float
    confidence_level: float
    median_low: float = float("nan")
    median_high: float = float("nan")
    interval: str = "log-log"

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "n",
        "n_events",
        "median",
        "confidence_level",
    )

    def _table(self) -> dict[str, FloatArray]:
        return {
            "time": self.times,
            "survival": self.survival,
            "survival_low": self.survival_low,
            "survival_high": self.survival_high,
            "at_risk": self.at_risk,
            "events": self.events,
            "censored": self.censored,
        }

    @overload
    def survival_at(self, t: float) -> float: ...

    @overload
    def survival_at(self, t: npt.ArrayLike) -> float | FloatArray: ...

    def survival_at(self, t: npt.ArrayLike) -> float | FloatArray:
        """Survival probability at time(s) ``t`` (the step function's value).

        Parameters
        ----------
        t : float or array_like
            Time(s) at which to read the curve; ``inf`` gives the last value.

        Returns
        -------
        float or numpy.ndarray
            A float for a scalar ``t``, otherwise an array of ``t``'s shape.

        Raises
        ------
        ValueError
            If a time is NaN.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
        >>> round(curve.survival_at(3.5), 4)
        0.5357
        >>> curve.survival_at([0, 2, 10]).round(4)
        array([1.    , 0.7143, 0.1786])
        """
        query = model_array(t, name="t")
        if np.isnan(query).any():
            raise ValueError("`t` must not be NaN")
        index = np.searchsorted(self.times, query, side="right") - 1
        values = np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)
        if values.ndim == 0:
            return float(values)
        return np.asarray(values, dtype=np.float64)

    def median_confidence_interval(self) -> ConfidenceInterval:
        """Confidence interval of the median survival time (Brookmeyer-Crowley).

        Returns
        -------
        ConfidenceInterval
            ``[median_low, median_high]`` at the curve's ``confidence_level``
            and ``interval`` type; a limit is ``inf`` where the band never
            reaches 0.5 (R's ``survfit`` prints ``NA`` there).

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5, 6], [1, 1, 0, 1, 1, 1, 0, 1])
        >>> curve.median_confidence_interval()
        ConfidenceInterval(low=1.0, high=inf)
        """
        return ConfidenceInterval(self.median_low, self.median_high)

    def restricted_mean(
        self, horizon: float, *, confidence_level: float | None = None
    ) -> RestrictedMean:
        """Restricted mean survival time: the area under the curve up to ``horizon``.

        Parameters
        ----------
        horizon : float
            Positive, finite time up to which the mean is taken ("tau").
        confidence_level : float, optional
            Coverage of the normal interval; default the curve's level.

        Returns
        -------
        RestrictedMean
            The mean, its standard error (as R's ``print(survfit(...), rmean =
            horizon)``) and the interval ``mean -/+ z se``.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
        >>> rmst = curve.restricted_mean(4)
        >>> round(rmst.estimate, 4), round(rmst.standard_error, 4)
        (3.1071, 0.4263)
        """
        tau = _check_horizon(horizon)
        level = self.confidence_level if confidence_level is None else confidence_level
        level = check_confidence_level(level)
        group = np.zeros(self.times.shape[0], dtype=np.intp)
        mean, se = _restricted_means(
            group, 1, self.times, self.survival, self.at_risk, self.events, tau
        )
        return _restricted_mean_result(float(mean[0]), float(se[0]), tau, level)


@dataclass(frozen=True, repr=False)
class RestrictedMean(Result):
    """Restricted mean survival time up to a horizon.

    Attributes
    ----------
    estimate : float
        Area under the survival curve from 0 to ``horizon``: the expected
        time survived within the horizon.
    standard_error : float
        Its standard error (Klein & Moeschberger 2003, section 4.5).
    interval : ConfidenceInterval
        Normal interval ``estimate -/+ z standard_error`` at
        ``confidence_level``; ``confidence_interval()`` returns it, or the
        interval at another level.
    horizon : float
        The horizon ("tau").
    confidence_level : float
        Coverage of the interval.
    """

    estimate: float
    standard_error: float
    interval: ConfidenceInterval
    horizon: float
    confidence_level: float

    def confidence_interval(
        self,
        confidence_level: float | None = None,
        *,
        method: Literal["normal"] | None = None,
    ) -> ConfidenceInterval:
        """Return the normal interval ``estimate -/+ z standard_error``.

        Parameters
        ----------
        confidence_level : float, optional
            Coverage; default ``confidence_level``, whose interval is
            ``interval``.
        method : {"normal"}, optional
            The only method.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
        >>> rmst = curve.restricted_mean(4)
        >>> rmst.confidence_interval() == rmst.interval
        True
        >>> rmst.confidence_interval(0.9)
        ConfidenceInterval(low=2.40597, high=3.80831)
        """
        if confidence_level is None and method is None:
            return self.interval
        return _normal_interval(
            self.estimate, self.standard_error, self.confidence_level, confidence_level, method
        )


@dataclass(frozen=True, repr=False)
class RestrictedMeanComparison(Comparison):
    """Difference of two groups' restricted mean survival times (first minus second).

    The standard error is ``sqrt(se_1^2 + se_2^2)`` (independent groups); the
    statistic is the difference over it, referred to the normal distribution.

    Attributes
    ----------
    first, second : object
        The two groups compared.
    horizon : float
        The common horizon.
    """

    first: object = None
    second: object = None
    horizon: float = float("nan")
    _standard_error: float = field(default=float("nan"), compare=False)
    _confidence_level: float = field(default=0.95, compare=False)

    def confidence_interval(
        self,
        confidence_level: float | None = None,
        *,
        method: str | None = None,
        n_resamples: int | None = None,
        rng: object = None,
    ) -> ConfidenceInterval:
        """Return the normal interval ``difference -/+ z se``; by default ``interval``.

        Parameters
        ----------
        confidence_level : float, optional
            Coverage; default the level the comparison was computed at.
        method : {"normal"}, optional
            The only method.
        n_resamples, rng : None
            Not used (no bootstrap method); must be None.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
        >>> comparison = curves.compare_restricted_means(5, "b", "a")
        >>> comparison.confidence_interval() == comparison.interval
        True
        """
        for value, name in ((n_resamples, "n_resamples"), (rng, "rng")):
            if value is not None:
                raise TypeError(f"`{name}` applies to bootstrap methods only; the method is normal")
        if confidence_level is None and method is None:
            return self.interval
        return _normal_interval(
            self.difference, self._standard_error, self._confidence_level, confidence_level, method
        )


def _normal_interval(
    estimate: float, se: float, level: float, requested: object, method: object
) -> ConfidenceInterval:
    """``estimate -/+ z se`` at ``requested`` (or ``level`` when None)."""
    if method is not None:
        check_choice(method, name="method", choices=("normal",))
    chosen = check_confidence_level(level if requested is None else requested)
    z = normal_quantile(chosen)
    return ConfidenceInterval(estimate - z * se, estimate + z * se)


def _check_horizon(horizon: object) -> float:
    if not is_real_number(horizon):
        raise TypeError(f"`horizon` must be a number; got {type(horizon).__name__}")
    value = float(horizon)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"`horizon` must be positive and finite; got {value}")
    return value


def _restricted_mean_result(mean: float, se: float, tau: float, level: float) -> RestrictedMean:
    return RestrictedMean(
        estimate=mean,
        standard_error=se,
        interval=_normal_interval(mean, se, level, None, None),
        horizon=tau,
        confidence_level=level,
    )


@dataclass(frozen=True, repr=False)
class SurvivalCurves(TabularResult):
    """Kaplan-Meier curves of several groups, computed together.

    The table (``to_frame()``) has one row per group and distinct duration
    of that group, sorted by group then time; ``curves[label]`` gives one
    group's :class:`SurvivalCurve`.

    Attributes
    ----------
    groups : numpy.ndarray
        The distinct group labels, sorted.
    group : numpy.ndarray
        Group label of each row of the table.
    times, survival, survival_low, survival_high, at_risk, events, censored : numpy.ndarray
        As in :class:`SurvivalCurve`, for each row.
    median, median_low, median_high, n, n_events : numpy.ndarray
        Per group (in the order of ``groups``).
    confidence_level : float
        Coverage of the pointwise limits.
    interval : str
        "log-log" or "log".

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
    >>> curves.groups.tolist(), curves.median.tolist()
    (['a', 'b'], [2.0, 6.0])
    >>> curves["b"].survival.round(4).tolist()
    [0.6667, 0.6667, 0.0]
    """

    groups: npt.NDArray[Any]
    group: npt.NDArray[Any]
    times: FloatArray
    survival: FloatArray
    survival_low: FloatArray
    survival_high: FloatArray
    at_risk: FloatArray
    events: FloatArray
    censored: FloatArray
    median: FloatArray
    median_low: FloatArray
    median_high: FloatArray
    n: FloatArray
    n_events: FloatArray
    confidence_level: float
    interval: str

    _display_fields: ClassVar[tuple[str, ...] | None] = ("groups", "confidence_level")

    def _table(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "group": self.group,
            "time": self.times,
            "survival": self.survival,
            "survival_low": self.survival_low,
            "survival_high": self.survival_high,
            "at_risk": self.at_risk,
            "events": self.events,
            "censored": self.censored,
        }

    def _position(self, label: object) -> int:
        matches = np.flatnonzero(self.groups == label)
        if matches.size == 0:
            raise KeyError(f"no group {label!r}; the groups are {self.groups.tolist()}")
        return int(matches[0])

    def __getitem__(self, label: object) -> SurvivalCurve:
        """Return one group's curve, as :func:`kaplan_meier` gives it for that group alone."""
        k = self._position(label)
        rows = self.group == self.groups[k]
        return SurvivalCurve(
            times=self.times[rows],
            survival=self.survival[rows],
            survival_low=self.survival_low[rows],
            survival_high=self.survival_high[rows],
            at_risk=self.at_risk[rows],
            events=self.events[rows],
            censored=self.censored[rows],
            median=float(self.median[k]),
            n=float(self.n[k]),
            n_events=float(self.n_events[k]),
            confidence_level=self.confidence_level,
            median_low=float(self.median_low[k]),
            median_high=float(self.median_high[k]),
            interval=self.interval,
        )

    def summary(self, *, backend: FrameBackend = "pandas") -> Any:
        """One row per group: n, events, median and its confidence limits.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
        >>> curves.summary(backend="polars")["median"].to_list()
        [2.0, 6.0]
        """
        columns = {
            "group": self.groups,
            "n": self.n,
            "n_events": self.n_events,
            "median": self.median,
            "median_low": self.median_low,
            "median_high": self.median_high,
        }
        return make_frame(columns, backend=backend)

    def _codes(self) -> IntArray:
        return np.searchsorted(self.groups, self.group).astype(np.intp)

    def restricted_mean(
        self,
        horizon: float,
        *,
        backend: FrameBackend = "pandas",
        confidence_level: float | None = None,
    ) -> Any:
        """Restricted mean survival time of every group up to ``horizon``, as a frame.

        Columns: group, estimate, standard_error, low, high (normal interval).

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
        >>> curves.restricted_mean(5, backend="polars")["estimate"].round(4).to_list()
        [2.0, 4.0]
        """
        tau = _check_horizon(horizon)
        level = self.confidence_level if confidence_level is None else confidence_level
        z = normal_quantile(check_confidence_level(level))
        mean, se = _restricted_means(
            self._codes(),
            self.groups.shape[0],
            self.times,
            self.survival,
            self.at_risk,
            self.events,
            tau,
        )
        columns = {
            "group": self.groups,
            "estimate": mean,
            "standard_error": se,
            "low": mean - z * se,
            "high": mean + z * se,
        }
        return make_frame(columns, backend=backend)

    def logrank_test(
        self,
        *,
        weights: Literal["logrank", "fleming-harrington"] = "logrank",
        rho: float | None = None,
    ) -> LogrankResult:
        """Log-rank test that the groups share one curve, from the curves' own counts.

        The same test as :func:`loyaltymetrics.logrank_test` on the subjects
        (without strata); with frequency weights, the weighted counts.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curves = lm.kaplan_meier([1, 3, 4, 6, 2, 5, 8, 9], [1, 1, 0, 1, 1, 1, 1, 0],
        ...                          by=["app"] * 4 + ["web"] * 4)
        >>> round(curves.logrank_test().pvalue, 4)
        0.3578
        """
        from loyaltymetrics._retention._logrank import cells_from_tally, logrank_from_cells

        cells = cells_from_tally(
            self.times,
            self._codes(),
            self.events + self.censored,
            self.events,
            self.groups.shape[0],
        )
        return logrank_from_cells(cells, self.groups, 1, weights, rho)

    def compare_restricted_means(
        self,
        horizon: float,
        first: object,
        second: object,
        *,
        alternative: Literal["two-sided", "less", "greater"] = "two-sided",
        confidence_level: float | None = None,
    ) -> RestrictedMeanComparison:
        """Difference of two groups' restricted mean survival times up to ``horizon``.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
        >>> round(curves.compare_restricted_means(5, "b", "a").difference, 4)
        2.0
        """
        choice: Alternative = check_choice(
            alternative, name="alternative", choices=("two-sided", "less", "greater")
        )
        level = self.confidence_level if confidence_level is None else confidence_level
        level = check_confidence_level(level)
        for label, name in ((first, "first"), (second, "second")):
            try:
                found = bool(np.asarray(self.groups == label).any())
            except TypeError:  # a label that does not compare, such as pandas.NA
                found = False
            if not found:
                raise ValueError(
                    f"`{name}` must be one of the groups {self.groups.tolist()}; got {label!r}"
                )
        one = self[first].restricted_mean(horizon, confidence_level=level)
        two = self[second].restricted_mean(horizon, confidence_level=level)
        from scipy import stats

        difference = one.estimate - two.estimate
        se = float(np.hypot(one.standard_error, two.standard_error))
        statistic = difference / se if se > 0 else float("nan")
        pvalue = float("nan")
        if se > 0:
            pvalue = float(tail_pvalue(stats.norm.sf(statistic), stats.norm.cdf(statistic), choice))
        return RestrictedMeanComparison(
            difference=difference,
            interval=_normal_interval(difference, se, level, None, None),
            statistic=statistic,
            pvalue=pvalue,
            method="normal",
            alternative=choice,
            first=first,
            second=second,
            horizon=one.horizon,
            _standard_error=se,
            _confidence_level=level,
        )


@dataclass(frozen=True)
class _Estimates:
    """Stage-2 arrays over all cells of a tally, and per-group summaries."""

    at_risk: FloatArray
    survival: FloatArray
    low: FloatArray
    high: FloatArray
    median: FloatArray
    median_low: FloatArray
    median_high: FloatArray
    n: FloatArray
    n_events: FloatArray


def _at_risk(counts: Tally, first: IntArray) -> FloatArray:
    """Subjects (weight) at risk just before each cell's time, within its group."""
    left_before = segment_cumsum(counts.exits, counts.group, first)
    left_before -= counts.exits
    if counts.n_groups == 1:
        at_risk = np.subtract(float(counts.exits.sum()), left_before, out=left_before)
    else:
        totals = weighted_count(counts.group, counts.exits, counts.n_groups)
        at_risk = np.subtract(totals[counts.group], left_before, out=left_before)
    # Guard against rounding in weighted sums: at_risk never drops below the exits.
    return np.maximum(at_risk, counts.exits, out=at_risk)


def _survival(factor: FloatArray, counts: Tally, first: IntArray) -> FloatArray:
    """Product-limit estimate from the factors ``1 - d / n``, restarting in every group."""
    if counts.n_groups == 1:
        return np.asarray(np.cumprod(factor, out=factor), dtype=np.float64)
    # Several groups: a running sum of log factors restarts cheaply per group;
    # factors of exactly 0 (everyone left has the event) are counted apart.
    zero = factor <= 0.0
    log_factor = np.log(np.where(zero, 1.0, factor))
    dead = segment_cumsum(zero.astype(np.float64), counts.group, first) > 0
    return np.where(dead, 0.0, np.exp(segment_cumsum(log_factor, counts.group, first)))


def _limits(
    survival: FloatArray,
    greenwood: FloatArray,
    z: float,
    interval: IntervalType,
    out: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    *,
    edges: bool = True,
) -> tuple[FloatArray, FloatArray]:
    """Pointwise limits: exponential Greenwood (log-log) or on the log scale.

    ``out`` gives the buffers for the low and high limits and a scratch array
    of the same length (all three are written); by default they are new. With
    ``edges=False`` the log-log limits where S is 0 or 1 are left to the
    caller (to be set to S).
    """
    low, high, scratch = (
        (np.empty_like(survival), np.empty_like(survival), np.empty_like(survival))
        if out is None
        else out
    )
    if interval == "log":
        spread = z * np.sqrt(greenwood)
        np.copyto(low, np.where(survival > 0.0, survival * np.exp(-spread), 0.0))
        np.copyto(high, np.where(survival > 0.0, np.minimum(1.0, survival * np.exp(spread)), 0.0))
        return low, high
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival, out=scratch)
        # exp(-exp(log(-log S) -/+ c)) = S ** exp(-/+ c), with c = z sqrt(V) / log S.
        stretch = np.sqrt(greenwood, out=high)
        stretch *= z
        stretch /= log_s
        np.exp(stretch, out=stretch)
        np.divide(log_s, stretch, out=low)
        np.exp(low, out=low)
        np.multiply(log_s, stretch, out=stretch)
        np.exp(stretch, out=stretch)
    if not edges:
        return low, high
    # S = 1 (no event yet) and S = 0 (everyone gone): both limits equal S.
    edge = np.flatnonzero((survival <= 0.0) | (survival >= 1.0))
    low[edge] = survival[edge]
    high[edge] = survival[edge]
    return low, high


def _first_time_at_or_below_half(
    values: FloatArray,
    survival: FloatArray | None,
    times: FloatArray,
    group: IntArray,
    first: IntArray,
    *,
    tolerance: float = _HALF_TOLERANCE,
) -> FloatArray:
    """Per group, the first time a curve is at or below 0.5 (``inf`` if never).

    With ``survival``, only points where it is positive count (a band is
    undefined where S = 0).
    """
    if first.shape[0] == 1:
        # Unusable points (S = 0) form the curve's tail: the first point at or
        # below 0.5 decides alone, with no full-length mask of usable points.
        index = int(np.argmax(values <= 0.5 + tolerance))
        hit = values[index] <= 0.5 + tolerance and (survival is None or survival[index] > 0.0)
        return np.array([times[index] if hit else np.inf])
    below = values <= 0.5 + tolerance
    if survival is not None:
        below &= survival > 0.0
    position = np.where(below, np.arange(values.shape[0]), values.shape[0])
    earliest = np.minimum.reduceat(position, first) if values.shape[0] else position
    found = earliest < values.shape[0]
    return np.where(found, times[np.minimum(earliest, values.shape[0] - 1)], np.inf)


def _estimate(counts: Tally, level: float, interval: IntervalType) -> _Estimates:
    """Stage 2: the estimator, its interval and the medians from the cells."""
    first = segment_first(counts.group, counts.n_groups)
    at_risk = _at_risk(counts, first)
    # Every cell has exits > 0, so at_risk > 0; the arithmetic runs in place
    # because at 1e7 distinct durations each fresh array costs a full pass.
    factor = counts.events / at_risk
    np.subtract(1.0, factor, out=factor)
    survivors = at_risk - counts.events
    terms = at_risk * survivors
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(counts.events, terms, out=terms)
    # Everyone left has the event: that time adds nothing to Greenwood's sum.
    terms[survivors <= 0] = 0.0
    del survivors
    survival = _survival(factor, counts, first)
    np.clip(survival, 0.0, 1.0, out=survival)
    greenwood = segment_cumsum(terms, counts.group, first)
    low, high = _limits(survival, greenwood, normal_quantile(level), interval)
    # The limits of the median are where the bands cross 0.5 (Brookmeyer &
    # Crowley 1982, "A confidence interval for the median survival time",
    # Biometrics 38(1)); R's survfit leaves a band undefined where S = 0.
    times, group = counts.times, counts.group
    return _Estimates(
        at_risk=at_risk,
        survival=survival,
        low=low,
        high=high,
        median=_first_time_at_or_below_half(
            survival, None, times, group, first, tolerance=_ROUNDING
        ),
        median_low=_first_time_at_or_below_half(low, survival, times, group, first),
        median_high=_first_time_at_or_below_half(high, survival, times, group, first),
        n=weighted_count(counts.group, counts.exits, counts.n_groups),
        n_events=weighted_count(counts.group, counts.events, counts.n_groups),
    )


def _restricted_means(
    group: IntArray,
    n_groups: int,
    times: FloatArray,
    survival: FloatArray,
    at_risk: FloatArray,
    events: FloatArray,
    horizon: float,
) -> tuple[FloatArray, FloatArray]:
    """Area under each group's curve from 0 to ``horizon`` and its standard error.

    The variance is sum_j A_j^2 d_j / (n_j (n_j - d_j)) over event times
    t_j <= horizon, with A_j the area from t_j to the horizon (Klein &
    Moeschberger 2003, *Survival Analysis*, 2nd ed., section 4.5); it is what
    R's ``print(survfit(...), rmean = horizon)`` reports.
    """
    keep = times <= horizon
    group, times, survival = group[keep], times[keep], survival[keep]
    at_risk, events = at_risk[keep], events[keep]
    first_of = np.ones(group.shape[0], dtype=bool)
    first_of[1:] = group[1:] != group[:-1]
    previous_time = np.where(first_of, 0.0, np.roll(times, 1))
    previous_survival = np.where(first_of, 1.0, np.roll(survival, 1))
    rectangles = (times - previous_time) * previous_survival
    # The last piece runs from each group's last time (or 0) to the horizon.
    last_time = np.zeros(n_groups)
    last_survival = np.ones(n_groups)
    last = np.flatnonzero(np.append(group[1:] != group[:-1], True)) if group.size else group
    last_time[group[last]] = times[last]
    last_survival[group[last]] = survival[last]
    mean = weighted_count(group, rectangles, n_groups)
    mean += (horizon - last_time) * last_survival
    present = np.flatnonzero(first_of)
    starts = np.zeros(n_groups, dtype=np.intp)
    starts[group[present]] = present
    area_after = mean[group] - segment_cumsum(rectangles, group, starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        survivors = at_risk - events
        terms = np.where(
            survivors > 0, events / (at_risk * np.where(survivors > 0, survivors, 1.0)), 0.0
        )
    with np.errstate(over="ignore", invalid="ignore"):
        variance = weighted_count(group, area_after**2 * terms, n_groups)
    if np.isfinite(variance).all():
        return mean, np.sqrt(variance)
    # Horizons beyond about 1e154 square out of range: the same sum in units of
    # the horizon (each area is at most the horizon).
    scaled = weighted_count(group, (area_after / horizon) ** 2 * terms, n_groups)
    return mean, horizon * np.sqrt(scaled)


def _single_curve(counts: Tally, level: float, interval: IntervalType) -> SurvivalCurve:
    fit = _estimate(counts, level, interval)
    return SurvivalCurve(
        times=counts.times,
        survival=fit.survival,
        survival_low=fit.low,
        survival_high=fit.high,
        at_risk=fit.at_risk,
        events=counts.events,
        censored=counts.exits - counts.events,
        median=float(fit.median[0]),
        n=float(fit.n[0]),
        n_events=float(fit.n_events[0]),
        confidence_level=level,
        median_low=float(fit.median_low[0]),
        median_high=float(fit.median_high[0]),
        interval=interval,
    )


def _set_edges(
    s: FloatArray, low: FloatArray, high: FloatArray, scratch: npt.NDArray[np.bool_]
) -> None:
    """Set both limits to S where a non-increasing curve is 1 (a prefix) or 0 (a suffix)."""
    m = s.shape[0]
    if s[0] >= 1.0:
        np.less(s, 1.0, out=scratch)
        head = int(np.argmax(scratch)) if scratch[-1] else m
        low[:head] = s[:head]
        high[:head] = s[:head]
    if s[-1] <= 0.0:
        np.less_equal(s, 0.0, out=scratch)
        tail = int(np.argmax(scratch))
        low[tail:] = s[tail:]
        high[tail:] = s[tail:]


#: Elements per block of the distinct-durations pass: two stages of about ten
#: float64 arrays each stay in a core's cache.
_DISTINCT_BLOCK = 1 << 16


class _BandStage:
    """The second stage of :func:`_distinct_curve`, run block after block in order.

    From the events, survival and Greenwood's running sum of a block it
    counts the events, writes the censored column and the pointwise limits,
    and finds the first positions at or below 0.5 of the curve and of each
    limit. Its count and searches carry from block to block, so blocks must
    come in order (one worker thread keeps them so).
    """

    def __init__(self, curve: tuple[FloatArray, ...], level: float, kind: IntervalType) -> None:
        self.events, _, self.survival, self.low, self.high, self.censored = curve
        self.n_events = 0
        self.z, self.kind = normal_quantile(level), kind
        size = min(_DISTINCT_BLOCK, self.survival.shape[0])
        self.scratch, self.below = np.empty(size), np.empty(size, dtype=np.bool_)
        # The first position at or below 0.5 of the curve and of each limit, found
        # while the block is in cache (the same as a search over the whole curve).
        self.firsts: list[int | None] = [None, None, None]

    def __call__(self, start: int, stop: int) -> None:
        block, m = slice(start, stop), stop - start
        s, b = self.survival[block], self.below[:m]
        d = self.events[block]
        self.n_events += int(np.count_nonzero(d))
        np.subtract(1.0, d, out=self.censored[block])
        # Greenwood's sum waits where the low limit goes: _limits reads it first.
        out = (self.low[block], self.high[block], self.scratch[:m])
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = _limits(s, out[0], self.z, self.kind, out=out, edges=False)
        if self.kind == "log-log":
            _set_edges(s, lo, hi, b)
        for which, (values, tol) in enumerate(
            ((s, _ROUNDING), (lo, _HALF_TOLERANCE), (hi, _HALF_TOLERANCE))
        ):
            # The curve never rises: a block whose last point is above 0.5 holds no crossing.
            if self.firsts[which] is None and (which > 0 or s[-1] <= 0.5 + tol):
                np.less_equal(values, 0.5 + tol, out=b)
                at = int(np.argmax(b))
                if b[at]:
                    self.firsts[which] = start + at


def _first_touch(arrays: tuple[FloatArray, ...]) -> None:
    """Write one element per page of fresh arrays, so the system maps their memory now."""
    for array in arrays:
        array[::512] = 0.0


def _continuous_curve(
    floats: FloatArray, observed: npt.NDArray[np.bool_], level: float, kind: IntervalType
) -> SurvivalCurve:
    """One unweighted curve of continuous durations: sort their event keys, then estimate.

    When every duration is distinct (the usual case), :func:`_distinct_curve`
    needs no counting. On large inputs with a second core, a worker thread
    maps the memory of the curve's arrays while the keys sort (numpy releases
    the GIL in its sort), then runs the second stage of every block.
    """
    n = floats.shape[0]
    pool, curve, touched = None, None, None
    if n >= 4 * _DISTINCT_BLOCK and core_count() > 1:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=1)
        curve = tuple(np.empty(n) for _ in range(6))
        touched = pool.submit(_first_touch, curve)
    try:
        key = sorted_event_keys(floats, observed)
        if touched is not None:
            touched.result()  # done before the curve writes there
        if keys_all_distinct(key):
            return _distinct_curve(key, level, kind, curve=curve, pool=pool)
    finally:
        if pool is not None:
            pool.shutdown()
    del curve
    times, exits, events = group_event_keys(key)
    group = np.zeros(times.shape[0], dtype=np.intp)
    counts = Tally(group=group, times=times, exits=exits, events=events, n_groups=1)
    return _single_curve(counts, level, kind)


def _distinct_curve(
    key: npt.NDArray[np.uint64],
    level: float,
    kind: IntervalType,
    *,
    curve: tuple[FloatArray, ...] | None = None,
    pool: Executor | None = None,
) -> SurvivalCurve:
    """One unweighted curve where every duration is distinct: stage 2 fused, block by block.

    With one subject per time, n_i = n - i and the cells need no counting.
    Each block runs the whole chain while it is in cache, in two stages: the
    first unpacks the event bits and computes the numbers at risk, the
    product-limit estimate and Greenwood's running sum; the second
    (:class:`_BandStage`) the event count, the censored column, the limits
    and the crossings of 0.5. A running
    product or sum continues across blocks by folding the previous block's
    last value into the first element, so every number equals that of
    :func:`_estimate`. ``curve`` gives the six output arrays (new by
    default); with ``pool`` (one worker) the second stage of a block runs
    there while this thread runs the first stage of the next; the
    arithmetic is the same either way.
    """
    n = key.shape[0]
    if curve is None:
        curve = tuple(np.empty(n) for _ in range(6))
    events, at_risk, survival, low, high, censored = curve
    bands = _BandStage(curve, level, kind)
    size = min(_DISTINCT_BLOCK, n)
    countdown = -np.arange(size, dtype=np.float64)
    factor = np.empty(size)
    product, greenwood = 1.0, 0.0
    one = np.uint64(1)
    pending = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, n, size):
            stop = min(start + size, n)
            m = stop - start
            block = slice(start, stop)
            d, risk, s, f, k = (
                events[block],
                at_risk[block],
                survival[block],
                factor[:m],
                key[block],
            )
            v = low[block]  # Greenwood's terms and sum, until the band stage writes the limit
            np.bitwise_and(k, one, out=d, casting="unsafe")
            np.right_shift(k, one, out=k)
            np.add(countdown[:m], float(n - start), out=risk)
            np.divide(d, risk, out=f)
            np.subtract(1.0, f, out=f)
            np.subtract(risk, d, out=v)
            np.multiply(risk, v, out=v)
            np.divide(d, v, out=v)
            if stop == n and d[-1] == 1.0:
                v[-1] = 0.0  # the last subject has the event alone: n - d = 0 adds nothing
            f[0] *= product
            np.cumprod(f, out=s)
            product = float(s[-1])
            v[0] += greenwood
            np.cumsum(v, out=v)
            greenwood = float(v[-1])
            if pool is None:
                bands(start, stop)
            else:
                pending.append(pool.submit(bands, start, stop))
    for done in pending:
        done.result()
    times = key.view(np.float64)

    def crossing(which: int) -> float:
        # A limit counts only where the curve is positive (a band is undefined at S = 0).
        at = bands.firsts[which]
        if at is None or (which > 0 and not survival[at] > 0.0):
            return float(np.inf)
        return float(times[at])

    median, median_low, median_high = crossing(0), crossing(1), crossing(2)
    return SurvivalCurve(
        times=times,
        survival=survival,
        survival_low=low,
        survival_high=high,
        at_risk=at_risk,
        events=events,
        censored=censored,
        median=median,
        n=float(n),
        n_events=float(bands.n_events),
        confidence_level=level,
        median_low=median_low,
        median_high=median_high,
        interval=kind,
    )


def _grouped_curves(
    counts: Tally, groups: npt.NDArray[Any], level: float, interval: IntervalType
) -> SurvivalCurves:
    fit = _estimate(counts, level, interval)
    return SurvivalCurves(
        groups=groups,
        group=groups[counts.group],
        times=counts.times,
        survival=fit.survival,
        survival_low=fit.low,
        survival_high=fit.high,
        at_risk=fit.at_risk,
        events=counts.events,
        censored=counts.exits - counts.events,
        median=fit.median,
        median_low=fit.median_low,
        median_high=fit.median_high,
        n=fit.n,
        n_events=fit.n_events,
        confidence_level=level,
        interval=interval,
    )


def grouped_tally(inputs: SurvivalInputs) -> tuple[Tally, npt.NDArray[Any]]:
    """Tally subjects by group; every group must carry some weight."""
    assert inputs.labels is not None
    n = inputs.durations.shape[0]
    codes, groups = factorize_labels(inputs.labels, name="by", n=n)
    counts = tally(inputs.durations, inputs.observed, inputs.weights, codes, groups.shape[0])
    present = np.bincount(counts.group, minlength=groups.shape[0]) > 0
    if not present.all():
        empty = groups[np.flatnonzero(~present)[0]]
        raise ValueError(f"`weights` must not all be zero within a group; group {empty!r} is")
    return counts, groups


@overload
def kaplan_meier(
    durations: object,
    /,
    observed: object = ...,
    *,
    weights: object = ...,
    by: None = ...,
    duration: str | None = ...,
    confidence_level: float = ...,
    interval: IntervalType = ...,
) -> SurvivalCurve: ...


@overload
def kaplan_meier(
    durations: object,
    /,
    observed: object = ...,
    *,
    weights: object = ...,
    by: object,
    duration: str | None = ...,
    confidence_level: float = ...,
    interval: IntervalType = ...,
) -> SurvivalCurves: ...


def kaplan_meier(
    durations: object,
    /,
    observed: object = None,
    *,
    weights: object = None,
    by: object = None,
    duration: str | None = None,
    confidence_level: float = 0.95,
    interval: IntervalType = "log-log",
) -> SurvivalCurve | SurvivalCurves:
    """Kaplan-Meier estimate of a survival curve, with right censoring.

    Parameters
    ----------
    durations : array_like or dataframe
        Time from each subject's start (e.g. acquisition) to its event (e.g.
        churn) or to the end of its observation: finite, non-negative numbers.
        Or a dataframe narwhals supports (pandas, polars, pyarrow, DuckDB,
        ...), with ``duration`` (and ``observed``, ``weights``, ``by``) naming
        its columns; the reduce to distinct (group, duration, event) rows runs
        inside the frame's engine.
    observed : array_like of bool, or str, optional
        True (or 1) where the event was observed, False (or 0) where the
        subject was still "alive" when observation stopped (right-censored).
        Default: every event observed.
    weights : array_like or str, optional
        Frequency weights, one per subject: finite, non-negative, not all zero.
        Integer weights give exactly the curve of repeating each row.
    by : array_like or str, optional
        Group of each subject: one curve per group, all computed together
        (one tally over (group, time), no loop over groups). The result is
        then a :class:`SurvivalCurves`.
    duration : str, optional
        The duration column, when the data is a dataframe.
    confidence_level : float, default 0.95
        Coverage of the pointwise interval.
    interval : {"log-log", "log"}, default "log-log"
        Pointwise interval type: exponential Greenwood (lifelines' default,
        R's ``conf.type = "log-log"``), or on the log scale (R's default
        ``conf.type = "log"``), capped at 1.

    Returns
    -------
    SurvivalCurve or SurvivalCurves
        Times, survival, interval limits, numbers at risk, events, censored,
        the median survival time and its interval; one per group with ``by``.

    Raises
    ------
    ValueError
        If there are no durations, a duration is negative, missing or infinite,
        ``observed`` holds anything but booleans / 0 / 1, lengths differ, or a
        group carries no weight.
    TypeError
        If the inputs are not numeric (booleans for ``observed``).

    Notes
    -----
    At each distinct duration ``t_i`` with ``d_i`` events among ``n_i``
    subjects at risk, ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``. Subjects
    censored at ``t_i`` count as at risk at ``t_i`` (events are taken to come
    first). Greenwood's variance sum is ``V = sum d_i / (n_i (n_i - d_i))``;
    the "log-log" interval is exp(-exp(log(-log S) -/+ z sqrt(V) / log S))
    (Kalbfleisch & Prentice 2002) and stays inside [0, 1]; the "log" interval
    is ``S exp(-/+ z sqrt(V))``. The curves equal lifelines'
    ``KaplanMeierFitter`` (which adds a row at time 0) and R's ``survfit``;
    where ``S = 0`` both limits are 0 here (R leaves them undefined). The
    median's limits are where the bands cross 0.5 (Brookmeyer & Crowley 1982).

    Examples
    --------
    Seven customers; two are still subscribed (censored) after 2 and 5 months.

    >>> import loyaltymetrics as lm
    >>> curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    >>> curve.survival.round(4)
    array([0.8571, 0.7143, 0.5357, 0.1786, 0.1786])
    >>> curve.at_risk
    array([7., 6., 4., 3., 1.])
    >>> curve.median
    4.0
    >>> round(curve.survival_at(3.5), 4)
    0.5357

    One curve per sales channel, from a frame:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"months": [1, 2, 3, 2, 4, 6],
    ...                       "churned": [1, 1, 1, 1, 0, 1],
    ...                       "channel": ["app", "app", "app", "web", "web", "web"]})
    >>> curves = lm.kaplan_meier(frame, "churned", duration="months", by="channel")
    >>> curves.median.tolist()
    [2.0, 6.0]
    """
    level = check_confidence_level(confidence_level)
    kind = check_choice(interval, name="interval", choices=_INTERVALS)
    inputs = survival_inputs(durations, observed, weights, by, duration)
    if inputs.labels is None:
        if inputs.weights is None and looks_continuous(inputs.durations):
            floats = inputs.durations.astype(np.float64, copy=False)
            return _continuous_curve(floats, inputs.observed, level, kind)
        counts = tally(inputs.durations, inputs.observed, inputs.weights)
        return _single_curve(counts, level, kind)
    counts, groups = grouped_tally(inputs)
    return _grouped_curves(counts, groups, level, kind)
