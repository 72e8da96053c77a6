"""customer_durations on hand-worked logs, and every engine against the numpy path."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import loyaltymetrics as lm

# Hand-worked log, churn_after = 30, observation ends at day 100:
#   a: days 0, 10, 50, 60   gap 10 -> 40 >= 30: lapse after day 10  -> churned, 10
#   b: days 5, 30, 55, 80   gaps 25, 25, 25; 100 - 80 = 20 < 30     -> censored, 95
#   c: day 90 only          100 - 90 = 10 < 30                      -> censored, 10
#   d: days 20, 20, 40      gap 0, 20; 100 - 40 = 60 >= 30          -> churned, 20
#   e: day 0 and day 30     gap exactly 30 counts as a lapse        -> churned, 0
#   f: day 120 (after the end): left out
LOG = {
    "id": np.array(list("aaaabbbbcdddeef")),
    "day": np.array([0, 10, 50, 60, 5, 30, 55, 80, 90, 20, 20, 40, 0, 30, 120]),
}
EXPECTED_IDS = ["a", "b", "c", "d", "e"]
EXPECTED_DURATION = [10.0, 95.0, 10.0, 20.0, 0.0]
EXPECTED_CHURNED = [True, False, False, True, True]


def test_hand_worked_log() -> None:
    out = lm.customer_durations(LOG, customer="id", time="day", churn_after=30, observation_end=100)
    assert out["id"].tolist() == EXPECTED_IDS
    np.testing.assert_array_equal(out["duration"], EXPECTED_DURATION)
    np.testing.assert_array_equal(out["churned"], EXPECTED_CHURNED)


def test_default_end_is_the_last_purchase() -> None:
    # Last purchase at day 120 (customer f): b is now 40 days past day 80 -> churned at 80.
    out = lm.customer_durations(LOG, customer="id", time="day", churn_after=30)
    assert out["id"].tolist() == [*EXPECTED_IDS, "f"]
    np.testing.assert_array_equal(out["duration"], [10.0, 75.0, 0.0, 20.0, 0.0, 0.0])
    np.testing.assert_array_equal(out["churned"], [True, True, True, True, True, False])


def test_dates_and_timedeltas() -> None:
    start = np.datetime64("2025-01-01")
    log = {"id": LOG["id"], "day": start + LOG["day"].astype("timedelta64[D]")}
    end = start + np.timedelta64(100, "D")
    for churn_after in (30, datetime.timedelta(days=30), np.timedelta64(30, "D")):
        out = lm.customer_durations(
            log, customer="id", time="day", churn_after=churn_after, observation_end=str(end)
        )
        np.testing.assert_array_equal(out["duration"], EXPECTED_DURATION)
        np.testing.assert_array_equal(out["churned"], EXPECTED_CHURNED)


@pytest.mark.parametrize("backend", ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb"])
@pytest.mark.parametrize("dates", [False, True])
def test_frames_equal_the_numpy_path(backend: str, dates: bool) -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    n = 2000
    ids = rng.integers(0, 150, n)
    days = rng.integers(0, 365, n)
    data = pd.DataFrame({"customer": ids, "day": days})
    end: object = 300
    if dates:
        data["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(data["day"], unit="D")
        end = datetime.date(2024, 1, 1) + datetime.timedelta(days=300)
    expected = lm.customer_durations(
        {"customer": ids, "day": data["day"].to_numpy()},
        customer="customer",
        time="day",
        churn_after=45,
        observation_end=end,
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
    out = lm.customer_durations(
        frame, customer="customer", time="day", churn_after=45, observation_end=end
    )
    import narwhals.stable.v2 as nw

    table = nw.from_native(out, eager_only=True)
    np.testing.assert_array_equal(table["customer"].to_numpy(), expected["customer"])
    np.testing.assert_allclose(table["duration"].to_numpy(), expected["duration"])
    np.testing.assert_array_equal(table["churned"].to_numpy(), expected["churned"])


def test_feeds_kaplan_meier() -> None:
    out = lm.customer_durations(LOG, customer="id", time="day", churn_after=30, observation_end=100)
    curve = lm.kaplan_meier(out["duration"], out["churned"])
    assert curve.n == 5
    assert curve.n_events == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"churn_after": 0}, ValueError, "`churn_after` must be positive"),
        ({"churn_after": "30"}, TypeError, "`churn_after` must be a number"),
        ({"churn_after": True}, TypeError, "`churn_after` must be a number"),
        ({"churn_after": 5, "observation_end": "2025-01-01"}, TypeError, "`observation_end`"),
        ({"churn_after": 5, "observation_end": -1}, ValueError, "no purchase falls before"),
        ({"churn_after": 5, "customer": "who"}, ValueError, "no column 'who'"),
        ({"churn_after": 5, "time": 3}, TypeError, "`time` must be a column name"),
    ],
)
def test_bad_input(kwargs, error, match) -> None:
    arguments = {"customer": "id", "time": "day", **kwargs}
    with pytest.raises(error, match=match):
        lm.customer_durations(LOG, **arguments)


def test_missing_values_and_types() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="must not contain missing times"):
        lm.customer_durations(
            pd.DataFrame({"id": [1, 2], "day": [1.0, None]}),
            customer="id",
            time="day",
            churn_after=5,
        )
    with pytest.raises(TypeError, match="must hold dates, datetimes or numbers"):
        lm.customer_durations(
            pd.DataFrame({"id": [1, 2], "day": ["x", "y"]}),
            customer="id",
            time="day",
            churn_after=5,
        )
    with pytest.raises(TypeError, match="`transactions` must be a dataframe"):
        lm.customer_durations([1, 2], customer="id", time="day", churn_after=5)
