"""The trend estimator on per-period cell counts equals statsmodels on the expanded rows.

Reference: ``statsmodels.api.WLS`` (``OLS`` when unweighted) fitted on one row
per respondent, with ``cov_type`` "nonrobust" / "HC0" .. "HC3" and
``use_t=True`` (Student's t with n - 2 degrees of freedom, as we use).
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from loyaltymetrics._engine._trend import TREND_ERRORS, linear_trend

NPS_CODES = np.array([-1.0, 0.0, 1.0])
STATSMODELS_COV = {
    "classical": "nonrobust",
    "hc0": "HC0",
    "hc1": "HC1",
    "hc2": "HC2",
    "hc3": "HC3",
}


def _expanded_fit(
    counts: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None,
    periods: npt.NDArray[np.float64],
    method: str,
) -> tuple[float, float, float, float, float, float]:
    """Slope, SE, p-value, interval and intercept of statsmodels on one row per respondent."""
    time = np.broadcast_to(periods[:, None], counts.shape).ravel()
    value = np.broadcast_to(values, counts.shape).ravel()
    weight = np.ones(counts.size) if weights is None else np.broadcast_to(weights, counts.shape)
    repeats = counts.ravel()
    y = np.repeat(value, repeats)
    x = sm.add_constant(np.repeat(time, repeats).astype(np.float64), has_constant="add")
    w = np.repeat(np.asarray(weight).ravel(), repeats)
    model = sm.OLS(y, x) if weights is None else sm.WLS(y, x, weights=w)
    result = model.fit(cov_type=STATSMODELS_COV[method], use_t=True)
    pvalue = float(result.pvalues[1])
    low, high = result.conf_int(alpha=0.05)[1]
    return (
        float(result.params[1]),
        float(result.bse[1]),
        pvalue,
        float(low),
        float(high),
        float(result.params[0]),
    )


@pytest.mark.parametrize("method", TREND_ERRORS)
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_statsmodels_on_the_expanded_rows(method: str, weighted: bool) -> None:
    rng = np.random.default_rng(14)
    counts = rng.integers(0, 40, size=(8, 3))
    counts[3] = 0  # a period with no responses contributes nothing
    weights = rng.uniform(0.2, 3.0, size=(8, 3)) if weighted else None
    periods = np.arange(8, dtype=np.float64)
    fit = linear_trend(counts, NPS_CODES, weights=weights, method=method)  # type: ignore[arg-type]
    slope, se, pvalue, low, high, intercept = _expanded_fit(
        counts, NPS_CODES, weights, periods, method
    )
    assert fit.slope == pytest.approx(slope, rel=1e-10, abs=1e-12)
    assert fit.standard_error == pytest.approx(se, rel=1e-10, abs=1e-12)
    assert fit.pvalue == pytest.approx(pvalue, rel=1e-8, abs=1e-12)
    assert fit.low == pytest.approx(low, rel=1e-10, abs=1e-12)
    assert fit.high == pytest.approx(high, rel=1e-10, abs=1e-12)
    assert fit.intercept == pytest.approx(intercept, rel=1e-10, abs=1e-12)
    assert fit.n == counts.sum()
    assert fit.df == counts.sum() - 2


@settings(max_examples=40)
@given(
    counts=hnp.arrays(
        np.int64, st.tuples(st.integers(2, 6), st.integers(2, 5)), elements=st.integers(0, 6)
    ),
    method=st.sampled_from(TREND_ERRORS),
    data=st.data(),
)
def test_property_equals_statsmodels(
    counts: npt.NDArray[np.int64], method: str, data: st.DataObject
) -> None:
    """Any count table with at least 3 respondents in 2 periods and leverage below 1."""
    n_periods, n_cells = counts.shape
    values = np.array(
        data.draw(st.lists(st.integers(-3, 7), min_size=n_cells, max_size=n_cells)),
        dtype=np.float64,
    )
    periods = np.sort(
        np.array(
            data.draw(
                st.lists(st.integers(-5, 30), min_size=n_periods, max_size=n_periods, unique=True)
            ),
            dtype=np.float64,
        )
    )
    per_period = counts.sum(axis=1)
    if (per_period > 0).sum() < 2 or counts.sum() < 3:
        fit = linear_trend(counts, values, periods=periods, method=method)  # type: ignore[arg-type]
        assert np.isnan(fit.standard_error)
        return
    fit = linear_trend(counts, values, periods=periods, method=method)  # type: ignore[arg-type]
    # Leverage of a respondent in period t: 1/n + (t - mean t)^2 / Sxx (textbook
    # OLS). At 1 (alone in one of two occupied periods) HC2/HC3 divide by
    # 1 - h = 0: the documented answer is NaN (statsmodels divides by zero).
    time = np.repeat(periods, per_period)
    leverage = 1 / time.size + (time - time.mean()) ** 2 / ((time - time.mean()) ** 2).sum()
    if method in ("hc2", "hc3") and leverage.max() > 1 - 1e-9:
        assert np.isnan(fit.standard_error)
        return
    slope, se, _, _, _, _ = _expanded_fit(counts, values, None, periods, method)
    assert fit.slope == pytest.approx(slope, rel=1e-9, abs=1e-9)
    if np.isfinite(se) and se > 1e-7:
        assert fit.standard_error == pytest.approx(se, rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_pvalue_is_the_t_tail(alternative: str) -> None:
    counts = np.array([[30, 30, 40], [28, 30, 42], [20, 35, 45], [22, 30, 48]])
    two_sided = linear_trend(counts, NPS_CODES, method="classical")
    one_sided = linear_trend(counts, NPS_CODES, method="classical", alternative=alternative)  # type: ignore[arg-type]
    # The slope is positive, so the "greater" p-value is half the two-sided one.
    assert two_sided.slope > 0
    expected = two_sided.pvalue / 2 if alternative == "greater" else 1 - two_sided.pvalue / 2
    assert one_sided.pvalue == pytest.approx(expected, rel=1e-12)
    if alternative == "greater":
        assert one_sided.high == np.inf
        assert one_sided.low < one_sided.slope
    else:
        assert one_sided.low == -np.inf
        assert one_sided.high > one_sided.slope


def test_hand_worked_example() -> None:
    # Three periods (t = 0, 1, 2), 100 respondents each; NPS codes -1/0/+1.
    # Period means 0.10, 0.20, 0.30, so the least-squares slope is 0.10 per period.
    # RSS = sum over respondents of (y - fitted)^2: each period's sum of squares
    # around its own mean (the line passes through all three means):
    # period 0: 70 - 100 * 0.01 = 69; period 1: 70 - 4 = 66; period 2: 70 - 9 = 61.
    # sigma^2 = 196 / 298; Sxx = 100 * (1 + 0 + 1) = 200; SE = sqrt(sigma^2 / 200).
    counts = np.array([[30, 30, 40], [25, 30, 45], [20, 30, 50]])
    fit = linear_trend(counts, NPS_CODES, method="classical")
    assert fit.slope == pytest.approx(0.10, abs=1e-14)
    assert fit.standard_error == pytest.approx(np.sqrt(196 / 298 / 200), rel=1e-12)
    assert fit.intercept == pytest.approx(0.10, abs=1e-14)


def test_batch_axes_equal_one_fit_per_series() -> None:
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 30, size=(4, 6, 3))
    batched = linear_trend(counts, NPS_CODES)
    assert isinstance(batched.slope, np.ndarray)
    assert batched.slope.shape == (4,)
    for segment in range(4):
        single = linear_trend(counts[segment], NPS_CODES)
        assert batched.slope[segment] == pytest.approx(single.slope, rel=1e-12)
        assert batched.standard_error[segment] == pytest.approx(single.standard_error, rel=1e-12)  # type: ignore[index]
        assert batched.pvalue[segment] == pytest.approx(single.pvalue, rel=1e-10)  # type: ignore[index]


def test_custom_period_positions_equal_relabelled_time() -> None:
    counts = np.array([[10, 5, 20], [0, 0, 0], [12, 4, 25], [8, 9, 30]])
    spaced = linear_trend(counts, NPS_CODES, periods=[0.0, 2.0, 4.0, 6.0])
    unit = linear_trend(counts, NPS_CODES)
    # Doubling the time axis halves the slope and its standard error.
    assert spaced.slope == pytest.approx(unit.slope / 2, rel=1e-12)
    assert spaced.standard_error == pytest.approx(unit.standard_error / 2, rel=1e-12)
    assert spaced.pvalue == pytest.approx(unit.pvalue, rel=1e-10)


def test_degenerate_inputs_give_nan_not_warnings() -> None:
    # One period only: no slope. Two respondents: a slope but no residual df.
    one_period = linear_trend([[3, 1, 4], [0, 0, 0]], NPS_CODES)
    assert np.isnan(one_period.slope)
    assert np.isnan(one_period.pvalue)
    two = linear_trend([[1, 0, 0], [0, 0, 1]], NPS_CODES)
    assert two.slope == 2.0
    assert np.isnan(two.standard_error)
    empty = linear_trend(np.zeros((3, 3)), NPS_CODES)
    assert np.isnan(empty.slope)
    assert empty.n == 0
    # A lone respondent in an extreme period has leverage 1: HC2/HC3 undefined, HC0 defined.
    lone = np.array([[1, 0, 0], [3, 2, 5]])
    assert np.isnan(linear_trend(lone, NPS_CODES, method="hc3").standard_error)
    assert np.isfinite(linear_trend(lone, NPS_CODES, method="hc0").standard_error)


def test_constant_values_give_zero_slope_and_pvalue_one() -> None:
    fit = linear_trend([[0, 0, 5], [0, 0, 7], [0, 0, 3]], NPS_CODES, method="classical")
    assert fit.slope == 0.0
    assert fit.standard_error == 0.0
    assert fit.statistic == 0.0
    assert fit.pvalue == 1.0


def test_inputs_not_modified_and_result_displays() -> None:
    counts = np.array([[5, 5, 10], [4, 6, 12]])
    before = counts.copy()
    fit = linear_trend(counts, NPS_CODES)
    np.testing.assert_array_equal(counts, before)
    assert repr(fit).startswith("LinearTrend(slope=")
    assert fit.to_dict()["method"] == "hc3"
    assert "<table>" in fit._repr_html_()
    interval = fit.confidence_interval()
    assert interval.low == fit.low
    assert interval.high == fit.high
    with pytest.raises(ValueError, match="one series"):
        _ = linear_trend(np.stack([counts, counts]), NPS_CODES).confidence_interval()


def test_confidence_interval_at_another_level() -> None:
    # Expected limits: slope -/+ t_{df}(1 - tail) * standard_error, the t
    # quantile from scipy.stats.t (independent of the fit's own arithmetic).
    counts = np.array([[30, 30, 40], [25, 30, 45], [20, 30, 50]])
    fit = linear_trend(counts, NPS_CODES, method="classical")
    assert fit.confidence_interval(0.95) == fit.confidence_interval()
    quantile = stats.t.isf(0.05, fit.df)
    interval = fit.confidence_interval(0.9)
    assert interval.low == pytest.approx(fit.slope - quantile * fit.standard_error, rel=1e-12)
    assert interval.high == pytest.approx(fit.slope + quantile * fit.standard_error, rel=1e-12)
    one_sided = linear_trend(counts, NPS_CODES, alternative="greater")
    lower = one_sided.confidence_interval(0.8)
    assert lower.high == np.inf
    assert lower.low == pytest.approx(
        one_sided.slope - stats.t.isf(0.2, one_sided.df) * one_sided.standard_error, rel=1e-12
    )
    with pytest.raises(ValueError, match="`confidence_level`"):
        fit.confidence_interval(1.5)


def test_one_sided_limits_at_a_level_of_nearly_zero() -> None:
    # Found by the fuzz test: at confidence_level=5e-324 the one-sided t quantile
    # is -inf (the tail is 1), and 0 * inf warned. A positive standard error
    # gives the limit -inf for "less" (the interval (-inf, high] shrinks to
    # nothing), a zero standard error the slope itself.
    counts = np.array([[30, 30, 40], [25, 30, 45], [20, 30, 50]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = linear_trend(counts, [-1.0, 0.0, 1.0], confidence_level=5e-324, alternative="less")
        assert float(fit.high) == -np.inf
        assert float(fit.low) == -np.inf
        # Every respondent in period k answers k - 1: a perfect line, standard error 0.
        exact = np.array([[5, 0, 0], [0, 5, 0], [0, 0, 5]])
        flat = linear_trend(exact, [-1.0, 0.0, 1.0], confidence_level=5e-324, alternative="less")
    assert float(flat.standard_error) == 0.0
    assert float(flat.high) == float(flat.slope) == 1.0
