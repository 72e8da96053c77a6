"""Speed of by_segment(metric="share" | "mean") against a hand-written polars query.

Run: PYTHONPATH=. python benchmarks/generic_segments_speed.py [--rows 10_000_000]
         [--segments 10] [--repeat 3]

On one polars frame of ``rows`` customers in ``segments`` segments, with a
boolean ``retained`` column and an ``amount`` column (lognormal spend in
cents, so it has many distinct values), prints for each metric:

* the time of ``by_segment`` (share: Wilson intervals and Newcombe
  comparisons with the rest; mean: t intervals, Welch comparisons with the
  rest and the segment totals), Holm-corrected;
* the time of the strongest alternative a user would write: one polars
  ``group_by(segment).agg(...)`` of the sufficient moments (count and sum of
  the flag; count, mean and variance of the amount) followed by the same
  intervals and tests vectorised in numpy/scipy -- the floor of the work,
  since it needs only the moments;
* their ratio, and the process's peak RSS after each step.

Both sides are checked to give the same numbers. Timings are the best of
``--repeat`` runs in the same process on the same frame.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

import loyaltymetrics as lm


def make_frame(rows: int, segments: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, segments, size=rows)
    retained = rng.random(rows) < rng.uniform(0.4, 0.7, size=segments)[segment]
    amount = np.round(rng.lognormal(3.0, 1.0, size=rows), 2)
    return pl.DataFrame({"segment": segment, "retained": retained, "amount": amount})


def best(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hand_share(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Wilson interval per segment and Newcombe's difference from the rest."""
    moments = (
        frame.group_by("segment")
        .agg(pl.col("retained").sum().alias("k"), pl.len().alias("n"))
        .sort("segment")
    )
    k = moments["k"].to_numpy().astype(float)
    n = moments["n"].to_numpy().astype(float)
    z = stats.norm.isf(0.025)

    def wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return centre - half, centre + half

    low, high = wilson(k, n)
    rest_k, rest_n = k.sum() - k, n.sum() - n
    rest_low, rest_high = wilson(rest_k, rest_n)
    p, q = k / n, rest_k / rest_n
    difference_low = p - q - np.hypot(p - low, rest_high - q)
    difference_high = p - q + np.hypot(high - p, q - rest_low)
    return {
        "share": p,
        "low": low,
        "high": high,
        "difference_low": difference_low,
        "difference_high": difference_high,
    }


def hand_mean(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """t interval per segment, Welch's test against the rest, and the total."""
    moments = (
        frame.group_by("segment")
        .agg(
            pl.len().alias("n"),
            pl.col("amount").sum().alias("sum"),
            (pl.col("amount") ** 2).sum().alias("squares"),
        )
        .sort("segment")
    )
    n = moments["n"].to_numpy().astype(float)
    total = moments["sum"].to_numpy()
    squares = moments["squares"].to_numpy()
    mean = total / n
    variance = (squares - n * mean**2) / (n - 1)
    half = stats.t.isf(0.025, n - 1) * np.sqrt(variance / n)
    rest_n = n.sum() - n
    rest_mean = (total.sum() - total) / rest_n
    rest_variance = (squares.sum() - squares - rest_n * rest_mean**2) / (rest_n - 1)
    se_a, se_b = variance / n, rest_variance / rest_n
    df = (se_a + se_b) ** 2 / (se_a**2 / (n - 1) + se_b**2 / (rest_n - 1))
    statistic = (mean - rest_mean) / np.sqrt(se_a + se_b)
    pvalue = 2 * stats.t.sf(np.abs(statistic), df)
    return {"mean": mean, "low": mean - half, "total": total, "pvalue": pvalue}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = make_frame(args.rows, args.segments)
    distinct = frame["amount"].n_unique()
    print(f"{args.rows:,} rows, {args.segments} segments, {distinct:,} distinct amounts")
    print(f"peak RSS after building the frame: {peak_rss_mb():,.0f} MB")
    cases = (
        (
            "share",
            "retained",
            hand_share,
            ("share", "low", "high", "difference_low", "difference_high"),
        ),
        ("mean", "amount", hand_mean, ("mean", "low", "total", "pvalue")),
    )
    for metric, column, hand, checked in cases:
        ours_time, ours = best(
            lambda metric=metric, column=column: lm.by_segment(
                frame, score=column, by="segment", metric=metric
            ),
            args.repeat,
        )
        ours_rss = peak_rss_mb()
        theirs_time, theirs = best(lambda hand=hand: hand(frame), args.repeat)
        theirs_rss = peak_rss_mb()
        for name in checked:
            np.testing.assert_allclose(ours.table[name].to_numpy(), theirs[name], rtol=1e-6)
        print(
            f"{metric:>5}: by_segment {ours_time:7.3f} s (peak RSS {ours_rss:,.0f} MB)   "
            f"polars moments + numpy {theirs_time:7.3f} s (peak RSS {theirs_rss:,.0f} MB)   "
            f"ratio {ours_time / theirs_time:5.2f}x"
        )


if __name__ == "__main__":
    main()
