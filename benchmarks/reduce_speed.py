"""The reduce step of a segment breakdown alone: ours against the physical floor.

Run: python benchmarks/reduce_speed.py [--rows 10000000] [--segments 10 1000]

Times the reduce that ``by_segment`` runs before any inference -- the
engine calls ``_frames.as_table`` and ``_frames.group_aggregate`` counting
rows per (segment, score) cell -- on ``rows`` NPS answers (0..10) in
``segments`` integer segments, and compares it with

* for numpy arrays and a pandas DataFrame: one ``np.bincount`` over the
  combined codes ``segment * 11 + score`` (computed beforehand; the floor of
  any counting); the time of computing those codes plus the bincount is
  printed too;
* for a DuckDB relation: DuckDB's own ``GROUP BY`` of the same cells,
  fetched as numpy.

Each count table is checked against the bincount. Peak memory that the
reduce allocates through numpy is measured with tracemalloc (arrays and
pandas input) and printed beside the input's bytes. Ratios are of times
measured in the same run (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from loyaltymetrics._engine import _frames


def best(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def ours(data: Any, *, score: Any, by: Any) -> _frames.Grouped:
    """The reduce step exactly as the segment breakdown calls it."""
    table = _frames.as_table(
        data,
        data_role="score",
        roles={"score": score, "by": by, "weights": None},
        key_roles=("by",),
    )
    keys = [*table.columns["by"], table.columns["score"][0]]
    return _frames.group_aggregate(table, keys, {"rows": ("len", None)})


def as_counts(grouped: _frames.Grouped, segment: str, score: str, segments: int) -> np.ndarray:
    cells = np.zeros(segments * 11, dtype=np.int64)
    codes = grouped.keys[segment].astype(np.int64) * 11 + grouped.keys[score].astype(np.int64)
    cells[codes] = grouped.values["rows"]
    return cells


def peak_bytes(function: Callable[[], Any]) -> int:
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(17)
    print(f"Reduce step of by_segment: {args.rows:,} NPS answers (0..10)")
    header = f"{'segments':>9}  {'input':<8}{'ours':>10}{'floor':>10}{'ratio':>8}"
    print(f"{header}{'codes+bincount':>16}{'input MB':>10}{'peak MB':>9}  floor")
    for segments in args.segments:
        run_segments(segments, rng, args.rows, args.repeat)


def run_segments(segments: int, rng: np.random.Generator, rows: int, repeat: int) -> None:
    """Print the lines of one number of segments."""
    import duckdb
    import pandas as pd
    import pyarrow as pa

    segment = rng.integers(0, segments, rows)
    score = rng.integers(0, 11, rows)
    combined = segment * 11 + score
    cells = segments * 11
    floor_time, floor = best(lambda: np.bincount(combined, minlength=cells), repeat)
    codes_time, _ = best(lambda: np.bincount(segment * 11 + score, minlength=cells), repeat)
    frame = pd.DataFrame({"segment": segment, "score": score})
    runs = {
        "numpy": (lambda: ours(score, score=None, by=segment), score.nbytes + segment.nbytes),
        "pandas": (
            lambda: ours(frame, score="score", by="segment"),
            int(frame.memory_usage(deep=True).sum()),
        ),
    }
    ours(score[:10], score=None, by=segment[:10])  # first-call imports
    ours(frame.head(10), score="score", by="segment")
    for name, (run, size) in runs.items():
        elapsed, grouped = best(run, repeat)
        names = ("by", "score") if name == "numpy" else ("segment", "score")
        assert np.array_equal(as_counts(grouped, *names, segments), floor), name
        peak = peak_bytes(run)
        print(
            f"{segments:>9,}  {name:<8}{elapsed * 1e3:>8.0f}ms{floor_time * 1e3:>8.0f}ms"
            f"{elapsed / floor_time:>8.2f}{codes_time * 1e3:>14.0f}ms"
            f"{size / 1e6:>10.0f}{peak / 1e6:>9.0f}  one np.bincount"
        )
    connection = duckdb.connect()
    connection.register("answers", pa.Table.from_pandas(frame, preserve_index=False))
    relation = connection.table("answers")
    ours(relation.limit(10), score="score", by="segment")
    elapsed, grouped = best(lambda: ours(relation, score="score", by="segment"), repeat)
    assert np.array_equal(as_counts(grouped, "segment", "score", segments), floor)
    sql = "SELECT segment, score, count(*) AS n FROM answers GROUP BY segment, score"
    reference_time, _ = best(lambda: connection.sql(sql).fetchnumpy(), repeat)
    print(
        f"{segments:>9,}  {'duckdb':<8}{elapsed * 1e3:>8.0f}ms{reference_time * 1e3:>8.0f}ms"
        f"{elapsed / reference_time:>8.2f}{'':>35}  DuckDB GROUP BY"
    )


if __name__ == "__main__":
    main()
