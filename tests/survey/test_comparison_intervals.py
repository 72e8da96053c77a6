"""``confidence_interval`` of comparisons: the stored interval, or one recomputed on request."""

from __future__ import annotations

import math
import pickle

import pytest
from scipy import stats

import loyaltymetrics as lm

A = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
B = lm.nps_from_counts(detractors=30, passives=30, promoters=40)


def test_without_arguments_it_is_the_interval_computed_with_the_comparison() -> None:
    comparison = lm.compare_nps(A, B, method="bca", n_resamples=199, rng=3)
    assert comparison.confidence_interval() is comparison.interval
    again = lm.compare_nps(A, B, method="bca", n_resamples=199, rng=3)
    assert again.confidence_interval() == comparison.confidence_interval()
    assert "interval" in comparison.to_dict()
    assert "_recompute" not in comparison.to_dict()
    assert "_recompute" not in repr(comparison)


def test_another_level_and_method_match_a_hand_worked_wald_interval() -> None:
    # Hand-worked: NPS variance per respondent is (p+ + p-) - (p+ - p-)^2, so
    # 0.61 for A and 0.69 for B; se = 100 sqrt(0.61/100 + 0.69/100).
    se = 100 * math.sqrt(0.61 / 100 + 0.69 / 100)
    z = stats.norm.ppf(0.95)
    comparison = lm.compare_nps(A, B)
    interval = comparison.confidence_interval(0.9, method="wald")
    assert tuple(interval) == pytest.approx((20 - z * se, 20 + z * se), abs=1e-9)
    # Only the options given change: the level stays the comparison's.
    wald = comparison.confidence_interval(method="wald")
    assert wald == lm.compare_nps(A, B, method="wald").interval


def test_recomputing_keeps_the_samples_alternative_and_stored_options() -> None:
    comparison = lm.compare_nps(A, B, alternative="greater", confidence_level=0.8)
    assert comparison.confidence_interval(0.9) == (
        lm.compare_nps(A, B, alternative="greater", confidence_level=0.9).interval
    )
    assert comparison.confidence_interval(0.9).high == 200.0
    seeded = lm.compare_nps(A, B, method="percentile", n_resamples=99, rng=1)
    assert seeded.confidence_interval(0.9, rng=7) == (
        lm.compare_nps(
            A, B, method="percentile", n_resamples=99, rng=7, confidence_level=0.9
        ).interval
    )


def test_csat_and_ces_comparisons_recompute_the_same_way() -> None:
    before = lm.csat_from_counts([8, 10, 22, 35, 25])
    after = lm.csat_from_counts([5, 7, 18, 40, 30])
    csat = lm.compare_csat(after, before)
    assert csat.confidence_interval(0.9, method="wald") == (
        lm.compare_csat(after, before, confidence_level=0.9, method="wald").interval
    )
    old = lm.ces_from_counts([4, 6, 10, 15, 25, 25, 15])
    new = lm.ces_from_counts([2, 3, 5, 10, 20, 30, 30])
    shares = lm.compare_ces(new, old, of="agree_share")
    assert shares.confidence_interval(0.9) == (
        lm.compare_ces(new, old, of="agree_share", confidence_level=0.9).interval
    )
    means = lm.compare_ces(new, old)
    assert means.confidence_interval(0.99, method="bca", n_resamples=99, rng=2) == (
        lm.compare_ces(
            new, old, confidence_level=0.99, method="bca", n_resamples=99, rng=2
        ).interval
    )


def test_bad_options_are_rejected_by_name() -> None:
    comparison = lm.compare_nps(A, B)
    with pytest.raises(ValueError, match="`method`"):
        comparison.confidence_interval(method="wilson")
    with pytest.raises(ValueError, match="`confidence_level`"):
        comparison.confidence_interval(1.5)


def test_a_comparison_survives_pickling_with_its_samples() -> None:
    comparison = lm.compare_csat([5, 4, 4, 1, 2], [5, 5, 3, 2])
    restored = pickle.loads(pickle.dumps(comparison))
    assert restored == comparison
    assert restored.confidence_interval(0.8) == comparison.confidence_interval(0.8)


def test_restricted_means_recompute_their_normal_interval() -> None:
    curves = lm.kaplan_meier([1, 2, 3, 2, 4, 6], [1, 1, 1, 1, 0, 1], by=list("aaabbb"))
    comparison = curves.compare_restricted_means(5, "b", "a")
    assert comparison.confidence_interval() is comparison.interval
    one = curves["b"].restricted_mean(5)
    two = curves["a"].restricted_mean(5)
    se = math.hypot(one.standard_error, two.standard_error)
    z = stats.norm.ppf(0.95)
    low, high = comparison.confidence_interval(0.9)
    assert (low, high) == pytest.approx((2.0 - z * se, 2.0 + z * se), abs=1e-12)
    assert comparison.confidence_interval(0.9) == (
        curves.compare_restricted_means(5, "b", "a", confidence_level=0.9).interval
    )
    assert one.confidence_interval() is one.interval
    assert tuple(one.confidence_interval(0.9)) == pytest.approx(
        (one.estimate - z * one.standard_error, one.estimate + z * one.standard_error)
    )
    with pytest.raises(TypeError, match="`n_resamples`"):
        comparison.confidence_interval(n_resamples=99)
    with pytest.raises(ValueError, match="`method`"):
        one.confidence_interval(method="bca")  # type: ignore[arg-type]
