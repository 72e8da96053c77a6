"""Plots of loyaltymetrics results (needs matplotlib: ``pip install "loyaltymetrics[plot]"``).

Every function draws on the Axes given as ``ax`` (or on the current Axes of
pyplot when ``ax`` is None) and returns that Axes, so plots compose with the
rest of a matplotlib figure. matplotlib is imported only when a plot is drawn;
importing this module is cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._concentration import ValueConcentration
from loyaltymetrics._clv._fitting import check_number, model_array
from loyaltymetrics._clv._holdout import HoldoutCheck
from loyaltymetrics._engine._results import ConfidenceInterval
from loyaltymetrics._retention._cohorts import CohortTable
from loyaltymetrics._retention._survival import SurvivalCurve, SurvivalCurves
from loyaltymetrics._survey._metrics import definition, definition_of_result
from loyaltymetrics._survey._nps import NPSResult
from loyaltymetrics._survey._satisfaction import CESResult, CSATResult
from loyaltymetrics._survey._segments import SegmentBreakdown

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_cohort_heatmap",
    "plot_expected_purchases_matrix",
    "plot_holdout",
    "plot_lorenz",
    "plot_nps",
    "plot_probability_alive_matrix",
    "plot_purchase_counts",
    "plot_score_distribution",
    "plot_survival",
    "plot_tracking",
    "plot_trend",
]

FloatArray = npt.NDArray[np.float64]

#: Detractor, passive and promoter colours: a red-grey-blue diverging palette
#: (ColorBrewer RdBu), readable with the common forms of colour blindness.
_BAND_COLOURS = ("#ca0020", "#bababa", "#0571b0")
_BAND_NAMES = ("detractors", "passives", "promoters")


def _axes(ax: Axes | None) -> Axes:
    """Return ``ax``, or pyplot's current Axes; import matplotlib only now."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            'loyaltymetrics.plotting needs matplotlib: pip install "loyaltymetrics[plot]"'
        ) from None
    if ax is None:
        return plt.gca()
    if not hasattr(ax, "barh"):
        raise TypeError(f"`ax` must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _require(value: object, kind: type, *, name: str) -> None:
    """Raise the library's TypeError unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise TypeError(f"`{name}` must be a {kind.__name__}; got {type(value).__name__}")


@dataclass(frozen=True)
class _Bands:
    """Shares of answer categories per segment, ordered from worst to best."""

    labels: list[str]
    categories: list[str]
    shares: FloatArray  # shape (segments, categories), rows sum to 1
    #: Index of the neutral category, drawn across zero; None for an even scale.
    neutral: int | None
    colours: list[str]
    annotations: list[str]


def _nps_results(data: object, *, name: str) -> dict[str, NPSResult]:
    """Read an NPSResult or a non-empty mapping of labels to NPSResults as a dict."""
    results = _labelled_results(data, name=name, kinds=(NPSResult,))
    return cast(dict[str, NPSResult], results)


def _labelled_results(data: object, *, name: str, kinds: tuple[type, ...]) -> dict[str, Any]:
    """Read one result, or a non-empty mapping of labels to results of one kind, as a dict."""
    names = [kind.__name__ for kind in kinds]
    kind_names = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    if isinstance(data, kinds):
        return {"overall": data}
    if isinstance(data, Mapping) and data:
        results: dict[str, Any] = {}
        for label, result in data.items():
            if not isinstance(result, kinds):
                raise TypeError(
                    f"`{name}` must map segment labels to results ({kind_names}); "
                    f"got {type(result).__name__} for {label!r}"
                )
            results[str(label)] = result
        if len({type(result) for result in results.values()}) > 1:
            raise TypeError(f"`{name}` must hold results of one metric, not a mix")
        return results
    raise TypeError(
        f"`{name}` must be an {kind_names}, or a non-empty mapping of segment labels to "
        f"such results; got {type(data).__name__}"
    )


def _scale_bands(results: dict[str, CSATResult | CESResult]) -> _Bands:
    """One category per scale point, worst answer first."""
    first = next(iter(results.values()))
    if any(result.scale != first.scale for result in results.values()):
        raise ValueError("`results` must all use the same answer scale")
    low, high = first.scale
    points = list(range(low, high + 1))
    counts = np.array([result.counts for result in results.values()], dtype=np.float64)
    if isinstance(first, CESResult) and not first.higher_is_better:
        points, counts = points[::-1], counts[:, ::-1]  # original CES: a low answer is good
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full_like(counts, np.nan), where=totals > 0)
    annotations = _annotations(results)
    n_points = len(points)
    return _Bands(
        labels=list(results),
        categories=[str(point) for point in points],
        shares=shares,
        neutral=n_points // 2 if n_points % 2 else None,
        colours=_diverging_colours(n_points),
        annotations=annotations,
    )


def _diverging_colours(n: int) -> list[str]:
    """``n`` colours from red (worst) through grey to blue (best)."""
    from matplotlib.colors import LinearSegmentedColormap, to_hex

    ramp = LinearSegmentedColormap.from_list("worst-best", list(_BAND_COLOURS))
    return [to_hex(ramp(position)) for position in np.linspace(0.0, 1.0, n)]


def _bands(data: object, *, name: str) -> _Bands:
    results = _labelled_results(data, name=name, kinds=(NPSResult, CSATResult, CESResult))
    first = next(iter(results.values()))
    if not isinstance(first, NPSResult):
        return _scale_bands(results)
    shares = np.array(
        [[r.detractor_share, r.passive_share, r.promoter_share] for r in results.values()],
        dtype=np.float64,
    )
    return _Bands(
        labels=list(results),
        categories=list(_BAND_NAMES),
        shares=shares,
        neutral=1,
        colours=list(_BAND_COLOURS),
        annotations=_annotations(results),
    )


def plot_score_distribution(results: object, /, *, ax: Axes | None = None) -> Axes:
    """Diverging stacked bar of the answers per segment.

    Each segment is one horizontal bar on a percentage axis, lined up on the
    neutral middle: for NPS, detractors extend to the left of zero, promoters
    to the right, and passives sit across zero, half on each side, so the
    balance of promoters over detractors (the NPS) reads off the bar. For
    CSAT and CES every answer on the scale is its own block, the worst answers
    on the left and the middle answer of an odd scale across zero (the
    Likert-scale chart of Robbins & Heiberger 2011, "Plotting Likert and other
    rating scales"). The headline figure of each segment is written at the
    right.

    Parameters
    ----------
    results : NPSResult, CSATResult, CESResult, or mapping of str to one of them
        One result (drawn as a single bar labelled "overall") or several of
        the same metric and scale, keyed by segment label and drawn top to
        bottom in mapping order.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``results`` is not a result of these metrics or a non-empty
        mapping of results of one of them.
    ValueError
        If a result has undefined (NaN) shares, or the results use different
        answer scales.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_survey
    >>> from loyaltymetrics.plotting import plot_score_distribution
    >>> survey = load_survey()
    >>> by_plan = {
    ...     plan: lm.nps(survey["nps"][survey["plan"] == plan])
    ...     for plan in ("basic", "pro", "enterprise")
    ... }
    >>> fig, ax = plt.subplots()
    >>> ax = plot_score_distribution(by_plan, ax=ax)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['basic', 'pro', 'enterprise']
    >>> plt.close(fig)

    CSAT answers on 1..5, one block per answer:

    >>> fig, ax = plt.subplots()
    >>> ax = plot_score_distribution(lm.csat(survey["csat"]), ax=ax)
    >>> len(ax.patches)
    5
    >>> plt.close(fig)
    """
    bands = _bands(results, name="results")
    if np.isnan(bands.shares).any():
        position = int(np.flatnonzero(np.isnan(bands.shares).any(axis=1))[0])
        raise ValueError(
            f"`results` for {bands.labels[position]!r} has undefined shares (a missing score "
            "under nan_policy='propagate'); nothing to draw"
        )
    axes = _axes(ax)
    percent = 100 * bands.shares
    n_categories = percent.shape[1]
    rows = np.arange(len(bands.labels))
    # Every bar starts left of zero by its negative categories and half its neutral one.
    split = bands.neutral if bands.neutral is not None else n_categories // 2
    start = -percent[:, :split].sum(axis=1)
    if bands.neutral is not None:
        start -= percent[:, bands.neutral] / 2
    left_edges = start[:, None] + np.cumsum(percent, axis=1) - percent
    for category in range(n_categories):
        axes.barh(
            rows,
            percent[:, category],
            left=left_edges[:, category],
            color=bands.colours[category],
            label=bands.categories[category],
            height=0.7,
        )
    right_end = float(np.max(left_edges[:, -1] + percent[:, -1]))
    for row, text in zip(rows, bands.annotations, strict=True):
        axes.annotate(
            text,
            xy=(right_end, row),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(rows, bands.labels)
    axes.invert_yaxis()  # first segment on top
    axes.set_xlabel("share of respondents (%)")
    # Both sides of zero are shares: label them without a minus sign.
    axes.xaxis.set_major_formatter(lambda value, _: f"{abs(value):g}")
    limit = float(np.max(np.abs(start)))
    axes.set_xlim(-max(limit, 10) - 5, right_end + 25)
    axes.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        fontsize="small",
        frameon=False,
        ncols=min(n_categories, 7),
    )
    return axes


@dataclass(frozen=True)
class _Forest:
    """Rows of a forest plot: each segment's estimate and interval, and the overall."""

    labels: list[str]
    estimates: FloatArray
    lows: FloatArray
    highs: FloatArray
    overall: tuple[float, float, float] | None  # (estimate, low, high)
    #: Whether each segment differs from the rest (None: no comparison made).
    significant: npt.NDArray[np.bool_] | None
    axis_label: str
    confidence_level: float


def _format_n(n: float) -> str:
    return f"{n:,.0f}" if n == round(n) else f"{n:,.1f}"


def _breakdown_forest(
    breakdown: SegmentBreakdown, *, overall: object, confidence_level: object, method: object
) -> _Forest:
    if overall is not None:
        raise TypeError("`overall` is only for NPSResult input: a breakdown carries its overall")
    for name, value, own in (
        ("confidence_level", confidence_level, breakdown.confidence_level),
        ("method", method, breakdown.method),
    ):
        if value is not None and value != own:
            raise ValueError(
                f"`{name}` is {value!r} but the breakdown's intervals were computed with "
                f"{own!r}; pass `{name}` to `by_segment` instead"
            )
    columns = breakdown._table()
    names = list(columns)
    keys = [np.asarray(columns[name], dtype=object) for name in names[: names.index("n")]]
    labels = [
        " / ".join("(missing)" if value is None else str(value) for value in row)
        for row in zip(*keys, strict=True)
    ]
    n = np.asarray(columns["n"], dtype=np.float64)
    significant = None
    if "significant" in columns:
        significant = np.asarray(columns["significant"], dtype=bool)
    return _Forest(
        labels=[f"{label} (n={_format_n(size)})" for label, size in zip(labels, n, strict=True)],
        estimates=np.asarray(columns[breakdown.estimate], dtype=np.float64),
        lows=np.asarray(columns["low"], dtype=np.float64),
        highs=np.asarray(columns["high"], dtype=np.float64),
        overall=(breakdown.overall, *breakdown.overall_interval),
        significant=significant,
        axis_label=_axis_label(breakdown.metric, breakdown.estimate),
        confidence_level=breakdown.confidence_level,
    )


def _results_forest(
    data: object, *, overall: object, confidence_level: float, method: Any, options: dict[str, Any]
) -> _Forest:
    results = _nps_results(data, name="result_or_breakdown")

    def interval(result: NPSResult) -> ConfidenceInterval:
        return result.confidence_interval(confidence_level, method=method, **options)

    intervals = [interval(result) for result in results.values()]
    reference = None
    if overall is not None:
        if not isinstance(overall, NPSResult):
            raise TypeError(f"`overall` must be an NPSResult or None; got {type(overall).__name__}")
        reference = (overall.score, *interval(overall))
    return _Forest(
        labels=[f"{label} (n={_format_n(result.n)})" for label, result in results.items()],
        estimates=np.array([r.score for r in results.values()], dtype=np.float64),
        lows=np.array([ci.low for ci in intervals], dtype=np.float64),
        highs=np.array([ci.high for ci in intervals], dtype=np.float64),
        overall=reference,
        significant=None,
        axis_label=_axis_label("nps", "score"),
        confidence_level=confidence_level,
    )


def plot_nps(
    result_or_breakdown: object,
    /,
    *,
    ax: Axes | None = None,
    overall: NPSResult | None = None,
    confidence_level: float | None = None,
    method: str | None = None,
    n_resamples: int = 9999,
    rng: object = None,
) -> Axes:
    """Forest plot of Net Promoter Scores with their confidence intervals.

    One row per segment: the score as a dot and its confidence interval as a
    horizontal line. The overall score, when known, is a dashed vertical
    reference line with its own interval shaded. For a breakdown from
    :func:`~loyaltymetrics.by_segment` that compared each segment with the
    rest, segments that differ significantly (after the multiple-testing
    correction) are drawn as filled dots, the others as open circles.

    Parameters
    ----------
    result_or_breakdown : SegmentBreakdown, NPSResult or mapping of str to NPSResult
        A breakdown from :func:`~loyaltymetrics.by_segment` (any metric: NPS,
        CSAT, CES, or the share or mean of any column, with the axis label of
        the metric's registry entry; its intervals are drawn as computed); one
        NPSResult (a
        single row labelled "overall"); or several NPSResults keyed by segment
        label, drawn top to bottom in mapping order.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.
    overall : NPSResult, optional
        For NPSResult input, the whole sample's result, drawn as the
        reference line. A breakdown brings its own.
    confidence_level : float, optional
        Confidence level of the intervals computed for NPSResult input,
        default 0.95. A breakdown's intervals already have a level; giving a
        different one is an error.
    method : str, optional
        Interval method for NPSResult input, default "adjusted-wald" (any
        method of :meth:`NPSResult.confidence_interval
        <loyaltymetrics.NPSResult.confidence_interval>`). As with
        ``confidence_level``, a breakdown keeps its own.
    n_resamples : int, default 9999
        Bootstrap resamples, for the bootstrap methods.
    rng : None, int or numpy.random.Generator, optional
        Random source of the bootstrap methods; seed it for a reproducible
        figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``result_or_breakdown`` or ``overall`` has the wrong type.
    ValueError
        For a bad ``confidence_level`` or ``method``, or one that differs
        from a breakdown's.

    See Also
    --------
    plot_score_distribution : the detractor, passive and promoter shares behind each score.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_survey
    >>> from loyaltymetrics.plotting import plot_nps
    >>> survey = load_survey()
    >>> breakdown = lm.by_segment(survey["nps"], by=survey["region"])
    >>> fig, ax = plt.subplots()
    >>> ax = plot_nps(breakdown, ax=ax)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['East (n=778)', 'North (n=901)', 'South (n=709)', 'West (n=612)']
    >>> plt.close(fig)

    Results of :func:`~loyaltymetrics.nps` work too, with intervals computed
    here:

    >>> by_plan = {
    ...     plan: lm.nps(survey["nps"][survey["plan"] == plan])
    ...     for plan in ("basic", "pro", "enterprise")
    ... }
    >>> fig, ax = plt.subplots()
    >>> ax = plot_nps(by_plan, overall=lm.nps(survey["nps"]), method="wald", ax=ax)
    >>> plt.close(fig)
    """
    if isinstance(result_or_breakdown, SegmentBreakdown):
        forest = _breakdown_forest(
            result_or_breakdown, overall=overall, confidence_level=confidence_level, method=method
        )
    else:
        forest = _results_forest(
            result_or_breakdown,
            overall=overall,
            confidence_level=0.95 if confidence_level is None else confidence_level,
            method="adjusted-wald" if method is None else method,
            options={"n_resamples": n_resamples, "rng": rng},
        )
    return _draw_forest(forest, _axes(ax))


def _draw_forest(forest: _Forest, axes: Axes) -> Axes:
    rows = np.arange(len(forest.labels))
    level = f"{100 * forest.confidence_level:g}% CI"
    if forest.overall is not None:
        estimate, low, high = forest.overall
        axes.axvspan(low, high, color="0.9", zorder=0, label=f"overall, {level}")
        axes.axvline(estimate, color="0.3", linestyle="--", linewidth=1)
    errors = np.vstack([forest.estimates - forest.lows, forest.highs - forest.estimates])
    colour = _BAND_COLOURS[2]
    groups: list[tuple[npt.NDArray[np.bool_], str, str]]
    if forest.significant is None:
        groups = [(np.ones(len(rows), dtype=bool), colour, f"estimate and {level}")]
    else:
        groups = [
            (forest.significant, colour, "differs from the rest"),
            (~forest.significant, "white", "does not differ"),
        ]
    for members, face, label in groups:
        if not members.any():
            continue
        axes.errorbar(
            forest.estimates[members],
            rows[members],
            xerr=errors[:, members],
            fmt="o",
            color=colour,
            markerfacecolor=face,
            ecolor=colour,
            capsize=3,
            label=label,
        )
    axes.set_yticks(rows, forest.labels)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # first segment on top
    axes.set_xlabel(forest.axis_label)
    limits = np.concatenate([forest.lows, forest.highs, forest.estimates])
    if forest.overall is not None:
        limits = np.append(limits, forest.overall)
    finite = limits[np.isfinite(limits)]
    if finite.size:
        lowest, highest = float(finite.min()), float(finite.max())
        margin = max(0.05 * (highest - lowest), 1e-3 * max(abs(lowest), abs(highest), 1.0))
        axes.set_xlim(lowest - margin, highest + margin)
    axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize="small", frameon=False, ncols=3
    )
    return axes


def _draw_curve(axes: Axes, curve: SurvivalCurve, label: str | None) -> None:
    """One step curve, its shaded band and its censoring ticks."""
    times = np.concatenate([[0.0], curve.times])
    survival = np.concatenate([[1.0], curve.survival])
    low = np.concatenate([[1.0], curve.survival_low])
    high = np.concatenate([[1.0], curve.survival_high])
    (line,) = axes.step(times, survival, where="post", label=label)
    colour = line.get_color()
    level = f"{100 * curve.confidence_level:g}% CI"
    axes.fill_between(
        times,
        low,
        high,
        step="post",
        alpha=0.25,
        color=colour,
        linewidth=0,
        label=level if label is None else f"{label}, {level}",
    )
    censored = curve.censored > 0
    if censored.any():
        axes.plot(
            curve.times[censored],
            curve.survival[censored],
            linestyle="none",
            marker="|",
            color=colour,
            markersize=8,
        )


def plot_survival(
    curve: SurvivalCurve | SurvivalCurves,
    /,
    *,
    ax: Axes | None = None,
    label: str | None = None,
) -> Axes:
    """Kaplan–Meier survival curve(s) with confidence bands.

    The estimate is drawn as a step function starting at 1 at time 0, the
    pointwise confidence interval as a shaded band, and censored observations
    as small ticks on the curve, as in the usual survival-analysis figure.
    Curves of several groups (``kaplan_meier(..., by=...)``) are drawn
    together, with the log-rank test's p-value as the legend's title.

    Parameters
    ----------
    curve : SurvivalCurve or SurvivalCurves
        A result of :func:`loyaltymetrics.kaplan_meier`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.
    label : str, optional
        Legend label of a single curve, for several curves on one Axes.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``curve`` is not a SurvivalCurve or SurvivalCurves.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.plotting import plot_survival
    >>> curve = lm.kaplan_meier([3, 5, 5, 8, 10, 12], observed=[1, 1, 0, 1, 0, 1])
    >>> fig, ax = plt.subplots()
    >>> ax = plot_survival(curve, ax=ax, label="all customers")
    >>> curves = lm.kaplan_meier([3, 5, 5, 8, 10, 12], [1, 1, 0, 1, 0, 1], by=list("aabbab"))
    >>> ax = plot_survival(curves, ax=ax)
    >>> ax.get_legend().get_title().get_text()
    'log-rank p = 0.36'
    >>> plt.close(fig)
    """
    if not isinstance(curve, SurvivalCurve | SurvivalCurves):
        raise TypeError(
            f"`curve` must be a SurvivalCurve or SurvivalCurves; got {type(curve).__name__}"
        )
    axes = _axes(ax)
    title = None
    if isinstance(curve, SurvivalCurves):
        for group in curve.groups:
            _draw_curve(axes, curve[group], str(group))
        title = f"log-rank p = {curve.logrank_test().pvalue:.2g}"
    else:
        _draw_curve(axes, curve, label)
    axes.set_ylim(0, 1.02)
    axes.set_xlim(left=0)
    axes.set_xlabel("time")
    axes.set_ylabel("share surviving")
    axes.legend(loc="best", fontsize="small", frameon=False, title=title)
    return axes


def _cohort_labels(cohorts: npt.NDArray[np.datetime64], period: str | int) -> list[str]:
    """Readable cohort labels: 2024-01 for months, 2024Q1 for quarters, days otherwise."""
    if period == "month":
        return [str(day)[:7] for day in cohorts.astype("datetime64[M]")]
    if period == "quarter":
        months = cohorts.astype("datetime64[M]").astype(np.int64)
        return [f"{1970 + month // 12}Q{month % 12 // 3 + 1}" for month in months]
    return [str(day) for day in cohorts.astype("datetime64[D]")]


def plot_cohort_heatmap(
    table: CohortTable,
    /,
    *,
    ax: Axes | None = None,
    annotate: bool | None = None,
    cmap: str = "Blues",
) -> Axes:
    """Heat map of a cohort retention table.

    One row per acquisition cohort (labelled with its size), one column per
    period since acquisition. The colour of a cell is the share of the cohort
    active in that period; cells that cannot be observed yet are left blank,
    so the familiar triangle shows where the data end. Period 0 is 100% in a
    classic table by definition, so the colour scale is set by the later
    periods (period 0 is drawn at the top of the scale).

    Parameters
    ----------
    table : CohortTable
        A result of :func:`loyaltymetrics.cohort_retention`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.
    annotate : bool, optional
        Write each cell's percentage in it. Default: only when the table has
        at most 24 periods and 24 cohorts, where the numbers stay legible.
    cmap : str, default "Blues"
        A matplotlib colour map name.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; its colour bar is attached to the same figure.

    Raises
    ------
    TypeError
        If ``table`` is not a CohortTable.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_transactions
    >>> from loyaltymetrics.plotting import plot_cohort_heatmap
    >>> log = load_transactions()
    >>> table = lm.cohort_retention(log["customer_id"], time=log["date"], period="quarter")
    >>> fig, ax = plt.subplots()
    >>> ax = plot_cohort_heatmap(table, ax=ax)
    >>> ax.get_yticklabels()[0].get_text()
    '2024Q1 (n=197)'
    >>> plt.close(fig)
    """
    _require(table, CohortTable, name="table")
    axes = _axes(ax)
    import matplotlib

    if not isinstance(cmap, str) or cmap not in matplotlib.colormaps:
        raise ValueError(f"`cmap` must be the name of a matplotlib colormap; got {cmap!r}")
    rates = np.asarray(table.rates, dtype=np.float64)
    n_cohorts, n_periods = rates.shape
    later = rates[:, 1:]
    top = float(np.nanmax(later)) if later.size and np.isfinite(later).any() else 1.0
    top = top if top > 0 else 1.0
    image = axes.imshow(
        np.ma.masked_invalid(rates),
        cmap=cmap,
        vmin=0.0,
        vmax=top,
        aspect="auto",
        interpolation="nearest",
    )
    colourbar = axes.figure.colorbar(image, ax=axes)
    colourbar.set_label("share of the cohort active")
    colourbar.ax.yaxis.set_major_formatter(lambda value, _: f"{100 * value:.0f}%")
    if annotate is None:
        annotate = n_cohorts <= 24 and n_periods <= 24
    if annotate:
        for row, column in zip(*np.nonzero(np.isfinite(rates)), strict=True):
            value = rates[row, column]
            dark = min(value, top) / top > 0.6
            axes.text(
                column,
                row,
                f"{100 * value:.0f}",
                ha="center",
                va="center",
                fontsize="x-small",
                color="white" if dark else "black",
            )
    labels = _cohort_labels(table.cohorts, table.period)
    axes.set_yticks(
        np.arange(n_cohorts),
        [f"{label} (n={size})" for label, size in zip(labels, table.sizes, strict=True)],
    )
    axes.set_xticks(np.arange(n_periods))
    unit = table.period if isinstance(table.period, str) else f"{table.period}-day period"
    axes.set_xlabel(f"{unit}s since acquisition")
    axes.set_ylabel("cohort")
    axes.set_title(f"{table.kind} retention, % of cohort", fontsize="medium")
    return axes


def plot_holdout(check: HoldoutCheck, /, *, ax: Axes | None = None) -> Axes:
    """Predicted against actual holdout purchases per calibration frequency.

    The conditional-expectation plot of Fader, Hardie & Lee (2005, Figure 4):
    customers are grouped by their number of repeat purchases in the
    calibration period; for each group the mean number of purchases they
    actually made in the holdout period is drawn next to the mean the model
    predicted. Where the two lines part, the model is wrong for that kind of
    customer. The totals over all customers are in the legend.

    Parameters
    ----------
    check : HoldoutCheck
        A result of :func:`loyaltymetrics.holdout_check`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``check`` is not a HoldoutCheck.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_transactions
    >>> from loyaltymetrics.plotting import plot_holdout
    >>> summary = lm.rfm_summary(load_transactions(), customer="customer_id", time="date",
    ...                          period="week", calibration_end="2025-06-30")
    >>> model = lm.fit_bgnbd(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    >>> fig, ax = plt.subplots()
    >>> ax = plot_holdout(lm.holdout_check(model, summary, max_frequency=3), ax=ax)
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['0', '1', '2', '3+']
    >>> plt.close(fig)
    """
    _require(check, HoldoutCheck, name="check")
    axes = _axes(ax)
    frequency = np.asarray(check.frequency)
    positions = np.arange(len(frequency))
    axes.plot(
        positions,
        check.actual,
        marker="o",
        color="black",
        label=f"actual (total {check.actual_total:,.0f})",
    )
    axes.plot(
        positions,
        check.predicted,
        marker="s",
        linestyle="--",
        color=_BAND_COLOURS[2],
        label=f"predicted (total {check.predicted_total:,.1f})",
    )
    labels = [
        f"{value}+" if value == check.max_frequency else str(value) for value in frequency.tolist()
    ]
    axes.set_xticks(positions, labels)
    axes.set_xlabel("repeat purchases in the calibration period")
    axes.set_ylabel("mean purchases in the holdout period")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    return axes


def plot_lorenz(
    concentration: ValueConcentration,
    /,
    *,
    ax: Axes | None = None,
    label: str | None = None,
) -> Axes:
    """Lorenz curve of customer value, with its pointwise band and the equality line.

    The curve shows, for each share of customers ordered from the lowest
    value up, the share of total value they hold; the further it sags below
    the diagonal, the more the value is concentrated. The legend gives the
    Gini coefficient and the top customers' share with their intervals.

    Parameters
    ----------
    concentration : ValueConcentration
        A result of :func:`loyaltymetrics.value_concentration`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.
    label : str, optional
        Legend label of the curve.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``concentration`` is not a ValueConcentration.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.plotting import plot_lorenz
    >>> spend = np.random.default_rng(0).lognormal(3.0, 1.0, 500)
    >>> fig, ax = plt.subplots()
    >>> ax = plot_lorenz(lm.value_concentration(spend), ax=ax)
    >>> plt.close(fig)
    """
    _require(concentration, ValueConcentration, name="concentration")
    axes = _axes(ax)
    curve = concentration.lorenz_curve(backend="pandas")
    population = curve["population_share"].to_numpy()
    gini_low, gini_high = concentration.gini_interval
    top_low, top_high = concentration.top_share_interval
    summary = (
        f"Gini {concentration.gini:.2f} [{gini_low:.2f}, {gini_high:.2f}]; "
        f"top {100 * concentration.top:g}% hold {100 * concentration.top_share:.0f}% "
        f"[{100 * top_low:.0f}, {100 * top_high:.0f}]"
    )
    (line,) = axes.plot(
        population,
        curve["value_share"].to_numpy(),
        label=summary if label is None else f"{label}: {summary}",
    )
    axes.fill_between(
        population,
        curve["low"].to_numpy(),
        curve["high"].to_numpy(),
        alpha=0.25,
        color=line.get_color(),
        linewidth=0,
    )
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="equality")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("share of customers (lowest value first)")
    axes.set_ylabel("share of total value")
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    return axes


def _annotations(results: dict[str, Any]) -> list[str]:
    """Each result's headline as the metric's registry entry formats it."""
    entry = definition_of_result(next(iter(results.values())))
    return [entry.annotation.format(getattr(r, entry.estimate)) for r in results.values()]


def _axis_label(metric: str, estimate: str) -> str:
    """Return the registry's axis label of a metric's estimate column."""
    return definition(metric).axis_labels.get(estimate, estimate)


def plot_tracking(
    times: npt.ArrayLike,
    expected: npt.ArrayLike,
    actual: npt.ArrayLike | None = None,
    /,
    *,
    incremental: bool = False,
    calibration_end: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Track a purchase model against the calendar: expected and actual repeat transactions.

    The tracking plot of Fader, Hardie & Lee (2005, "A note on implementing
    the Pareto/NBD model in MATLAB"): the cohort's cumulative repeat
    transactions over calendar time as the model expects them
    (:func:`loyaltymetrics.expected_repeat_transactions`) and as they
    happened (:func:`loyaltymetrics.actual_repeat_transactions`); with
    ``incremental=True`` the transactions of each period instead (the
    differences of the cumulative counts), where seasonality and drift show.

    Parameters
    ----------
    times : array_like
        Calendar times of the counts (increasing).
    expected : array_like
        Expected cumulative repeat transactions at ``times``.
    actual : array_like, optional
        Actual cumulative repeat transactions at ``times``.
    incremental : bool, default False
        Draw per-period transactions rather than cumulative ones.
    calibration_end : float, optional
        Draw a vertical line where the calibration period ends.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.plotting import plot_tracking
    >>> model = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> times = np.arange(1, 79)
    >>> expected = lm.expected_repeat_transactions(model, np.arange(12), times=times)
    >>> fig, ax = plt.subplots()
    >>> ax = plot_tracking(times, expected, incremental=True, ax=ax)
    >>> len(ax.get_lines())
    1
    >>> plt.close(fig)
    """
    at = _finite_vector(times, name="times")
    curves = {"model": _finite_vector(expected, name="expected")}
    if actual is not None:
        curves = {"actual": _finite_vector(actual, name="actual"), **curves}
    for name, values in curves.items():
        if values.shape != at.shape:
            raise ValueError(f"`{name if name == 'actual' else 'expected'}` must match `times`")
    if calibration_end is not None:
        calibration_end = check_number(
            calibration_end, name="calibration_end", low=-math.inf, inclusive=True
        )
    axes = _axes(ax)
    styles: dict[str, dict[str, Any]] = {
        "actual": {"color": "black"},
        "model": {"color": _BAND_COLOURS[2], "linestyle": "--"},
    }
    for name, values in curves.items():
        shown = np.diff(values, prepend=0.0) if incremental else values
        axes.plot(at, shown, label=name, **styles[name])
    if calibration_end is not None:
        axes.axvline(float(calibration_end), color=_BAND_COLOURS[1], lw=1)
    axes.set_xlabel("time")
    kind = "repeat transactions per period" if incremental else "cumulative repeat transactions"
    axes.set_ylabel(kind)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", fontsize="small", frameon=False)
    return axes


def plot_purchase_counts(
    model: Any,
    frequency: npt.ArrayLike,
    T: npt.ArrayLike,
    /,
    *,
    max_purchases: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Plot customers by number of repeat purchases observed, actual and as the model expects.

    For ``n = 0 .. max_purchases - 1`` and ``max_purchases+`` the number of
    customers who made that many repeat purchases, next to the number the
    model expects, ``sum_i P(X(T_i) = n)`` (Fader, Hardie & Lee 2005, Figure
    2): the in-sample check of a fitted purchase model.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel, MBGNBDModel or BGBBModel
        A purchase model with ``probability_of_purchases(n, t)``.
    frequency, T : array_like
        Each customer's repeat purchases and observation length.
    max_purchases : int, default 7
        The last bar counts this many purchases or more.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_bgnbd
    >>> from loyaltymetrics.plotting import plot_purchase_counts
    >>> x, t_x, T = simulate_bgnbd(1000, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=0)
    >>> model = lm.fit_bgnbd(x, t_x, T)
    >>> fig, ax = plt.subplots()
    >>> ax = plot_purchase_counts(model, x, T, max_purchases=5, ax=ax)
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['0', '1', '2', '3', '4', '5+']
    >>> plt.close(fig)
    """
    if not hasattr(model, "probability_of_purchases"):
        raise TypeError("`model` must be a purchase model with `probability_of_purchases(n, t)`")
    if isinstance(max_purchases, bool) or not isinstance(max_purchases, int) or max_purchases < 1:
        raise ValueError(f"`max_purchases` must be an integer >= 1; got {max_purchases!r}")
    x = _finite_vector(frequency, name="frequency")
    if (x < 0).any():
        raise ValueError("`frequency` must be >= 0")
    lengths, counts = np.unique(_finite_vector(T, name="T"), return_counts=True)
    if (lengths <= 0).any() or (lengths.shape[0] and x.shape[0] != counts.sum()):
        raise ValueError("`T` must be > 0, one per customer of `frequency`")
    n = np.arange(max_purchases, dtype=np.float64)[:, None]
    pmf = np.asarray(model.probability_of_purchases(n, lengths[None, :]), dtype=np.float64)
    expected = pmf @ counts.astype(np.float64)
    expected = np.append(expected, counts.sum() - expected.sum())
    observed = np.bincount(
        np.minimum(x, max_purchases).astype(np.int64), minlength=max_purchases + 1
    )
    axes = _axes(ax)
    positions = np.arange(max_purchases + 1)
    axes.bar(positions - 0.2, observed, width=0.4, color="black", label="actual")
    axes.bar(positions + 0.2, expected, width=0.4, color=_BAND_COLOURS[2], label="model")
    labels = [str(k) for k in range(max_purchases)] + [f"{max_purchases}+"]
    axes.set_xticks(positions, labels)
    axes.set_xlabel("repeat purchases")
    axes.set_ylabel("customers")
    axes.legend(loc="upper right", fontsize="small", frameon=False)
    return axes


def _history_grid(
    model: Any, what: str, *, T: float, t: float, max_frequency: int, max_recency: float | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Values over a frequency x recency grid (recency 0 only for frequency 0)."""
    method = "probability_alive" if what == "alive" else "expected_purchases"
    if not hasattr(model, method):
        raise TypeError(f"`model` must be a purchase model with `{method}`; got {model!r}")
    T = check_number(T, name="T", low=0.0, inclusive=False)
    t = check_number(t, name="t", low=0.0, inclusive=True)
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 0:
        raise ValueError(f"`max_frequency` must be an integer >= 0; got {max_frequency!r}")
    max_recency = (
        T
        if max_recency is None
        else check_number(max_recency, name="max_recency", low=0.0, inclusive=False)
    )
    frequency = np.arange(max_frequency + 1, dtype=np.float64)
    recency = np.linspace(0.0, min(max_recency, T), 41)
    x, t_x = np.meshgrid(frequency, recency, indexing="ij")
    valid = (x > 0) | (t_x == 0)
    # Customers with no repeat purchase have recency 0; their row is that value.
    t_x = np.where(x > 0, t_x, 0.0)
    if what == "alive":
        values = model.probability_alive(x, t_x, T)
    else:
        values = model.expected_purchases(t, x, t_x, T)
    grid = np.where(valid | (x == 0), np.asarray(values, dtype=np.float64), np.nan)
    return frequency, recency, grid


def _finite_vector(values: object, *, name: str) -> FloatArray:
    """Return a one-dimensional float array of plottable numbers, naming the argument if not.

    Magnitudes are capped at 1e100 (as amounts are elsewhere): beyond that an axis range
    overflows the float range.
    """
    array = model_array(values, name=name).reshape(-1)
    if not (np.abs(array) <= 1e100).all():
        raise ValueError(f"`{name}` must be finite numbers of magnitude at most 1e100")
    return array


def _draw_grid(
    axes: Axes, frequency: FloatArray, recency: FloatArray, grid: FloatArray, label: str
) -> Axes:
    image = axes.imshow(
        grid,
        origin="lower",
        aspect="auto",
        cmap="viridis",
        extent=(recency[0], recency[-1], frequency[0] - 0.5, frequency[-1] + 0.5),
    )
    axes.figure.colorbar(image, ax=axes, label=label)
    axes.set_xlabel("recency (time of the last purchase)")
    axes.set_ylabel("frequency (repeat purchases)")
    return axes


def plot_probability_alive_matrix(
    model: Any,
    /,
    *,
    T: float,
    max_frequency: int = 20,
    max_recency: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heat map of P(alive) over frequency x recency for customers observed for ``T``.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel or MBGNBDModel
        A continuous-time purchase model.
    T : float
        Length of observation of the customers shown (the same for all).
    max_frequency : int, default 20
        Largest frequency shown.
    max_recency : float, optional
        Largest recency shown; default ``T``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.plotting import plot_probability_alive_matrix
    >>> fig, ax = plt.subplots()
    >>> model = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    >>> ax = plot_probability_alive_matrix(model, T=39.0, max_frequency=10, ax=ax)
    >>> ax.get_ylabel()
    'frequency (repeat purchases)'
    >>> plt.close(fig)
    """
    axes = _axes(ax)
    frequency, recency, grid = _history_grid(
        model, "alive", T=T, t=0.0, max_frequency=max_frequency, max_recency=max_recency
    )
    return _draw_grid(axes, frequency, recency, grid, "P(alive)")


def plot_expected_purchases_matrix(
    model: Any,
    /,
    *,
    t: float,
    T: float,
    max_frequency: int = 20,
    max_recency: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heat map of the expected purchases in the next ``t`` over frequency x recency.

    Parameters
    ----------
    model : BGNBDModel, ParetoNBDModel or MBGNBDModel
        A continuous-time purchase model.
    t : float
        Length of the future period.
    T : float
        Length of observation of the customers shown.
    max_frequency : int, default 20
        Largest frequency shown.
    max_recency : float, optional
        Largest recency shown; default ``T``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.plotting import plot_expected_purchases_matrix
    >>> fig, ax = plt.subplots()
    >>> model = lm.ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
    >>> ax = plot_expected_purchases_matrix(model, t=52.0, T=39.0, max_frequency=10, ax=ax)
    >>> ax.get_xlabel()
    'recency (time of the last purchase)'
    >>> plt.close(fig)
    """
    axes = _axes(ax)
    frequency, recency, grid = _history_grid(
        model, "purchases", T=T, t=t, max_frequency=max_frequency, max_recency=max_recency
    )
    return _draw_grid(axes, frequency, recency, grid, f"expected purchases in the next {t:g}")


_TREND_COLUMNS = frozenset(
    {"period", "window_start", "reference", "n", "weight_total", "effective_n", "score", "mean"}
    | {"low", "high", "difference", "difference_low", "difference_high", "statistic", "pvalue"}
    | {"pvalue_corrected", "significant", "n_omitted"}
)


def _trend_series(result: Any) -> list[tuple[str, dict[str, npt.NDArray[Any]]]]:
    """Split an over-time table into one labelled series per segment."""
    columns = {name: np.asarray(values) for name, values in result._table().items()}
    keys = [name for name in columns if name not in _TREND_COLUMNS]
    size = result.n_periods
    series = []
    for segment in range(result.n_segments):
        rows = slice(segment * size, (segment + 1) * size)
        label = ", ".join(str(columns[key][rows][0]) for key in keys) or result.metric.upper()
        series.append((label, {name: values[rows] for name, values in columns.items()}))
    return series


def plot_trend(result: object, /, *, ax: Axes | None = None) -> Axes:
    """Plot a metric over time: the estimate per period with its interval band.

    One line per segment (one without ``by``); the shaded band is each
    period's confidence interval; periods whose change against their
    comparison period is significant (after the correction) are marked with
    a triangle pointing up or down. Periods without responses leave a gap.

    Parameters
    ----------
    result : OverTime
        A result of :func:`loyaltymetrics.over_time`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``result`` is not an OverTime result.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_survey
    >>> from loyaltymetrics.plotting import plot_trend
    >>> survey = load_survey(as_frame="pandas")
    >>> result = lm.over_time(survey, score="nps", time="date", period="quarter")
    >>> fig, ax = plt.subplots()
    >>> ax = plot_trend(result, ax=ax)
    >>> ax.get_ylabel()
    'Net Promoter Score (-100 to 100)'
    >>> plt.close(fig)
    """
    from loyaltymetrics._survey._over_time import OverTime

    _require(result, OverTime, name="result")
    assert isinstance(result, OverTime)
    axes = _axes(ax)
    colours = _diverging_colours(max(result.n_segments, 1)) if result.n_segments > 1 else None
    for index, (label, series) in enumerate(_trend_series(result)):
        colour = _BAND_COLOURS[2] if colours is None else colours[index]
        when = series["period"].astype("datetime64[D]")
        estimate = series[result.estimate].astype(np.float64)
        axes.plot(when, estimate, marker="o", markersize=3, color=colour, label=label)
        axes.fill_between(
            when,
            series["low"].astype(np.float64),
            series["high"].astype(np.float64),
            color=colour,
            alpha=0.2,
            linewidth=0,
        )
        if "significant" in series:
            significant = series["significant"].astype(bool)
            up = significant & (series["difference"] > 0)
            down = significant & (series["difference"] < 0)
            axes.plot(
                when[up], estimate[up], linestyle="none", marker="^", markersize=9, color=colour
            )
            axes.plot(
                when[down], estimate[down], linestyle="none", marker="v", markersize=9, color=colour
            )
    axes.set_xlabel(
        f"{result.period} (window of {result.window})" if result.window else result.period
    )
    axes.set_ylabel(_axis_label(result.metric, result.estimate))
    if result.n_segments > 1:
        axes.legend(loc="best", fontsize="small", frameon=False)
    return axes
