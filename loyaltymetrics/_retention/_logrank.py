"""Log-rank tests for k groups: weighted (Fleming-Harrington) and stratified.

At each distinct event time ``t`` of a stratum, with ``d`` events among ``n``
subjects at risk, of whom ``n_g`` (``d_g`` events) belong to group ``g``, and
a weight ``w(t)``, the test compares the observed and expected weighted events

    O_g - E_g = sum_t w (d_g - n_g d / n),
    V_gh = sum_t w^2 d (n - d) / (n - 1) * n_g / n * (delta_gh - n_h / n),

summed over strata, with ``chi2 = (O - E)' V^- (O - E)`` on ``k - 1`` degrees
of freedom (Mantel 1966; Peto & Peto 1972). The G^rho family of Harrington &
Fleming (1982, "A class of rank test procedures for censored survival data",
Biometrika 69(3)) weighs each time by ``S(t-)^rho``, the pooled Kaplan-Meier
estimate of the stratum just before ``t``: ``rho = 0`` is the log-rank test,
``rho = 1`` the Peto-Peto-Prentice Wilcoxon-type test. This is exactly what
R's ``survival::survdiff(..., rho = rho)`` computes, which the tests compare
against.

The reduce step is one tally over (stratum, time, group) codes; the sums over
times run in blocks of rows of a dense (time, group) table, so memory stays
bounded whatever the number of distinct times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._results import TabularResult
from loyaltymetrics._engine._validation import check_choice, is_real_number
from loyaltymetrics._retention._survival_tally import (
    FloatArray,
    IntArray,
    check_survival_data,
    factorize_labels,
    integer_ranks,
    segment_cumsum,
    segment_first,
    weighted_count,
)

__all__ = ["LogrankResult", "cells_from_tally", "logrank_from_cells", "logrank_test"]

Weights = Literal["logrank", "fleming-harrington"]
_WEIGHTS: tuple[Weights, ...] = ("logrank", "fleming-harrington")
# Rows of the dense (time, group) block: about 2**21 numbers per array.
_BLOCK_CELLS = 2**21


@dataclass(frozen=True, repr=False)
class LogrankResult(TabularResult):
    """A k-sample (weighted, stratified) log-rank test.

    Attributes
    ----------
    statistic : float
        Chi-square statistic.
    pvalue : float
        Its upper-tail probability on ``df`` degrees of freedom.
    df : int
        Degrees of freedom: groups with a positive expected count, minus one.
    groups : numpy.ndarray
        Group labels, sorted.
    n : numpy.ndarray
        Subjects per group.
    observed, expected : numpy.ndarray
        Weighted observed and expected events per group, summed over strata
        (R's ``survdiff`` ``obs`` and ``exp``).
    variance : numpy.ndarray
        The (k, k) covariance matrix of ``observed - expected``.
    weights : str
        "logrank" or "fleming-harrington".
    rho : float
        Exponent of the Fleming-Harrington weight ``S(t-)^rho`` (0 for
        "logrank").
    n_strata : int
        Number of strata.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> result = lm.logrank_test([1, 3, 4, 6, 2, 5, 8, 9], [1, 1, 0, 1, 1, 1, 1, 0],
    ...                          ["app"] * 4 + ["web"] * 4)
    >>> round(result.statistic, 4), round(result.pvalue, 4), result.df
    (0.8456, 0.3578, 1)
    >>> result.to_frame(backend="polars").columns
    ['group', 'n', 'observed', 'expected']
    """

    statistic: float
    pvalue: float
    df: int
    groups: npt.NDArray[Any]
    n: FloatArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray
    weights: str
    rho: float
    n_strata: int

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "statistic",
        "pvalue",
        "df",
        "weights",
        "rho",
        "n_strata",
    )

    def _table(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "group": self.groups,
            "n": self.n,
            "observed": self.observed,
            "expected": self.expected,
        }


def _check_rho(weights: Weights, rho: object) -> float:
    if rho is not None and not is_real_number(rho):
        raise TypeError(f"`rho` must be a number; got {rho!r}")
    if weights == "logrank":
        if rho is not None and rho != 0:
            raise ValueError(
                '`rho` applies to weights="fleming-harrington"; the log-rank test has rho = 0'
            )
        return 0.0
    if rho is None:
        return 1.0
    if not is_real_number(rho):
        raise TypeError(f"`rho` must be a number; got {type(rho).__name__}")
    value = float(rho)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"`rho` must be finite and non-negative; got {value}")
    return value


@dataclass(frozen=True)
class _Cells:
    """Cells of (stratum, time, group), sorted in that order, and their pooled rows."""

    row: IntArray  # pooled (stratum, time) row of each cell
    group: IntArray
    exits: FloatArray
    events: FloatArray
    row_stratum: IntArray  # stratum of each pooled row
    n_rows: int


def _cells(
    values: npt.NDArray[Any],
    observed: npt.NDArray[np.bool_],
    codes: IntArray,
    n_groups: int,
    strata: IntArray,
    n_strata: int,
) -> _Cells:
    ranks = integer_ranks(values)
    if ranks is None:
        return _cells_by_sorting(values, observed, codes, n_groups, strata)
    _, rank, span = ranks
    key = (strata.astype(np.int64) * span + rank) * n_groups + codes
    size = n_strata * span * n_groups
    if size <= 4 * key.shape[0] + 1024:
        exits = np.bincount(key, minlength=size)
        present = np.flatnonzero(exits)
        exits_f = exits[present].astype(np.float64)
        events = np.bincount(key[observed], minlength=size)[present].astype(np.float64)
    else:
        present, cell = np.unique(key, return_inverse=True)
        exits_f = weighted_count(cell, np.ones(cell.shape[0]), present.shape[0])
        events = weighted_count(cell[observed], np.ones(int(observed.sum())), present.shape[0])
    return _assemble(present, exits_f, events, n_groups, span)


def _cells_by_sorting(
    values: npt.NDArray[Any],
    observed: npt.NDArray[np.bool_],
    codes: IntArray,
    n_groups: int,
    strata: IntArray,
) -> _Cells:
    """Cells for continuous durations: one argsort of the times.

    In time order the (stratum, time, group, event) keys are nearly sorted
    already (only ties and strata are out of order), so the stable sort that
    puts them in order runs in close to linear time.
    """
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(ordered.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    rank = np.cumsum(new) - 1
    span = int(rank[-1]) + 1
    key = strata[order].astype(np.int64) * span + rank
    key *= n_groups
    key += codes[order]
    key *= 2
    key += observed[order]
    key.sort(kind="stable")
    event_bit = (key & 1).astype(np.float64)
    key >>= 1
    new = np.empty(key.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    exits = np.diff(starts, append=key.shape[0]).astype(np.float64)
    events = np.asarray(np.add.reduceat(event_bit, starts), dtype=np.float64)
    return _assemble(key[starts], exits, events, n_groups, span)


def _assemble(
    present: npt.NDArray[np.int64], exits: FloatArray, events: FloatArray, n_groups: int, span: int
) -> _Cells:
    """Cells from their sorted (stratum, time, group) codes."""
    pooled = present // n_groups
    new_row = np.ones(pooled.shape[0], dtype=bool)
    new_row[1:] = pooled[1:] != pooled[:-1]
    row = (np.cumsum(new_row) - 1).astype(np.intp)
    return _Cells(
        row=row,
        group=(present % n_groups).astype(np.intp),
        exits=exits,
        events=events,
        row_stratum=(pooled[new_row] // span).astype(np.intp),
        n_rows=int(row[-1]) + 1,
    )


def cells_from_tally(
    times: FloatArray, codes: IntArray, exits: FloatArray, events: FloatArray, n_groups: int
) -> _Cells:
    """Cells of one stratum from per-(group, time) counts, such as a Kaplan-Meier tally."""
    _, rank = np.unique(times, return_inverse=True)
    key = rank.reshape(-1).astype(np.int64) * n_groups + codes
    order = np.argsort(key, kind="stable")
    key = key[order]
    pooled = key // n_groups
    new_row = np.ones(pooled.shape[0], dtype=bool)
    new_row[1:] = pooled[1:] != pooled[:-1]
    row = (np.cumsum(new_row) - 1).astype(np.intp)
    return _Cells(
        row=row,
        group=(key % n_groups).astype(np.intp),
        exits=exits[order],
        events=events[order],
        row_stratum=np.zeros(int(row[-1]) + 1, dtype=np.intp),
        n_rows=int(row[-1]) + 1,
    )


def logrank_from_cells(
    cells: _Cells, labels: npt.NDArray[Any], n_strata: int, weights: object, rho: object
) -> LogrankResult:
    """Stage 2 of :func:`logrank_test` on a tally."""
    chosen = check_choice(weights, name="weights", choices=_WEIGHTS)
    exponent = _check_rho(chosen, rho)
    obs, exp, variance, per_group = _sums(cells, labels.shape[0], n_strata, exponent)
    statistic, df = _chi_square(obs, exp, variance)
    from scipy import stats

    pvalue = float(stats.chi2.sf(statistic, df)) if df > 0 else 1.0
    return LogrankResult(
        statistic=statistic,
        pvalue=pvalue,
        df=df,
        groups=labels,
        n=per_group,
        observed=obs,
        expected=exp,
        variance=variance,
        weights=chosen,
        rho=exponent,
        n_strata=n_strata,
    )


def _pooled(cells: _Cells, n_strata: int, rho: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per pooled row: events d, number at risk n, and the weight w = S(t-)^rho."""
    d = weighted_count(cells.row, cells.events, cells.n_rows)
    exits = weighted_count(cells.row, cells.exits, cells.n_rows)
    stratum = cells.row_stratum
    first = segment_first(stratum, n_strata)
    totals = weighted_count(stratum, exits, n_strata)
    at_risk = totals[stratum] - (segment_cumsum(exits, stratum, first) - exits)
    if rho == 0.0:
        return d, at_risk, np.ones(cells.n_rows)
    factor = 1.0 - d / at_risk
    zero = factor <= 0.0
    log_factor = np.log(np.where(zero, 1.0, factor))
    log_before = segment_cumsum(log_factor, stratum, first) - log_factor
    dead_before = segment_cumsum(zero.astype(np.float64), stratum, first) - zero > 0
    survival_before = np.where(dead_before, 0.0, np.exp(log_before))
    return d, at_risk, survival_before**rho


def _sums(
    cells: _Cells, n_groups: int, n_strata: int, rho: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Observed, expected, variance matrix and subjects per group, in row blocks."""
    d, n, w = _pooled(cells, n_strata, rho)
    per_stratum = weighted_count(
        cells.row_stratum[cells.row] * n_groups + cells.group, cells.exits, n_strata * n_groups
    ).reshape(n_strata, n_groups)
    up_to = np.cumsum(per_stratum, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_rate = np.where(n > 0, w * d / n, 0.0)
        spread = np.where(n > 1, w**2 * d * (n - d) / ((n - 1) * n), 0.0)
    observed = np.zeros(n_groups)
    expected = np.zeros(n_groups)
    variance = np.zeros((n_groups, n_groups))
    carry = np.zeros(n_groups)
    block = max(1, _BLOCK_CELLS // n_groups)
    bounds = np.searchsorted(cells.row, np.arange(0, cells.n_rows + block, block))
    for start in range(0, cells.n_rows, block):
        stop = min(start + block, cells.n_rows)
        lo, hi = bounds[start // block], bounds[start // block + 1]
        width = stop - start
        # (group, row) layout: the running sums run along contiguous memory.
        index = cells.group[lo:hi] * width + (cells.row[lo:hi] - start)
        exits = weighted_count(index, cells.exits[lo:hi], n_groups * width).reshape(n_groups, -1)
        events = weighted_count(index, cells.events[lo:hi], n_groups * width).reshape(n_groups, -1)
        at_risk = np.cumsum(exits, axis=1)
        at_risk -= exits
        at_risk += carry[:, None]
        carry = carry + exits.sum(axis=1)
        np.subtract(up_to[cells.row_stratum[start:stop]].T, at_risk, out=at_risk)
        rows = slice(start, stop)
        observed += events @ w[rows]
        expected += at_risk @ expected_rate[rows]
        variance += np.diag(at_risk @ spread[rows])
        with np.errstate(divide="ignore", invalid="ignore"):
            coefficient = np.where(n[rows] > 0, spread[rows] / n[rows], 0.0)
        variance -= (at_risk * coefficient) @ at_risk.T
    return observed, expected, variance, per_stratum.sum(axis=0)


def _chi_square(
    observed: FloatArray, expected: FloatArray, variance: FloatArray
) -> tuple[float, int]:
    """R's survdiff rule: drop groups with no expected events, then the first one."""
    usable = np.flatnonzero(expected > 0)
    if usable.shape[0] < 2:
        return 0.0, 0
    kept = usable[1:]
    difference = (observed - expected)[kept]
    matrix = variance[np.ix_(kept, kept)]
    solved = np.linalg.pinv(matrix) @ difference
    return float(difference @ solved), int(kept.shape[0])


def logrank_test(
    durations: object,
    observed: object,
    groups: object,
    /,
    *,
    weights: Weights = "logrank",
    rho: float | None = None,
    strata: object = None,
) -> LogrankResult:
    """Test whether k groups share one survival curve (log-rank, weighted, stratified).

    Parameters
    ----------
    durations : array_like
        Time to the event or to censoring: finite, non-negative.
    observed : array_like of bool
        True (or 1) where the event was observed, False where censored.
    groups : array_like
        Group of each subject (integers or strings); at least two groups.
    weights : {"logrank", "fleming-harrington"}, default "logrank"
        Weight of each event time: 1 (the log-rank test), or the
        Fleming-Harrington ``S(t-)^rho``, with ``S`` the pooled Kaplan-Meier
        curve of the stratum just before ``t``.
    rho : float, optional
        Exponent of the Fleming-Harrington weight (default 1, the
        Peto-Peto-Prentice test); only with ``weights="fleming-harrington"``.
    strata : array_like, optional
        Stratum of each subject: risk sets are formed within strata and the
        sums added over them (R's ``+ strata(...)``).

    Returns
    -------
    LogrankResult
        Chi-square statistic, p-value, degrees of freedom, and observed and
        expected (weighted) events per group.

    Raises
    ------
    ValueError
        For invalid durations or indicators, lengths that differ, fewer than
        two groups, or a ``rho`` with the log-rank weights.

    Notes
    -----
    The statistic and p-value equal R's ``survival::survdiff(Surv(time,
    status) ~ group + strata(stratum), rho = rho)``. When all the expected
    events fall in one group there is nothing to compare: the statistic is
    0 on 0 degrees of freedom, with p-value 1.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> months = [1, 3, 4, 6, 2, 5, 8, 9]
    >>> churned = [1, 1, 0, 1, 1, 1, 1, 0]
    >>> channel = ["app"] * 4 + ["web"] * 4
    >>> result = lm.logrank_test(months, churned, channel, weights="fleming-harrington")
    >>> round(result.statistic, 4), round(result.pvalue, 4)
    (0.6151, 0.4329)
    """
    _check_rho(check_choice(weights, name="weights", choices=_WEIGHTS), rho)
    values, events_seen, _ = check_survival_data(durations, observed, None)
    n = values.shape[0]
    codes, labels = factorize_labels(groups, name="groups", n=n)
    if labels.shape[0] < 2:
        raise ValueError(f"`groups` must hold at least two groups; found {labels.shape[0]}")
    if strata is None:
        stratum_codes, n_strata = np.zeros(n, dtype=np.intp), 1
    else:
        stratum_codes, stratum_labels = factorize_labels(strata, name="strata", n=n)
        n_strata = stratum_labels.shape[0]
    cells = _cells(values, events_seen, codes, labels.shape[0], stratum_codes, n_strata)
    return logrank_from_cells(cells, labels, n_strata, weights, rho)
