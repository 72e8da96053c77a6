"""Shared result behaviour: repr, HTML, to_dict, immutability."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._engine._results import TabularResult, format_value, make_frame


def test_confidence_interval_unpacks_and_is_frozen() -> None:
    ci = lm.ConfidenceInterval(-3.25, 10.0)
    low, high = ci
    assert (low, high) == (-3.25, 10.0)
    assert repr(ci) == "ConfidenceInterval(low=-3.25, high=10.0)"
    assert ci.to_dict() == {"low": -3.25, "high": 10.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ci.low = 0.0  # type: ignore[misc]


def test_result_is_frozen_and_hashable_fields_compare() -> None:
    result = lm.nps([10, 0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 1.0  # type: ignore[misc]
    assert result == lm.nps([0, 10])


def test_format_value() -> None:
    assert format_value(1 / 3) == "0.333333"
    assert format_value(np.float64(2.0)) == "2.0"
    assert format_value(np.int64(7)) == "7"
    assert format_value(float("nan")) == "nan"
    assert format_value(np.bool_(True)) == "True"


def test_html_escapes_and_lists_fields() -> None:
    html = lm.ConfidenceInterval(1.0, 2.0)._repr_html_()
    assert html.startswith("<table>")
    assert "<caption>ConfidenceInterval</caption>" in html
    assert json.dumps(lm.ConfidenceInterval(1.0, 2.0).to_dict())


def test_comparison_nests_its_interval() -> None:
    from loyaltymetrics._engine._results import Comparison

    comparison = Comparison(
        difference=5.0,
        interval=lm.ConfidenceInterval(-1.0, 11.0),
        statistic=1.6,
        pvalue=0.11,
        method="wald",
    )
    assert repr(comparison) == (
        "Comparison(difference=5.0, interval=ConfidenceInterval(low=-1.0, high=11.0), "
        "statistic=1.6, pvalue=0.11, method='wald', alternative='two-sided')"
    )
    assert comparison.to_dict()["interval"] == {"low": -1.0, "high": 11.0}
    assert comparison.confidence_interval() == lm.ConfidenceInterval(-1.0, 11.0)
    # Built without its samples, it cannot recompute; it says so.
    with pytest.raises(ValueError, match="without its samples"):
        comparison.confidence_interval(0.9)


@dataclasses.dataclass(frozen=True, repr=False)
class _Rows(TabularResult):
    """A small tabular result standing in for the real ones."""

    segment: np.ndarray
    score: np.ndarray
    method: str = "wald"

    def _table(self) -> dict[str, np.ndarray]:
        return {"segment": self.segment, "score": self.score}


def _rows(n: int) -> _Rows:
    return _Rows(segment=np.array([f"s{i}" for i in range(n)]), score=np.arange(n) / 4)


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_to_frame_builds_the_table_in_either_library(backend: str) -> None:
    frame = _rows(3).to_frame(backend=backend)  # type: ignore[arg-type]
    assert type(frame).__module__.split(".")[0] == backend
    assert list(frame.columns) == ["segment", "score"]
    assert list(frame["score"]) == [0.0, 0.25, 0.5]
    assert list(frame["segment"]) == ["s0", "s1", "s2"]


def test_to_frame_defaults_to_pandas_and_checks_the_backend() -> None:
    import pandas as pd

    assert isinstance(_rows(2).to_frame(), pd.DataFrame)
    with pytest.raises(ValueError, match="`backend` must be one of 'pandas', 'polars'"):
        _rows(2).to_frame(backend="spark")  # type: ignore[arg-type]


def test_make_frame_names_the_missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(ImportError, match="needs polars; install it with `pip install polars`"):
        make_frame({"a": [1]}, backend="polars")


def test_tabular_html_shows_rows_and_elides_long_tables() -> None:
    short = _rows(3)._repr_html_()
    assert "<th>segment</th><th>score</th>" in short
    assert "<td>s2</td><td>0.5</td>" in short
    assert "_Rows (3 rows): method=&#x27;wald&#x27;" in short
    long = _rows(100)._repr_html_()
    # 15 head rows, an ellipsis row, 5 tail rows: a compact view of 100 rows.
    assert long.count("<tr>") == 1 + 15 + 1 + 5
    assert "<td>s14</td>" in long
    assert "<td>s15</td>" not in long
    assert "<td>s99</td>" in long
    assert "…" in long


def test_format_value_dates() -> None:
    # Dates display as ISO text, not as numpy constructor calls.
    assert format_value(np.datetime64("2025-12-30")) == "2025-12-30"
