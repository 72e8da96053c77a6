"""Speed of the CLV pieces against lifetimes 0.11.3, timed in the same run.

0. Every model fit (BG/NBD, Pareto/NBD, MBG/NBD, BG/BB, Gamma-Gamma) at
   10,000 and 1,000,000 customers against lifetimes' fitter of the same model
   (at 1,000,000 on the customers pre-collapsed to distinct patterns with
   ``weights``, its fastest use, and ours on the same patterns for the
   ratio; lifetimes on a million raw rows of the Pareto/NBD takes many
   minutes), with BLAS threads at the machine's default; and the Pareto/NBD
   fit divided by the BG/NBD fit on the same raw customers (the issue's
   bound: at most 5x).
1. BG/NBD fit on 1,000,000 simulated customers (whole days, as rfm_summary
   produces them): ``loyaltymetrics.fit_bgnbd`` vs lifetimes'
   ``BetaGeoFitter.fit``. lifetimes is also timed on the same customers
   pre-collapsed to distinct patterns with its ``weights`` argument, which
   is the fairest use of it.
2. RFM summary of 1,000,000 transactions: ``loyaltymetrics.rfm_summary`` on a
   pandas frame, a polars frame and plain arrays vs lifetimes'
   ``summary_data_from_transaction_data`` on the pandas frame; the outputs
   must be identical.

Run:  python benchmarks/clv_speed.py [--customers N] [--transactions N]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import polars as pl

import loyaltymetrics as lm
from loyaltymetrics.datasets import (
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_pareto_nbd,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import (
        BetaGeoBetaBinomFitter,
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )
    from lifetimes.utils import summary_data_from_transaction_data

TRUE = {"r": 0.25, "alpha": 20.0, "a": 0.8, "b": 2.5}


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def customers(n: int, rng: np.random.Generator):
    big_t = rng.integers(30, 731, size=n).astype(float)
    x, t_x, big_t = simulate_bgnbd(n, **TRUE, T=big_t, rng=rng)
    return x, np.floor(t_x), big_t


def bgnbd_benchmark(n: int) -> None:
    rng = np.random.default_rng(2026)
    x, t_x, big_t = customers(n, rng)
    patterns, counts = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_counts=True)
    print(f"BG/NBD fit: {n:,} customers, {len(counts):,} distinct (frequency, recency, T)")
    print(f"  true parameters {TRUE}")

    ours, ours_time = timed(lm.fit_bgnbd, x, t_x, big_t)
    print(f"  loyaltymetrics.fit_bgnbd            {ours_time:8.2f} s   {ours}")

    peer = BetaGeoFitter()
    _, peer_time = timed(peer.fit, x, t_x, big_t)
    peer_params = dict(peer.params_.round(6))
    print(f"  lifetimes BetaGeoFitter.fit         {peer_time:8.2f} s   {peer_params}")

    collapsed = BetaGeoFitter()
    _, collapsed_time = timed(
        collapsed.fit, patterns[:, 0], patterns[:, 1], patterns[:, 2], weights=counts
    )
    print(f"  lifetimes, pre-collapsed + weights  {collapsed_time:8.2f} s")

    worst = max(
        abs(getattr(ours, name) / peer.params_[name] - 1) for name in ("r", "alpha", "a", "b")
    )
    print(f"  largest relative parameter difference vs lifetimes: {worst:.2e}")
    print(f"  speed-up vs BetaGeoFitter on the customers:      {peer_time / ours_time:6.1f}x")
    print(f"  speed-up vs BetaGeoFitter on collapsed patterns: {collapsed_time / ours_time:6.1f}x")


def _collapsed(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    patterns, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [patterns[:, k] for k in range(patterns.shape[1])], counts.astype(float)


def _peer_fit(fitter, columns, collapse: bool) -> float:
    if collapse:
        distinct, counts = _collapsed(*columns)
        _, seconds = timed(fitter.fit, *distinct, weights=counts)
    else:
        _, seconds = timed(fitter.fit, *columns)
    return seconds


def fits_benchmark(n: int, *, peers: bool) -> None:
    # Whole weeks, as rfm_summary(period="week") produces them.
    rng = np.random.default_rng(11)
    big_t = rng.integers(4, 105, size=n).astype(float)
    x, t_x, _ = simulate_bgnbd(n, r=0.25, alpha=3.0, a=0.8, b=2.5, T=big_t, rng=rng)
    t_x = np.floor(t_x)
    px, pt_x, _ = simulate_pareto_nbd(n, r=0.55, alpha=10.6, s=0.61, beta=11.7, T=big_t, rng=rng)
    pt_x = np.floor(pt_x)
    bx, bt_x, bn = simulate_bgbb(
        n, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, n_periods=6, rng=rng
    )
    spend = simulate_gamma_gamma(x, p=6.0, q=4.0, v=15.0, rng=rng)
    repeat = x > 0
    collapse = n > 100_000
    cases = [
        ("BG/NBD", lm.fit_bgnbd, (x, t_x, big_t), BetaGeoFitter),
        ("Pareto/NBD", lm.fit_pareto_nbd, (px, pt_x, big_t), ParetoNBDFitter),
        ("MBG/NBD", lm.fit_mbgnbd, (x, t_x, big_t), ModifiedBetaGeoFitter),
        ("BG/BB", lm.fit_bgbb, (bx, bt_x, bn), BetaGeoBetaBinomFitter),
        (
            "Gamma-Gamma",
            lm.fit_gamma_gamma,
            (x[repeat], np.round(spend[repeat], 2)),
            GammaGammaFitter,
        ),
    ]
    how = "pre-collapsed + weights" if collapse else "raw customers"
    distinct = len(_collapsed(x, t_x, big_t)[1])
    print(
        f"Model fits: {n:,} customers, {distinct:,} distinct BG/NBD patterns (lifetimes on {how})"
    )
    times = {}
    for name, fit, columns, peer in cases:
        # Warm up both sides on a few customers (lazy imports, first-call costs).
        timed(fit, *(column[:200] for column in columns))
        if peers:
            _peer_fit(peer(), [column[:200] for column in columns], collapse=False)
        model, ours = timed(fit, *columns)
        times[name] = ours
        line = f"  {name:12} loyaltymetrics {ours:8.3f} s  converged={model.converged}"
        same_input = ours
        if collapse:
            # The same pre-collapsed patterns with weights for both libraries.
            distinct, counts = _collapsed(*columns)
            _, same_input = timed(fit, *distinct, weights=counts)
            line += f"   on the patterns {same_input:7.3f} s"
        if peers:
            theirs = _peer_fit(peer(), columns, collapse)
            line += f"   lifetimes {theirs:8.3f} s   lifetimes / ours {theirs / same_input:7.1f}x"
        print(line)
    ratio = times["Pareto/NBD"] / times["BG/NBD"]
    print(f"  Pareto/NBD fit / BG/NBD fit on the same customers: {ratio:5.2f}x (bound: 5x)")


def transactions(n: int, rng: np.random.Generator) -> pd.DataFrame:
    n_customers = n // 10
    ids = rng.integers(0, n_customers, size=n)
    start = np.datetime64("2023-01-01T00:00:00")
    seconds = rng.integers(0, 2 * 365 * 86_400, size=n).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": (start + seconds).astype("datetime64[ns]"),
            "amount": rng.gamma(2.0, 25.0, size=n).round(2),
        }
    )


def rfm_benchmark(n: int) -> None:
    rng = np.random.default_rng(7)
    frame = transactions(n, rng)
    polars_frame = pl.from_pandas(frame)
    arrays = {column: frame[column].to_numpy() for column in frame.columns}
    print(f"\nRFM summary: {n:,} transactions of {frame['customer_id'].nunique():,} customers")
    options = {"customer": "customer_id", "time": "date", "value": "amount"}

    theirs, peer_time = timed(
        summary_data_from_transaction_data,
        frame,
        "customer_id",
        "date",
        monetary_value_col="amount",
    )
    print(f"  lifetimes summary_data_from_transaction_data  {peer_time:7.2f} s")
    theirs = theirs.sort_index()
    for label, data in (("pandas", frame), ("polars", polars_frame), ("arrays", arrays)):
        ours, ours_time = timed(lm.rfm_summary, data, **options)
        if isinstance(ours, pl.DataFrame):
            ours = ours.to_pandas()
        if isinstance(ours, dict):
            ours = pd.DataFrame(ours)
        same_ids = np.array_equal(ours["customer_id"].to_numpy(), theirs.index.to_numpy())
        differences = {
            column: float(
                np.max(
                    np.abs(ours[column].to_numpy(float) - theirs[column].to_numpy())
                    / np.maximum(np.abs(theirs[column].to_numpy()), 1e-300)
                )
            )
            for column in theirs.columns
        }
        shown = ", ".join(f"{column} {value:.1e}" for column, value in differences.items())
        print(
            f"  loyaltymetrics.rfm_summary ({label:6})         {ours_time:7.2f} s"
            f"   speed-up {peer_time / ours_time:5.1f}x   same customers: {same_ids};"
            f" largest relative difference: {shown}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--fits-only", action="store_true", help="only the model-fit table")
    parser.add_argument("--no-peers", action="store_true", help="skip lifetimes in the fit table")
    args = parser.parse_args()
    for size in (10_000, args.customers):
        fits_benchmark(size, peers=not args.no_peers)
    if args.fits_only:
        return
    bgnbd_benchmark(args.customers)
    rfm_benchmark(args.transactions)


if __name__ == "__main__":
    main()
