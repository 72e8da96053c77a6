"""
How long customers stay active
==============================

In a shop without subscriptions nobody announces that they have left. A common
working definition: a customer has *lapsed* once 180 days pass without a
purchase. Their active lifetime runs from the first purchase to the last one.
Customers who bought within the last 180 days of the data have not lapsed
(yet): their lifetime is *censored*, known only to be at least as long as what
we have seen. The Kaplan-Meier estimator uses both kinds of customer
correctly; dropping the censored ones, or counting them as lapsed, would bias
the curve down.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions
from loyaltymetrics.plotting import plot_survival

log = load_transactions()
customers, customer_index = np.unique(log["customer_id"], return_inverse=True)
day = (log["date"] - log["date"].min()).astype(int)
first = np.full(len(customers), day.max())
np.minimum.at(first, customer_index, day)
last = np.zeros(len(customers), dtype=int)
np.maximum.at(last, customer_index, day)

lifetime_days = last - first
lapsed = last < day.max() - 180  # no purchase in the last 180 days of the log

# %%
# One curve per half-year of acquisition. Customers who joined in the first
# half of 2024 have been observed longer, so fewer of them are censored; the
# curves should still agree (the synthetic data treat both halves alike), and
# they do, within their 95% bands.
joined_early = first < 182
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for label, members in [
    ("joined Jan-Jun 2024", joined_early),
    ("joined Jul-Dec 2024", ~joined_early),
]:
    curve = lm.kaplan_meier(lifetime_days[members], observed=lapsed[members])
    plot_survival(curve, ax=ax, label=label)
ax.set_xlabel("days from first to last purchase")
ax.set_ylabel("share still active")
ax.set_title("Active lifetime of customers (lapse = 180 days without a purchase)")
plt.show()

# %%
# The curve of everyone, as a table (``curve.to_frame()`` gives it as a
# DataFrame):
everyone = lm.kaplan_meier(lifetime_days, observed=lapsed)
everyone
