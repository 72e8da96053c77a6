"""
How the answers are distributed, by segment
===========================================

The Net Promoter Score is one number, but two segments with the same score can
look very different: many passives and few extremes, or a polarised mix of
promoters and detractors. A diverging stacked bar shows the three bands of
each segment side by side, lined up on the neutral middle. The same chart
shows every answer of a CSAT or CES question.
"""

# %%
# Load the bundled example survey (3,000 synthetic responses) and compute the
# NPS of each plan.
import matplotlib.pyplot as plt

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_survey
from loyaltymetrics.plotting import plot_score_distribution

survey = load_survey()
by_plan = {
    plan: lm.nps(survey["nps"][survey["plan"] == plan]) for plan in ("basic", "pro", "enterprise")
}
by_plan

# %%
# Draw the bands. Detractors extend to the left of zero, promoters to the
# right, and passives sit across zero.
fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
plot_score_distribution(by_plan, ax=ax)
ax.set_title("Likelihood to recommend, by plan")
plt.show()

# %%
# For CSAT (1..5) and CES 2.0 (1..7) each answer gets its own block, from the
# worst on the left to the best on the right, with the middle answer across
# zero.
channels = ("web", "app", "phone")
fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), layout="constrained")
plot_score_distribution(
    {c: lm.csat(survey["csat"][survey["channel"] == c]) for c in channels}, ax=top
)
top.set_title("Satisfaction (CSAT, 1..5), by channel")
plot_score_distribution(
    {c: lm.ces(survey["ces"][survey["channel"] == c]) for c in channels}, ax=bottom
)
bottom.set_title("Ease of handling the issue (CES 2.0, 1..7), by channel")
plt.show()

# %%
# A breakdown from :func:`~loyaltymetrics.by_segment` draws the same way, one
# bar per segment, here with the survey weights: the shares are weighted.
by_region = lm.by_segment(survey["nps"], by=survey["region"], weights=survey["weight"])
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
plot_score_distribution(by_region, ax=ax)
ax.set_title("Likelihood to recommend, by region (weighted)")
plt.show()
