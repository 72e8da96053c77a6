"""Customer satisfaction (CSAT) and customer effort (CES) scores.

CSAT is the share of answers in a "satisfied" range of a rating scale
(top-2-box: 4-5 on 1..5 by default), reported on 0..100. CES 2.0 asks for
agreement with "The company made it easy for me to handle my issue" on 1..7
(Dixon, Toman & DeLisi 2013, *The Effortless Experience*); its headline is the
mean, and the share agreeing (5-7) is reported too. The original CES (Dixon,
Freeman & Toman 2010, "Stop Trying to Delight Your Customers", Harvard Business
Review 88(7/8)) asks "How much effort did you personally have to put forth to
handle your request?" on 1 (very low) .. 5 (very high): lower is better.

Both reduce to one count per scale point (per distinct (point, weight) cell
for weighted data); the inference runs on those counts through
:mod:`loyaltymetrics._survey._scale_inference`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import (
    CellTable,
    as_reported_count,
    response_counts,
    tally_scores,
)
from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    Alternative,
    BootstrapMethod,
    ProportionMethod,
)
from loyaltymetrics._engine._means import (
    BootstrapEngine,
    CellMeans,
    bootstrap_confidence_interval,
    check_engine,
    scipy_bootstrap_interval,
)
from loyaltymetrics._engine._results import ConfidenceInterval, HeadlineResult, TargetTest
from loyaltymetrics._engine._target_tests import (
    bootstrap_test,
    check_target,
    proportion_test,
    t_test,
)
from loyaltymetrics._engine._validation import (
    NanPolicy,
    check_choice,
    check_confidence_level,
    check_count_vector,
    check_integer_scores,
    check_n_resamples,
    check_rng,
    check_scale,
    check_scale_range,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_METHODS,
    SHARE_METHODS,
    MeanMethod,
    ShareMethod,
    in_range_values,
    mean_interval,
    score_values,
    share_interval,
)

__all__ = [
    "CES_DEFAULTS",
    "CES_VERSIONS",
    "CSAT_SATISFIED",
    "CSAT_SCALE",
    "CESResult",
    "CSATResult",
    "ces",
    "ces_from_counts",
    "ces_named",
    "csat",
    "csat_from_counts",
    "csat_named",
]

#: CSAT defaults: a 1..5 rating with 4-5 counted as satisfied (top-2-box).
CSAT_SCALE = (1, 5)
CSAT_SATISFIED = (4, 5)
CESVersion = Literal["2.0", "original"]
CES_VERSIONS: tuple[CESVersion, ...] = ("2.0", "original")
#: Default (scale, agree range) per CES version. For the original effort scale
#: the "agree" range is the low-effort answers, 1-2.
CES_DEFAULTS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "2.0": ((1, 7), (5, 7)),
    "original": ((1, 5), (1, 2)),
}
_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")
_ESTIMANDS = ("mean", "agree_share")


@dataclass(frozen=True)
class _Summary:
    """What both metrics need from one sample: totals per point and the cells."""

    totals: npt.NDArray[np.float64]
    cells: CellTable
    n_omitted: int
    undefined: bool

    def counts(self) -> tuple[float, ...]:
        weighted = self.cells.is_weighted
        return tuple(as_reported_count(float(x), weighted=weighted) for x in self.totals)

    def sizes(self) -> tuple[int, float, float]:
        """Return the ``n``, ``weight_total`` and ``effective_n`` fields of a result."""
        return response_counts(self.cells)

    def share(self, scale: tuple[int, int], band: tuple[int, int]) -> float:
        if self.undefined:
            return float("nan")
        inside = self.totals[band[0] - scale[0] : band[1] - scale[0] + 1].sum()
        return float(inside / self.totals.sum())

    def mean(self, scale: tuple[int, int]) -> float:
        if self.undefined:
            return float("nan")
        scores = np.arange(scale[0], scale[1] + 1, dtype=np.float64)
        return float((self.totals * scores).sum() / self.totals.sum())


def _summarise_scores(
    scores: object,
    *,
    scale: tuple[int, int],
    weights: object,
    nan_policy: str,
    name: str = "scores",
) -> _Summary:
    sample = check_integer_scores(
        scores, name=name, low=scale[0], high=scale[1], nan_policy=nan_policy, weights=weights
    )
    totals, cells = tally_scores(sample, low=scale[0], high=scale[1])
    return _Summary(totals, cells, sample.n_omitted, sample.has_missing)


def _summarise_counts(counts: object, *, scale: tuple[int, int]) -> _Summary:
    checked = check_count_vector(counts, name="counts", length=scale[1] - scale[0] + 1)
    cells = CellTable.of_counts(checked)
    return _Summary(checked.astype(np.float64), cells, 0, False)


def _inference_options(
    confidence_level: object, n_resamples: object, rng: object
) -> tuple[float, int, np.random.Generator]:
    return check_confidence_level(confidence_level), check_n_resamples(n_resamples), check_rng(rng)


def _interval(
    cells: CellTable | None,
    *,
    scale: tuple[int, int],
    band: tuple[int, int] | None,
    confidence_level: object,
    method: object,
    n_resamples: object,
    rng: object,
    engine: object = "count",
) -> ConfidenceInterval:
    """Interval for the share in ``band`` on 0..100, or for the mean if ``band`` is None.

    NaN limits for an undefined result (``cells`` None).
    """
    level, resamples, generator = _inference_options(confidence_level, n_resamples, rng)
    choices: tuple[str, ...] = MEAN_METHODS if band is None else SHARE_METHODS
    chosen = check_choice(method, name="method", choices=choices)
    chosen_engine = check_engine(engine, chosen)
    if cells is None:
        return ConfidenceInterval(float("nan"), float("nan"))
    in_range = None if band is None else (band[0] - scale[0], band[1] - scale[0])
    value = score_values(scale[0]) if in_range is None else in_range_values(in_range)
    factor = 1.0 if in_range is None else 100.0
    if chosen_engine == "scipy":
        return scipy_bootstrap_interval(
            CellMeans(cells, value, factor=factor),
            confidence_level=level,
            method=cast("BootstrapMethod", chosen),
            n_resamples=resamples,
            rng=generator,
        )
    if chosen in BOOTSTRAP_METHODS:
        # The count bootstrap on the value's scale, then scaled, as the batch
        # functions report it.
        return bootstrap_confidence_interval(
            CellMeans(cells, value),
            confidence_level=level,
            method=chosen,
            n_resamples=resamples,
            rng=generator,
            scale=factor,
        )
    if in_range is None:
        _, low, high = mean_interval(
            cells,
            offset=scale[0],
            confidence_level=level,
            method=cast("MeanMethod", chosen),
            n_resamples=resamples,
            rng=generator,
        )
        return ConfidenceInterval(float(low), float(high))
    _, low, high = share_interval(
        cells,
        in_range=in_range,
        confidence_level=level,
        method=cast("ShareMethod", chosen),
        n_resamples=resamples,
        rng=generator,
    )
    return ConfidenceInterval(100.0 * float(low), 100.0 * float(high))


def _target_test(
    estimate: float,
    n: int,
    cells: CellTable | None,
    value: object,
    *,
    scale: tuple[int, int],
    band: tuple[int, int] | None,
    alternative: object,
    method: object,
    n_resamples: object,
    rng: object,
    engine: object,
) -> TargetTest:
    """Test of the share in ``band`` (target on 0..100), or of the mean if ``band`` is None.

    The test inverts :func:`_interval` of the same method; NaN statistic and
    p-value for an undefined result (``cells`` None).
    """
    low, high = (float(scale[0]), float(scale[1])) if band is None else (0.0, 100.0)
    target = check_target(value, low=low, high=high)
    side = check_choice(alternative, name="alternative", choices=_ALTERNATIVES)
    _, resamples, generator = _inference_options(0.95, n_resamples, rng)
    choices: tuple[str, ...] = MEAN_METHODS if band is None else SHARE_METHODS
    chosen = check_choice(method, name="method", choices=choices)
    chosen_engine = check_engine(engine, chosen)
    statistic, pvalue = float("nan"), float("nan")
    if cells is not None:
        in_range = None if band is None else (band[0] - scale[0], band[1] - scale[0])
        cell_value = score_values(scale[0]) if in_range is None else in_range_values(in_range)
        # Shares are tested on 0..1, as their intervals are computed.
        null = target if in_range is None else target / 100.0
        if chosen_engine == "scipy":
            factor = 1.0 if in_range is None else 100.0
            outcome = bootstrap_test(
                CellMeans(cells, cell_value, factor=factor),
                target,
                method=cast("BootstrapMethod", chosen),
                alternative=side,
                n_resamples=resamples,
                rng=generator,
                engine="scipy",
            )
        elif chosen in BOOTSTRAP_METHODS:
            outcome = bootstrap_test(
                CellMeans(cells, cell_value),
                null,
                method=chosen,
                alternative=side,
                n_resamples=resamples,
                rng=generator,
            )
        elif in_range is None:  # "t"
            sample = CellMeans(cells, cell_value)
            outcome = t_test(
                sample.estimate,
                np.sqrt(sample.linearised_variance(finite_sample=True)),
                sample.rows - 1.0,
                null,
                side,
            )
        else:
            sample = CellMeans(cells, cell_value)
            outcome = proportion_test(
                sample.estimate * sample.effective_n,
                sample.effective_n,
                null,
                method=cast("ProportionMethod", chosen),
                alternative=side,
            )
        statistic, pvalue = float(outcome.statistic), float(outcome.pvalue)
    return TargetTest(
        estimate=estimate,
        target=target,
        statistic=statistic,
        pvalue=pvalue,
        alternative=side,
        method=chosen,
        n=n,
    )


@dataclass(frozen=True, repr=False)
class CSATResult(HeadlineResult):
    """Customer satisfaction score of a sample.

    Attributes
    ----------
    score : float
        CSAT on 0..100: ``100 * satisfied_share``; also ``estimate``. NaN
        when ``nan_policy="propagate"`` met a missing score. ``repr`` shows it
        with its default interval (Wilson, 95%) as ``ci``.
    satisfied_share : float
        Share of answers in the satisfied range, 0..1.
    mean : float
        Mean answer on the scale.
    n : int
        Number of answers counted.
    counts : tuple of float
        Count (or weighted total) of each scale point, lowest first.
    n_omitted : int
        Missing scores removed under ``nan_policy="omit"``.
    weight_total : float or None
        Sum of the weights (``n`` when unweighted); shown only when it
        differs from ``n``. None for a result built without answer counts.
    effective_n : float or None
        Kish's effective sample size ``(sum w)**2 / sum w**2`` (``n`` when
        unweighted), the n the weighted intervals use; shown only when it
        differs from ``n``. None as for ``weight_total``.
    scale : tuple of int
        The answer scale ``(low, high)``, inclusive.
    satisfied : tuple of int
        The satisfied range ``(first, last)``, inclusive.
    """

    score: float
    satisfied_share: float
    mean: float
    n: int
    counts: tuple[float, ...]
    n_omitted: int = 0
    scale: tuple[int, int] = CSAT_SCALE
    satisfied: tuple[int, int] = CSAT_SATISFIED
    weight_total: float | None = None
    effective_n: float | None = None
    _cells: CellTable | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "score",
        "n",
        "weight_total",
        "effective_n",
        "mean",
        "counts",
        "n_omitted",
    )
    _headline: ClassVar[str] = "score"

    def _default_interval(self) -> ConfidenceInterval | None:
        return None if self._cells is None else self.confidence_interval()

    def confidence_interval(
        self,
        confidence_level: float = 0.95,
        *,
        method: ShareMethod = "wilson",
        n_resamples: int = 9999,
        rng: object = None,
        engine: BootstrapEngine = "count",
    ) -> ConfidenceInterval:
        """Two-sided confidence interval for the CSAT score, on 0..100.

        Parameters
        ----------
        confidence_level : float, default 0.95
            Coverage probability, strictly between 0 and 1.
        method : str, default "wilson"
            "wilson" (Wilson 1927), "agresti-coull" (Agresti & Coull 1998),
            "jeffreys" (Brown, Cai & DasGupta 2001), "exact"
            (Clopper & Pearson 1934), "wald", or a bootstrap method
            "percentile", "basic", "bca" (as ``scipy.stats.bootstrap`` defines
            them, computed on the counts).
        n_resamples : int, default 9999
            Bootstrap resamples (bootstrap methods only), at least 2.
        rng : None, int or numpy.random.Generator, optional
            Randomness for the bootstrap methods; a seed reproduces the interval.
        engine : {"count", "scipy"}, default "count"
            For the bootstrap methods: "count" resamples the counts per
            answer; "scipy" runs ``scipy.stats.bootstrap`` on the answers
            (rebuilt from the counts, paired with their weights when
            weighted). Both are the same row bootstrap and agree within
            Monte-Carlo error; "scipy" costs O(n) per resample.

        Returns
        -------
        ConfidenceInterval
            On the 0..100 scale of ``score``; NaN when the score is NaN.

        Raises
        ------
        ValueError
            For a confidence level outside (0, 1), an unknown method or fewer
            than 2 resamples.

        Notes
        -----
        The analytic intervals are those of statsmodels' ``proportion_confint``
        with the same names ("beta" for "exact", "normal" for "wald"); the Wald
        interval is clipped to 0..100. When every answer is satisfied (or none
        is), Wilson, Jeffreys, exact and Agresti-Coull still give an interval
        of positive width; Wald and the bootstrap collapse to the score. The
        Jeffreys interval is the equal-tailed Beta(x + 1/2, n - x + 1/2)
        interval as statsmodels computes it, so at a share of exactly 0 (or
        1) it excludes the estimate; Brown, Cai & DasGupta (2001) suggest
        the exact limit 0 (or 1) there, which "exact" gives.

        Weighted samples: the analytic intervals use the weighted share with
        Kish's effective sample size ``(sum w)**2 / sum w**2`` in place of n;
        the bootstrap resamples the distinct (score, weight) cells, which is
        resampling rows.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.csat_from_counts([5, 5, 10, 40, 40])
        >>> result.confidence_interval()
        ConfidenceInterval(low=71.1171, high=86.6633)
        >>> result.confidence_interval(0.9, method="exact")
        ConfidenceInterval(low=72.28, high=86.3339)
        >>> result.confidence_interval(method="bca", rng=1)
        ConfidenceInterval(low=71.0, high=87.0)
        """
        return _interval(
            None if np.isnan(self.score) else self._cells,
            scale=self.scale,
            band=self.satisfied,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )

    def test(
        self,
        value: float,
        /,
        *,
        alternative: Alternative = "two-sided",
        method: ShareMethod | None = None,
        n_resamples: int = 9999,
        rng: object = None,
        engine: BootstrapEngine = "count",
    ) -> TargetTest:
        """Test the CSAT score against a target value, e.g. "is CSAT above 75?".

        The test inverts the interval of the same ``method``: for every
        confidence level, the two-sided p-value is below ``1 -
        confidence_level`` exactly when ``value`` lies outside
        ``confidence_interval(confidence_level, method=method)``, and the
        "greater" ("less") p-value is below it exactly when ``value`` is
        below the one-sided lower (above the upper) limit at that level,
        the two-sided limit at level ``2 * confidence_level - 1``.

        Parameters
        ----------
        value : float
            The target score on 0..100 (the scale of ``score`` and of the
            interval): 75 means a satisfied share of 0.75.
        alternative : {"two-sided", "greater", "less"}, default "two-sided"
            The alternative hypothesis: the true score differs from,
            exceeds, or falls short of ``value``.
        method : str, optional
            One of the methods of :meth:`confidence_interval`; default (None)
            "wilson". Per method the test is: "wilson", the score test (z
            with the null standard error ``sqrt(p0 (1 - p0) / n)``);
            "wald", z with the estimate's standard error;
            "agresti-coull", the critical value at which the
            Agresti-Coull limit (whose centre moves with the level) meets
            the target; "exact", the central exact binomial test, twice
            the smaller binomial tail, capped at 1 (not the
            minimum-likelihood two-sided p-value ``scipy.stats.binomtest``
            reports by default); "jeffreys", twice the smaller posterior
            tail of ``Beta(x + 1/2, n - x + 1/2)`` at the target; the
            bootstrap methods, the smallest ``1 - level`` at which the
            bootstrap interval excludes the target.
        n_resamples, rng, engine
            As for :meth:`confidence_interval`. With the same ``rng`` seed
            the bootstrap test uses exactly the resamples of the interval.

        Returns
        -------
        TargetTest
            The score, the target, the statistic (NaN for "exact" and
            "jeffreys"), the p-value, ``alternative``, ``method`` and ``n``;
            statistic and p-value NaN when the score is NaN.

        Raises
        ------
        ValueError
            For a target outside [0, 100], NaN or infinite, an unknown
            alternative or method, or fewer than 2 resamples.
        TypeError
            For a target that is not a number (booleans included) or other
            arguments of the wrong type.

        Notes
        -----
        Degenerate samples follow their interval: when every answer is
        satisfied, "wald" and the bootstrap give p = 1 at 100 and 0 at any
        other target, while the Wilson test of a target below 100 has a
        graded p-value (and p = 1 at 100, which its interval reaches).
        Weighted samples use Kish's effective sample size, as the
        intervals do.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.csat_from_counts([5, 5, 10, 40, 40])
        >>> result.test(70, alternative="greater")
        TargetTest(estimate=80.0, target=70.0, statistic=2.18218, pvalue=0.0145482,
        alternative='greater', method='wilson', n=100)
        >>> round(result.test(70, method="exact").pvalue, 4)
        0.0329
        """
        return _target_test(
            self.score,
            self.n,
            None if np.isnan(self.score) else self._cells,
            value,
            scale=self.scale,
            band=self.satisfied,
            alternative=alternative,
            method="wilson" if method is None else method,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )


@dataclass(frozen=True, repr=False)
class CESResult(HeadlineResult):
    """Customer effort score of a sample.

    Attributes
    ----------
    mean : float
        Mean answer: the headline CES. For CES 2.0 higher is better (easier);
        for the original effort question lower is better; also
        ``estimate``. NaN when ``nan_policy="propagate"`` met a missing
        score. ``repr`` shows it with its default (t, 95%) interval as ``ci``.
    agree_share : float
        Share of answers in the ``agree`` range, 0..1 (for the original
        version, the low-effort range).
    score : float
        ``100 * agree_share``, on 0..100.
    n : int
        Number of answers counted.
    counts : tuple of float
        Count (or weighted total) of each scale point, lowest first.
    n_omitted : int
        Missing scores removed under ``nan_policy="omit"``.
    weight_total : float or None
        Sum of the weights (``n`` when unweighted); shown only when it
        differs from ``n``. None for a result built without answer counts.
    effective_n : float or None
        Kish's effective sample size ``(sum w)**2 / sum w**2`` (``n`` when
        unweighted), the n the weighted intervals use; shown only when it
        differs from ``n``. None as for ``weight_total``.
    scale : tuple of int
        The answer scale ``(low, high)``, inclusive.
    agree : tuple of int
        The range counted in ``agree_share``, inclusive.
    version : {"2.0", "original"}
        Which CES question the answers come from.
    """

    mean: float
    agree_share: float
    score: float
    n: int
    counts: tuple[float, ...]
    n_omitted: int = 0
    scale: tuple[int, int] = CES_DEFAULTS["2.0"][0]
    agree: tuple[int, int] = CES_DEFAULTS["2.0"][1]
    version: str = "2.0"
    weight_total: float | None = None
    effective_n: float | None = None
    _cells: CellTable | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "mean",
        "score",
        "n",
        "weight_total",
        "effective_n",
        "counts",
        "n_omitted",
        "version",
    )
    _headline: ClassVar[str] = "mean"

    def _default_interval(self) -> ConfidenceInterval | None:
        return None if self._cells is None else self.confidence_interval()

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher mean is better: True for CES 2.0, False for the original.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> lm.ces([2, 6, 7]).higher_is_better, lm.ces([1, 2], version="original").higher_is_better
        (True, False)
        """
        return self.version == "2.0"

    def confidence_interval(
        self,
        confidence_level: float = 0.95,
        *,
        method: MeanMethod | ShareMethod | None = None,
        of: Literal["mean", "agree_share"] = "mean",
        n_resamples: int = 9999,
        rng: object = None,
        engine: BootstrapEngine = "count",
    ) -> ConfidenceInterval:
        """Two-sided confidence interval for the mean, or for the agree share.

        Parameters
        ----------
        confidence_level : float, default 0.95
            Coverage probability, strictly between 0 and 1.
        method : str, optional
            For ``of="mean"``: "t" (default; Student's t interval) or a
            bootstrap method "percentile", "basic", "bca". For
            ``of="agree_share"``: "wilson" (default), "agresti-coull",
            "jeffreys", "exact", "wald" or a bootstrap method.
        of : {"mean", "agree_share"}, default "mean"
            The estimate the interval is for.
        n_resamples : int, default 9999
            Bootstrap resamples (bootstrap methods only), at least 2.
        rng : None, int or numpy.random.Generator, optional
            Randomness for the bootstrap methods; a seed reproduces the interval.
        engine : {"count", "scipy"}, default "count"
            For the bootstrap methods: "count" resamples the counts per
            answer; "scipy" runs ``scipy.stats.bootstrap`` on the answers
            (rebuilt from the counts, paired with their weights when
            weighted). Both are the same row bootstrap and agree within
            Monte-Carlo error; "scipy" costs O(n) per resample.

        Returns
        -------
        ConfidenceInterval
            On the answer scale for the mean; on 0..100 (the scale of
            ``score``) for the agree share. NaN when the estimate is NaN.

        Raises
        ------
        ValueError
            For a confidence level outside (0, 1), an unknown ``of`` or method
            (or a method that does not fit ``of``), or fewer than 2 resamples.

        Notes
        -----
        The t interval is ``mean ± t(n - 1) * s / sqrt(n)``, the interval of
        ``scipy.stats.ttest_1samp``. It is NaN for a single answer and
        collapses to the mean when all answers are equal. For weighted samples
        the standard error is the linearised (sandwich) one,
        ``sqrt(m / (m - 1) * sum w_i**2 (x_i - mean)**2) / sum w_i`` over the
        m answers with positive weight, with m - 1 degrees of freedom; share
        intervals use Kish's effective sample size; the bootstrap resamples
        the distinct (score, weight) cells.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
        >>> result.confidence_interval()
        ConfidenceInterval(low=5.24039, high=5.81961)
        >>> result.confidence_interval(of="agree_share")
        ConfidenceInterval(low=71.1171, high=86.6633)
        >>> result.confidence_interval(method="bca", rng=1)
        ConfidenceInterval(low=5.22, high=5.8)
        """
        target = check_choice(of, name="of", choices=_ESTIMANDS)
        cells = None if np.isnan(self.mean) else self._cells
        default = "t" if target == "mean" else "wilson"
        return _interval(
            cells,
            scale=self.scale,
            band=None if target == "mean" else self.agree,
            confidence_level=confidence_level,
            method=default if method is None else method,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )

    def test(
        self,
        value: float,
        /,
        *,
        alternative: Alternative = "two-sided",
        method: MeanMethod | ShareMethod | None = None,
        of: Literal["mean", "agree_share"] = "mean",
        n_resamples: int = 9999,
        rng: object = None,
        engine: BootstrapEngine = "count",
    ) -> TargetTest:
        """Test the mean (or the agree share) against a target value.

        The test inverts the interval of the same ``method`` and ``of``: for
        every confidence level, the two-sided p-value is below ``1 -
        confidence_level`` exactly when ``value`` lies outside
        ``confidence_interval(confidence_level, method=method, of=of)``, and
        a one-sided p-value is below it exactly when the one-sided limit
        (the two-sided limit at level ``2 * confidence_level - 1``)
        excludes ``value``.

        Parameters
        ----------
        value : float
            The target: a mean on the answer scale (within ``scale``) for
            ``of="mean"``; a score on 0..100 for ``of="agree_share"``.
        alternative : {"two-sided", "greater", "less"}, default "two-sided"
            The alternative hypothesis: the true value differs from,
            exceeds, or falls short of ``value``. For the original CES
            (lower is better) "is our effort below 2.5?" is ``"less"``.
        method : str, optional
            One of the methods of :meth:`confidence_interval` for ``of``;
            default "t" for the mean (the one-sample t test,
            ``scipy.stats.ttest_1samp``) and "wilson" for the share (the
            tests per share method are those of :meth:`CSATResult.test`).
            The bootstrap methods give the smallest ``1 - level`` at which
            the bootstrap interval excludes the target.
        of : {"mean", "agree_share"}, default "mean"
            The estimate tested.
        n_resamples, rng, engine
            As for :meth:`confidence_interval`.

        Returns
        -------
        TargetTest
            The estimate (the mean, or ``score`` for the share), the
            target, the statistic, the p-value, ``alternative``, ``method``
            and ``n``. NaN statistic and p-value when the estimate is NaN,
            and for the t test of a single answer (whose interval is NaN).

        Raises
        ------
        ValueError
            For a target outside its range, NaN or infinite, an unknown
            ``of``, alternative or method (or a method that does not fit
            ``of``), or fewer than 2 resamples.
        TypeError
            For a target that is not a number (booleans included) or other
            arguments of the wrong type.

        Notes
        -----
        When all answers are equal the t interval collapses to the mean:
        the t test then gives p = 1 at the mean and 0 elsewhere. Weighted
        samples use the linearised standard error with ``m - 1`` degrees of
        freedom, as the interval does.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
        >>> result.test(5.0, alternative="greater")
        TargetTest(estimate=5.53, target=5.0, statistic=3.63116, pvalue=0.00022449,
        alternative='greater', method='t', n=100)
        >>> round(result.test(70, of="agree_share").pvalue, 4)
        0.0291
        """
        target = check_choice(of, name="of", choices=_ESTIMANDS)
        estimate = self.mean if target == "mean" else self.score
        default = "t" if target == "mean" else "wilson"
        return _target_test(
            estimate,
            self.n,
            None if np.isnan(self.mean) else self._cells,
            value,
            scale=self.scale,
            band=None if target == "mean" else self.agree,
            alternative=alternative,
            method=default if method is None else method,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )


def _csat_result(
    summary: _Summary, *, scale: tuple[int, int], satisfied: tuple[int, int]
) -> CSATResult:
    share = summary.share(scale, satisfied)
    n, weight_total, effective_n = summary.sizes()
    return CSATResult(
        score=100.0 * share,
        satisfied_share=share,
        mean=summary.mean(scale),
        n=n,
        weight_total=weight_total,
        effective_n=effective_n,
        counts=summary.counts(),
        n_omitted=summary.n_omitted,
        scale=scale,
        satisfied=satisfied,
        _cells=summary.cells,
    )


def _csat_options(scale: object, satisfied: object) -> tuple[tuple[int, int], tuple[int, int]]:
    checked_scale = check_scale(scale)
    return checked_scale, check_scale_range(satisfied, name="satisfied", scale=checked_scale)


def csat(
    scores: npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] = CSAT_SCALE,
    satisfied: tuple[int, int] = CSAT_SATISFIED,
    weights: npt.ArrayLike | None = None,
    nan_policy: NanPolicy = "raise",
) -> CSATResult:
    """Compute the customer satisfaction score (CSAT) of raw rating-scale answers.

    CSAT is the share of answers in the satisfied range ("top-2-box": 4 or 5
    on the usual 1..5 scale), reported as a score on 0..100.

    Parameters
    ----------
    scores : array_like
        Integer answers on ``scale`` (whole-number floats such as ``4.0`` are
        accepted): a list, numpy array, or pandas / polars Series.
    scale : tuple of int, default (1, 5)
        The answer scale ``(low, high)``, inclusive, with ``low < high``: any
        integer scale such as 1..5, 1..7, 1..10 or 0..10.
    satisfied : tuple of int, default (4, 5)
        The satisfied range ``(first, last)``, inclusive and inside ``scale``,
        e.g. ``(6, 7)`` on 1..7 or ``(9, 10)`` on 1..10.
    weights : array_like, optional
        Survey weights, one per answer: finite, non-negative, not all zero.
        Shares and the mean are weighted; ``n`` stays the number of answers,
        beside the ``weight_total`` and Kish's ``effective_n``; integer
        weights give the point estimates of repeating rows.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        Missing answers raise, are dropped (counted in ``n_omitted``), or make
        the score, share and mean NaN.

    Returns
    -------
    CSATResult
        The score on 0..100, the satisfied share, the mean answer and the
        count of each scale point. Use
        :meth:`CSATResult.confidence_interval` for an interval and
        :func:`compare_csat` to compare two samples.

    Raises
    ------
    ValueError
        If an answer is outside ``scale`` or not a whole number (the message
        names the first one and its position), if ``scale`` is reversed or
        ``satisfied`` is reversed or outside ``scale``, if there are no
        answers, or if an answer is missing under ``nan_policy="raise"``.
    TypeError
        If the answers are not numeric, or ``scale`` / ``satisfied`` are not
        pairs of integers.

    See Also
    --------
    csat_from_counts : the same from one count per scale point.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> result = lm.csat([5, 4, 4, 3, 5, 2, 4, 5, 1, 4])
    >>> result
    CSATResult(score=70.0, ci=[39.6778, 89.2209], n=10, mean=3.7, counts=(1, 1, 1, 4, 3),
    n_omitted=0)
    >>> lm.csat([7, 6, 5, 2, 7], scale=(1, 7), satisfied=(6, 7)).score
    60.0
    """
    return csat_named(
        scores,
        name="scores",
        scale=scale,
        satisfied=satisfied,
        weights=weights,
        nan_policy=nan_policy,
    )


def csat_named(
    scores: object,
    *,
    name: str,
    scale: object = CSAT_SCALE,
    satisfied: object = CSAT_SATISFIED,
    weights: npt.ArrayLike | None = None,
    nan_policy: NanPolicy = "raise",
) -> CSATResult:
    """:func:`csat`, with errors about the scores naming the argument ``name``."""
    checked_scale, checked_satisfied = _csat_options(scale, satisfied)
    summary = _summarise_scores(
        scores, scale=checked_scale, weights=weights, nan_policy=nan_policy, name=name
    )
    return _csat_result(summary, scale=checked_scale, satisfied=checked_satisfied)


def csat_from_counts(
    counts: npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] = CSAT_SCALE,
    satisfied: tuple[int, int] = CSAT_SATISFIED,
) -> CSATResult:
    """CSAT from one count per scale point.

    Gives exactly the result :func:`csat` gives on the raw answers; use it
    when the counts come from a SQL ``GROUP BY`` or a dashboard export.

    Parameters
    ----------
    counts : array_like
        Number of answers at each scale point, lowest point first: ``high -
        low + 1`` non-negative whole numbers, not all zero.
    scale, satisfied : tuple of int
        As in :func:`csat`.

    Returns
    -------
    CSATResult

    Raises
    ------
    ValueError
        If there is not one count per scale point, a count is negative, not
        whole or not finite, all counts are zero, or ``scale`` / ``satisfied``
        are invalid.
    TypeError
        If the counts are not numeric.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.csat_from_counts([5, 5, 10, 40, 40])
    CSATResult(score=80.0, ci=[71.1171, 86.6633], n=100, mean=4.05, counts=(5, 5, 10, 40, 40),
    n_omitted=0)
    """
    checked_scale, checked_satisfied = _csat_options(scale, satisfied)
    summary = _summarise_counts(counts, scale=checked_scale)
    return _csat_result(summary, scale=checked_scale, satisfied=checked_satisfied)


def _ces_options(
    version: object, scale: object, agree: object
) -> tuple[str, tuple[int, int], tuple[int, int]]:
    chosen = check_choice(version, name="version", choices=CES_VERSIONS)
    default_scale, default_agree = CES_DEFAULTS[chosen]
    checked_scale = check_scale(default_scale if scale is None else scale)
    checked_agree = check_scale_range(
        default_agree if agree is None else agree, name="agree", scale=checked_scale
    )
    return chosen, checked_scale, checked_agree


def _ces_result(
    summary: _Summary, *, version: str, scale: tuple[int, int], agree: tuple[int, int]
) -> CESResult:
    share = summary.share(scale, agree)
    n, weight_total, effective_n = summary.sizes()
    return CESResult(
        mean=summary.mean(scale),
        agree_share=share,
        score=100.0 * share,
        n=n,
        weight_total=weight_total,
        effective_n=effective_n,
        counts=summary.counts(),
        n_omitted=summary.n_omitted,
        scale=scale,
        agree=agree,
        version=version,
        _cells=summary.cells,
    )


def ces(
    scores: npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str = "2.0",
    weights: npt.ArrayLike | None = None,
    nan_policy: NanPolicy = "raise",
) -> CESResult:
    """Compute the customer effort score (CES) of raw answers.

    CES 2.0 (the default) asks for agreement with "The company made it easy
    for me to handle my issue" on 1 (strongly disagree) .. 7 (strongly agree);
    the headline is the mean (higher is better) and the share agreeing (5-7)
    is reported as ``score`` on 0..100. ``version="original"`` is the first
    CES question, "How much effort did you personally have to put forth to
    handle your request?", on 1 (very low effort) .. 5 (very high effort):
    lower is better, and the share reported is that of low effort (1-2).

    Parameters
    ----------
    scores : array_like
        Integer answers on ``scale`` (whole-number floats are accepted): a
        list, numpy array, or pandas / polars Series.
    scale : tuple of int, optional
        The answer scale ``(low, high)``; default (1, 7) for CES 2.0 and
        (1, 5) for the original version.
    agree : tuple of int, optional
        The range counted in ``agree_share``, inclusive and inside ``scale``;
        default (5, 7) for CES 2.0 and the low-effort answers (1, 2) for the
        original version.
    version : {"2.0", "original"}, default "2.0"
        Which CES question the answers come from. It sets the defaults above
        and the direction (:attr:`CESResult.higher_is_better`).
    weights : array_like, optional
        Survey weights, one per answer: finite, non-negative, not all zero.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        Missing answers raise, are dropped (counted in ``n_omitted``), or make
        the mean, share and score NaN.

    Returns
    -------
    CESResult
        The mean, the agree share and score, and the count of each scale
        point. Use :meth:`CESResult.confidence_interval` for an interval and
        :func:`compare_ces` to compare two samples.

    Raises
    ------
    ValueError
        If an answer is outside ``scale`` or not a whole number, if ``scale``
        is reversed or ``agree`` is reversed or outside ``scale``, if
        ``version`` is unknown, if there are no answers, or if an answer is
        missing under ``nan_policy="raise"``.
    TypeError
        If the answers are not numeric, or ``scale`` / ``agree`` are not pairs
        of integers.

    See Also
    --------
    ces_from_counts : the same from one count per scale point.

    Notes
    -----
    Sources: Dixon, Freeman & Toman (2010), "Stop Trying to Delight Your
    Customers", Harvard Business Review 88(7/8), for the original question;
    Dixon, Toman & DeLisi (2013), *The Effortless Experience*, for CES 2.0.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.ces([7, 6, 5, 5, 3, 7, 2, 6])
    CESResult(mean=5.125, ci=[3.61371, 6.63629], score=75.0, n=8, counts=(0, 1, 1, 0, 2, 2, 2),
    n_omitted=0, version='2.0')
    >>> original = lm.ces([1, 2, 2, 4, 1], version="original")
    >>> original.mean, original.score, original.higher_is_better
    (2.0, 80.0, False)
    """
    return ces_named(
        scores,
        name="scores",
        version=version,
        scale=scale,
        agree=agree,
        weights=weights,
        nan_policy=nan_policy,
    )


def ces_named(
    scores: object,
    *,
    name: str,
    version: object = "2.0",
    scale: object = None,
    agree: object = None,
    weights: npt.ArrayLike | None = None,
    nan_policy: NanPolicy = "raise",
) -> CESResult:
    """:func:`ces`, with errors about the scores naming the argument ``name``."""
    chosen, checked_scale, checked_agree = _ces_options(version, scale, agree)
    summary = _summarise_scores(
        scores, scale=checked_scale, weights=weights, nan_policy=nan_policy, name=name
    )
    return _ces_result(summary, version=chosen, scale=checked_scale, agree=checked_agree)


def ces_from_counts(
    counts: npt.ArrayLike,
    /,
    *,
    scale: tuple[int, int] | None = None,
    agree: tuple[int, int] | None = None,
    version: str = "2.0",
) -> CESResult:
    """CES from one count per scale point.

    Gives exactly the result :func:`ces` gives on the raw answers.

    Parameters
    ----------
    counts : array_like
        Number of answers at each scale point, lowest point first: ``high -
        low + 1`` non-negative whole numbers, not all zero.
    scale, agree, version
        As in :func:`ces`.

    Returns
    -------
    CESResult

    Raises
    ------
    ValueError
        If there is not one count per scale point, a count is negative, not
        whole or not finite, all counts are zero, or ``scale`` / ``agree`` /
        ``version`` are invalid.
    TypeError
        If the counts are not numeric.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30]).mean
    5.53
    >>> lm.ces_from_counts([30, 40, 20, 5, 5], version="original").score
    70.0
    """
    chosen, checked_scale, checked_agree = _ces_options(version, scale, agree)
    summary = _summarise_counts(counts, scale=checked_scale)
    return _ces_result(summary, version=chosen, scale=checked_scale, agree=checked_agree)
