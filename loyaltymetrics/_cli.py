"""The ``loyaltymetrics`` command line: a report of survey metrics from a data file.

The command reads a CSV file (through pyarrow when it is installed, else with
the standard library's csv module) or a Parquet file (pyarrow), converts the
score, weight and segment columns column-wise to numpy arrays, hands them to
the public functions, and prints the result as a table, Markdown, CSV or
JSON. Every problem with the user's data is reported as one line on stderr with
exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import contextvars
import csv
import datetime
import io
import json
import math
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO, cast, overload

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._periods import CALENDAR_PERIODS
from loyaltymetrics._engine._validation import (
    check_confidence_level,
    first_invalid_score,
    first_invalid_weight,
)
from loyaltymetrics._survey._metrics import METRICS, MetricDefinition
from loyaltymetrics._survey._over_time import over_time
from loyaltymetrics._survey._segments import by_segment

__all__ = ["main"]

FloatArray = npt.NDArray[np.float64]
_MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none"})
_MISSING_LABEL = "(missing)"
_FORMATS = ("table", "markdown", "csv", "json")
#: A date written the ISO way, optionally with a time: what ``--over`` reads from text.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


class CommandError(Exception):
    """An error to report to the user as one line, without a traceback."""


# --------------------------------------------------------------------------- metrics


# --------------------------------------------------------------------------- arguments


def _confidence_level(text: str) -> float:
    try:
        return check_confidence_level(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number strictly between 0 and 1, such as 0.95; got {text!r}"
        ) from None


_REPORT_DESCRIPTION = (
    "Report a survey metric (NPS by default, or CSAT or CES) overall and by\n"
    "segment: each figure with its confidence interval, and each segment\n"
    "compared with the rest of the data (p-values Holm-corrected). With --over,\n"
    "the metric per period of a date column instead: each period against the\n"
    "previous one, and the linear trend per period.\n\n"
    "FILE is a CSV file (comma, semicolon or tab separated, with a header\n"
    "row) or, when pyarrow is installed, a Parquet file. Missing answers in\n"
    "the score column (empty cells, NA, NaN, null) are left out and counted.\n"
    "Without FILE, the report runs on the bundled example survey (synthetic\n"
    "data, score columns nps, csat and ces, segments region, plan, channel,\n"
    "dates in column date)."
)
_REPORT_EPILOG = (
    "examples:\n"
    "  loyaltymetrics report\n"
    "  loyaltymetrics report survey.csv --score likelihood --by region\n"
    "  loyaltymetrics report survey.csv --score q1 --by region --by region,plan\n"
    "  loyaltymetrics report survey.parquet --score q1 --weights w --format json\n"
    "  loyaltymetrics report survey.csv --score q1 --over date --period quarter --by region"
)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loyaltymetrics",
        description="Customer-loyalty metrics from survey data.",
        epilog="Run 'loyaltymetrics report --help' for the report's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="report a survey metric overall and by segment, or per period",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_REPORT_DESCRIPTION,
        epilog=_REPORT_EPILOG,
    )
    _add_input_options(report)
    _add_breakdown_options(report)
    _add_output_options(report)
    _add_reading_options(report)
    return parser


def _add_input_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="CSV or Parquet file, one row per response (default: the bundled example)",
    )
    report.add_argument(
        "--score",
        metavar="COL",
        help="column holding the answers (required with FILE; the example uses the metric name)",
    )
    report.add_argument(
        "--metric",
        choices=tuple(name for name, entry in METRICS.items() if entry.summarise),
        default="nps",
        help="the metric to report (default: %(default)s)",
    )
    report.add_argument(
        "--weights",
        metavar="COL",
        help="column of survey weights: finite, non-negative numbers, none missing",
    )


def _add_breakdown_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "--by",
        metavar="COL",
        action="append",
        help=(
            "segment column for a breakdown; repeat for several breakdowns, or join "
            "columns with commas (region,plan) to cross them (example default: region, "
            "none with --over)"
        ),
    )
    report.add_argument(
        "--over",
        metavar="COL",
        help=(
            "date or datetime column: report the metric per period (per segment with "
            "--by), each period against the previous one, and the trend per period"
        ),
    )
    report.add_argument(
        "--period",
        choices=CALENDAR_PERIODS,
        help="calendar period of --over; weeks start on Monday (default: month)",
    )


def _add_output_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "--confidence-level",
        type=_confidence_level,
        default=0.95,
        metavar="LEVEL",
        help="confidence level of the intervals (default: %(default)s)",
    )
    report.add_argument(
        "--format",
        choices=_FORMATS,
        default="table",
        help="output format (default: %(default)s)",
    )


def _skip_rows(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more; got {text!r}")
    return value


def _add_reading_options(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "--decimal",
        choices=(".", ","),
        default=".",
        help=(
            "decimal mark of numbers in the file: ',' for European spreadsheet exports "
            "(then the columns are separated by ';' or tabs) (default: %(default)s)"
        ),
    )
    report.add_argument(
        "--skip-rows",
        type=_skip_rows,
        default=0,
        metavar="N",
        help="lines to skip before a CSV file's header, such as a title (default: %(default)s)",
    )
    report.add_argument(
        "--quiet",
        action="store_true",
        help="no progress line on stderr (shown only on a terminal, for work of over 2 s)",
    )


# --------------------------------------------------------------------------- input

#: A column as read: a pyarrow ChunkedArray (CSV text, or Parquet's own types) or a
#: numpy array (the standard-library reader's text, or the bundled example's types).
_Column = Any
BoolArray = npt.NDArray[np.bool_]


class _Locations(Sequence[str]):
    """The user-facing location of each data row, worked out only when asked for."""

    def __init__(self, n_rows: int, locate: Callable[[int], str]) -> None:
        self._n_rows = n_rows
        self._locate = locate

    def __len__(self) -> int:
        return self._n_rows

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._locate(i) for i in range(self._n_rows)[index]]
        return self._locate(range(self._n_rows)[index])


def _row_locations(n_rows: int) -> _Locations:
    return _Locations(n_rows, lambda index: f"row {index + 1}")


@dataclass(frozen=True)
class _Table:
    """Columns of the input, read column-wise, and how to name a row to the user.

    A column is kept as read (text for CSV files, the file's own types for
    Parquet) until :meth:`numbers` or :meth:`labels` converts all of it at once.
    """

    columns: dict[str, _Column]
    source: str
    #: The user-facing location of each data row ("line 7" in a CSV file).
    locations: Sequence[str]
    #: The decimal mark of numbers written as text ("." or ",").
    decimal: str = "."

    def column(self, name: str, *, option: str | None = None) -> _Column:
        if name not in self.columns:
            known = ", ".join(repr(column) for column in self.columns)
            where = f"{option}: " if option else ""
            raise CommandError(
                f"{where}no column {name!r} in {self.source}; the columns are {known}"
            )
        return self.columns[name]

    def times(self, name: str, *, needed: BoolArray) -> npt.NDArray[np.datetime64]:
        """Return the date column ``name`` (of ``--over``) as datetime64, NaT where missing.

        A missing date is an error only in a row whose answer is ``needed``.
        """
        _stage(f"checking column {name!r}")
        column = self.column(name, option="--over")
        missing = _is_missing(column)
        values = _as_times(column, missing)
        if values is None:
            texts = _to_objects(column)
            position = next((int(i) for i in np.flatnonzero(~missing) if not _is_date(texts[i])), 0)
            raise CommandError(
                f"--over column {name!r}, {self.locations[position]}: {texts[position]!r} is "
                "not a date (write dates as 2025-01-31, or date and time as 2025-01-31 09:30)"
            )
        absent = np.flatnonzero(missing & needed)
        if absent.size:
            raise CommandError(
                f"--over column {name!r}, {self.locations[int(absent[0])]}: the date is "
                "missing; every answer needs one"
            )
        _stage("computing the report")
        return values

    def numbers(self, name: str, *, what: str) -> FloatArray:
        """Return the column as float64, NaN where missing; a non-number is a located error."""
        _stage(f"checking column {name!r}")
        column = self.column(name)
        missing = _is_missing(column)
        values = _as_numbers(column, missing, self.decimal)
        if values is None:
            values = self._numbers_cell_by_cell(name, column, missing, what=what)
        _stage("computing the report")
        return values

    def _numbers_cell_by_cell(
        self, name: str, column: _Column, missing: BoolArray, *, what: str
    ) -> FloatArray:
        # Only reached when the vectorised parse refused a cell: find it, or accept
        # the spellings Python's float() knows beyond the vectorised parser's.
        texts = _to_objects(column)
        out = np.full(len(texts), np.nan)
        for position in np.flatnonzero(~missing):
            value = texts[position]
            try:
                text = value.strip().replace(self.decimal, ".") if isinstance(value, str) else value
                out[position] = float(text)
            except (TypeError, ValueError):
                hint = " (for decimal commas, use --decimal ,)" if _decimal_comma(value) else ""
                raise CommandError(
                    f"column {name!r}, {self.locations[int(position)]}: {what} {value!r} "
                    f"is not a number{hint}"
                ) from None
        return out

    def labels(self, name: str) -> npt.NDArray[np.object_]:
        """Segment labels as stripped strings, None where missing (a segment of its own)."""
        _stage(f"checking column {name!r}")
        column = self.column(name)
        missing = _is_missing(column)
        labels = _as_text(column)
        labels[missing] = None
        _stage("computing the report")
        return labels


def _decimal_comma(value: object) -> bool:
    return isinstance(value, str) and "," in value and "." not in value


def _is_missing(column: _Column) -> BoolArray:
    """Which cells of a column are missing: null, NaN, or text such as '', 'NA', 'null'.

    Checked column-wise (pyarrow compute or numpy), never cell by cell in Python.
    """
    if isinstance(column, np.ndarray):
        if column.dtype.kind in "fc":
            return np.isnan(column)
        if column.dtype.kind == "M":
            return np.isnat(column)
        if column.dtype.kind == "U":
            folded = np.char.lower(np.char.strip(column))
            return np.isin(folded, np.array(sorted(_MISSING_TEXT)))
        return np.zeros(column.shape[0], dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = pc.is_null(column, nan_is_null=True)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(column))
        missing = pc.or_kleene(missing, pc.is_in(folded, value_set=pa.array(sorted(_MISSING_TEXT))))
    return np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool)


def _as_numbers(column: _Column, missing: BoolArray, decimal: str) -> FloatArray | None:
    """Return float64 with NaN where missing, or None if some cell is not a number."""
    if isinstance(column, np.ndarray):
        if column.dtype.kind in "iufb":
            return np.where(missing, np.nan, column.astype(np.float64))
        if column.dtype.kind != "U":
            return None
        texts = np.where(missing, "nan", np.char.strip(column))
        if decimal != ".":
            texts = np.char.replace(texts, decimal, ".")
        try:
            return np.asarray(texts.astype(np.float64), dtype=np.float64)
        except ValueError:
            return None
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        texts = pc.utf8_trim_whitespace(column)
        texts = pc.if_else(pa.array(missing), pa.scalar(None, column.type), texts)
        if decimal != ".":
            texts = pc.replace_substring(texts, decimal, ".")
        column = texts
    elif not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        return None
    try:
        numbers = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.where(missing, np.nan, numbers)


def _as_times(column: _Column, missing: BoolArray) -> npt.NDArray[np.datetime64] | None:
    """Return a date column as datetime64 (NaT where missing), or None if a cell is no date.

    Text must be an ISO date (2025-01-31) or date and time without a zone;
    a Parquet date or timestamp column is taken as it is.
    """
    if not isinstance(column, np.ndarray):
        import pyarrow as pa

        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            column = column.to_numpy()
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = np.asarray(column.to_numpy(zero_copy_only=False).astype(str))
        else:
            return None
    if column.dtype.kind == "M":
        return np.asarray(column)
    if column.dtype.kind not in "UO":
        return None
    texts = np.char.strip(np.asarray(column, dtype=str))
    distinct = np.unique(texts[~missing])
    if not all(_ISO_DATE.match(text) for text in distinct.tolist()):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            times = np.where(missing, "NaT", texts).astype("datetime64[us]")
    except (ValueError, DeprecationWarning, UserWarning):
        return None
    return np.asarray(times)


def _is_date(value: object) -> bool:
    """Whether one cell is a date ``--over`` reads (for locating the first that is not)."""
    if isinstance(value, datetime.date | np.datetime64):
        return True
    text = str(value).strip()
    if not _ISO_DATE.match(text):
        return False
    try:
        np.datetime64(text.replace(" ", "T"))
    except ValueError:
        return False
    return True


def _as_text(column: _Column) -> npt.NDArray[np.object_]:
    """Return the column as a new object array of stripped strings.

    Equal labels are one shared string object (a dictionary encoding: hashing,
    not sorting, for Arrow text), which makes the array small and the
    breakdown's grouping of it fast.
    """
    if isinstance(column, np.ndarray):
        if column.dtype.kind in "iuM":
            column = column.astype(str)
        if column.dtype.kind == "U":
            distinct, codes = np.unique(np.char.strip(column), return_inverse=True)
            return np.asarray(distinct.astype(object)[codes.reshape(-1)], dtype=object)
        return np.array([str(value).strip() for value in column.tolist()], dtype=object)
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_integer(column.type):
        column = pc.cast(column, pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return np.array(
            [None if value is None else str(value).strip() for value in column.to_pylist()],
            dtype=object,
        )
    encoded = pc.utf8_trim_whitespace(column).combine_chunks().dictionary_encode()
    distinct = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
    # A null (only ever a missing cell) points at the trailing None.
    codes = pc.fill_null(encoded.indices, len(distinct) - 1).to_numpy(zero_copy_only=False)
    return np.asarray(distinct[codes], dtype=object)


def _to_objects(column: _Column) -> npt.NDArray[np.object_]:
    if isinstance(column, np.ndarray):
        return column.astype(object)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


# ----------------------------------------------------------------- reading files


def _read_text(path: Path) -> str:
    """Return the file's text, checked to be UTF-8, without a byte-order mark."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"cannot read {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"cannot read {str(path)!r}: it is a directory") from None
    except OSError as error:
        raise CommandError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"cannot read {str(path)!r}: it is not UTF-8 text") from None
    return text


def _skip_lines(text: str, skip_rows: int, path: Path) -> tuple[str, int]:
    """Return the text after ``skip_rows`` title lines, and the first kept line's number."""
    start = 0
    for _ in range(skip_rows):
        end = text.find("\n", start)
        if end < 0:
            raise CommandError(f"{str(path)!r} has fewer than {skip_rows + 1} lines (--skip-rows)")
        start = end + 1
    return text[start:], skip_rows + 1


def _sniff(text: str, decimal: str) -> type[csv.Dialect] | csv.Dialect:
    # With decimal commas the delimiter cannot be a comma (European Excel uses ';').
    delimiters = ",;\t" if decimal == "." else ";\t"
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=delimiters)
    except csv.Error:
        return csv.excel if decimal == "." else _Semicolon


class _Semicolon(csv.excel):
    delimiter = ";"


def _line_locations(text: str, dialect: type[csv.Dialect] | csv.Dialect, first: int) -> list[str]:
    """'line N' for each non-blank record after the header, N counted in the whole file."""
    reader = csv.reader(io.StringIO(text), dialect)
    next(reader, None)
    return [f"line {reader.line_num + first - 1}" for row in reader if row]


def _read_csv(path: Path, *, decimal: str = ".", skip_rows: int = 0) -> _Table:
    """Read a CSV file: through pyarrow when it is installed, else the csv module."""
    _stage(f"reading {str(path)!r}")
    text = _read_text(path)
    text, first_line = _skip_lines(text, skip_rows, path)
    if not text.strip():
        raise CommandError(f"{str(path)!r} is empty")
    dialect = _sniff(text, decimal)
    try:
        header = next(csv.reader(io.StringIO(text), dialect))
    except (csv.Error, StopIteration) as error:
        raise CommandError(f"cannot parse {str(path)!r} as CSV: {error}") from None
    names = [name.strip() for name in header]
    columns = _parse_with_pyarrow(text, dialect, len(names))
    if columns is None:
        columns = _parse_with_csv(text, dialect, len(names), path)
    n_rows = len(columns[0]) if columns else 0
    if n_rows == 0:
        raise CommandError(f"{str(path)!r} has a header but no data rows")
    table: dict[str, _Column] = {}
    for name, column in zip(names, columns, strict=True):
        table.setdefault(name, column)  # a repeated column name: the first one counts
    cache: list[list[str]] = []

    def locate(index: int) -> str:
        if not cache:  # only on the way to an error message: scan the text once
            cache.append(_line_locations(text, dialect, first_line))
        return cache[0][index]

    return _Table(
        columns=table,
        source=repr(str(path)),
        locations=_Locations(n_rows, locate),
        decimal=decimal,
    )


#: Files at least this large are read on Arrow's threads.
_THREADED_READ_BYTES = 1 << 22


def _arrow_threads(n_bytes: int, version: str) -> bool:
    """Whether pyarrow ``version`` should read ``n_bytes`` of data on its thread pool.

    The pool pays off on large files only, and pyarrow before 25 sometimes
    aborts at interpreter exit ("terminate called without an active
    exception", exit code 134) once a read has started it: 14 to 44 of 200
    exits under load for each of 18.1, 19.0, 21.0, 23.0 and 24.0, none for
    25.0 and 26.0. Older versions read on one thread.
    """
    major = version.split(".")[0]
    return n_bytes >= _THREADED_READ_BYTES and major.isdigit() and int(major) >= 25


def _parse_with_pyarrow(
    text: str, dialect: type[csv.Dialect] | csv.Dialect, n_columns: int
) -> list[_Column] | None:
    """Every column as pyarrow text, or None without pyarrow or for a ragged file."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
    except ImportError:
        return None
    names = [f"c{index}" for index in range(n_columns)]
    escape = dialect.escapechar or False
    data = text.encode("utf-8")
    options = {
        "read_options": pa_csv.ReadOptions(
            column_names=names, skip_rows=1, use_threads=_arrow_threads(len(data), pa.__version__)
        ),
        "parse_options": pa_csv.ParseOptions(
            delimiter=dialect.delimiter,
            quote_char=dialect.quotechar or False,
            double_quote=dialect.doublequote,
            escape_char=escape,
            newlines_in_values=True,
            ignore_empty_lines=True,
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }
    try:
        table = pa_csv.read_csv(pa.py_buffer(data), **options)
    except pa.ArrowInvalid:
        return None  # ragged rows and the like: the csv module's reading pads them
    return [table.column(index) for index in range(n_columns)]


def _parse_with_csv(
    text: str, dialect: type[csv.Dialect] | csv.Dialect, n_columns: int, path: Path
) -> list[_Column]:
    """Every column as a numpy string array, short rows padded with empty cells."""
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        next(reader, None)
        rows = [row for row in reader if row]  # blank lines are not responses
    except csv.Error as error:
        raise CommandError(f"cannot parse {str(path)!r} as CSV: {error}") from None
    padded = [row[:n_columns] + [""] * (n_columns - len(row)) for row in rows]
    cells = np.array(padded, dtype=str).reshape(len(rows), n_columns)
    return [cells[:, index].copy() for index in range(n_columns)]


def _read_parquet(path: Path) -> _Table:
    _stage(f"reading {str(path)!r}")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise CommandError(
            "reading Parquet files needs pyarrow: pip install pyarrow (or save the data as CSV)"
        ) from None
    if not path.exists():
        raise CommandError(f"cannot read {str(path)!r}: no such file")
    try:
        threads = _arrow_threads(path.stat().st_size, pa.__version__)
        data = pq.read_table(path, use_threads=threads)
    except Exception as error:  # pyarrow raises several unrelated types for bad files
        raise CommandError(f"cannot read {str(path)!r} as Parquet: {error}") from None
    if data.num_rows == 0:
        raise CommandError(f"{str(path)!r} has no data rows")
    columns: dict[str, _Column] = {}
    for index, name in enumerate(data.column_names):
        columns.setdefault(str(name), data.column(index))
    return _Table(columns=columns, source=repr(str(path)), locations=_row_locations(data.num_rows))


def _read_file(path: Path, *, decimal: str = ".", skip_rows: int = 0) -> _Table:
    """Read a data file into a table of columns (CSV, or Parquet by its suffix).

    ``decimal`` is the decimal mark of numbers written as text and
    ``skip_rows`` the number of title lines before a CSV file's header.
    """
    if path.suffix.lower() in {".parquet", ".pq"}:
        if skip_rows:
            raise CommandError("--skip-rows applies to CSV files, not Parquet")
        table = _read_parquet(path)
        return table if decimal == "." else replace(table, decimal=decimal)
    return _read_csv(path, decimal=decimal, skip_rows=skip_rows)


def _example_table() -> _Table:
    from loyaltymetrics.datasets import load_survey

    survey = load_survey()
    return _Table(
        columns=dict(survey),
        source="the bundled example survey (synthetic data)",
        locations=_row_locations(len(survey["nps"])),
    )


# ----------------------------------------------------------------- progress


class _Progress:
    """What the command is doing and for how long, on a terminal's stderr.

    Nothing is shown for work done within ``delay`` seconds, nor at all when
    disabled (stderr is not a terminal, or ``--quiet``); the line is erased at
    the end, so the report on stdout and any error line stay clean.
    """

    def __init__(
        self, stream: TextIO, *, enabled: bool, delay: float = 2.0, interval: float = 0.5
    ) -> None:
        self._stream = stream
        self._enabled = enabled
        self._delay = delay
        self._interval = interval
        self._stage = "working"
        self._done = threading.Event()
        self._shown = False
        self._thread: threading.Thread | None = None
        self._token: contextvars.Token[_Progress | None] | None = None

    def stage(self, text: str) -> None:
        self._stage = text

    def __enter__(self) -> _Progress:
        self._token = _PROGRESS.set(self)
        if self._enabled:
            self._started = time.monotonic()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        if self._token is not None:
            _PROGRESS.reset(self._token)

    def _run(self) -> None:
        if self._done.wait(self._delay):
            return
        spinner = "|/-\\"
        tick = 0
        while True:
            elapsed = time.monotonic() - self._started
            line = f"{spinner[tick % 4]} loyaltymetrics: {self._stage} ({elapsed:.0f} s)"
            self._stream.write(f"\r\x1b[K{line}")
            self._stream.flush()
            self._shown = True
            tick += 1
            if self._done.wait(self._interval):
                return


_PROGRESS: contextvars.ContextVar[_Progress | None] = contextvars.ContextVar(
    "loyaltymetrics_progress", default=None
)


def _stage(text: str) -> None:
    """Tell the progress line (if any) what the command is doing now."""
    progress = _PROGRESS.get()
    if progress is not None:
        progress.stage(text)


def _numbers(table: _Table, name: str, *, what: str) -> FloatArray:
    """Parse a column to float64, with NaN for missing cells."""
    return table.numbers(name, what=what)


def _scores(table: _Table, name: str, metric: MetricDefinition) -> FloatArray:
    scores = _numbers(table, name, what="score")
    low, high = metric.scale
    present = ~np.isnan(scores)
    position = first_invalid_score(scores, low=low, high=high)
    if position is not None:
        raise CommandError(
            f"column {name!r}, {table.locations[position]}: score {scores[position]:g} is not "
            f"a whole number in {low}..{high}, the {metric.display_name} scale"
        )
    if not present.any():
        raise CommandError(f"column {name!r} has no answers: every value is missing")
    return scores


def _weights(table: _Table, name: str, scores: FloatArray) -> FloatArray:
    weights = _numbers(table, name, what="weight")
    # Rows without an answer are left out, so their weight does not matter.
    needed = ~np.isnan(scores)
    problem = first_invalid_weight(np.where(needed, weights, 0.0))
    if problem is not None:
        position = problem[0]
        value = "missing" if np.isnan(weights[position]) else f"{weights[position]:g}"
        raise CommandError(
            f"column {name!r}, {table.locations[position]}: weight {value} is not a finite, "
            "non-negative number"
        )
    return np.where(needed, weights, 0.0)


def _labels(table: _Table, name: str) -> npt.NDArray[np.object_]:
    """Segment labels as strings, None where missing (a segment of its own)."""
    return table.labels(name)


# --------------------------------------------------------------------------- report

#: Columns of a period's change against the previous period, in output order.
_CHANGE_COLUMNS = (
    "difference",
    "difference_low",
    "difference_high",
    "pvalue",
    "pvalue_corrected",
    "significant",
)
#: Columns of a segment's comparison with the rest of the data, in output order.
_COMPARISON_COLUMNS = (*_CHANGE_COLUMNS, "small")
_MIN_N = 30


@dataclass(frozen=True)
class _Report:
    metric: MetricDefinition
    source: str
    score_column: str
    weights_column: str | None
    confidence_level: float
    responses: int
    #: The metric's result on all the data (for the shares shown in the title).
    overall: Any
    #: One flat record per line: the overall figure, then each breakdown's segments;
    #: with ``over``, one per period (per segment) instead.
    records: list[dict[str, Any]]
    #: The date column of a report over time, and its calendar period.
    over: str | None = None
    period: str | None = None
    #: With ``over``: the linear trend per period, one record per series.
    trends: list[dict[str, Any]] = field(default_factory=list)


def _breakdowns(specs: Sequence[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for spec in specs:
        names = [name.strip() for name in spec.split(",") if name.strip()]
        if not names:
            raise CommandError(f"--by {spec!r} names no column")
        groups.append(names)
    return groups


def _overall_record(
    metric: MetricDefinition, result: Any, confidence_level: float, *, weighted: bool
) -> dict[str, Any]:
    low, high = result.confidence_interval(confidence_level, method=metric.default_method)
    record: dict[str, Any] = {
        "breakdown": "",
        "segment": "overall",
        "label": "overall",
        **_counts(result.n, result.weight_total, result.effective_n, weighted=weighted),
        metric.estimate: float(getattr(result, metric.estimate)),
        "ci_low": float(low),
        "ci_high": float(high),
    }
    record.update(dict.fromkeys(_COMPARISON_COLUMNS))
    return record


def _counts(n: Any, weight_total: Any, effective_n: Any, *, weighted: bool) -> dict[str, Any]:
    """``n`` (responses, an integer), and with weights the weight total and Kish's n."""
    counts: dict[str, Any] = {"n": int(n)}
    if weighted:
        counts.update(weight_total=float(weight_total), effective_n=float(effective_n))
    return counts


def _segment_records(
    metric: MetricDefinition,
    scores: FloatArray,
    weights: FloatArray | None,
    names: list[str],
    labels: list[npt.NDArray[np.object_]],
    confidence_level: float,
) -> list[dict[str, Any]]:
    """One vectorised breakdown: every segment's interval and comparison with the rest."""
    breakdown = by_segment(
        scores,
        metric=cast("Any", metric.name),
        by=labels[0] if len(labels) == 1 else labels,
        weights=weights,
        confidence_level=confidence_level,
        method=cast("Any", metric.default_method),
        compare="rest",
        correction="holm",
        min_n=_MIN_N,
        nan_policy="omit",
    )
    columns = breakdown.table
    # The key columns lead the table, one per segment column, in the order given.
    keys = [columns[name] for name in list(columns)[: len(names)]]
    records = []
    for row in range(breakdown.n_segments):
        values = [_MISSING_LABEL if key[row] is None else str(key[row]) for key in keys]
        record: dict[str, Any] = {
            "breakdown": ",".join(names),
            "segment": " / ".join(values),
            "label": ", ".join(
                f"{name}={value}" for name, value in zip(names, values, strict=True)
            ),
            **_counts(
                columns["n"][row],
                columns["weight_total"][row] if weights is not None else None,
                columns["effective_n"][row] if weights is not None else None,
                weighted=weights is not None,
            ),
            metric.estimate: float(columns[metric.estimate][row]),
            "ci_low": float(columns["low"][row]),
            "ci_high": float(columns["high"][row]),
        }
        for name in _COMPARISON_COLUMNS:
            value = columns[name][row]
            record[name] = bool(value) if name in {"significant", "small"} else float(value)
        records.append(record)
    return records


@dataclass(frozen=True)
class _Input:
    """The columns a report reads, parsed and checked."""

    table: _Table
    score_name: str
    breakdowns: list[list[str]]
    scores: FloatArray
    weights: FloatArray | None
    labels: dict[str, npt.NDArray[np.object_]]


def _read_input(args: argparse.Namespace, metric: MetricDefinition) -> _Input:
    if args.period is not None and args.over is None:
        raise CommandError("--period needs --over: name the date column to count periods of")
    if args.file is None:
        table = _example_table()
        score_name = args.score or metric.name
        default = ["region"] if args.over is None else []
        specs = args.by if args.by is not None else default
    else:
        table = _read_file(Path(args.file), decimal=args.decimal, skip_rows=args.skip_rows)
        if args.score is None:
            low, high = metric.scale
            raise CommandError(f"--score is required with FILE: name the {low}..{high} column")
        score_name = args.score
        specs = args.by or []
    breakdowns = _breakdowns(specs)
    scores = _scores(table, score_name, metric)
    weights = None if args.weights is None else _weights(table, args.weights, scores)
    labels = {name: _labels(table, name) for names in breakdowns for name in names}
    return _Input(table, score_name, breakdowns, scores, weights, labels)


def _build_report(args: argparse.Namespace) -> _Report:
    metric = METRICS[args.metric]
    data = _read_input(args, metric)
    times = None
    if args.over is not None:
        times = data.table.times(args.over, needed=~np.isnan(data.scores))
    level = args.confidence_level
    assert metric.summarise is not None  # the parser offers only metrics that have one
    weighted = data.weights is not None
    trends: list[dict[str, Any]] = []
    try:
        overall = metric.summarise(data.scores, weights=data.weights, nan_policy="omit")
        if times is None:
            records = [_overall_record(metric, overall, level, weighted=weighted)]
            for names in data.breakdowns:
                labels = [data.labels[name] for name in names]
                records += _segment_records(metric, data.scores, data.weights, names, labels, level)
        else:
            records, trends = _over_time_records(metric, data, times, args.period or "month", level)
    except ValueError as error:
        raise CommandError(f"column {data.score_name!r}: {error}") from None
    return _Report(
        metric=metric,
        source=data.table.source,
        score_column=data.score_name,
        weights_column=args.weights,
        confidence_level=level,
        responses=int(np.count_nonzero(~np.isnan(data.scores))),
        overall=overall,
        records=records,
        over=args.over,
        period=(args.period or "month") if args.over is not None else None,
        trends=trends,
    )


def _over_time_records(
    metric: MetricDefinition,
    data: _Input,
    times: npt.NDArray[np.datetime64],
    period: str,
    confidence_level: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One record per period (per segment of each breakdown), and each series' trend."""
    # Rows without an answer and without a date carry nothing: leave them out.
    keep = ~np.isnat(times)
    records: list[dict[str, Any]] = []
    trends: list[dict[str, Any]] = []
    for names in data.breakdowns or [[]]:
        labels = [data.labels[name][keep] for name in names]
        result = over_time(
            data.scores[keep],
            metric=cast("Any", metric.name),
            time=times[keep],
            period=cast("Any", period),
            by=None if not labels else labels[0] if len(labels) == 1 else labels,
            weights=None if data.weights is None else data.weights[keep],
            confidence_level=confidence_level,
            method=cast("Any", metric.default_method),
            compare="previous",
            correction="holm",
            nan_policy="omit",
        )
        series = _series_labels(result.table, names, result.n_segments * result.n_periods)
        records += _period_records(metric, result, names, series, weighted=data.weights is not None)
        trends += _trend_records(result, names, series[:: result.n_periods])
    return records, trends


def _series_labels(columns: Any, names: list[str], n_rows: int) -> list[tuple[str, str]]:
    """(segment, label) of each row of an over-time table: "overall" without segments."""
    if not names:
        return [("overall", "overall")] * n_rows
    # The key columns lead the table, one per segment column, in the order given.
    keys = [columns[key] for key in list(columns)[: len(names)]]
    out = []
    for row in range(n_rows):
        values = [_MISSING_LABEL if key[row] is None else str(key[row]) for key in keys]
        label = ", ".join(f"{name}={value}" for name, value in zip(names, values, strict=True))
        out.append((" / ".join(values), label))
    return out


def _period_records(
    metric: MetricDefinition,
    result: Any,
    names: list[str],
    series: list[tuple[str, str]],
    *,
    weighted: bool,
) -> list[dict[str, Any]]:
    columns = result.table
    records = []
    for row, (segment, label) in enumerate(series):
        record: dict[str, Any] = {
            "breakdown": ",".join(names),
            "segment": segment,
            "label": label,
            "period": str(columns["period"][row]),
            **_counts(
                columns["n"][row],
                columns["weight_total"][row] if weighted else None,
                columns["effective_n"][row] if weighted else None,
                weighted=weighted,
            ),
            metric.estimate: float(columns[metric.estimate][row]),
            "ci_low": float(columns["low"][row]),
            "ci_high": float(columns["high"][row]),
        }
        for name in _CHANGE_COLUMNS:
            value = columns[name][row]
            record[name] = bool(value) if name == "significant" else float(value)
        records.append(record)
    return records


def _trend_records(
    result: Any, names: list[str], series: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    fit = result.trend()
    records = []
    for index, (segment, label) in enumerate(series):

        def value(name: str, index: int = index) -> float:
            return float(np.asarray(getattr(fit, name)).reshape(-1)[index])

        records.append(
            {
                "breakdown": ",".join(names),
                "segment": segment,
                "label": label,
                "slope": value("slope"),
                "slope_low": value("low"),
                "slope_high": value("high"),
                "pvalue": value("pvalue"),
            }
        )
    return records


# --------------------------------------------------------------------------- output


def _number(value: float | None, digits: int, *, sign: bool = False) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _count(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def _pvalue(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _note(record: dict[str, Any]) -> str:
    notes = []
    if record["significant"]:
        notes.append("differs")
    if record.get("small"):
        notes.append(f"n<{_MIN_N}")
    return ", ".join(notes)


def _interval(low: float, high: float, digits: int) -> str:
    text = f"{_number(low, digits)} to {_number(high, digits)}"
    return text if text != " to " else ""


def _display_cells(report: _Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of human-readable cells for the table and Markdown formats."""
    metric = report.metric
    over = report.over is not None
    header = [
        "segment",
        *(["period"] if over else []),
        "n",
        metric.display_name,
        f"{100 * report.confidence_level:g}% CI",
        "vs previous" if over else "vs rest",
        "p (Holm)",
        "",
    ]
    body = []
    for record in report.records:
        body.append(
            [
                record["label"],
                *([record["period"]] if over else []),
                _count(record["n"]),
                _number(record[metric.estimate], metric.digits),
                _interval(record["ci_low"], record["ci_high"], metric.digits),
                _number(record["difference"], metric.digits, sign=True),
                _pvalue(record["pvalue_corrected"]),
                _note(record),
            ]
        )
    return header, body


def _trend_cells(report: _Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the trend table of a report over time."""
    digits = report.metric.digits + 1
    header = [
        "trend",
        f"per {report.period}",
        f"{100 * report.confidence_level:g}% CI",
        "p",
    ]
    body = [
        [
            record["label"],
            _number(record["slope"], digits, sign=True),
            _interval(record["slope_low"], record["slope_high"], digits),
            _pvalue(record["pvalue"]),
        ]
        for record in report.trends
    ]
    return header, body


def _extras(report: _Report) -> str:
    parts = []
    for attribute, label in report.metric.details:
        value = float(getattr(report.overall, attribute))
        shown = _number(value, 2) if attribute == "mean" else f"{_number(100 * value, 1)}%"
        parts.append(f"{label} {shown}")
    return ", ".join(parts)


def _title(report: _Report) -> list[str]:
    weighted = f", weighted by {report.weights_column!r}" if report.weights_column else ""
    n_omitted = report.overall.n_omitted
    per = f", per {report.period} of {report.over!r}" if report.over else ""
    lines = [
        f"{report.metric.title} of {report.source}{per}",
        f"score column {report.score_column!r}{weighted}: {report.responses} answers, "
        f"{n_omitted} missing omitted; overall: {_extras(report)}",
        f"{100 * report.confidence_level:g}% confidence intervals: {report.metric.default_method}",
    ]
    if report.over is not None:
        lines += [
            f"vs previous: this {report.period} minus the previous one; p Holm-corrected "
            f"over each table; differs: p <= {1 - report.confidence_level:.3g}",
            f"trend: least-squares change per {report.period} on the answers, HC3 "
            "standard error, t-test of no trend",
        ]
    elif len(report.records) > 1:
        lines.append(
            "vs rest: segment minus the rest of the data; p Holm-corrected per breakdown; "
            f"differs: p <= {1 - report.confidence_level:.3g}; n<{_MIN_N}: small segment"
        )
    return lines


def _group(record: dict[str, Any], report: _Report) -> tuple[str, str]:
    """Return the block a record belongs to: its breakdown, over time its segment too."""
    return record["breakdown"], record["segment"] if report.over is not None else ""


def _aligned(header: list[str], body: list[list[str]]) -> Callable[[list[str]], str]:
    """Return the line maker of a plain-text table: first cell left-aligned, others right."""
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return line


def _format_table(report: _Report) -> str:
    header, body = _display_cells(report)
    line = _aligned(header, body)
    lines = [*_title(report), "", line(header)]
    # A blank line before each breakdown (over time: each series) after the first.
    previous = ("", "") if report.over is None else _group(report.records[0], report)
    for record, cells in zip(report.records, body, strict=True):
        if _group(record, report) != previous:
            lines.append("")
            previous = _group(record, report)
        lines.append(line(cells))
    if report.trends:
        header, body = _trend_cells(report)
        line = _aligned(header, body)
        lines += ["", line(header), *(line(cells) for cells in body)]
    return "\n".join(lines)


def _markdown_table(header: list[str], body: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"
    return [line(header), rule, *(line(cells) for cells in body)]


def _format_markdown(report: _Report) -> str:
    title, *details = _title(report)
    lines = [f"**{title}**", "", *(f"{detail}  " for detail in details), ""]
    lines += _markdown_table(*_display_cells(report))
    if report.trends:
        lines += ["", *_markdown_table(*_trend_cells(report))]
    return "\n".join(lines)


def _format_csv(report: _Report) -> str:
    """Return the records as CSV; over time, each series' trend follows as a "trend" row."""
    records = report.records
    fieldnames = list(records[0])
    if report.trends:
        fieldnames += ["slope", "slope_low", "slope_high"]
        records = [*records, *({**record, "period": "trend"} for record in report.trends)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, lineterminator="\n", restval="")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                key: "" if isinstance(value, float) and math.isnan(value) else value
                for key, value in record.items()
            }
        )
    return buffer.getvalue().rstrip("\n")


def _json_value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def _format_json(report: _Report) -> str:
    document = {
        "metric": report.metric.name,
        "source": report.source,
        "score_column": report.score_column,
        "weights_column": report.weights_column,
        "confidence_level": report.confidence_level,
        "interval_method": report.metric.default_method,
        "comparison": (
            f"this {report.period} minus the previous one, Holm-corrected p-values"
            if report.over
            else "segment minus the rest of the data, Holm-corrected p-values"
        ),
        "responses": report.responses,
        "n_omitted": report.overall.n_omitted,
        "overall": {key: _json_value(value) for key, value in report.overall.to_dict().items()},
        "rows": [
            {key: _json_value(value) for key, value in record.items()} for record in report.records
        ],
    }
    if report.over is not None:
        document["over"], document["period"] = report.over, report.period
        document["trend"] = [
            {key: _json_value(value) for key, value in record.items()} for record in report.trends
        ]
    return json.dumps(document, indent=2, allow_nan=False)


_FORMATTERS: dict[str, Callable[[_Report], str]] = {
    "table": _format_table,
    "markdown": _format_markdown,
    "csv": _format_csv,
    "json": _format_json,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 when the input cannot be used (the reason is printed
        as one line on stderr).

    Examples
    --------
    >>> from loyaltymetrics._cli import main
    >>> main(["report", "--by", "plan"])  # doctest: +NORMALIZE_WHITESPACE
    Net Promoter Score of the bundled example survey (synthetic data)
    score column 'nps': 3000 answers, 0 missing omitted; overall: detractors 22.5%,
        passives 29.3%, promoters 48.2%
    95% confidence intervals: adjusted-wald
    vs rest: segment minus the rest of the data; p Holm-corrected per breakdown;
        differs: p <= 0.05; n<30: small segment
    <BLANKLINE>
    segment             n   NPS        95% CI  vs rest  p (Holm)
    overall          3000  25.7  22.8 to 28.6
    <BLANKLINE>
    plan=basic       1642  20.5  16.5 to 24.4    -11.5    <0.001  differs
    plan=enterprise   424  41.0  33.7 to 47.7    +17.8    <0.001  differs
    plan=pro          934  27.9  22.8 to 32.9     +3.2     0.313
    0
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    progress = _Progress(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    try:
        with progress:
            output = _FORMATTERS[args.format](_build_report(args))
    except CommandError as error:
        print(f"loyaltymetrics: error: {error}", file=sys.stderr)
        return 2
    try:
        print(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (``| head``) went away: not an error worth a traceback.
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0
