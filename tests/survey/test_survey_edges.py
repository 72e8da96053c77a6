"""Degenerate and edge-of-float input to the survey metrics (regressions found by the fuzz test)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import loyaltymetrics as lm

NAN = float("nan")


@pytest.mark.parametrize("metric", [lm.nps, lm.csat, lm.ces])
@pytest.mark.parametrize(
    "missing",
    [[NAN], pd.Series([None], dtype="Float64"), pd.Series([None], dtype="category")],
    ids=["nan", "Float64", "category"],
)
def test_weighted_all_missing_propagates_like_unweighted(metric, missing) -> None:
    # Reference: the unweighted call, whose documented propagate answer is a NaN
    # score on no counted rows; weights must not change that.
    weighted = metric(missing, weights=[1.0], nan_policy="propagate")
    unweighted = metric([NAN], nan_policy="propagate")
    assert math.isnan(weighted.score)
    assert weighted.n == unweighted.n == 0
    assert weighted.to_dict().keys() == unweighted.to_dict().keys()
