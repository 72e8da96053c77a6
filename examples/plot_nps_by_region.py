"""
NPS by region, with confidence intervals
========================================

A forest plot answers the question a segment table raises: which differences
between segments are larger than the noise? :func:`loyaltymetrics.by_segment`
computes every region's score and interval and compares each region with the
rest of the survey in one call; :func:`loyaltymetrics.plotting.plot_nps` draws
the result.
"""

# %%
import matplotlib.pyplot as plt

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_survey
from loyaltymetrics.plotting import plot_nps

survey = load_survey(as_frame="pandas")
breakdown = lm.by_segment(survey, score="nps", by="region")
breakdown.table[["region", "n", "score", "low", "high", "difference", "pvalue_corrected"]]

# %%
# Each region is a dot with its 95% confidence interval (adjusted Wald, the
# default); the dashed line and grey band are the overall score and its
# interval. Filled dots differ from the rest of the survey after Holm's
# correction for comparing four regions; the open dot does not.
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
plot_nps(breakdown, ax=ax)
ax.set_title("Net Promoter Score by region")
plt.show()

# %%
# The same figure works for crossed segments and for the other survey
# metrics. Here CSAT by plan and channel: no cell stands out from the rest.
by_plan_channel = lm.by_segment(survey, metric="csat", score="csat", by=["plan", "channel"])
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
plot_nps(by_plan_channel, ax=ax)
ax.set_title("CSAT by plan and channel")
plt.show()
