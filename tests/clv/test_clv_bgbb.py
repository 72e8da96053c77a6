"""Tests of the BG/BB model: the published donation fit, the likelihood by integration,
predictions against the paper's closed forms and simulation, inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_bgbb
from loyaltymetrics._clv.models._bgbb import _log_likelihood, bgbb_objective

# Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
# noncontractual setting": repeat donations in 1996-2001 (n = 6) of the 11,104
# people who first donated in 1995, as (frequency x, recency t_x, number of
# donors). The same table is distributed with lifetimes (`load_donations`).
DONATIONS = np.array(
    [
        (0, 0, 3464),
        (1, 1, 1091),
        (1, 2, 277),
        (1, 3, 129),
        (1, 4, 78),
        (1, 5, 119),
        (1, 6, 129),
        (2, 2, 613),
        (2, 3, 255),
        (2, 4, 155),
        (2, 5, 173),
        (2, 6, 234),
        (3, 3, 322),
        (3, 4, 181),
        (3, 5, 225),
        (3, 6, 357),
        (4, 4, 240),
        (4, 5, 284),
        (4, 6, 512),
        (5, 5, 335),
        (5, 6, 728),
        (6, 6, 1203),
    ]
)
PUBLISHED = lm.BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)


@pytest.fixture(scope="module")
def donation_fit() -> lm.BGBBModel:
    x, t_x, counts = DONATIONS.T
    return lm.fit_bgbb(x, t_x, 6, weights=counts)


def test_donation_fit_reproduces_the_published_estimates(donation_fit) -> None:
    # FHS 2010, section 4: alpha = 1.204, beta = 0.750, gamma = 0.657, delta = 2.783, LL = -33,225.6
    assert donation_fit.converged
    assert donation_fit.n_customers == 11_104
    for name in ("alpha", "beta", "gamma", "delta"):
        assert getattr(donation_fit, name) == pytest.approx(getattr(PUBLISHED, name), abs=6e-4)
    assert donation_fit.log_likelihood == pytest.approx(-33_225.6, abs=0.05)


def test_donation_fit_matches_the_repeat_histogram(donation_fit) -> None:
    # The model's P(X(6) = x) times 11,104 against the observed counts per
    # frequency (FHS 2010, Figure 3: a close fit); within 6% for every x, and the
    # expected total number of repeat donations within 0.5% of the observed.
    x, _, counts = DONATIONS.T
    observed = np.bincount(x, weights=counts)
    expected = 11_104 * donation_fit.probability_of_purchases(np.arange(7), 6)
    np.testing.assert_allclose(expected, observed, rtol=0.06)
    assert expected.sum() == pytest.approx(11_104, rel=1e-12)
    total = 11_104 * donation_fit.expected_purchases_new(6)
    assert total == pytest.approx(float(x @ counts), rel=0.005)


def likelihood_by_integration(alpha, beta, gamma, delta, x, t_x, n):
    """log L: the individual likelihood integrated over Beta(alpha, beta) x Beta(gamma, delta).

    Given p and theta: alive throughout with x transactions at the n
    opportunities, or dead right after opportunity t_x + i (i = 0..n-t_x-1).
    The beta densities' end-point singularities are quad's algebraic weights.
    """

    def individual(p, theta):
        value = p**x * (1 - p) ** (n - x) * (1 - theta) ** n
        for i in range(n - t_x):
            value += p**x * (1 - p) ** (t_x - x + i) * theta * (1 - theta) ** (t_x + i)
        return value

    def over_p(theta):
        value, _ = integrate.quad(
            individual, 0.0, 1.0, args=(theta,), weight="alg", wvar=(alpha - 1, beta - 1)
        )
        return value

    value, _ = integrate.quad(over_p, 0.0, 1.0, weight="alg", wvar=(gamma - 1, delta - 1))
    return math.log(value) - special.betaln(alpha, beta) - special.betaln(gamma, delta)


@pytest.mark.parametrize(
    ("params", "history"),
    [
        ((1.204, 0.750, 0.657, 2.783), (0, 0, 6)),
        ((1.204, 0.750, 0.657, 2.783), (2, 3, 6)),
        ((2.5, 3.0, 1.5, 4.0), (3, 7, 10)),
        ((2.5, 3.0, 1.5, 4.0), (5, 5, 5)),
    ],
)
def test_likelihood_matches_integration_over_the_mixing_distributions(params, history) -> None:
    x, t_x, n = history
    got = _log_likelihood(np.array(params), *(np.array([float(v)]) for v in history))[0]
    assert got == pytest.approx(likelihood_by_integration(*params, x, t_x, n), rel=1e-8)


@pytest.mark.parametrize("params", [(1.2, 0.75, 0.66, 2.8), (0.05, 3.0, 6.0, 0.2)])
def test_analytic_gradient_matches_finite_differences(params) -> None:
    x, t_x, counts = DONATIONS.T.astype(float)
    objective = bgbb_objective(x, t_x, np.full_like(x, 6.0), counts)
    point = np.log(params)
    numeric = optimize.approx_fprime(point, lambda p: objective(p)[0], 1e-7)
    np.testing.assert_allclose(objective(point)[1], numeric, rtol=1e-5, atol=1e-7)


RECOVERY_CASES = {
    "donation_like": ({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}, 6),
    "rare_transactions": ({"alpha": 0.3, "beta": 3.0, "gamma": 0.5, "delta": 5.0}, 12),
    "fast_death": ({"alpha": 2.0, "beta": 1.0, "gamma": 3.0, "delta": 1.5}, 8),
}


@pytest.mark.parametrize("case", sorted(RECOVERY_CASES))
def test_recovery(case: str) -> None:
    true, periods = RECOVERY_CASES[case]
    x, t_x, n = simulate_bgbb(
        30_000, **true, n_periods=periods, rng=sorted(RECOVERY_CASES).index(case)
    )
    model = lm.fit_bgbb(x, t_x, n)
    assert model.converged, model.message
    for name, value in true.items():
        assert abs(getattr(model, name) - value) < 4 * model.standard_errors[name], name


def test_customers_with_different_numbers_of_opportunities() -> None:
    # Cohorts observed for 4 and 8 periods, fitted together: weights as repetition.
    first = simulate_bgbb(3000, alpha=1.0, beta=1.0, gamma=0.5, delta=2.0, n_periods=4, rng=1)
    second = simulate_bgbb(3000, alpha=1.0, beta=1.0, gamma=0.5, delta=2.0, n_periods=8, rng=2)
    x, t_x, n = (np.concatenate(pair) for pair in zip(first, second, strict=True))
    rows, counts = np.unique(np.column_stack([x, t_x, n]), axis=0, return_counts=True)
    full = lm.fit_bgbb(x, t_x, n)
    weighted = lm.fit_bgbb(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    assert full.converged
    for name in ("alpha", "beta", "gamma", "delta", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(full, name), rel=1e-6)


# ---------------------------------------------------------------- predictions


def closed_form_new(model, t):
    """FHS 2010 eq. 7 as printed (0/0 at gamma = 1)."""
    a, b, g, d = model.alpha, model.beta, model.gamma, model.delta
    ratio = math.exp(
        math.lgamma(g + d) + math.lgamma(1 + d + t) - math.lgamma(g + d + t) - math.lgamma(1 + d)
    )
    return a / (a + b) * d / (g - 1) * (1 - ratio)


def closed_form_conditional(model, t, x, t_x, n):
    """FHS 2010 eq. 13 as printed."""
    a, b, g, d = model.alpha, model.beta, model.gamma, model.delta
    log_l = _log_likelihood(np.array([a, b, g, d]), *(np.array([float(v)]) for v in (x, t_x, n)))
    front = math.exp(
        math.lgamma(a + x + 1)
        + math.lgamma(b + n - x)
        - math.lgamma(a + b + n + 1)
        - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
        - log_l[0]
    )
    bracket = math.exp(
        math.lgamma(g + d) - math.lgamma(1 + d) + math.lgamma(1 + d + n) - math.lgamma(g + d + n)
    ) - math.exp(
        math.lgamma(g + d)
        - math.lgamma(1 + d)
        + math.lgamma(1 + d + n + t)
        - math.lgamma(g + d + n + t)
    )
    return front * d / (g - 1) * bracket


def test_expectations_match_the_papers_closed_forms() -> None:
    for t in (1, 5, 30):
        assert PUBLISHED.expected_purchases_new(t) == pytest.approx(
            closed_form_new(PUBLISHED, t), rel=1e-12
        )
        for history in ((0, 0, 6), (3, 4, 6), (6, 6, 6)):
            assert PUBLISHED.expected_purchases(t, *history) == pytest.approx(
                closed_form_conditional(PUBLISHED, t, *history), rel=1e-11
            )


def test_expectation_at_gamma_equal_one_is_the_limit() -> None:
    # The closed form is 0/0 at gamma = 1; the sum is exact there.
    at_one = lm.BGBBModel(alpha=1.0, beta=2.0, gamma=1.0, delta=3.0).expected_purchases_new(10)
    near = [
        closed_form_new(lm.BGBBModel(alpha=1.0, beta=2.0, gamma=g, delta=3.0), 10)
        for g in (1 - 1e-6, 1 + 1e-6)
    ]
    assert at_one == pytest.approx(np.mean(near), rel=1e-8)


def test_probability_of_purchases_is_a_distribution_with_the_right_mean() -> None:
    n = np.arange(0, 11)
    probabilities = PUBLISHED.probability_of_purchases(n, 10)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert (n * probabilities).sum() == pytest.approx(
        PUBLISHED.expected_purchases_new(10), rel=1e-12
    )
    assert PUBLISHED.probability_of_purchases(11, 10) == 0.0
    assert PUBLISHED.probability_of_purchases(0, 0) == 1.0


def test_conditional_predictions_by_simulation() -> None:
    # Simulate 12 periods; condition on the history in the first 6 by rejection.
    rng = np.random.default_rng(4)
    n_customers, first, later = 300_000, 6, 6
    p = rng.beta(PUBLISHED.alpha, PUBLISHED.beta, n_customers)
    theta = rng.beta(PUBLISHED.gamma, PUBLISHED.delta, n_customers)
    alive_periods = rng.geometric(theta) - 1
    periods = np.arange(1, first + later + 1)
    buys = (rng.uniform(size=(n_customers, first + later)) < p[:, None]) & (
        periods <= alive_periods[:, None]
    )
    x = buys[:, :first].sum(axis=1)
    t_x = np.where(buys[:, :first], periods[:first], 0).max(axis=1)
    future = buys[:, first:].sum(axis=1)
    for history in ((0, 0), (2, 3), (4, 6)):
        mask = (x == history[0]) & (t_x == history[1])
        simulated = future[mask].mean()
        standard_error = future[mask].std() / math.sqrt(mask.sum())
        predicted = PUBLISHED.expected_purchases(later, *history, first)
        assert abs(simulated - predicted) < 4 * standard_error, history
        alive = (alive_periods[mask] >= first).mean()
        alive_se = math.sqrt(alive * (1 - alive) / mask.sum())
        gap = abs(alive - PUBLISHED.probability_alive(*history, first))
        assert gap <= 4 * alive_se + 1e-12, history


def test_probability_alive_rules() -> None:
    # A transaction at the last opportunity means alive then.
    assert PUBLISHED.probability_alive(3, 6, 6) == pytest.approx(1.0, rel=1e-12)
    alive = PUBLISHED.probability_alive([0, 3, 3], [0, 3, 5], 6)
    assert np.all((alive > 0) & (alive < 1))
    assert alive[2] > alive[1]


# ---------------------------------------------------------------- inputs


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`frequency` must not exceed `recency`"):
        lm.fit_bgbb([3], [2], 6)
    with pytest.raises(ValueError, match="`recency` must not exceed `n_periods`"):
        lm.fit_bgbb([1], [7], 6)
    with pytest.raises(ValueError, match="`n_periods` must be whole numbers >= 1"):
        lm.fit_bgbb([0], [0], 0)
    with pytest.raises(ValueError, match="`recency` must be whole numbers"):
        lm.fit_bgbb([1], [1.5], 6)
    with pytest.raises(ValueError, match="`t` must be whole numbers"):
        PUBLISHED.expected_purchases_new(1.5)
    with pytest.raises(ValueError, match="at least one customer"):
        lm.fit_bgbb([], [], 6)
    with pytest.raises(ValueError, match="`gamma` must be a positive finite number"):
        lm.BGBBModel(alpha=1.0, beta=1.0, gamma=-1.0, delta=1.0)


def test_display(donation_fit) -> None:
    assert repr(donation_fit).startswith("BGBBModel(alpha=1.2035")
    assert set(donation_fit.to_dict()) >= {"alpha", "beta", "gamma", "delta", "converged"}
