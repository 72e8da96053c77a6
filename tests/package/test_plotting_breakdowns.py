"""plot_score_distribution of a by_segment breakdown (Agg backend, set in the root conftest).

Expected bar widths are the answer shares of each segment counted here from
the raw answers with numpy, independently of the breakdown's cell table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

import loyaltymetrics as lm
from loyaltymetrics import plotting
from loyaltymetrics.datasets import load_survey

SURVEY = load_survey()


@pytest.fixture
def axes() -> Iterator[Axes]:
    figure, ax = plt.subplots()
    yield ax
    plt.close(figure)


def _widths(axes: Axes, n_segments: int) -> np.ndarray:
    """Bar widths as (segments, categories): the plot draws category by category."""
    widths = np.array([bar.get_width() for bar in axes.patches])
    return widths.reshape(-1, n_segments).T


def _shares(
    answers: np.ndarray, groups: np.ndarray, bins: np.ndarray, weights: object = None
) -> np.ndarray:
    """Share (in %) of each answer bin per group, groups in sorted order."""
    weight = np.ones(answers.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    rows = []
    for group in np.unique(groups):
        member = groups == group
        totals = np.histogram(answers[member], bins=bins, weights=weight[member])[0]
        rows.append(100 * totals / totals.sum())
    return np.array(rows)


def test_nps_breakdown_bars_are_each_segments_band_shares(axes: Axes) -> None:
    scores, region = SURVEY["nps"], SURVEY["region"]
    breakdown = lm.by_segment(scores, by=region)
    plotting.plot_score_distribution(breakdown, ax=axes)
    # Detractors 0-6, passives 7-8, promoters 9-10.
    expected = _shares(scores, region, np.array([0, 7, 9, 11]))
    np.testing.assert_allclose(_widths(axes, 4), expected)
    assert [t.get_text() for t in axes.get_yticklabels()] == sorted(set(region))
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["detractors", "passives", "promoters"]
    # The headline written beside each bar is the breakdown's score.
    assert [t.get_text() for t in axes.texts] == [f"NPS {s:+.0f}" for s in breakdown.table["score"]]


def test_breakdown_draws_what_the_mapping_of_results_draws() -> None:
    scores, plan = SURVEY["nps"], SURVEY["plan"]
    breakdown = lm.by_segment(scores, by=plan)
    results = {name: lm.nps(scores[plan == name]) for name in sorted(set(plan))}
    figures = []
    for data in (breakdown, results):
        figure, ax = plt.subplots()
        plotting.plot_score_distribution(data, ax=ax)
        figures.append((figure, ax))
    (one, first), (two, second) = figures
    try:
        np.testing.assert_allclose(
            [bar.get_x() for bar in first.patches], [bar.get_x() for bar in second.patches]
        )
        np.testing.assert_allclose(_widths(first, 3), _widths(second, 3))
        assert [t.get_text() for t in first.texts] == [t.get_text() for t in second.texts]
    finally:
        plt.close(one)
        plt.close(two)


def test_weighted_csat_breakdown_draws_weighted_shares_per_answer(axes: Axes) -> None:
    answers, region, weight = SURVEY["csat"], SURVEY["region"], SURVEY["weight"]
    breakdown = lm.by_segment(answers, by=region, weights=weight, metric="csat")
    plotting.plot_score_distribution(breakdown, ax=axes)
    expected = _shares(answers, region, np.arange(1, 7), weights=weight)
    np.testing.assert_allclose(_widths(axes, 4), expected)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["1", "2", "3", "4", "5"]
    assert [t.get_text() for t in axes.texts] == [f"CSAT {s:.0f}" for s in breakdown.table["score"]]


def test_original_ces_breakdown_puts_low_effort_on_the_right(axes: Axes) -> None:
    answers = np.array([1, 1, 2, 5, 3, 4, 4, 1])
    team = np.array(list("aaaabbbb"))
    breakdown = lm.by_segment(answers, by=team, metric="ces", version="original")
    plotting.plot_score_distribution(breakdown, ax=axes)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["5", "4", "3", "2", "1"]
    # a: 1, 1, 2, 5 -> answer 1 is half the bar, drawn last (rightmost).
    widths = _widths(axes, 2)
    np.testing.assert_allclose(widths[0], [25.0, 0.0, 0.0, 25.0, 50.0])
    np.testing.assert_allclose(widths[1], [0.0, 50.0, 25.0, 0.0, 25.0])
    assert [t.get_text() for t in axes.texts] == ["CES 2.25", "CES 3.00"]  # the means


def test_ces_agree_share_and_share_breakdowns(axes: Axes) -> None:
    answers = np.array([7, 6, 2, 5, 1, 1])
    team = np.array(list("aaabbb"))
    agree = lm.by_segment(answers, by=team, metric="ces", of="agree_share", compare=None)
    plotting.plot_score_distribution(agree, ax=axes)
    assert len(axes.patches) == 2 * 7
    # a: 6 and 7 agree, 2 does not -> 66.7%; b: only 5 -> 33.3%.
    assert [t.get_text() for t in axes.texts] == ["CES 66.7%", "CES 33.3%"]
    figure, ax = plt.subplots()
    try:
        kept = [True, False, True, True]
        share = lm.by_segment(kept, by=["x", "x", "y", "y"], metric="share", compare=None)
        plotting.plot_score_distribution(share, ax=ax)
        np.testing.assert_allclose(_widths(ax, 2), [[50.0, 50.0], [0.0, 100.0]])
    finally:
        plt.close(figure)


def test_breakdowns_that_cannot_be_drawn(axes: Axes) -> None:
    spend = lm.by_segment([20.0, 40.0, 10.0, 15.0], by=["a", "a", "b", "b"], metric="mean")
    with pytest.raises(ValueError, match=r"`results` is a breakdown of metric='mean'.*plot_nps"):
        plotting.plot_score_distribution(spend, ax=axes)
    breakdown = lm.by_segment([10, 9, 3, 8], by=["a", "a", "b", "b"])
    bare = dataclasses.replace(breakdown, _counts=None)
    with pytest.raises(TypeError, match="`results` is a SegmentBreakdown without its cell counts"):
        plotting.plot_score_distribution(bare, ax=axes)
    # A segment whose answers are all missing and omitted has no shares to draw.
    empty = lm.by_segment(
        [10.0, 9.0, np.nan, np.nan], by=["a", "a", "b", "b"], nan_policy="omit", compare=None
    )
    with pytest.raises(ValueError, match="`results` for 'b' has undefined shares"):
        plotting.plot_score_distribution(empty, ax=axes)


def test_plot_trend_labels_a_share_by_segment_with_its_keys_only(axes: Axes) -> None:
    days = ["2025-01-03", "2025-01-20", "2025-02-11", "2025-02-12", "2025-03-01", "2025-03-02"]
    result = lm.over_time([1, 0, 1, 1, 0, 1], time=days, metric="share", by=["a", "b"] * 3)
    plotting.plot_trend(result, ax=axes)
    labels = [line.get_label() for line in axes.lines if not line.get_label().startswith("_")]
    assert labels == ["a", "b"]
