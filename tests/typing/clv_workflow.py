"""The documented CLV workflow, written as a user's script; ``mypy --strict`` must accept it.

From a transaction log to a summary per customer, the purchase and spend
fits, each customer's value with intervals and the customer equity, and the
fits' summary tables. Checked by ``tests/package/test_typing.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions


def main() -> None:
    log = load_transactions(as_frame="pandas")
    summary: pd.DataFrame = lm.rfm_summary(
        log, customer="customer_id", time="date", value="amount", period="week"
    )
    purchases = lm.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    pareto = lm.fit_pareto_nbd(summary["frequency"], summary["recency"], summary["T"])
    spend = lm.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])

    weekly_rate = 1.10 ** (1 / 52) - 1
    values: pd.Series = lm.predicted_clv(
        purchases, spend, summary, horizon=52.0, discount_rate=weekly_rate
    )
    arrays = lm.predicted_clv(
        pareto,
        spend,
        summary["frequency"].to_numpy(),
        summary["recency"].to_numpy(),
        summary["T"].to_numpy(),
        summary["monetary_value"].to_numpy(),
        horizon=52.0,
        discount_rate=weekly_rate,
    )
    result: lm.CLVPrediction = lm.predicted_clv(
        purchases,
        spend,
        summary,
        horizon=52.0,
        discount_rate=weekly_rate,
        interval="prediction",
        method="delta",
        confidence_level=0.9,
        n_draws=200,
        rng=np.random.default_rng(0),
    )
    low, high = result.total_interval
    table: pd.DataFrame = result.to_frame()
    estimates: pd.DataFrame = purchases.summary(confidence_level=0.9)
    annual: float | np.ndarray = lm.clv(100.0, retention=0.8, discount_rate=0.1)
    churn = lm.fit_sbg([1000, 869, 743, 653, 593])
    residual: float = churn.derl(0.1, 2)
    print(values.head(), arrays[:3], low, high, table.shape, estimates, annual, residual)


if __name__ == "__main__":
    main()
