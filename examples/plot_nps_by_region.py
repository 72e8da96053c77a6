"""
NPS by region, with confidence intervals
========================================

A forest plot answers the question a segment table raises: which differences
between segments are larger than the noise? Each region's score is a dot with
its 95% confidence interval; the dashed line and grey band are the overall
score and its interval.
"""

# %%
import matplotlib.pyplot as plt

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_survey
from loyaltymetrics.plotting import plot_nps

survey = load_survey()
scores, regions = survey["nps"], survey["region"]
by_region = {
    region: lm.nps(scores[regions == region]) for region in ("North", "East", "West", "South")
}
overall = lm.nps(scores)

# %%
# The default interval is the adjusted Wald interval (see the guide on
# confidence intervals for NPS); any other method can be drawn with
# ``method=``.
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
plot_nps(by_region, overall=overall, ax=ax)
ax.set_title("Net Promoter Score by region")
plt.show()

# %%
# The South's interval lies wholly below the overall band, North's and West's
# above it. Comparing each region's interval with the overall one is only a
# rough guide, though: the overall score includes the region itself. The
# interval of the overall score:
overall.confidence_interval()
