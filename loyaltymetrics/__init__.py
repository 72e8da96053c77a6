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

from loyaltymetrics._clv._bgbb import BGBBModel, fit_bgbb
from loyaltymetrics._clv._bgnbd import BGNBDModel, fit_bgnbd
from loyaltymetrics._clv._formulas import clv, predicted_clv
from loyaltymetrics._clv._gamma_gamma import GammaGammaModel, fit_gamma_gamma
from loyaltymetrics._clv._holdout import HoldoutCheck, holdout_check
from loyaltymetrics._clv._mbgnbd import MBGNBDModel, fit_mbgnbd
from loyaltymetrics._clv._pareto_nbd import ParetoNBDModel, fit_pareto_nbd
from loyaltymetrics._clv._rfm import historical_clv, rfm_summary
from loyaltymetrics._cohorts import CohortTable, cohort_retention
from loyaltymetrics._nps import NPSResult, nps, nps_from_counts
from loyaltymetrics._nps_compare import NPSComparison, compare_nps
from loyaltymetrics._nps_planning import nps_margin_of_error, nps_sample_size
from loyaltymetrics._results import ConfidenceInterval
from loyaltymetrics._retention import (
    ChurnResult,
    MeanResult,
    RepeatPurchaseResult,
    RetentionResult,
    average_order_value,
    churn_rate,
    purchase_frequency,
    repeat_purchase_rate,
    retention_rate,
)
from loyaltymetrics._satisfaction import (
    CESResult,
    CSATResult,
    ces,
    ces_from_counts,
    csat,
    csat_from_counts,
)
from loyaltymetrics._satisfaction_compare import (
    CESComparison,
    CSATComparison,
    compare_ces,
    compare_csat,
)
from loyaltymetrics._sbg import SBGModel, fit_sbg
from loyaltymetrics._segments import SegmentBreakdown, by_segment
from loyaltymetrics._survival import SurvivalCurve, kaplan_meier

__all__ = [
    "BGBBModel",
    "BGNBDModel",
    "CESComparison",
    "CESResult",
    "CSATComparison",
    "CSATResult",
    "ChurnResult",
    "CohortTable",
    "ConfidenceInterval",
    "GammaGammaModel",
    "HoldoutCheck",
    "MBGNBDModel",
    "MeanResult",
    "NPSComparison",
    "NPSResult",
    "ParetoNBDModel",
    "RepeatPurchaseResult",
    "RetentionResult",
    "SBGModel",
    "SegmentBreakdown",
    "SurvivalCurve",
    "__version__",
    "average_order_value",
    "by_segment",
    "ces",
    "ces_from_counts",
    "churn_rate",
    "clv",
    "cohort_retention",
    "compare_ces",
    "compare_csat",
    "compare_nps",
    "csat",
    "csat_from_counts",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_sbg",
    "historical_clv",
    "holdout_check",
    "kaplan_meier",
    "nps",
    "nps_from_counts",
    "nps_margin_of_error",
    "nps_sample_size",
    "predicted_clv",
    "purchase_frequency",
    "repeat_purchase_rate",
    "retention_rate",
    "rfm_summary",
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
