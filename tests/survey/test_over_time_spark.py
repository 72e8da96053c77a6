"""over_time on PySpark: the period index and the count table computed in Spark.

Skipped, saying so, on a machine without the Java runtime a local Spark
session needs (as ``tests/engine/test_spark.py``).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import loyaltymetrics as lm

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="PySpark needs a Java runtime")


@pytest.fixture(scope="module")
def spark() -> object:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_over_time_on_pyspark_equals_pandas(spark: object) -> None:
    survey = pd.DataFrame(
        {
            "region": ["north", "south", "north", "south", "north", "south", "north"] * 6,
            "nps": [10, 3, 9, 7, 8, 0, 9] * 6,
            "weight": [1.0, 2.0, 0.5, 1.5, 1.0, 2.0, 1.0] * 6,
            "date": pd.to_datetime(
                np.datetime64("2025-01-01") + np.arange(42) * np.timedelta64(5, "D")
            ),
        }
    )
    options = {
        "score": "nps",
        "time": "date",
        "by": "region",
        "weights": "weight",
        "method": "bca",
        "rng": 4,
        "n_resamples": 199,
    }
    on_spark = lm.over_time(spark.createDataFrame(survey), **options)  # type: ignore[attr-defined]
    on_pandas = lm.over_time(survey, **options)
    assert isinstance(on_spark.table, pa.Table)
    assert on_spark.table.column("region").to_pylist() == on_pandas.table["region"].tolist()
    for name in ("n", "score", "low", "high", "difference", "pvalue_corrected"):
        np.testing.assert_allclose(
            on_spark.table.column(name).to_numpy(zero_copy_only=False),
            on_pandas.table[name].to_numpy(),
            rtol=1e-12,
        )
