"""Result types shared across metrics and the behaviour every result has.

Results are frozen dataclasses. They get a short, deterministic ``__repr__``, a
compact ``_repr_html_`` for notebooks and ``to_dict()`` from :class:`Result`.
Fields whose names start with an underscore hold the sufficient statistic used
by inference methods; they are not part of the displayed or exported result.

Tabular results (one row per segment, cohort, time point ...) subclass
:class:`TabularResult` instead: they implement ``_table()`` once and get
``to_frame(backend=...)`` and an HTML table view from it, so every tabular
result converts to pandas or polars the same way (through :func:`make_frame`).

Displays (``repr`` and the HTML views) only format; the fields and
``to_frame()`` keep full precision. The HTML view of a table shows the
columns its ``_display_columns()`` names first, each in a display format of
:data:`DISPLAY_FORMATS` (p-values to three significant digits and "<0.001"
below 0.001; shares as percentages with one decimal; counts as integers),
and its settings in a caption under the table that wraps.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from loyaltymetrics._engine._validation import check_choice

__all__ = [
    "DISPLAY_FORMATS",
    "FRAME_BACKENDS",
    "Comparison",
    "ConfidenceInterval",
    "DisplayFormat",
    "FrameBackend",
    "HeadlineResult",
    "Result",
    "TabularResult",
    "TargetTest",
    "format_display",
    "format_pvalue",
    "format_value",
    "make_frame",
]

FrameBackend = Literal["pandas", "polars"]
FRAME_BACKENDS: tuple[FrameBackend, ...] = ("pandas", "polars")
#: Rows shown by the HTML view of a tabular result before it elides the middle.
_HTML_MAX_ROWS = 20
#: Cell style of a column in a display format: numbers line up on the right.
_RIGHT = " style='text-align: right'"
#: Style of a table's caption: under the table, wrapping, never wider than a page.
_CAPTION_STYLE = (
    "caption-side: bottom; white-space: normal; max-width: 60em; "
    "text-align: left; font-size: smaller"
)


def format_value(value: object) -> str:
    """Format a field value for display: short, deterministic, readable."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, np.datetime64 | np.timedelta64):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return str(number)
        if number == int(number) and abs(number) < 1e15:
            return f"{number:.1f}"
        return f"{number:.6g}"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, separator=", ", threshold=12)
    if isinstance(value, Result):
        return value.short_repr()
    return repr(value)


def format_pvalue(value: float) -> str:
    """Format a p-value for display: three significant digits, "<0.001" below 0.001.

    Examples
    --------
    >>> from loyaltymetrics._engine._results import format_pvalue
    >>> format_pvalue(0.04213), format_pvalue(0.5), format_pvalue(0.00031)
    ('0.0421', '0.500', '<0.001')
    """
    if value < 0.001:
        return "<0.001"
    return f"{value:#.3g}"


def _signed(text: str) -> str:
    """Give a formatted change its sign, and none when it rounds to zero."""
    if text.strip("+-0.") == "":
        return text.lstrip("+-")
    return text if text.startswith("-") else f"+{text}"


#: The display format of a column or field: how an HTML view writes one number.
DisplayFormat = Literal[
    "count",
    "points",
    "points_change",
    "percent",
    "percent_change",
    "share",
    "share_change",
    "mean",
    "mean_change",
    "statistic",
    "pvalue",
]
#: Each display format: "count" an integer (a weighted total with one
#: decimal); "points" (NPS) one decimal; "percent" a figure on 0..100 and
#: "share" one on 0..1, both as a percentage with one decimal; "mean" two
#: decimals; "statistic" two decimals; "pvalue" by :func:`format_pvalue`.
#: A "_change" format is signed, and a change of a percentage is in
#: percentage points ("pp").
DISPLAY_FORMATS: dict[str, Callable[[float], str]] = {
    "count": lambda v: f"{v:.0f}" if v == round(v) else f"{v:.1f}",
    "points": lambda v: f"{v:.1f}",
    "points_change": lambda v: _signed(f"{v:.1f}"),
    "percent": lambda v: f"{v:.1f}%",
    "percent_change": lambda v: _signed(f"{v:.1f}") + " pp",
    "share": lambda v: f"{100 * v:.1f}%",
    "share_change": lambda v: _signed(f"{100 * v:.1f}") + " pp",
    "mean": lambda v: f"{v:.2f}",
    "mean_change": lambda v: _signed(f"{v:.2f}"),
    "statistic": lambda v: f"{v:.2f}",
    "pvalue": format_pvalue,
}
#: Fields that single results' HTML views show as p-values.
_PVALUE_FIELDS = ("pvalue", "pvalue_corrected")


def format_display(value: object, kind: DisplayFormat | None) -> str:
    """Format one displayed value in the display format ``kind`` (None: as ``repr`` does).

    NaN (and a missing date) shows as "—", an infinity as "inf"; values that
    are not numbers (keys, flags, dates) are formatted as ``repr`` would,
    strings unquoted.
    """
    if isinstance(value, np.datetime64) and np.isnat(value):
        return "—"
    if kind is None or isinstance(value, bool | np.bool_):
        return _cell(value)
    if not isinstance(value, int | float | np.integer | np.floating):
        return _cell(value)
    number = float(value)
    if math.isnan(number):
        return "—"
    if math.isinf(number):
        return str(number)
    return DISPLAY_FORMATS[kind](number)


def _plain(value: object) -> object:
    """Convert numpy values (and nested results) to plain Python for ``to_dict``."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def make_frame(columns: Mapping[str, Any], /, *, backend: object, name: str = "backend") -> Any:
    """Build a pandas or polars DataFrame from equal-length columns.

    The dataframe library is imported only here, when a frame is asked for; a
    missing library is an :class:`ImportError` that says what to install.

    Parameters
    ----------
    columns : mapping of str to array_like
        Column name to values, in display order.
    backend : {"pandas", "polars"}
        The library of the returned frame.
    name : str, default "backend"
        The argument name used in error messages.

    Examples
    --------
    >>> from loyaltymetrics._engine._results import make_frame
    >>> make_frame({"segment": ["a", "b"], "n": [3, 4]}, backend="polars").shape
    (2, 2)
    """
    kind = check_choice(backend, name=name, choices=FRAME_BACKENDS)
    try:
        if kind == "pandas":
            import pandas as pd

            return pd.DataFrame(dict(columns))
        import polars as pl

        return pl.DataFrame(dict(columns))
    except ImportError:
        raise ImportError(
            f"`{name}={kind!r}` needs {kind}; install it with `pip install {kind}`"
        ) from None


class Result:
    """Behaviour shared by every result dataclass.

    Subclasses are frozen dataclasses declared with ``repr=False`` and may set
    ``_display_fields`` to the fields shown by ``repr``; by default every public
    field is shown.
    """

    _display_fields: ClassVar[tuple[str, ...] | None] = None
    #: Fields shown only when set and different from the result's ``n``: the
    #: weight total and effective sample size of a weighted sample.
    _weighting_fields: ClassVar[tuple[str, ...]] = ("weight_total", "effective_n")

    def _public_fields(self) -> list[str]:
        return [
            f.name
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not f.name.startswith("_")
        ]

    def _shown_fields(self) -> list[str]:
        names = self._public_fields() if self._display_fields is None else self._display_fields
        n = getattr(self, "n", None)
        return [
            name
            for name in names
            if name not in self._weighting_fields or getattr(self, name) not in (None, n)
        ]

    def _display_items(self) -> list[tuple[str, str]]:
        """Return the (label, text) pairs ``repr`` and the HTML view show, in order."""
        return [(name, format_value(getattr(self, name))) for name in self._shown_fields()]

    def short_repr(self) -> str:
        """Return the one-line representation used by ``repr``."""
        parts = [f"{label}={text}" for label, text in self._display_items()]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self) -> str:
        return self.short_repr()

    def _html_text(self, label: str, text: str) -> str:
        """Return the HTML view's text of a displayed item: p-values in the display format."""
        value = getattr(self, label, None)
        if label in _PVALUE_FIELDS and isinstance(value, float | np.floating):
            return format_display(value, "pvalue")
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the public fields as a dictionary of plain Python values.

        Numpy scalars become Python numbers and arrays become lists, so the
        result can be passed to :func:`json.dumps`.

        Examples
        --------
        >>> import json
        >>> import loyaltymetrics as lm
        >>> lm.nps([10, 9, 7, 3]).to_dict()["score"]
        25.0
        >>> len(json.dumps(lm.nps([10, 9, 7, 3]).to_dict())) > 0
        True
        """
        return {name: _plain(getattr(self, name)) for name in self._public_fields()}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
            f"<td style='text-align:right'>{html.escape(self._html_text(label, text))}</td></tr>"
            for label, text in self._display_items()
        )
        title = html.escape(type(self).__name__)
        return f"<table><caption>{title}</caption><tbody>{rows}</tbody></table>"


@dataclass(frozen=True, repr=False)
class ConfidenceInterval(Result):
    """A two-sided interval ``[low, high]`` on the scale of the estimate.

    It unpacks like scipy's ``ConfidenceInterval``: ``low, high = ci``.

    Attributes
    ----------
    low, high : float
        The limits.
    bootstrap_distribution : numpy.ndarray or None
        For a bootstrap interval of one estimate: the ``n_resamples``
        bootstrap replicates of the estimate, on its scale, as
        ``scipy.stats.BootstrapResult.bootstrap_distribution``; None for
        other methods.
    standard_error : float or None
        For a bootstrap interval: the standard deviation (``ddof=1``) of the
        bootstrap distribution, as ``scipy.stats.BootstrapResult`` reports
        it; None for other methods.

    Examples
    --------
    >>> from loyaltymetrics import ConfidenceInterval
    >>> ci = ConfidenceInterval(-12.5, 30.0)
    >>> ci
    ConfidenceInterval(low=-12.5, high=30.0)
    >>> low, high = ci
    >>> high - low
    42.5
    """

    low: float
    high: float
    bootstrap_distribution: np.ndarray[Any, np.dtype[np.float64]] | None = field(
        default=None, compare=False
    )
    standard_error: float | None = field(default=None, compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = ("low", "high")

    def to_dict(self) -> dict[str, Any]:
        """Return the limits (and a bootstrap's distribution and standard error) as plain values."""
        return {name: value for name, value in super().to_dict().items() if value is not None}

    def __iter__(self) -> Iterator[float]:
        yield self.low
        yield self.high


class HeadlineResult(Result):
    """A result with one headline number, exposed as ``estimate``.

    Subclasses set ``_headline`` to the field that holds it. Single-sample
    results that override :meth:`_default_interval` also show that interval
    in ``repr`` and the HTML view, as ``ci=[low, high]`` right after the
    headline.
    """

    _headline: ClassVar[str]

    @property
    def estimate(self) -> float:
        """The headline number, under the name every result shares.

        It is the field the class documents as its estimate (``score`` of
        NPS and CSAT, ``mean`` of CES, ``difference`` of a comparison,
        ``rate`` of a retention result, ``value`` of a mean).

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> lm.nps([10, 9, 7, 3]).estimate
        25.0
        """
        return float(getattr(self, self._headline))

    def _default_interval(self) -> ConfidenceInterval | None:
        """Return the interval ``repr`` shows beside the headline (None: none shown)."""
        return None

    def _display_items(self) -> list[tuple[str, str]]:
        items = super()._display_items()
        interval = self._default_interval()
        if interval is None:
            return items
        text = f"[{format_value(interval.low)}, {format_value(interval.high)}]"
        at = [label for label, _ in items].index(self._headline) + 1
        return [*items[:at], ("ci", text), *items[at:]]


@dataclass(frozen=True, repr=False)
class Comparison(HeadlineResult):
    """Shared fields of a two-sample comparison (subclassed per metric).

    Attributes
    ----------
    difference : float
        Estimate of ``a - b`` on the metric's reporting scale; also
        ``estimate``.
    interval : ConfidenceInterval
        The interval for the difference computed with the comparison, same
        scale; ``confidence_interval()`` without arguments returns it.
    statistic : float
        Test statistic (a z or t value for analytic methods).
    pvalue : float
        p-value for the null hypothesis of no difference, under ``alternative``.
    method : str
        The method that produced the interval and p-value.
    alternative : str
        "two-sided", "less" (a < b) or "greater" (a > b).
    """

    difference: float
    interval: ConfidenceInterval
    statistic: float
    pvalue: float
    method: str
    alternative: str = "two-sided"
    #: Reruns the comparison on the same two samples and options, with the
    #: keyword options it is given replacing the stored ones.
    _recompute: Callable[..., Comparison] | None = field(default=None, compare=False)

    _headline: ClassVar[str] = "difference"

    def confidence_interval(
        self,
        confidence_level: float | None = None,
        *,
        method: str | None = None,
        n_resamples: int | None = None,
        rng: object = None,
    ) -> ConfidenceInterval:
        """Return the interval for the difference, by default the one computed with it.

        Parameters
        ----------
        confidence_level : float, optional
            Coverage; default the level the comparison was computed at.
        method : str, optional
            One of the comparison function's methods; default the
            comparison's ``method``.
        n_resamples : int, optional
            Bootstrap resamples (bootstrap methods only); default the
            comparison's.
        rng : None, int or numpy.random.Generator, optional
            Randomness for the bootstrap methods.

        Returns
        -------
        ConfidenceInterval
            Without arguments, exactly ``interval``; otherwise the interval
            recomputed from the two samples the comparison was made from (the
            same samples, ``alternative`` and, unless given, options).

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> a = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
        >>> b = lm.nps_from_counts(detractors=30, passives=30, promoters=40)
        >>> comparison = lm.compare_nps(a, b)
        >>> comparison.confidence_interval()
        ConfidenceInterval(low=-2.5516, high=41.3865)
        >>> comparison.confidence_interval(0.9, method="wald")
        ConfidenceInterval(low=1.24578, high=38.7542)
        """
        requested = {
            "confidence_level": confidence_level,
            "method": method,
            "n_resamples": n_resamples,
            "rng": rng,
        }
        given = {name: value for name, value in requested.items() if value is not None}
        if not given:
            return self.interval
        if self._recompute is None:
            raise ValueError(
                f"this {type(self).__name__} was built without its samples; "
                "only `confidence_interval()` without arguments is available"
            )
        return self._recompute(**given).interval


class TabularResult(Result):
    """Behaviour shared by results that are tables (one row per segment, cohort ...).

    Subclasses implement ``_table()``, returning the columns (name to a
    one-dimensional array, all the same length) in display order; they get
    :meth:`to_frame` and a notebook view of that table. Scalar public fields
    (the overall figure, the method ...) are shown above the table.
    """

    def _table(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_frame(self, *, backend: FrameBackend = "pandas") -> Any:
        """Return the table as a pandas or polars DataFrame.

        Parameters
        ----------
        backend : {"pandas", "polars"}, default "pandas"
            The dataframe library of the result; it must be installed.

        Returns
        -------
        pandas.DataFrame or polars.DataFrame
            One column per field of the table, in display order, with a
            default (integer) index.

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> curve = lm.kaplan_meier([2, 3, 3, 5], [1, 1, 0, 1])
        >>> curve.to_frame()[["time", "survival", "at_risk"]]
           time  survival  at_risk
        0   2.0      0.75      4.0
        1   3.0      0.50      3.0
        2   5.0      0.00      1.0
        >>> curve.to_frame(backend="polars").height
        3
        """
        return make_frame(self._table(), backend=backend)

    def _display_columns(self) -> dict[str, DisplayFormat | None]:
        """Return the columns the HTML view shows first, in order, with their display format.

        Columns not named follow in table order, formatted as ``repr`` does;
        a format of None also means that. The default names none.
        """
        return {}

    def _html_columns(self) -> dict[str, tuple[DisplayFormat | None, np.ndarray[Any, Any]]]:
        """Return every column of the HTML view, in display order, with its format."""
        table = {name: np.asarray(values) for name, values in self._table().items()}
        first = {name: kind for name, kind in self._display_columns().items() if name in table}
        order = [*first, *(name for name in table if name not in first)]
        return {name: (first.get(name), table[name]) for name in order}

    def _caption(self, n_rows: int) -> str:
        """Return the caption text: the class, its rows and every scalar setting."""
        n = getattr(self, "n", None)
        scalars = []
        for name in self._public_fields():
            value = getattr(self, name)
            if isinstance(value, ConfidenceInterval):
                scalars.append(f"{name}=[{format_value(value.low)}, {format_value(value.high)}]")
                continue
            if value is not None and not isinstance(value, str | int | float | np.generic):
                continue  # the table's columns, arrays, frames
            if name not in self._weighting_fields or value not in (None, n):
                scalars.append(f"{name}={format_value(value)}")
        title = f"{type(self).__name__} ({n_rows} rows)"
        return title + (f": {', '.join(scalars)}" if scalars else "")

    def _repr_html_(self) -> str:
        columns = self._html_columns()
        n_rows = len(next(iter(columns.values()))[1]) if columns else 0
        if n_rows > _HTML_MAX_ROWS:
            head = _HTML_MAX_ROWS - 5
            shown: list[int | None] = [*range(head), None, *range(n_rows - 5, n_rows)]
        else:
            shown = list(range(n_rows))
        align = {name: "" if kind is None else _RIGHT for name, (kind, _) in columns.items()}
        header = "".join(f"<th{align[name]}>{html.escape(name)}</th>" for name in columns)
        body = []
        for index in shown:
            if index is None:
                cells = "".join("<td>…</td>" for _ in columns)
            else:
                cells = "".join(
                    f"<td{align[name]}>{html.escape(format_display(values[index], kind))}</td>"
                    for name, (kind, values) in columns.items()
                )
            body.append(f"<tr>{cells}</tr>")
        caption = html.escape(self._caption(n_rows))
        return (
            f"<table><caption style='{_CAPTION_STYLE}'>{caption}</caption>"
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def _cell(value: object) -> str:
    """Format one table cell: like :func:`format_value`, but strings unquoted."""
    if isinstance(value, str | np.str_):
        return str(value)
    return format_value(value)


@dataclass(frozen=True, repr=False)
class TargetTest(Result):
    """A one-sample test of a single result's estimate against a target value.

    Returned by ``test(value)`` of :class:`NPSResult`, :class:`CSATResult`
    and :class:`CESResult`. The test inverts the interval of the same
    method: at every confidence level, the two-sided p-value is below ``1 -
    confidence_level`` exactly when ``target`` lies outside the two-sided
    interval at that level, and a one-sided p-value is below it exactly when
    the one-sided limit excludes the target.

    Attributes
    ----------
    estimate : float
        The estimate tested, on its reporting scale (NPS points, a score on
        0..100, a mean on the answer scale).
    target : float
        The value tested against, on the same scale.
    statistic : float
        The method's test statistic (a z or t value; for the bootstrap, the
        distance to the target over the bootstrap standard error); NaN for
        methods without one (exact, Jeffreys, Bayes) and when the estimate
        is NaN.
    pvalue : float
        p-value of the null hypothesis ``estimate == target`` against
        ``alternative``; NaN when the estimate is NaN.
    alternative : str
        "two-sided", "greater" (the true value exceeds the target) or "less".
    method : str
        The interval method the test inverts.
    n : int
        Number of responses the estimate is based on.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.nps_from_counts(detractors=20, passives=30, promoters=50).test(10, method="wald")
    TargetTest(estimate=30.0, target=10.0, statistic=2.56074, pvalue=0.010445,
    alternative='two-sided', method='wald', n=100)
    """

    estimate: float
    target: float
    statistic: float
    pvalue: float
    alternative: str
    method: str
    n: int
