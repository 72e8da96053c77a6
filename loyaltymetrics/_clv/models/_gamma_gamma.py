"""The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's purchase values are ``Gamma(p, rate=nu)`` around their own mean
``p / nu``; across customers ``nu ~ Gamma(q, rate=v)``. Spend is assumed
independent of the purchase process. Only customers with at least one repeat
purchase carry information: their mean repeat-purchase value ``m_x`` over
``x`` purchases has the marginal density (Fader & Hardie, "The Gamma-Gamma
model of monetary value", 2013, eq. 1)

``f(m_x | p, q, v, x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) *
v**q * m_x**(p x - 1) * x**(p x) / (v + x m_x)**(p x + q)``

and the expected value of a future purchase is (ibid., eq. 5)

``E[Z | p, q, v, m_x, x] = p (v + x m_x) / (p x + q - 1)``,

a weighted average of the population mean ``p v / (q - 1)`` and ``m_x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy import special

from loyaltymetrics._clv._fitting import (
    FittedModel,
    FloatArray,
    Objective,
    check_fit_weights,
    collapse_patterns,
    fit_log_parameters,
    model_array,
    shares_by_value,
    standard_error_dict,
    warn_unless_converged,
    weighted_sum,
)

__all__ = ["GammaGammaModel", "fit_gamma_gamma", "gamma_gamma_objective"]

_PARAMETERS = ("p", "q", "v")


def _check_spend(frequency: object, monetary_value: object) -> tuple[FloatArray, FloatArray]:
    """Validate ``frequency`` and ``monetary_value``; repeat customers must have spend > 0."""
    x = model_array(frequency, name="frequency")
    m = model_array(monetary_value, name="monetary_value")
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as error:
        raise ValueError(
            "`frequency` and `monetary_value` must have the same length; "
            f"got shapes {np.shape(x)} and {np.shape(m)}"
        ) from error
    bad = ~np.isfinite(x) | (x < 0) | (x != np.floor(x))
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(
            f"`frequency` must be whole numbers >= 0; found {x.reshape(-1)[position]} "
            f"at position {position}"
        )
    bad = (x > 0) & ~(np.isfinite(m) & (m > 0))
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(
            "`monetary_value` must be positive and finite for customers with repeat purchases "
            "(the Gamma-Gamma model describes positive spend; remove refunds or zero-value "
            f"orders first); found {m.reshape(-1)[position]} at position {position}"
        )
    return x, m


@dataclass(frozen=True, repr=False)
class GammaGammaModel(FittedModel):
    """A fitted Gamma-Gamma model of the value of a customer's purchases.

    Attributes
    ----------
    p : float
        Shape of the gamma distribution of one customer's purchase values.
    q, v : float
        Shape and rate of the gamma distribution of the rate ``nu`` across
        customers. The population mean purchase value is ``p v / (q - 1)``
        (finite only for ``q > 1``).
    log_likelihood : float
        Maximised log-likelihood over the customers with repeat purchases.
    standard_errors : dict of str to float
        Standard errors of ``p``, ``q``, ``v`` from the Hessian (NaN when the
        fit did not converge).
    converged : bool
        True when the optimum is an interior maximum with a positive definite
        Hessian.
    n_customers : float
        Total weight of the customers with repeat purchases used in the fit.
    message : str
        How the fit ended.

    See Also
    --------
    fit_gamma_gamma : Fit the model.

    Examples
    --------
    >>> from loyaltymetrics import GammaGammaModel
    >>> model = GammaGammaModel(p=6.25, q=3.74, v=15.45)
    >>> model.expected_spend([0, 1, 10], [0.0, 20.0, 20.0]).round(2)
    array([35.24, 24.65, 20.64])
    """

    p: float
    q: float
    v: float
    _parameters: ClassVar[tuple[str, ...]] = _PARAMETERS

    def expected_spend(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike, /
    ) -> FloatArray | float:
        """Return the expected value of a customer's next purchase, given their history.

        ``p (v + x m_x) / (p x + q - 1)``; for ``x = 0`` this is the population
        mean ``p v / (q - 1)``, which exists only when ``q > 1`` (otherwise
        the result is ``inf`` for those customers).

        Examples
        --------
        >>> from loyaltymetrics import GammaGammaModel
        >>> round(float(GammaGammaModel(p=6.25, q=3.74, v=15.45).expected_spend(2, 35.0)), 2)
        35.04
        """
        x, m = _check_spend(frequency, monetary_value)
        with np.errstate(over="ignore"):
            denominator = self.p * x + self.q - 1.0
            spend = self.p * (self.v + x * np.where(x > 0, m, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(
                denominator > 0, spend / np.where(denominator > 0, denominator, 1.0), np.inf
            )
        huge = (x > 0) & ~np.isfinite(spend)
        if huge.any():
            out = np.where(huge, self._expected_spend_of_huge(x, m), out)
        result: FloatArray | float = out[()] if out.ndim == 0 else out
        return result

    def _expected_spend_of_huge(self, x: FloatArray, m: FloatArray) -> FloatArray:
        """``expected_spend`` where ``p (v + x m)`` overflows: the same value, rearranged.

        ``p (v + x m) / (p x + q - 1) = w (m + v / x)`` with the credibility
        weight ``w = 1 / (1 + (q - 1) / (p x))``, which stays in range; the
        result is ``inf`` only where the expectation itself exceeds the float
        range.
        """
        safe_x = np.where(x > 0, x, 1.0)
        with np.errstate(over="ignore", divide="ignore"):
            weight = 1.0 / (1.0 + (self.q - 1.0) / self.p / safe_x)
            out: FloatArray = np.where(weight > 0, weight * (m + self.v / safe_x), np.inf)
        return out

    def _refit(self, columns: Sequence[FloatArray], weights: FloatArray) -> GammaGammaModel:
        return fit_gamma_gamma(*columns, weights=weights)

    def _simulate_spend(
        self,
        generator: np.random.Generator,
        frequency: FloatArray,
        monetary_value: FloatArray,
        counts: FloatArray,
    ) -> FloatArray:
        """Draw the total value of ``counts`` future purchases (steps x customers).

        The customer's rate has the posterior ``nu ~ Gamma(q + p x, v + x m_x)``
        (Fader & Hardie 2013, eq. 4); ``k`` purchases sum to ``Gamma(p k, nu)``.
        """
        x, m = _check_spend(frequency, monetary_value)
        spent = x * np.where(x > 0, m, 0.0)
        nu = generator.gamma(self.q + self.p * x, 1.0 / (self.v + spent))
        shape = self.p * np.maximum(counts, 1.0)
        amounts = generator.gamma(shape, 1.0 / np.broadcast_to(nu, counts.shape))
        out: FloatArray = np.where(counts > 0, amounts, 0.0)
        return out


def gamma_gamma_objective(x: FloatArray, m: FloatArray, weights: FloatArray) -> Objective:
    """Weighted mean negative log-likelihood over log(p, q, v), with gradient.

    Gamma and digamma terms depend on the frequency only and are evaluated
    once per distinct frequency.
    """
    share = weights / weights.sum()
    distinct_x, share_x = shares_by_value(x, share)
    log_m = np.log(m)
    log_x = np.log(x)
    spend = x * m

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        p, q, v = np.exp(log_params)
        px = p * x
        p_distinct = p * distinct_x
        log_v = np.log(v)
        log_total = np.log(v + spend)
        value = (
            weighted_sum(share_x, special.gammaln(p_distinct + q) - special.gammaln(p_distinct))
            - special.gammaln(q)
            + q * log_v
            + weighted_sum(share, (px - 1.0) * log_m + px * log_x - (px + q) * log_total)
        )
        psi_distinct = special.digamma(p_distinct + q)
        d_p = p * (
            weighted_sum(share_x, distinct_x * (psi_distinct - special.digamma(p_distinct)))
            + weighted_sum(share, x * (log_m + log_x - log_total))
        )
        d_q = q * (
            weighted_sum(share_x, psi_distinct)
            - special.digamma(q)
            + log_v
            - weighted_sum(share, log_total)
        )
        d_v = q - v * weighted_sum(share, (px + q) / (v + spend))
        return -float(value), -np.array([d_p, d_q, d_v])

    return objective


def fit_gamma_gamma(
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    /,
    *,
    weights: npt.ArrayLike | None = None,
) -> GammaGammaModel:
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    Only customers with ``frequency > 0`` enter the likelihood (a customer
    without repeat purchases says nothing about repeat spend); the others are
    accepted and ignored, so the output of :func:`rfm_summary` can be passed
    as it is. Customers are collapsed to distinct ``(frequency,
    monetary_value)`` pairs first.

    Parameters
    ----------
    frequency : array_like
        Number of repeat purchases of each customer.
    monetary_value : array_like
        Mean value of each customer's repeat purchases; must be positive for
        every customer with ``frequency > 0``.
    weights : array_like, optional
        Frequency weights (customer ``i`` counts ``weights[i]`` times).

    Returns
    -------
    GammaGammaModel

    Raises
    ------
    ValueError
        If a repeat customer has a non-positive or missing
        ``monetary_value``, or no customer has a repeat purchase.

    Notes
    -----
    The model assumes spend is independent of purchase frequency; check the
    correlation between ``frequency`` and ``monetary_value`` of the repeat
    customers before relying on it (Fader & Hardie 2013).

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import simulate_gamma_gamma
    >>> import numpy as np
    >>> frequency = np.random.default_rng(0).integers(1, 10, size=3000).astype(float)
    >>> spend = simulate_gamma_gamma(frequency, p=6.0, q=4.0, v=15.0, rng=3)
    >>> model = lm.fit_gamma_gamma(frequency, spend)
    >>> model.converged
    True
    >>> round(model.p, 1), round(model.q, 1), round(model.v, 1)
    (5.9, 4.2, 16.0)
    """
    x, m = _check_spend(frequency, monetary_value)
    if x.ndim != 1:
        raise ValueError("`frequency` and `monetary_value` must be one-dimensional arrays")
    row_weights = check_fit_weights(weights, n=x.shape[0])
    repeat = x > 0
    if not repeat.any():
        raise ValueError(
            "`frequency` must be positive for at least one customer: the Gamma-Gamma model "
            "is fitted on customers with repeat purchases"
        )
    (x, m), pattern_weights = collapse_patterns(
        x[repeat], m[repeat], weights=None if row_weights is None else row_weights[repeat]
    )
    if pattern_weights.size == 0:
        raise ValueError("`weights` of the customers with repeat purchases must not all be zero")
    total_weight = float(pattern_weights.sum())
    # Work in money units that make the mean spend 1, so v starts at the right scale.
    scale = weighted_sum(pattern_weights, m) / total_weight
    objective = gamma_gamma_objective(x, m / scale, pattern_weights)
    starts = [
        np.log([2.0, 3.0, 4.0]),
        np.log([1.0, 1.0, 1.0]),
        np.log([0.1, 0.1, 0.1]),
        np.log([10.0, 10.0, 10.0]),
    ]
    fit = fit_log_parameters(objective, starts, total_weight=total_weight)
    p, q, v_scaled = (float(value) for value in fit.params)
    standard_errors = fit.standard_errors.copy()
    standard_errors[2] *= scale
    # The density of m_x picks up 1/scale per customer when spend is rescaled.
    model = GammaGammaModel(
        p=p,
        q=q,
        v=v_scaled * scale,
        log_likelihood=fit.log_likelihood - total_weight * np.log(scale),
        standard_errors=standard_error_dict(_PARAMETERS, standard_errors),
        converged=fit.converged,
        n_customers=total_weight,
        message=fit.message,
        _covariance=fit.covariance,
        _data=(x, m, pattern_weights),
    )
    warn_unless_converged(model)
    return model
