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

from collections.abc import Callable
from typing import Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._cells import CellTable
from loyaltymetrics._engine._intervals import (
    BOOTSTRAP_METHODS,
    Alternative,
    RandomSource,
    normal_quantile,
    ratio_or_infinite,
)
from loyaltymetrics._engine._means import (
    CellMeans,
    Difference,
    FloatArray,
    IntArray,
    Interval,
    blank_pair,
    bootstrap_difference,
    bootstrap_interval,
    bootstrap_interval_and_difference,
    normal_limits,
    normal_pvalue,
)

__all__ = [
    "DIFFERENCE_METHODS",
    "NPS_METHODS",
    "DifferenceMethod",
    "NPSMethod",
    "dirichlet_difference_cdf",
    "nps_difference",
    "nps_interval",
    "nps_interval_and_difference",
    "nps_standard_error",
]

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

#: Pseudo-respondents of the adjusted Wald interval (Rocks 2016): 3/4 detractor,
#: 3/2 passive, 3/4 promoter.
ADJUSTMENT = np.array([0.75, 1.5, 0.75])
#: Gauss-Legendre nodes for the Dirichlet posterior's distribution function.
_QUADRATURE_NODES = 128
#: Bisection steps: the bracket [-1, 1] shrinks to 2**-55, below float resolution of a score.
_BISECTION_STEPS = 55
#: Illinois steps for the credible limits (superlinear: far more than enough).
_ROOT_STEPS = 24


def _band_value(band: IntArray) -> FloatArray:
    return (np.asarray(band, dtype=np.int64) - 1).astype(np.float64)  # -1, 0, +1


def nps_means(cells: CellTable) -> CellMeans:
    """NPS cells (labels: 0 detractor, 1 passive, 2 promoter) in the weighted-mean engine.

    The bootstrap statistic is in points, snapped to 1e-9 points so that
    replicates equal to the estimate compare as ties (BCa's bias correction
    counts them) however the weights are scaled.
    """
    return CellMeans(cells, _band_value, factor=100.0, snap=9)


def nps_points(band_totals: npt.ArrayLike) -> FloatArray:
    """NPS in points from (detractor, passive, promoter) totals, shape ``(*groups, 3)``.

    The one place the score is computed: ``100 * (p_P - p_D)`` from the
    shares; NaN where there are no responses.
    """
    totals = np.asarray(band_totals, dtype=np.float64)
    n = totals[..., 0] + totals[..., 1] + totals[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(100.0 * (totals[..., 2] / n - totals[..., 0] / n), dtype=np.float64)


def _effective_counts(sample: CellMeans) -> FloatArray:
    """Kish effective size times the weighted band shares, shape ``(*groups, 3)``."""
    return np.asarray(sample.effective_n[..., None] * sample.label_shares(3), dtype=np.float64)


def _clip_points(value: FloatArray, bound: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(np.clip(value, -bound, bound), dtype=np.float64)


def nps_standard_error(cells: CellTable) -> FloatArray:
    """Wald standard error of NPS in points, for each group.

    ``100 * sqrt((p_P + p_D - (p_P - p_D)^2) / n)`` for unweighted data; the
    linearised variance for weighted data (see the module notes).
    """
    sample = nps_means(cells)
    (se,) = sample.blank(100.0 * np.sqrt(sample.linearised_variance(finite_sample=False)))
    return se


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
    # The larger root, computed without cancellation (for b > 0 as -2c / (b +
    # sqrt(disc))) and with the discriminant scaled, so that tiny deltas (b**2
    # below the float range) keep their exact root.
    scale = np.maximum(np.abs(b), np.sqrt(np.abs(4.0 * a * c)))
    safe_scale = np.where(scale > 0, scale, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        root_disc = safe_scale * np.sqrt(
            np.maximum((b / safe_scale) ** 2 - (4.0 * a * c / safe_scale) / safe_scale, 0.0)
        )
        root = np.where(
            b > 0, -2.0 * c / np.where(b > 0, b + root_disc, 1.0), (root_disc - b) / (2.0 * a)
        )
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


def dirichlet_difference_cdf(alpha: FloatArray) -> Callable[[FloatArray], FloatArray]:
    """Distribution function of p_P - p_D (-1..1) under Dirichlet(``alpha``), per group.

    ``alpha`` holds the (detractor, passive, promoter) parameters, shape
    ``(*groups, 3)``; the returned function takes points ``t`` whose shape
    broadcasts against ``groups`` (with leading axes allowed). With S = p_P +
    p_D ~ Beta(a_P + a_D, a_A) and U = p_P / S ~ Beta(a_P, a_D) independent,
    p_P - p_D = S (2U - 1), so ``F(t) = E_S[I_{(1 + t/S)/2}(a_P, a_D)]``: one
    regularised incomplete beta function integrated over S's quantiles with
    Gauss-Legendre nodes (computed once, here).
    """
    from scipy import special

    a_detractor, a_passive, a_promoter = (alpha[..., j, None] for j in range(3))
    roots, node_weights = np.polynomial.legendre.leggauss(_QUADRATURE_NODES)
    # S at the Gauss-Legendre nodes mapped to (0, 1) as quantile levels.
    s = special.betaincinv(a_promoter + a_detractor, a_passive, (roots + 1.0) / 2.0)
    node_weights = node_weights / 2.0
    positive = s > 0
    safe_s = np.where(positive, s, 1.0)

    def cdf(t: FloatArray) -> FloatArray:
        x = np.where(
            positive,
            np.clip(1.0 + t[..., None] / safe_s, 0.0, 2.0) / 2.0,
            np.where(t[..., None] >= 0, 1.0, 0.0),
        )
        return np.asarray(
            (special.betainc(a_promoter, a_detractor, x) * node_weights).sum(axis=-1),
            dtype=np.float64,
        )

    return cdf


def _bayes_interval(
    effective: FloatArray, prior: FloatArray, confidence_level: float
) -> tuple[FloatArray, FloatArray]:
    """Equal-tailed credible interval (-1..1) of p_P - p_D under the Dirichlet posterior.

    The posterior distribution function is :func:`dirichlet_difference_cdf`
    of ``alpha = effective + prior``. Both limits are found together, by the
    Illinois (modified regula falsi) method inside a bracket taken from the
    posterior mean and standard deviation.
    """
    alpha = effective + prior
    cdf = dirichlet_difference_cdf(alpha)

    def excess(t: FloatArray, target: FloatArray) -> FloatArray:
        return np.asarray(cdf(t) - target, dtype=np.float64)

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


def _analytic_limits(
    sample: CellMeans, *, confidence_level: float, method: NPSMethod, prior: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Limits on -1..1 of the NPS-specific (non-bootstrap) interval methods."""
    z = normal_quantile(confidence_level)
    if method == "wald":
        with np.errstate(invalid="ignore"):
            centre = sample.statistic(sample.count) / 100.0
            half = z * np.sqrt(sample.linearised_variance(finite_sample=False))
        return centre - half, centre + half
    if method == "adjusted-wald":
        centre, variance = _augmented(_effective_counts(sample))
        half = z * np.sqrt(variance)
        return centre - half, centre + half
    if method == "score":
        return _score_interval(_effective_counts(sample), z)
    if method == "bayes":
        return _bayes_interval(
            _effective_counts(sample), np.asarray(prior, dtype=np.float64), confidence_level
        )
    raise ValueError(f"`method` must be one of {NPS_METHODS}; got {method!r}")  # pragma: no cover


def nps_interval(
    cells: CellTable,
    *,
    confidence_level: float,
    method: NPSMethod,
    n_resamples: int,
    rng: RandomSource,
    prior: npt.ArrayLike,
) -> Interval:
    """NPS and its two-sided interval, in points clipped to [-100, 100], per group.

    Arguments are validated by the caller: ``cells`` labelled by band, of
    shape ``(*groups, K)``; ``prior`` the three Dirichlet parameters
    (detractor, passive, promoter), positive. ``n_resamples`` and ``rng`` are
    used by the bootstrap methods only. Empty groups give NaN.
    """
    sample = nps_means(cells)
    if method in BOOTSTRAP_METHODS:
        result = bootstrap_interval(
            sample,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
        low, high = _clip_points(result.low, 100.0), _clip_points(result.high, 100.0)
    else:
        low, high = _analytic_limits(
            sample, confidence_level=confidence_level, method=method, prior=prior
        )
        low, high = _clip_points(100.0 * low, 100.0), _clip_points(100.0 * high, 100.0)
    estimate = nps_points(sample.cells.label_totals(3))
    return Interval(*sample.blank(estimate, low, high))


def _clipped(result: Difference) -> Difference:
    """Return a difference with its limits clipped to [-200, 200] points."""
    return result._replace(
        low=_clip_points(result.low, 200.0), high=_clip_points(result.high, 200.0)
    )


def nps_difference(
    a_cells: CellTable,
    b_cells: CellTable,
    *,
    confidence_level: float,
    method: DifferenceMethod,
    alternative: Alternative,
    n_resamples: int,
    rng: RandomSource,
) -> Difference:
    """Compare the NPS of two independent samples, per group.

    Returns the difference ``NPS_a - NPS_b`` in points, the interval for it
    (clipped to [-200, 200], so a one-sided interval's open end is -200 or
    200), the test statistic and the p-value of the null hypothesis of equal
    scores under ``alternative``. The group shapes of the two samples
    broadcast.

    Methods: "wald" (unpooled standard error of the difference, z test);
    "adjusted-wald" (each sample augmented with the adjusted-Wald
    pseudo-respondents, then as Wald); "percentile", "basic", "bca" (the two
    samples' cell counts resampled independently; the statistic is the
    difference over its bootstrap standard error and the p-value inverts the
    bootstrap interval).
    """
    a, b = nps_means(a_cells), nps_means(b_cells)
    difference = a.statistic(a.count) - b.statistic(b.count)
    if method in BOOTSTRAP_METHODS:
        return _clipped(
            bootstrap_difference(
                a,
                b,
                difference,
                confidence_level=confidence_level,
                method=method,
                alternative=alternative,
                n_resamples=n_resamples,
                rng=rng,
            )
        )
    if method == "wald":
        centre = difference
        variance = a.linearised_variance(finite_sample=False) + b.linearised_variance(
            finite_sample=False
        )
    elif method == "adjusted-wald":
        centre_a, variance_a = _augmented(_effective_counts(a))
        centre_b, variance_b = _augmented(_effective_counts(b))
        centre = 100.0 * (centre_a - centre_b)
        variance = variance_a + variance_b
    else:  # pragma: no cover - callers validate the method
        raise ValueError(f"`method` must be one of {DIFFERENCE_METHODS}; got {method!r}")
    standard_error = 100.0 * np.sqrt(variance)
    statistic = ratio_or_infinite(centre, standard_error)
    low, high = normal_limits(
        centre, standard_error, confidence_level=confidence_level, alternative=alternative
    )
    pvalue = normal_pvalue(statistic, alternative)
    return _clipped(Difference(*blank_pair(a, b, difference, low, high, statistic, pvalue)))


def nps_interval_and_difference(
    a_cells: CellTable,
    b_cells: CellTable,
    *,
    confidence_level: float,
    method: Literal["percentile", "basic", "bca"],
    n_resamples: int,
    rng: RandomSource,
) -> tuple[Interval, Difference]:
    """Bootstrap interval of NPS_a and its two-sided comparison with b, from one resampling.

    Equal to ``nps_interval`` of sample a with sample a's streams and
    ``nps_difference(a, b)`` with ``rng`` (whose first stream resamples a and
    second resamples b; see ``count_bootstrap``), at the cost of one set of
    resamples of a instead of two.
    """
    a, b = nps_means(a_cells), nps_means(b_cells)
    difference = a.statistic(a.count) - b.statistic(b.count)
    interval, comparison = bootstrap_interval_and_difference(
        a,
        b,
        difference,
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    estimate = nps_points(a.cells.label_totals(3))
    limits = Interval(
        *a.blank(estimate, _clip_points(interval.low, 100.0), _clip_points(interval.high, 100.0))
    )
    return limits, _clipped(comparison)
