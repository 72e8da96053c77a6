"""Group keys as integer codes, by hashing: the reduce step's numpy floor.

A key column becomes integer codes without sorting its rows:

* integers, booleans, dates and datetimes whose values span a range not much
  wider than the number of rows are their own codes (value minus the
  minimum), with no hashing at all; floats that hold whole numbers (scores
  with missing answers) likewise;
* any other column is factorized by a hash table: fixed-width strings of up
  to 16 ASCII characters as their bytes packed into one or two 64-bit
  integers (``pandas.factorize``), longer ones by pyarrow's dictionary
  encoding; text already in Arrow (pyarrow arrays, pandas' Arrow-backed
  strings) is read from its buffers, short strings packed with their length
  into an integer, longer ones dictionary-encoded; object arrays of Python
  strings are converted to Arrow once (by polars when large and installed)
  and hashed the same way; ``pandas.factorize`` for everything else
  (a pandas categorical gives its own codes). Without pandas and pyarrow a
  sort-based ``numpy.unique`` is the fallback.

Rows counted by integer keys alone skip the codes: :func:`count_integer_keys`
combines and counts them chunk by chunk, in cache.

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
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["KeyCodes", "factorize", "group_codes", "group_reduce", "is_arrow_text"]

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
    low = _code_origin(values.dtype, low, high)
    span = high - low + 1
    if values.dtype.kind == "b":
        codes = values.astype(np.intp)
    elif low == 0 and values.dtype == np.intp:
        codes = values
    else:
        with np.errstate(invalid="ignore"):  # missing values get their code below
            codes = np.subtract(numbers, low, dtype=np.intp, casting="unsafe")
    levels = _offset_levels(values.dtype, low, span)
    if missing is not None and missing.any():
        codes[missing] = span
        levels = _with_missing(levels)
    return KeyCodes(codes, levels)


def _code_origin(dtype: np.dtype[Any], low: int, high: int) -> int:
    """Return the value that gets code 0 in offset codes of values ``low..high``."""
    if dtype.kind == "b":
        return 0  # booleans are their own codes (an all-True key too)
    if low > 0 and dtype == np.intp and high < _DENSE_MINIMUM:
        return 0  # small non-negative integers are their own codes: no copy at all
    return low


def _offset_levels(dtype: np.dtype[Any], low: int, span: int) -> npt.NDArray[Any]:
    """Return the levels ``low..low+span-1`` of offset codes, in the key's dtype."""
    levels = np.arange(low, low + span, dtype=np.int64)
    return levels.astype(dtype if dtype.kind in "mMiub" else np.float64)


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
    if isinstance(values, np.ndarray) and values.dtype == object:
        text = _object_text_codes(values)
        if text is not None:
            return text
    if is_arrow_text(values):
        return _arrow_text_codes(values)
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


#: Multiplying by an odd constant permutes the 64-bit integers (modulo 2**64);
#: this one is Knuth's multiplicative-hash constant, 2**64 over the golden ratio.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)
_UNSPREAD = np.uint64(pow(0x9E3779B97F4A7C15, -1, 1 << 64))
#: Rows of text packed per step: a block of the input stays in cache.
_TEXT_BLOCK_BYTES = 1 << 20


def _factorize_spread(spread: npt.NDArray[np.uint64]) -> tuple[CodeArray, npt.NDArray[np.uint64]]:
    """``pandas.factorize`` of packed-text words multiplied by ``_SPREAD``; levels undone.

    Packed ids differ in a few bytes and keep the others alike; multiplied by
    an odd constant (one-to-one, undone on the levels by its inverse) they
    spread over pandas' hash table, which then factorizes 1e7 packed ids of
    1e6 customers in about 0.5 s instead of 0.8 s. Same codes, same levels.
    """
    import pandas as pd

    codes, uniques = pd.factorize(spread)
    return codes, uniques * _UNSPREAD


def _packed_text_codes(values: npt.NDArray[Any]) -> KeyCodes | None:
    """Factorize short ASCII strings as integers: their bytes packed into one or two words.

    Hashing a 64-bit integer is far cheaper than hashing text; ids of up to 16
    ASCII characters (``"c123456"``) fit in two words, whatever the width of
    the dtype. One blockwise pass checks, packs and spreads the words. None
    for longer or non-ASCII text (hashed as text then).
    """
    width = values.dtype.itemsize // (4 if values.dtype.kind == "U" else 1)
    n = values.shape[0]
    if n == 0 or width == 0 or width > 64:
        return None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is installed in the test extra
        return None
    unicode = values.dtype.kind == "U"
    characters = (
        np.ascontiguousarray(values).view(np.uint32 if unicode else np.uint8).reshape(n, width)
    )
    # A wide dtype (numpy sizes string results generously) may hold short ids.
    used = min(width, 16)
    words = 1 if used <= 8 else 2
    spread = np.empty((words, n), dtype=np.uint64)
    rows = max(1, _TEXT_BLOCK_BYTES // values.dtype.itemsize)
    raw = np.zeros((min(rows, n), 8 * words), dtype=np.uint8)
    for start in range(0, n, rows):
        block = characters[start : start + rows]
        if width > 16 and block[:, 16:].any():
            return None
        head = block[:, :used]
        if unicode and int(head.max()) >= 128:
            return None  # not ASCII: one byte per character would not do
        packed = raw[: block.shape[0]]
        packed[:, :used] = head  # the bytes after ``used`` stay zero
        np.multiply(packed.view(np.uint64).T, _SPREAD, out=spread[:, start : start + rows])
    codes, uniques = _factorize_spread(spread[0])
    if words == 2 and not spread[1].any():
        # A wide dtype of ids that all fit in one word (numpy sizes the results
        # of string operations generously): the second word is zero throughout.
        level_words = np.column_stack((uniques, np.zeros_like(uniques)))
    elif words == 2:
        second, second_uniques = _factorize_spread(spread[1])
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
    levels = np.ascontiguousarray(level_bytes.astype(np.uint32) if unicode else level_bytes).view(
        values.dtype
    )
    return KeyCodes(codes.astype(np.intp, copy=False), levels.reshape(-1))


#: Object strings of at most this many UTF-8 bytes are packed with their length
#: into one 64-bit word (the length tells "a" from "a\\x00").
_PACKED_OBJECT_BYTES = 7


#: Object arrays of at least this many strings are converted to Arrow by polars
#: when it is installed (about 1.7 times as fast as ``pyarrow.array`` on 1e7
#: short ids); smaller ones by pyarrow, which imports faster.
_POLARS_CONVERSION_ROWS = 1 << 16


def _object_as_arrow(values: npt.NDArray[Any]) -> Any:
    """Convert an object array of Python strings to one Arrow string array, or None.

    None unless every value is a ``str`` (missing values, bytes or other
    objects go the general way): the conversion is strict, so bytes stay
    apart from text and nothing is turned into a string.
    """
    import pyarrow as pa

    if values.shape[0] >= _POLARS_CONVERSION_ROWS:
        try:
            import polars as pl
        except ImportError:
            pass
        else:
            try:
                series = pl.Series(values, dtype=pl.String, strict=True)
            except (TypeError, ValueError, UnicodeError, pl.exceptions.PolarsError):
                return None
            return None if series.null_count() else series.to_arrow()
    try:
        array = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    if not isinstance(array, pa.StringArray) or array.null_count:
        return None  # bytes mixed in infer as binary: they must stay apart from str
    return array


def _object_text_codes(values: npt.NDArray[Any]) -> KeyCodes | None:
    """Factorize an object array of Python strings through Arrow, as ``pandas.factorize`` does.

    The strings are converted to an Arrow string array once (no Python-level
    hashing) and coded by :func:`_arrow_text_codes`. Codes and levels (the
    caller's objects, in order of first appearance) equal
    ``pandas.factorize``'s. None unless every value is a str, or without
    pyarrow and pandas.
    """
    try:
        import pandas  # noqa: F401 - the short strings are hashed by pandas.factorize
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - both are installed in the test extra
        return None
    if values.shape[0] == 0:
        return None
    array = _object_as_arrow(values)
    if array is None:
        return None
    codes = _arrow_text_code_array(array)[0]  # no nulls: the codes are final
    # Codes number the strings in order of first appearance (both hash tables
    # do): a level's first row is where the running maximum code rises. The
    # levels are the caller's own objects there, as pandas.factorize gives them.
    running = np.maximum.accumulate(codes)
    first = np.flatnonzero(running[1:] != running[:-1]) + 1
    return KeyCodes(codes, values[np.concatenate(([0], first))])


def is_arrow_text(array: Any) -> bool:
    """Tell whether ``array`` is a pyarrow (chunked) array of strings."""
    module = type(array).__module__
    if not module.startswith("pyarrow"):
        return False
    import pyarrow as pa

    return isinstance(array, pa.Array | pa.ChunkedArray) and (
        pa.types.is_string(array.type)
        or pa.types.is_large_string(array.type)
        or pa.types.is_string_view(array.type)
    )


def _arrow_text_codes(array: Any) -> KeyCodes:
    """Factorize an Arrow string array (chunked or not) from its buffers.

    Strings of up to 7 UTF-8 bytes are packed with their length into one
    64-bit integer (the length tells "a" from "a" and a NUL) and hashed as such
    (``pandas.factorize``); longer ones are dictionary-encoded by Arrow. Both
    number the strings in order of first appearance, as ``pandas.factorize``
    does; a null is a level of its own, None, last. Levels are Python strings.
    """
    codes, levels, null_code = _arrow_text_code_array(array)
    return _missing_last(codes, levels(), null_code)


def _arrow_text_code_array(
    array: Any,
) -> tuple[CodeArray, Callable[[], npt.NDArray[Any]], int]:
    """Codes of an Arrow string array, its levels on demand, and the code of null (or -1).

    The levels (Python strings, the null's placeholder included) are only
    built when asked for: object input keeps the caller's own objects instead.
    """
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks else pa.array([], pa.large_string())
    if pa.types.is_string_view(array.type):
        array = array.cast(pa.large_string())
    if len(array) == 0:
        return np.zeros(0, dtype=np.intp), lambda: np.zeros(0, dtype=object), -1
    valid = None if array.null_count == 0 else array.is_valid().to_numpy(zero_copy_only=False)
    packed = _packed_arrow_text(array, valid)
    if packed is None:
        indices, dictionary = _dictionary_encoded(array)
        return (
            indices,
            lambda: np.asarray(dictionary.to_numpy(zero_copy_only=False), dtype=object),
            -1,
        )
    codes, words = _factorize_spread(packed)
    null_code = -1 if valid is None else int(codes[int(np.argmin(valid))])
    return codes.astype(np.intp, copy=False), lambda: _unpack_text(words), null_code


#: Rows of Arrow text packed per step: a block's temporaries stay in cache.
_ARROW_BLOCK_ROWS = 1 << 15


def _packed_arrow_text(
    array: Any, valid: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.uint64] | None:
    """Each string's bytes and length in one word, multiplied by ``_SPREAD``; None if too long.

    One pass over the offsets, block by block, so the only full-size array
    is the result: a block's lengths, gathered words and masks are reused
    from cache. The 8 bytes from each string's start are read in one gather
    (the last few strings from a small zero-padded copy of the buffer's end)
    and the bytes past its length shifted out. Nulls get ``_NULL_WORD``.
    """
    import pyarrow as pa

    n = len(array)
    wide = pa.types.is_large_string(array.type)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64 if wide else np.int32)[
        array.offset : array.offset + n + 1
    ]
    data = np.frombuffer(array.buffers()[2] or b"", dtype=np.uint8)
    # Strings starting before ``safe`` can read 8 bytes of the buffer itself.
    safe = max(data.shape[0] - 7, 0)
    windows = np.lib.stride_tricks.as_strided(data, shape=(safe, 8), strides=(1, 1))
    end = np.zeros(16, dtype=np.uint8)
    end[: data.shape[0] - safe] = data[safe:]
    end_windows = np.lib.stride_tricks.as_strided(end, shape=(9, 8), strides=(1, 1))
    packed = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _ARROW_BLOCK_ROWS):
        bounds = offsets[start : start + _ARROW_BLOCK_ROWS + 1]
        lengths = np.diff(bounds)
        if int(lengths.max()) > _PACKED_OBJECT_BYTES:
            return None
        first = bounds[:-1]
        out = packed[start : start + lengths.shape[0]]
        late = first >= safe
        if late.any():
            words = np.empty((first.shape[0], 8), dtype=np.uint8)
            words[~late] = windows[first[~late]]
            words[late] = end_windows[first[late] - safe]
        else:
            words = windows[first]
        out[:] = words.view(np.uint64).reshape(-1)
        if sys.byteorder != "little":  # pragma: no cover - the packing reads bytes in order
            out.byteswap(inplace=True)
        # Shifting a 64-bit word by 64 gives 0 in numpy: the empty string packs to 0.
        unused = np.uint64(64) - lengths.astype(np.uint64) * np.uint64(8)
        out <<= unused
        out >>= unused
        out |= lengths.astype(np.uint64) << np.uint64(8 * _PACKED_OBJECT_BYTES)
        if valid is not None:
            out[~valid[start : start + lengths.shape[0]]] = _NULL_WORD
        out *= _SPREAD
    return packed


#: The packed word of a null: a length byte no string of up to 7 bytes has.
_NULL_WORD = np.uint64(0xFF << (8 * _PACKED_OBJECT_BYTES))


def _unpack_text(words: npt.NDArray[np.uint64]) -> npt.NDArray[Any]:
    """Python strings of packed words (a null's word gives a placeholder, dropped later)."""
    import pyarrow as pa

    if sys.byteorder != "little":  # pragma: no cover - the packing reads bytes in order
        words = words.byteswap()
    raw = np.ascontiguousarray(words).view(np.uint8).reshape(-1, 8)
    lengths = raw[:, _PACKED_OBJECT_BYTES].astype(np.int64)
    lengths[lengths > _PACKED_OBJECT_BYTES] = 0
    used = np.arange(_PACKED_OBJECT_BYTES) < lengths[:, None]
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    text = pa.LargeStringArray.from_buffers(
        words.shape[0], pa.py_buffer(offsets), pa.py_buffer(raw[:, :_PACKED_OBJECT_BYTES][used])
    )
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def _missing_last(codes: CodeArray, levels: npt.NDArray[Any], null_code: int) -> KeyCodes:
    """Move the level of code ``null_code`` (-1: none, or the rows coded -1) last, as None."""
    if null_code == -1 and not (codes < 0).any():
        return KeyCodes(codes, np.asarray(levels, dtype=object))
    if null_code == -1:
        kept = np.asarray(levels, dtype=object)
        codes = np.where(codes < 0, kept.shape[0], codes)
    else:
        kept = np.delete(np.asarray(levels, dtype=object), null_code)
        shift = np.arange(levels.shape[0], dtype=np.intp)
        shift[null_code + 1 :] -= 1
        shift[null_code] = kept.shape[0]
        codes = shift[codes]
    return KeyCodes(codes, _with_missing(kept))


def _arrow_codes(array: Any, empty: npt.NDArray[Any]) -> KeyCodes:
    """Dictionary-encode an Arrow array; levels in the dtype of ``empty``."""
    indices, dictionary = _dictionary_encoded(array)
    if dictionary is None:
        return KeyCodes(indices, empty)
    levels = np.asarray(dictionary.to_numpy(zero_copy_only=False)).astype(empty.dtype)
    return KeyCodes(indices, levels)


def _dictionary_encoded(array: Any) -> tuple[CodeArray, Any]:
    """Arrow's dictionary encoding: indices (-1 for a null) and the Arrow dictionary.

    Large inputs come back in chunks, whose dictionaries are unified; an
    array of no chunks has no dictionary (None).
    """
    encoded = array.dictionary_encode()
    if hasattr(encoded, "chunks"):
        encoded = encoded.unify_dictionaries()
        if encoded.num_chunks == 0:
            return np.zeros(0, dtype=np.intp), None
        parts = [
            chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False) for chunk in encoded.chunks
        ]
        indices, dictionary = np.concatenate(parts), encoded.chunk(0).dictionary
    else:
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        dictionary = encoded.dictionary
    return indices.astype(np.intp, copy=False), dictionary


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
    keys: Sequence[KeyCodes], n: int, *, need_group: bool = True, need_rows: bool = True
) -> tuple[CodeArray | None, tuple[CodeArray, ...], npt.NDArray[np.int64] | None]:
    """Combine key codes into one group code per row.

    Returns ``(group, level_codes, rows)``: the group of every row (0..G-1),
    for every key the level code of each group, and the number of rows per
    group when it came for free (the dense path's ``bincount``), else None.
    With keys, every group has rows. ``group`` may be the one key's own codes
    (when all its levels are present): read it, never write it.
    With ``need_group=False`` the dense path skips numbering the rows' groups
    (``group`` is then None): counting needs only the ``bincount``. With
    ``need_rows=False`` as well (the distinct combinations alone), the dense
    path marks the combinations present instead of counting them.
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
    if total <= _dense_limit(n) and not (need_group or need_rows):
        present = np.zeros(total, dtype=bool)
        present[combined] = True
        cells, rows, group = np.flatnonzero(present), None, None
    elif total <= _dense_limit(n):
        counts = np.bincount(combined, minlength=total)
        cells = np.flatnonzero(counts)
        rows = counts[cells].astype(np.int64)
        del counts
        group = None
        if need_group and cells.shape[0] == total:
            group = combined  # every combination is present: the codes are the groups
        elif need_group:
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


#: Rows combined and counted per ``np.bincount`` call by :func:`count_integer_keys`:
#: the chunk's codes stay in cache, so the keys are read from memory once.
_COUNT_CHUNK = 1 << 15
#: Largest table of combinations counted chunk by chunk (a chunk's ``bincount``
#: fills the whole table, so it must stay small beside the chunk).
_COUNT_CELLS = 1 << 14


def count_integer_keys(
    columns: Sequence[npt.NDArray[Any]],
) -> tuple[tuple[npt.NDArray[Any], ...], tuple[CodeArray, ...], npt.NDArray[np.int64]] | None:
    """Count the rows per combination of integer (or boolean) keys, in chunks, on their dtype.

    The count-only case of :func:`factorize` and :func:`group_codes` in one
    pass over the keys: every chunk's range is checked, its combined code
    made and counted while it is in cache; no codes array per key and no
    combined code of every row are made. The table grows when a chunk widens
    a key's range. Returns ``(levels, level_codes, rows)`` with the levels of
    every key as :func:`factorize` gives them and the level codes and row
    counts of the non-empty combinations as :func:`group_codes` gives them
    (same groups, same order), or None when the keys are not all integer
    arrays of one length or their combinations do not make a small table
    (the general path then).
    """
    if not columns or any(
        not isinstance(column, np.ndarray) or column.ndim != 1 or column.dtype.kind not in "iub"
        for column in columns
    ):
        return None
    n = columns[0].shape[0]
    if n == 0 or any(column.shape[0] != n for column in columns):
        return None
    lows: list[int] = []
    highs: list[int] = []
    table = np.zeros((0,) * len(columns), dtype=np.int64)
    buffer = np.empty(min(n, _COUNT_CHUNK), dtype=np.intp)
    for start in range(0, n, _COUNT_CHUNK):
        chunks = [column[start : start + _COUNT_CHUNK] for column in columns]
        chunk_lows = [int(chunk.min()) for chunk in chunks]
        chunk_highs = [int(chunk.max()) for chunk in chunks]
        if (
            not lows
            or any(low < known for low, known in zip(chunk_lows, lows, strict=True))
            or any(high > known for high, known in zip(chunk_highs, highs, strict=True))
        ):
            new_lows = [min(pair) for pair in zip(chunk_lows, lows or chunk_lows, strict=True)]
            new_highs = [max(pair) for pair in zip(chunk_highs, highs or chunk_highs, strict=True)]
            shape = tuple(high - low + 1 for low, high in zip(new_lows, new_highs, strict=True))
            if math.prod(shape) > _COUNT_CELLS:
                return None
            grown = np.zeros(shape, dtype=np.int64)
            if lows:
                grown[
                    tuple(
                        slice(low - new, low - new + size)
                        for low, new, size in zip(lows, new_lows, table.shape, strict=True)
                    )
                ] = table
            table, lows, highs = grown, new_lows, new_highs
        # Mixed radix in the platform integer (a narrow key's dtype would overflow).
        # The first key is scaled as it is copied, and a key whose range starts
        # at 0 is added without a shifted copy: each saves a pass over the chunk
        # (measured: 1.7x one bincount with them, about 2x without).
        combined = buffer[: chunks[0].shape[0]]
        for index, (chunk, low) in enumerate(zip(chunks, lows, strict=True)):
            if index == 0:
                if low or len(chunks) == 1:
                    np.subtract(chunk, low, out=combined, dtype=np.intp, casting="unsafe")
                else:  # shifted as it is copied
                    np.multiply(
                        chunk, table.shape[1], out=combined, dtype=np.intp, casting="unsafe"
                    )
                continue
            if index > 1 or lows[0]:
                np.multiply(combined, table.shape[index], out=combined)
            if low:
                combined += np.subtract(chunk, low, dtype=np.intp, casting="unsafe")
            else:
                np.add(combined, chunk, out=combined, casting="unsafe")
        table.reshape(-1)[...] += np.bincount(combined, minlength=table.size)
    origins = [
        _code_origin(column.dtype, low, high)
        for column, low, high in zip(columns, lows, highs, strict=True)
    ]
    sizes = tuple(high - origin + 1 for origin, high in zip(origins, highs, strict=True))
    if any(origin != low for origin, low in zip(origins, lows, strict=True)):
        placed = np.zeros(sizes, dtype=np.int64)
        shifts = (low - origin for low, origin in zip(lows, origins, strict=True))
        placed[tuple(slice(shift, None) for shift in shifts)] = table
        table = placed
    counts = table.reshape(-1)
    cells = np.flatnonzero(counts)
    levels = tuple(
        _offset_levels(column.dtype, origin, size)
        for column, origin, size in zip(columns, origins, sizes, strict=True)
    )
    level_codes = tuple(np.asarray(code, dtype=np.intp) for code in np.unravel_index(cells, sizes))
    return levels, level_codes, counts[cells]


def group_reduce(
    values: npt.NDArray[Any],
    group: CodeArray,
    n_groups: int,
    aggregation: str,
    *,
    every_group_has_rows: bool = False,
) -> npt.NDArray[Any]:
    """Per-group count, sum, min or max of a column (missing values skipped).

    Sums are float64, counts int64; minima and maxima are float64 (NaN for a
    group without values), or datetime64 (NaT) for a datetime column.
    ``every_group_has_rows`` (true of the groups of :func:`group_codes` with
    keys) spares integer minima and maxima the search for groups without rows.
    """
    if values.dtype.kind in "mM":
        missing = np.isnat(values)
        numbers = values.view(np.int64)
        if aggregation == "count":
            return np.bincount(group[~missing], minlength=n_groups).astype(np.int64)
        if aggregation not in ("min", "max"):
            raise ValueError(f"cannot {aggregation} a column of dates")
        if n_groups == 1:  # one group (no keys): a plain reduction, not ufunc.at
            present = numbers if not missing.any() else numbers[~missing]
            found = np.iinfo(np.int64).min  # NaT when there are no times
            if present.shape[0]:
                found = int(present.min() if aggregation == "min" else present.max())
            return np.array([found], dtype=np.int64).view(values.dtype)
        extreme = np.iinfo(np.int64).max if aggregation == "min" else np.iinfo(np.int64).min + 1
        out = np.full(n_groups, extreme, dtype=np.int64)
        ufunc = np.minimum if aggregation == "min" else np.maximum
        ufunc.at(out, group[~missing], numbers[~missing])
        empty = np.bincount(group[~missing], minlength=n_groups) == 0
        out[empty] = np.iinfo(np.int64).min  # NaT
        return out.view(values.dtype)
    if values.dtype.kind in "iu" and aggregation in ("min", "max"):
        return _integer_extremes(values, group, n_groups, aggregation, every_group_has_rows)
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


def _integer_extremes(
    values: npt.NDArray[np.integer[Any]],
    group: CodeArray,
    n_groups: int,
    aggregation: str,
    every_group_has_rows: bool,
) -> npt.NDArray[np.float64]:
    """Per-group minimum or maximum of integers (never missing), as float64; NaN if empty.

    Reduced on the integers (no float copy, no missing-value passes); their
    float64 values are those of the float reduction, as rounding is monotone.
    """
    info = np.iinfo(values.dtype)
    out = np.full(n_groups, info.max if aggregation == "min" else info.min, dtype=values.dtype)
    ufunc = np.minimum if aggregation == "min" else np.maximum
    ufunc.at(out, group, values)
    extremes = out.astype(np.float64)
    if not every_group_has_rows:
        extremes[np.bincount(group, minlength=n_groups) == 0] = np.nan
    return extremes
