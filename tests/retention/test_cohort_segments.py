"""Cohort tables by segment, and the confidence interval of every cohort cell.

References: each segment's table must equal ``cohort_retention`` on that
segment's rows alone (with the same ``observation_end``); each cell's interval
must equal statsmodels' ``proportion_confint(count, size, method=...)`` ("beta"
is the exact Clopper-Pearson interval, "normal" the Wald interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engines import ENGINES, as_engine
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import loyaltymetrics as lm

_STATSMODELS = {
    "wilson": "wilson",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "exact": "beta",
    "wald": "normal",
}


def _log(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user": [f"u{i:03d}" for i in rng.integers(0, 200, n)],
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "channel": rng.choice(["app", "web", "store"], n),
        }
    )


def _assert_same_table(table: lm.CohortTable, expected: lm.CohortTable) -> None:
    np.testing.assert_array_equal(table.cohorts, expected.cohorts)
    np.testing.assert_array_equal(table.sizes, expected.sizes)
    np.testing.assert_array_equal(table.counts, expected.counts)
    np.testing.assert_allclose(table.rates, expected.rates, equal_nan=True)
    assert table.observation_end == expected.observation_end


@settings(max_examples=30)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 100), st.sampled_from("xyz")),
        min_size=1,
        max_size=40,
    ),
    period=st.sampled_from(["day", "week", "month"]),
    kind=st.sampled_from(["classic", "unbounded"]),
)
def test_each_segment_equals_cohort_retention_on_its_rows(
    rows: list[tuple[int, int, str]], period: str, kind: str
) -> None:
    ids = np.array([row[0] for row in rows])
    days = np.datetime64("2024-02-20") + np.array([row[1] for row in rows])
    segment = np.array([row[2] for row in rows])
    end = days.max()
    result = lm.cohort_retention(ids, time=days, period=period, kind=kind, by=segment)
    assert result.segments == tuple(sorted(set(segment.tolist())))
    for value, table in zip(result.segments, result.tables, strict=True):
        rows_of = segment == value
        expected = lm.cohort_retention(
            ids[rows_of], time=days[rows_of], period=period, kind=kind, observation_end=end
        )
        _assert_same_table(table, expected)
        _assert_same_table(result.table(value), expected)
    assert result.n_customers == sum(table.n_customers for table in result.tables)


@pytest.mark.parametrize("kind", ["classic", "unbounded"])
@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_gives_the_tables_of_the_arrays(engine: str, kind: str) -> None:
    frame = _log(3)
    expected = lm.cohort_retention(
        frame["user"].to_numpy(),
        time=frame["when"].to_numpy(),
        by=frame["channel"].to_numpy(),
        kind=kind,
    )
    result = lm.cohort_retention(
        as_engine(engine, frame), customer="user", time="when", by="channel", kind=kind
    )
    assert result.keys == ("channel",)
    assert result.segments == expected.segments == ("app", "store", "web")
    for table, reference in zip(result.tables, expected.tables, strict=True):
        _assert_same_table(table, reference)


def test_two_keys_and_a_missing_key() -> None:
    frame = _log(4, n=600)
    frame["plan"] = np.where(np.arange(600) % 2 == 0, "basic", "pro")
    frame.loc[frame.index[:25], "channel"] = None
    result = lm.cohort_retention(frame, customer="user", time="when", by=["channel", "plan"])
    assert result.segments[-2:] == ((None, "basic"), (None, "pro"))
    end = frame["when"].max()
    for value, table in zip(result.segments, result.tables, strict=True):
        channel = frame["channel"].isna() if value[0] is None else frame["channel"] == value[0]
        rows = frame[channel & (frame["plan"] == value[1])]
        expected = lm.cohort_retention(rows, customer="user", time="when", observation_end=end)
        _assert_same_table(table, expected)
    long = result.to_frame()
    columns = ["channel", "plan", "cohort", "size", "period", "customers", "rate"]
    assert list(long.columns) == columns
    assert long.shape[0] == sum(int((~np.isnan(t.rates)).sum()) for t in result.tables)
    np.testing.assert_allclose(long["rate"], long["customers"] / long["size"])


def test_a_customer_in_two_segments_counts_in_each() -> None:
    days = np.array(["2024-01-03", "2024-02-07", "2024-02-10"], dtype="datetime64[D]")
    result = lm.cohort_retention(["a", "a", "a"], time=days, by=["web", "app", "web"])
    np.testing.assert_array_equal(result.table("app").cohorts, [np.datetime64("2024-02-01")])
    np.testing.assert_allclose(result.table("web").rates, [[1.0, 1.0]])
    assert result.n_customers == 2
    with pytest.raises(ValueError, match="`segment` 'shop' is not one of the segments"):
        result.table("shop")


@pytest.mark.parametrize("method", sorted(_STATSMODELS))
@pytest.mark.parametrize("kind", ["classic", "unbounded"])
def test_cell_intervals_equal_statsmodels(method: str, kind: str) -> None:
    frame = _log(5)
    table = lm.cohort_retention(frame, customer="user", time="when", kind=kind)
    interval = table.confidence_interval(0.9, method=method)
    for row in range(table.sizes.shape[0]):
        for offset in range(table.rates.shape[1]):
            if np.isnan(table.rates[row, offset]):
                assert np.isnan(interval.low[row, offset])
                assert np.isnan(interval.high[row, offset])
                continue
            low, high = proportion_confint(
                table.counts[row, offset],
                table.sizes[row],
                alpha=0.1,
                method=_STATSMODELS[method],
            )
            np.testing.assert_allclose(
                [interval.low[row, offset], interval.high[row, offset]],
                np.clip([low, high], 0.0, 1.0),
                atol=1e-10,
            )
    long = interval.to_frame()
    assert list(long.columns) == ["cohort", "period", "rate", "low", "high"]
    if method != "jeffreys":
        # statsmodels' Jeffreys interval (equal tails) excludes 0 for 0 successes (and 1
        # for n of n), so only the other methods always contain the rate.
        assert (long["low"] <= long["rate"]).all()
        assert (long["rate"] <= long["high"]).all()
    assert interval.method == method
    assert interval.confidence_level == 0.9


def test_interval_options_are_checked_and_segment_tables_have_intervals() -> None:
    frame = _log(6, n=300)
    table = lm.cohort_retention(frame, customer="user", time="when")
    with pytest.raises(ValueError, match="`method`"):
        table.confidence_interval(method="bayes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`confidence_level`"):
        table.confidence_interval(1.5)
    segments = lm.cohort_retention(frame, customer="user", time="when", by="channel")
    web = segments.table("web").confidence_interval()
    assert web.low.shape == segments.table("web").rates.shape


def test_by_must_not_be_the_customer_or_time_column() -> None:
    frame = _log(7, n=50)
    with pytest.raises(ValueError, match="`by` must not include the customer or time column"):
        lm.cohort_retention(frame, customer="user", time="when", by="user")
