"""Kaplan-Meier curves against lifelines and a hand-worked example.

References: lifelines' ``KaplanMeierFitter`` (survival function, exponential
Greenwood interval, median) on random data with ties and censoring; the
estimator and the interval worked by hand on a seven-customer example.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._retention import _survival as survival_module

lifelines = pytest.importorskip("lifelines")


def lifelines_curve(durations, observed, weights=None, confidence_level=0.95):
    """Survival, lower, upper and timeline from lifelines, without its time-0 row."""
    fitter = lifelines.KaplanMeierFitter(alpha=1 - confidence_level)
    fitter.fit(durations, observed, weights=weights)
    timeline = fitter.survival_function_.index.to_numpy()
    keep = np.isin(timeline, np.unique(durations))
    survival = fitter.survival_function_.to_numpy()[keep, 0]
    bounds = fitter.confidence_interval_.to_numpy()[keep]
    return timeline[keep], survival, bounds[:, 0], bounds[:, 1], fitter.median_survival_time_


def test_hand_worked_example() -> None:
    # Months to cancellation for seven customers; 0 = still subscribed (censored).
    # t=1: 7 at risk, 1 event  -> S = 6/7
    # t=2: 6 at risk, 1 event, 1 censored -> S = 6/7 * 5/6 = 5/7
    # t=3: 4 at risk, 1 event  -> S = 5/7 * 3/4 = 15/28
    # t=4: 3 at risk, 2 events -> S = 15/28 * 1/3 = 5/28
    # t=5: 1 at risk, 0 events (censored) -> S = 5/28
    curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    np.testing.assert_array_equal(curve.times, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(curve.survival, [6 / 7, 5 / 7, 15 / 28, 5 / 28, 5 / 28], rtol=1e-15)
    np.testing.assert_array_equal(curve.at_risk, [7, 6, 4, 3, 1])
    np.testing.assert_array_equal(curve.events, [1, 1, 1, 2, 0])
    np.testing.assert_array_equal(curve.censored, [0, 1, 0, 0, 1])
    assert curve.median == 4.0  # first time with S <= 0.5
    assert (curve.n, curve.n_events) == (7, 5)
    # Interval at t=1 by hand: V = 1 / (7 * 6); log S = log(6/7);
    # limits exp(-exp(log(-log S) -/+ z sqrt(V) / log S)) with z = 1.959964.
    z = 1.959963984540054
    log_s = math.log(6 / 7)
    shift = z * math.sqrt(1 / 42) / log_s
    low = math.exp(-math.exp(math.log(-log_s) - shift))
    high = math.exp(-math.exp(math.log(-log_s) + shift))
    assert curve.survival_low[0] == pytest.approx(low, abs=1e-12)
    assert curve.survival_high[0] == pytest.approx(high, abs=1e-12)
    # The same limits as printed by lifelines 0.30.3:
    # KaplanMeierFitter().fit(durations, observed).confidence_interval_
    assert low == pytest.approx(0.334054, abs=1e-6)
    assert high == pytest.approx(0.978561, abs=1e-6)
    assert curve.survival_at(0.5) == 1.0
    assert curve.survival_at(3.99) == pytest.approx(15 / 28)
    np.testing.assert_allclose(curve.survival_at([0, 2, 10]), [1.0, 5 / 7, 5 / 28])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["integer", "rounded-float", "continuous"])
@pytest.mark.parametrize("confidence_level", [0.9, 0.95])
def test_equals_lifelines(seed: int, kind: str, confidence_level: float) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    if kind == "integer":
        durations = rng.integers(0, 25, n)  # many ties, including time 0
    elif kind == "rounded-float":
        durations = np.round(rng.exponential(8.0, n), 1)
    else:
        durations = rng.exponential(8.0, n)
    observed = rng.random(n) < 0.65
    times, survival, low, high, median = lifelines_curve(
        durations, observed, confidence_level=confidence_level
    )
    curve = lm.kaplan_meier(durations, observed, confidence_level=confidence_level)
    np.testing.assert_array_equal(curve.times, times)
    np.testing.assert_allclose(curve.survival, survival, rtol=0, atol=1e-10)
    np.testing.assert_allclose(curve.survival_low, low, rtol=0, atol=1e-10)
    np.testing.assert_allclose(curve.survival_high, high, rtol=0, atol=1e-10)
    assert curve.median == median


def test_equals_lifelines_with_integer_weights_and_total_failure() -> None:
    rng = np.random.default_rng(7)
    durations = rng.integers(1, 12, 300)
    observed = rng.random(300) < 0.8
    weights = rng.integers(1, 5, 300)
    _, survival, low, high, _ = lifelines_curve(durations, observed, weights)
    curve = lm.kaplan_meier(durations, observed, weights=weights)
    np.testing.assert_allclose(curve.survival, survival, atol=1e-10)
    np.testing.assert_allclose(curve.survival_low, low, atol=1e-10)
    np.testing.assert_allclose(curve.survival_high, high, atol=1e-10)
    # Everyone fails: the curve reaches 0 and the interval collapses to 0 there.
    durations = np.array([1, 2, 2, 3])
    _, survival, low, high, _ = lifelines_curve(durations, np.ones(4, dtype=bool))
    curve = lm.kaplan_meier(durations)
    np.testing.assert_allclose(curve.survival, survival, atol=1e-12)
    np.testing.assert_allclose(curve.survival_low, low, atol=1e-10)
    np.testing.assert_allclose(curve.survival_high, high, atol=1e-10)
    assert curve.survival[-1] == 0.0


def test_weights_are_repetition_and_float_weights_scale() -> None:
    rng = np.random.default_rng(3)
    durations = rng.integers(0, 10, 60).astype(float) + 0.5
    observed = rng.random(60) < 0.7
    weights = rng.integers(0, 4, 60)
    weights[0] = 1
    weighted = lm.kaplan_meier(durations, observed, weights=weights)
    repeated = lm.kaplan_meier(np.repeat(durations, weights), np.repeat(observed, weights))
    np.testing.assert_array_equal(weighted.times, repeated.times)
    for name in ("survival", "survival_low", "survival_high", "at_risk", "events"):
        np.testing.assert_allclose(getattr(weighted, name), getattr(repeated, name), atol=1e-12)
    # Scaling all weights leaves the estimate unchanged.
    scaled = lm.kaplan_meier(durations, observed, weights=weights * 2.5)
    np.testing.assert_allclose(scaled.survival, weighted.survival, atol=1e-12)


def test_integer_and_sorting_paths_agree() -> None:
    rng = np.random.default_rng(11)
    durations = rng.integers(0, 50, 500)
    observed = rng.random(500) < 0.5
    compact = lm.kaplan_meier(durations, observed)
    # Spreading the times out makes the integer range too wide for bincount: the
    # sorting path runs on the same ordering and ties.
    wide = lm.kaplan_meier(durations * 10**9, observed)
    np.testing.assert_allclose(wide.survival, compact.survival, atol=1e-15)
    as_float = lm.kaplan_meier(durations + 0.25, observed)
    np.testing.assert_allclose(as_float.survival, compact.survival, atol=1e-15)


def test_all_censored_and_single_subject() -> None:
    curve = lm.kaplan_meier([3, 5], [False, False])
    np.testing.assert_array_equal(curve.survival, [1.0, 1.0])
    np.testing.assert_array_equal(curve.survival_low, [1.0, 1.0])
    assert curve.median == math.inf
    single = lm.kaplan_meier([2.0])
    np.testing.assert_array_equal(single.survival, [0.0])
    assert single.median == 2.0


def test_result_behaviour() -> None:
    curve = lm.kaplan_meier([1, 2, 2, 3], [1, 0, 1, 1])
    assert repr(curve) == "SurvivalCurve(n=4.0, n_events=3.0, median=2.0, confidence_level=0.95)"
    assert curve.to_dict()["times"] == [1.0, 2.0, 3.0]
    assert "<table>" in curve._repr_html_()


@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.booleans(), st.integers(1, 3)), min_size=1, max_size=40
    ),
    st.randoms(use_true_random=False),
)
def test_properties(rows: list[tuple[int, bool, int]], random) -> None:
    durations = np.array([r[0] for r in rows])
    observed = np.array([r[1] for r in rows])
    weights = np.array([r[2] for r in rows])
    curve = lm.kaplan_meier(durations, observed, weights=weights)
    assert np.all(np.diff(curve.survival) <= 1e-15)
    assert np.all((curve.survival >= 0) & (curve.survival <= 1))
    assert np.all(curve.survival_low <= curve.survival + 1e-12)
    assert np.all(curve.survival + 1e-12 >= curve.survival_low)
    assert np.all(curve.survival_high >= curve.survival - 1e-12)
    order = list(range(len(rows)))
    random.shuffle(order)
    shuffled = lm.kaplan_meier(durations[order], observed[order], weights=weights[order])
    np.testing.assert_allclose(shuffled.survival, curve.survival, atol=1e-14)
    repeated = lm.kaplan_meier(np.repeat(durations, weights), np.repeat(observed, weights))
    np.testing.assert_allclose(repeated.survival, curve.survival, atol=1e-12)


def test_inputs_are_not_mutated_and_accept_series() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"d": [3.0, 1.0, 2.0], "e": [True, False, True]})
    before = frame.copy()
    curve = lm.kaplan_meier(frame["d"], frame["e"])
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_allclose(curve.survival, [1.0, 0.5, 0.0])


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([],), {}, ValueError, "at least one subject"),
        (([1, -2],), {}, ValueError, r"`durations` must be finite and non-negative; found -2"),
        (([1, float("nan")],), {}, ValueError, "at position 1"),
        (([1, 2], [1, 2]), {}, ValueError, "`observed` must be booleans or 0/1"),
        (([1, 2], [1]), {}, ValueError, "same length as `durations`"),
        (([1, 2], ["a", "b"]), {}, TypeError, "`observed`"),
        ((["a"],), {}, TypeError, "`durations`"),
        (([1, 2],), {"weights": [1]}, ValueError, "same length as `durations`"),
        (([1, 2],), {"weights": [-1, 1]}, ValueError, "`weights` must be non-negative"),
        (([1, 2],), {"confidence_level": 1.0}, ValueError, "`confidence_level`"),
    ],
)
def test_bad_input(args, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.kaplan_meier(*args, **kwargs)


def test_survival_at_rejects_nan() -> None:
    with pytest.raises(ValueError, match="`t` must not be NaN"):
        lm.kaplan_meier([1, 2]).survival_at(float("nan"))


def _assert_same_curve(grouped, alone) -> None:
    np.testing.assert_array_equal(grouped.times, alone.times)
    for name in ("survival", "survival_low", "survival_high", "at_risk", "events", "censored"):
        np.testing.assert_allclose(getattr(grouped, name), getattr(alone, name), atol=1e-12)
    for name in ("median", "median_low", "median_high", "n", "n_events"):
        assert getattr(grouped, name) == getattr(alone, name)


@pytest.mark.parametrize("kind", ["integer", "continuous", "wide-integer"])
@pytest.mark.parametrize("interval", ["log-log", "log"])
def test_by_group_equals_each_group_alone(kind: str, interval: str) -> None:
    rng = np.random.default_rng(5)
    n = 600
    labels = rng.choice(np.array(["app", "store", "web"]), n)
    if kind == "integer":
        durations = rng.integers(0, 40, n)
    elif kind == "wide-integer":
        durations = rng.integers(0, 40, n) * 10**9  # too wide for counting
    else:
        durations = rng.exponential(10.0, n)
    observed = rng.random(n) < 0.6
    weights = rng.integers(0, 3, n)
    weights[:3] = 1
    curves = lm.kaplan_meier(durations, observed, by=labels, interval=interval, weights=weights)
    assert curves.groups.tolist() == ["app", "store", "web"]
    for k, label in enumerate(curves.groups):
        rows = labels == label
        alone = lm.kaplan_meier(
            durations[rows], observed[rows], weights=weights[rows], interval=interval
        )
        _assert_same_curve(curves[label], alone)
        assert curves.median[k] == alone.median
    table = curves.to_frame(backend="polars")
    assert table.columns[:2] == ["group", "time"]
    assert table.height == curves.times.shape[0]
    summary = curves.summary(backend="polars")
    assert summary["n"].to_list() == [float(weights[labels == g].sum()) for g in curves.groups]


def test_single_group_through_by_equals_plain_curve() -> None:
    durations = np.array([1, 2, 2, 3, 4, 4, 5])
    observed = np.array([1, 1, 0, 1, 1, 1, 0])
    curves = lm.kaplan_meier(durations, observed, by=np.zeros(7, dtype=int))
    _assert_same_curve(curves[0], lm.kaplan_meier(durations, observed))


def test_everyone_fails_in_one_group_of_several() -> None:
    # Group "b" ends at 0; group "a" keeps its own product after "b" reached 0.
    curves = lm.kaplan_meier([1, 2, 3, 1, 2], [1, 0, 1, 1, 1], by=["a", "a", "a", "b", "b"])
    np.testing.assert_allclose(curves["a"].survival, [2 / 3, 2 / 3, 0.0])
    np.testing.assert_allclose(curves["b"].survival, [0.5, 0.0])
    # R leaves the band at S = 0 undefined, so the upper limit is never reached.
    assert curves["b"].median_high == math.inf


@pytest.mark.parametrize("backend", ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"])
def test_frames_reduce_in_their_engine(backend: str) -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(9)
    n = 300
    data = pd.DataFrame(
        {
            "months": rng.integers(1, 24, n),
            "churned": rng.random(n) < 0.6,
            "channel": rng.choice(["app", "web"], n),
            "w": rng.integers(1, 4, n).astype(float),
        }
    )
    expected = lm.kaplan_meier(
        data["months"].to_numpy(),
        data["churned"].to_numpy(),
        by=data["channel"].to_numpy(),
        weights=data["w"].to_numpy(),
    )
    if backend == "pandas":
        frame = data
    elif backend.startswith("polars"):
        pl = pytest.importorskip("polars")
        frame = pl.from_pandas(data)
        frame = frame.lazy() if backend == "polars-lazy" else frame
    elif backend == "pyarrow":
        pa = pytest.importorskip("pyarrow")
        frame = pa.Table.from_pandas(data)
    else:
        duckdb = pytest.importorskip("duckdb")
        frame = duckdb.from_df(data)
    curves = lm.kaplan_meier(frame, "churned", duration="months", by="channel", weights="w")
    assert curves.groups.tolist() == ["app", "web"]
    for label in ("app", "web"):
        _assert_same_curve(curves[label], expected[label])
    single = lm.kaplan_meier(frame, "churned", duration="months")
    reference = lm.kaplan_meier(data["months"].to_numpy(), data["churned"].to_numpy())
    _assert_same_curve(single, reference)


def test_frame_and_group_errors() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"d": [1.0, 2.0, None], "e": [1, 0, 1], "g": ["a", None, "b"]})
    with pytest.raises(TypeError, match="`duration` must be a column name"):
        lm.kaplan_meier(frame, "e")
    with pytest.raises(ValueError, match="`by` column 'g' has missing values"):
        lm.kaplan_meier(frame, "e", duration="d", by="g")
    with pytest.raises(ValueError, match="`duration` column 'd' has missing values"):
        lm.kaplan_meier(frame, "e", duration="d")
    with pytest.raises(TypeError, match="`duration` names a column"):
        lm.kaplan_meier([1, 2], duration="d")
    with pytest.raises(ValueError, match="`by` must have the same length"):
        lm.kaplan_meier([1, 2], by=["a"])
    with pytest.raises(ValueError, match="`weights` must not all be zero within a group"):
        lm.kaplan_meier([1, 2, 3], weights=[1, 1, 0], by=["a", "a", "b"])
    with pytest.raises(ValueError, match="`interval` must be one of"):
        lm.kaplan_meier([1, 2], interval="plain")
    with pytest.raises(KeyError, match="no group 'c'"):
        lm.kaplan_meier([1, 2], by=["a", "b"])["c"]
    with pytest.raises(ValueError, match="`horizon` must be positive"):
        lm.kaplan_meier([1, 2]).restricted_mean(0)
    with pytest.raises(TypeError, match="`horizon` must be a number"):
        lm.kaplan_meier([1, 2]).restricted_mean("5")


def test_restricted_mean_by_hand() -> None:
    # S = 6/7 on [1, 2), 5/7 on [2, 3), 15/28 on [3, 4): area to 4 = 1 + 6/7 + 5/7 + 15/28.
    curve = lm.kaplan_meier([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 1, 1, 0])
    assert curve.restricted_mean(4).estimate == pytest.approx(1 + 6 / 7 + 5 / 7 + 15 / 28)
    # Before the first time the curve is 1: the restricted mean is the horizon, se 0.
    early = curve.restricted_mean(0.5)
    assert (early.estimate, early.standard_error) == (0.5, 0.0)


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.booleans(), st.sampled_from("xyz")),
        min_size=1,
        max_size=50,
    )
)
def test_by_group_property_equals_each_group_alone(rows) -> None:
    durations = np.array([r[0] for r in rows], dtype=float) + 0.5
    observed = np.array([r[1] for r in rows])
    labels = np.array([r[2] for r in rows])
    curves = lm.kaplan_meier(durations, observed, by=labels)
    for label in curves.groups:
        rows_of = labels == label
        _assert_same_curve(curves[label], lm.kaplan_meier(durations[rows_of], observed[rows_of]))


@pytest.mark.parametrize("interval", ["log-log", "log"])
def test_distinct_durations_give_the_counting_path_exactly(interval: str) -> None:
    # Distinct continuous durations take a blockwise path that counts nothing;
    # unit weights take the general tally. Both must give the same numbers to
    # the bit, across block boundaries (more than two blocks here).
    rng = np.random.default_rng(11)
    durations = rng.exponential(400.0, 70_001)
    observed = rng.random(70_001) < 0.7
    observed[np.argmax(durations)] = True  # the last event empties the risk set
    fast = lm.kaplan_meier(durations, observed, interval=interval)
    counted = lm.kaplan_meier(
        durations, observed, weights=np.ones(durations.shape[0]), interval=interval
    )
    for name in ("times", "survival", "survival_low", "survival_high", "at_risk", "events"):
        assert getattr(fast, name).tobytes() == getattr(counted, name).tobytes(), name
    assert fast.censored.tobytes() == counted.censored.tobytes()
    assert (fast.median, fast.median_low, fast.median_high, fast.n, fast.n_events) == (
        counted.median,
        counted.median_low,
        counted.median_high,
        counted.n,
        counted.n_events,
    )
    assert fast.survival[-1] == 0.0


@pytest.mark.parametrize("cores", [1, 2])
def test_distinct_durations_split_over_two_threads_give_the_same_bits(monkeypatch, cores) -> None:
    # From four blocks on, a worker thread maps the output while the keys sort
    # and computes the limits block by block; with one core, one thread does
    # everything. Both must equal the general tally to the bit, medians too.
    monkeypatch.setattr(survival_module, "core_count", lambda: cores)
    rng = np.random.default_rng(12)
    n = 4 * survival_module._DISTINCT_BLOCK + 12_345
    durations = rng.exponential(400.0, n)
    observed = rng.random(n) < 0.7
    for interval in ("log-log", "log"):
        fast = lm.kaplan_meier(durations, observed, interval=interval)
        counted = lm.kaplan_meier(durations, observed, weights=np.ones(n), interval=interval)
        for name in ("times", "survival", "survival_low", "survival_high", "at_risk", "events"):
            assert getattr(fast, name).tobytes() == getattr(counted, name).tobytes(), name
        assert fast.censored.tobytes() == counted.censored.tobytes()
        assert (fast.median, fast.median_low, fast.median_high, fast.n_events) == (
            counted.median,
            counted.median_low,
            counted.median_high,
            counted.n_events,
        )
    # One tie sends the sorted keys to the counting path, past the mapped arrays.
    durations[1] = durations[0]
    tied = lm.kaplan_meier(durations, observed)
    assert tied.times.shape[0] == n - 1
    counted = lm.kaplan_meier(durations, observed, weights=np.ones(n))
    assert tied.survival.tobytes() == counted.survival.tobytes()
