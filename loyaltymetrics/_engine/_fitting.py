"""The model-fitting base: maximum likelihood over log-parameters, for any model.

It knows no model. A model supplies an objective
``objective(log_params) -> (value, gradient)``, the weighted *mean* negative
log-likelihood and its gradient with respect to the logarithms of its
(positive) parameters, and one or more starting points. This module

1. minimises it with :func:`scipy.optimize.minimize` (L-BFGS-B) inside the
   parameter box ``exp(+-30)``, with BLAS held to one thread (the problems are
   tiny; competing BLAS threads make each call slower, not faster), and stops
   the search as soon as a parameter runs onto a ridge beyond ``1e-4 .. 1e4``
   in the fit's scaled units, where the likelihood keeps rising as parameters
   grow without bound (:func:`fit_log_parameters`);
2. takes the Hessian at the optimum by central differences of the gradient;
   its inverse is the covariance of the log-parameters, and the delta method
   gives standard errors on the natural scale,
   ``se(theta) = theta * se(log theta)``.

A fit is reported as converged only when the optimiser says so, the gradient
is small, no parameter sits at the edge of the search box or beyond 1e-4 ..
1e4 in the fit's scaled units (an estimate running off to 0 or infinity means
the maximum is not attained), the Hessian is positive definite, and no
log-parameter has a standard error above 10 (a likelihood that flat means the
optimiser stopped on its way to 0 or infinity). Anything else gives
``converged=False`` and NaN standard errors rather than a silently wrong
answer; the fitted model then emits :class:`ConvergenceWarning`
(:func:`warn_unless_converged`).

:class:`FittedModel` is the result base every fitted model shares: parameters
as fields, the fit summary, ``summary()`` as a table of estimates, standard
errors and intervals with the log-likelihood, AIC, BIC, n and the convergence
flag.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
from scipy import optimize

from loyaltymetrics._engine._results import FrameBackend, Result, make_frame
from loyaltymetrics._engine._validation import check_confidence_level

__all__ = [
    "ConvergenceWarning",
    "FittedModel",
    "FloatArray",
    "LogParameterFit",
    "Objective",
    "fit_log_parameters",
    "numerical_gradient",
    "single_blas_thread",
    "standard_error_dict",
    "warn_unless_converged",
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
# The search is stopped once a log-parameter passes _EXTREME by this much: it
# is on a ridge towards 0 or infinity and would only spend time getting there.
_RIDGE_STOP = math.log(1e3)
# A converged fit has a mean-gradient no larger than this in any log-parameter.
_GRADIENT_TOLERANCE = 1e-4
_HESSIAN_STEP = 1e-4
# A log-parameter whose standard error exceeds this is not determined by the data:
# the likelihood is flat along it, typically because the maximum lies at 0 or
# infinity and the optimiser stopped on the way there.
_MAX_LOG_STANDARD_ERROR = 10.0


class ConvergenceWarning(UserWarning):
    """A model fit did not converge: its estimates should not be used.

    Emitted by the ``fit_*`` functions whenever the fitted model has
    ``converged=False``; the warning text is the model's ``message``.

    Examples
    --------
    >>> import warnings
    >>> import loyaltymetrics as lm
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model = lm.fit_bgnbd([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])
    >>> model.converged, caught[0].category.__name__
    (False, 'ConvergenceWarning')
    """


def warn_unless_converged(model: FittedModel, *, stacklevel: int = 3) -> None:
    """Emit :class:`ConvergenceWarning` with the model's message when it did not converge."""
    if not model.converged:
        warnings.warn(
            f"{type(model).__name__} fit did not converge: {model.message}",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Hold BLAS and OpenMP pools to one thread while a small optimisation runs.

    Uses :mod:`threadpoolctl` when it is installed and does nothing otherwise.
    The optimisations here work on vectors of a handful of parameters, where
    BLAS threads only compete with each other (and with other processes).
    """
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1):
        yield


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
    _covariance: FloatArray | None = field(default=None, compare=False)
    # The distinct data patterns the model was fitted on (caller's units) and
    # their weights, for the bootstrap over patterns; None when given directly.
    _data: tuple[FloatArray, ...] | None = field(default=None, compare=False)

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

    @property
    def _log_params(self) -> FloatArray:
        values = [float(getattr(self, name)) for name in self._parameters]
        return np.log(np.array(values, dtype=np.float64))

    def _with_log_params(self, log_params: FloatArray) -> Any:
        """Return the same model with other parameters (no fit summary), for draws."""
        values: dict[str, Any] = {
            name: float(np.exp(v)) for name, v in zip(self._parameters, log_params, strict=True)
        }
        return type(self)(**values)

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> FittedModel:
        """Fit the same model again to weighted data patterns (for the bootstrap)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be refitted")

    def summary(self, *, confidence_level: float = 0.95, backend: FrameBackend = "pandas") -> Any:
        """Return a table of the estimates with standard errors and Wald intervals.

        The interval is ``exp(log theta -+ z se(log theta))``, the Wald interval
        on the log scale the model was fitted on (it stays positive). Every
        row also carries the fit: ``log_likelihood``, ``aic`` (``2k - 2 LL``),
        ``bic`` (``k log n - 2 LL``), ``n`` and ``converged``. The intervals
        are NaN for a model whose parameters were given directly or whose fit
        did not converge.

        Parameters
        ----------
        confidence_level : float, default 0.95
            Coverage of the intervals, in (0, 1).
        backend : {"pandas", "polars"}, default "pandas"
            Library of the returned table.

        Returns
        -------
        DataFrame
            One row per parameter: ``parameter``, ``estimate``,
            ``standard_error``, ``low``, ``high``, then the fit columns
            ``log_likelihood``, ``aic``, ``bic``, ``n`` and ``converged``
            (the same on every row).
        """
        from scipy import special

        level = check_confidence_level(confidence_level)
        z = float(special.ndtri(0.5 + level / 2.0))
        names = list(self._parameters)
        estimate = np.exp(self._log_params)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.array([self.standard_errors.get(name, np.nan) for name in names])
            log_se = se / estimate
        k = len(names)
        n = float(self.n_customers)
        log_lik = float(self.log_likelihood)
        with np.errstate(invalid="ignore", divide="ignore"):
            bic = k * math.log(n) - 2.0 * log_lik if n > 0 else float("nan")
        columns = {
            "parameter": names,
            "estimate": estimate,
            "standard_error": se,
            "low": estimate * np.exp(-z * log_se),
            "high": estimate * np.exp(z * log_se),
            "log_likelihood": np.full(k, log_lik),
            "aic": np.full(k, 2.0 * k - 2.0 * log_lik),
            "bic": np.full(k, bic),
            "n": np.full(k, n),
            "converged": np.full(k, bool(self.converged)),
        }
        return make_frame(columns, backend=backend)


def weighted_sum(weights: FloatArray, values: FloatArray) -> float:
    """Return ``sum(weights * values)`` without BLAS.

    ``weights @ values`` goes through BLAS, whose threads can make each call
    thousands of times slower on a busy machine; the objectives call this
    dozens of times per evaluation.
    """
    return float(np.sum(weights * values))


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
    with single_blas_thread():
        return _fit(objective, starts, total_weight=total_weight)


def _stop_on_ridge(intermediate_result: Any) -> None:
    if np.max(np.abs(intermediate_result.x)) > _EXTREME + _RIDGE_STOP:
        raise StopIteration


def _fit(
    objective: Objective, starts: Sequence[FloatArray], *, total_weight: float
) -> LogParameterFit:
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
            callback=_stop_on_ridge,
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
