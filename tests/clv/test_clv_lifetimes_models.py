"""Agreement with lifetimes 0.11.3 on the Pareto/NBD, MBG/NBD and BG/BB models, and
where lifetimes is wrong.

lifetimes is a test-only dependency (the ``test`` extra). Expected numbers come
from lifetimes' fitters and prediction methods in the same run (parameters to
1e-3 relative, predictions to 1e-6 relative at the same parameters), except in
the last section: there lifetimes returns NaN, and the reference is the
likelihood integrated numerically (``clv_reference.likelihood_by_time_integral``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from clv_reference import likelihood_by_time_integral

import loyaltymetrics as lm
from loyaltymetrics._clv.models._pareto_nbd import pareto_nbd_log_likelihood

with warnings.catch_warnings():
    # lifetimes 0.11.3 (2020) uses pandas APIs that newer pandas deprecates.
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoBetaBinomFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
    from lifetimes.datasets import load_cdnow_summary, load_donations

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:lifetimes")


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return quietly(load_cdnow_summary, index_col=[0])


def history(data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy()


def check_predictions(ours, peer, x, t_x, big_t) -> None:
    """Our predictions at lifetimes' parameters against lifetimes' own."""
    np.testing.assert_allclose(
        ours.probability_alive(x, t_x, big_t),
        quietly(peer.conditional_probability_alive, x, t_x, big_t),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        ours.expected_purchases(39.0, x, t_x, big_t),
        quietly(peer.conditional_expected_number_of_purchases_up_to_time, 39.0, x, t_x, big_t),
        rtol=1e-6,
    )
    times = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(
        ours.expected_purchases_new(times),
        quietly(peer.expected_number_of_purchases_up_to_time, times),
        rtol=1e-6,
    )


def test_pareto_nbd_on_cdnow(cdnow) -> None:
    x, t_x, big_t = history(cdnow)
    peer = ParetoNBDFitter()
    # lifetimes starts its Nelder-Mead search at normal(1, 0.05) draws of numpy's
    # global generator and stops at tol 1e-4, so a drawn start can stop 0.3% off
    # the optimum; the centre of those draws makes the reference reproducible.
    quietly(peer.fit, x, t_x, big_t, initial_params=np.ones(4))
    model = lm.fit_pareto_nbd(x, t_x, big_t)
    assert model.converged
    for name in ("r", "alpha", "s", "beta"):
        assert getattr(model, name) == pytest.approx(peer.params_[name], rel=1e-3), name
    # Fader & Hardie (2005 note): r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67, LL = -9595.0
    assert model.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    at_peer = lm.ParetoNBDModel(**{k: float(v) for k, v in peer.params_.items()})
    check_predictions(at_peer, peer, x, t_x, big_t)
    # the per-customer log-likelihoods at lifetimes' parameters
    params = tuple(float(peer.params_[name]) for name in ("r", "alpha", "s", "beta"))
    peer_log_lik = quietly(ParetoNBDFitter._conditional_log_likelihood, params, x, t_x, big_t)
    ours_log_lik, _ = pareto_nbd_log_likelihood(params, x.astype(float), t_x, big_t)
    np.testing.assert_allclose(ours_log_lik, peer_log_lik, rtol=1e-9)


def test_mbgnbd_on_cdnow(cdnow) -> None:
    x, t_x, big_t = history(cdnow)
    peer = ModifiedBetaGeoFitter()
    quietly(peer.fit, x, t_x, big_t)
    model = lm.fit_mbgnbd(x, t_x, big_t)
    assert model.converged
    for name in ("r", "alpha", "a", "b"):
        assert getattr(model, name) == pytest.approx(peer.params_[name], rel=1e-3), name
    at_peer = lm.MBGNBDModel(**{k: float(v) for k, v in peer.params_.items()})
    check_predictions(at_peer, peer, x, t_x, big_t)
    np.testing.assert_allclose(
        at_peer.probability_of_purchases(np.arange(6), 39.0),
        [quietly(peer.probability_of_n_purchases_up_to_time, 39.0, n) for n in range(6)],
        rtol=1e-6,
    )
    # standard errors from the Hessian agree with lifetimes' too
    for name in ("r", "alpha", "a", "b"):
        assert model.standard_errors[name] == pytest.approx(
            peer.summary.loc[name, "se(coef)"], rel=1e-2
        )


def test_bgbb_on_donations() -> None:
    data = quietly(load_donations)
    x, t_x, n, counts = (data[c].to_numpy() for c in ("frequency", "recency", "periods", "weights"))
    peer = BetaGeoBetaBinomFitter()
    quietly(peer.fit, x, t_x, n, weights=counts)
    model = lm.fit_bgbb(x, t_x, n, weights=counts)
    assert model.converged
    for name in ("alpha", "beta", "gamma", "delta"):
        assert getattr(model, name) == pytest.approx(peer.params_[name], rel=1e-3), name
    at_peer = lm.BGBBModel(**{k: float(v) for k, v in peer.params_.items()})
    np.testing.assert_allclose(
        at_peer.probability_alive(x, t_x, n),
        quietly(peer.conditional_probability_alive, 0, x, t_x, n),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        at_peer.expected_purchases(5, x, t_x, n),
        quietly(peer.conditional_expected_number_of_purchases_up_to_time, 5, x, t_x, n),
        rtol=1e-6,
    )
    histogram = quietly(peer.expected_number_of_transactions_in_first_n_periods, 6)
    np.testing.assert_allclose(
        counts.sum() * at_peer.probability_of_purchases(np.arange(7), 6),
        histogram["model"].to_numpy(),
        rtol=1e-6,
    )


# ---------------------------------------------------------------- where lifetimes is wrong

# lifetimes evaluates the Pareto/NBD's 2F1(r+s+x, s+1 or r+x; r+s+x+1; z) directly
# with scipy.special.hyp2f1. For customers with hundreds of purchases and z near 1
# that call returns inf or NaN, and so do lifetimes' log-likelihood and P(alive)
# (a fit on data containing such a customer then stalls). These regions came out
# of a random scan of the parameter space against the numerical integral.
LIFETIMES_FAILS = [
    ((0.5, 0.05, 0.5, 100.0), 250, 1.0, 40.0),
    ((0.8, 50.0, 2.0, 0.01), 300, 0.5, 30.0),
    ((0.117, 0.0124, 5.48, 34.5), 300, 0.507, 1.007),
    ((3.33, 0.652, 2.82, 981.2), 300, 67.2, 124.4),
]


@pytest.mark.parametrize(("params", "x", "t_x", "big_t"), LIFETIMES_FAILS)
def test_pareto_nbd_where_lifetimes_returns_nan(params, x, t_x, big_t) -> None:
    expected = likelihood_by_time_integral(*params, x, t_x, big_t)
    peer = quietly(
        ParetoNBDFitter._conditional_log_likelihood,
        params,
        np.array([x]),
        np.array([t_x]),
        np.array([big_t]),
    )
    assert not np.isfinite(peer[0])
    log_lik, log_alive = pareto_nbd_log_likelihood(
        params, np.array([float(x)]), np.array([t_x]), np.array([big_t])
    )
    assert log_lik[0] == pytest.approx(expected, rel=1e-11)
    assert 0.0 <= np.exp(log_alive[0]) <= 1.0


def test_pareto_nbd_agrees_with_lifetimes_where_lifetimes_is_finite() -> None:
    # The other side of the scan: where lifetimes' value is finite, both agree
    # with the integral (so the disagreement above is lifetimes', not ours).
    params, x, t_x, big_t = (0.5, 100.0, 0.5, 0.05), 250, 1.0, 40.0
    expected = likelihood_by_time_integral(*params, x, t_x, big_t)
    peer = quietly(
        ParetoNBDFitter._conditional_log_likelihood,
        params,
        np.array([x]),
        np.array([t_x]),
        np.array([big_t]),
    )
    ours, _ = pareto_nbd_log_likelihood(
        params, np.array([float(x)]), np.array([t_x]), np.array([big_t])
    )
    assert peer[0] == pytest.approx(expected, rel=1e-9)
    assert ours[0] == pytest.approx(expected, rel=1e-11)
