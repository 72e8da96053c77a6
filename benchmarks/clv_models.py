"""Pareto/NBD, MBG/NBD and BG/BB: parameter recovery, speed against lifetimes, and the
Pareto/NBD likelihood against numerical integration.

1. Recovery. For every parameter set of a grid that includes hard cases,
   simulate customers from the model (the private simulators in
   ``loyaltymetrics._clv._simulate``), fit, and record whether the fit
   converged, the z-score of each parameter on the log scale
   (``log(estimate / truth) / (se / estimate)``) and the coverage of the 95%
   Wald intervals. "silent" counts fits that claim convergence yet miss the
   truth by more than 4 standard errors.
2. Speed. Each fitter against lifetimes' (``ParetoNBDFitter``,
   ``ModifiedBetaGeoFitter``, ``BetaGeoBetaBinomFitter``) on the same data in
   the same run, with the ratio and the largest relative parameter difference.
3. Accuracy. The Pareto/NBD log-likelihood at random points of a wide
   parameter space (frequencies up to 300) against the one-dimensional
   integral it equals, ours and lifetimes'.

Run:  python benchmarks/clv_models.py [--replications 10] [--customers 10000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgbb, simulate_mbgnbd, simulate_pareto_nbd
from loyaltymetrics._clv.models._pareto_nbd import pareto_nbd_log_likelihood

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from clv_reference import likelihood_by_time_integral

# name: (parameters, range of T)
PARETO_CASES = {
    "CDNOW-like": ({"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}, (26, 78)),
    "alpha >> beta": ({"r": 0.6, "alpha": 40.0, "s": 0.8, "beta": 2.0}, (26, 52)),
    "alpha << beta": ({"r": 0.6, "alpha": 2.0, "s": 0.8, "beta": 60.0}, (26, 52)),
    "very low rate (days)": ({"r": 0.3, "alpha": 40.0, "s": 0.5, "beta": 150.0}, (180, 365)),
    "most never repeat": ({"r": 0.15, "alpha": 20.0, "s": 1.2, "beta": 10.0}, (26, 52)),
    "s = 1 exactly": ({"r": 1.0, "alpha": 5.0, "s": 1.0, "beta": 20.0}, (26, 52)),
    "heavy buyers": ({"r": 4.0, "alpha": 1.0, "s": 0.5, "beta": 30.0}, (26, 52)),
}
MBGNBD_CASES = {
    "typical": ({"r": 0.5, "alpha": 10.0, "a": 0.6, "b": 3.0}, (26, 52)),
    "a -> 0": ({"r": 0.8, "alpha": 8.0, "a": 0.05, "b": 1.5}, (26, 52)),
    "very low rate (days)": ({"r": 0.3, "alpha": 150.0, "a": 0.5, "b": 2.0}, (180, 365)),
    "fast dropout": ({"r": 2.0, "alpha": 5.0, "a": 3.0, "b": 2.0}, (26, 52)),
    "most drop at once": ({"r": 1.0, "alpha": 5.0, "a": 4.0, "b": 1.0}, (26, 52)),
}
BGBB_CASES = {
    "donations (n = 6)": ({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}, 6),
    "rare transactions": ({"alpha": 0.3, "beta": 3.0, "gamma": 0.5, "delta": 5.0}, 12),
    "fast death": ({"alpha": 2.0, "beta": 1.0, "gamma": 3.0, "delta": 1.5}, 8),
    "gamma = 1": ({"alpha": 1.0, "beta": 1.0, "gamma": 1.0, "delta": 4.0}, 10),
    "long horizon (n = 52)": ({"alpha": 0.5, "beta": 2.0, "gamma": 0.3, "delta": 10.0}, 52),
}
THRESHOLD = 1.959964
_BGBB = ("alpha", "beta", "gamma", "delta")


def log_z(model: object, name: str, truth: float) -> float:
    estimate = getattr(model, name)
    standard_error = model.standard_errors[name]  # type: ignore[attr-defined]
    return float(np.log(estimate / truth) / (standard_error / estimate))


def recovery(label, cases, simulate, fit, n, replications, rng) -> tuple[int, int]:
    print(f"\n{label}: {n} customers per fit, {replications} fits per case")
    print("  coverage of the 95% Wald intervals (nominal 0.95), per parameter")
    failures = silent = 0
    for name, (true, horizon) in cases.items():
        scores, converged, zeros = [], 0, []
        start = time.perf_counter()
        for _ in range(replications):
            data = simulate(n, true, horizon, rng)
            zeros.append(np.mean(data[0] == 0))
            model = fit(*data)
            if model.converged:
                converged += 1
                scores.append([log_z(model, p, v) for p, v in true.items()])
        z = np.array(scores).reshape(-1, len(true))
        coverage = np.mean(np.abs(z) < THRESHOLD, axis=0) if len(z) else np.full(len(true), np.nan)
        bad = int(np.sum(np.max(np.abs(z), axis=1) > 4)) if len(z) else 0
        largest = float(np.max(np.abs(z))) if len(z) else float("nan")
        print(
            f"  {name:22} zeros {np.mean(zeros):4.0%} converged {converged:3}/{replications:<3}"
            f" coverage {' '.join(f'{c:4.2f}' for c in coverage)}"
            f"  max|z| {largest:5.2f}  silent {bad}  {time.perf_counter() - start:6.1f} s"
        )
        failures += replications - converged
        silent += bad
    print(f"  fits that did not converge: {failures}; silent bad answers: {silent}")
    return failures, silent


def continuous(simulator):
    def simulate(n, true, t_range, rng):
        return simulator(n, **true, T=np.round(rng.uniform(*t_range, size=n)), rng=rng)

    return simulate


def discrete(n, true, periods, rng):
    return simulate_bgbb(n, **true, n_periods=periods, rng=rng)


def timed(function, *args, repeats=3, **kwargs):
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def speed(n: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoBetaBinomFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
        from lifetimes.datasets import load_cdnow_summary, load_donations

        cdnow = load_cdnow_summary(index_col=[0])
        donations = load_donations()
    rng = np.random.default_rng(7)
    simulated = simulate_pareto_nbd(
        n, r=0.55, alpha=10.6, s=0.61, beta=11.7, T=np.round(rng.uniform(26, 78, n)), rng=rng
    )
    mbg_data = simulate_mbgnbd(
        n, r=0.5, alpha=10.0, a=0.6, b=3.0, T=np.round(rng.uniform(26, 78, n)), rng=rng
    )
    bgbb_data = simulate_bgbb(n, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, n_periods=6, rng=rng)
    cd = (cdnow["frequency"].to_numpy(), cdnow["recency"].to_numpy(), cdnow["T"].to_numpy())
    gifts = tuple(donations[c].to_numpy() for c in ("frequency", "recency", "periods"))
    gift_counts = donations["weights"].to_numpy()
    bgbb_rows, bgbb_counts = np.unique(np.column_stack(bgbb_data), axis=0, return_counts=True)
    pareto, mbg, bgbb = ("r", "alpha", "s", "beta"), ("r", "alpha", "a", "b"), _BGBB
    weighted = {"weights": bgbb_counts}
    rows = [
        ("Pareto/NBD, CDNOW (2357)", lm.fit_pareto_nbd, ParetoNBDFitter, cd, {}, pareto),
        (f"Pareto/NBD, simulated ({n})", lm.fit_pareto_nbd, ParetoNBDFitter, simulated, {}, pareto),
        ("MBG/NBD, CDNOW (2357)", lm.fit_mbgnbd, ModifiedBetaGeoFitter, cd, {}, mbg),
        (f"MBG/NBD, simulated ({n})", lm.fit_mbgnbd, ModifiedBetaGeoFitter, mbg_data, {}, mbg),
        ("BG/BB, donations (22 rows)", lm.fit_bgbb, BetaGeoBetaBinomFitter, gifts,
         {"weights": gift_counts}, bgbb),
        (f"BG/BB, simulated ({n})", lm.fit_bgbb, BetaGeoBetaBinomFitter, tuple(bgbb_rows.T),
         weighted, bgbb),
    ]  # fmt: skip
    print("\nSpeed against lifetimes 0.11.3 (best of 3 fits each)")
    print(
        f"  {'data':32} {'ours':>8} {'lifetimes':>10} {'ratio':>7}  max rel. parameter difference"
    )
    for label, ours_fit, peer_class, data, kwargs, names in rows:
        ours_time, ours = timed(ours_fit, *data, **kwargs)

        def peer_fit(peer_class=peer_class, data=data, kwargs=kwargs):
            peer = peer_class()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                peer.fit(*data, **kwargs)
            return peer

        peer_time, peer = timed(peer_fit, repeats=1 if "Pareto" in label else 3)
        difference = max(abs(getattr(ours, k) / peer.params_[k] - 1) for k in names)
        print(
            f"  {label:32} {ours_time:7.3f}s {peer_time:9.3f}s {peer_time / ours_time:6.1f}x"
            f"  {difference:.1e}{'' if ours.converged else ' (ours not converged)'}"
        )


def accuracy(points: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ParetoNBDFitter
    rng = np.random.default_rng(5)
    ours_worst, peer_worst, peer_nan, peer_wrong = 0.0, 0.0, 0, 0
    for _ in range(points):
        r, s = 10 ** rng.uniform(-1.5, 1, 2)
        alpha, beta = 10 ** rng.uniform(-2, 3, 2)
        x = int(rng.choice([0, 1, 3, 10, 50, 150, 300]))
        big_t = 10 ** rng.uniform(0, 2.5)
        t_x = 0.0 if x == 0 else big_t * rng.uniform()
        params = (float(r), float(alpha), float(s), float(beta))
        reference = likelihood_by_time_integral(*params, x, t_x, big_t)
        ours, _ = pareto_nbd_log_likelihood(
            params, np.array([float(x)]), np.array([t_x]), np.array([big_t])
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer = ParetoNBDFitter._conditional_log_likelihood(
                params, np.array([x]), np.array([t_x]), np.array([big_t])
            )
        scale = max(1.0, abs(reference))
        ours_worst = max(ours_worst, abs(float(ours[0]) - reference) / scale)
        if not np.isfinite(peer[0]):
            peer_nan += 1
        else:
            error = abs(float(peer[0]) - reference) / scale
            peer_worst = max(peer_worst, error)
            peer_wrong += error > 1e-6
    print(f"\nPareto/NBD log-likelihood at {points} random points against the time integral")
    print(f"  ours:      largest relative error {ours_worst:.1e}")
    print(
        f"  lifetimes: NaN/inf at {peer_nan} points ({peer_nan / points:.1%}); "
        f"off by > 1e-6 at {peer_wrong}; largest finite error {peer_worst:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--speed-customers", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(20261122)
    n, reps = args.customers, args.replications
    total = [
        recovery("Pareto/NBD", PARETO_CASES, continuous(simulate_pareto_nbd),
                 lm.fit_pareto_nbd, n, reps, rng),
        recovery("MBG/NBD", MBGNBD_CASES, continuous(simulate_mbgnbd), lm.fit_mbgnbd, n, reps, rng),
        recovery("BG/BB", BGBB_CASES, discrete, lm.fit_bgbb, n, reps, rng),
    ]  # fmt: skip
    failures, silent = (sum(column) for column in zip(*total, strict=True))
    print(f"\nAll models: {failures} fits did not converge; {silent} silent bad answers")
    speed(args.speed_customers)
    accuracy(args.points)


if __name__ == "__main__":
    main()
