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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loyaltymetrics._clv._concentration import ValueConcentration, value_concentration
    from loyaltymetrics._clv._formulas import clv, predicted_clv
    from loyaltymetrics._clv._holdout import HoldoutCheck, holdout_check
    from loyaltymetrics._clv._rfm import historical_clv, rfm_summary
    from loyaltymetrics._clv._rfm_scores import rfm_scores
    from loyaltymetrics._clv._tracking import (
        actual_repeat_transactions,
        expected_repeat_transactions,
    )
    from loyaltymetrics._clv._value import CLVPrediction
    from loyaltymetrics._clv.models._bgbb import BGBBModel, fit_bgbb
    from loyaltymetrics._clv.models._bgnbd import BGNBDModel, fit_bgnbd
    from loyaltymetrics._clv.models._gamma_gamma import GammaGammaModel, fit_gamma_gamma
    from loyaltymetrics._clv.models._mbgnbd import MBGNBDModel, fit_mbgnbd
    from loyaltymetrics._clv.models._pareto_nbd import ParetoNBDModel, fit_pareto_nbd
    from loyaltymetrics._engine._fitting import ConvergenceWarning
    from loyaltymetrics._engine._results import ConfidenceInterval, TargetTest
    from loyaltymetrics._retention._cohort_segments import CohortInterval, SegmentCohorts
    from loyaltymetrics._retention._cohorts import CohortTable, cohort_retention
    from loyaltymetrics._retention._durations import customer_durations
    from loyaltymetrics._retention._logrank import LogrankResult, logrank_test
    from loyaltymetrics._retention._nelson_aalen import CumulativeHazard, nelson_aalen
    from loyaltymetrics._retention._rates import (
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
    from loyaltymetrics._retention._sbg import SBGModel, fit_sbg
    from loyaltymetrics._retention._survival import (
        RestrictedMean,
        RestrictedMeanComparison,
        SurvivalCurve,
        SurvivalCurves,
        kaplan_meier,
    )
    from loyaltymetrics._survey._nps import NPSResult, nps, nps_from_counts
    from loyaltymetrics._survey._nps_compare import NPSComparison, compare_nps
    from loyaltymetrics._survey._nps_planning import nps_margin_of_error, nps_sample_size
    from loyaltymetrics._survey._over_time import OverTime, over_time
    from loyaltymetrics._survey._satisfaction import (
        CESResult,
        CSATResult,
        ces,
        ces_from_counts,
        csat,
        csat_from_counts,
    )
    from loyaltymetrics._survey._satisfaction_compare import (
        CESComparison,
        CSATComparison,
        compare_ces,
        compare_csat,
    )
    from loyaltymetrics._survey._segments import SegmentBreakdown, by_segment
    from loyaltymetrics._survey._sequential import (
        ConfidenceSequence,
        SequentialTest,
        confidence_sequence,
        sequential_test,
    )

# Public name -> the private module that defines it. Modules are imported on
# first use, so `import loyaltymetrics` stays fast: scipy and the model code
# load only when a function that needs them is called.
_LAZY: dict[str, str] = {
    "BGBBModel": "loyaltymetrics._clv.models._bgbb",
    "BGNBDModel": "loyaltymetrics._clv.models._bgnbd",
    "CESComparison": "loyaltymetrics._survey._satisfaction_compare",
    "CESResult": "loyaltymetrics._survey._satisfaction",
    "CLVPrediction": "loyaltymetrics._clv._value",
    "CSATComparison": "loyaltymetrics._survey._satisfaction_compare",
    "CSATResult": "loyaltymetrics._survey._satisfaction",
    "ChurnResult": "loyaltymetrics._retention._rates",
    "CohortTable": "loyaltymetrics._retention._cohorts",
    "CohortInterval": "loyaltymetrics._retention._cohort_segments",
    "SegmentCohorts": "loyaltymetrics._retention._cohort_segments",
    "ConfidenceInterval": "loyaltymetrics._engine._results",
    "ConfidenceSequence": "loyaltymetrics._survey._sequential",
    "CumulativeHazard": "loyaltymetrics._retention._nelson_aalen",
    "ConvergenceWarning": "loyaltymetrics._engine._fitting",
    "GammaGammaModel": "loyaltymetrics._clv.models._gamma_gamma",
    "HoldoutCheck": "loyaltymetrics._clv._holdout",
    "LogrankResult": "loyaltymetrics._retention._logrank",
    "MBGNBDModel": "loyaltymetrics._clv.models._mbgnbd",
    "MeanResult": "loyaltymetrics._retention._rates",
    "NPSComparison": "loyaltymetrics._survey._nps_compare",
    "NPSResult": "loyaltymetrics._survey._nps",
    "ParetoNBDModel": "loyaltymetrics._clv.models._pareto_nbd",
    "RepeatPurchaseResult": "loyaltymetrics._retention._rates",
    "RestrictedMean": "loyaltymetrics._retention._survival",
    "RestrictedMeanComparison": "loyaltymetrics._retention._survival",
    "RetentionResult": "loyaltymetrics._retention._rates",
    "TargetTest": "loyaltymetrics._engine._results",
    "SBGModel": "loyaltymetrics._retention._sbg",
    "OverTime": "loyaltymetrics._survey._over_time",
    "SegmentBreakdown": "loyaltymetrics._survey._segments",
    "SequentialTest": "loyaltymetrics._survey._sequential",
    "SurvivalCurve": "loyaltymetrics._retention._survival",
    "SurvivalCurves": "loyaltymetrics._retention._survival",
    "ValueConcentration": "loyaltymetrics._clv._concentration",
    "actual_repeat_transactions": "loyaltymetrics._clv._tracking",
    "average_order_value": "loyaltymetrics._retention._rates",
    "by_segment": "loyaltymetrics._survey._segments",
    "over_time": "loyaltymetrics._survey._over_time",
    "ces": "loyaltymetrics._survey._satisfaction",
    "ces_from_counts": "loyaltymetrics._survey._satisfaction",
    "churn_rate": "loyaltymetrics._retention._rates",
    "clv": "loyaltymetrics._clv._formulas",
    "cohort_retention": "loyaltymetrics._retention._cohorts",
    "compare_ces": "loyaltymetrics._survey._satisfaction_compare",
    "compare_csat": "loyaltymetrics._survey._satisfaction_compare",
    "compare_nps": "loyaltymetrics._survey._nps_compare",
    "confidence_sequence": "loyaltymetrics._survey._sequential",
    "csat": "loyaltymetrics._survey._satisfaction",
    "csat_from_counts": "loyaltymetrics._survey._satisfaction",
    "customer_durations": "loyaltymetrics._retention._durations",
    "expected_repeat_transactions": "loyaltymetrics._clv._tracking",
    "fit_bgbb": "loyaltymetrics._clv.models._bgbb",
    "fit_bgnbd": "loyaltymetrics._clv.models._bgnbd",
    "fit_gamma_gamma": "loyaltymetrics._clv.models._gamma_gamma",
    "fit_mbgnbd": "loyaltymetrics._clv.models._mbgnbd",
    "fit_pareto_nbd": "loyaltymetrics._clv.models._pareto_nbd",
    "fit_sbg": "loyaltymetrics._retention._sbg",
    "historical_clv": "loyaltymetrics._clv._rfm",
    "holdout_check": "loyaltymetrics._clv._holdout",
    "kaplan_meier": "loyaltymetrics._retention._survival",
    "logrank_test": "loyaltymetrics._retention._logrank",
    "nelson_aalen": "loyaltymetrics._retention._nelson_aalen",
    "nps": "loyaltymetrics._survey._nps",
    "nps_from_counts": "loyaltymetrics._survey._nps",
    "nps_margin_of_error": "loyaltymetrics._survey._nps_planning",
    "nps_sample_size": "loyaltymetrics._survey._nps_planning",
    "predicted_clv": "loyaltymetrics._clv._formulas",
    "purchase_frequency": "loyaltymetrics._retention._rates",
    "repeat_purchase_rate": "loyaltymetrics._retention._rates",
    "retention_rate": "loyaltymetrics._retention._rates",
    "rfm_scores": "loyaltymetrics._clv._rfm_scores",
    "rfm_summary": "loyaltymetrics._clv._rfm",
    "sequential_test": "loyaltymetrics._survey._sequential",
    "value_concentration": "loyaltymetrics._clv._concentration",
}

__all__ = [
    "BGBBModel",
    "BGNBDModel",
    "CESComparison",
    "CESResult",
    "CLVPrediction",
    "CSATComparison",
    "CSATResult",
    "ChurnResult",
    "CohortInterval",
    "CohortTable",
    "ConfidenceInterval",
    "ConfidenceSequence",
    "ConvergenceWarning",
    "CumulativeHazard",
    "GammaGammaModel",
    "HoldoutCheck",
    "LogrankResult",
    "MBGNBDModel",
    "MeanResult",
    "NPSComparison",
    "NPSResult",
    "OverTime",
    "ParetoNBDModel",
    "RepeatPurchaseResult",
    "RestrictedMean",
    "RestrictedMeanComparison",
    "RetentionResult",
    "SBGModel",
    "SegmentBreakdown",
    "SegmentCohorts",
    "SequentialTest",
    "SurvivalCurve",
    "SurvivalCurves",
    "TargetTest",
    "ValueConcentration",
    "__version__",
    "actual_repeat_transactions",
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
    "confidence_sequence",
    "csat",
    "csat_from_counts",
    "customer_durations",
    "expected_repeat_transactions",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "fit_pareto_nbd",
    "fit_sbg",
    "historical_clv",
    "holdout_check",
    "kaplan_meier",
    "logrank_test",
    "nelson_aalen",
    "nps",
    "nps_from_counts",
    "nps_margin_of_error",
    "nps_sample_size",
    "over_time",
    "predicted_clv",
    "purchase_frequency",
    "repeat_purchase_rate",
    "retention_rate",
    "rfm_scores",
    "rfm_summary",
    "sequential_test",
    "value_concentration",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        from importlib import import_module

        value = getattr(import_module(module_name), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("loyaltymetrics")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'loyaltymetrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
