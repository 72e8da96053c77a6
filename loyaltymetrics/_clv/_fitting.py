"""Shared maximum-likelihood machinery for the customer-base models.

Every model here (BG/NBD, Gamma-Gamma, and the models built on the same base)
is fitted the same way:

1. **Reduce.** Customers are collapsed to their distinct data patterns, e.g.
   distinct ``(frequency, recency, T)`` rows, each with the total weight of the
   customers that share it (:func:`collapse_patterns`). The likelihood is a
   weighted sum over patterns, so the cost of a fit grows with the number of
   distinct patterns, not with the number of customers.
2. **Infer.** The negative log-likelihood, averaged per unit weight, is
   minimised over the *logarithms* of the (positive) parameters with
   :func:`scipy.optimize.minimize` (L-BFGS-B, analytic gradient), from one or
   more starting points (:func:`fit_log_parameters`). The Hessian at the
   optimum is taken by central differences of the analytic gradient; its
   inverse is the covariance of the log-parameters, and the delta method gives
   standard errors on the natural scale, ``se(theta) = theta * se(log theta)``.

A fit is reported as converged only when the optimiser says so, the gradient
is small, no parameter sits at the edge of the search box or beyond 1e-4 ..
1e4 in the fit's scaled units (an estimate running off to 0 or infinity means
the maximum is not attained), the Hessian is
positive definite, and no log-parameter has a standard error above 10 (a
likelihood that flat means the optimiser stopped on its way to 0 or infinity).
Anything else gives ``converged=False`` and NaN standard errors rather than a
silently wrong answer.

A model's objective is a callable ``objective(log_params) -> (value, gradient)``
returning the weighted *mean* negative log-likelihood and its gradient with
respect to the log-parameters.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from scipy import optimize

from loyaltymetrics._engine._results import Result
from loyaltymetrics._engine._validation import as_1d_array, check_weights

__all__ = [
    "FittedModel",
    "HistoryPatterns",
    "LogParameterFit",
    "Objective",
    "PurchaseModel",
    "SpendModel",
    "check_fit_weights",
    "check_history",
    "check_number",
    "collapse_history",
    "collapse_patterns",
    "fit_log_parameters",
    "fitted_fields",
    "group_rows",
    "model_array",
    "numerical_gradient",
    "shares_by_value",
    "standard_error_dict",
    "weighted_sum",
]

FloatArray = npt.NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# Search box for the log-parameters: exp(+-30) spans 1e-13 .. 1e13. An estimate
# that ends within _EDGE of it has run away towards 0 or infinity.
_LOG_BOUND = 30.0
_EDGE = 1.0
# In the scaled units of a fit (times and money rescaled to order 1) a shape or
# scale parameter beyond 1e-4 .. 1e4 describes a degenerate limit (a point
# mass, no heterogeneity): the likelihood is still creeping towards the edge of
# the parameter space, where the optimiser stopped because it became flat.
_EXTREME = math.log(1e4)
# A converged fit has a mean-gradient no larger than this in any log-parameter.
_GRADIENT_TOLERANCE = 1e-4
_HESSIAN_STEP = 1e-4
# A log-parameter whose standard error exceeds this is not determined by the data:
# the likelihood is flat along it, typically because the maximum lies at 0 or
# infinity and the optimiser stopped on the way there.
_MAX_LOG_STANDARD_ERROR = 10.0
# group_rows combines column codes into one int64 key while this many
# combinations fit; beyond it, it sorts the rows of codes instead.
_MAX_KEYS = 2**62


@runtime_checkable
class PurchaseModel(Protocol):
    """What :func:`loyaltymetrics.predicted_clv` needs from a purchase model."""

    def expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> FloatArray:
        """Return the expected purchases in the next ``t`` time units, given each history."""
        ...  # pragma: no cover


@runtime_checkable
class SpendModel(Protocol):
    """What :func:`loyaltymetrics.predicted_clv` needs from a spend model."""

    def expected_spend(self, frequency: object, monetary_value: object) -> FloatArray:
        """Return the expected value of one future purchase, given each history."""
        ...  # pragma: no cover


@dataclass(frozen=True, repr=False, kw_only=True)
class FittedModel(Result):
    """Fields and behaviour shared by the fitted customer-base models.

    A model subclass declares its parameters as ordinary (positional) fields
    and lists their names in ``_parameters``; it inherits the fit summary
    fields below, the check that every parameter is a positive finite number,
    and a display that shows the parameters, the log-likelihood and
    ``converged``.
    """

    log_likelihood: float = float("nan")
    standard_errors: dict[str, float] = field(default_factory=dict)
    converged: bool = True
    n_customers: float = float("nan")
    message: str = "parameters given directly"
    _covariance: FloatArray | None = None

    _parameters: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._parameters:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise TypeError(f"`{name}` must be a positive number; got {value!r}")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"`{name}` must be a positive finite number; got {value!r}")
        if not self.standard_errors:
            object.__setattr__(
                self, "standard_errors", dict.fromkeys(self._parameters, float("nan"))
            )

    def _public_fields(self) -> list[str]:
        rest = [name for name in super()._public_fields() if name not in self._parameters]
        return [*self._parameters, *rest]

    def _shown_fields(self) -> list[str]:
        return [*self._parameters, "log_likelihood", "converged"]


def model_array(values: object, *, name: str) -> FloatArray:
    """Coerce a number or an array-like (any shape for numpy arrays) to float64.

    Missing values are not checked here; callers decide what they allow.
    """
    if isinstance(values, bool | np.bool_):
        raise TypeError(f"`{name}` must be numeric, not boolean")
    if isinstance(values, numbers.Real):
        return np.asarray(float(values))
    if isinstance(values, np.ndarray) and values.ndim != 1:
        if values.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must be numeric; got dtype {values.dtype}")
        return values.astype(np.float64, copy=False)
    return as_1d_array(values, name=name).astype(np.float64, copy=False)


def check_number(value: object, *, name: str, low: float, inclusive: bool) -> float:
    """Return a finite real scalar above ``low`` (or equal to it when ``inclusive``)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low or (number == low and not inclusive):
        bound = f">= {low:g}" if inclusive else f"> {low:g}"
        raise ValueError(f"`{name}` must be finite and {bound}; got {value!r}")
    return number


def _first_position(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask.reshape(-1))[0])


def check_history(
    frequency: object, recency: object, T: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a customer history ``(frequency, recency, T)``; arrays broadcast.

    ``frequency`` must be whole numbers >= 0, ``0 <= recency <= T``, and
    ``recency == 0`` whenever ``frequency == 0`` (the lifetimes convention: a
    customer with no repeat purchase has recency 0).
    """
    x = model_array(frequency, name="frequency")
    t_x = model_array(recency, name="recency")
    big_t = model_array(T, name="T")
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError as error:
        raise ValueError(
            "`frequency`, `recency` and `T` must have the same length (or broadcast); "
            f"got shapes {np.shape(x)}, {np.shape(t_x)} and {np.shape(big_t)}"
        ) from error
    for name, values in (("frequency", x), ("recency", t_x), ("T", big_t)):
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"`{name}` must be finite (missing values are not allowed); "
                f"found {values.reshape(-1)[_first_position(bad)]} at position "
                f"{_first_position(bad)}"
            )
    bad = (x < 0) | (x != np.floor(x))
    if bad.any():
        position = _first_position(bad)
        raise ValueError(
            "`frequency` must be whole numbers >= 0; "
            f"found {x.reshape(-1)[position]} at position {position}"
        )
    bad = t_x < 0
    if bad.any():
        position = _first_position(bad)
        raise ValueError(
            f"`recency` must be >= 0; found {t_x.reshape(-1)[position]} at position {position}"
        )
    bad = t_x > big_t
    if bad.any():
        position = _first_position(bad)
        raise ValueError(
            "`recency` must not exceed `T`; found recency "
            f"{t_x.reshape(-1)[position]} > T {big_t.reshape(-1)[position]} at position {position}"
        )
    bad = (x == 0) & (t_x != 0)
    if bad.any():
        position = _first_position(bad)
        raise ValueError(
            "`recency` must be 0 for customers with `frequency` 0; "
            f"found {t_x.reshape(-1)[position]} at position {position}"
        )
    return x, t_x, big_t


def group_rows(
    *columns: npt.NDArray[Any],
) -> tuple[tuple[npt.NDArray[Any], ...], npt.NDArray[np.intp]]:
    """Distinct rows of equal-length columns, and the group of every row.

    Each column is factorised (any sortable dtype: numbers, strings, dates),
    the codes are combined into one integer key per row (mixed radix), and
    the keys are sorted once: much faster than a lexicographic sort of the
    rows. Returns the distinct rows, one array per column, in lexicographic
    order, and for each input row the index of its distinct row.
    """
    n = columns[0].shape[0]
    levels: list[npt.NDArray[Any]] = []
    codes: list[npt.NDArray[np.intp]] = []
    for column in columns:
        distinct, code = np.unique(column, return_inverse=True)
        levels.append(distinct)
        codes.append(code.reshape(-1))
    sizes = tuple(max(level.shape[0], 1) for level in levels)
    if n == 0:
        return tuple(level[:0] for level in levels), np.zeros(0, dtype=np.intp)
    if math.prod(sizes) < _MAX_KEYS:
        key = np.ravel_multi_index(tuple(codes), sizes)
        distinct_keys, group = np.unique(key, return_inverse=True)
        row_codes = np.unravel_index(distinct_keys, sizes)
        rows = tuple(level[code] for level, code in zip(levels, row_codes, strict=True))
        return rows, group.reshape(-1)
    # More possible combinations than an int64 holds: sort the code rows instead.
    stacked = np.column_stack(codes)
    order = np.lexsort(stacked.T[::-1])
    starts = np.ones(n, dtype=bool)
    starts[1:] = (stacked[order][1:] != stacked[order][:-1]).any(axis=1)
    group = np.empty(n, dtype=np.intp)
    group[order] = np.cumsum(starts) - 1
    first_rows = order[starts]
    return tuple(level[code[first_rows]] for level, code in zip(levels, codes, strict=True)), group


def collapse_patterns(
    *columns: FloatArray, weights: FloatArray | None = None
) -> tuple[tuple[FloatArray, ...], FloatArray]:
    """Collapse rows to their distinct patterns, summing the weights of repeats.

    Parameters
    ----------
    *columns
        Equal-length one-dimensional float arrays; row ``i`` is the pattern
        ``(columns[0][i], columns[1][i], ...)``.
    weights
        Non-negative weight per row (default 1 each).

    Returns
    -------
    patterns, pattern_weights
        The distinct rows (one array per column, lexicographically sorted)
        and the summed weight of each; patterns of zero total weight are
        dropped.
    """
    patterns, group = group_rows(*(np.asarray(column, dtype=np.float64) for column in columns))
    row_weights = None if weights is None else np.asarray(weights, dtype=np.float64)
    pattern_weights = np.asarray(
        np.bincount(group, weights=row_weights, minlength=patterns[0].shape[0]), dtype=np.float64
    )
    keep = pattern_weights > 0
    return tuple(pattern[keep] for pattern in patterns), pattern_weights[keep]


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Return ``sum(weights * values)`` without BLAS.

    ``weights @ values`` goes through BLAS, whose threads can make each call
    thousands of times slower on a busy machine; the objectives call this
    dozens of times per evaluation.
    """
    return float(np.sum(weights * values))


def shares_by_value(values: FloatArray, share: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct ``values`` and the total ``share`` of each.

    Objective terms that depend on the frequency alone (gamma, beta and
    digamma functions) are evaluated once per distinct frequency and weighted
    by these totals.
    """
    distinct, position = np.unique(values, return_inverse=True)
    totals = np.asarray(np.bincount(position, weights=share), dtype=np.float64)
    return distinct, totals


@dataclass(frozen=True)
class HistoryPatterns:
    """Distinct ``(frequency, recency, T)`` patterns ready for a likelihood.

    Times are divided by ``scale`` (the weighted mean ``T``) so that rate
    parameters start near 1 whatever the caller's time unit; a fitted rate
    ``theta`` on this scale is ``theta * scale`` in the caller's unit.

    Attributes
    ----------
    x, t_x, big_t
        Frequency and the scaled recency and ``T`` of each distinct pattern.
    weights
        Total weight of the customers in each pattern.
    total_weight
        Sum of ``weights``.
    scale
        The time unit of ``t_x`` and ``big_t`` in the caller's unit.
    mean_rate
        Repeat purchases per scaled time unit (at least 1e-3), for starting values.
    """

    x: FloatArray
    t_x: FloatArray
    big_t: FloatArray
    weights: FloatArray
    total_weight: float
    scale: float
    mean_rate: float

    def log_likelihood_shift(self) -> float:
        """Add to a log-likelihood of scaled times to get it in the caller's time unit.

        Each purchase time has a density in 1 / time, so rescaling time by
        ``scale`` changes the likelihood by ``scale ** -x`` per customer.
        """
        return -math.log(self.scale) * weighted_sum(self.weights, self.x)


def collapse_history(
    frequency: object, recency: object, T: object, weights: object
) -> HistoryPatterns:
    """Validate one-dimensional histories and collapse them to scaled distinct patterns."""
    x, t_x, big_t = check_history(frequency, recency, T)
    if x.ndim != 1:
        raise ValueError("`frequency`, `recency` and `T` must be one-dimensional arrays")
    n = x.shape[0]
    if n == 0:
        raise ValueError("`frequency` must contain at least one customer; got an empty array")
    row_weights = check_fit_weights(weights, n=n)
    (x, t_x, big_t), pattern_weights = collapse_patterns(x, t_x, big_t, weights=row_weights)
    total_weight = float(pattern_weights.sum())
    scale = weighted_sum(pattern_weights, big_t) / total_weight
    if scale <= 0:
        raise ValueError("`T` must be positive for at least one customer")
    big_t = big_t / scale
    mean_rate = weighted_sum(pattern_weights, x) / weighted_sum(pattern_weights, big_t)
    return HistoryPatterns(
        x=x,
        t_x=t_x / scale,
        big_t=big_t,
        weights=pattern_weights,
        total_weight=total_weight,
        scale=scale,
        mean_rate=max(mean_rate, 1e-3),
    )


def check_fit_weights(weights: object, *, n: int) -> FloatArray | None:
    """Validate optional per-customer frequency weights (None stays None)."""
    if weights is None:
        return None
    return check_weights(weights, n=n)


@dataclass(frozen=True)
class LogParameterFit:
    """The outcome of :func:`fit_log_parameters`.

    Attributes
    ----------
    params
        Estimates on the natural (positive) scale.
    log_likelihood
        Total weighted log-likelihood at the estimate.
    standard_errors
        Delta-method standard errors on the natural scale (NaN unless converged).
    covariance
        Covariance matrix of the log-parameters (NaN unless converged).
    converged
        True only if the optimum is an interior, well-determined maximum.
    message
        Why the fit is or is not considered converged.
    """

    params: FloatArray
    log_likelihood: float
    standard_errors: FloatArray
    covariance: FloatArray
    converged: bool
    message: str


# Central-difference step for objectives without an analytic gradient. The
# objectives are smooth and of order 1 on the log scale, so a step near the cube
# root of machine precision balances truncation and rounding (both ~1e-11).
_GRADIENT_STEP = 6e-6


def numerical_gradient(value: Callable[[FloatArray], float]) -> Objective:
    """Turn a mean negative log-likelihood into an :data:`Objective` by central differences.

    For likelihoods whose analytic gradient is impractical (the Pareto/NBD's
    hypergeometric terms). The gradient is accurate to about 1e-10, far below
    the convergence tolerance, and the Hessian taken from it to about 1e-6
    relative.
    """

    def objective(point: FloatArray) -> tuple[float, FloatArray]:
        centre = value(point)
        gradient = np.empty(point.shape[0])
        for j in range(point.shape[0]):
            step = np.zeros(point.shape[0])
            step[j] = _GRADIENT_STEP
            gradient[j] = (value(point + step) - value(point - step)) / (2.0 * _GRADIENT_STEP)
        return centre, gradient

    return objective


def _gradient_hessian(objective: Objective, point: FloatArray) -> FloatArray:
    """Hessian of the mean objective by central differences of its gradient."""
    k = point.shape[0]
    hessian = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = _HESSIAN_STEP
        _, upper = objective(point + step)
        _, lower = objective(point - step)
        hessian[:, j] = (upper - lower) / (2.0 * _HESSIAN_STEP)
    return 0.5 * (hessian + hessian.T)


def _safe(objective: Objective) -> Objective:
    """Wrap an objective so overflow far from the optimum cannot escape or stall the search."""

    def wrapped(point: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            value, gradient = objective(point)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            # A large finite value with a zero gradient makes the line search back off.
            return 1e300, np.zeros_like(point)
        return float(value), gradient

    return wrapped


def fit_log_parameters(
    objective: Objective,
    starts: Sequence[FloatArray],
    *,
    total_weight: float,
) -> LogParameterFit:
    """Maximise a likelihood over log-parameters; report whether it truly converged.

    Parameters
    ----------
    objective
        ``log_params -> (mean negative log-likelihood, gradient)``.
    starts
        Starting points (log scale), tried in order; the search stops at the
        first one that converges, otherwise the best optimum found is
        reported with ``converged=False``.
    total_weight
        Total weight of the customers (turns the mean into the total
        log-likelihood and scales the covariance).
    """
    safe = _safe(objective)
    best: tuple[float, FloatArray, bool, str] | None = None
    for start in starts:
        x0 = np.clip(np.asarray(start, dtype=np.float64), -_LOG_BOUND + 2, _LOG_BOUND - 2)
        result = optimize.minimize(
            safe,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * x0.shape[0],
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
        )
        point = np.asarray(result.x, dtype=np.float64)
        value, gradient = safe(point)
        ok, message = _assess(result.success, str(result.message), value, gradient, point)
        if best is None or (ok and not best[2]) or (ok == best[2] and value < best[0]):
            best = (value, point, ok, message)
        if ok:
            break
    assert best is not None  # at least one start is always given
    value, point, converged, message = best
    k = point.shape[0]
    covariance = np.full((k, k), np.nan)
    if converged:
        hessian = _gradient_hessian(safe, point) * total_weight
        eigenvalues = np.linalg.eigvalsh(hessian)
        if np.all(np.isfinite(eigenvalues)) and eigenvalues.min() > 0:
            covariance = np.linalg.inv(hessian)
            if np.sqrt(np.diag(covariance)).max() > _MAX_LOG_STANDARD_ERROR:
                converged = False
                message = (
                    "the likelihood is flat along a parameter (the maximum is at 0 or "
                    "infinity, or the parameter is not identified by the data)"
                )
                covariance = np.full((k, k), np.nan)
        else:
            converged = False
            message = (
                "the Hessian at the optimum is not positive definite: the likelihood is flat "
                "or keeps rising towards the edge of the parameter space (a parameter tending "
                "to 0 or infinity), so the data do not determine all parameters"
            )
    params = np.exp(point)
    with np.errstate(invalid="ignore"):
        standard_errors = params * np.sqrt(np.diag(covariance))
    return LogParameterFit(
        params=params,
        log_likelihood=-value * total_weight,
        standard_errors=standard_errors,
        covariance=covariance,
        converged=converged,
        message=message,
    )


def _assess(
    success: bool, message: str, value: float, gradient: FloatArray, point: FloatArray
) -> tuple[bool, str]:
    if value >= 1e300:
        return False, "the likelihood could not be evaluated at the optimum"
    at_edge = np.abs(point) > _LOG_BOUND - _EDGE
    if at_edge.any():
        return False, (
            "a parameter ran towards 0 or infinity (the maximum is not attained inside "
            "the parameter space)"
        )
    if (np.abs(point) > _EXTREME).any():
        return False, (
            "a parameter is beyond 1e-4 .. 1e4 in the scaled units of the fit: the "
            "likelihood is creeping towards a degenerate limit (0 or infinity) and the "
            "data do not determine it"
        )
    if np.max(np.abs(gradient)) > _GRADIENT_TOLERANCE:
        return False, f"the optimiser stopped away from a maximum: {message}"
    if not success and "ABNORMAL" not in message.upper():
        return False, f"the optimiser did not converge: {message}"
    # L-BFGS-B reports an abnormal line search when it is already at machine
    # precision; a small gradient at an interior point is a maximum all the same.
    return True, "converged"


def standard_error_dict(names: Sequence[str], values: FloatArray) -> dict[str, float]:
    """Name the standard errors for display and export."""
    return {name: float(value) for name, value in zip(names, values, strict=True)}


def fitted_fields(
    fit: LogParameterFit,
    names: Sequence[str],
    *,
    total_weight: float,
    data: HistoryPatterns | None = None,
    rates: Sequence[int] = (),
) -> dict[str, Any]:
    """Return the fields every fitted model shares, from a fit on (possibly rescaled) data.

    ``rates`` are the positions of the parameters measured per unit of time;
    with ``data`` they, their standard errors and the log-likelihood are
    converted back from the scaled time unit of :func:`collapse_history`.
    """
    params = fit.params.copy()
    standard_errors = fit.standard_errors.copy()
    shift = 0.0
    if data is not None:
        params[list(rates)] *= data.scale
        standard_errors[list(rates)] *= data.scale
        shift = data.log_likelihood_shift()
    return {
        **{name: float(value) for name, value in zip(names, params, strict=True)},
        "log_likelihood": fit.log_likelihood + shift,
        "standard_errors": standard_error_dict(names, standard_errors),
        "converged": fit.converged,
        "n_customers": total_weight,
        "message": fit.message,
        "_covariance": fit.covariance,
    }
