"""Hostile frames at the shared frame entry point (regressions found by the fuzz test)."""

from __future__ import annotations

import pandas as pd
import pytest

import loyaltymetrics as lm

DUPLICATED = pd.DataFrame([[1, "2020-01-01", 2.0, 9]], columns=["c", "t", "c", "s"])


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lm.rfm_summary(DUPLICATED, customer="c", time="t"), "transactions"),
        (lambda: lm.by_segment(DUPLICATED, score="s", by="c"), "data"),
        (lambda: lm.cohort_retention(DUPLICATED, customer="c", time="t"), "data"),
        (
            lambda: lm.customer_durations(DUPLICATED, customer="c", time="t", churn_after=3),
            "transactions",
        ),
        (lambda: lm.kaplan_meier(DUPLICATED, duration="s"), "durations"),
    ],
)
def test_duplicated_column_names_name_the_frame_argument(call, argument) -> None:
    with pytest.raises(ValueError, match=f"`{argument}` must have unique column names"):
        call()


def test_missing_customer_ids_name_the_customer_argument() -> None:
    frame = pd.DataFrame({"c": [1, None], "t": pd.to_datetime(["2020-01-01", "2020-01-02"])})
    with pytest.raises(ValueError, match="`customer`: customer ids in column 'c'"):
        lm.rfm_summary(frame, customer="c", time="t")
    with pytest.raises(ValueError, match="`customer`: customer ids in column 'c'"):
        lm.customer_durations(frame, customer="c", time="t", churn_after=3)
