"""Key codes by hashing or offset: the same groups as pandas' group-by, without sorting rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engines import ENGINES, as_engine
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._engine import _frames, _keys


def _groups(values: object) -> list[list[int]]:
    """Rows grouped by their code: the partition a factorization induces."""
    codes = _keys.factorize(values).codes
    out: dict[int, list[int]] = {}
    for row, code in enumerate(codes.tolist()):
        out.setdefault(code, []).append(row)
    return sorted(out.values())


@pytest.mark.parametrize(
    ("values", "keys"),
    [
        (np.array([3, 1, 3, 2]), [3, 1, 3, 2]),  # offset codes
        (np.array([10**15, 1, 10**15]), [10**15, 1, 10**15]),  # too wide: hashed
        (np.array([1.0, np.nan, 1.0, 2.5]), [1.0, None, 1.0, 2.5]),  # not whole: hashed
        (np.array([2.0, np.nan, 2.0]), [2.0, None, 2.0]),  # whole numbers: offset
        (np.array(["b", "a", "b"]), ["b", "a", "b"]),  # Arrow dictionary
        (np.array(["b", None, "b"], dtype=object), ["b", None, "b"]),  # pandas factorize
        (np.array([True, False, True]), [True, False, True]),
        (
            np.array(["2024-01-02", "NaT", "2024-01-02"], dtype="datetime64[D]"),
            [np.datetime64("2024-01-02"), None, np.datetime64("2024-01-02")],
        ),
        (pd.Series(["x", None, "y", "x"], dtype="category"), ["x", None, "y", "x"]),
    ],
)
def test_levels_of_the_codes_are_the_keys(values: object, keys: list[object]) -> None:
    coded = _keys.factorize(values)
    assert coded.levels[coded.codes].tolist() == keys
    assert coded.codes.dtype == np.intp


def test_small_non_negative_integers_are_their_own_codes() -> None:
    values = np.array([0, 5, 5, 2], dtype=np.intp)
    assert _keys.factorize(values).codes is values  # no copy


@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=40),
    st.lists(st.sampled_from(["x", "y", "z", None]), min_size=40, max_size=40),
)
def test_dense_and_hashed_combinations_give_the_same_groups(
    numbers: list[int], labels: list[str | None]
) -> None:
    n = len(numbers)
    keys = [_keys.factorize(np.array(numbers)), _keys.factorize(np.array(labels[:n], object))]
    dense = _keys.group_codes(keys, n)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(_keys, "_DENSE_MINIMUM", 0)
        patched.setattr(_keys, "_DENSE_FACTOR", 0)
        hashed = _keys.group_codes(keys, n)
    for group, level_codes, _ in (dense, hashed):
        assert group is not None
        # Rows of one group have the same keys; rows of different groups do not.
        pairs = {(numbers[row], labels[row]): int(group[row]) for row in range(n)}
        assert len(set(pairs.values())) == len(pairs) == int(group.max()) + 1
        for (number, label), code in pairs.items():
            assert keys[0].levels[level_codes[0][code]] == number
            assert keys[1].levels[level_codes[1][code]] == label


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.one_of(st.none(), st.floats(-5, 5, allow_nan=False))),
        min_size=1,
        max_size=40,
    )
)
def test_group_reduce_equals_pandas(rows: list[tuple[int, float | None]]) -> None:
    frame = pd.DataFrame(rows, columns=["key", "value"], dtype=float)
    coded = _keys.factorize(frame["key"].to_numpy())
    values = frame["value"].to_numpy()
    reference = frame.groupby("key")["value"].agg(["count", "sum", "min", "max"])
    for aggregation in ("count", "sum", "min", "max"):
        ours = _keys.group_reduce(values, coded.codes, coded.size, aggregation)
        present = coded.levels.astype(float)
        mine = pd.Series(ours, index=present).loc[reference.index]
        np.testing.assert_allclose(mine.to_numpy(dtype=float), reference[aggregation], atol=1e-12)


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3)), max_size=40),
    st.integers(0, 5),
)
def test_integer_extremes_of_groups_equal_pandas(rows: list[tuple[int, int]], dropped: int) -> None:
    # The groups of a group-by all have rows, so minima and maxima of integers
    # skip the search for empty groups; keys coded before a filter keep levels
    # that no row has any more, and a table without rows has one empty group.
    keys = np.array([row[0] for row in rows], dtype=np.int64)
    values = np.array([row[1] for row in rows], dtype=np.int64)
    coded = _keys.factorize(keys)
    keep = keys != dropped
    arrays = {"key": coded.take(keep), "value": values[keep]}
    aggregations = {"low": ("min", "value"), "high": ("max", "value"), "rows": ("len", None)}
    out = _frames._group_arrays(arrays, ["key"], aggregations, drop_null_keys=False)
    reference = pd.DataFrame({"key": keys[keep], "value": values[keep]}).groupby("key")
    got = pd.DataFrame({"key": out.keys["key"], **out.values}).set_index("key").sort_index()
    np.testing.assert_array_equal(got.index, reference.size().index)
    np.testing.assert_array_equal(got["low"], reference["value"].min())
    np.testing.assert_array_equal(got["high"], reference["value"].max())
    np.testing.assert_array_equal(got["rows"], reference.size())
    ungrouped = _frames._group_arrays(arrays, [], aggregations, drop_null_keys=False)
    if keep.any():
        assert ungrouped.values["low"][0] == values[keep].min()
        assert ungrouped.values["high"][0] == values[keep].max()
    else:  # no rows: the one group has no minimum
        assert np.isnan(ungrouped.values["low"][0])
        assert np.isnan(ungrouped.values["high"][0])


def test_dates_keep_their_type_in_minima_and_maxima() -> None:
    values = np.array(["2024-01-05", "NaT", "2024-01-01", "2024-02-01"], dtype="datetime64[D]")
    group = np.array([0, 0, 0, 1], dtype=np.intp)
    low = _keys.group_reduce(values, group, 3, "min")
    assert low.dtype == values.dtype
    assert low.tolist()[:2] == [
        np.datetime64("2024-01-01").item(),
        np.datetime64("2024-02-01").item(),
    ]
    assert np.isnat(low[2])
    assert _keys.group_reduce(values, group, 3, "count").tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="cannot sum a column of dates"):
        _keys.group_reduce(values, group, 3, "sum")


def test_the_array_reduce_never_sorts_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cohorts, RFM and segment counts of 5,000 rows call numpy's sort-based unique only
    on the reduced tables (group_order sorts the groups), never on the rows."""
    rng = np.random.default_rng(3)
    n = 5_000
    ids = np.char.add("c", rng.integers(0, 300, n).astype(str))
    days = np.datetime64("2024-01-01") + rng.integers(0, 400, n)
    unique = np.unique

    def small_only(values: object, *args: object, **kwargs: object) -> object:
        assert np.asarray(values).shape[0] < 1_000, "np.unique over the rows"
        return unique(values, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(np, "unique", small_only)
    lm.cohort_retention(ids, time=days)
    lm.cohort_retention(ids, time=days, kind="unbounded")
    log = {"id": ids, "day": days, "amount": rng.random(n)}
    lm.rfm_summary(log, customer="id", time="day", value="amount", calibration_end="2024-10-01")
    lm.historical_clv(log, customer="id", time="day", value="amount")
    table = _frames.as_table(
        rng.integers(0, 11, n), data_role="score", roles={"by": ids}, key_roles=("by",)
    )
    _frames.group_aggregate(table, ["by", "score"], {"rows": ("len", None)})


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "who": ["a", "a", "b", "b", "b", "c"],
            "when": [3, 1, 2, 2, 5, 4],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


@pytest.mark.parametrize("kind", [*ENGINES, "arrays"])
def test_a_chain_of_steps_gives_the_same_table_in_every_engine(kind: str) -> None:
    """Distinct (who, when) pairs after when >= 2, each with its customer's first time."""
    frame = _log()
    if kind == "arrays":
        table = _frames.Table(
            kind="arrays", columns={}, _arrays={c: frame[c].to_numpy() for c in frame.columns}
        )
    else:
        table = _frames.as_table(as_engine(kind, frame), data_role="who", roles={})
    later = _frames.keep_rows(table, lambda ops: ops.col("when") >= 2)
    doubled = _frames.derive(later, {"twice": lambda ops: ops.col("amount") * 2})
    pairs = _frames.group_table(doubled, ["who", "when"], {"total": ("sum", "twice")})
    pairs = _frames.with_group_min(pairs, "who", "when", "first")
    out = _frames.group_aggregate(
        pairs, ["who", "first"], {"pairs": ("len", None), "total": ("sum", "total")}
    )
    order = _frames.group_order(out)
    # By hand: a keeps (a, 3); b keeps (b, 2) twice and (b, 5); c keeps (c, 4).
    assert out.keys["who"][order].tolist() == ["a", "b", "c"]
    assert out.keys["first"][order].tolist() == [3, 2, 4]
    assert out.values["pairs"][order].tolist() == [1, 2, 1]
    assert out.values["total"][order].tolist() == [2.0, 24.0, 12.0]


@given(
    st.one_of(
        st.lists(st.text(alphabet=st.sampled_from("ab\x007 "), max_size=16), min_size=1),
        st.lists(st.text(alphabet=st.sampled_from("abé7"), max_size=18), min_size=1),
    ),
    st.booleans(),
)
def test_packed_text_codes_give_pandas_groups(labels: list[str], as_bytes: bool) -> None:
    # Ids of up to 16 ASCII characters (NULs included) are hashed as packed integers,
    # the rest as text: either way the rows group as equal strings do.
    values = np.array(labels)
    if as_bytes:
        values = np.array([label.encode() for label in labels])
    coded = _keys.factorize(values)
    assert coded.levels.dtype == values.dtype
    assert coded.levels[coded.codes].tolist() == values.tolist()
    # The reference groups by Python equality (pandas' string table stops at a
    # NUL character, so it is no reference here).
    first_seen: dict[object, int] = {}
    reference = np.array([first_seen.setdefault(v, len(first_seen)) for v in values.tolist()])
    assert _groups(values) == _groups(reference)


def test_unused_offset_levels_are_dropped_before_keys_combine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Periods counted in days (every 30th value used) times 300 customers would
    # need 300 * 2,971 cells: with the unused levels dropped, one dense count.
    rng = np.random.default_rng(3)
    customer = rng.integers(0, 300, 5_000)
    period = 30 * rng.integers(0, 100, 5_000)
    keys = [_keys.factorize(np.char.add("c", customer.astype(str))), _keys.factorize(period)]
    assert keys[0].size * keys[1].size > _keys._dense_limit(5_000)

    def no_hashing(values: object) -> _keys.KeyCodes:
        raise AssertionError("the combined codes were hashed")

    monkeypatch.setattr(_keys, "_hashed", no_hashing)
    group, level_codes, rows = _keys.group_codes(keys, 5_000, need_group=True)
    assert group is not None
    assert rows is not None
    ours = {
        (keys[0].levels[a], int(keys[1].levels[b])): int(count)
        for a, b, count in zip(*level_codes, rows, strict=True)
    }
    frame = pd.DataFrame({"customer": np.char.add("c", customer.astype(str)), "period": period})
    expected = frame.value_counts(["customer", "period"]).to_dict()  # pandas' own group-by
    assert ours == {(str(a), int(b)): int(c) for (a, b), c in expected.items()}
    assert (rows[group] == np.bincount(group)[group]).all()


@given(
    st.lists(
        st.tuples(st.integers(-3, 40), st.integers(60_000, 60_005), st.booleans()), min_size=1
    ),
    st.sampled_from([np.int8, np.int64, np.uint16]),
    st.integers(1, 7),
)
def test_chunked_count_of_integer_keys_equals_factorize_and_group_codes(
    rows: list[tuple[int, int, bool]], dtype: type, chunk: int
) -> None:
    # Counting in chunks (the table grows as chunks widen the ranges) gives the
    # levels, groups, order and counts of the general path.
    first, second, third = (np.array(column) for column in zip(*rows, strict=True))
    first = first.astype(dtype) if dtype != np.uint16 else (first + 3).astype(dtype)
    columns = [first, second, third]
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(_keys, "_COUNT_CHUNK", chunk)
        patched.setattr(_keys, "_COUNT_CELLS", 1 << 20)
        counted = _keys.count_integer_keys(columns)
    assert counted is not None
    levels, level_codes, rows_per_group = counted
    keys = [_keys.factorize(column) for column in columns]
    _, expected_codes, expected_rows = _keys.group_codes(keys, len(rows), need_group=False)
    assert expected_rows is not None
    np.testing.assert_array_equal(rows_per_group, expected_rows)
    for level, code, key, expected in zip(levels, level_codes, keys, expected_codes, strict=True):
        assert level.dtype == key.levels.dtype
        np.testing.assert_array_equal(level[code], key.levels[expected])


def test_a_boolean_key_of_one_value_is_counted() -> None:
    # An all-True key gets the codes of its values (False, unused, is a level).
    for values in (np.ones(5, dtype=bool), np.zeros(5, dtype=bool)):
        table = _frames.as_table(
            np.arange(5), data_role="score", roles={"score": None, "by": values}, key_roles=("by",)
        )
        for aggregations in ({"rows": ("len", None)}, {"n": ("count", "score")}):
            grouped = _frames.group_aggregate(table, ["by"], aggregations)
            assert grouped.keys["by"].tolist() == [bool(values[0])]
            assert next(iter(grouped.values.values())).tolist() == [5]


@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.sampled_from("ab\x00é€"), max_size=4),
            st.text(alphabet=st.sampled_from("xyz"), min_size=6, max_size=9),
        ),
        min_size=1,
    )
)
def test_object_strings_give_the_codes_and_levels_of_pandas_factorize(labels: list[str]) -> None:
    # The reference numbers the strings as pandas.factorize does (in order of
    # first appearance) but by Python equality: pandas' string table stops at a
    # NUL character ("" and "\x00" would be one group).
    values = np.array(labels, dtype=object)
    coded = _keys.factorize(values)
    first_seen: dict[str, int] = {}
    codes = [first_seen.setdefault(label, len(first_seen)) for label in labels]
    assert coded.codes.tolist() == codes
    assert coded.levels.dtype == object
    assert coded.levels.tolist() == list(first_seen)
    assert all(type(level) is str for level in coded.levels)
    assert coded.levels.tolist() == [values[labels.index(level)] for level in first_seen]
    if not any("\x00" in label for label in labels):
        np.testing.assert_array_equal(coded.codes, pd.factorize(values)[0])


def test_object_keys_that_are_not_all_strings_are_not_packed() -> None:
    # Worked by hand from the module's rule: levels in order of first
    # appearance, bytes apart from str, the missing value's level last.
    mixed = np.array(["a", b"a", "a", None, 1], dtype=object)
    coded = _keys.factorize(mixed)
    assert coded.levels.tolist() == ["a", b"a", 1, None]
    assert coded.codes.tolist() == [0, 1, 0, 3, 2]


def test_object_string_levels_are_the_callers_objects() -> None:
    class Label(str):
        pass

    values = np.array([Label("b"), "a", "b", Label("a")], dtype=object)
    coded = _keys.factorize(values)
    assert coded.codes.tolist() == [0, 1, 0, 1]
    assert [type(level) for level in coded.levels] == [Label, str]


def _first_seen_codes(labels: list[str | None]) -> tuple[list[int], list[str | None]]:
    """Codes by hand: strings numbered in order of first appearance, a missing one last."""
    first_seen: dict[str, int] = {}
    for label in labels:
        if label is not None:
            first_seen.setdefault(label, len(first_seen))
    missing = len(first_seen)
    codes = [missing if label is None else first_seen[label] for label in labels]
    levels: list[str | None] = list(first_seen)
    return codes, [*levels, None] if None in labels else levels


_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("ab\x00é€"), max_size=4),
    st.text(alphabet=st.sampled_from("xyz"), min_size=6, max_size=9),
)


@given(st.lists(_TEXT, min_size=1))
def test_object_strings_converted_by_polars_give_the_codes_of_pyarrow(labels: list[str]) -> None:
    # Large object arrays go to Arrow through polars (faster); small ones through
    # pyarrow. A cut of 0 sends these through polars: the same codes and levels.
    values = np.array(labels, dtype=object)
    by_pyarrow = _keys.factorize(values)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_keys, "_POLARS_CONVERSION_ROWS", 0)
        by_polars = _keys.factorize(values)
    codes, levels = _first_seen_codes(list(labels))
    assert by_polars.codes.tolist() == by_pyarrow.codes.tolist() == codes
    assert by_polars.levels.tolist() == by_pyarrow.levels.tolist() == levels


@pytest.mark.parametrize("cut", [0, 1 << 30])
def test_object_keys_that_are_not_all_strings_stay_apart_through_either_conversion(
    monkeypatch: pytest.MonkeyPatch, cut: int
) -> None:
    # Worked by hand as in the test above: bytes, None, NaN and a lone surrogate
    # (which no UTF-8 conversion takes) keep their own levels.
    monkeypatch.setattr(_keys, "_POLARS_CONVERSION_ROWS", cut)
    mixed = np.array(["a", b"a", "a", None, 1], dtype=object)
    coded = _keys.factorize(mixed)
    assert coded.levels.tolist() == ["a", b"a", 1, None]
    assert coded.codes.tolist() == [0, 1, 0, 3, 2]
    surrogate = np.array(["\ud800", "a", "\ud800"], dtype=object)
    coded = _keys.factorize(surrogate)
    assert coded.codes.tolist() == [0, 1, 0]
    assert coded.levels.tolist() == ["\ud800", "a"]


@given(st.lists(st.one_of(st.none(), _TEXT)), st.integers(1, 3))
def test_arrow_text_gives_the_codes_of_its_python_strings(
    labels: list[str | None], chunks: int
) -> None:
    # Arrow-backed text (pandas 3's default strings, string[pyarrow], a
    # chunked Arrow array) is coded from its buffers; the reference is worked
    # from the Python strings: first appearance, a null last as None.
    import pyarrow as pa

    codes, levels = _first_seen_codes(labels)
    size = -(-len(labels) // chunks) if labels else 1
    parts = [labels[start : start + size] for start in range(0, len(labels), size)]
    candidates = [
        pd.Series(labels, dtype="string[pyarrow]").array.__arrow_array__(),
        pa.chunked_array([pa.array(part, pa.string()) for part in parts], pa.string()),
        pa.array(labels, pa.large_string()),
        pa.array(labels, pa.string_view()),
    ]
    for array in candidates:
        assert _keys.is_arrow_text(array)
        coded = _keys.factorize(array)
        assert coded.codes.tolist() == codes
        assert coded.levels.tolist() == levels
        assert all(type(level) is str for level in coded.levels[: len(levels) - (None in labels)])


def test_arrow_text_of_a_sliced_array_reads_its_own_rows() -> None:
    # An Arrow slice shares its parent's buffers from an offset.
    import pyarrow as pa

    parent = pa.array(["zz", "a", None, "bb", "a", "long enough text"])
    for start in range(len(parent)):
        labels = parent.to_pylist()[start:]
        coded = _keys.factorize(parent.slice(start))
        assert (coded.codes.tolist(), coded.levels.tolist()) == _first_seen_codes(labels)


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "large_string[pyarrow]"])
def test_arrow_backed_pandas_text_keys_give_the_object_keys_results(dtype: str) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    ids = np.array([f"c{i}" for i in rng.integers(0, 400, n)], dtype=object)
    region = np.array(["North", "South", "East", None], dtype=object)[rng.integers(0, 4, n)]
    days = np.datetime64("2024-01-01") + rng.integers(0, 400, n).astype("timedelta64[D]")
    frame = pd.DataFrame({"customer": ids, "time": days, "region": region})
    frame["score"] = rng.integers(0, 11, n)
    arrow = frame.astype({"customer": dtype, "region": dtype})
    for kind in ("classic", "unbounded"):
        expected = lm.cohort_retention(frame, customer="customer", time="time", kind=kind)
        got = lm.cohort_retention(arrow, customer="customer", time="time", kind=kind)
        np.testing.assert_array_equal(got.counts, expected.counts)
        np.testing.assert_array_equal(got.cohorts, expected.cohorts)
    expected_table = lm.by_segment(frame, score="score", by="region").table
    got_table = lm.by_segment(arrow, score="score", by="region").table
    assert got_table["region"].tolist() == expected_table["region"].tolist()
    for column in ("n", "score", "low", "high", "pvalue"):
        np.testing.assert_array_equal(got_table[column], expected_table[column])
