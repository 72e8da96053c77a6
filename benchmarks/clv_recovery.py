"""Parameter recovery of fit_bgnbd and fit_gamma_gamma over a grid of hard cases.

For every parameter set, simulate customers from the model (the private
simulators in ``loyaltymetrics._clv._simulate``), fit, and record whether the
fit converged, the z-score ``(estimate - truth) / standard error`` of each
parameter, and whether the 95% Wald interval covers the truth. The grid
includes a -> 0 (almost nobody drops out), very low purchase rates, most
customers with no repeat purchase, and q near 1 for spend.

Run:  python benchmarks/clv_recovery.py [--replications 20] [--customers 5000]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgnbd, simulate_gamma_gamma

BGNBD_GRID = {
    "r": (0.1, 0.5, 2.0),
    "mean_rate_per_T": (0.2, 2.0, 10.0),  # expected purchases over the observation window
    "a": (0.02, 0.5, 2.0),
    "b": (0.5, 3.0),
}
GAMMA_GAMMA_GRID = [(0.5, 1.5, 20.0), (6.0, 4.0, 15.0), (20.0, 1.2, 2.0), (2.0, 30.0, 200.0)]


def summarise(label: str, z: np.ndarray, converged: int, total: int, seconds: float) -> None:
    covered = np.mean(np.abs(z) < 1.959964, axis=0) if len(z) else np.full(z.shape[1], np.nan)
    print(
        f"{label:46} converged {converged:3}/{total:<3} "
        f"coverage {' '.join(f'{c:4.2f}' for c in covered)}   "
        f"max|z| {np.max(np.abs(z)) if len(z) else float('nan'):5.2f}   {seconds:5.1f} s"
    )


def bgnbd_grid(replications: int, n: int) -> None:
    print(f"BG/NBD: {n} customers, T uniform on [26, 52], {replications} replications per row")
    print("coverage of the 95% Wald intervals of r, alpha, a, b (nominal 0.95)")
    rows = itertools.product(*BGNBD_GRID.values())
    total_failures = 0
    for r, rate, a, b in rows:
        alpha = r * 52.0 / rate
        true = {"r": r, "alpha": alpha, "a": a, "b": b}
        rng = np.random.default_rng(abs(hash((r, rate, a, b))) % 2**32)
        z, converged, zero_share = [], 0, []
        start = time.perf_counter()
        for _ in range(replications):
            big_t = rng.uniform(26.0, 52.0, size=n)
            x, t_x, big_t = simulate_bgnbd(n, **true, T=big_t, rng=rng)
            zero_share.append(np.mean(x == 0))
            model = lm.fit_bgnbd(x, t_x, big_t)
            if model.converged:
                converged += 1
                z.append(
                    [(getattr(model, k) - v) / model.standard_errors[k] for k, v in true.items()]
                )
        total_failures += replications - converged
        zeros = np.mean(zero_share)
        label = f"r={r:<4} alpha={alpha:<7.4g} a={a:<5} b={b:<4} zeros={zeros:.0%}"
        summarise(
            label, np.array(z).reshape(-1, 4), converged, replications, time.perf_counter() - start
        )
    print(f"fits that did not converge: {total_failures}")


def gamma_gamma_grid(replications: int, n: int) -> None:
    print(f"\nGamma-Gamma: {n} repeat customers, frequency 1..10, {replications} replications")
    print("coverage of the 95% Wald intervals of p, q, v (nominal 0.95)")
    for p, q, v in GAMMA_GAMMA_GRID:
        rng = np.random.default_rng(int(p * 1000 + q * 10 + v))
        z, converged = [], 0
        start = time.perf_counter()
        for _ in range(replications):
            frequency = rng.integers(1, 11, size=n).astype(float)
            spend = simulate_gamma_gamma(frequency, p=p, q=q, v=v, rng=rng)
            model = lm.fit_gamma_gamma(frequency, spend)
            if model.converged:
                converged += 1
                z.append(
                    [
                        (model.p - p) / model.standard_errors["p"],
                        (model.q - q) / model.standard_errors["q"],
                        (model.v - v) / model.standard_errors["v"],
                    ]
                )
        summarise(
            f"p={p:<5} q={q:<5} v={v:<6}",
            np.array(z).reshape(-1, 3),
            converged,
            replications,
            time.perf_counter() - start,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()
    bgnbd_grid(args.replications, args.customers)
    gamma_gamma_grid(args.replications, args.customers)


if __name__ == "__main__":
    main()
