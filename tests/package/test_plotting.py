"""Each plot draws a figure (Agg backend, set in the root conftest) with the right content."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import loyaltymetrics as lm
from loyaltymetrics import plotting


@pytest.fixture
def axes() -> Iterator[Axes]:
    figure, ax = plt.subplots()
    yield ax
    plt.close(figure)


def test_plotting_does_not_import_matplotlib_until_a_plot_is_drawn() -> None:
    import subprocess
    import sys

    code = "import sys, loyaltymetrics.plotting; print('matplotlib' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.stdout.strip() == "False", completed.stderr


def test_score_distribution_diverges_around_zero(axes: Axes) -> None:
    # a: 1 detractor, 2 passives, 1 promoter -> 25% / 50% / 25%
    # b: 0 detractors, 1 passive, 3 promoters -> 0% / 25% / 75%
    results = {"a": lm.nps([0, 7, 8, 10]), "b": lm.nps([8, 9, 10, 10])}
    returned = plotting.plot_score_distribution(results, ax=axes)
    assert returned is axes
    assert isinstance(axes.figure, Figure)
    bars = axes.patches
    assert len(bars) == 6  # 3 bands x 2 segments, drawn band by band
    detractor_a, detractor_b, passive_a, passive_b, promoter_a, promoter_b = bars
    assert promoter_a.get_width() == pytest.approx(25.0)
    # passives centred on zero: a spans -25..25, b spans -12.5..12.5
    assert passive_a.get_x() == pytest.approx(-25.0)
    assert passive_a.get_width() == pytest.approx(50.0)
    assert passive_b.get_x() == pytest.approx(-12.5)
    # detractors end where passives begin; promoters start where passives end
    assert detractor_a.get_x() + detractor_a.get_width() == pytest.approx(-25.0)
    assert detractor_b.get_width() == pytest.approx(0.0)
    assert promoter_b.get_x() == pytest.approx(12.5)
    assert promoter_b.get_width() == pytest.approx(75.0)
    assert [t.get_text() for t in axes.get_yticklabels()] == ["a", "b"]
    # NPS a = 25 - 25 = 0, b = 75 - 0 = 75, written next to the bars
    assert [t.get_text() for t in axes.texts] == ["NPS +0", "NPS +75"]
    axes.figure.canvas.draw()  # renders without error


def test_score_distribution_of_one_result_uses_the_current_axes() -> None:
    figure = plt.figure()
    try:
        ax = plotting.plot_score_distribution(
            lm.nps_from_counts(detractors=1, passives=1, promoters=2)
        )
        assert ax is figure.axes[0]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["overall"]
    finally:
        plt.close(figure)


def test_score_distribution_bad_input(axes: Axes) -> None:
    expected = "`results` must be an NPSResult, CSATResult or CESResult, or a non-empty mapping"
    with pytest.raises(TypeError, match=expected):
        plotting.plot_score_distribution([1, 2], ax=axes)
    with pytest.raises(TypeError, match=expected):
        plotting.plot_score_distribution({}, ax=axes)
    with pytest.raises(TypeError, match="must hold results of one metric, not a mix"):
        plotting.plot_score_distribution({"a": lm.nps([10]), "b": lm.csat([5])}, ax=axes)
    mixed = {"a": lm.csat([5]), "b": lm.csat([5], scale=(1, 7), satisfied=(6, 7))}
    with pytest.raises(ValueError, match="the same answer scale"):
        plotting.plot_score_distribution(mixed, ax=axes)
    with pytest.raises(TypeError, match="got float for 'a'"):
        plotting.plot_score_distribution({"a": 1.0}, ax=axes)
    with pytest.raises(TypeError, match="`ax` must be a matplotlib Axes"):
        plotting.plot_score_distribution(lm.nps([10]), ax="left")  # type: ignore[arg-type]
    undefined = lm.nps([10, np.nan], nan_policy="propagate")
    with pytest.raises(ValueError, match="undefined shares"):
        plotting.plot_score_distribution({"x": undefined}, ax=axes)


def _errorbar_segments_of(collection: LineCollection) -> np.ndarray:
    """The (low, high) x-extent of each horizontal error bar of one errorbar call."""
    return np.array([[seg[0][0], seg[1][0]] for seg in collection.get_segments()])


def _errorbar_segments(ax: Axes) -> np.ndarray:
    """The error bars of an Axes with a single errorbar call, top row first."""
    (collection,) = ax.collections
    return _errorbar_segments_of(collection)


def test_plot_nps_draws_each_interval_and_the_overall_reference(axes: Axes) -> None:
    results = {
        "a": lm.nps_from_counts(detractors=10, passives=20, promoters=30),
        "b": lm.nps_from_counts(detractors=5, passives=5, promoters=40),
    }
    overall = lm.nps_from_counts(detractors=15, passives=25, promoters=70)
    returned = plotting.plot_nps(results, overall=overall, ax=axes, confidence_level=0.9)
    assert returned is axes
    # The intervals drawn are the library's own 90% adjusted-Wald intervals.
    expected = [tuple(r.confidence_interval(0.9)) for r in results.values()]
    np.testing.assert_allclose(_errorbar_segments(axes), expected)
    # a: 100 * (30 - 10) / 60 = 33.3; b: 100 * (40 - 5) / 50 = 70; overall 100 * 55 / 110 = 50.
    points = [line.get_xdata() for line in axes.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(points[0], [100 * 20 / 60, 70.0])
    reference = [line for line in axes.lines if line.get_linestyle() == "--"]
    assert reference[0].get_xdata()[0] == pytest.approx(50.0)
    assert [t.get_text() for t in axes.get_yticklabels()] == ["a (n=60)", "b (n=50)"]
    axes.figure.canvas.draw()


def test_plot_nps_bootstrap_is_reproducible_with_a_seed() -> None:
    result = lm.nps([10, 9, 9, 8, 7, 6, 3, 10, 10, 0])
    drawn = []
    for _ in range(2):
        figure, ax = plt.subplots()
        plotting.plot_nps(result, ax=ax, method="bca", n_resamples=999, rng=7)
        drawn.append(_errorbar_segments(ax))
        plt.close(figure)
    np.testing.assert_array_equal(drawn[0], drawn[1])
    expected = result.confidence_interval(method="bca", n_resamples=999, rng=7)
    np.testing.assert_allclose(drawn[0][0], tuple(expected))


def test_plot_nps_bad_input(axes: Axes) -> None:
    with pytest.raises(TypeError, match="`result_or_breakdown` must be an NPSResult, or"):
        plotting.plot_nps([10, 9], ax=axes)
    with pytest.raises(TypeError, match="`overall` must be an NPSResult"):
        plotting.plot_nps(lm.nps([10]), overall=3.0, ax=axes)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence_level"):
        plotting.plot_nps(lm.nps([10]), confidence_level=95, ax=axes)


def test_plot_survival_steps_from_one_with_its_band(axes: Axes) -> None:
    # lm.kaplan_meier's own docstring example: survival 0.8571, 0.7143, 0.5357, 0.1786, 0.1786
    # at times 1..5, censored observations at 2 and 5.
    curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    returned = plotting.plot_survival(curve, ax=axes, label="all")
    assert returned is axes
    step, ticks = axes.lines
    np.testing.assert_allclose(step.get_xdata(), [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(step.get_ydata(), [1, *curve.survival])
    assert step.get_drawstyle() == "steps-post"
    np.testing.assert_allclose(ticks.get_xdata(), [2, 5])  # censoring marks
    np.testing.assert_allclose(ticks.get_ydata(), curve.survival[[1, 4]])
    (band,) = axes.collections
    vertices = np.concatenate([path.vertices for path in band.get_paths()])
    # The band spans the pointwise interval: its extremes are the extreme limits.
    assert vertices[:, 1].min() == pytest.approx(curve.survival_low.min())
    assert vertices[:, 1].max() == pytest.approx(1.0)
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert labels == ["all", "all, 95% CI"]
    axes.figure.canvas.draw()


def test_plot_survival_bad_input(axes: Axes) -> None:
    with pytest.raises(TypeError, match="`curve` must be a SurvivalCurve"):
        plotting.plot_survival([1, 2, 3], ax=axes)  # type: ignore[arg-type]


def test_plot_nps_of_a_breakdown_marks_segments_that_differ(axes: Axes) -> None:
    # Team a: 40 promoters, team b: 40 detractors -- each differs from the rest;
    # team c: 20 promoters and 20 detractors (NPS 0, the overall score) -- does not.
    scores = np.array([10] * 40 + [0] * 40 + [10] * 20 + [0] * 20)
    teams = np.array(["a"] * 40 + ["b"] * 40 + ["c"] * 40)
    breakdown = lm.by_segment(scores, by=teams)
    assert list(breakdown.table["significant"]) == [True, True, False]
    plotting.plot_nps(breakdown, ax=axes)
    differs, same = (line for line in axes.lines if line.get_marker() == "o")
    np.testing.assert_allclose(differs.get_xdata(), [100.0, -100.0])
    np.testing.assert_allclose(same.get_xdata(), [0.0])
    assert same.get_markerfacecolor() == "white"  # an open circle
    segments = np.concatenate([_errorbar_segments_of(c) for c in axes.collections])
    expected = np.column_stack([breakdown.table["low"], breakdown.table["high"]])
    np.testing.assert_allclose(np.sort(segments, axis=0), np.sort(expected, axis=0))
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["a (n=40)", "b (n=40)", "c (n=40)"]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["overall, 95% CI", "differs from the rest", "does not differ"]


def test_plot_nps_of_a_crossed_csat_breakdown_with_a_missing_key(axes: Axes) -> None:
    scores = [5, 4, 1, 2, 5, 3]
    region = np.array(["n", "n", "s", "s", "s", None], dtype=object)
    plan = ["x", "x", "x", "y", "y", "y"]
    breakdown = lm.by_segment(scores, by=[region, plan], metric="csat", compare=None)
    plotting.plot_nps(breakdown, ax=axes)
    assert axes.get_xlabel() == "CSAT (% satisfied)"
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["n / x (n=2)", "s / x (n=1)", "s / y (n=2)", "(missing) / y (n=1)"]


def test_plot_nps_keeps_a_breakdowns_own_level(axes: Axes) -> None:
    breakdown = lm.by_segment([10, 0, 9, 8], by=["a", "a", "b", "b"], confidence_level=0.9)
    plotting.plot_nps(breakdown, ax=axes, confidence_level=0.9)  # the same level is fine
    with pytest.raises(ValueError, match="pass `confidence_level` to `by_segment`"):
        plotting.plot_nps(breakdown, ax=axes, confidence_level=0.95)
    with pytest.raises(ValueError, match="pass `method` to `by_segment`"):
        plotting.plot_nps(breakdown, ax=axes, method="wald")
    with pytest.raises(TypeError, match="`overall` is only for NPSResult input"):
        plotting.plot_nps(breakdown, ax=axes, overall=lm.nps([10]))


def _small_cohort_table() -> lm.CohortTable:
    # Customer a buys in January and February, b in January and March, c in February.
    # Cohorts: January {a, b}, February {c}; observation ends in March (the last activity).
    # January: 2/2 active in month 0, 1/2 (a) in month 1, 1/2 (b) in month 2.
    # February: 1/1 in month 0, 0/1 in month 1 (March), month 2 (April) not observable.
    customers = ["a", "b", "a", "c", "b"]
    days = np.array(["2024-01-05", "2024-01-20", "2024-02-03", "2024-02-10", "2024-03-15"])
    return lm.cohort_retention(customers, time=days.astype("datetime64[D]"), period="month")


def test_cohort_heatmap_draws_the_rates_and_leaves_unobservable_cells_blank(axes: Axes) -> None:
    table = _small_cohort_table()
    np.testing.assert_allclose(table.rates, [[1.0, 0.5, 0.5], [1.0, 0.0, np.nan]])
    returned = plotting.plot_cohort_heatmap(table, ax=axes)
    assert returned is axes
    (image,) = axes.images
    drawn = image.get_array()
    np.testing.assert_allclose(drawn.filled(np.nan), table.rates)
    assert drawn.mask.tolist() == [[False, False, False], [False, False, True]]
    # The colour scale ends at the highest rate after month 0 (0.5), not at month 0's 100%.
    assert image.get_clim() == (0.0, 0.5)
    assert [t.get_text() for t in axes.texts] == ["100", "50", "50", "100", "0"]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["2024-01 (n=2)", "2024-02 (n=1)"]
    assert axes.get_xlabel() == "months since acquisition"
    axes.figure.canvas.draw()


def test_cohort_heatmap_options_and_bad_input(axes: Axes) -> None:
    plotting.plot_cohort_heatmap(_small_cohort_table(), ax=axes, annotate=False, cmap="viridis")
    assert len(axes.texts) == 0
    assert axes.images[0].get_cmap().name == "viridis"
    with pytest.raises(TypeError, match="`table` must be a CohortTable"):
        plotting.plot_cohort_heatmap(np.eye(2), ax=axes)  # type: ignore[arg-type]


def test_score_distribution_of_csat_has_a_block_per_answer(axes: Axes) -> None:
    # Team a answers 1, 3, 5, 5: shares 25% / 0 / 25% / 0 / 50% for 1..5.
    results = {"a": lm.csat([1, 3, 5, 5]), "b": lm.csat([2, 4])}
    plotting.plot_score_distribution(results, ax=axes)
    bars = axes.patches
    assert len(bars) == 10  # 5 answers x 2 segments, drawn answer by answer
    one_a, _, two_a, _, three_a, _, four_a, _, five_a, five_b = bars
    assert two_a.get_width() == four_a.get_width() == pytest.approx(0.0)
    # Negative side: answers 1 and 2 and half of the neutral 3: a starts at -(25 + 0 + 12.5).
    assert one_a.get_x() == pytest.approx(-37.5)
    assert three_a.get_x() == pytest.approx(-12.5)
    assert three_a.get_width() == pytest.approx(25.0)
    assert five_a.get_x() + five_a.get_width() == pytest.approx(62.5)
    assert five_b.get_width() == pytest.approx(0.0)
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert labels == ["1", "2", "3", "4", "5"]
    # CSAT = share answering 4-5: a 2/4 = 50, b 1/2 = 50.
    assert [t.get_text() for t in axes.texts] == ["CSAT 50", "CSAT 50"]


def test_score_distribution_of_original_ces_puts_low_effort_on_the_right() -> None:
    figure, ax = plt.subplots()
    try:
        # Original CES on 1..5, a low answer is good: the bar runs 5, 4, 3, 2, 1.
        plotting.plot_score_distribution(lm.ces([1, 1, 2, 5], version="original"), ax=ax)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["5", "4", "3", "2", "1"]
        answer_one = ax.patches[-1]
        # Two of four answered 1: 50%, ending at the right end of the bar.
        assert answer_one.get_width() == pytest.approx(50.0)
        assert [t.get_text() for t in ax.texts] == ["CES 2.25"]  # mean (1 + 1 + 2 + 5) / 4
    finally:
        plt.close(figure)


def test_plot_holdout_draws_actual_and_predicted_per_bucket(axes: Axes) -> None:
    # Hand-made check: no customer bought exactly twice, so bucket 2 is absent;
    # 3 is the last bucket ("3 or more").
    check = lm.HoldoutCheck(
        frequency=np.array([0, 1, 3]),
        customers=np.array([10.0, 5.0, 2.0]),
        actual=np.array([0.1, 0.6, 2.5]),
        predicted=np.array([0.2, 0.5, 2.0]),
        n_customers=17,
        actual_total=9.0,
        predicted_total=8.5,
        max_frequency=3,
    )
    returned = plotting.plot_holdout(check, ax=axes)
    assert returned is axes
    actual, predicted = axes.lines
    np.testing.assert_allclose(actual.get_xdata(), [0, 1, 2])  # one position per bucket
    np.testing.assert_allclose(actual.get_ydata(), [0.1, 0.6, 2.5])
    np.testing.assert_allclose(predicted.get_ydata(), [0.2, 0.5, 2.0])
    assert [t.get_text() for t in axes.get_xticklabels()] == ["0", "1", "3+"]
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["actual (total 9)", "predicted (total 8.5)"]
    axes.figure.canvas.draw()
    with pytest.raises(TypeError, match="`check` must be a HoldoutCheck"):
        plotting.plot_holdout({"actual": [1]}, ax=axes)  # type: ignore[arg-type]
