"""Speed of over_time: NPS per (segment, month) with intervals and changes vs pandas' counting.

Run: PYTHONPATH=. python benchmarks/over_time_speed.py [--rows 10_000_000]
         [--segments 100] [--months 24] [--repeat 1] [--method adjusted-wald]

Prints, on one pandas frame of ``rows`` survey answers (0..10) with a
datetime column spanning ``months`` calendar months and ``segments``
integer segment ids (each segment's detractor/passive/promoter mix drifts a
little from month to month):

1. the time of pandas' ``df.groupby([segment, month])[score].value_counts()``
   with the month given as a ready-made column -- only the counting a user
   would do by hand before any inference -- and the same with the month
   computed from the datetime column (``dt.to_period("M")``), as
   ``over_time`` must;
2. the time of ``over_time`` (NPS per segment and month from the datetime
   column, adjusted-Wald intervals, every month compared with the previous
   one, Holm correction over all changes), and its ratio to 1. (target: at
   most 10 times pandas' ``value_counts``);
3. the physical floor: one ``np.bincount`` over the combined (segment,
   month, score) codes, precomputed;
4. the peak memory (tracemalloc) of ``over_time`` and of the pandas
   counting, beside their times, and the process's peak RSS.

Every timing is the best of ``--repeat`` runs, measured in the same process
on the same frame, after one warm-up call of ``over_time`` on 1,000 rows
(the first call imports scipy and the inference modules).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

import loyaltymetrics as lm


def make_frame(rows: int, segments: int, months: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, segments, size=rows)
    month = rng.integers(0, months, size=rows)
    promoter = rng.uniform(0.3, 0.6, size=segments)[segment] + 0.002 * month
    detractor = rng.uniform(0.1, 0.3, size=segments)[segment]
    u = rng.random(rows)
    score = np.where(
        u < detractor,
        rng.integers(0, 7, size=rows),
        np.where(u < 1 - promoter, rng.integers(7, 9, size=rows), rng.integers(9, 11, size=rows)),
    )
    seconds = rng.integers(0, 28 * 86400, size=rows).astype("timedelta64[s]")
    start = (np.datetime64("2024-01", "M") + month).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "segment": segment,
            "date": start + seconds,
            "month": month,
            "score": score.astype(np.int64),
        }
    )


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
    return best, out


def traced_peak(run: Callable[[], object]) -> float:
    """Peak memory (GB) allocated while ``run`` runs, by tracemalloc."""
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--method", default="adjusted-wald")
    args = parser.parse_args()

    frame = make_frame(args.rows, args.segments, args.months)
    print(
        f"{args.rows:,} rows, {args.segments} segments x {args.months} months, "
        f"NPS ({args.method} intervals, changes vs the previous month, Holm)"
    )

    def pandas_counts() -> object:
        return frame.groupby(["segment", "month"])["score"].value_counts()

    def pandas_counts_from_dates() -> object:
        month = frame["date"].dt.to_period("M")
        return frame.groupby([frame["segment"], month])["score"].value_counts()

    def ours() -> lm.OverTime:
        return lm.over_time(
            frame, score="score", time="date", by="segment", method=args.method, rng=0
        )

    codes = (frame["segment"].to_numpy() * args.months + frame["month"].to_numpy()) * 11 + frame[
        "score"
    ].to_numpy()
    n_cells = args.segments * args.months * 11

    def floor() -> object:
        return np.bincount(codes, minlength=n_cells)

    # Warm up: the first call imports scipy and the inference modules.
    lm.over_time(frame.iloc[:1000], score="score", time="date", by="segment", method=args.method)
    pandas_time, _ = best_of(args.repeat, pandas_counts)
    pandas_dates_time, _ = best_of(args.repeat, pandas_counts_from_dates)
    ours_time, result = best_of(args.repeat, ours)
    floor_time, _ = best_of(args.repeat, floor)
    assert isinstance(result, lm.OverTime)
    assert result.n_segments == args.segments
    assert result.n_periods == args.months
    ours_peak = traced_peak(ours)
    pandas_peak = traced_peak(pandas_counts)
    pandas_dates_peak = traced_peak(pandas_counts_from_dates)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    print(f"{'':48s}{'time (s)':>10s}{'peak (GB)':>11s}")
    print(f"{'pandas value_counts, month column given':48s}{pandas_time:10.3f}{pandas_peak:11.3f}")
    print(
        f"{'pandas value_counts, month from the dates':48s}"
        f"{pandas_dates_time:10.3f}{pandas_dates_peak:11.3f}"
    )
    print(f"{'over_time (intervals, changes, correction)':48s}{ours_time:10.3f}{ours_peak:11.3f}")
    print(f"{'floor: one np.bincount of combined codes':48s}{floor_time:10.3f}{'':>11s}")
    print(f"over_time / pandas value_counts (month given):   {ours_time / pandas_time:6.2f}x")
    print(f"over_time / pandas value_counts (from dates):    {ours_time / pandas_dates_time:6.2f}x")
    print(f"over_time / floor (np.bincount):                 {ours_time / floor_time:6.2f}x")
    print(f"peak RSS of this process (frame included):       {rss:6.2f} GB")


if __name__ == "__main__":
    main()
