"""Net Promoter Score: point estimates from raw scores or from band counts.

Definition (Reichheld 2003, "The One Number You Need to Grow", Harvard Business
Review 81(12)): respondents answer "How likely is it that you would recommend
us to a friend or colleague?" on 0..10. Scores 0-6 are detractors, 7-8
passives, 9-10 promoters, and NPS = 100 x (promoter share - detractor share),
on -100..100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

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
    tail_pvalue,
)
from loyaltymetrics._engine._means import (
    BootstrapEngine,
    bootstrap_confidence_interval,
    check_engine,
    normal_pvalue,
    scipy_bootstrap_interval,
)
from loyaltymetrics._engine._results import ConfidenceInterval, HeadlineResult, TargetTest
from loyaltymetrics._engine._target_tests import (
    TargetOutcome,
    bootstrap_test,
    check_target,
    normal_test,
)
from loyaltymetrics._engine._validation import (
    NanPolicy,
    check_choice,
    check_confidence_level,
    check_count,
    check_count_vector,
    check_integer_scores,
    check_n_resamples,
    check_positive_vector,
    check_rng,
)
from loyaltymetrics._survey._nps_inference import (
    NPS_METHODS,
    NPSMethod,
    _augmented,
    _effective_counts,
    _score_statistic,
    dirichlet_difference_cdf,
    nps_interval,
    nps_means,
    nps_points,
    nps_standard_error,
)

__all__ = ["NPS_SCALE", "NPSResult", "nps", "nps_from_counts", "nps_named"]

#: The NPS answer scale, inclusive.
NPS_SCALE = (0, 10)
#: Highest detractor score and lowest promoter score (Reichheld 2003).
DETRACTOR_MAX = 6
PROMOTER_MIN = 9
_ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")

#: Band of each scale point 0..10: 0 detractor, 1 passive, 2 promoter.
SCORE_BAND = np.array(
    [0] * (DETRACTOR_MAX + 1) + [1] * (PROMOTER_MIN - DETRACTOR_MAX - 1) + [2] * 2, dtype=np.int64
)


@dataclass(frozen=True, repr=False)
class NPSResult(HeadlineResult):
    """Net Promoter Score of a sample.

    Attributes
    ----------
    score : float
        NPS on the -100..100 scale: ``100 * (promoter_share - detractor_share)``;
        also ``estimate``. NaN when ``nan_policy="propagate"`` met a
        missing score. ``repr`` shows it with its default interval
        (adjusted Wald, 95%) as ``ci``.
    n : int
        Number of responses counted (missing scores omitted under
        ``nan_policy="omit"`` are not counted).
    detractors, passives, promoters : float
        Counts (whole numbers; weighted totals for a weighted sample) of
        scores 0-6, 7-8 and 9-10.
    detractor_share, passive_share, promoter_share : float
        The three shares, each in 0..1, summing to 1.
    n_omitted : int
        Missing scores removed under ``nan_policy="omit"``.
    weight_total : float or None
        Sum of the weights (``n`` for an unweighted sample); shown only when
        it differs from ``n``. None for a result built without respondent
        counts.
    effective_n : float or None
        Kish's effective sample size ``(sum w)**2 / sum w**2`` (``n`` for an
        unweighted sample), the n the weighted intervals use; shown only
        when it differs from ``n``. None as for ``weight_total``.
    """

    score: float
    n: int
    detractors: float
    passives: float
    promoters: float
    detractor_share: float
    passive_share: float
    promoter_share: float
    n_omitted: int = 0
    weight_total: float | None = None
    effective_n: float | None = None
    _cells: CellTable | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "score",
        "n",
        "weight_total",
        "effective_n",
        "detractors",
        "passives",
        "promoters",
        "n_omitted",
    )
    _headline: ClassVar[str] = "score"

    def _default_interval(self) -> ConfidenceInterval | None:
        return None if self._cells is None else self.confidence_interval()

    def _cell_table(self) -> CellTable:
        """Return the band cells, as the inference functions take them."""
        if self._cells is None:
            raise ValueError(
                "this `NPSResult` carries no respondent counts; build it with `nps` or "
                "`nps_from_counts` to get standard errors and intervals"
            )
        return self._cells

    @property
    def standard_error(self) -> float:
        """Wald standard error of ``score``, in NPS points.

        ``100 * sqrt((p_P + p_D - (p_P - p_D)**2) / n)`` with the promoter and
        detractor shares ``p_P``, ``p_D`` (the per-respondent variance of the
        -1/0/+1 coding over n). For a weighted sample it is the linearised
        (Taylor) standard error of the weighted score. It is 0 when every
        respondent is in one band, and NaN when the score is NaN.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> round(lm.nps_from_counts(detractors=20, passives=30, promoters=50).standard_error, 4)
        7.8102
        """
        if np.isnan(self.score):
            return float("nan")
        return float(nps_standard_error(self._cell_table()))

    def confidence_interval(
        self,
        confidence_level: float = 0.95,
        *,
        method: NPSMethod = "adjusted-wald",
        n_resamples: int = 9999,
        rng: object = None,
        prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
        engine: BootstrapEngine = "count",
    ) -> ConfidenceInterval:
        """Two-sided confidence interval for the score, on -100..100.

        Parameters
        ----------
        confidence_level : float, default 0.95
            Coverage probability of the interval, strictly between 0 and 1.
        method : {"adjusted-wald", "wald", "score", "bayes", "percentile", "basic", "bca"}
            "adjusted-wald" (default): Wald on the counts plus 3/4 detractor,
            3/2 passive and 3/4 promoter (Rocks 2016). "wald": score
            ± z x :attr:`standard_error`. "score": Tango's score interval,
            solved numerically (Rocks 2016's iterative method). "bayes":
            equal-tailed credible interval of the Dirichlet posterior with
            parameter ``prior``. "percentile", "basic", "bca": bootstrap
            intervals as defined by ``scipy.stats.bootstrap``, computed by
            resampling the band counts (exact, and as fast for a million
            respondents as for ten).
        n_resamples : int, default 9999
            Bootstrap resamples (bootstrap methods only), at least 2.
        rng : None, int or numpy.random.Generator, optional
            Source of randomness for the bootstrap methods; pass a seed for
            reproducible intervals.
        prior : tuple of 3 floats, default (1, 1, 1)
            Dirichlet prior parameters for (detractors, passives, promoters),
            positive; used by "bayes" only. The default is uniform over the
            shares.
        engine : {"count", "scipy"}, default "count"
            For the bootstrap methods: "count" resamples the band counts;
            "scipy" runs ``scipy.stats.bootstrap`` on the respondent rows
            (rebuilt from the counts, paired with their weights when
            weighted). Both are the same row bootstrap and agree within
            Monte-Carlo error; "scipy" costs O(n) per resample, and O(n^2)
            memory for BCa's jackknife.

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high`` in NPS points, clipped to [-100, 100]. NaN
            only when the score itself is NaN. For the bootstrap methods it
            also carries the ``bootstrap_distribution`` (in points) and its
            ``standard_error``.

        Raises
        ------
        ValueError
            For a confidence level outside (0, 1), an unknown method, fewer
            than 2 resamples or a non-positive prior.
        TypeError
            For arguments of the wrong type.

        Notes
        -----
        Degenerate samples get a definite answer: when every respondent is
        in one band (including n = 1), "wald" and the bootstrap methods
        return the zero-width interval at the score (they see no spread),
        while "adjusted-wald", "score" and "bayes" return a proper interval
        reaching towards the other bands. For weighted samples the analytic
        methods use the linearised variance ("wald") or Kish's effective
        sample size ("adjusted-wald", "score", "bayes"), and the bootstrap
        resamples the distinct (band, weight) cells. The guide page
        "Confidence intervals for NPS" gives the formulas, sources and a
        coverage study.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
        >>> result.confidence_interval()
        ConfidenceInterval(low=14.0511, high=44.2013)
        >>> result.confidence_interval(0.9, method="wald")
        ConfidenceInterval(low=17.1533, high=42.8467)
        >>> bootstrap = result.confidence_interval(method="bca", rng=1)
        >>> bootstrap
        ConfidenceInterval(low=14.0, high=45.0)
        >>> bootstrap.bootstrap_distribution.shape, round(bootstrap.standard_error, 1)
        ((9999,), 7.9)
        """
        level = check_confidence_level(confidence_level)
        chosen = check_choice(method, name="method", choices=NPS_METHODS)
        resamples = check_n_resamples(n_resamples)
        generator = check_rng(rng)
        prior_array = check_positive_vector(prior, name="prior", size=3)
        chosen_engine = check_engine(engine, chosen)
        if np.isnan(self.score):
            return ConfidenceInterval(float("nan"), float("nan"))
        if chosen in BOOTSTRAP_METHODS:
            bootstrap = (
                scipy_bootstrap_interval
                if chosen_engine == "scipy"
                else bootstrap_confidence_interval
            )
            return bootstrap(
                nps_means(self._cell_table()),
                confidence_level=level,
                method=chosen,
                n_resamples=resamples,
                rng=generator,
                bound=100.0,
            )
        _, low, high = nps_interval(
            self._cell_table(),
            confidence_level=level,
            method=chosen,
            n_resamples=resamples,
            rng=generator,
            prior=prior_array,
        )
        return ConfidenceInterval(float(low), float(high))

    def test(
        self,
        value: float,
        /,
        *,
        alternative: Alternative = "two-sided",
        method: NPSMethod | None = None,
        n_resamples: int = 9999,
        rng: object = None,
        prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
        engine: BootstrapEngine = "count",
    ) -> TargetTest:
        """Test the score against a target value, e.g. "is our NPS above 30?".

        The test inverts the interval of the same ``method``: for every
        confidence level, the two-sided p-value is below ``1 -
        confidence_level`` exactly when ``value`` lies outside
        ``confidence_interval(confidence_level, method=method)``, and the
        "greater" ("less") p-value is below it exactly when ``value`` is
        below the one-sided lower (above the upper) limit at that level,
        which is the two-sided limit at level ``2 * confidence_level - 1``.

        Parameters
        ----------
        value : float
            The target, in NPS points on -100..100 (the scale of ``score``).
        alternative : {"two-sided", "greater", "less"}, default "two-sided"
            The alternative hypothesis: the true score differs from,
            exceeds, or falls short of ``value``.
        method : str, optional
            One of the methods of :meth:`confidence_interval`; default (None)
            its default, "adjusted-wald". Per method the test is: "wald", a
            z test with the interval's (estimated, not null) standard error;
            "adjusted-wald", the same z test with the adjusted centre and
            standard error; "score", Tango's score statistic at the target,
            the statistic the score interval inverts; "bayes", the
            posterior tail probability, twice the smaller of
            ``P(NPS < value)`` and ``P(NPS > value)`` (it inverts the
            equal-tailed credible interval); "percentile", "basic", "bca",
            the smallest ``1 - level`` at which the bootstrap interval
            excludes the target (through BCa's bias and acceleration for
            "bca").
        n_resamples, rng, prior, engine
            As for :meth:`confidence_interval`. With the same ``rng`` seed
            the bootstrap test uses exactly the resamples of the bootstrap
            interval.

        Returns
        -------
        TargetTest
            The score, the target, the statistic (NaN for "bayes"), the
            p-value, ``alternative``, ``method`` and ``n``. When the score
            is NaN (``nan_policy="propagate"`` met a missing score), the
            statistic and p-value are NaN.

        Raises
        ------
        ValueError
            For a target outside [-100, 100], NaN or infinite, an unknown
            alternative or method, fewer than 2 resamples or a non-positive
            prior.
        TypeError
            For a target that is not a number (booleans included) or other
            arguments of the wrong type.

        Notes
        -----
        Degenerate samples follow their interval. When every respondent is
        in one band, "wald" and the bootstrap see no spread: the p-value is
        1 at the score itself and 0 at any other target, as their
        zero-width interval says, while "adjusted-wald", "score" and
        "bayes" give a graded answer. A target at the boundary (-100 or
        100) is allowed: for example with all promoters the "score" test of
        100 has p = 1, since that interval reaches 100.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
        >>> result.test(10, alternative="greater")
        TargetTest(estimate=30.0, target=10.0, statistic=2.48667, pvalue=0.00644733,
        alternative='greater', method='adjusted-wald', n=100)
        >>> round(result.test(10, method="score").pvalue, 4)
        0.0154
        >>> round(result.test(10, method="bca", rng=1).pvalue, 3)
        0.014
        """
        target = check_target(value, low=-100.0, high=100.0)
        side = check_choice(alternative, name="alternative", choices=_ALTERNATIVES)
        chosen = check_choice(
            "adjusted-wald" if method is None else method, name="method", choices=NPS_METHODS
        )
        resamples = check_n_resamples(n_resamples)
        generator = check_rng(rng)
        prior_array = check_positive_vector(prior, name="prior", size=3)
        chosen_engine = check_engine(engine, chosen)
        cells = self._cell_table()
        if np.isnan(self.score):
            statistic, pvalue = float("nan"), float("nan")
        else:
            outcome = _target_outcome(
                cells,
                target,
                method=chosen,
                alternative=side,
                n_resamples=resamples,
                rng=generator,
                prior=prior_array,
                engine=chosen_engine,
            )
            statistic, pvalue = float(outcome.statistic), float(outcome.pvalue)
        return TargetTest(
            estimate=self.score,
            target=target,
            statistic=statistic,
            pvalue=pvalue,
            alternative=side,
            method=chosen,
            n=self.n,
        )


def _target_outcome(
    cells: CellTable,
    target: float,
    *,
    method: NPSMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator,
    prior: npt.NDArray[np.float64],
    engine: BootstrapEngine,
) -> TargetOutcome:
    """Statistic and p-value of ``NPS == target`` (in points) inverting ``method``'s interval."""
    sample = nps_means(cells)
    if method in BOOTSTRAP_METHODS:
        return bootstrap_test(
            sample,
            target,
            method=method,
            alternative=alternative,
            n_resamples=n_resamples,
            rng=rng,
            engine=engine,
        )
    if method == "wald":
        return normal_test(
            sample.statistic(sample.count), nps_standard_error(cells), target, alternative
        )
    effective = _effective_counts(sample)
    if method == "adjusted-wald":
        centre, variance = _augmented(effective)
        return normal_test(100.0 * centre, 100.0 * np.sqrt(variance), target, alternative)
    if method == "score":
        statistic = _score_statistic(
            np.asarray(target / 100.0), effective[..., 2], effective[..., 0], effective.sum(axis=-1)
        )
        return TargetOutcome(statistic, normal_pvalue(statistic, alternative))
    # "bayes": the posterior probability below the target is the "greater" p-value.
    below = dirichlet_difference_cdf(effective + prior)(np.asarray(target / 100.0))
    below = np.clip(below, 0.0, 1.0)
    return TargetOutcome(np.full(below.shape, np.nan), tail_pvalue(below, 1.0 - below, alternative))


def _result_from_totals(
    totals: np.ndarray,
    *,
    n_omitted: int,
    cells: CellTable | None,
    undefined: bool = False,
) -> NPSResult:
    """Build an NPSResult from (detractor, passive, promoter) totals."""
    detractors, passives, promoters = (float(x) for x in totals)
    n = detractors + passives + promoters
    if undefined or n == 0:
        shares = (float("nan"),) * 3
        score = float("nan")
    else:
        shares = (detractors / n, passives / n, promoters / n)
        score = float(nps_points(totals))
    weighted = cells is not None and cells.is_weighted
    rows, weight_total, effective_n = (round(n), n, n) if cells is None else response_counts(cells)

    def as_count(value: float) -> float:
        return as_reported_count(value, weighted=weighted)

    return NPSResult(
        score=score,
        n=rows,
        detractors=as_count(detractors),
        passives=as_count(passives),
        promoters=as_count(promoters),
        detractor_share=shares[0],
        passive_share=shares[1],
        promoter_share=shares[2],
        n_omitted=n_omitted,
        weight_total=weight_total,
        effective_n=effective_n,
        _cells=cells,
    )


def nps(
    scores: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
    nan_policy: NanPolicy = "raise",
) -> NPSResult:
    """Net Promoter Score of raw 0..10 survey answers.

    Parameters
    ----------
    scores : array_like
        Answers to the likelihood-to-recommend question: integers 0..10
        (whole-number floats such as ``9.0`` are accepted). A list, numpy array,
        or pandas / polars Series.
    weights : array_like, optional
        Survey (sampling) weights, one per score: finite, non-negative, not all
        zero. Each respondent counts in proportion to its weight, so the shares
        are weighted shares; ``n`` stays the number of responses, beside the
        ``weight_total`` and Kish's ``effective_n``. Integer weights
        give exactly the result of repeating each row that many times.
    nan_policy : {"raise", "omit", "propagate"}, default "raise"
        What to do with missing scores (NaN, None, pandas.NA, polars null):
        raise an error, drop them (counted in ``n_omitted``), or return a result
        whose score and shares are NaN. Missing weights are always an error.

    Returns
    -------
    NPSResult
        The score on -100..100, the band counts and shares.

    Raises
    ------
    ValueError
        If a score is outside 0..10 or not a whole number (the message names
        the first offending value and its position), if there are no responses,
        or if a score is missing under ``nan_policy="raise"``.
    TypeError
        If the scores are strings, booleans or otherwise not numeric.

    See Also
    --------
    nps_from_counts : the same result from detractor, passive and promoter counts.

    Notes
    -----
    Detractors answer 0-6, passives 7-8 and promoters 9-10, and
    ``NPS = 100 * (promoters - detractors) / n`` (Reichheld 2003).

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.nps([10, 9, 8, 7, 6, 0])
    NPSResult(score=0.0, ci=[-51.0725, 51.0725], n=6, detractors=2, passives=2, promoters=2,
    n_omitted=0)
    >>> result = lm.nps([10, 10, 9, 7, 3, float("nan")], nan_policy="omit")
    >>> result.score, result.n_omitted
    (40.0, 1)
    """
    return nps_named(scores, name="scores", weights=weights, nan_policy=nan_policy)


def nps_named(
    scores: object, *, name: str, weights: object = None, nan_policy: str = "raise"
) -> NPSResult:
    """:func:`nps`, with errors about the scores naming the argument ``name``."""
    sample = check_integer_scores(
        scores,
        name=name,
        low=NPS_SCALE[0],
        high=NPS_SCALE[1],
        nan_policy=nan_policy,
        weights=weights,
    )
    point_totals, cells = tally_scores(sample, low=NPS_SCALE[0], high=NPS_SCALE[1])
    band_totals = np.bincount(SCORE_BAND, weights=point_totals, minlength=3)
    band_cells = cells.regroup(SCORE_BAND)
    return _result_from_totals(
        band_totals,
        n_omitted=sample.n_omitted,
        cells=band_cells,
        undefined=sample.has_missing,
    )


def nps_from_counts(
    counts: npt.ArrayLike | None = None,
    /,
    *,
    detractors: float | None = None,
    passives: float | None = None,
    promoters: float | None = None,
) -> NPSResult:
    """Net Promoter Score from counts: one per scale point, or per band.

    Use this when the counts come from elsewhere (a SQL ``GROUP BY``, a
    dashboard export). It gives exactly the result :func:`nps` gives on the raw
    scores.

    Parameters
    ----------
    counts : array_like of 11 int, optional
        Number of respondents who answered 0, 1, ..., 10, as
        :func:`csat_from_counts` and :func:`ces_from_counts` take theirs.
    detractors, passives, promoters : int, optional
        Or: the number of respondents who answered 0-6, 7-8 and 9-10. Give
        either ``counts`` or all three. Non-negative whole numbers, not all
        zero.

    Returns
    -------
    NPSResult

    Raises
    ------
    ValueError
        If a count is negative, not a whole number, not finite, or all are zero.
    TypeError
        If a count is not a number, or both (or neither) forms are given.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.nps_from_counts(detractors=20, passives=30, promoters=50)
    NPSResult(score=30.0, ci=[14.0511, 44.2013], n=100, detractors=20, passives=30, promoters=50,
    n_omitted=0)
    >>> lm.nps_from_counts([2, 0, 0, 0, 0, 3, 15, 10, 20, 25, 25])
    NPSResult(score=30.0, ci=[14.0511, 44.2013], n=100, detractors=20, passives=30, promoters=50,
    n_omitted=0)
    """
    bands = (detractors, passives, promoters)
    if (counts is None) == all(band is None for band in bands) or (
        counts is None and any(band is None for band in bands)
    ):
        raise TypeError(
            "pass either `counts` (one count per answer 0..10) or all of `detractors`, "
            "`passives` and `promoters`"
        )
    if counts is not None:
        point_counts = check_count_vector(counts, name="counts", length=NPS_SCALE[1] + 1)
        totals = np.bincount(SCORE_BAND, weights=point_counts, minlength=3)
        cells = CellTable.of_counts(point_counts).regroup(SCORE_BAND)
    else:
        totals = np.array(
            [check_count(band, name=label) for band, label in zip(bands, _BAND_LABELS, strict=True)]
        )
        cells = CellTable.of_counts(totals.astype(np.int64))
    if totals.sum() == 0:
        raise ValueError(
            "`detractors`, `passives` and `promoters` must not all be zero: "
            "NPS needs at least one respondent"
        )
    return _result_from_totals(totals, n_omitted=0, cells=cells)


_BAND_LABELS = ("detractors", "passives", "promoters")
