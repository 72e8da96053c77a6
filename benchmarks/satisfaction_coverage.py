"""Coverage of the CSAT / CES interval methods, by simulation.

Run: python benchmarks/satisfaction_coverage.py [--quick]

Prints the share of simulated samples whose interval contains the true value:
single shares (the CSAT methods), differences of two shares (Newcombe vs
Wald vs bootstrap), and the mean of a skewed 1..7 CES distribution (t vs
bootstrap). Every configuration is one vectorised call over a batch of
simulated count vectors, which is how the segment breakdowns run too.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from loyaltymetrics._engine._cells import cell_table
from loyaltymetrics._survey._scale_inference import (
    mean_interval,
    share_difference,
    share_interval,
)

ANALYTIC_SHARE = ("wilson", "agresti-coull", "jeffreys", "exact", "wald")


def two_point_counts(successes: np.ndarray, n: int) -> np.ndarray:
    return np.stack([n - successes, successes], axis=-1)


def share_coverage(rng: np.random.Generator, replicates: int, boot_replicates: int) -> None:
    print("Single share (CSAT): coverage of nominal 95% intervals")
    methods = (*ANALYTIC_SHARE, "percentile", "bca")
    print(f"{'p':>6} {'n':>5} " + " ".join(f"{m:>13}" for m in methods))
    for p in (0.5, 0.8, 0.95):
        for n in (20, 50, 200):
            successes = rng.binomial(n, p, size=replicates)
            counts = two_point_counts(successes, n)
            cells = []
            for method in methods:
                batch = counts if method in ANALYTIC_SHARE else counts[:boot_replicates]
                _, low, high = share_interval(
                    cell_table(batch, None, None),
                    in_range=(1, 1),
                    confidence_level=0.95,
                    method=method,  # type: ignore[arg-type]
                    n_resamples=999,
                    rng=rng,
                )
                cells.append(float(np.mean((low <= p) & (p <= high))))
            print(f"{p:6.2f} {n:5d} " + " ".join(f"{c:13.3f}" for c in cells))
    print()


def difference_coverage(rng: np.random.Generator, replicates: int, boot_replicates: int) -> None:
    print("Difference of two shares (compare_csat): coverage of nominal 95% intervals")
    methods = ("newcombe", "wald", "percentile")
    print(f"{'p_a':>5} {'p_b':>5} {'n':>5} " + " ".join(f"{m:>11}" for m in methods))
    for p_a, p_b in ((0.5, 0.5), (0.8, 0.7), (0.95, 0.9), (0.98, 0.98)):
        for n in (20, 50, 200):
            a = two_point_counts(rng.binomial(n, p_a, size=replicates), n)
            b = two_point_counts(rng.binomial(n, p_b, size=replicates), n)
            truth = p_a - p_b
            cells = []
            for method in methods:
                size = replicates if method != "percentile" else boot_replicates
                _, low, high, _, _ = share_difference(
                    cell_table(a[:size], None, None),
                    cell_table(b[:size], None, None),
                    in_range=(1, 1),
                    confidence_level=0.95,
                    method=method,  # type: ignore[arg-type]
                    n_resamples=999,
                    rng=rng,
                )
                cells.append(float(np.mean((low <= truth) & (truth <= high))))
            print(f"{p_a:5.2f} {p_b:5.2f} {n:5d} " + " ".join(f"{c:11.3f}" for c in cells))
    print()


def mean_coverage(rng: np.random.Generator, replicates: int, boot_replicates: int) -> None:
    # A skewed CES 2.0 distribution on 1..7 (most answers agree).
    probabilities = np.array([0.02, 0.03, 0.05, 0.10, 0.20, 0.30, 0.30])
    truth = float(probabilities @ np.arange(1, 8))
    print(f"Mean of a skewed 1..7 CES distribution (true mean {truth:.2f}): 95% coverage")
    methods = ("t", "percentile", "bca")
    print(f"{'n':>5} " + " ".join(f"{m:>11}" for m in methods))
    for n in (10, 30, 100, 500):
        counts = rng.multinomial(n, probabilities, size=replicates)
        cells = []
        for method in methods:
            batch = counts if method == "t" else counts[:boot_replicates]
            _, low, high = mean_interval(
                cell_table(batch, None, None),
                offset=1,
                confidence_level=0.95,
                method=method,  # type: ignore[arg-type]
                n_resamples=999,
                rng=rng,
            )
            cells.append(float(np.mean((low <= truth) & (truth <= high))))
        print(f"{n:5d} " + " ".join(f"{c:11.3f}" for c in cells))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer replicates")
    args = parser.parse_args()
    replicates, boot_replicates = (4000, 400) if args.quick else (20000, 2000)
    rng = np.random.default_rng(20240601)
    started = time.perf_counter()
    print(
        f"{replicates} simulated samples per cell for analytic methods, "
        f"{boot_replicates} (x 999 resamples) for the bootstrap; "
        f"Monte-Carlo sd of a 95% coverage ~ {np.sqrt(0.95 * 0.05 / replicates):.4f} / "
        f"{np.sqrt(0.95 * 0.05 / boot_replicates):.4f}\n"
    )
    share_coverage(rng, replicates, boot_replicates)
    difference_coverage(rng, replicates, boot_replicates)
    mean_coverage(rng, replicates, boot_replicates)
    print(f"total time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
