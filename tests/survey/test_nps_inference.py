"""The batch NPS inference functions against independent references.

References: hand-worked Wald and adjusted-Wald values (arithmetic shown);
statsmodels' heteroscedasticity-robust (HC0) weighted-least-squares standard
error for the linearised variance; a constrained maximum likelihood solved
numerically by scipy for Tango's score interval; direct simulation of the
Dirichlet posterior for the Bayesian interval; ``scipy.stats.bootstrap`` on
the raw rows for the bootstrap intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from loyaltymetrics._engine._cells import cell_table
from loyaltymetrics._survey._nps_inference import (
    DIFFERENCE_METHODS,
    NPS_METHODS,
    _score_statistic,
    nps_difference,
    nps_interval,
    nps_standard_error,
)

BANDS = np.arange(3)
ONES = np.ones(3)
Z95 = stats.norm.ppf(0.975)


def interval(counts: list[int], method: str, level: float = 0.95, **kwargs: object) -> tuple:
    options = {"n_resamples": 9999, "rng": np.random.default_rng(0), "prior": (1.0, 1.0, 1.0)}
    options.update(kwargs)
    _, low, high = nps_interval(
        cell_table(np.array(counts), BANDS, ONES),
        confidence_level=level,
        method=method,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return float(low), float(high)


# --- analytic intervals, worked by hand ----------------------------------------------


def test_standard_error_hand_worked() -> None:
    # 20 detractors, 30 passives, 50 promoters: p_P + p_D - (p_P - p_D)^2
    # = 0.5 + 0.2 - 0.09 = 0.61; SE = 100 * sqrt(0.61 / 100) = 7.81024967...
    assert float(
        nps_standard_error(cell_table(np.array([20, 30, 50]), BANDS, ONES))
    ) == pytest.approx(100 * math.sqrt(0.0061), rel=1e-12)


def test_wald_hand_worked() -> None:
    # NPS 30 points; half-width 1.959964 * 7.810250 = 15.307808.
    low, high = interval([20, 30, 50], "wald")
    assert low == pytest.approx(30 - 1.959963984540054 * 7.810249675906654, abs=1e-9)
    assert high == pytest.approx(30 + 1.959963984540054 * 7.810249675906654, abs=1e-9)
    assert (low, high) == pytest.approx((14.692192, 45.307808), abs=1e-6)


def test_adjusted_wald_hand_worked() -> None:
    # Rocks (2016): add 0.75 detractors, 1.5 passives, 0.75 promoters.
    # n~ = 103, p_P = 50.75/103 = 0.4927184, p_D = 20.75/103 = 0.2014563,
    # centre = 30/103 = 0.2912621, variance = (0.6941748 - 0.0848336)/103
    # = 0.00591593, SE = 0.0769151, half-width = 1.959964 * 0.0769151 = 0.1507508.
    low, high = interval([20, 30, 50], "adjusted-wald")
    p_promoter, p_detractor = 50.75 / 103, 20.75 / 103
    centre = p_promoter - p_detractor
    half = Z95 * math.sqrt((p_promoter + p_detractor - centre**2) / 103)
    assert (low, high) == pytest.approx((100 * (centre - half), 100 * (centre + half)), abs=1e-9)
    assert (low, high) == pytest.approx((14.05113, 44.20130), abs=1e-4)


def test_adjusted_wald_single_promoter() -> None:
    # n = 1 promoter: counts (0.75, 1.5, 1.75) over 4; centre 0.25;
    # variance (0.4375 + 0.1875 - 0.0625) / 4 = 0.140625, SE 0.375.
    low, high = interval([0, 0, 1], "adjusted-wald")
    assert (low, high) == pytest.approx((100 * (0.25 - Z95 * 0.375), 100 * (0.25 + Z95 * 0.375)))


# --- score interval --------------------------------------------------------------------


def reference_score_statistic(delta: float, counts: list[int]) -> float:
    """Tango's statistic with the constrained MLE found numerically (no closed form)."""
    detractors, passives, promoters = counts
    n = sum(counts)

    def negative_log_likelihood(d: float) -> float:
        p = d + delta
        a = 1 - 2 * d - delta
        terms = [(promoters, p), (detractors, d), (passives, a)]
        return -sum(count * math.log(share) for count, share in terms if count > 0)

    lower = max(0.0, -delta) + 1e-13
    upper = (1 - delta) / 2 - 1e-13
    d = optimize.minimize_scalar(
        negative_log_likelihood, bounds=(lower, upper), method="bounded", options={"xatol": 1e-13}
    ).x
    variance = (2 * d + delta - delta**2) / n
    return (promoters - detractors - n * delta) / n / math.sqrt(variance)


@pytest.mark.parametrize("counts", [[20, 30, 50], [3, 1, 0], [1, 8, 2], [40, 5, 55], [2, 0, 90]])
@pytest.mark.parametrize("level", [0.9, 0.95])
def test_score_limits_solve_the_score_equation(counts: list[int], level: float) -> None:
    z = stats.norm.ppf(1 - (1 - level) / 2)
    low, high = interval(counts, "score", level)
    for limit, sign in ((low, 1.0), (high, -1.0)):
        if abs(limit) < 100:
            # |Z(limit)| = z, with Z from the closed-form constrained MLE ...
            ours = float(
                _score_statistic(
                    np.array(limit / 100),
                    np.array(float(counts[2])),
                    np.array(float(counts[0])),
                    np.array(float(sum(counts))),
                )
            )
            assert ours == pytest.approx(sign * z, abs=1e-9)
            # ... and from a numerically maximised likelihood (independent).
            assert reference_score_statistic(limit / 100, counts) == pytest.approx(
                sign * z, abs=1e-5
            )


def test_score_interval_reaches_the_boundary_for_one_band() -> None:
    low, high = interval([0, 0, 7], "score")
    assert high == 100.0
    assert -100 < low < 100
    low, high = interval([5, 0, 0], "score")
    assert low == -100.0


# --- Bayesian interval -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "prior"),
    [([20, 30, 50], (1, 1, 1)), ([3, 1, 0], (1, 1, 1)), ([0, 0, 1], (0.5, 0.5, 0.5))],
)
def test_bayes_equals_dirichlet_simulation(counts: list[int], prior: tuple) -> None:
    # 400,000 posterior draws: the Monte-Carlo sd of a 5% quantile is
    # sqrt(0.05 * 0.95 / 4e5) / density <= 0.05 points for these posteriors
    # (density >= 0.007 per point); 0.3 points is over 6 sd.
    low, high = interval(counts, "bayes", 0.9, prior=prior)
    draws = np.random.default_rng(42).dirichlet(np.add(counts, prior), size=400_000)
    simulated = np.quantile(100 * (draws[:, 2] - draws[:, 0]), [0.05, 0.95])
    assert low == pytest.approx(simulated[0], abs=0.3)
    assert high == pytest.approx(simulated[1], abs=0.3)


def test_bayes_is_symmetric_under_swapping_bands() -> None:
    low, high = interval([7, 4, 2], "bayes", prior=(1, 2, 3))
    mirror_low, mirror_high = interval([2, 4, 7], "bayes", prior=(3, 2, 1))
    assert (low, high) == pytest.approx((-mirror_high, -mirror_low), abs=1e-8)


# --- bootstrap against scipy on the raw rows ---------------------------------------------


def bootstrap_tolerance(standard_error: float) -> float:
    # The MC sd of a 2.5% quantile from 9999 resamples is
    # sqrt(0.025 * 0.975 / 9999) / phi(1.96) * SE = 0.027 SE; two independent
    # runs differ with sd 0.038 SE. 0.25 SE is over 6 sd.
    return 0.25 * standard_error


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_weighted_bootstrap_equals_scipy_on_rows(method: str) -> None:
    rng = np.random.default_rng(7)
    bands = rng.choice(3, size=150, p=[0.3, 0.2, 0.5])
    weights = rng.choice([0.5, 1.0, 2.5], size=150)
    values = (bands - 1).astype(float)
    cells, count = np.unique(np.column_stack([bands, weights]), axis=0, return_counts=True)
    _, low, high = nps_interval(
        cell_table(count, cells[:, 0].astype(int), cells[:, 1]),
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
        n_resamples=9999,
        rng=np.random.default_rng(1),
        prior=(1, 1, 1),
    )

    def weighted_nps(v: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
        return 100 * (v * w).sum(axis=axis) / w.sum(axis=axis)

    reference = stats.bootstrap(
        (values, weights),
        weighted_nps,
        paired=True,
        confidence_level=0.95,
        method=method,
        n_resamples=9999,
        rng=np.random.default_rng(2),
    )
    tolerance = bootstrap_tolerance(reference.standard_error)
    assert float(low) == pytest.approx(reference.confidence_interval.low, abs=tolerance)
    assert float(high) == pytest.approx(reference.confidence_interval.high, abs=tolerance)


def test_difference_bootstrap_equals_scipy_on_rows() -> None:
    a, b = [30, 20, 50], [45, 25, 30]
    difference, low, high, _, _ = nps_difference(
        cell_table(np.array(a), BANDS, ONES),
        cell_table(np.array(b), BANDS, ONES),
        confidence_level=0.9,
        method="bca",
        alternative="two-sided",
        n_resamples=9999,
        rng=np.random.default_rng(3),
    )
    rows_a = np.repeat([-100.0, 0.0, 100.0], a)
    rows_b = np.repeat([-100.0, 0.0, 100.0], b)
    reference = stats.bootstrap(
        (rows_a, rows_b),
        lambda x, y, axis: x.mean(axis=axis) - y.mean(axis=axis),
        confidence_level=0.9,
        method="BCa",
        n_resamples=9999,
        rng=np.random.default_rng(4),
    )
    assert float(difference) == pytest.approx(rows_a.mean() - rows_b.mean())
    tolerance = bootstrap_tolerance(reference.standard_error)
    assert float(low) == pytest.approx(reference.confidence_interval.low, abs=tolerance)
    assert float(high) == pytest.approx(reference.confidence_interval.high, abs=tolerance)


# --- weights -------------------------------------------------------------------------------


def test_linearised_standard_error_equals_robust_wls() -> None:
    statsmodels_api = pytest.importorskip("statsmodels.api")
    # Hand: cells (detractor, w=2, 1 row), (passive, w=1, 1 row), (promoter, w=1, 2 rows):
    # sum w = 5, NPS = (-2 + 2) / 5 = 0, V = (4*1 + 0 + 2*1) / 25 = 0.24.
    se = float(
        nps_standard_error(cell_table(np.array([1, 1, 2]), BANDS, np.array([2.0, 1.0, 1.0])))
    )
    assert se == pytest.approx(100 * math.sqrt(0.24), rel=1e-12)
    # The linearised variance of a weighted mean is the HC0 sandwich variance of
    # the weighted-least-squares intercept.
    rng = np.random.default_rng(11)
    bands = rng.choice(3, size=60)
    weights = rng.uniform(0.2, 3.0, size=60)
    fit = statsmodels_api.WLS(100.0 * (bands - 1), np.ones(60), weights=weights).fit(cov_type="HC0")
    ours = float(nps_standard_error(cell_table(np.ones(60, dtype=int), bands, weights)))
    assert ours == pytest.approx(float(fit.bse[0]), rel=1e-10)


def test_unit_weights_and_padding_change_nothing() -> None:
    counts = np.array([12, 5, 20])
    for method in ("wald", "adjusted-wald", "score", "bayes"):
        plain = interval([12, 5, 20], method)
        padded = nps_interval(
            cell_table(
                np.array([12, 0, 5, 20, 0]),
                np.array([0, 0, 1, 2, 2]),
                np.array([1.0, 3.0, 1.0, 1.0, 0.7]),
            ),
            confidence_level=0.95,
            method=method,  # type: ignore[arg-type]
            n_resamples=10,
            rng=np.random.default_rng(0),
            prior=(1, 1, 1),
        )
        assert tuple(map(float, padded[1:])) == pytest.approx(plain, abs=1e-9)
    assert float(nps_standard_error(cell_table(counts, BANDS, ONES))) == pytest.approx(
        float(nps_standard_error(cell_table(counts, BANDS, np.full(3, 2.5)))), rel=1e-12
    )


def test_zero_weight_cells_are_left_out() -> None:
    with_zero = nps_interval(
        cell_table(np.array([4, 3, 9, 6]), np.array([0, 1, 2, 0]), np.array([1.0, 1.0, 1.0, 0.0])),
        confidence_level=0.9,
        method="adjusted-wald",
        n_resamples=10,
        rng=np.random.default_rng(0),
        prior=(1, 1, 1),
    )
    assert tuple(map(float, with_zero[1:])) == pytest.approx(
        interval([4, 3, 9], "adjusted-wald", 0.9)
    )


def test_kish_effective_counts_drive_adjusted_wald() -> None:
    # Weights 1 and 3 on two promoters, 2 on a detractor, 2 on a passive:
    # sum w = 8, sum w^2 = 18, n_eff = 64 / 18 = 3.5556; shares D 0.25, A 0.25, P 0.5.
    _, low, high = nps_interval(
        cell_table(np.array([1, 1, 1, 1]), np.array([0, 1, 2, 2]), np.array([2.0, 2.0, 1.0, 3.0])),
        confidence_level=0.95,
        method="adjusted-wald",
        n_resamples=10,
        rng=np.random.default_rng(0),
        prior=(1, 1, 1),
    )
    n_eff = 64 / 18
    n = n_eff + 3
    p_promoter = (0.5 * n_eff + 0.75) / n
    p_detractor = (0.25 * n_eff + 0.75) / n
    centre = p_promoter - p_detractor
    half = Z95 * math.sqrt((p_promoter + p_detractor - centre**2) / n)
    assert (float(low), float(high)) == pytest.approx(
        (100 * (centre - half), 100 * (centre + half)), abs=1e-9
    )


# --- batches and degenerate data --------------------------------------------------------------


@pytest.mark.parametrize("method", NPS_METHODS)
def test_batch_equals_one_at_a_time(method: str) -> None:
    batch = np.array([[50, 60, 90], [10, 5, 5], [0, 0, 7], [1, 0, 0]])
    _, low, high = nps_interval(
        cell_table(batch, BANDS, ONES),
        confidence_level=0.9,
        method=method,  # type: ignore[arg-type]
        n_resamples=1999,
        rng=np.random.default_rng(5),
        prior=(1, 1, 1),
    )
    assert low.shape == high.shape == (4,)
    se = nps_standard_error(cell_table(batch, BANDS, ONES))
    for index, row in enumerate(batch):
        alone = interval(list(row), method, 0.9, n_resamples=1999, rng=np.random.default_rng(6))
        if method in ("percentile", "basic", "bca"):
            # Independent Monte-Carlo runs (1999 resamples): within 0.35 SE (> 5 MC sd).
            tolerance = 0.35 * float(se[index]) + 1e-12
        else:
            tolerance = 1e-9
        assert float(low[index]) == pytest.approx(alone[0], abs=tolerance)
        assert float(high[index]) == pytest.approx(alone[1], abs=tolerance)


@pytest.mark.parametrize("method", NPS_METHODS)
@pytest.mark.parametrize("counts", [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 40], [0, 25, 0]])
def test_degenerate_samples_give_finite_documented_intervals(
    method: str, counts: list[int]
) -> None:
    low, high = interval(counts, method, n_resamples=199)
    score = 100.0 * (counts[2] - counts[0]) / sum(counts)
    assert math.isfinite(low)
    assert math.isfinite(high)
    assert -100 <= low <= high <= 100
    if method in ("wald", "percentile", "basic", "bca"):
        # No spread in the data: the zero-width interval at the score.
        assert low == high == score
    else:
        assert low < high


def test_empty_batch_elements_give_nan_without_warnings() -> None:
    batch = np.array([[20, 30, 50], [0, 0, 0]])
    for method in NPS_METHODS:
        _, low, high = nps_interval(
            cell_table(batch, BANDS, ONES),
            confidence_level=0.9,
            method=method,
            n_resamples=99,
            rng=np.random.default_rng(0),
            prior=(1, 1, 1),
        )
        assert np.isfinite([low[0], high[0]]).all()
        assert np.isnan([low[1], high[1]]).all()
    for method in DIFFERENCE_METHODS:
        result = nps_difference(
            cell_table(batch, BANDS, ONES),
            cell_table(np.array([3, 3, 3]), BANDS, ONES),
            confidence_level=0.9,
            method=method,
            alternative="two-sided",
            n_resamples=99,
            rng=np.random.default_rng(0),
        )
        assert np.isfinite([array[0] for array in result]).all()
        assert np.isnan([array[1] for array in result]).all()


@pytest.mark.parametrize("method", DIFFERENCE_METHODS)
def test_difference_batches_broadcast_against_one_sample(method: str) -> None:
    segments = np.array([[20, 30, 50], [5, 5, 5], [0, 0, 3]])
    rest = np.array([30, 30, 40])
    result = nps_difference(
        cell_table(segments, BANDS, ONES),
        cell_table(rest, BANDS, ONES),
        confidence_level=0.95,
        method=method,  # type: ignore[arg-type]
        alternative="two-sided",
        n_resamples=999,
        rng=np.random.default_rng(0),
    )
    for array in result:
        assert array.shape == (3,)
        assert np.all(np.isfinite(array))
    np.testing.assert_allclose(result[0], [20.0, -10.0, 90.0])


# --- coverage, exactly, on a small grid (the full study is benchmarks/coverage.py) -------------


def exact_coverage(method: str, shares: tuple[float, float, float], n: int, level: float) -> float:
    """Coverage summed over every possible sample of size n, weighted by its probability."""
    vectors = np.array([(d, a, n - d - a) for d in range(n + 1) for a in range(n + 1 - d)])
    probability = stats.multinomial.pmf(vectors, n, shares)
    _, low, high = nps_interval(
        cell_table(vectors, BANDS, ONES),
        confidence_level=level,
        method=method,  # type: ignore[arg-type]
        n_resamples=10,
        rng=np.random.default_rng(0),
        prior=(1, 1, 1),
    )
    truth = 100 * (shares[2] - shares[0])
    return float(probability[(low <= truth + 1e-9) & (truth - 1e-9 <= high)].sum())


@pytest.mark.parametrize("shares", [(0.2, 0.3, 0.5), (0.45, 0.1, 0.45), (0.02, 0.08, 0.9)])
def test_exact_coverage_of_the_analytic_methods(shares: tuple[float, float, float]) -> None:
    # Exact coverage at n = 30 (every sample enumerated, so no Monte-Carlo error).
    adjusted = exact_coverage("adjusted-wald", shares, 30, 0.95)
    score = exact_coverage("score", shares, 30, 0.95)
    wald = exact_coverage("wald", shares, 30, 0.95)
    assert 0.92 <= adjusted <= 0.99
    assert 0.92 <= score <= 0.99
    # Wald undercovers at small n (Rocks 2016), most near the boundary.
    assert wald < adjusted
    if shares[2] == 0.9:
        assert wald < 0.9
