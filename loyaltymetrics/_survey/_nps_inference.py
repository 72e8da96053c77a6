"""NPS inference on cell arrays: standard errors, intervals, two-sample differences.

Everything here works on the reduced sample, never on rows. A sample is three
arrays of shape ``(*batch, K)``: ``count`` (rows per cell), ``band`` (0
detractor, 1 passive, 2 promoter) and ``weight`` (the weight shared by the
rows of the cell). Unweighted data has K = 3 cells, ``band = [0, 1, 2]`` and
``weight = 1``; weighted data has one cell per distinct (band, weight) pair,
and segments of different sizes are padded to a common K with zero counts.
Leading axes are a batch dimension (segments): every function computes all
batch elements in one vectorised pass and returns arrays of the batch shape,
on the -100..100 scale of the score.

Cells with zero weight carry no information about the weighted score; they
are left out of every standard error and interval (also of the bootstrap,
which resamples the rows that the estimate depends on). A batch element with
no weight at all gives NaN.

Weighted samples
    The Wald standard error is the linearised (Taylor) variance of the
    weighted ratio estimator, ``sum(w_i^2 (v_i - NPS)^2) / (sum w_i)^2`` with
    ``v_i`` in {-1, 0, 1}. The methods that need counts (adjusted Wald, score,
    Bayes) use Kish's effective sample size ``n_eff = (sum w)^2 / sum w^2``
    and the effective counts ``n_eff x weighted share``. Without weights both
    reduce to the usual multinomial formulas exactly. The bootstrap resamples
    the distinct (band, weight) cells with multinomial counts, which is the
    row bootstrap of the weighted data.

References
----------
Rocks, B. (2016). Interval estimation for the "net promoter score". *The
American Statistician* 70(4), 365-372: Wald, adjusted Wald and the iterative
score interval for NPS.
Tango, T. (1998). Equivalence test and confidence interval for the difference
in proportions for the paired-sample design. *Statistics in Medicine* 17(8),
891-908: the score statistic and its constrained maximum-likelihood estimate.
Kish, L. (1965). *Survey Sampling*. Wiley: the effective sample size.
Efron, B. (1987). Better bootstrap confidence intervals. *JASA* 82(397): BCa.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from loyaltymetrics._engine._intervals import (
    Alternative,
    BootstrapInterval,
    RandomSource,
    cell_sums,
    count_bootstrap,
    count_bootstraps,
    difference_targets,
    normal_quantile,
    ratio_or_infinite,
    tail_pvalue,
)

__all__ = [
    "DIFFERENCE_METHODS",
    "NPS_METHODS",
    "DifferenceMethod",
    "NPSMethod",
    "nps_difference",
    "nps_interval",
    "nps_interval_and_difference",
    "nps_standard_error",
]

FloatArray = npt.NDArray[np.float64]
NPSMethod = Literal["adjusted-wald", "wald", "score", "bayes", "percentile", "basic", "bca"]
DifferenceMethod = Literal["adjusted-wald", "wald", "percentile", "basic", "bca"]
NPS_METHODS: tuple[NPSMethod, ...] = (
    "adjusted-wald",
    "wald",
    "score",
    "bayes",
    "percentile",
    "basic",
    "bca",
)
DIFFERENCE_METHODS: tuple[DifferenceMethod, ...] = (
    "adjusted-wald",
    "wald",
    "percentile",
    "basic",
    "bca",
)
_BOOTSTRAP = ("percentile", "basic", "bca")

#: Pseudo-respondents of the adjusted Wald interval (Rocks 2016): 3/4 detractor,
#: 3/2 passive, 3/4 promoter.
ADJUSTMENT = np.array([0.75, 1.5, 0.75])
#: Gauss-Legendre nodes for the Dirichlet posterior's distribution function.
_QUADRATURE_NODES = 128
#: Bisection steps: the bracket [-1, 1] shrinks to 2**-55, below float resolution of a score.
_BISECTION_STEPS = 55
#: Illinois steps for the credible limits (superlinear: far more than enough).
_ROOT_STEPS = 24


class _Sample:
    """One (batched) cell sample with zero-weight cells removed, and its summaries."""

    def __init__(self, count: npt.ArrayLike, band: npt.ArrayLike, weight: npt.ArrayLike) -> None:
        count_array, band_array, weight_array = np.broadcast_arrays(
            np.asarray(count, dtype=np.int64),
            np.asarray(band, dtype=np.int64),
            np.asarray(weight, dtype=np.float64),
        )
        self.count = np.where(weight_array > 0, count_array, 0)
        self.band = band_array
        self.weight = weight_array
        self.value = (band_array - 1).astype(np.float64)  # -1, 0, +1
        self.net_weight = self.weight * self.value

    def statistic(self, count: npt.NDArray[np.int64]) -> FloatArray:
        """Weighted NPS (points) of cell counts shaped ``(*extra, *batch, K)``."""
        total, net = cell_sums(count, self.weight, self.net_weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = 100.0 * net / total
        # Snap rounding noise (below 1e-9 points) so that replicates equal to
        # the estimate compare as ties (BCa's bias correction counts them)
        # however the weights are scaled.
        return np.asarray(np.round(score, 9), dtype=np.float64)

    def band_totals(self) -> FloatArray:
        """Weighted totals per band, shape ``(*batch, 3)``."""
        weighted = self.count * self.weight
        return np.stack([(weighted * (self.band == j)).sum(axis=-1) for j in range(3)], axis=-1)

    def shares(self) -> FloatArray:
        """Weighted band shares, shape ``(*batch, 3)``; NaN for an empty element."""
        totals = self.band_totals()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(totals / totals.sum(axis=-1, keepdims=True), dtype=np.float64)

    def effective_counts(self) -> FloatArray:
        """Kish effective size times the weighted shares, shape ``(*batch, 3)``."""
        weighted = self.count * self.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            n_effective = weighted.sum(axis=-1) ** 2 / (weighted * self.weight).sum(axis=-1)
        return np.asarray(n_effective[..., None] * self.shares(), dtype=np.float64)

    def linearised_variance(self) -> FloatArray:
        """Variance of the weighted NPS on the -1..1 scale (Taylor linearisation)."""
        weighted = self.count * self.weight
        total = weighted.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = (weighted * self.value).sum(axis=-1) / total
            residual = self.value - score[..., None]
            variance = (weighted * self.weight * residual**2).sum(axis=-1) / total**2
        return np.asarray(variance, dtype=np.float64)


def _clip_points(value: FloatArray, bound: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(np.clip(value, -bound, bound), dtype=np.float64)


def nps_standard_error(
    count: npt.ArrayLike, band: npt.ArrayLike, weight: npt.ArrayLike
) -> FloatArray:
    """Wald standard error of NPS in points, for each batch element.

    ``100 * sqrt((p_P + p_D - (p_P - p_D)^2) / n)`` for unweighted data; the
    linearised variance for weighted data (see the module notes).
    """
    sample = _Sample(count, band, weight)
    return np.asarray(100.0 * np.sqrt(sample.linearised_variance()), dtype=np.float64)


def _augmented(effective: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Adjusted-Wald centre and variance (-1..1 scale) from effective counts."""
    augmented = effective + ADJUSTMENT
    n = augmented.sum(axis=-1)
    promoter = augmented[..., 2] / n
    detractor = augmented[..., 0] / n
    centre = promoter - detractor
    variance = (promoter + detractor - centre**2) / n
    return centre, np.maximum(variance, 0.0)


def _score_statistic(
    delta: FloatArray, promoters: FloatArray, detractors: FloatArray, n: FloatArray
) -> FloatArray:
    """Tango's score statistic for NPS = ``delta`` (-1..1 scale).

    The paired-proportions design maps onto NPS with the discordant cells as
    promoters (b) and detractors (c). The detractor share is its maximum-
    likelihood value under the constraint ``p_P - p_D = delta``, the positive
    root of ``A x^2 + B x + C = 0`` (Tango 1998).
    """
    a = 2.0 * n
    b = -promoters - detractors + (2.0 * n - promoters + detractors) * delta
    c = -detractors * delta * (1.0 - delta)
    root = (np.sqrt(np.maximum(b**2 - 4.0 * a * c, 0.0)) - b) / (2.0 * a)
    variance = n * np.maximum(2.0 * root + delta * (1.0 - delta), 0.0)
    numerator = promoters - detractors - n * delta
    # Zero variance happens only at the boundary: the statistic is 0 where the
    # data sit exactly there, and infinite (outside) otherwise.
    return ratio_or_infinite(numerator, np.sqrt(variance))


def _score_interval(effective: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Limits (-1..1) where Tango's statistic equals +z and -z, by bisection."""
    detractors, promoters = effective[..., 0], effective[..., 2]
    n = effective.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (promoters - detractors) / n
    # The statistic decreases in delta: the lower limit solves Z = z on
    # [-1, estimate], the upper limit Z = -z on [estimate, 1].
    low_bracket = [np.full(estimate.shape, -1.0), estimate.copy()]
    high_bracket = [estimate.copy(), np.full(estimate.shape, 1.0)]
    for _ in range(_BISECTION_STEPS):
        middle = (low_bracket[0] + low_bracket[1]) / 2.0
        outside = _score_statistic(middle, promoters, detractors, n) > z
        low_bracket = [
            np.where(outside, middle, low_bracket[0]),
            np.where(outside, low_bracket[1], middle),
        ]
        middle = (high_bracket[0] + high_bracket[1]) / 2.0
        outside = _score_statistic(middle, promoters, detractors, n) < -z
        high_bracket = [
            np.where(outside, high_bracket[0], middle),
            np.where(outside, middle, high_bracket[1]),
        ]
    # The limit is the end of the bracket inside the interval (so -1 and 1 are
    # reached exactly when the statistic never leaves [-z, z]).
    return low_bracket[1], high_bracket[0]


def _bayes_interval(
    effective: FloatArray, prior: FloatArray, confidence_level: float
) -> tuple[FloatArray, FloatArray]:
    """Equal-tailed credible interval (-1..1) of p_P - p_D under the Dirichlet posterior.

    With alpha = (a_D, a_A, a_P) the posterior parameters, S = p_P + p_D ~
    Beta(a_P + a_D, a_A) and U = p_P / S ~ Beta(a_P, a_D) are independent and
    p_P - p_D = S (2U - 1). Its distribution function is therefore
    ``F(t) = E_S[I_{(1 + t/S)/2}(a_P, a_D)]``: one regularised incomplete beta
    function integrated over S's quantiles with Gauss-Legendre nodes. Both
    limits are found together, by the Illinois (modified regula falsi)
    method inside a bracket taken from the posterior mean and standard
    deviation.
    """
    alpha = effective + prior
    a_detractor, a_passive, a_promoter = (alpha[..., j, None] for j in range(3))
    roots, node_weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    # S at the Gauss-Legendre nodes mapped to (0, 1) as quantile levels, computed once.
    s = special.betaincinv(a_promoter + a_detractor, a_passive, (roots + 1.0) / 2.0)
    node_weights = node_weights / 2.0
    positive = s > 0
    safe_s = np.where(positive, s, 1.0)

    def excess(t: FloatArray, target: FloatArray) -> FloatArray:
        x = np.where(
            positive,
            np.clip(1.0 + t[..., None] / safe_s, 0.0, 2.0) / 2.0,
            np.where(t[..., None] >= 0, 1.0, 0.0),
        )
        cdf = (special.betainc(a_promoter, a_detractor, x) * node_weights).sum(axis=-1)
        return np.asarray(cdf - target, dtype=np.float64)

    tail = (1.0 - confidence_level) / 2.0
    target = np.array([tail, 1.0 - tail]).reshape((2,) + (1,) * (alpha.ndim - 1))
    target = np.broadcast_to(target, (2, *alpha.shape[:-1]))
    # Dirichlet moments of p_P - p_D give a bracket; where it does not hold
    # the root, fall back to the whole range [-1, 1].
    total = alpha.sum(axis=-1)
    mean = (alpha[..., 2] - alpha[..., 0]) / total
    variance = (
        alpha[..., 2] * (total - alpha[..., 2])
        + alpha[..., 0] * (total - alpha[..., 0])
        + 2.0 * alpha[..., 2] * alpha[..., 0]
    ) / (total**2 * (total + 1.0))
    spread = 10.0 * np.sqrt(variance) + 1e-9
    low = np.broadcast_to(np.maximum(mean - spread, -1.0), target.shape).copy()
    high = np.broadcast_to(np.minimum(mean + spread, 1.0), target.shape).copy()
    f_low, f_high = excess(low, target), excess(high, target)
    bad_low, bad_high = f_low > 0, f_high < 0
    low = np.where(bad_low, -1.0, low)
    high = np.where(bad_high, 1.0, high)
    f_low = np.where(bad_low, -target, f_low)
    f_high = np.where(bad_high, 1.0 - target, f_high)
    last_side = np.zeros(target.shape, dtype=np.int8)
    for _ in range(_ROOT_STEPS):
        width = f_high - f_low
        step = np.where(width > 0, f_high / np.where(width > 0, width, 1.0), 0.5)
        middle = np.clip(high - step * (high - low), low, high)
        f_middle = excess(middle, target)
        move_low = f_middle < 0
        # Illinois: halve the function value kept at the end that stays twice.
        f_high = np.where(move_low & (last_side == -1), f_high / 2.0, f_high)
        f_low = np.where(~move_low & (last_side == 1), f_low / 2.0, f_low)
        low = np.where(move_low, middle, low)
        f_low = np.where(move_low, f_middle, f_low)
        high = np.where(move_low, high, middle)
        f_high = np.where(move_low, f_high, f_middle)
        last_side = np.where(move_low, -1, 1).astype(np.int8)
    limits = np.where(np.abs(f_low) < np.abs(f_high), low, high)
    return limits[0], limits[1]


def nps_interval(
    count: npt.ArrayLike,
    band: npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    confidence_level: float,
    method: NPSMethod,
    n_resamples: int,
    rng: np.random.Generator,
    prior: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Two-sided interval for NPS, in points clipped to [-100, 100], per batch element.

    Arguments are validated by the caller: ``count``, ``band``, ``weight`` of
    shape ``(*batch, K)``; ``prior`` the three Dirichlet parameters
    (detractor, passive, promoter), positive. ``n_resamples`` and ``rng`` are
    used by the bootstrap methods only.
    """
    sample = _Sample(count, band, weight)
    z = normal_quantile(confidence_level)
    if method in _BOOTSTRAP:
        result = count_bootstrap(
            [sample.count],
            sample.statistic,
            confidence_level=confidence_level,
            method=method,  # type: ignore[arg-type]
            n_resamples=n_resamples,
            rng=rng,
        )
        return _bootstrap_limits(result)
    if method == "wald":
        with np.errstate(invalid="ignore"):
            centre = sample.statistic(sample.count) / 100.0
            half = z * np.sqrt(sample.linearised_variance())
        low, high = centre - half, centre + half
    elif method == "adjusted-wald":
        centre, variance = _augmented(sample.effective_counts())
        half = z * np.sqrt(variance)
        low, high = centre - half, centre + half
    elif method == "score":
        low, high = _score_interval(sample.effective_counts(), z)
    elif method == "bayes":
        low, high = _bayes_interval(
            sample.effective_counts(), np.asarray(prior, dtype=np.float64), confidence_level
        )
    else:  # pragma: no cover - callers validate the method
        raise ValueError(f"`method` must be one of {NPS_METHODS}; got {method!r}")
    return _clip_points(100.0 * low, 100.0), _clip_points(100.0 * high, 100.0)


def _normal_test(
    difference: FloatArray,
    standard_error: FloatArray,
    *,
    confidence_level: float,
    alternative: Alternative,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return the z statistic, p-value and interval (points) from an estimate and its SE."""
    statistic = ratio_or_infinite(difference, standard_error)
    z = normal_quantile(confidence_level, alternative)
    low = difference - z * standard_error
    high = difference + z * standard_error
    pvalue = tail_pvalue(special.ndtr(-statistic), special.ndtr(statistic), alternative)
    if alternative == "greater":
        high = np.full(difference.shape, np.inf)
    elif alternative == "less":
        low = np.full(difference.shape, -np.inf)
    return (
        np.asarray(statistic, dtype=np.float64),
        np.asarray(pvalue, dtype=np.float64),
        np.asarray(low, dtype=np.float64),
        np.asarray(high, dtype=np.float64),
    )


def nps_difference(
    count_a: npt.ArrayLike,
    band_a: npt.ArrayLike,
    weight_a: npt.ArrayLike,
    count_b: npt.ArrayLike,
    band_b: npt.ArrayLike,
    weight_b: npt.ArrayLike,
    *,
    confidence_level: float,
    method: DifferenceMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Compare the NPS of two independent samples, per batch element.

    Returns ``(difference, low, high, statistic, pvalue)``: the difference
    ``NPS_a - NPS_b`` in points, the interval for it (clipped to [-200, 200],
    so a one-sided interval's open end is -200 or 200), the test statistic and
    the p-value of the null hypothesis of equal scores under ``alternative``.
    The batch shapes of the two samples broadcast.

    Methods: "wald" (unpooled standard error of the difference, z test);
    "adjusted-wald" (each sample augmented with the adjusted-Wald
    pseudo-respondents, then as Wald); "percentile", "basic", "bca" (the two
    samples' cell counts resampled independently; the statistic is the
    difference over its bootstrap standard error and the p-value inverts the
    bootstrap interval).
    """
    a = _Sample(count_a, band_a, weight_a)
    b = _Sample(count_b, band_b, weight_b)
    difference = a.statistic(a.count) - b.statistic(b.count)
    if method in _BOOTSTRAP:
        target = difference_targets(a.statistic, b.statistic, alternative=alternative)[1]
        (result,) = count_bootstraps(
            [a.count, b.count],
            [target],
            confidence_level=confidence_level,
            method=method,  # type: ignore[arg-type]
            n_resamples=n_resamples,
            rng=rng,
        )
        return _bootstrap_comparison(difference, result)
    if method == "wald":
        centre = difference
        variance = a.linearised_variance() + b.linearised_variance()
    elif method == "adjusted-wald":
        centre_a, variance_a = _augmented(a.effective_counts())
        centre_b, variance_b = _augmented(b.effective_counts())
        centre = 100.0 * (centre_a - centre_b)
        variance = variance_a + variance_b
    else:  # pragma: no cover - callers validate the method
        raise ValueError(f"`method` must be one of {DIFFERENCE_METHODS}; got {method!r}")
    test_statistic, pvalue, low, high = _normal_test(
        np.asarray(centre, dtype=np.float64),
        np.asarray(100.0 * np.sqrt(variance), dtype=np.float64),
        confidence_level=confidence_level,
        alternative=alternative,
    )
    return _difference_outputs(difference, low, high, test_statistic, pvalue)


def _difference_outputs(
    difference: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
    statistic: npt.ArrayLike,
    pvalue: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """``nps_difference``'s outputs: float arrays, the limits clipped to [-200, 200]."""
    return (
        np.asarray(difference, dtype=np.float64),
        _clip_points(np.asarray(low, dtype=np.float64), 200.0),
        _clip_points(np.asarray(high, dtype=np.float64), 200.0),
        np.asarray(statistic, dtype=np.float64),
        np.asarray(pvalue, dtype=np.float64),
    )


def _bootstrap_limits(result: BootstrapInterval) -> tuple[FloatArray, FloatArray]:
    return _clip_points(result.low, 100.0), _clip_points(result.high, 100.0)


def _bootstrap_comparison(
    difference: FloatArray, result: BootstrapInterval
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """``nps_difference``'s outputs from the bootstrap of the difference."""
    assert result.pvalue is not None  # requested through null_value
    test_statistic = ratio_or_infinite(difference, result.standard_error)
    # An empty batch element has no estimate, so no test either.
    pvalue = np.where(np.isnan(difference), np.nan, result.pvalue)
    return _difference_outputs(difference, result.low, result.high, test_statistic, pvalue)


def nps_interval_and_difference(
    count_a: npt.ArrayLike,
    band_a: npt.ArrayLike,
    weight_a: npt.ArrayLike,
    count_b: npt.ArrayLike,
    band_b: npt.ArrayLike,
    weight_b: npt.ArrayLike,
    *,
    confidence_level: float,
    method: Literal["percentile", "basic", "bca"],
    n_resamples: int,
    rng: RandomSource,
) -> tuple[
    tuple[FloatArray, FloatArray],
    tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
]:
    """Bootstrap interval of NPS_a and its two-sided comparison with b, from one resampling.

    Equal to ``nps_interval`` of sample a with sample a's streams and
    ``nps_difference(a, b)`` with ``rng`` (whose first stream resamples a and
    second resamples b; see ``count_bootstrap``), at the cost of one set of
    resamples of a instead of two.
    """
    a = _Sample(count_a, band_a, weight_a)
    b = _Sample(count_b, band_b, weight_b)
    difference = a.statistic(a.count) - b.statistic(b.count)

    interval, comparison = count_bootstraps(
        [a.count, b.count],
        difference_targets(a.statistic, b.statistic),
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return _bootstrap_limits(interval), _bootstrap_comparison(difference, comparison)
