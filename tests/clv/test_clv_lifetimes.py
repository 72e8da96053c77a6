"""Agreement with lifetimes 0.11.3, the library these models replace.

lifetimes is a test-only dependency (the ``test`` extra). Every expected
number in this file is computed by lifetimes in the same run: its fitters
(``BetaGeoFitter``, ``GammaGammaFitter``), its predictions, its
``customer_lifetime_value`` and its ``summary_data_from_transaction_data`` /
``calibration_and_holdout_data``. Parameters must agree to 1e-3 relative and
predictions to 1e-6 relative; RFM summaries exactly (to float rounding).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import loyaltymetrics as lm
from loyaltymetrics.datasets import load_transactions

with warnings.catch_warnings():
    # lifetimes 0.11.3 (2020) touches pandas options and APIs that newer pandas
    # deprecates; its warnings are not ours.
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.datasets import (
        load_cdnow_summary,
        load_cdnow_summary_data_with_monetary_value,
    )
    from lifetimes.utils import (
        calibration_and_holdout_data,
        summary_data_from_transaction_data,
    )

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:lifetimes")


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return quietly(load_cdnow_summary, index_col=[0])


@pytest.fixture(scope="module")
def fitted(cdnow):
    peer = BetaGeoFitter()
    quietly(peer.fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    ours = lm.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    return ours, peer


def test_bgnbd_parameters_and_standard_errors(fitted) -> None:
    ours, peer = fitted
    assert ours.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(peer.params_[name], rel=1e-3)
        assert ours.standard_errors[name] == pytest.approx(peer.standard_errors_[name], rel=1e-3)


def test_bgnbd_predictions(fitted, cdnow) -> None:
    ours, peer = fitted
    # Compare the prediction formulas at the same parameters (ours set to lifetimes').
    same = lm.BGNBDModel(**{name: float(peer.params_[name]) for name in ("r", "alpha", "a", "b")})
    x, t_x, big_t = (cdnow[column].to_numpy() for column in ("frequency", "recency", "T"))
    for t in (1.0, 10.0, 52.0):
        expected = quietly(
            peer.conditional_expected_number_of_purchases_up_to_time, t, x, t_x, big_t
        )
        np.testing.assert_allclose(same.expected_purchases(t, x, t_x, big_t), expected, rtol=1e-6)
        assert same.expected_purchases_new(t) == pytest.approx(
            quietly(peer.expected_number_of_purchases_up_to_time, t), rel=1e-6
        )
        for n in (0, 1, 2, 7):
            assert same.probability_of_purchases(n, t) == pytest.approx(
                quietly(peer.probability_of_n_purchases_up_to_time, t, n), rel=1e-6
            )
    np.testing.assert_allclose(
        same.probability_alive(x, t_x, big_t),
        quietly(peer.conditional_probability_alive, x, t_x, big_t),
        rtol=1e-6,
    )
    # And our fitted model predicts what lifetimes' fitted model predicts, to the
    # precision the parameters agree.
    np.testing.assert_allclose(
        ours.expected_purchases(10.0, x, t_x, big_t),
        quietly(peer.conditional_expected_number_of_purchases_up_to_time, 10.0, x, t_x, big_t),
        rtol=1e-4,
    )


@pytest.fixture(scope="module")
def spend_data() -> pd.DataFrame:
    data = quietly(load_cdnow_summary_data_with_monetary_value)
    return data[data["frequency"] > 0]


def test_gamma_gamma_parameters_and_predictions(spend_data) -> None:
    peer = GammaGammaFitter()
    quietly(peer.fit, spend_data["frequency"], spend_data["monetary_value"])
    ours = lm.fit_gamma_gamma(spend_data["frequency"], spend_data["monetary_value"])
    assert ours.converged
    for name in ("p", "q", "v"):
        assert getattr(ours, name) == pytest.approx(peer.params_[name], rel=1e-3)
        assert ours.standard_errors[name] == pytest.approx(peer.standard_errors_[name], rel=1e-3)
    same = lm.GammaGammaModel(**{name: float(peer.params_[name]) for name in ("p", "q", "v")})
    np.testing.assert_allclose(
        same.expected_spend(spend_data["frequency"], spend_data["monetary_value"]),
        quietly(
            peer.conditional_expected_average_profit,
            spend_data["frequency"],
            spend_data["monetary_value"],
        ),
        rtol=1e-6,
    )


def test_predicted_clv_matches_customer_lifetime_value(fitted, spend_data) -> None:
    _, purchases_peer = fitted
    spend_peer = GammaGammaFitter()
    quietly(spend_peer.fit, spend_data["frequency"], spend_data["monetary_value"])
    expected = quietly(
        spend_peer.customer_lifetime_value,
        purchases_peer,
        spend_data["frequency"],
        spend_data["recency"],
        spend_data["T"],
        spend_data["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    purchases = lm.BGNBDModel(
        **{name: float(purchases_peer.params_[name]) for name in ("r", "alpha", "a", "b")}
    )
    spend = lm.GammaGammaModel(
        **{name: float(spend_peer.params_[name]) for name in ("p", "q", "v")}
    )
    # lifetimes: 12 "months" of 4.345 weeks each, a monthly discount rate of 1%.
    ours = lm.predicted_clv(
        purchases,
        spend,
        spend_data["frequency"],
        spend_data["recency"],
        spend_data["T"],
        spend_data["monetary_value"],
        horizon=12 * 4.345,
        step=4.345,
        discount_rate=1.01 ** (1 / 4.345) - 1,
    )
    np.testing.assert_allclose(ours, expected.to_numpy(), rtol=1e-6)


# ---------------------------------------------------------------- RFM summaries


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return load_transactions(as_frame="pandas")


def timed_log() -> pd.DataFrame:
    """A log with times of day, several purchases per day and per week."""
    rng = np.random.default_rng(0)
    n = 3000
    start = np.datetime64("2024-01-01T00:00")
    minutes = rng.integers(0, 60 * 24 * 200, size=n)
    return pd.DataFrame(
        {
            "customer": rng.integers(0, 300, size=n),
            "when": start + minutes.astype("timedelta64[m]"),
            "amount": rng.gamma(2.0, 20.0, size=n).round(2),
        }
    )


def assert_same_summary(ours: pd.DataFrame, theirs: pd.DataFrame, customer: str) -> None:
    theirs = theirs.sort_index()
    np.testing.assert_array_equal(ours[customer].to_numpy(), theirs.index.to_numpy())
    assert list(ours.columns[1:]) == list(theirs.columns)
    for column in theirs.columns:
        np.testing.assert_allclose(
            ours[column].to_numpy(dtype=float),
            theirs[column].to_numpy(),
            rtol=1e-12,
            err_msg=column,
        )


@pytest.mark.parametrize(("period", "freq"), [("day", "D"), ("week", "W")])
@pytest.mark.parametrize("observation_end", [None, "2025-09-30"])
def test_rfm_summary_matches_lifetimes(log, period, freq, observation_end) -> None:
    theirs = quietly(
        summary_data_from_transaction_data,
        log,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=observation_end,
        freq=freq,
    )
    ours = lm.rfm_summary(
        log,
        customer="customer_id",
        time="date",
        value="amount",
        period=period,
        observation_end=observation_end,
    )
    assert_same_summary(ours, theirs, "customer_id")


@pytest.mark.parametrize(("period", "freq"), [("day", "D"), ("week", "W"), ("hour", "h")])
def test_rfm_summary_with_times_of_day_matches_lifetimes(period, freq) -> None:
    data = timed_log()
    theirs = quietly(
        summary_data_from_transaction_data,
        data,
        "customer",
        "when",
        monetary_value_col="amount",
        freq=freq,
        observation_period_end="2024-07-15 13:30",
    )
    ours = lm.rfm_summary(
        data,
        customer="customer",
        time="when",
        value="amount",
        period=period,
        observation_end="2024-07-15 13:30",
    )
    assert_same_summary(ours, theirs, "customer")


def test_rfm_summary_without_value_matches_lifetimes(log) -> None:
    theirs = quietly(summary_data_from_transaction_data, log, "customer_id", "date")
    ours = lm.rfm_summary(log, customer="customer_id", time="date")
    assert_same_summary(ours, theirs, "customer_id")


@pytest.mark.parametrize("with_value", [True, False])
def test_calibration_and_holdout_matches_lifetimes(with_value) -> None:
    data = timed_log()
    # lifetimes' own no-value branch breaks on pandas 3 (an empty groupby.agg);
    # its holdout counts do not depend on the value column, so take them from
    # the with-value call and drop the value columns.
    theirs = quietly(
        calibration_and_holdout_data,
        data,
        "customer",
        "when",
        calibration_period_end="2024-05-01 12:00",
        observation_period_end="2024-07-01 08:00",
        monetary_value_col="amount",
    )
    if not with_value:
        theirs = theirs.drop(columns=["monetary_value_cal", "monetary_value_holdout"])
    ours = lm.rfm_summary(
        data,
        customer="customer",
        time="when",
        value="amount" if with_value else None,
        calibration_end="2024-05-01 12:00",
        observation_end="2024-07-01 08:00",
    )
    assert_same_summary(ours, theirs, "customer")
