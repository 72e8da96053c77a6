"""Tests of the shared maximum-likelihood machinery of the customer-base models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyaltymetrics._clv._fitting import (
    check_history,
    collapse_patterns,
    fit_log_parameters,
    numerical_gradient,
)


def poisson_objective(counts: np.ndarray, exposure: np.ndarray):
    """Mean negative Poisson log-likelihood over log(rate) (constants dropped)."""

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        rate = np.exp(log_params[0])
        value = np.mean(rate * exposure - counts * log_params[0])
        gradient = np.array([np.mean(rate * exposure - counts)])
        return float(value), gradient

    return objective


def test_poisson_rate_matches_closed_form() -> None:
    # Closed form: the Poisson MLE is sum(counts) / sum(exposure); its standard
    # error from the observed information is sqrt(rate / sum(exposure)).
    counts = np.array([3.0, 0.0, 5.0, 2.0, 1.0])
    exposure = np.array([1.0, 2.0, 1.5, 1.0, 0.5])
    fit = fit_log_parameters(poisson_objective(counts, exposure), [np.zeros(1)], total_weight=5)
    rate = counts.sum() / exposure.sum()
    assert fit.converged
    assert fit.params[0] == pytest.approx(rate, rel=1e-8)
    assert fit.standard_errors[0] == pytest.approx(np.sqrt(rate / exposure.sum()), rel=1e-5)
    # log-likelihood without the constant terms: -rate * sum(exposure) + sum(counts) * log(rate)
    expected_ll = -rate * exposure.sum() + counts.sum() * np.log(rate)
    assert fit.log_likelihood == pytest.approx(expected_ll, rel=1e-10)


def test_maximum_at_the_boundary_is_not_converged() -> None:
    # With no events at all the Poisson MLE is rate = 0, outside the parameter space.
    counts = np.zeros(4)
    exposure = np.ones(4)
    fit = fit_log_parameters(poisson_objective(counts, exposure), [np.zeros(1)], total_weight=4)
    assert not fit.converged
    assert np.isnan(fit.standard_errors).all()
    assert "0 or" in fit.message


def test_unevaluable_objective_is_not_converged() -> None:
    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        return float("nan"), np.array([float("nan")])

    fit = fit_log_parameters(objective, [np.zeros(1)], total_weight=1)
    assert not fit.converged
    assert np.isnan(fit.standard_errors).all()


def test_second_start_is_used_when_the_first_fails() -> None:
    counts = np.array([2.0, 4.0])
    exposure = np.array([1.0, 1.0])
    objective = poisson_objective(counts, exposure)
    # The first start sits on the upper bound, where the gradient cannot be evaluated.
    fit = fit_log_parameters(objective, [np.array([1e6]), np.zeros(1)], total_weight=2)
    assert fit.converged
    assert fit.params[0] == pytest.approx(3.0, rel=1e-8)


def test_collapse_patterns_sums_weights() -> None:
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    y = np.array([2.0, 0.0, 2.0, 3.0, 0.0])
    (ux, uy), weights = collapse_patterns(x, y, weights=np.array([1.0, 2.0, 0.5, 1.0, 0.0]))
    # Hand count: (0, 0) -> 2 + 0, (1, 2) -> 1 + 0.5, (1, 3) -> 1.
    np.testing.assert_array_equal(ux, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(uy, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(weights, [2.0, 1.5, 1.0])


def test_collapse_patterns_drops_zero_weight_patterns() -> None:
    (ux,), weights = collapse_patterns(np.array([1.0, 2.0]), weights=np.array([0.0, 3.0]))
    np.testing.assert_array_equal(ux, [2.0])
    np.testing.assert_array_equal(weights, [3.0])


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=40
    )
)
def test_collapse_patterns_agrees_with_numpy_unique(rows: list[tuple[int, int, int]]) -> None:
    data = np.array(rows, dtype=np.float64)
    columns, weights = collapse_patterns(data[:, 0], data[:, 1], data[:, 2])
    unique, counts = np.unique(data, axis=0, return_counts=True)
    np.testing.assert_array_equal(np.column_stack(columns), unique)
    np.testing.assert_array_equal(weights, counts)


def test_check_history_rules() -> None:
    x, t_x, big_t = check_history([0, 2], [0.0, 3.0], [5.0, 5.0])
    np.testing.assert_array_equal(x, [0.0, 2.0])
    np.testing.assert_array_equal(t_x, [0.0, 3.0])
    np.testing.assert_array_equal(big_t, [5.0, 5.0])
    with pytest.raises(ValueError, match="`frequency` must be whole numbers"):
        check_history([1.5], [1.0], [2.0])
    with pytest.raises(ValueError, match="`frequency` must be whole numbers"):
        check_history([-1], [0.0], [2.0])
    with pytest.raises(ValueError, match="must not exceed `T`"):
        check_history([1], [3.0], [2.0])
    with pytest.raises(ValueError, match="`recency` must be >= 0"):
        check_history([1], [-1.0], [2.0])
    with pytest.raises(ValueError, match="`recency` must be 0 for customers with `frequency` 0"):
        check_history([0], [1.0], [2.0])
    with pytest.raises(ValueError, match="`T` must be finite"):
        check_history([0], [0.0], [np.nan])
    with pytest.raises(ValueError, match="same length"):
        check_history([0, 1], [0.0, 1.0, 2.0], [3.0])
    with pytest.raises(TypeError, match="`frequency` must be numeric"):
        check_history(True, 0.0, 1.0)
    with pytest.raises(TypeError, match="`recency`"):
        check_history([1], ["a"], [1.0])


@pytest.mark.parametrize("max_keys", [2**62, 1], ids=["integer-key", "row-sort"])
def test_group_rows_any_dtype_and_both_strategies(monkeypatch, max_keys: int) -> None:
    import loyaltymetrics._clv._fitting as fitting

    monkeypatch.setattr(fitting, "_MAX_KEYS", max_keys)
    ids = np.array(["b", "a", "b", "c", "a", "b"])
    period = np.array([3.0, 1.0, 3.0, 0.5, 2.0, 1.0])
    (distinct_ids, distinct_period), group = fitting.group_rows(ids, period)
    # Hand-sorted distinct (id, period): (a, 1), (a, 2), (b, 1), (b, 3), (c, 0.5)
    np.testing.assert_array_equal(distinct_ids, ["a", "a", "b", "b", "c"])
    np.testing.assert_array_equal(distinct_period, [1.0, 2.0, 1.0, 3.0, 0.5])
    np.testing.assert_array_equal(group, [3, 0, 3, 4, 1, 2])


def test_numerical_gradient_matches_the_analytic_one() -> None:
    # The Poisson objective has an analytic gradient; the central-difference
    # version built from its value alone must agree to ~1e-9.
    counts = np.array([3.0, 0.0, 5.0, 2.0, 1.0])
    exposure = np.array([1.0, 2.0, 1.5, 1.0, 0.5])
    analytic = poisson_objective(counts, exposure)
    numeric = numerical_gradient(lambda point: analytic(point)[0])
    for value in (-2.0, 0.0, 1.5):
        point = np.array([value])
        assert numeric(point)[0] == analytic(point)[0]
        np.testing.assert_allclose(numeric(point)[1], analytic(point)[1], rtol=1e-8, atol=1e-9)
    fit = fit_log_parameters(numeric, [np.zeros(1)], total_weight=5)
    assert fit.converged
    assert fit.params[0] == pytest.approx(counts.sum() / exposure.sum(), rel=1e-7)
