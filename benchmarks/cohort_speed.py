"""Monthly cohort table of 10 million activity events, by input kind.

Run: python benchmarks/cohort_speed.py [--n 10000000] [--customers 1000000]

Times ``lm.cohort_retention`` ("classic" and "unbounded", monthly periods)
on the same synthetic log given as numpy arrays, a pandas DataFrame, a polars
DataFrame and LazyFrame, and a DuckDB relation (the reduce step runs in each
engine), plus the usual hand-written pandas recipe (first month per customer
with ``groupby().transform("min")``, then ``nunique`` per cohort and month)
for comparison, and checks that every table is the same.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import loyaltymetrics as lm


def make_log(n: int, customers: int, rng: np.random.Generator):
    # Each customer starts on a day of 2024 and is active on later days at random.
    start = rng.integers(0, 366, customers)
    who = rng.integers(0, customers, n)
    lag = np.minimum(rng.geometric(1 / 120, n) - 1, 729)
    days = np.datetime64("2024-01-01") + np.minimum(start[who] + lag, 729)
    ids = np.char.add("c", who.astype(str))
    return ids, days.astype("datetime64[D]")


def pandas_recipe(frame):
    month = frame["time"].dt.year * 12 + frame["time"].dt.month
    cohort = month.groupby(frame["customer"]).transform("min")
    offset = month - cohort
    counts = (
        frame.assign(cohort=cohort, offset=offset)
        .groupby(["cohort", "offset"])["customer"]
        .nunique()
    )
    table = counts.unstack(fill_value=0)
    return table.to_numpy()


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    rng = np.random.default_rng(7)
    ids, days = make_log(args.n, args.customers, rng)
    frame = pd.DataFrame({"customer": ids, "time": days.astype("datetime64[ns]")})
    inputs = {
        "numpy arrays": lambda kind: lm.cohort_retention(ids, time=days, kind=kind),
        "pandas": lambda kind: lm.cohort_retention(
            frame, customer="customer", time="time", kind=kind
        ),
        "polars": lambda kind: lm.cohort_retention(
            polars_frame, customer="customer", time="time", kind=kind
        ),
        "polars lazy": lambda kind: lm.cohort_retention(
            polars_frame.lazy(), customer="customer", time="time", kind=kind
        ),
        "duckdb": lambda kind: lm.cohort_retention(
            relation, customer="customer", time="time", kind=kind
        ),
    }
    polars_frame = pl.from_pandas(frame)
    connection = duckdb.connect()
    relation = connection.from_arrow(pa.Table.from_pandas(frame, preserve_index=False))

    print(f"Cohort table: {args.n:,} events, {args.customers:,} customers, monthly periods")
    print(f"{'input':<16}{'classic':>12}{'unbounded':>12}")
    reference = None
    for name, run in inputs.items():
        classic_time, classic = timed(lambda run=run: run("classic"))
        unbounded_time, _ = timed(lambda run=run: run("unbounded"))
        if reference is None:
            reference = classic
        assert np.array_equal(classic.counts, reference.counts), name
        print(f"{name:<16}{classic_time:>10.2f} s{unbounded_time:>10.2f} s")
    recipe_time, recipe = timed(lambda: pandas_recipe(frame))
    assert reference is not None
    width = recipe.shape[1]
    assert np.array_equal(recipe[:, 0], reference.sizes)
    print(f"{'pandas recipe':<16}{recipe_time:>10.2f} s{'':>12}  (hand-written groupby, classic)")
    same = np.array_equal(
        np.where(np.isnan(reference.rates), 0, reference.counts)[:, :width], recipe
    )
    print(f"hand-written recipe gives the same counts: {same}")


if __name__ == "__main__":
    main()
