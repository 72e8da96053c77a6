"""NPS point estimates: hand-worked examples, properties and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyaltymetrics as lm

scores_strategy = st.lists(st.integers(0, 10), min_size=1, max_size=200)


# --- hand-worked examples -------------------------------------------------------------


def test_balanced_example_is_zero() -> None:
    # 10, 9 promoters; 8, 7 passives; 6, 0 detractors: (2 - 2) / 6 = 0.
    result = lm.nps([10, 9, 8, 7, 6, 0])
    assert result.score == 0.0
    assert (result.detractors, result.passives, result.promoters) == (2, 2, 2)
    assert result.n == 6
    assert result.detractor_share == pytest.approx(1 / 3)
    assert result.n_omitted == 0


def test_band_edges() -> None:
    # Each scale point in its Reichheld (2003) band: 0-6 detractor, 7-8 passive, 9-10 promoter.
    for score, band in [(0, 0), (6, 0), (7, 1), (8, 1), (9, 2), (10, 2)]:
        result = lm.nps([score])
        counts = (result.detractors, result.passives, result.promoters)
        assert counts == tuple(1 if i == band else 0 for i in range(3))


def test_hand_worked_score() -> None:
    # 5 promoters, 3 passives, 2 detractors out of 10: 100 * (5 - 2) / 10 = 30.
    scores = [10, 9, 9, 10, 9, 8, 7, 7, 3, 6]
    assert lm.nps(scores).score == pytest.approx(30.0)


def test_all_promoters_and_all_detractors() -> None:
    assert lm.nps([9, 10, 10]).score == 100.0
    assert lm.nps([0, 5, 6]).score == -100.0
    single = lm.nps([7])
    assert single.score == 0.0
    assert single.passive_share == 1.0


def test_weighted_hand_worked() -> None:
    # Weights 3 on the detractor (0), 1 on 7 and 8, 1 on 10 and 2 on 9:
    # detractors 3, passives 2, promoters 3, total 8: 100 * (3 - 3) / 8 = 0.
    result = lm.nps([0, 7, 8, 10, 9], weights=[3, 1, 1, 1, 2])
    assert result.n == pytest.approx(8.0)
    assert result.detractors == pytest.approx(3.0)
    assert result.promoters == pytest.approx(3.0)
    assert result.score == pytest.approx(0.0)
    # Fractional weights: promoter weight 0.5, detractor 1.5: 100 * (0.5 - 1.5) / 2 = -50.
    assert lm.nps([10, 0], weights=[0.5, 1.5]).score == pytest.approx(-50.0)


def test_from_counts_matches_hand_formula() -> None:
    result = lm.nps_from_counts(detractors=20, passives=30, promoters=50)
    assert result.score == pytest.approx(30.0)
    assert result.promoter_share == pytest.approx(0.5)
    assert result.n == 100


def test_whole_number_floats_and_series() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    expected = lm.nps([10, 9, 8, 0])
    assert lm.nps(np.array([10.0, 9.0, 8.0, 0.0])) == expected
    assert lm.nps(pd.Series([10, 9, 8, 0])) == expected
    assert lm.nps(pl.Series([10, 9, 8, 0])) == expected
    assert lm.nps(np.array([10, 9, 8, 0], dtype=np.uint8)) == expected


def test_missing_values_from_dataframe_libraries() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    expected = lm.nps([10, 9, 8, 0])
    pandas_na = pd.Series([10, None, 9, 8, 0], dtype="Int64")
    polars_null = pl.Series([10, None, 9, 8, 0])
    for series in (pandas_na, polars_null, [10, None, 9, 8, 0]):
        result = lm.nps(series, nan_policy="omit")
        assert result.score == expected.score
        assert result.n_omitted == 1
        with pytest.raises(ValueError, match="missing values"):
            lm.nps(series)


def test_repr_is_short_and_readable() -> None:
    text = repr(lm.nps([10, 9, 8, 7, 6, 0]))
    assert text == "NPSResult(score=0.0, n=6, detractors=2, passives=2, promoters=2, n_omitted=0)"
    html = lm.nps([10, 9])._repr_html_()
    assert "<table>" in html
    assert "score" in html


def test_to_dict_is_plain_python() -> None:
    import json

    data = lm.nps([10, 9, 0], weights=[1.0, 2.0, 1.0]).to_dict()
    assert set(data) == {
        "score",
        "n",
        "detractors",
        "passives",
        "promoters",
        "detractor_share",
        "passive_share",
        "promoter_share",
        "n_omitted",
    }
    assert json.loads(json.dumps(data)) == data
    assert data["score"] == pytest.approx(50.0)


def test_input_not_mutated() -> None:
    scores = np.array([10.0, np.nan, 3.0])
    weights = np.array([1.0, 2.0, 3.0])
    before = scores.copy(), weights.copy()
    lm.nps(scores, weights=weights, nan_policy="omit")
    np.testing.assert_array_equal(scores, before[0])
    np.testing.assert_array_equal(weights, before[1])


# --- nan_policy -------------------------------------------------------------------------


def test_nan_policy_raise_names_position() -> None:
    with pytest.raises(
        ValueError, match=r"`scores` contains missing values \(first at position 2\)"
    ):
        lm.nps([10, 9, float("nan")])


def test_nan_policy_propagate() -> None:
    result = lm.nps([10, 9, float("nan"), 0], nan_policy="propagate")
    assert math.isnan(result.score)
    assert math.isnan(result.promoter_share)
    assert result.promoters == 2
    assert result.n_omitted == 0
    all_missing = lm.nps([float("nan")], nan_policy="propagate")
    assert math.isnan(all_missing.score)
    assert all_missing.n == 0


def test_nan_policy_omit_all_missing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no non-missing responses"):
        lm.nps([float("nan"), None], nan_policy="omit")


def test_bad_nan_policy() -> None:
    with pytest.raises(ValueError, match="`nan_policy` must be one of"):
        lm.nps([1], nan_policy="drop")
    with pytest.raises(TypeError, match="`nan_policy`"):
        lm.nps([1], nan_policy=None)  # type: ignore[arg-type]


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ([0, 5, 11, 3, 12], r"`scores` must be integers in 0..10; found 11 at position 2"),
        ([3, -1], r"found -1 at position 1"),
        ([3.0, 9.5], r"found 9.5 at position 1"),
        ([3.0, float("inf")], r"found inf at position 1"),
        (np.array([4, 8, 11], dtype=np.int8), r"found 11 at position 2"),
    ],
)
def test_out_of_range_or_fractional(scores: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lm.nps(scores)


def test_position_refers_to_original_input_after_omission() -> None:
    with pytest.raises(ValueError, match=r"found 12\.0 at position 3"):
        lm.nps([float("nan"), 1.0, float("nan"), 12.0], nan_policy="omit")


def test_empty_2d_strings_booleans() -> None:
    with pytest.raises(ValueError, match="at least one response"):
        lm.nps([])
    with pytest.raises(ValueError, match="one-dimensional"):
        lm.nps([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="strings"):
        lm.nps(["9", "10"])
    with pytest.raises(TypeError, match="string"):
        lm.nps("9 10")
    with pytest.raises(TypeError, match="boolean"):
        lm.nps([True, False])
    with pytest.raises(TypeError, match="boolean"):
        lm.nps([1, True])
    with pytest.raises(TypeError, match="scalar"):
        lm.nps(9)
    with pytest.raises(TypeError, match="numeric"):
        lm.nps([1, object()])


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        ([1.0, 2.0], ValueError, r"same length as the scores \(3\); got 2"),
        ([1.0, -2.0, 1.0], ValueError, r"non-negative; found -2.0 at position 1"),
        ([1.0, float("nan"), 1.0], ValueError, r"finite .*position 1"),
        ([1.0, float("inf"), 1.0], ValueError, r"finite .*position 1"),
        ([0, 0, 0], ValueError, "must not all be zero"),
        (["a", "b", "c"], TypeError, "`weights` must be numeric"),
        ([[1, 2, 3]], ValueError, "`weights` must be one-dimensional"),
    ],
)
def test_bad_weights(weights: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        lm.nps([10, 9, 0], weights=weights)


def test_weights_of_omitted_rows_are_dropped_with_them() -> None:
    result = lm.nps([10, float("nan"), 0], weights=[1.0, 5.0, 1.0], nan_policy="omit")
    assert result.n == pytest.approx(2.0)
    with pytest.raises(ValueError, match="must not all be zero"):
        lm.nps([10, float("nan")], weights=[0.0, 5.0], nan_policy="omit")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"detractors": -1, "passives": 0, "promoters": 1},
            ValueError,
            "`detractors` must be non-negative",
        ),
        (
            {"detractors": 1.5, "passives": 0, "promoters": 1},
            ValueError,
            "`detractors` must be a whole number",
        ),
        (
            {"detractors": 0, "passives": float("nan"), "promoters": 1},
            ValueError,
            "`passives` must be finite",
        ),
        ({"detractors": 0, "passives": 0, "promoters": 0}, ValueError, "must not all be zero"),
        (
            {"detractors": "3", "passives": 0, "promoters": 1},
            TypeError,
            "`detractors` must be a non-negative number",
        ),
        ({"detractors": True, "passives": 0, "promoters": 1}, TypeError, "`detractors`"),
    ],
)
def test_bad_counts(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        lm.nps_from_counts(**kwargs)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------


@given(scores_strategy)
def test_bounds_and_shares(scores: list[int]) -> None:
    result = lm.nps(scores)
    assert -100.0 <= result.score <= 100.0
    shares = (result.detractor_share, result.passive_share, result.promoter_share)
    assert all(0.0 <= share <= 1.0 for share in shares)
    assert sum(shares) == pytest.approx(1.0)
    assert result.n == len(scores)


@given(scores_strategy, st.randoms(use_true_random=False))
def test_permutation_invariance(scores: list[int], random: object) -> None:
    shuffled = list(scores)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert lm.nps(shuffled) == lm.nps(scores)


@given(scores_strategy)
def test_raw_path_equals_counts_path(scores: list[int]) -> None:
    array = np.array(scores)
    from_counts = lm.nps_from_counts(
        detractors=int((array <= 6).sum()),
        passives=int(((array >= 7) & (array <= 8)).sum()),
        promoters=int((array >= 9).sum()),
    )
    raw = lm.nps(scores)
    assert raw.to_dict() == from_counts.to_dict()


@given(scores_strategy, scores_strategy)
def test_concatenation_adds_counts(first: list[int], second: list[int]) -> None:
    a, b = lm.nps(first), lm.nps(second)
    merged = lm.nps_from_counts(
        detractors=a.detractors + b.detractors,
        passives=a.passives + b.passives,
        promoters=a.promoters + b.promoters,
    )
    assert lm.nps(first + second).to_dict() == pytest.approx(merged.to_dict())


@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 5)), min_size=1, max_size=60))
def test_integer_weights_equal_repeated_rows(rows: list[tuple[int, int]]) -> None:
    scores = [score for score, _ in rows]
    weights = [weight for _, weight in rows]
    repeated = [score for score, weight in rows for _ in range(weight)]
    if not repeated:
        with pytest.raises(ValueError, match="must not all be zero"):
            lm.nps(scores, weights=weights)
        return
    weighted = lm.nps(scores, weights=weights)
    plain = lm.nps(repeated)
    assert weighted.score == pytest.approx(plain.score)
    assert weighted.n == pytest.approx(plain.n)
    assert weighted.promoters == pytest.approx(plain.promoters)


@given(st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=1, max_size=100))
def test_omitting_nans_equals_removing_them(values: list[int | None]) -> None:
    present = [value for value in values if value is not None]
    as_float = [float("nan") if value is None else float(value) for value in values]
    if not present:
        with pytest.raises(ValueError, match="no non-missing responses"):
            lm.nps(as_float, nan_policy="omit")
        return
    omitted = lm.nps(as_float, nan_policy="omit")
    removed = lm.nps(present)
    assert omitted.score == removed.score
    assert omitted.n == removed.n
    assert omitted.n_omitted == len(values) - len(present)


def test_counting_keeps_the_input_dtype_and_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Scores are counted in chunks on their own integer dtype (no int64 copy
    # of the whole array); every dtype and chunking gives the counts of the
    # plain list (counted by hand: 2 detractors, 2 passives, 3 promoters).
    from loyaltymetrics._engine import _cells

    values = [10, 9, 9, 8, 7, 3, 0]
    monkeypatch.setattr(_cells, "_CHUNK", 3)
    for dtype in (np.int8, np.uint8, np.int16, np.uint64, np.int64):
        result = lm.nps(np.array(values, dtype=dtype))
        assert (result.detractors, result.passives, result.promoters) == (2, 2, 3)
    shifted = lm.csat(np.array([-2, -1, 0, 2, 2], dtype=np.int8), scale=(-2, 2), satisfied=(1, 2))
    assert shifted.counts == (1, 1, 1, 0, 2)
