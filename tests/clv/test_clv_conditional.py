"""Conditional purchase distributions, P(alive) ahead, DERT and tracking, for every purchase model.

Where each expected number comes from:

* the conditional distribution of future purchases must sum to 1 and have
  the model's closed-form conditional expectation as its mean (Fader, Hardie
  & Lee 2005 eq. 10; Fader & Hardie 2005 eq. 28; Batislam et al. 2007;
  Fader, Hardie & Shang 2010 eq. 13);
* Pareto/NBD conditional probabilities: lifetimes 0.11.3,
  ``ParetoNBDFitter.conditional_probability_of_n_purchases_up_to_time``
  (Fader & Hardie's note 028, eq. 16), on CDNOW at lifetimes' parameters;
* BG/BB P(alive) ahead: lifetimes' ``BetaGeoBetaBinomFitter.conditional_probability_alive``
  (Fader, Hardie & Shang's A10);
* BG/NBD, MBG/NBD and Pareto/NBD P(alive) ahead: the defining expectation
  summed term by term (negative binomial weights times beta ratios) or
  integrated over the dropout-rate posterior with ``scipy.integrate.quad``;
* DERT: the Pareto/NBD's closed form (Fader, Hardie & Lee 2005, iso-value
  curves) against ``quad`` of ``delta * int e^(-delta u) E[Y(u)] du``; the
  numeric route used for the other models against that closed form; the
  BG/BB's closed form against its defining sum;
* tracking: lifetimes' ``expected_cumulative_transactions`` on the CDNOW
  sample transactions (actual and predicted, same parameters).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import loyaltymetrics as lm
from loyaltymetrics._clv.models._purchase import PurchaseModelBase

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import lifetimes
    from lifetimes import BetaGeoBetaBinomFitter, BetaGeoFitter, ParetoNBDFitter
    from lifetimes.datasets import load_cdnow_summary
    from lifetimes.utils import expected_cumulative_transactions

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:lifetimes")

BGNBD = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
PARETO = lm.ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)
MBGNBD = lm.MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61)
BGBB = lm.BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
CONTINUOUS = (
    np.array([0.0, 1.0, 2.0, 2.0, 7.0]),
    np.array([0.0, 30.0, 30.43, 5.0, 36.0]),
    np.full(5, 38.86),
)
DISCRETE = (
    np.array([0.0, 1.0, 3.0, 3.0, 6.0]),
    np.array([0.0, 2.0, 3.0, 6.0, 6.0]),
    np.full(5, 6.0),
)


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.mark.parametrize(
    ("model", "history", "t"),
    [
        (BGNBD, CONTINUOUS, 39.0),
        (PARETO, CONTINUOUS, 39.0),
        (MBGNBD, CONTINUOUS, 39.0),
        (BGBB, DISCRETE, 5),
    ],
    ids=["bgnbd", "pareto_nbd", "mbgnbd", "bgbb"],
)
def test_conditional_distribution_sums_to_one_with_the_closed_form_mean(model, history, t) -> None:
    n = np.arange(0, 300)[:, None]
    pmf = model.conditional_probability_of_purchases(n, t, *history)
    assert np.all(pmf >= 0)
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        (n * pmf).sum(axis=0), model.expected_purchases(t, *history), rtol=1e-8
    )
    if model is not BGBB:
        # Right at the first purchase (T = 0) the history says nothing: a new customer.
        np.testing.assert_allclose(
            model.conditional_probability_of_purchases([0, 1, 2], t, 0, 0.0, 0.0),
            model.probability_of_purchases([0, 1, 2], t),
            rtol=1e-10,
        )


def test_pareto_conditional_probabilities_match_lifetimes() -> None:
    cdnow = quietly(load_cdnow_summary, index_col=[0])
    peer = ParetoNBDFitter()
    quietly(peer.fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    ours = lm.ParetoNBDModel(**{k: float(v) for k, v in peer.params_.items()})
    rows = cdnow.iloc[[0, 1, 5, 20, 100, 1000]]
    for n in (0, 1, 2, 5):
        for t in (10.0, 39.0):
            expected = [
                quietly(peer.conditional_probability_of_n_purchases_up_to_time, n, t, *row)
                for row in rows[["frequency", "recency", "T"]].to_numpy()
            ]
            got = ours.conditional_probability_of_purchases(
                n, t, rows["frequency"], rows["recency"], rows["T"]
            )
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-10)


def test_bgbb_alive_ahead_matches_lifetimes() -> None:
    peer = BetaGeoBetaBinomFitter()
    peer.params_ = pd.Series(
        {"alpha": BGBB.alpha, "beta": BGBB.beta, "gamma": BGBB.gamma, "delta": BGBB.delta}
    )
    x, t_x, n = DISCRETE
    for m in (0, 1, 5):
        expected = quietly(peer.conditional_probability_alive, m, x, t_x, n)
        np.testing.assert_allclose(BGBB.probability_alive(x, t_x, n, ahead=m), expected, rtol=1e-10)


@pytest.mark.parametrize("model", [BGNBD, MBGNBD], ids=["bgnbd", "mbgnbd"])
def test_beta_geometric_alive_ahead_is_the_defining_series(model) -> None:
    x, t_x, big_t = CONTINUOUS
    m = 20.0
    shift = 1.0 if model is MBGNBD else 0.0
    k = np.arange(0, 3000)[:, None]
    r, alpha = model.r + x, model.alpha + big_t
    # P(survive K purchases) = B(a, b + x + shift + K) / B(a, b + x + shift), K ~ NB(r, q).
    survive = np.exp(
        special.betaln(model.a, model.b + x + shift + k)
        - special.betaln(model.a, model.b + x + shift)
    )
    series = np.sum(stats.nbinom.pmf(k, r, alpha / (alpha + m)) * survive, axis=0)
    expected = model.probability_alive(x, t_x, big_t) * series
    np.testing.assert_allclose(model.probability_alive(x, t_x, big_t, ahead=m), expected, rtol=1e-8)
    np.testing.assert_array_equal(
        model.probability_alive(x, t_x, big_t, ahead=0), model.probability_alive(x, t_x, big_t)
    )


def test_pareto_alive_ahead_integrates_the_dropout_posterior() -> None:
    x, t_x, big_t = CONTINUOUS
    m = 20.0
    for i in range(x.shape[0]):
        rate = PARETO.beta + big_t[i]
        expectation, _ = integrate.quad(
            lambda mu, rate=rate: math.exp(-mu * m) * stats.gamma.pdf(mu, PARETO.s, scale=1 / rate),
            0,
            np.inf,
        )
        expected = PARETO.probability_alive(x[i], t_x[i], big_t[i]) * expectation
        assert PARETO.probability_alive(x[i], t_x[i], big_t[i], ahead=m) == pytest.approx(
            expected, rel=1e-7
        )


def _dert_by_quadrature(model, rate, x, t_x, big_t):
    delta = math.log1p(rate)

    def integrand(u):
        return delta * math.exp(-delta * u) * float(model.expected_purchases(u, x, t_x, big_t))

    value, _ = integrate.quad(integrand, 0, np.inf, limit=500)
    return value


@pytest.mark.parametrize("model", [BGNBD, PARETO, MBGNBD], ids=["bgnbd", "pareto_nbd", "mbgnbd"])
def test_dert_equals_the_discounted_integral(model) -> None:
    x, t_x, big_t = CONTINUOUS
    ours = model.dert(x, t_x, big_t, discount_rate=0.003)
    expected = [_dert_by_quadrature(model, 0.003, *row) for row in zip(x, t_x, big_t, strict=True)]
    np.testing.assert_allclose(ours, expected, rtol=1e-6)


@pytest.mark.parametrize("s", [0.61, 1.0, 1.0000000000000002, 2.5])
def test_numeric_dert_agrees_with_the_pareto_closed_form(s: float) -> None:
    # s next to an integer: scipy's hyperu alone is wrong there (found by the property test).
    model = lm.ParetoNBDModel(r=0.55, alpha=10.58, s=s, beta=11.67)
    x, t_x, big_t = CONTINUOUS
    numeric = PurchaseModelBase._dert(model, x, t_x, big_t, 0.003)
    # Gauss-Laguerre with 80 nodes: 1e-8 .. 1e-5 relative, depending on how fast E[Y] bends.
    np.testing.assert_allclose(numeric, model.dert(x, t_x, big_t, discount_rate=0.003), rtol=1e-5)


def test_bgbb_dert_is_the_discounted_sum_of_expected_transactions() -> None:
    x, t_x, n = DISCRETE
    k = np.arange(1, 3000)
    cumulative = np.array([BGBB.expected_purchases(int(h), x, t_x, n) for h in (0, *k)])
    increments = np.diff(cumulative, axis=0)
    expected = np.sum(increments / 1.1 ** k[:, None], axis=0)
    np.testing.assert_allclose(BGBB.dert(x, t_x, n, discount_rate=0.1), expected, rtol=1e-9)


def test_conditional_methods_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="`n` must be whole numbers"):
        BGNBD.conditional_probability_of_purchases(1.5, 10.0, 1, 2.0, 5.0)
    with pytest.raises(ValueError, match="`t` must be finite and >= 0"):
        BGNBD.conditional_probability_of_purchases(1, -1.0, 1, 2.0, 5.0)
    with pytest.raises(ValueError, match="`ahead` must be finite and >= 0"):
        PARETO.probability_alive(1, 2.0, 5.0, ahead=-2.0)
    with pytest.raises(ValueError, match="`discount_rate` must be finite and > 0"):
        MBGNBD.dert(1, 2.0, 5.0, discount_rate=0.0)
    with pytest.raises(ValueError, match="`ahead` must be whole numbers"):
        BGBB.probability_alive(1, 2, 5, ahead=0.5)


# ------------------------------------------------------------------- tracking


@pytest.fixture(scope="module")
def cdnow_sample() -> pd.DataFrame:
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    log = pd.read_csv(
        path, sep=r"\s+", header=None, names=["id", "index", "date", "quantity", "amount"]
    )
    log["date"] = pd.to_datetime(log["date"].astype(str), format="%Y%m%d")
    return log


def test_tracking_matches_lifetimes_expected_cumulative_transactions(cdnow_sample) -> None:
    model = lm.BGNBDModel(r=0.24, alpha=4.41 * 7, a=0.79, b=2.43)  # a daily-scale model
    peer = BetaGeoFitter()
    peer.params_ = pd.Series({"r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b})
    horizon = 400
    table = quietly(
        expected_cumulative_transactions, peer, cdnow_sample, "date", "id", horizon, freq="D"
    )
    day = ((cdnow_sample["date"] - cdnow_sample["date"].min()).dt.days).to_numpy()
    first = pd.Series(day).groupby(cdnow_sample["id"].to_numpy()).min().to_numpy()
    times = np.arange(1, horizon + 1)
    expected = lm.expected_repeat_transactions(model, first, times=times)
    np.testing.assert_allclose(expected, table["predicted"].to_numpy(), rtol=1e-9)
    actual = lm.actual_repeat_transactions(cdnow_sample["id"], day, times=times)
    np.testing.assert_array_equal(actual, table["actual"].to_numpy())


def test_tracking_counts_repeat_periods_once() -> None:
    # a: periods 0 (first), 0 again, 2 -> one repeat at 2; b: 1 (first), 4 -> one repeat at 4.
    counts = lm.actual_repeat_transactions(
        ["a", "a", "a", "b", "b"], [0, 0.5, 2, 1, 4], times=[2, 3, 5]
    )
    np.testing.assert_array_equal(counts, [0.0, 1.0, 2.0])
    # One cohort of 3 customers starting at 2: three times a new customer's expectation.
    np.testing.assert_allclose(
        lm.expected_repeat_transactions(BGNBD, [2, 2, 2], times=[1, 2, 12]),
        [0.0, 0.0, 3 * BGNBD.expected_purchases_new(10.0)],
    )
    np.testing.assert_allclose(
        lm.expected_repeat_transactions(BGBB, [0, 1], times=[3.5]),
        [BGBB.expected_purchases_new(3) + BGBB.expected_purchases_new(2)],
    )
    with pytest.raises(TypeError, match="`model` must be a purchase model"):
        lm.expected_repeat_transactions(lm.GammaGammaModel(p=1.0, q=2.0, v=3.0), [0], times=[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same length"):
        lm.actual_repeat_transactions(["a"], [0, 1], times=[1])
