"""Group keys as integer codes, by hashing: the reduce step's numpy floor.

A key column becomes integer codes without sorting its rows:

* integers, booleans, dates and datetimes whose values span a range not much
  wider than the number of rows are their own codes (value minus the
  minimum), with no hashing at all; floats that hold whole numbers (scores
  with missing answers) likewise;
* any other column is factorized by a hash table: fixed-width strings of up
  to 16 ASCII characters as their bytes packed into one or two 64-bit
  integers (``pandas.factorize``), longer ones by pyarrow's dictionary
  encoding, ``pandas.factorize`` for everything else
  (a pandas categorical gives its own codes). Without pandas and pyarrow a
  sort-based ``numpy.unique`` is the fallback.

Several keys combine into one integer code (mixed radix), counted by one
``numpy.bincount`` when the combinations fit a dense table (after dropping
the unused levels of offset codes, if that makes them fit), or hashed once
more when they do not. Per-group sums, counts, minima and maxima are then
``bincount`` with weights or ``ufunc.at``: every step is O(rows).

A missing key (None, NaN, NaT, ``pandas.NA``) is a level of its own, whose
value is None: missing keys are never dropped silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["KeyCodes", "factorize", "group_codes", "group_reduce"]

CodeArray = npt.NDArray[np.intp]
# A key whose values span at most this many times its number of rows (and at
# least this many levels are always allowed) is coded by offset, not hashed.
_DENSE_FACTOR = 4
_DENSE_MINIMUM = 1 << 16


@dataclass(frozen=True)
class KeyCodes:
    """One key column as codes: ``levels[codes[i]]`` is the key of row i.

    ``levels`` may hold values that no row has (offset codes of integers);
    missing keys have the level None (an object array then).
    """

    codes: CodeArray
    levels: npt.NDArray[Any]

    @property
    def size(self) -> int:
        """Number of levels."""
        return int(self.levels.shape[0])

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def values(self) -> npt.NDArray[Any]:
        """Return the key of every row."""
        return self.levels[self.codes]

    def take(self, rows: npt.NDArray[Any]) -> KeyCodes:
        """Return the rows ``rows`` (a boolean mask or positions), with the same levels."""
        return KeyCodes(self.codes[rows], self.levels)


def _dense_limit(n: int) -> int:
    return max(_DENSE_FACTOR * n, _DENSE_MINIMUM)


def _with_missing(levels: npt.NDArray[Any]) -> npt.NDArray[Any]:
    out = np.empty(levels.shape[0] + 1, dtype=object)
    out[:-1] = levels.tolist() if levels.dtype.kind not in "mM" else list(levels)
    out[-1] = None
    return out


def _offset_codes(
    values: npt.NDArray[Any], missing: npt.NDArray[np.bool_] | None
) -> KeyCodes | None:
    """Codes ``value - minimum`` for integer-valued keys of a narrow range; None if too wide."""
    numbers = values.view(np.int64) if values.dtype.kind in "mM" else values
    present = numbers if missing is None else numbers[~missing]
    n = values.shape[0]
    if present.shape[0] == 0:
        low, high = 0, -1
    else:
        low, high = int(present.min()), int(present.max())
        if high - low + 1 > _dense_limit(n):
            return None
    if low > 0 and values.dtype == np.intp and high < _DENSE_MINIMUM:
        low = 0  # small non-negative integers are their own codes: no copy at all
    span = high - low + 1
    if values.dtype.kind == "b":
        codes = values.astype(np.intp)
    elif low == 0 and values.dtype == np.intp:
        codes = values
    else:
        with np.errstate(invalid="ignore"):  # missing values get their code below
            codes = np.subtract(numbers, low, dtype=np.intp, casting="unsafe")
    levels = np.arange(low, low + span, dtype=np.int64)
    if values.dtype.kind in "mMiub":
        levels = levels.astype(values.dtype)
    else:
        levels = levels.astype(np.float64)
    if missing is not None and missing.any():
        codes[missing] = span
        levels = _with_missing(levels)
    return KeyCodes(codes, levels)


def _hashed(values: Any) -> KeyCodes:
    """Factorize any column by a hash table (missing values get a level of their own)."""
    codes: CodeArray
    if isinstance(values, np.ndarray) and values.dtype.kind in "US":
        packed = _packed_text_codes(values)
        if packed is not None:
            return packed
        try:
            import pyarrow as pa
        except ImportError:  # pragma: no cover - pyarrow is installed in the test extra
            pass
        else:
            return _arrow_codes(pa.array(values), values[:0])
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed in the test extra
        return _sorted(np.asarray(values))
    raw, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = raw.astype(np.intp, copy=False)
    levels = np.asarray(uniques)
    missing = codes < 0
    if missing.any():
        codes = codes.copy()
        codes[missing] = levels.shape[0]
        levels = _with_missing(levels)
    return KeyCodes(codes, levels)


def _packed_text_codes(values: npt.NDArray[Any]) -> KeyCodes | None:
    """Factorize short ASCII strings as integers: their bytes packed into one or two words.

    Hashing a 64-bit integer is far cheaper than hashing text; ids of up to 16
    ASCII characters (``"c123456"``) fit in two words, whatever the width of
    the dtype. None for longer or non-ASCII text (hashed as text then).
    """
    width = values.dtype.itemsize // (4 if values.dtype.kind == "U" else 1)
    n = values.shape[0]
    if n == 0 or width == 0 or width > 64:
        return None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed in the test extra
        return None
    characters = (
        np.ascontiguousarray(values)
        .view(np.uint32 if values.dtype.kind == "U" else np.uint8)
        .reshape(n, width)
    )
    if width > 16:
        # A wide dtype (numpy sizes string results generously) may hold short ids.
        if characters[:, 16:].any():
            return None
        characters = characters[:, :16]
    used = characters.shape[1]
    if values.dtype.kind == "U" and int(characters.max(initial=0)) >= 128:
        return None  # not ASCII: one byte per character would not do
    words = 1 if used <= 8 else 2
    raw = np.zeros((n, 8 * words), dtype=np.uint8)
    raw[:, :used] = characters
    packed = raw.view(np.uint64)
    codes, uniques = pd.factorize(packed[:, 0])
    if words == 2:
        second, second_uniques = pd.factorize(packed[:, 1])
        pair = codes.astype(np.int64) * second_uniques.shape[0] + second
        codes, pair_uniques = pd.factorize(pair)
        level_words = np.column_stack(
            (
                uniques[pair_uniques // second_uniques.shape[0]],
                second_uniques[pair_uniques % second_uniques.shape[0]],
            )
        )
    else:
        level_words = np.asarray(uniques).reshape(-1, 1)
    level_bytes = np.zeros((level_words.shape[0], width), dtype=np.uint8)
    level_bytes[:, :used] = np.ascontiguousarray(level_words, dtype=np.uint64).view(np.uint8)[
        :, :used
    ]
    levels = np.ascontiguousarray(
        level_bytes.astype(np.uint32) if values.dtype.kind == "U" else level_bytes
    ).view(values.dtype)
    return KeyCodes(codes.astype(np.intp, copy=False), levels.reshape(-1))


def _arrow_codes(array: Any, empty: npt.NDArray[Any]) -> KeyCodes:
    """Dictionary-encode an Arrow array (large inputs come back in chunks)."""
    encoded = array.dictionary_encode()
    if hasattr(encoded, "chunks"):
        encoded = encoded.unify_dictionaries()
        if encoded.num_chunks == 0:
            return KeyCodes(np.zeros(0, dtype=np.intp), empty)
        parts = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
        indices = np.concatenate(parts)
        dictionary = encoded.chunk(0).dictionary
    else:
        indices, dictionary = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary
    levels = np.asarray(dictionary.to_numpy(zero_copy_only=False)).astype(empty.dtype)
    return KeyCodes(indices.astype(np.intp, copy=False), levels)


def _sorted(values: npt.NDArray[Any]) -> KeyCodes:
    """Sort-based fallback when no hashing library is installed."""
    missing = np.array([item is None or item != item for item in values.tolist()], dtype=bool)
    distinct, inverse = np.unique(values[~missing], return_inverse=True)
    codes = np.full(values.shape[0], distinct.shape[0], dtype=np.intp)
    codes[~missing] = inverse.reshape(-1)
    levels = _with_missing(distinct) if missing.any() else distinct
    return KeyCodes(codes, levels)


def factorize(values: Any) -> KeyCodes:
    """Integer codes of one key column (numpy array or pandas Series), without sorting.

    Examples
    --------
    >>> import numpy as np
    >>> factorize(np.array([7, 9, 7])).codes.tolist()  # small integers: their own codes
    [7, 9, 7]
    >>> keys = factorize(np.array([10**9, 10**9 + 2, 10**9]))  # a narrow range: offsets
    >>> keys.codes.tolist(), keys.levels[keys.codes].tolist()
    ([0, 2, 0], [1000000000, 1000000002, 1000000000])
    >>> factorize(np.array(["b", "a", "b"], dtype=object)).levels.tolist()
    ['b', 'a']
    """
    if isinstance(values, KeyCodes):
        return values  # a key column of a grouped table, coded already
    categorical = getattr(values, "cat", None)
    if categorical is not None:
        codes = np.asarray(categorical.codes, dtype=np.intp)
        levels = np.asarray(categorical.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, levels.shape[0], codes)
            levels = _with_missing(levels)
        return KeyCodes(codes, levels)
    if not isinstance(values, np.ndarray):
        return _hashed(values)
    kind = values.dtype.kind
    if kind in "iub":
        found = _offset_codes(values, None)
    elif kind in "mM":
        found = _offset_codes(values, np.isnat(values))
    elif kind == "f":
        missing = np.isnan(values)
        present = values[~missing] if missing.any() else values
        whole = bool(np.array_equal(present, np.trunc(present))) and (
            present.shape[0] == 0 or float(np.abs(present).max()) < 2.0**52
        )
        found = _offset_codes(values, missing) if whole else None
    else:
        found = None
    return found if found is not None else _hashed(values)


def group_codes(
    keys: Sequence[KeyCodes], n: int, *, need_group: bool = True
) -> tuple[CodeArray | None, tuple[CodeArray, ...], npt.NDArray[np.int64] | None]:
    """Combine key codes into one group code per row.

    Returns ``(group, level_codes, rows)``: the group of every row (0..G-1),
    for every key the level code of each group, and the number of rows per
    group when it came for free (the dense path's ``bincount``), else None.
    With ``need_group=False`` the dense path skips numbering the rows' groups
    (``group`` is then None): counting needs only the ``bincount``.
    """
    if not keys:
        everything = np.zeros(n if need_group or not n else 0, dtype=np.intp)
        return everything, (), np.array([n], dtype=np.int64) if n else None
    sizes = [max(key.size, 1) for key in keys]
    total = math.prod(sizes)
    if total >= 2**62:  # pragma: no cover - needs keys with billions of levels
        # Too many combinations for one integer: combine the first two keys by
        # hashing their pair code, then go on with the rest.
        first, second = keys[0], keys[1]
        pair = first.codes.astype(np.int64) * second.size + second.codes
        merged = _hashed(pair)
        pair_levels = merged.levels.astype(np.int64)
        merged_keys = [KeyCodes(merged.codes, pair_levels), *keys[2:]]
        group, level_codes, rows = group_codes(merged_keys, n, need_group=need_group)
        pair_of_group = pair_levels[level_codes[0]]
        split = (pair_of_group // second.size, pair_of_group % second.size)
        return group, tuple(np.asarray(code, np.intp) for code in split) + level_codes[1:], rows
    back: dict[int, CodeArray] = {}
    if total > _dense_limit(n):
        # Offset codes may leave most levels unused (period starts counted in
        # days): dropping them, smallest key first, often makes the table dense.
        for index in sorted(range(len(keys)), key=lambda position: sizes[position]):
            if total <= _dense_limit(n) or sizes[index] > _dense_limit(n):
                break
            used = np.flatnonzero(np.bincount(keys[index].codes, minlength=sizes[index]))
            if used.shape[0] == sizes[index]:
                continue
            lookup = np.zeros(sizes[index], dtype=np.intp)
            lookup[used] = np.arange(used.shape[0], dtype=np.intp)
            keys = [*keys[:index], KeyCodes(lookup[keys[index].codes], used), *keys[index + 1 :]]
            back[index] = used
            total = total // sizes[index] * max(used.shape[0], 1)
            sizes[index] = max(used.shape[0], 1)
    combined = keys[0].codes
    for index, (key, size) in enumerate(zip(keys[1:], sizes[1:], strict=True)):
        if index == 0:
            combined = np.multiply(combined, size, dtype=np.intp)  # a new array: never the input's
        else:
            np.multiply(combined, size, out=combined)
        np.add(combined, key.codes, out=combined)
    if total <= _dense_limit(n):
        counts = np.bincount(combined, minlength=total)
        cells = np.flatnonzero(counts)
        rows = counts[cells].astype(np.int64)
        del counts
        group = None
        if need_group:
            lookup = np.zeros(total, dtype=np.intp)
            lookup[cells] = np.arange(cells.shape[0], dtype=np.intp)
            group = lookup[combined]
    else:
        hashed = _hashed(combined)
        group, cells, rows = hashed.codes, hashed.levels.astype(np.int64), None
    level_codes = np.unravel_index(cells, tuple(sizes))
    # Level codes of compacted keys go back to the caller's levels.
    out = tuple(
        np.asarray(back[index][code] if index in back else code, dtype=np.intp)
        for index, code in enumerate(level_codes)
    )
    return group, out, rows


def group_reduce(
    values: npt.NDArray[Any], group: CodeArray, n_groups: int, aggregation: str
) -> npt.NDArray[Any]:
    """Per-group count, sum, min or max of a column (missing values skipped).

    Sums are float64, counts int64; minima and maxima are float64 (NaN for a
    group without values), or datetime64 (NaT) for a datetime column.
    """
    if values.dtype.kind in "mM":
        missing = np.isnat(values)
        numbers = values.view(np.int64)
        if aggregation == "count":
            return np.bincount(group[~missing], minlength=n_groups).astype(np.int64)
        if aggregation not in ("min", "max"):
            raise ValueError(f"cannot {aggregation} a column of dates")
        extreme = np.iinfo(np.int64).max if aggregation == "min" else np.iinfo(np.int64).min + 1
        out = np.full(n_groups, extreme, dtype=np.int64)
        ufunc = np.minimum if aggregation == "min" else np.maximum
        ufunc.at(out, group[~missing], numbers[~missing])
        empty = np.bincount(group[~missing], minlength=n_groups) == 0
        out[empty] = np.iinfo(np.int64).min  # NaT
        return out.view(values.dtype)
    floats = values.astype(np.float64, copy=False)
    present = ~np.isnan(floats)
    everything = bool(present.all())
    if aggregation == "count":
        if everything:
            return np.bincount(group, minlength=n_groups).astype(np.int64)
        return np.bincount(group[present], minlength=n_groups).astype(np.int64)
    if aggregation == "sum":
        weights = floats if everything else np.where(present, floats, 0.0)
        return np.bincount(group, weights=weights, minlength=n_groups)
    out = np.full(n_groups, np.inf if aggregation == "min" else -np.inf)
    ufunc = np.minimum if aggregation == "min" else np.maximum
    if everything:
        ufunc.at(out, group, floats)
    else:
        ufunc.at(out, group[present], floats[present])
    out[np.isinf(out) & (np.bincount(group[present], minlength=n_groups) == 0)] = np.nan
    return out
