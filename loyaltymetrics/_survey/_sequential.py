"""Monitoring a survey score: confidence sequences and a sequential test.

A confidence sequence is a running interval that holds *simultaneously* at
every look, so a dashboard may show it after every response (or every period)
and be checked as often as anyone likes: the chance that it *ever* excludes
the true score is at most ``1 - confidence_level``. A fixed-n interval
recomputed after every response has no such guarantee (looking often makes
false alarms near certain). The sequential test is the same construction as a
test: an anytime-valid p-value against a baseline score.

Each metric is the mean of a bounded per-respondent value: the NPS code
-1/0/+1 (reported on -100..100), the satisfied indicator 0/1 (CSAT, on
0..100), the answer on its scale (CES). This module maps the scores to those
values and their known range; the sequences come from
:mod:`loyaltymetrics._engine._sequences`, which knows no metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import Alternative
from loyaltymetrics._engine._results import ConfidenceInterval, TabularResult
from loyaltymetrics._engine._sequences import (
    SEQUENCE_METHODS,
    SequenceMethod,
    betting_evalues,
    confidence_sequence_bounds,
)
from loyaltymetrics._engine._validation import (
    as_1d_labels,
    check_choice,
    check_confidence_level,
    check_integer_scores,
    is_real_number,
)
from loyaltymetrics._survey._nps import NPS_SCALE, SCORE_BAND
from loyaltymetrics._survey._satisfaction import (
    CSAT_SATISFIED,
    CSAT_SCALE,
    _ces_options,
    _csat_options,
)

__all__ = ["ConfidenceSequence", "SequentialTest", "confidence_sequence", "sequential_test"]

FloatArray = npt.NDArray[np.float64]
Metric = Literal["nps", "csat", "ces"]
METRICS: tuple[Metric, ...] = ("nps", "csat", "ces")
_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")
#: The options each metric takes besides the scores.
_METRIC_OPTIONS: dict[str, tuple[str, ...]] = {
    "nps": (),
    "csat": ("scale", "satisfied"),
    "ces": ("scale", "agree", "version"),
}


@dataclass(frozen=True)
class _Coding:
    """Per-respondent cells and the affine map of their [0, 1] values to the report scale."""

    cell: npt.NDArray[np.int64]
    unit_values: FloatArray
    offset: float
    span: float

    def to_report(self, unit: npt.ArrayLike) -> FloatArray:
        return self.offset + self.span * np.asarray(unit, dtype=np.float64)

    def to_unit(self, reported: float) -> float:
        return (reported - self.offset) / self.span


def _check_metric_options(metric: str, options: Mapping[str, object]) -> None:
    for name, value in options.items():
        if value is not None and name not in _METRIC_OPTIONS[metric]:
            users = [key for key, names in _METRIC_OPTIONS.items() if name in names]
            raise ValueError(f"`{name}` applies to metric={users[0]!r} only; got metric={metric!r}")


def _coding(scores: object, metric: Metric, options: Mapping[str, object]) -> _Coding:
    """Validate the scores for ``metric`` and code them as cells with values in [0, 1]."""
    _check_metric_options(metric, options)
    if metric == "nps":
        sample = check_integer_scores(scores, low=NPS_SCALE[0], high=NPS_SCALE[1])
        return _Coding(SCORE_BAND[sample.values], np.array([0.0, 0.5, 1.0]), -100.0, 200.0)
    if metric == "csat":
        scale, satisfied = _csat_options(
            CSAT_SCALE if options["scale"] is None else options["scale"],
            CSAT_SATISFIED if options["satisfied"] is None else options["satisfied"],
        )
        sample = check_integer_scores(scores, low=scale[0], high=scale[1])
        inside = (sample.values >= satisfied[0]) & (sample.values <= satisfied[1])
        return _Coding(inside.astype(np.int64), np.array([0.0, 1.0]), 0.0, 100.0)
    version = "2.0" if options["version"] is None else options["version"]
    _, scale, _ = _ces_options(version, options["scale"], options["agree"])
    sample = check_integer_scores(scores, low=scale[0], high=scale[1])
    span = float(scale[1] - scale[0])
    points = np.arange(scale[1] - scale[0] + 1, dtype=np.float64) / span
    offsets = (sample.values - scale[0]).astype(np.int64, copy=False)
    return _Coding(offsets, points, float(scale[0]), span)


def _period_labels(times: object, n: int) -> npt.NDArray[Any]:
    """Validate ``times``: one sortable label per score, none missing."""
    raw = times
    to_numpy = getattr(times, "to_numpy", None)
    if callable(to_numpy) and not isinstance(times, np.ndarray):
        raw = to_numpy()
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "M":
        if raw.ndim != 1:
            raise ValueError(f"`times` must be one-dimensional; got shape {raw.shape}")
        labels = raw
        missing = np.isnat(labels)
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            raise ValueError(f"`times` contains a missing value at position {position}")
    else:
        labels = as_1d_labels(times, name="times")
    if labels.shape[0] != n:
        raise ValueError(
            f"`times` must have the same length as `scores` ({n}); got {labels.shape[0]}"
        )
    return labels


def _looks(coding: _Coding, times: object) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64]]:
    """Look labels and the (looks, cells) count table: one look per response or period."""
    n_cells = coding.unit_values.shape[0]
    n = coding.cell.shape[0]
    if times is None:
        counts = np.zeros((n, n_cells))
        counts[np.arange(n), coding.cell] = 1.0
        return np.arange(1, n + 1), counts
    labels = _period_labels(times, n)
    try:
        periods, look = np.unique(labels, return_inverse=True)
    except TypeError as error:
        raise TypeError("`times` must be labels that can be sorted (one type)") from error
    flat = np.bincount(look.ravel() * n_cells + coding.cell, minlength=periods.shape[0] * n_cells)
    return periods, flat.reshape(periods.shape[0], n_cells).astype(np.float64)


@dataclass(frozen=True, repr=False, eq=False)
class ConfidenceSequence(TabularResult):
    """A running interval for a score that holds at every look at once.

    Attributes
    ----------
    time : numpy.ndarray
        The look: the response number 1, 2, ... or the period label.
    n : numpy.ndarray
        Responses up to and including each look.
    estimate : numpy.ndarray
        The score of the responses so far (NaN before the first response).
    low, high : numpy.ndarray
        The confidence sequence on the score's scale. The intervals are
        nested: each is inside the one before.
    metric : str
        "nps" (on -100..100), "csat" (on 0..100) or "ces" (the mean answer).
    method : str
        "betting" or "empirical-bernstein".
    confidence_level : float
        Probability that the true score lies in *every* interval of the
        sequence, however many looks.
    """

    time: npt.NDArray[Any]
    n: npt.NDArray[np.int64]
    estimate: FloatArray
    low: FloatArray
    high: FloatArray
    metric: str
    method: str
    confidence_level: float

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "metric",
        "method",
        "confidence_level",
        "looks",
        "interval",
    )

    @property
    def looks(self) -> int:
        """Number of looks (responses, or periods)."""
        return int(self.n.shape[0])

    @property
    def interval(self) -> ConfidenceInterval:
        """The interval at the last look."""
        return ConfidenceInterval(float(self.low[-1]), float(self.high[-1]))

    def _table(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "n": self.n,
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True, repr=False, eq=False)
class SequentialTest(TabularResult):
    """An anytime-valid test of a score against a baseline, at every look.

    Attributes
    ----------
    time, n, estimate : numpy.ndarray
        As in :class:`ConfidenceSequence`.
    e_values : numpy.ndarray
        The test's capital (e-process) after each look: how many times over
        a fair bet against "the score equals the baseline" has paid off.
    pvalues : numpy.ndarray
        Anytime-valid p-values, ``min(1, 1 / max e-value so far)``: at every
        look ``P(p <= a) <= a`` under the baseline, however the looks are
        chosen, so stopping at the first look with ``p <= a`` is allowed.
    baseline : float
        The score tested against, on the score's scale.
    alternative : str
        "two-sided", "greater" (the score is above the baseline) or "less".
    metric : str
        "nps", "csat" or "ces".
    confidence_level : float
        ``1 - alpha`` for :attr:`rejected` and :attr:`rejected_at`; it also
        tunes the bets.
    """

    time: npt.NDArray[Any]
    n: npt.NDArray[np.int64]
    estimate: FloatArray
    e_values: FloatArray
    pvalues: FloatArray
    baseline: float
    alternative: str
    metric: str
    confidence_level: float

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "metric",
        "baseline",
        "alternative",
        "looks",
        "pvalue",
        "rejected_at",
    )

    @property
    def looks(self) -> int:
        """Number of looks (responses, or periods)."""
        return int(self.n.shape[0])

    @property
    def pvalue(self) -> float:
        """The anytime-valid p-value at the last look."""
        return float(self.pvalues[-1])

    @property
    def rejected(self) -> bool:
        """Whether the p-value reached ``1 - confidence_level`` at some look."""
        return bool(self.pvalues[-1] <= 1.0 - self.confidence_level)

    @property
    def rejected_at(self) -> object:
        """The first look (its ``time``) at which the baseline was rejected, or None."""
        hits = np.flatnonzero(self.pvalues <= 1.0 - self.confidence_level)
        if hits.size == 0:
            return None
        value = self.time[hits[0]]
        return value.item() if isinstance(value, np.generic) and value.dtype.kind != "M" else value

    def _table(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "n": self.n,
            "estimate": self.estimate,
            "e_value": self.e_values,
            "pvalue": self.pvalues,
        }


def confidence_sequence(
    scores: object,
    /,
    *,
    metric: Metric = "nps",
    times: object = None,
    confidence_level: float = 0.95,
    method: SequenceMethod = "betting",
    scale: tuple[int, int] | None = None,
    satisfied: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str | None = None,
) -> ConfidenceSequence:
    """Compute a running interval for a score, valid however often it is looked at.

    An anytime-valid confidence sequence: with probability at least
    ``confidence_level`` the true score lies in the interval at *every* look
    at once, so the sequence may be checked after each response and acted on
    at any time (stopping, alarming) without inflating the error rate.

    Parameters
    ----------
    scores : array_like
        Raw answers in the order they arrived: 0..10 for NPS, answers on
        ``scale`` for CSAT and CES (validated as by :func:`nps`, :func:`csat`
        and :func:`ces`; a missing answer is an error).
    metric : {"nps", "csat", "ces"}, default "nps"
        The score: NPS on -100..100, CSAT on 0..100, or the CES mean on its
        scale.
    times : array_like, optional
        A period label per answer (integers, strings such as ``"2024-05"``,
        dates). Given, there is one look per period, in sorted order of the
        labels, and a period's answers enter together (their order inside
        the period does not matter). By default every answer is a look.
    confidence_level : float, default 0.95
        Probability that the whole sequence covers the true score.
    method : {"betting", "empirical-bernstein"}, default "betting"
        "betting": the hedged capital process with predictable plug-in bets
        of Waudby-Smith & Ramdas (2024, "Estimating means of bounded random
        variables by betting", JRSS-B 86(1)), much the narrower early on.
        "empirical-bernstein": the closed-form empirical-Bernstein sequence
        of Howard, Ramdas, McAuliffe & Sekhon (2021, "Time-uniform,
        nonparametric, nonasymptotic confidence sequences", Annals of
        Statistics 49(2)), with the plug-in bets of Waudby-Smith & Ramdas;
        slightly narrower after thousands of answers.
    scale, satisfied : tuple of int, optional
        CSAT only: as in :func:`csat` (default 1..5, satisfied 4-5).
    agree, version : optional
        CES only, with ``scale``: as in :func:`ces` (default CES 2.0 on 1..7).

    Returns
    -------
    ConfidenceSequence
        One row per look (``to_frame()``); ``interval`` is the latest.

    Raises
    ------
    ValueError
        For answers outside the scale, an option of another metric, ``times``
        of the wrong length or with missing labels, an unknown metric or
        method, or a confidence level outside (0, 1).
    TypeError
        For non-numeric answers or labels that cannot be sorted together.

    See Also
    --------
    sequential_test : the same construction as a test against a baseline.

    Notes
    -----
    The score is the mean of a per-respondent value with a known range: the
    NPS code -1/0/+1, the satisfied indicator 0/1, the CES answer. A
    confidence sequence for a bounded mean needs no other assumption than
    independent answers with a common mean; with ``times`` also that how
    many answer in a period does not depend on what they answer. Survey
    weights are not taken: the guarantee is for answers counted once each.
    The intervals are nested (running intersection) and wider than a fixed-n
    interval at the same n (about 2.4 times at n = 10,000; the guide "NPS
    over time" has the simulation), the price of being valid at every look.

    Cost: "betting" evaluates the capital on a grid of 1001 candidate means
    (limits are widened by one grid step, 0.2 NPS points), about 0.1 µs per
    look, occupied cell and grid point: a second for 10,000 single-response
    looks, milliseconds for 24 monthly looks of any size.
    "empirical-bernstein" is closed-form, O(looks x cells).

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> rng = np.random.default_rng(7)
    >>> scores = rng.choice([3, 8, 10], size=2000, p=[0.25, 0.35, 0.4])
    >>> sequence = lm.confidence_sequence(scores)
    >>> sequence.looks, sequence.interval
    (2000, ConfidenceInterval(low=8.0, high=23.2))
    >>> sequence.to_frame().iloc[[99, 999]].round(1)
         time     n  estimate   low  high
    99    100   100       9.0 -9.2  39.0
    999  1000  1000      13.9  5.2  25.2
    >>> months = np.repeat(["2024-01", "2024-02", "2024-03", "2024-04"], 500)
    >>> lm.confidence_sequence(scores, times=months).interval
    ConfidenceInterval(low=9.2, high=21.6)
    """
    chosen = check_choice(metric, name="metric", choices=METRICS)
    level = check_confidence_level(confidence_level)
    how = check_choice(method, name="method", choices=SEQUENCE_METHODS)
    options = {"scale": scale, "satisfied": satisfied, "agree": agree, "version": version}
    coding = _coding(scores, chosen, options)
    labels, counts = _looks(coding, times)
    bounds = confidence_sequence_bounds(
        counts, coding.unit_values, confidence_level=level, method=how
    )
    return ConfidenceSequence(
        time=labels,
        n=bounds.n,
        estimate=coding.to_report(bounds.estimate),
        low=coding.to_report(bounds.low),
        high=coding.to_report(bounds.high),
        metric=chosen,
        method=how,
        confidence_level=level,
    )


def _check_baseline(baseline: object, coding: _Coding) -> float:
    if not is_real_number(baseline):
        raise TypeError(f"`baseline` must be a number on the score's scale; got {baseline!r}")
    value = float(baseline)
    low, high = coding.to_report(0.0), coding.to_report(1.0)
    if not (np.isfinite(value) and low <= value <= high):
        raise ValueError(f"`baseline` must lie in {low:g}..{high:g}; got {baseline!r}")
    return value


def sequential_test(
    scores: object,
    /,
    *,
    baseline: float,
    metric: Metric = "nps",
    times: object = None,
    alternative: Alternative = "two-sided",
    confidence_level: float = 0.95,
    scale: tuple[int, int] | None = None,
    satisfied: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str | None = None,
) -> SequentialTest:
    """Test "has the score changed from a baseline?", valid after every response.

    An anytime-valid p-value: it may be computed after each response (or
    period), and the first time it falls to ``alpha`` the change may be
    declared, with a false-alarm probability of at most ``alpha`` over the
    whole monitoring, however long.

    Parameters
    ----------
    scores : array_like
        Raw answers in the order they arrived, as in :func:`confidence_sequence`.
    baseline : float
        The score before (a target, last year's figure), on the score's
        scale: -100..100 for NPS, 0..100 for CSAT, the answer scale for CES.
    metric : {"nps", "csat", "ces"}, default "nps"
        The score tested.
    times : array_like, optional
        A period label per answer; one look per period (see
        :func:`confidence_sequence`).
    alternative : {"two-sided", "greater", "less"}, default "two-sided"
        "greater": the score has risen above the baseline; "less": fallen
        below it; "two-sided": either.
    confidence_level : float, default 0.95
        ``1 - alpha`` for :attr:`SequentialTest.rejected`; it also tunes the
        bets (the p-values are valid at every level).
    scale, satisfied, agree, version : optional
        The metric's scale options, as in :func:`confidence_sequence`.

    Returns
    -------
    SequentialTest
        The e-value and anytime p-value after each look.

    Raises
    ------
    ValueError
        For a baseline outside the score's range, and as
        :func:`confidence_sequence`.
    TypeError
        For a baseline that is not a number, and as :func:`confidence_sequence`.

    Notes
    -----
    The e-process is the betting capital of Waudby-Smith & Ramdas (2024,
    JRSS-B 86(1)) at the baseline mean, with their predictable plug-in
    bets: ``(K+ + K-) / 2`` two-sided, ``K+`` for "greater", ``K-`` for
    "less". By Ville's inequality it exceeds ``1 / alpha`` at any look with
    probability at most alpha when the score equals the baseline, so the
    p-value ``min(1, 1 / max e-value so far)`` is valid at every look. The
    two-sided test rejects at a look exactly when the baseline has left the
    betting :func:`confidence_sequence` (at the same level), up to that
    sequence's grid step. Cost O(looks x cells). As for
    :func:`confidence_sequence`, the answers are unweighted.

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> rng = np.random.default_rng(7)
    >>> scores = rng.choice([3, 8, 10], size=2000, p=[0.25, 0.35, 0.4])
    >>> test = lm.sequential_test(scores, baseline=0.0)
    >>> test.rejected, test.rejected_at
    (True, 296)
    >>> round(test.pvalue, 6)
    2e-06
    >>> lm.sequential_test(scores, baseline=15.0).rejected
    False
    """
    chosen = check_choice(metric, name="metric", choices=METRICS)
    level = check_confidence_level(confidence_level)
    side = check_choice(alternative, name="alternative", choices=_ALTERNATIVES)
    options = {"scale": scale, "satisfied": satisfied, "agree": agree, "version": version}
    coding = _coding(scores, chosen, options)
    target = _check_baseline(baseline, coding)
    labels, counts = _looks(coding, times)
    e_values, running = betting_evalues(
        counts,
        coding.unit_values,
        coding.to_unit(target),
        confidence_level=level,
        alternative=side,
    )
    n = np.cumsum(counts.sum(axis=1)).astype(np.int64)
    running_sum = np.cumsum(counts @ coding.unit_values)
    mean = np.divide(running_sum, n, out=np.full(n.shape, np.nan), where=n > 0)
    return SequentialTest(
        time=labels,
        n=n,
        estimate=coding.to_report(mean),
        e_values=e_values,
        pvalues=np.minimum(1.0, 1.0 / running),
        baseline=target,
        alternative=side,
        metric=chosen,
        confidence_level=level,
    )
