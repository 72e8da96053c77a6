"""Edge cases of the shared argument checks (regressions found by tests/package/test_fuzz.py)."""

from __future__ import annotations

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics import datasets
from loyaltymetrics._engine._validation import is_integer_number, is_real_number

TIME_SPAN = np.timedelta64(1, "D")


def test_numpy_time_span_is_not_a_number() -> None:
    # numpy registers timedelta64 as an integer type, but float() rejects it.
    assert not is_real_number(TIME_SPAN)
    assert not is_integer_number(TIME_SPAN)
    assert not is_real_number(True)
    assert not is_real_number(np.bool_(True))
    assert is_real_number(np.float32(0.5))
    assert is_integer_number(np.int8(3))
    assert not is_integer_number(3.0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda: lm.nps_sample_size(5.0, promoter_share=TIME_SPAN, detractor_share=0.2),
            "promoter_share",
        ),
        (lambda: datasets.simulate_bgnbd(TIME_SPAN, r=1, alpha=1, a=1, b=1, T=1), "n"),
        (lambda: lm.kaplan_meier([1, 2], [1, 1]).restricted_mean(TIME_SPAN), "horizon"),
        (lambda: lm.value_concentration([1.0, 2.0], top=TIME_SPAN), "top"),
        (lambda: lm.sequential_test([9, 10], baseline=TIME_SPAN), "baseline"),
        (lambda: lm.retention_rate(start=TIME_SPAN, end=1, new=0), "start"),
    ],
)
def test_time_span_where_a_number_belongs_names_the_argument(call, argument) -> None:
    with pytest.raises(TypeError, match=f"`{argument}`"):
        call()


def test_confidence_level_next_to_one_gives_finite_intervals() -> None:
    import math
    import warnings

    from scipy import stats

    from loyaltymetrics._engine._intervals import normal_quantile

    level = 0.9999999999999999  # the largest float below 1 that is not 1 - 2**-53
    # Reference: scipy's upper-tail inverse, isf((1 - level) / 2).
    assert normal_quantile(level) == pytest.approx(stats.norm.isf((1 - level) / 2), rel=1e-12)
    assert normal_quantile(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interval = lm.csat([1, 4, 5, 5]).confidence_interval(level)
        curve = lm.kaplan_meier([1, 2, 3], [1, 0, 1], confidence_level=level)
    assert math.isfinite(interval.low)
    assert math.isfinite(interval.high)
    assert curve.confidence_level == level


def test_polars_128_bit_integers_name_the_argument() -> None:
    pl = pytest.importorskip("polars")
    with pytest.raises(TypeError, match="`frequency`"):
        lm.fit_bgnbd(pl.Series([10**30, 1], dtype=pl.Int128), [1, 1], [2, 2])


def test_odd_scalar_options_name_the_argument() -> None:
    curves = lm.kaplan_meier([1, 2, 2, 5], [1, 1, 0, 1], by=list("aabb"))
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="`rho`"):
        curves.logrank_test(rho=pd.NA)
    with pytest.raises(TypeError, match="`period`"):
        lm.cohort_retention([1, 2], customer=[1, 2], time=[0, 1], period=TIME_SPAN)
    with pytest.raises(TypeError, match="`t`"):
        lm.fit_sbg([1000, 631, 468, 382, 326]).retention_rate([np.array(["a"], dtype=object), 1])


def test_rng_time_span_and_unordered_group_labels_are_named() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="`rng`"):
        datasets.simulate_gamma_gamma([1.0], p=6.0, q=4.0, v=15.0, rng=TIME_SPAN)
    curves = lm.kaplan_meier([1, 2, 2, 5], [1, 1, 0, 1], by=list("aabb"))
    with pytest.raises(ValueError, match="`second` must be one of the groups"):
        curves.compare_restricted_means(5.0, "a", pd.NA)
