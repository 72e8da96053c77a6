"""Comparing the CSAT or CES of two samples, independent or paired."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import BOOTSTRAP_METHODS, Alternative
from loyaltymetrics._engine._means import (
    BOOTSTRAP_DIFFERENCES,
    BootstrapEngine,
    CellMeans,
    Difference,
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
    check_choice,
    check_nan_policy,
    check_scale,
    check_scale_range,
)
from loyaltymetrics._survey._satisfaction import (
    CES_VERSIONS,
    CSAT_SATISFIED,
    CSAT_SCALE,
    CESResult,
    CSATResult,
    _ces_options,
    _csat_options,
    ces_named,
    csat_named,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_DIFFERENCE_METHODS,
    SHARE_DIFFERENCE_METHODS,
    MeanDifferenceMethod,
    ShareDifferenceMethod,
    in_range_values,
    mean_difference,
    score_values,
    share_difference,
)

__all__ = ["CESComparison", "CSATComparison", "compare_ces", "compare_csat"]

_ESTIMANDS = ("mean", "agree_share")
PairedShareMethod = Literal["adjusted-wald", "wald", "percentile", "basic", "bca"]
PairedMeanMethod = Literal["t", "percentile", "basic", "bca"]
PAIRED_SHARE_METHODS: tuple[PairedShareMethod, ...] = ("adjusted-wald", "wald", *BOOTSTRAP_METHODS)
PAIRED_MEAN_METHODS: tuple[PairedMeanMethod, ...] = ("t", *BOOTSTRAP_METHODS)
#: Agresti & Min (2005): half a pseudo-respondent in each cell of the paired 2 x 2
#: table, so that each margin gets one success and one failure (Agresti & Caffo).
PAIRED_SHARE_ADJUSTMENT = np.full(4, 0.5)


@dataclass(frozen=True, repr=False)
class CSATComparison(Comparison):
    """Difference between the CSAT of two samples, with a test.

    Attributes
    ----------
    difference : float
        ``CSAT(a) - CSAT(b)`` in score points (-100..100).
    interval : ConfidenceInterval
        Interval for the difference, within [-100, 100]; the open side of a
        one-sided interval is -100 or 100.
    statistic : float
        z statistic: the pooled (score) test for "newcombe", the unpooled
        Wald test for "wald" (paired: the McNemar-type Wald test, adjusted
        for "adjusted-wald"), the difference over its bootstrap standard
        error for the bootstrap methods.
    pvalue : float
        p-value of the null hypothesis of equal satisfied shares, against
        ``alternative``; for the bootstrap methods, that of the test which
        inverts the bootstrap interval.
    method : str
        The method used.
    alternative : str
        "two-sided", "less" (CSAT(a) < CSAT(b)) or "greater".
    paired : bool
        True when ``a`` and ``b`` are two answers of the same respondents
        (``paired=True``), False for independent samples.
    """

    paired: bool = False


@dataclass(frozen=True, repr=False)
class CESComparison(Comparison):
    """Difference between the CES of two samples, with a test.

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
        Welch's t for "welch", the paired t for "t"; a z statistic for the
        share methods and the bootstrap (difference over its bootstrap
        standard error).
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
    paired : bool
        True when ``a`` and ``b`` are two answers of the same respondents
        (``paired=True``), False for independent samples.
    """

    of: str = "mean"
    paired: bool = False


def _csat_sample(
    sample: object, name: str, scale: object, satisfied: object, nan_policy: NanPolicy
) -> CSATResult:
    if isinstance(sample, CSATResult):
        return sample
    return csat_named(
        sample,
        name=name,
        scale=CSAT_SCALE if scale is None else scale,
        satisfied=CSAT_SATISFIED if satisfied is None else satisfied,
        nan_policy=nan_policy,
    )


def _ces_sample(
    sample: object, name: str, scale: object, agree: object, version: str, nan_policy: NanPolicy
) -> CESResult:
    if isinstance(sample, CESResult):
        return sample
    return ces_named(
        sample, name=name, scale=scale, agree=agree, version=version, nan_policy=nan_policy
    )


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


def _cells_of(result: CSATResult | CESResult) -> CellTable:
    cells = result._cells
    assert cells is not None  # every constructor of a result stores its cells
    return cells


def _fields(
    test: Difference,
    interval: ConfidenceInterval | None,
    *,
    factor: float,
    bound: float,
) -> dict[str, Any]:
    """Return the numeric fields of a comparison: times ``factor``, limits within ``bound``.

    A bootstrap ``interval`` keeps its distribution and standard error, scaled.
    """
    difference, low, high, statistic, pvalue = (float(np.ravel(x)[0]) for x in test)
    low, high = (float(np.clip(factor * limit, -bound, bound)) for limit in (low, high))
    if interval is None or interval.bootstrap_distribution is None:
        limits = ConfidenceInterval(low, high)
    else:
        limits = replace(
            interval,
            low=low,
            high=high,
            bootstrap_distribution=factor * interval.bootstrap_distribution,
            standard_error=factor * float(interval.standard_error or 0.0),
        )
    return {
        "difference": factor * difference,
        "interval": limits,
        "statistic": statistic,
        "pvalue": pvalue,
    }


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
    engine: object,
) -> dict[str, Any]:
    """Fields of a comparison of the shares in ``band``, or of the means if None.

    ``estimate`` is one of the two estimates; if either is NaN, so is every
    numeric field. Shares are reported in points (x 100) within [-100, 100],
    means within plus or minus the scale width.
    """
    methods = MEAN_DIFFERENCE_METHODS if band is None else SHARE_DIFFERENCE_METHODS
    chosen, side, level, resamples, generator, chosen_engine = check_comparison_options(
        method, methods, alternative, confidence_level, n_resamples, rng, engine
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
    if band is None:
        value, factor, bound = score_values(first), 1.0, float(a.scale[1] - first)
    else:
        value = in_range_values((band[0] - first, band[1] - first))
        factor, bound = 100.0, 100.0
    options: dict[str, Any] = {
        "confidence_level": level,
        "alternative": side,
        "n_resamples": resamples,
        "rng": generator,
    }
    interval = None
    if chosen in BOOTSTRAP_METHODS:
        sample_a, sample_b = CellMeans(_cells_of(a), value), CellMeans(_cells_of(b), value)
        outputs, interval = BOOTSTRAP_DIFFERENCES[chosen_engine](
            sample_a,
            sample_b,
            sample_a.estimate - sample_b.estimate,
            method=chosen,
            **options,
        )
    elif band is None:
        outputs = mean_difference(
            _cells_of(a),
            _cells_of(b),
            offset=first,
            method=cast("MeanDifferenceMethod", chosen),
            **options,
        )
    else:
        outputs = share_difference(
            _cells_of(a),
            _cells_of(b),
            in_range=(band[0] - first, band[1] - first),
            method=cast("ShareDifferenceMethod", chosen),
            **options,
        )
    return fields | _fields(outputs, interval, factor=factor, bound=bound)


def _paired_sample(
    a: object,
    b: object,
    *,
    scale: tuple[int, int],
    band: tuple[int, int] | None,
    nan_policy: NanPolicy,
) -> PairedSample | None:
    """Reduce raw answers to the paired table, None when a missing answer was propagated.

    The table is 2 x 2 of the ``band`` indicator, or k x k of the scale
    points if ``band`` is None.
    """
    points = np.arange(scale[0], scale[1] + 1)
    if band is None:
        answer_of_score, values = points - scale[0], points.astype(np.float64)
    else:
        answer_of_score = ((points >= band[0]) & (points <= band[1])).astype(np.int64)
        values = np.array([0.0, 1.0])
    counts, _, undefined = paired_table(
        a, b, low=scale[0], high=scale[1], answer_of_score=answer_of_score, nan_policy=nan_policy
    )
    if undefined:
        return None
    return paired_means(counts, values)


_Comparison = TypeVar("_Comparison", bound=Comparison)


def _compare_paired(
    build: type[_Comparison],
    sample: PairedSample | None,
    extra: dict[str, Any],
    *,
    share: bool,
    bound: float,
    confidence_level: object = 0.95,
    method: object = None,
    alternative: object = "two-sided",
    n_resamples: object = 9999,
    rng: object = None,
    engine: object = "count",
) -> _Comparison:
    """Compare the two answers of a paired table (options validated here, for recomputing).

    Shares in points within [-100, 100], means within ``bound``; NaN fields
    when ``sample`` is None (a propagated missing answer).
    """
    methods: tuple[str, ...] = PAIRED_SHARE_METHODS if share else PAIRED_MEAN_METHODS
    checked = check_comparison_options(
        methods[0] if method is None else method,
        methods,
        alternative,
        confidence_level,
        n_resamples,
        rng,
        engine,
    )
    chosen, side, level, resamples, generator, chosen_engine = checked
    stored = checked.stored()
    recompute = partial(_compare_paired, build, sample, extra, share=share, bound=bound, **stored)
    common: dict[str, Any] = {
        "method": chosen,
        "alternative": side,
        "paired": True,
        "_recompute": recompute,
    }
    if sample is None:
        nan = float("nan")
        undefined: dict[str, Any] = {"difference": nan, "interval": ConfidenceInterval(nan, nan)}
        return build(**extra, **common, **undefined, statistic=nan, pvalue=nan)
    test, interval = paired_difference(
        sample,
        method=chosen,  # type: ignore[arg-type]  # one of the paired methods
        confidence_level=level,
        alternative=side,
        n_resamples=resamples,
        rng=generator,
        engine=chosen_engine,
        pseudo_counts=PAIRED_SHARE_ADJUSTMENT if share else None,
    )
    fields = _fields(test, interval, factor=100.0 if share else 1.0, bound=bound)
    return build(**extra, **common, **fields)


def compare_csat(
    a: CSATResult | npt.ArrayLike,
    b: CSATResult | npt.ArrayLike,
    /,
    *,
    paired: bool = False,
    scale: tuple[int, int] | None = None,
    satisfied: tuple[int, int] | None = None,
    confidence_level: float = 0.95,
    method: ShareDifferenceMethod | PairedShareMethod | None = None,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
    engine: BootstrapEngine = "count",
    nan_policy: NanPolicy = "raise",
) -> CSATComparison:
    """Compare the CSAT of two samples, independent or paired.

    Parameters
    ----------
    a, b : array_like or CSATResult
        Raw answers (validated as by :func:`csat`), or results of
        :func:`csat` / :func:`csat_from_counts` (which may be weighted or
        have omitted missing values). With ``paired=True``, raw answers
        only: row i of ``a`` and of ``b`` are the same respondent.
    paired : bool, default False
        True for the same respondents answering twice (before and after):
        the comparison is made on the 2 x 2 table of (satisfied in ``a``,
        satisfied in ``b``) counts.
    scale, satisfied : tuple of int, optional
        The definition for raw answers (default (1, 5) and (4, 5)). Results
        must share one definition; if given, it must be theirs.
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : {"newcombe", "wald", "adjusted-wald", "percentile", "basic", "bca"}, optional
        Independent samples: "newcombe" (default), Newcombe's hybrid score
        interval (Newcombe 1998, method 10), with the pooled two-proportion z
        test (the score test, equal to Pearson's chi-square test of the 2x2
        table); "wald", difference ± z standard error, unpooled, with the
        matching z test. Paired: "adjusted-wald" (default) or "wald", see the
        Notes. Bootstrap methods: the counts resampled (each sample's, or the
        paired table's); the statistic is the difference over its bootstrap
        standard error and the p-value inverts the bootstrap interval (as in
        :func:`compare_nps`).
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis: "greater" means CSAT(a) > CSAT(b).
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.
    engine : {"count", "scipy"}, default "count"
        For the bootstrap methods: resample the counts, or run
        ``scipy.stats.bootstrap`` on the rows rebuilt from them, as in
        :func:`compare_nps`.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        Missing raw answers, as in :func:`csat`; paired, per respondent
        ("omit" drops every respondent with a missing answer in either
        sample).

    Returns
    -------
    CSATComparison
        The difference in score points, its interval, test statistic and
        p-value. NaN fields if either score is NaN.

    Raises
    ------
    ValueError
        For invalid answers, results on different scales or satisfied ranges,
        an unknown method or alternative, a confidence level outside (0, 1)
        (above 0.5 for one-sided Newcombe intervals), ``engine="scipy"``
        with a non-bootstrap method, or paired samples of different lengths.
    TypeError
        For arguments of the wrong type, and results with ``paired=True``.

    Notes
    -----
    The significance test and the interval come from different
    constructions, so at the margin a p-value just below 0.05 can come with
    a 95% interval that just includes 0. Weighted samples use Kish's
    effective sample sizes.

    Paired samples: with ``p_10`` and ``p_01`` the shares of respondents
    satisfied only in ``a`` and only in ``b`` (the discordant cells), the
    difference is ``p_10 - p_01`` and "wald" is the McNemar-type Wald
    interval and test with standard error ``sqrt((p_10 + p_01 - (p_10 -
    p_01)^2) / n)`` (Agresti, *Categorical Data Analysis*, 3rd ed., 2013,
    section 11.1); "adjusted-wald" is the same after adding 1/2 to each cell
    of the 2 x 2 table (Agresti & Min 2005, *Statistics in Medicine* 24,
    729-740). When every respondent answers the same way twice, the
    discordant cells are empty: "wald" and the bootstrap give [0, 0] with
    statistic 0 and p-value 1 (0.5 one-sided).

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
    policy = check_nan_policy(nan_policy)
    if check_paired(paired):
        checked_scale, checked_satisfied = _csat_options(
            CSAT_SCALE if scale is None else scale,
            CSAT_SATISFIED if satisfied is None else satisfied,
        )
        sample = _paired_sample(
            a, b, scale=checked_scale, band=checked_satisfied, nan_policy=policy
        )
        return _compare_paired(
            CSATComparison,
            sample,
            {},
            share=True,
            bound=100.0,
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )
    a_result = _csat_sample(a, "a", scale, satisfied, policy)
    b_result = _csat_sample(b, "b", scale, satisfied, policy)
    _check_same(a_result, b_result, {"scale": scale, "satisfied": satisfied})
    fields = _compare(
        a_result,
        b_result,
        a_result.satisfied,
        estimate=a_result.score + b_result.score,
        method="newcombe" if method is None else method,
        alternative=alternative,
        confidence_level=confidence_level,
        n_resamples=n_resamples,
        rng=rng,
        engine=engine,
    )
    recompute = partial(
        compare_csat,
        a_result,
        b_result,
        confidence_level=confidence_level,
        method=fields["method"],
        alternative=fields["alternative"],
        n_resamples=n_resamples,
        engine=engine,
    )
    return CSATComparison(**fields, _recompute=recompute)


def compare_ces(
    a: CESResult | npt.ArrayLike,
    b: CESResult | npt.ArrayLike,
    /,
    *,
    paired: bool = False,
    scale: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str = "2.0",
    of: str = "mean",
    confidence_level: float = 0.95,
    method: MeanDifferenceMethod
    | ShareDifferenceMethod
    | PairedMeanMethod
    | PairedShareMethod
    | None = None,
    alternative: Alternative = "two-sided",
    n_resamples: int = 9999,
    rng: object = None,
    engine: BootstrapEngine = "count",
    nan_policy: NanPolicy = "raise",
) -> CESComparison:
    """Compare the CES of two samples, independent or paired: the means, or the agree shares.

    Parameters
    ----------
    a, b : array_like or CESResult
        Raw answers (validated as by :func:`ces`), or results of
        :func:`ces` / :func:`ces_from_counts`. With ``paired=True``, raw
        answers only: row i of ``a`` and of ``b`` are the same respondent.
    paired : bool, default False
        True for the same respondents answering twice: the comparison is
        made on the k x k table of (answer in ``a``, answer in ``b``) counts
        over the scale points (2 x 2 of the agree indicator for
        ``of="agree_share"``).
    scale, agree, version
        The definition for raw answers, as in :func:`ces`. Results must share
        one definition; ``scale`` and ``agree``, if given, must be theirs.
    of : {"mean", "agree_share"}, default "mean"
        Compare the mean answers or the agree shares.
    confidence_level : float, default 0.95
        Coverage of the interval for the difference.
    method : str, optional
        For means: "welch" (default; Welch's unequal-variance t test and
        interval, Welch 1947), paired "t" (default; the paired t test on the
        per-respondent differences, as ``scipy.stats.ttest_rel``), or a
        bootstrap method "percentile", "basic", "bca". For shares:
        "newcombe" (default), "wald" or a bootstrap method, as in
        :func:`compare_csat`; paired "adjusted-wald" (default), "wald" or a
        bootstrap method.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        "greater" means a > b. For the original CES (lower effort is better) a
        mean greater than b's is *worse*.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods.
    engine : {"count", "scipy"}, default "count"
        For the bootstrap methods: resample the counts, or run
        ``scipy.stats.bootstrap`` on the rows rebuilt from them, as in
        :func:`compare_nps`.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        Missing raw answers, as in :func:`ces`; paired, per respondent.

    Returns
    -------
    CESComparison
        The difference (scale points for means, score points for shares), its
        interval, statistic and p-value. NaN fields if either estimate is NaN.

    Raises
    ------
    ValueError
        For invalid answers, results with different definitions, an unknown
        ``of``, method or alternative, a confidence level outside (0, 1),
        ``engine="scipy"`` with a non-bootstrap method, or paired samples of
        different lengths.
    TypeError
        For arguments of the wrong type, and results with ``paired=True``.

    Notes
    -----
    Welch's test equals ``scipy.stats.ttest_ind(a, b, equal_var=False)`` on
    the raw answers, interval included. With weights, each mean's standard
    error is the linearised one and the degrees of freedom are
    Welch-Satterthwaite's with n - 1 per sample. Paired, the "t" test equals
    ``scipy.stats.ttest_rel(a, b)``; when every respondent gives the same
    answer twice it returns [0, 0], statistic 0 and p-value 1 (0.5
    one-sided). Paired shares are as in :func:`compare_csat`.

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
    policy = check_nan_policy(nan_policy)
    if check_paired(paired):
        _, checked_scale, checked_agree = _ces_options(chosen_version, scale, agree)
        share = target == "agree_share"
        sample = _paired_sample(
            a, b, scale=checked_scale, band=checked_agree if share else None, nan_policy=policy
        )
        return _compare_paired(
            CESComparison,
            sample,
            {"of": target},
            share=share,
            bound=100.0 if share else float(checked_scale[1] - checked_scale[0]),
            confidence_level=confidence_level,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )
    a_result = _ces_sample(a, "a", scale, agree, chosen_version, policy)
    b_result = _ces_sample(b, "b", scale, agree, chosen_version, policy)
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
        engine=engine,
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
        engine=engine,
    )
    return CESComparison(of=target, **fields, _recompute=recompute)
