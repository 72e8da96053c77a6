"""Parameter recovery of fit_bgnbd and fit_gamma_gamma over a grid of hard cases.

For every parameter set, simulate customers from the model (the private
simulators in ``loyaltymetrics._clv._simulate``), fit, and record whether the
fit converged, the z-score of each parameter, and whether the 95% Wald
interval covers the truth. The fits work on log-parameters, where the
likelihood is close to normal, so z is taken there:
``log(estimate / truth) / (standard error / estimate)`` (the delta method
gives ``se(log theta) = se(theta) / theta``). On the natural scale a small
``a`` has a skewed likelihood and its symmetric interval is a poor summary. The grid
includes a -> 0 (almost nobody drops out), very low purchase rates, most
customers with no repeat purchase, and q near 1 for spend.

A last section simulates data that cannot identify the dropout parameters
(very few repeat buyers and almost no dropout; or a window of a few weeks):
there the maximum of the likelihood is often on the edge of the parameter
space, and the fits must say ``converged=False`` rather than return a
confident wrong answer. "silent" counts fits that claim
convergence yet miss the truth by more than 4 standard errors.

Run:  python benchmarks/clv_recovery.py [--replications 20] [--customers 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgnbd, simulate_gamma_gamma

# name: (parameters, range of T in weeks)
BGNBD_CASES = {
    "typical": ({"r": 0.5, "alpha": 10.0, "a": 0.6, "b": 3.0}, (26, 52)),
    "a -> 0 (almost no dropout)": ({"r": 0.8, "alpha": 8.0, "a": 0.02, "b": 1.5}, (26, 52)),
    "a -> 0 with large b": ({"r": 0.5, "alpha": 5.0, "a": 0.05, "b": 20.0}, (26, 52)),
    "very low rate (T in days)": ({"r": 0.3, "alpha": 150.0, "a": 0.5, "b": 2.0}, (180, 365)),
    "most customers never repeat": ({"r": 0.1, "alpha": 20.0, "a": 0.8, "b": 2.5}, (26, 52)),
    "fast dropout": ({"r": 2.0, "alpha": 5.0, "a": 3.0, "b": 2.0}, (26, 52)),
    "heavy buyers": ({"r": 3.0, "alpha": 1.0, "a": 0.3, "b": 5.0}, (26, 52)),
    "very heterogeneous rates": ({"r": 0.05, "alpha": 1.0, "a": 0.5, "b": 2.0}, (26, 52)),
}
UNIDENTIFIABLE = {
    "few repeaters, a -> 0": ({"r": 0.1, "alpha": 26.0, "a": 0.02, "b": 0.5}, (26, 52)),
    "short observation (2-8 weeks)": ({"r": 0.5, "alpha": 10.0, "a": 0.6, "b": 3.0}, (2, 8)),
}
GAMMA_GAMMA_CASES = {
    "typical": (6.0, 4.0, 15.0),
    "skewed spend": (0.5, 1.5, 20.0),
    "q near 1 (heavy-tailed means)": (20.0, 1.2, 2.0),
    "nearly homogeneous customers": (2.0, 30.0, 200.0),
}
THRESHOLD = 1.959964  # two-sided 95% normal quantile


def log_z(model: object, name: str, truth: float) -> float:
    estimate = getattr(model, name)
    return float(np.log(estimate / truth) / (model.standard_errors[name] / estimate))  # type: ignore[attr-defined]


def report(name: str, z: list[list[float]], converged: int, total: int, extra: str, seconds: float):
    scores = np.array(z).reshape(-1, len(z[0]) if z else 1)
    coverage = np.mean(np.abs(scores) < THRESHOLD, axis=0) if len(z) else []
    silent = int(np.sum(np.max(np.abs(scores), axis=1) > 4)) if len(z) else 0
    largest = float(np.max(np.abs(scores))) if len(z) else float("nan")
    print(
        f"  {name:30} {extra:11} converged {converged:3}/{total:<3}"
        f" coverage {' '.join(f'{c:4.2f}' for c in coverage):20}"
        f" max|z| {largest:5.2f}  silent {silent}  {seconds:5.1f} s"
    )
    return total - converged, silent


def bgnbd_case(name, true, t_range, n, replications, rng):
    z, converged, zeros = [], 0, []
    start = time.perf_counter()
    for _ in range(replications):
        big_t = rng.uniform(*t_range, size=n)
        x, t_x, big_t = simulate_bgnbd(n, **true, T=big_t, rng=rng)
        zeros.append(np.mean(x == 0))
        model = lm.fit_bgnbd(x, t_x, big_t)
        if model.converged:
            converged += 1
            z.append([log_z(model, name, value) for name, value in true.items()])
    extra = f"zeros {np.mean(zeros):4.0%}"
    return report(name, z, converged, replications, extra, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20260101)
    n, reps = args.customers, args.replications

    print(f"BG/NBD, {n} customers per fit, {reps} fits per case")
    print("  coverage of the 95% Wald intervals of r, alpha, a, b (nominal 0.95)")
    failures = silent = 0
    for name, (true, t_range) in BGNBD_CASES.items():
        f, s = bgnbd_case(name, true, t_range, n, reps, rng)
        failures, silent = failures + f, silent + s
    print(f"  fits that did not converge: {failures}; silent bad answers: {silent}")

    print(f"\nBG/NBD without enough information to pin down a and b, {reps} fits per case")
    for name, (true, t_range) in UNIDENTIFIABLE.items():
        print(f"  {name}: {true}, T uniform on {t_range}")
        bgnbd_case(name, true, t_range, n, reps, rng)

    print(f"\nGamma-Gamma, {n} repeat customers with frequency 1..10, {reps} fits per case")
    print("  coverage of the 95% Wald intervals of p, q, v (nominal 0.95)")
    for name, (p, q, v) in GAMMA_GAMMA_CASES.items():
        z, converged = [], 0
        start = time.perf_counter()
        for _ in range(reps):
            frequency = rng.integers(1, 11, size=n).astype(float)
            spend = simulate_gamma_gamma(frequency, p=p, q=q, v=v, rng=rng)
            model = lm.fit_gamma_gamma(frequency, spend)
            if model.converged:
                converged += 1
                z.append(
                    [
                        log_z(model, name, value)
                        for name, value in zip("pqv", (p, q, v), strict=True)
                    ]
                )
        report(name, z, converged, reps, "", time.perf_counter() - start)


if __name__ == "__main__":
    main()
