"""The count bootstrap with one generator per batch element (segments)."""

from __future__ import annotations

import numpy as np
import pytest

from loyaltymetrics._engine._intervals import count_bootstrap

COUNTS = np.array([[5, 0, 7], [1, 1, 0], [0, 0, 4], [0, 0, 0], [30, 12, 41]])
OTHER = np.array([[2, 3, 9], [4, 4, 4], [1, 0, 0], [6, 1, 2], [0, 5, 5]])


def _score(c: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * (c[..., 2] - c[..., 0]) / c.sum(axis=-1)


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _score(a) - _score(b)


def _generators(entropy: int, n: int) -> list[np.random.Generator]:
    # Fresh seed sequences each time: spawning (done for two-sample calls)
    # advances the SeedSequence a generator was built from.
    return [np.random.default_rng(seed) for seed in np.random.SeedSequence(entropy).spawn(n)]


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_each_element_equals_its_own_single_call(method: str) -> None:
    batch = count_bootstrap(
        [COUNTS],
        _score,
        confidence_level=0.9,
        method=method,  # type: ignore[arg-type]
        n_resamples=999,
        rng=_generators(2024, len(COUNTS)),
    )
    for index, generator in enumerate(_generators(2024, len(COUNTS))):
        alone = count_bootstrap(
            [COUNTS[index]],
            _score,
            confidence_level=0.9,
            method=method,  # type: ignore[arg-type]
            n_resamples=999,
            rng=generator,
        )
        np.testing.assert_allclose(batch.low[index], alone.low, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(batch.high[index], alone.high, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(
            batch.standard_error[index], alone.standard_error, rtol=1e-12, equal_nan=True
        )


def test_two_samples_and_several_blocks_match_single_calls() -> None:
    # 2 samples x 3 cells: a single call draws 4_000_000 // 6 resamples per
    # block, the batch of two half as many, so the blocks differ; each sample
    # has its own stream, so the draws do not.
    kwargs = {"confidence_level": 0.95, "method": "bca", "n_resamples": 700_000}
    batch = count_bootstrap(
        [COUNTS[[0, 4]], OTHER[[0, 4]]],
        _difference,
        rng=_generators(7, 2),
        **kwargs,  # type: ignore[arg-type]
    )
    for position, index in enumerate([0, 4]):
        alone = count_bootstrap(
            [COUNTS[index], OTHER[index]],
            _difference,
            rng=_generators(7, 2)[position],
            **kwargs,  # type: ignore[arg-type]
        )
        assert float(batch.low[position]) == pytest.approx(float(alone.low), rel=1e-12)
        assert float(batch.high[position]) == pytest.approx(float(alone.high), rel=1e-12)


def test_an_element_does_not_depend_on_the_others() -> None:
    def interval(counts: np.ndarray) -> tuple[float, float]:
        result = count_bootstrap(
            [counts],
            _score,
            confidence_level=0.95,
            method="percentile",
            n_resamples=500,
            rng=_generators(11, len(counts)),
        )
        return float(result.low[0]), float(result.high[0])

    assert interval(COUNTS) == interval(np.array([COUNTS[0], [100, 200, 300]]))


def test_generators_must_match_a_one_dimensional_batch() -> None:
    with pytest.raises(ValueError, match="one generator per batch element"):
        count_bootstrap(
            [COUNTS],
            _score,
            confidence_level=0.95,
            method="percentile",
            n_resamples=10,
            rng=[np.random.default_rng(1)],
        )


def test_empty_cells_before_the_populated_ones_change_nothing() -> None:
    # Segments padded to a common number of cells put the empty cells first:
    # a multinomial draw spends no randomness on a zero-probability cell that
    # comes before the populated ones.
    values = np.array([-1.0, 0.0, 1.0])
    padded_values = np.array([0.0, 0.0, -1.0, 0.0, 1.0])

    def mean_of(cell_values: np.ndarray):  # type: ignore[no-untyped-def]
        def statistic(c: np.ndarray) -> np.ndarray:
            return (c * cell_values).sum(axis=-1) / c.sum(axis=-1)

        return statistic

    plain = count_bootstrap(
        [np.array([4, 9, 2])],
        mean_of(values),
        confidence_level=0.95,
        method="bca",
        n_resamples=999,
        rng=np.random.default_rng(3),
    )
    padded = count_bootstrap(
        [np.array([0, 0, 4, 9, 2])],
        mean_of(padded_values),
        confidence_level=0.95,
        method="bca",
        n_resamples=999,
        rng=np.random.default_rng(3),
    )
    assert float(padded.low) == pytest.approx(float(plain.low), rel=1e-12)
    assert float(padded.high) == pytest.approx(float(plain.high), rel=1e-12)


@pytest.mark.parametrize("batch", [False, True])
def test_the_sampler_draws_multinomial_counts(batch: bool) -> None:
    # Conditional binomials are an exact multinomial sampler: check the first
    # two moments against n p and n (diag(p) - p p^T), and that empty cells
    # (first, middle and last) never receive a row.
    from loyaltymetrics._engine._intervals import _draw_replicates

    counts = np.array([0, 3, 0, 5, 2, 0])
    n, p = 10, counts / 10
    samples = [np.stack([counts, counts])] if batch else [counts]
    draws: list[np.ndarray] = []

    def keep(c: np.ndarray) -> np.ndarray:
        draws.append(c.reshape(-1, 6))
        return c.sum(axis=-1).astype(float)

    _draw_replicates(samples, keep, 40_000, np.random.default_rng(0))
    drawn = np.concatenate(draws)
    assert (drawn.sum(axis=1) == n).all()
    assert (drawn[:, counts == 0] == 0).all()
    # 80,000 (or 40,000) draws: standard error of a mean count < 0.01.
    np.testing.assert_allclose(drawn.mean(axis=0), n * p, atol=0.04)
    np.testing.assert_allclose(
        np.cov(drawn, rowvar=False), n * (np.diag(p) - np.outer(p, p)), atol=0.06
    )


def _pairs(entropy: int, n: int) -> list[list[np.random.Generator]]:
    return [generator.spawn(2) for generator in _generators(entropy, n)]


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_joint_targets_equal_separate_bootstraps(method: str) -> None:
    # One set of resamples of sample a serves a's interval and the difference
    # a - b; each must equal its own count_bootstrap with the same streams.
    from loyaltymetrics._engine._intervals import count_bootstraps, difference_targets

    kwargs = {"confidence_level": 0.9, "method": method, "n_resamples": 999}
    first, second = count_bootstraps(
        [COUNTS, OTHER],
        difference_targets(_score, _score),
        rng=_pairs(5, len(COUNTS)),
        **kwargs,  # type: ignore[arg-type]
    )
    alone = count_bootstrap(
        [COUNTS],
        _score,
        rng=[pair[0] for pair in _pairs(5, len(COUNTS))],
        **kwargs,  # type: ignore[arg-type]
    )
    difference = count_bootstrap(
        [COUNTS, OTHER],
        _difference,
        rng=_generators(5, len(COUNTS)),  # split into the same pairs inside
        null_value=0.0,
        **kwargs,  # type: ignore[arg-type]
    )
    for joint, separate in ((first, alone), (second, difference)):
        np.testing.assert_array_equal(joint.low, separate.low)
        np.testing.assert_array_equal(joint.high, separate.high)
        np.testing.assert_array_equal(joint.standard_error, separate.standard_error)
    assert first.pvalue is None
    assert second.pvalue is not None
    assert difference.pvalue is not None
    np.testing.assert_array_equal(second.pvalue, difference.pvalue)


def test_an_element_needs_one_generator_per_sample() -> None:
    with pytest.raises(ValueError, match="one Generator or 2 Generators"):
        count_bootstrap(
            [COUNTS, OTHER],
            _difference,
            confidence_level=0.95,
            method="percentile",
            n_resamples=10,
            rng=[[np.random.default_rng(1)] for _ in COUNTS],
        )


def test_threads_do_not_change_the_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    # Elements are drawn by several threads once a bootstrap is large; each
    # element has its own streams, so the replicates are the same either way.
    import loyaltymetrics._engine._intervals as engine

    counts = np.random.default_rng(0).integers(0, 50, size=(40, 3))

    def run() -> np.ndarray:
        return engine._draw_replicates([counts], _score, 2000, _generators(9, len(counts)))

    monkeypatch.setattr(engine, "_thread_count", lambda elements, draws: 1)
    one = run()
    monkeypatch.setattr(engine, "_thread_count", lambda elements, draws: 3)
    several = run()
    np.testing.assert_array_equal(one, several)


def test_large_bootstraps_draw_on_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    # One thread per core the process may use (no fixed cap), never more than
    # elements, one below the size at which threads pay; a cap when set.
    import loyaltymetrics._engine._intervals as engine

    monkeypatch.setattr(engine, "core_count", lambda: 32)
    large = engine._THREADED_DRAWS
    assert engine._thread_count(100_000, large) == 32
    assert engine._thread_count(5, large) == 5
    assert engine._thread_count(100_000, large - 1) == 1
    monkeypatch.setattr(engine, "_MAX_THREADS", 4)
    assert engine._thread_count(100_000, large) == 4


def test_cell_sums_loop_and_einsum_agree() -> None:
    # Few cells are summed cell by cell, many through einsum: both are the
    # plain weighted sum over the last axis.
    from loyaltymetrics._engine._intervals import _LOOPED_CELLS, cell_sums

    rng = np.random.default_rng(4)
    for n_cells in (3, _LOOPED_CELLS + 4):
        count = rng.integers(0, 20, size=(7, 5, n_cells))
        weight = rng.random((5, n_cells))
        weight[:, 0] = 0.0  # a cell with no weight anywhere is skipped
        (total,) = cell_sums(count, weight)
        np.testing.assert_allclose(total, (count * weight).sum(axis=-1), rtol=1e-12)
