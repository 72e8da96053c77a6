"""Nelson-Aalen cumulative hazard with its variance.

At each distinct duration ``t_i`` with ``d_i`` events among ``n_i`` at risk,

    H(t) = sum_{t_i <= t} d_i / n_i,    Var H(t) = sum_{t_i <= t} d_i / n_i^2

(Nelson 1972, Technometrics 14(4); Aalen 1978, Annals of Statistics 6(4); the
variance is Aalen's, the one R's ``survfit(..., ctype = 1)`` reports as
``std.chaz``). The pointwise interval is formed on the log scale,
``H exp(-/+ z sqrt(Var) / H)`` (Klein & Moeschberger 2003, section 4.2), so it
stays positive. The reduce step is the same tally as Kaplan-Meier's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import normal_quantile
from loyaltymetrics._engine._results import TabularResult
from loyaltymetrics._engine._validation import check_confidence_level
from loyaltymetrics._retention._survival import grouped_tally
from loyaltymetrics._retention._survival_tally import (
    FloatArray,
    segment_cumsum,
    segment_first,
    survival_inputs,
    tally,
    weighted_count,
)

__all__ = ["CumulativeHazard", "nelson_aalen"]


@dataclass(frozen=True, repr=False)
class CumulativeHazard(TabularResult):
    """A Nelson-Aalen cumulative hazard curve (one per group with ``by``).

    Attributes
    ----------
    times : numpy.ndarray
        Distinct durations (within each group), increasing.
    cumulative_hazard : numpy.ndarray
        Estimated cumulative hazard at each time.
    variance : numpy.ndarray
        Aalen's variance of the estimate.
    cumulative_hazard_low, cumulative_hazard_high : numpy.ndarray
        Pointwise log-scale confidence limits.
    at_risk, events : numpy.ndarray
        Subjects (weight) at risk just before each time, and events there.
    confidence_level : float
        Coverage of the pointwise limits.
    groups : numpy.ndarray or None
        The distinct group labels with ``by``; None otherwise.
    group : numpy.ndarray or None
        Group label of each row with ``by``; None otherwise.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> hazard = lm.nelson_aalen([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    >>> hazard.cumulative_hazard.round(4)
    array([0.1429, 0.3095, 0.5595, 1.2262, 1.2262])
    """

    times: FloatArray
    cumulative_hazard: FloatArray
    variance: FloatArray
    cumulative_hazard_low: FloatArray
    cumulative_hazard_high: FloatArray
    at_risk: FloatArray
    events: FloatArray
    confidence_level: float
    groups: npt.NDArray[Any] | None = None
    group: npt.NDArray[Any] | None = None

    _display_fields: ClassVar[tuple[str, ...] | None] = ("confidence_level",)

    def _table(self) -> dict[str, npt.NDArray[Any]]:
        table: dict[str, npt.NDArray[Any]] = {} if self.group is None else {"group": self.group}
        table.update(
            {
                "time": self.times,
                "cumulative_hazard": self.cumulative_hazard,
                "variance": self.variance,
                "cumulative_hazard_low": self.cumulative_hazard_low,
                "cumulative_hazard_high": self.cumulative_hazard_high,
                "at_risk": self.at_risk,
                "events": self.events,
            }
        )
        return table


def nelson_aalen(
    durations: object,
    /,
    observed: object = None,
    *,
    weights: object = None,
    by: object = None,
    duration: str | None = None,
    confidence_level: float = 0.95,
) -> CumulativeHazard:
    """Nelson-Aalen estimate of the cumulative hazard, with its variance.

    Parameters
    ----------
    durations, observed, weights, by, duration
        As in :func:`kaplan_meier` (arrays, or a dataframe with column names).
    confidence_level : float, default 0.95
        Coverage of the pointwise log-scale interval.

    Returns
    -------
    CumulativeHazard
        Times, cumulative hazard, its variance and limits; with ``by``, one
        curve per group in one table (``group`` column).

    Raises
    ------
    ValueError, TypeError
        For invalid input, as :func:`kaplan_meier`.

    Notes
    -----
    ``H(t) = sum d_i / n_i`` and ``Var H(t) = sum d_i / n_i^2``: the values of
    R's ``survfit(..., ctype = 1)`` (``cumhaz``, ``std.chaz`` squared) and
    lifelines' ``NelsonAalenFitter(nelson_aalen_smoothing=False)`` for the
    estimate. ``exp(-H)`` is the Fleming-Harrington survival estimate.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> hazard = lm.nelson_aalen([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    >>> hazard.variance.round(4)
    array([0.0204, 0.0482, 0.1107, 0.3329, 0.3329])
    """
    level = check_confidence_level(confidence_level)
    inputs = survival_inputs(durations, observed, weights, by, duration)
    groups = None
    if inputs.labels is None:
        counts = tally(inputs.durations, inputs.observed, inputs.weights)
    else:
        counts, groups = grouped_tally(inputs)
    first = segment_first(counts.group, counts.n_groups)
    totals = weighted_count(counts.group, counts.exits, counts.n_groups)
    at_risk = totals[counts.group] - (
        segment_cumsum(counts.exits, counts.group, first) - counts.exits
    )
    at_risk = np.maximum(at_risk, counts.exits)
    hazard = segment_cumsum(counts.events / at_risk, counts.group, first)
    variance = segment_cumsum(counts.events / at_risk**2, counts.group, first)
    z = normal_quantile(level)
    positive = hazard > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(positive, z * np.sqrt(variance) / np.where(positive, hazard, 1.0), 0.0)
    return CumulativeHazard(
        times=counts.times,
        cumulative_hazard=hazard,
        variance=variance,
        cumulative_hazard_low=hazard * np.exp(-spread),
        cumulative_hazard_high=hazard * np.exp(spread),
        at_risk=at_risk,
        events=counts.events,
        confidence_level=level,
        groups=groups,
        group=None if groups is None else groups[counts.group],
    )
