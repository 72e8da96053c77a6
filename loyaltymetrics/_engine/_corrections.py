"""Multiple-testing corrections of p-values.

A breakdown over S segments runs S tests; reading the smallest p-value as if
it were the only test inflates false discoveries. The corrections here are
the standard ones, with the definitions of their papers:

* "bonferroni": ``min(1, m p)``.
* "holm": Holm (1979), "A simple sequentially rejective multiple test
  procedure", *Scandinavian Journal of Statistics* 6(2). With the p-values
  sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``
  (1-based); it controls the family-wise error rate like Bonferroni and is
  never less powerful.
* "fdr_bh": Benjamini & Hochberg (1995), "Controlling the false discovery
  rate", *JRSS B* 57(1). Sorted ascending, ``p_(i)`` becomes
  ``min_{j >= i} min(1, m p_(j) / j)``; it controls the false discovery rate
  for independent (or positively dependent) tests.

``m`` counts the p-values that are defined: a NaN p-value (a test that could
not be run, e.g. an empty segment) stays NaN and is not counted. Rejecting
where the corrected p-value is at most ``alpha`` gives exactly the decisions
of the step-down / step-up procedures.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["CORRECTIONS", "Correction", "correct_pvalues"]

Correction = Literal["holm", "bonferroni", "fdr_bh"]
CORRECTIONS: tuple[Correction, ...] = ("holm", "bonferroni", "fdr_bh")

FloatArray = npt.NDArray[np.float64]


def correct_pvalues(pvalues: npt.ArrayLike, method: Correction | None) -> FloatArray:
    """Return corrected p-values (same shape; NaN stays NaN and is not counted).

    ``method=None`` returns the p-values unchanged (as float64).
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = p.copy()
    if method is None:
        return out
    defined = ~np.isnan(p)
    values = p[defined]
    m = values.shape[0]
    if m == 0:
        return out
    if method == "bonferroni":
        out[defined] = np.minimum(1.0, m * values)
        return out
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    rank = np.arange(1, m + 1, dtype=np.float64)
    if method == "holm":
        adjusted = np.maximum.accumulate((m - rank + 1.0) * ranked)
    elif method == "fdr_bh":
        adjusted = np.minimum.accumulate((m * ranked / rank)[::-1])[::-1]
    else:  # pragma: no cover - callers validate the method
        raise ValueError(f"`correction` must be one of {CORRECTIONS} or None; got {method!r}")
    corrected = np.empty(m)
    corrected[order] = np.minimum(1.0, adjusted)
    out[defined] = corrected
    return out
