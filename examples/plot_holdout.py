"""
Checking a purchase model on a holdout period
=============================================

A model of repeat purchases (BG/NBD, Pareto/NBD ...) is fitted on a
calibration period and judged on the period after it: for customers grouped
by how often they bought during calibration, did they buy as often in the
holdout period as the model said they would? This is the check of Fader,
Hardie & Lee (2005, Figure 4).
"""

# %%
# Split the bundled two-year transaction log at the end of June 2025: 18
# months of calibration, 6 months of holdout, in weeks.
import matplotlib.pyplot as plt

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions
from loyaltymetrics.plotting import plot_holdout

summary = lm.rfm_summary(
    load_transactions(),
    customer="customer_id",
    time="date",
    period="week",
    calibration_end="2025-06-30",
)
history = summary["frequency_cal"], summary["recency_cal"], summary["T_cal"]
models = {"BG/NBD": lm.fit_bgnbd(*history), "Pareto/NBD": lm.fit_pareto_nbd(*history)}
checks = {name: lm.holdout_check(model, summary, max_frequency=6) for name, model in models.items()}
checks["BG/NBD"]

# %%
# Both models side by side. Points on the solid line are what customers did;
# the dashed line is the model's prediction.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True, layout="constrained")
for ax, (name, check) in zip(axes, checks.items(), strict=True):
    plot_holdout(check, ax=ax)
    ax.set_title(name)
plt.show()
