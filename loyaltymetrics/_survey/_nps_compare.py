"""Comparing the NPS of two independent samples."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._intervals import BOOTSTRAP_METHODS, Alternative
from loyaltymetrics._engine._means import (
    BOOTSTRAP_DIFFERENCES,
    BootstrapEngine,
    PairedSample,
    check_comparison_options,
    check_paired,
    paired_difference,
    paired_means,
    paired_table,
)
from loyaltymetrics._engine._results import Comparison, ConfidenceInterval
from loyaltymetrics._engine._validation import (
    NanPolicy,
    check_nan_policy,
)
from loyaltymetrics._survey._nps import NPS_SCALE, SCORE_BAND, NPSResult, nps_named
from loyaltymetrics._survey._nps_inference import (
    ADJUSTMENT,
    DIFFERENCE_METHODS,
    DifferenceMethod,
    nps_difference,
    nps_means,
)

__all__ = ["NPSComparison", "compare_nps"]


@dataclass(frozen=True, repr=False)
class NPSComparison(Comparison):
    """Difference between the NPS of two samples, with a test.

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
    paired : bool
        True when ``a`` and ``b`` are two answers of the same respondents
        (``compare_nps(..., paired=True)``), False for independent samples.
    """

    paired: bool = False


#: Pseudo-respondents of the paired adjusted Wald interval: Rocks's 3/4, 3/2, 3/4
#: spread over the 3 x 3 table as independent answers, ``a_i a_j / 3``, so that each
#: margin receives exactly the pseudo-respondents of the single score.
PAIRED_ADJUSTMENT = (np.outer(ADJUSTMENT, ADJUSTMENT) / ADJUSTMENT.sum()).reshape(-1)


def _as_result(sample: object, name: str, nan_policy: NanPolicy) -> NPSResult:
    if isinstance(sample, NPSResult):
        return sample
    return nps_named(sample, name=name, nan_policy=nan_policy)


def compare_nps(
    a: NPSResult | npt.ArrayLike,
    b: NPSResult | npt.ArrayLike,
    /,
    *,
    paired: bool = False,
    confidence_level: float = 0.95,
    method: DifferenceMethod = "adjusted-wald",
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
    engine: BootstrapEngine = "count",
    nan_policy: NanPolicy = "raise",
) -> NPSComparison:
    """Compare the Net Promoter Scores of two samples, independent or paired.

    Parameters
    ----------
    a, b : array_like or NPSResult
        Raw 0..10 scores (validated as by :func:`nps`), or results of
        :func:`nps` / :func:`nps_from_counts` (which may be weighted or have
        omitted missing values). With ``paired=True``, raw scores only: row
        i of ``a`` and row i of ``b`` are the same respondent's two answers.
    paired : bool, default False
        False: ``a`` and ``b`` are independent samples. True: they are the
        same respondents answering twice (panel data, before and after); the
        comparison is made on the 3 x 3 table of (band in ``a``, band in
        ``b``) counts, whose correlation narrows the interval.
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : {"adjusted-wald", "wald", "percentile", "basic", "bca"}
        "adjusted-wald" (default): each sample gets the adjusted-Wald
        pseudo-respondents (3/4 detractor, 3/2 passive, 3/4 promoter), then
        a z test and interval with the unpooled standard error. "wald": the
        same on the observed counts. "percentile", "basic", "bca": bootstrap
        of the two samples' band counts; the p-value inverts the bootstrap
        interval. Paired, see the Notes.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis about ``NPS(a) - NPS(b)``.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.
    engine : {"count", "scipy"}, default "count"
        For the bootstrap methods: "count" resamples the band counts (of
        each sample, or of the paired table); "scipy" runs
        ``scipy.stats.bootstrap`` on the respondent rows rebuilt from them
        (each sample on its own, weighted rows keeping their weights; paired
        rows with ``paired=True``). Both are the same row bootstrap and agree
        within Monte-Carlo error; the bootstrap interval carries its
        ``bootstrap_distribution`` and ``standard_error``.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        Missing raw scores, as in :func:`nps`; paired, per respondent:
        "omit" drops every respondent with a missing answer in either
        sample. A NaN score ("propagate") is an error: the comparison needs
        both scores.

    Returns
    -------
    NPSComparison

    Raises
    ------
    ValueError
        For invalid scores, a result whose score is NaN, an invalid option,
        ``engine="scipy"`` with a non-bootstrap method, or paired samples of
        different lengths.
    TypeError
        For arguments of the wrong type, and results with ``paired=True``.

    See Also
    --------
    NPSResult.confidence_interval : interval for one score.

    Notes
    -----
    Paired samples (``paired=True``): the difference is the mean of each
    respondent's change of code d = v(a) - v(b), v being -1, 0, 1 for a
    detractor, passive, promoter, so it equals ``nps(a).score -
    nps(b).score``. "wald" uses the multinomial standard error of the 3 x 3
    table, ``sd(d) / sqrt(n)`` (``ddof=0``); "adjusted-wald" first adds
    Rocks's pseudo-respondents spread over the table as independent answers
    (cell (i, j) gets ``a_i a_j / 3``, so each margin gets 3/4, 3/2, 3/4),
    the construction of Agresti & Min (2005) for paired proportions; the
    bootstrap methods draw multinomial resamples of the 3 x 3 table (BCa's
    jackknife on its cells). When every respondent answers in the same
    band twice, d is 0 for everyone: "wald" and the bootstrap give the
    zero-width interval [0, 0] with statistic 0 and p-value 1 (0.5
    one-sided), "adjusted-wald" a proper interval around 0.

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

    The same respondents before and after a change:

    >>> before = [9, 7, 3, 10, 6, 8, 9, 5, 10, 7]
    >>> after = [10, 9, 6, 10, 7, 9, 9, 6, 10, 8]
    >>> change = lm.compare_nps(after, before, paired=True, method="wald")
    >>> change.difference, change.paired
    (30.0, True)
    >>> change.confidence_interval()
    ConfidenceInterval(low=1.59742, high=58.4026)
    """
    checked = check_comparison_options(
        method, DIFFERENCE_METHODS, alternative, confidence_level, n_resamples, rng, engine
    )
    name, side, level, resamples, generator, chosen_engine = checked
    chosen = cast("DifferenceMethod", name)
    policy = check_nan_policy(nan_policy)
    if check_paired(paired):
        counts, _, undefined = paired_table(
            a,
            b,
            low=NPS_SCALE[0],
            high=NPS_SCALE[1],
            answer_of_score=SCORE_BAND,
            nan_policy=policy,
        )
        if undefined:
            raise ValueError(
                "`a` or `b` has a missing score (missing values were propagated); "
                "`compare_nps` needs both scores"
            )
        return _compare_paired(
            paired_means(counts, [-1.0, 0.0, 1.0], factor=100.0, snap=9), **checked._asdict()
        )
    first = _as_result(a, "a", policy)
    second = _as_result(b, "b", policy)
    for result, name in ((first, "a"), (second, "b")):
        if result.score != result.score:
            raise ValueError(
                f"`{name}` has a NaN score (missing values were propagated); "
                "`compare_nps` needs both scores"
            )
    recompute = partial(compare_nps, first, second, **checked.stored())
    options: dict[str, Any] = {
        "confidence_level": level,
        "method": chosen,
        "alternative": side,
        "n_resamples": resamples,
        "rng": generator,
    }
    if chosen not in BOOTSTRAP_METHODS:
        test = nps_difference(first._cell_table(), second._cell_table(), **options)
        return _comparison(test, None, chosen, side, recompute, paired=False)
    # The bootstrap of either engine, with its distribution (nps_difference's
    # count bootstrap, and the scipy one on the rows).
    sample_a, sample_b = nps_means(first._cell_table()), nps_means(second._cell_table())
    difference = sample_a.statistic(sample_a.count) - sample_b.statistic(sample_b.count)
    test, interval = BOOTSTRAP_DIFFERENCES[chosen_engine](sample_a, sample_b, difference, **options)
    return _comparison(test, interval, chosen, side, recompute, paired=False)


def _comparison(
    test: tuple[object, ...],
    interval: ConfidenceInterval | None,
    method: str,
    alternative: Alternative,
    recompute: partial[NPSComparison],
    *,
    paired: bool,
) -> NPSComparison:
    """Build the NPSComparison of a test's arrays, the interval clipped to [-200, 200] points."""
    difference, low, high, statistic, pvalue = (float(np.ravel(x)[0]) for x in test)  # type: ignore[call-overload]
    low, high = (float(np.clip(limit, -200.0, 200.0)) for limit in (low, high))
    clipped = (
        ConfidenceInterval(low, high) if interval is None else replace(interval, low=low, high=high)
    )
    return NPSComparison(
        difference=difference,
        interval=clipped,
        statistic=statistic,
        pvalue=pvalue,
        method=method,
        alternative=alternative,
        paired=paired,
        _recompute=recompute,
    )


def _compare_paired(sample: PairedSample, **options: Any) -> NPSComparison:
    """Compare the two answers of a 3 x 3 table.

    ``options`` are those of :func:`compare_nps`, all given (``rng`` aside),
    and validated here, so that the comparison can be recomputed.
    """
    checked = check_comparison_options(
        options["method"],
        DIFFERENCE_METHODS,
        options["alternative"],
        options["confidence_level"],
        options["n_resamples"],
        options.get("rng"),
        options["engine"],
    )
    name, side, level, resamples, generator, chosen_engine = checked
    chosen = cast("DifferenceMethod", name)
    test, interval = paired_difference(
        sample,
        method=chosen,
        confidence_level=level,
        alternative=side,
        n_resamples=resamples,
        rng=generator,
        engine=chosen_engine,
        pseudo_counts=PAIRED_ADJUSTMENT,
    )
    recompute = partial(_compare_paired, sample, **checked.stored())
    return _comparison(test, interval, chosen, side, recompute, paired=True)
