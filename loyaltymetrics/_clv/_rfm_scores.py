"""RFM scores and named segments from a per-customer summary.

Each customer gets a recency, a frequency and a monetary score from 1 to
``bins`` by quantile: with ``rank`` the customer's position (ties share the
lowest rank) among ``n`` customers ordered from worst to best,

    score = 1 + floor(bins * (rank - 1) / n),

so each score holds about ``n / bins`` customers and tied customers share a
score. Recency is scored on the time since the last purchase (``T -
recency`` in the summary :func:`rfm_summary` returns): the most recent
customers score highest. The combined code is ``100 R + 10 F + M`` (e.g. 545).

The named segments follow the segment table documented in the example of
``rfm_segment`` in the R package rfm (Hebbali, *rfm: Recency, Frequency and
Monetary Value Analysis*, CRAN), on 1-5 scores, applied in the listed order
with the first matching rule winning, as ``rfm_segment`` does; customers
matching no rule are "Others".

The scores are computed in the summary's own engine (a rank over the whole
table, through narwhals) for dataframes, and with numpy for a mapping of arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._frames import as_narwhals_frame, import_narwhals, quiet_narwhals
from loyaltymetrics._engine._validation import as_1d_array, is_integer_number

__all__ = ["RFM_SEGMENTS", "rfm_scores"]

Range = tuple[int, int]
Segment = tuple[str, Range, Range, Range]

#: (name, recency, frequency, monetary score ranges), first match wins.
RFM_SEGMENTS: tuple[Segment, ...] = (
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
)
_OTHERS = "Others"


def _check_segments(segments: object, bins: int) -> tuple[Segment, ...]:
    if segments is None:
        if bins != 5:
            raise ValueError(
                "the default segment map is defined on 1-5 scores; with `bins` other "
                "than 5 pass your own `segments`"
            )
        return RFM_SEGMENTS
    if not isinstance(segments, Sequence) or isinstance(segments, str) or not segments:
        raise TypeError("`segments` must be a sequence of (name, r_range, f_range, m_range)")
    checked: list[Segment] = []
    for rule in segments:
        ok = isinstance(rule, Sequence) and len(rule) == 4 and isinstance(rule[0], str)
        ranges = list(rule[1:]) if ok else []
        ok = ok and all(
            isinstance(r, Sequence) and len(r) == 2 and all(isinstance(v, int) for v in r)
            for r in ranges
        )
        if not ok:
            raise TypeError(
                f"each entry of `segments` must be (name, (low, high), (low, high), (low, high)) "
                f"with integer scores; got {rule!r}"
            )
        checked.append((rule[0], tuple(ranges[0]), tuple(ranges[1]), tuple(ranges[2])))
    return tuple(checked)


def _check_bins(bins: object) -> int:
    if not is_integer_number(bins):
        raise TypeError(f"`bins` must be an integer from 2 to 9; got {bins!r}")
    if not 2 <= int(bins) <= 9:
        raise ValueError(f"`bins` must be from 2 to 9; got {bins}")
    return int(bins)


def _scores_numpy(values: npt.NDArray[np.float64], bins: int) -> npt.NDArray[np.int64]:
    """Quantile scores 1..bins, higher values scoring higher; ties share a score."""
    rank = np.searchsorted(np.sort(values), values, side="left")  # 0-based lowest rank
    return np.asarray(1 + (bins * rank) // values.shape[0], dtype=np.int64)


def _segment_numpy(
    r: npt.NDArray[np.int64],
    f: npt.NDArray[np.int64],
    m: npt.NDArray[np.int64],
    segments: tuple[Segment, ...],
) -> npt.NDArray[Any]:
    out = np.full(r.shape[0], _OTHERS, dtype=object)
    free = np.ones(r.shape[0], dtype=bool)
    for name, (r0, r1), (f0, f1), (m0, m1) in segments:
        hit = free & (r >= r0) & (r <= r1) & (f >= f0) & (f <= f1) & (m >= m0) & (m <= m1)
        out[hit] = name
        free &= ~hit
    return out


def _arrays(
    summary: Mapping[str, object],
    columns: dict[str, str],
    bins: int,
    segments: tuple[Segment, ...],
) -> dict[str, Any]:
    data: dict[str, npt.NDArray[np.float64]] = {}
    for role, name in columns.items():
        if name not in summary:
            raise ValueError(f"`summary` has no column {name!r} (`{role}`)")
        values = as_1d_array(summary[name], name=role).astype(np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"`{role}` column {name!r} must not contain missing values")
        data[role] = values
    n = {v.shape[0] for v in data.values()}
    if len(n) != 1 or 0 in n:
        raise ValueError("`summary` columns must be non-empty and of equal length")
    r = _scores_numpy(-(data["T"] - data["recency"]), bins)
    f = _scores_numpy(data["frequency"], bins)
    m = _scores_numpy(data["monetary"], bins)
    out: dict[str, Any] = {key: np.asarray(value) for key, value in summary.items()}
    out.update(
        r_score=r,
        f_score=f,
        m_score=m,
        rfm_code=100 * r + 10 * f + m,
        segment=_segment_numpy(r, f, m, segments),
    )
    return out


def _check_frame_finite(nw: Any, frame: Any, columns: dict[str, str]) -> None:
    """Refuse missing or infinite values, as the arrays path does (ranks need numbers)."""
    bad = frame.select(
        *[
            (nw.col(name).is_null() | ~nw.col(name).cast(nw.Float64).is_finite())
            .fill_null(True)
            .any()
            .alias(role)
            for role, name in columns.items()
        ]
    )
    found = (bad.collect() if isinstance(bad, nw.LazyFrame) else bad).to_dict(as_series=False)
    for role, name in columns.items():
        if found[role][0]:
            raise ValueError(f"`{role}` column {name!r} must not contain missing values")


def _frame(frame: Any, columns: dict[str, str], bins: int, segments: tuple[Segment, ...]) -> Any:
    nw = import_narwhals()
    schema = frame.collect_schema()
    for role, name in columns.items():
        if name not in schema:
            raise ValueError(f"`summary` has no column {name!r} (`{role}`)")
        if not schema[name].is_numeric():
            raise TypeError(
                f"`{role}` column {name!r} must be numeric; its dtype is {schema[name]}"
            )

    _check_frame_finite(nw, frame, columns)

    def score(expression: Any) -> Any:
        rank = expression.rank(method="min") - 1
        return (1 + (bins * rank.cast(nw.Int64)) // nw.len()).cast(nw.Int64)

    since_last = nw.col(columns["T"]) - nw.col(columns["recency"])
    scored = frame.with_columns(
        score(-since_last).alias("r_score"),
        score(nw.col(columns["frequency"])).alias("f_score"),
        score(nw.col(columns["monetary"])).alias("m_score"),
    )
    r, f, m = nw.col("r_score"), nw.col("f_score"), nw.col("m_score")
    label = nw.lit(_OTHERS)
    for name, (r0, r1), (f0, f1), (m0, m1) in reversed(segments):
        rule = r.is_between(r0, r1) & f.is_between(f0, f1) & m.is_between(m0, m1)
        label = nw.when(rule).then(nw.lit(name)).otherwise(label)
    result = scored.with_columns((100 * r + 10 * f + m).alias("rfm_code"), label.alias("segment"))
    return result.collect() if isinstance(result, nw.LazyFrame) else result


def rfm_scores(
    summary: object,
    /,
    *,
    bins: int = 5,
    recency: str = "recency",
    frequency: str = "frequency",
    monetary: str = "monetary_value",
    T: str = "T",
    segments: Sequence[Segment] | None = None,
) -> Any:
    """Recency, frequency and monetary quantile scores, the RFM code and named segments.

    Parameters
    ----------
    summary : dataframe or mapping of str to array_like
        One row per customer, such as :func:`rfm_summary` returns (with
        ``value=`` so that it has ``monetary_value``): any dataframe narwhals
        supports (the ranks run in its engine) or a mapping of arrays.
    bins : int, default 5
        Number of score levels (2 to 9); 5 gives quintile scores 1-5.
    recency, frequency, monetary, T : str
        Column names: time from first to last purchase, number of repeat
        purchases, mean purchase value, and time from first purchase to the
        end of observation. Recency is scored on ``T - recency``, the time
        since the last purchase.
    segments : sequence of (str, (int, int), (int, int), (int, int)), optional
        Segment rules: a name and the inclusive ranges of R, F and M scores;
        the first matching rule wins and the rest are "Others". Default: the
        map of the example of ``rfm_segment`` in the R package rfm, on 1-5
        scores (listed in the guide "Retention and value by segment").

    Returns
    -------
    DataFrame or dict of str to numpy.ndarray
        ``summary`` with ``r_score``, ``f_score``, ``m_score``, ``rfm_code``
        (``100 R + 10 F + M``) and ``segment`` added; a lazy frame is
        collected.

    Raises
    ------
    ValueError
        For a missing column, missing values, ``bins`` out of range, or the
        default map with ``bins`` other than 5.
    TypeError
        For non-numeric columns or a malformed ``segments``.

    Notes
    -----
    ``score = 1 + floor(bins (rank - 1) / n)`` with ties sharing the lowest
    rank, so heavy ties (many one-time buyers have frequency 0) put all tied
    customers in the same, lower score. In the default map the rules apply
    in order, as in rfm: "New Customers", "Promising" and "Can't Lose Them"
    only catch customers that the earlier, wider rules ("Potential
    Loyalist", "At Risk") do not.

    Examples
    --------
    >>> import numpy as np
    >>> import loyaltymetrics as lm
    >>> summary = {"customer": np.array(["a", "b", "c", "d", "e"]),
    ...            "frequency": np.array([9, 4, 0, 2, 6]),
    ...            "recency": np.array([80.0, 20.0, 0.0, 70.0, 85.0]),
    ...            "T": np.array([90.0, 95.0, 60.0, 88.0, 90.0]),
    ...            "monetary_value": np.array([50.0, 20.0, 0.0, 10.0, 35.0])}
    >>> scored = lm.rfm_scores(summary)
    >>> scored["rfm_code"].tolist()
    [455, 133, 211, 322, 544]
    >>> scored["segment"].tolist()
    ['Champions', 'At Risk', 'About To Sleep', 'Potential Loyalist', 'Champions']
    """
    chosen_bins = _check_bins(bins)
    rules = _check_segments(segments, chosen_bins)
    columns = {"recency": recency, "frequency": frequency, "monetary": monetary, "T": T}
    for role, name in columns.items():
        if not isinstance(name, str):
            raise TypeError(f"`{role}` must be a column name (str); got {name!r}")
    frame = as_narwhals_frame(summary, name="summary")
    if frame is None:
        if not isinstance(summary, Mapping):
            raise TypeError(
                "`summary` must be a dataframe or a mapping of column names to arrays; "
                f"got {type(summary).__name__}"
            )
        return _arrays(summary, columns, chosen_bins, rules)
    with quiet_narwhals():
        return _frame(frame, columns, chosen_bins, rules).to_native()
