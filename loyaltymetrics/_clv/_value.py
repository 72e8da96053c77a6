"""Predicted customer value and its uncertainty: parameter and prediction intervals.

The value of customer ``i`` over a horizon cut into steps ending at
``t_1 < ... < t_K`` is

``v_i = margin * S_i(phi) * D_i(theta)``,
``D_i = sum_k (E[Y_i(t_k)] - E[Y_i(t_{k-1})]) / (1 + rate) ** t_k``,

with ``S_i`` the spend model's expected spend per purchase (parameters
``phi``) and ``E[Y_i(t)]`` the purchase model's expected purchases in the next
``t`` given the history (parameters ``theta``). The two models are fitted
separately (the Gamma-Gamma model assumes spend independent of the purchase
process), so their estimates are treated as independent.

Parameter intervals (the uncertainty of ``v_i`` as an *expected* value):

* ``method="delta"``: the delta method on the log scale. With ``g_i`` the
  gradient of ``log |v_i|`` in the log-parameters (forward differences, one
  extra evaluation per parameter) and ``Sigma`` the fits' covariance of the
  log-parameters, ``se(log v_i) = sqrt(g_i' Sigma g_i)`` and the interval is
  ``v_i * exp(-+ z se)``. The total ``V = sum_i v_i`` has gradient
  ``sum_i v_i g_i`` and its own interval (not the sum of the customers'
  limits).
* ``method="bootstrap"``: each model is refitted on a multinomial resample of
  the counts of its distinct data patterns (the count bootstrap: resampling
  customers is resampling the pattern counts), and the percentile interval of
  the replicates' values is reported.

Prediction intervals (the range of what the customer will actually bring) are
simulated: each draw takes parameters (from the normal approximation of the
log-parameters, or a bootstrap refit), draws each customer's latent state
given their history (alive or not, purchase and dropout rates from their
posterior), simulates the purchases of every step, and the value of those
purchases from the spend model's posterior (Fader, Hardie & Lee 2005; Fader &
Hardie 2013, eq. 4: ``nu | x, m_x ~ Gamma(q + p x, v + x m_x)``, each
purchase ``Gamma(p, nu)``). The interval is the percentile interval of the
draws; where the chance of no purchase at all is at least ``(1 -
confidence_level) / 2``, it starts at 0 and ends at the ``confidence_level``
quantile (an equal-tailed interval would over-cover by the atom at 0).

Simulated intervals (the bootstrap and prediction intervals) work through
blocks of customers: a block's draws are reduced to its limits and its share
of each draw's total, then discarded, so memory stays bounded (about 160 MB
of draws) whatever the number of customers.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special

from loyaltymetrics._engine._fitting import ConvergenceWarning, FittedModel, FloatArray
from loyaltymetrics._engine._results import ConfidenceInterval, TabularResult

__all__ = ["CLVPrediction", "IntervalKind", "IntervalMethod", "ValueProblem", "value_interval"]

IntervalKind = Literal["parameter", "prediction"]
IntervalMethod = Literal["delta", "bootstrap"]
# Forward-difference step in the log-parameters for the delta method: the
# relative error of the gradient is about this size, far below what matters
# for a standard error.
_DELTA_STEP = 1e-5
# Draws held in memory at once by the simulated intervals (customers x draws):
# 160 MB of float64.
_BLOCK_VALUES = 20_000_000


@dataclass(frozen=True, repr=False)
class CLVPrediction(TabularResult):
    """Predicted customer value with an interval per customer and for the total.

    Attributes
    ----------
    value : numpy.ndarray
        Expected discounted value of each customer (as
        :func:`predicted_clv` with ``interval=None``).
    low, high : numpy.ndarray
        Each customer's interval.
    total : float
        The customer equity: the sum of ``value``.
    total_interval : ConfidenceInterval
        Interval of the total (computed for the total, not the sum of the
        customers' limits).
    interval : {"parameter", "prediction"}
        What the intervals describe: the uncertainty of the expected value
        from the estimated parameters, or the range of the realised value.
    method : {"delta", "bootstrap"}
        How parameter uncertainty was taken into account.
    confidence_level : float
        Coverage of the intervals.
    n_draws : int
        Bootstrap replicates or simulated futures (0 for the delta method).
    n_customers : int
        Number of customers valued.
    """

    value: FloatArray
    low: FloatArray
    high: FloatArray
    total: float
    total_interval: ConfidenceInterval
    interval: str
    method: str
    confidence_level: float
    n_draws: int
    n_customers: int
    _ids: Any = None
    _id_name: str = "customer"

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "total",
        "total_interval",
        "interval",
        "method",
        "confidence_level",
        "n_customers",
    )

    def _table(self) -> dict[str, Any]:
        ids = np.arange(self.n_customers) if self._ids is None else np.asarray(self._ids)
        return {self._id_name: ids, "clv": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class ValueProblem:
    """Everything needed to value customers: models, histories and the cash-flow grid."""

    purchase_model: Any
    spend_model: Any
    x: FloatArray
    t_x: FloatArray
    big_t: FloatArray
    monetary: FloatArray
    ends: FloatArray
    rate: float
    margin: float

    def as_vectors(self) -> ValueProblem:
        """Return the problem with every history one-dimensional (a scalar is one customer)."""
        x, t_x, big_t, monetary = (
            np.atleast_1d(v).reshape(-1) for v in (self.x, self.t_x, self.big_t, self.monetary)
        )
        return dataclasses.replace(self, x=x, t_x=t_x, big_t=big_t, monetary=monetary)

    def block(self, rows: slice) -> ValueProblem:
        """Return the problem for a block of the customers."""
        return dataclasses.replace(
            self,
            x=self.x[rows],
            t_x=self.t_x[rows],
            big_t=self.big_t[rows],
            monetary=self.monetary[rows],
        )

    def discounted_purchases(self, model: Any) -> FloatArray:
        """``D_i``: the discounted expected purchases of every customer."""
        total = np.zeros(self.x.shape)
        previous = np.zeros(self.x.shape)
        for end in self.ends:
            cumulative = np.asarray(
                model.expected_purchases(float(end), self.x, self.t_x, self.big_t),
                dtype=np.float64,
            )
            total += (cumulative - previous) / (1.0 + self.rate) ** end
            previous = cumulative
        return total

    def spend(self, model: Any) -> FloatArray:
        """``S_i``: expected spend per purchase of every customer."""
        out = np.asarray(model.expected_spend(self.x, self.monetary), dtype=np.float64)
        return np.broadcast_to(out, self.x.shape)

    def values(self, purchase: Any, spend: Any) -> FloatArray:
        """Return the expected discounted value of every customer under the given models."""
        out: FloatArray = self.margin * self.spend(spend) * self.discounted_purchases(purchase)
        return out

    def simulate(self, purchase: Any, spend: Any, generator: np.random.Generator) -> FloatArray:
        """One simulated realised value of every customer under the given models."""
        counts = purchase._simulate_future(generator, self.x, self.t_x, self.big_t, self.ends)
        amounts = spend._simulate_spend(generator, self.x, self.monetary, counts)
        discount = (1.0 + self.rate) ** -self.ends
        out: FloatArray = self.margin * np.sum(amounts * discount[:, None], axis=0)
        return out


def _covariance(model: FittedModel, *, name: str) -> FloatArray:
    covariance = model._covariance
    if covariance is None or not np.all(np.isfinite(covariance)):
        raise ValueError(
            f"`{name}` has no covariance of its estimates (its parameters were given "
            "directly, or its fit did not converge): intervals need a converged fit"
        )
    return covariance


def _log_gradient(
    evaluate: Callable[[Any], FloatArray], model: FittedModel, base: FloatArray
) -> FloatArray:
    """``d log|f_i| / d log theta_j`` by forward differences: a (parameters, customers) array."""
    point = model._log_params
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        log_base = np.log(np.abs(base))
        for j in range(point.shape[0]):
            shifted = point.copy()
            shifted[j] += _DELTA_STEP
            moved = evaluate(model._with_log_params(shifted))
            rows.append(np.where(base == 0, 0.0, (np.log(np.abs(moved)) - log_base) / _DELTA_STEP))
    return np.array(rows)


def _delta(problem: ValueProblem, level: float) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Delta-method intervals: per-customer (value, low, high) and the total's log-scale se."""
    purchase, spend = problem.purchase_model, problem.spend_model
    cov_purchase = _covariance(purchase, name="purchase_model")
    cov_spend = _covariance(spend, name="spend_model")
    discounted = problem.discounted_purchases(purchase)
    per_purchase = problem.spend(spend)
    value = problem.margin * per_purchase * discounted
    g_purchase = _log_gradient(problem.discounted_purchases, purchase, discounted)
    g_spend = _log_gradient(problem.spend, spend, per_purchase)
    variance = np.einsum("ki,kl,li->i", g_purchase, cov_purchase, g_purchase) + np.einsum(
        "ki,kl,li->i", g_spend, cov_spend, g_spend
    )
    z = float(special.ndtri(0.5 + level / 2.0))
    spread = np.exp(z * np.sqrt(np.maximum(variance, 0.0)))
    low = np.minimum(value / spread, value * spread)
    high = np.maximum(value / spread, value * spread)
    total = float(np.sum(value))
    total_purchase = g_purchase @ value
    total_spend = g_spend @ value
    total_variance = float(
        total_purchase @ cov_purchase @ total_purchase + total_spend @ cov_spend @ total_spend
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        total_log_se = np.sqrt(max(total_variance, 0.0)) / abs(total) if total else 0.0
    return value, low, high, float(total_log_se)


def _quietly_refit(model: Any, generator: np.random.Generator) -> Any:
    """Refit a model on a multinomial resample of its pattern counts; None if it fails."""
    data = model._data
    if data is None:
        raise ValueError(
            f"the bootstrap needs models fitted by this library; {type(model).__name__} was "
            "built from parameters given directly"
        )
    *columns, weights = data
    total = weights.sum()
    counts = generator.multinomial(max(round(float(total)), 1), weights / total)
    keep = counts > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refitted = model._refit([column[keep] for column in columns], counts[keep].astype(float))
    return refitted if refitted.converged else None


def _parameter_draws(
    problem: ValueProblem, method: IntervalMethod, n_draws: int, generator: np.random.Generator
) -> list[tuple[Any, Any]]:
    """Pairs of (purchase, spend) models drawn to carry the parameter uncertainty."""
    purchase, spend = problem.purchase_model, problem.spend_model
    if method == "bootstrap":
        draws = []
        for _ in range(n_draws):
            pair = (_quietly_refit(purchase, generator), _quietly_refit(spend, generator))
            if pair[0] is not None and pair[1] is not None:
                draws.append(pair)
        if not draws:
            raise ValueError("no bootstrap refit converged; the fits are not determined")
        return draws
    cov_purchase = _covariance(purchase, name="purchase_model")
    cov_spend = _covariance(spend, name="spend_model")
    log_purchase = generator.multivariate_normal(purchase._log_params, cov_purchase, n_draws)
    log_spend = generator.multivariate_normal(spend._log_params, cov_spend, n_draws)
    return [
        (purchase._with_log_params(a), spend._with_log_params(b))
        for a, b in zip(log_purchase, log_spend, strict=True)
    ]


def _percentiles(draws: FloatArray, level: float, *, atom_at_zero: bool) -> tuple[Any, Any]:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    if atom_at_zero:
        no_purchase = np.mean(draws == 0.0, axis=0) >= tail
        upper = np.quantile(draws, level, axis=0)
        low = np.where(no_purchase, 0.0, low)
        high = np.where(no_purchase, upper, high)
    return low, high


def value_interval(
    problem: ValueProblem,
    *,
    interval: IntervalKind,
    method: IntervalMethod,
    level: float,
    n_draws: int,
    generator: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray, float, ConfidenceInterval, int]:
    """Per-customer value and interval, the total and its interval, and the draws used."""
    if interval == "parameter" and method == "delta":
        value, low, high, total_log_se = _delta(problem, level)
        total = float(np.sum(value))
        z = float(special.ndtri(0.5 + level / 2.0))
        bounds = sorted((total * np.exp(-z * total_log_se), total * np.exp(z * total_log_se)))
        return value, low, high, total, ConfidenceInterval(bounds[0], bounds[1]), 0
    value = problem.values(problem.purchase_model, problem.spend_model)
    pairs = _parameter_draws(problem, method, n_draws, generator)
    low, high = np.empty_like(value), np.empty_like(value)
    totals = np.zeros(len(pairs))
    # Customers in blocks, so that the draws held at once stay bounded
    # (about _BLOCK_VALUES floats) however many customers there are.
    block = max(1, _BLOCK_VALUES // len(pairs))
    for start in range(0, value.shape[0], block):
        part = problem.block(slice(start, start + block))
        if interval == "parameter":
            draws = np.array([part.values(purchase, spend) for purchase, spend in pairs])
        else:
            draws = np.array(
                [part.simulate(purchase, spend, generator) for purchase, spend in pairs]
            )
        low[start : start + block], high[start : start + block] = _percentiles(
            draws, level, atom_at_zero=interval == "prediction"
        )
        totals += draws.sum(axis=1)
    tail = (1.0 - level) / 2.0
    total_low, total_high = np.quantile(totals, [tail, 1.0 - tail])
    return (
        value,
        low,
        high,
        float(np.sum(value)),
        ConfidenceInterval(float(total_low), float(total_high)),
        len(pairs),
    )
