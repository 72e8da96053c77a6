"""Coercion and checks shared by every public function.

Every public function validates its arguments here, once, at its boundary. The
rules: a bad value raises :class:`ValueError`, a bad type raises
:class:`TypeError`, and every message names the argument in backticks and the
rule it broke. Inputs are never modified, and missing values are never dropped
without the caller asking for it through ``nan_policy``.

pandas and polars are never imported: their Series are recognised by duck
typing (``to_numpy``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard, TypeVar, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_EXACT_COUNT",
    "NanPolicy",
    "ScoreSample",
    "as_1d_array",
    "as_1d_indicator",
    "as_1d_labels",
    "broadcast_named",
    "check_choice",
    "check_confidence_level",
    "check_count",
    "check_count_vector",
    "check_integer_scores",
    "check_n_resamples",
    "check_nan_policy",
    "check_positive_vector",
    "check_rng",
    "check_scale",
    "check_scale_range",
    "check_weights",
    "first_invalid_score",
    "first_invalid_weight",
    "is_integer_number",
    "is_real_number",
]

NanPolicy = Literal["raise", "omit", "propagate"]
_NAN_POLICIES: tuple[NanPolicy, ...] = ("raise", "omit", "propagate")

FloatArray = npt.NDArray[np.float64]
_Choice = TypeVar("_Choice", bound=str)
IntArray = npt.NDArray[np.int64]


def is_real_number(value: object) -> TypeGuard[numbers.Real]:
    """Return True for a real number that is not a boolean and not a numpy time span.

    ``numbers.Real`` alone is not enough: ``bool`` is an ``int``, and numpy
    registers ``timedelta64`` as an integer type although ``float()`` rejects it.
    """
    return isinstance(value, numbers.Real) and not isinstance(
        value, bool | np.bool_ | np.timedelta64
    )


def is_integer_number(value: object) -> TypeGuard[numbers.Integral]:
    """Return True for an integer that is not a boolean and not a numpy time span."""
    return isinstance(value, numbers.Integral) and is_real_number(value)


def broadcast_named(names: str, *arrays: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    """``np.broadcast_arrays`` whose shape error names the arguments (``names``, in backticks)."""
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(array.shape) for array in arrays)
        raise ValueError(
            f"{names} must have the same length or broadcast together; got shapes {shapes}"
        ) from None


def _is_missing_scalar(value: object) -> bool:
    """Return True for None, float NaN and the pandas ``NA`` singleton."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    # pandas.NA and similar sentinels; recognised by name so pandas is never imported.
    return type(value).__name__ in {"NAType", "NaTType"}


def _object_to_float(array: npt.NDArray[Any], name: str) -> FloatArray:
    """Convert an object array of numbers and missing markers to float64."""
    out = np.empty(array.shape, dtype=np.float64)
    flat = array.reshape(-1)
    for position, value in enumerate(flat):
        if _is_missing_scalar(value):
            out.flat[position] = np.nan
        elif isinstance(value, bool | np.bool_):
            raise TypeError(
                f"`{name}` must be numeric, not boolean; found {value!r} at position {position}"
            )
        elif is_real_number(value):
            out.flat[position] = float(value)
        else:
            raise TypeError(
                f"`{name}` must be numeric; found {type(value).__name__} {value!r} "
                f"at position {position}"
            )
    return out


def as_1d_array(values: object, *, name: str) -> npt.NDArray[Any]:
    """Coerce an array-like to a one-dimensional numeric numpy array.

    Accepts lists, tuples, numpy arrays and anything with a ``to_numpy`` method
    (pandas and polars Series). Integer input keeps its integer dtype; missing
    values (None, NaN, ``pandas.NA``, polars nulls) become float NaN. The input
    is never modified; the result may share memory with it, so callers must not
    write into it.

    Raises
    ------
    TypeError
        For strings, booleans, non-numeric objects, or a scalar.
    ValueError
        For arrays that are not one-dimensional.
    """
    if isinstance(values, list | tuple):
        # numpy would silently turn [1, True] into [1, 1].
        for position, value in enumerate(values):
            if isinstance(value, bool | np.bool_):
                raise TypeError(
                    f"`{name}` must be numeric, not boolean; found {value!r} at position {position}"
                )
    array = _as_numpy(values, name=name, what="numbers")
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(f"`{name}` must be numeric, not boolean")
    if kind in "iuf":
        return array
    if kind == "O":
        return _object_to_float(array, name)
    if kind in "USV":
        raise TypeError(f"`{name}` must be numeric; got strings (dtype {array.dtype})")
    raise TypeError(f"`{name}` must be numeric; got dtype {array.dtype}")


def _as_numpy(values: object, *, name: str, what: str) -> npt.NDArray[Any]:
    """One-dimensional numpy view of a list, array or Series (duck-typed ``to_numpy``)."""
    if isinstance(values, str | bytes):
        raise TypeError(f"`{name}` must be an array-like of {what}, not a string")
    if isinstance(values, dict | set):
        raise TypeError(f"`{name}` must be an array-like of {what}, not {type(values).__name__}")
    to_numpy = getattr(values, "to_numpy", None)
    try:
        if callable(to_numpy) and not isinstance(values, np.ndarray):
            array = np.asarray(to_numpy())
        else:
            array = np.asarray(values)
    except Exception as error:  # the frame library's own errors too (e.g. polars Int128)
        raise TypeError(f"`{name}` must be a one-dimensional array-like of {what}") from error
    except BaseException as error:  # a Rust panic (older polars on Int128) is a BaseException
        if type(error).__name__ != "PanicException":
            raise
        raise TypeError(f"`{name}` must be a one-dimensional array-like of {what}") from error
    if array.ndim == 0:
        raise TypeError(f"`{name}` must be a one-dimensional array-like of {what}, not a scalar")
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional; got an array of shape {array.shape}")
    return array


def as_1d_labels(values: object, *, name: str) -> npt.NDArray[Any]:
    """Coerce an array-like of identifiers (customer ids) to a 1-D numpy array.

    Integers and strings are accepted (pandas and polars Series too); the
    labels only need to be comparable with each other. A missing label (None,
    NaN, ``pandas.NA``) is an error naming its position: an order that belongs
    to no known customer cannot be attributed.
    """
    if isinstance(values, list | tuple):
        # numpy would silently turn ["a", 1] into ["a", "1"]; check the objects.
        values = np.array(values, dtype=object)
    array = _as_numpy(values, name=name, what="identifiers")
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(f"`{name}` must be identifiers (integers or strings), not booleans")
    if kind == "f":
        missing = np.isnan(array)
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            raise ValueError(f"`{name}` contains a missing value at position {position}")
        return array
    if kind in "iuUS":
        return array
    if kind == "O":
        kinds: set[type] = set()
        for position, value in enumerate(array):
            if _is_missing_scalar(value):
                raise ValueError(f"`{name}` contains a missing value at position {position}")
            if isinstance(value, bool | np.bool_):
                raise TypeError(
                    f"`{name}` must be identifiers (integers or strings); "
                    f"found {value!r} at position {position}"
                )
            kinds.add(str if isinstance(value, str) else type(value))
        if str in kinds and len(kinds) > 1:
            raise TypeError(f"`{name}` mixes strings with other types; use one type of identifier")
        return array
    raise TypeError(f"`{name}` must be identifiers (integers or strings); got dtype {array.dtype}")


def as_1d_indicator(values: object, *, name: str, n: int) -> npt.NDArray[np.bool_]:
    """Coerce an event indicator (booleans, or 0/1 numbers) of length ``n`` to bool.

    A missing value is an error: whether an event happened must be known.
    """
    array = _as_numpy(values, name=name, what="booleans or 0/1 values")
    if array.shape[0] != n:
        raise ValueError(
            f"`{name}` must have the same length as `durations` ({n}); got {array.shape[0]}"
        )
    if array.dtype.kind == "O":
        if all(isinstance(value, bool | np.bool_) for value in array):
            array = array.astype(bool)
        else:
            array = _object_to_float(array, name)
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must be booleans or 0/1 values; got dtype {array.dtype}")
    bad = ~((array == 0) | (array == 1))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`{name}` must be booleans or 0/1 values; "
            f"found {array[position]} at position {position}"
        )
    return np.asarray(array == 1)


def check_nan_policy(nan_policy: object) -> NanPolicy:
    """Return ``nan_policy`` if it is one of "raise", "omit", "propagate"."""
    return check_choice(nan_policy, name="nan_policy", choices=_NAN_POLICIES)


def check_choice(value: object, *, name: str, choices: tuple[_Choice, ...]) -> _Choice:
    """Return ``value`` if it is one of ``choices``; raise a naming error otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {_quoted(choices)}; got {value!r}")
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {_quoted(choices)}; got {value!r}")
    return value


def _quoted(choices: tuple[str, ...]) -> str:
    return ", ".join(repr(choice) for choice in choices)


def check_confidence_level(confidence_level: object) -> float:
    """Return ``confidence_level`` as a float strictly between 0 and 1."""
    if not is_real_number(confidence_level):
        raise TypeError(
            f"`confidence_level` must be a number between 0 and 1; got {confidence_level!r}"
        )
    level = float(confidence_level)
    if not 0.0 < level < 1.0:
        raise ValueError(
            f"`confidence_level` must be strictly between 0 and 1; got {confidence_level!r}"
        )
    return level


def check_count(value: object, *, name: str, allow_float: bool = False) -> float:
    """Return a non-negative finite count.

    With ``allow_float=False`` the value must be a whole number (``3`` or
    ``3.0``); with ``allow_float=True`` any non-negative finite real is accepted
    (weighted totals).
    """
    if not is_real_number(value):
        raise TypeError(f"`{name}` must be a non-negative number; got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"`{name}` must be finite; got {value!r}")
    if number < 0:
        raise ValueError(f"`{name}` must be non-negative; got {value!r}")
    if not allow_float and number != int(number):
        raise ValueError(f"`{name}` must be a whole number; got {value!r}")
    if not allow_float and number > MAX_EXACT_COUNT:
        raise ValueError(_too_large(name, value))
    return number


#: Whole counts above 2**53 are not exact in float64 (and soon overflow int64 cells).
MAX_EXACT_COUNT = float(2**53)


def _too_large(name: str, value: object) -> str:
    return f"`{name}` must be at most 2**53 (counted exactly); got {value!r}"


def check_count_vector(counts: object, *, name: str, length: int) -> IntArray:
    """Return one whole, non-negative, finite count per category as int64.

    ``counts`` must be a one-dimensional array-like of ``length`` numbers
    (whole-number floats such as ``3.0`` are accepted), not all zero.
    """
    array = as_1d_array(counts, name=name)
    if array.shape[0] != length:
        raise ValueError(
            f"`{name}` must have one count per scale point ({length}); got {array.shape[0]}"
        )
    floats = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(floats) | (floats < 0) | (floats != np.floor(floats))
    if bad.any():
        position = _first_bad_position(bad)
        raise ValueError(
            f"`{name}` must be non-negative whole numbers; found {floats[position]} "
            f"at position {position}"
        )
    if not (floats > 0).any():
        raise ValueError(f"`{name}` must not all be zero: the metric needs at least one response")
    if floats.max() > MAX_EXACT_COUNT:
        raise ValueError(_too_large(name, floats.max()))
    return floats.astype(np.int64)


def _check_integer_pair(value: object, *, name: str) -> tuple[int, int]:
    """Return a pair of whole numbers ``(first, last)`` given as a 2-sequence."""
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list):
        raise TypeError(f"`{name}` must be a pair of integers (low, high); got {value!r}")
    if len(value) != 2:
        raise ValueError(
            f"`{name}` must be a pair of integers (low, high); got {len(value)} values"
        )
    pair = []
    for item in value:
        if not is_real_number(item):
            raise TypeError(f"`{name}` must be a pair of integers (low, high); got {value!r}")
        number = float(item)
        if not np.isfinite(number) or number != int(number):
            raise ValueError(f"`{name}` must be a pair of integers (low, high); got {value!r}")
        pair.append(int(number))
    return pair[0], pair[1]


def check_scale(scale: object, *, name: str = "scale") -> tuple[int, int]:
    """Return an answer scale ``(low, high)``: two integers with ``low < high``."""
    low, high = _check_integer_pair(scale, name=name)
    if low >= high:
        raise ValueError(
            f"`{name}` must be (low, high) with low < high; got ({low}, {high})"
            + (" (reversed)" if low > high else "")
        )
    return low, high


def check_scale_range(band: object, *, name: str, scale: tuple[int, int]) -> tuple[int, int]:
    """Return a contiguous, non-empty range ``(first, last)`` of points inside ``scale``.

    Both ends are inclusive; ``first == last`` selects one scale point.
    """
    first, last = _check_integer_pair(band, name=name)
    if first > last:
        raise ValueError(
            f"`{name}` must be (first, last) with first <= last; got ({first}, {last}), "
            "which is reversed and selects no scale point"
        )
    low, high = scale
    if first < low or last > high:
        raise ValueError(f"`{name}` must lie inside the scale {low}..{high}; got ({first}, {last})")
    return first, last


def check_n_resamples(n_resamples: object) -> int:
    """Return ``n_resamples`` as an int of at least 2 (a bootstrap needs a spread)."""
    if not is_integer_number(n_resamples):
        raise TypeError(f"`n_resamples` must be an integer; got {n_resamples!r}")
    if int(n_resamples) < 2:
        raise ValueError(f"`n_resamples` must be at least 2; got {n_resamples!r}")
    return int(n_resamples)


def check_positive_vector(values: object, *, name: str, size: int) -> FloatArray:
    """Return ``values`` as ``size`` positive finite floats (e.g. a Dirichlet prior)."""
    if isinstance(values, str | bytes) or not isinstance(values, tuple | list | np.ndarray):
        raise TypeError(f"`{name}` must be a sequence of {size} positive numbers; got {values!r}")
    for value in values:
        if not is_real_number(value):
            raise TypeError(
                f"`{name}` must be a sequence of {size} positive numbers; got {values!r}"
            )
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (size,):
        raise ValueError(f"`{name}` must have exactly {size} entries; got shape {array.shape}")
    if not (np.isfinite(array).all() and (array > 0).all()):
        raise ValueError(f"`{name}` must be positive and finite; got {values!r}")
    return array


def check_rng(rng: object) -> np.random.Generator:
    """Return a Generator from None, an int seed, a SeedSequence or a Generator (SPEC 7)."""
    if isinstance(rng, bool | np.bool_ | np.timedelta64):
        raise TypeError(f"`rng` must be None, an integer or a numpy Generator; got {rng!r}")
    if rng is None or isinstance(
        rng, numbers.Integral | np.random.SeedSequence | np.random.Generator
    ):
        if isinstance(rng, numbers.Integral) and int(rng) < 0:
            raise ValueError(f"`rng` seed must be non-negative; got {rng!r}")
        return np.random.default_rng(cast("Any", rng))
    raise TypeError(f"`rng` must be None, an integer or a numpy Generator; got {rng!r}")


def first_invalid_weight(weights: FloatArray) -> tuple[int, str] | None:
    """Return the position of the first bad weight and the rule it breaks, or None.

    The one weight rule of the library, used for arrays, frames and the
    command line alike (each caller says where the position is): weights are
    finite (a missing weight is an error) and non-negative.
    """
    finite = np.isfinite(weights)
    if not finite.all():
        return _first_bad_position(~finite), "must be finite (missing weights are not allowed)"
    negative = weights < 0
    if negative.any():
        return _first_bad_position(negative), "must be non-negative"
    return None


def first_invalid_score(values: FloatArray, *, low: int, high: int) -> int | None:
    """Return the position of the first non-missing score not a whole number in ``low..high``.

    The one score rule of the library, for arrays, frames and the command
    line alike; NaN (missing) is left to ``nan_policy``.
    """
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(values) & (
            ~np.isfinite(values) | (values < low) | (values > high) | (values != np.floor(values))
        )
    return _first_bad_position(bad) if bad.any() else None


def check_weights(
    weights: object, *, n: int, name: str = "weights", of: str = "the scores"
) -> FloatArray:
    """Return weights as float64: finite, non-negative, length ``n``, not all zero.

    ``of`` names what the weights belong to in the length error ("the scores",
    "`durations`").
    """
    array = as_1d_array(weights, name=name)
    if array.shape[0] != n:
        raise ValueError(f"`{name}` must have the same length as {of} ({n}); got {array.shape[0]}")
    array = array.astype(np.float64, copy=False)
    problem = first_invalid_weight(array)
    if problem is not None:
        position, rule = problem
        raise ValueError(f"`{name}` {rule}; found {array[position]} at position {position}")
    if n > 0 and not (array > 0).any():
        raise ValueError(f"`{name}` must not all be zero")
    return array


@dataclass(frozen=True)
class ScoreSample:
    """Validated integer scores, ready to be tallied.

    Attributes
    ----------
    values
        The non-missing scores as integers (positions of omitted values
        removed): the input's own integer dtype, or int64 for float input.
    weights
        Matching float64 weights, or None for an unweighted sample.
    n_omitted
        How many missing scores were removed under ``nan_policy="omit"``.
    has_missing
        True when ``nan_policy="propagate"`` met a missing score; the metric is
        then NaN.
    """

    values: npt.NDArray[np.integer[Any]]
    weights: FloatArray | None
    n_omitted: int
    has_missing: bool


def _first_bad_position(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _range_error(name: str, low: int, high: int, value: object, position: int) -> ValueError:
    return ValueError(
        f"`{name}` must be integers in {low}..{high}; found {value} at position {position}"
    )


def check_integer_scores(
    scores: object,
    *,
    name: str = "scores",
    low: int,
    high: int,
    nan_policy: object = "raise",
    weights: object = None,
) -> ScoreSample:
    """Validate integer scores on the scale ``low..high`` and apply ``nan_policy``.

    Whole-number floats (``9.0``) are accepted. Missing values follow
    ``nan_policy``: "raise" raises, "omit" removes them (and their weights) and
    counts them, "propagate" keeps the non-missing scores and flags the sample
    so the metric is reported as NaN. An empty sample (before or after
    omission) is an error: no metric is defined for it.
    """
    policy = check_nan_policy(nan_policy)
    array = as_1d_array(scores, name=name)
    n_total = array.shape[0]
    weight_array = None if weights is None else check_weights(weights, n=n_total)
    if n_total == 0:
        raise ValueError(f"`{name}` must contain at least one response; got an empty array")

    n_omitted = 0
    has_missing = False
    if array.dtype.kind in "iu":
        values = array
        # Range checks on integers are two cheap reductions; the position is only
        # searched for when there is an error to report.
        if n_total and (values.min() < low or values.max() > high):
            bad = (values < low) | (values > high)
            position = _first_bad_position(bad)
            raise _range_error(name, low, high, values[position], position)
        # The input's own integer dtype is kept: the counting reads it in
        # chunks, so an int8 array is never copied to int64 whole.
        return ScoreSample(values=values, weights=weight_array, n_omitted=0, has_missing=False)

    floats = array.astype(np.float64, copy=False)
    missing = np.isnan(floats)
    if missing.any():
        if policy == "raise":
            position = _first_bad_position(missing)
            raise ValueError(
                f"`{name}` contains missing values (first at position {position}); "
                "pass nan_policy='omit' to drop them or 'propagate' to return NaN"
            )
        keep = ~missing
        kept_positions = np.flatnonzero(keep)
        floats = floats[keep]
        if weight_array is not None:
            weight_array = weight_array[keep]
        if policy == "omit":
            n_omitted = int(missing.sum())
        else:
            has_missing = True
    else:
        kept_positions = None

    def original_position(index: int) -> int:
        return int(kept_positions[index]) if kept_positions is not None else index

    index = first_invalid_score(floats, low=low, high=high)
    if index is not None:
        raise _range_error(name, low, high, floats[index], original_position(index))

    if floats.size == 0 and not has_missing:
        raise ValueError(
            f"`{name}` has no non-missing responses left after omitting {n_omitted} missing values"
        )
    if weight_array is not None and floats.size and not (weight_array > 0).any():
        raise ValueError("`weights` of the non-missing responses must not all be zero")
    return ScoreSample(
        values=floats.astype(np.int64),
        weights=weight_array,
        n_omitted=n_omitted,
        has_missing=has_missing,
    )
