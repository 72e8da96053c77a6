"""Comparing the CSAT or CES of two independent samples."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import Alternative
from loyaltymetrics._engine._results import Comparison, ConfidenceInterval
from loyaltymetrics._engine._validation import (
    check_choice,
    check_confidence_level,
    check_n_resamples,
    check_rng,
    check_scale,
    check_scale_range,
)
from loyaltymetrics._survey._satisfaction import (
    CES_VERSIONS,
    CSAT_SATISFIED,
    CSAT_SCALE,
    CESResult,
    CSATResult,
    ces_named,
    csat_named,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_DIFFERENCE_METHODS,
    SHARE_DIFFERENCE_METHODS,
    MeanDifferenceMethod,
    ShareDifferenceMethod,
    mean_difference,
    share_difference,
)

__all__ = ["CESComparison", "CSATComparison", "compare_ces", "compare_csat"]

_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")
_ESTIMANDS = ("mean", "agree_share")


@dataclass(frozen=True, repr=False)
class CSATComparison(Comparison):
    """Difference between the CSAT of two independent samples, with a test.

    Attributes
    ----------
    difference : float
        ``CSAT(a) - CSAT(b)`` in score points (-100..100).
    interval : ConfidenceInterval
        Interval for the difference, within [-100, 100]; the open side of a
        one-sided interval is -100 or 100.
    statistic : float
        z statistic: the pooled (score) test for "newcombe", the unpooled
        Wald test for "wald", the difference over its bootstrap standard
        error for the bootstrap methods.
    pvalue : float
        p-value of the null hypothesis of equal satisfied shares, against
        ``alternative``; for the bootstrap methods, that of the test which
        inverts the bootstrap interval.
    method : str
        The method used.
    alternative : str
        "two-sided", "less" (CSAT(a) < CSAT(b)) or "greater".
    """


@dataclass(frozen=True, repr=False)
class CESComparison(Comparison):
    """Difference between the CES of two independent samples, with a test.

    Attributes
    ----------
    difference : float
        ``a - b``: of the mean answers (in scale points) for ``of="mean"``,
        of the agree shares (in score points, -100..100) for
        ``of="agree_share"``.
    interval : ConfidenceInterval
        Interval for the difference, within the possible range (the scale
        width for means, 100 for shares), which is also the open side of a
        one-sided interval.
    statistic : float
        Welch's t for "welch"; a z statistic for the share methods and the
        bootstrap (difference over its bootstrap standard error).
    pvalue : float
        p-value of the null hypothesis of no difference, against
        ``alternative``; for the bootstrap methods, that of the test which
        inverts the bootstrap interval.
    method : str
        The method used.
    alternative : str
        "two-sided", "less" (a < b) or "greater".
    of : str
        "mean" or "agree_share": what was compared.
    """

    of: str = "mean"


def _csat_sample(sample: object, name: str, scale: object, satisfied: object) -> CSATResult:
    if isinstance(sample, CSATResult):
        return sample
    return csat_named(
        sample,
        name=name,
        scale=CSAT_SCALE if scale is None else scale,
        satisfied=CSAT_SATISFIED if satisfied is None else satisfied,
    )


def _ces_sample(sample: object, name: str, scale: object, agree: object, version: str) -> CESResult:
    if isinstance(sample, CESResult):
        return sample
    return ces_named(sample, name=name, scale=scale, agree=agree, version=version)


def _check_same(
    a: CSATResult | CESResult,
    b: CSATResult | CESResult,
    requested: dict[str, object],
) -> None:
    """Both samples must share one definition, and be on the requested one if given.

    ``requested`` maps attribute names ("scale", "satisfied", "agree",
    "version") to the caller's value or None.
    """
    for attribute, wanted in requested.items():
        first, second = getattr(a, attribute), getattr(b, attribute)
        if first != second:
            raise ValueError(
                f"`a` and `b` must have the same {attribute}; got {first!r} and {second!r}"
            )
        if wanted is None:
            continue
        if attribute == "scale":
            checked: object = check_scale(wanted)
        elif attribute == "version":
            checked = wanted
        else:
            checked = check_scale_range(wanted, name=attribute, scale=a.scale)
        if checked != first:
            raise ValueError(
                f"`{attribute}` is {checked!r} but the samples were computed with {first!r}"
            )


def _comparison_options(
    method: object,
    methods: tuple[str, ...],
    alternative: object,
    confidence_level: object,
    n_resamples: object,
    rng: object,
) -> tuple[str, Alternative, float, int, np.random.Generator]:
    chosen = check_choice(method, name="method", choices=methods)
    side = check_choice(alternative, name="alternative", choices=_ALTERNATIVES)
    level = check_confidence_level(confidence_level)
    resamples, generator = check_n_resamples(n_resamples), check_rng(rng)
    if side != "two-sided" and chosen == "newcombe" and level <= 0.5:
        raise ValueError(
            "`confidence_level` must exceed 0.5 for a one-sided Newcombe interval; "
            f"got {confidence_level!r}"
        )
    return chosen, side, level, resamples, generator


def _cells_of(result: CSATResult | CESResult) -> CellTable:
    cells = result._cells
    assert cells is not None  # every constructor of a result stores its cells
    return cells


def _compare(
    a: CSATResult | CESResult,
    b: CSATResult | CESResult,
    band: tuple[int, int] | None,
    *,
    estimate: float,
    method: str,
    alternative: str,
    confidence_level: float,
    n_resamples: int,
    rng: object,
) -> dict[str, Any]:
    """Fields of a comparison of the shares in ``band``, or of the means if None.

    ``estimate`` is one of the two estimates; if either is NaN, so is every
    numeric field. Shares are reported in points (x 100) within [-100, 100],
    means within plus or minus the scale width.
    """
    methods = MEAN_DIFFERENCE_METHODS if band is None else SHARE_DIFFERENCE_METHODS
    chosen, side, level, resamples, generator = _comparison_options(
        method, methods, alternative, confidence_level, n_resamples, rng
    )
    fields: dict[str, Any] = {"method": chosen, "alternative": side}
    undefined = np.isnan(estimate) or a._cells is None or b._cells is None
    if undefined:
        nan = float("nan")
        return fields | {
            "difference": nan,
            "interval": ConfidenceInterval(nan, nan),
            "statistic": nan,
            "pvalue": nan,
        }
    first = a.scale[0]
    options: dict[str, Any] = {
        "confidence_level": level,
        "method": chosen,
        "alternative": side,
        "n_resamples": resamples,
        "rng": generator,
    }
    if band is None:
        outputs = mean_difference(_cells_of(a), _cells_of(b), offset=first, **options)
        factor, bound = 1.0, float(a.scale[1] - first)
    else:
        outputs = share_difference(
            _cells_of(a),
            _cells_of(b),
            in_range=(band[0] - first, band[1] - first),
            **options,
        )
        factor, bound = 100.0, 100.0
    difference, low, high, statistic, pvalue = (float(np.ravel(x)[0]) for x in outputs)
    return fields | {
        "difference": factor * difference,
        "interval": ConfidenceInterval(
            float(np.clip(factor * low, -bound, bound)),
            float(np.clip(factor * high, -bound, bound)),
        ),
        "statistic": statistic,
        "pvalue": pvalue,
    }


def compare_csat(
    a: CSATResult | npt.ArrayLike,
    b: CSATResult | npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] | None = None,
    satisfied: tuple[int, int] | None = None,
    confidence_level: float = 0.95,
    method: ShareDifferenceMethod = "newcombe",
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
) -> CSATComparison:
    """Compare the CSAT of two independent samples.

    Parameters
    ----------
    a, b : array_like or CSATResult
        Raw answers (validated as by :func:`csat`, missing values an error),
        or results of :func:`csat` / :func:`csat_from_counts` (which may be
        weighted or have omitted missing values).
    scale, satisfied : tuple of int, optional
        The definition for raw answers (default (1, 5) and (4, 5)). Results
        must share one definition; if given, it must be theirs.
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : {"newcombe", "wald", "percentile", "basic", "bca"}, default "newcombe"
        "newcombe": Newcombe's hybrid score interval (Newcombe 1998, method
        10), with the pooled two-proportion z test (the score test, equal to
        Pearson's chi-square test of the 2x2 table). "wald": difference ± z
        standard error, unpooled, with the matching z test. Bootstrap
        methods: the two samples' counts resampled independently; the
        statistic is the difference over its bootstrap standard error and the
        p-value inverts the bootstrap interval (as in :func:`compare_nps`).
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis: "greater" means CSAT(a) > CSAT(b).
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.

    Returns
    -------
    CSATComparison
        The difference in score points, its interval, test statistic and
        p-value. NaN fields if either score is NaN.

    Raises
    ------
    ValueError
        For invalid answers, results on different scales or satisfied ranges,
        an unknown method or alternative, or a confidence level outside (0, 1)
        (above 0.5 for one-sided Newcombe intervals).
    TypeError
        For arguments of the wrong type.

    Notes
    -----
    The significance test and the interval come from different
    constructions, so at the margin a p-value just below 0.05 can come with
    a 95% interval that just includes 0. Weighted samples use Kish's
    effective sample sizes.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> before = lm.csat_from_counts([8, 10, 22, 35, 25])
    >>> after = lm.csat_from_counts([5, 7, 18, 40, 30])
    >>> comparison = lm.compare_csat(after, before)
    >>> round(comparison.difference, 6), comparison.confidence_interval()
    (10.0, ConfidenceInterval(low=-3.18904, high=22.7172))
    >>> round(comparison.statistic, 4), round(comparison.pvalue, 4)
    (1.4825, 0.1382)
    >>> round(lm.compare_csat(after, before, alternative="greater").pvalue, 4)
    0.0691
    """
    a_result = _csat_sample(a, "a", scale, satisfied)
    b_result = _csat_sample(b, "b", scale, satisfied)
    _check_same(a_result, b_result, {"scale": scale, "satisfied": satisfied})
    fields = _compare(
        a_result,
        b_result,
        a_result.satisfied,
        estimate=a_result.score + b_result.score,
        method=method,
        alternative=alternative,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        rng=rng,
    )
    recompute = partial(
        compare_csat,
        a_result,
        b_result,
        confidence_level=confidence_level,
        method=fields["method"],
        alternative=fields["alternative"],
        n_resamples=n_resamples,
    )
    return CSATComparison(**fields, _recompute=recompute)


def compare_ces(
    a: CESResult | npt.ArrayLike,
    b: CESResult | npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str = "2.0",
    of: str = "mean",
    confidence_level: float = 0.95,
    method: MeanDifferenceMethod | ShareDifferenceMethod | None = None,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
) -> CESComparison:
    """Compare the CES of two independent samples: the means, or the agree shares.

    Parameters
    ----------
    a, b : array_like or CESResult
        Raw answers (validated as by :func:`ces`, missing values an error),
        or results of :func:`ces` / :func:`ces_from_counts`.
    scale, agree, version
        The definition for raw answers, as in :func:`ces`. Results must share
        one definition; ``scale`` and ``agree``, if given, must be theirs.
    of : {"mean", "agree_share"}, default "mean"
        Compare the mean answers or the agree shares.
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : str, optional
        For means: "welch" (default; Welch's unequal-variance t test and
        interval, Welch 1947) or a bootstrap method "percentile", "basic",
        "bca". For shares: "newcombe" (default), "wald" or a bootstrap method,
        as in :func:`compare_csat`.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        "greater" means a > b. For the original CES (lower effort is better) a
        mean greater than b's is *worse*.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.

    Returns
    -------
    CESComparison
        The difference (scale points for means, score points for shares), its
        interval, statistic and p-value. NaN fields if either estimate is NaN.

    Raises
    ------
    ValueError
        For invalid answers, results with different definitions, an unknown
        ``of``, method or alternative, or a confidence level outside (0, 1).
    TypeError
        For arguments of the wrong type.

    Notes
    -----
    Welch's test equals ``scipy.stats.ttest_ind(a, b, equal_var=False)`` on
    the raw answers, interval included. With weights, each mean's standard
    error is the linearised one and the degrees of freedom are
    Welch-Satterthwaite's with n - 1 per sample.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> old = lm.ces_from_counts([4, 6, 10, 15, 25, 25, 15])
    >>> new = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
    >>> comparison = lm.compare_ces(new, old)
    >>> round(comparison.difference, 4), comparison.confidence_interval()
    (0.67, ConfidenceInterval(low=0.241695, high=1.09831))
    >>> round(comparison.pvalue, 5)
    0.00233
    >>> lm.compare_ces(new, old, of="agree_share").difference
    15.0
    """
    target = check_choice(of, name="of", choices=_ESTIMANDS)
    chosen_version = check_choice(version, name="version", choices=CES_VERSIONS)
    a_result = _ces_sample(a, "a", scale, agree, chosen_version)
    b_result = _ces_sample(b, "b", scale, agree, chosen_version)
    _check_same(a_result, b_result, {"version": None, "scale": scale, "agree": agree})
    default = "welch" if target == "mean" else "newcombe"
    fields = _compare(
        a_result,
        b_result,
        None if target == "mean" else a_result.agree,
        estimate=a_result.mean + b_result.mean,
        method=default if method is None else method,
        alternative=alternative,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        rng=rng,
    )
    recompute = partial(
        compare_ces,
        a_result,
        b_result,
        of=target,
        confidence_level=confidence_level,
        method=fields["method"],
        alternative=fields["alternative"],
        n_resamples=n_resamples,
    )
    return CESComparison(of=target, **fields, _recompute=recompute)
