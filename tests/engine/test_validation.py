"""The shared validation helpers, tested directly."""

from __future__ import annotations

import numpy as np
import pytest

from loyaltymetrics._engine._validation import (
    as_1d_array,
    as_1d_indicator,
    as_1d_labels,
    check_choice,
    check_confidence_level,
    check_count,
    check_integer_scores,
    check_rng,
    check_weights,
)


def test_as_1d_array_keeps_integer_dtype_and_does_not_copy_numpy() -> None:
    array = np.arange(5)
    out = as_1d_array(array, name="x")
    assert out.dtype == array.dtype
    assert np.shares_memory(out, array)


def test_as_1d_array_object_with_missing_markers() -> None:
    out = as_1d_array([1, None, 2.5, float("nan")], name="x")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(out), [False, True, False, True])


def test_as_1d_array_rejects() -> None:
    with pytest.raises(TypeError, match="`x` must be numeric; got dtype"):
        as_1d_array(np.array(["2024-01-01"], dtype="datetime64[D]"), name="x")
    with pytest.raises(TypeError, match="not dict"):
        as_1d_array({1: 2}, name="x")
    with pytest.raises(TypeError, match=r"found str '3' at position 2"):
        as_1d_array([1, None, "3"], name="x")


def test_check_confidence_level() -> None:
    assert check_confidence_level(0.9) == 0.9
    for bad in (0, 1, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="`confidence_level` must be strictly between 0 and 1"):
            check_confidence_level(bad)
    for wrong in ("0.95", None, True):
        with pytest.raises(TypeError, match="`confidence_level`"):
            check_confidence_level(wrong)


def test_check_choice() -> None:
    assert check_choice("a", name="m", choices=("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"`m` must be one of 'a', 'b'; got 'c'"):
        check_choice("c", name="m", choices=("a", "b"))


def test_check_count() -> None:
    assert check_count(3, name="c") == 3.0
    assert check_count(2.5, name="c", allow_float=True) == 2.5
    with pytest.raises(ValueError, match="whole number"):
        check_count(2.5, name="c")
    with pytest.raises(TypeError, match="`c`"):
        check_count(np.bool_(True), name="c")


def test_check_rng_follows_spec7() -> None:
    first = check_rng(42).integers(0, 1000, size=5)
    second = check_rng(42).integers(0, 1000, size=5)
    np.testing.assert_array_equal(first, second)
    generator = np.random.default_rng(1)
    assert check_rng(generator) is generator
    assert isinstance(check_rng(None), np.random.Generator)
    with pytest.raises(TypeError, match="`rng`"):
        check_rng("seed")
    with pytest.raises(TypeError, match="`rng`"):
        check_rng(np.random.RandomState(0))
    with pytest.raises(ValueError, match="non-negative"):
        check_rng(-1)


def test_check_weights_returns_float_without_mutating() -> None:
    weights = [1, 2, 3]
    out = check_weights(weights, n=3)
    assert out.dtype == np.float64
    assert weights == [1, 2, 3]


def test_integer_scores_on_other_scales() -> None:
    sample = check_integer_scores([1, 5, 3], low=1, high=5)
    np.testing.assert_array_equal(sample.values, [1, 5, 3])
    with pytest.raises(
        ValueError, match=r"`rating` must be integers in 1..5; found 0 at position 0"
    ):
        check_integer_scores([0, 5], name="rating", low=1, high=5)


def test_check_scale_and_range() -> None:
    from loyaltymetrics._engine._validation import check_scale, check_scale_range

    assert check_scale((1, 5)) == (1, 5)
    assert check_scale([0, 10.0]) == (0, 10)
    with pytest.raises(
        ValueError, match=r"`scale` must be \(low, high\) with low < high.*reversed"
    ):
        check_scale((5, 1))
    with pytest.raises(ValueError, match="low < high"):
        check_scale((3, 3))
    with pytest.raises(ValueError, match="pair of integers"):
        check_scale((1, 4.5))
    with pytest.raises(ValueError, match="got 3 values"):
        check_scale((1, 2, 3))
    with pytest.raises(TypeError, match="`scale` must be a pair"):
        check_scale("1-5")
    with pytest.raises(TypeError, match="`scale` must be a pair"):
        check_scale((True, 5))
    assert check_scale_range((4, 5), name="satisfied", scale=(1, 5)) == (4, 5)
    assert check_scale_range((5, 5), name="satisfied", scale=(1, 5)) == (5, 5)
    with pytest.raises(ValueError, match=r"`satisfied` must lie inside the scale 1..5"):
        check_scale_range((4, 6), name="satisfied", scale=(1, 5))
    with pytest.raises(ValueError, match=r"`agree` must be \(first, last\).*reversed"):
        check_scale_range((7, 5), name="agree", scale=(1, 7))
    with pytest.raises(ValueError, match="got 0 values"):
        check_scale_range((), name="agree", scale=(1, 7))


def test_check_count_vector() -> None:
    from loyaltymetrics._engine._validation import check_count_vector

    out = check_count_vector([1, 0, 2.0], name="counts", length=3)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [1, 0, 2])
    with pytest.raises(ValueError, match="one count per scale point \\(5\\); got 3"):
        check_count_vector([1, 2, 3], name="counts", length=5)
    with pytest.raises(ValueError, match=r"found -1\.0 at position 1"):
        check_count_vector([1, -1], name="counts", length=2)
    with pytest.raises(ValueError, match=r"found 1\.5 at position 0"):
        check_count_vector([1.5, 1], name="counts", length=2)
    with pytest.raises(ValueError, match="found nan at position 1"):
        check_count_vector([1, float("nan")], name="counts", length=2)
    with pytest.raises(ValueError, match="must not all be zero"):
        check_count_vector([0, 0], name="counts", length=2)


def test_as_1d_labels() -> None:
    np.testing.assert_array_equal(as_1d_labels(["b", "a"], name="ids"), ["b", "a"])
    assert as_1d_labels(np.arange(3), name="ids").dtype.kind == "i"
    with pytest.raises(ValueError, match="`ids` contains a missing value at position 2"):
        as_1d_labels(["a", "b", None], name="ids")
    with pytest.raises(TypeError, match="mixes strings"):
        as_1d_labels(["a", 2], name="ids")
    with pytest.raises(TypeError, match="not booleans"):
        as_1d_labels(np.array([True]), name="ids")
    with pytest.raises(TypeError, match="got dtype"):
        as_1d_labels(np.array([1 + 2j]), name="ids")
    with pytest.raises(TypeError, match="not a scalar"):
        as_1d_labels(3, name="ids")


def test_as_1d_indicator() -> None:
    np.testing.assert_array_equal(as_1d_indicator([1, 0, 1.0], name="e", n=3), [True, False, True])
    np.testing.assert_array_equal(as_1d_indicator([True, False], name="e", n=2), [True, False])
    np.testing.assert_array_equal(
        as_1d_indicator(np.array([True, False], dtype=object), name="e", n=2), [True, False]
    )
    with pytest.raises(ValueError, match="found 2 at position 1"):
        as_1d_indicator([0, 2], name="e", n=2)
    with pytest.raises(ValueError, match="found nan at position 0"):
        as_1d_indicator([None, 1], name="e", n=2)
    with pytest.raises(ValueError, match=r"same length as `durations` \(3\)"):
        as_1d_indicator([0, 1], name="e", n=3)
    with pytest.raises(TypeError, match="got dtype"):
        as_1d_indicator(np.array(["1"]), name="e", n=1)


def test_check_weights_names_what_they_weigh() -> None:
    with pytest.raises(ValueError, match=r"same length as `durations` \(3\)"):
        check_weights([1.0], n=3, of="`durations`")
