"""Generic metrics of any customer-level column: the share of a yes/no column, the mean of a number.

Both are entries of the one registry (:data:`~loyaltymetrics._survey._metrics.METRICS`),
so every breakdown that reads it (:func:`by_segment`, :func:`over_time`) knows them:

``share``
    The share of rows where a boolean (or 0/1) column is true -- retained,
    churned, repeat buyer -- on 0..1, with the proportion intervals (Wilson by
    default, Agresti-Coull, Jeffreys, exact, Wald) and the share comparisons
    (Newcombe's score interval by default). Its cells are the two answers 0
    and 1 (with their weights when weighted).
``mean``
    The mean of a numeric column -- order value, revenue, predicted CLV --
    with Student's t interval, Welch's comparison and the count bootstrap.
    Its cells are the distinct (value, weight) pairs of the data, so the
    bootstrap resamples them, never the rows. Breakdowns also report the
    segment's **total** (its customer equity for a value column): the
    segment's size (the sum of its weights when weighted) times its mean,
    with the mean's interval scaled by the same size -- an interval for the
    total of a segment of that size, conditional on the size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from loyaltymetrics._engine._validation import check_nan_policy
from loyaltymetrics._survey._metrics import (
    BoundInference,
    Metric,
    MetricDefinition,
    rating_metric,
    register,
)
from loyaltymetrics._survey._scale_inference import (
    MEAN_DIFFERENCE_METHODS,
    MEAN_METHODS,
    mean_difference,
    mean_interval,
    scale_interval_and_difference,
)

__all__: list[str] = []

FloatArray = npt.NDArray[np.float64]


def _share(options: Mapping[str, object]) -> Metric:
    nan_policy = check_nan_policy(options.get("nan_policy", "raise"))
    metric = rating_metric("share", "Share", scale=(0, 1), in_range=(1, 1), nan_policy=nan_policy)
    return dataclasses.replace(
        metric,
        estimate="share",
        factor=1.0,
        difference_bound=1.0,
        cell_value=np.array([0.0, 1.0]),
        accepts_boolean=True,
    )


def _mean_of(values: FloatArray, nan_policy: Any) -> Metric:
    """Return the mean whose cell labels index ``values`` (the sorted distinct values)."""
    inference = BoundInference(
        mean_interval, mean_difference, scale_interval_and_difference, {"values": values}
    )
    n_values = max(int(values.shape[0]), 1)
    return Metric(
        name="mean",
        display_name="Mean",
        scale=(0, n_values - 1),
        cell_of_point=np.arange(n_values, dtype=np.int64),
        estimate="mean",
        factor=1.0,
        difference_bound=np.inf,
        methods=MEAN_METHODS,
        default_method="t",
        difference_methods=MEAN_DIFFERENCE_METHODS,
        default_difference_method="welch",
        nan_policy=nan_policy,
        **inference.callables(),
        cell_value=np.asarray(values, dtype=np.float64),
        bind=lambda distinct: _mean_of(distinct, nan_policy),
        reports_total=True,
    )


def _mean(options: Mapping[str, object]) -> Metric:
    # Unbound: the breakdown binds it to the distinct values of its data.
    return _mean_of(np.zeros(0), check_nan_policy(options.get("nan_policy", "raise")))


register(
    MetricDefinition(
        name="share",
        display_name="Share",
        title="Share of rows where a yes/no column is true",
        scale=(0, 1),
        estimate="share",
        digits=3,
        options=("nan_policy",),
        configure=_share,
        axis_labels={"share": "Share of rows where true (0 to 1)"},
        annotation="{:.1%}",
    )
)
register(
    MetricDefinition(
        name="mean",
        display_name="Mean",
        title="Mean of a numeric column",
        scale=(0, 0),
        estimate="mean",
        digits=2,
        options=("nan_policy",),
        configure=_mean,
        axis_labels={"mean": "Mean per row"},
        annotation="{:.2f}",
    )
)
