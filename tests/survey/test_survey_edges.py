"""Degenerate and edge-of-float input to the survey metrics (regressions found by the fuzz test)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import loyaltymetrics as lm

NAN = float("nan")


@pytest.mark.parametrize("metric", [lm.nps, lm.csat, lm.ces])
@pytest.mark.parametrize(
    "missing",
    [[NAN], pd.Series([None], dtype="Float64"), pd.Series([None], dtype="category")],
    ids=["nan", "Float64", "category"],
)
def test_weighted_all_missing_propagates_like_unweighted(metric, missing) -> None:
    # Reference: the unweighted call, whose documented propagate answer is a NaN
    # score on no counted rows; weights must not change that.
    weighted = metric(missing, weights=[1.0], nan_policy="propagate")
    unweighted = metric([NAN], nan_policy="propagate")
    assert math.isnan(weighted.score)
    assert weighted.n == unweighted.n == 0
    assert weighted.to_dict().keys() == unweighted.to_dict().keys()


def test_sample_size_for_a_sample_with_no_spread_is_one() -> None:
    # All detractors: NPS is -100 in every sample, so one respondent gives a zero
    # margin (hand-worked: p_P + p_D - (p_P - p_D)^2 = 0 + 1 - 1 = 0).
    assert lm.nps_sample_size(1e-300, promoter_share=0.0, detractor_share=1.0) == 1


def test_sample_size_beyond_the_float_range_names_the_margin() -> None:
    with pytest.raises(ValueError, match="`margin_of_error`"):
        lm.nps_sample_size(1e-300)
    # Still finite: (100 z / m)^2 with z = 1.959963984540054 (scipy.stats.norm.ppf(0.975)).
    assert lm.nps_sample_size(1e-100) == pytest.approx(
        (100 * 1.959963984540054 / 1e-100) ** 2, rel=1e-9
    )


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lm.nps_from_counts(detractors=1, passives=1, promoters=10**30), "promoters"),
        (lambda: lm.csat_from_counts([1, 2, 3, 4, 1e300]), "counts"),
        (lambda: lm.ces_from_counts([1, 2, 3, 4, 5, 6, 2.0**64]), "counts"),
        (lambda: lm.nps_margin_of_error(10**30), "n"),
    ],
)
def test_counts_beyond_exact_float_range_name_the_argument(call, argument) -> None:
    with pytest.raises(ValueError, match=f"`{argument}` must be at most 2\\*\\*53"):
        call()


def test_counts_at_the_exact_limit_are_counted() -> None:
    # 2**53 is the largest count float64 holds exactly; the shares follow by hand.
    result = lm.nps_from_counts(detractors=0, passives=2**53, promoters=2**53)
    assert result.n == 2**54
    assert result.score == pytest.approx(50.0)
