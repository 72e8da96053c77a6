"""Checking a purchase model on a holdout period.

Fit a model on a calibration period, predict each customer's purchases in the
holdout period that follows, and compare with what they actually bought:
overall, and for customers grouped by how often they bought in calibration
(the conditional-expectation check of Fader, Hardie & Lee 2005, Figure 4;
the frequency buckets are where a model's P(alive) and its rate posterior
show their faults).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from loyaltymetrics._clv._fitting import FloatArray, PurchaseModel, check_history
from loyaltymetrics._engine._frames import as_narwhals_frame, import_narwhals, quiet_narwhals
from loyaltymetrics._engine._results import TabularResult
from loyaltymetrics._engine._validation import as_1d_array, is_integer_number

__all__ = ["HoldoutCheck", "holdout_check"]

IntArray = npt.NDArray[np.int64]

#: Columns read from the calibration/holdout summary, as ``rfm_summary(...,
#: calibration_end=...)`` (and lifetimes' ``calibration_and_holdout_data``) name them.
SUMMARY_COLUMNS = ("frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout")


@dataclass(frozen=True, repr=False)
class HoldoutCheck(TabularResult):
    """Predicted against actual purchases in a holdout period.

    The table has one row per calibration-frequency bucket: customers with
    ``frequency`` repeat purchases in the calibration period, the last bucket
    holding everyone with ``max_frequency`` or more. Buckets without customers
    are left out.

    Attributes
    ----------
    frequency : numpy.ndarray
        Calibration frequency of the bucket (the last bucket means "this or
        more" when it equals ``max_frequency``).
    customers : numpy.ndarray
        Number of customers in the bucket.
    actual : numpy.ndarray
        Mean number of purchases the bucket's customers made in the holdout
        period.
    predicted : numpy.ndarray
        Mean number the model predicted for them, from each customer's
        calibration history and holdout duration.
    n_customers : int
        Number of customers in all buckets.
    actual_total, predicted_total : float
        Purchases in the holdout period by all customers: made and predicted.
    max_frequency : int
        The frequency from which customers share the last bucket.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_transactions
    >>> summary = lm.rfm_summary(load_transactions(), customer="customer_id", time="date",
    ...                          period="week", calibration_end="2025-06-30")
    >>> model = lm.fit_bgnbd(summary["frequency_cal"], summary["recency_cal"], summary["T_cal"])
    >>> check = lm.holdout_check(model, summary, max_frequency=3)
    >>> check.to_frame().round(2)
       frequency  customers  actual  predicted
    0          0      241.0    0.10       0.24
    1          1      123.0    0.28       0.34
    2          2       84.0    0.32       0.60
    3          3      352.0    2.46       2.39
    """

    frequency: IntArray
    customers: FloatArray
    actual: FloatArray
    predicted: FloatArray
    n_customers: int
    actual_total: float
    predicted_total: float
    max_frequency: int

    _display_fields: ClassVar[tuple[str, ...] | None] = (
        "n_customers",
        "actual_total",
        "predicted_total",
        "max_frequency",
    )

    def _table(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "customers": self.customers,
            "actual": self.actual,
            "predicted": self.predicted,
        }


def _summary_columns(summary: object) -> dict[str, npt.NDArray[Any]]:
    """Read the :data:`SUMMARY_COLUMNS` of a mapping of arrays or of any narwhals frame."""
    if isinstance(summary, Mapping):
        missing = [name for name in SUMMARY_COLUMNS if name not in summary]
        if missing:
            raise ValueError(f"`summary` lacks the column(s) {missing}; it needs {SUMMARY_COLUMNS}")
        return {name: as_1d_array(summary[name], name=name) for name in SUMMARY_COLUMNS}
    frame = as_narwhals_frame(summary, name="summary")
    if frame is None:
        raise TypeError(
            "`summary` must be a dataframe or a mapping of column name to array, as returned "
            f"by `rfm_summary(..., calibration_end=...)`; got {type(summary).__name__}"
        )
    nw = import_narwhals()
    with quiet_narwhals():
        available = frame.collect_schema().names()
        missing = [name for name in SUMMARY_COLUMNS if name not in available]
        if missing:
            raise ValueError(f"`summary` lacks the column(s) {missing}; it needs {SUMMARY_COLUMNS}")
        selected = frame.select(list(SUMMARY_COLUMNS))
        if isinstance(selected, nw.LazyFrame):
            selected = selected.collect()
        return {
            name: as_1d_array(selected.get_column(name).to_numpy(), name=name)
            for name in SUMMARY_COLUMNS
        }


def _check_max_frequency(value: object) -> int:
    if not is_integer_number(value):
        raise TypeError(f"`max_frequency` must be an integer; got {value!r}")
    if value < 0:
        raise ValueError(f"`max_frequency` must be >= 0; got {value!r}")
    return int(value)


def holdout_check(model: object, summary: object, /, *, max_frequency: int = 7) -> HoldoutCheck:
    """Compare a purchase model's predictions with the purchases made in a holdout period.

    Parameters
    ----------
    model : fitted purchase model
        Any model with ``expected_purchases(t, frequency, recency, T)``
        (:class:`BGNBDModel`, :class:`ParetoNBDModel`, :class:`MBGNBDModel`,
        :class:`BGBBModel`), fitted on the calibration columns of ``summary``.
    summary : dataframe or mapping of str to array_like
        One row per customer, as :func:`rfm_summary` returns it with
        ``calibration_end``: columns ``frequency_cal``, ``recency_cal``,
        ``T_cal`` (the calibration history), ``frequency_holdout`` (repeat
        purchases made in the holdout period) and ``duration_holdout`` (its
        length, in the unit of ``T_cal``). lifetimes'
        ``calibration_and_holdout_data`` uses the same names. Any dataframe
        narwhals supports, lazy ones included (only these five columns are
        collected).
    max_frequency : int, default 7
        Customers with this many calibration purchases or more share the
        last bucket.

    Returns
    -------
    HoldoutCheck
        Per calibration-frequency bucket: customers, mean actual and mean
        predicted holdout purchases (``to_frame()`` for the table); and the
        totals over all customers.

    Raises
    ------
    TypeError
        If ``model`` has no ``expected_purchases`` method or ``summary`` is
        not a table.
    ValueError
        If a column is missing, a history is invalid, or holdout purchases or
        durations are negative, fractional or missing.

    Notes
    -----
    A model that fits the calibration period well can still predict the
    holdout period badly; the per-bucket view shows where (for example a
    BG/NBD over-predicting for customers with no repeat purchase, whom it
    takes to be certainly alive). Only repeat purchases count, in both the
    calibration and the holdout columns.

    Examples
    --------
    >>> import loyaltymetrics as lm
    >>> from loyaltymetrics.datasets import load_transactions
    >>> summary = lm.rfm_summary(load_transactions(), customer="customer_id", time="date",
    ...                          period="week", calibration_end="2025-06-30")
    >>> model = lm.fit_pareto_nbd(
    ...     summary["frequency_cal"], summary["recency_cal"], summary["T_cal"]
    ... )
    >>> check = lm.holdout_check(model, summary)
    >>> check
    HoldoutCheck(n_customers=800, actual_total=950.0, predicted_total=1010.12, max_frequency=7)
    """
    if not isinstance(model, PurchaseModel):
        raise TypeError(
            "`model` must be a fitted purchase model with an `expected_purchases` method "
            f"(e.g. from fit_bgnbd or fit_pareto_nbd); got {type(model).__name__}"
        )
    top = _check_max_frequency(max_frequency)
    columns = _summary_columns(summary)
    x, t_x, big_t = check_history(
        columns["frequency_cal"], columns["recency_cal"], columns["T_cal"]
    )
    actual = columns["frequency_holdout"].astype(np.float64)
    duration = columns["duration_holdout"].astype(np.float64)
    bad = ~np.isfinite(actual) | (actual < 0) | (actual != np.floor(actual))
    if bad.any():
        raise ValueError(
            "`frequency_holdout` must be whole numbers >= 0; found "
            f"{actual[bad][0]} at position {int(np.flatnonzero(bad)[0])}"
        )
    bad = ~np.isfinite(duration) | (duration < 0)
    if bad.any():
        raise ValueError(
            "`duration_holdout` must be finite and >= 0; found "
            f"{duration[bad][0]} at position {int(np.flatnonzero(bad)[0])}"
        )
    predicted = np.asarray(model.expected_purchases(duration, x, t_x, big_t), dtype=np.float64)
    bucket = np.minimum(x, top).astype(np.int64)
    customers = np.bincount(bucket, minlength=top + 1).astype(np.float64)
    actual_sum = np.bincount(bucket, weights=actual, minlength=top + 1)
    predicted_sum = np.bincount(bucket, weights=predicted, minlength=top + 1)
    present = customers > 0
    return HoldoutCheck(
        frequency=np.arange(top + 1, dtype=np.int64)[present],
        customers=customers[present],
        actual=actual_sum[present] / customers[present],
        predicted=predicted_sum[present] / customers[present],
        n_customers=int(x.shape[0]),
        actual_total=float(actual.sum()),
        predicted_total=float(predicted.sum()),
        max_frequency=top,
    )
