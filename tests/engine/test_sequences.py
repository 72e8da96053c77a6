"""Confidence sequences and e-processes for a bounded mean.

References: the formulas of Waudby-Smith & Ramdas (2024, JRSS-B 86(1)) —
the predictable plug-in bets (eqs. 26-27), the hedged capital process
(section 4) and the PrPl empirical-Bernstein sequence (Theorem 2) — written
out here response by response in plain Python, independently of the
vectorised, count-based code; and simulation for the time-uniform coverage.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyaltymetrics._engine._sequences import (
    GRID_POINTS,
    SEQUENCE_METHODS,
    betting_evalues,
    confidence_sequence_bounds,
)

NPS_VALUES = np.array([0.0, 0.5, 1.0])


def _one_hot(cells: npt.NDArray[np.int64], n_cells: int) -> npt.NDArray[np.float64]:
    return np.eye(n_cells)[cells]


def _reference_bets(xs: list[float], log_threshold: float) -> list[float]:
    """WSR (2024) eqs. (26)-(27), one response at a time."""
    bets, total, squares = [], 0.0, 0.0
    variance = 0.25
    for t, x in enumerate(xs, start=1):
        bets.append(math.sqrt(2 * log_threshold / (variance * t * math.log(1 + t))))
        total += x
        mean = (0.5 + total) / (t + 1)
        squares += (x - mean) ** 2
        variance = (0.25 + squares) / (t + 1)
    return bets


def _reference_capital(xs: list[float], m: float, alpha: float) -> list[float]:
    """Hedged capital (K+ + K-) / 2 at candidate mean m, with bets capped at 1/2 / m."""
    bets = _reference_bets(xs, math.log(2 / alpha))
    up = down = 1.0
    out = []
    for x, bet in zip(xs, bets, strict=True):
        bet_up = min(bet, 0.5 / m) if m > 0 else bet
        bet_down = min(bet, 0.5 / (1 - m)) if m < 1 else bet
        up *= 1 + bet_up * (x - m)
        down *= 1 - bet_down * (x - m)
        out.append((up + down) / 2)
    return out


def test_evalues_equal_the_response_by_response_formula() -> None:
    rng = np.random.default_rng(5)
    cells = rng.choice(3, size=60, p=[0.3, 0.3, 0.4])
    xs = [float(NPS_VALUES[c]) for c in cells]
    for baseline in (0.2, 0.5, 0.55, 0.9):
        e_values, running = betting_evalues(
            _one_hot(cells, 3), NPS_VALUES, baseline, confidence_level=0.95
        )
        expected = _reference_capital(xs, baseline, 0.05)
        np.testing.assert_allclose(e_values, expected, rtol=1e-10)
        np.testing.assert_allclose(running, np.maximum.accumulate(np.maximum(expected, 1.0)))


def test_one_sided_evalues_are_one_side_of_the_bet() -> None:
    # "greater" is K+ alone, with the bets tuned to log(1 / alpha).
    cells = np.array([2, 2, 1, 2, 0, 2, 2, 1, 2, 2])
    xs = [float(NPS_VALUES[c]) for c in cells]
    bets = _reference_bets(xs, math.log(1 / 0.05))
    capital, expected = 1.0, []
    for x, bet in zip(xs, bets, strict=True):
        capital *= 1 + min(bet, 0.5 / 0.4) * (x - 0.4)
        expected.append(capital)
    e_values, _ = betting_evalues(
        _one_hot(cells, 3), NPS_VALUES, 0.4, confidence_level=0.95, alternative="greater"
    )
    np.testing.assert_allclose(e_values, expected, rtol=1e-12)


def test_betting_sequence_is_the_set_of_unrejected_grid_means() -> None:
    rng = np.random.default_rng(8)
    cells = rng.choice(3, size=80, p=[0.2, 0.3, 0.5])
    counts = _one_hot(cells, 3)
    bounds = confidence_sequence_bounds(counts, NPS_VALUES, confidence_level=0.9)
    grid = np.linspace(0, 1, GRID_POINTS)
    step = grid[1]
    kept = np.array(
        [
            np.maximum.accumulate(betting_evalues(counts, NPS_VALUES, m, confidence_level=0.9)[1])
            < 10.0
            for m in grid[::20]
        ]
    ).T  # (looks, coarse grid)
    coarse = grid[::20]
    for look in (0, 9, 39, 79):
        inside = coarse[kept[look]]
        # Every unrejected mean is in the reported interval ...
        assert inside.min() >= bounds.low[look] - 1e-12
        assert inside.max() <= bounds.high[look] + 1e-12
        # ... and the interval reaches at most one fine grid step beyond the fine set,
        # so it is at most one coarse step plus one fine step beyond the coarse one.
        assert bounds.low[look] >= inside.min() - 20 * step - step - 1e-12
        assert bounds.high[look] <= inside.max() + 20 * step + step + 1e-12


def test_empirical_bernstein_equals_the_closed_form() -> None:
    rng = np.random.default_rng(2)
    cells = rng.choice(3, size=50, p=[0.3, 0.3, 0.4])
    xs = [float(NPS_VALUES[c]) for c in cells]
    alpha = 0.05
    bets = [min(b, 0.5) for b in _reference_bets(xs, math.log(2 / alpha))]
    low, high = [], []
    total = sum_bx = penalty = 0.0
    previous_mean = 0.5
    running_low, running_high = 0.0, 1.0
    for t, (x, bet) in enumerate(zip(xs, bets, strict=True), start=1):
        sum_bx += bet * x
        total += bet
        penalty += 4 * (x - previous_mean) ** 2 * (-math.log(1 - bet) - bet) / 4
        radius = (math.log(2 / alpha) + penalty) / total
        centre = sum_bx / total
        running_low = max(running_low, min(max(centre - radius, 0.0), 1.0))
        running_high = min(running_high, min(max(centre + radius, 0.0), 1.0))
        low.append(running_low)
        high.append(max(running_high, running_low))
        previous_mean = (0.5 + sum(xs[:t])) / (t + 1)
    bounds = confidence_sequence_bounds(
        _one_hot(cells, 3), NPS_VALUES, confidence_level=0.95, method="empirical-bernstein"
    )
    np.testing.assert_allclose(bounds.low, low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(bounds.high, high, rtol=1e-12, atol=1e-15)


def test_time_uniform_coverage_by_simulation() -> None:
    """Share of streams that EVER leave the sequence over 2,000 looks is at most alpha.

    300 streams: the binomial standard error at 5% is 1.3 points, so the
    bound checked, 5% + 3 standard errors, fails with probability < 0.2%
    for a valid method. The betting check uses the e-process at the true
    mean, which is the sequence's membership test (previous test).
    """
    rng = np.random.default_rng(2024)
    p = np.array([0.35, 0.25, 0.4])
    true_mean = float(p @ NPS_VALUES)
    streams, looks = 300, 2000
    misses = {"betting": 0, "empirical-bernstein": 0}
    for _ in range(streams):
        counts = _one_hot(rng.choice(3, size=looks, p=p), 3)
        _, running = betting_evalues(counts, NPS_VALUES, true_mean, confidence_level=0.95)
        misses["betting"] += bool(running[-1] >= 20.0)
        eb = confidence_sequence_bounds(
            counts, NPS_VALUES, confidence_level=0.95, method="empirical-bernstein"
        )
        misses["empirical-bernstein"] += bool(np.any((eb.low > true_mean) | (eb.high < true_mean)))
    limit = 0.05 + 3 * math.sqrt(0.05 * 0.95 / streams)
    for method, count in misses.items():
        assert count / streams <= limit, method


@pytest.mark.parametrize("method", SEQUENCE_METHODS)
def test_nested_bounded_and_shrinking(method: str) -> None:
    rng = np.random.default_rng(11)
    counts = _one_hot(rng.choice(3, size=3000, p=[0.2, 0.3, 0.5]), 3)
    bounds = confidence_sequence_bounds(
        counts,
        NPS_VALUES,
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
    )
    assert np.all(np.diff(bounds.low) >= 0)
    assert np.all(np.diff(bounds.high) <= 0)
    assert np.all((bounds.low >= 0) & (bounds.high <= 1) & (bounds.low <= bounds.high))
    assert bounds.high[-1] - bounds.low[-1] < 0.1
    np.testing.assert_array_equal(bounds.n, np.arange(1, 3001))
    np.testing.assert_allclose(bounds.estimate[-1], counts.sum(axis=0) @ NPS_VALUES / 3000)


@settings(max_examples=25)
@given(
    st.lists(st.lists(st.integers(0, 2), min_size=0, max_size=30), min_size=1, max_size=6),
    st.randoms(use_true_random=False),
    st.sampled_from(SEQUENCE_METHODS),
)
def test_order_within_a_period_does_not_matter(
    periods: list[list[int]], random: object, method: str
) -> None:
    counts = np.array([np.bincount(period, minlength=3) for period in periods], dtype=float)
    shuffled = [list(period) for period in periods]
    for period in shuffled:
        random.shuffle(period)  # type: ignore[attr-defined]
    counts_shuffled = np.array([np.bincount(p, minlength=3) for p in shuffled], dtype=float)
    a = confidence_sequence_bounds(counts, NPS_VALUES, confidence_level=0.95, method=method)  # type: ignore[arg-type]
    b = confidence_sequence_bounds(
        counts_shuffled,
        NPS_VALUES,
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
    )
    np.testing.assert_array_equal(a.low, b.low)
    np.testing.assert_array_equal(a.high, b.high)
    # Empty periods before the first response leave the whole range.
    empty_start = np.cumsum(counts.sum(axis=1)) == 0
    assert np.all(a.low[empty_start] == 0.0)
    assert np.all(a.high[empty_start] == 1.0)
    assert np.all(np.isnan(a.estimate[empty_start]))


def test_periods_of_one_response_equal_single_responses() -> None:
    rng = np.random.default_rng(4)
    cells = rng.choice(3, size=200)
    single = confidence_sequence_bounds(_one_hot(cells, 3), NPS_VALUES, confidence_level=0.95)
    with_empty = np.zeros((400, 3))
    with_empty[1::2] = _one_hot(cells, 3)  # an empty period before every response
    spread = confidence_sequence_bounds(with_empty, NPS_VALUES, confidence_level=0.95)
    np.testing.assert_array_equal(spread.low[1::2], single.low)
    np.testing.assert_array_equal(spread.high[1::2], single.high)


@pytest.mark.parametrize("method", SEQUENCE_METHODS)
def test_degenerate_streams(method: str) -> None:
    # Everyone a promoter: the sequence closes in on 1 and keeps it.
    all_top = confidence_sequence_bounds(
        _one_hot(np.full(500, 2), 3),
        NPS_VALUES,
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
    )
    assert np.all(all_top.high == 1.0)
    assert all_top.low[-1] > 0.9
    # One response: a valid (wide) interval containing it.
    one = confidence_sequence_bounds(
        _one_hot(np.array([1]), 3),
        NPS_VALUES,
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
    )
    assert one.low[0] <= 0.5 <= one.high[0]
    assert one.high[0] - one.low[0] > 0.5


def test_inputs_not_modified() -> None:
    counts = np.array([[3.0, 4.0, 5.0], [1.0, 0.0, 2.0]])
    before = counts.copy()
    confidence_sequence_bounds(counts, NPS_VALUES, confidence_level=0.95)
    betting_evalues(counts, NPS_VALUES, 0.5, confidence_level=0.95)
    np.testing.assert_array_equal(counts, before)
