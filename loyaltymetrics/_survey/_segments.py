"""Segment breakdowns of NPS, CSAT and CES, on any dataframe or on arrays.

Two stages, as everywhere in the library:

1. **Reduce.** One group-by over (segment keys, score) -- plus the weight
   when there are weights -- counting rows, run inside the caller's engine
   (pandas, polars, pyarrow, Dask, DuckDB, PySpark through narwhals; numpy for
   arrays). Only that small table (at most segments x scale points x distinct
   weights rows) is collected. Scores are validated on it.
2. **Infer.** The table becomes a (segments x cells) count matrix, and one
   call of the metric's batch interval and difference functions computes
   every segment at once. The "rest" of the data for segment ``s`` is the
   overall counts minus the segment's, so it is also just counts.

Random numbers: with ``rng`` turned into a Generator ``g`` (SPEC 7),
``children = g.spawn(S + 1)`` for ``S`` segments; the overall figure uses
``children[0]``, and segment ``i`` (in the result's row order) splits
``children[1 + i]`` into the streams of its own rows and of the rest, as the
two-sample functions split their generator. Its comparison is therefore
exactly that of ``compare_*`` called with ``children[1 + i]``, and its
interval that of the single-group function called with the first of those
streams, whichever other segments exist. The interval and the comparison
share the segment's resamples, so a bootstrap breakdown with comparisons
draws each segment's resamples once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._corrections import CORRECTIONS, correct_pvalues
from loyaltymetrics._engine._frames import (
    Grouped,
    Table,
    as_table,
    check_numeric,
    columns_to_frame,
    group_aggregate,
    regroup,
)
from loyaltymetrics._engine._intervals import BOOTSTRAP_METHODS, RandomSource, spawn_generators
from loyaltymetrics._engine._results import ConfidenceInterval, TabularResult, format_value
from loyaltymetrics._engine._validation import (
    NanPolicy,
    check_choice,
    check_confidence_level,
    check_count,
    check_n_resamples,
    check_nan_policy,
    check_positive_vector,
    check_rng,
    check_scale,
    check_scale_range,
)
from loyaltymetrics._survey._nps import NPS_SCALE, SCORE_BAND
from loyaltymetrics._survey._nps_inference import (
    DIFFERENCE_METHODS,
    NPS_METHODS,
    nps_difference,
    nps_interval,
    nps_interval_and_difference,
)
from loyaltymetrics._survey._satisfaction import (
    CES_DEFAULTS,
    CES_VERSIONS,
    CSAT_SATISFIED,
    CSAT_SCALE,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_DIFFERENCE_METHODS,
    MEAN_METHODS,
    SHARE_DIFFERENCE_METHODS,
    SHARE_METHODS,
    mean_difference,
    mean_interval,
    scale_interval_and_difference,
    share_difference,
    share_interval,
)

__all__ = ["SegmentBreakdown", "by_segment"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Estimates = tuple[FloatArray, FloatArray, FloatArray]
Differences = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]

_METRICS = ("nps", "csat", "ces")
_COMPARE = ("rest", "overall")
_CES_ESTIMANDS = ("mean", "agree_share")
_ROWS = "__loyaltymetrics_rows"


@dataclass(frozen=True)
class _Cells:
    """Cell arrays of one or many samples, shape ``(..., K)``."""

    count: IntArray
    cell: IntArray
    weight: FloatArray

    @property
    def arrays(self) -> tuple[IntArray, IntArray, FloatArray]:
        """``(count, cell, weight)``, the order the inference functions take them in."""
        return self.count, self.cell, self.weight

    @property
    def total(self) -> FloatArray:
        """Weighted total of each sample (the metric's n)."""
        return np.asarray((self.count * self.weight).sum(axis=-1), dtype=np.float64)


@dataclass(frozen=True)
class _Metric:
    """What the breakdown needs to know about one metric."""

    name: str
    scale: tuple[int, int]
    cell_of_point: IntArray  # scale-point index -> cell index
    estimate: str  # name of the estimate column
    method: str
    difference_method: str
    nan_policy: NanPolicy
    interval: Callable[[_Cells, RandomSource], Estimates]
    difference: Callable[[_Cells, _Cells, RandomSource], Differences]
    #: Interval and comparison from one set of the segment's resamples (equal
    #: to ``interval`` and ``difference``); used when ``shares_resamples``.
    joint: Callable[[_Cells, _Cells, RandomSource], tuple[Estimates, Differences]]

    @property
    def bootstrap(self) -> bool:
        """Whether the interval or the comparison draws random numbers."""
        return self.method in BOOTSTRAP_METHODS or self.difference_method in BOOTSTRAP_METHODS

    @property
    def shares_resamples(self) -> bool:
        """Whether interval and comparison are the same bootstrap, so ``joint`` applies."""
        return self.method in BOOTSTRAP_METHODS and self.method == self.difference_method

    @property
    def n_cells(self) -> int:
        return int(self.cell_of_point.max()) + 1


def _as_generator(rng: RandomSource) -> np.random.Generator:
    # The batch functions take a Generator or, through the shared count
    # bootstrap, one entry per segment: a Generator or one Generator per
    # sample (see _intervals.RandomSource).
    return cast("np.random.Generator", rng)


def _pop_options(metric: str, options: dict[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"unexpected option {unknown[0]!r} for metric={metric!r}; "
            f"its options are: {', '.join(allowed)}"
        )


def _nps_metric(
    options: dict[str, object], method: object, level: float, n_resamples: int
) -> _Metric:
    _pop_options("nps", options, ("nan_policy", "prior"))
    nan_policy = check_nan_policy(options.get("nan_policy", "raise"))
    prior = check_positive_vector(options.get("prior", (1.0, 1.0, 1.0)), name="prior", size=3)
    chosen = check_choice(
        "adjusted-wald" if method is None else method, name="method", choices=NPS_METHODS
    )
    difference_method = chosen if chosen in DIFFERENCE_METHODS else "adjusted-wald"

    def interval(cells: _Cells, rng: RandomSource) -> Estimates:
        low, high = nps_interval(
            *cells.arrays,
            confidence_level=level,
            method=chosen,
            n_resamples=n_resamples,
            rng=_as_generator(rng),
            prior=prior,
        )
        return _nps_score(cells), low, high

    def difference(a: _Cells, b: _Cells, rng: RandomSource) -> Differences:
        return nps_difference(
            *a.arrays,
            *b.arrays,
            confidence_level=level,
            method=cast("Any", difference_method),
            alternative="two-sided",
            n_resamples=n_resamples,
            rng=_as_generator(rng),
        )

    def joint(a: _Cells, b: _Cells, rng: RandomSource) -> tuple[Estimates, Differences]:
        (low, high), differences = nps_interval_and_difference(
            *a.arrays,
            *b.arrays,
            confidence_level=level,
            method=cast("Any", chosen),
            n_resamples=n_resamples,
            rng=rng,
        )
        return (_nps_score(a), low, high), differences

    return _Metric(
        name="nps",
        scale=NPS_SCALE,
        cell_of_point=SCORE_BAND,
        estimate="score",
        method=chosen,
        difference_method=difference_method,
        nan_policy=nan_policy,
        interval=interval,
        difference=difference,
        joint=joint,
    )


def _nps_score(cells: _Cells) -> FloatArray:
    """NPS in points, computed as :func:`loyaltymetrics.nps` does (shares first)."""
    weighted = cells.count * cells.weight
    total = weighted.sum(axis=-1)
    detractors = (weighted * (cells.cell == 0)).sum(axis=-1)
    promoters = (weighted * (cells.cell == 2)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = 100.0 * (promoters / total - detractors / total)
    return np.asarray(score, dtype=np.float64)


def _rating_metric(
    name: str,
    *,
    scale: tuple[int, int],
    in_range: tuple[int, int] | None,
    method: object,
    nan_policy: NanPolicy,
    level: float,
    n_resamples: int,
) -> _Metric:
    """Build a rating-scale metric: the share of ``in_range`` on 0..100, or the mean if None.

    The share is CSAT or the CES agree share; the mean is the CES mean, on
    the answer scale. Differences are clipped as ``compare_csat`` and
    ``compare_ces`` report them: to 100 points, or to the scale's width.
    """
    options: dict[str, Any]
    methods: tuple[str, ...]
    if in_range is None:
        methods, default, difference_default = MEAN_METHODS, "t", "welch"
        difference_methods: tuple[str, ...] = MEAN_DIFFERENCE_METHODS
        interval_of, difference_of = mean_interval, mean_difference
        options = {"offset": float(scale[0])}
        factor, bound, estimate = 1.0, float(scale[1] - scale[0]), "mean"
    else:
        methods, default, difference_default = SHARE_METHODS, "wilson", "newcombe"
        difference_methods = SHARE_DIFFERENCE_METHODS
        interval_of, difference_of = share_interval, share_difference  # type: ignore[assignment]
        options = {"in_range": (in_range[0] - scale[0], in_range[1] - scale[0])}
        factor, bound, estimate = 100.0, 100.0, "score"
    chosen = check_choice(default if method is None else method, name="method", choices=methods)
    difference_method = chosen if chosen in difference_methods else difference_default

    def scaled(value: FloatArray, low: FloatArray, high: FloatArray) -> Estimates:
        return factor * value, factor * low, factor * high

    def scaled_difference(
        d: FloatArray, low: FloatArray, high: FloatArray, statistic: FloatArray, pvalue: FloatArray
    ) -> Differences:
        low, high = np.clip(factor * low, -bound, bound), np.clip(factor * high, -bound, bound)
        return factor * d, low, high, statistic, pvalue

    def interval(cells: _Cells, rng: RandomSource) -> Estimates:
        return scaled(
            *interval_of(
                *cells.arrays,
                confidence_level=level,
                method=cast("Any", chosen),
                n_resamples=n_resamples,
                rng=_as_generator(rng),
                **options,
            )
        )

    def difference(a: _Cells, b: _Cells, rng: RandomSource) -> Differences:
        return scaled_difference(
            *difference_of(
                *a.arrays,
                *b.arrays,
                confidence_level=level,
                method=cast("Any", difference_method),
                n_resamples=n_resamples,
                rng=_as_generator(rng),
                **options,
            )
        )

    def joint(a: _Cells, b: _Cells, rng: RandomSource) -> tuple[Estimates, Differences]:
        estimates, differences = scale_interval_and_difference(
            *a.arrays,
            *b.arrays,
            confidence_level=level,
            method=cast("Any", chosen),
            n_resamples=n_resamples,
            rng=rng,
            **options,
        )
        return scaled(*estimates), scaled_difference(*differences)

    return _Metric(
        name=name,
        scale=scale,
        cell_of_point=np.arange(scale[1] - scale[0] + 1, dtype=np.int64),
        estimate=estimate,
        method=chosen,
        difference_method=difference_method,
        nan_policy=nan_policy,
        interval=interval,
        difference=difference,
        joint=joint,
    )


def _metric(
    metric: str, options: dict[str, object], method: object, level: float, n_resamples: int
) -> _Metric:
    if metric == "nps":
        return _nps_metric(options, method, level, n_resamples)
    if metric == "csat":
        _pop_options("csat", options, ("scale", "satisfied", "nan_policy"))
        scale = check_scale(options.get("scale", CSAT_SCALE))
        satisfied = check_scale_range(
            options.get("satisfied", CSAT_SATISFIED), name="satisfied", scale=scale
        )
        return _rating_metric(
            "csat",
            scale=scale,
            in_range=satisfied,
            method=method,
            nan_policy=check_nan_policy(options.get("nan_policy", "raise")),
            level=level,
            n_resamples=n_resamples,
        )
    _pop_options("ces", options, ("scale", "agree", "version", "of", "nan_policy"))
    version = check_choice(options.get("version", "2.0"), name="version", choices=CES_VERSIONS)
    default_scale, default_agree = CES_DEFAULTS[version]
    scale = check_scale(options.get("scale") or default_scale)
    of = check_choice(options.get("of", "mean"), name="of", choices=_CES_ESTIMANDS)
    nan_policy = check_nan_policy(options.get("nan_policy", "raise"))
    agree = None
    if of == "agree_share":
        agree = check_scale_range(options.get("agree") or default_agree, name="agree", scale=scale)
    return _rating_metric(
        "ces",
        scale=scale,
        in_range=agree,
        method=method,
        nan_policy=nan_policy,
        level=level,
        n_resamples=n_resamples,
    )


# --- reduce ---------------------------------------------------------------


@dataclass(frozen=True)
class _Reduced:
    """The collected count table, one entry per (segment, score, weight)."""

    table: Table
    grouped: Grouped
    keys: tuple[str, ...]
    segment: npt.NDArray[np.intp]  # segment index of each entry, in key order
    first_rows: npt.NDArray[np.intp]  # an entry of each segment (for its key values)
    score: FloatArray  # NaN for a missing score
    weight: FloatArray | None
    rows: IntArray

    @property
    def n_segments(self) -> int:
        return int(self.first_rows.shape[0])

    def label(self, entry: int) -> str:
        """Describe the segment of an entry for error messages."""
        return ", ".join(
            f"{key}={format_value(self.grouped.keys[key][entry])}" for key in self.keys
        )


def _as_float(values: npt.NDArray[Any]) -> FloatArray:
    if values.dtype == object:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def _reduce(data: object, *, score: object, by: object, weights: object) -> _Reduced:
    """Stage 1: validate the column arguments and count rows per cell in the engine."""
    if by is None:
        raise TypeError("`by` is required: the segment column name(s), or segment array(s)")
    table = as_table(
        data,
        data_role="score",
        roles={"score": score, "by": by, "weights": weights},
        key_roles=("by",),
    )
    if table.is_frame:
        if score is None:
            raise TypeError("`score` must name the score column of `data`")
        if len(table.columns["score"]) != 1:
            raise ValueError(f"`score` must name one column; got {list(table.columns['score'])}")
        if weights is not None and len(table.columns["weights"]) != 1:
            raise ValueError(
                f"`weights` must name one column; got {list(table.columns['weights'])}"
            )
        check_numeric(table, "score")
        if weights is not None:
            check_numeric(table, "weights")
    elif score is not None:
        raise TypeError(
            "`score` names a column, so `data` must be a dataframe; "
            "with an array of scores as `data`, leave `score` out"
        )
    keys = table.columns["by"]
    score_column = table.columns["score"][0]
    weight_column = table.columns["weights"][0] if weights is not None else None
    others = {score_column} | ({weight_column} if weight_column else set())
    if set(keys) & others:
        raise ValueError(
            f"`by` must not include the score or weights column; got {sorted(set(keys) & others)}"
        )
    group_keys = [*keys, score_column] + ([weight_column] if weight_column else [])
    grouped = group_aggregate(table, group_keys, {_ROWS: ("len", None)})
    if grouped.n_groups == 0:
        raise ValueError("`data` has no rows: a breakdown needs at least one response")
    segment, first_rows = regroup(grouped, keys)
    return _Reduced(
        table=table,
        grouped=grouped,
        keys=keys,
        segment=segment,
        first_rows=first_rows,
        score=_as_float(grouped.keys[score_column]),
        weight=None if weight_column is None else _as_float(grouped.keys[weight_column]),
        rows=np.asarray(grouped.values[_ROWS], dtype=np.int64),
    )


def _check_weights(reduced: _Reduced) -> None:
    if reduced.weight is None:
        return
    weight = reduced.weight
    bad = ~np.isfinite(weight)
    if bad.any():
        entry = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "`weights` must be finite (missing weights are not allowed); "
            f"found {weight[entry]} in segment {reduced.label(entry)}"
        )
    negative = weight < 0
    if negative.any():
        entry = int(np.flatnonzero(negative)[0])
        raise ValueError(
            f"`weights` must be non-negative; found {weight[entry]} in segment "
            f"{reduced.label(entry)}"
        )


def _check_scores(reduced: _Reduced, metric: _Metric) -> npt.NDArray[np.bool_]:
    """Validate the distinct scores; return the mask of missing-score entries."""
    low, high = metric.scale
    missing = np.isnan(reduced.score)
    if missing.any() and metric.nan_policy == "raise":
        entry = int(np.flatnonzero(missing)[0])
        n_missing = int(reduced.rows[missing].sum())
        raise ValueError(
            f"`score` contains {n_missing} missing values (the first in segment "
            f"{reduced.label(entry)}); pass nan_policy='omit' to drop them or "
            "'propagate' to return NaN"
        )
    values = reduced.score
    with np.errstate(invalid="ignore"):
        bad = ~missing & ((values < low) | (values > high) | (values != np.floor(values)))
    if bad.any():
        entry = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`score` must be integers in {low}..{high}; found {format_value(values[entry])} "
            f"in segment {reduced.label(entry)}"
        )
    return missing


# --- cells ----------------------------------------------------------------


def _zeros_first(count: IntArray, cell: IntArray, weight: FloatArray) -> _Cells:
    """Move each row's empty cells first and drop the columns no row needs.

    Cells are given in (cell, weight) order, which is kept among the
    populated ones: the order of a single group's own cells. Empty cells take
    no random stream in the count bootstrap, so a segment padded this way
    draws exactly the replicates of its own cell table.
    """
    cell = np.broadcast_to(cell, count.shape)
    weight = np.broadcast_to(weight, count.shape)
    order = np.argsort(count > 0, axis=-1, kind="stable")
    width = max(1, int((count > 0).sum(axis=-1).max(initial=0)))
    keep = order[..., count.shape[-1] - width :]
    return _Cells(
        np.take_along_axis(count, keep, axis=-1),
        np.take_along_axis(cell, keep, axis=-1),
        np.take_along_axis(weight, keep, axis=-1),
    )


@dataclass(frozen=True)
class _Breakdown:
    """Per-segment, overall and rest-of-data cells, with missing-value bookkeeping."""

    segments: _Cells  # (S, K)
    overall: _Cells  # (K_all,)
    rest: _Cells  # (S, K_rest)
    responses: IntArray  # rows counted per segment
    n_omitted: IntArray
    has_missing: npt.NDArray[np.bool_]


def _cells(reduced: _Reduced, metric: _Metric, missing: npt.NDArray[np.bool_]) -> _Breakdown:
    n_segments = reduced.n_segments
    missing_rows = np.bincount(
        reduced.segment[missing], weights=reduced.rows[missing], minlength=n_segments
    ).astype(np.int64)
    keep = ~missing
    segment = reduced.segment[keep]
    cell = metric.cell_of_point[(reduced.score[keep] - metric.scale[0]).astype(np.int64)]
    count = reduced.rows[keep]
    responses = np.bincount(segment, weights=count, minlength=n_segments).astype(np.int64)
    if reduced.weight is None:
        k = metric.n_cells
        dense = np.bincount(segment * k + cell, weights=count, minlength=n_segments * k)
        counts = dense.astype(np.int64).reshape(n_segments, k)
        cells = np.broadcast_to(np.arange(k, dtype=np.int64), counts.shape)
        ones = np.ones(counts.shape, dtype=np.float64)
        overall_count = counts.sum(axis=0)
        segments = _Cells(counts, np.array(cells), ones)
        overall = _Cells(overall_count, np.arange(k, dtype=np.int64), np.ones(k))
        rest = _Cells(overall_count[None, :] - counts, np.array(cells), ones)
    else:
        weight = reduced.weight[keep]
        if responses.sum() > 0 and not (weight * count > 0).any():
            raise ValueError("`weights` of the non-missing responses must not all be zero")
        # Distinct (cell, weight) pairs, numbered in (cell, weight) order.
        weight_values, weight_code = np.unique(weight, return_inverse=True)
        pair_code = cell * weight_values.shape[0] + weight_code
        pairs, pair_index = np.unique(pair_code, return_inverse=True)
        pair_cell = pairs // weight_values.shape[0]
        pair_weight = weight_values[pairs % weight_values.shape[0]]
        dense = np.zeros((n_segments, pairs.shape[0]), dtype=np.int64)
        np.add.at(dense, (segment, pair_index), count)
        overall = _Cells(dense.sum(axis=0), pair_cell, pair_weight)
        segments = _zeros_first(dense, pair_cell, pair_weight)
        rest = _zeros_first(overall.count[None, :] - dense, pair_cell, pair_weight)
    return _Breakdown(
        segments=segments,
        overall=overall,
        rest=rest,
        responses=responses,
        n_omitted=missing_rows if metric.nan_policy == "omit" else np.zeros_like(missing_rows),
        has_missing=missing_rows > 0 if metric.nan_policy == "propagate" else missing_rows < 0,
    )


# --- infer ----------------------------------------------------------------


def _blank(mask: npt.NDArray[np.bool_], *arrays: FloatArray) -> list[FloatArray]:
    return [np.asarray(np.where(mask, np.nan, array), dtype=np.float64) for array in arrays]


@dataclass(frozen=True, repr=False)
class SegmentBreakdown(TabularResult):
    """A metric broken down by segment, with intervals and comparisons.

    Attributes
    ----------
    table : DataFrame or dict of numpy arrays
        One row per segment, sorted by the segment keys (a missing key, which
        forms its own segment, last), in the caller's frame library: the same
        library for an eager frame (pandas, polars, pyarrow); for a lazy
        frame the library its engine collects to (polars for a polars
        ``LazyFrame``, pandas for Dask, pyarrow for DuckDB and PySpark); a
        dictionary of numpy arrays for array input. ``to_frame()`` converts
        to pandas or polars. The columns are described in
        :func:`by_segment`.
    metric : str
        "nps", "csat" or "ces".
    estimate : str
        Name of the estimate column: "score" (NPS points; CSAT or CES agree
        share on 0..100) or "mean" (CES mean answer).
    overall : float
        The estimate on all the data.
    overall_interval : ConfidenceInterval
        Its confidence interval.
    n : float
        Responses counted overall (the sum of their weights when weighted).
    n_segments : int
        Number of segments (rows of ``table``).
    confidence_level : float
        Level of every interval; ``1 - confidence_level`` is also the level
        at which ``significant`` is decided.
    method : str
        Interval method.
    comparison_method : str or None
        Method of the comparisons (None without comparisons).
    compare : {"rest", "overall"} or None
        What each segment is compared with.
    correction : {"holm", "bonferroni", "fdr_bh"} or None
        Multiple-testing correction of the comparisons' p-values.
    """

    table: Any = field(compare=False)
    metric: str
    estimate: str
    overall: float
    overall_interval: ConfidenceInterval
    n: float
    n_segments: int
    confidence_level: float
    method: str
    comparison_method: str | None
    compare: str | None
    correction: str | None
    _columns: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "metric",
        "overall",
        "overall_interval",
        "n",
        "n_segments",
        "method",
        "compare",
        "correction",
    )

    def _table(self) -> dict[str, Any]:
        return dict(self._columns)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain Python values, the table as a dict of lists.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> result = lm.by_segment([10, 9, 3, 8], by=["a", "a", "b", "b"], compare=None)
        >>> result.to_dict()["table"]["score"]
        [100.0, -50.0]
        """
        out = {name: value for name, value in super().to_dict().items() if name != "table"}
        out["table"] = {name: np.asarray(values).tolist() for name, values in self._columns.items()}
        return out


_RESULT_COLUMNS = (
    "n",
    "responses",
    "score",
    "mean",
    "low",
    "high",
    "difference",
    "difference_low",
    "difference_high",
    "statistic",
    "pvalue",
    "pvalue_corrected",
    "significant",
    "small",
    "n_omitted",
)


def by_segment(
    data: object,
    /,
    *,
    metric: str = "nps",
    score: str | None = None,
    by: object,
    weights: object = None,
    confidence_level: float = 0.95,
    method: str | None = None,
    compare: str | None = "rest",
    correction: str | None = "holm",
    min_n: int = 30,
    n_resamples: int = 9999,
    rng: object = None,
    **metric_options: object,
) -> SegmentBreakdown:
    """Break NPS, CSAT or CES down by segment, with intervals and comparisons.

    Parameters
    ----------
    data : dataframe or array_like
        A dataframe that narwhals supports -- pandas, polars (eager or
        ``LazyFrame``), pyarrow, Dask, DuckDB, PySpark -- with the columns
        named by ``score``, ``by`` and ``weights``; or an array of scores,
        with ``by`` (and ``weights``) given as arrays of the same length.
    metric : {"nps", "csat", "ces"}, default "nps"
        The metric. Its options go in ``metric_options``.
    score : str
        Name of the score column (dataframe input only).
    by : str, list of str, array_like or list of array_like
        Segment column name(s), or segment array(s) for array input. Several
        keys give one segment per observed combination. Rows whose key is
        missing form their own segment (key ``None``/null), listed last:
        missing values are never dropped silently. Filter them out first
        if they should not count.
    weights : str or array_like, optional
        Survey weights: a column name, or an array for array input. Finite,
        non-negative, not all zero; as in :func:`nps`.
    confidence_level : float, default 0.95
        Level of the intervals; the comparisons are ``significant`` where the
        corrected p-value is at most ``1 - confidence_level``.
    method : str, optional
        Interval method; None means the metric's default: "adjusted-wald" for
        NPS, "wilson" for CSAT and the CES agree share, "t" for the CES mean.
        Any method of the single-group ``confidence_interval`` is accepted.
        The comparison uses the same method where the two-sample function has
        it (Wald and the bootstrap methods), else its default
        ("adjusted-wald" for NPS, Newcombe's score interval for shares,
        Welch's t for means).
    compare : {"rest", "overall"} or None, default "rest"
        Compare each segment with the rest of the data (every other segment
        pooled: an independent two-sample comparison), or with the overall
        figure, or not at all. The segment is part of the overall figure, so
        "overall" is derived from "rest" exactly: ``segment - overall =
        (n_rest / n) * (segment - rest)``, the interval scaled by the same
        factor and the same test statistic and p-value.
    correction : {"holm", "bonferroni", "fdr_bh"} or None, default "holm"
        Multiple-testing correction over the segments' p-values (Holm 1979;
        Bonferroni; Benjamini & Hochberg 1995), as statsmodels'
        ``multipletests`` computes it. Undefined p-values are left out.
    min_n : int, default 30
        Segments with fewer responses (rows, also when weighted) are flagged
        ``small``: their estimates are noisy whatever the interval says.
    n_resamples : int, default 9999
        Bootstrap resamples (bootstrap methods only).
    rng : None, int or numpy.random.Generator, optional
        Randomness for the bootstrap methods. With ``children =
        numpy.random.default_rng(rng).spawn(S + 1)`` for ``S`` segments, the
        overall figure uses ``children[0]``; segment ``i`` (0-based, in row
        order) gets the comparison of ``compare_*`` called with
        ``rng=children[1 + i]`` and the interval of the single-group function
        called with ``rng=children[1 + i].spawn(2)[0]`` (the stream that
        resamples the segment in that comparison: both use the same
        resamples).
    **metric_options
        ``nan_policy`` ("raise", "omit" or "propagate", default "raise") for
        every metric; ``prior`` for NPS (the "bayes" method); ``scale`` and
        ``satisfied`` for CSAT; ``scale``, ``agree``, ``version`` ("2.0" or
        "original") and ``of`` ("mean" or "agree_share") for CES. Defaults as
        in :func:`nps`, ``csat`` and ``ces``.

    Returns
    -------
    SegmentBreakdown
        ``table`` has, per segment: the key column(s); ``n`` (responses, or
        the sum of their weights); ``responses`` (rows counted); the estimate
        (``score``, or ``mean`` for the CES mean) with ``low`` and ``high``;
        with a comparison, ``difference`` (segment minus rest or overall, on
        the estimate's scale), ``difference_low``, ``difference_high``,
        ``statistic``, ``pvalue``, ``pvalue_corrected`` and ``significant``;
        ``small`` (``responses < min_n``) and ``n_omitted`` (missing scores
        dropped under ``nan_policy="omit"``). ``overall`` and
        ``overall_interval`` hold the figure on all the data.

    Raises
    ------
    ValueError
        For a column that is not in ``data``, a frame with no rows, a score
        outside the scale or not a whole number, a missing score under
        ``nan_policy="raise"``, a bad weight, or an invalid option.
    TypeError
        For a non-numeric score or weights column, arguments of the wrong
        type, or an option the metric does not have.

    Notes
    -----
    The work is split as everywhere in this library. The dataframe engine
    runs one group-by, counting rows per (segment, score[, weight]); only
    that table -- a few thousand rows for a thousand segments -- is
    collected. The counts become a (segments x cells) matrix, and one
    vectorised call of the metric's interval and comparison functions
    computes every segment; bootstrap methods resample those counts, never
    the rows. The rest of the data is the overall counts minus the
    segment's. One set of each segment's resamples gives both its interval
    and its comparison, and a large bootstrap draws the segments on several
    threads (up to 8, as many as the process may use); every segment has its
    own random streams, so the numbers do not depend on the thread count.

    Degenerate segments get defined answers: a segment with no responses
    left (every score missing and omitted, or all weights zero) has NaN
    estimate, interval and comparison, and its p-value is left out of the
    correction; a segment of one response has the interval its method gives
    for n = 1 (see the metric's ``confidence_interval``) and is flagged
    ``small``. With a single segment there is no rest: its comparison is
    NaN. Under ``nan_policy="propagate"`` every figure that involves a
    missing score (the segment, the overall figure, and every comparison
    with a rest that holds one) is NaN.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_survey
    >>> survey = load_survey(as_frame="pandas")
    >>> result = lm.by_segment(survey, score="nps", by="region", rng=1)
    >>> round(result.overall, 2), result.n, result.n_segments
    (25.73, 3000, 4)
    >>> result.table[["region", "n", "score", "low", "high", "significant"]].round(1)
      region    n  score   low  high  significant
    0   East  778   26.0  20.2  31.5        False
    1  North  901   32.7  27.6  37.7         True
    2  South  709    7.6   1.5  13.7         True
    3   West  612   36.1  29.9  41.9         True

    Arrays work too, and so does every other metric:

    >>> lm.by_segment([5, 4, 2, 5, 3, 4], by=["a", "a", "a", "b", "b", "b"],
    ...               metric="csat", compare=None).table["score"]
    array([66.66666667, 66.66666667])
    """
    level = check_confidence_level(confidence_level)
    chosen_metric = check_choice(metric, name="metric", choices=_METRICS)
    comparison = (
        None if compare is None else check_choice(compare, name="compare", choices=_COMPARE)
    )
    chosen_correction = (
        None
        if correction is None
        else check_choice(correction, name="correction", choices=CORRECTIONS)
    )
    smallest = int(check_count(min_n, name="min_n"))
    resamples = check_n_resamples(n_resamples)
    generator = check_rng(rng)
    spec = _metric(chosen_metric, dict(metric_options), method, level, resamples)

    reduced = _reduce(data, score=score, by=by, weights=weights)
    clash = set(reduced.keys) & set(_RESULT_COLUMNS)
    if clash:
        raise ValueError(
            f"`by` column {sorted(clash)[0]!r} has the name of a result column; rename it"
        )
    _check_weights(reduced)
    missing = _check_scores(reduced, spec)
    cells = _cells(reduced, spec, missing)
    if cells.responses.sum() == 0:
        raise ValueError(
            "`score` has no non-missing responses left after omitting "
            f"{int(cells.n_omitted.sum())} missing values"
        )

    n_segments = reduced.n_segments
    # Segment i's pair of streams: (its own rows, the rest); see the module notes.
    children = spawn_generators(generator, n_segments + 1) if spec.bootstrap else [generator]
    pairs = [spawn_generators(child, 2) for child in children[1:]]
    differences: Differences | None = None
    if comparison is not None and spec.shares_resamples:
        (estimate, low, high), differences = spec.joint(cells.segments, cells.rest, pairs)
    else:
        estimate, low, high = spec.interval(cells.segments, [pair[0] for pair in pairs])
        if comparison is not None:
            differences = spec.difference(cells.segments, cells.rest, pairs)
    segment_n = cells.segments.total
    empty = (segment_n <= 0) | cells.has_missing
    estimate, low, high = _blank(empty, estimate, low, high)
    any_missing = bool(cells.has_missing.any())
    overall_estimate, overall_low, overall_high = spec.interval(cells.overall, children[0])
    if any_missing:
        overall_estimate = overall_low = overall_high = np.array(np.nan)

    values: dict[str, npt.NDArray[Any]] = {
        "n": segment_n if reduced.weight is not None else segment_n.astype(np.int64),
        "responses": cells.responses,
        spec.estimate: estimate,
        "low": low,
        "high": high,
    }
    if comparison is not None and differences is not None:
        values.update(
            _comparisons(
                differences,
                cells,
                empty,
                comparison=comparison,
                correction=chosen_correction,
                alpha=1.0 - level,
            )
        )
    values["small"] = cells.responses < smallest
    values["n_omitted"] = cells.n_omitted

    overall_n = float(cells.overall.total)
    columns = {key: reduced.grouped.keys[key][reduced.first_rows] for key in reduced.keys}
    columns.update(values)
    return SegmentBreakdown(
        table=columns_to_frame(
            reduced.grouped,
            reduced.first_rows,
            values,
            table=reduced.table,
            key_columns=reduced.keys,
        ),
        metric=chosen_metric,
        estimate=spec.estimate,
        overall=float(overall_estimate),
        overall_interval=ConfidenceInterval(float(overall_low), float(overall_high)),
        n=overall_n if reduced.weight is not None else round(overall_n),
        n_segments=n_segments,
        confidence_level=level,
        method=spec.method,
        comparison_method=None if comparison is None else spec.difference_method,
        compare=comparison,
        correction=chosen_correction,
        _columns=columns,
    )


def _comparisons(
    differences: Differences,
    cells: _Breakdown,
    empty: npt.NDArray[np.bool_],
    *,
    comparison: str,
    correction: Any,
    alpha: float,
) -> dict[str, npt.NDArray[Any]]:
    """Each segment against the rest (or the overall figure), with corrected p-values.

    ``differences`` are the metric's comparisons of each segment with the rest.
    """
    difference, low, high, statistic, pvalue = differences
    rest_n = cells.rest.total
    rest_missing = cells.has_missing.sum() - cells.has_missing > 0
    undefined = empty | (rest_n <= 0) | rest_missing
    if comparison == "overall":
        # segment - overall = (n_rest / n) * (segment - rest): same test, scaled difference.
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = rest_n / cells.overall.total
        difference, low, high = difference * factor, low * factor, high * factor
    difference, low, high, statistic, pvalue = _blank(
        undefined, difference, low, high, statistic, pvalue
    )
    corrected = correct_pvalues(pvalue, correction)
    with np.errstate(invalid="ignore"):
        significant = corrected <= alpha
    return {
        "difference": difference,
        "difference_low": low,
        "difference_high": high,
        "statistic": statistic,
        "pvalue": pvalue,
        "pvalue_corrected": corrected,
        "significant": significant,
    }
