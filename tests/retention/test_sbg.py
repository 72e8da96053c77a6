"""The shifted-beta-geometric model against its published example and identities.

References: Fader & Hardie (2007), "How to project customer retention",
Journal of Interactive Marketing 21(1), 76-90 -- the "regular" and "high end"
survivor series (1000 customers each, years 0-12) and the maximum likelihood
estimates they report from years 0-7; Fader & Hardie (2010), Marketing
Science 29(1) for DERL (checked against its defining series); scipy's beta
function, numerical integration and finite differences for the rest;
simulation for parameter recovery.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

import loyaltymetrics as lm

# Fader & Hardie (2007), survivors of 1000 customers after 0..12 years. The
# same series appear in public re-analyses of the paper (e.g. R and Stan
# scripts that cite it).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def log_likelihood(alpha: float, beta: float, alive) -> float:
    """Fader & Hardie (2007) equation B3, written directly from the paper."""
    alive = np.asarray(alive, dtype=float)
    total = 0.0
    for t in range(1, len(alive)):
        p_t = special.beta(alpha + 1, beta + t - 1) / special.beta(alpha, beta)
        total += (alive[t - 1] - alive[t]) * math.log(p_t)
    periods = len(alive) - 1
    survival = special.beta(alpha, beta + periods) / special.beta(alpha, beta)
    return total + alive[-1] * math.log(survival)


@pytest.mark.parametrize(
    ("series", "alpha", "beta", "log_lik"),
    [
        # Published estimates (years 0-7): regular alpha = 0.704, beta = 1.182;
        # high end alpha = 0.668, beta = 3.806 with LL = -1611.2.
        # The regular LL -1680.3 is equation B3 at the estimate (log_likelihood above).
        (REGULAR, 0.704, 1.182, -1680.3),
        (HIGH_END, 0.668, 3.806, -1611.2),
    ],
)
def test_published_example(series, alpha: float, beta: float, log_lik: float) -> None:
    model = lm.fit_sbg(series[:8])
    assert round(model.alpha, 3) == alpha
    assert round(model.beta, 3) == beta
    assert round(model.log_likelihood, 1) == log_lik
    assert model.log_likelihood == pytest.approx(
        log_likelihood(model.alpha, model.beta, series[:8]), rel=1e-12
    )
    assert (model.n_customers, model.n_periods) == (1000, 7)
    # The projection for years 8-12 tracks the held-out survivors (the paper's
    # Figure 5 shows the fit); within 4 percentage points of the cohort here.
    projected = 1000 * model.survival(np.arange(8, 13))
    assert np.max(np.abs(projected - np.array(series[8:]))) < 40


def test_estimate_is_a_maximum_of_the_paper_likelihood() -> None:
    model = lm.fit_sbg(HIGH_END[:8])
    best = log_likelihood(model.alpha, model.beta, HIGH_END[:8])
    for d_alpha, d_beta in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-3, 1e-3)]:
        assert log_likelihood(model.alpha + d_alpha, model.beta + d_beta, HIGH_END[:8]) < best


def test_standard_errors_match_finite_difference_hessian() -> None:
    model = lm.fit_sbg(REGULAR[:8])
    x = np.array([model.alpha, model.beta])
    h = 1e-4

    def ll(p):
        return log_likelihood(p[0], p[1], REGULAR[:8])

    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hessian[i, j] = (
                ll(x + ei + ej) - ll(x + ei - ej) - ll(x - ei + ej) + ll(x - ei - ej)
            ) / (4 * h * h)
    expected = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    np.testing.assert_allclose(
        [model.standard_errors["alpha"], model.standard_errors["beta"]], expected, rtol=1e-4
    )


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (3.0, 12.0)])
def test_identities(alpha: float, beta: float) -> None:
    model = lm.SBGModel(
        alpha=alpha,
        beta=beta,
        log_likelihood=float("nan"),
        standard_errors={},
        n_customers=0,
        n_periods=0,
    )
    t = np.arange(1, 30)
    # r_t = (beta + t - 1) / (alpha + beta + t - 1)
    np.testing.assert_allclose(
        model.retention_rate(t), (beta + t - 1) / (alpha + beta + t - 1), rtol=1e-14
    )
    # S(t) = B(alpha, beta + t) / B(alpha, beta), with scipy's beta function.
    np.testing.assert_allclose(
        model.survival(t), special.beta(alpha, beta + t) / special.beta(alpha, beta), rtol=1e-12
    )
    # S(t) = S(t - 1) * r_t, S(0) = 1.
    assert model.survival(0) == 1.0
    np.testing.assert_allclose(model.survival(t), np.cumprod(model.retention_rate(t)), rtol=1e-12)
    # S(t) = E[(1 - theta)^t] with theta ~ Beta(alpha, beta), by numerical integration.
    for period in (1, 5):
        value, _ = integrate.quad(
            lambda th, k=period: (1 - th) ** k * th ** (alpha - 1) * (1 - th) ** (beta - 1),
            0,
            1,
        )
        assert model.survival(period) == pytest.approx(value / special.beta(alpha, beta), rel=1e-7)


@pytest.mark.parametrize("discount", [0.1, 0.25])
@pytest.mark.parametrize("survived", [0, 4, 7])
def test_derl_equals_its_defining_series(discount: float, survived: int) -> None:
    # Fader & Hardie (2010): DERL = sum_{t >= n} S(t) / S(n - 1) / (1 + d)^(t - n),
    # n - 1 = renewals made.
    model = lm.fit_sbg(HIGH_END[:8])
    n = survived + 1
    t = np.arange(n, n + 3000)
    series = np.sum(model.survival(t) / model.survival(n - 1) * (1 + discount) ** -(t - n + 0.0))
    assert model.derl(discount, survived) == pytest.approx(series, rel=1e-10)


@pytest.mark.parametrize(("alpha", "beta", "seed"), [(0.7, 1.2, 0), (0.67, 3.8, 1), (2.0, 6.0, 2)])
def test_parameter_recovery_on_simulated_cohorts(alpha: float, beta: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    customers = 40_000
    churn = rng.beta(alpha, beta, customers)
    lifetime = rng.geometric(churn)  # period in which each customer churns, 1, 2, ...
    alive = [(lifetime > t).sum() for t in range(0, 9)]
    model = lm.fit_sbg(alive)
    assert abs(model.alpha - alpha) < 4 * model.standard_errors["alpha"]
    assert abs(model.beta - beta) < 4 * model.standard_errors["beta"]
    assert model.standard_errors["alpha"] < 0.2 * alpha


def test_repeated_cohorts_standard_errors_are_calibrated() -> None:
    # Over 100 simulated cohorts, the estimate falls within 1.96 standard errors
    # of the truth about 95% of the time. Under-coverage is what too-small
    # standard errors would cause: scipy.stats.binom(100, 0.95).ppf(0.0005) = 87.
    rng = np.random.default_rng(5)
    alpha, beta = 0.8, 2.5
    hits = 0
    for _ in range(100):
        lifetime = rng.geometric(rng.beta(alpha, beta, 2000))
        model = lm.fit_sbg([(lifetime > t).sum() for t in range(0, 8)])
        hits += abs(model.alpha - alpha) < 1.96 * model.standard_errors["alpha"]
    assert hits >= 87


def test_result_behaviour() -> None:
    model = lm.fit_sbg([100, 70, 55, 46])
    text = repr(model)
    assert text.startswith("SBGModel(alpha=")
    assert "n_customers=100, n_periods=3" in text
    assert set(model.to_dict()) == {
        "alpha",
        "beta",
        "log_likelihood",
        "standard_errors",
        "n_customers",
        "n_periods",
    }
    assert isinstance(model.survival(2), float)
    assert model.survival([0, 1]).shape == (2,)


@pytest.mark.parametrize(
    ("alive", "error", "match"),
    [
        ([100, 80], ValueError, "at least two later survivor counts"),
        ([100, 80, 90], ValueError, "must not increase"),
        ([100, 80, 70.5], ValueError, "non-negative whole numbers"),
        ([100, 80, -1], ValueError, "non-negative whole numbers"),
        ([0, 0, 0], ValueError, "positive cohort size"),
        ([100, 100, 100], ValueError, "no churn"),
        ([100, 0, 0], ValueError, "every customer leaving in the first period"),
        ([1000, 900, 810, 729, 656], ValueError, "does not exist"),  # constant retention
        ([1000, 900, 800, 700], ValueError, "does not exist"),  # falling retention
        ([100, float("nan"), 50], ValueError, "missing"),
        (["100", "90", "80"], TypeError, "`alive`"),
    ],
)
def test_bad_input(alive, error, match) -> None:
    with pytest.raises(error, match=match):
        lm.fit_sbg(alive)


def test_method_arguments_are_checked() -> None:
    model = lm.fit_sbg(HIGH_END[:8])
    with pytest.raises(ValueError, match="`t` must be finite and at least 1"):
        model.retention_rate(0)
    with pytest.raises(ValueError, match="`t` must be finite and at least 0"):
        model.survival(-1)
    with pytest.raises(TypeError, match="`t`"):
        model.survival("3")
    with pytest.raises(ValueError, match="`discount_rate` must be positive"):
        model.derl(0.0, 3)
    with pytest.raises(TypeError, match="`discount_rate`"):
        model.derl("0.1", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`periods_survived`"):
        model.derl(0.1, -1)
