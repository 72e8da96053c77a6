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

from loyaltymetrics._nps import NPS_SCALE, nps
from loyaltymetrics._satisfaction import CES_DEFAULTS, CSAT_SCALE, ces, csat
from loyaltymetrics._validation import check_confidence_level

__all__ = ["main"]

FloatArray = npt.NDArray[np.float64]
_MISSING_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none"})
_MISSING_LABEL = "(missing)"
_FORMATS = ("table", "markdown", "csv", "json")


class CommandError(Exception):
    """An error to report to the user as one line, without a traceback."""


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class _Metric:
    """How the report computes and describes one survey metric."""

    name: str
    title: str
    scale: tuple[int, int]
    #: The result attribute reported with its interval, its column label and decimals.
    estimate: str
    estimate_label: str
    digits: int
    #: (result attribute, column label) of further columns: shares in 0..1 shown
    #: as percentages, and the "mean" answer shown as a number on the scale.
    extras: tuple[tuple[str, str], ...]
    #: The interval method the report uses, as the library names it.
    interval_method: str
    compute: Callable[[FloatArray, FloatArray | None], Any]


_METRICS = {
    "nps": _Metric(
        name="nps",
        title="Net Promoter Score",
        scale=NPS_SCALE,
        estimate="score",
        estimate_label="NPS",
        digits=1,
        extras=(
            ("detractor_share", "detractors"),
            ("passive_share", "passives"),
            ("promoter_share", "promoters"),
        ),
        interval_method="adjusted-wald",
        compute=lambda scores, weights: nps(scores, weights=weights, nan_policy="omit"),
    ),
    "csat": _Metric(
        name="csat",
        title="Customer satisfaction (CSAT: % answering 4-5)",
        scale=CSAT_SCALE,
        estimate="score",
        estimate_label="CSAT",
        digits=1,
        extras=(("mean", "mean"),),
        interval_method="wilson",
        compute=lambda scores, weights: csat(scores, weights=weights, nan_policy="omit"),
    ),
    "ces": _Metric(
        name="ces",
        title="Customer effort score (CES 2.0: mean on 1-7, higher is easier)",
        scale=CES_DEFAULTS["2.0"][0],
        estimate="mean",
        estimate_label="CES",
        digits=2,
        extras=(("agree_share", "agree (5-7)"),),
        interval_method="t",
        compute=lambda scores, weights: ces(scores, weights=weights, nan_policy="omit"),
    ),
}


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
            "Report a survey metric (NPS by default), overall and by segment.\n\n"
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
        choices=tuple(_METRICS),
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


def _scores(table: _Table, name: str, metric: _Metric) -> FloatArray:
    scores = _numbers(table, name, what="score")
    low, high = metric.scale
    present = ~np.isnan(scores)
    bad = present & ((scores < low) | (scores > high) | (scores != np.round(scores)))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise CommandError(
            f"column {name!r}, {table.locations[position]}: score {scores[position]:g} is not "
            f"a whole number in {low}..{high}, the {metric.estimate_label} scale"
        )
    if not present.any():
        raise CommandError(f"column {name!r} has no answers: every value is missing")
    return scores


def _weights(table: _Table, name: str, scores: FloatArray) -> FloatArray:
    weights = _numbers(table, name, what="weight")
    # Rows without an answer are left out, so their weight does not matter.
    needed = ~np.isnan(scores)
    bad = needed & (np.isnan(weights) | np.isinf(weights) | (weights < 0))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        value = "missing" if np.isnan(weights[position]) else f"{weights[position]:g}"
        raise CommandError(
            f"column {name!r}, {table.locations[position]}: weight {value} is not a finite, "
            "non-negative number"
        )
    return np.where(needed, weights, 0.0)


def _labels(table: _Table, name: str) -> npt.NDArray[np.str_]:
    values = table.column(name)
    return np.array(
        [_MISSING_LABEL if _is_missing(value) else str(value).strip() for value in values],
        dtype=str,
    )


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class _Row:
    """One line of the report: the overall figure (no keys) or one segment's."""

    keys: tuple[tuple[str, str], ...]
    result: Any

    @property
    def breakdown(self) -> str:
        return ",".join(name for name, _ in self.keys)

    @property
    def segment(self) -> str:
        return " / ".join(value for _, value in self.keys) if self.keys else "overall"

    @property
    def label(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.keys) or "overall"


@dataclass(frozen=True)
class _Report:
    metric: _Metric
    source: str
    score_column: str
    weights_column: str | None
    confidence_level: float
    n_omitted: int
    rows: list[_Row]


def _breakdowns(specs: Sequence[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    for spec in specs:
        names = [name.strip() for name in spec.split(",") if name.strip()]
        if not names:
            raise CommandError(f"--by {spec!r} names no column")
        groups.append(names)
    return groups


def _segment_rows(
    metric: _Metric,
    scores: FloatArray,
    weights: FloatArray | None,
    names: list[str],
    labels: list[npt.NDArray[np.str_]],
) -> list[_Row]:
    present = ~np.isnan(scores)
    combinations = sorted(set(zip(*(label[present].tolist() for label in labels), strict=True)))
    rows = []
    for combination in combinations:
        members = present.copy()
        for label, value in zip(labels, combination, strict=True):
            members &= label == value
        result = metric.compute(scores[members], None if weights is None else weights[members])
        rows.append(_Row(keys=tuple(zip(names, combination, strict=True)), result=result))
    return rows


def _build_report(args: argparse.Namespace) -> _Report:
    metric = _METRICS[args.metric]
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
    try:
        overall = metric.compute(scores, weights)
        rows = [_Row(keys=(), result=overall)]
        for names in breakdowns:
            rows.extend(
                _segment_rows(metric, scores, weights, names, [labels[name] for name in names])
            )
    except ValueError as error:
        raise CommandError(f"column {score_name!r}: {error}") from None
    return _Report(
        metric=metric,
        source=table.source,
        score_column=score_name,
        weights_column=args.weights,
        confidence_level=args.confidence_level,
        n_omitted=overall.n_omitted,
        rows=rows,
    )


# --------------------------------------------------------------------------- output


def _records(report: _Report) -> list[dict[str, Any]]:
    """One flat record per row, with plain Python values (NaN where undefined)."""
    records = []
    for row in report.rows:
        result = row.result
        low, high = result.confidence_interval(
            report.confidence_level, method=report.metric.interval_method
        )
        record: dict[str, Any] = {
            "breakdown": row.breakdown,
            "segment": row.segment,
            "label": row.label,
            "n": float(result.n),
            report.metric.estimate: float(getattr(result, report.metric.estimate)),
            "ci_low": float(low),
            "ci_high": float(high),
        }
        for attribute, _ in report.metric.extras:
            record[attribute] = float(getattr(result, attribute))
        records.append(record)
    return records


def _number(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def _count(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def _extra_cell(attribute: str, value: float) -> str:
    if attribute == "mean":
        return _number(value, 2)
    return _number(100 * value, 1) + "%"


def _display_cells(report: _Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of human-readable cells for the table and Markdown formats."""
    metric = report.metric
    header = ["segment", "n", metric.estimate_label, f"{100 * report.confidence_level:g}% CI"]
    header += [label for _, label in metric.extras]
    body = []
    for record in _records(report):
        cells = [
            record["label"],
            _count(record["n"]),
            _number(record[metric.estimate], metric.digits),
            f"{_number(record['ci_low'], metric.digits)} to "
            f"{_number(record['ci_high'], metric.digits)}",
        ]
        cells += [_extra_cell(attribute, record[attribute]) for attribute, _ in metric.extras]
        body.append(cells)
    return header, body


def _title(report: _Report) -> list[str]:
    weighted = f", weighted by {report.weights_column!r}" if report.weights_column else ""
    return [
        f"{report.metric.title} of {report.source}",
        f"score column {report.score_column!r}{weighted}; "
        f"{report.n_omitted} missing answers omitted; "
        f"{report.metric.interval_method} confidence intervals",
    ]


def _format_table(report: _Report) -> str:
    header, body = _display_cells(report)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines = [*_title(report), "", line(header)]
    previous = ""
    for row, cells in zip(report.rows, body, strict=True):
        if row.breakdown != previous:
            lines.append("")  # a blank line before each breakdown
            previous = row.breakdown
        lines.append(line(cells))
    return "\n".join(lines)


def _format_markdown(report: _Report) -> str:
    header, body = _display_cells(report)

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"
    title, details = _title(report)
    return "\n".join([f"**{title}**", "", details, "", line(header), rule, *map(line, body)])


def _format_csv(report: _Report) -> str:
    records = _records(report)
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
        "interval_method": report.metric.interval_method,
        "n_omitted": report.n_omitted,
        "rows": [
            {key: _json_value(value) for key, value in record.items()}
            for record in _records(report)
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
    >>> main(["report", "--by", "plan"])
    Net Promoter Score of the bundled example survey (synthetic data)
    score column 'nps'; 0 missing answers omitted; adjusted-wald confidence intervals
    <BLANKLINE>
    segment             n   NPS        95% CI  detractors  passives  promoters
    overall          3000  25.7  22.8 to 28.6       22.5%     29.3%      48.2%
    <BLANKLINE>
    plan=basic       1642  20.5  16.5 to 24.4       25.1%     29.3%      45.6%
    plan=enterprise   424  41.0  33.7 to 47.7       15.1%     28.8%      56.1%
    plan=pro          934  27.9  22.8 to 32.9       21.2%     29.7%      49.1%
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
