"""loyaltymetrics: customer-loyalty metrics with real statistics.

Net Promoter Score, CSAT, CES, retention and customer lifetime value, each
reduced once to a small sufficient statistic and inferred on from there.

Examples
--------
>>> import loyaltymetrics as lm
>>> lm.nps([10, 9, 8, 7, 6, 0]).score
0.0
"""

from __future__ import annotations

from typing import Any

from loyaltymetrics._nps import NPSResult, nps, nps_from_counts
from loyaltymetrics._results import ConfidenceInterval

__all__ = [
    "ConfidenceInterval",
    "NPSResult",
    "__version__",
    "nps",
    "nps_from_counts",
]


def __getattr__(name: str) -> Any:
    # The version is read lazily so that importing the package stays cheap.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("loyaltymetrics")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'loyaltymetrics' has no attribute {name!r}")
