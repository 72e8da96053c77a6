"""Intervals of predicted customer value, the model summary table and convergence warnings.

Where each expected number comes from:

* delta-method standard errors: checked against a Monte Carlo computed here,
  independently of the library's code path, by drawing the log-parameters
  from the fits' normal approximation and valuing customers with the point
  prediction for every draw;
* the bootstrap over pattern counts: checked against the delta method (two
  different approximations of the same sampling variance);
* the simulated futures behind prediction intervals: their mean must equal
  the models' closed-form expected purchases and value (Fader, Hardie & Lee
  2005 eq. 10; Fader & Hardie 2005 eq. 28; Batislam et al. 2007; Fader,
  Hardie & Shang 2010 eq. 13) within Monte Carlo error;
* the summary table: AIC and BIC by their textbook definitions
  (``2k - 2 LL``, ``k log n - 2 LL``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import loyaltymetrics as lm
from loyaltymetrics._clv._formulas import _value_problem
from loyaltymetrics._clv._simulate import simulate_bgbb, simulate_gamma_gamma
from loyaltymetrics.datasets import load_transactions


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return lm.rfm_summary(
        load_transactions(as_frame="pandas"),
        customer="customer_id",
        time="date",
        value="amount",
        period="week",
    )


@pytest.fixture(scope="module")
def models(summary):
    purchases = lm.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    spend = lm.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    return purchases, spend


def value(purchases, spend, summary, **options):
    return lm.predicted_clv(purchases, spend, summary, horizon=52.0, discount_rate=0.002, **options)


def test_series_output_carries_the_customer_ids(summary, models) -> None:
    out = value(*models, summary)
    assert isinstance(out, pd.Series)
    assert out.index.name == "customer_id"
    assert list(out.index[:2]) == ["C0001", "C0002"]
    arrays = lm.predicted_clv(
        *models,
        summary["frequency"].to_numpy(),
        summary["recency"].to_numpy(),
        summary["T"].to_numpy(),
        summary["monetary_value"].to_numpy(),
        horizon=52.0,
        discount_rate=0.002,
    )
    assert isinstance(arrays, np.ndarray)
    np.testing.assert_allclose(out.to_numpy(), arrays, rtol=1e-12)
    series = lm.predicted_clv(
        *models,
        summary["frequency"],
        summary["recency"],
        summary["T"],
        summary["monetary_value"],
        horizon=52.0,
        discount_rate=0.002,
    )
    pd.testing.assert_index_equal(series.index, summary.index)
    polars = value(*models, pl.from_pandas(summary))
    assert isinstance(polars, pl.Series)
    np.testing.assert_allclose(polars.to_numpy(), arrays, rtol=1e-12)


def test_delta_method_agrees_with_monte_carlo_over_parameters(summary, models) -> None:
    purchases, spend = models
    result = value(purchases, spend, summary, interval="parameter", confidence_level=0.9)
    assert result.method == "delta"
    assert np.all(result.low < result.value)
    assert np.all(result.value < result.high)
    np.testing.assert_allclose(result.value, value(purchases, spend, summary), rtol=1e-12)
    # Monte Carlo: log-parameters from the normal approximation of each fit.
    rng = np.random.default_rng(5)
    draws = 200
    log_p = rng.multivariate_normal(purchases._log_params, purchases._covariance, draws)
    log_s = rng.multivariate_normal(spend._log_params, spend._covariance, draws)
    values = np.array(
        [
            value(
                lm.BGNBDModel(*np.exp(a)),
                lm.GammaGammaModel(*np.exp(b)),
                summary,
            ).to_numpy()
            for a, b in zip(log_p, log_s, strict=True)
        ]
    )
    z = 1.6448536269514722  # 95% normal quantile
    delta_se = np.log(result.high / result.value) / z
    mc_se = np.log(values).std(axis=0)
    # 200 draws estimate a standard deviation to about 5% (1 / sqrt(2 * 200)).
    np.testing.assert_allclose(delta_se, mc_se, rtol=0.15)
    total_se = np.log(result.total_interval.high / result.total) / z
    assert total_se == pytest.approx(np.log(values.sum(axis=1)).std(), rel=0.15)
    # The total's interval is its own: narrower (relative) than the customers' limits summed.
    assert result.total_interval.high < result.high.sum()


def test_bootstrap_agrees_with_the_delta_method(summary, models) -> None:
    delta = value(*models, summary, interval="parameter")
    boot = value(*models, summary, interval="parameter", method="bootstrap", n_draws=60, rng=3)
    assert boot.method == "bootstrap"
    assert boot.n_draws == 60
    width_delta = delta.total_interval.high - delta.total_interval.low
    width_boot = boot.total_interval.high - boot.total_interval.low
    assert width_boot == pytest.approx(width_delta, rel=0.3)
    np.testing.assert_allclose(boot.high - boot.low, delta.high - delta.low, rtol=0.4)


def test_same_seed_same_interval(summary, models) -> None:
    first = value(*models, summary, interval="prediction", n_draws=50, rng=11)
    second = value(*models, summary, interval="prediction", n_draws=50, rng=11)
    np.testing.assert_array_equal(first.high, second.high)
    assert first.total_interval == second.total_interval


def test_prediction_interval_is_wider_and_starts_at_zero_for_likely_non_buyers(
    summary, models
) -> None:
    parameter = value(*models, summary, interval="parameter")
    prediction = value(*models, summary, interval="prediction", n_draws=300, rng=2)
    # Customers sure to buy: process variation widens the interval on both sides.
    buyers = prediction.low > 0
    assert buyers.sum() >= 10
    assert np.all(prediction.high[buyers] >= parameter.high[buyers])
    assert np.all(prediction.low[buyers] <= parameter.low[buyers])
    # Customers unlikely to buy at all get [0, 0] (their chance of no purchase
    # exceeds the confidence level): they are the low-value ones.
    zero = prediction.high == 0.0
    assert zero.any()
    assert prediction.value[zero].mean() < 0.5 * prediction.value.mean()
    assert prediction.total_interval.low < parameter.total_interval.low
    assert prediction.total_interval.high > parameter.total_interval.high
    assert np.all(prediction.low >= 0.0)
    frame = prediction.to_frame()
    assert list(frame.columns) == ["customer_id", "clv", "low", "high"]
    assert prediction.to_frame(backend="polars").height == 800
    assert "CLVPrediction(total=" in repr(prediction)
    assert "<table>" in prediction._repr_html_()


def _fixed(model):
    """The model with a zero covariance: draws of its parameters are the estimate itself."""
    k = len(model._parameters)
    return type(model)(
        **{name: getattr(model, name) for name in model._parameters},
        _covariance=np.zeros((k, k)),
    )


@pytest.mark.parametrize(
    "purchases",
    [
        lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43),
        lm.ParetoNBDModel(r=0.55, alpha=10.58, s=0.61, beta=11.67),
        lm.MBGNBDModel(r=0.53, alpha=6.18, a=0.89, b=1.61),
    ],
    ids=["bgnbd", "pareto_nbd", "mbgnbd"],
)
def test_simulated_futures_have_the_closed_form_mean(purchases) -> None:
    spend = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45)
    x = np.array([0.0, 1.0, 2.0, 7.0])
    t_x = np.array([0.0, 30.0, 5.0, 36.0])
    big_t = np.full(4, 38.9)
    m = np.array([0.0, 20.0, 35.0, 40.0])
    problem = _value_problem(purchases, spend, (x, t_x, big_t, m), 39.0, 0.003, 13.0, 1.0)
    generator = np.random.default_rng(0)
    draws = np.array([problem.simulate(purchases, spend, generator) for _ in range(8000)])
    expected = problem.values(purchases, spend)
    standard_error = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - expected) < 4.5 * standard_error)


def test_bgbb_simulated_futures_have_the_closed_form_mean() -> None:
    purchases = lm.BGBBModel(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    spend = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45)
    x, t_x, n = (np.array(v) for v in ([0.0, 3.0, 3.0, 6.0], [0.0, 3.0, 6.0, 6.0], [6.0] * 4))
    m = np.array([0.0, 20.0, 35.0, 40.0])
    problem = _value_problem(purchases, spend, (x, t_x, n, m), 5.0, 0.05, 1.0, 1.0)
    generator = np.random.default_rng(1)
    draws = np.array([problem.simulate(purchases, spend, generator) for _ in range(8000)])
    expected = problem.values(purchases, spend)
    standard_error = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - expected) < 4.5 * standard_error)


def test_every_purchase_model_gets_intervals() -> None:
    x, t_x, n = simulate_bgbb(2000, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, n_periods=6, rng=0)
    m = simulate_gamma_gamma(x, p=6.0, q=4.0, v=15.0, rng=1)
    purchases = lm.fit_bgbb(x, t_x, n)
    spend = lm.fit_gamma_gamma(x, m)
    result = lm.predicted_clv(
        purchases, spend, x, t_x, n, m, horizon=5.0, discount_rate=0.05, interval="parameter"
    )
    assert result.total_interval.low < result.total < result.total_interval.high
    boot = lm.predicted_clv(
        purchases,
        spend,
        x,
        t_x,
        n,
        m,
        horizon=5.0,
        discount_rate=0.05,
        interval="parameter",
        method="bootstrap",
        n_draws=40,
        rng=0,
    )
    assert boot.total_interval.low < boot.total < boot.total_interval.high


def test_interval_errors(summary, models) -> None:
    given = lm.BGNBDModel(r=0.24, alpha=4.41, a=0.79, b=2.43)
    with pytest.raises(ValueError, match="`purchase_model` has no covariance"):
        value(given, models[1], summary, interval="parameter")
    with pytest.raises(ValueError, match="built from parameters given directly"):
        value(given, models[1], summary, interval="parameter", method="bootstrap", n_draws=2)
    with pytest.raises(ValueError, match="`interval` must be one of"):
        value(*models, summary, interval="params")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="`method` must be one of"):
        value(*models, summary, interval="parameter", method="jackknife")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`confidence_level`"):
        value(*models, summary, interval="parameter", confidence_level=1.5)
    with pytest.raises(ValueError, match="missing \\['monetary_value'\\]"):
        value(*models, summary.drop(columns="monetary_value"))
    with pytest.raises(TypeError, match="or one table"):
        lm.predicted_clv(*models, [1], [1.0], horizon=1.0, discount_rate=0.0)


def test_summary_table(models) -> None:
    purchases, _ = models
    table = purchases.summary(confidence_level=0.9)
    assert list(table["parameter"]) == ["r", "alpha", "a", "b"]
    np.testing.assert_allclose(
        table["estimate"], [purchases.r, purchases.alpha, purchases.a, purchases.b]
    )
    np.testing.assert_allclose(table["standard_error"], list(purchases.standard_errors.values()))
    assert np.all(table["low"] < table["estimate"])
    assert np.all(table["estimate"] < table["high"])
    k, n, ll = 4, purchases.n_customers, purchases.log_likelihood
    assert table["aic"].iloc[0] == pytest.approx(2 * k - 2 * ll)
    assert table["bic"].iloc[0] == pytest.approx(k * np.log(n) - 2 * ll)
    assert bool(table["converged"].all())
    given = lm.GammaGammaModel(p=6.25, q=3.74, v=15.45).summary(backend="polars")
    assert given["low"].is_nan().all()


def test_ridge_runaway_warns_for_every_model() -> None:
    # No sign of dropout: the dropout parameters of every model run off together.
    x = np.full(200, 10.0)
    big_t = np.full(200, 20.0)
    for fit in (lm.fit_bgnbd, lm.fit_pareto_nbd, lm.fit_mbgnbd):
        with pytest.warns(lm.ConvergenceWarning):
            model = fit(x, big_t.copy(), big_t)
        assert not model.converged


def test_one_customer_given_as_scalars(models) -> None:
    purchases, spend = models
    point = lm.predicted_clv(
        purchases, spend, 2, 30.0, 52.0, 20.0, horizon=10.0, discount_rate=0.01
    )
    result = lm.predicted_clv(
        purchases,
        spend,
        2,
        30.0,
        52.0,
        20.0,
        horizon=10.0,
        discount_rate=0.01,
        interval="parameter",
    )
    assert result.n_customers == 1
    assert result.value[0] == pytest.approx(float(point), rel=1e-12)
    assert result.total == pytest.approx(float(point), rel=1e-12)
    # One customer: the total's interval is the customer's own.
    assert result.total_interval.low == pytest.approx(result.low[0], rel=1e-9)
    assert result.total_interval.high == pytest.approx(result.high[0], rel=1e-9)


def test_blocks_of_customers_give_the_same_bootstrap_interval(summary, models, monkeypatch) -> None:
    import loyaltymetrics._clv._value as value_module

    options = {"interval": "parameter", "method": "bootstrap", "n_draws": 6, "rng": 4}
    whole = value(*models, summary, **options)
    monkeypatch.setattr(value_module, "_BLOCK_VALUES", 6 * 97)  # blocks of 97 customers
    blocked = value(*models, summary, **options)
    np.testing.assert_allclose(blocked.low, whole.low, rtol=1e-12)
    np.testing.assert_allclose(blocked.high, whole.high, rtol=1e-12)
    assert blocked.total_interval.low == pytest.approx(whole.total_interval.low, rel=1e-12)
    prediction = value(*models, summary, interval="prediction", n_draws=20, rng=4)
    assert prediction.n_draws == 20
    assert np.all(prediction.low <= prediction.high)
