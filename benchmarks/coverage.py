"""Coverage of every NPS interval method, by simulation.

Run: ``python benchmarks/coverage.py`` (about 15 minutes on 2 cores;
``--quick`` for a 500-replication version in about 4).

For each true (detractor, passive, promoter) share vector and sample size n,
draw R multinomial samples (the same samples for every method: common random
numbers make the comparison between methods sharper), compute each method's
interval at 90% and 95%, and count how often it contains the true NPS. With
R = 2000 the Monte-Carlo standard error of a coverage near 95% is 0.5
percentage points (0.7 near 90%). The bootstrap methods use 1999 resamples
here (coverage hardly depends on the number of resamples beyond that; the
library default is 9999).

Printed: a coverage table per confidence level (percent), then a summary per
method over the grid: mean coverage, the worst cell, the mean absolute
distance to the nominal level, the number of cells more than 2 points below
it, and the mean interval width in NPS points.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from loyaltymetrics._engine._cells import cell_table
from loyaltymetrics._survey._nps_inference import NPS_METHODS, nps_interval

SHARES = [
    (2, 8, 90),
    (45, 10, 45),
    (5, 90, 5),
    (10, 20, 70),
    (20, 30, 50),
    (33, 34, 33),
    (60, 30, 10),
]
SIZES = [20, 50, 100, 500, 2000]
LEVELS = [0.90, 0.95]
BOOTSTRAP_RESAMPLES = 1999


def simulate(replications: int, seed: int) -> dict[tuple[float, str], np.ndarray]:
    """Coverage and width arrays, keyed by (level, method): shape (cases, 2)."""
    results: dict[tuple[float, str], list[tuple[float, float]]] = {
        (level, method): [] for level in LEVELS for method in NPS_METHODS
    }
    rng = np.random.default_rng(seed)
    bands, ones = np.arange(3), np.ones(3)
    for shares in SHARES:
        p = np.array(shares) / 100
        truth = 100 * (p[2] - p[0])
        for n in SIZES:
            counts = rng.multinomial(n, p, size=replications)
            # Identical samples get identical analytic intervals: compute each once.
            distinct, inverse = np.unique(counts, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            for level in LEVELS:
                for method in NPS_METHODS:
                    _, low, high = nps_interval(
                        cell_table(distinct, bands, ones),
                        confidence_level=level,
                        method=method,
                        n_resamples=BOOTSTRAP_RESAMPLES,
                        rng=rng,
                        prior=np.ones(3),
                    )
                    low, high = low[inverse], high[inverse]
                    covered = (low <= truth + 1e-9) & (truth - 1e-9 <= high)
                    results[level, method].append(
                        (100 * covered.mean(), float((high - low).mean()))
                    )
    return {key: np.array(value) for key, value in results.items()}


def short(method: str) -> str:
    return {"adjusted-wald": "adj-wald", "percentile": "pctile"}.get(method, method)


def print_tables(results: dict[tuple[float, str], np.ndarray], replications: int) -> None:
    cases = [(shares, n) for shares in SHARES for n in SIZES]
    for level in LEVELS:
        print()
        print(f"Coverage (%) at nominal {100 * level:.0f}%, {replications} samples per cell")
        header = f"{'D/A/P':>9} {'n':>5} " + " ".join(f"{short(m):>9}" for m in NPS_METHODS)
        print(header)
        for index, (shares, n) in enumerate(cases):
            cells = " ".join(f"{results[level, m][index, 0]:>9.1f}" for m in NPS_METHODS)
            print(f"{'/'.join(map(str, shares)):>9} {n:>5} {cells}")
    for level in LEVELS:
        nominal = 100 * level
        print()
        print(f"Summary at nominal {nominal:.0f}% over {len(cases)} cells")
        print(
            f"{'method':>14} {'mean cov':>9} {'worst':>7} {'mean |dev|':>11} "
            f"{'cells < nom-2':>14} {'mean width':>11}"
        )
        for method in NPS_METHODS:
            coverage = results[level, method][:, 0]
            width = results[level, method][:, 1]
            print(
                f"{method:>14} {coverage.mean():>9.2f} {coverage.min():>7.1f} "
                f"{np.abs(coverage - nominal).mean():>11.2f} "
                f"{int((coverage < nominal - 2).sum()):>14d} {width.mean():>11.2f}"
            )
    for level in LEVELS:
        nominal = 100 * level
        print()
        print(f"Small samples only (n <= 100) at nominal {nominal:.0f}%")
        small = np.array([n <= 100 for _, n in cases])
        for method in NPS_METHODS:
            coverage = results[level, method][small, 0]
            print(
                f"{method:>14} mean {coverage.mean():6.2f}  worst {coverage.min():5.1f}  "
                f"mean |dev| {np.abs(coverage - nominal).mean():5.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 samples per cell")
    parser.add_argument("--seed", type=int, default=20260)
    arguments = parser.parse_args()
    replications = 500 if arguments.quick else 2000
    start = time.perf_counter()
    results = simulate(replications, arguments.seed)
    print_tables(results, replications)
    print()
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
