"""Kaplan-Meier on 10 million durations: loyaltymetrics vs lifelines, in one run.

Run: python benchmarks/survival_speed.py [--n 10000000] [--repeats 3]

Two workloads with ties and right censoring: whole-day durations (days to
churn, 0..1825, the usual case) and continuous durations (every value
distinct). For each, the best of ``--repeats`` wall-clock times of
``lm.kaplan_meier(durations, observed)`` and of lifelines'
``KaplanMeierFitter().fit(durations, observed)``, their ratio, and the largest
difference between the two survival curves and interval limits.
"""

from __future__ import annotations

import argparse
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(2026)
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


if __name__ == "__main__":
    main()
