"""Segment breakdowns of NPS, CSAT, CES and the generic share and mean, on any dataframe or arrays.

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

import dataclasses
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable, kish_effective_n, response_counts
from loyaltymetrics._engine._corrections import CORRECTIONS, Correction, correct_pvalues
from loyaltymetrics._engine._frames import (
    Grouped,
    Table,
    as_narwhals_frame,
    as_table,
    check_numeric,
    columns_of_mapping,
    columns_to_frame,
    group_aggregate,
    regroup,
)
from loyaltymetrics._engine._intervals import spawn_generators
from loyaltymetrics._engine._means import (
    BootstrapEngine,
    CellMeans,
    Difference,
    Interval,
    check_engine,
)
from loyaltymetrics._engine._results import (
    ConfidenceInterval,
    DisplayFormat,
    TabularResult,
    format_value,
)
from loyaltymetrics._engine._scipy_rows import scipy_difference, scipy_interval
from loyaltymetrics._engine._validation import (
    check_choice,
    check_confidence_level,
    check_count,
    check_n_resamples,
    check_rng,
    first_invalid_score,
    first_invalid_weight,
)
from loyaltymetrics._survey._display import breakdown_columns
from loyaltymetrics._survey._metrics import Metric, MetricName, definition
from loyaltymetrics._survey._nps_inference import NPSMethod
from loyaltymetrics._survey._scale_inference import MeanMethod, ShareMethod

__all__ = ["SegmentBreakdown", "by_segment"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_COMPARE = ("rest", "overall")
_ROWS = "__loyaltymetrics_rows"
_R = TypeVar("_R", bound="_Reduced")


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


def _booleans_as_integers(values: object) -> object:
    """Return boolean scores (a list, array or Series of booleans) as 0/1; others unchanged."""
    if isinstance(values, list | tuple):
        if values and all(isinstance(value, bool | np.bool_) for value in values):
            return np.asarray(values, dtype=np.int64)
        return values
    to_numpy = getattr(values, "to_numpy", None)
    array = to_numpy() if callable(to_numpy) else values
    if isinstance(array, np.ndarray) and array.dtype.kind == "b":
        return array.astype(np.int64)
    return values


def _reduce(
    data: object, *, score: object, by: object, weights: object, boolean_score: bool = False
) -> _Reduced:
    """Stage 1: validate the column arguments and count rows per cell in the engine.

    ``boolean_score`` lets the score column be boolean (a share's yes/no).
    """
    if by is None:
        raise TypeError("`by` is required: the segment column name(s), or segment array(s)")
    if data is None or isinstance(data, str | bytes | numbers.Number):
        raise TypeError(
            "`data` must be a dataframe, a mapping of column names to arrays (as "
            "`load_survey()` returns), or an array of scores; got "
            f"{type(data).__name__}"
        )
    if isinstance(data, Mapping):
        data, roles = columns_of_mapping(data, score=score, roles={"by": by, "weights": weights})
        by, weights, score = roles["by"], roles["weights"], None
    if boolean_score and as_narwhals_frame(data) is None:
        data = _booleans_as_integers(data)
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
        check_numeric(table, "score", boolean=boolean_score)
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
    problem = first_invalid_weight(reduced.weight)
    if problem is not None:
        entry, rule = problem
        raise ValueError(
            f"`weights` {rule}; found {reduced.weight[entry]} in segment {reduced.label(entry)}"
        )


def _check_scores(reduced: _Reduced, metric: Metric) -> npt.NDArray[np.bool_]:
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
    if metric.bind is not None:
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            raise ValueError(
                f"`score` must be finite numbers; found {format_value(values[infinite[0]])} "
                f"in segment {reduced.label(int(infinite[0]))}"
            )
        return missing
    bad = first_invalid_score(values, low=low, high=high)
    if bad is not None:
        raise ValueError(
            f"`score` must be integers in {low}..{high}; found {format_value(values[bad])} "
            f"in segment {reduced.label(bad)}"
        )
    return missing


def _bind_values(
    options: _Options, reduced: _R, missing: npt.NDArray[np.bool_]
) -> tuple[_Options, _R]:
    """For the mean of a real-valued column: label each entry by its distinct value.

    The metric is bound to the sorted distinct non-missing values, and each
    entry's score becomes the index of its value (NaN stays NaN), so the cells
    are the distinct (value, weight) pairs. Other metrics pass through.
    """
    if options.metric.bind is None:
        return options, reduced
    distinct, code = np.unique(reduced.score[~missing], return_inverse=True)
    labels = np.full(reduced.score.shape, np.nan)
    labels[~missing] = code
    bound = options.metric.bind(np.asarray(distinct, dtype=np.float64))
    return dataclasses.replace(options, metric=bound), dataclasses.replace(reduced, score=labels)


# --- cells ----------------------------------------------------------------


def _zeros_first(count: IntArray, cell: IntArray, weight: FloatArray) -> CellTable:
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
    return CellTable(
        point=np.take_along_axis(cell, keep, axis=-1),
        weight=np.take_along_axis(weight, keep, axis=-1),
        count=np.take_along_axis(count, keep, axis=-1),
    )


@dataclass(frozen=True)
class _Breakdown:
    """Per-segment, overall and rest-of-data cells, with missing-value bookkeeping."""

    segments: CellTable  # (S, K)
    overall: CellTable  # (K_all,)
    rest: CellTable  # (S, K_rest)
    responses: IntArray  # rows counted per segment
    n_omitted: IntArray
    has_missing: npt.NDArray[np.bool_]


def _unweighted_tables(
    segment: npt.NDArray[np.intp], cell: IntArray, count: IntArray, n_segments: int, k: int
) -> tuple[CellTable, CellTable, CellTable]:
    """(segments, overall, rest) tables of unweighted counts: one cell per label."""
    dense = np.bincount(segment * k + cell, weights=count, minlength=n_segments * k)
    counts = dense.astype(np.int64).reshape(n_segments, k)
    overall_count = counts.sum(axis=0)
    return (
        CellTable.of_counts(counts),
        CellTable.of_counts(overall_count),
        CellTable.of_counts(overall_count[None, :] - counts),
    )


def _weighted_tables(
    segment: npt.NDArray[np.intp],
    cell: IntArray,
    weight: FloatArray,
    count: IntArray,
    n_segments: int,
) -> tuple[CellTable, CellTable, CellTable]:
    """(segments, overall, rest) tables of the distinct (cell, weight) pairs."""
    if count.sum() > 0 and not (weight * count > 0).any():
        raise ValueError("`weights` of the non-missing responses must not all be zero")
    # Distinct (cell, weight) pairs, numbered in (cell, weight) order.
    weight_values, weight_code = np.unique(weight, return_inverse=True)
    pair_code = cell * weight_values.shape[0] + weight_code
    pairs, pair_index = np.unique(pair_code, return_inverse=True)
    pair_cell = pairs // weight_values.shape[0]
    pair_weight = weight_values[pairs % weight_values.shape[0]]
    dense = np.zeros((n_segments, pairs.shape[0]), dtype=np.int64)
    np.add.at(dense, (segment, pair_index), count)
    overall = CellTable(point=pair_cell, weight=pair_weight, count=dense.sum(axis=0))
    return (
        _zeros_first(dense, pair_cell, pair_weight),
        overall,
        _zeros_first(overall.count[None, :] - dense, pair_cell, pair_weight),
    )


def _cells(reduced: _Reduced, metric: Metric, missing: npt.NDArray[np.bool_]) -> _Breakdown:
    n_segments = reduced.n_segments
    missing_rows = np.bincount(
        reduced.segment[missing], weights=reduced.rows[missing], minlength=n_segments
    ).astype(np.int64)
    keep = ~missing
    segment = reduced.segment[keep]
    cell = metric.cell_of_point[(reduced.score[keep] - metric.scale[0]).astype(np.int64)]
    count = reduced.rows[keep]
    responses = np.bincount(segment, weights=count, minlength=n_segments).astype(np.int64)
    if reduced.weight is None and metric.bind is None:
        segments, overall, rest = _unweighted_tables(
            segment, cell, count, n_segments, metric.n_cells
        )
    else:
        # A mean's cells are its distinct values: sparse (value, weight) pairs.
        weight = np.ones(count.shape[0]) if reduced.weight is None else reduced.weight[keep]
        segments, overall, rest = _weighted_tables(segment, cell, weight, count, n_segments)
    return _Breakdown(
        segments=segments,
        overall=overall,
        rest=rest,
        responses=responses,
        n_omitted=missing_rows if metric.nan_policy == "omit" else np.zeros_like(missing_rows),
        has_missing=missing_rows > 0 if metric.nan_policy == "propagate" else missing_rows < 0,
    )


# --- infer ----------------------------------------------------------------


def count_columns(
    cells: CellTable, responses: IntArray, *, weighted: bool
) -> dict[str, npt.NDArray[Any]]:
    """Return the count columns of a breakdown table: ``n``, and the weight totals.

    ``n`` is the number of responses of each group (an integer, also when
    weighted); with weights, ``weight_total`` is the sum of their weights
    and ``effective_n`` Kish's ``(sum w)**2 / sum w**2`` (0 for a group
    without weight), as the single results' fields of those names.
    """
    columns: dict[str, npt.NDArray[Any]] = {"n": np.asarray(responses, dtype=np.int64)}
    if weighted:
        full = cells.broadcast()
        total = (full.count * full.weight).sum(axis=-1)
        effective = kish_effective_n(full.count, full.weight)
        columns.update(weight_total=total, effective_n=effective)
    return columns


def overall_counts(cells: CellTable) -> dict[str, Any]:
    """Return a breakdown's overall ``n``, ``weight_total`` and ``effective_n`` fields."""
    n, weight_total, effective_n = response_counts(cells)
    return {"n": n, "weight_total": weight_total, "effective_n": effective_n}


def _blank(mask: npt.NDArray[np.bool_], *arrays: FloatArray) -> list[FloatArray]:
    return [np.asarray(np.where(mask, np.nan, array), dtype=np.float64) for array in arrays]


class BreakdownResult(TabularResult):
    """A breakdown whose table is also kept as numpy columns (``_columns``).

    The shared behaviour of :class:`SegmentBreakdown` and ``OverTime``.
    """

    _columns: Mapping[str, npt.NDArray[Any]]

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


@dataclass(frozen=True, repr=False)
class SegmentBreakdown(BreakdownResult):
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
        "nps", "csat", "ces", "share" or "mean".
    estimate : str
        Name of the estimate column: "score" (NPS points; CSAT or CES agree
        share on 0..100), "mean" (CES mean answer, or the mean of a column)
        or "share" (on 0..1).
    overall : float
        The estimate on all the data.
    overall_interval : ConfidenceInterval
        Its confidence interval.
    n : int
        Responses counted overall (rows, also when weighted).
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
    weight_total : float or None
        Sum of the weights overall (``n`` without weights); shown only when
        it differs from ``n``.
    effective_n : float or None
        Kish's effective sample size ``(sum w)**2 / sum w**2`` overall
        (``n`` without weights); shown only when it differs from ``n``.
    """

    table: Any = field(compare=False)
    metric: str
    estimate: str
    overall: float
    overall_interval: ConfidenceInterval
    n: int
    n_segments: int
    confidence_level: float
    method: str
    comparison_method: str | None
    compare: str | None
    correction: str | None
    weight_total: float | None = None
    effective_n: float | None = None
    _columns: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict, compare=False)
    #: The configured metric and every segment's cells (for displays and plots).
    _metric: Metric | None = field(default=None, compare=False)
    _counts: CellTable | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "metric",
        "overall",
        "overall_interval",
        "n",
        "weight_total",
        "effective_n",
        "n_segments",
        "method",
        "compare",
        "correction",
    )

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        return breakdown_columns(self._columns, metric=self._metric, estimate=self.estimate)


_RESULT_COLUMNS = (
    "n",
    "weight_total",
    "effective_n",
    "score",
    "share",
    "mean",
    "low",
    "high",
    "total",
    "total_low",
    "total_high",
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
    metric: MetricName = "nps",
    score: str | None = None,
    by: object,
    weights: object = None,
    confidence_level: float = 0.95,
    method: NPSMethod | ShareMethod | MeanMethod | None = None,
    compare: Literal["rest", "overall"] | None = "rest",
    correction: Correction | None = "holm",
    min_n: int = 30,
    n_resamples: int = 9999,
    rng: object = None,
    engine: BootstrapEngine = "count",
    **metric_options: object,
) -> SegmentBreakdown:
    """Break NPS, CSAT, CES, or the share or mean of any column down by segment.

    Every segment gets its estimate with a confidence interval, and a
    comparison with the rest of the data (or the overall figure).

    Parameters
    ----------
    data : dataframe or array_like
        A dataframe that narwhals supports -- pandas, polars (eager or
        ``LazyFrame``), pyarrow, Dask, DuckDB, PySpark -- with the columns
        named by ``score``, ``by`` and ``weights``; or an array of scores,
        with ``by`` (and ``weights``) given as arrays of the same length.
    metric : {"nps", "csat", "ces", "share", "mean"}, default "nps"
        The metric. Its options go in ``metric_options``. "share" is the
        share of rows where a boolean (or 0/1) column is true -- retained,
        churned, repeat buyer -- on 0..1; "mean" is the mean of any numeric
        column -- order value, revenue, predicted CLV -- whose cells are the
        data's distinct (value, weight) pairs.
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
        NPS, "wilson" for CSAT, the CES agree share and "share", "t" for the
        CES mean and "mean".
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
        resamples). With ``engine="scipy"`` the interval uses that stream and
        the comparison runs ``scipy.stats.bootstrap`` with
        ``rng=children[1 + i]``.
    engine : {"count", "scipy"}, default "count"
        For the bootstrap methods: "count" resamples every segment's cell
        counts at once; "scipy" runs ``scipy.stats.bootstrap`` on each
        segment's respondent rows (rebuilt from the counts, paired with
        their weights when weighted), one segment at a time, and its
        two-sample bootstrap for the comparison, whose p-value inverts the
        bootstrap interval as the count engine's does. Both are the same row
        bootstrap and agree within Monte-Carlo error; "scipy" costs O(n) per
        resample (O(n^2) memory for BCa's jackknife) where "count" costs
        O(cells). Another ``method`` with "scipy" is a ValueError.
    **metric_options
        ``nan_policy`` ("raise", "omit" or "propagate", default "raise") for
        every metric; ``prior`` for NPS (the "bayes" method); ``scale`` and
        ``satisfied`` for CSAT; ``scale``, ``agree``, ``version`` ("2.0" or
        "original") and ``of`` ("mean" or "agree_share") for CES. Defaults as
        in :func:`nps`, ``csat`` and ``ces``. "share" and "mean" take only
        ``nan_policy``.

    Returns
    -------
    SegmentBreakdown
        ``table`` has, per segment: the key column(s); ``n`` (responses
        counted, an integer also when weighted); with weights,
        ``weight_total`` (the sum of their weights) and ``effective_n``
        (Kish's ``(sum w)**2 / sum w**2``); the estimate
        (``score``; ``mean`` for the CES mean and "mean"; ``share`` for
        "share") with ``low`` and ``high``; for "mean", ``total`` (``n``, or
        with weights ``weight_total``, times the mean: the segment's sum of
        the column, its customer equity for a value column) with
        ``total_low`` and ``total_high`` (the mean's limits times the same
        size: an interval for a segment of that size);
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

    The share of a yes/no column, and the mean and total of an amount:

    >>> lm.by_segment([True, False, True, True], by=["a", "a", "b", "b"],
    ...               metric="share", compare=None).table["share"]
    array([0.5, 1. ])
    >>> spend = lm.by_segment([20.0, 40.0, 10.0, 15.0, 5.0], by=["a", "a", "b", "b", "b"],
    ...                       metric="mean", compare=None).table
    >>> spend["mean"], spend["total"]
    (array([30., 10.]), array([60., 30.]))
    """
    options = _Options.check(
        metric=metric,
        method=method,
        confidence_level=confidence_level,
        compare=compare,
        correction=correction,
        min_n=min_n,
        n_resamples=n_resamples,
        rng=rng,
        metric_options=metric_options,
        engine=engine,
    )
    reduced = _reduce(
        data,
        score=score,
        by=by,
        weights=weights,
        boolean_score=options.metric.accepts_boolean,
    )
    options, reduced, cells = _checked_cells(options, reduced, reserved=_RESULT_COLUMNS)
    inferred = _infer(options, cells)
    return _assemble(options, reduced, cells, inferred)


def _checked_cells(
    options: _Options, reduced: _R, *, reserved: tuple[str, ...]
) -> tuple[_Options, _R, _Breakdown]:
    """Check the collected table (key names, weights, scores) and build the groups' cells.

    ``reserved`` are the result's own column names, which a key must not take.
    Returns the options and table bound to a mean's distinct values (see
    :func:`_bind_values`) and the cells.
    """
    clash = set(reduced.keys) & set(reserved)
    if clash:
        raise ValueError(
            f"`by` column {sorted(clash)[0]!r} has the name of a result column; rename it"
        )
    _check_weights(reduced)
    missing = _check_scores(reduced, options.metric)
    options, reduced = _bind_values(options, reduced, missing)
    cells = _cells(reduced, options.metric, missing)
    if cells.responses.sum() == 0:
        raise ValueError(
            "`score` has no non-missing responses left after omitting "
            f"{int(cells.n_omitted.sum())} missing values"
        )
    return options, reduced, cells


@dataclass(frozen=True)
class _Options:
    """The validated options of a breakdown."""

    metric: Metric
    method: str
    comparison_method: str
    level: float
    compare: str | None
    correction: Any
    min_n: int
    n_resamples: int
    generator: np.random.Generator
    engine: BootstrapEngine = "count"

    @classmethod
    def check(
        cls,
        *,
        metric: object,
        method: object,
        confidence_level: object,
        compare: object,
        correction: object,
        min_n: object,
        n_resamples: object,
        rng: object,
        metric_options: Mapping[str, object],
        engine: object = "count",
    ) -> _Options:
        level = check_confidence_level(confidence_level)
        entry = definition(metric)
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
        configured = entry.metric(dict(metric_options))
        chosen, paired = configured.choose(method)
        return cls(
            configured,
            chosen,
            paired,
            level,
            comparison,
            chosen_correction,
            smallest,
            resamples,
            generator,
            check_engine(engine, chosen),
        )

    @property
    def bootstrap(self) -> bool:
        """Whether the interval or the comparison draws random numbers."""
        return Metric.is_bootstrap(self.method) or Metric.is_bootstrap(self.comparison_method)

    @property
    def shares_resamples(self) -> bool:
        """Whether interval and comparison are one bootstrap, drawn from one set of resamples."""
        return Metric.is_bootstrap(self.method) and self.method == self.comparison_method


@dataclass(frozen=True)
class _Inferred:
    segments: Interval
    overall: Interval
    differences: Difference | None
    empty: npt.NDArray[np.bool_]


def _infer(options: _Options, cells: _Breakdown) -> _Inferred:
    """Stage 2: every segment's interval (and comparison), and the overall figure."""
    infer = _infer_rows if options.engine == "scipy" else _infer_counts
    interval, differences, overall = infer(options, cells)
    empty = (cells.segments.weight_total <= 0) | cells.has_missing
    segments = Interval(*_blank(empty, *interval))
    if cells.has_missing.any():
        overall = Interval(*(np.array(np.nan),) * 3)
    return _Inferred(segments, overall, differences, empty)


_Inference = tuple[Interval, Difference | None, Interval]


def _infer_counts(options: _Options, cells: _Breakdown) -> _Inference:
    """Run the count engine: every segment at once, on the reported scale."""
    metric, level, resamples = options.metric, options.level, options.n_resamples
    # Segment i's pair of streams: (its own rows, the rest); see the module notes.
    generator = options.generator
    children = (
        spawn_generators(generator, cells.responses.shape[0] + 1)
        if options.bootstrap
        else [generator]
    )
    pairs = [spawn_generators(child, 2) for child in children[1:]]
    differences: Difference | None = None
    if options.compare is not None and options.shares_resamples:
        interval, difference = metric.joint(
            cells.segments, cells.rest, options.method, level, resamples, pairs
        )
        differences = metric.report_difference(difference)
    else:
        first_streams = [pair[0] for pair in pairs]
        interval = metric.interval(cells.segments, options.method, level, resamples, first_streams)
        if options.compare is not None:
            differences = metric.report_difference(
                metric.difference(
                    cells.segments, cells.rest, options.comparison_method, level, resamples, pairs
                )
            )
    overall = metric.report(
        metric.interval(cells.overall, options.method, level, resamples, children[0])
    )
    return metric.report(interval), differences, overall


def _infer_rows(options: _Options, cells: _Breakdown) -> _Inference:
    """``engine="scipy"``: scipy.stats.bootstrap on each segment's rows, one at a time.

    Segment ``i``'s interval uses the stream of its own rows as the count
    engine does (``children[1 + i].spawn(2)[0]``) and its comparison runs
    scipy's two-sample bootstrap with ``children[1 + i]``; values are on the
    reported scale, so nothing is rescaled.
    """
    metric = options.metric
    value = metric.cell_value
    children = spawn_generators(options.generator, cells.responses.shape[0] + 1)
    settings: dict[str, Any] = {
        "confidence_level": options.level,
        "method": options.method,
        "n_resamples": options.n_resamples,
    }

    def means(table: CellTable, group: int | None = None) -> CellMeans:
        one = table if group is None else table.take(np.asarray(group, dtype=np.intp))
        return CellMeans(one, lambda point: np.asarray(value[point], dtype=np.float64))

    intervals: list[Interval] = []
    comparisons: list[Difference] = []
    for index, child in enumerate(children[1:]):
        own = means(cells.segments, index)
        stream = spawn_generators(child, 2)[0]
        intervals.append(scipy_interval(own, rng=stream, bound=metric.interval_bound, **settings))
        if options.compare is not None:
            rest = means(cells.rest, index)
            comparisons.append(
                scipy_difference(own, rest, rng=child, bound=metric.difference_bound, **settings)
            )
    overall = scipy_interval(
        means(cells.overall), rng=children[0], bound=metric.interval_bound, **settings
    )
    interval = Interval(
        *(np.array(column, dtype=np.float64) for column in zip(*intervals, strict=True))
    )
    differences = None
    if comparisons:
        differences = Difference(
            *(np.array(column, dtype=np.float64) for column in zip(*comparisons, strict=True))
        )
    return interval, differences, overall


def _assemble(
    options: _Options, reduced: _Reduced, cells: _Breakdown, inferred: _Inferred
) -> SegmentBreakdown:
    """Stage 3: the result table in the caller's frame library, and the result."""
    weighted = reduced.weight is not None
    segment_n = cells.segments.weight_total
    values: dict[str, npt.NDArray[Any]] = {
        **count_columns(cells.segments, cells.responses, weighted=weighted),
        options.metric.estimate: inferred.segments.estimate,
        "low": inferred.segments.low,
        "high": inferred.segments.high,
    }
    if options.compare is not None and inferred.differences is not None:
        values.update(
            _comparisons(
                inferred.differences,
                cells,
                inferred.empty,
                comparison=options.compare,
                correction=options.correction,
                alpha=1.0 - options.level,
            )
        )
    if options.metric.reports_total:
        values.update(
            total=segment_n * inferred.segments.estimate,
            total_low=segment_n * inferred.segments.low,
            total_high=segment_n * inferred.segments.high,
        )
    values["small"] = cells.responses < options.min_n
    values["n_omitted"] = cells.n_omitted
    columns = {key: reduced.grouped.keys[key][reduced.first_rows] for key in reduced.keys}
    columns.update(values)
    overall = inferred.overall
    return SegmentBreakdown(
        table=columns_to_frame(
            reduced.grouped,
            reduced.first_rows,
            values,
            table=reduced.table,
            key_columns=reduced.keys,
        ),
        metric=options.metric.name,
        estimate=options.metric.estimate,
        overall=float(overall.estimate),
        overall_interval=ConfidenceInterval(float(overall.low), float(overall.high)),
        **overall_counts(cells.overall),
        n_segments=reduced.n_segments,
        confidence_level=options.level,
        method=options.method,
        comparison_method=None if options.compare is None else options.comparison_method,
        compare=options.compare,
        correction=options.correction,
        _columns=columns,
        _metric=options.metric,
        _counts=cells.segments,
    )


def _comparisons(
    differences: Difference,
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
    rest_n = cells.rest.weight_total
    rest_missing = cells.has_missing.sum() - cells.has_missing > 0
    undefined = empty | (rest_n <= 0) | rest_missing
    if comparison == "overall":
        # segment - overall = (n_rest / n) * (segment - rest): same test, scaled difference.
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = rest_n / cells.overall.weight_total
        difference, low, high = difference * factor, low * factor, high * factor
    return comparison_columns(
        Difference(difference, low, high, statistic, pvalue),
        undefined,
        correction=correction,
        alpha=alpha,
    )


def comparison_columns(
    differences: Difference,
    undefined: npt.NDArray[np.bool_],
    *,
    correction: Any,
    alpha: float,
) -> dict[str, npt.NDArray[Any]]:
    """Return the comparison columns of a breakdown table, NaN where ``undefined``.

    p-values are corrected over the table (the undefined ones left out);
    ``significant`` where the corrected p-value is at most ``alpha``.
    """
    difference, low, high, statistic, pvalue = _blank(undefined, *differences)
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
