"""Tests of the BG/NBD model: likelihood, gradient, recovery, predictions, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, special

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgnbd
from loyaltymetrics._clv.models._bgnbd import bgnbd_objective

MODEL = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)


def log_scale_z(model, name: str, truth: float) -> float:
    """(log estimate - log truth) / se(log estimate), with se(log) = se / estimate.

    The fit works on log-parameters, where the likelihood is close to normal.
    """
    estimate = getattr(model, name)
    return float(np.log(estimate / truth) / (model.standard_errors[name] / estimate))


def direct_log_likelihood(r, alpha, a, b, x, t_x, big_t):
    """Fader, Hardie & Lee (2005) eq. 6, written with plain gamma and beta functions."""
    beta = special.beta
    base = beta(a, b + x) / beta(a, b) * special.gamma(r + x) * alpha**r
    base /= special.gamma(r) * (alpha + big_t) ** (r + x)
    extra = 0.0
    if x > 0:
        extra = beta(a + 1, b + x - 1) / beta(a, b) * special.gamma(r + x) * alpha**r
        extra /= special.gamma(r) * (alpha + t_x) ** (r + x)
    return math.log(base + extra)


DATA = (
    np.array([0.0, 1.0, 2.0, 5.0, 0.0]),
    np.array([0.0, 3.0, 10.0, 20.5, 0.0]),
    np.array([30.0, 25.0, 12.0, 21.0, 4.0]),
    np.array([1.0, 2.0, 1.0, 1.0, 3.0]),
)


def test_log_likelihood_matches_the_paper_formula() -> None:
    x, t_x, big_t, weights = DATA
    params = (0.7, 3.0, 0.5, 2.5)
    value, _ = bgnbd_objective(x, t_x, big_t, weights)(np.log(params))
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
    objective = bgnbd_objective(x, t_x, big_t, weights)
    point = np.log(params)
    numeric = optimize.approx_fprime(point, lambda p: objective(p)[0], 1e-7)
    np.testing.assert_allclose(objective(point)[1], numeric, rtol=1e-5, atol=1e-7)


def test_fit_recovers_parameters_on_a_large_sample() -> None:
    true = {"r": 0.5, "alpha": 10.0, "a": 0.6, "b": 3.0}
    rng = np.random.default_rng(11)
    x, t_x, big_t = simulate_bgnbd(50_000, **true, T=rng.uniform(20, 80, 50_000), rng=12)
    model = lm.fit_bgnbd(x, t_x, big_t)
    assert model.converged
    for name, value in true.items():
        # within 4 standard errors (the simulation draws, so the estimate is random)
        assert abs(log_scale_z(model, name, value)) < 4, name


# Hard cases of the recovery grid (the full grid is in benchmarks/clv_recovery.py):
# a -> 0 (almost nobody drops out), very low purchase rates, and most customers
# with no repeat purchase at all.
HARD_CASES = {
    "a_near_zero": ({"r": 0.8, "alpha": 8.0, "a": 0.02, "b": 1.5}, 52.0),
    "low_rate": ({"r": 0.3, "alpha": 150.0, "a": 0.5, "b": 2.0}, 365.0),
    "mostly_no_repeat": ({"r": 0.1, "alpha": 20.0, "a": 0.8, "b": 2.5}, 52.0),
    "fast_dropout": ({"r": 2.0, "alpha": 5.0, "a": 3.0, "b": 2.0}, 26.0),
}


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_recovery_grid_hard_cases(case: str) -> None:
    true, horizon = HARD_CASES[case]
    rng = np.random.default_rng(sorted(HARD_CASES).index(case))
    n = 20_000
    x, t_x, big_t = simulate_bgnbd(n, **true, T=rng.uniform(0.5, 1.0, n) * horizon, rng=rng)
    model = lm.fit_bgnbd(x, t_x, big_t)
    assert model.converged, model.message
    for name, value in true.items():
        assert abs(log_scale_z(model, name, value)) < 4, name


def test_mostly_no_repeat_case_really_is_mostly_zero() -> None:
    true, horizon = HARD_CASES["mostly_no_repeat"]
    x, _, _ = simulate_bgnbd(20_000, **true, T=horizon, rng=0)
    assert np.mean(x == 0) > 0.8


def test_no_repeat_purchases_cannot_converge() -> None:
    with pytest.warns(lm.ConvergenceWarning, match="did not converge"):
        model = lm.fit_bgnbd(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    assert not model.converged
    assert all(math.isnan(se) for se in model.standard_errors.values())


def test_weights_are_repetition() -> None:
    x, t_x, big_t = simulate_bgnbd(400, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=8)
    rows = np.column_stack([x, np.round(t_x), np.round(big_t)])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert counts.max() > 1
    weighted = lm.fit_bgnbd(*distinct.T, weights=counts)
    repeated = lm.fit_bgnbd(*rows.T)
    assert weighted.converged
    assert repeated.converged
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-6)
    assert weighted.n_customers == 400


def test_fit_is_invariant_to_customer_order() -> None:
    rng = np.random.default_rng(3)
    x, t_x, big_t = simulate_bgnbd(500, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=4)
    order = rng.permutation(500)
    first = lm.fit_bgnbd(x, t_x, big_t)
    second = lm.fit_bgnbd(x[order], t_x[order], big_t[order])
    assert first.to_dict() == second.to_dict()


def test_alpha_scales_with_the_time_unit() -> None:
    # Measuring time in days instead of weeks multiplies alpha by 7 and leaves
    # r, a, b unchanged (the likelihood of the scaled data differs by x * log 7).
    x, t_x, big_t = simulate_bgnbd(2000, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=5)
    weeks = lm.fit_bgnbd(x, t_x, big_t)
    days = lm.fit_bgnbd(x, 7 * t_x, 7 * big_t)
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-5)
    assert days.r == pytest.approx(weeks.r, rel=1e-5)
    assert days.standard_errors["alpha"] == pytest.approx(
        7 * weeks.standard_errors["alpha"], rel=1e-3
    )
    assert days.log_likelihood == pytest.approx(
        weeks.log_likelihood - x.sum() * np.log(7), rel=1e-8
    )


# ---------------------------------------------------------------- predictions


def test_probability_of_purchases_sums_to_one_and_has_the_right_mean() -> None:
    n = np.arange(0, 400)
    probabilities = MODEL.probability_of_purchases(n, 39.0)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-10)
    # eq. 7 (closed form) against the mean of the eq. 8 distribution
    assert (n * probabilities).sum() == pytest.approx(MODEL.expected_purchases_new(39.0), rel=1e-8)


def test_new_customer_is_a_customer_with_an_empty_history() -> None:
    # Conditioning on x = 0, t_x = 0, T = 0 is conditioning on nothing.
    t = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(
        MODEL.expected_purchases(t, 0, 0.0, 0.0), MODEL.expected_purchases_new(t), rtol=1e-10
    )


@pytest.mark.parametrize("a", [1.0, 1.00003, 0.7, 2.5])
def test_expected_purchases_by_simulation(a: float) -> None:
    # Monte Carlo: simulate customers from the model, keep those without a purchase
    # in (0, T], and count their purchases in (T, T + t]; agreement within 4 SE.
    # a = 1 is the removable singularity of eq. 10.
    model = lm.BGNBDModel(r=1.0, alpha=2.0, a=a, b=3.0)
    rng = np.random.default_rng(0)
    n = 400_000
    rate = rng.gamma(model.r, 1 / model.alpha, n)
    dropout = rng.beta(model.a, model.b, n)
    last = rng.geometric(dropout)
    big_t, horizon = 4.0, 3.0
    # Poisson events in (0, T] and (T, T + t] are independent; dropout caps the total.
    available_t = rng.poisson(rate * big_t)
    available_future = rng.poisson(rate * horizon)
    x_cal = np.minimum(available_t, last)
    future = np.where(available_t < last, np.minimum(available_future, last - available_t), 0)
    mask = x_cal == 0
    simulated = future[mask].mean()
    standard_error = future[mask].std() / np.sqrt(mask.sum())
    predicted = model.expected_purchases(horizon, 0, 0.0, big_t)
    assert abs(simulated - predicted) < 4 * standard_error


def test_probability_alive_rules() -> None:
    alive = MODEL.probability_alive([0, 1, 3, 3], [0.0, 5.0, 10.0, 30.0], [30.0, 30.0, 30.0, 30.0])
    assert alive[0] == 1.0
    assert np.all((alive > 0) & (alive <= 1))
    # the later the last purchase, the more likely still alive
    assert alive[3] > alive[2]
    # hand calculation of 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    hand = 1 / (1 + 0.79 / (2.43 + 1 - 1) * ((4.41 + 30) / (4.41 + 5)) ** (0.24 + 1))
    assert alive[1] == pytest.approx(hand, rel=1e-12)


def test_predictions_are_continuous_through_a_equal_one() -> None:
    values = [
        lm.BGNBDModel(r=0.5, alpha=3.0, a=a, b=2.0).expected_purchases(10.0, 3, 5.0, 8.0)
        for a in (1 - 2e-4, 1 - 5e-5, 1.0, 1 + 5e-5, 1 + 2e-4)
    ]
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)  # a larger a means more dropout, fewer purchases
    assert values[2] == pytest.approx((values[0] + values[4]) / 2, rel=1e-6)
    news = [
        lm.BGNBDModel(r=0.5, alpha=3.0, a=a, b=2.0).expected_purchases_new(10.0)
        for a in (1 - 2e-4, 1.0, 1 + 2e-4)
    ]
    assert news[1] == pytest.approx((news[0] + news[2]) / 2, rel=1e-6)


def test_predictions_are_zero_at_time_zero_and_broadcast() -> None:
    assert MODEL.expected_purchases(0.0, 2, 5.0, 10.0) == 0.0
    assert MODEL.expected_purchases_new(0.0) == 0.0
    out = MODEL.expected_purchases([1.0, 2.0], 2, 5.0, 10.0)
    assert out.shape == (2,)
    assert out[1] > out[0]
    assert isinstance(MODEL.probability_alive(1, 2.0, 3.0), float)


# ---------------------------------------------------------------- inputs and results


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`recency` must not exceed `T`"):
        lm.fit_bgnbd([1], [5.0], [4.0])
    with pytest.raises(ValueError, match="at least one customer"):
        lm.fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="`weights` must have the same length"):
        lm.fit_bgnbd([1, 0], [1.0, 0.0], [2.0, 2.0], weights=[1.0])
    with pytest.raises(ValueError, match="`T` must be positive"):
        lm.fit_bgnbd([0], [0.0], [0.0])
    with pytest.raises(ValueError, match="`t` must be finite and >= 0"):
        MODEL.expected_purchases(-1.0, 1, 1.0, 2.0)
    with pytest.raises(ValueError, match="`n` must be whole numbers"):
        MODEL.probability_of_purchases(1.5, 2.0)
    with pytest.raises(ValueError, match="`a` must be a positive finite number"):
        lm.BGNBDModel(r=1.0, alpha=1.0, a=-1.0, b=1.0)
    with pytest.raises(TypeError, match="`r` must be a positive number"):
        lm.BGNBDModel(r="1", alpha=1.0, a=1.0, b=1.0)  # type: ignore[arg-type]


def test_inputs_are_not_modified() -> None:
    x, t_x, big_t = simulate_bgnbd(300, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=6)
    copies = (x.copy(), t_x.copy(), big_t.copy())
    lm.fit_bgnbd(x, t_x, big_t)
    for before, after in zip(copies, (x, t_x, big_t), strict=True):
        np.testing.assert_array_equal(before, after)


def test_result_display() -> None:
    x, t_x, big_t = simulate_bgnbd(300, r=0.5, alpha=5.0, a=0.5, b=2.0, T=30.0, rng=6)
    model = lm.fit_bgnbd(x, t_x, big_t)
    assert repr(model).startswith("BGNBDModel(r=")
    assert "converged=True" in repr(model)
    exported = model.to_dict()
    assert set(exported) >= {"r", "alpha", "a", "b", "standard_errors", "converged"}
    assert "_covariance" not in exported
    assert "<table>" in model._repr_html_()
