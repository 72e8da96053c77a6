"""The command-line report on a 1e6-row CSV against pandas.read_csv plus by_segment.

What a user would otherwise run for the same report: read the file with
``pandas.read_csv`` and call ``lm.nps`` and ``lm.by_segment`` once per
breakdown with the options the report uses (adjusted-Wald intervals, each
segment against the rest, Holm-corrected, segments under 30 answers flagged,
missing answers omitted). Both sides run as fresh processes, timed end to end
(interpreter start, imports, reading, computing, writing), so the ratio is what
a user waits; each process's peak resident memory comes from ``os.wait4``
(the parent stays small, since a child's peak counts the parent's memory at
the fork).

The report also runs once without pyarrow (its standard-library fallback
reader), for comparison.

Usage: ``python benchmarks/cli_speed.py [--rows 1000000] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

BASELINE = """
import json, sys, time
start = time.perf_counter()
import pandas as pd
import loyaltymetrics as lm
frame = pd.read_csv(sys.argv[1])
read = time.perf_counter() - start
scores = frame["score"].to_numpy(dtype=float)
overall = lm.nps(scores, nan_policy="omit")
overall.confidence_interval(0.95, method="adjusted-wald")
for column in ("region", "plan"):
    lm.by_segment(
        scores, metric="nps", by=frame[column].to_numpy(), confidence_level=0.95,
        method="adjusted-wald", compare="rest", correction="holm", min_n=30, nan_policy="omit",
    )
print(json.dumps({"read": read, "total": time.perf_counter() - start}))
"""

WITHOUT_PYARROW = """
import sys
sys.modules["pyarrow"] = None  # as if pyarrow were not installed
from loyaltymetrics._cli import main
sys.exit(main(sys.argv[1:]))
"""


def write_survey(path: Path, n_rows: int) -> None:
    """A survey export: id, a 0..10 score (2% left empty), region (8) and plan (3)."""
    rng = np.random.default_rng(17)
    scores = rng.choice(11, size=n_rows, p=np.r_[np.full(7, 0.03), 0.12, 0.17, 0.25, 0.25])
    score_text = scores.astype(str)
    score_text[rng.random(n_rows) < 0.02] = ""
    regions = np.array(["North", "South", "East", "West", "Central", "Coast", "Hills", "Islands"])
    plans = np.array(["basic", "pro", "enterprise"])
    columns = [
        np.arange(1, n_rows + 1).astype(str),
        score_text,
        regions[rng.integers(0, regions.size, n_rows)],
        plans[rng.choice(3, size=n_rows, p=[0.55, 0.3, 0.15])],
    ]
    lines = np.char.add(np.char.add(np.char.add(columns[0], ","), columns[1]), ",")
    lines = np.char.add(np.char.add(np.char.add(lines, columns[2]), ","), columns[3])
    with path.open("w", encoding="utf-8") as handle:
        handle.write("respondent_id,score,region,plan\n")
        handle.write("\n".join(lines.tolist()))
        handle.write("\n")


#: Compiled bytecode of every process, kept for the run: the first run of each
#: command writes it (even where the environment turns bytecode writing off),
#: so the timed runs import as from an installed package.
_BYTECODE = tempfile.TemporaryDirectory()


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """Run a process; return its wall time (s), its own peak RSS (MB) and its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": _BYTECODE.name}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None
    assert process.stderr is not None
    # Read the pipes to the end, then reap the child with wait4 for its own rusage.
    stdout = process.stdout.read()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{stderr.decode()}")
    return elapsed, usage.ru_maxrss / 1024, stdout.decode()


def best(command: list[str], repeats: int) -> tuple[float, float, str]:
    runs = [run_measured(command) for _ in range(repeats)]
    fastest = min(runs, key=lambda result: result[0])
    return fastest[0], max(result[1] for result in runs), fastest[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-fallback", action="store_true")
    parser.add_argument("--write", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_survey(Path(args.write), args.rows)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.csv"
        # Written by a child process: a child's peak RSS counts the parent's memory
        # at the fork, so the parent stays small.
        subprocess.run(
            [sys.executable, __file__, "--write", str(path), "--rows", str(args.rows)], check=True
        )
        size = path.stat().st_size / 1e6
        report = [str(path), "--score", "score", "--by", "region", "--by", "plan"]
        report += ["--format", "json", "--quiet"]
        ours = [sys.executable, "-m", "loyaltymetrics", "report", *report]
        theirs = [sys.executable, "-c", BASELINE, str(path)]
        # A first run of each warms the file cache and the imports' .pyc files.
        run_measured(ours)
        run_measured(theirs)
        ours_time, ours_peak, _ = best(ours, args.repeats)
        theirs_time, theirs_peak, output = best(theirs, args.repeats)
        read_time = float(output.split('"read": ')[1].split(",")[0])
        print(f"CSV of {args.rows:,} rows, {size:.1f} MB; report with --by region --by plan")
        print(f"{'':44} {'time (s)':>9} {'peak RSS (MB)':>14}")
        print(f"{'loyaltymetrics report (pyarrow reader)':44} {ours_time:9.2f} {ours_peak:14.0f}")
        print(
            f"{'pandas.read_csv + nps + 2 x by_segment':44} {theirs_time:9.2f} {theirs_peak:14.0f}"
        )
        print(f"{'  of which pandas.read_csv (incl. imports)':44} {read_time:9.2f}")
        print(f"ratio report / (read_csv + by_segment): {ours_time / theirs_time:.2f}")
        if not args.skip_fallback:
            fallback = [sys.executable, "-c", WITHOUT_PYARROW, "report", *report]
            fallback_time, fallback_peak, _ = run_measured(fallback)
            print(
                f"{'loyaltymetrics report (csv-module reader)':44} "
                f"{fallback_time:9.2f} {fallback_peak:14.0f}"
            )
            print(f"ratio fallback / (read_csv + by_segment): {fallback_time / theirs_time:.2f}")


if __name__ == "__main__":
    main()
