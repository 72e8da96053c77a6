"""``engine="scipy"`` in breakdowns: scipy.stats.bootstrap on each group's rows.

References: every expected number below is computed in the test by calling
``scipy.stats.bootstrap`` directly on the segment's (and the rest's) rows,
with the random stream the docstring of ``by_segment`` names, or is the count
engine's figure, which must agree within Monte-Carlo error. The rows are
rebuilt from the counts, so they come in the order of the cells (by answer,
then by weight): the reference sorts them the same way, which gives scipy the
same resampled rows.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import loyaltymetrics as lm

RNG = np.random.default_rng(20261202)
SCORES = RNG.integers(0, 11, size=240)
SEGMENTS = RNG.choice(["a", "b", "c"], size=240, p=[0.5, 0.3, 0.2])
WEIGHTS = RNG.choice([0.5, 1.0, 2.0], size=240)
CODES = np.where(SCORES >= 9, 100.0, np.where(SCORES <= 6, -100.0, 0.0))


def _children(seed: int, n_segments: int) -> list[np.random.Generator]:
    return np.random.default_rng(seed).spawn(n_segments + 1)


def _weighted_mean(x: np.ndarray, w: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sum(x * w, axis=axis) / np.sum(w, axis=axis)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_each_segment_is_scipy_on_its_rows(method: str) -> None:
    result = lm.by_segment(
        SCORES, by=SEGMENTS, method=method, n_resamples=999, rng=7, engine="scipy"
    )
    table = result.table
    children = _children(7, result.n_segments)
    for index, key in enumerate(table["by"]):
        own, rest = np.sort(CODES[key == SEGMENTS]), np.sort(CODES[key != SEGMENTS])
        interval = stats.bootstrap(
            (own,), np.mean, n_resamples=999, method=method, rng=children[1 + index].spawn(2)[0]
        ).confidence_interval
        assert table["low"][index] == pytest.approx(max(-100.0, interval.low), abs=1e-9)
        assert table["high"][index] == pytest.approx(min(100.0, interval.high), abs=1e-9)
        versus = stats.bootstrap(
            (own, rest),
            lambda x, y, axis=-1: np.mean(x, axis=axis) - np.mean(y, axis=axis),
            n_resamples=999,
            method=method,
            rng=children[1 + index],
        )
        difference = own.mean() - rest.mean()
        assert table["difference"][index] == pytest.approx(difference, abs=1e-9)
        assert table["difference_low"][index] == pytest.approx(
            versus.confidence_interval.low, abs=1e-9
        )
        assert table["difference_high"][index] == pytest.approx(
            versus.confidence_interval.high, abs=1e-9
        )
        assert table["statistic"][index] == pytest.approx(
            difference / versus.standard_error, rel=1e-9
        )
        if method == "percentile":
            # The percentile interval inverted at 0: twice the smaller tail of
            # the bootstrap distribution at 0, ties counted half.
            replicates = versus.bootstrap_distribution
            below = (np.mean(replicates < 0) + np.mean(replicates <= 0)) / 2
            assert table["pvalue"][index] == pytest.approx(
                min(1.0, 2 * min(below, 1 - below)), abs=1e-12
            )
    overall = stats.bootstrap(
        (np.sort(CODES),), np.mean, n_resamples=999, method=method, rng=children[0]
    )
    assert result.overall_interval.low == pytest.approx(
        max(-100.0, overall.confidence_interval.low), abs=1e-9
    )


def test_weighted_rows_are_resampled_with_their_weights() -> None:
    result = lm.by_segment(
        SCORES,
        by=SEGMENTS,
        weights=WEIGHTS,
        method="bca",
        n_resamples=999,
        rng=3,
        engine="scipy",
        compare=None,
    )
    children = _children(3, result.n_segments)
    for index, key in enumerate(result.table["by"]):
        rows = np.flatnonzero(key == SEGMENTS)
        rows = rows[np.lexsort((WEIGHTS[rows], CODES[rows]))]
        reference = stats.bootstrap(
            (CODES[rows], WEIGHTS[rows]),
            _weighted_mean,
            paired=True,
            n_resamples=999,
            method="bca",
            rng=children[1 + index].spawn(2)[0],
        ).confidence_interval
        assert result.table["score"][index] == pytest.approx(
            np.average(CODES[rows], weights=WEIGHTS[rows]), rel=1e-12
        )
        assert result.table["low"][index] == pytest.approx(reference.low, abs=1e-9)
        assert result.table["high"][index] == pytest.approx(reference.high, abs=1e-9)


@pytest.mark.parametrize("method", ["percentile", "bca"])
@pytest.mark.parametrize("weighted", [False, True])
def test_count_and_scipy_engines_agree_within_monte_carlo_error(
    method: str, weighted: bool
) -> None:
    # The two engines are the same row bootstrap with different random draws.
    # With 1999 resamples the Monte-Carlo standard deviation of a 2.5% limit
    # of a segment of ~50-120 responses is about 1 NPS point (the limits also
    # move in steps of 100 / n points), so the two engines' limits differ by
    # about 1.4 points (SD); a two-sided p-value is twice a tail share, SD at
    # most 2 * sqrt(0.25 / 1999) = 0.022 per engine, 0.032 for the gap. The
    # bounds, 6 points and 0.12, are about 4 SD.
    options = {
        "by": SEGMENTS,
        "weights": WEIGHTS if weighted else None,
        "method": method,
        "n_resamples": 1999,
    }
    count = lm.by_segment(SCORES, rng=1, **options).table  # type: ignore[arg-type]
    scipy = lm.by_segment(SCORES, rng=2, engine="scipy", **options).table  # type: ignore[arg-type]
    np.testing.assert_allclose(scipy["score"], count["score"], rtol=1e-12)
    # The count engine rounds its NPS point figures to 1e-9 points.
    np.testing.assert_allclose(scipy["difference"], count["difference"], atol=1e-8)
    for name in ("low", "high", "difference_low", "difference_high"):
        np.testing.assert_allclose(scipy[name], count[name], atol=6.0)
    np.testing.assert_allclose(scipy["pvalue"], count["pvalue"], atol=0.12)


def test_other_metrics_and_over_time() -> None:
    csat = lm.by_segment(
        SCORES % 5 + 1,
        by=SEGMENTS,
        metric="csat",
        method="percentile",
        n_resamples=999,
        rng=4,
        engine="scipy",
        compare=None,
    )
    children = _children(4, csat.n_segments)
    satisfied = np.where(SCORES % 5 + 1 >= 4, 100.0, 0.0)
    for index, key in enumerate(csat.table["by"]):
        reference = stats.bootstrap(
            (np.sort(satisfied[key == SEGMENTS]),),
            np.mean,
            n_resamples=999,
            method="percentile",
            rng=children[1 + index].spawn(2)[0],
        ).confidence_interval
        assert csat.table["low"][index] == pytest.approx(reference.low, abs=1e-9)
    times = np.datetime64("2025-01-01", "D") + RNG.integers(0, 90, size=SCORES.size)
    monthly = lm.over_time(
        SCORES, time=times, method="percentile", n_resamples=999, rng=5, engine="scipy"
    )
    month = times.astype("datetime64[M]")
    months = np.unique(month)
    rows = np.random.default_rng(5).spawn(len(months) + 1)
    for index, start in enumerate(months):
        reference = stats.bootstrap(
            (np.sort(CODES[month == start]),),
            np.mean,
            n_resamples=999,
            method="percentile",
            rng=rows[1 + index].spawn(2)[0],
        ).confidence_interval
        assert monthly.table["low"][index] == pytest.approx(reference.low, abs=1e-9)
    assert np.isnan(monthly.table["difference"][0])
    assert np.isfinite(monthly.table["pvalue"][1:]).all()


def test_degenerate_segments_have_the_count_engines_answers() -> None:
    # Segment a: two promoters (all alike), b and c: one response each. Every
    # resample of a constant sample is the estimate: zero-width intervals.
    for method in ("percentile", "bca"):
        options = {"by": ["a", "a", "b", "c"], "method": method, "n_resamples": 99}
        scipy = lm.by_segment([10, 10, 0, 7], rng=1, engine="scipy", **options).table  # type: ignore[arg-type]
        count = lm.by_segment([10, 10, 0, 7], rng=1, **options).table  # type: ignore[arg-type]
        for name in ("score", "low", "high", "difference"):
            np.testing.assert_allclose(scipy[name], count[name])


def test_scipy_needs_a_bootstrap_method() -> None:
    with pytest.raises(ValueError, match=r"`engine='scipy'`.*`method`"):
        lm.by_segment(SCORES, by=SEGMENTS, engine="scipy")
    with pytest.raises(ValueError, match=r"`engine='scipy'`.*`method`"):
        lm.over_time(SCORES, time=np.full(SCORES.size, np.datetime64("2025-01-01")), engine="scipy")
    with pytest.raises(ValueError, match="`engine` must be one of"):
        lm.by_segment(SCORES, by=SEGMENTS, method="bca", engine="numpy")  # type: ignore[arg-type]
