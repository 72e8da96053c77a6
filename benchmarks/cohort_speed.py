"""Monthly cohort table of 10 million activity events: ours against a hand-written query.

Run: python benchmarks/cohort_speed.py [--n 10000000] [--customers 1000000]

Times ``lm.cohort_retention`` (classic and unbounded, monthly periods) on the
same synthetic log given as numpy arrays, a pandas DataFrame (ids as Python
string objects, as pandas 2 reads text, and as Arrow-backed strings, pandas
3's default), a polars DataFrame and LazyFrame, and a DuckDB relation, against the strongest
hand-written alternative of the same matrix: a six-line polars query on the
polars frame (the denominator for numpy, pandas and polars input) and a
DuckDB SQL query on the DuckDB relation (for DuckDB input). Every table is
checked to have identical counts.

Each input kind runs in a fresh subprocess that builds the log, then measures
the peak resident memory that ``cohort_retention`` adds on top of the input
(the resident high-water mark after the calls, reset just before them through
``/proc/self/clear_refs``, minus the resident size before), printed beside the
input's own bytes. Where the mark cannot be reset (not Linux), the figure is
marked with ``*``: it then includes the log's construction, which peaks
higher. Ratios are of times measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np

KINDS = ("numpy", "pandas", "pandas-arrow", "polars", "polars-lazy", "duckdb")


def make_log(n: int, customers: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Each customer starts on a day of 2024 and is active on later days at random."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 366, customers)
    who = rng.integers(0, customers, n)
    lag = np.minimum(rng.geometric(1 / 120, n) - 1, 729)
    days = np.datetime64("2024-01-01") + np.minimum(start[who] + lag, 729)
    ids = np.char.add("c", who.astype(str))
    return ids, days.astype("datetime64[D]")


def polars_query(frame: Any, kind: str) -> Any:
    """Customers per (cohort month, month): the hand-written polars plan."""
    import polars as pl

    month = pl.col("time").dt.year() * 12 + pl.col("time").dt.month() - 1
    active = frame.lazy().select("customer", month.alias("month"))
    if kind == "unbounded":
        per = active.group_by("customer").agg(
            pl.col("month").min().alias("cohort"), pl.col("month").max().alias("last")
        )
        return per.group_by("cohort", "last").len().collect()
    pairs = active.unique().with_columns(pl.col("month").min().over("customer").alias("cohort"))
    return pairs.group_by("cohort", "month").len().collect()


def duckdb_query(connection: Any, kind: str) -> Any:
    """The same matrix as one SQL query."""
    month = "(year(time) * 12 + month(time) - 1)"
    if kind == "unbounded":
        sql = f"""
            SELECT cohort, last, count(*) AS len FROM (
                SELECT customer, min({month}) AS cohort, max({month}) AS last
                FROM log GROUP BY customer
            ) GROUP BY cohort, last"""
    else:
        sql = f"""
            WITH pairs AS (SELECT DISTINCT customer, {month} AS month FROM log),
            first AS (SELECT customer, min(month) AS cohort FROM pairs GROUP BY customer)
            SELECT cohort, month, count(*) AS len
            FROM pairs JOIN first USING (customer) GROUP BY cohort, month"""
    return connection.sql(sql).fetchnumpy()


def as_matrix(first: np.ndarray, second: np.ndarray, count: np.ndarray) -> dict:
    return {(int(a), int(b)): int(c) for a, b, c in zip(first, second, count, strict=True)}


def ours_matrix(table: Any, kind: str) -> dict:
    """Undo the cohort table into (cohort month, month or last month) -> customers."""
    months = table.cohorts.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    counts = table.counts.copy()
    if kind == "unbounded":  # counts are cumulated from the right: take differences
        counts[:, :-1] -= counts[:, 1:]
    out = {}
    for row, cohort in enumerate(months):
        for offset in np.flatnonzero(counts[row]):
            out[(int(cohort), int(cohort + offset))] = int(counts[row, offset])
    return out


def reset_peak_rss() -> bool:
    """Reset the process's resident high-water mark (Linux); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss() -> int:
    """The resident high-water mark: since the last reset, or of the whole process."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


def run_one(kind: str, n: int, customers: int) -> dict:
    """In a subprocess: build one input kind, time ours and its reference, measure memory."""
    import duckdb
    import polars as pl

    import loyaltymetrics as lm

    ids, days = make_log(n, customers)
    polars_frame = pl.DataFrame({"customer": ids, "time": days.astype("datetime64[us]")})
    connection = None
    if kind == "numpy":
        data, input_bytes = None, ids.nbytes + days.nbytes
    elif kind == "pandas":
        data = polars_frame.to_pandas()
        if data["customer"].dtype != object:  # pandas 3: text is Arrow-backed by default
            data["customer"] = data["customer"].astype(object)
        input_bytes = int(data.memory_usage(deep=True).sum())
    elif kind == "pandas-arrow":
        data = polars_frame.to_pandas()
        data["customer"] = data["customer"].astype("string[pyarrow]")
        input_bytes = int(data.memory_usage(deep=True).sum())
    elif kind.startswith("polars"):
        data = polars_frame if kind == "polars" else polars_frame.lazy()
        input_bytes = int(polars_frame.estimated_size())
    else:
        arrow = polars_frame.to_arrow()
        connection = duckdb.connect()
        connection.register("log", arrow)
        data, input_bytes = connection.table("log"), int(arrow.nbytes)
    if not kind.startswith("polars"):
        del polars_frame
    out: dict[str, Any] = {"kind": kind, "input_bytes": input_bytes}
    # Warm up on a tiny log of the same kind: imports and first-call costs.
    if kind == "numpy":
        lm.cohort_retention(ids[:10], time=days[:10])
    elif kind.startswith("pandas"):  # a small frame of the same kind, above the polars cut
        lm.cohort_retention(data.head(1 << 17), customer="customer", time="time")
    else:
        tiny = data.head(10) if kind != "duckdb" else data.limit(10)
        lm.cohort_retention(tiny, customer="customer", time="time")
    polars_query(pl.DataFrame({"customer": ids[:10], "time": days[:10]}), "classic")
    # Building the log peaks higher than the calls measured: without a reset of
    # the high-water mark, that earlier peak would be counted as theirs.
    out["peak_reset"] = reset_peak_rss()
    before = current_rss()
    tables = {}
    for cohort_kind in ("classic", "unbounded"):
        start = time.perf_counter()
        if kind == "numpy":
            table = lm.cohort_retention(ids, time=days, kind=cohort_kind)
        else:
            table = lm.cohort_retention(data, customer="customer", time="time", kind=cohort_kind)
        out[f"ours_{cohort_kind}"] = time.perf_counter() - start
        tables[cohort_kind] = ours_matrix(table, cohort_kind)
    out["peak_added_bytes"] = peak_rss() - before
    if kind != "duckdb":
        reference_frame = pl.DataFrame({"customer": ids, "time": days})
    for cohort_kind in ("classic", "unbounded"):
        start = time.perf_counter()
        if kind == "duckdb":
            result = duckdb_query(connection, cohort_kind)
            out[f"reference_{cohort_kind}"] = time.perf_counter() - start
            reference = as_matrix(*(result[column] for column in result))
        else:
            frame = polars_query(reference_frame, cohort_kind)
            out[f"reference_{cohort_kind}"] = time.perf_counter() - start
            reference = as_matrix(*(frame[column].to_numpy() for column in frame.columns))
        out[f"same_{cohort_kind}"] = tables[cohort_kind] == reference
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--only", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args.only, args.n, args.customers)))
        return
    print(f"Cohort table: {args.n:,} events, {args.customers:,} customers, monthly periods")
    print(
        f"{'input':<13}{'kind':<11}{'ours':>9}{'reference':>11}{'ratio':>8}  same"
        f"{'input MB':>10}{'peak added MB':>15}{'ratio':>7}"
    )
    for kind in KINDS:
        command = [sys.executable, __file__, "--only", kind, "--n", str(args.n)]
        command += ["--customers", str(args.customers)]
        line = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(line.strip().splitlines()[-1])
        reference_name = "duckdb SQL" if kind == "duckdb" else "polars"
        for cohort_kind in ("classic", "unbounded"):
            ours, reference = result[f"ours_{cohort_kind}"], result[f"reference_{cohort_kind}"]
            memory = ""
            if cohort_kind == "classic":
                added, size = result["peak_added_bytes"], result["input_bytes"]
                mark = "" if result["peak_reset"] else "*"
                memory = f"{size / 1e6:>10.0f}{added / 1e6:>14.0f}{mark:1}{added / size:>7.2f}"
            print(
                f"{kind:<13}{cohort_kind:<11}{ours:>8.2f}s{reference:>10.2f}s"
                f"{ours / reference:>8.2f}  {result[f'same_{cohort_kind}']!s:<5}{memory}"
                f"   (vs {reference_name})"
            )


if __name__ == "__main__":
    main()
