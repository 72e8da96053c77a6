"""What the customer-base models share beyond the engine's fitting base.

The generic maximum-likelihood machinery (:class:`FittedModel`,
:func:`fit_log_parameters`, numerical gradients, Hessian and standard errors,
:class:`ConvergenceWarning`) lives in :mod:`loyaltymetrics._engine._fitting`
and is re-exported here. This module adds what is specific to customer
histories:

1. **Reduce.** Customers are collapsed to their distinct data patterns, e.g.
   distinct ``(frequency, recency, T)`` rows, each with the total weight of the
   customers that share it (:func:`collapse_patterns`). The likelihood is a
   weighted sum over patterns, so the cost of a fit grows with the number of
   distinct patterns, not with the number of customers.
2. **Check.** Histories are validated once (:func:`check_history`), and
   times are rescaled to order 1 for the optimiser (:func:`collapse_history`);
   :func:`fitted_fields` converts a fit back to the caller's units and keeps
   the patterns for the bootstrap over patterns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._fitting import (
    ConvergenceWarning,
    FittedModel,
    FloatArray,
    LogParameterFit,
    Objective,
    fit_log_parameters,
    numerical_gradient,
    standard_error_dict,
    warn_unless_converged,
    weighted_sum,
)
from loyaltymetrics._engine._validation import as_1d_array, check_weights, is_real_number

__all__ = [
    "ConvergenceWarning",
    "FittedModel",
    "FloatArray",
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
    "warn_unless_converged",
    "weighted_sum",
]

# group_rows combines column codes into one int64 key while this many
# combinations fit; beyond it, it sorts the rows of codes instead.
_MAX_KEYS = 2**62


@runtime_checkable
class PurchaseModel(Protocol):
    """What :func:`loyaltymetrics.predicted_clv` needs from a purchase model.

    Every purchase model of the library (:class:`~loyaltymetrics.BGNBDModel`,
    :class:`~loyaltymetrics.ParetoNBDModel`, :class:`~loyaltymetrics.MBGNBDModel`,
    :class:`~loyaltymetrics.BGBBModel`) satisfies it, also for a type checker.
    """

    def expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        /,
    ) -> FloatArray | float:
        """Return the expected purchases in the next ``t`` time units, given each history."""
        ...  # pragma: no cover


@runtime_checkable
class SpendModel(Protocol):
    """What :func:`loyaltymetrics.predicted_clv` needs from a spend model."""

    def expected_spend(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, /
    ) -> FloatArray | float:
        """Return the expected value of one future purchase, given each history."""
        ...  # pragma: no cover


def model_array(values: object, *, name: str) -> FloatArray:
    """Coerce a number or an array-like (any shape for numpy arrays) to float64.

    Missing values are not checked here; callers decide what they allow.
    """
    if isinstance(values, bool | np.bool_):
        raise TypeError(f"`{name}` must be numeric, not boolean")
    if is_real_number(values):
        return np.asarray(float(values))
    if isinstance(values, np.ndarray) and values.ndim != 1:
        if values.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must be numeric; got dtype {values.dtype}")
        return values.astype(np.float64, copy=False)
    return as_1d_array(values, name=name).astype(np.float64, copy=False)


def check_number(value: object, *, name: str, low: float, inclusive: bool) -> float:
    """Return a finite real scalar above ``low`` (or equal to it when ``inclusive``)."""
    if not is_real_number(value):
        raise TypeError(f"`{name}` must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < low or (number == low and not inclusive):
        bound = f">= {low:g}" if inclusive else f"> {low:g}"
        raise ValueError(f"`{name}` must be finite and {bound}; got {value!r}")
    return number


def _first_position(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask.reshape(-1))[0])


#: The largest count a float64 holds exactly (and every count below it).
_LARGEST_COUNT = 2.0**53


def check_history(
    frequency: object, recency: object, T: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a customer history ``(frequency, recency, T)``; arrays broadcast.

    ``frequency`` must be whole numbers from 0 to 2**53 (beyond it a float
    no longer holds every count), ``0 <= recency <= T``, and
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
    bad = (x < 0) | (x != np.floor(x)) | (x > _LARGEST_COUNT)
    if bad.any():
        position = _first_position(bad)
        raise ValueError(
            "`frequency` must be whole numbers from 0 to 2**53 (counts a float holds "
            f"exactly); found {x.reshape(-1)[position]} at position {position}"
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


def fitted_fields(
    fit: LogParameterFit,
    names: Sequence[str],
    *,
    total_weight: float,
    data: HistoryPatterns | None = None,
    rates: Sequence[int] = (),
    patterns: tuple[FloatArray, ...] | None = None,
) -> dict[str, Any]:
    """Return the fields every fitted model shares, from a fit on (possibly rescaled) data.

    ``rates`` are the positions of the parameters measured per unit of time;
    with ``data`` they, their standard errors and the log-likelihood are
    converted back from the scaled time unit of :func:`collapse_history`,
    and its patterns are kept (in the caller's units, with their weights) for
    the bootstrap over patterns; other models pass ``patterns`` themselves.
    """
    params = fit.params.copy()
    standard_errors = fit.standard_errors.copy()
    shift = 0.0
    if data is not None:
        params[list(rates)] *= data.scale
        standard_errors[list(rates)] *= data.scale
        shift = data.log_likelihood_shift()
        patterns = (data.x, data.t_x * data.scale, data.big_t * data.scale, data.weights)
    return {
        **{name: float(value) for name, value in zip(names, params, strict=True)},
        "log_likelihood": fit.log_likelihood + shift,
        "standard_errors": standard_error_dict(names, standard_errors),
        "converged": fit.converged,
        "n_customers": total_weight,
        "message": fit.message,
        "_covariance": fit.covariance,
        "_data": patterns,
    }
