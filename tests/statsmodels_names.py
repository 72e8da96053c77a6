"""Our proportion-interval method names and statsmodels' names for the same methods.

Shared by the tests that check our intervals against
``statsmodels.stats.proportion.proportion_confint``.
"""

from __future__ import annotations

STATSMODELS_NAME = {
    "wilson": "wilson",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "exact": "beta",
    "wald": "normal",
}
