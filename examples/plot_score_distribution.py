"""
Detractors, passives and promoters by plan
==========================================

The Net Promoter Score is one number, but two segments with the same score can
look very different: many passives and few extremes, or a polarised mix of
promoters and detractors. A diverging stacked bar shows the three bands of
each segment side by side, lined up on the neutral middle.
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
