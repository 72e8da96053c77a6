"""Planning an NPS survey: margin of error for n respondents, n for a margin of error.

The Wald standard error of NPS (on -1..1) is ``sqrt(v / n)`` with the
per-respondent variance ``v = p_P + p_D - (p_P - p_D)**2`` of the -1/0/+1
coding. ``v`` is at most 1 (half promoters, half detractors), so without
assumed shares the 95% margin of error is at most ``100 * 1.96 / sqrt(n)``
points.
"""

from __future__ import annotations

import math

from loyaltymetrics._engine._intervals import normal_quantile
from loyaltymetrics._engine._validation import check_confidence_level, check_count, is_real_number

__all__ = ["nps_margin_of_error", "nps_sample_size"]


def _per_respondent_variance(promoter_share: object, detractor_share: object) -> float:
    """``p_P + p_D - (p_P - p_D)^2`` from validated shares, or 1 (the worst case)."""
    if promoter_share is None and detractor_share is None:
        return 1.0
    if promoter_share is None or detractor_share is None:
        raise ValueError(
            "`promoter_share` and `detractor_share` must be given together "
            "(or neither, for the worst case)"
        )
    shares = []
    for value, name in ((promoter_share, "promoter_share"), (detractor_share, "detractor_share")):
        if not is_real_number(value):
            raise TypeError(f"`{name}` must be a number in 0..1; got {value!r}")
        number = float(value)
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"`{name}` must be in 0..1; got {value!r}")
        shares.append(number)
    promoter, detractor = shares
    if promoter + detractor > 1.0 + 1e-12:
        raise ValueError(
            f"`promoter_share` + `detractor_share` must not exceed 1; got {promoter} + {detractor}"
        )
    return max(promoter + detractor - (promoter - detractor) ** 2, 0.0)


def nps_margin_of_error(
    n: float,
    /,
    *,
    confidence_level: float = 0.95,
    promoter_share: float | None = None,
    detractor_share: float | None = None,
) -> float:
    """Margin of error of an NPS from n respondents, in NPS points.

    The half-width of the Wald interval, ``100 * z * sqrt(v / n)``, with
    ``v = p_P + p_D - (p_P - p_D)**2``. Without shares it is the worst case
    ``v = 1``, so the 95% margin is at most ``196 / sqrt(n)`` points.

    Parameters
    ----------
    n : int
        Number of respondents, at least 1.
    confidence_level : float, default 0.95
        Two-sided confidence level.
    promoter_share, detractor_share : float, optional
        Expected shares (0..1, summing to at most 1), given together; e.g.
        from a previous survey.

    Returns
    -------
    float
        The margin of error in points.

    Raises
    ------
    ValueError
        If ``n`` is not a whole number of at least 1, or the shares are
        invalid or only one is given.
    TypeError
        If an argument is not a number.

    See Also
    --------
    nps_sample_size : the inverse question.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> round(lm.nps_margin_of_error(400), 2)
    9.8
    >>> round(lm.nps_margin_of_error(400, promoter_share=0.5, detractor_share=0.2), 2)
    7.65
    """
    respondents = check_count(n, name="n")
    if respondents < 1:
        raise ValueError(f"`n` must be at least 1; got {n!r}")
    level = check_confidence_level(confidence_level)
    variance = _per_respondent_variance(promoter_share, detractor_share)
    return 100.0 * normal_quantile(level) * math.sqrt(variance / respondents)


def nps_sample_size(
    margin_of_error: float,
    /,
    *,
    confidence_level: float = 0.95,
    promoter_share: float | None = None,
    detractor_share: float | None = None,
) -> int:
    """Respondents needed for an NPS margin of error (in points).

    The smallest n with ``100 * z * sqrt(v / n) <= margin_of_error``, i.e.
    ``ceil(v * (100 z / margin_of_error)**2)``, at least 1; ``v`` as in
    :func:`nps_margin_of_error` (the worst case 1 without shares).

    Parameters
    ----------
    margin_of_error : float
        Desired half-width of the interval in NPS points, positive.
    confidence_level : float, default 0.95
        Two-sided confidence level.
    promoter_share, detractor_share : float, optional
        Expected shares (0..1, summing to at most 1), given together.

    Returns
    -------
    int
        The number of respondents.

    Raises
    ------
    ValueError
        If the margin is not positive and finite, or the shares are invalid.
    TypeError
        If an argument is not a number.

    See Also
    --------
    nps_margin_of_error : the margin for a given n.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> lm.nps_sample_size(5)
    1537
    >>> lm.nps_sample_size(5, promoter_share=0.5, detractor_share=0.2)
    938
    """
    margin = check_count(margin_of_error, name="margin_of_error", allow_float=True)
    if margin == 0:
        raise ValueError(f"`margin_of_error` must be positive; got {margin_of_error!r}")
    level = check_confidence_level(confidence_level)
    variance = _per_respondent_variance(promoter_share, detractor_share)
    if variance == 0.0:  # all one class: every sample has no sampling error
        return 1
    ratio = 100.0 * normal_quantile(level) / margin
    exact = variance * ratio * ratio  # float products overflow to inf; ``**`` would raise
    if not math.isfinite(exact):
        raise ValueError(
            f"`margin_of_error` is too small: the sample size for {margin_of_error!r} "
            "exceeds the floating-point range"
        )
    # Guard against the product landing a hair above a whole number by rounding.
    return max(1, math.ceil(exact * (1.0 - 1e-12)))
