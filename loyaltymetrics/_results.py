"""Result types shared across metrics and the behaviour every result has.

Results are frozen dataclasses. They get a short, deterministic ``__repr__``, a
compact ``_repr_html_`` for notebooks and ``to_dict()`` from :class:`Result`.
Fields whose names start with an underscore hold the sufficient statistic used
by inference methods; they are not part of the displayed or exported result.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

__all__ = ["Comparison", "ConfidenceInterval", "Result", "format_value"]


def format_value(value: object) -> str:
    """Format a field value for display: short, deterministic, readable."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
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


class Result:
    """Behaviour shared by every result dataclass.

    Subclasses are frozen dataclasses declared with ``repr=False`` and may set
    ``_display_fields`` to the fields shown by ``repr``; by default every public
    field is shown.
    """

    _display_fields: ClassVar[tuple[str, ...] | None] = None

    def _public_fields(self) -> list[str]:
        return [
            f.name
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not f.name.startswith("_")
        ]

    def _shown_fields(self) -> list[str]:
        if self._display_fields is not None:
            return list(self._display_fields)
        return self._public_fields()

    def short_repr(self) -> str:
        """Return the one-line representation used by ``repr``."""
        parts = [f"{name}={format_value(getattr(self, name))}" for name in self._shown_fields()]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self) -> str:
        return self.short_repr()

    def to_dict(self) -> dict[str, Any]:
        """Return the public fields as a dictionary of plain Python values.

        Numpy scalars become Python numbers and arrays become lists, so the
        result can be passed to :func:`json.dumps`.
        """
        return {name: _plain(getattr(self, name)) for name in self._public_fields()}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
            f"<td style='text-align:right'>"
            f"{html.escape(format_value(getattr(self, name)))}</td></tr>"
            for name in self._shown_fields()
        )
        title = html.escape(type(self).__name__)
        return f"<table><caption>{title}</caption><tbody>{rows}</tbody></table>"


@dataclass(frozen=True, repr=False)
class ConfidenceInterval(Result):
    """A two-sided interval ``[low, high]`` on the scale of the estimate.

    It unpacks like scipy's ``ConfidenceInterval``: ``low, high = ci``.

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

    def __iter__(self) -> Iterator[float]:
        yield self.low
        yield self.high


@dataclass(frozen=True, repr=False)
class Comparison(Result):
    """Shared fields of a two-sample comparison (subclassed per metric).

    Attributes
    ----------
    difference : float
        Estimate of ``a - b`` on the metric's reporting scale.
    confidence_interval : ConfidenceInterval
        Interval for the difference, same scale.
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
    confidence_interval: ConfidenceInterval
    statistic: float
    pvalue: float
    method: str
    alternative: str = "two-sided"
