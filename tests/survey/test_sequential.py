"""confidence_sequence and sequential_test: metric coding, periods, validation, results.

The sequences themselves are checked against the published formulas and by
simulation in tests/engine/test_sequences.py; here the references are the
hand-written codings (NPS -1/0/+1 rescaled to [0, 1], CSAT's satisfied
indicator, the CES answer on its scale) fed to the engine directly, and
``nps`` / ``csat`` / ``ces`` for the running estimates.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._engine._sequences import (
    GRID_POINTS,
    betting_evalues,
    confidence_sequence_bounds,
)

RNG = np.random.default_rng(14)
NPS_SCORES = RNG.choice(np.arange(11), size=600)
STEP_NPS = 200.0 / (GRID_POINTS - 1)


def test_nps_sequence_is_the_engine_sequence_of_the_codes() -> None:
    codes = np.where(NPS_SCORES <= 6, 0, np.where(NPS_SCORES <= 8, 1, 2))
    bounds = confidence_sequence_bounds(np.eye(3)[codes], [0.0, 0.5, 1.0], confidence_level=0.9)
    sequence = lm.confidence_sequence(NPS_SCORES, confidence_level=0.9)
    np.testing.assert_allclose(sequence.low, -100 + 200 * bounds.low)
    np.testing.assert_allclose(sequence.high, -100 + 200 * bounds.high)
    np.testing.assert_array_equal(sequence.time, np.arange(1, 601))
    # The running estimate is the NPS of the responses so far.
    for k in (1, 17, 600):
        assert sequence.estimate[k - 1] == pytest.approx(lm.nps(NPS_SCORES[:k]).score)
    assert sequence.interval.low == sequence.low[-1]
    assert sequence.low[-1] <= lm.nps(NPS_SCORES).score <= sequence.high[-1]


def test_csat_codes_the_satisfied_range() -> None:
    scores = RNG.integers(1, 8, size=300)
    sequence = lm.confidence_sequence(scores, metric="csat", scale=(1, 7), satisfied=(6, 7))
    satisfied = (scores >= 6).astype(int)
    bounds = confidence_sequence_bounds(np.eye(2)[satisfied], [0.0, 1.0], confidence_level=0.95)
    np.testing.assert_allclose(sequence.low, 100 * bounds.low)
    np.testing.assert_allclose(sequence.high, 100 * bounds.high)
    expected = lm.csat(scores, scale=(1, 7), satisfied=(6, 7)).score
    assert sequence.estimate[-1] == pytest.approx(expected)
    default = lm.confidence_sequence(RNG.integers(1, 6, size=50), metric="csat")
    assert default.metric == "csat"


@pytest.mark.parametrize(
    ("version", "scale", "points"),
    [("2.0", None, 7), ("original", None, 5), ("2.0", (0, 10), 11)],
)
def test_ces_mean_on_its_scale(version: str, scale: tuple[int, int] | None, points: int) -> None:
    low = 0 if scale else 1
    scores = RNG.integers(low, low + points, size=400)
    sequence = lm.confidence_sequence(scores, metric="ces", version=version, scale=scale)
    values = np.arange(points) / (points - 1)
    bounds = confidence_sequence_bounds(
        np.eye(points)[scores - low], values, confidence_level=0.95, method="betting"
    )
    np.testing.assert_allclose(sequence.low, low + (points - 1) * bounds.low)
    np.testing.assert_allclose(sequence.high, low + (points - 1) * bounds.high)
    assert sequence.estimate[-1] == pytest.approx(lm.ces(scores, version=version, scale=scale).mean)


def test_periods_in_sorted_label_order_with_counts() -> None:
    months = np.array(["2024-03", "2024-01", "2024-02"])[RNG.integers(0, 3, size=600)]
    sequence = lm.confidence_sequence(NPS_SCORES, times=months)
    np.testing.assert_array_equal(sequence.time, ["2024-01", "2024-02", "2024-03"])
    order = np.argsort(months, kind="stable")
    for k, label in enumerate(sequence.time):
        seen = NPS_SCORES[order][np.sort(months) <= label]
        assert sequence.n[k] == seen.size
        assert sequence.estimate[k] == pytest.approx(lm.nps(seen).score)
    # The same periods given as pandas and polars Series, and as dates.
    for times in (pd.Series(months), pl.Series(months)):
        again = lm.confidence_sequence(NPS_SCORES, times=times)
        np.testing.assert_array_equal(again.low, sequence.low)
    dates = pd.to_datetime(pd.Series(months) + "-01")
    dated = lm.confidence_sequence(NPS_SCORES, times=dates)
    np.testing.assert_array_equal(dated.high, sequence.high)
    assert dated.time.dtype.kind == "M"
    frame = sequence.to_frame()
    assert list(frame.columns) == ["time", "n", "estimate", "low", "high"]
    assert frame.shape == (3, 5)


def test_scores_as_series_give_the_same_sequence() -> None:
    reference = lm.confidence_sequence(NPS_SCORES, method="empirical-bernstein")
    for scores in (pd.Series(NPS_SCORES), pl.Series(NPS_SCORES), NPS_SCORES.tolist()):
        other = lm.confidence_sequence(scores, method="empirical-bernstein")
        np.testing.assert_array_equal(other.low, reference.low)


def test_sequential_test_is_the_engine_evalue_at_the_baseline() -> None:
    test = lm.sequential_test(NPS_SCORES, baseline=20.0, alternative="greater")
    codes = np.where(NPS_SCORES <= 6, 0, np.where(NPS_SCORES <= 8, 1, 2))
    e_values, running = betting_evalues(
        np.eye(3)[codes], [0.0, 0.5, 1.0], 0.6, confidence_level=0.95, alternative="greater"
    )
    np.testing.assert_allclose(test.e_values, e_values)
    np.testing.assert_allclose(test.pvalues, np.minimum(1, 1 / running))
    assert np.all(np.diff(test.pvalues) <= 0)
    assert test.pvalue == test.pvalues[-1]
    assert test.baseline == 20.0


def test_two_sided_test_agrees_with_the_sequence() -> None:
    """Outside the sequence => rejected; not rejected => inside (up to the grid step)."""
    sequence = lm.confidence_sequence(NPS_SCORES, confidence_level=0.9)
    for baseline in (-30.0, -12.0, -5.0, 0.0, 4.0, 15.0):
        test = lm.sequential_test(NPS_SCORES, baseline=baseline, confidence_level=0.9)
        outside = (baseline < sequence.low) | (baseline > sequence.high)
        rejected = test.pvalues <= 0.1
        assert np.all(rejected[outside])
        near = (np.abs(baseline - sequence.low) <= STEP_NPS + 1e-9) | (
            np.abs(baseline - sequence.high) <= STEP_NPS + 1e-9
        )
        assert np.all(outside[rejected] | near[rejected])


def test_rejection_flags_and_first_look() -> None:
    scores = np.r_[np.full(200, 10), np.full(200, 0)]  # all promoters, then all detractors
    test = lm.sequential_test(scores, baseline=0.0)
    assert test.rejected
    first = int(np.flatnonzero(test.pvalues <= 0.05)[0])
    assert test.rejected_at == first + 1  # looks are response numbers 1, 2, ...
    assert isinstance(test.rejected_at, int)
    # All passives: every answer equals the baseline mean, so no bet ever pays.
    calm = lm.sequential_test(np.full(100, 8), baseline=0.0)
    np.testing.assert_allclose(calm.e_values, 1.0)
    assert not calm.rejected
    assert calm.rejected_at is None
    below = lm.sequential_test(np.full(300, 10), baseline=50.0, alternative="less")
    assert not below.rejected
    assert below.rejected_at is None
    above = lm.sequential_test(np.full(300, 10), baseline=50.0, alternative="greater")
    assert above.rejected


def test_sequential_test_by_period_and_for_csat_and_ces() -> None:
    weeks = np.repeat(np.arange(6), 100)
    test = lm.sequential_test(NPS_SCORES, baseline=0.0, times=weeks)
    np.testing.assert_array_equal(test.time, np.arange(6))
    np.testing.assert_array_equal(test.n, np.arange(100, 601, 100))
    csat_scores = np.r_[np.full(150, 5), np.full(50, 2)]  # 75% satisfied
    csat_test = lm.sequential_test(csat_scores, metric="csat", baseline=75.0)
    assert csat_test.estimate[-1] == pytest.approx(75.0)
    ces_test = lm.sequential_test(np.full(200, 7), metric="ces", baseline=4.0)
    assert ces_test.rejected
    assert ces_test.estimate[-1] == 7.0


def test_results_display_and_export() -> None:
    sequence = lm.confidence_sequence(NPS_SCORES[:50])
    text = repr(sequence)
    assert text.startswith("ConfidenceSequence(metric='nps', method='betting'")
    assert "looks=50" in text
    assert "<table>" in sequence._repr_html_()
    assert json.dumps(sequence.to_dict())
    test = lm.sequential_test(NPS_SCORES[:50], baseline=0.0)
    assert repr(test).startswith("SequentialTest(metric='nps', baseline=0.0")
    assert list(test.to_frame(backend="polars").columns) == [
        "time",
        "n",
        "estimate",
        "e_value",
        "pvalue",
    ]
    assert json.dumps(test.to_dict())


def test_inputs_not_modified() -> None:
    scores = NPS_SCORES.copy()
    times = np.repeat(np.arange(3), 200)
    before = times.copy()
    lm.confidence_sequence(scores, times=times)
    lm.sequential_test(scores, baseline=0.0, times=times)
    np.testing.assert_array_equal(scores, NPS_SCORES)
    np.testing.assert_array_equal(times, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"metric": "ltv"}, ValueError, "`metric` must be one of"),
        ({"method": "wald"}, ValueError, "`method` must be one of"),
        ({"confidence_level": 1.5}, ValueError, "`confidence_level`"),
        ({"scale": (1, 5)}, ValueError, "`scale` applies to metric='csat' only"),
        ({"metric": "csat", "agree": (5, 7)}, ValueError, "`agree` applies to metric='ces'"),
        ({"metric": "ces", "satisfied": (4, 5)}, ValueError, "`satisfied` applies"),
        ({"times": [1, 2]}, ValueError, r"`times` must have the same length as `scores` \(4\)"),
        ({"times": [1.0, np.nan, 2.0, 3.0]}, ValueError, "`times` contains a missing value"),
        ({"times": ["a", 1, "b", 2]}, TypeError, "`times` mixes strings"),
    ],
)
def test_bad_options(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        lm.confidence_sequence([10, 9, 3, 7], **kwargs)  # type: ignore[arg-type]


def test_bad_scores_and_baselines() -> None:
    with pytest.raises(ValueError, match=r"`scores` must be integers in 0..10; found 11"):
        lm.confidence_sequence([10, 11])
    with pytest.raises(ValueError, match=r"`scores` must be integers in 1..5; found 7"):
        lm.confidence_sequence([5, 7], metric="csat")
    with pytest.raises(ValueError, match="`scores` contains missing values"):
        lm.confidence_sequence([5.0, np.nan])
    with pytest.raises(ValueError, match="at least one response"):
        lm.confidence_sequence([])
    with pytest.raises(ValueError, match=r"`baseline` must lie in -100..100; got 120"):
        lm.sequential_test([10, 9], baseline=120)
    with pytest.raises(ValueError, match=r"`baseline` must lie in 1..7"):
        lm.sequential_test([7, 6], metric="ces", baseline=0.5)
    with pytest.raises(TypeError, match="`baseline` must be a number"):
        lm.sequential_test([10, 9], baseline="30")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        lm.sequential_test([10, 9], baseline=0.0, alternative="up")
    nat = pd.Series(pd.to_datetime(["2024-01-01", None]))
    with pytest.raises(ValueError, match="`times` contains a missing value at position 1"):
        lm.confidence_sequence([10, 9], times=nat)


@settings(max_examples=30)
@given(
    scores=st.lists(st.integers(0, 10), min_size=1, max_size=120),
    data=st.data(),
    method=st.sampled_from(["betting", "empirical-bernstein"]),
)
def test_properties_of_the_period_sequence(
    scores: list[int], data: st.DataObject, method: str
) -> None:
    """Nested, inside -100..100, estimate = NPS so far, and row order within a period ignored."""
    labels = data.draw(st.lists(st.integers(0, 4), min_size=len(scores), max_size=len(scores)))
    sequence = lm.confidence_sequence(scores, times=labels, method=method)  # type: ignore[arg-type]
    assert np.all(np.diff(sequence.low) >= 0)
    assert np.all(np.diff(sequence.high) <= 0)
    assert np.all((sequence.low >= -100) & (sequence.low <= sequence.high) & (sequence.high <= 100))
    array, times = np.array(scores), np.array(labels)
    for k, label in enumerate(sequence.time):
        assert sequence.estimate[k] == pytest.approx(lm.nps(array[times <= label]).score)
    order = np.array(data.draw(st.permutations(range(len(scores)))))
    shuffled = lm.confidence_sequence(array[order], times=times[order], method=method)  # type: ignore[arg-type]
    np.testing.assert_array_equal(shuffled.low, sequence.low)
    np.testing.assert_array_equal(shuffled.high, sequence.high)
    test = lm.sequential_test(array[order], baseline=0.0, times=times[order])
    reference = lm.sequential_test(array, baseline=0.0, times=times)
    np.testing.assert_allclose(test.pvalues, reference.pvalues, rtol=1e-12)
    assert np.all((test.pvalues > 0) & (test.pvalues <= 1))
    assert np.all(np.diff(test.pvalues) <= 0)
