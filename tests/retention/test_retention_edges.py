"""Edge-of-float and hostile input to the retention functions (regressions from the fuzz test)."""

from __future__ import annotations

import pytest

import loyaltymetrics as lm


def test_customer_counts_beyond_exact_float_range_name_the_argument() -> None:
    with pytest.raises(ValueError, match="`start` must be at most 2\\*\\*53"):
        lm.retention_rate(start=10**30, end=1, new=0)


def test_amounts_near_the_float_maximum_name_the_argument() -> None:
    with pytest.raises(ValueError, match="`amounts` must be at most 1e100"):
        lm.average_order_value([1e308, 1e308])


def test_large_amounts_below_the_limit_keep_exact_summaries() -> None:
    # Hand-worked: mean (1e100 + 2e99) / 2 = 6e99; sd = |1e100 - 2e99| / sqrt(2).
    result = lm.average_order_value([1e100, 2e99])
    assert result.value == pytest.approx(6e99)
    assert result.standard_deviation == pytest.approx(8e99 / 2**0.5)
    interval = result.confidence_interval(method="bca", n_resamples=50, rng=0)
    assert interval.low <= result.value <= interval.high


def test_survival_queries_name_their_bad_arguments() -> None:
    import numpy as np
    import pandas as pd

    curves = lm.kaplan_meier([1, 2, 2, 5, 8, 3, 4], [1, 1, 0, 1, 0, 1, 1], by=list("aaabbbb"))
    with pytest.raises(ValueError, match="`first` must be one of the groups"):
        curves.compare_restricted_means(5, "x", "a")
    with pytest.raises(ValueError, match="`second` must be one of the groups"):
        curves.compare_restricted_means(5, "a", 1e-300)
    with pytest.raises(TypeError, match="`t` must be numeric"):
        curves["a"].survival_at(pd.Series([1, ""], dtype=object))
    with pytest.raises(TypeError, match="`t`"):
        curves["a"].survival_at(np.timedelta64(1, "D"))


def test_sbg_cohort_beyond_exact_float_range_names_alive() -> None:
    with pytest.raises(ValueError, match="`alive` must be at most 2\\*\\*53"):
        lm.fit_sbg([10**30, 10**29, 10**28])


def test_restricted_mean_at_huge_horizons_is_finite_and_hand_checked() -> None:
    import warnings

    # kaplan_meier([1, 2, 2, 5, 8], [1, 1, 0, 1, 0]) by hand: S = 4/5 after t = 1,
    # 3/5 after t = 2 (4 at risk), 3/10 after t = 5 (2 at risk). Far beyond the last
    # time the area is tau * 3/10 plus a constant, and each event's area-after is
    # tau * 3/10 plus a constant, so se / tau -> 3/10 * sqrt(1/(5*4) + 1/(4*3) + 1/(2*1)).
    curve = lm.kaplan_meier([1, 2, 2, 5, 8], [1, 1, 0, 1, 0])
    slope = 0.3 * (1 / 20 + 1 / 12 + 1 / 2) ** 0.5
    for tau in (1e166, 1e308):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = curve.restricted_mean(tau)
        assert result.estimate == pytest.approx(0.3 * tau, rel=1e-12)
        assert result.standard_error == pytest.approx(slope * tau, rel=1e-12)
    curves = lm.kaplan_meier(
        [1, 2, 2, 5, 8, 3, 4], [1, 1, 0, 1, 0, 1, 1], by=["a", "a", "a", "b", "b", "b", "b"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        comparison = curves.compare_restricted_means(1e166, "a", "b")
    assert abs(comparison.difference) < 1e166
