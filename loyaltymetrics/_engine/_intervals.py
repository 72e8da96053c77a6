"""The shared interval engine: normal quantiles, proportion intervals, count bootstrap.

Every metric's intervals come from here, so there is one implementation of
each method in the library.

Proportion intervals follow the definitions of statsmodels'
``proportion_confint`` (Wilson 1927; Agresti & Coull 1998; the Jeffreys
interval of Brown, Cai & DasGupta 2001; Clopper & Pearson 1934; Wald), and are
vectorised over any array shape.

The count bootstrap implements ``scipy.stats.bootstrap``'s percentile, basic
and BCa intervals on a *sufficient statistic* instead of raw rows. Resampling n
rows with replacement from data whose rows fall into cells with counts ``c`` is
exactly a draw from ``Multinomial(n, c / n)``, so one replicate costs O(cells)
whatever n is. BCa needs the jackknife, which has one distinct leave-one-out
value per cell; the acceleration is therefore a weighted sum over cells (the
same formula scipy evaluates over all n rows). Leading axes of the count
arrays are a batch dimension (segments), all computed in one vectorised pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOOTSTRAP_METHODS",
    "PROPORTION_METHODS",
    "Alternative",
    "BootstrapInterval",
    "BootstrapMethod",
    "BootstrapTarget",
    "ProportionMethod",
    "RandomSource",
    "cell_sums",
    "core_count",
    "count_bootstrap",
    "count_bootstraps",
    "difference_targets",
    "inverted_pvalue",
    "normal_quantile",
    "proportion_interval",
    "ratio_or_infinite",
    "spawn_generators",
    "tail_pvalue",
]

FloatArray = npt.NDArray[np.float64]
ProportionMethod = Literal["wilson", "agresti-coull", "jeffreys", "exact", "wald"]
BootstrapMethod = Literal["percentile", "basic", "bca"]
Alternative = Literal["two-sided", "less", "greater"]
PROPORTION_METHODS: tuple[ProportionMethod, ...] = (
    "wilson",
    "agresti-coull",
    "jeffreys",
    "exact",
    "wald",
)
BOOTSTRAP_METHODS: tuple[BootstrapMethod, ...] = ("percentile", "basic", "bca")

# Replicates are drawn in blocks so that memory stays bounded for many
# segments: at most this many bytes of resampled counts per block.
_MAX_BLOCK_BYTES = 64_000_000
_MIN_BLOCK = 256
# Batch elements with their own generators are drawn by one thread per core
# the process may use (numpy releases the GIL while it draws, and the draws of
# an element come from its own streams, so the numbers do not depend on the
# thread count), or by at most _MAX_THREADS when set, once a bootstrap has at
# least _THREADED_DRAWS binomial draws; below that, starting threads costs
# more than it saves. The draws are compute-bound: they scale with the cores.
_MAX_THREADS: int | None = None
_THREADED_DRAWS = 500_000


def tail_pvalue(
    greater: npt.ArrayLike, less: npt.ArrayLike, alternative: Alternative
) -> FloatArray:
    """Return the p-value under ``alternative`` from the two one-sided p-values.

    ``greater`` is the p-value against "greater" (the upper tail), ``less``
    against "less"; two-sided is twice the smaller one, capped at 1.
    """
    if alternative == "greater":
        pvalue = np.asarray(greater, dtype=np.float64)
    elif alternative == "less":
        pvalue = np.asarray(less, dtype=np.float64)
    else:
        pvalue = np.minimum(1.0, 2.0 * np.minimum(greater, less))
    return np.asarray(pvalue, dtype=np.float64)


def normal_quantile(confidence_level: float, alternative: Alternative = "two-sided") -> float:
    """Return the standard normal critical value for a confidence level.

    Two-sided: ``z`` with ``P(|Z| <= z) = confidence_level``; one-sided:
    ``P(Z <= z) = confidence_level``.
    """
    from scipy import special

    tail = 1.0 - confidence_level
    if alternative == "two-sided":
        tail /= 2.0
    # -ndtri(tail), not ndtri(1 - tail): for levels within 1e-16 of 1, 1 - tail
    # rounds to 1 and the quantile to inf, while the tail itself stays exact.
    return float(-special.ndtri(tail))


def proportion_interval(
    successes: npt.ArrayLike,
    n: npt.ArrayLike,
    *,
    confidence_level: float,
    method: ProportionMethod,
) -> tuple[FloatArray, FloatArray]:
    """Two-sided interval for a binomial proportion, vectorised.

    ``successes`` may be fractional (an effective count); ``n`` must be
    positive. Returns ``(low, high)`` arrays of shares in [0, 1], broadcast
    from the inputs. The definitions are those of statsmodels'
    ``proportion_confint`` (methods "wilson", "agresti_coull", "jeffreys",
    "beta" for "exact", "normal" for "wald"); Wald and Agresti-Coull limits are
    clipped to [0, 1].
    """
    from scipy import stats

    count = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    count, total = np.broadcast_arrays(count, total)
    share = count / total
    alpha = 1.0 - confidence_level
    z = normal_quantile(confidence_level)
    if method == "wald":
        half = z * np.sqrt(share * (1.0 - share) / total)
        low, high = share - half, share + half
    elif method == "agresti-coull":
        total_c = total + z**2
        share_c = (count + z**2 / 2.0) / total_c
        half = z * np.sqrt(share_c * (1.0 - share_c) / total_c)
        low, high = share_c - half, share_c + half
    elif method == "wilson":
        z2 = z**2
        denominator = 1.0 + z2 / total
        centre = (share + z2 / (2.0 * total)) / denominator
        half = z / denominator * np.sqrt(share * (1.0 - share) / total + z2 / (4.0 * total**2))
        # The limits are exactly 0 with no successes and 1 with no failures;
        # set them so rounding cannot leave the estimate outside its interval.
        low = np.where(count <= 0.0, 0.0, centre - half)
        high = np.where(count >= total, 1.0, centre + half)
    elif method == "jeffreys":
        low = stats.beta.ppf(alpha / 2.0, count + 0.5, total - count + 0.5)
        high = stats.beta.isf(alpha / 2.0, count + 0.5, total - count + 0.5)
    elif method == "exact":
        # Clopper-Pearson: beta quantiles, with the limits at 0 and n set
        # exactly (the beta quantile is undefined there).
        with np.errstate(invalid="ignore", divide="ignore"):
            low = stats.beta.ppf(alpha / 2.0, count, total - count + 1.0)
            high = stats.beta.isf(alpha / 2.0, count + 1.0, total - count)
        low = np.where(count <= 0.0, 0.0, low)
        high = np.where(count >= total, 1.0, high)
    else:  # pragma: no cover - callers validate the method
        raise ValueError(f"`method` must be one of {PROPORTION_METHODS}; got {method!r}")
    return (
        np.clip(np.asarray(low, dtype=np.float64), 0.0, 1.0),
        np.clip(np.asarray(high, dtype=np.float64), 0.0, 1.0),
    )


def ratio_or_infinite(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """Divide a test's estimate by its standard error, without warnings.

    A zero denominator gives 0 where the numerator is 0 too (no spread, no
    difference) and an infinity of the numerator's sign otherwise; NaN stays
    NaN.
    """
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = top / bottom
    return np.asarray(np.where((bottom == 0) & (top == 0), 0.0, ratio), dtype=np.float64)


@dataclass(frozen=True)
class BootstrapInterval:
    """Limits and spread of a count bootstrap, one entry per batch element.

    Attributes
    ----------
    low, high
        Interval limits (``-inf`` / ``inf`` on the open side of a one-sided
        interval).
    standard_error
        Standard deviation of the bootstrap distribution (``ddof=1``), as
        ``scipy.stats.bootstrap`` reports it.
    pvalue
        When a ``null_value`` was given: the p-value of the test that inverts
        the interval (the largest ``1 - confidence_level`` at which the
        interval still contains the null value); otherwise None.
    distribution
        For a single group (no batch axes): its bootstrap distribution, the
        ``n_resamples`` replicates of the statistic (as
        ``scipy.stats.bootstrap`` reports it); None for a batch, whose
        replicates are not kept.
    """

    low: FloatArray
    high: FloatArray
    standard_error: FloatArray
    pvalue: FloatArray | None = None
    distribution: FloatArray | None = None


CountStatistic = Callable[..., FloatArray]
# RandomSource is a string alias: evaluating it would import numpy.random,
# which a point estimate never needs.
#: A generator for the whole batch, or one entry per element of a
#: one-dimensional batch: a generator (split into one child per sample when
#: there are several samples), or a sequence of generators, one per sample
#: (see ``count_bootstrap``).
RandomSource: TypeAlias = (
    "np.random.Generator | Sequence[np.random.Generator | Sequence[np.random.Generator]]"
)


@dataclass(frozen=True)
class BootstrapTarget:
    """One statistic of a joint count bootstrap (see :func:`count_bootstraps`).

    Attributes
    ----------
    statistic
        Vectorised function of the count arrays of ``samples`` (in that
        order), as for :func:`count_bootstrap`.
    samples
        Positions of the samples the statistic reads.
    alternative, null_value
        As for :func:`count_bootstrap`.
    """

    statistic: CountStatistic
    samples: tuple[int, ...]
    alternative: Alternative = "two-sided"
    null_value: float | None = None


def difference_targets(
    statistic_a: Callable[[npt.NDArray[np.int64]], FloatArray],
    statistic_b: Callable[[npt.NDArray[np.int64]], FloatArray],
    *,
    alternative: Alternative = "two-sided",
) -> tuple[BootstrapTarget, BootstrapTarget]:
    """Targets for sample a's statistic and the difference ``a - b`` (tested against 0).

    Sample a is sample 0, b is sample 1. The difference reuses the value the
    first target has just computed on the same array of resampled counts
    (count_bootstraps evaluates the targets in order on the same arrays), so
    a's statistic is evaluated once per block of resamples, not twice.
    """
    last: list[object] = [None, None]

    def first(count: npt.NDArray[np.int64]) -> FloatArray:
        value = statistic_a(count)
        last[:] = [count, value]
        return value

    def difference(count_a: npt.NDArray[np.int64], count_b: npt.NDArray[np.int64]) -> FloatArray:
        value = last[1] if last[0] is count_a else statistic_a(count_a)
        return np.asarray(value - statistic_b(count_b), dtype=np.float64)  # type: ignore[operator]

    return (
        BootstrapTarget(first, (0,)),
        BootstrapTarget(difference, (0, 1), alternative=alternative, null_value=0.0),
    )


#: Above this many cells, ``cell_sums`` uses einsum rather than a loop over cells.
_LOOPED_CELLS = 16


def cell_sums(count: npt.NDArray[np.int64], *weights: FloatArray) -> list[FloatArray]:
    """``sum_k count[..., k] * w[..., k]`` for each ``w`` of shape ``(*batch, cells)``.

    ``count`` has shape ``(*extra, *batch, cells)``; the results have shape
    ``(*extra, *batch)``. For few cells the sum runs cell by cell, which is
    fast on the bootstrap's cell-major replicate blocks (each cell's counts
    are one contiguous plane) and skips cells whose weight is zero
    everywhere.
    """
    n_cells = count.shape[-1]
    if n_cells > _LOOPED_CELLS:
        return [
            np.asarray(np.einsum("...k,...k->...", count, weight), dtype=np.float64)
            for weight in weights
        ]
    sums = []
    scratch: FloatArray | None = None
    for weight in weights:
        # The sum starts at 0.0 + the first product, as a sum into zeros would:
        # a product of -0.0 (a zero count times a negative weight, or any count
        # times a weight of -0.0) becomes 0.0.
        # The products are written into one scratch plane, in the planes'
        # memory order, rather than into a fresh array each.
        total: FloatArray | None = None
        for k in range(n_cells):
            column = weight[..., k]
            if not np.any(column):
                continue
            if total is None:
                total = np.asarray(np.multiply(count[..., k], column))
                if np.any(np.signbit(column)):
                    np.add(total, 0.0, out=total)
                continue
            if scratch is None:
                scratch = np.empty_like(total)
            np.multiply(count[..., k], column, out=scratch)
            np.add(total, scratch, out=total)
        if total is None:
            total = np.zeros_like(count[..., 0], dtype=np.float64)  # the planes' memory order
        sums.append(total)
    return sums


def _quantile_sorted(sorted_values: FloatArray, q: FloatArray) -> FloatArray:
    """Linear-interpolation quantiles (numpy's default) of sorted columns.

    ``sorted_values`` has the resamples on axis 0; ``q`` (in [0, 1]) has the
    batch shape, so every batch element can use its own level (BCa).
    """
    n = sorted_values.shape[0]
    position = np.clip(q, 0.0, 1.0) * (n - 1)
    lower = np.floor(position).astype(np.intp)
    upper = np.minimum(lower + 1, n - 1)
    fraction = position - lower
    low_values = np.take_along_axis(sorted_values, lower[None, ...], axis=0)[0]
    high_values = np.take_along_axis(sorted_values, upper[None, ...], axis=0)[0]
    return np.asarray(low_values + fraction * (high_values - low_values), dtype=np.float64)


def _resampling_probabilities(
    sample: npt.NDArray[np.int64], total: npt.NDArray[np.int64]
) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = sample / total[..., None]
    # An empty batch element (no rows) resamples to zeros; its statistic is
    # the caller's business (typically NaN).
    return np.asarray(np.where(total[..., None] > 0, p, 1.0 / sample.shape[-1]), dtype=np.float64)


def _finite_std(theta_b: FloatArray) -> FloatArray:
    """Return the standard deviation (ddof=1) over axis 0 of the finite replicates.

    NaN, without a warning, where fewer than two replicates are finite (an
    empty batch element, whose statistic is NaN in every replicate).
    """
    finite = np.isfinite(theta_b)
    if finite.all():
        if theta_b.shape[0] < 2:
            return np.full(theta_b.shape[1:], np.nan)
        return np.asarray(np.std(theta_b, axis=0, ddof=1), dtype=np.float64)
    n_finite = finite.sum(axis=0)
    values = np.where(finite, theta_b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values.sum(axis=0) / n_finite
        squares = (np.where(finite, theta_b - mean, 0.0) ** 2).sum(axis=0)
        std = np.sqrt(squares / (n_finite - 1))
    return np.asarray(np.where(n_finite > 1, std, np.nan), dtype=np.float64)


def spawn_generators(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """Return ``n`` independent child generators of ``rng``."""
    try:
        return list(rng.spawn(n))
    except TypeError:  # pragma: no cover - a bit generator seeded without a SeedSequence
        return [np.random.default_rng(rng.integers(2**63, size=4)) for _ in range(n)]


def _sample_streams(rng: np.random.Generator, n_samples: int) -> list[np.random.Generator]:
    """One generator per independent sample: ``rng`` itself, or children of it."""
    return [rng] if n_samples == 1 else spawn_generators(rng, n_samples)


def _conditional_shares(p: FloatArray) -> FloatArray:
    """Binomial probabilities of the sequential (conditional) multinomial sampler.

    Cell ``k`` gets ``Binomial(remaining, p_k / (1 - p_0 - ... - p_{k-1}))``.
    The last populated cell of each element gets probability exactly 1, so
    rounding can never leave rows for a later, empty cell.
    """
    if p.shape[-1] == 0:
        return p
    before = np.cumsum(p, axis=-1) - p
    remaining = 1.0 - before
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(remaining > 0, p / remaining, 0.0)
    q = np.clip(q, 0.0, 1.0)
    populated = p > 0
    last = p.shape[-1] - 1 - np.argmax(populated[..., ::-1], axis=-1)
    is_last = np.arange(p.shape[-1]) == last[..., None]
    return np.asarray(np.where(is_last & populated, 1.0, q), dtype=np.float64)


class _ElementSampler:
    """Multinomial resampling of one sample's counts, block by block.

    The counts are drawn cell by cell as conditional binomials -- an exact
    multinomial sampler that numpy vectorises at a fraction of the cost of
    ``Generator.multinomial`` -- and each populated cell but the last draws
    from its own child stream of ``rng``. A stream is consumed in order, so
    the draws do not depend on how the replicates are split into blocks, and
    empty cells (padding) take no stream: the draws depend only on the
    populated cells, in order.
    """

    def __init__(
        self,
        counts: npt.NDArray[np.int64],
        rng: np.random.Generator,
        conditional: FloatArray | None = None,
    ) -> None:
        self.n_cells = counts.shape[-1]
        self.total = int(counts.sum())
        self.populated = np.flatnonzero(counts > 0)
        if conditional is None:
            # The same values as for the whole row: empty cells add exact
            # zeros to the cumulative shares.
            p = counts[self.populated] / self.total if self.total > 0 else counts[:0] * 0.0
            self.q = _conditional_shares(np.asarray(p, dtype=np.float64))
        else:
            self.q = conditional[self.populated]
        n_streams = max(0, self.populated.shape[0] - 1)
        self.streams = spawn_generators(rng, n_streams) if n_streams else []

    def draw(self, size: int) -> npt.NDArray[np.int64]:
        out = np.empty((size, self.n_cells), dtype=np.int64)
        self.fill(out)
        return out

    def fill(self, out: npt.NDArray[np.int64]) -> None:
        """Write ``out.shape[0]`` replicates into ``out`` (zeros in the empty cells)."""
        if self.populated.shape[0] < self.n_cells:
            out[...] = 0
        if self.populated.shape[0] == 0:
            return
        size = out.shape[0]
        remaining: npt.NDArray[np.int64] | None = None
        for index, stream in enumerate(self.streams):
            if remaining is None:
                drawn = stream.binomial(self.total, self.q[index], size=size)
                remaining = self.total - drawn
            else:
                drawn = stream.binomial(remaining, self.q[index])
                remaining -= drawn
            out[:, self.populated[index]] = drawn
        out[:, self.populated[-1]] = self.total if remaining is None else remaining


def _batch_draw(
    totals: npt.NDArray[np.int64],
    q: FloatArray,
    streams: list[np.random.Generator],
    size: int,
) -> npt.NDArray[np.int64]:
    """Conditional-binomial multinomial draws for a whole batch, one stream per cell."""
    out = np.zeros((size, *q.shape), dtype=np.int64)
    remaining = np.broadcast_to(totals, (size, *totals.shape)).astype(np.int64)
    for cell, stream in enumerate(streams):
        drawn = stream.binomial(remaining, q[..., cell])
        out[..., cell] = drawn
        remaining = remaining - drawn
    out[..., -1] = remaining
    return out


def _element_streams(
    entry: np.random.Generator | Sequence[np.random.Generator], n_samples: int
) -> list[np.random.Generator]:
    """Return one batch element's streams: its generator split per sample, or one per sample."""
    if isinstance(entry, np.random.Generator):
        return _sample_streams(entry, n_samples)
    streams = list(entry)
    if len(streams) != n_samples or not all(
        isinstance(stream, np.random.Generator) for stream in streams
    ):
        raise ValueError(
            f"a batch element's generators must be one Generator or {n_samples} Generators "
            "(one per sample)"
        )
    return streams


def core_count() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity masks
        return os.cpu_count() or 1


def _thread_count(elements: int, draws: int) -> int:
    if draws < _THREADED_DRAWS:
        return 1
    cores = core_count() if _MAX_THREADS is None else min(core_count(), _MAX_THREADS)
    return max(1, min(cores, elements))


def _draw_replicates(
    samples: Sequence[npt.NDArray[np.int64]],
    statistic: CountStatistic,
    n_resamples: int,
    rng: RandomSource,
) -> FloatArray:
    """Bootstrap distribution of ``statistic``: shape (n_resamples, *batch)."""
    (theta_b,) = _replicate_sets(samples, [lambda drawn: statistic(*drawn)], n_resamples, rng)
    return theta_b


_Draw = Callable[[int], list[npt.NDArray[np.int64]]]


def _replicate_sets(
    samples: Sequence[npt.NDArray[np.int64]],
    statistics: Sequence[Callable[[list[npt.NDArray[np.int64]]], FloatArray]],
    n_resamples: int,
    rng: RandomSource,
) -> list[FloatArray]:
    """Bootstrap distributions of several statistics of the same resamples.

    Each statistic takes the list of the samples' resampled counts and
    returns shape ``(size, *batch)``; the result is one array of shape
    ``(n_resamples, *batch)`` per statistic. Each sample is resampled from
    its own stream (``rng`` itself for one sample, else the children of
    ``rng.spawn``), by one of three sampling strategies: a single element
    (no batch axes), or each element of a one-dimensional batch given its own
    generator(s), is drawn by :class:`_ElementSampler` -- its replicates
    then depend only on its own counts and generators, never on the other
    elements or on the block size, and such elements are drawn by several
    threads when the bootstrap is large; a batch with one generator for all
    elements is drawn in one vectorised pass per cell.
    """
    batch_shape = np.broadcast_shapes(*(sample.shape[:-1] for sample in samples))
    arrays = [np.broadcast_to(sample, (*batch_shape, sample.shape[-1])) for sample in samples]
    batch_size = int(np.prod(batch_shape, dtype=np.int64))
    cells = sum(array.shape[-1] for array in arrays)
    # Per-element blocks hold 32-bit counts where every total fits.
    compact = all(int(array.sum(axis=-1).max(initial=0)) < 2**31 for array in arrays)
    itemsize = 4 if compact and not isinstance(rng, np.random.Generator) else 8
    block = max(1, _MAX_BLOCK_BYTES // (itemsize * max(1, batch_size * cells)))
    # With very many elements, tiny blocks would spend their time in per-call
    # overhead; a block of up to _MIN_BLOCK resamples is allowed to exceed the
    # budget as long as it stays no larger than the replicates it produces
    # (n_resamples float64 values per element).
    block = max(block, min(_MIN_BLOCK, n_resamples * 8 // (itemsize * max(1, cells))))

    pool: Any = None
    if isinstance(rng, np.random.Generator) and batch_shape == ():
        draw = _single_element_draw(arrays, rng)
    elif isinstance(rng, np.random.Generator):
        draw = _shared_generator_draw(arrays, rng)
    else:
        threads = _thread_count(batch_size, batch_size * cells * n_resamples)
        if threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(max_workers=threads)
        draw = _per_element_draw(arrays, batch_shape, rng, itemsize, threads, pool)
    # Resamples on the last, contiguous axis: each element's replicates are
    # then one contiguous run for the sorting and counting that follow.
    try:
        if block >= n_resamples:
            # One block: the statistics' own arrays are the replicates, uncopied.
            drawn = draw(n_resamples)
            return [
                _owned_replicates(statistic(drawn), (n_resamples, *batch_shape))
                for statistic in statistics
            ]
        replicates = [np.empty((*batch_shape, n_resamples)) for _ in statistics]
        for start in range(0, n_resamples, block):
            stop = min(start + block, n_resamples)
            drawn = draw(stop - start)
            for statistic, out in zip(statistics, replicates, strict=True):
                out[..., start:stop] = np.moveaxis(np.asarray(statistic(drawn)), 0, -1)
    finally:
        if pool is not None:
            pool.shutdown()
    return [np.moveaxis(out, -1, 0) for out in replicates]


def _owned_replicates(value: object, shape: tuple[int, ...]) -> FloatArray:
    """Return a statistic's value as replicates of ``shape``, resamples on the contiguous axis.

    The value itself when it is a float64 array of its own in that layout
    (the layout of the blockwise path, so reductions over the resamples add
    in the same order); otherwise a copy in it.
    """
    array = np.asarray(value)
    if (
        array.dtype == np.float64
        and array.shape == shape
        and array.flags.owndata
        and array.flags.writeable
        and np.moveaxis(array, 0, -1).flags.c_contiguous
    ):
        return array
    out = np.empty((*shape[1:], shape[0]))
    out[...] = np.moveaxis(array, 0, -1)
    return np.moveaxis(out, -1, 0)


def _single_element_draw(arrays: list[npt.NDArray[np.int64]], rng: np.random.Generator) -> _Draw:
    """Draws of one batch element (no batch axes) from ``rng`` (split per sample)."""
    samplers = [
        _ElementSampler(array, stream)
        for array, stream in zip(arrays, _sample_streams(rng, len(arrays)), strict=True)
    ]

    def draw(size: int) -> list[npt.NDArray[np.int64]]:
        return [sampler.draw(size) for sampler in samplers]

    return draw


def _shared_generator_draw(arrays: list[npt.NDArray[np.int64]], rng: np.random.Generator) -> _Draw:
    """Draws of a whole batch from one generator: one stream per sample and cell."""
    totals = [array.sum(axis=-1) for array in arrays]
    conditional = [
        _conditional_shares(_resampling_probabilities(array, total))
        for array, total in zip(arrays, totals, strict=True)
    ]
    streams = [
        spawn_generators(stream, array.shape[-1] - 1)
        for array, stream in zip(arrays, _sample_streams(rng, len(arrays)), strict=True)
    ]

    def draw(size: int) -> list[npt.NDArray[np.int64]]:
        return [
            _batch_draw(total, q, cell_streams, size)
            for total, q, cell_streams in zip(totals, conditional, streams, strict=True)
        ]

    return draw


def _per_element_draw(
    arrays: list[npt.NDArray[np.int64]],
    batch_shape: tuple[int, ...],
    rng: Sequence[np.random.Generator | Sequence[np.random.Generator]],
    itemsize: int,
    threads: int,
    pool: Any,
) -> _Draw:
    """Draws of a one-dimensional batch whose every element has its own generator(s)."""
    entries = list(rng)
    if len(batch_shape) != 1 or batch_shape[0] != len(entries):
        raise ValueError(
            "one generator per batch element needs a one-dimensional batch of "
            f"{len(entries)} elements; got batch shape {batch_shape}"
        )
    batch_size = batch_shape[0]
    conditional = [
        _conditional_shares(_resampling_probabilities(array, array.sum(axis=-1)))
        for array in arrays
    ]
    element_samplers = [
        [
            _ElementSampler(array[index], stream, shares[index])
            for array, shares, stream in zip(
                arrays, conditional, _element_streams(entry, len(arrays)), strict=True
            )
        ]
        for index, entry in enumerate(entries)
    ]
    parts = [range(start, batch_size, threads) for start in range(threads)]

    def draw(size: int) -> list[npt.NDArray[np.int64]]:
        # Cell-major blocks (cells, batch, size): each element writes
        # contiguous rows, and each cell's counts form one contiguous
        # (batch, size) plane for the statistic (see ``cell_sums``),
        # which sees the (size, batch, cells) view.
        out = [
            np.empty((array.shape[-1], batch_size, size), dtype=f"i{itemsize}") for array in arrays
        ]

        def fill(part: range) -> None:
            for index in part:
                for j, sampler in enumerate(element_samplers[index]):
                    sampler.fill(out[j][:, index, :].T)

        if pool is None:
            fill(parts[0])
        else:
            list(pool.map(fill, parts))  # collecting re-raises a worker's exception
        return [block_draws.transpose(2, 1, 0) for block_draws in out]

    return draw


def _acceleration(
    samples: Sequence[npt.NDArray[np.int64]], statistic: CountStatistic
) -> FloatArray:
    """BCa acceleration from the jackknife, in closed form over cells.

    Leaving out one row of cell k of sample j changes that sample's counts by
    ``-e_k``; all ``c_jk`` rows of the cell share that leave-one-out value.
    The sums below are scipy.stats.bootstrap's (over every row, for each
    sample), grouped by cell. The samples must share one batch shape.
    """
    numerator: FloatArray | float = 0.0
    denominator: FloatArray | float = 0.0
    for j, sample in enumerate(samples):
        n_cells = sample.shape[-1]
        multiplicity = sample.astype(np.float64)  # (*batch, cells)
        n = multiplicity.sum(axis=-1)  # (*batch,)
        # One leave-one-out count table per cell, on a new *leading* axis, so the
        # statistic sees (*extra, *batch, cells) exactly as for the replicates and
        # may broadcast per-batch arrays (e.g. cell weights) against it.
        removed = np.eye(n_cells, dtype=np.int64).reshape(
            (n_cells,) + (1,) * (sample.ndim - 1) + (n_cells,)
        )
        left_out = sample[None, ...] - removed
        arguments = [left_out if i == j else other[None, ...] for i, other in enumerate(samples)]
        with np.errstate(invalid="ignore", divide="ignore"):
            theta_i = np.moveaxis(
                np.asarray(statistic(*arguments), dtype=np.float64), 0, -1
            )  # (*batch, cells)
        present = multiplicity > 0
        theta_i = np.where(present, theta_i, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            theta_dot = (multiplicity * theta_i).sum(axis=-1) / n
        u = np.where(present, (n[..., None] - 1.0) * (theta_dot[..., None] - theta_i), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            numerator = numerator + (multiplicity * u**3).sum(axis=-1) / n**3
            denominator = denominator + (multiplicity * u**2).sum(axis=-1) / n**2
    with np.errstate(invalid="ignore", divide="ignore"):
        acceleration = np.asarray(numerator, dtype=np.float64) / (
            6.0 * np.asarray(denominator, dtype=np.float64) ** 1.5
        )
    # A jackknife with no spread (all rows alike) has no skewness to correct.
    return np.where(np.isfinite(acceleration), acceleration, 0.0)


def _bootstrap_cdf(theta_b: FloatArray, point: FloatArray) -> FloatArray:
    """Bootstrap distribution function at ``point``, counting ties as half."""
    below = (theta_b < point).sum(axis=0)
    at_or_below = (theta_b <= point).sum(axis=0)
    return np.asarray((below + at_or_below) / (2.0 * theta_b.shape[0]), dtype=np.float64)


def _bootstrap_pvalue(
    theta_b: FloatArray,
    theta_hat: FloatArray,
    null_value: float,
    z0: FloatArray,
    acceleration: FloatArray,
    method: BootstrapMethod,
    alternative: Alternative,
) -> FloatArray:
    """p-value of the test that inverts the bootstrap interval.

    For "greater" it is the tail level ``beta`` at which the lower limit of
    the one-sided interval equals the null value: ``F*(null)`` for the
    percentile interval, ``1 - F*(2 theta_hat - null)`` for the basic one, and
    for BCa the level whose BCa-adjusted quantile is ``F*(null)`` (solving
    Efron's level map for the nominal level). "less" mirrors it; two-sided is
    twice the smaller one-sided p-value.
    """
    from scipy import special

    if method == "basic":
        q = _bootstrap_cdf(theta_b, 2.0 * theta_hat - null_value)
        greater, less = 1.0 - q, q
    else:
        q = _bootstrap_cdf(theta_b, np.full(theta_hat.shape, null_value))
        greater = q
        if method == "bca":
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                r = special.ndtri(q) - z0
                scale = 1.0 + acceleration * r
                gamma = special.ndtr(r / scale - z0)
            # Outside the range the BCa level map reaches, the limit cannot
            # equal the null value at any level: the p-value is 0 or 1.
            gamma = np.where(scale > 0, gamma, np.where(r < 0, 0.0, 1.0))
            gamma = np.where(q <= 0.0, 0.0, np.where(q >= 1.0, 1.0, gamma))
            greater = np.where(np.isfinite(z0), gamma, q)
        less = 1.0 - greater
    return np.asarray(np.clip(tail_pvalue(greater, less, alternative), 0.0, 1.0), dtype=np.float64)


def inverted_pvalue(
    theta_b: FloatArray,
    samples: Sequence[npt.NDArray[np.int64]],
    statistic: CountStatistic,
    null_value: float,
    *,
    method: BootstrapMethod,
    alternative: Alternative,
) -> FloatArray:
    """p-value of the test that inverts a bootstrap interval, from its replicates.

    ``theta_b`` holds the replicates on axis 0, drawn by any engine (the count
    bootstrap, or ``scipy.stats.bootstrap`` on the rows the cells stand for);
    the estimate, BCa's bias correction and its acceleration (the jackknife
    in closed form over the cells, equal to the jackknife over the rows) come
    from the cell counts ``samples``, as for the count bootstrap's own test.
    """
    from scipy import special

    theta_hat = np.asarray(statistic(*samples), dtype=np.float64)
    z0 = np.zeros(theta_hat.shape)
    acceleration = np.zeros(theta_hat.shape)
    if method == "bca":
        z0 = special.ndtri(_bootstrap_cdf(theta_b, theta_hat))
        acceleration = _acceleration(samples, statistic)
    return _bootstrap_pvalue(theta_b, theta_hat, null_value, z0, acceleration, method, alternative)


def count_bootstrap(
    samples: Sequence[npt.ArrayLike],
    statistic: CountStatistic,
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
    alternative: Alternative = "two-sided",
    null_value: float | None = None,
) -> BootstrapInterval:
    """Bootstrap interval of a statistic of cell counts, without touching rows.

    Parameters
    ----------
    samples
        One integer count array per independent sample, shape
        ``(*batch, cells)``; the batch axes (e.g. segments) must broadcast
        across samples.
    statistic
        Vectorised function of the samples' count arrays (same order), each of
        shape ``(*extra, *batch, cells)``, returning shape ``(*extra, *batch)``.
        It must accept fractional-free integer counts and totals of ``n - 1``.
        The extra axes (resamples, or leave-one-out cells for BCa) always come
        first, so the statistic may broadcast arrays of shape
        ``(*batch, cells)`` (such as per-cell weights) against its arguments.
    confidence_level, method, n_resamples, alternative
        As in ``scipy.stats.bootstrap``; validated by the caller.
    rng
        A Generator for the whole batch, or one entry per element of a
        one-dimensional batch: a Generator (with several samples, sample
        ``j`` is drawn from child ``j`` of its ``spawn``) or a sequence of
        Generators, one per sample. With one entry per element, element
        ``i``'s interval is exactly the interval of a call with that
        element's counts alone and ``rng[i]``: it does not depend on the other
        elements (segments) of the batch.
    null_value
        If given, also return the p-value of the test of ``statistic ==
        null_value`` that inverts the interval (see :class:`BootstrapInterval`).

    Returns
    -------
    BootstrapInterval
        Limits with the batch shape. Where every replicate equals the estimate
        (one populated cell), the interval is the estimate itself. Where the
        BCa bias correction is infinite (the estimate lies outside every
        replicate), that element falls back to the percentile interval.
    """
    target = BootstrapTarget(
        statistic,
        tuple(range(len(samples))),
        alternative=alternative,
        null_value=null_value,
    )
    (result,) = count_bootstraps(
        samples,
        [target],
        confidence_level=confidence_level,
        method=method,
        n_resamples=n_resamples,
        rng=rng,
    )
    return result


def count_bootstraps(
    samples: Sequence[npt.ArrayLike],
    targets: Sequence[BootstrapTarget],
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
) -> list[BootstrapInterval]:
    """Intervals of several statistics from one set of resamples.

    Every sample is resampled once, as :func:`count_bootstrap` resamples it
    under the same ``rng``, and each target's statistic is evaluated on the
    resamples of the samples it reads. Target ``t``'s interval is therefore
    exactly :func:`count_bootstrap` of its statistic on those samples, called
    with the same streams: for example a segment's interval and its
    comparison with the rest share the segment's resamples, which then cost
    one draw instead of two.

    The batch is worked through in blocks of elements when every element
    has its own generators and every statistic can be restricted to a block
    (it has a ``take(slice)`` method, as the weighted-mean statistics do):
    a block's replicates are drawn, reduced to its limits and p-values, and
    discarded, so memory is bounded by a block whatever the number of
    elements. An element's resamples depend only on its own counts and
    streams, so the results do not depend on the blocks.
    """
    raw = [np.asarray(sample, dtype=np.int64) for sample in samples]
    batch_shape = np.broadcast_shapes(*(sample.shape[:-1] for sample in raw))
    arrays = [np.broadcast_to(sample, (*batch_shape, sample.shape[-1])) for sample in raw]
    full = all(sample.shape[:-1] == batch_shape for sample in raw)
    size = _group_block(batch_shape, targets, n_resamples, rng) if full else None
    if size is None:
        return _count_bootstraps_at_once(
            arrays,
            targets,
            confidence_level=confidence_level,
            method=method,
            n_resamples=n_resamples,
            rng=rng,
        )
    entries = list(cast("Sequence[Any]", rng))
    blocks = [
        _Block(
            [array[start : start + size] for array in arrays],
            [_restricted(target, slice(start, start + size)) for target in targets],
            entries[start : start + size],
        )
        for start in range(0, batch_shape[0], size)
    ]

    def draw(block: _Block) -> list[FloatArray]:
        return _block_replicates(block.arrays, block.targets, n_resamples, block.rng)

    def reduce(block: _Block, replicate_sets: list[FloatArray]) -> list[BootstrapInterval]:
        return _block_intervals(
            block.arrays,
            block.targets,
            replicate_sets,
            confidence_level=confidence_level,
            method=method,
        )

    parts = _reduced_while_drawing(blocks, draw, reduce)
    return [_concatenate([part[index] for part in parts]) for index in range(len(targets))]


@dataclass(frozen=True)
class _Block:
    """A block of a blocked bootstrap: its elements' counts, restricted targets and streams."""

    arrays: list[npt.NDArray[np.int64]]
    targets: list[BootstrapTarget]
    rng: list[Any]


def _reduced_while_drawing(
    blocks: Sequence[_Block],
    draw: Callable[[_Block], list[FloatArray]],
    reduce: Callable[[_Block, list[FloatArray]], list[BootstrapInterval]],
) -> list[list[BootstrapInterval]]:
    """Draw the blocks in order, each block reduced on a second thread while the next draws.

    Sorting a block's replicates and computing its limits and p-values take
    the main thread about as long as the draws wait for their threads; numpy
    releases the GIL in both, so on two or more cores the reduce of block k
    overlaps the draws of block k + 1. At most two blocks' replicates are
    alive at once. The arithmetic is that of one thread, so the numbers are
    the same bit for bit.
    """
    if len(blocks) < 2 or core_count() < 2:
        return [reduce(block, draw(block)) for block in blocks]
    from concurrent.futures import Future, ThreadPoolExecutor

    results: list[list[BootstrapInterval]] = []
    with ThreadPoolExecutor(max_workers=1) as reducer:
        pending: Future[list[BootstrapInterval]] | None = None
        for block in blocks:
            replicate_sets = draw(block)
            if pending is not None:
                results.append(pending.result())
            pending = reducer.submit(reduce, block, replicate_sets)
        assert pending is not None
        results.append(pending.result())
    return results


#: Replicates (float64 values, all targets) a block of batch elements holds at most.
_MAX_BLOCK_REPLICATES = 4_000_000


def _group_block(
    batch_shape: tuple[int, ...],
    targets: Sequence[BootstrapTarget],
    n_resamples: int,
    rng: RandomSource,
) -> int | None:
    """Elements per block of a blocked bootstrap, or None to draw the batch at once."""
    if isinstance(rng, np.random.Generator) or len(batch_shape) != 1:
        return None
    if not all(callable(getattr(target.statistic, "take", None)) for target in targets):
        return None
    size = max(1, _MAX_BLOCK_REPLICATES // (n_resamples * max(1, len(targets))))
    return None if batch_shape[0] <= size else size


def _restricted(target: BootstrapTarget, block: slice) -> BootstrapTarget:
    """Return ``target`` with its statistic restricted to the batch elements ``block``."""
    take: Callable[[slice], CountStatistic] = target.statistic.take  # type: ignore[attr-defined]
    return replace(target, statistic=take(block))


def _concatenate(parts: Sequence[BootstrapInterval]) -> BootstrapInterval:
    """One interval from the intervals of consecutive blocks of a batch."""
    pvalues = [part.pvalue for part in parts]
    return BootstrapInterval(
        low=np.concatenate([part.low for part in parts]),
        high=np.concatenate([part.high for part in parts]),
        standard_error=np.concatenate([part.standard_error for part in parts]),
        pvalue=None
        if any(p is None for p in pvalues)
        else np.concatenate(cast("list[FloatArray]", pvalues)),
    )


def _count_bootstraps_at_once(
    arrays: list[npt.NDArray[np.int64]],
    targets: Sequence[BootstrapTarget],
    *,
    confidence_level: float,
    method: BootstrapMethod,
    n_resamples: int,
    rng: RandomSource,
) -> list[BootstrapInterval]:
    """:func:`count_bootstraps` of a whole batch in one set of replicate arrays."""
    replicate_sets = _block_replicates(arrays, targets, n_resamples, rng)
    return _block_intervals(
        arrays, targets, replicate_sets, confidence_level=confidence_level, method=method
    )


def _block_replicates(
    arrays: list[npt.NDArray[np.int64]],
    targets: Sequence[BootstrapTarget],
    n_resamples: int,
    rng: RandomSource,
) -> list[FloatArray]:
    """Every target's bootstrap distribution, from one set of resamples of the samples."""

    def bind(target: BootstrapTarget) -> Callable[[list[npt.NDArray[np.int64]]], FloatArray]:
        def evaluate(drawn: list[npt.NDArray[np.int64]]) -> FloatArray:
            return target.statistic(*(drawn[index] for index in target.samples))

        return evaluate

    return _replicate_sets(arrays, [bind(target) for target in targets], n_resamples, rng)


def _block_intervals(
    arrays: list[npt.NDArray[np.int64]],
    targets: Sequence[BootstrapTarget],
    replicate_sets: Sequence[FloatArray],
    *,
    confidence_level: float,
    method: BootstrapMethod,
) -> list[BootstrapInterval]:
    """Every target's interval (and test) from its bootstrap distribution."""
    return [
        _interval_of_replicates(
            [arrays[index] for index in target.samples],
            target,
            theta_b,
            confidence_level=confidence_level,
            method=method,
        )
        for target, theta_b in zip(targets, replicate_sets, strict=True)
    ]


def _bca_levels(
    arrays: list[npt.NDArray[np.int64]],
    statistic: CountStatistic,
    theta_b: FloatArray,
    theta_hat: FloatArray,
    alpha: float,
    low_level: FloatArray,
    high_level: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return Efron's (1987) bias correction, acceleration and BCa quantile levels.

    Where the bias correction is infinite (the estimate outside every
    replicate) the percentile levels are kept.
    """
    from scipy import special

    z0 = special.ndtri(_bootstrap_cdf(theta_b, theta_hat))
    acceleration = _acceleration(arrays, statistic)
    usable = np.isfinite(z0)
    z0_safe = np.where(usable, z0, 0.0)
    z_low = special.ndtri(alpha)
    z_high = -z_low
    with np.errstate(invalid="ignore", divide="ignore"):
        low_bca = special.ndtr(
            z0_safe + (z0_safe + z_low) / (1.0 - acceleration * (z0_safe + z_low))
        )
        high_bca = special.ndtr(
            z0_safe + (z0_safe + z_high) / (1.0 - acceleration * (z0_safe + z_high))
        )
    low_level = np.where(usable & np.isfinite(low_bca), low_bca, low_level)
    high_level = np.where(usable & np.isfinite(high_bca), high_bca, high_level)
    return z0, acceleration, low_level, high_level


def _interval_of_replicates(
    arrays: list[npt.NDArray[np.int64]],
    target: BootstrapTarget,
    theta_b: FloatArray,
    *,
    confidence_level: float,
    method: BootstrapMethod,
) -> BootstrapInterval:
    """Return the interval (and test) of ``target`` from its bootstrap distribution ``theta_b``."""
    statistic, alternative, null_value = target.statistic, target.alternative, target.null_value
    theta_hat = np.asarray(statistic(*arrays), dtype=np.float64)
    standard_error = _finite_std(theta_b)
    # Sorting each element's replicates along a contiguous axis is about twice
    # as fast as sorting the (resamples, batch) array down its columns.
    sorted_b = np.sort(np.moveaxis(theta_b, 0, -1), axis=-1)
    sorted_b = np.moveaxis(sorted_b, -1, 0)

    alpha = 1.0 - confidence_level
    if alternative == "two-sided":
        alpha /= 2.0
    low_level = np.full(theta_hat.shape, alpha)
    high_level = np.full(theta_hat.shape, 1.0 - alpha)

    z0 = np.zeros(theta_hat.shape)
    acceleration = np.zeros(theta_hat.shape)
    if method == "bca":
        z0, acceleration, low_level, high_level = _bca_levels(
            arrays, statistic, theta_b, theta_hat, alpha, low_level, high_level
        )

    q_low = _quantile_sorted(sorted_b, low_level)
    q_high = _quantile_sorted(sorted_b, high_level)
    if method == "basic":
        low, high = 2.0 * theta_hat - q_high, 2.0 * theta_hat - q_low
    else:
        low, high = q_low, q_high
    if alternative == "less":
        low = np.full(theta_hat.shape, -np.inf)
    elif alternative == "greater":
        high = np.full(theta_hat.shape, np.inf)

    constant = sorted_b[0] == sorted_b[-1]
    low = np.where(constant & np.isfinite(low), theta_hat, low)
    high = np.where(constant & np.isfinite(high), theta_hat, high)
    pvalue = None
    if null_value is not None:
        pvalue = _bootstrap_pvalue(
            theta_b, theta_hat, null_value, z0, acceleration, method, alternative
        )
    return BootstrapInterval(
        low=np.asarray(low, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        standard_error=standard_error,
        pvalue=pvalue,
        distribution=theta_b if theta_hat.ndim == 0 else None,
    )
