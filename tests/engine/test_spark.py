"""PySpark input, through the same narwhals path as every other engine.

pyspark is in the ``test`` extra, so CI runs these tests for real. A local
Spark session also needs a Java runtime (17 or newer for pyspark 4); on a
machine without one the module is skipped, saying so. This module imports
only what a pyspark environment needs (no Dask, DuckDB or polars).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from loyaltymetrics._engine import _frames

ROWS = pd.DataFrame(
    {
        "seg": ["a", "b", None, "a", "b"],
        "score": [1.0, 2.0, np.nan, 3.0, 2.0],
        "w": [1, 1, 1, 2, 2],
    }
)
# Worked by hand from ROWS, in key order a, b, missing (as in test_frames.py).
EXPECTED = {
    "rows": [2, 2, 1],
    "answered": [2, 2, 0],
    "weight": [3.0, 3.0, 1.0],
    "low": [1.0, 2.0, np.nan],
    "high": [3.0, 2.0, np.nan],
}
AGGREGATIONS: dict[str, tuple[_frames.Aggregation, str | None]] = {
    "rows": ("len", None),
    "answered": ("count", "score"),
    "weight": ("sum", "w"),
    "low": ("min", "score"),
    "high": ("max", "score"),
}

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime")


@pytest.fixture(scope="module")
def spark() -> object:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_pyspark_gives_the_hand_counted_groups(spark: object) -> None:
    frame = spark.createDataFrame(ROWS)  # type: ignore[attr-defined]
    table = _frames.as_table(frame, data_role="score", roles={"score": "score", "w": "w"})
    assert table.kind == "lazy"
    grouped = _frames.group_aggregate(table, ["seg"], AGGREGATIONS)
    order = _frames.group_order(grouped)
    assert grouped.keys["seg"][order].tolist() == ["a", "b", None]
    for name, expected in EXPECTED.items():
        np.testing.assert_array_equal(grouped.values[name][order], expected)
    out = _frames.columns_to_frame(grouped, order, {"x": np.arange(3.0)}, table=table)
    assert isinstance(out, pa.Table)


def test_by_segment_on_pyspark_equals_pandas(spark: object) -> None:
    import loyaltymetrics as lm

    survey = pd.DataFrame(
        {
            "region": ["north", "south", None, "north", "south", "north", "south"] * 5,
            "nps": [10, 3, 9, 7, 8, 0, 9] * 5,
            "weight": [1.0, 2.0, 0.5, 1.5, 1.0, 2.0, 1.0] * 5,
        }
    )
    options = {"score": "nps", "by": "region", "weights": "weight", "method": "bca", "rng": 4}
    on_spark = lm.by_segment(spark.createDataFrame(survey), n_resamples=299, **options)  # type: ignore[attr-defined]
    on_pandas = lm.by_segment(survey, n_resamples=299, **options)
    assert isinstance(on_spark.table, pa.Table)
    assert on_spark.table.column("region").to_pylist() == ["north", "south", None]
    for name in ("n", "score", "low", "high", "difference", "pvalue_corrected"):
        np.testing.assert_allclose(
            on_spark.table.column(name).to_numpy(), on_pandas.table[name].to_numpy(), rtol=1e-12
        )
