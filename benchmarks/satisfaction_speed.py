"""Speed of CSAT / CES against the tools a user would otherwise call, same run.

Run: python benchmarks/satisfaction_speed.py

1. Whole calls at n = 1e7 (validation + counting + interval) divided by one
   ``np.bincount`` pass over the same array.
2. BCa interval of a CES mean: ours (resampling 7 counts) vs
   ``scipy.stats.bootstrap`` on the raw rows, 9,999 resamples, n = 1e3, 1e4.
3. Welch comparison of two CES samples of 1e6 answers each: ``compare_ces``
   vs ``scipy.stats.ttest_ind(equal_var=False)`` on the rows.
4. Newcombe interval for a CSAT difference: ``compare_csat`` on counts vs
   statsmodels' ``confint_proportions_2indep`` on the same counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from scipy import stats

import loyaltymetrics as lm


def best_of(function: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(7)
    print("1. Whole call at n = 1e7 vs one np.bincount over the same int64 array")
    csat_rows = rng.integers(1, 6, size=10_000_000)
    ces_rows = rng.integers(1, 8, size=10_000_000)
    base = best_of(lambda: np.bincount(csat_rows))
    for label, call in (
        ("csat(x).confidence_interval()", lambda: lm.csat(csat_rows).confidence_interval()),
        ("ces(x).confidence_interval()", lambda: lm.ces(ces_rows).confidence_interval()),
        (
            "ces(x).confidence_interval(method='bca')",
            lambda: lm.ces(ces_rows).confidence_interval(method="bca", rng=1),
        ),
    ):
        ours = best_of(call)
        print(f"   {label:42s} {ours * 1e3:8.1f} ms  = {ours / base:5.2f} x bincount")
    print(f"   {'np.bincount(x)':42s} {base * 1e3:8.1f} ms")

    print("\n2. BCa interval of a CES mean, 9,999 resamples: ours vs scipy.stats.bootstrap")
    for n in (1_000, 10_000):
        rows = rng.integers(1, 8, size=n).astype(float)
        result = lm.ces(rows)
        ours = best_of(lambda result=result: result.confidence_interval(method="bca", rng=2))
        theirs = best_of(
            lambda rows=rows: stats.bootstrap(
                (rows,), np.mean, method="BCa", n_resamples=9999, rng=3
            ),
            repeat=1,
        )
        print(
            f"   n = {n:>6}: ours {ours * 1e3:8.1f} ms, scipy {theirs * 1e3:9.1f} ms, "
            f"ratio {theirs / ours:8.0f} x faster"
        )

    print("\n3. Welch comparison of two CES samples of 1e6 answers each")
    a_rows = rng.integers(1, 8, size=1_000_000)
    b_rows = rng.integers(1, 8, size=1_000_000)
    ours = best_of(lambda: lm.compare_ces(a_rows, b_rows))
    theirs = best_of(lambda: stats.ttest_ind(a_rows, b_rows, equal_var=False))
    a_result, b_result = lm.ces(a_rows), lm.ces(b_rows)
    on_results = best_of(lambda: lm.compare_ces(a_result, b_result))
    print(
        f"   compare_ces(rows): {ours * 1e3:7.1f} ms; scipy ttest_ind: {theirs * 1e3:7.1f} ms; "
        f"ratio {theirs / ours:5.2f}\n"
        f"   compare_ces(results, already counted): {on_results * 1e3:7.3f} ms"
    )

    try:
        from statsmodels.stats.proportion import confint_proportions_2indep
    except ImportError:  # pragma: no cover - statsmodels is in the test extra
        print("\n4. skipped: statsmodels is not installed")
        return
    print("\n4. Newcombe interval of a CSAT difference from counts")
    a = lm.csat_from_counts([5, 7, 18, 40, 30])
    b = lm.csat_from_counts([8, 10, 22, 35, 25])
    ours = best_of(lambda: lm.compare_csat(a, b), repeat=20)
    theirs = best_of(
        lambda: confint_proportions_2indep(70, 100, 60, 100, method="newcomb"), repeat=20
    )
    print(
        f"   compare_csat: {ours * 1e6:7.1f} us (interval + test); statsmodels: "
        f"{theirs * 1e6:7.1f} us (interval only); ratio {theirs / ours:5.2f}"
    )


if __name__ == "__main__":
    main()
