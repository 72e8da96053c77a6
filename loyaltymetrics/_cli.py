"""The ``loyaltymetrics`` command line: a report of survey metrics from a data file.

The command reads a CSV (or, with pyarrow installed, a Parquet) file with the
standard library, hands the score, weight and segment columns to the public
functions as numpy arrays, and prints the result as a table, Markdown, CSV or
JSON. Every problem with the user's data is reported as one line on stderr with
exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._validation import (
    check_confidence_level,
    first_invalid_score,
    first_invalid_weight,
)
from loyaltymetrics._survey._metrics import METRICS, MetricDefinition
from loyaltymetrics._survey._segments import by_segment

__all__ = ["main"]

FloatArray = npt.NDArray[np.float64]
_MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none"})
_MISSING_LABEL = "(missing)"
_FORMATS = ("table", "markdown", "csv", "json")


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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loyaltymetrics",
        description="Customer-loyalty metrics from survey data.",
        epilog="Run 'loyaltymetrics report --help' for the report's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="report a survey metric overall and by segment",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Report a survey metric (NPS by default, or CSAT or CES) overall and by\n"
            "segment: each figure with its confidence interval, and each segment\n"
            "compared with the rest of the data (p-values Holm-corrected).\n\n"
            "FILE is a CSV file (comma, semicolon or tab separated, with a header\n"
            "row) or, when pyarrow is installed, a Parquet file. Missing answers in\n"
            "the score column (empty cells, NA, NaN, null) are left out and counted.\n"
            "Without FILE, the report runs on the bundled example survey (synthetic\n"
            "data, score columns nps, csat and ces, segments region, plan, channel)."
        ),
        epilog=(
            "examples:\n"
            "  loyaltymetrics report\n"
            "  loyaltymetrics report survey.csv --score likelihood --by region\n"
            "  loyaltymetrics report survey.csv --score q1 --by region --by region,plan\n"
            "  loyaltymetrics report survey.parquet --score q1 --weights w --format json"
        ),
    )
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
        "--by",
        metavar="COL",
        action="append",
        help=(
            "segment column for a breakdown; repeat for several breakdowns, or join "
            "columns with commas (region,plan) to cross them (example default: region)"
        ),
    )
    report.add_argument(
        "--metric",
        choices=tuple(METRICS),
        default="nps",
        help="the metric to report (default: %(default)s)",
    )
    report.add_argument(
        "--weights",
        metavar="COL",
        help="column of survey weights: finite, non-negative numbers, none missing",
    )
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
    return parser


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class _Table:
    """Columns of the input as Python lists, and how to name a row to the user."""

    columns: dict[str, list[object]]
    source: str
    #: The user-facing location of each data row ("line 7" in a CSV file).
    locations: list[str]

    def column(self, name: str) -> list[object]:
        if name not in self.columns:
            known = ", ".join(repr(column) for column in self.columns)
            raise CommandError(f"no column {name!r} in {self.source}; the columns are {known}")
        return self.columns[name]


def _read_csv(path: Path) -> _Table:
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"cannot read {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"cannot read {str(path)!r}: it is a directory") from None
    except UnicodeDecodeError:
        raise CommandError(f"cannot read {str(path)!r}: it is not UTF-8 text") from None
    except OSError as error:
        raise CommandError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:65536], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader, None)
        rows: list[list[str]] = []
        locations: list[str] = []
        for row in reader:
            if not row:
                continue  # blank lines are not responses
            rows.append(row)
            locations.append(f"line {reader.line_num}")
    except csv.Error as error:
        raise CommandError(f"cannot parse {str(path)!r} as CSV: {error}") from None
    if header is None:
        raise CommandError(f"{str(path)!r} is empty")
    if not rows:
        raise CommandError(f"{str(path)!r} has a header but no data rows")
    columns: dict[str, list[object]] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip(), [row[index] if index < len(row) else "" for row in rows])
    return _Table(columns=columns, source=repr(str(path)), locations=locations)


def _read_parquet(path: Path) -> _Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CommandError(
            "reading Parquet files needs pyarrow: pip install pyarrow (or save the data as CSV)"
        ) from None
    if not path.exists():
        raise CommandError(f"cannot read {str(path)!r}: no such file")
    try:
        data = pq.read_table(path).to_pydict()
    except Exception as error:  # pyarrow raises several unrelated types for bad files
        raise CommandError(f"cannot read {str(path)!r} as Parquet: {error}") from None
    n_rows = len(next(iter(data.values()), []))
    if n_rows == 0:
        raise CommandError(f"{str(path)!r} has no data rows")
    return _Table(
        columns={str(name): list(values) for name, values in data.items()},
        source=repr(str(path)),
        locations=[f"row {index + 1}" for index in range(n_rows)],
    )


def _read_file(path: Path) -> _Table:
    if path.suffix.lower() in {".parquet", ".pq"}:
        return _read_parquet(path)
    return _read_csv(path)


def _example_table() -> _Table:
    from loyaltymetrics.datasets import load_survey

    survey = load_survey()
    n_rows = len(survey["nps"])
    return _Table(
        columns={name: values.tolist() for name, values in survey.items()},
        source="the bundled example survey (synthetic data)",
        locations=[f"row {index + 1}" for index in range(n_rows)],
    )


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in _MISSING_TEXT


def _numbers(table: _Table, name: str, *, what: str) -> FloatArray:
    """Parse a column to float64, with NaN for missing cells."""
    values = table.column(name)
    out = np.empty(len(values), dtype=np.float64)
    for position, value in enumerate(values):
        if _is_missing(value):
            out[position] = np.nan
            continue
        try:
            out[position] = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise CommandError(
                f"column {name!r}, {table.locations[position]}: {what} {value!r} is not a number"
            ) from None
    return out


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
    values = table.column(name)
    return np.array(
        [None if _is_missing(value) else str(value).strip() for value in values], dtype=object
    )


# --------------------------------------------------------------------------- report

#: Columns of a segment's comparison with the rest of the data, in output order.
_COMPARISON_COLUMNS = (
    "difference",
    "difference_low",
    "difference_high",
    "pvalue",
    "pvalue_corrected",
    "significant",
    "small",
)
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
    #: One flat record per line: the overall figure, then each breakdown's segments.
    records: list[dict[str, Any]]


def _breakdowns(specs: Sequence[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for spec in specs:
        names = [name.strip() for name in spec.split(",") if name.strip()]
        if not names:
            raise CommandError(f"--by {spec!r} names no column")
        groups.append(names)
    return groups


def _overall_record(
    metric: MetricDefinition, result: Any, confidence_level: float
) -> dict[str, Any]:
    low, high = result.confidence_interval(confidence_level, method=metric.default_method)
    record: dict[str, Any] = {
        "breakdown": "",
        "segment": "overall",
        "label": "overall",
        "n": float(result.n),
        metric.estimate: float(getattr(result, metric.estimate)),
        "ci_low": float(low),
        "ci_high": float(high),
    }
    record.update(dict.fromkeys(_COMPARISON_COLUMNS))
    return record


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
        metric=metric.name,
        by=labels[0] if len(labels) == 1 else labels,
        weights=weights,
        confidence_level=confidence_level,
        method=metric.default_method,
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
            "n": float(columns["n"][row]),
            metric.estimate: float(columns[metric.estimate][row]),
            "ci_low": float(columns["low"][row]),
            "ci_high": float(columns["high"][row]),
        }
        for name in _COMPARISON_COLUMNS:
            value = columns[name][row]
            record[name] = bool(value) if name in {"significant", "small"} else float(value)
        records.append(record)
    return records


def _build_report(args: argparse.Namespace) -> _Report:
    metric = METRICS[args.metric]
    if args.file is None:
        table = _example_table()
        score_name = args.score or metric.name
        specs = args.by if args.by is not None else ["region"]
    else:
        table = _read_file(Path(args.file))
        if args.score is None:
            low, high = metric.scale
            raise CommandError(f"--score is required with FILE: name the {low}..{high} column")
        score_name = args.score
        specs = args.by or []

    breakdowns = _breakdowns(specs)
    scores = _scores(table, score_name, metric)
    weights = None if args.weights is None else _weights(table, args.weights, scores)
    labels = {name: _labels(table, name) for names in breakdowns for name in names}
    level = args.confidence_level
    try:
        overall = metric.summarise(scores, weights=weights, nan_policy="omit")
        records = [_overall_record(metric, overall, level)]
        for names in breakdowns:
            records += _segment_records(
                metric, scores, weights, names, [labels[name] for name in names], level
            )
    except ValueError as error:
        raise CommandError(f"column {score_name!r}: {error}") from None
    return _Report(
        metric=metric,
        source=table.source,
        score_column=score_name,
        weights_column=args.weights,
        confidence_level=level,
        responses=int(np.count_nonzero(~np.isnan(scores))),
        overall=overall,
        records=records,
    )


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
    if record["small"]:
        notes.append(f"n<{_MIN_N}")
    return ", ".join(notes)


def _display_cells(report: _Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of human-readable cells for the table and Markdown formats."""
    metric = report.metric
    header = [
        "segment",
        "n",
        metric.display_name,
        f"{100 * report.confidence_level:g}% CI",
        "vs rest",
        "p (Holm)",
        "",
    ]
    body = []
    for record in report.records:
        interval = (
            f"{_number(record['ci_low'], metric.digits)} to "
            f"{_number(record['ci_high'], metric.digits)}"
        )
        body.append(
            [
                record["label"],
                _count(record["n"]),
                _number(record[metric.estimate], metric.digits),
                interval if interval != " to " else "",
                _number(record["difference"], metric.digits, sign=True),
                _pvalue(record["pvalue_corrected"]),
                _note(record),
            ]
        )
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
    lines = [
        f"{report.metric.title} of {report.source}",
        f"score column {report.score_column!r}{weighted}: {report.responses} answers, "
        f"{n_omitted} missing omitted; overall: {_extras(report)}",
        f"{100 * report.confidence_level:g}% confidence intervals: {report.metric.default_method}",
    ]
    if len(report.records) > 1:
        lines.append(
            "vs rest: segment minus the rest of the data; p Holm-corrected per breakdown; "
            f"differs: p <= {1 - report.confidence_level:.3g}; n<{_MIN_N}: small segment"
        )
    return lines


def _format_table(report: _Report) -> str:
    header, body = _display_cells(report)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines = [*_title(report), "", line(header)]
    previous = ""
    for record, cells in zip(report.records, body, strict=True):
        if record["breakdown"] != previous:
            lines.append("")  # a blank line before each breakdown
            previous = record["breakdown"]
        lines.append(line(cells))
    return "\n".join(lines)


def _format_markdown(report: _Report) -> str:
    header, body = _display_cells(report)

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"
    title, *details = _title(report)
    return "\n".join(
        [f"**{title}**", "", *(f"{detail}  " for detail in details), "", line(header), rule]
        + [line(cells) for cells in body]
    )


def _format_csv(report: _Report) -> str:
    records = report.records
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), lineterminator="\n")
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
        "comparison": "segment minus the rest of the data, Holm-corrected p-values",
        "responses": report.responses,
        "n_omitted": report.overall.n_omitted,
        "overall": {key: _json_value(value) for key, value in report.overall.to_dict().items()},
        "rows": [
            {key: _json_value(value) for key, value in record.items()} for record in report.records
        ],
    }
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
    try:
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
