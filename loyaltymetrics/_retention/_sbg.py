"""The shifted-beta-geometric (sBG) model of contractual retention.

Fader & Hardie (2007), "How to project customer retention", *Journal of
Interactive Marketing* 21(1), 76-90. Each customer renews at the end of every
period with a fixed probability ``1 - theta``; ``theta`` varies across
customers as ``Beta(alpha, beta)``. For a cohort:

* ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``, t = 1, 2, ...
  (T is the period in which the customer churns);
* survival ``S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)``;
* retention rate ``r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``,
  increasing in t because the customers with high churn probabilities leave
  first;
* log-likelihood of a survivor series ``n_0 >= n_1 >= ... >= n_T``, with
  ``n_{t-1} - n_t`` customers lost in period t and ``n_T`` still active:
  ``sum_t (n_{t-1} - n_t) log P(T = t) + n_T log S(T)`` (their equation B3).

The discounted expected residual lifetime follows Fader & Hardie (2010),
"Customer-base valuation in a contractual setting: the perils of ignoring
heterogeneity", *Marketing Science* 29(1), 85-93, equation (6).

The sufficient statistic is the survivor series itself, so the fit costs
O(periods) whatever the cohort size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, overload

import numpy as np
import numpy.typing as npt
from scipy import special

from loyaltymetrics._engine._fitting import LogParameterFit, fit_log_parameters
from loyaltymetrics._engine._results import Result
from loyaltymetrics._engine._validation import MAX_EXACT_COUNT, as_1d_array, check_count

__all__ = ["SBGModel", "fit_sbg"]

FloatArray = npt.NDArray[np.float64]

# alpha + beta beyond this is a churn probability with no spread left: the
# estimate is on its way to the geometric limit, not at a maximum.
_RUNAWAY = 1e6


def _beta_terms(
    alpha: float, beta: float, shift_alpha: FloatArray, shift_beta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``log B(alpha + a, beta + b)`` with its gradient in (alpha, beta).

    Returns the values (k,) and gradients (k, 2) for the k shift pairs, from
    d/da log B(a, b) = psi(a) - psi(a + b).
    """
    a = alpha + shift_alpha
    b = beta + shift_beta
    psi_total = special.digamma(a + b)
    gradient = np.stack([special.digamma(a) - psi_total, special.digamma(b) - psi_total], axis=-1)
    return special.betaln(a, b), gradient


@dataclass(frozen=True)
class _SurvivorLikelihood:
    """The sBG log-likelihood of one survivor series, as weighted log-beta terms.

    ``LL = sum_k w_k log B(alpha + a_k, beta + b_k) - n_0 log B(alpha, beta)``
    with one term per period's losses (a = 1, b = t - 1) and one for the
    customers still active (a = 0, b = T).
    """

    weights: FloatArray
    shift_alpha: FloatArray
    shift_beta: FloatArray
    cohort_size: float

    @classmethod
    def from_alive(cls, alive: FloatArray) -> _SurvivorLikelihood:
        periods = alive.shape[0] - 1
        lost = alive[:-1] - alive[1:]
        t = np.arange(1, periods + 1, dtype=np.float64)
        return cls(
            weights=np.concatenate((lost, [alive[-1]])),
            shift_alpha=np.concatenate((np.ones(periods), [0.0])),
            shift_beta=np.concatenate((t - 1.0, [float(periods)])),
            cohort_size=float(alive[0]),
        )

    def evaluate(self, alpha: float, beta: float) -> tuple[float, FloatArray]:
        """Log-likelihood and its gradient in (alpha, beta)."""
        value, gradient = _beta_terms(alpha, beta, self.shift_alpha, self.shift_beta)
        base_value, base_gradient = _beta_terms(alpha, beta, np.zeros(1), np.zeros(1))
        used = self.weights > 0  # 0 * log B is 0 even where log B overflows
        w = self.weights[used]
        log_likelihood = float(w @ value[used] - self.cohort_size * base_value[0])
        return log_likelihood, w @ gradient[used] - self.cohort_size * base_gradient[0]


def _fit(likelihood: _SurvivorLikelihood) -> LogParameterFit:
    """Maximise the likelihood over (log alpha, log beta) with the shared fitter."""
    size = likelihood.cohort_size

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        value, gradient = likelihood.evaluate(float(params[0]), float(params[1]))
        # Mean negative log-likelihood per customer, gradient in the log-parameters.
        return -value / size, -gradient * params / size

    starts = [np.zeros(2), np.log(np.array([0.5, 5.0])), np.log(np.array([5.0, 50.0]))]
    return fit_log_parameters(objective, starts, total_weight=size)


@dataclass(frozen=True, repr=False)
class SBGModel(Result):
    """A fitted shifted-beta-geometric model of a cohort's retention.

    Attributes
    ----------
    alpha, beta : float
        Parameters of the beta distribution of the per-period churn
        probability across customers; its mean is ``alpha / (alpha + beta)``.
    log_likelihood : float
        Maximised log-likelihood (Fader & Hardie 2007, equation B3).
    standard_errors : dict
        ``{"alpha": se, "beta": se}`` from the inverse observed information
        (the negative Hessian of the log-likelihood at the estimate).
    n_customers : int
        Cohort size (the first survivor count).
    n_periods : int
        Number of periods observed after acquisition.
    """

    alpha: float
    beta: float
    log_likelihood: float
    standard_errors: dict[str, float]
    n_customers: int
    n_periods: int
    _alive: FloatArray = field(default_factory=lambda: np.zeros(0), compare=False)

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "alpha",
        "beta",
        "log_likelihood",
        "n_customers",
        "n_periods",
    )

    @overload
    def survival(self, t: float) -> float: ...

    @overload
    def survival(self, t: npt.ArrayLike) -> float | FloatArray: ...

    def survival(self, t: npt.ArrayLike) -> float | FloatArray:
        """Share of the cohort still active after ``t`` periods: ``B(α, β+t) / B(α, β)``.

        Parameters
        ----------
        t : float or array_like
            Non-negative number(s) of periods; ``survival(0) == 1``.

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> model = lm.fit_sbg([1000, 631, 468, 382, 326])
        >>> model.survival([0, 1, 2]).round(4)
        array([1.    , 0.6292, 0.4721])
        """
        periods = _check_periods(t, name="t", minimum=0.0)
        values = np.exp(
            special.betaln(self.alpha, self.beta + periods) - special.betaln(self.alpha, self.beta)
        )
        return _scalar_or_array(values)

    @overload
    def retention_rate(self, t: float) -> float: ...

    @overload
    def retention_rate(self, t: npt.ArrayLike) -> float | FloatArray: ...

    def retention_rate(self, t: npt.ArrayLike) -> float | FloatArray:
        """Retention rate of period ``t``: ``S(t) / S(t-1) = (β+t−1) / (α+β+t−1)``.

        Parameters
        ----------
        t : float or array_like
            Period number(s), at least 1 (period 1 is the first renewal).

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> model = lm.fit_sbg([1000, 631, 468, 382, 326])
        >>> round(model.retention_rate(1), 4)
        0.6292
        """
        periods = _check_periods(t, name="t", minimum=1.0)
        values = (self.beta + periods - 1.0) / (self.alpha + self.beta + periods - 1.0)
        return _scalar_or_array(values)

    def derl(self, discount_rate: float, periods_survived: int) -> float:
        """Discounted expected residual lifetime of an active customer.

        The expected number of further payments of a customer who has made
        ``periods_survived`` renewals and is about to decide on the next one,
        each payment discounted by ``1 / (1 + discount_rate)`` per period, the
        first (the renewal now due) undiscounted (Fader & Hardie 2010,
        equation 6, with ``n - 1 = periods_survived``):

        ``B(α, β+n) / B(α, β+n−1) · 2F1(1, β+n; α+β+n; 1/(1+discount_rate))``.

        Multiply by the margin per period to get the expected residual
        lifetime value.

        Parameters
        ----------
        discount_rate : float
            Discount rate per period, positive (0.1 for 10%).
        periods_survived : int
            Renewals the customer has made so far (0 for a customer at the end
            of their first period).

        Returns
        -------
        float

        Examples
        --------
        >>> import loyaltymetrics as lm
        >>> model = lm.fit_sbg([1000, 631, 468, 382, 326])
        >>> round(model.derl(0.1, 0), 4)
        2.8833
        """
        if isinstance(discount_rate, bool) or not isinstance(
            discount_rate, int | float | np.floating
        ):
            raise TypeError(f"`discount_rate` must be a positive number; got {discount_rate!r}")
        if not (math.isfinite(discount_rate) and discount_rate > 0):
            raise ValueError(f"`discount_rate` must be positive and finite; got {discount_rate!r}")
        survived = check_count(periods_survived, name="periods_survived")
        n = survived + 1.0
        ratio = math.exp(
            special.betaln(self.alpha, self.beta + n)
            - special.betaln(self.alpha, self.beta + n - 1)
        )
        series = special.hyp2f1(
            1.0, self.beta + n, self.alpha + self.beta + n, 1.0 / (1.0 + discount_rate)
        )
        return float(ratio * series)


def _check_periods(t: npt.ArrayLike, *, name: str, minimum: float) -> FloatArray:
    try:
        values = np.asarray(t)
    except (ValueError, TypeError):
        raise TypeError(f"`{name}` must be a number of periods; got {t!r}") from None
    if values.dtype.kind == "b" or values.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be a number of periods; got {t!r}")
    values = values.astype(np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < minimum):
        raise ValueError(f"`{name}` must be finite and at least {minimum:g}; got {t!r}")
    return values


def _scalar_or_array(values: FloatArray) -> float | FloatArray:
    if np.ndim(values) == 0:
        return float(values)
    return np.asarray(values, dtype=np.float64)


def _check_alive(alive: object) -> FloatArray:
    values = as_1d_array(alive, name="alive")
    floats = values.astype(np.float64)
    if floats.shape[0] < 3:
        raise ValueError(
            "`alive` must hold the cohort size and at least two later survivor counts: "
            "two periods are needed to separate the mean churn probability from its spread"
        )
    if not np.all(np.isfinite(floats)):
        raise ValueError("`alive` must not contain missing or infinite values")
    if np.any(floats < 0) or np.any(floats != np.floor(floats)):
        position = int(np.flatnonzero((floats < 0) | (floats != np.floor(floats)))[0])
        raise ValueError(
            f"`alive` must be non-negative whole numbers; found {values[position]} "
            f"at position {position}"
        )
    if floats[0] <= 0:
        raise ValueError("`alive` must start with a positive cohort size")
    if floats[0] > MAX_EXACT_COUNT:
        raise ValueError(f"`alive` must be at most 2**53 (counted exactly); got {values[0]}")
    increases = np.flatnonzero(np.diff(floats) > 0)
    if increases.size:
        position = int(increases[0]) + 1
        raise ValueError(
            f"`alive` must not increase: survivors of a cohort can only leave; "
            f"{values[position]} at position {position} exceeds {values[position - 1]}"
        )
    if floats[-1] == floats[0]:
        raise ValueError(
            "`alive` shows no churn at all: the sBG model cannot be estimated "
            "(the maximum likelihood churn probability is 0)"
        )
    if floats[1] == 0:
        raise ValueError(
            "`alive` shows every customer leaving in the first period: the sBG model "
            "cannot be estimated (the maximum likelihood churn probability is 1)"
        )
    return floats


def _geometric_log_likelihood(alive: FloatArray) -> float:
    """Log-likelihood of the best constant churn probability (the sBG's limit)."""
    lost = alive[:-1] - alive[1:]
    periods = alive.shape[0] - 1
    churn = float(lost.sum() / alive[:-1].sum())
    t = np.arange(1, periods + 1, dtype=np.float64)
    log_keep = math.log1p(-churn) if churn < 1 else -math.inf
    terms = lost * (math.log(churn) + (t - 1.0) * log_keep)
    return float(terms[lost > 0].sum() + (alive[-1] * periods * log_keep if alive[-1] else 0.0))


def fit_sbg(alive: npt.ArrayLike, /) -> SBGModel:
    """Fit the shifted-beta-geometric retention model to a cohort's survivors.

    Parameters
    ----------
    alive : array_like
        Customers of one cohort still active after 0, 1, 2, ... periods: the
        first entry is the cohort size, the rest do not increase. At least
        three entries (two periods).

    Returns
    -------
    SBGModel
        Maximum likelihood ``alpha`` and ``beta`` with standard errors, and
        methods ``survival(t)``, ``retention_rate(t)`` and ``derl(...)`` to
        project the cohort forward.

    Raises
    ------
    ValueError
        If the counts are negative, fractional, increasing, too short, show no
        churn or total churn in the first period, or if the maximum likelihood
        estimate does not exist (retention rates that do not rise over time:
        the best fit is then a homogeneous geometric model, ``alpha`` and
        ``beta`` growing without bound).
    TypeError
        If ``alive`` is not numeric.

    Notes
    -----
    Fader & Hardie (2007): each customer's churn probability ``theta`` is
    drawn from ``Beta(alpha, beta)``, after which they stay a geometric time.
    The survivor function is ``S(t) = B(alpha, beta + t) / B(alpha, beta)``
    and the retention rate of period t is
    ``(beta + t - 1) / (alpha + beta + t - 1)``. The likelihood is maximised
    over the logarithms of the parameters with the analytic gradient (digamma
    functions), by the fitter shared with the customer-base models; the
    standard errors come from the inverse of the observed information.

    Examples
    --------
    The "high end" customers of Fader & Hardie (2007), years 0-7:

    >>> import loyaltymetrics as lm
    >>> model = lm.fit_sbg([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> round(model.alpha, 3), round(model.beta, 3)
    (0.668, 3.806)
    >>> round(model.log_likelihood, 1)
    -1611.2
    >>> round(model.survival(12) * 1000)
    378
    >>> round(model.retention_rate(8), 3)
    0.942
    """
    values = _check_alive(alive)
    likelihood = _SurvivorLikelihood.from_alive(values)
    fit = _fit(likelihood)
    # A fit no better than the geometric limit (up to rounding in log-beta
    # differences of huge arguments), or one running off towards it, means the
    # supremum lies at infinity.
    no_better = fit.log_likelihood - _geometric_log_likelihood(values) < 1e-4
    runaway = float(fit.params.sum()) > _RUNAWAY
    if not fit.converged or no_better or runaway:
        raise ValueError(
            "the sBG maximum likelihood estimate does not exist for this `alive` series: "
            "its retention rates do not increase over time, so the best fit has no "
            "heterogeneity (alpha and beta grow without bound); a constant churn "
            "probability (the geometric model) describes it"
        )
    alpha, beta = (float(value) for value in fit.params)
    return SBGModel(
        alpha=alpha,
        beta=beta,
        log_likelihood=likelihood.evaluate(alpha, beta)[0],
        standard_errors={
            "alpha": float(fit.standard_errors[0]),
            "beta": float(fit.standard_errors[1]),
        },
        n_customers=int(values[0]),
        n_periods=int(values.shape[0] - 1),
        _alive=values,
    )
