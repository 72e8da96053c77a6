"""Anytime-valid confidence sequences and e-processes for a bounded mean.

The data are looks ``k = 1, 2, ...`` (single responses, or periods), each a
row of counts over cells whose values lie in [0, 1] (callers rescale a known
range [low, high] to [0, 1]). Nothing here knows a metric.

Betting (Waudby-Smith & Ramdas 2024, "Estimating means of bounded random
variables by betting", Journal of the Royal Statistical Society B 86(1),
section 4): for a candidate mean m, the capital

    K+_k(m) = prod_{j <= k} prod_{cells c} (1 + lam+_j(m) (v_c - m)) ** n_jc

(and K-_k(m) with ``-lam-_j(m)``) is a non-negative martingale with initial
value 1 when m is the true mean, as long as each bet ``lam_j`` is fixed before
look j's values are seen. The hedged capital ``(K+ + K-) / 2`` is one too, so
by Ville's inequality it exceeds ``1 / alpha`` at *any* look with probability
at most alpha. The confidence sequence is the set of m it has never pushed
above ``1 / alpha`` (the running intersection), its interval hull reported.
Bets are the predictable plug-in of their eq. (26),

    lam_k = sqrt(2 log(2 / alpha) / (sigma2_{k-1} N_k log(1 + N_k))),

with ``sigma2`` the running variance estimate of their eq. (27) (started at
1/4, mean started at 1/2) and N_k the responses up to and including look k;
``lam+ = min(lam, c / m)`` and ``lam- = min(lam, c / (1 - m))`` keep every
factor at least ``1 - c`` with c = 1/2. Within a look the bet is constant, so
a look's factor depends on its counts only: a period's order of responses
does not matter. This assumes, as the survey does, that how many respond in a
period does not depend on what they answer.

Empirical Bernstein (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform,
nonparametric, nonasymptotic confidence sequences", Annals of Statistics
49(2); in the predictable plug-in form of Waudby-Smith & Ramdas 2024,
Theorem 2): closed-form limits

    (sum lam_i x_i  +/-  (log(2 / alpha) + sum v_i psi(lam_i))) / sum lam_i,

``v_i = 4 (x_i - mu_{i-1})**2``, ``psi(lam) = (-log(1 - lam) - lam) / 4``,
bets as above capped at 1/2; wider than betting but O(looks x cells).

Costs: betting evaluates the capital on a grid of candidate means, so it
costs O(looks x cells x grid) time and, chunked over looks, bounded memory;
the e-process against one baseline costs O(looks x cells).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "GRID_POINTS",
    "SEQUENCE_METHODS",
    "RunningBounds",
    "SequenceMethod",
    "betting_evalues",
    "confidence_sequence_bounds",
]

FloatArray = npt.NDArray[np.float64]
SequenceMethod = Literal["betting", "empirical-bernstein"]
SEQUENCE_METHODS: tuple[SequenceMethod, ...] = ("betting", "empirical-bernstein")
Side = Literal["two-sided", "greater", "less"]

#: Candidate means 0, 1/1000, ..., 1 for the betting sequence; the reported
#: limits are widened by one grid step so the grid never shrinks the set.
GRID_POINTS = 1001
#: Bets are capped so that every capital factor stays at least 1 - _CAP.
_CAP = 0.5
#: Elements of one (looks, cells, grid) block of log-factors.
_BLOCK_ELEMENTS = 1 << 21


@dataclass(frozen=True)
class RunningBounds:
    """Per-look estimate and interval of a mean in [0, 1].

    Attributes
    ----------
    n
        Responses up to and including each look.
    estimate
        Running sample mean (NaN before the first response).
    low, high
        The confidence sequence, nested (running intersection), in [0, 1].
    """

    n: npt.NDArray[np.int64]
    estimate: FloatArray
    low: FloatArray
    high: FloatArray


@dataclass(frozen=True)
class _Looks:
    """Running totals of the looks."""

    count: FloatArray  # (T, C)
    total: FloatArray  # N_k, (T,)
    mean: FloatArray  # running sample mean, NaN before any response
    bets: FloatArray  # predictable plug-in bet lam_k, 0 for empty looks
    squared_deviation: FloatArray  # sum_c n_kc (v_c - mu_{k-1})**2


def _looks(count: FloatArray, values: FloatArray, log_threshold: float) -> _Looks:
    """Compute the running means, variance estimates and predictable plug-in bets."""
    per_look = count.sum(axis=1)
    total = np.cumsum(per_look)
    running_sum = np.cumsum(count @ values)
    # WSR (2024) eq. (27): mu_k = (1/2 + sum x) / (N_k + 1).
    smoothed_mean = (0.5 + running_sum) / (total + 1.0)
    previous_mean = np.concatenate(([0.5], smoothed_mean[:-1]))
    deviation_now = (count * (values[None, :] - smoothed_mean[:, None]) ** 2).sum(axis=1)
    variance = (0.25 + np.cumsum(deviation_now)) / (total + 1.0)
    previous_variance = np.concatenate(([0.25], variance[:-1]))
    scale = previous_variance * total * np.log1p(total)
    bets = np.sqrt(
        np.divide(
            2.0 * log_threshold, scale, out=np.zeros_like(scale), where=(per_look > 0) & (scale > 0)
        )
    )
    mean = np.divide(running_sum, total, out=np.full_like(total, np.nan), where=total > 0)
    squared_deviation = (count * (values[None, :] - previous_mean[:, None]) ** 2).sum(axis=1)
    return _Looks(count, total, mean, bets, squared_deviation)


def _side_bets(bets: FloatArray, candidates: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Bets on "above m" and "below m" per (look, candidate), truncated to keep factors >= 1/2."""
    inf = np.full(candidates.shape, np.inf)
    up_cap = np.divide(_CAP, candidates, out=inf.copy(), where=candidates > 0)
    down_cap = np.divide(_CAP, 1.0 - candidates, out=inf.copy(), where=candidates < 1)
    return np.minimum(bets[:, None], up_cap[None, :]), np.minimum(bets[:, None], down_cap[None, :])


def _log_capital_increments(
    looks: _Looks, values: FloatArray, candidates: FloatArray, rows: slice
) -> tuple[FloatArray, FloatArray]:
    """Return the log of each look's capital factor for the up and down bets, (looks, candidates).

    Only the occupied (look, cell) pairs are evaluated, so a look of one
    response costs one row of log-factors, not one per cell.
    """
    count = looks.count[rows]
    look, cell = np.nonzero(count)
    up, down = _side_bets(looks.bets[rows][look], candidates)
    excess = values[cell][:, None] - candidates[None, :]
    multiplicity = count[look, cell][:, None]
    up *= excess
    down *= -excess
    log_up = np.log1p(up, out=up)
    log_down = np.log1p(down, out=down)
    if not np.all(multiplicity == 1.0):
        log_up *= multiplicity
        log_down *= multiplicity
    if look.size == count.shape[0] and np.all(np.diff(look) == 1):
        return log_up, log_down  # one occupied cell per look: single responses
    out_up = np.zeros((count.shape[0], candidates.shape[0]))
    out_down = np.zeros_like(out_up)
    if look.size:
        starts = np.flatnonzero(np.concatenate(([True], np.diff(look) != 0)))
        out_up[look[starts]] = np.add.reduceat(log_up, starts, axis=0)
        out_down[look[starts]] = np.add.reduceat(log_down, starts, axis=0)
    return out_up, out_down


def _combine(cum_up: FloatArray, cum_down: FloatArray, side: Side) -> FloatArray:
    """Return the log capital of the chosen side, or of the hedged mixture (K+ + K-) / 2."""
    if side == "greater":
        return cum_up
    if side == "less":
        return cum_down
    return np.asarray(np.logaddexp(cum_up, cum_down) - np.log(2.0))


def _running_log_evidence(
    looks: _Looks, values: FloatArray, candidates: FloatArray, side: Side
) -> Iterator[tuple[slice, FloatArray]]:
    """Blocks of looks with the running maximum of the log capital, (looks, candidates)."""
    n_looks = looks.count.shape[0]
    occupied = max(1, int(np.count_nonzero(looks.count)))
    per_look = max(1.0, occupied / max(1, n_looks))
    block = max(1, int(_BLOCK_ELEMENTS // (per_look * candidates.shape[0])))
    carry_up = np.zeros(candidates.shape[0])
    carry_down = np.zeros(candidates.shape[0])
    best = np.full(candidates.shape[0], -np.inf)
    for start in range(0, n_looks, block):
        rows = slice(start, min(start + block, n_looks))
        log_up, log_down = _log_capital_increments(looks, values, candidates, rows)
        cum_up = carry_up + np.cumsum(log_up, axis=0)
        cum_down = carry_down + np.cumsum(log_down, axis=0)
        carry_up, carry_down = cum_up[-1], cum_down[-1]
        log_capital = _combine(cum_up, cum_down, side)
        running = np.maximum(np.maximum.accumulate(log_capital, axis=0), best[None, :])
        best = running[-1]
        yield rows, running


def betting_evalues(
    counts: npt.ArrayLike,
    values: npt.ArrayLike,
    baseline: float,
    *,
    confidence_level: float,
    alternative: Side = "two-sided",
) -> tuple[FloatArray, FloatArray]:
    """Return the hedged betting e-process against the mean ``baseline``, per look.

    Returns ``(e_value, running_max)``: the capital after each look and its
    running maximum; ``min(1, 1 / running_max)`` is an anytime-valid p-value.
    "greater" bets only on a mean above the baseline (K+), "less" only below
    (K-); "two-sided" is the hedged ``(K+ + K-) / 2``. ``confidence_level``
    tunes the bets (the p-values are valid whatever it is).
    """
    count = np.asarray(counts, dtype=np.float64)
    value = np.asarray(values, dtype=np.float64)
    sides = 2.0 if alternative == "two-sided" else 1.0
    looks = _looks(count, value, np.log(sides / (1.0 - confidence_level)))
    candidate = np.array([baseline], dtype=np.float64)
    log_up, log_down = _log_capital_increments(looks, value, candidate, slice(None))
    log_capital = _combine(np.cumsum(log_up[:, 0]), np.cumsum(log_down[:, 0]), alternative)
    e_value = np.exp(log_capital)
    return e_value, np.maximum.accumulate(np.maximum(e_value, 1.0))


def _betting_bounds(looks: _Looks, values: FloatArray, alpha: float) -> tuple[FloatArray, ...]:
    candidates = np.linspace(0.0, 1.0, GRID_POINTS)
    low = np.empty(looks.count.shape[0])
    high = np.empty(looks.count.shape[0])
    for rows, evidence in _running_log_evidence(looks, values, candidates, "two-sided"):
        kept = evidence < np.log(1.0 / alpha)
        any_kept = kept.any(axis=1)
        # Every candidate rejected (probability at most alpha): keep the least rejected one.
        weakest = np.argmin(evidence, axis=1)
        first = np.where(any_kept, np.argmax(kept, axis=1), weakest)
        last = np.where(any_kept, GRID_POINTS - 1 - np.argmax(kept[:, ::-1], axis=1), weakest)
        low[rows] = candidates[np.maximum(first - 1, 0)]
        high[rows] = candidates[np.minimum(last + 1, GRID_POINTS - 1)]
    return low, high


def _bernstein_bounds(looks: _Looks, values: FloatArray, alpha: float) -> tuple[FloatArray, ...]:
    bets = np.minimum(looks.bets, _CAP)
    per_look = looks.count.sum(axis=1)
    weighted_sum = np.cumsum(bets * (looks.count @ values))
    bet_total = np.cumsum(bets * per_look)
    # v psi(lam) with v = 4 (x - mu)**2 and psi(lam) = (-log(1 - lam) - lam) / 4.
    penalty = np.cumsum(looks.squared_deviation * (-np.log1p(-bets) - bets))
    positive = bet_total > 0
    centre = np.divide(weighted_sum, bet_total, out=np.full_like(bet_total, 0.5), where=positive)
    radius = np.divide(
        np.log(2.0 / alpha) + penalty,
        bet_total,
        out=np.full_like(bet_total, np.inf),
        where=positive,
    )
    low = np.maximum.accumulate(np.clip(centre - radius, 0.0, 1.0))
    high = np.minimum.accumulate(np.clip(centre + radius, 0.0, 1.0))
    return low, np.maximum(high, low)


def confidence_sequence_bounds(
    counts: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    confidence_level: float,
    method: SequenceMethod = "betting",
) -> RunningBounds:
    """Confidence sequence for the mean of values in [0, 1], one interval per look.

    ``counts`` has shape (T, C): responses per look and cell; ``values`` the
    C cell values in [0, 1]. Validated by the caller. A look with no
    responses repeats the previous interval ([0, 1] before any response).

    Examples
    --------
    >>> import numpy as np
    >>> from loyaltymetrics._engine._sequences import confidence_sequence_bounds
    >>> counts = np.array([[30, 70], [25, 75], [28, 72]])
    >>> bounds = confidence_sequence_bounds(counts, [0.0, 1.0], confidence_level=0.95)
    >>> bounds.n.tolist(), bool(np.all(np.diff(bounds.high - bounds.low) <= 0))
    ([100, 200, 300], True)
    """
    count = np.asarray(counts, dtype=np.float64)
    value = np.asarray(values, dtype=np.float64)
    alpha = 1.0 - confidence_level
    looks = _looks(count, value, np.log(2.0 / alpha))
    if method == "betting":
        low, high = _betting_bounds(looks, value, alpha)
    else:
        low, high = _bernstein_bounds(looks, value, alpha)
    return RunningBounds(
        n=looks.total.astype(np.int64), estimate=looks.mean, low=np.asarray(low), high=high
    )
