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

from loyaltymetrics._engine._cells import CellTable, as_reported_count, tally_scores
from loyaltymetrics._engine._results import ConfidenceInterval, Result
from loyaltymetrics._engine._validation import (
    check_choice,
    check_confidence_level,
    check_count,
    check_integer_scores,
    check_n_resamples,
    check_positive_vector,
    check_rng,
)
from loyaltymetrics._survey._nps_inference import (
    NPS_METHODS,
    nps_interval,
    nps_points,
    nps_standard_error,
)

__all__ = ["NPS_SCALE", "NPSResult", "nps", "nps_from_counts", "nps_named"]

#: The NPS answer scale, inclusive.
NPS_SCALE = (0, 10)
#: Highest detractor score and lowest promoter score (Reichheld 2003).
DETRACTOR_MAX = 6
PROMOTER_MIN = 9

#: Band of each scale point 0..10: 0 detractor, 1 passive, 2 promoter.
SCORE_BAND = np.array(
    [0] * (DETRACTOR_MAX + 1) + [1] * (PROMOTER_MIN - DETRACTOR_MAX - 1) + [2] * 2, dtype=np.int64
)


@dataclass(frozen=True, repr=False)
class NPSResult(Result):
    """Net Promoter Score of a sample.

    Attributes
    ----------
    score : float
        NPS on the -100..100 scale: ``100 * (promoter_share - detractor_share)``.
        NaN when ``nan_policy="propagate"`` met a missing score.
    n : float
        Number of respondents counted, or the sum of their weights for a
        weighted sample.
    detractors, passives, promoters : float
        Counts (or weighted totals) of scores 0-6, 7-8 and 9-10.
    detractor_share, passive_share, promoter_share : float
        The three shares, each in 0..1, summing to 1.
    n_omitted : int
        Missing scores removed under ``nan_policy="omit"``.
    """

    score: float
    n: float
    detractors: float
    passives: float
    promoters: float
    detractor_share: float
    passive_share: float
    promoter_share: float
    n_omitted: int = 0
    _cells: CellTable | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "score",
        "n",
        "detractors",
        "passives",
        "promoters",
        "n_omitted",
    )

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
        method: str = "adjusted-wald",
        n_resamples: int = 9999,
        rng: object = None,
        prior: tuple[float, float, float] = (1.0, 1.0, 1.0),
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

        Returns
        -------
        ConfidenceInterval
            ``low`` and ``high`` in NPS points, clipped to [-100, 100]. NaN
            only when the score itself is NaN.

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
        >>> result.confidence_interval(method="bca", rng=1)
        ConfidenceInterval(low=14.0, high=45.0)
        """
        level = check_confidence_level(confidence_level)
        chosen = check_choice(method, name="method", choices=NPS_METHODS)
        resamples = check_n_resamples(n_resamples)
        generator = check_rng(rng)
        prior_array = check_positive_vector(prior, name="prior", size=3)
        if np.isnan(self.score):
            return ConfidenceInterval(float("nan"), float("nan"))
        _, low, high = nps_interval(
            self._cell_table(),
            confidence_level=level,
            method=chosen,
            n_resamples=resamples,
            rng=generator,
            prior=prior_array,
        )
        return ConfidenceInterval(float(low), float(high))


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

    def as_count(value: float) -> float:
        return as_reported_count(value, weighted=weighted)

    return NPSResult(
        score=score,
        n=as_count(n),
        detractors=as_count(detractors),
        passives=as_count(passives),
        promoters=as_count(promoters),
        detractor_share=shares[0],
        passive_share=shares[1],
        promoter_share=shares[2],
        n_omitted=n_omitted,
        _cells=cells,
    )


def nps(scores: object, /, *, weights: object = None, nan_policy: str = "raise") -> NPSResult:
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
        are weighted shares and ``n`` is the sum of the weights. Integer weights
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
    NPSResult(score=0.0, n=6, detractors=2, passives=2, promoters=2, n_omitted=0)
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


def nps_from_counts(*, detractors: float, passives: float, promoters: float) -> NPSResult:
    """Net Promoter Score from the counts of detractors, passives and promoters.

    Use this when the counts come from elsewhere (a SQL ``GROUP BY``, a
    dashboard export). It gives exactly the result :func:`nps` gives on the raw
    scores.

    Parameters
    ----------
    detractors, passives, promoters : int
        Number of respondents who answered 0-6, 7-8 and 9-10. Non-negative whole
        numbers, not all zero.

    Returns
    -------
    NPSResult

    Raises
    ------
    ValueError
        If a count is negative, not a whole number, not finite, or all are zero.
    TypeError
        If a count is not a number.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.nps_from_counts(detractors=20, passives=30, promoters=50)
    NPSResult(score=30.0, n=100, detractors=20, passives=30, promoters=50, n_omitted=0)
    """
    totals = np.array(
        [
            check_count(detractors, name="detractors"),
            check_count(passives, name="passives"),
            check_count(promoters, name="promoters"),
        ]
    )
    if totals.sum() == 0:
        raise ValueError(
            "`detractors`, `passives` and `promoters` must not all be zero: "
            "NPS needs at least one respondent"
        )
    cells = CellTable.of_counts(totals.astype(np.int64))
    return _result_from_totals(totals, n_omitted=0, cells=cells)
