"""Tests of the Pareto/NBD model: the likelihood against numerical integration, recovery,
predictions against simulation, inputs.

The reference likelihood is computed two independent ways, neither of which
uses the Gaussian hypergeometric function:

* ``likelihood_by_mixing``: the individual-level likelihood
  ``lambda^x e^-(lambda+mu)T + lambda^x mu / (lambda+mu) (e^-(lambda+mu)t_x - e^-(lambda+mu)T)``
  (Fader & Hardie 2005, eq. 3) integrated over both gamma mixing
  distributions with :func:`scipy.integrate.dblquad`;
* ``likelihood_by_time_integral``: the same after integrating the mixing
  distributions out analytically (each is a gamma moment), which leaves
  ``C [(alpha+T)^-(r+x) (beta+T)^-s + s int_{t_x}^T (alpha+y)^-(r+x) (beta+y)^-(s+1) dy]``,
  a one-dimensional integral taken with :func:`scipy.integrate.quad`. It is
  cheap and accurate enough for the extreme regions (hundreds of purchases),
  where the two-dimensional integral is too peaked to be practical.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from clv_reference import likelihood_by_time_integral
from scipy import integrate, optimize, special

import loyaltymetrics as lm
from loyaltymetrics._clv._simulate import simulate_pareto_nbd
from loyaltymetrics._clv.models._pareto_nbd import (
    _log_tail,
    pareto_nbd_log_likelihood,
    pareto_nbd_objective,
)

# Fader & Hardie's CDNOW estimates (2005 note): r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67.
CDNOW = lm.ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67)


def likelihood_by_mixing(r, alpha, s, beta, x, t_x, big_t):
    """log L: the individual likelihood integrated over log(lambda) and log(mu)."""

    def log_integrand(u, v):
        lam, mu = np.exp(u), np.exp(v)
        rate = lam + mu
        gap = big_t - t_x
        survive_or_die = np.log(np.exp(-rate * gap) + mu / rate * -np.expm1(-rate * gap))
        return (
            r * math.log(alpha)
            - special.gammaln(r)
            + (r + x) * u
            - alpha * lam
            + s * math.log(beta)
            - special.gammaln(s)
            + s * v
            - beta * mu
            - rate * t_x
            + survive_or_die
        )

    # Integrate over the box where the integrand is within e^-45 of its maximum.
    grid = np.linspace(-80.0, 15.0, 800)
    values = log_integrand(grid[:, None], grid[None, :])
    top = values.max()
    keep = values > top - 45.0
    rows, cols = np.flatnonzero(keep.any(axis=1)), np.flatnonzero(keep.any(axis=0))
    u_low, u_high = grid[max(rows[0] - 1, 0)], grid[min(rows[-1] + 1, grid.size - 1)]
    v_low, v_high = grid[max(cols[0] - 1, 0)], grid[min(cols[-1] + 1, grid.size - 1)]
    value, _ = integrate.dblquad(
        lambda u, v: np.exp(log_integrand(u, v) - top),
        v_low,
        v_high,
        u_low,
        u_high,
        epsabs=0.0,
        epsrel=1e-11,
    )
    return top + math.log(value)


def ours(params, x, t_x, big_t) -> float:
    log_lik, _ = pareto_nbd_log_likelihood(
        params, np.array([float(x)]), np.array([float(t_x)]), np.array([float(big_t)])
    )
    return float(log_lik[0])


# Regions of the hypergeometric evaluation. z = |alpha - beta| / (max(alpha, beta) + y).
MIXING_CASES = {
    "cdnow_repeat": ((0.55, 10.58, 0.61, 11.67), 2, 30.43, 38.86),
    "cdnow_no_repeat": ((0.55, 10.58, 0.61, 11.67), 0, 0.0, 38.86),
    # alpha >> beta, t_x = 0: z = 0.999, where the untransformed series converges slowly
    "alpha_much_larger_z_near_1": ((0.5, 100.0, 0.5, 0.1), 0, 0.0, 20.0),
    # alpha << beta: the other branch of the alpha >= beta switch
    "alpha_much_smaller": ((0.5, 0.1, 0.5, 100.0), 4, 3.0, 20.0),
    # s = 1: c - a - b = -1 is an integer, the degenerate case of the 1 - z transformation
    "s_integer_z_near_1": ((0.7, 5.0, 1.0, 0.01), 1, 0.5, 30.0),
    "r_plus_x_integer_alpha_smaller": ((1.0, 0.01, 2.0, 5.0), 3, 2.0, 30.0),
    "alpha_equal_beta": ((1.2, 8.0, 0.9, 8.0), 5, 10.0, 40.0),
}


@pytest.mark.parametrize("case", sorted(MIXING_CASES))
def test_likelihood_matches_integration_over_the_mixing_distributions(case: str) -> None:
    params, x, t_x, big_t = MIXING_CASES[case]
    expected = likelihood_by_mixing(*params, x, t_x, big_t)
    # dblquad's truncation of the heavy gamma tails limits it to ~1e-8 relative.
    assert ours(params, x, t_x, big_t) == pytest.approx(expected, rel=1e-7, abs=1e-7)


# Regions where scipy.special.hyp2f1 itself returns NaN even for the transformed
# series (hundreds of purchases, z near 1), so the module integrates numerically.
HARD_CASES = {
    "many_purchases_alpha_larger": ((0.8, 50.0, 2.0, 0.01), 300, 0.5, 30.0),
    "many_purchases_alpha_smaller": ((0.5, 0.05, 0.5, 100.0), 250, 1.0, 40.0),
    "many_purchases_small_s": ((0.117, 0.0124, 5.48, 34.5), 300, 0.507, 1.007),
    "many_purchases_recent": ((3.0, 0.01, 0.5, 50.0), 200, 30.0, 30.5),
    "tiny_beta_no_repeat": ((0.5, 1000.0, 0.7, 0.01), 0, 0.0, 10.0),
}


@pytest.mark.parametrize("case", sorted(HARD_CASES))
def test_likelihood_matches_the_time_integral_in_hard_regions(case: str) -> None:
    params, x, t_x, big_t = HARD_CASES[case]
    expected = likelihood_by_time_integral(*params, x, t_x, big_t)
    assert ours(params, x, t_x, big_t) == pytest.approx(expected, rel=1e-11, abs=1e-11)


def test_likelihood_matches_the_time_integral_on_a_random_grid() -> None:
    # 200 random points over wide parameter ranges, frequencies up to 300.
    rng = np.random.default_rng(5)
    for _ in range(200):
        r, s = 10 ** rng.uniform(-1.5, 1, 2)
        alpha, beta = 10 ** rng.uniform(-2, 3, 2)
        x = int(rng.choice([0, 1, 3, 10, 50, 150, 300]))
        big_t = 10 ** rng.uniform(0, 2.5)
        t_x = 0.0 if x == 0 else big_t * rng.uniform()
        expected = likelihood_by_time_integral(r, alpha, s, beta, x, t_x, big_t)
        got = ours((r, alpha, s, beta), x, t_x, big_t)
        assert got == pytest.approx(expected, rel=1e-11, abs=1e-11), (r, alpha, s, beta, x)


def test_tail_integral_by_quadrature_path_matches_the_series_path() -> None:
    # Where hyp2f1 works, the quadrature fallback must give the same number.
    from loyaltymetrics._clv.models._pareto_nbd import _log_tail_by_quadrature

    r, alpha, s, beta, x, y = 0.7, 30.0, 1.5, 2.0, 40.0, 1.0
    a = r + s + x
    series = float(_log_tail(r, alpha, s, beta, np.array([x]), np.array([y]))[0])
    log_w0 = math.log((beta + y) / (alpha + y))
    quadrature = _log_tail_by_quadrature(a, s + 1.0, log_w0, math.log(alpha - beta))
    assert quadrature == pytest.approx(series, rel=1e-11)


def test_objective_is_the_mean_negative_log_likelihood_with_its_gradient() -> None:
    x = np.array([0.0, 1.0, 4.0, 2.0])
    t_x = np.array([0.0, 0.4, 0.9, 0.2])
    big_t = np.array([1.0, 1.2, 1.0, 0.5])
    weights = np.array([3.0, 1.0, 2.0, 1.0])
    objective = pareto_nbd_objective(x, t_x, big_t, weights)
    point = np.log([0.6, 2.0, 0.8, 3.0])
    value, gradient = objective(point)
    expected = (
        -sum(
            w * likelihood_by_time_integral(0.6, 2.0, 0.8, 3.0, *row)
            for w, row in zip(weights, zip(x, t_x, big_t, strict=True), strict=True)
        )
        / weights.sum()
    )
    assert value == pytest.approx(expected, rel=1e-12)
    numeric = optimize.approx_fprime(point, lambda p: objective(p)[0], 1e-6)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------- fitting


# Hard cases of the recovery grid (the full grid is in benchmarks/clv_models_recovery.py).
RECOVERY_CASES = {
    "alpha_above_beta": ({"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 2.0}, 52.0),
    "low_rate_alpha_below_beta": ({"r": 0.3, "alpha": 40.0, "s": 0.5, "beta": 150.0}, 365.0),
    "mostly_no_repeat": ({"r": 0.15, "alpha": 20.0, "s": 1.2, "beta": 10.0}, 52.0),
}


@pytest.mark.parametrize("case", sorted(RECOVERY_CASES))
def test_recovery_hard_cases(case: str) -> None:
    true, horizon = RECOVERY_CASES[case]
    rng = np.random.default_rng(sorted(RECOVERY_CASES).index(case) + 20)
    n = 6000
    x, t_x, big_t = simulate_pareto_nbd(
        n, **true, T=np.round(rng.uniform(0.5, 1.0, n) * horizon), rng=rng
    )
    model = lm.fit_pareto_nbd(x, t_x, big_t)
    assert model.converged, model.message
    for name, value in true.items():
        assert abs(getattr(model, name) - value) < 4 * model.standard_errors[name], name


def test_mostly_no_repeat_case_really_is_mostly_zero() -> None:
    true, horizon = RECOVERY_CASES["mostly_no_repeat"]
    x, _, _ = simulate_pareto_nbd(20_000, **true, T=horizon, rng=0)
    assert np.mean(x == 0) > 0.75


def test_fit_reaches_the_likelihood_maximum() -> None:
    # No other point nearby has a higher likelihood: perturb each parameter.
    x, t_x, big_t = simulate_pareto_nbd(800, r=0.5, alpha=5.0, s=0.7, beta=8.0, T=30.0, rng=3)
    model = lm.fit_pareto_nbd(x, t_x, big_t)
    assert model.converged

    def total(params):
        log_lik, _ = pareto_nbd_log_likelihood(params, x, t_x, big_t)
        return float(log_lik.sum())

    best = (model.r, model.alpha, model.s, model.beta)
    assert total(best) == pytest.approx(model.log_likelihood, rel=1e-10)
    for j in range(4):
        for factor in (0.99, 1.01):
            moved = list(best)
            moved[j] *= factor
            assert total(tuple(moved)) < total(best)


def test_no_sign_of_dropout_does_not_converge_silently() -> None:
    # Everyone buys steadily until the end: the dropout rate's maximum is at 0.
    x = np.full(200, 10.0)
    big_t = np.full(200, 20.0)
    with pytest.warns(lm.ConvergenceWarning, match="did not converge"):
        model = lm.fit_pareto_nbd(x, big_t.copy(), big_t)
    assert not model.converged
    assert all(math.isnan(se) for se in model.standard_errors.values())


def test_weights_are_repetition() -> None:
    # Whole-week recencies repeat, so the distinct rows with their counts as
    # weights are the same customers as the full data.
    x, t_x, big_t = simulate_pareto_nbd(600, r=0.5, alpha=5.0, s=0.7, beta=8.0, T=20.0, rng=9)
    rows, counts = np.unique(np.column_stack([x, np.floor(t_x), big_t]), axis=0, return_counts=True)
    assert counts.max() > 1
    weighted = lm.fit_pareto_nbd(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    repeated = lm.fit_pareto_nbd(
        np.repeat(rows[:, 0], counts), np.repeat(rows[:, 1], counts), np.repeat(rows[:, 2], counts)
    )
    assert weighted.converged
    for name in ("r", "alpha", "s", "beta", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-6)
    assert weighted.n_customers == 600


def test_rates_scale_with_the_time_unit() -> None:
    x, t_x, big_t = simulate_pareto_nbd(1500, r=0.5, alpha=5.0, s=0.7, beta=8.0, T=30.0, rng=5)
    weeks = lm.fit_pareto_nbd(x, t_x, big_t)
    days = lm.fit_pareto_nbd(x, 7 * t_x, 7 * big_t)
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-4)
    assert days.beta == pytest.approx(7 * weeks.beta, rel=1e-4)
    assert days.s == pytest.approx(weeks.s, rel=1e-4)
    assert days.log_likelihood == pytest.approx(
        weeks.log_likelihood - x.sum() * np.log(7), rel=1e-8
    )


# ---------------------------------------------------------------- predictions


def test_probability_alive_is_below_one_without_repeat_purchases() -> None:
    alive = CDNOW.probability_alive([0, 0, 0], [0.0, 0.0, 0.0], [1.0, 10.0, 50.0])
    assert np.all((alive > 0) & (alive < 1))
    assert np.all(np.diff(alive) < 0)  # the longer the silence, the likelier dead
    # x = 0, t_x = 0: P(alive) = (alpha+T)^-r (beta+T)^-s / [same + s (G(0) - G(T))], with
    # the tail integral G taken numerically; equals exp(alive term - log L) by eq. 18.
    r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67
    log_alive_term = (
        r * math.log(alpha)
        + s * math.log(beta)
        - r * math.log(alpha + 10.0)
        - s * math.log(beta + 10.0)
    )
    expected = math.exp(log_alive_term - likelihood_by_time_integral(r, alpha, s, beta, 0, 0, 10))
    assert alive[1] == pytest.approx(expected, rel=1e-10)


def test_probability_of_purchases_is_a_distribution_with_the_right_mean() -> None:
    n = np.arange(0, 3000)
    for model in (CDNOW, lm.ParetoNBDModel(r=2.0, alpha=1.0, s=1.0, beta=0.5)):
        probabilities = model.probability_of_purchases(n, 39.0)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)
        # its mean against the closed form of eq. 27
        assert (n * probabilities).sum() == pytest.approx(
            model.expected_purchases_new(39.0), rel=1e-8
        )


def test_probability_of_purchases_by_simulation() -> None:
    model = lm.ParetoNBDModel(r=1.0, alpha=2.0, s=1.5, beta=3.0)
    x, _, _ = simulate_pareto_nbd(200_000, r=1.0, alpha=2.0, s=1.5, beta=3.0, T=5.0, rng=8)
    counts = np.bincount(x.astype(int), minlength=4)[:4] / x.size
    expected = model.probability_of_purchases(np.arange(4), 5.0)
    standard_errors = np.sqrt(expected * (1 - expected) / x.size)
    assert np.all(np.abs(counts - expected) < 4 * standard_errors)


@pytest.mark.parametrize("s", [0.6, 1.0, 2.5])
def test_expected_purchases_by_simulation(s: float) -> None:
    # Monte Carlo from the model's story, conditioning on a history by rejection:
    # customers with no purchase in (0, T]; count their purchases in (T, T + t].
    model = lm.ParetoNBDModel(r=1.0, alpha=2.0, s=s, beta=3.0)
    rng = np.random.default_rng(1)
    n = 400_000
    rate = rng.gamma(model.r, 1 / model.alpha, n)
    lifetime = rng.exponential(1.0, n) / rng.gamma(model.s, 1 / model.beta, n)
    big_t, horizon = 4.0, 3.0
    before = rng.poisson(rate * np.minimum(lifetime, big_t))
    after = rng.poisson(rate * np.clip(lifetime - big_t, 0.0, horizon))
    mask = before == 0
    simulated = after[mask].mean()
    standard_error = after[mask].std() / np.sqrt(mask.sum())
    assert abs(simulated - model.expected_purchases(horizon, 0, 0.0, big_t)) < 4 * standard_error
    # and P(alive) for the same customers: alive at T means lifetime > T
    alive = (lifetime[mask] > big_t).mean()
    alive_se = math.sqrt(alive * (1 - alive) / mask.sum())
    assert abs(alive - model.probability_alive(0, 0.0, big_t)) < 4 * alive_se


def test_predictions_are_continuous_through_s_equal_one() -> None:
    values = [
        lm.ParetoNBDModel(r=0.5, alpha=3.0, s=s, beta=2.0).expected_purchases(10.0, 3, 5.0, 8.0)
        for s in (1 - 1e-7, 1.0, 1 + 1e-7)
    ]
    assert values[1] == pytest.approx(values[0], rel=1e-6)
    assert values[1] == pytest.approx(values[2], rel=1e-6)
    new = lm.ParetoNBDModel(r=0.5, alpha=3.0, s=1.0, beta=2.0).expected_purchases_new(10.0)
    # s = 1: r beta / alpha * log(1 + t / beta)
    assert new == pytest.approx(0.5 * 2.0 / 3.0 * math.log(1 + 10.0 / 2.0), rel=1e-14)


def test_new_customer_is_a_customer_with_an_empty_history() -> None:
    t = np.array([1.0, 10.0, 100.0])
    np.testing.assert_allclose(
        CDNOW.expected_purchases(t, 0, 0.0, 0.0), CDNOW.expected_purchases_new(t), rtol=1e-12
    )


# ---------------------------------------------------------------- inputs and results


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="`recency` must not exceed `T`"):
        lm.fit_pareto_nbd([1], [5.0], [4.0])
    with pytest.raises(ValueError, match="at least one customer"):
        lm.fit_pareto_nbd([], [], [])
    with pytest.raises(ValueError, match="`frequency` must be whole numbers"):
        lm.fit_pareto_nbd([1.5], [1.0], [2.0])
    with pytest.raises(ValueError, match="`t` must be finite and >= 0"):
        CDNOW.expected_purchases(-1.0, 1, 1.0, 2.0)
    with pytest.raises(ValueError, match="`n` must be whole numbers"):
        CDNOW.probability_of_purchases(-1, 2.0)
    with pytest.raises(ValueError, match="`beta` must be a positive finite number"):
        lm.ParetoNBDModel(r=1.0, alpha=1.0, s=1.0, beta=0.0)
    with pytest.raises(TypeError, match="`s` must be a positive number"):
        lm.ParetoNBDModel(r=1.0, alpha=1.0, s=None, beta=1.0)  # type: ignore[arg-type]


def test_result_display_and_inputs_untouched() -> None:
    x, t_x, big_t = simulate_pareto_nbd(300, r=0.5, alpha=5.0, s=0.7, beta=8.0, T=30.0, rng=6)
    copies = (x.copy(), t_x.copy(), big_t.copy())
    model = lm.fit_pareto_nbd(x, t_x, big_t)
    for before, after in zip(copies, (x, t_x, big_t), strict=True):
        np.testing.assert_array_equal(before, after)
    assert repr(model).startswith("ParetoNBDModel(r=")
    assert set(model.to_dict()) >= {"r", "alpha", "s", "beta", "standard_errors", "converged"}
    assert "_covariance" not in model.to_dict()
    assert isinstance(model.probability_alive(1, 2.0, 3.0), float)
