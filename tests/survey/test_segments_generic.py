"""by_segment and over_time with the generic metrics: the share of a yes/no column, the mean.

References: statsmodels' ``proportion_confint`` for the share intervals;
``scipy.stats.t`` for the t interval of a mean and ``scipy.stats.ttest_ind(...,
equal_var=False)`` for Welch's comparison; Newcombe's (1998, method 10) score
interval of a difference worked from the two Wilson intervals; the totals
are the sums of the rows, by ``numpy``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from engines import ENGINES, as_engine, output_type
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import loyaltymetrics as lm

_STATSMODELS = {
    "wilson": "wilson",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "exact": "beta",
    "wald": "normal",
}


def _columns(result: lm.SegmentBreakdown) -> dict[str, np.ndarray]:
    return {name: np.asarray(values) for name, values in result.to_dict()["table"].items()}


def _wilson(successes: float, n: float, z: float) -> tuple[float, float]:
    low, high = proportion_confint(successes, n, alpha=2 * stats.norm.sf(z), method="wilson")
    return float(low), float(high)


@settings(max_examples=40)
@given(
    flags=st.lists(st.booleans(), min_size=4, max_size=80),
    n_segments=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    method=st.sampled_from(sorted(_STATSMODELS)),
)
def test_share_of_each_segment_equals_statsmodels(
    flags: list[bool], n_segments: int, seed: int, method: str
) -> None:
    flag = np.array(flags)
    segment = np.random.default_rng(seed).integers(0, n_segments, size=flag.shape[0])
    result = lm.by_segment(flag, by=segment, metric="share", method=method, min_n=0)
    table = _columns(result)
    assert result.estimate == "share"
    for index, key in enumerate(table["by"]):
        rows = flag[segment == key]
        low, high = proportion_confint(rows.sum(), rows.shape[0], method=_STATSMODELS[method])
        assert table["n"][index] == rows.shape[0]
        assert table["share"][index] == pytest.approx(rows.mean(), abs=1e-12)
        np.testing.assert_allclose(
            [table["low"][index], table["high"][index]],
            np.clip([low, high], 0.0, 1.0),
            atol=1e-9,
        )
    overall_low, overall_high = proportion_confint(
        flag.sum(), flag.shape[0], method=_STATSMODELS[method]
    )
    assert result.overall == pytest.approx(flag.mean())
    np.testing.assert_allclose(
        [result.overall_interval.low, result.overall_interval.high],
        np.clip([overall_low, overall_high], 0.0, 1.0),
        atol=1e-9,
    )


def test_share_comparison_is_newcombes_interval_worked_from_wilson() -> None:
    # Segment a: 30 of 50 true; the rest (b): 20 of 80. Newcombe (1998), method 10:
    # d = p1 - p2, low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2),
    # high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2), (l, u) the Wilson limits.
    flag = np.r_[np.ones(30), np.zeros(20), np.ones(20), np.zeros(60)].astype(int)
    segment = np.r_[np.zeros(50), np.ones(80)].astype(int)
    table = _columns(lm.by_segment(flag, by=segment, metric="share", correction=None))
    z = stats.norm.isf(0.025)
    p1, p2 = 30 / 50, 20 / 80
    l1, u1 = _wilson(30, 50, z)
    l2, u2 = _wilson(20, 80, z)
    d = p1 - p2
    low = d - np.hypot(p1 - l1, u2 - p2)
    high = d + np.hypot(u1 - p1, p2 - l2)
    np.testing.assert_allclose(
        [table["difference"][0], table["difference_low"][0], table["difference_high"][0]],
        [d, low, high],
        rtol=1e-10,
    )
    assert table["difference"][1] == pytest.approx(-d)


_AMOUNTS = st.lists(
    st.sampled_from([0.0, 4.5, 9.99, 12.0, 19.5, 30.0, 75.25, 120.0, 480.0]),
    min_size=6,
    max_size=80,
)


@settings(max_examples=40)
@given(values=_AMOUNTS, n_segments=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_mean_of_each_segment_equals_scipy(values: list[float], n_segments: int, seed: int) -> None:
    value = np.array(values)
    segment = np.random.default_rng(seed).integers(0, n_segments, size=value.shape[0])
    result = lm.by_segment(value, by=segment, metric="mean", correction=None, min_n=0)
    table = _columns(result)
    for index, key in enumerate(table["by"]):
        rows, rest = value[segment == key], value[segment != key]
        assert table["mean"][index] == pytest.approx(rows.mean(), rel=1e-12, abs=1e-12)
        # The total is the sum of the segment's rows; its interval n times the mean's.
        assert table["total"][index] == pytest.approx(rows.sum(), rel=1e-12, abs=1e-9)
        if rows.shape[0] >= 2 and rows.std() > 0:
            half = stats.t.isf(0.025, rows.shape[0] - 1) * stats.sem(rows)
            np.testing.assert_allclose(
                [table["low"][index], table["high"][index]],
                [rows.mean() - half, rows.mean() + half],
                rtol=1e-9,
            )
            np.testing.assert_allclose(
                [table["total_low"][index], table["total_high"][index]],
                rows.shape[0] * np.array([rows.mean() - half, rows.mean() + half]),
                rtol=1e-9,
            )
        if min(rows.shape[0], rest.shape[0]) >= 2 and min(rows.std(), rest.std()) > 0:
            welch = stats.ttest_ind(rows, rest, equal_var=False)
            interval = welch.confidence_interval(0.95)
            np.testing.assert_allclose(
                [
                    table["statistic"][index],
                    table["pvalue"][index],
                    table["difference_low"][index],
                    table["difference_high"][index],
                ],
                [welch.statistic, welch.pvalue, interval.low, interval.high],
                rtol=1e-8,
            )
    assert result.overall == pytest.approx(value.mean())
    assert float(np.sum(table["total"])) == pytest.approx(value.sum())


def test_weighted_mean_and_total_are_the_weighted_sums_of_the_rows() -> None:
    rng = np.random.default_rng(7)
    value = np.round(rng.lognormal(3.0, 1.0, size=300), 2)
    weight = rng.choice([0.5, 1.0, 3.0], size=300)
    segment = rng.integers(0, 3, size=300)
    table = _columns(lm.by_segment(value, by=segment, weights=weight, metric="mean"))
    for index, key in enumerate(table["by"]):
        rows = segment == key
        assert table["n"][index] == rows.sum()
        assert table["weight_total"][index] == pytest.approx(weight[rows].sum())
        assert table["mean"][index] == pytest.approx(np.average(value[rows], weights=weight[rows]))
        assert table["total"][index] == pytest.approx((weight[rows] * value[rows]).sum())
        assert table["total_low"][index] < table["total"][index] < table["total_high"][index]


def test_mean_bootstrap_is_the_single_group_bootstrap_on_the_segment_cells() -> None:
    # The documented streams: segment i's interval is the single-group bootstrap
    # of its own distinct values with rng=children[1 + i].spawn(2)[0].
    from loyaltymetrics._engine._cells import CellTable
    from loyaltymetrics._survey._scale_inference import mean_interval

    rng = np.random.default_rng(11)
    value = rng.choice([5.0, 7.5, 10.0, 40.0, 100.0], size=200)
    segment = rng.integers(0, 3, size=200)
    result = lm.by_segment(
        value, by=segment, metric="mean", method="bca", n_resamples=499, rng=3, compare=None
    )
    children = np.random.default_rng(3).spawn(4)
    for index in range(3):
        distinct, counts = np.unique(value[segment == index], return_counts=True)
        cells = CellTable(
            point=np.arange(distinct.shape[0]), weight=np.ones(distinct.shape[0]), count=counts
        )
        single = mean_interval(
            cells,
            confidence_level=0.95,
            method="bca",
            n_resamples=499,
            rng=children[1 + index].spawn(2)[0],
            values=distinct,
        )
        np.testing.assert_allclose(
            [result.table["low"][index], result.table["high"][index]],
            [single.low, single.high],
            rtol=1e-12,
        )


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "channel": rng.choice(["app", "web", "store"], size=400),
            "retained": rng.random(400) < 0.6,
            "revenue": np.round(rng.lognormal(3.0, 0.8, size=400), 2),
        }
    )


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize(("metric", "column"), [("share", "retained"), ("mean", "revenue")])
def test_every_engine_gives_the_numbers_of_the_arrays(kind: str, metric: str, column: str) -> None:
    frame = _frame()
    result = lm.by_segment(as_engine(kind, frame), score=column, by="channel", metric=metric)
    assert isinstance(result.table, output_type(kind))
    arrays = lm.by_segment(
        frame[column].to_numpy().astype(float), by=frame["channel"].to_numpy(), metric=metric
    )
    table = result.to_frame()
    for name in ("n", metric, "low", "high", "difference", "pvalue"):
        np.testing.assert_allclose(table[name].to_numpy(), arrays.table[name], rtol=1e-12)


def test_boolean_and_zero_one_columns_give_the_same_share() -> None:
    frame = _frame()
    as_int = frame.assign(retained=frame["retained"].astype(int))
    for data in (frame, pl.from_pandas(frame)):
        a = lm.by_segment(data, score="retained", by="channel", metric="share").to_frame()
        b = lm.by_segment(as_int, score="retained", by="channel", metric="share").to_frame()
        np.testing.assert_array_equal(a["share"].to_numpy(), b["share"].to_numpy())
        np.testing.assert_array_equal(a["low"].to_numpy(), b["low"].to_numpy())


def test_missing_values_follow_nan_policy() -> None:
    value = np.array([10.0, np.nan, 20.0, 30.0, 40.0, np.nan])
    segment = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="2 missing values"):
        lm.by_segment(value, by=segment, metric="mean")
    omitted = lm.by_segment(value, by=segment, metric="mean", nan_policy="omit").table
    np.testing.assert_allclose(omitted["mean"], [15.0, 35.0])
    np.testing.assert_array_equal(omitted["n_omitted"], [1, 1])
    propagated = lm.by_segment(value, by=segment, metric="mean", nan_policy="propagate")
    assert np.isnan(propagated.table["mean"]).all()
    assert np.isnan(propagated.overall)


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"`score` must be finite numbers; found inf"):
        lm.by_segment([1.0, np.inf, 2.0], by=[0, 0, 1], metric="mean")
    with pytest.raises(ValueError, match=r"`score` must be integers in 0\.\.1; found 2"):
        lm.by_segment([0, 1, 2], by=[0, 0, 1], metric="share")
    text = pd.DataFrame({"g": ["a", "b"], "x": ["yes", "no"]})
    with pytest.raises(TypeError, match="`score` column 'x' must be numeric"):
        lm.by_segment(text, score="x", by="g", metric="mean")
    with pytest.raises(TypeError, match="unexpected option 'prior'"):
        lm.by_segment([1.0, 2.0], by=[0, 1], metric="mean", prior=(1, 1, 1))
    with pytest.raises(ValueError, match="`method`"):
        lm.by_segment([1.0, 2.0], by=[0, 1], metric="mean", method="wilson")


def test_one_value_and_one_row_segments() -> None:
    # A segment whose rows all have one value has a zero-width t interval; a
    # segment of one row has a NaN t interval (no spread to estimate).
    table = lm.by_segment([5.0, 5.0, 5.0, 9.0], by=[0, 0, 0, 1], metric="mean").table
    np.testing.assert_allclose([table["low"][0], table["high"][0]], [5.0, 5.0])
    assert np.isnan(table["low"][1])
    np.testing.assert_allclose(table["total"], [15.0, 9.0])


@pytest.mark.parametrize(("metric", "column"), [("share", "retained"), ("mean", "revenue")])
def test_over_time_periods_equal_by_segment_on_each_period(metric: str, column: str) -> None:
    frame = _frame()
    frame["date"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(
        np.random.default_rng(2).integers(0, 90, size=frame.shape[0]), unit="D"
    )
    monthly = lm.over_time(frame, score=column, time="date", metric=metric, compare=None)
    table = monthly.to_frame()
    month = frame["date"].dt.to_period("M").dt.start_time
    for index, start in enumerate(table["period"]):
        rows = frame[month == start].assign(all="all")
        single = lm.by_segment(rows, score=column, by="all", metric=metric, compare=None)
        np.testing.assert_allclose(
            [table[metric][index], table["low"][index], table["high"][index]],
            [single.overall, single.overall_interval.low, single.overall_interval.high],
            rtol=1e-12,
        )


@pytest.mark.parametrize(
    ("metric", "column", "label"),
    [
        ("share", "retained", "Share of rows where true (0 to 1)"),
        ("mean", "revenue", "Mean per row"),
    ],
)
def test_plot_nps_draws_a_share_or_mean_breakdown(metric: str, column: str, label: str) -> None:
    import matplotlib.pyplot as plt

    from loyaltymetrics.plotting import plot_nps

    breakdown = lm.by_segment(_frame(), score=column, by="channel", metric=metric)
    fig, ax = plt.subplots()
    try:
        ax = plot_nps(breakdown, ax=ax)
        assert ax.get_xlabel() == label
        ticks = [tick.get_text() for tick in ax.get_yticklabels()]
        sizes = breakdown.table["n"].tolist()
        keys = breakdown.table["channel"].tolist()
        assert ticks == [f"{key} (n={size})" for key, size in zip(keys, sizes, strict=True)]
        # The dots sit at the estimates; the x range holds every interval.
        dots = np.concatenate([line.get_xdata() for line in ax.lines if line.get_marker() == "o"])
        np.testing.assert_allclose(np.sort(dots), np.sort(breakdown.table[metric].to_numpy()))
        low, high = ax.get_xlim()
        assert low <= breakdown.table["low"].min()
        assert breakdown.table["high"].max() <= high
    finally:
        plt.close(fig)
