"""The dataframe engines a breakdown must give the same numbers on (a test helper).

Each library is imported only when its engine is asked for, so a test module
that uses a few engines runs where only those are installed.
"""

from __future__ import annotations

ENGINES = ("pandas", "polars", "polars-lazy", "pyarrow", "dask", "duckdb")


def as_engine(kind: str, frame: object) -> object:
    """Convert a pandas frame to the engine ``kind`` (one of :data:`ENGINES`)."""
    if kind == "pandas":
        return frame
    if kind in ("polars", "polars-lazy"):
        import polars as pl

        eager = pl.from_pandas(frame)
        return eager.lazy() if kind == "polars-lazy" else eager
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "pyarrow":
        return table
    if kind == "dask":
        import dask.dataframe as dd

        return dd.from_pandas(frame, npartitions=2)
    assert kind == "duckdb", kind
    import duckdb

    return duckdb.connect().from_arrow(table)


def output_type(kind: str) -> type:
    """The type of a breakdown's table for input of engine ``kind``.

    Eager input keeps its library; lazy input gets the eager library its
    engine collects to (polars, pandas for Dask, pyarrow for DuckDB).
    """
    if kind in ("pandas", "dask"):
        import pandas as pd

        return pd.DataFrame
    if kind in ("polars", "polars-lazy"):
        import polars as pl

        return pl.DataFrame
    import pyarrow as pa

    return pa.Table
