"""Comparing the NPS of two independent samples."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy.typing as npt

from loyaltymetrics._engine._intervals import Alternative
from loyaltymetrics._engine._results import Comparison, ConfidenceInterval
from loyaltymetrics._engine._validation import (
    check_choice,
    check_confidence_level,
    check_n_resamples,
    check_rng,
)
from loyaltymetrics._survey._nps import NPSResult, nps_named
from loyaltymetrics._survey._nps_inference import (
    DIFFERENCE_METHODS,
    DifferenceMethod,
    nps_difference,
)

__all__ = ["NPSComparison", "compare_nps"]

_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")


@dataclass(frozen=True, repr=False)
class NPSComparison(Comparison):
    """Difference between the NPS of two independent samples, with a test.

    Attributes
    ----------
    difference : float
        ``NPS(a) - NPS(b)`` in NPS points (-200..200).
    interval : ConfidenceInterval
        Interval for the difference, clipped to [-200, 200]; the open side of
        a one-sided interval is -200 or 200. ``confidence_interval()``
        returns it, or recomputes it at another level or by another method.
    statistic : float
        z statistic: the (adjusted, for "adjusted-wald") difference over its
        standard error; for bootstrap methods the difference over the
        bootstrap standard error.
    pvalue : float
        p-value of the null hypothesis that the two population scores are
        equal, against ``alternative``.
    method : str
        The method used.
    alternative : str
        "two-sided", "less" (NPS(a) < NPS(b)) or "greater".
    """


def _as_result(sample: object, name: str) -> NPSResult:
    if isinstance(sample, NPSResult):
        return sample
    return nps_named(sample, name=name)


def compare_nps(
    a: NPSResult | npt.ArrayLike,
    b: NPSResult | npt.ArrayLike,
    /,
    *,
    confidence_level: float = 0.95,
    method: DifferenceMethod = "adjusted-wald",
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
) -> NPSComparison:
    """Compare the Net Promoter Scores of two independent samples.

    Parameters
    ----------
    a, b : array_like or NPSResult
        Raw 0..10 scores (validated as by :func:`nps`, with missing values an
        error), or results of :func:`nps` / :func:`nps_from_counts` (which may
        be weighted or have omitted missing values).
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : {"adjusted-wald", "wald", "percentile", "basic", "bca"}
        "adjusted-wald" (default): each sample gets the adjusted-Wald
        pseudo-respondents (3/4 detractor, 3/2 passive, 3/4 promoter), then
        a z test and interval with the unpooled standard error. "wald": the
        same on the observed counts. "percentile", "basic", "bca": bootstrap
        of the two samples' band counts; the p-value inverts the bootstrap
        interval.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis about ``NPS(a) - NPS(b)``.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.

    Returns
    -------
    NPSComparison

    Raises
    ------
    ValueError
        For invalid scores, a result whose score is NaN, or an invalid option.
    TypeError
        For arguments of the wrong type.

    See Also
    --------
    NPSResult.confidence_interval : interval for one score.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> this_quarter = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
    >>> last_quarter = lm.nps_from_counts(detractors=30, passives=30, promoters=40)
    >>> result = lm.compare_nps(this_quarter, last_quarter)
    >>> result.difference
    20.0
    >>> result.confidence_interval()
    ConfidenceInterval(low=-2.5516, high=41.3865)
    >>> round(result.pvalue, 4)
    0.0832
    >>> lm.compare_nps(this_quarter, last_quarter, alternative="greater").pvalue < 0.05
    True
    """
    level = check_confidence_level(confidence_level)
    chosen = check_choice(method, name="method", choices=DIFFERENCE_METHODS)
    side = check_choice(alternative, name="alternative", choices=_ALTERNATIVES)
    resamples = check_n_resamples(n_resamples)
    generator = check_rng(rng)
    first = _as_result(a, "a")
    second = _as_result(b, "b")
    for result, name in ((first, "a"), (second, "b")):
        if result.score != result.score:
            raise ValueError(
                f"`{name}` has a NaN score (missing values were propagated); "
                "`compare_nps` needs both scores"
            )
    difference, low, high, statistic, pvalue = nps_difference(
        first._cell_table(),
        second._cell_table(),
        confidence_level=level,
        method=chosen,
        alternative=side,
        n_resamples=resamples,
        rng=generator,
    )
    return NPSComparison(
        difference=float(difference),
        interval=ConfidenceInterval(float(low), float(high)),
        statistic=float(statistic),
        pvalue=float(pvalue),
        method=chosen,
        alternative=side,
        _recompute=partial(
            compare_nps,
            first,
            second,
            confidence_level=level,
            method=chosen,
            alternative=side,
            n_resamples=resamples,
        ),
    )
