"""Speed of segment breakdowns: by_segment vs pandas' value_counts and vs the naive way.

Run: PYTHONPATH=. python benchmarks/segments_speed.py [--rows 10_000_000]
         [--segments 100_000] [--repeat 1] [--quick] [--target-only]

Prints, on one pandas frame of ``rows`` survey answers (0..10) in
``segments`` segments (integer segment ids; each segment has its own
detractor/passive/promoter mix):

1. the time of pandas' ``df.groupby(seg)[score].value_counts()`` -- the
   counting a user would do by hand before any inference;
2. the time of ``by_segment`` (NPS, BCa intervals with 9,999 resamples,
   every segment compared with the rest of the data with BCa, Holm
   correction), split into the group-by and the rest;
3. their ratio (target: at most 20), the floor of the documented random
   streams (the numpy binomial draws alone that the conditional-binomial
   multinomial resampling makes, four per segment and resample, timed on the
   first ``--floor-segments`` segments with the library's thread count and
   extrapolated) and by_segment's time over it, the process's peak RSS (target under
   2 GB: the bootstrap works through blocks of segments; with ``--traced``
   also the peak of the ``by_segment`` call alone, by tracemalloc, in a
   second run), and the time without the comparisons;
4. the naive approach -- pandas groupby, then ``scipy.stats.bootstrap``
   (BCa, 9,999 resamples) on each segment's raw rows -- timed on the first
   ten segments and extrapolated to all of them. It computes the intervals
   only: a bootstrap of each segment against the ~10 million rows of the
   rest is out of reach on raw rows, so the naive figure is an
   underestimate of a like-for-like comparison.

``--target-only`` stops after 3. Every timing is the best of ``--repeat``
runs (default 1; 1 for the naive approach), measured in the same process on
the same frame. Large bootstraps draw the segments on one thread per core
the process may use; ``--single-thread`` limits that to one, to show the figure on one core.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

import loyaltymetrics as lm
from loyaltymetrics._engine import _intervals

N_RESAMPLES = 9999


def make_frame(rows: int, segments: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, segments, size=rows)
    # Each segment's share of promoters and detractors differs a little.
    promoter_share = rng.uniform(0.3, 0.6, size=segments)[segment]
    detractor_share = rng.uniform(0.1, 0.3, size=segments)[segment]
    u = rng.random(rows)
    score = np.where(
        u < detractor_share,
        rng.integers(0, 7, size=rows),
        np.where(
            u < 1.0 - promoter_share, rng.integers(7, 9, size=rows), rng.integers(9, 11, size=rows)
        ),
    )
    return pd.DataFrame({"seg": segment, "score": score})


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def nps_of_rows(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return 100.0 * ((values >= 9).mean(axis=axis) - (values <= 6).mean(axis=axis))


def naive(frame: pd.DataFrame, first: int) -> float:
    """pandas groupby + scipy.stats.bootstrap (BCa) per segment, on ``first`` segments."""
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    for index, (_, rows) in enumerate(frame.groupby("seg")["score"]):
        if index == first:
            break
        stats.bootstrap(
            (rows.to_numpy(),),
            nps_of_rows,
            n_resamples=N_RESAMPLES,
            method="BCa",
            batch=500,  # bounds memory: 500 resamples x ~10,000 rows at a time
            rng=rng,
        )
    return time.perf_counter() - start


def draws_floor(frame: pd.DataFrame, first: int, threads: int) -> tuple[float, int]:
    """Time of the documented streams' binomial draws alone, extrapolated to every segment.

    For the first ``first`` segments, the conditional-binomial calls that
    ``by_segment`` makes for NPS with comparisons with the rest: per segment
    and per sample (its rows, the rest) one ``Generator.binomial`` per
    populated cell but the last, of ``N_RESAMPLES`` draws each, with the same
    totals and conditional shares, from spawned child generators, on
    ``threads`` threads as the library splits the segments. Returns the time
    scaled to all segments and the number of draws made.
    """
    from concurrent.futures import ThreadPoolExecutor

    segment_ids = frame["seg"].to_numpy()
    score = frame["score"].to_numpy()
    band = (score >= 7).astype(np.int64) + (score >= 9)  # detractor, passive, promoter
    _, code = np.unique(segment_ids, return_inverse=True)
    n_segments = int(code.max()) + 1
    counts = np.bincount(code * 3 + band, minlength=3 * n_segments).reshape(n_segments, 3)
    rest = counts.sum(axis=0) - counts
    first = min(first, n_segments)
    tables = [table[:first] for table in (counts, rest)]
    shares = [
        _intervals._conditional_shares(
            _intervals._resampling_probabilities(table, table.sum(axis=-1))
        )
        for table in tables
    ]
    # Per segment, per sample (its rows, the rest): (generator, n, p) per cell drawn.
    calls: list[list[list[tuple[np.random.Generator, int, float]]]] = []
    generators = iter(np.random.default_rng(0).spawn(first * 2 * 2))
    for index in range(first):
        samples = []
        for table, q in zip(tables, shares, strict=True):
            populated = np.flatnonzero(table[index] > 0)
            total = int(table[index].sum())
            samples.append(
                [(next(generators), total, float(q[index, cell])) for cell in populated[:-1]]
            )
        calls.append(samples)

    def run(part: range) -> int:
        made = 0
        for index in part:
            for sample in calls[index]:
                remaining = None
                for generator, total, q in sample:
                    if remaining is None:
                        drawn = generator.binomial(total, q, size=N_RESAMPLES)
                        remaining = total - drawn
                    else:
                        drawn = generator.binomial(remaining, q)
                        remaining -= drawn
                    made += N_RESAMPLES
        return made

    parts = [range(start, first, threads) for start in range(threads)]
    start = time.perf_counter()
    if threads == 1:
        made = run(parts[0])
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            made = sum(pool.map(run, parts))
    elapsed = time.perf_counter() - start
    return elapsed * n_segments / first, made * n_segments // first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--naive-segments", type=int, default=10)
    parser.add_argument(
        "--floor-segments",
        type=int,
        default=1000,
        help="segments whose binomial draws are timed for the floor",
    )
    parser.add_argument("--quick", action="store_true", help="1e6 rows, 100 segments, 1 repeat")
    parser.add_argument(
        "--single-thread", action="store_true", help="draw the bootstrap on one thread"
    )
    parser.add_argument("--target-only", action="store_true", help="stop after the ratio")
    parser.add_argument(
        "--traced", action="store_true", help="also trace by_segment's own peak (a second run)"
    )
    args = parser.parse_args()
    if args.quick:
        args.rows, args.segments, args.repeat = 1_000_000, 100, 1
    if args.single_thread:
        _intervals._MAX_THREADS = 1
    threads = _intervals._thread_count(args.segments, 2**62)
    print(f"bootstrap draws on up to {threads} thread(s)")

    frame = make_frame(args.rows, args.segments)
    print(f"{args.rows:,} rows, {args.segments:,} segments (pandas frame, integer segment ids)")

    pandas_time, _ = best_of(args.repeat, lambda: frame.groupby("seg")["score"].value_counts())
    print(f"pandas groupby(seg)[score].value_counts():      {pandas_time:8.3f} s")

    group_time, _ = best_of(
        args.repeat, lambda: frame.groupby(["seg", "score"], dropna=False, observed=True).size()
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    ours_time, result = best_of(
        args.repeat,
        lambda: lm.by_segment(
            frame, score="score", by="seg", method="bca", n_resamples=N_RESAMPLES, rng=0
        ),
    )
    assert isinstance(result, lm.SegmentBreakdown)
    print(
        f"by_segment (NPS, BCa {N_RESAMPLES} resamples, vs rest, Holm): {ours_time:8.3f} s"
        f"   (of which ~{group_time:.3f} s is the pandas group-by over (seg, score))"
    )
    print(
        f"ratio by_segment / value_counts:                {ours_time / pandas_time:8.2f}x"
        "   (target <= 20x)"
    )
    floor_time, floor_draws = draws_floor(frame, args.floor_segments, threads)
    print(
        f"floor of the documented streams (numpy binomial draws alone, first "
        f"{min(args.floor_segments, args.segments):,} segments extrapolated; "
        f"{floor_draws:.2e} draws): {floor_time:8.3f} s"
    )
    print(
        f"ratio by_segment / floor:                      {ours_time / floor_time:8.2f}x"
        f"   (value_counts x 20 = {20 * pandas_time:.3f} s; the floor is "
        f"{floor_time / pandas_time:.1f}x value_counts)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    frame_bytes = frame.memory_usage(deep=True).sum() / 1e9
    print(
        f"peak RSS of this process (frame included):     {rss:8.3f} GB"
        f"   (target < 2 GB; before by_segment: {rss_before:.3f} GB; "
        f"the frame holds {frame_bytes:.3f} GB)"
    )
    if args.traced:
        tracemalloc.start()
        lm.by_segment(frame, score="score", by="seg", method="bca", n_resamples=N_RESAMPLES, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"peak memory of by_segment alone (tracemalloc): {peak / 1e9:8.3f} GB")
    if args.target_only:
        return
    intervals_time, _ = best_of(
        args.repeat,
        lambda: lm.by_segment(
            frame,
            score="score",
            by="seg",
            method="bca",
            n_resamples=N_RESAMPLES,
            compare=None,
            rng=0,
        ),
    )
    print(
        f"  the same without comparisons (BCa intervals only): {intervals_time:8.3f} s"
        f" = {intervals_time / pandas_time:.2f}x value_counts"
    )
    significant = int(np.asarray(result.table["significant"]).sum())
    print(f"  ({significant} of {result.n_segments} segments differ from the rest after Holm)")

    naive_time = naive(frame, args.naive_segments)
    per_segment = naive_time / args.naive_segments
    extrapolated = per_segment * args.segments
    print(
        f"naive: pandas groupby + scipy.stats.bootstrap BCa, {args.naive_segments} segments: "
        f"{naive_time:8.3f} s ({per_segment:.3f} s per segment; intervals only)"
    )
    print(
        f"naive extrapolated to {args.segments:,} segments:        {extrapolated:8.1f} s"
        f"   = {extrapolated / ours_time:,.0f}x by_segment's time"
    )


if __name__ == "__main__":
    main()
