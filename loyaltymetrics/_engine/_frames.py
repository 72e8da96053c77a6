"""Dataframe glue: reduce any frame (or plain arrays) with a group-by, in its own engine.

Breakdowns (segments, cohorts, RFM summaries) all start the same way: take a
table whose columns the caller names, check that the columns exist and have
the right kind, group it by some keys and aggregate, then bring the small
aggregated table back as numpy arrays for inference, and finally hand a result
back in the caller's frame library. This module does exactly that and nothing
metric-specific.

Inputs are either

* a dataframe that narwhals supports: pandas, polars (eager or lazy), pyarrow,
  Dask, DuckDB, PySpark, ... The group-by runs inside that engine and only the
  aggregated table is collected; or
* plain arrays (lists, numpy arrays, pandas/polars Series), grouped in numpy.

Results follow one rule: an eager frame in gives the same library out; a lazy
frame in gives the eager library its engine collects to through narwhals
(polars for a polars ``LazyFrame``, pandas for Dask, pyarrow for DuckDB and
PySpark); arrays in give a dictionary of numpy arrays.

narwhals is an optional dependency (the ``frames`` extra). It is imported only
when a frame is actually passed, so plain arrays never need it.

Rows with a missing key form their own group (their key is ``None``) unless
the caller asks to drop them: missing values are never dropped silently.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._validation import as_1d_array

__all__ = [
    "AGGREGATIONS",
    "Aggregation",
    "Grouped",
    "Table",
    "as_narwhals_frame",
    "as_table",
    "check_numeric",
    "check_temporal",
    "collect_reduced",
    "columns_to_frame",
    "group_aggregate",
    "group_order",
    "import_narwhals",
    "quiet_narwhals",
    "regroup",
]

Aggregation = Literal["len", "count", "sum", "min", "max"]
#: Aggregations every engine (and the numpy path) supports: rows per group,
#: non-missing values per group, and the sum, minimum and maximum of a column.
AGGREGATIONS: tuple[Aggregation, ...] = ("len", "count", "sum", "min", "max")

_FRAMES_HINT = (
    "dataframe input needs the optional dependency narwhals; "
    "install it with `pip install loyaltymetrics[frames]`"
)
# narwhals announces that its built-in Dask support will move to a plugin; the
# warning is about narwhals' packaging, not about anything the caller did.
_DASK_PLUGIN_MESSAGE = r"Dask support is moving out of Narwhals"


def import_narwhals() -> ModuleType:
    """Import narwhals, or raise an ImportError that names the ``frames`` extra."""
    try:
        import narwhals.stable.v2 as nw
    except ImportError as error:  # pragma: no cover - narwhals is installed in the test extra
        raise ImportError(_FRAMES_HINT) from error
    return nw


@contextlib.contextmanager
def quiet_narwhals() -> Iterator[None]:
    """Silence narwhals' notice that its Dask support moves to a plugin."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_DASK_PLUGIN_MESSAGE, category=FutureWarning)
        yield


# Top-level packages whose objects may be dataframes narwhals understands. An
# object from anywhere else (lists, numpy) is treated as a column of values, so
# narwhals is only imported for dataframe input.
_FRAME_PACKAGES = frozenset(
    {"pandas", "polars", "pyarrow", "dask", "duckdb", "pyspark", "narwhals", "modin", "cudf"}
    | {"ibis", "sqlframe"}
    # DuckDB 1.4 and 1.5 define their relation type in the extension module "_duckdb".
    | {"_duckdb"}
)


def as_narwhals_frame(data: object) -> Any:
    """Wrap a dataframe with narwhals; None when ``data`` is not a dataframe."""
    if isinstance(data, np.ndarray | list | tuple | str | bytes):
        return None
    if type(data).__module__.split(".")[0] not in _FRAME_PACKAGES:
        return None
    nw = import_narwhals()
    with quiet_narwhals():
        wrapped = nw.from_native(data, pass_through=True)
    # Series and arrays come back unchanged: they are one column, not a table.
    return wrapped if isinstance(wrapped, nw.DataFrame | nw.LazyFrame) else None


@dataclass(frozen=True)
class Table:
    """A table to reduce: a narwhals frame (eager or lazy) or numpy columns.

    Attributes
    ----------
    kind
        "eager" or "lazy" for a dataframe, "arrays" for plain arrays.
    columns
        For each argument name (role) the caller used, the column names it
        refers to, e.g. ``{"score": ("nps",), "by": ("region", "plan")}``.
    """

    kind: Literal["eager", "lazy", "arrays"]
    columns: Mapping[str, tuple[str, ...]]
    _frame: Any = None
    _arrays: Mapping[str, npt.NDArray[Any]] | None = None

    @property
    def is_frame(self) -> bool:
        """True when the data is a dataframe rather than plain arrays."""
        return self._frame is not None


def _column_names(value: object, *, role: str, available: Sequence[str]) -> tuple[str, ...]:
    """Resolve one argument naming one column or a list of columns of a frame."""
    names: list[object]
    if isinstance(value, str):
        names = [value]
    elif isinstance(value, list | tuple) and value:
        names = list(value)
    else:
        raise TypeError(
            f"`{role}` must be a column name of `data` or a list of column names; got {value!r}"
        )
    resolved: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"`{role}` must name columns by string; got {name!r}")
        if name not in available:
            shown = ", ".join(repr(column) for column in available)
            raise ValueError(
                f"`{role}` names column {name!r}, which is not in `data`; its columns are: {shown}"
            )
        resolved.append(name)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"`{role}` names the same column more than once: {resolved!r}")
    return tuple(resolved)


def _is_array_like(value: object) -> bool:
    if isinstance(value, str | bytes):
        return False
    return isinstance(value, list | tuple | np.ndarray) or hasattr(value, "to_numpy")


def _key_array(values: object, *, name: str, n: int) -> npt.NDArray[Any]:
    """Coerce a key column (any dtype, strings allowed) to a 1-d numpy array of length n."""
    to_numpy = getattr(values, "to_numpy", None)
    array = np.asarray(to_numpy() if callable(to_numpy) else values)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional; got an array of shape {array.shape}")
    if array.shape[0] != n:
        raise ValueError(
            f"`{name}` must have the same length as `data` ({n}); got {array.shape[0]}"
        )
    return array


def as_table(
    data: object,
    /,
    *,
    data_role: str,
    roles: Mapping[str, object],
    key_roles: Sequence[str] = (),
) -> Table:
    """Validate the caller's data and column arguments into a :class:`Table`.

    Parameters
    ----------
    data
        A dataframe narwhals supports, or an array-like holding the values of
        ``data_role``.
    data_role
        The argument name of the column ``data`` holds when it is an array
        (e.g. "score"). For a frame, ``roles[data_role]`` names that column.
    roles
        Argument name to the caller's value: for a frame, a column name, a list
        of column names, or None (not used); for arrays, an array-like, a list
        of array-likes for a role in ``key_roles``, or None.
    key_roles
        Roles that hold grouping keys: they may be non-numeric and may be
        given as several arrays.

    Raises
    ------
    TypeError
        If a column argument has the wrong type for the kind of ``data``.
    ValueError
        If a named column is not in the frame, or arrays differ in length.
    """
    frame = as_narwhals_frame(data)
    if frame is not None:
        nw = import_narwhals()
        with quiet_narwhals():
            available = list(frame.collect_schema().names())
        kind: Literal["eager", "lazy"] = "lazy" if isinstance(frame, nw.LazyFrame) else "eager"
        resolved = {
            role: _column_names(value, role=role, available=available)
            for role, value in roles.items()
            if value is not None
        }
        return Table(kind=kind, columns=resolved, _frame=frame)

    if data_role in key_roles:
        # The data column is a key itself (customer ids): any dtype, strings allowed.
        to_numpy = getattr(data, "to_numpy", None)
        values = np.asarray(to_numpy() if callable(to_numpy) else data)
        if values.ndim != 1:
            raise ValueError(
                f"`{data_role}` must be one-dimensional; got an array of shape {values.shape}"
            )
    else:
        values = as_1d_array(data, name=data_role)
    n = values.shape[0]
    arrays: dict[str, npt.NDArray[Any]] = {data_role: values}
    resolved_arrays: dict[str, tuple[str, ...]] = {data_role: (data_role,)}
    for role, value in roles.items():
        if role == data_role or value is None:
            continue
        if isinstance(value, str):
            raise TypeError(
                f"`{role}` must be an array when `data` is an array; column names "
                f"such as {value!r} need `data` to be a dataframe"
            )
        if role in key_roles:
            several = (
                isinstance(value, list | tuple)
                and len(value) > 0
                and all(map(_is_array_like, value))
            )
            parts = list(value) if several else [value]  # type: ignore[call-overload]
            names = tuple(
                _array_name(part, role=role, index=index, several=several)
                for index, part in enumerate(parts)
            )
            taken = set(arrays) | {other for other in roles if other != role}
            if len(set(names)) != len(names) or taken & set(names):
                # Series names that repeat, or clash with another argument's
                # column, fall back to positional names.
                names = tuple(f"{role}_{index}" if several else role for index in range(len(parts)))
            for name, part in zip(names, parts, strict=True):
                arrays[name] = _key_array(part, name=role, n=n)
            resolved_arrays[role] = names
        else:
            array = as_1d_array(value, name=role)
            if array.shape[0] != n:
                raise ValueError(
                    f"`{role}` must have the same length as `data` ({n}); got {array.shape[0]}"
                )
            arrays[role] = array
            resolved_arrays[role] = (role,)
    return Table(kind="arrays", columns=resolved_arrays, _arrays=arrays)


def _array_name(part: object, *, role: str, index: int, several: bool) -> str:
    """Name a key array: its own (Series) name when it has one, else the role."""
    name = getattr(part, "name", None)
    if isinstance(name, str) and name:
        return name
    return f"{role}_{index}" if several else role


def check_numeric(table: Table, role: str) -> None:
    """Raise TypeError unless every column of ``role`` is numeric (not boolean)."""
    if not table.is_frame:
        return  # arrays were coerced (and checked) by ``as_1d_array`` in ``as_table``
    with quiet_narwhals():
        schema = table._frame.collect_schema()
    for column in table.columns[role]:
        dtype = schema[column]
        if not dtype.is_numeric():
            raise TypeError(f"`{role}` column {column!r} must be numeric; its dtype is {dtype}")


def check_temporal(table: Table, role: str) -> None:
    """Raise TypeError unless every column of ``role`` holds dates or datetimes."""
    if not table.is_frame:
        return
    nw = import_narwhals()
    with quiet_narwhals():
        schema = table._frame.collect_schema()
    for column in table.columns[role]:
        dtype = schema[column]
        if not (dtype == nw.Date or dtype == nw.Datetime):
            raise TypeError(
                f"`{role}` column {column!r} must hold dates or datetimes; its dtype is {dtype}"
            )


def collect_reduced(table: Table, build: Callable[[ModuleType, Any], Any]) -> dict[str, Any]:
    """Run a reduction built from narwhals expressions in the frame's engine and collect it.

    For reductions that one :func:`group_aggregate` cannot express (a group-by
    of a group-by, a join of two aggregates), ``build(nw, frame)`` receives
    the narwhals module and the caller's (eager or lazy) narwhals frame and
    returns the reduced narwhals frame, which must be small. It is evaluated
    by the engine, collected, and returned as numpy columns (missing values
    as None, see :func:`group_aggregate`).
    """
    if not table.is_frame:
        raise TypeError("collect_reduced needs a dataframe; reduce plain arrays with numpy")
    nw = import_narwhals()
    with quiet_narwhals():
        reduced = build(nw, table._frame)
        if isinstance(reduced, nw.LazyFrame):
            reduced = reduced.collect()
        return {name: _missing_as_none(reduced[name].to_numpy()) for name in reduced.columns}


@dataclass(frozen=True)
class Grouped:
    """The collected result of :func:`group_aggregate`.

    Attributes
    ----------
    keys
        Key columns as numpy arrays (object arrays keep ``None`` for missing keys).
    values
        Aggregated columns as numpy arrays (float64 or int64).
    """

    keys: Mapping[str, npt.NDArray[Any]]
    values: Mapping[str, npt.NDArray[Any]]
    _frame: Any = None  # the collected narwhals DataFrame (frames only)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        first = next(iter(self.keys.values()), None)
        if first is None:
            first = next(iter(self.values.values()))
        return int(first.shape[0])


def group_aggregate(
    table: Table,
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool = False,
) -> Grouped:
    """Group ``table`` by ``keys`` and aggregate, inside the table's engine.

    Parameters
    ----------
    table
        From :func:`as_table`.
    keys
        Column names to group by (for arrays: the names :func:`as_table` gave).
    aggregations
        Output name to ``(aggregation, column)``; ``column`` is None for "len".
    drop_null_keys
        Drop rows whose key is missing instead of giving them their own group.

    Returns
    -------
    Grouped
        One entry per group, in no particular order. Sums are float64;
        counts are int64; minima and maxima keep the column's numpy dtype.
    """
    for output, (aggregation, column) in aggregations.items():
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {aggregation!r} for {output!r}")
        if (aggregation == "len") != (column is None):
            raise ValueError(f"aggregation {aggregation!r} for {output!r} needs a column")
    if table.is_frame:
        return _group_frame(table, keys, aggregations, drop_null_keys=drop_null_keys)
    assert table._arrays is not None
    return _group_arrays(table._arrays, keys, aggregations, drop_null_keys=drop_null_keys)


def _frame_expression(nw: ModuleType, aggregation: Aggregation, column: str | None) -> Any:
    if aggregation == "len":
        return nw.len()
    if aggregation == "sum":
        return nw.col(_sum_input(column)).sum()
    return getattr(nw.col(column), aggregation)()


def _sum_input(column: str | None) -> str:
    return f"__loyaltymetrics_sum_{column}"


def _group_frame(
    table: Table,
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool,
) -> Grouped:
    nw = import_narwhals()
    with quiet_narwhals():
        frame = table._frame
        summed = sorted(
            {
                column
                for aggregation, column in aggregations.values()
                if aggregation == "sum" and column is not None
            }
        )
        if summed:
            # Cast before summing: engines sum integers into wide or decimal
            # types (DuckDB gives HUGEINT/DECIMAL) that do not come back as
            # numpy numbers, and a cast inside the aggregation would not be a
            # simple group-by for pandas.
            frame = frame.with_columns(
                *(nw.col(column).cast(nw.Float64).alias(_sum_input(column)) for column in summed)
            )
        expressions = [
            _frame_expression(nw, aggregation, column).alias(output)
            for output, (aggregation, column) in aggregations.items()
        ]
        if keys:
            grouped = frame.group_by(*keys, drop_null_keys=drop_null_keys).agg(*expressions)
        else:
            grouped = frame.select(*expressions)
        if isinstance(grouped, nw.LazyFrame):
            grouped = grouped.collect()
        keys_out = {key: _missing_as_none(grouped[key].to_numpy()) for key in keys}
        values_out = {
            output: _numeric_column(grouped[output].to_numpy(), aggregation)
            for output, (aggregation, _) in aggregations.items()
        }
    return Grouped(keys=keys_out, values=values_out, _frame=grouped)


def _numeric_column(values: npt.NDArray[Any], aggregation: Aggregation) -> npt.NDArray[Any]:
    if aggregation in ("len", "count"):
        return np.asarray(values, dtype=np.int64)
    if aggregation == "sum":
        return np.asarray(values, dtype=np.float64)
    if values.dtype == object:
        converted = _missing_as_none(values)
        if all(item is None or isinstance(item, int | float) for item in converted):
            return np.array(
                [np.nan if item is None else item for item in converted], dtype=np.float64
            )
        return converted
    return values


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)
    return type(value).__name__ in {"NAType", "NaTType"}


def _missing_as_none(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Missing keys become None (pandas NaN/NA/NaT, polars and Arrow nulls).

    A numeric or datetime column with missing entries becomes an object array,
    so a missing key looks the same whatever the engine and dtype.
    """
    if values.dtype.kind in "fcmM":
        missing = np.isnan(values)
        if not missing.any():
            return values
        out = values.astype(object)
        out[missing] = None
        return out
    if values.dtype != object:
        return values
    out = values.copy()
    for index, value in enumerate(values):
        if _is_missing(value):
            out[index] = None
    return out


def _factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
    """Integer codes and sorted distinct values; a missing value gets the last code."""
    if values.dtype == object:
        missing = np.fromiter((_is_missing(value) for value in values), bool, values.shape[0])
    elif values.dtype.kind in "fcmM":
        missing = np.isnan(values)
    else:
        missing = np.zeros(values.shape[0], dtype=bool)
    present = values[~missing]
    try:
        distinct, codes_present = np.unique(present, return_inverse=True)
    except TypeError:  # mixed types that do not order: order by (type name, text)
        labels = np.array([f"{type(value).__name__}\x00{value!r}" for value in present])
        _, first, codes_present = np.unique(labels, return_index=True, return_inverse=True)
        distinct = present[first]
    codes = np.full(values.shape[0], distinct.shape[0], dtype=np.int64)
    codes[~missing] = codes_present
    if missing.any():
        distinct = np.concatenate([distinct.astype(object), np.array([None], dtype=object)])
    return codes, distinct


def _group_arrays(
    arrays: Mapping[str, npt.NDArray[Any]],
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool,
) -> Grouped:
    n = next(iter(arrays.values())).shape[0]
    keep = np.ones(n, dtype=bool)
    codes: list[npt.NDArray[np.int64]] = []
    levels: list[npt.NDArray[Any]] = []
    for key in keys:
        key_codes, distinct = _factorize(arrays[key])
        if drop_null_keys and distinct.shape[0] and distinct[-1] is None:
            keep &= key_codes != distinct.shape[0] - 1
        codes.append(key_codes)
        levels.append(distinct)
    if keys:
        shape = tuple(max(1, level.shape[0]) for level in levels)
        combined = np.ravel_multi_index(tuple(code[keep] for code in codes), shape)
        group_codes, group = np.unique(combined, return_inverse=True)
        positions = np.unravel_index(group_codes, shape)
        keys_out = {
            key: level[position]
            for key, level, position in zip(keys, levels, positions, strict=True)
        }
    else:
        group = np.zeros(int(keep.sum()), dtype=np.int64)
        keys_out = {}
    n_groups = int(group.max()) + 1 if group.size else (0 if keys else 1)
    values_out: dict[str, npt.NDArray[Any]] = {}
    for output, (aggregation, column) in aggregations.items():
        if column is None:
            values_out[output] = np.bincount(group, minlength=n_groups).astype(np.int64)
            continue
        column_values = arrays[column][keep]
        values_out[output] = _aggregate_codes(column_values, group, n_groups, aggregation)
    return Grouped(keys=keys_out, values=values_out)


def _aggregate_codes(
    values: npt.NDArray[Any], group: npt.NDArray[np.intp], n_groups: int, aggregation: Aggregation
) -> npt.NDArray[Any]:
    floats = values.astype(np.float64)
    present = ~np.isnan(floats)
    if aggregation == "count":
        return np.bincount(group[present], minlength=n_groups).astype(np.int64)
    if aggregation == "sum":
        # Missing values are skipped, as every dataframe engine does.
        return np.bincount(group[present], weights=floats[present], minlength=n_groups)
    out = np.full(n_groups, np.nan)
    if present.any():
        ordered = np.lexsort((floats[present], group[present]))
        sorted_groups = group[present][ordered]
        sorted_values = floats[present][ordered]
        starts = np.flatnonzero(np.r_[True, np.diff(sorted_groups) != 0])
        ends = np.r_[starts[1:], sorted_groups.shape[0]] - 1
        chosen = starts if aggregation == "min" else ends
        out[sorted_groups[chosen]] = sorted_values[chosen]
    return out


def group_order(grouped: Grouped) -> npt.NDArray[np.intp]:
    """Row order that sorts the groups by their keys, a missing key last.

    Engines return groups in arbitrary order; sorting gives every engine the
    same result.
    """
    codes = [_factorize(column)[0] for column in grouped.keys.values()]
    if not codes:
        return np.arange(grouped.n_groups, dtype=np.intp)
    # lexsort sorts by its last key first.
    return np.lexsort(tuple(reversed(codes))).astype(np.intp)


def regroup(
    grouped: Grouped, keys: Sequence[str]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Group the rows of a collected table again, by a subset of its keys.

    Returns ``(codes, first_rows)``: the group of every row, numbered in key
    order (a missing key last, as :func:`group_order`), and one row of each
    group, for reading its key values (pass it to :func:`columns_to_frame`).
    """
    n_rows = grouped.n_groups
    if not keys:
        return np.zeros(n_rows, dtype=np.intp), np.zeros(min(n_rows, 1), dtype=np.intp)
    codes = [_factorize(grouped.keys[key])[0] for key in keys]
    shape = tuple(int(code.max()) + 1 if code.size else 1 for code in codes)
    combined = np.ravel_multi_index(tuple(codes), shape)
    _, first_rows, group = np.unique(combined, return_index=True, return_inverse=True)
    return group.astype(np.intp), first_rows.astype(np.intp)


def columns_to_frame(
    keys: Grouped | None,
    rows: npt.NDArray[np.intp] | None,
    values: Mapping[str, npt.NDArray[Any]],
    *,
    table: Table,
    key_columns: Sequence[str] | None = None,
) -> Any:
    """Build the result table in the caller's frame library.

    Parameters
    ----------
    keys
        The :class:`Grouped` whose key columns lead the result, or None.
    rows
        Which groups of ``keys``, in which order, become the result's rows.
    values
        Further columns (numpy arrays, one entry per row).
    table
        The caller's input; decides the output library.
    key_columns
        Which key columns of ``keys`` to keep (default: all of them).

    Returns
    -------
    A native eager frame (see the module docstring for which library), or a
    dictionary of numpy arrays when the input was arrays.
    """
    kept = list(keys.keys if key_columns is None else key_columns) if keys is not None else []
    if not table.is_frame or keys is None or keys._frame is None:
        out: dict[str, npt.NDArray[Any]] = {}
        if keys is not None:
            for name in kept:
                column = keys.keys[name]
                out[name] = column if rows is None else column[rows]
        out.update(values)
        return out
    nw = import_narwhals()
    with quiet_narwhals():
        key_frame = keys._frame.select(*kept)
        if rows is not None:
            key_frame = key_frame[np.asarray(rows, dtype=np.int64).tolist()]
        key_frame = nw.maybe_reset_index(key_frame)
        if not values:
            return key_frame.to_native()
        value_frame = nw.from_dict(dict(values), backend=key_frame.implementation)
        return nw.concat([key_frame, value_frame], how="horizontal").to_native()
