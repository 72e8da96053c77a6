"""Tests of rfm_summary and historical_clv (the reduce step of the CLV models).

Agreement with lifetimes' summary functions is in test_clv_lifetimes.py; here
are hand-worked examples, the equality of every engine's path with the numpy
path, and bad input.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions

# Customer 7: purchases on Mon 2025-01-06 (10 + 5, the same day), Wed 2025-01-08 (20),
# Mon 2025-01-13 (30). Customer 3: one purchase on Fri 2025-01-10 (8).
LOG = {
    "id": np.array([7, 7, 7, 3, 7]),
    "day": np.array(
        ["2025-01-06", "2025-01-06", "2025-01-08", "2025-01-10", "2025-01-13"],
        dtype="datetime64[D]",
    ),
    "amount": np.array([10.0, 5.0, 20.0, 8.0, 30.0]),
}


def test_daily_summary_by_hand() -> None:
    out = lm.rfm_summary(
        LOG, customer="id", time="day", value="amount", observation_end="2025-01-20"
    )
    np.testing.assert_array_equal(out["id"], [3, 7])
    # customer 7: purchase days 6, 8, 13 -> 2 repeat days; recency 13 - 6 = 7;
    # T = 20 - 6 = 14; repeat values 20 and 30 -> mean 25 (the first day, 10 + 5, excluded)
    np.testing.assert_array_equal(out["frequency"], [0, 2])
    np.testing.assert_array_equal(out["recency"], [0.0, 7.0])
    np.testing.assert_array_equal(out["T"], [10.0, 14.0])
    np.testing.assert_array_equal(out["monetary_value"], [0.0, 25.0])


def test_weekly_summary_by_hand() -> None:
    out = lm.rfm_summary(LOG, customer="id", time="day", value="amount", period="week")
    # weeks start on Monday: customer 7 buys in the weeks of Jan 6 (10 + 5 + 20)
    # and Jan 13 (30); observation ends in the week of Jan 13.
    np.testing.assert_array_equal(out["frequency"], [0, 1])
    np.testing.assert_array_equal(out["recency"], [0.0, 1.0])
    np.testing.assert_array_equal(out["T"], [1.0, 1.0])
    np.testing.assert_array_equal(out["monetary_value"], [0.0, 30.0])


def test_hourly_summary_and_numeric_times() -> None:
    log = {
        "id": ["a", "a", "a"],
        "at": np.array(["2025-01-01T10:15", "2025-01-01T10:45", "2025-01-01T13:05"], dtype="M8[m]"),
    }
    hourly = lm.rfm_summary(log, customer="id", time="at", period="hour")
    # hours 10 and 13: one repeat 3 hours after the first; observation ends in hour 13
    assert (hourly["frequency"][0], hourly["recency"][0], hourly["T"][0]) == (1, 3.0, 3.0)
    numeric = lm.rfm_summary(
        {"id": [1, 1, 1, 2], "week": [0, 0, 3, 1]}, customer="id", time="week", observation_end=5
    )
    np.testing.assert_array_equal(numeric["frequency"], [1, 0])
    np.testing.assert_array_equal(numeric["recency"], [3.0, 0.0])
    np.testing.assert_array_equal(numeric["T"], [5.0, 4.0])


def test_calibration_and_holdout_by_hand() -> None:
    out = lm.rfm_summary(
        LOG,
        customer="id",
        time="day",
        value="amount",
        calibration_end="2025-01-08",
        observation_end="2025-01-20",
    )
    # Customer 3 first buys after the calibration end: not included.
    np.testing.assert_array_equal(out["id"], [7])
    assert out["frequency_cal"][0] == 1
    assert out["recency_cal"][0] == 2.0
    assert out["T_cal"][0] == 2.0
    assert out["monetary_value_cal"][0] == 20.0
    assert out["frequency_holdout"][0] == 1
    assert out["monetary_value_holdout"][0] == 30.0
    assert out["duration_holdout"][0] == 12.0


def frames_of(data: pd.DataFrame) -> dict[str, object]:
    import dask.dataframe as dd

    connection = duckdb.connect()
    return {
        "pandas": data,
        "polars": pl.from_pandas(data),
        "polars-lazy": pl.from_pandas(data).lazy(),
        "pyarrow": pa.Table.from_pandas(data, preserve_index=False),
        "dask": dd.from_pandas(data, npartitions=3),
        "duckdb": connection.from_df(data),
    }


EXPECTED_TYPES = {
    "pandas": pd.DataFrame,
    "polars": pl.DataFrame,
    "polars-lazy": pl.DataFrame,
    "pyarrow": pa.Table,
    "dask": pd.DataFrame,
    "duckdb": pa.Table,
}


def as_columns(result: object) -> dict[str, np.ndarray]:
    if isinstance(result, dict):
        return {name: np.asarray(values) for name, values in result.items()}
    if isinstance(result, pa.Table):
        result = result.to_pandas()
    if isinstance(result, pl.DataFrame):
        result = result.to_pandas()
    assert isinstance(result, pd.DataFrame)
    return {name: result[name].to_numpy() for name in result.columns}


def assert_same(first: object, second: object) -> None:
    a, b = as_columns(first), as_columns(second)
    assert list(a) == list(b)
    for name in a:
        if a[name].dtype.kind in "fiu":
            np.testing.assert_allclose(a[name].astype(float), b[name].astype(float), rtol=1e-12)
        else:
            np.testing.assert_array_equal(a[name].astype(str), b[name].astype(str))


@pytest.mark.parametrize("engine", sorted(EXPECTED_TYPES))
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"period": "week", "observation_end": "2025-10-31"},
        {"calibration_end": "2025-06-30"},
    ],
    ids=["daily", "weekly", "holdout"],
)
def test_every_engine_agrees_with_the_numpy_path(engine: str, options: dict) -> None:
    arrays = load_transactions()
    frame = frames_of(pd.DataFrame(arrays))[engine]
    expected = lm.rfm_summary(
        arrays, customer="customer_id", time="date", value="amount", **options
    )
    result = lm.rfm_summary(frame, customer="customer_id", time="date", value="amount", **options)
    assert isinstance(result, EXPECTED_TYPES[engine])
    assert_same(result, expected)


@pytest.mark.parametrize("engine", sorted(EXPECTED_TYPES))
def test_historical_clv_every_engine(engine: str) -> None:
    arrays = load_transactions()
    frame = frames_of(pd.DataFrame(arrays))[engine]
    expected = lm.historical_clv(
        arrays, customer="customer_id", time="date", value="amount", discount_rate=0.001
    )
    result = lm.historical_clv(
        frame, customer="customer_id", time="date", value="amount", discount_rate=0.001
    )
    assert isinstance(result, EXPECTED_TYPES[engine])
    assert_same(result, expected)


def test_time_zones_are_dropped_for_wall_clock_time() -> None:
    naive = pd.DataFrame(
        {
            "id": [1, 1, 2],
            "at": pd.to_datetime(["2025-03-01 23:30", "2025-03-05 00:30", "2025-03-02 12:00"]),
        }
    )
    aware = naive.assign(at=naive["at"].dt.tz_localize("Europe/Paris"))
    assert_same(
        lm.rfm_summary(aware, customer="id", time="at"),
        lm.rfm_summary(naive, customer="id", time="at"),
    )


def test_dates_and_datetimes_in_frames() -> None:
    polars_dates = pl.DataFrame(
        {"id": ["x", "x"], "day": [dt.date(2025, 1, 1), dt.date(2025, 1, 4)]}
    )
    out = lm.rfm_summary(
        polars_dates, customer="id", time="day", observation_end=dt.date(2025, 1, 9)
    )
    assert out.to_dicts() == [{"id": "x", "frequency": 1, "recency": 3.0, "T": 8.0}]


logs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(1, 100)), min_size=1, max_size=40
)


@settings(max_examples=40)
@given(rows=logs, seed=st.integers(0, 1000))
def test_order_of_rows_does_not_matter(rows, seed) -> None:
    data = np.array(rows)
    order = np.random.default_rng(seed).permutation(len(rows))

    def summary(index):
        log = {"id": data[index, 0], "t": data[index, 1], "v": data[index, 2].astype(float)}
        return lm.rfm_summary(log, customer="id", time="t", value="v")

    assert_same(summary(np.arange(len(rows))), summary(order))


@settings(max_examples=25)
@given(rows=logs)
def test_pandas_path_equals_numpy_path(rows) -> None:
    data = np.array(rows)
    log = {"id": data[:, 0], "t": data[:, 1], "v": data[:, 2].astype(float)}
    assert_same(
        lm.rfm_summary(pd.DataFrame(log), customer="id", time="t", value="v"),
        lm.rfm_summary(log, customer="id", time="t", value="v"),
    )


def test_historical_clv_by_hand() -> None:
    out = lm.historical_clv(LOG, customer="id", time="day", value="amount", discount_rate=0.1)
    np.testing.assert_array_equal(out["id"], [3, 7])
    np.testing.assert_array_equal(out["purchases"], [1, 4])
    np.testing.assert_allclose(out["revenue"], [8.0, 65.0])
    # customer 7: 15 on day 0, 20 on day 2, 30 on day 7 (days since the first purchase)
    np.testing.assert_allclose(out["historical_clv"], [8.0, 15 + 20 / 1.1**2 + 30 / 1.1**7])
    undiscounted = lm.historical_clv(LOG, customer="id", time="day", value="amount")
    np.testing.assert_array_equal(undiscounted["historical_clv"], undiscounted["revenue"])


def test_inputs_are_not_modified() -> None:
    frame = pd.DataFrame(LOG)
    before = frame.copy()
    lm.rfm_summary(frame, customer="id", time="day", value="amount", calibration_end="2025-01-08")
    pd.testing.assert_frame_equal(frame, before)


def test_bad_inputs() -> None:
    frame = pd.DataFrame(LOG)
    with pytest.raises(ValueError, match="no column 'when'"):
        lm.rfm_summary(frame, customer="id", time="when")
    with pytest.raises(ValueError, match="no column 'when'"):
        lm.rfm_summary(LOG, customer="id", time="when")
    with pytest.raises(TypeError, match="`customer` must be a column name"):
        lm.rfm_summary(frame, customer=1, time="day")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`period` must be one of"):
        lm.rfm_summary(frame, customer="id", time="day", period="M")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`period` must be one of"):
        lm.rfm_summary(frame, customer="id", time="day", period="D")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`transactions` must be a dataframe"):
        lm.rfm_summary([1, 2, 3], customer="id", time="day")
    with pytest.raises(ValueError, match="`calibration_end` must be before"):
        lm.rfm_summary(frame, customer="id", time="day", calibration_end="2025-02-01")
    with pytest.raises(TypeError, match="`observation_end` must be a date"):
        lm.rfm_summary(frame, customer="id", time="day", observation_end=5)
    with pytest.raises(TypeError, match="`observation_end` must be a number"):
        lm.rfm_summary({"id": [1], "t": [2]}, customer="id", time="t", observation_end="2025-01-01")
    with pytest.raises(TypeError, match="must hold dates, datetimes or numbers"):
        lm.rfm_summary(frame.assign(day=frame["day"].astype(str)), customer="id", time="day")
    with pytest.raises(ValueError, match="must not contain missing values"):
        lm.rfm_summary(
            frame.assign(amount=[1.0, None, 2.0, 3.0, 4.0]),
            customer="id",
            time="day",
            value="amount",
        )
    with pytest.raises(ValueError, match="must not contain missing times"):
        lm.rfm_summary(frame.assign(day=[None, *frame["day"][1:]]), customer="id", time="day")
    with pytest.raises(ValueError, match="customer ids in column 'id' must not be missing"):
        lm.rfm_summary(frame.assign(id=[1.0, None, 1.0, 2.0, 2.0]), customer="id", time="day")
    with pytest.raises(ValueError, match="at least one transaction"):
        lm.rfm_summary(frame.iloc[:0], customer="id", time="day")
    with pytest.raises(ValueError, match="at least one transaction"):
        lm.rfm_summary({"id": [], "t": []}, customer="id", time="t")
    with pytest.raises(ValueError, match="`discount_rate` must be finite and >= 0"):
        lm.historical_clv(frame, customer="id", time="day", value="amount", discount_rate=-1)


@pytest.mark.parametrize("missing", ["customer", "time"])
def test_a_required_column_name_of_none_is_a_type_error(missing: str) -> None:
    # Found by the fuzz test: time=None on an empty pandas frame reached a raw
    # KeyError in the frame reduce.
    frame = pd.DataFrame({"c": [], "t": [], "v": []})
    names = {"customer": "c", "time": "t", missing: None}
    with pytest.raises(TypeError, match=f"`{missing}` must be a column name"):
        lm.rfm_summary(frame, **names)
    with pytest.raises(TypeError, match=f"`{missing}` must be a column name"):
        lm.historical_clv(frame, value="v", **names)
