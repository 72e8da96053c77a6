"""NPS bootstrap speed: loyaltymetrics' count bootstrap against scipy.stats.bootstrap.

Run: ``PYTHONPATH=. python benchmarks/bootstrap_speed.py`` (about a minute and
~2 GB of memory, almost all of it scipy's); ``--only first-call`` or
``--only memory`` runs one part.

1. n = 1e3, 1e4, 1e5 raw 0..10 scores. Ours: the whole public call,
   ``lm.nps(scores).confidence_interval(method="bca", n_resamples=9999)``
   (validation, counting, bootstrap). scipy: ``scipy.stats.bootstrap`` with
   the same method and resamples on the rows recoded to -100/0/100 (the
   recoding is not timed), statistic ``np.mean``. At n = 1e5 scipy's BCa needs
   the (n, n - 1) jackknife matrix on top of the (9999, n) resample matrix and
   cannot allocate it on a 24 GiB machine, so both sides use the percentile
   method there, and scipy gets ``batch=500`` so that its resamples fit in
   memory (batching changes scipy's memory use, not its work). Target: ours at
   least 1000x faster at n = 1e5.
2. n = 1e7: our whole call divided by one ``np.bincount`` pass over the same
   int64 array. Target: at most 2.5.
3. First call: a fresh Python process timing ``import loyaltymetrics`` and
   one ``nps()`` on ten scores (best of 5 processes; scipy must not be
   imported for a point estimate). Target: under 100 ms.
4. Memory on big arrays: NPS and CSAT with a BCa interval on 1e8 int8
   scores, peak traced memory (tracemalloc, which sees numpy's buffers) of
   the whole call, against the input's bytes. Target: under 2x the input.

Timings are the best of several repeats (each side measured in this run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from scipy import stats

import loyaltymetrics as lm

RESAMPLES = 9999
SHARES = np.array([0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.15, 0.15, 0.2, 0.15])


def best_time(function: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def scores(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).choice(11, size=n, p=SHARES / SHARES.sum())


def versus_scipy() -> None:
    print("NPS bootstrap interval, 9999 resamples: loyaltymetrics vs scipy.stats.bootstrap")
    header = f"{'n':>8} {'method':>10} {'ours (s)':>10} {'scipy (s)':>10} {'ratio':>9}"
    print(header + "   ours interval        scipy interval")
    for n, method, batch, repeats in (
        (1_000, "bca", None, 3),
        (10_000, "bca", None, 1),
        (100_000, "percentile", 500, 1),
    ):
        data = scores(n)
        rows = np.array([-100.0] * 7 + [0.0] * 2 + [100.0] * 2)[data]

        def ours(data: np.ndarray = data, method: str = method) -> lm.ConfidenceInterval:
            return lm.nps(data).confidence_interval(method=method, n_resamples=RESAMPLES, rng=1)

        def peer(
            rows: np.ndarray = rows, method: str = method, batch: int | None = batch
        ) -> object:
            return stats.bootstrap(
                (rows,),
                np.mean,
                method="BCa" if method == "bca" else method,
                n_resamples=RESAMPLES,
                batch=batch,
                rng=np.random.default_rng(2),
            ).confidence_interval

        our_time = best_time(ours, 20)
        scipy_time = best_time(peer, repeats)
        ci, ref = ours(), peer()
        print(
            f"{n:>8} {method:>10} {our_time:>10.5f} {scipy_time:>10.3f} "
            f"{scipy_time / our_time:>8.0f}x   "
            f"[{ci.low:6.2f}, {ci.high:6.2f}]   [{ref.low:6.2f}, {ref.high:6.2f}]"  # type: ignore[attr-defined]
        )
    print("n = 1e5: percentile on both sides (scipy's BCa cannot allocate its jackknife there).")


def versus_bincount() -> None:
    n = 10_000_000
    data = scores(n, seed=3)
    assert data.dtype == np.int64
    # Interleave the two measurements so that machine load affects both alike.
    bincount_times, call_times = [], []
    for _ in range(7):
        bincount_times.append(best_time(lambda: np.bincount(data, minlength=11), 1))
        call_times.append(
            best_time(
                lambda: lm.nps(data).confidence_interval(
                    method="bca", n_resamples=RESAMPLES, rng=1
                ),
                1,
            )
        )
    bincount_time, call_time = min(bincount_times), min(call_times)
    print()
    print("n = 1e7 int64 scores: whole call (validate + count + BCa, 9999 resamples)")
    print(f"  one np.bincount pass: {bincount_time * 1e3:8.2f} ms")
    print(f"  lm.nps(x).confidence_interval(method='bca'): {call_time * 1e3:8.2f} ms")
    print(f"  ratio: {call_time / bincount_time:.2f} (target <= 2.5)")


_FIRST_CALL = """
import time
start = time.perf_counter()
import loyaltymetrics as lm
lm.nps([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
elapsed = time.perf_counter() - start
import sys
import tempfile
print(elapsed, "scipy" in sys.modules)
"""


_NUMPY_ONLY = """
import time
start = time.perf_counter()
import numpy
print(time.perf_counter() - start, False)
"""


def _fresh_process(code: str) -> tuple[float, bool]:
    """Best time of 5 fresh processes running ``code``, and whether one imported scipy.

    The processes import compiled bytecode, as from an installed package (pip
    compiles it on install): a first, untimed process writes it to a
    temporary cache, even where the environment turns bytecode writing off.
    """
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        def run() -> list[str]:
            command = [sys.executable, "-c", code]
            return subprocess.run(
                command, capture_output=True, text=True, check=True, env=env
            ).stdout.split()

        run()
        runs = [run() for _ in range(5)]
    return min(float(result[0]) for result in runs), any(result[1] == "True" for result in runs)


def first_call() -> None:
    numpy_time, _ = _fresh_process(_NUMPY_ONLY)
    best, scipy_loaded = _fresh_process(_FIRST_CALL)
    print()
    print("first call in a fresh process: import loyaltymetrics + nps() on 10 scores")
    print(f"  best of 5: {best * 1e3:8.1f} ms (target < 100 ms); scipy imported: {scipy_loaded}")
    print(f"  of which importing numpy alone takes {numpy_time * 1e3:.1f} ms (best of 5)")


def big_int8_memory() -> None:
    n = 100_000_000
    nps_scores = np.random.default_rng(4).integers(0, 11, size=n, dtype=np.int8)
    csat_scores = np.random.default_rng(5).integers(1, 6, size=n, dtype=np.int8)
    print()
    print(f"n = 1e8 int8 scores ({nps_scores.nbytes / 1e6:.0f} MB): peak traced memory of the call")
    cases: list[tuple[str, Callable[[np.ndarray], object], np.ndarray]] = [
        ("nps(x).confidence_interval(method='bca')", lm.nps, nps_scores),
        ("csat(x).confidence_interval(method='bca')", lm.csat, csat_scores),
    ]
    for label, metric, data in cases:
        tracemalloc.start()
        start = time.perf_counter()
        result = metric(data)
        result.confidence_interval(method="bca", n_resamples=RESAMPLES, rng=1)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  {label}: {elapsed:6.2f} s, peak {peak / 1e6:7.1f} MB = "
            f"{peak / data.nbytes:.2f}x the input (target < 2x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("scipy", "bincount", "first-call", "memory"))
    only = parser.parse_args().only
    if only in (None, "scipy"):
        versus_scipy()
    if only in (None, "bincount"):
        versus_bincount()
    if only in (None, "first-call"):
        first_call()
    if only in (None, "memory"):
        big_int8_memory()
