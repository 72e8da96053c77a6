"""Weights near the float maximum, and the scipy engine on a one-response sample.

Kish's effective n ``(sum w)**2 / sum w**2`` (Kish 1965, *Survey Sampling*)
and the plug-in variance of a weighted mean do not change with the weights'
scale; the expected numbers here are worked exactly with ``fractions`` on the
weights divided by the largest, independently of the library's arithmetic.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import loyaltymetrics as lm
from loyaltymetrics._engine._cells import kish_effective_n

HUGE = [1e200, 1e200, 1.0]
SCORES = [9, 10, 3]


def _kish(weights: list[float]) -> float:
    """Kish's n worked exactly on the weights divided by the largest."""
    largest = Fraction(max(weights))
    scaled = [Fraction(w) / largest for w in weights]
    return float(sum(scaled) ** 2 / sum(w * w for w in scaled))


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize(
    ("make", "scores"),
    [(lm.nps, SCORES), (lm.csat, [5, 4, 1]), (lm.ces, [7, 6, 2])],
)
def test_effective_n_of_huge_weights_is_kish_hand_value(make, scores):
    # (1 + 1 + 1e-200)**2 / (1 + 1 + 1e-400): 2.0 to double precision.
    result = make(scores, weights=HUGE)
    assert result.effective_n == pytest.approx(_kish(HUGE), rel=1e-15)
    assert result.weight_total == math.fsum(HUGE)


def test_effective_n_of_uneven_huge_weights():
    weights = [3e300, 1e300, 2e299, 7e250]
    expected = _kish(weights)  # about 1.689, by Fraction arithmetic
    assert lm.nps([9, 10, 3, 7], weights=weights).effective_n == pytest.approx(expected, rel=1e-14)


def test_by_segment_effective_n_scales_each_segment_by_its_own_largest_weight():
    # One segment of weights near 1e300 and one near 1e-300: scaled by a single
    # largest weight, the second one's squares would underflow to 0.
    big, small = [3e300, 1e300, 2e299], [1e-300, 4e-300, 2e-300]
    frame = pd.DataFrame(
        {"score": [9, 10, 3, 9, 7, 0], "g": ["a"] * 3 + ["b"] * 3, "w": big + small}
    )
    breakdown = lm.by_segment(frame, score="score", by="g", weights="w", min_n=1)
    table = breakdown.to_frame().set_index("g")
    assert table.loc["a", "effective_n"] == pytest.approx(_kish(big), rel=1e-14)
    assert table.loc["b", "effective_n"] == pytest.approx(_kish(small), rel=1e-14)
    assert breakdown.effective_n == pytest.approx(_kish(big + small), rel=1e-14)


def test_nps_wald_interval_of_huge_weights_is_the_hand_plug_in_variance():
    # Plug-in variance sum w^2 (x - m)^2 / (sum w)^2 on the scaled weights,
    # x = +1, +1, -1 for 9, 10, 3; the interval is m -/+ z sd on 0..100.
    largest = Fraction(max(HUGE))
    w = [Fraction(v) / largest for v in HUGE]
    x = [1, 1, -1]
    mean = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / sum(w)
    variance = sum(wi**2 * (xi - mean) ** 2 for wi, xi in zip(w, x, strict=True)) / sum(w) ** 2
    z = 1.959963984540054  # scipy.stats.norm.ppf(0.975)
    half = 100 * z * math.sqrt(variance)
    interval = lm.nps(SCORES, weights=HUGE).confidence_interval(method="wald")
    assert interval.low == pytest.approx(max(-100.0, 100 * float(mean) - half), rel=1e-12)
    assert interval.high == pytest.approx(min(100.0, 100 * float(mean) + half), rel=1e-12)


@pytest.mark.parametrize("method", ["wald", "adjusted-wald"])
def test_nps_interval_does_not_change_when_weights_scale_by_a_power_of_two(method):
    # Multiplying every weight by 2**900 is exact, so every result is identical.
    weights = np.array([0.3, 2.5, 1.7, 0.9, 1.1])
    scores = [9, 10, 3, 7, 0]
    plain = lm.nps(scores, weights=weights)
    scaled = lm.nps(scores, weights=weights * 2.0**900)
    assert scaled.effective_n == plain.effective_n
    assert scaled.confidence_interval(method=method) == plain.confidence_interval(method=method)


def test_ces_t_interval_does_not_change_when_weights_scale_by_a_power_of_two():
    weights = np.array([0.3, 2.5, 1.7, 0.9, 1.1])
    scores = [7, 6, 2, 5, 4]
    plain = lm.ces(scores, weights=weights).confidence_interval(method="t")
    scaled = lm.ces(scores, weights=weights * 2.0**900).confidence_interval(method="t")
    assert scaled == plain


def test_effective_n_of_ordinary_weights_is_bit_for_bit_the_unscaled_formula():
    # Scaling by a power of two is exact, so for weights whose squares do not
    # overflow the result is the unscaled (sum c w)**2 / sum c w**2, bit for bit.
    rng = np.random.default_rng(18)
    for _ in range(200):
        weight = rng.lognormal(0.0, 3.0, size=(4, 7))
        count = rng.integers(0, 50, size=(4, 7))
        count[:, 0] += 1
        mass = count * weight
        unscaled = mass.sum(axis=-1) ** 2 / (mass * weight).sum(axis=-1)
        np.testing.assert_array_equal(kish_effective_n(count, weight), unscaled)


def test_effective_n_of_a_group_without_weight_is_zero():
    assert kish_effective_n(np.array([[3, 2]]), np.zeros((1, 2))).tolist() == [0.0]


# --- engine="scipy" on one response ---------------------------------------


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize(
    ("result", "call"),
    [
        (lm.nps([10]), {}),
        (lm.nps([3]), {}),
        (lm.nps([10, 3], weights=[1.0, 0.0]), {}),  # one row that carries weight
        (lm.csat([5]), {}),
        (lm.ces([6]), {"of": "mean"}),
        (lm.ces([6]), {"of": "agree_share"}),
    ],
)
def test_scipy_engine_on_one_response_is_the_count_engines_zero_width_interval(
    result, call, method
):
    # One respondent resamples to itself: every replicate is the estimate, as
    # the count engine's distribution shows (computed here, not assumed).
    count = result.confidence_interval(method=method, rng=1, **call)
    scipy = result.confidence_interval(
        method=method, engine="scipy", rng=np.random.default_rng(1), **call
    )
    assert (scipy.low, scipy.high) == (count.low, count.high)
    assert scipy.low == scipy.high
    assert scipy.standard_error == count.standard_error == 0.0
    assert np.all(scipy.bootstrap_distribution == scipy.low)
    assert scipy.bootstrap_distribution.shape == count.bootstrap_distribution.shape


def test_scipy_engine_on_one_response_estimate():
    # The zero-width interval sits at the estimate: NPS of one promoter is 100.
    interval = lm.nps([10]).confidence_interval(method="percentile", engine="scipy")
    assert (interval.low, interval.high) == (100.0, 100.0)


def test_scipy_engine_on_constant_rows_is_zero_width_bca_too():
    # Two promoters: scipy's BCa would be NaN (no jackknife spread); the answer
    # is the count engine's, 100 to 100.
    result = lm.nps([10, 10])
    count = result.confidence_interval(method="bca", rng=1)
    scipy = result.confidence_interval(method="bca", engine="scipy", rng=np.random.default_rng(1))
    assert (scipy.low, scipy.high) == (count.low, count.high) == (100.0, 100.0)


@pytest.mark.parametrize("method", ["wald", "percentile", "bca"])
def test_nps_near_the_float_maximum_is_its_rescaled_copy(method):
    # Weights times 2**1020 (exact; the largest, 1.5 * 2**1020, is within the
    # float range) overflowed in 100 * sum(w x) and in sum(w**2); scaled back
    # exactly, every interval is that of the ordinary weights.
    weights = np.array([0.5, 1.5, 1.0, 0.25])
    scores = [9, 10, 3, 7]
    plain = lm.nps(scores, weights=weights).confidence_interval(method=method, rng=7)
    huge = lm.nps(scores, weights=weights * 2.0**1020).confidence_interval(method=method, rng=7)
    assert (huge.low, huge.high) == (plain.low, plain.high)


@pytest.mark.parametrize("method", ["t", "percentile", "bca"])
def test_csat_and_ces_means_near_the_float_maximum_are_their_rescaled_copy(method):
    weights = np.array([0.5, 1.5, 1.0, 0.25])
    for make, scores in ((lm.csat, [5, 4, 1, 3]), (lm.ces, [7, 6, 2, 5])):
        plain = make(scores, weights=weights)
        huge = make(scores, weights=weights * 2.0**1020)
        if make is lm.csat:
            shares = [
                r.confidence_interval(method=method if method != "t" else "wilson", rng=7)
                for r in (plain, huge)
            ]
            assert shares[0] == shares[1]
        else:
            means = [r.confidence_interval(method=method, rng=7) for r in (plain, huge)]
            assert means[0] == means[1]


@pytest.mark.parametrize("method", ["classical", "hc0", "hc1", "hc2", "hc3"])
def test_over_time_trend_of_huge_weights_is_its_rescaled_copy(method):
    # Weighted least squares does not change when every weight is multiplied by
    # 2**1000 (exact); the weighted moments overflowed before.
    rng = np.random.default_rng(18)
    frame = pd.DataFrame(
        {
            "score": rng.integers(0, 11, 60),
            "time": pd.date_range("2024-01-01", periods=60, freq="5D"),
            "w": rng.uniform(0.5, 2.0, 60),
        }
    )
    huge = frame.assign(w=frame["w"] * 2.0**1000)
    plain = lm.over_time(frame, score="score", time="time", weights="w").trend(method=method)
    scaled = lm.over_time(huge, score="score", time="time", weights="w").trend(method=method)
    assert (scaled.slope, scaled.standard_error, scaled.pvalue) == (
        plain.slope,
        plain.standard_error,
        plain.pvalue,
    )
