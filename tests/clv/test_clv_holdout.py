"""Tests of holdout_check: the table by hand, the check on simulated data, frames, inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions


class RatePerFrequency:
    """A stand-in purchase model: (frequency + 1) / 10 purchases per time unit."""

    def expected_purchases(self, t, frequency, recency, T):
        return np.asarray(t) * (np.asarray(frequency) + 1.0) / 10.0


SUMMARY = {
    "frequency_cal": np.array([0, 0, 1, 2, 5, 9]),
    "recency_cal": np.array([0.0, 0.0, 3.0, 4.0, 8.0, 9.0]),
    "T_cal": np.array([10.0, 5.0, 10.0, 10.0, 10.0, 10.0]),
    "frequency_holdout": np.array([0, 1, 0, 2, 3, 6]),
    "duration_holdout": np.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
}


def test_table_by_hand() -> None:
    check = lm.holdout_check(RatePerFrequency(), SUMMARY, max_frequency=3)
    # buckets 0 (two customers), 1, 2 and ">= 3" (frequencies 5 and 9); no empty bucket
    np.testing.assert_array_equal(check.frequency, [0, 1, 2, 3])
    np.testing.assert_array_equal(check.customers, [2, 1, 1, 2])
    # actual means: (0 + 1) / 2, 0, 2, (3 + 6) / 2
    np.testing.assert_allclose(check.actual, [0.5, 0.0, 2.0, 4.5])
    # predicted: 10 * (f + 1) / 10 = f + 1 -> 1, 2, 3, mean(6, 10)
    np.testing.assert_allclose(check.predicted, [1.0, 2.0, 3.0, 8.0])
    assert check.n_customers == 6
    assert check.actual_total == 12.0
    assert check.predicted_total == pytest.approx(1 + 1 + 2 + 3 + 6 + 10)
    assert check.max_frequency == 3


def test_empty_buckets_are_left_out() -> None:
    check = lm.holdout_check(RatePerFrequency(), SUMMARY, max_frequency=20)
    np.testing.assert_array_equal(check.frequency, [0, 1, 2, 5, 9])
    assert check.customers.sum() == 6


def test_predictions_match_the_holdout_when_the_model_is_true() -> None:
    # Simulate Pareto/NBD customers over a calibration and a holdout period; the
    # true model's conditional expectations match the actual holdout purchases in
    # every bucket, within 4 standard errors of the bucket's actual mean.
    model = lm.ParetoNBDModel(r=0.8, alpha=4.0, s=0.9, beta=10.0)
    rng = np.random.default_rng(7)
    n, big_t, horizon = 60_000, 20.0, 10.0
    rate = rng.gamma(model.r, 1 / model.alpha, n)
    lifetime = rng.exponential(1.0, n) / rng.gamma(model.s, 1 / model.beta, n)
    before = rng.poisson(rate * np.minimum(lifetime, big_t))
    after = rng.poisson(rate * np.clip(lifetime - big_t, 0.0, horizon))
    recency = np.where(
        before > 0,
        np.minimum(lifetime, big_t) * rng.uniform(size=n) ** (1 / np.maximum(before, 1)),
        0.0,
    )
    summary = {
        "frequency_cal": before,
        "recency_cal": recency,
        "T_cal": np.full(n, big_t),
        "frequency_holdout": after,
        "duration_holdout": np.full(n, horizon),
    }
    check = lm.holdout_check(model, summary, max_frequency=5)
    bucket = np.minimum(before, 5)
    for row, frequency in enumerate(check.frequency):
        values = after[bucket == frequency]
        standard_error = values.std() / np.sqrt(values.size)
        assert abs(check.actual[row] - check.predicted[row]) < 4 * standard_error, frequency
    assert check.predicted_total == pytest.approx(check.actual_total, rel=0.03)


def test_rfm_summary_output_goes_straight_in_on_every_frame_type() -> None:
    log = load_transactions()
    arrays = lm.rfm_summary(
        log, customer="customer_id", time="date", period="week", calibration_end="2025-06-30"
    )
    model = lm.fit_mbgnbd(arrays["frequency_cal"], arrays["recency_cal"], arrays["T_cal"])
    expected = lm.holdout_check(model, arrays)
    frames = [pd.DataFrame(arrays), pl.DataFrame(arrays), pl.DataFrame(arrays).lazy()]
    for frame in frames:
        assert lm.holdout_check(model, frame).to_dict() == expected.to_dict()
    table = expected.to_frame()
    assert list(table.columns) == ["frequency", "customers", "actual", "predicted"]
    assert expected.actual_total == float(np.sum(arrays["frequency_holdout"]))
    assert "<table>" in expected._repr_html_()
    assert repr(expected).startswith("HoldoutCheck(n_customers=")


def test_every_purchase_model_works() -> None:
    summary = {**SUMMARY, "recency_cal": np.array([0, 0, 3, 4, 8, 9.0])}
    for model in (
        lm.BGNBDModel(r=0.5, alpha=3.0, a=0.7, b=2.0),
        lm.ParetoNBDModel(r=0.5, alpha=3.0, s=0.7, beta=2.0),
        lm.MBGNBDModel(r=0.5, alpha=3.0, a=0.7, b=2.0),
        lm.BGBBModel(alpha=1.0, beta=1.0, gamma=0.5, delta=2.0),
    ):
        check = lm.holdout_check(model, summary)
        assert np.all(check.predicted > 0), type(model).__name__


def test_bad_inputs() -> None:
    with pytest.raises(TypeError, match="`model` must be a fitted purchase model"):
        lm.holdout_check(object(), SUMMARY)
    missing = {k: v for k, v in SUMMARY.items() if k != "duration_holdout"}
    with pytest.raises(ValueError, match="lacks the column"):
        lm.holdout_check(RatePerFrequency(), missing)
    with pytest.raises(ValueError, match="lacks the column"):
        lm.holdout_check(RatePerFrequency(), pd.DataFrame(missing))
    with pytest.raises(TypeError, match="`summary` must be a dataframe or a mapping"):
        lm.holdout_check(RatePerFrequency(), [1, 2, 3])
    negative = {**SUMMARY, "frequency_holdout": np.array([0, -1, 0, 2, 3, 6])}
    with pytest.raises(ValueError, match="`frequency_holdout` must be whole numbers >= 0"):
        lm.holdout_check(RatePerFrequency(), negative)
    missing_value = {**SUMMARY, "duration_holdout": np.array([10.0, np.nan, 1, 1, 1, 1])}
    with pytest.raises(ValueError, match="`duration_holdout` must be finite"):
        lm.holdout_check(RatePerFrequency(), missing_value)
    with pytest.raises(ValueError, match="`recency` must not exceed `T`"):
        lm.holdout_check(RatePerFrequency(), {**SUMMARY, "T_cal": np.full(6, 1.0)})
    with pytest.raises(ValueError, match="`max_frequency` must be >= 0"):
        lm.holdout_check(RatePerFrequency(), SUMMARY, max_frequency=-1)
    with pytest.raises(TypeError, match="`max_frequency` must be an integer"):
        lm.holdout_check(RatePerFrequency(), SUMMARY, max_frequency=2.5)  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    copies = {k: v.copy() for k, v in SUMMARY.items()}
    lm.holdout_check(RatePerFrequency(), SUMMARY)
    for name, values in SUMMARY.items():
        np.testing.assert_array_equal(values, copies[name])
