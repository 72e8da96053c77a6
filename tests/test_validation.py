"""The shared validation helpers, tested directly."""

from __future__ import annotations

import numpy as np
import pytest

from loyaltymetrics._validation import (
    as_1d_array,
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
