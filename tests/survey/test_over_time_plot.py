"""plot_trend: the estimate per period, its interval band, and the significant changes marked."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics.plotting import plot_trend


def _stepped_survey() -> tuple[np.ndarray, np.ndarray]:
    # Six months of 300 answers; promoters jump from 30% to 70% in month 4,
    # a change far beyond chance, and nothing else changes.
    rng = np.random.default_rng(5)
    month = np.repeat(np.arange(6), 300)
    share = np.where(month >= 3, 0.7, 0.3)
    scores = np.where(rng.random(month.size) < share, 10, 3)
    return scores, np.datetime64("2025-01", "M") + month


def test_line_band_and_the_significant_change_marked() -> None:
    scores, times = _stepped_survey()
    result = lm.over_time(scores, time=times)
    significant = np.flatnonzero(result.table["significant"])
    assert significant.tolist() == [3]
    fig, ax = plt.subplots()
    plot_trend(result, ax=ax)
    line, up, down = ax.lines[:3]
    np.testing.assert_allclose(np.asarray(line.get_ydata(), float), result.table["score"])
    np.testing.assert_allclose(np.asarray(up.get_ydata(), float), result.table["score"][[3]])
    assert len(down.get_ydata()) == 0
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(result.table["low"].min())
    assert band.max() == pytest.approx(result.table["high"].max())
    assert ax.get_ylabel() == "Net Promoter Score (-100 to 100)"
    plt.close(fig)


def test_one_line_per_segment_with_a_legend() -> None:
    scores, times = _stepped_survey()
    segment = np.tile(["a", "b"], scores.size // 2)
    result = lm.over_time(scores, time=times, by=segment, metric="nps", compare=None)
    fig, ax = plt.subplots()
    plot_trend(result, ax=ax)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_plot_trend_rejects_other_results() -> None:
    with pytest.raises(TypeError, match="`result` must be a OverTime"):
        plot_trend(lm.nps([10, 9]))
