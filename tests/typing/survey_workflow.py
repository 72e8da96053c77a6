"""The documented survey workflows as a user writes them; must pass ``mypy --strict``.

Not collected by pytest (no test functions); run as a script it executes the
same calls.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_survey
from loyaltymetrics.plotting import plot_nps, plot_score_distribution

scores = np.array([10, 9, 8, 7, 6, 3, 10, 9], dtype=np.int8)
weights = [1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 2.0, 1.0]

result: lm.NPSResult = lm.nps(scores, weights=weights, nan_policy="omit")
score: float = result.score
interval: lm.ConfidenceInterval = result.confidence_interval(0.9, method="bca", rng=1)
low: float = interval.low
from_counts = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
standard_error: float = from_counts.standard_error

satisfaction = lm.csat([5, 4, 4, 3, 5, 2], scale=(1, 5), satisfied=(4, 5))
satisfaction_interval = satisfaction.confidence_interval(method="jeffreys")
effort = lm.ces(pd.Series([7, 6, 5, 5, 3, 7]), version="2.0")
effort_interval = effort.confidence_interval(method="t")

above_target: lm.TargetTest = result.test(30, alternative="greater", method="score")
target_pvalue: float = above_target.pvalue
satisfaction_test = satisfaction.test(75, method="exact")
effort_test = effort.test(70, of="agree_share", method="bca", rng=1)

comparison = lm.compare_nps(scores, [9, 10, 3, 8], method="wald", alternative="greater")
pvalue: float = comparison.pvalue
difference_interval: lm.ConfidenceInterval = comparison.confidence_interval()
wider: lm.ConfidenceInterval = comparison.confidence_interval(0.99, method="bca", rng=1)
csat_comparison = lm.compare_csat([5, 4, 1], [5, 5, 2], method="newcombe")
ces_comparison = lm.compare_ces([7, 6, 2], [5, 5, 4], method="welch", alternative="less")
panel_change = lm.compare_nps([9, 10, 3, 8], [7, 10, 2, 8], paired=True, method="percentile")
was_paired: bool = panel_change.paired
scipy_change = lm.compare_csat([5, 4, 1], [5, 5, 2], method="bca", rng=1, engine="scipy")
paired_effort = lm.compare_ces([7, 6, 2], [5, 5, 4], paired=True, method="t", nan_policy="omit")

survey = load_survey(as_frame="pandas")
breakdown: lm.SegmentBreakdown = lm.by_segment(
    survey,
    score="nps",
    by=["region", "plan"],
    weights="weight",
    method="adjusted-wald",
    compare="rest",
    correction="holm",
    rng=1,
)
overall: float = breakdown.overall
table = breakdown.to_frame()
csat_breakdown = lm.by_segment(survey, metric="csat", score="csat", by="region", compare=None)
from_mapping = lm.by_segment(load_survey(), score="nps", by="region", correction="fdr_bh")
monthly: lm.OverTime = lm.over_time(
    load_survey(), score="nps", time="date", period="quarter", compare="first", method="bca"
)
baseline = lm.over_time(survey, score="nps", time="date", compare="2025-01-01", correction=None)

axes = plot_nps(breakdown)
axes = plot_score_distribution({"a": result, "b": from_counts})
