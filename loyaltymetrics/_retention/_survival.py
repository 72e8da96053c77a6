"""Kaplan-Meier survival curves with right censoring.

The estimator (Kaplan & Meier 1958, "Nonparametric estimation from incomplete
observations", JASA 53(282)) is a function of the number of events ``d_i`` and
the number at risk ``n_i`` at each distinct duration ``t_i``:

    S(t) = prod_{t_i <= t} (1 - d_i / n_i).

The interval is the exponential Greenwood ("log-log") interval (Kalbfleisch &
Prentice 2002, *The Statistical Analysis of Failure Time Data*, 2nd ed.,
section 1.4): with Greenwood's variance sum ``V(t) = sum d_i / (n_i (n_i - d_i))``
and ``z`` the normal quantile, the limits are

    exp(-exp(log(-log S) -/+ z sqrt(V) / log S)),

which always lie in [0, 1]. Where ``S = 1`` (no event yet) both limits are 1;
where ``S = 0`` both are 0; a time at which every subject at risk has the
event adds nothing to ``V``. These are the conventions of lifelines'
``KaplanMeierFitter``, which the tests compare against.

The reduce step is a tally of (events, exits) per distinct duration: a
``bincount`` for integer durations on a compact range, sorting otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, overload

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import normal_quantile
from loyaltymetrics._engine._results import TabularResult
from loyaltymetrics._engine._validation import (
    as_1d_array,
    as_1d_indicator,
    check_confidence_level,
    check_weights,
)

__all__ = ["SurvivalCurve", "kaplan_meier"]

FloatArray = npt.NDArray[np.float64]


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
        Pointwise exponential-Greenwood (log-log) confidence limits.
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
        query = np.asarray(t, dtype=np.float64)
        if np.isnan(query).any():
            raise ValueError("`t` must not be NaN")
        index = np.searchsorted(self.times, query, side="right") - 1
        values = np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)
        if values.ndim == 0:
            return float(values)
        return np.asarray(values, dtype=np.float64)


def _weighted_bincount(index: npt.NDArray[np.intp], weights: FloatArray, size: int) -> FloatArray:
    return np.asarray(np.bincount(index, weights=weights, minlength=size), dtype=np.float64)


def _tally_integer(
    durations: npt.NDArray[np.integer], observed: npt.NDArray[np.bool_], weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Per-time (times, exits, events) by ``bincount``; None if the range is too wide."""
    low = int(durations.min())
    span = int(durations.max()) - low + 1
    if span > 4 * durations.shape[0] + 1024:
        return None
    shifted = (durations - low).astype(np.intp, copy=False)
    rows = np.bincount(shifted, minlength=span)
    present = np.flatnonzero(rows)
    if weights is None:
        exits = rows[present].astype(np.float64)
        events = np.bincount(shifted[observed], minlength=span)[present].astype(np.float64)
    else:
        exits = _weighted_bincount(shifted, weights, span)[present]
        events = _weighted_bincount(shifted, weights * observed, span)[present]
    return (present + low).astype(np.float64), exits, events


def _tally_sorted(
    durations: FloatArray, observed: npt.NDArray[np.bool_], weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-time (times, exits, events) by sorting."""
    if weights is None:
        # Two sorts (all durations, event durations) are cheaper than one argsort.
        times, exit_counts = np.unique(durations, return_counts=True)
        event_times, event_counts = np.unique(durations[observed], return_counts=True)
        events = np.zeros(times.shape[0], dtype=np.float64)
        events[np.searchsorted(times, event_times)] = event_counts
        return times, exit_counts.astype(np.float64), events
    times, inverse = np.unique(durations, return_inverse=True)
    exits = _weighted_bincount(inverse, weights, times.shape[0])
    events = _weighted_bincount(inverse, weights * observed, times.shape[0])
    return times, exits, events


def _curve_from_tally(
    times: FloatArray, exits: FloatArray, events: FloatArray, confidence_level: float
) -> SurvivalCurve:
    """Stage 2: the estimator and its interval from per-time counts."""
    total = float(exits.sum())
    at_risk = total - np.concatenate(([0.0], np.cumsum(exits)[:-1]))
    # Guard against rounding in weighted sums: at_risk never drops below the exits.
    at_risk = np.maximum(at_risk, exits)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        survival = np.cumprod(1.0 - hazard)
        survivors = at_risk - events
        greenwood = np.cumsum(
            np.where(
                survivors > 0, events / (at_risk * np.where(survivors > 0, survivors, 1.0)), 0.0
            )
        )
    survival = np.clip(survival, 0.0, 1.0)
    z = normal_quantile(confidence_level)
    inside = (survival > 0.0) & (survival < 1.0)
    safe = np.where(inside, survival, 0.5)
    log_s = np.log(safe)
    log_minus_log = np.log(-log_s)
    shift = z * np.sqrt(greenwood) / log_s
    low = np.where(inside, np.exp(-np.exp(log_minus_log - shift)), survival)
    high = np.where(inside, np.exp(-np.exp(log_minus_log + shift)), survival)
    below_half = np.flatnonzero(survival <= 0.5)
    median = float(times[below_half[0]]) if below_half.size else float("inf")
    return SurvivalCurve(
        times=times,
        survival=survival,
        survival_low=low,
        survival_high=high,
        at_risk=at_risk,
        events=events,
        censored=exits - events,
        median=median,
        n=total,
        n_events=float(events.sum()),
        confidence_level=confidence_level,
    )


def kaplan_meier(
    durations: object,
    /,
    observed: object = None,
    *,
    weights: object = None,
    confidence_level: float = 0.95,
) -> SurvivalCurve:
    """Kaplan-Meier estimate of a survival curve, with right censoring.

    Parameters
    ----------
    durations : array_like
        Time from each subject's start (e.g. acquisition) to its event (e.g.
        churn) or to the end of its observation: finite, non-negative numbers.
    observed : array_like of bool, optional
        True (or 1) where the event was observed, False (or 0) where the
        subject was still "alive" when observation stopped (right-censored).
        Default: every event observed.
    weights : array_like, optional
        Frequency weights, one per subject: finite, non-negative, not all zero.
        Integer weights give exactly the curve of repeating each row.
    confidence_level : float, default 0.95
        Coverage of the pointwise exponential-Greenwood interval.

    Returns
    -------
    SurvivalCurve
        Times, survival, interval limits, numbers at risk, events, censored,
        and the median survival time.

    Raises
    ------
    ValueError
        If there are no durations, a duration is negative, missing or infinite,
        ``observed`` holds anything but booleans / 0 / 1, or lengths differ.
    TypeError
        If the inputs are not numeric (booleans for ``observed``).

    Notes
    -----
    At each distinct duration ``t_i`` with ``d_i`` events among ``n_i``
    subjects at risk, ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``. Subjects
    censored at ``t_i`` count as at risk at ``t_i`` (events are taken to come
    first). The interval is exp(-exp(log(-log S) -/+ z sqrt(V) / log S)) with
    Greenwood's ``V = sum d_i / (n_i (n_i - d_i))`` (Kalbfleisch & Prentice
    2002); it stays inside [0, 1]. The results equal lifelines'
    ``KaplanMeierFitter`` (which adds a row at time 0).

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
    """
    level = check_confidence_level(confidence_level)
    values = as_1d_array(durations, name="durations")
    n = values.shape[0]
    if n == 0:
        raise ValueError("`durations` must contain at least one subject; got an empty array")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`durations` must be finite and non-negative; found {values[position]} "
            f"at position {position}"
        )
    events_seen = (
        np.ones(n, dtype=bool)
        if observed is None
        else as_1d_indicator(observed, name="observed", n=n)
    )
    weight_array = None if weights is None else check_weights(weights, n=n, of="`durations`")

    tally = None
    if values.dtype.kind in "iu":
        tally = _tally_integer(values, events_seen, weight_array)
    elif bool(np.all(values == np.floor(values))) and values.max() < 2**53:
        tally = _tally_integer(values.astype(np.int64), events_seen, weight_array)
    if tally is None:
        tally = _tally_sorted(values.astype(np.float64, copy=False), events_seen, weight_array)
    times, exits, events = tally
    if weight_array is not None:
        # Times carried only by zero-weight rows add nothing to the curve.
        keep = exits > 0
        times, exits, events = times[keep], exits[keep], events[keep]
    return _curve_from_tally(times, exits, events, level)
