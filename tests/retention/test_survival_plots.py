"""plot_survival with several groups and plot_lorenz."""

from __future__ import annotations

import numpy as np
import pytest

import loyaltymetrics as lm

plt = pytest.importorskip("matplotlib.pyplot")
from loyaltymetrics import plotting  # noqa: E402


@pytest.fixture
def axes():
    figure, axes = plt.subplots()
    yield axes
    plt.close(figure)


def test_plot_survival_draws_every_group_with_the_logrank_p(axes) -> None:
    curves = lm.kaplan_meier(
        [1, 3, 4, 6, 2, 5, 8, 9], [1, 1, 0, 1, 1, 1, 1, 0], by=list("aaaabbbb")
    )
    plotting.plot_survival(curves, ax=axes)
    labels = [line.get_label() for line in axes.get_lines() if not line.get_label().startswith("_")]
    assert labels == ["a", "b"]
    # survdiff(Surv(t, e) ~ g) in R gives chisq 0.8455873 (see the logrank_test docstring).
    expected = f"log-rank p = {curves.logrank_test().pvalue:.2g}"
    assert expected == "log-rank p = 0.36"
    assert axes.get_legend().get_title().get_text() == expected


def test_plot_lorenz_draws_the_curve_and_the_diagonal(axes) -> None:
    result = lm.value_concentration([1, 1, 2, 6])
    plotting.plot_lorenz(result, ax=axes)
    curve, diagonal = axes.get_lines()
    np.testing.assert_allclose(curve.get_ydata()[[0, -1]], [0.0, 1.0])
    assert diagonal.get_label() == "equality"
    assert "Gini 0.40" in curve.get_label()
    with pytest.raises(TypeError, match="`concentration` must be a ValueConcentration"):
        plotting.plot_lorenz([1, 2], ax=axes)
