"""nps_margin_of_error and nps_sample_size: hand-worked values, inverse property, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import loyaltymetrics as lm


def test_worst_case_margin() -> None:
    # Per-respondent variance at most 1: 100 * 1.959964 / sqrt(400) = 9.79982.
    assert lm.nps_margin_of_error(400) == pytest.approx(100 * stats.norm.ppf(0.975) / 20)
    assert lm.nps_margin_of_error(100, confidence_level=0.9) == pytest.approx(
        100 * stats.norm.ppf(0.95) / 10
    )


def test_margin_with_shares_matches_the_wald_interval() -> None:
    # p_P 0.5, p_D 0.2: v = 0.7 - 0.09 = 0.61; at n = 100 the Wald half-width.
    margin = lm.nps_margin_of_error(100, promoter_share=0.5, detractor_share=0.2)
    assert margin == pytest.approx(100 * stats.norm.ppf(0.975) * math.sqrt(0.0061))
    ci = lm.nps_from_counts(detractors=20, passives=30, promoters=50).confidence_interval(
        method="wald"
    )
    assert margin == pytest.approx((ci.high - ci.low) / 2)


def test_sample_size_hand_worked() -> None:
    # (100 * 1.959964 / 5)^2 = 1536.58 -> 1537; with v = 0.61: 937.31 -> 938.
    assert lm.nps_sample_size(5) == 1537
    assert lm.nps_sample_size(5, promoter_share=0.5, detractor_share=0.2) == 938
    # All promoters expected: no variance, one respondent suffices.
    assert lm.nps_sample_size(1, promoter_share=1.0, detractor_share=0.0) == 1


@given(
    margin=st.floats(0.5, 150.0),
    level=st.floats(0.5, 0.999),
    shares=st.tuples(st.floats(0, 1), st.floats(0, 1)).filter(lambda s: s[0] + s[1] <= 1),
)
def test_sample_size_is_the_smallest_n_meeting_the_margin(
    margin: float, level: float, shares: tuple[float, float]
) -> None:
    options = {
        "confidence_level": level,
        "promoter_share": shares[0],
        "detractor_share": shares[1],
    }
    n = lm.nps_sample_size(margin, **options)  # type: ignore[arg-type]
    assert lm.nps_margin_of_error(n, **options) <= margin * (1 + 1e-9)  # type: ignore[arg-type]
    if n > 1:
        assert lm.nps_margin_of_error(n - 1, **options) > margin  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: lm.nps_margin_of_error(0), ValueError, "`n` must be at least 1"),
        (lambda: lm.nps_margin_of_error(10.5), ValueError, "`n` must be a whole number"),
        (lambda: lm.nps_margin_of_error("10"), TypeError, "`n`"),
        (lambda: lm.nps_margin_of_error(10, promoter_share=0.5), ValueError, "together"),
        (
            lambda: lm.nps_margin_of_error(10, promoter_share=0.7, detractor_share=0.4),
            ValueError,
            "must not exceed 1",
        ),
        (
            lambda: lm.nps_margin_of_error(10, promoter_share=1.2, detractor_share=0.0),
            ValueError,
            "`promoter_share` must be in 0..1",
        ),
        (
            lambda: lm.nps_margin_of_error(10, promoter_share="a", detractor_share=0.0),
            TypeError,
            "`promoter_share`",
        ),
        (lambda: lm.nps_sample_size(0), ValueError, "`margin_of_error` must be positive"),
        (lambda: lm.nps_sample_size(float("inf")), ValueError, "`margin_of_error`"),
        (lambda: lm.nps_sample_size(None), TypeError, "`margin_of_error`"),
        (lambda: lm.nps_sample_size(5, confidence_level=1), ValueError, "`confidence_level`"),
    ],
)
def test_bad_input(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]
