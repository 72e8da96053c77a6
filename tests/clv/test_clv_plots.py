"""The purchase-model plots: tracking, purchase counts and the frequency x recency heat maps.

Each drawn number is checked against the model method it comes from,
computed here directly.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics import plotting
from loyaltymetrics.datasets import simulate_bgnbd


@pytest.fixture
def axes():
    figure, ax = plt.subplots()
    yield ax
    plt.close(figure)


MODEL = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)


def test_plot_tracking_cumulative_and_incremental(axes) -> None:
    times = np.arange(1.0, 31.0)
    expected = lm.expected_repeat_transactions(MODEL, [0, 0, 5], times=times)
    actual = np.minimum(times, 12.0)
    plotting.plot_tracking(times, expected, actual, calibration_end=20.0, ax=axes)
    lines = axes.get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), actual)
    np.testing.assert_allclose(lines[1].get_ydata(), expected)
    axes.clear()
    plotting.plot_tracking(times, expected, actual, incremental=True, ax=axes)
    np.testing.assert_allclose(axes.get_lines()[1].get_ydata(), np.diff(expected, prepend=0.0))
    with pytest.raises(ValueError, match="`actual` must match `times`"):
        plotting.plot_tracking(times, expected, actual[:3], ax=axes)


def test_plot_purchase_counts_expected_bars_are_the_model_distribution(axes) -> None:
    x, _, big_t = simulate_bgnbd(500, r=0.5, alpha=10.0, a=0.6, b=3.0, T=52.0, rng=4)
    big_t = big_t - (np.arange(500) % 3)  # three cohorts
    plotting.plot_purchase_counts(MODEL, x, big_t, max_purchases=4, ax=axes)
    bars = [patch.get_height() for patch in axes.patches]
    observed, expected = np.array(bars[:5]), np.array(bars[5:])
    np.testing.assert_array_equal(observed, np.bincount(np.minimum(x, 4).astype(int), minlength=5))
    direct = [MODEL.probability_of_purchases(n, big_t).sum() for n in range(4)]
    np.testing.assert_allclose(expected[:4], direct, rtol=1e-10)
    assert expected.sum() == pytest.approx(500.0)
    with pytest.raises(TypeError, match="`model` must be a purchase model"):
        plotting.plot_purchase_counts(object(), x, big_t, ax=axes)
    with pytest.raises(ValueError, match="`max_purchases`"):
        plotting.plot_purchase_counts(MODEL, x, big_t, max_purchases=0, ax=axes)


def test_heat_maps_show_the_model_values(axes) -> None:
    plotting.plot_probability_alive_matrix(MODEL, T=39.0, max_frequency=5, ax=axes)
    grid = axes.images[0].get_array()
    assert grid.shape == (6, 41)
    recency = np.linspace(0.0, 39.0, 41)
    np.testing.assert_allclose(grid[3], MODEL.probability_alive(3, recency, 39.0))
    assert grid[0, 0] == 1.0
    axes.clear()
    plotting.plot_expected_purchases_matrix(MODEL, t=10.0, T=39.0, max_frequency=5, ax=axes)
    grid = axes.images[0].get_array()
    np.testing.assert_allclose(grid[2], MODEL.expected_purchases(10.0, 2, recency, 39.0))
