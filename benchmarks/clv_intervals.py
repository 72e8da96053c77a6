"""Coverage and cost of the intervals of predicted customer value.

1. Coverage by simulation. Customers are drawn from known BG/NBD and
   Gamma-Gamma parameters with their whole future: each customer's purchase
   rate, dropout probability and spend rate are drawn, purchases are
   simulated through the calibration period and the horizon, and every
   purchase gets a value. For each simulated data set both models are fitted
   to the calibration histories and ``predicted_clv`` gives 90% intervals:

   * ``interval="parameter"`` should contain the *true expected value* (the
     point prediction at the true parameters), per customer and for the total;
   * ``interval="prediction"`` should contain the *realised* discounted value
     of the simulated future, per customer and for the total.

   A customer whose chance of buying nothing at all exceeds the confidence
   level gets the interval [0, 0], which covers with that (larger) chance: no
   interval can do better for them. Their coverage is printed apart; the
   per-customer figure the 3-point bound applies to is the one over the
   other customers (those with a real spread of outcomes).
2. Speed and memory on 1,000,000 customers: the point prediction, the
   ``"parameter"`` interval (delta method; bound: at most 10x the point
   prediction) and lifetimes' ``customer_lifetime_value`` at the same
   parameters (ratio printed), with peak resident memory.

Run:  python benchmarks/clv_intervals.py [--datasets N] [--customers N] [--draws N]
      [--speed-customers N]
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import pandas as pd

import loyaltymetrics as lm

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter

PURCHASE = {"r": 2.0, "alpha": 10.0, "a": 0.4, "b": 6.0}  # weeks
SPEND = {"p": 6.0, "q": 4.0, "v": 15.0}
HORIZON, STEP, RATE = 52.0, 4.0, 0.002
LEVEL = 0.9


def simulate_with_future(n: int, rng: np.random.Generator):
    """Calibration histories and the realised discounted value over the horizon."""
    big_t = rng.uniform(26.0, 104.0, size=n)
    rate = rng.gamma(PURCHASE["r"], 1.0 / PURCHASE["alpha"], size=n)
    dropout = rng.beta(PURCHASE["a"], PURCHASE["b"], size=n)
    nu = rng.gamma(SPEND["q"], 1.0 / SPEND["v"], size=n)
    clock = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    frequency, recency, spent = np.zeros(n), np.zeros(n), np.zeros(n)
    future = np.zeros(n)
    end = big_t + HORIZON
    while alive.any():
        clock = np.where(alive, clock + rng.exponential(1.0, size=n) / rate, clock)
        buying = alive & (clock <= end)
        amount = rng.gamma(SPEND["p"], 1.0 / nu)
        past = buying & (clock <= big_t)
        frequency += past
        recency = np.where(past, clock, recency)
        spent += np.where(past, amount, 0.0)
        ahead = buying & (clock > big_t)
        # Discounted at the end of the step the purchase falls in, as predicted_clv does.
        step_end = np.minimum(np.ceil((clock - big_t) / STEP) * STEP, HORIZON)
        future += np.where(ahead, amount * (1.0 + RATE) ** -step_end, 0.0)
        alive = buying & (rng.random(n) >= dropout)
    monetary = np.where(frequency > 0, spent / np.maximum(frequency, 1.0), 0.0)
    return frequency, recency, big_t, monetary, future


def coverage(datasets: int, n: int, draws: int) -> None:
    rng = np.random.default_rng(2026)
    true_purchase = lm.BGNBDModel(**PURCHASE)
    true_spend = lm.GammaGammaModel(**SPEND)
    options = {"horizon": HORIZON, "discount_rate": RATE, "step": STEP}
    hits: dict[str, list[float]] = {key: [] for key in ("p_ind", "p_tot", "q_ind", "q_tot")}
    degenerate_hits: list[float] = []
    degenerate_share: list[float] = []
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lm.ConvergenceWarning)
        for _ in range(datasets):
            x, t_x, big_t, m, future = simulate_with_future(n, rng)
            history = (x, t_x, big_t, m)
            purchase = lm.fit_bgnbd(x, t_x, big_t)
            spend = lm.fit_gamma_gamma(x, m)
            truth = lm.predicted_clv(true_purchase, true_spend, *history, **options)
            parameter = lm.predicted_clv(
                purchase, spend, *history, interval="parameter", confidence_level=LEVEL, **options
            )
            hits["p_ind"].append(np.mean((parameter.low <= truth) & (truth <= parameter.high)))
            low, high = parameter.total_interval
            hits["p_tot"].append(float(low <= truth.sum() <= high))
            prediction = lm.predicted_clv(
                purchase,
                spend,
                *history,
                interval="prediction",
                confidence_level=LEVEL,
                n_draws=draws,
                rng=rng,
                **options,
            )
            inside = (prediction.low <= future) & (future <= prediction.high)
            degenerate = prediction.high == 0.0
            hits["q_ind"].append(np.mean(inside[~degenerate]))
            degenerate_hits.append(np.mean(inside[degenerate]) if degenerate.any() else np.nan)
            degenerate_share.append(np.mean(degenerate))
            low, high = prediction.total_interval
            hits["q_tot"].append(float(low <= future.sum() <= high))
    elapsed = time.perf_counter() - start
    print(
        f"Coverage at {LEVEL:.0%}: {datasets} simulated data sets of {n:,} customers, "
        f"{draws} simulated futures each ({elapsed:.0f} s)"
    )
    print(f"  true parameters: BG/NBD {PURCHASE}, Gamma-Gamma {SPEND}")
    labels = {
        "p_ind": "parameter interval, individual customers (true expected value)",
        "p_tot": "parameter interval, total of the customers (true expected total)",
        "q_ind": "prediction interval, individual customers (realised value)",
        "q_tot": "prediction interval, total of the customers (realised total)",
    }
    for key, label in labels.items():
        values = np.array(hits[key])
        error = (
            values.std() / np.sqrt(len(values))
            if key.endswith("ind")
            else np.sqrt(LEVEL * (1 - LEVEL) / len(values))
        )
        print(
            f"  {label:66} {values.mean():6.1%}  (Monte Carlo s.e. {error:.1%}, "
            f"off nominal by {100 * (values.mean() - LEVEL):+.1f} points)"
        )
    print(
        f"  customers given [0, 0] (chance of no purchase above {LEVEL:.0%}): "
        f"{np.mean(degenerate_share):.1%} of all; their coverage {np.nanmean(degenerate_hits):.1%}"
    )


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed(n: int) -> None:
    rng = np.random.default_rng(7)
    from loyaltymetrics.datasets import simulate_bgnbd, simulate_gamma_gamma

    x, t_x, big_t = simulate_bgnbd(
        n, **PURCHASE, T=rng.integers(26, 105, size=n).astype(float), rng=rng
    )
    t_x = np.floor(t_x)
    m = np.round(simulate_gamma_gamma(x, **SPEND, rng=rng), 2)
    purchase = lm.fit_bgnbd(x, t_x, big_t)
    spend = lm.fit_gamma_gamma(x, m)
    # lifetimes' customer_lifetime_value(time=12, freq="W", discount_rate=d) is
    # predicted_clv(horizon=12 * 4.345, step=4.345, discount_rate=(1 + d) ** (1 / 4.345) - 1).
    month = 4.345
    options = {
        "horizon": 12 * month,
        "step": month,
        "discount_rate": (1 + 0.01) ** (1 / month) - 1,
    }
    print(f"\nSpeed on {n:,} customers (12 monthly steps)")
    start = time.perf_counter()
    point = lm.predicted_clv(purchase, spend, x, t_x, big_t, m, **options)
    point_time = time.perf_counter() - start
    memory = peak_memory_mb()
    print(f"  point prediction                 {point_time:7.2f} s   peak RSS {memory:7.0f} MB")
    start = time.perf_counter()
    result = lm.predicted_clv(purchase, spend, x, t_x, big_t, m, interval="parameter", **options)
    interval_time = time.perf_counter() - start
    ratio = interval_time / point_time
    print(
        f"  interval='parameter' (delta)     {interval_time:7.2f} s   peak RSS "
        f"{peak_memory_mb():7.0f} MB   ratio to the point prediction {ratio:5.2f}x (bound: 10x)"
    )
    np.testing.assert_allclose(result.value, point, rtol=1e-12)
    bg = BetaGeoFitter()
    bg.params_ = pd.Series({k: getattr(purchase, k) for k in ("r", "alpha", "a", "b")})
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # as its fit() sets it
    gg = GammaGammaFitter()
    gg.params_ = pd.Series({k: getattr(spend, k) for k in ("p", "q", "v")})
    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": big_t, "monetary_value": m})
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = gg.customer_lifetime_value(
            bg,
            frame["frequency"],
            frame["recency"],
            frame["T"],
            frame["monetary_value"],
            time=12,
            discount_rate=0.01,
            freq="W",
        )
    peer_time = time.perf_counter() - start
    worst = float(np.max(np.abs(point - theirs.to_numpy()) / np.maximum(np.abs(point), 1e-9)))
    memory = peak_memory_mb()
    print(
        f"  lifetimes customer_lifetime_value {peer_time:7.2f} s   peak RSS {memory:7.0f} MB"
        f"   lifetimes / ours {peer_time / point_time:5.1f}x"
        f"   largest relative difference {worst:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=400)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--speed-customers", type=int, default=1_000_000)
    parser.add_argument("--skip-coverage", action="store_true")
    args = parser.parse_args()
    if not args.skip_coverage:
        coverage(args.datasets, args.customers, args.draws)
    speed(args.speed_customers)


if __name__ == "__main__":
    main()
