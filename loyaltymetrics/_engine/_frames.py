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

from loyaltymetrics._engine import _keys
from loyaltymetrics._engine._validation import as_1d_array

__all__ = [
    "AGGREGATIONS",
    "Aggregation",
    "Grouped",
    "NamedColumn",
    "Ops",
    "Table",
    "as_narwhals_frame",
    "as_table",
    "check_numeric",
    "check_temporal",
    "collect_reduced",
    "column_dtype",
    "columns_of_mapping",
    "columns_to_frame",
    "derive",
    "encode_keys",
    "group_aggregate",
    "group_order",
    "group_table",
    "import_narwhals",
    "keep_rows",
    "key_array",
    "quiet_narwhals",
    "regroup",
    "with_group_min",
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


def as_narwhals_frame(data: object, *, name: str = "data") -> Any:
    """Wrap a dataframe with narwhals; None when ``data`` is not a dataframe.

    ``name`` is the caller's argument name, used when the frame is refused
    (duplicated column names).
    """
    if isinstance(data, np.ndarray | list | tuple | str | bytes):
        return None
    if type(data).__module__.split(".")[0] not in _FRAME_PACKAGES:
        return None
    nw = import_narwhals()
    with quiet_narwhals():
        try:
            wrapped = nw.from_native(data, pass_through=True)
        except nw.exceptions.DuplicateError as error:
            raise ValueError(f"`{name}` must have unique column names; {error}") from None
        if type(data).__module__.startswith("pandas"):
            wrapped = _object_dates_as_datetimes(nw, wrapped, data)
    if not isinstance(wrapped, nw.DataFrame | nw.LazyFrame):
        return None  # Series and arrays come back unchanged: one column, not a table.
    # Spark accepts duplicated names (which narwhals' schema folds into one) and
    # fails only when one is used: the native frame's own list tells.
    spark = type(data).__module__.startswith("pyspark")
    native_names = getattr(data, "columns", None) if spark else None
    names = list(native_names) if isinstance(native_names, list | tuple) else []
    repeated = sorted({column for column in names if names.count(column) > 1}, key=str)
    if repeated:
        raise ValueError(f"`{name}` must have unique column names; repeated: {repeated}")
    return wrapped


# Values of a pandas object column looked at before it is scanned for dates.
_DATE_PROBE = 64


def _object_dates_as_datetimes(nw: ModuleType, wrapped: Any, native: Any) -> Any:
    """Read pandas object columns of ``datetime.date`` values as datetimes (a copy).

    pandas keeps ``datetime.date`` objects in an object column; they are dates
    all the same, as they are to polars and pyarrow.
    """
    if not isinstance(wrapped, nw.DataFrame):
        return wrapped
    import pandas as pd

    def all_dates(values: Any) -> bool:
        # A column of dates has only dates (or missing values) in its head too:
        # the head rules out a column of strings without a pass over every row.
        head = pd.api.types.infer_dtype(values.iloc[:_DATE_PROBE], skipna=True)
        return head in ("date", "empty") and (
            pd.api.types.infer_dtype(values, skipna=True) == "date"
        )

    converted = {
        column: pd.to_datetime(native[column])
        for column in native.columns
        if native[column].dtype == object and all_dates(native[column])
    }
    if not converted:
        return wrapped
    with quiet_narwhals():
        return nw.from_native(native.assign(**converted), eager_only=True)


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


@dataclass(frozen=True)
class NamedColumn:
    """A column of a mapping of arrays, named like a Series so a result keeps its name."""

    name: str
    values: object

    def to_numpy(self) -> npt.NDArray[Any]:
        return np.asarray(self.values)


def columns_of_mapping(
    data: Mapping[Any, Any], *, score: object, roles: Mapping[str, object]
) -> tuple[object, dict[str, object]]:
    """Resolve the column names of a mapping of column names to arrays.

    ``data`` is what ``load_survey()`` returns by default. Returns the score
    column and, per role, its column: ``by`` as a :class:`NamedColumn` (a
    list of them for a list of names) so the result names its keys, every
    other role as the array; a role given as None stays None.

    Examples
    --------
    >>> data = {"nps": [10, 3], "region": ["a", "b"], "w": [1.0, 2.0]}
    >>> score, roles = columns_of_mapping(data, score="nps", roles={"by": "region", "weights": "w"})
    >>> score, roles["by"].name, roles["weights"]
    ([10, 3], 'region', [1.0, 2.0])
    """

    def column(role: str, name: object) -> object:
        if not isinstance(name, str):
            raise TypeError(
                f"`{role}` must name a column of `data` (a mapping of column names to "
                f"arrays); got {type(name).__name__}"
            )
        if name not in data:
            raise ValueError(
                f"`{role}` names column {name!r}, which is not in `data`; its columns are: "
                f"{', '.join(map(str, data))}"
            )
        return data[name]

    if score is None:
        raise TypeError("`score` must name the score column of `data`")
    resolved: dict[str, object] = {}
    for role, names in roles.items():
        if names is None:
            resolved[role] = None
        elif role != "by":
            resolved[role] = column(role, names)
        elif isinstance(names, list | tuple):
            resolved[role] = [NamedColumn(str(name), column(role, name)) for name in names]
        else:
            resolved[role] = NamedColumn(str(names), column(role, names))
    return column("score", score), resolved


def _is_array_like(value: object) -> bool:
    if isinstance(value, str | bytes):
        return False
    return isinstance(value, list | tuple | np.ndarray) or hasattr(value, "to_numpy")


def key_array(values: object, *, name: str, n: int) -> npt.NDArray[Any]:
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
            taken = set(arrays) | {other for other in roles if other != role}
            keys = _key_arrays(value, role=role, n=n, taken=taken)
            arrays.update(keys)
            resolved_arrays[role] = tuple(keys)
        else:
            array = as_1d_array(value, name=role)
            if array.shape[0] != n:
                raise ValueError(
                    f"`{role}` must have the same length as `data` ({n}); got {array.shape[0]}"
                )
            arrays[role] = array
            resolved_arrays[role] = (role,)
    return Table(kind="arrays", columns=resolved_arrays, _arrays=arrays)


def _key_arrays(
    value: object, *, role: str, n: int, taken: set[str]
) -> dict[str, npt.NDArray[Any]]:
    """Return the key arrays of ``role`` (one array-like, or a list of them) by column name."""
    several = isinstance(value, list | tuple) and len(value) > 0 and all(map(_is_array_like, value))
    parts = list(value) if several else [value]  # type: ignore[call-overload]
    names = tuple(
        _array_name(part, role=role, index=index, several=several)
        for index, part in enumerate(parts)
    )
    if len(set(names)) != len(names) or taken & set(names):
        # Series names that repeat, or clash with another argument's column,
        # fall back to positional names.
        names = tuple(f"{role}_{index}" if several else role for index in range(len(parts)))
    return {name: key_array(part, name=role, n=n) for name, part in zip(names, parts, strict=True)}


def _array_name(part: object, *, role: str, index: int, several: bool) -> str:
    """Name a key array: its own (Series) name when it has one, else the role."""
    name = getattr(part, "name", None)
    if isinstance(name, str) and name:
        return name
    return f"{role}_{index}" if several else role


def check_numeric(table: Table, role: str, *, boolean: bool = False) -> None:
    """Raise TypeError unless every column of ``role`` is numeric (or boolean, if ``boolean``)."""
    if not table.is_frame:
        return  # arrays were coerced (and checked) by ``as_1d_array`` in ``as_table``
    with quiet_narwhals():
        schema = table._frame.collect_schema()
    for column in table.columns[role]:
        dtype = schema[column]
        if not (dtype.is_numeric() or (boolean and dtype == import_narwhals().Boolean)):
            raise TypeError(f"`{role}` column {column!r} must be numeric; its dtype is {dtype}")


def column_dtype(table: Table, column: str) -> Any:
    """Return the narwhals dtype of a frame's column, or the numpy dtype of an array's."""
    if not table.is_frame:
        assert table._arrays is not None
        return np.asarray(table._arrays[column]).dtype
    with quiet_narwhals():
        return table._frame.collect_schema()[column]


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
        From :func:`as_table`, or a step of a chain (:func:`group_table`,
        :func:`derive`, :func:`keep_rows`, :func:`with_group_min`).
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
        counts are int64; minima and maxima are float64, or datetime64 for a
        datetime column of arrays.

    Notes
    -----
    Lazy engines run the group-by and only the aggregated table is
    collected; eager polars runs as a lazy plan. Plain arrays and eager
    pandas frames are grouped in numpy: keys become integer codes by hashing
    (or by offset, for narrow integer ranges), combined into one code per row
    and counted by one ``numpy.bincount`` (see :mod:`loyaltymetrics._engine._keys`).
    """
    _check_aggregations(aggregations)
    if table.is_frame and not _in_numpy(table):
        return _group_frame(table, keys, aggregations, drop_null_keys=drop_null_keys)
    grouped = _group_arrays(_columns(table), keys, aggregations, drop_null_keys=drop_null_keys)
    if not table.is_frame:
        return grouped
    nw = import_narwhals()
    with quiet_narwhals():
        native = table._frame.to_native()
        frame = nw.from_native(type(native)({**grouped.keys, **grouped.values}), eager_only=True)
    return Grouped(keys=grouped.keys, values=grouped.values, _frame=frame)


def group_table(
    table: Table,
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool = False,
) -> Table:
    """Like :func:`group_aggregate`, but keep the grouped table in the engine for a next step.

    The result is a table (a lazy plan for dataframe engines, numpy columns
    for arrays and pandas) of the key columns and the aggregated columns;
    with no aggregation it holds the distinct rows of the keys. Pass it to
    :func:`derive`, :func:`keep_rows`, :func:`with_group_min` or another
    group-by, and collect the last step with :func:`group_aggregate`.
    """
    _check_aggregations(aggregations)
    if table.is_frame and not _in_numpy(table):
        nw = import_narwhals()
        with quiet_narwhals():
            grouped = _frame_group_by(nw, _lazy(table), keys, aggregations, drop_null_keys)
        return _chained(table, grouped)
    out = _group_arrays(
        _columns(table), keys, aggregations, drop_null_keys=drop_null_keys, coded=True
    )
    return _chained(table, None, {**out.keys, **out.values})


def _check_aggregations(aggregations: Mapping[str, tuple[Aggregation, str | None]]) -> None:
    for output, (aggregation, column) in aggregations.items():
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {aggregation!r} for {output!r}")
        if (aggregation == "len") != (column is None):
            raise ValueError(f"aggregation {aggregation!r} for {output!r} needs a column")


def _in_numpy(table: Table) -> bool:
    """Tell whether the table is reduced in numpy (arrays and eager pandas frames)."""
    if not table.is_frame:
        return True
    return table.kind == "eager" and bool(table._frame.implementation.is_pandas())


def _lazy(table: Table) -> Any:
    """Return the frame to build a plan on: eager polars becomes a lazy plan."""
    frame = table._frame
    if table.kind == "eager" and frame.implementation.is_polars():
        return frame.lazy()
    return frame


def _chained(table: Table, frame: Any, arrays: Mapping[str, Any] | None = None) -> Table:
    if arrays is not None:
        return Table(kind="arrays", columns=table.columns, _arrays=dict(arrays))
    nw = import_narwhals()
    kind: Literal["eager", "lazy"] = "lazy" if isinstance(frame, nw.LazyFrame) else "eager"
    return Table(kind=kind, columns=table.columns, _frame=frame)


class Ops:
    """Build a derived column the same way for an engine and for numpy.

    ``col(name)`` is a narwhals expression (frames) or a numpy array
    (arrays); both support arithmetic and comparisons, so one function such
    as ``lambda ops: ops.col("a") > ops.col("b")`` builds both.
    """

    def __init__(self, nw: ModuleType | None, arrays: Mapping[str, Any] | None) -> None:
        self.nw = nw
        self._arrays = arrays

    @property
    def is_frame(self) -> bool:
        """True when building narwhals expressions."""
        return self.nw is not None

    def col(self, name: str) -> Any:
        """One column: an expression, or a numpy array."""
        if self.nw is not None:
            return self.nw.col(name)
        assert self._arrays is not None
        column = self._arrays[name]
        return column.values() if isinstance(column, _keys.KeyCodes) else column

    def exp(self, value: Any) -> Any:
        """Elementwise exponential."""
        return value.exp() if self.nw is not None else np.exp(value)

    def where(self, condition: Any, then: Any, otherwise: Any) -> Any:
        """Elementwise choice."""
        if self.nw is not None:
            return self.nw.when(condition).then(then).otherwise(otherwise)
        return np.where(condition, then, otherwise)


def derive(table: Table, columns: Mapping[str, Callable[[Ops], Any]]) -> Table:
    """Add (or replace) the columns ``name: build(ops)``, computed in the engine."""
    if table.is_frame and not _in_numpy(table):
        nw = import_narwhals()
        with quiet_narwhals():
            ops = Ops(nw, None)
            frame = _lazy(table).with_columns(
                *(build(ops).alias(name) for name, build in columns.items())
            )
        return _chained(table, frame)
    arrays = dict(_columns(table))
    ops = Ops(None, arrays)
    arrays.update({name: np.asarray(build(ops)) for name, build in columns.items()})
    return _chained(table, None, arrays)


def encode_keys(table: Table, columns: Sequence[str]) -> Table:
    """Code key columns once (by hashing), for a chain that groups by them more than once.

    Arrays and pandas frames get the columns replaced by their codes, so later
    group-bys, counts and windows on them hash nothing again; a dataframe
    engine's table is returned unchanged (its engine hashes in its group-bys).
    """
    if table.is_frame and not _in_numpy(table):
        return table
    arrays = dict(_columns(table))
    arrays.update({name: _keys.factorize(arrays[name]) for name in columns})
    return _chained(table, None, arrays)


def keep_rows(table: Table, predicate: Callable[[Ops], Any]) -> Table:
    """Keep the rows where ``predicate(ops)`` holds, in the engine."""
    if table.is_frame and not _in_numpy(table):
        nw = import_narwhals()
        with quiet_narwhals():
            frame = _lazy(table).filter(predicate(Ops(nw, None)))
        return _chained(table, frame)
    arrays = _columns(table)
    mask = np.asarray(predicate(Ops(None, arrays)), dtype=bool)
    return _chained(table, None, {name: _take(arrays[name], mask) for name in arrays})


def with_group_min(table: Table, key: str | Sequence[str], column: str, name: str) -> Table:
    """Add ``name``: the minimum of ``column`` over the rows that share ``key``.

    ``key`` is one column or several (the rows sharing all of them). A window
    in pandas, polars and DuckDB, a group-by joined back in distributed
    engines (cheaper there), ``ufunc.at`` on hashed codes in numpy. ``key``
    must not be missing (callers check it first): a SQL join does not match
    missing keys.
    """
    keys = [key] if isinstance(key, str) else list(key)
    if table.is_frame and not _in_numpy(table):
        nw = import_narwhals()
        with quiet_narwhals():
            frame = _lazy(table)
            implementation = frame.implementation
            windowed = (implementation.is_pandas_like(), implementation.is_polars())
            if any(windowed) or implementation.is_duckdb():
                frame = frame.with_columns(nw.col(column).min().over(*keys).alias(name))
            else:
                first = frame.group_by(*keys).agg(nw.col(column).min().alias(name))
                frame = frame.join(first, on=keys)
        return _chained(table, frame)
    arrays = dict(_columns(table))
    codes = [_keys.factorize(arrays[part]) for part in keys]
    if len(codes) == 1:
        group, n_groups = codes[0].codes, codes[0].size
    else:
        combined, levels, _ = _keys.group_codes(codes, codes[0].codes.shape[0])
        assert combined is not None
        group, n_groups = combined, levels[0].shape[0]
    values = np.asarray(Ops(None, arrays).col(column))
    minimum = _keys.group_reduce(values, group, n_groups, "min")
    arrays[name] = minimum[group].astype(values.dtype, copy=False)
    return _chained(table, None, arrays)


#: Bit masks are 64-bit words: a value set is aggregated natively up to this width.
_SET_WIDTH = 64
_MASK = "__loyaltymetrics_mask"


def count_distinct_by_group_min(
    table: Table,
    keys: Sequence[str],
    column: str,
    *,
    keep: Sequence[str],
    low: int,
    high: int,
    minimum: str,
    count: str,
) -> Grouped | None:
    """Count the distinct rows of ``keys`` + ``column`` by (``keep``, group minimum, value).

    Each distinct (``keys``, ``column``) row carries the minimum of
    ``column`` over its ``keys`` group (as ``minimum``); the result counts
    those rows per (``keep``, ``minimum``, ``column``), ``keep`` being a
    subset of ``keys``. It equals :func:`group_aggregate` of :func:`group_table`
    (no aggregation) then :func:`with_group_min`. ``column`` must hold
    integers in ``low..high``.

    Where the engine aggregates bits (polars' ``bitwise_or``) and that range
    has at most 64 values, this is one group-by by ``keys`` that collects
    each group's minimum and its set of values as a 64-bit mask, so the
    distinct rows are never hashed or kept in the engine; the masks are
    counted in numpy, bit by bit. None for other engines and wider ranges:
    build the steps above then.
    """
    width = high - low + 1
    if not 0 < width <= _SET_WIDTH or not table.is_frame or _in_numpy(table):
        return None
    frame = _lazy(table)
    if not frame.implementation.is_polars():
        return None
    import polars as pl

    if not hasattr(pl.Expr, "bitwise_or"):  # pragma: no cover - polars older than 1.23
        return None
    value = pl.col(column)
    power_of_two = pl.lit(2, dtype=pl.UInt64).pow((value - low).cast(pl.UInt64))
    sets = (
        frame.to_native()
        .group_by(list(keys))
        .agg(value.min().alias(minimum), power_of_two.bitwise_or().alias(_MASK))
        .select(*keep, minimum, _MASK)
        .collect()
    )
    masks = sets[_MASK].to_numpy()
    firsts = sets[minimum].to_numpy().astype(np.int64) - low
    with_bit = [np.flatnonzero(masks & np.uint64(1 << bit)) for bit in range(width)]
    if keep:  # the distinct rows spelled out, then counted by every key
        row = np.concatenate(with_bit)
        arrays = {key: _missing_as_none(sets[key].to_numpy()[row]) for key in keep}
        arrays[minimum] = firsts[row] + low
        arrays[column] = np.repeat(
            np.arange(low, high + 1, dtype=np.int64), [rows.shape[0] for rows in with_bit]
        )
        rows_table = Table(kind="arrays", columns=table.columns, _arrays=arrays)
        return group_aggregate(rows_table, [*keep, minimum, column], {count: ("len", None)})
    cells = np.stack([np.bincount(firsts[rows], minlength=width) for rows in with_bit], axis=1)
    first_offset, value_offset = np.nonzero(cells)
    return Grouped(
        keys={minimum: first_offset + low, column: value_offset + low},
        values={count: cells[first_offset, value_offset].astype(np.int64)},
    )


def _take(values: Any, mask: npt.NDArray[np.bool_]) -> Any:
    if isinstance(values, np.ndarray | _keys.KeyCodes):
        return values[mask] if isinstance(values, np.ndarray) else values.take(mask)
    return values[mask].reset_index(drop=True)  # a pandas categorical Series


def _columns(table: Table) -> Mapping[str, Any]:
    """Return the numpy columns of an array table or of an eager pandas frame."""
    if not table.is_frame:
        assert table._arrays is not None
        return table._arrays
    return _PandasColumns(table._frame.to_native())


class _PandasColumns(Mapping[str, Any]):
    """Columns of a pandas frame as numpy arrays, extracted when asked for."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def __getitem__(self, name: str) -> Any:
        return _pandas_column(self._native[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._native.columns)

    def __len__(self) -> int:
        return len(self._native.columns)


def _pandas_column(series: Any) -> Any:
    """Return a pandas column as numpy: no copy for numpy dtypes; wall-clock time for zones.

    Text held in Arrow comes back as its key codes (:class:`~._keys.KeyCodes`),
    as :func:`encode_keys` would code it: text is only ever a key.
    """
    dtype = series.dtype
    if getattr(dtype, "name", "") == "category":
        return series  # its codes are hashed codes already
    if getattr(dtype, "storage", None) == "pyarrow" and dtype.kind in "OU":
        # Text kept in Arrow (pandas 3's default strings, ``string[pyarrow]``):
        # coded from its buffers, never turned into Python objects.
        arrow = series.array.__arrow_array__()
        if _keys.is_arrow_text(arrow):
            return _keys.factorize(arrow)
    arrow_type = getattr(dtype, "pyarrow_dtype", None)
    if arrow_type is not None:
        times = _arrow_times(series, arrow_type)
        if times is not None:
            return times
    if getattr(dtype, "tz", None) is not None:
        return series.dt.tz_localize(None).to_numpy()
    if isinstance(dtype, np.dtype):
        return series.to_numpy()
    if getattr(dtype, "kind", "O") in "iuf":  # nullable numbers: missing values become NaN
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.to_numpy(dtype=object, na_value=None)


def _arrow_times(series: Any, arrow_type: Any) -> npt.NDArray[Any] | None:
    """Return an Arrow-backed date or timestamp column as numpy datetimes (NaT where missing).

    Zoned timestamps become their wall-clock time, as for numpy-backed
    columns (pandas' own ``tz_localize(None)`` gives UTC for Arrow-backed
    ones). None for other types.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)):
        return None
    times = series.array.__arrow_array__()
    if pa.types.is_date(arrow_type):
        times = times.cast(pa.timestamp("s"))
    elif arrow_type.tz is not None:
        times = pc.local_timestamp(times)
    return np.asarray(times.to_numpy())


def _frame_expression(nw: ModuleType, aggregation: Aggregation, column: str | None) -> Any:
    if aggregation == "len":
        return nw.len()
    if aggregation == "sum":
        return nw.col(_sum_input(column)).sum()
    return getattr(nw.col(column), aggregation)()


def _sum_input(column: str | None) -> str:
    return f"__loyaltymetrics_sum_{column}"


def _frame_group_by(
    nw: ModuleType,
    frame: Any,
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    drop_null_keys: bool,
) -> Any:
    """Build the narwhals plan of one group-by (not collected)."""
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
    if not keys:
        return frame.select(*expressions)
    if not expressions:
        # The distinct keys: a plain GROUP BY (SQL engines plan ``unique`` as a window).
        counted = frame.group_by(*keys, drop_null_keys=drop_null_keys).agg(
            nw.len().alias("__loyaltymetrics_rows")
        )
        return counted.select(*keys)
    return frame.group_by(*keys, drop_null_keys=drop_null_keys).agg(*expressions)


def _group_frame(
    table: Table,
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool,
) -> Grouped:
    nw = import_narwhals()
    with quiet_narwhals():
        grouped = _frame_group_by(nw, _lazy(table), keys, aggregations, drop_null_keys)
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
    arrays: Mapping[str, Any],
    keys: Sequence[str],
    aggregations: Mapping[str, tuple[Aggregation, str | None]],
    *,
    drop_null_keys: bool,
    coded: bool = False,
) -> Grouped:
    """Group numpy columns: hashed key codes, one combined code, bincount and ufunc.at.

    ``coded=True`` leaves the key columns as :class:`~._keys.KeyCodes` (for a
    next step of a chain, which then need not hash them again).
    """
    used = [*keys, *(column for _, column in aggregations.values() if column is not None)]
    columns = {name: arrays[name] for name in dict.fromkeys(used)}
    n = len(next(iter(columns.values()))) if columns else len(next(iter(arrays.values())))
    need_group = any(column is not None for _, column in aggregations.values())
    if not need_group:
        # Counting rows by integer keys: one chunked pass (no missing keys to drop).
        counted = _keys.count_integer_keys([columns[key] for key in keys])
        if counted is not None:
            key_levels, key_codes, counts = counted
            counted_keys: dict[str, Any] = {
                key: _keys.KeyCodes(code, level) if coded else level[code]
                for key, level, code in zip(keys, key_levels, key_codes, strict=True)
            }
            return Grouped(keys=counted_keys, values=dict.fromkeys(aggregations, counts))
    codes = [_keys.factorize(columns[key]) for key in keys]
    if drop_null_keys:
        keep = np.ones(n, dtype=bool)
        for code in codes:
            if code.size and code.levels[-1] is None:
                keep &= code.codes != code.size - 1
        if not keep.all():
            columns = {name: _take(values, keep) for name, values in columns.items()}
            codes = [_keys.KeyCodes(code.codes[keep], code.levels) for code in codes]
            n = int(keep.sum())
    need_rows = any(column is None for _, column in aggregations.values())
    group, level_codes, rows = _keys.group_codes(
        codes, n, need_group=need_group, need_rows=need_rows
    )
    n_groups = int(level_codes[0].shape[0]) if keys else 1
    keys_out: dict[str, Any] = {
        key: _keys.KeyCodes(level, code.levels) if coded else _missing_as_none(code.levels[level])
        for key, code, level in zip(keys, codes, level_codes, strict=True)
    }
    values_out: dict[str, npt.NDArray[Any]] = {}
    for output, (aggregation, column) in aggregations.items():
        if column is None and rows is not None:
            values_out[output] = rows
            continue
        assert group is not None  # given whenever a column is aggregated or rows not counted
        if column is None:
            values_out[output] = np.bincount(group, minlength=n_groups).astype(np.int64)
            continue
        values = _numeric_values(columns[column], aggregation)
        # Key groups come from the rows; the one group of no keys may have none.
        values_out[output] = _keys.group_reduce(
            values, group, n_groups, aggregation, every_group_has_rows=bool(keys) or n > 0
        )
    return Grouped(keys=keys_out, values=values_out)


def _missing_mask(array: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Missing entries of a column of any dtype (vectorised by pandas for objects)."""
    if array.dtype.kind in "fc":
        return np.asarray(np.isnan(array), dtype=bool)
    if array.dtype.kind in "mM":
        return np.asarray(np.isnat(array), dtype=bool)
    if array.dtype.kind != "O":
        return np.zeros(array.shape[0], dtype=bool)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed in the test extra
        return np.fromiter((_is_missing(item) for item in array), bool, array.shape[0])
    return np.asarray(pd.isna(array), dtype=bool)


def _numeric_values(values: Any, aggregation: Aggregation) -> npt.NDArray[Any]:
    """Return a column to aggregate as numbers (or datetimes); a count takes any column."""
    if isinstance(values, _keys.KeyCodes) and aggregation == "count":
        has_missing = bool(values.size) and values.levels[-1] is None
        absent = values.codes == values.size - 1 if has_missing else np.zeros(len(values), bool)
        return np.where(absent, np.nan, 0.0)
    array = values.values() if isinstance(values, _keys.KeyCodes) else np.asarray(values)
    if array.dtype.kind in "iufbmM":
        return array
    missing = _missing_mask(array)
    if aggregation == "count":
        return np.where(missing, np.nan, 0.0)
    out = np.full(array.shape[0], np.nan)
    out[~missing] = array[~missing].astype(np.float64)
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
