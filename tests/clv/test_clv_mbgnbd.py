"""Tests of the MBG/NBD model: likelihood, gradient, recovery, predictions, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgnbd, simulate_mbgnbd
from loyaltymetrics._clv.models._bgnbd import bgnbd_objective

MODEL = lm.MBGNBDModel(r=0.525, alpha=6.183, a=0.891, b=1.614)


def direct_log_likelihood(r, alpha, a, b, x, t_x, big_t):
    """Batislam, Denizel & Filiztekin (2007), written with plain gamma and beta functions.

    Conditional on lambda and p: alive after the first purchase and the x repeat
    purchases ((1-p)^(x+1)) with no purchase in (t_x, T], or dropped right after
    the last purchase (p (1-p)^x); mixing gives beta-function ratios.
    """
    beta = special.beta
    common = special.gamma(r + x) * alpha**r / special.gamma(r)
    survived = beta(a, b + x + 1) / beta(a, b) * common / (alpha + big_t) ** (r + x)
    dropped = beta(a + 1, b + x) / beta(a, b) * common / (alpha + t_x) ** (r + x)
    return math.log(survived + dropped)


DATA = (
    np.array([0.0, 1.0, 2.0, 5.0, 0.0]),
    np.array([0.0, 3.0, 10.0, 20.5, 0.0]),
    np.array([30.0, 25.0, 12.0, 21.0, 4.0]),
    np.array([1.0, 2.0, 1.0, 1.0, 3.0]),
)


def test_log_likelihood_matches_the_paper_formula() -> None:
    x, t_x, big_t, weights = DATA
    params = (0.7, 3.0, 0.5, 2.5)
    objective = bgnbd_objective(x, t_x, big_t, weights, dropout_at_first=True)
    value, _ = objective(np.log(params))
    expected = sum(
        w * direct_log_likelihood(*params, xi, ti, Ti)
        for xi, ti, Ti, w in zip(x, t_x, big_t, weights, strict=True)
    )
    assert -value * weights.sum() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "params", [(0.7, 3.0, 0.5, 2.5), (0.05, 40.0, 0.01, 0.3), (5.0, 0.2, 8.0, 30.0)]
)
def test_analytic_gradient_matches_finite_differences(params) -> None:
    x, t_x, big_t, weights = DATA
    objective = bgnbd_objective(x, t_x, big_t, weights, dropout_at_first=True)
    point = np.log(params)
    numeric = optimize.approx_fprime(point, lambda p: objective(p)[0], 1e-7)
    np.testing.assert_allclose(objective(point)[1], numeric, rtol=1e-5, atol=1e-7)


# Hard cases of the recovery grid (the full grid is in benchmarks/clv_models_recovery.py).
RECOVERY_CASES = {
    "a_near_zero": ({"r": 0.8, "alpha": 8.0, "a": 0.05, "b": 1.5}, 52.0),
    "low_rate": ({"r": 0.3, "alpha": 150.0, "a": 0.5, "b": 2.0}, 365.0),
    "fast_dropout": ({"r": 2.0, "alpha": 5.0, "a": 3.0, "b": 2.0}, 26.0),
}


@pytest.mark.parametrize("case", sorted(RECOVERY_CASES))
def test_recovery_hard_cases(case: str) -> None:
    true, horizon = RECOVERY_CASES[case]
    rng = np.random.default_rng(sorted(RECOVERY_CASES).index(case) + 40)
    n = 20_000
    x, t_x, big_t = simulate_mbgnbd(n, **true, T=rng.uniform(0.5, 1.0, n) * horizon, rng=rng)
    model = lm.fit_mbgnbd(x, t_x, big_t)
    assert model.converged, model.message
    for name, value in true.items():
        assert abs(getattr(model, name) - value) < 4 * model.standard_errors[name], name


def test_mbgnbd_and_bgnbd_data_differ_by_the_first_dropout() -> None:
    # The simulator's only difference from the BG/NBD's: with a = b = 1 (p uniform)
    # a share E[p] = 1/2 of customers drops at the first purchase, so the MBG/NBD
    # data have about half as many customers who ever repeat... given enough time.
    common = {"r": 5.0, "alpha": 1.0, "a": 1.0, "b": 1.0, "T": 100.0}
    bg, _, _ = simulate_bgnbd(50_000, **common, rng=1)
    mbg, _, _ = simulate_mbgnbd(50_000, **common, rng=1)
    assert np.mean(bg > 0) == pytest.approx(1.0, abs=0.01)
    assert np.mean(mbg > 0) == pytest.approx(0.5, abs=0.01)


def test_weights_are_repetition_and_order_does_not_matter() -> None:
    x, t_x, big_t = simulate_mbgnbd(1000, r=0.5, alpha=5.0, a=0.5, b=2.0, T=20.0, rng=9)
    rows, counts = np.unique(np.column_stack([x, np.floor(t_x), big_t]), axis=0, return_counts=True)
    weighted = lm.fit_mbgnbd(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    order = np.random.default_rng(0).permutation(counts.sum())
    repeated = [np.repeat(rows[:, j], counts)[order] for j in range(3)]
    full = lm.fit_mbgnbd(*repeated)
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(full, name), rel=1e-6)


# ---------------------------------------------------------------- predictions


def test_probability_alive_is_below_one_without_repeat_purchases() -> None:
    alive = MODEL.probability_alive([0, 0, 1], [0.0, 0.0, 5.0], [1.0, 30.0, 30.0])
    assert np.all((alive > 0) & (alive < 1))
    assert alive[1] < alive[0]
    # hand calculation: 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    hand = 1 / (1 + 0.891 / 1.614 * ((6.183 + 30) / 6.183) ** 0.525)
    assert alive[1] == pytest.approx(hand, rel=1e-12)


def test_probability_of_purchases_is_a_distribution_with_the_right_mean() -> None:
    n = np.arange(0, 500)
    probabilities = MODEL.probability_of_purchases(n, 39.0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-10)
    assert (n * probabilities).sum() == pytest.approx(MODEL.expected_purchases_new(39.0), rel=1e-8)


@pytest.mark.parametrize("a", [1.0, 0.7, 2.5])
def test_expected_purchases_and_alive_by_simulation(a: float) -> None:
    # Monte Carlo of the model's story: dropout chances at the first purchase and
    # after each repeat purchase; keep customers with x = 0 by T, count (T, T + t].
    model = lm.MBGNBDModel(r=1.0, alpha=2.0, a=a, b=3.0)
    rng = np.random.default_rng(2)
    n = 400_000
    rate = rng.gamma(model.r, 1 / model.alpha, n)
    dropout = rng.beta(model.a, model.b, n)
    repeats_possible = rng.geometric(dropout) - 1
    big_t, horizon = 4.0, 3.0
    available_t = rng.poisson(rate * big_t)
    available_future = rng.poisson(rate * horizon)
    x_cal = np.minimum(available_t, repeats_possible)
    alive = available_t < repeats_possible
    future = np.where(alive, np.minimum(available_future, repeats_possible - available_t), 0)
    mask = x_cal == 0
    simulated = future[mask].mean()
    standard_error = future[mask].std() / np.sqrt(mask.sum())
    assert abs(simulated - model.expected_purchases(horizon, 0, 0.0, big_t)) < 4 * standard_error
    share_alive = alive[mask].mean()
    alive_se = math.sqrt(share_alive * (1 - share_alive) / mask.sum())
    assert abs(share_alive - model.probability_alive(0, 0.0, big_t)) < 4 * alive_se


def test_new_customer_expectation_by_simulation() -> None:
    model = lm.MBGNBDModel(r=1.0, alpha=2.0, a=0.8, b=3.0)
    x, _, _ = simulate_mbgnbd(300_000, r=1.0, alpha=2.0, a=0.8, b=3.0, T=5.0, rng=3)
    assert abs(x.mean() - model.expected_purchases_new(5.0)) < 4 * x.std() / np.sqrt(x.size)


def test_predictions_are_zero_at_time_zero_and_broadcast() -> None:
    assert MODEL.expected_purchases(0.0, 2, 5.0, 10.0) == 0.0
    assert MODEL.expected_purchases_new(0.0) == 0.0
    out = MODEL.expected_purchases([1.0, 2.0], 2, 5.0, 10.0)
    assert out.shape == (2,)
    assert out[1] > out[0]


def test_bad_inputs_and_display() -> None:
    with pytest.raises(ValueError, match="`recency` must be 0 for customers with `frequency` 0"):
        lm.fit_mbgnbd([0], [1.0], [4.0])
    with pytest.raises(ValueError, match="`n` must be whole numbers"):
        MODEL.probability_of_purchases(0.5, 2.0)
    with pytest.raises(ValueError, match="`a` must be a positive finite number"):
        lm.MBGNBDModel(r=1.0, alpha=1.0, a=math.inf, b=1.0)
    x, t_x, big_t = simulate_mbgnbd(300, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=6)
    model = lm.fit_mbgnbd(x, t_x, big_t)
    assert repr(model).startswith("MBGNBDModel(r=")
    assert "_covariance" not in model.to_dict()


def test_expected_purchases_where_scipy_hyp2f1_fails() -> None:
    # Found by the property test: scipy's hyp2f1 returns NaN here (z = 24 / 24.05).
    # Reference: the definition E[X(t)] = b / (a + b) * E[(1 - (alpha / (alpha + p t)) ** r) / p]
    # with p ~ Beta(a, b + 1), integrated with scipy.integrate.quad.
    import math

    from scipy import integrate, stats

    r, alpha, a, b = math.exp(0.5), math.exp(-3.0), math.exp(0.5), math.exp(2.0)
    model = lm.MBGNBDModel(r=r, alpha=alpha, a=a, b=b)
    t = 24.0

    def integrand(p: float) -> float:
        return (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b + 1)

    reference = b / (a + b) * integrate.quad(integrand, 0, 1, limit=200)[0]
    assert model.expected_purchases_new(t) == pytest.approx(reference, rel=1e-8)
