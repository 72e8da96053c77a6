"""The ``loyaltymetrics`` command line: a report of survey metrics from a CSV file."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._nps import NPSResult, nps

__all__ = ["main"]

_EXAMPLE_SCORE = "nps"
_EXAMPLE_BY = ["region"]


class CommandError(Exception):
    """An error to report to the user as one line, without a traceback."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loyaltymetrics",
        description="Customer-loyalty metrics from survey data.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="report NPS overall and by segment",
        description=(
            "Report the Net Promoter Score of a survey, overall and by segment. "
            "Without FILE, runs on the bundled example survey."
        ),
    )
    report.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="CSV file with one row per response (default: the bundled example survey)",
    )
    report.add_argument(
        "--score",
        metavar="COL",
        help=f"column holding the 0..10 answers (default: {_EXAMPLE_SCORE!r} for the example)",
    )
    report.add_argument(
        "--by",
        metavar="COL",
        action="append",
        help="segment column; repeat for several breakdowns (example default: region)",
    )
    return parser


def _read_csv(path: Path) -> dict[str, list[str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise CommandError(f"cannot read {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {str(path)!r}: {error}") from None
    if not rows:
        raise CommandError(f"{str(path)!r} is empty")
    header, body = rows[0], rows[1:]
    return {name: [row[i] if i < len(row) else "" for row in body] for i, name in enumerate(header)}


def _column(table: dict[str, Any], name: str) -> Any:
    if name not in table:
        known = ", ".join(repr(column) for column in table)
        raise CommandError(f"no column {name!r}; the columns are {known}")
    return table[name]


def _scores(values: Sequence[object]) -> npt.NDArray[np.float64]:
    out = np.empty(len(values), dtype=np.float64)
    for position, value in enumerate(values):
        text = str(value).strip()
        if text == "" or text.lower() in {"na", "nan", "null"}:
            out[position] = np.nan
            continue
        try:
            out[position] = float(text)
        except ValueError:
            raise CommandError(
                f"score {text!r} in data row {position + 1} is not a number"
            ) from None
    return out


def _format_row(label: str, result: NPSResult) -> str:
    return (
        f"{label:<24}{result.n:>8}{result.score:>8.1f}"
        f"{100 * result.detractor_share:>11.1f}%{100 * result.passive_share:>9.1f}%"
        f"{100 * result.promoter_share:>10.1f}%"
    )


def _report(args: argparse.Namespace) -> str:
    if args.file is None:
        from loyaltymetrics.datasets import load_survey

        table: dict[str, Any] = load_survey()
        source = "the bundled example survey (synthetic data)"
        score_name = args.score or _EXAMPLE_SCORE
        by = args.by if args.by is not None else _EXAMPLE_BY
    else:
        table = _read_csv(Path(args.file))
        source = str(args.file)
        if args.score is None:
            raise CommandError("--score is required with FILE: name the 0..10 answer column")
        score_name = args.score
        by = args.by or []

    scores = _scores(list(_column(table, score_name)))
    segments = {name: np.asarray(_column(table, name)).astype(str) for name in by}
    try:
        overall = nps(scores, nan_policy="omit")
    except ValueError as error:
        raise CommandError(f"column {score_name!r}: {error}") from None

    lines = [
        f"Net Promoter Score of {source}",
        f"score column {score_name!r}; {overall.n} responses, {overall.n_omitted} missing omitted",
        "",
        f"{'segment':<24}{'n':>8}{'NPS':>8}{'detractors':>12}{'passives':>10}{'promoters':>11}",
        _format_row("overall", overall),
    ]
    for name, labels in segments.items():
        for label in sorted(set(labels.tolist())):
            members = labels == label
            if not np.any(members & ~np.isnan(scores)):
                continue
            result = nps(scores[members], nan_policy="omit")
            lines.append(_format_row(f"{name}={label}", result))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        output = _report(args)
    except CommandError as error:
        print(f"loyaltymetrics: error: {error}", file=sys.stderr)
        return 2
    print(output)
    return 0
