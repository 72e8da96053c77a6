"""The period vocabulary: one index per period, the same in numpy and in every engine."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from engines import ENGINES, as_engine
from hypothesis import given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._engine import _frames, _periods

# Worked by hand from a calendar: 1970-01-01 was a Thursday, so week 0 runs
# from Monday 1969-12-29 to Sunday 1970-01-04 and 1970-01-05 opens week 1;
# 2024-02-29 is 54 years and 1 month after January 1970 (month 649, quarter
# 216, year 54) and 19_782 days after 1970-01-01 (Python's date arithmetic).
HAND = [
    ("1969-12-29T00:00", {"hour": -72, "day": -3, "week": 0, "month": -1, "quarter": -1}),
    ("1970-01-01T05:00", {"hour": 5, "day": 0, "week": 0, "month": 0, "quarter": 0, "year": 0}),
    ("1970-01-05T00:00", {"day": 4, "week": 1, "month": 0}),
    ("2024-02-29T13:00", {"day": 19_782, "month": 649, "quarter": 216, "year": 54}),
]


def test_period_indices_by_hand() -> None:
    assert (datetime.date(2024, 2, 29) - datetime.date(1970, 1, 1)).days == 19_782
    for stamp, expected in HAND:
        value = np.array([stamp], dtype="datetime64[m]")
        for period, index in expected.items():
            assert _periods.period_index(value, period).tolist() == [index], (stamp, period)  # type: ignore[arg-type]
    assert _periods.period_index(
        np.array(["1970-01-05"], "datetime64[D]"), 2, origin=1
    ).tolist() == [1]


def test_period_starts_invert_the_index() -> None:
    days = np.arange(-800, 20_000, 37).astype("datetime64[D]")
    for period in ("day", "week", "month", "quarter", "year"):
        index = _periods.period_index(days, period)
        start = _periods.period_start(index, period)
        assert (start <= days).all()
        assert (_periods.period_index(start, period) == index).all()
    weeks = _periods.period_start(_periods.period_index(days, "week"), "week")
    # numpy counts weekdays from Thursday 1970-01-01: Monday is 4 days later mod 7.
    assert set(((weeks.astype(np.int64) - 4) % 7).tolist()) == {0}
    hours = np.array(["2024-03-31T23:30"], dtype="datetime64[m]")
    assert _periods.period_start(_periods.period_index(hours, "hour"), "hour")[0] == np.datetime64(
        "2024-03-31T23", "h"
    )


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.datetimes(
            min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 12, 31)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_engine_expression_equals_numpy(stamps: list[datetime.datetime]) -> None:
    frame = pd.DataFrame({"t": pd.to_datetime(stamps)})
    values = frame["t"].to_numpy()
    for engine in ("polars", "duckdb"):
        table = _frames.as_table(as_engine(engine, frame), data_role="t", roles={"t": "t"})
        for period in _periods.PERIODS:
            derived = _frames.derive(
                table,
                {
                    "p": lambda ops, period=period: _periods.period_expression(
                        ops.nw, ops.nw.col("t"), period
                    )
                },
            )
            grouped = _frames.group_aggregate(derived, ["p"], {"n": ("len", None)})
            expected = np.unique(_periods.period_index(values, period))
            assert sorted(grouped.keys["p"].tolist()) == expected.tolist(), (engine, period)


# DuckDB's TIMESTAMP WITH TIME ZONE holds instants without a zone of their own
# (shown in the session's zone), and narwhals reads its type as Unknown: it is
# refused as not a datetime (see the module docstring of ``_engine._periods``).
@pytest.mark.parametrize("engine", [engine for engine in ENGINES if engine != "duckdb"])
def test_time_zones_count_in_their_own_wall_clock_time(engine: str) -> None:
    # 23:30 on 31 March in Paris is 21:30 UTC: in March on the wall clock, and
    # in the same month as the naive wall-clock times of the arrays.
    wall = pd.to_datetime(["2024-03-31 23:30", "2024-04-01 00:30", "2024-04-30 23:59"])
    frame = pd.DataFrame({"who": ["a", "a", "b"], "at": wall.tz_localize("Europe/Paris")})
    expected = lm.cohort_retention(np.array(["a", "a", "b"]), time=wall.to_numpy())
    table = lm.cohort_retention(as_engine(engine, frame), customer="who", time="at")
    # a starts in March (UTC would say March too, but 00:30 on 1 April in Paris is
    # 22:30 UTC on 31 March: UTC would put a's second visit in March).
    cohorts = np.array(["2024-03-01", "2024-04-01"], "datetime64[D]")
    np.testing.assert_array_equal(table.cohorts, cohorts)
    np.testing.assert_array_equal(table.counts, [[1, 1], [1, 0]])
    np.testing.assert_array_equal(table.counts, expected.counts)
    np.testing.assert_array_equal(table.cohorts, expected.cohorts)


def test_bad_period_names() -> None:
    with pytest.raises(ValueError, match="`period` must be one of 'hour', 'day'"):
        _periods.check_period("D")
    with pytest.raises(TypeError, match="`period` must be one of"):
        _periods.check_period(7)
    with pytest.raises(ValueError, match="`observation_end` must not be missing"):
        _periods.day_of(np.datetime64("NaT", "D"), name="observation_end")
