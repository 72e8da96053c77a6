"""Cohort retention tables: a hand-built log, a brute-force reference, every engine.

References: the tables below worked by hand from the log; a brute-force
implementation written here with Python dates and loops (independent of the
library's period arithmetic); the same table from pandas, polars (eager and
lazy), pyarrow, Dask and DuckDB input.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")
duckdb = pytest.importorskip("duckdb")

NAN = np.nan
# Customer A: Jan 3, Jan 20, Mar 15 -> cohort Jan, active Jan and Mar.
# B: Jan 31, Feb 1 -> Jan, active Jan, Feb.   C: Jan 10 -> Jan, Jan only.
# D: Feb 14, Apr 2 -> Feb, active Feb, Apr.   E: Feb 28 -> Feb only.
# F: Apr 30 -> Apr (the last activity: observation ends in April).
LOG = pd.DataFrame(
    {
        "customer": ["A", "A", "A", "B", "B", "C", "D", "D", "E", "F"],
        "day": pd.to_datetime(
            [
                "2024-01-03",
                "2024-01-20",
                "2024-03-15",
                "2024-01-31",
                "2024-02-01",
                "2024-01-10",
                "2024-02-14",
                "2024-04-02",
                "2024-02-28",
                "2024-04-30",
            ]
        ),
    }
)
# Classic: Jan cohort (A, B, C) active in Feb: B; Mar: A; Apr: nobody (a true 0).
# Feb cohort (D, E) in Mar: nobody; Apr: D; May is after April: not observable.
CLASSIC = [[1, 1 / 3, 1 / 3, 0], [1, 0, 1 / 2, NAN], [1, NAN, NAN, NAN]]
CLASSIC_COUNTS = [[3, 1, 1, 0], [2, 0, 1, 0], [1, 0, 0, 0]]
# Unbounded: last months A Mar, B Feb, C Jan, D Apr, E Feb, F Apr.
# Jan cohort active in Feb or later: A, B; Mar or later: A; Apr or later: nobody.
UNBOUNDED = [[1, 2 / 3, 1 / 3, 0], [1, 1 / 2, 1 / 2, NAN], [1, NAN, NAN, NAN]]


def test_hand_built_log_classic_and_unbounded() -> None:
    classic = lm.cohort_retention(LOG, customer="customer", time="day")
    np.testing.assert_array_equal(
        classic.cohorts, np.array(["2024-01-01", "2024-02-01", "2024-04-01"], dtype="datetime64[D]")
    )
    np.testing.assert_array_equal(classic.sizes, [3, 2, 1])
    np.testing.assert_array_equal(classic.counts, CLASSIC_COUNTS)
    np.testing.assert_allclose(classic.rates, CLASSIC, equal_nan=True)
    assert classic.rates[0, 3] == 0.0  # observed, nobody active
    assert np.isnan(classic.rates[1, 3])  # May: not observable yet
    assert classic.observation_end == np.datetime64("2024-04-30")
    assert (classic.n_customers, classic.kind, classic.period) == (6, "classic", "month")
    unbounded = lm.cohort_retention(LOG, customer="customer", time="day", kind="unbounded")
    np.testing.assert_allclose(unbounded.rates, UNBOUNDED, equal_nan=True)
    np.testing.assert_array_equal(unbounded.sizes, [3, 2, 1])


def test_observation_end_cuts_and_extends() -> None:
    # Ending on Mar 31 drops April's activity (D's second visit and F).
    cut = lm.cohort_retention(LOG, customer="customer", time="day", observation_end="2024-03-31")
    np.testing.assert_allclose(cut.rates, [[1, 1 / 3, 1 / 3], [1, 0, NAN]], equal_nan=True)
    cut_unbounded = lm.cohort_retention(
        LOG, customer="customer", time="day", kind="unbounded", observation_end=dt.date(2024, 3, 31)
    )
    np.testing.assert_allclose(
        cut_unbounded.rates, [[1, 2 / 3, 1 / 3], [1, 0, NAN]], equal_nan=True
    )
    # Ending in June makes May and June observable: zeros, not NaN.
    extended = lm.cohort_retention(
        LOG, customer="customer", time="day", observation_end=np.datetime64("2024-06-30")
    )
    np.testing.assert_allclose(
        extended.rates,
        [[1, 1 / 3, 1 / 3, 0, 0, 0], [1, 0, 1 / 2, 0, 0, NAN], [1, 0, 0, NAN, NAN, NAN]],
        equal_nan=True,
    )


def test_week_quarter_day_and_fixed_periods_by_hand() -> None:
    days = np.array(
        ["2024-01-01", "2024-01-07", "2024-01-08", "2024-01-07", "2024-03-31", "2024-04-01"],
        dtype="datetime64[D]",
    )
    ids = ["x", "x", "x", "y", "z", "z"]
    # Weeks start on Monday 2024-01-01: x (Jan 1, Jan 7) and y (Jan 7) share week 0;
    # x is back in week 1 (Jan 8). z starts in the week of Monday Mar 25.
    weekly = lm.cohort_retention(ids, time=days, period="week")
    np.testing.assert_array_equal(
        weekly.cohorts, np.array(["2024-01-01", "2024-03-25"], dtype="datetime64[D]")
    )
    np.testing.assert_array_equal(weekly.sizes, [2, 1])
    assert weekly.rates[0, 1] == 0.5
    assert weekly.rates[1, 1] == 1.0  # Apr 1 is the next week
    # Quarters: z is active in Q1 (Mar 31) and Q2 (Apr 1).
    quarterly = lm.cohort_retention(ids, time=days, period="quarter")
    np.testing.assert_array_equal(
        quarterly.cohorts, np.array(["2024-01-01"], dtype="datetime64[D]")
    )
    np.testing.assert_allclose(quarterly.rates, [[1, 1 / 3]])
    # Days: x on day 0, 6, 7; y on day 6.
    daily = lm.cohort_retention(ids, time=days, period="day")
    assert daily.rates.shape == (3, 92)  # cohorts Jan 1, Jan 7, Mar 31; Jan 1 .. Apr 1
    np.testing.assert_array_equal(daily.rates[0, [1, 6, 7]], [0.0, 1.0, 1.0])
    # Blocks of 7 days from the first activity (Monday Jan 1): the same as weeks here.
    blocks = lm.cohort_retention(ids, time=days, period=7)
    np.testing.assert_allclose(blocks.rates, weekly.rates, equal_nan=True)
    # Blocks of 3 days from Jan 5 in a log that starts on a Friday.
    shifted = lm.cohort_retention(
        ["p", "p", "q"],
        time=np.array(["2024-01-05", "2024-01-08", "2024-01-07"], "datetime64[D]"),
        period=3,
    )
    np.testing.assert_array_equal(shifted.cohorts, np.array(["2024-01-05"], dtype="datetime64[D]"))
    np.testing.assert_allclose(shifted.rates, [[1, 0.5]])  # Jan 8 opens block 1 (Jan 8-10)


def brute_force(ids, days, period, kind, end=None):
    """Cohort counts with Python dates and loops: the period function and {first: counts}."""

    def index(day: dt.date) -> int:
        if period == "day":
            return day.toordinal()
        if period == "week":
            return (day.toordinal() - 1) // 7  # date(1, 1, 1) was a Monday
        if period == "month":
            return day.year * 12 + day.month - 1
        if period == "quarter":
            return day.year * 4 + (day.month - 1) // 3
        return (day.toordinal() - min(days).toordinal()) // period

    end_index = index(end if end is not None else max(days))
    active: dict[object, set[int]] = {}
    for customer, day in zip(ids, days, strict=True):
        if index(day) <= end_index:
            active.setdefault(customer, set()).add(index(day))
    table: dict[int, list[int]] = {}
    for periods in active.values():
        first, last = min(periods), max(periods)
        row = table.setdefault(first, [0] * (end_index - first + 1))
        for k in range(end_index - first + 1):
            hit = (first + k in periods) if kind == "classic" else (last >= first + k)
            row[k] += hit
    return index, table


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", 10])
@pytest.mark.parametrize("kind", ["classic", "unbounded"])
def test_against_brute_force(period, kind) -> None:
    rng = np.random.default_rng(3)
    n = 600
    ids = rng.integers(0, 80, n)
    start = dt.date(2023, 11, 20).toordinal()
    days = [dt.date.fromordinal(start + int(d)) for d in rng.integers(0, 200, n)]
    for end in (None, dt.date(2024, 4, 1)):
        index, expected = brute_force(ids.tolist(), days, period, kind, end)
        table = lm.cohort_retention(
            ids,
            time=np.array(days, dtype="datetime64[D]"),
            period=period,
            kind=kind,
            observation_end=end,
        )
        assert len(table.sizes) == len(expected)
        for row, (first, counts) in enumerate(sorted(expected.items())):
            assert index(table.cohorts[row].astype(object)) == first
            assert table.sizes[row] == counts[0]
            np.testing.assert_array_equal(table.counts[row, : len(counts)], counts)
            assert np.all(np.isnan(table.rates[row, len(counts) :]))
            np.testing.assert_allclose(
                table.rates[row, : len(counts)], np.array(counts) / counts[0]
            )


def random_log(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
    hours = pd.to_timedelta(rng.integers(0, 24, n), unit="h")
    return pd.DataFrame(
        {"user": [f"u{i:03d}" for i in rng.integers(0, 300, n)], "when": days + hours}
    )


def as_engine(frame: pd.DataFrame, engine: str):
    if engine == "pandas":
        return frame
    if engine == "polars":
        return pl.from_pandas(frame)
    if engine == "polars-lazy":
        return pl.from_pandas(frame).lazy()
    if engine == "polars-date":
        return pl.from_pandas(frame).with_columns(pl.col("when").dt.date())
    if engine == "pyarrow":
        return pa.Table.from_pandas(frame, preserve_index=False)
    if engine == "dask":
        return dd.from_pandas(frame, npartitions=3)
    assert engine == "duckdb"
    return duckdb.connect().from_arrow(pa.Table.from_pandas(frame, preserve_index=False))


@pytest.mark.parametrize(
    "engine", ["pandas", "polars", "polars-lazy", "polars-date", "pyarrow", "dask", "duckdb"]
)
@pytest.mark.parametrize("kind", ["classic", "unbounded"])
def test_every_engine_gives_the_array_table(engine: str, kind: str) -> None:
    frame = random_log(1)
    expected = lm.cohort_retention(
        frame["user"].to_numpy(), time=frame["when"].to_numpy(), kind=kind, period="week"
    )
    table = lm.cohort_retention(
        as_engine(frame, engine), customer="user", time="when", kind=kind, period="week"
    )
    np.testing.assert_array_equal(table.cohorts, expected.cohorts)
    np.testing.assert_array_equal(table.sizes, expected.sizes)
    np.testing.assert_array_equal(table.counts, expected.counts)
    np.testing.assert_allclose(table.rates, expected.rates, equal_nan=True)
    assert table.observation_end == expected.observation_end


@pytest.mark.parametrize("engine", ["polars-lazy", "duckdb"])
def test_lazy_engines_with_observation_end_and_fixed_blocks(engine: str) -> None:
    frame = random_log(2, n=800)
    end = "2024-09-15"
    expected = lm.cohort_retention(
        frame["user"], time=frame["when"], period=14, observation_end=end
    )
    table = lm.cohort_retention(
        as_engine(frame, engine), customer="user", time="when", period=14, observation_end=end
    )
    np.testing.assert_array_equal(table.cohorts, expected.cohorts)
    np.testing.assert_array_equal(table.counts, expected.counts)


@settings(max_examples=25)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 120)), min_size=1, max_size=30),
    st.sampled_from(["day", "week", "month", 5]),
    st.sampled_from(["classic", "unbounded"]),
)
def test_properties(rows, period, kind) -> None:
    ids = [r[0] for r in rows]
    days = np.datetime64("2024-02-20") + np.array([r[1] for r in rows])
    table = lm.cohort_retention(ids, time=days, period=period, kind=kind)
    assert table.sizes.sum() == len(set(ids))
    np.testing.assert_array_equal(table.rates[:, 0], 1.0)
    observed = ~np.isnan(table.rates)
    assert np.all((table.rates[observed] >= 0) & (table.rates[observed] <= 1))
    # The unobservable cells form the lower-right triangle: NaN stays NaN along a row.
    assert np.all(np.diff(observed.astype(int), axis=1) <= 0)
    if kind == "unbounded":
        assert np.all(np.diff(np.where(observed, table.rates, 0), axis=1) <= 1e-15)
    # Row order of the log does not matter.
    order = np.argsort([r[1] * 7 + r[0] for r in rows], kind="stable")[::-1]
    again = lm.cohort_retention(np.array(ids)[order], time=days[order], period=period, kind=kind)
    np.testing.assert_array_equal(again.counts, table.counts)


def test_to_frame_and_display() -> None:
    table = lm.cohort_retention(LOG, customer="customer", time="day")
    frame = table.to_frame()
    assert list(frame.columns) == ["cohort", "size", "0", "1", "2", "3"]
    np.testing.assert_allclose(frame[["0", "1", "2", "3"]].to_numpy(), CLASSIC, equal_nan=True)
    assert table.to_frame(backend="polars").shape == (3, 6)
    assert repr(table).startswith("CohortTable(period='month', kind='classic', n_customers=6")
    assert "<table>" in table._repr_html_()


def test_inputs_are_not_mutated_and_series_work() -> None:
    before = LOG.copy()
    series = lm.cohort_retention(LOG["customer"], time=LOG["day"])
    pd.testing.assert_frame_equal(LOG, before)
    np.testing.assert_allclose(series.rates, CLASSIC, equal_nan=True)
    objects = lm.cohort_retention(
        ["a", "a"], time=[dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 2, 1, 9)]
    )
    np.testing.assert_allclose(objects.rates, [[1, 1]])


def test_transactions_dataset() -> None:
    from loyaltymetrics.datasets import load_transactions

    log = load_transactions(as_frame="polars")
    table = lm.cohort_retention(log, customer="customer_id", time="date", period="quarter")
    assert table.n_customers == 800
    assert table.observation_end == np.datetime64("2025-12-30")
    # Eight quarters 2024Q1 .. 2025Q4; cohorts are the quarters of first purchases.
    first = log.group_by("customer_id").agg(pl.col("date").min())["date"]
    quarters = sorted({(d.year, (d.month - 1) // 3) for d in first.to_list()})
    assert table.rates.shape == (len(quarters), 8)
    np.testing.assert_array_equal(
        table.sizes,
        [sum(1 for d in first.to_list() if (d.year, (d.month - 1) // 3) == q) for q in quarters],
    )


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (LOG, {"customer": "who", "time": "day"}, ValueError, "not in `data`"),
        (LOG, {"time": "day"}, TypeError, "`customer` must name"),
        (LOG, {"customer": "customer", "time": "customer"}, TypeError, "dates or datetimes"),
        (LOG, {"customer": "customer", "time": "day", "period": "hour"}, ValueError, "`period`"),
        (LOG, {"customer": "customer", "time": "day", "period": 0}, ValueError, "at least 1"),
        (LOG, {"customer": "customer", "time": "day", "period": 2.5}, TypeError, "`period`"),
        (LOG, {"customer": "customer", "time": "day", "kind": "rolling"}, ValueError, "`kind`"),
        (
            LOG,
            {"customer": "customer", "time": "day", "observation_end": "2023-12-31"},
            ValueError,
            "before the first activity",
        ),
        (
            LOG,
            {"customer": "customer", "time": "day", "observation_end": 5},
            TypeError,
            "`observation_end`",
        ),
        (["a"], {"customer": "c", "time": ["2024-01-01"]}, TypeError, "`customer` names a column"),
        (["a", "b"], {"time": np.array(["2024-01-01"], "datetime64[D]")}, ValueError, "length"),
        (["a"], {"time": np.array([1.0])}, TypeError, "dates or datetimes"),
        (["a"], {"time": np.array(["NaT"], "datetime64[D]")}, ValueError, "missing value"),
        ([None], {"time": np.array(["2024-01-01"], "datetime64[D]")}, ValueError, "missing"),
        ([], {"time": np.array([], "datetime64[D]")}, ValueError, "at least one activity"),
    ],
)
def test_bad_input(data, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.cohort_retention(data, **kwargs)


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_missing_values_in_frames_are_errors(engine: str) -> None:
    frame = LOG.copy()
    frame.loc[2, "customer"] = None
    with pytest.raises(ValueError, match="`customer` column 'customer' has 1 missing values"):
        lm.cohort_retention(as_engine(frame, engine), customer="customer", time="day")
    frame = LOG.copy()
    frame.loc[4, "day"] = pd.NaT
    with pytest.raises(ValueError, match="`time` column 'day' has 1 missing values"):
        lm.cohort_retention(as_engine(frame, engine), customer="customer", time="day")
    with pytest.raises(ValueError, match="at least one activity"):
        lm.cohort_retention(as_engine(LOG.iloc[:0], engine), customer="customer", time="day")


def test_sparse_cell_count_gives_the_dense_table(monkeypatch) -> None:
    from loyaltymetrics._engine import _keys

    frame = random_log(4, n=500)
    dense = lm.cohort_retention(frame["user"], time=frame["when"], period="day")
    # Every key and every combination of keys hashed: no offset codes, no dense count.
    monkeypatch.setattr(_keys, "_DENSE_MINIMUM", 0)
    monkeypatch.setattr(_keys, "_DENSE_FACTOR", 0)
    for kind in ("classic", "unbounded"):
        sparse = lm.cohort_retention(frame["user"], time=frame["when"], period="day", kind=kind)
        expected = lm.cohort_retention(
            as_engine(frame, "polars"), customer="user", time="when", period="day", kind=kind
        )
        np.testing.assert_array_equal(sparse.counts, expected.counts)
        if kind == "classic":
            np.testing.assert_array_equal(sparse.counts, dense.counts)


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", 7, 9])
@pytest.mark.parametrize("end", [None, "2024-03-10"])
def test_polars_value_sets_give_the_array_table(monkeypatch, period, end) -> None:
    # On polars, "classic" collects each customer's first period and set of
    # periods as a bit mask when the log spans at most 64 periods (here:
    # weeks, months, quarters, blocks of 7 and 9 days over 400 days; days
    # span more and take the distinct-pairs plan). Both must give the table
    # of the array path.
    from loyaltymetrics._engine import _frames

    taken: list[bool] = []
    count = _frames.count_distinct_by_group_min

    def spy(*args, **kwargs):
        result = count(*args, **kwargs)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(_frames, "count_distinct_by_group_min", spy)
    frame = random_log(4, n=1500)
    expected = lm.cohort_retention(
        frame["user"].to_numpy(), time=frame["when"].to_numpy(), period=period, observation_end=end
    )
    assert taken == [False]  # arrays count their distinct pairs in numpy
    taken.clear()
    for data in (pl.from_pandas(frame), pl.from_pandas(frame).lazy()):
        table = lm.cohort_retention(
            data, customer="user", time="when", period=period, observation_end=end
        )
        np.testing.assert_array_equal(table.cohorts, expected.cohorts)
        np.testing.assert_array_equal(table.counts, expected.counts)
    assert taken == [table.counts.shape[1] <= 64] * 2


def test_value_sets_by_key_equal_the_distinct_pairs_plan() -> None:
    # The two plans of _frames on one polars table, with a segment key that
    # is sometimes missing: the same counts per (segment, first, value).
    from loyaltymetrics._engine import _frames

    rng = np.random.default_rng(5)
    n = 2000
    frame = pl.DataFrame(
        {
            "who": rng.integers(0, 150, n),
            "segment": pl.Series(rng.choice(["a", "b", None], n).tolist(), dtype=pl.String),
            "value": rng.integers(3, 40, n),
        }
    )
    table = _frames.as_table(frame, data_role="who", roles={"who": "who"}, key_roles=("who",))
    keys = ["segment", "who"]
    fast = _frames.count_distinct_by_group_min(
        table, keys, "value", keep=["segment"], low=3, high=39, minimum="first", count="rows"
    )
    assert fast is not None
    pairs = _frames.group_table(table, [*keys, "value"], {})
    pairs = _frames.with_group_min(pairs, keys, "value", "first")
    slow = _frames.group_aggregate(pairs, ["segment", "first", "value"], {"rows": ("len", None)})

    def cells(grouped):
        rows = zip(
            *(grouped.keys[name].tolist() for name in ("segment", "first", "value")),
            grouped.values["rows"].tolist(),
            strict=True,
        )
        return sorted(rows, key=repr)

    assert cells(fast) == cells(slow)
    assert sum(row[-1] for row in cells(fast)) == frame.unique(["segment", "who", "value"]).height
