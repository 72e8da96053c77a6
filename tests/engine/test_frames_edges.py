"""Hostile frames at the shared frame entry point (regressions found by the fuzz test)."""

from __future__ import annotations

import pandas as pd
import pytest

import loyaltymetrics as lm

DUPLICATED = pd.DataFrame([[1, "2020-01-01", 2.0, 9]], columns=["c", "t", "c", "s"])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lm.rfm_summary(DUPLICATED, customer="c", time="t"), "transactions"),
        (lambda: lm.by_segment(DUPLICATED, score="s", by="c"), "data"),
        (lambda: lm.cohort_retention(DUPLICATED, customer="c", time="t"), "data"),
        (
            lambda: lm.customer_durations(DUPLICATED, customer="c", time="t", churn_after=3),
            "transactions",
        ),
        (lambda: lm.kaplan_meier(DUPLICATED, duration="s"), "durations"),
    ],
)
def test_duplicated_column_names_name_the_frame_argument(call, argument) -> None:
    with pytest.raises(ValueError, match=f"`{argument}` must have unique column names"):
        call()


def test_missing_customer_ids_name_the_customer_argument() -> None:
    frame = pd.DataFrame({"c": [1, None], "t": pd.to_datetime(["2020-01-01", "2020-01-02"])})
    with pytest.raises(ValueError, match="`customer`: customer ids in column 'c'"):
        lm.rfm_summary(frame, customer="c", time="t")
    with pytest.raises(ValueError, match="`customer`: customer ids in column 'c'"):
        lm.customer_durations(frame, customer="c", time="t", churn_after=3)


def _pyarrow_backed_log() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A log as numpy-backed columns, and the same as pandas' Arrow-backed dtypes."""
    import numpy as np

    rng = np.random.default_rng(11)
    n = 2000
    hours = rng.integers(0, 300 * 24, n).astype("timedelta64[h]")
    frame = pd.DataFrame(
        {
            "customer": [f"c{i}" for i in rng.integers(0, 200, n)],
            "time": np.datetime64("2024-01-01T00", "h") + hours,
            "score": rng.integers(0, 11, n),
            "spend": rng.gamma(2.0, 10.0, n),
            "region": rng.choice(["North", "South", "East"], n),
        }
    )
    return frame, frame.convert_dtypes(dtype_backend="pyarrow")


def test_pyarrow_backed_frames_give_the_numpy_backed_results() -> None:
    # pandas' Arrow-backed dtypes (read_parquet(dtype_backend="pyarrow")):
    # text keys, timestamps, integers and floats; every reduce must see the
    # same values as from the numpy-backed frame.
    import numpy as np

    frame, arrow = _pyarrow_backed_log()
    assert str(arrow["time"].dtype).startswith("timestamp[")  # an ArrowDtype
    for kind in ("classic", "unbounded"):
        expected = lm.cohort_retention(frame, customer="customer", time="time", kind=kind)
        got = lm.cohort_retention(arrow, customer="customer", time="time", kind=kind)
        np.testing.assert_array_equal(got.counts, expected.counts)
        np.testing.assert_array_equal(got.cohorts, expected.cohorts)
    expected_trend = lm.over_time(frame, score="score", time="time", period="month").table
    got_trend = lm.over_time(arrow, score="score", time="time", period="month").table
    assert got_trend["score"].tolist() == expected_trend["score"].tolist()
    assert got_trend["n"].tolist() == expected_trend["n"].tolist()
    expected_rfm = lm.rfm_summary(frame, customer="customer", time="time", value="spend")
    got_rfm = lm.rfm_summary(arrow, customer="customer", time="time", value="spend")
    for column in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(
            np.asarray(got_rfm[column], dtype=float), np.asarray(expected_rfm[column], dtype=float)
        )
    durations = {"customer": "customer", "time": "time", "churn_after": 30}
    expected_durations = lm.customer_durations(frame, **durations)
    got_durations = lm.customer_durations(arrow, **durations)
    np.testing.assert_array_equal(
        np.asarray(got_durations["duration"], dtype=float),
        np.asarray(expected_durations["duration"], dtype=float),
    )


def test_pyarrow_backed_zoned_and_date_columns_are_wall_clock_days() -> None:
    # A zoned Arrow timestamp counts in its wall-clock time, as a zoned
    # numpy-backed column does (23:30 in Paris on Jan 31 is in January,
    # though it is 22:30 UTC); Arrow dates are days; a missing time is an error.
    import datetime as dt

    import pyarrow as pa

    stamps = pd.to_datetime(["2024-01-31 23:30", "2024-02-01 00:30", "2024-01-15 12:00"])
    zoned = pd.DataFrame({"customer": ["a", "a", "b"], "time": stamps.tz_localize("Europe/Paris")})
    arrow_zoned = zoned.astype({"time": pd.ArrowDtype(pa.timestamp("us", tz="Europe/Paris"))})
    expected = lm.cohort_retention(zoned, customer="customer", time="time")
    got = lm.cohort_retention(arrow_zoned, customer="customer", time="time")
    assert got.counts.tolist() == expected.counts.tolist() == [[2, 1]]
    days = [dt.date(2024, 1, 31), dt.date(2024, 2, 1), dt.date(2024, 1, 15)]
    dated = pd.DataFrame(
        {"customer": ["a", "a", "b"], "time": pd.array(days, dtype=pd.ArrowDtype(pa.date32()))}
    )
    assert lm.cohort_retention(dated, customer="customer", time="time").counts.tolist() == [[2, 1]]
    missing = dated.astype({"time": pd.ArrowDtype(pa.date32())})
    missing.loc[1, "time"] = None
    with pytest.raises(ValueError, match="`time` column 'time' has 1 missing values"):
        lm.cohort_retention(missing, customer="customer", time="time")
