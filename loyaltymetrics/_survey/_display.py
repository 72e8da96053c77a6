"""How breakdown tables (by segment, over time) are shown in a notebook.

The HTML view of :class:`SegmentBreakdown` and :class:`OverTime` puts the
columns a reader needs first -- the segment and period keys, ``n``, the
estimate and its interval, the difference and its corrected p-value and
``significant`` -- then the rest, each in a display format of
``_engine._results.DISPLAY_FORMATS`` chosen from the metric's reporting
scale: NPS in points, a share on 0..100 (CSAT, the CES agree share) or on
0..1 ("share") as a percentage, a mean with two decimals. Only the display
is formatted; the table keeps full precision.
"""

from __future__ import annotations

from collections.abc import Iterable

from loyaltymetrics._engine._results import DisplayFormat
from loyaltymetrics._survey._metrics import Metric

__all__ = ["breakdown_columns", "unit_of"]

#: The unit of an estimate: how it and its limits are displayed.
_UNITS: dict[str, DisplayFormat] = {"share": "share", "mean": "mean"}
#: Columns shown after the keys, in this order, when present; None: the estimate's unit.
_LEADING: tuple[tuple[str, DisplayFormat | None], ...] = (
    ("n", "count"),
    ("weight_total", "count"),
)
_AFTER_ESTIMATE: tuple[tuple[str, str], ...] = (
    ("low", ""),
    ("high", ""),
    ("reference", "text"),
    ("difference", "_change"),
    ("difference_low", "_change"),
    ("difference_high", "_change"),
    ("pvalue_corrected", "pvalue"),
    ("significant", "text"),
)
#: The remaining columns that have a display format.
_REST: dict[str, DisplayFormat | str] = {
    "effective_n": "count",
    "total": "",
    "total_low": "",
    "total_high": "",
    "statistic": "statistic",
    "pvalue": "pvalue",
    "n_omitted": "count",
}


def unit_of(metric: Metric | None, estimate: str) -> DisplayFormat:
    """Return the display format of an estimate column.

    A metric reported with a factor of 100 is a share on 0..100 (a
    percentage); "share" is on 0..1; "mean" a mean; anything else points.

    Examples
    --------
    >>> from loyaltymetrics._survey._metrics import definition
    >>> unit_of(definition("csat").metric({}), "score"), unit_of(None, "score")
    ('percent', 'points')
    """
    if estimate in _UNITS:
        return _UNITS[estimate]
    if metric is not None and metric.factor == 100.0:
        return "percent"
    return "points"


def _format(suffix: str, unit: DisplayFormat) -> DisplayFormat | None:
    """Resolve a column's format: "" is the unit, "_change" its change, "text" none."""
    if suffix == "text":
        return None
    if suffix in ("", "_change"):
        return f"{unit}{suffix}"  # type: ignore[return-value]
    return suffix  # type: ignore[return-value]


def breakdown_columns(
    columns: Iterable[str], *, metric: Metric | None, estimate: str
) -> dict[str, DisplayFormat | None]:
    """Return the display order and format of a breakdown's columns.

    The key columns (every column before ``n``: segment keys, ``period``,
    ``window_start``) come first, unformatted; then the columns a reader
    needs; then the rest, in table order.

    Examples
    --------
    >>> names = ["region", "n", "effective_n", "score", "low", "high", "pvalue"]
    >>> shown = breakdown_columns(names, metric=None, estimate="score")
    >>> list(shown)
    ['region', 'n', 'score', 'low', 'high', 'effective_n', 'pvalue']
    >>> shown["score"], shown["pvalue"]
    ('points', 'pvalue')
    """
    names = list(columns)
    unit = unit_of(metric, estimate)
    keys = names[: names.index("n")] if "n" in names else []
    shown: dict[str, DisplayFormat | None] = dict.fromkeys(keys)
    shown.update((name, kind) for name, kind in _LEADING if name in names)
    if estimate in names:
        shown[estimate] = unit
    shown.update((name, _format(suffix, unit)) for name, suffix in _AFTER_ESTIMATE if name in names)
    for name in names:
        if name not in shown:
            shown[name] = _format(_REST[name], unit) if name in _REST else None
    return shown
