"""Error rates of monitoring, trend and period-over-period tests, by simulation.

Run: ``python benchmarks/over_time_errors.py`` (about 2 minutes on 2 cores;
``--quick`` for a smaller version in under one).

1. Monitoring. Streams of 10,000 NPS answers with a fixed true score, looked
   at after every answer. For each method, the share of streams whose
   interval EVER excludes the true score: the anytime-valid sequences of
   :func:`loyaltymetrics.confidence_sequence` (must be at most 5% at 95%),
   beside the library's fixed-n 95% intervals (adjusted Wald, Wald)
   recomputed at every look, or at every 100th look, the naive dashboard.
   For the betting sequence the miss share is counted through
   :func:`loyaltymetrics.sequential_test` at the true score, which rejects at
   a look exactly when the true score has left the sequence (up to its
   0.2-point grid step, which only makes the sequence wider). Also the
   sequences' width at n = 10,000 relative to the fixed-n adjusted-Wald
   interval of the same answers, and the betting sequence updated once per
   period (20 periods of 500 answers).
2. Trend. T periods with the same true score (no trend); the rejection rate
   at 5% of the trend test of the engine's least-squares slope on the
   per-period counts, for every standard error, including a case where the
   score stays put but the spread of answers grows (the classical error's
   weak spot) with unequal period sizes.
3. Period-over-period change. Two independent periods with the same true
   score, compared with :func:`loyaltymetrics.compare_nps` (adjusted Wald and
   Wald): the rejection rate at 5%, and the share of years (12 months, 11
   month-over-month comparisons, no correction) with at least one false alarm.

Monte-Carlo standard errors are printed beside each rate.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np

import loyaltymetrics as lm
from loyaltymetrics._engine._trend import TREND_ERRORS, linear_trend
from loyaltymetrics._survey._nps_inference import nps_interval

STREAM_SHARES = [(0.25, 0.35, 0.40), (0.10, 0.20, 0.70)]
LOOKS = 10_000
BAND_SCORE = np.array([3, 8, 10])  # one answer per band: detractor, passive, promoter
LEVEL = 0.95


def _mc_se(rate: float, runs: int) -> float:
    return 100.0 * math.sqrt(max(rate * (1.0 - rate), 1e-12) / runs)


def _row(label: str, misses: int, runs: int) -> None:
    rate = misses / runs
    print(f"  {label:<66} {100 * rate:6.2f}%  (± {_mc_se(rate, runs):.2f})")


def _naive_misses(bands: np.ndarray, truth: float, every: int) -> dict[str, int]:
    """Streams whose fixed-n 95% interval excludes the truth at some look."""
    cumulative = np.cumsum(np.eye(3, dtype=np.int64)[bands], axis=1)[:, every - 1 :: every]
    band, weight = np.arange(3), np.ones(3)
    out = {}
    for method in ("adjusted-wald", "wald"):
        low, high = nps_interval(
            cumulative,
            band,
            weight,
            confidence_level=LEVEL,
            method=method,  # type: ignore[arg-type]
            n_resamples=2,
            rng=np.random.default_rng(0),
            prior=np.ones(3),
        )
        out[method] = int(np.any((low > truth) | (high < truth), axis=1).sum())
    return out


def monitoring(streams: int, width_streams: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"1. Monitoring: {streams} streams of {LOOKS:,} answers, a look after each answer")
    for shares in STREAM_SHARES:
        p = np.array(shares)
        truth = 100.0 * (p[2] - p[0])
        print(f"\n  true shares {shares}, NPS {truth:.0f}: share of streams EVER excluding it")
        counts = {"betting": 0, "empirical-bernstein": 0, "betting, 20 periods of 500": 0}
        naive_all = {"adjusted-wald": 0, "wald": 0}
        naive_100 = {"adjusted-wald": 0, "wald": 0}
        final_only = 0
        widths: dict[str, list[float]] = {"betting": [], "empirical-bernstein": []}
        periods = np.repeat(np.arange(20), 500)
        block = 50
        for start in range(0, streams, block):
            bands = rng.choice(3, size=(min(block, streams - start), LOOKS), p=p)
            for key, value in _naive_misses(bands, truth, 1).items():
                naive_all[key] += value
            for key, value in _naive_misses(bands, truth, 100).items():
                naive_100[key] += value
            for row in bands:
                scores = BAND_SCORE[row]
                test = lm.sequential_test(scores, baseline=truth, confidence_level=LEVEL)
                counts["betting"] += test.rejected
                eb = lm.confidence_sequence(scores, method="empirical-bernstein")
                counts["empirical-bernstein"] += bool(np.any((eb.low > truth) | (eb.high < truth)))
                by_period = lm.sequential_test(scores, baseline=truth, times=periods)
                counts["betting, 20 periods of 500"] += by_period.rejected
                fixed = lm.nps(scores).confidence_interval(LEVEL)
                final_only += not (fixed.low <= truth <= fixed.high)
                if len(widths["betting"]) < width_streams:
                    for method in widths:
                        sequence = lm.confidence_sequence(scores, method=method)
                        widths[method].append(
                            (sequence.high[-1] - sequence.low[-1]) / (fixed.high - fixed.low)
                        )
        for key, value in counts.items():
            _row(f"confidence sequence, {key}", value, streams)
        for key, value in naive_all.items():
            _row(f"naive {key} 95% interval, every answer", value, streams)
        for key, value in naive_100.items():
            _row(f"naive {key} 95% interval, every 100th answer", value, streams)
        _row("adjusted-wald 95% interval, one look at n = 10,000", final_only, streams)
        for method, ratios in widths.items():
            print(
                f"  width at n = 10,000, {method} / fixed-n adjusted Wald: "
                f"{np.median(ratios):.2f} (median of {len(ratios)} streams)"
            )


def trend(simulations: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"\n2. Trend test under no change: {simulations} simulations, rejection at 5%")
    cases = {
        "12 periods x 200, shares (.25, .35, .40)": (
            np.full(12, 200),
            np.tile([0.25, 0.35, 0.40], (12, 1)),
        ),
        "24 periods x 50..400, shares (.25, .35, .40)": (
            rng.integers(50, 401, size=24),
            np.tile([0.25, 0.35, 0.40], (24, 1)),
        ),
        "12 periods, 400 down to 50, NPS 0, spread grows": (
            np.linspace(400, 50, 12).astype(int),
            np.column_stack(
                [np.linspace(0.1, 0.45, 12), np.linspace(0.8, 0.1, 12), np.linspace(0.1, 0.45, 12)]
            ),
        ),
    }
    print(f"  {'case':<50} " + " ".join(f"{m:>9}" for m in TREND_ERRORS))
    for label, (sizes, shares) in cases.items():
        counts = np.stack(
            [rng.multinomial(n, q, size=simulations) for n, q in zip(sizes, shares, strict=True)],
            axis=1,
        )  # (simulations, periods, 3)
        rates = []
        for method in TREND_ERRORS:
            fit = linear_trend(counts, [-1.0, 0.0, 1.0], method=method)
            rates.append(float(np.mean(np.asarray(fit.pvalue) <= 0.05)))
        se = _mc_se(0.05, simulations)
        print(f"  {label:<50} " + " ".join(f"{100 * r:8.2f}%" for r in rates) + f"  (± {se:.2f})")


def changes(simulations: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"\n3. Period-over-period change under no change: {simulations} pairs, rejection at 5%")
    p = [0.25, 0.35, 0.40]
    for n in (50, 200, 1000):
        a = rng.multinomial(n, p, size=simulations)
        b = rng.multinomial(n, p, size=simulations)
        for method in ("adjusted-wald", "wald"):
            rejected = 0
            for ca, cb in zip(a, b, strict=True):
                first = lm.nps_from_counts(detractors=ca[0], passives=ca[1], promoters=ca[2])
                second = lm.nps_from_counts(detractors=cb[0], passives=cb[1], promoters=cb[2])
                rejected += lm.compare_nps(first, second, method=method).pvalue <= 0.05
            _row(f"compare_nps {method}, n = {n} per period", rejected, simulations)
    years = max(200, simulations // 10)
    months = rng.multinomial(200, p, size=(years, 12))
    alarms = 0
    for year in months:
        results = [lm.nps_from_counts(detractors=c[0], passives=c[1], promoters=c[2]) for c in year]
        pvalues = [lm.compare_nps(results[k + 1], results[k]).pvalue for k in range(11)]
        alarms += min(pvalues) <= 0.05
    _row("years with a false month-over-month alarm (11 tests, uncorrected)", alarms, years)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulations")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    start = time.perf_counter()
    streams = 300 if args.quick else 1000
    monitoring(streams, width_streams=10 if args.quick else 20, seed=args.seed)
    trend(4000 if args.quick else 20000, seed=args.seed + 1)
    changes(1000 if args.quick else 4000, seed=args.seed + 2)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n({time.perf_counter() - start:.0f} s, peak memory {peak_mb:.0f} MB)")


if __name__ == "__main__":
    main()
