"""Hostile input to the CLV formulas and model methods (regressions found by the fuzz test)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics import datasets


def test_clv_arguments_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValueError, match="`margin`, `retention` and `discount_rate` must have"):
        lm.clv([1.0, 2.0, 3.0], retention=[0.5, 0.5], discount_rate=0.1)
    with pytest.raises(ValueError, match="`periods` must have"):
        lm.clv([1.0, 2.0], retention=0.5, discount_rate=0.1, periods=[1, 2, 3])


@pytest.fixture(scope="module")
def histories():
    f, r, t = datasets.simulate_bgnbd(200, r=0.5, alpha=2.0, a=0.6, b=2.5, T=30.0, rng=1)
    bgbb = datasets.simulate_bgbb(
        200, alpha=1.2, beta=0.8, gamma=0.6, delta=2.0, n_periods=6, rng=3
    )
    return [
        lm.fit_bgnbd(f, r, t),
        lm.fit_mbgnbd(f, r, t),
        lm.fit_pareto_nbd(f, r, t),
        lm.fit_bgbb(*bgbb),
    ]


def test_model_methods_name_arguments_that_do_not_broadcast(histories) -> None:
    for model in histories:
        with pytest.raises(ValueError, match=r"`t`, `frequency`, `recency` and `(T|n_periods)`"):
            model.expected_purchases([1, 2], [1, 2, 3], [1, 2, 3], [5, 5, 5])
        with pytest.raises(ValueError, match="`n` and `t` must have the same length"):
            model.probability_of_purchases([1, 2, 3], [1, 2])


def test_pandas_object_column_of_dates_is_read_as_dates() -> None:
    import datetime as dt

    import pandas as pd

    frame = pd.DataFrame(
        {
            "c": [1, 1, 2],
            "t": [dt.date(2020, 1, 1), dt.date(2020, 2, 1), dt.date(2020, 1, 5)],
            "v": [1.0, 2.0, 3.0],
        }
    )
    # Reference: the same column as datetime64, which both functions document.
    as_datetimes = frame.assign(t=pd.to_datetime(frame["t"]))
    summary = lm.rfm_summary(frame, customer="c", time="t", value="v")
    assert summary.equals(lm.rfm_summary(as_datetimes, customer="c", time="t", value="v"))
    value = lm.historical_clv(frame, customer="c", time="t", value="v")
    assert value.equals(lm.historical_clv(as_datetimes, customer="c", time="t", value="v"))
    assert frame["t"].dtype == object  # the caller's frame is untouched


def test_value_concentration_total_past_the_float_range_names_values() -> None:
    with pytest.raises(ValueError, match="`values` are too large"):
        lm.value_concentration([1e308, 1e308])
    # Below the limit the shares are unit-free (hand-worked: 1e307 / 1.1e307 = 0.909...).
    assert lm.value_concentration([1e307, 1e306, 5.0]).top_share == pytest.approx(1 / 1.1)


def test_simulate_gamma_gamma_names_a_non_numeric_frequency() -> None:
    import datetime as dt

    with pytest.raises(TypeError, match="`frequency` must be numeric"):
        datasets.simulate_gamma_gamma([dt.date(2020, 1, 1)], p=6.0, q=4.0, v=15.0)


# Edges of floating point (each was a known failure of the fuzz test).


def test_bgbb_opportunities_beyond_the_limit_name_the_argument() -> None:
    from loyaltymetrics._clv.models._bgbb import MAX_OPPORTUNITIES

    model = lm.BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    limit = f"at most {MAX_OPPORTUNITIES}"
    with pytest.raises(ValueError, match=f"`t` must be whole numbers >= 0 and {limit}"):
        model.expected_purchases_new(1e16)
    with pytest.raises(ValueError, match=f"`t` must be whole numbers >= 0 and {limit}"):
        model.probability_of_purchases(2, 1e16)
    with pytest.raises(ValueError, match=f"`t` must be whole numbers >= 0 and {limit}"):
        model.expected_purchases(1e300, 2, 3, 6)
    with pytest.raises(ValueError, match=f"`n_periods` must be whole numbers >= 1 and {limit}"):
        lm.fit_bgbb([0, 1], [0, 1], [1e7, 3])


def test_bgbb_at_the_opportunity_limit_matches_the_closed_form() -> None:
    import math

    from loyaltymetrics._clv.models._bgbb import MAX_OPPORTUNITIES

    alpha, beta, gamma, delta = 1.204, 0.750, 0.657, 2.783
    model = lm.BGBBModel(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    t = MAX_OPPORTUNITIES
    # Fader, Hardie & Shang (2010), eq. 7 in closed form, evaluated with math.lgamma:
    # alpha / (alpha + beta) * delta / (gamma - 1) *
    # [1 - Gamma(gamma + delta) Gamma(1 + delta + t) / (Gamma(gamma + delta + t) Gamma(1 + delta))]
    ratio = math.exp(
        math.lgamma(gamma + delta)
        + math.lgamma(1 + delta + t)
        - math.lgamma(gamma + delta + t)
        - math.lgamma(1 + delta)
    )
    expected = alpha / (alpha + beta) * delta / (gamma - 1) * (1 - ratio)
    assert float(model.expected_purchases_new(t)) == pytest.approx(expected, rel=1e-9)
    total = float(sum(model.probability_of_purchases([0, 1, 2, 3], t)))
    assert 0.0 < total <= 1.0


def test_gamma_gamma_spend_near_the_float_maximum_is_exact() -> None:
    import warnings
    from fractions import Fraction

    p, q, v = 6.25, 3.74, 15.45
    model = lm.GammaGammaModel(p=p, q=q, v=v)
    for x, m in [(1e308, 1e308), (1.0, 1e308), (3.0, 1e308)]:
        # p (v + x m) / (p x + q - 1) in exact rational arithmetic, then rounded once.
        exact = Fraction(p) * (Fraction(v) + Fraction(x) * Fraction(m))
        exact /= Fraction(p) * Fraction(x) + Fraction(q) - 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = float(model.expected_spend(x, m))
        assert got == pytest.approx(float(exact), rel=1e-12)


def test_pareto_nbd_count_distribution_at_the_float_maximum_horizon() -> None:
    import warnings

    from scipy import stats

    model = lm.ParetoNBDModel(r=0.8, alpha=4.25, s=5.24, beta=150.9)
    # scipy's direct pmf overflows for such a count and success chance ...
    with pytest.raises(OverflowError):
        stats.nbinom.pmf(1e10, 0.8, 4.25 / (4.25 + 1e308))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = float(model.probability_of_purchases(1e10, 1e308))
    assert 0.0 <= huge <= 1.0
    # ... and at an ordinary horizon the result is the one the direct pmf gives.
    ordinary = model.probability_of_purchases([0, 1, 2], 39.0)
    assert float(sum(ordinary)) < 1.0


@pytest.mark.parametrize(
    ("simulate", "kwargs", "names"),
    [
        (datasets.simulate_bgnbd, {"r": 1e308, "alpha": 2.0, "a": 0.6, "b": 2.5, "T": 30.0}, "`r`"),
        (datasets.simulate_bgnbd, {"r": 0.5, "alpha": 2.0, "a": 0.6, "b": 2.5, "T": 1e308}, "`T`"),
        (
            datasets.simulate_mbgnbd,
            {"r": 0.5, "alpha": 1e-300, "a": 0.6, "b": 2.5, "T": 30.0},
            "`alpha`",
        ),
        (
            datasets.simulate_pareto_nbd,
            {"r": 1e308, "alpha": 2.0, "s": 0.6, "beta": 2.5, "T": 30.0},
            "`r`",
        ),
    ],
)
def test_simulators_beyond_drawable_purchase_counts_name_the_parameters(
    simulate, kwargs, names
) -> None:
    with pytest.raises(ValueError, match=f"{names}.* expected purchases; at most 1e\\+15"):
        simulate(20, **kwargs, rng=0)


@pytest.mark.parametrize(
    "kwargs", [{"p": 1e308, "q": 4.0, "v": 15.0}, {"p": 6.0, "q": 1e-300, "v": 15.0}]
)
def test_gamma_gamma_simulator_beyond_the_float_range_names_the_parameters(kwargs) -> None:
    with pytest.raises(ValueError, match="`p`, `q`, `v` and `frequency` give a spend"):
        datasets.simulate_gamma_gamma([1.0, 2.0], **kwargs, rng=0)


def test_value_concentration_with_a_tiny_share_keeps_quiet() -> None:
    import warnings

    # Found by the property test: the logit interval's spread overflows exp.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = lm.value_concentration([4.0, 4036.0, 1.192092896e-07], top=0.5)
    low, high = result.top_share_interval
    assert 0.0 <= low <= result.top_share <= high <= 1.0


def test_rfm_scores_of_a_frame_with_missing_values_names_the_column() -> None:
    import numpy as np
    import pandas as pd

    # Found by the fuzz test: pandas' integer cast of the ranks raised for a NaN.
    summary = pd.DataFrame(
        {
            "recency": [0.0, 2.0],
            "frequency": [0, 1],
            "monetary_value": [0.0, 3.0],
            "T": [np.nan, 4.0],
        }
    )
    with pytest.raises(ValueError, match="`T` column 'T' must not contain missing values"):
        lm.rfm_scores(summary)


def _jacobi_factor(a: float, shape: float, b_shifted: float, z: float) -> float:
    """The BG/NBD factor by scipy's Gauss-Jacobi rule, as the fallback computed it before."""
    import math

    import numpy as np
    from scipy import special

    nodes, weights = special.roots_jacobi(300, b_shifted - 1.0, a - 1.0)
    p = (1.0 + nodes) / 2.0
    ratio = math.inf if z >= 1.0 else z / (1.0 - z)
    values = -np.expm1(-shape * np.log1p(p * ratio)) / p
    return float(np.sum(weights * values) / np.sum(weights))


def _beta_rule_factor(a: float, shape: float, b_shifted: float, z: float) -> float:
    """The same factor by the overflow-free Golub-Welsch rule of the fallback."""
    import math

    import numpy as np

    from loyaltymetrics._clv.models._bgnbd import _JACOBI_NODES, _beta_nodes_and_weights

    p, weights = _beta_nodes_and_weights(a, b_shifted, _JACOBI_NODES)
    assert weights.sum() == pytest.approx(1.0, rel=1e-13)
    ratio = math.inf if z >= 1.0 else z / (1.0 - z)
    return float(np.sum(weights * (-np.expm1(-shape * np.log1p(p * ratio)) / p)))


@pytest.mark.parametrize("b_shifted", [500.0, 750.0, 1000.0])
@pytest.mark.parametrize("a", [0.79, 1.5, 3.0])
@pytest.mark.parametrize(("shape", "z"), [(0.24, 0.5), (5.0, 0.5), (0.24, 0.9), (5.0, 0.9)])
def test_beta_rule_matches_scipys_jacobi_rule_where_both_work(
    a: float, shape: float, b_shifted: float, z: float
) -> None:
    from loyaltymetrics._clv.models._bgnbd import _factor_by_quadrature

    # Reference: scipy's roots_jacobi, whose weight total is still finite at B <= 1000.
    reference = _jacobi_factor(a, shape, b_shifted, z)
    assert _beta_rule_factor(a, shape, b_shifted, z) == pytest.approx(reference, rel=1e-12)
    # Where roots_jacobi works the fallback still takes it: the very same number.
    assert _factor_by_quadrature(a, shape, b_shifted, z) == reference


@pytest.mark.parametrize("b_shifted", [1e4, 1e5, 1e6])
def test_beta_rule_matches_numerical_integration_for_huge_b(b_shifted: float) -> None:
    import math
    import warnings
    from collections.abc import Callable

    from scipy import integrate

    from loyaltymetrics._clv.models._bgnbd import _factor_by_quadrature

    # Reference: adaptive integration (scipy's quad) of (1 - (1 + p t / R) ** -shape) / p
    # against the Beta(a, B) density, in u = p B so that the bulk sits at u ~ a. The
    # density is integrated unnormalised, u ** (a - 1) (1 - u / B) ** (B - 1), and both
    # integrals divided: the normalising beta function at huge B would cost digits.
    a, shape = 3.0, 5.0
    ratio = b_shifted / 100.0
    z = ratio / (1.0 + ratio)

    def density(u: float) -> float:
        return math.exp((a - 1.0) * math.log(u) + (b_shifted - 1.0) * math.log1p(-u / b_shifted))

    def integrand(u: float) -> float:
        p = u / b_shifted
        return -math.expm1(-shape * math.log1p(p * ratio)) / p * density(u)

    pieces = [(0.0, 1.0), (1.0, 3.0), (3.0, 10.0), (10.0, 30.0), (30.0, 100.0), (100.0, 300.0)]

    def integral(function: Callable[[float], float]) -> float:
        return sum(
            integrate.quad(function, low, high, epsabs=0.0, epsrel=1e-13, limit=200)[0]
            for low, high in pieces
        )

    reference = integral(integrand) / integral(density)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        factor = _factor_by_quadrature(a, shape, b_shifted, z)
    assert factor == pytest.approx(reference, rel=1e-12)


@pytest.mark.parametrize("b_shifted", [1e4, 1e6, 1e12, 1e100, 1e300])
def test_beta_rule_matches_the_mean_of_one_over_p(b_shifted: float) -> None:
    from loyaltymetrics._clv.models._bgnbd import _factor_by_quadrature

    # At t / R = inf the factor is E[1 / p] under Beta(a, B): B(a - 1, B) / B(a, B)
    # = (a + B - 1) / (a - 1) for a > 1 (the beta function's recurrence). a = 20 keeps
    # 1 / p smooth enough for the 300-node rule.
    a = 20.0
    expected = (a + b_shifted - 1.0) / (a - 1.0)
    assert _factor_by_quadrature(a, 1.0, b_shifted, 1.0) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("name", "shift"), [("BGNBDModel", 0.0), ("MBGNBDModel", 1.0)])
def test_expected_purchases_at_the_float_horizon_with_a_large_frequency(
    name: str, shift: float
) -> None:
    import warnings

    import numpy as np

    # Found by the fuzz test: at t = 1e308 with x > ~1000 the quadrature overflowed.
    # Reference, by hand: with T = t_x = 0, P(alive) = (b + x + shift - 1) / (a + b + x +
    # shift - 1) (FHL 2005 / Batislam et al. 2007 with equal recency and T), and at an
    # infinite horizon the factor is E[1 / p] = (a + b + x + shift - 1) / (a - 1), so
    # E[Y] = (b + x + shift - 1) / (a - 1).
    model = getattr(lm, name)(r=0.24, alpha=4.41, a=20.0, b=2.43)
    x = np.array([1028.0, 1e4, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.expected_purchases(1e308, x, np.zeros(3), np.zeros(3))
    expected = (model.b + x + shift - 1.0) / (model.a - 1.0)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # Frequencies stop at 2**53 (exact counts); a model's b can still be huge.
    huge_b = getattr(lm, name)(r=0.24, alpha=4.41, a=20.0, b=1e301)
    with pytest.raises(ValueError, match="`frequency` plus the model's `b` must be at most"):
        huge_b.expected_purchases(1e308, [1028.0], [0.0], [0.0])


@pytest.mark.parametrize("frequency", [2.0**53 + 2, 1e308])
def test_frequencies_beyond_exact_counts_are_refused(frequency: float) -> None:
    # Found by the fuzz test: BGNBDModel.probability_alive(1e308, 0, 1e6) warned
    # with an overflow. Beyond 2**53 a float64 no longer holds every count.
    model = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    with pytest.raises(ValueError, match="`frequency` must be whole numbers from 0 to 2\\*\\*53"):
        model.probability_alive([frequency], [1.0], [1e6])
    # 2**53 itself is a count: a finite probability, no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = model.probability_alive([2.0**53], [1.0], [1e6])
    assert np.all((alive >= 0.0) & (alive <= 1.0))
