"""What a notebook shows: the HTML views of breakdowns and cohort tables.

The views are parsed with :mod:`html.parser`; every displayed number is checked
against the full-precision table it came from (rounded as the display format
documents), so the tests read the numbers off the table, not off a copy.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._engine._results import format_display, format_pvalue
from loyaltymetrics.datasets import load_survey, load_transactions


class _Table(HTMLParser):
    """The header, body cells and caption (text and style) of one HTML table."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.caption = ""
        self.caption_style = ""
        self._where: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag == "caption":
            self.caption_style = dict(attrs).get("style") or ""
        if tag in ("th", "td", "caption"):
            self._where = tag
            if tag == "th":
                self.header.append("")
            elif tag == "td":
                self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        self._where = None

    def handle_data(self, data: str) -> None:
        if self._where == "th":
            self.header[-1] += data
        elif self._where == "td":
            self.rows[-1][-1] += data
        elif self._where == "caption":
            self.caption += data

    def column(self, name: str) -> list[str]:
        at = self.header.index(name)
        return [row[at] for row in self.rows if row]


SURVEY = load_survey()
READER_FIRST = [
    "n",
    "score",
    "low",
    "high",
    "difference",
    "difference_low",
    "difference_high",
    "pvalue_corrected",
    "significant",
]


def _number(text: str) -> float:
    """The number a display cell shows: signs, "%" and "pp" removed."""
    return float(text.replace(" pp", "").rstrip("%"))


def test_format_pvalue_has_three_significant_digits_and_a_floor() -> None:
    # Worked by hand: 3 significant digits keep trailing zeros; below 0.001 the floor.
    assert format_pvalue(0.5) == "0.500"
    assert format_pvalue(1.0) == "1.00"
    assert format_pvalue(0.012345) == "0.0123"
    assert format_pvalue(0.001) == "0.00100"
    assert format_pvalue(0.000999) == "<0.001"
    assert format_pvalue(0.0) == "<0.001"
    assert format_display(float("nan"), "pvalue") == "—"


def test_display_formats_of_shares_counts_and_changes() -> None:
    assert format_display(0.4567, "share") == "45.7%"
    assert format_display(45.67, "percent") == "45.7%"
    assert format_display(-0.0234, "share_change") == "-2.3 pp"
    assert format_display(2.34, "percent_change") == "+2.3 pp"
    assert format_display(-0.04, "points_change") == "0.0"  # rounds to zero: no sign
    assert format_display(778, "count") == "778"
    assert format_display(853.0634, "count") == "853.1"  # a weighted total
    assert format_display(np.datetime64("NaT", "ns"), None) == "—"
    assert format_display(True, "count") == "True"  # flags are never numbers


def test_nps_breakdown_html_shows_the_readers_columns_first_in_display_formats() -> None:
    result = lm.by_segment(SURVEY["nps"], by=SURVEY["region"])
    before = result.to_frame()
    view = _Table(result._repr_html_())
    assert view.header[0] == "by"
    assert view.header[1 : 1 + len(READER_FIRST)] == READER_FIRST
    assert set(view.header) == set(before.columns)  # nothing dropped
    table = result.table
    assert view.column("n") == [str(int(n)) for n in table["n"]]
    for name in ("score", "low", "high"):  # NPS in points, one decimal
        shown = view.column(name)
        assert all(re.fullmatch(r"-?\d+\.\d", text) for text in shown), shown
        np.testing.assert_allclose([_number(t) for t in shown], table[name], atol=0.05)
    differences = view.column("difference")
    assert all(re.fullmatch(r"[+-]\d+\.\d", text) for text in differences), differences
    np.testing.assert_allclose([_number(t) for t in differences], table["difference"], atol=0.05)
    for name in ("pvalue", "pvalue_corrected"):
        for text, p in zip(view.column(name), table[name], strict=True):
            if p < 0.001:
                assert text == "<0.001"
            else:  # three significant digits: within half a unit of the third digit
                assert len(re.sub(r"^0\.0*", "", text)) == 3, text
                assert float(text) == pytest.approx(p, rel=5e-3)
    # The display rounds; the data keep full precision and are unchanged.
    after = result.to_frame()
    assert after.equals(before)
    assert not np.allclose(after["score"], np.round(after["score"], 1))


def test_caption_holds_every_setting_and_wraps_under_the_table() -> None:
    result = lm.by_segment(SURVEY["csat"], by=SURVEY["plan"], metric="csat", confidence_level=0.9)
    view = _Table(result._repr_html_())
    style = {
        key.strip(): value.strip()
        for key, value in (part.split(":") for part in view.caption_style.split(";") if part)
    }
    assert style["caption-side"] == "bottom"
    assert style["white-space"] == "normal"
    assert "max-width" in style
    for setting in (
        "confidence_level=0.9",
        "method='wilson'",
        "comparison_method='newcombe'",
        "compare='rest'",
        "correction='holm'",
    ):
        assert setting in view.caption


def test_weighted_csat_breakdown_shows_percentages_and_percentage_points() -> None:
    result = lm.by_segment(
        SURVEY["csat"], by=SURVEY["region"], weights=SURVEY["weight"], metric="csat"
    )
    view = _Table(result._repr_html_())
    table = result.table
    for name in ("score", "low", "high"):  # CSAT on 0..100 -> a percentage
        shown = view.column(name)
        assert all(re.fullmatch(r"\d+\.\d%", text) for text in shown), shown
        np.testing.assert_allclose([_number(t) for t in shown], table[name], atol=0.05)
    changes = view.column("difference_low")
    assert all(text.endswith(" pp") for text in changes)
    np.testing.assert_allclose([_number(t) for t in changes], table["difference_low"], atol=0.05)
    # The weighted total with one decimal, the responses counted as integers.
    weight_total = view.column("weight_total")
    assert all(re.fullmatch(r"\d+\.\d", text) for text in weight_total)
    np.testing.assert_allclose([float(t) for t in weight_total], table["weight_total"], atol=0.05)
    assert view.column("n") == [str(int(r)) for r in table["n"]]


def test_share_breakdown_shows_a_share_on_0_to_1_as_a_percentage() -> None:
    kept = [True, False, True, True, False, True, True, True]
    result = lm.by_segment(kept, by=list("aabbaabb"), metric="share", compare=None)
    view = _Table(result._repr_html_())
    assert view.header[:5] == ["by", "n", "share", "low", "high"]
    # a: True, False, False, True -> 50%; b: all four True -> 100%.
    assert view.column("share") == ["50.0%", "100.0%"]
    np.testing.assert_allclose(result.table["share"], [0.5, 1.0])


def test_over_time_html_leads_with_the_period() -> None:
    days = ["2025-01-03", "2025-01-20", "2025-02-11", "2025-02-12", "2025-03-01"]
    result = lm.over_time([10, 9, 3, 8, 10], time=days)
    view = _Table(result._repr_html_())
    assert view.header[:5] == ["period", "n", "score", "low", "high"]
    at = view.header.index("difference")
    assert view.header[at : at + 5] == [
        "difference",
        "difference_low",
        "difference_high",
        "pvalue_corrected",
        "significant",
    ]
    # January has no previous period: its change is undefined, shown as a dash.
    assert view.column("reference")[0] == "—"
    assert view.column("difference")[0] == "—"


def test_cohort_table_html_shows_retention_in_percent() -> None:
    log = load_transactions()
    table = lm.cohort_retention(log["customer_id"], time=log["date"], period="quarter")
    view = _Table(table._repr_html_())
    assert view.header[:2] == ["cohort", "size"]
    assert view.column("size") == [str(size) for size in table.sizes]
    for offset in range(table.rates.shape[1]):
        for text, rate in zip(view.column(str(offset)), table.rates[:, offset], strict=True):
            if math.isnan(rate):  # not observable yet
                assert text == "—"
            else:
                assert re.fullmatch(r"\d+\.\d%", text), text
                assert _number(text) == pytest.approx(100 * rate, abs=0.05)
    assert "observation_end=" in view.caption
    assert table.to_frame()["1"].tolist() == table.rates[:, 1].tolist()  # data as they were


def test_cohort_interval_and_segment_cohorts_show_percentages() -> None:
    log = load_transactions()
    table = lm.cohort_retention(log["customer_id"], time=log["date"], period="quarter")
    interval = _Table(table.confidence_interval()._repr_html_())
    highs = [text for text in interval.column("high") if text != "…"]  # long: middle elided
    assert len(highs) == 20
    assert all(text.endswith("%") for text in highs)
    by = np.where(np.arange(len(log["customer_id"])) % 2 == 0, "x", "y")
    segments = lm.cohort_retention(log["customer_id"], time=log["date"], by=by, period="quarter")
    view = _Table(segments._repr_html_())
    assert all(text.endswith("%") for text in view.column("rate") if text != "…")


def test_a_comparisons_html_shows_its_pvalue_in_the_display_format() -> None:
    a = lm.nps_from_counts(detractors=10, passives=10, promoters=80)
    b = lm.nps_from_counts(detractors=60, passives=20, promoters=20)
    comparison = lm.compare_nps(a, b)
    assert comparison.pvalue < 0.001
    view = _Table(comparison._repr_html_())
    cells = dict(zip(view.header, (row[0] for row in view.rows if row), strict=True))
    assert cells["pvalue"] == "<0.001"
    assert f"pvalue={comparison.pvalue:.6g}" in repr(comparison)  # the repr keeps the number
