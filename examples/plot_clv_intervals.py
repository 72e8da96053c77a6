"""
Customer value with its uncertainty, per customer and for the base
==================================================================

From the bundled transaction log to what each customer is worth over the next
year, with a 90% interval: how well the estimated parameters pin down each
expected value (``interval="parameter"``), and what the customer may actually
bring (``interval="prediction"``), with the value of the whole customer base
and its own interval. See "How sure is a CLV?" in the user guide.
"""

# %%
# Summarise the log per customer (weeks), fit the purchase and spend models,
# and first check the purchase model against the calendar: the expected
# weekly repeat transactions of the cohort against the actual ones.
import matplotlib.pyplot as plt
import numpy as np

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions
from loyaltymetrics.plotting import plot_tracking

log = load_transactions(as_frame="pandas")
summary = lm.rfm_summary(log, customer="customer_id", time="date", value="amount", period="week")
purchases = lm.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
spend = lm.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])

week = ((log["date"] - log["date"].min()).dt.days // 7).to_numpy()
first = log.assign(week=week).groupby("customer_id")["week"].min().to_numpy()
weeks = np.arange(1, week.max() + 2)
expected = lm.expected_repeat_transactions(purchases, first, times=weeks)
actual = lm.actual_repeat_transactions(log["customer_id"], week, times=weeks)
fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
plot_tracking(weeks, expected, actual, incremental=True, ax=ax)
ax.set_xlabel("week")
plt.show()

# %%
# Next year's value of every customer at a 10% annual discount rate, with the
# parameter and the prediction interval. The total's interval is computed for
# the total, not by adding up the customers' limits.
weekly = 1.10 ** (1 / 52) - 1
options = {"horizon": 52.0, "discount_rate": weekly}
parameter = lm.predicted_clv(purchases, spend, summary, interval="parameter", **options)
prediction = lm.predicted_clv(
    purchases, spend, summary, interval="prediction", n_draws=400, rng=1, **options
)
parameter

# %%
prediction.to_frame().sort_values("clv", ascending=False).head()

# %%
# The 40 most valuable customers: the narrow parameter intervals (dark) sit
# inside the wide prediction intervals (light); the right panel shows the
# customer base's value with both intervals.
top = np.argsort(parameter.value)[::-1][:40]
rank = np.arange(top.size)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4), width_ratios=(3, 1), layout="constrained")
left.vlines(
    rank,
    prediction.low[top],
    prediction.high[top],
    color="#92c5de",
    lw=4,
    label="prediction interval",
)
left.vlines(
    rank, parameter.low[top], parameter.high[top], color="#0571b0", lw=4, label="parameter interval"
)
left.plot(rank, parameter.value[top], "k.", label="expected value")
left.set_xlabel("customers, most valuable first")
left.set_ylabel("value over the next year")
left.legend(frameon=False, fontsize="small")
for x, (result, colour) in enumerate(((parameter, "#0571b0"), (prediction, "#92c5de"))):
    low, high = result.total_interval
    right.vlines(x, low, high, color=colour, lw=8)
right.plot([0, 1], [parameter.total] * 2, "k.")
right.set_xticks([0, 1], ["parameter", "prediction"])
right.set_xlim(-0.6, 1.6)
right.set_title("customer base", fontsize="medium")
plt.show()
