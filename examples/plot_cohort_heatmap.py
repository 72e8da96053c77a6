"""
Cohort retention heat map
=========================

Customers are grouped by the quarter of their first purchase (their
*cohort*); each cell is the share of a cohort that bought again some quarters
later. Reading down a column compares cohorts at the same age; the blank
triangle at the bottom right is the future, which the data cannot show yet
(a blank cell, unlike a 0, is not a measurement).
"""

# %%
import matplotlib.pyplot as plt

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions
from loyaltymetrics.plotting import plot_cohort_heatmap

log = load_transactions(as_frame="pandas")
quarterly = lm.cohort_retention(log, customer="customer_id", time="date", period="quarter")
quarterly

# %%
# *Classic* retention: the share of the cohort active in exactly that quarter.
# Quarter 0 is 100% by definition, so the colour scale is set by the later
# quarters.
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
plot_cohort_heatmap(quarterly, ax=ax)
plt.show()

# %%
# *Unbounded* retention counts a customer in a month if they are active in it
# or in any later month: it never rises with age, and it is what a
# subscription-style "still a customer" question asks of a purchase log.
# With 24 months the numbers are left out; the colours carry the pattern.
# Along the edge of the triangle the unbounded share drops towards the
# classic one: near the end of the data there is little "later" left in
# which a customer could still show up.
monthly = lm.cohort_retention(
    log, customer="customer_id", time="date", period="month", kind="unbounded"
)
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
plot_cohort_heatmap(monthly, ax=ax, annotate=False, cmap="viridis")
plt.show()
