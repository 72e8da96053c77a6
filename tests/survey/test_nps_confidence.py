"""NPSResult.confidence_interval and standard_error: properties, references, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loyaltymetrics as lm
from loyaltymetrics._engine._results import ConfidenceInterval
from loyaltymetrics._survey._nps_inference import NPS_METHODS

counts_strategy = st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60)).filter(
    lambda counts: sum(counts) > 0
)
BOOTSTRAP = ("percentile", "basic", "bca")


def from_counts(counts: tuple[int, int, int]) -> lm.NPSResult:
    return lm.nps_from_counts(detractors=counts[0], passives=counts[1], promoters=counts[2])


def test_default_is_adjusted_wald_and_returns_a_confidence_interval() -> None:
    result = from_counts((20, 30, 50))
    ci = result.confidence_interval()
    assert isinstance(ci, ConfidenceInterval)
    assert ci == result.confidence_interval(0.95, method="adjusted-wald")
    # Hand-worked in tests/test_nps_inference.py: (14.05113, 44.20130).
    assert (ci.low, ci.high) == pytest.approx((14.05113, 44.20130), abs=1e-4)


def test_standard_error_hand_worked_and_degenerate() -> None:
    # 100 * sqrt((0.5 + 0.2 - 0.3^2) / 100) = 7.8102497.
    assert from_counts((20, 30, 50)).standard_error == pytest.approx(7.8102497, abs=1e-6)
    assert from_counts((0, 0, 1)).standard_error == 0.0
    assert math.isnan(lm.nps([9, float("nan")], nan_policy="propagate").standard_error)


@pytest.mark.parametrize("method", NPS_METHODS)
def test_raw_path_equals_counts_path_and_row_order_does_not_matter(method: str) -> None:
    scores = [10, 9, 9, 8, 7, 7, 6, 5, 0, 10, 3, 9]
    counts = lm.nps_from_counts(detractors=4, passives=3, promoters=5)
    shuffled = list(np.random.default_rng(3).permutation(scores))
    options = {"method": method, "n_resamples": 499}
    expected = counts.confidence_interval(0.9, rng=8, **options)  # type: ignore[arg-type]
    assert lm.nps(scores).confidence_interval(0.9, rng=8, **options) == expected  # type: ignore[arg-type]
    assert lm.nps(shuffled).confidence_interval(0.9, rng=8, **options) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("method", BOOTSTRAP)
def test_seeded_bootstrap_reproduces(method: str) -> None:
    result = from_counts((7, 3, 11))
    first = result.confidence_interval(method=method, n_resamples=999, rng=123)
    second = result.confidence_interval(
        method=method, n_resamples=999, rng=np.random.default_rng(123)
    )
    assert first == second


@settings(max_examples=40)
@given(counts=counts_strategy, method=st.sampled_from(NPS_METHODS))
def test_interval_properties(counts: tuple[int, int, int], method: str) -> None:
    result = from_counts(counts)
    narrow = result.confidence_interval(0.8, method=method, n_resamples=199, rng=1)
    wide = result.confidence_interval(0.95, method=method, n_resamples=199, rng=1)
    for ci in (narrow, wide):
        assert -100.0 <= ci.low <= ci.high <= 100.0
    # Higher confidence, wider interval (same bootstrap replicates for the bootstrap).
    assert wide.low <= narrow.low + 1e-9
    assert narrow.high <= wide.high + 1e-9
    if method in ("wald", "score"):
        # Both are centred on the observed score by construction.
        assert wide.low - 1e-9 <= result.score <= wide.high + 1e-9


@settings(max_examples=25)
@given(
    scores=st.lists(st.integers(0, 10), min_size=1, max_size=40),
    scale=st.floats(0.1, 50.0),
    method=st.sampled_from(NPS_METHODS),
)
def test_weights_only_matter_through_their_ratios(
    scores: list[int], scale: float, method: str
) -> None:
    # Scaling every weight changes nothing, and unit weights give the unweighted
    # interval. The bootstrap included: a weighted cell table lists only the bands
    # present, but empty cells do not shift the random stream, so the seeded draws
    # are the same.
    unit = lm.nps(scores, weights=[1.0] * len(scores))
    scaled = lm.nps(scores, weights=[scale] * len(scores))
    options = {"method": method, "n_resamples": 99, "rng": 2}
    ci_unit = unit.confidence_interval(**options)  # type: ignore[arg-type]
    ci_scaled = scaled.confidence_interval(**options)  # type: ignore[arg-type]
    assert (ci_scaled.low, ci_scaled.high) == pytest.approx((ci_unit.low, ci_unit.high), abs=1e-7)
    plain = lm.nps(scores).confidence_interval(**options)  # type: ignore[arg-type]
    assert (ci_unit.low, ci_unit.high) == pytest.approx((plain.low, plain.high), abs=1e-7)


def test_weighted_wald_uses_the_linearised_variance() -> None:
    # Detractor (weight 2), passive (1), two promoters (1 each): NPS 0,
    # V = (4 + 0 + 2) / 25 = 0.24 (see tests/test_nps_inference.py).
    result = lm.nps([0, 7, 9, 10], weights=[2, 1, 1, 1])
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.24))
    ci = result.confidence_interval(0.9, method="wald")
    half = 1.6448536269514722 * 100 * math.sqrt(0.24)
    assert (ci.low, ci.high) == pytest.approx((-half, half))


@pytest.mark.parametrize("method", NPS_METHODS)
def test_one_respondent_gives_no_nan(method: str) -> None:
    ci = lm.nps([10]).confidence_interval(method=method, n_resamples=99, rng=0)
    assert math.isfinite(ci.low)
    assert math.isfinite(ci.high)


def test_nan_score_gives_nan_interval() -> None:
    result = lm.nps([9, float("nan")], nan_policy="propagate")
    ci = result.confidence_interval()
    assert math.isnan(ci.low)
    assert math.isnan(ci.high)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"confidence_level": 1.5}, ValueError, "`confidence_level`"),
        ({"confidence_level": "0.9"}, TypeError, "`confidence_level`"),
        ({"method": "jackknife"}, ValueError, "`method`"),
        ({"method": 3}, TypeError, "`method`"),
        ({"n_resamples": 1}, ValueError, "`n_resamples` must be at least 2"),
        ({"n_resamples": 99.5}, TypeError, "`n_resamples`"),
        ({"n_resamples": True}, TypeError, "`n_resamples`"),
        ({"rng": "seed"}, TypeError, "`rng`"),
        ({"prior": (0, 1, 1)}, ValueError, "`prior` must be positive"),
        ({"prior": (1, 1)}, ValueError, "`prior` must have exactly 3"),
        ({"prior": "uniform"}, TypeError, "`prior`"),
        ({"prior": (1, None, 1)}, TypeError, "`prior`"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        from_counts((1, 2, 3)).confidence_interval(**kwargs)  # type: ignore[arg-type]


def test_result_without_counts_cannot_give_intervals() -> None:
    bare = lm.NPSResult(
        score=10.0,
        n=10,
        detractors=2,
        passives=5,
        promoters=3,
        detractor_share=0.2,
        passive_share=0.5,
        promoter_share=0.3,
    )
    with pytest.raises(ValueError, match="carries no respondent counts"):
        bare.confidence_interval()
    with pytest.raises(ValueError, match="carries no respondent counts"):
        _ = bare.standard_error


def test_scipy_engine_is_scipys_own_bootstrap_and_agrees_with_the_counts() -> None:
    from scipy import stats

    counts = np.array([70, 80, 150])  # detractors, passives, promoters
    result = lm.nps_from_counts(detractors=70, passives=80, promoters=150)
    rows = np.repeat([-100.0, 0.0, 100.0], counts)
    for method in ("percentile", "basic", "bca"):
        ours = result.confidence_interval(method=method, n_resamples=2999, rng=7, engine="scipy")
        # The reference: scipy.stats.bootstrap itself on the rows, same stream.
        reference = stats.bootstrap(
            (rows,), np.mean, n_resamples=2999, method=method, rng=np.random.default_rng(7)
        ).confidence_interval
        assert tuple(ours) == pytest.approx((reference.low, reference.high), abs=1e-9)
        # The count bootstrap is the same row bootstrap: equal within
        # Monte-Carlo error (a 2.5% quantile of 2999 replicates has a standard
        # error of about 0.3 points here; 1.5 points is 5 of them).
        count = result.confidence_interval(method=method, n_resamples=2999, rng=7)
        assert tuple(count) == pytest.approx(tuple(ours), abs=1.5)


def test_scipy_engine_pairs_rows_with_their_weights() -> None:
    from scipy import stats

    scores = np.array([10, 9, 3, 8, 10, 0, 7, 9, 6, 10] * 5)
    weights = np.array([1.0, 2.0, 0.5, 1.0, 1.5, 1.0, 2.0, 0.5, 1.0, 1.0] * 5)
    ours = lm.nps(scores, weights=weights).confidence_interval(
        method="percentile", n_resamples=999, rng=3, engine="scipy"
    )
    # Reference: scipy's paired bootstrap of the weighted NPS on the rows in
    # the order the cells rebuild them (by band, then weight).
    band = np.where(scores <= 6, -1.0, np.where(scores <= 8, 0.0, 1.0))
    order = np.lexsort((weights, band))
    reference = stats.bootstrap(
        (band[order], weights[order]),
        lambda x, w, axis=-1: 100.0 * np.sum(x * w, axis=axis) / np.sum(w, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=999,
        method="percentile",
        rng=np.random.default_rng(3),
    ).confidence_interval
    assert tuple(ours) == pytest.approx((reference.low, reference.high), abs=1e-9)
    with pytest.raises(ValueError, match="engine='scipy'"):
        lm.nps(scores).confidence_interval(method="wald", engine="scipy")
    csat = lm.csat([5, 4, 4, 3, 1, 5, 2, 4] * 10)
    scipy_csat = csat.confidence_interval(method="bca", n_resamples=1999, rng=1, engine="scipy")
    count_csat = csat.confidence_interval(method="bca", n_resamples=1999, rng=1)
    assert tuple(scipy_csat) == pytest.approx(tuple(count_csat), abs=3.0)
