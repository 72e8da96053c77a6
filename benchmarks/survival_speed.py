"""Survival analysis on 10 million rows: loyaltymetrics vs lifelines, numpy and polars.

Run: python benchmarks/survival_speed.py [--n 10000000] [--repeats 3]
         [--logrank-n 10000000] [--skip-lifelines-logrank]

1. Kaplan-Meier, two workloads with ties and right censoring: whole-day
   durations (days to churn, 0..1825, the usual case) and continuous durations
   (every value distinct). For each, the best of ``--repeats`` wall-clock
   times of ``lm.kaplan_meier(durations, observed)`` and of lifelines'
   ``KaplanMeierFitter().fit(durations, observed)``, their ratio, and the
   largest difference between the two survival curves and interval limits.
2. Kaplan-Meier on ``--n`` distinct continuous durations against the
   physical floor, one ``np.sort`` of them (target: at most 3x).
3. The log-rank test over ``--logrank-n`` continuous durations in 10 groups
   against lifelines' ``multivariate_logrank_test`` (target: at least 5x
   faster; equal statistics checked). lifelines runs once: it takes minutes.
4. ``customer_durations`` on ``--n`` transactions (1e6 customers, polars
   input) against a hand-written polars query of the same thing (target: at
   most 1.5x; identical results checked).

Peak memory is printed beside each time: the peak of tracemalloc's traced
allocations during the call (numpy, and polars' Python-side buffers; polars'
Rust allocations are not traced, so its figure is a lower bound).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import loyaltymetrics as lm


def best_time(function, repeats: int):
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_once(function):
    """Wall-clock time and traced peak memory (MB) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, result


def workloads(n: int, rng: np.random.Generator):
    churn_day = rng.geometric(1 / 400, n)
    end_of_observation = rng.integers(30, 1826, n)
    yield (
        "whole days (integers)",
        np.minimum(churn_day, end_of_observation),
        churn_day <= end_of_observation,
    )
    churn_time = rng.exponential(400.0, n)
    censor_time = rng.uniform(30.0, 1825.0, n)
    yield (
        "continuous (floats)",
        np.minimum(churn_time, censor_time),
        churn_time <= censor_time,
    )


def kaplan_meier_vs_lifelines(args, rng) -> None:
    from lifelines import KaplanMeierFitter

    print(f"Kaplan-Meier, n = {args.n:,} durations, best of {args.repeats}")
    print(f"{'workload':<24}{'loyaltymetrics':>16}{'lifelines':>12}{'ratio':>9}{'max |diff|':>12}")
    for name, durations, observed in workloads(args.n, rng):
        ours_time, curve = best_time(
            lambda d=durations, e=observed: lm.kaplan_meier(d, e), args.repeats
        )
        theirs_time, fitter = best_time(
            lambda d=durations, e=observed: KaplanMeierFitter().fit(d, e), args.repeats
        )
        timeline = fitter.survival_function_.index.to_numpy()
        keep = np.isin(timeline, curve.times)
        reference = np.column_stack(
            [
                fitter.survival_function_.to_numpy()[keep, 0],
                fitter.confidence_interval_.to_numpy()[keep],
            ]
        )
        ours = np.column_stack([curve.survival, curve.survival_low, curve.survival_high])
        difference = float(np.nanmax(np.abs(ours - reference)))
        print(
            f"{name:<24}{ours_time:>14.3f} s{theirs_time:>10.3f} s"
            f"{theirs_time / ours_time:>8.1f}x{difference:>12.1e}"
        )
    print("ratio = lifelines time / loyaltymetrics time (higher is faster for loyaltymetrics)")


def kaplan_meier_vs_sort(args, rng) -> None:
    durations = rng.exponential(400.0, args.n)
    observed = rng.random(args.n) < 0.7
    assert np.unique(durations).shape[0] == args.n  # every duration distinct
    lm.kaplan_meier(durations[:100], observed[:100])  # first call: imports out of the timing
    sort_time, _ = best_time(lambda: np.sort(durations), args.repeats)
    ours_time, _ = best_time(lambda: lm.kaplan_meier(durations, observed), args.repeats)
    _, sort_peak, _ = timed_once(lambda: np.sort(durations))
    _, ours_peak, _ = timed_once(lambda: lm.kaplan_meier(durations, observed))
    print(f"\nKaplan-Meier on {args.n:,} distinct durations vs one np.sort, best of {args.repeats}")
    print(f"  np.sort        {sort_time:8.3f} s  peak {sort_peak:8.0f} MB")
    print(f"  kaplan_meier   {ours_time:8.3f} s  peak {ours_peak:8.0f} MB")
    print(f"  ratio          {ours_time / sort_time:8.2f}x  (target <= 3x)")


def logrank_vs_lifelines(args, rng) -> None:
    n = args.logrank_n
    groups = rng.integers(0, 10, n)
    durations = rng.exponential(400.0 + 10.0 * groups)
    observed = rng.random(n) < 0.7
    lm.logrank_test(durations[:100], observed[:100], groups[:100])  # imports out of the timing
    ours_time, ours_peak, ours = timed_once(lambda: lm.logrank_test(durations, observed, groups))
    print(f"\nLog-rank test, {n:,} continuous durations in 10 groups")
    print(
        f"  loyaltymetrics {ours_time:8.3f} s  peak {ours_peak:8.0f} MB  chi2 {ours.statistic:.6f}"
    )
    if args.skip_lifelines_logrank:
        return
    from lifelines.statistics import multivariate_logrank_test

    start = time.perf_counter()
    theirs = multivariate_logrank_test(durations, groups, observed)
    theirs_time = time.perf_counter() - start
    print(f"  lifelines      {theirs_time:8.3f} s  (untraced)    chi2 {theirs.test_statistic:.6f}")
    print(f"  ratio          {theirs_time / ours_time:8.1f}x faster  (target >= 5x)")


def hand_written_polars(pl, log, churn_after: float, end: float):
    """The same durations as a polars query: gaps in (customer, time) order."""
    return (
        log.lazy()
        .filter(pl.col("day") <= end)
        .sort("customer", "day")
        .with_columns(
            following=pl.col("day").shift(-1).over("customer"),
        )
        .with_columns(
            lapse=pl.when(
                pl.coalesce(pl.col("following"), pl.lit(end)) - pl.col("day") >= churn_after
            ).then(pl.col("day"))
        )
        .group_by("customer")
        .agg(first=pl.col("day").min(), churn=pl.col("lapse").min())
        .with_columns(
            churned=pl.col("churn").is_not_null(),
            duration=pl.coalesce(pl.col("churn"), pl.lit(end)) - pl.col("first"),
        )
        .select("customer", "duration", "churned")
        .sort("customer")
        .collect()
    )


def durations_vs_polars(args, rng) -> None:
    import polars as pl

    n = args.n
    log = pl.DataFrame(
        {"customer": rng.integers(0, 1_000_000, n), "day": rng.integers(0, 730, n).astype(float)}
    )
    end = 700.0
    lm.customer_durations(log.head(100), customer="customer", time="day", churn_after=60)
    polars_time, polars_peak, reference = timed_once(
        lambda: hand_written_polars(pl, log, 60.0, end)
    )
    ours_time, ours_peak, ours = timed_once(
        lambda: lm.customer_durations(
            log, customer="customer", time="day", churn_after=60, observation_end=end
        )
    )
    same = (
        ours["customer"].equals(reference["customer"])
        and np.allclose(ours["duration"].to_numpy(), reference["duration"].to_numpy())
        and ours["churned"].equals(reference["churned"])
    )
    print(f"\ncustomer_durations, {n:,} transactions of 1,000,000 customers (polars input)")
    print(f"  polars query   {polars_time:8.3f} s  peak {polars_peak:8.0f} MB (Python-side)")
    print(f"  loyaltymetrics {ours_time:8.3f} s  peak {ours_peak:8.0f} MB (Python-side)")
    print(f"  ratio          {ours_time / polars_time:8.2f}x  (target <= 1.5x); identical: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--logrank-n", type=int, default=10_000_000)
    parser.add_argument("--skip-lifelines-logrank", action="store_true")
    parser.add_argument("--skip-lifelines-km", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    if not args.skip_lifelines_km:
        kaplan_meier_vs_lifelines(args, rng)
    kaplan_meier_vs_sort(args, rng)
    logrank_vs_lifelines(args, rng)
    durations_vs_polars(args, rng)


if __name__ == "__main__":
    main()
