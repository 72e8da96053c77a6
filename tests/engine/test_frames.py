"""The dataframe glue: one group-by, run in each engine, gives the same table."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import polars as pl
import pytest
from engines import ENGINES, as_engine, output_type
from hypothesis import given
from hypothesis import strategies as st

from loyaltymetrics._engine import _frames

# Five rows, worked by hand: segment "a" has rows 0 and 3 (scores 1, 3; weights
# 1, 2), "b" rows 1 and 4 (scores 2, 2; weights 1, 2), and row 2 has a missing
# segment and a missing score.
ROWS = pd.DataFrame(
    {
        "seg": ["a", "b", None, "a", "b"],
        "score": [1.0, 2.0, np.nan, 3.0, 2.0],
        "w": [1, 1, 1, 2, 2],
    }
)
AGGREGATIONS: dict[str, tuple[_frames.Aggregation, str | None]] = {
    "rows": ("len", None),
    "answered": ("count", "score"),
    "weight": ("sum", "w"),
    "low": ("min", "score"),
    "high": ("max", "score"),
}
# In key order a, b, missing.
EXPECTED = {
    "rows": [2, 2, 1],
    "answered": [2, 2, 0],
    "weight": [3.0, 3.0, 1.0],
    "low": [1.0, 2.0, np.nan],
    "high": [3.0, 2.0, np.nan],
}


def _native(kind: str) -> object:
    return as_engine(kind, ROWS.copy())


def _table(kind: str) -> _frames.Table:
    if kind == "arrays":
        return _frames.as_table(
            ROWS["score"].to_numpy(),
            data_role="score",
            roles={"by": ROWS["seg"], "weights": ROWS["w"].to_numpy()},
            key_roles=("by",),
        )
    return _frames.as_table(
        _native(kind),
        data_role="score",
        roles={"score": "score", "by": "seg", "weights": "w"},
        key_roles=("by",),
    )


@pytest.mark.parametrize("kind", [*ENGINES, "arrays"])
def test_every_engine_gives_the_hand_counted_groups(kind: str) -> None:
    table = _table(kind)
    key = table.columns["by"][0]
    assert key == "seg"  # the pandas Series passed as an array keeps its name
    aggregations = {
        name: (aggregation, None if column is None else table.columns[_role(column)][0])
        for name, (aggregation, column) in AGGREGATIONS.items()
    }
    grouped = _frames.group_aggregate(table, [key], aggregations)
    order = _frames.group_order(grouped)
    assert grouped.keys[key][order].tolist() == ["a", "b", None]
    for name, expected in EXPECTED.items():
        np.testing.assert_array_equal(grouped.values[name][order], expected)
    assert grouped.values["rows"].dtype == np.int64
    assert grouped.values["weight"].dtype == np.float64


def _role(column: str) -> str:
    return {"score": "score", "w": "weights"}[column]


@pytest.mark.parametrize("kind", [*ENGINES, "arrays"])
def test_null_keys_can_be_dropped(kind: str) -> None:
    table = _table(kind)
    key = table.columns["by"][0]
    grouped = _frames.group_aggregate(table, [key], {"rows": ("len", None)}, drop_null_keys=True)
    order = _frames.group_order(grouped)
    assert grouped.keys[key][order].tolist() == ["a", "b"]
    assert grouped.values["rows"][order].tolist() == [2, 2]


@pytest.mark.parametrize("kind", ENGINES)
def test_result_comes_back_in_the_callers_library(kind: str) -> None:
    table = _table(kind)
    grouped = _frames.group_aggregate(table, ["seg"], {"rows": ("len", None)})
    order = _frames.group_order(grouped)
    out = _frames.columns_to_frame(
        grouped, order, {"share": np.array([0.5, 0.25, 0.25])}, table=table
    )
    assert type(out) is output_type(kind)
    as_pandas = out if isinstance(out, pd.DataFrame) else out.to_pandas()
    assert list(as_pandas.columns) == ["seg", "share"]
    assert as_pandas["seg"].iloc[:2].tolist() == ["a", "b"]
    assert as_pandas["seg"].isna().tolist() == [False, False, True]
    assert as_pandas["share"].tolist() == [0.5, 0.25, 0.25]
    if isinstance(out, pd.DataFrame):
        assert out.index.tolist() == [0, 1, 2]


def test_arrays_give_a_dictionary_of_numpy_arrays() -> None:
    table = _table("arrays")
    assert table.kind == "arrays"
    assert not table.is_frame
    grouped = _frames.group_aggregate(table, ["seg"], {"rows": ("len", None)})
    out = _frames.columns_to_frame(grouped, _frames.group_order(grouped), {}, table=table)
    assert isinstance(out, dict)
    assert out["seg"].tolist() == ["a", "b", None]


def test_several_key_arrays_and_no_keys() -> None:
    table = _frames.as_table(
        [1, 2, 3, 4],
        data_role="score",
        roles={"by": [np.array(["x", "x", "y", "y"]), [1, 2, 1, 1]]},
        key_roles=("by",),
    )
    assert table.columns["by"] == ("by_0", "by_1")
    grouped = _frames.group_aggregate(table, ["by_0", "by_1"], {"total": ("sum", "score")})
    order = _frames.group_order(grouped)
    assert grouped.keys["by_0"][order].tolist() == ["x", "x", "y"]
    assert grouped.keys["by_1"][order].tolist() == [1, 2, 1]
    assert grouped.values["total"][order].tolist() == [1.0, 2.0, 7.0]
    overall = _frames.group_aggregate(table, [], {"total": ("sum", "score"), "n": ("len", None)})
    assert overall.n_groups == 1
    assert overall.values["total"].tolist() == [10.0]


def test_kinds_of_tables() -> None:
    assert _table("pandas").kind == "eager"
    assert _table("polars-lazy").kind == "lazy"
    assert _table("dask").kind == "lazy"
    assert _table("duckdb").kind == "lazy"


def test_a_series_is_a_column_not_a_table() -> None:
    table = _frames.as_table(
        pd.Series([1, 2]), data_role="score", roles={"by": ["p", "q"]}, key_roles=("by",)
    )
    assert table.kind == "arrays"


@pytest.mark.parametrize("kind", ["pandas", "polars-lazy", "duckdb"])
def test_unknown_column_names_the_argument_and_the_columns(kind: str) -> None:
    with pytest.raises(ValueError, match=r"`by` names column 'region', which is not in `data`"):
        _frames.as_table(_native(kind), data_role="score", roles={"score": "score", "by": "region"})
    with pytest.raises(ValueError, match=r"its columns are: 'seg', 'score', 'w'"):
        _frames.as_table(_native(kind), data_role="score", roles={"score": "nps"})


def test_bad_column_arguments() -> None:
    with pytest.raises(TypeError, match="`by` must be a column name of `data`"):
        _frames.as_table(ROWS, data_role="score", roles={"score": "score", "by": 3})
    with pytest.raises(TypeError, match="`by` must be a column name"):
        _frames.as_table(ROWS, data_role="score", roles={"score": "score", "by": []})
    with pytest.raises(TypeError, match="`by` must name columns by string"):
        _frames.as_table(ROWS, data_role="score", roles={"score": "score", "by": ["seg", 1]})
    with pytest.raises(ValueError, match="same column more than once"):
        _frames.as_table(ROWS, data_role="score", roles={"score": "score", "by": ["seg", "seg"]})
    with pytest.raises(TypeError, match="`by` must be an array when `data` is an array"):
        _frames.as_table([1, 2], data_role="score", roles={"by": "seg"}, key_roles=("by",))
    with pytest.raises(ValueError, match=r"`by` must have the same length as `data` \(2\); got 3"):
        _frames.as_table([1, 2], data_role="score", roles={"by": [1, 2, 3]}, key_roles=("by",))
    with pytest.raises(ValueError, match=r"`weights` must have the same length as `data` \(2\)"):
        _frames.as_table([1, 2], data_role="score", roles={"weights": [1.0]})
    with pytest.raises(ValueError, match="`by` must be one-dimensional"):
        _frames.as_table([1, 2], data_role="score", roles={"by": [[1, 2]] * 2}, key_roles=())
    with pytest.raises(TypeError, match="`score` must be numeric"):
        _frames.as_table(["a", "b"], data_role="score", roles={})


def test_key_arrays_of_wrong_shape() -> None:
    with pytest.raises(ValueError, match="`by` must be one-dimensional"):
        _frames.as_table(
            [1, 2], data_role="score", roles={"by": np.zeros((2, 2))}, key_roles=("by",)
        )


@pytest.mark.parametrize("kind", ["pandas", "polars-lazy", "duckdb"])
def test_non_numeric_columns_are_named(kind: str) -> None:
    table = _frames.as_table(_native(kind), data_role="score", roles={"score": "seg"})
    with pytest.raises(TypeError, match=r"`score` column 'seg' must be numeric; its dtype is"):
        _frames.check_numeric(table, "score")
    numeric = _frames.as_table(_native(kind), data_role="score", roles={"score": "score"})
    _frames.check_numeric(numeric, "score")


def test_boolean_columns_are_not_numeric() -> None:
    table = _frames.as_table(
        pd.DataFrame({"flag": [True, False]}), data_role="score", roles={"score": "flag"}
    )
    with pytest.raises(TypeError, match="its dtype is Boolean"):
        _frames.check_numeric(table, "score")


@pytest.mark.parametrize("kind", ["pandas", "polars-lazy", "duckdb", "dask"])
def test_an_empty_frame_has_no_groups(kind: str) -> None:
    table = _table(kind)
    if kind == "duckdb":
        empty = _native(kind).filter("score > 100")  # type: ignore[attr-defined]
        table = _frames.as_table(empty, data_role="score", roles={"by": "seg"})
    else:
        native = _native(kind)
        empty = native.head(0) if kind != "dask" else native[native["score"] > 100]  # type: ignore[attr-defined,index]
        table = _frames.as_table(empty, data_role="score", roles={"by": "seg"})
    grouped = _frames.group_aggregate(table, ["seg"], {"rows": ("len", None)})
    assert grouped.n_groups == 0


def test_unknown_aggregations_are_refused() -> None:
    table = _table("pandas")
    with pytest.raises(ValueError, match="unknown aggregation 'median'"):
        _frames.group_aggregate(table, ["seg"], {"m": ("median", "score")})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="needs a column"):
        _frames.group_aggregate(table, ["seg"], {"m": ("sum", None)})


def test_missing_narwhals_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "narwhals.stable.v2", None)
    with pytest.raises(ImportError, match=r"pip install loyaltymetrics\[frames\]"):
        _frames.import_narwhals()


def test_arrays_never_import_narwhals_paths() -> None:
    # Plain arrays are grouped in numpy: the frame path is never taken.
    table = _frames.as_table(
        [3, 1, 3], data_role="score", roles={"by": [1, 1, 2]}, key_roles=("by",)
    )
    assert table._frame is None


def test_keys_of_mixed_types_still_group() -> None:
    keys = np.array([1, "x", 1, None, "x"], dtype=object)
    table = _frames.as_table(
        [1, 2, 3, 4, 5], data_role="score", roles={"by": keys}, key_roles=("by",)
    )
    grouped = _frames.group_aggregate(table, ["by"], {"total": ("sum", "score")})
    order = _frames.group_order(grouped)
    assert grouped.keys["by"][order].tolist() == [1, "x", None]
    assert grouped.values["total"][order].tolist() == [4.0, 7.0, 4.0]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["north", "south", "east", None]),
            st.integers(0, 3),
            st.one_of(st.none(), st.integers(0, 10)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_numpy_and_engine_group_bys_agree(rows: list[tuple[str | None, int, int | None]]) -> None:
    """The numpy path (arrays) equals pandas' and polars' group-by on any rows."""
    region = [row[0] for row in rows]
    plan = [row[1] for row in rows]
    score = [np.nan if row[2] is None else float(row[2]) for row in rows]
    frame = pd.DataFrame({"region": region, "plan": plan, "score": score})
    aggregations: dict[str, tuple[_frames.Aggregation, str | None]] = {
        "rows": ("len", None),
        "answered": ("count", "score"),
        "total": ("sum", "score"),
        "low": ("min", "score"),
        "high": ("max", "score"),
    }
    results = []
    for data in (frame, pl.from_pandas(frame)):
        table = _frames.as_table(data, data_role="score", roles={"score": "score"})
        results.append(_frames.group_aggregate(table, ["region", "plan"], aggregations))
    array_table = _frames.as_table(
        np.array(score),
        data_role="score",
        roles={"by": [np.array(region, dtype=object), np.array(plan)]},
        key_roles=("by",),
    )
    renamed = _frames.group_aggregate(array_table, ["by_0", "by_1"], aggregations)
    reference = results[0]
    reference_order = _frames.group_order(reference)
    for other in [*results[1:], renamed]:
        order = _frames.group_order(other)
        other_keys = list(other.keys.values())
        for mine, theirs in zip(reference.keys.values(), other_keys, strict=True):
            assert mine[reference_order].tolist() == theirs[order].tolist()
        for name in aggregations:
            np.testing.assert_array_equal(
                reference.values[name][reference_order], other.values[name][order]
            )


@pytest.mark.parametrize("kind", ["pandas", "duckdb", "arrays"])
def test_regroup_by_a_subset_of_the_keys(kind: str) -> None:
    table = _table(kind)
    key = table.columns["by"][0]
    score = table.columns["score"][0]
    grouped = _frames.group_aggregate(table, [key, score], {"rows": ("len", None)})
    codes, first_rows = _frames.regroup(grouped, [key])
    # Rows (a, 1), (a, 3), (b, 2) x2, (missing, missing): three segments in key order.
    assert np.bincount(codes, weights=grouped.values["rows"]).tolist() == [2.0, 2.0, 1.0]
    assert grouped.keys[key][first_rows].tolist() == ["a", "b", None]
    out = _frames.columns_to_frame(
        grouped, first_rows, {"n": np.array([2, 2, 1])}, table=table, key_columns=[key]
    )
    columns = (
        list(out)
        if isinstance(out, dict)
        else list(out.column_names if kind == "duckdb" else out.columns)
    )
    assert columns == [key, "n"]
    everything_codes, everything_rows = _frames.regroup(grouped, [])
    assert set(everything_codes.tolist()) == {0}
    assert everything_rows.tolist() == [0]


def test_array_names_that_clash_fall_back_to_positional_names() -> None:
    table = _frames.as_table(
        [1, 2],
        data_role="score",
        roles={"by": [pd.Series(["x", "y"], name="score")], "weights": [1.0, 1.0]},
        key_roles=("by",),
    )
    assert table.columns["by"] == ("by_0",)
    single = _frames.as_table(
        [1, 2],
        data_role="score",
        roles={"by": pd.Series(["x", "y"], name="weights"), "weights": [1.0, 1.0]},
        key_roles=("by",),
    )
    assert single.columns["by"] == ("by",)


@pytest.mark.parametrize("kind", ENGINES)
def test_collect_reduced_runs_a_chained_reduction_in_the_engine(kind: str) -> None:
    table = _frames.as_table(
        _native(kind), data_role="score", roles={"score": "score", "by": "seg"}, key_roles=("by",)
    )

    def per_segment_then_total(nw, frame):
        per_segment = frame.group_by("seg", drop_null_keys=True).agg(nw.len().alias("rows"))
        return per_segment.select(nw.col("rows").sum().alias("rows"), nw.len().alias("segments"))

    out = _frames.collect_reduced(table, per_segment_then_total)
    assert (int(out["rows"][0]), int(out["segments"][0])) == (4, 2)


def test_collect_reduced_needs_a_frame_and_check_temporal() -> None:
    arrays = _frames.as_table([1.0], data_role="score", roles={})
    with pytest.raises(TypeError, match="needs a dataframe"):
        _frames.collect_reduced(arrays, lambda nw, frame: frame)
    _frames.check_temporal(arrays, "score")  # arrays are checked by the caller
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-01"]), "x": [1]})
    table = _frames.as_table(frame, data_role="x", roles={"x": "x", "t": "when"})
    _frames.check_temporal(table, "t")
    with pytest.raises(TypeError, match="`x` column 'x' must hold dates or datetimes"):
        _frames.check_temporal(table, "x")


def test_data_role_may_be_a_key_of_any_dtype() -> None:
    table = _frames.as_table(
        np.array(["a", "b"]), data_role="customer", roles={"t": [1, 2]}, key_roles=("customer", "t")
    )
    assert table._arrays is not None
    assert table._arrays["customer"].tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="one-dimensional"):
        _frames.as_table([["a"]], data_role="customer", roles={}, key_roles=("customer",))


@pytest.mark.parametrize("kind", [*ENGINES, "arrays"])
def test_per_key_aggregates_of_an_event_log(kind: str) -> None:
    """First and last event time, events and total per customer: one call on every input."""
    log = pd.DataFrame(
        {
            "who": ["a", "b", "a", "b", "a"],
            "at": pd.to_datetime(
                ["2024-01-03", "2024-02-01", "2024-01-01", "2024-03-05", "2024-01-09"]
            ),
            "spent": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    if kind == "arrays":
        table = _frames.as_table(
            log["who"].to_numpy(),
            data_role="who",
            roles={"at": log["at"].to_numpy(), "spent": log["spent"].to_numpy()},
            key_roles=("who", "at"),
        )
        at, spent = "at", "spent"
    else:
        table = _frames.as_table(
            as_engine(kind, log), data_role="who", roles={"at": "at", "spent": "spent"}
        )
        at, spent = "at", "spent"
    grouped = _frames.group_aggregate(
        table,
        ["who"],
        {
            "events": ("len", None),
            "first": ("min", at),
            "last": ("max", at),
            "total": ("sum", spent),
        },
    )
    order = _frames.group_order(grouped)
    assert grouped.keys["who"][order].tolist() == ["a", "b"]
    assert grouped.values["events"][order].tolist() == [3, 2]
    assert grouped.values["total"][order].tolist() == [9.0, 6.0]
    first = np.asarray(grouped.values["first"][order]).astype("datetime64[D]")
    last = np.asarray(grouped.values["last"][order]).astype("datetime64[D]")
    np.testing.assert_array_equal(first, np.array(["2024-01-01", "2024-02-01"], "datetime64[D]"))
    np.testing.assert_array_equal(last, np.array(["2024-01-09", "2024-03-05"], "datetime64[D]"))
