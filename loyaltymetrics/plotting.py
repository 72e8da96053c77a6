"""Plots of loyaltymetrics results (needs matplotlib: ``pip install "loyaltymetrics[plot]"``).

Every function draws on the Axes given as ``ax`` (or on the current Axes of
pyplot when ``ax`` is None) and returns that Axes, so plots compose with the
rest of a matplotlib figure. matplotlib is imported only when a plot is drawn;
importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from loyaltymetrics._nps import NPSResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_score_distribution"]

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


@dataclass(frozen=True)
class _Bands:
    """Detractor, passive and promoter shares (rows: segments) with their labels."""

    labels: list[str]
    shares: FloatArray  # shape (segments, 3), rows sum to 1
    scores: FloatArray


def _nps_bands(data: object, *, name: str) -> _Bands:
    """Read band shares from an NPSResult or a mapping of labels to NPSResults."""
    if isinstance(data, NPSResult):
        results: dict[str, NPSResult] = {"overall": data}
    elif isinstance(data, Mapping) and data:
        results = {}
        for label, result in data.items():
            if not isinstance(result, NPSResult):
                raise TypeError(
                    f"`{name}` must map segment labels to NPSResult; "
                    f"got {type(result).__name__} for {label!r}"
                )
            results[str(label)] = result
    else:
        raise TypeError(
            f"`{name}` must be an NPSResult or a non-empty mapping of segment labels to "
            f"NPSResult; got {type(data).__name__}"
        )
    shares = np.array(
        [[r.detractor_share, r.passive_share, r.promoter_share] for r in results.values()],
        dtype=np.float64,
    )
    scores = np.array([r.score for r in results.values()], dtype=np.float64)
    return _Bands(labels=list(results), shares=shares, scores=scores)


def plot_score_distribution(results: object, /, *, ax: Axes | None = None) -> Axes:
    """Diverging stacked bar of detractors, passives and promoters per segment.

    Each segment is one horizontal bar on a percentage axis: detractors extend
    to the left of zero, promoters to the right, and passives sit across zero,
    half on each side, so segments line up on the neutral middle and the
    balance of promoters over detractors (the NPS) reads off the bar. The NPS
    of each segment is written at the right.

    Parameters
    ----------
    results : NPSResult or mapping of str to NPSResult
        One result (drawn as a single bar labelled "overall") or several,
        keyed by segment label and drawn top to bottom in mapping order.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current Axes of pyplot.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``results`` is not an NPSResult or a non-empty mapping of them.
    ValueError
        If a result has undefined (NaN) shares.

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
    """
    bands = _nps_bands(results, name="results")
    if np.isnan(bands.shares).any():
        position = int(np.flatnonzero(np.isnan(bands.shares).any(axis=1))[0])
        raise ValueError(
            f"`results` for {bands.labels[position]!r} has undefined shares (a missing score "
            "under nan_policy='propagate'); nothing to draw"
        )
    axes = _axes(ax)
    percent = 100 * bands.shares
    rows = np.arange(len(bands.labels))
    # Left edges: detractors end where passives begin, at minus half the passives.
    left_edges = np.column_stack(
        [
            -percent[:, 1] / 2 - percent[:, 0],
            -percent[:, 1] / 2,
            percent[:, 1] / 2,
        ]
    )
    for band in range(3):
        axes.barh(
            rows,
            percent[:, band],
            left=left_edges[:, band],
            color=_BAND_COLOURS[band],
            label=_BAND_NAMES[band],
            height=0.7,
        )
    right_end = float(np.max(percent[:, 1] / 2 + percent[:, 2]))
    for row, score in zip(rows, bands.scores, strict=True):
        axes.annotate(
            f"NPS {score:+.0f}",
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
    limit = float(np.max(np.abs(left_edges[:, 0])))
    axes.set_xlim(-max(limit, 10) - 5, right_end + 25)
    axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize="small", frameon=False, ncols=3
    )
    return axes
