"""The reduce step of survival analysis: exits and events per (group, distinct time).

Every survival estimate and test in this package (Kaplan-Meier, Nelson-Aalen,
restricted means, log-rank tests) is a function of, for each group and each
distinct duration, the number (or weight) of subjects leaving observation
there and how many of them had the event. This module computes that table
once, vectorised over groups: a ``bincount`` over combined (group, time) codes
when the durations are integers on a compact range, one sort of the durations
otherwise. It also holds the segmented running sums that stage 2 uses to run
along every group's cells at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._frames import (
    Aggregation,
    as_narwhals_frame,
    as_table,
    check_numeric,
    group_aggregate,
)
from loyaltymetrics._engine._validation import (
    as_1d_array,
    as_1d_indicator,
    as_1d_labels,
    check_weights,
)

__all__ = [
    "BLOCK",
    "SurvivalInputs",
    "Tally",
    "check_survival_data",
    "factorize_labels",
    "group_event_keys",
    "integer_ranks",
    "keys_all_distinct",
    "looks_continuous",
    "segment_cumsum",
    "segment_first",
    "sorted_event_keys",
    "survival_inputs",
    "tally",
    "weighted_count",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
# Values looked at before a full pass decides that durations are whole numbers.
_PROBE = 1024
# Elements per block in blockwise passes: a few float64 blocks stay in cache.
BLOCK = 1 << 15


@dataclass(frozen=True)
class Tally:
    """Cells of (group, distinct time), sorted by group then time.

    Attributes
    ----------
    group
        Group code of each cell (0 .. n_groups - 1), non-decreasing.
    times, exits, events
        The cell's duration, the weight leaving there, and the event weight.
    n_groups
        Number of groups (every group has at least one cell).
    """

    group: IntArray
    times: FloatArray
    exits: FloatArray
    events: FloatArray
    n_groups: int


def check_survival_data(
    durations: object, observed: object, weights: object
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_], FloatArray | None]:
    """Validate durations (finite, non-negative), the event indicator and weights."""
    values = as_1d_array(durations, name="durations")
    n = values.shape[0]
    if n == 0:
        raise ValueError("`durations` must contain at least one subject; got an empty array")
    # Two reductions check the common case; NaN fails both comparisons.
    if not (values.min() >= 0 and np.isfinite(values.max())):
        bad = ~np.isfinite(values) | (values < 0)
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`durations` must be finite and non-negative; found {values[position]} "
            f"at position {position}"
        )
    events_seen = (
        np.ones(n, dtype=bool)
        if observed is None
        else as_1d_indicator(observed, name="observed", n=n)
    )
    weight_array = None if weights is None else check_weights(weights, n=n, of="`durations`")
    return values, events_seen, weight_array


def factorize_labels(labels: object, *, name: str, n: int) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes 0..k-1 and the sorted distinct labels of a group column of length ``n``."""
    array = as_1d_labels(labels, name=name)
    if array.shape[0] != n:
        raise ValueError(
            f"`{name}` must have the same length as `durations` ({n}); got {array.shape[0]}"
        )
    if array.dtype.kind in "iu" and array.shape[0]:
        low = int(array.min())
        span = int(array.max()) - low + 1
        if span <= 4 * array.shape[0] + 1024:
            # Integer labels on a compact range: codes by counting, no sort.
            shifted = (array - low).astype(np.intp)
            present = np.bincount(shifted, minlength=span) > 0
            code_of = np.cumsum(present) - 1
            return code_of[shifted].astype(np.intp), np.flatnonzero(present) + low
    uniques, inverse = np.unique(array, return_inverse=True)
    return inverse.astype(np.intp).reshape(-1), uniques


def weighted_count(index: npt.NDArray[Any], weights: npt.ArrayLike, size: int) -> FloatArray:
    """Sum ``weights`` per index value 0..size-1 (a float ``bincount``)."""
    return np.asarray(np.bincount(index, weights=weights, minlength=size), dtype=np.float64)


def segment_first(group: IntArray, n_groups: int) -> IntArray:
    """Index of each group's first cell (cells sorted by group, every group present)."""
    if n_groups == 1:
        return np.zeros(1, dtype=np.intp)
    counts = np.bincount(group, minlength=n_groups)
    return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)


def segment_cumsum(values: FloatArray, group: IntArray, first: IntArray) -> FloatArray:
    """Return the running sum of ``values``, restarting at every group's first cell."""
    if values.shape[0] == 0:
        return np.zeros(0)
    running = np.cumsum(values)
    if first.shape[0] == 1:
        return np.asarray(running, dtype=np.float64)
    before = running - values
    return np.asarray(running - before[first][group], dtype=np.float64)


def _whole(values: npt.NDArray[Any]) -> bool:
    return bool(np.all(values == np.floor(values)))


def looks_continuous(values: npt.NDArray[Any]) -> bool:
    """Float durations whose first values are not all whole: no integer ranks (cheap test)."""
    return values.dtype.kind == "f" and not _whole(values[:_PROBE])


def integer_ranks(values: npt.NDArray[Any]) -> tuple[FloatArray, IntArray, int] | None:
    """Time ranks by offset for integer-valued durations on a compact range."""
    if values.dtype.kind not in "iu" and (
        # A look at the first values rejects continuous durations without a full pass.
        looks_continuous(values) or not _whole(values) or values.max() >= 2**53
    ):
        return None
    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > 4 * values.shape[0] + 1024:
        return None
    rank = (values - low).astype(np.intp)
    return np.arange(low, low + span, dtype=np.float64), rank, span


def _single_group(
    values: npt.NDArray[Any], observed: npt.NDArray[np.bool_], weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tally one group into (times, exits, events): bincount, or two sorts."""
    ranks = integer_ranks(values)
    if ranks is not None:
        times, rank, span = ranks
        if weights is None:
            rows = np.bincount(rank, minlength=span)
            present = np.flatnonzero(rows)
            exits = rows[present].astype(np.float64)
            events = np.bincount(rank[observed], minlength=span)[present].astype(np.float64)
        else:
            rows = np.bincount(rank, minlength=span)
            present = np.flatnonzero(rows)
            exits = weighted_count(rank, weights, span)[present]
            events = weighted_count(rank, weights * observed, span)[present]
        return times[present], exits, events
    floats = values.astype(np.float64, copy=False)
    if weights is None:
        return _sorted_with_events(floats, observed)
    times, inverse = np.unique(floats, return_inverse=True)
    exits = weighted_count(inverse, weights, times.shape[0])
    events = weighted_count(inverse, weights * observed, times.shape[0])
    return times, exits, events


def sorted_event_keys(
    floats: FloatArray, observed: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint64]:
    """Sorted keys ``bits << 1 | observed`` of non-negative float durations.

    The bits of a non-negative float64 order like the number itself and leave
    the sign bit 0, so the keys sort by time (events of a time after its
    censorings) without an argsort or a second sort; the shift also drops the
    sign bit of -0.0, which becomes 0.0. ``key >> 1`` viewed as float64 is the
    time, ``key & 1`` the event bit.
    """
    bits = floats.view(np.uint64)
    key = np.empty(bits.shape[0], dtype=np.uint64)
    one = np.uint64(1)
    # Shift and merge block by block: one pass over the keys, not two.
    for start in range(0, bits.shape[0], BLOCK):
        block = slice(start, start + BLOCK)
        np.left_shift(bits[block], one, out=key[block])
        np.bitwise_or(key[block], observed[block], out=key[block])
    key.sort()
    return key


def keys_all_distinct(key: npt.NDArray[np.uint64]) -> bool:
    """Whether sorted event keys hold every time once (neighbours differ beyond the event bit)."""
    scratch = np.empty(min(BLOCK, key.shape[0]), dtype=np.uint64)
    for start in range(0, key.shape[0] - 1, BLOCK):
        stop = min(start + BLOCK, key.shape[0] - 1)
        size = stop - start
        np.bitwise_xor(key[start + 1 : stop + 1], key[start:stop], out=scratch[:size])
        if int(scratch[:size].min()) < 2:
            return False
    return True


def _sorted_with_events(
    floats: FloatArray, observed: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tally by one sort of keys that carry the event bit: (times, exits, events)."""
    return group_event_keys(sorted_event_keys(floats, observed))


def group_event_keys(key: npt.NDArray[np.uint64]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Count (times, exits, events) from sorted event keys; ``key`` is shifted in place."""
    event_bit = np.empty(key.shape[0], dtype=np.float64)
    np.bitwise_and(key, np.uint64(1), out=event_bit, casting="unsafe")
    key >>= np.uint64(1)
    new = np.empty(key.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    if new.all():  # every duration distinct: nothing to count
        return key.view(np.float64), np.ones(key.shape[0]), event_bit
    starts = np.flatnonzero(new)
    times = key[starts].view(np.float64)
    exits = np.diff(starts, append=key.shape[0]).astype(np.float64)
    events = np.add.reduceat(event_bit, starts)
    return times, exits, np.asarray(events, dtype=np.float64)


def tally(
    values: npt.NDArray[Any],
    observed: npt.NDArray[np.bool_],
    weights: FloatArray | None,
    codes: IntArray | None = None,
    n_groups: int = 1,
) -> Tally:
    """Reduce subjects to (group, time) cells; zero-weight cells are dropped."""
    if codes is None or n_groups == 1:
        times, exits, events = _single_group(values, observed, weights)
        group = np.zeros(times.shape[0], dtype=np.intp)
    else:
        ranks = integer_ranks(values)
        if ranks is None:
            rank_times, rank = np.unique(values.astype(np.float64), return_inverse=True)
            ranks = rank_times, rank.reshape(-1).astype(np.intp), rank_times.shape[0]
        rank_times, rank, span = ranks
        key = codes.astype(np.int64) * span + rank
        if n_groups * span <= 4 * key.shape[0] + 1024:
            cell, size = key, n_groups * span
            present = np.flatnonzero(np.bincount(cell, minlength=size))
        else:
            present, cell = np.unique(key, return_inverse=True)
            size = present.shape[0]
        unit = np.ones(key.shape[0]) if weights is None else weights
        exits = weighted_count(cell, unit, size)
        events = weighted_count(cell, unit * observed, size)
        if size != present.shape[0]:
            exits, events = exits[present], events[present]
        group = (present // span).astype(np.intp)
        times = rank_times[present % span]
    if weights is not None:
        keep = exits > 0
        group, times, exits, events = group[keep], times[keep], exits[keep], events[keep]
    return Tally(group=group, times=times, exits=exits, events=events, n_groups=n_groups)


@dataclass(frozen=True)
class SurvivalInputs:
    """Validated subjects (or, from a frame, distinct subject rows with their counts)."""

    durations: npt.NDArray[Any]
    observed: npt.NDArray[np.bool_]
    weights: FloatArray | None
    labels: npt.NDArray[Any] | None


def _frame_column(value: object, *, role: str, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise TypeError(
            f"`{role}` must be a column name when the data is a dataframe; got {value!r}"
        )
    return value


def _reduce_frame(
    frame: object, duration: object, observed: object, weights: object, by: object
) -> SurvivalInputs:
    """Distinct (group, duration, observed) rows and their counts, from the frame's engine."""
    names = {
        "duration": _frame_column(duration, role="duration", required=True),
        "observed": _frame_column(observed, role="observed", required=False),
        "weights": _frame_column(weights, role="weights", required=False),
        "by": _frame_column(by, role="by", required=False),
    }
    table = as_table(frame, data_role="duration", roles=names, key_roles=("by",))
    check_numeric(table, "duration")
    if names["weights"] is not None:
        check_numeric(table, "weights")
    keys = [name for role in ("by", "duration", "observed") if (name := names[role])]
    weight = names["weights"]
    aggregation: dict[str, tuple[Aggregation, str | None]] = {
        "__lm_weight": ("len", None) if weight is None else ("sum", weight),
        "__lm_rows": ("len", None),
    }
    if weight is not None:
        aggregation["__lm_weight_values"] = ("count", weight)
    grouped = group_aggregate(table, keys, aggregation)
    if (
        weight is not None
        and grouped.values["__lm_weight_values"].sum() != grouped.values["__lm_rows"].sum()
    ):
        raise ValueError(f"`weights` column {weight!r} has missing values")
    for role in ("by", "duration", "observed"):
        column = names[role]
        if column is not None and any(item is None for item in grouped.keys[column].tolist()):
            raise ValueError(f"`{role}` column {column!r} has missing values")
    values, events, counts = check_survival_data(
        grouped.keys[str(names["duration"])],
        None if names["observed"] is None else grouped.keys[str(names["observed"])],
        grouped.values["__lm_weight"],
    )
    labels = None if names["by"] is None else grouped.keys[str(names["by"])]
    return SurvivalInputs(values, events, counts, labels)


def survival_inputs(
    data: object, observed: object, weights: object, by: object, duration: object
) -> SurvivalInputs:
    """Validate array input, or reduce a dataframe in its engine (``duration`` names a column)."""
    if as_narwhals_frame(data, name="durations") is not None:
        return _reduce_frame(data, duration, observed, weights, by)
    if duration is not None:
        raise TypeError("`duration` names a column; it needs the data to be a dataframe")
    values, events, weight_array = check_survival_data(data, observed, weights)
    labels = None if by is None else as_1d_labels(by, name="by")
    if labels is not None and labels.shape[0] != values.shape[0]:
        raise ValueError(
            f"`by` must have the same length as `durations` ({values.shape[0]}); "
            f"got {labels.shape[0]}"
        )
    return SurvivalInputs(values, events, weight_array, labels)
