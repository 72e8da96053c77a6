"""Tests of the Gamma-Gamma spend model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_gamma_gamma
from loyaltymetrics._clv.models._gamma_gamma import gamma_gamma_objective

X = np.array([1.0, 2.0, 5.0, 3.0])
M = np.array([20.0, 35.5, 12.0, 80.0])
W = np.array([1.0, 2.0, 1.0, 0.5])


def log_scale_z(model, name: str, truth: float) -> float:
    """(log estimate - log truth) / se(log estimate), with se(log) = se / estimate.

    The fit works on log-parameters, where the likelihood is close to normal.
    """
    estimate = getattr(model, name)
    return float(np.log(estimate / truth) / (model.standard_errors[name] / estimate))


def marginal_density(m: float, x: float, p: float, q: float, v: float) -> float:
    """Density of the mean of x Gamma(p, nu) purchases, nu ~ Gamma(q, v), by quadrature.

    Given nu the sum of x purchases is Gamma(p x, rate nu), so the mean is
    Gamma(p x, rate x nu); integrate that over the gamma density of nu.
    """

    def integrand(nu: float) -> float:
        return stats.gamma.pdf(m, p * x, scale=1 / (x * nu)) * stats.gamma.pdf(nu, q, scale=1 / v)

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    return value


def test_log_likelihood_matches_numerical_integration() -> None:
    params = (4.0, 3.0, 15.0)
    value, _ = gamma_gamma_objective(X, M, W)(np.log(params))
    expected = sum(
        w * math.log(marginal_density(m, x, *params)) for x, m, w in zip(X, M, W, strict=True)
    )
    assert -value * W.sum() == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("params", [(4.0, 3.0, 15.0), (0.3, 0.8, 200.0), (40.0, 12.0, 1.0)])
def test_analytic_gradient_matches_finite_differences(params) -> None:
    objective = gamma_gamma_objective(X, M, W)
    point = np.log(params)
    numeric = optimize.approx_fprime(point, lambda p: objective(p)[0], 1e-7)
    np.testing.assert_allclose(objective(point)[1], numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "true",
    [(6.0, 4.0, 15.0), (1.5, 2.5, 40.0), (20.0, 1.5, 2.0)],
    ids=["typical", "skewed", "q_near_1"],
)
def test_fit_recovers_parameters(true) -> None:
    p, q, v = true
    rng = np.random.default_rng(int(p * 10))
    frequency = rng.integers(1, 8, size=20_000).astype(float)
    spend = simulate_gamma_gamma(frequency, p=p, q=q, v=v, rng=rng)
    model = lm.fit_gamma_gamma(frequency, spend)
    assert model.converged, model.message
    for name, value in zip(("p", "q", "v"), true, strict=True):
        assert abs(log_scale_z(model, name, value)) < 4, name


def test_customers_without_repeat_purchases_are_ignored() -> None:
    rng = np.random.default_rng(5)
    frequency = rng.integers(0, 4, size=400).astype(float)
    spend = simulate_gamma_gamma(frequency, p=5.0, q=3.0, v=10.0, rng=6)
    spend[frequency == 0] = -1.0  # anything: ignored for customers without repeats
    with_zeros = lm.fit_gamma_gamma(frequency, spend)
    without = lm.fit_gamma_gamma(frequency[frequency > 0], spend[frequency > 0])
    assert with_zeros.to_dict() == without.to_dict()
    assert with_zeros.converged
    assert with_zeros.n_customers == np.sum(frequency > 0)


def test_weights_are_repetition() -> None:
    rng = np.random.default_rng(9)
    frequency = rng.integers(1, 4, size=500).astype(float)
    spend = np.round(simulate_gamma_gamma(frequency, p=5.0, q=3.0, v=10.0, rng=10))
    spend = np.maximum(spend, 1.0)
    rows = np.column_stack([frequency, spend])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert counts.max() > 1
    weighted = lm.fit_gamma_gamma(*distinct.T, weights=counts)
    repeated = lm.fit_gamma_gamma(frequency, spend)
    assert weighted.converged
    assert repeated.converged
    for name in ("p", "q", "v", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-6)


def test_spend_scale_only_moves_v() -> None:
    rng = np.random.default_rng(1)
    frequency = rng.integers(1, 6, size=2000).astype(float)
    spend = simulate_gamma_gamma(frequency, p=5.0, q=3.0, v=10.0, rng=2)
    dollars = lm.fit_gamma_gamma(frequency, spend)
    cents = lm.fit_gamma_gamma(frequency, 100 * spend)
    assert cents.p == pytest.approx(dollars.p, rel=1e-5)
    assert cents.v == pytest.approx(100 * dollars.v, rel=1e-5)
    # the density of the mean picks up 1/100 per customer
    assert cents.log_likelihood == pytest.approx(
        dollars.log_likelihood - 2000 * np.log(100), rel=1e-9
    )


def test_expected_spend_formula_and_shrinkage() -> None:
    model = lm.GammaGammaModel(p=6.0, q=4.0, v=15.0)
    # hand: p (v + x m) / (p x + q - 1) = 6 (15 + 2 * 40) / (12 + 3) = 38
    assert model.expected_spend(2, 40.0) == pytest.approx(38.0)
    # x = 0 gives the population mean p v / (q - 1) = 30
    assert model.expected_spend(0, 0.0) == pytest.approx(30.0)
    # more purchases, closer to the customer's own mean
    many = model.expected_spend([1, 10, 1000], [60.0, 60.0, 60.0])
    assert np.all(np.diff(many) > 0)
    assert many[-1] == pytest.approx(60.0, rel=1e-2)
    assert math.isinf(lm.GammaGammaModel(p=1.0, q=0.5, v=1.0).expected_spend(0, 0.0))


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`monetary_value` must be positive"):
        lm.fit_gamma_gamma([1, 2], [10.0, 0.0])
    with pytest.raises(ValueError, match="`monetary_value` must be positive"):
        lm.fit_gamma_gamma([1, 2], [10.0, -3.0])
    with pytest.raises(ValueError, match="`monetary_value` must be positive"):
        lm.fit_gamma_gamma([1, 2], [10.0, np.nan])
    with pytest.raises(ValueError, match="at least one customer"):
        lm.fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="`frequency` must be whole numbers"):
        lm.fit_gamma_gamma([1.5], [10.0])
    with pytest.raises(ValueError, match="same length"):
        lm.fit_gamma_gamma([1, 2], [10.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="must not all be zero"):
        lm.fit_gamma_gamma([0, 1], [0.0, 3.0], weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="`q` must be a positive finite number"):
        lm.GammaGammaModel(p=1.0, q=0.0, v=1.0)


def test_identical_spend_cannot_converge() -> None:
    # Every customer spends exactly the same: the spread parameters run off to infinity.
    with pytest.warns(lm.ConvergenceWarning, match="did not converge"):
        model = lm.fit_gamma_gamma(np.array([1.0, 2.0, 3.0, 4.0] * 10), np.full(40, 25.0))
    assert not model.converged
    assert all(math.isnan(se) for se in model.standard_errors.values())


def test_result_display() -> None:
    frequency = np.arange(1, 301) % 5 + 1.0
    model = lm.fit_gamma_gamma(
        frequency, simulate_gamma_gamma(frequency, p=5.0, q=3.0, v=10.0, rng=0)
    )
    assert repr(model).startswith("GammaGammaModel(p=")
    assert set(model.to_dict()) >= {"p", "q", "v", "standard_errors", "converged"}
