"""Shared result behaviour: repr, HTML, to_dict, immutability."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._results import format_value


def test_confidence_interval_unpacks_and_is_frozen() -> None:
    ci = lm.ConfidenceInterval(-3.25, 10.0)
    low, high = ci
    assert (low, high) == (-3.25, 10.0)
    assert repr(ci) == "ConfidenceInterval(low=-3.25, high=10.0)"
    assert ci.to_dict() == {"low": -3.25, "high": 10.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ci.low = 0.0  # type: ignore[misc]


def test_result_is_frozen_and_hashable_fields_compare() -> None:
    result = lm.nps([10, 0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 1.0  # type: ignore[misc]
    assert result == lm.nps([0, 10])


def test_format_value() -> None:
    assert format_value(1 / 3) == "0.333333"
    assert format_value(np.float64(2.0)) == "2.0"
    assert format_value(np.int64(7)) == "7"
    assert format_value(float("nan")) == "nan"
    assert format_value(np.bool_(True)) == "True"


def test_html_escapes_and_lists_fields() -> None:
    html = lm.ConfidenceInterval(1.0, 2.0)._repr_html_()
    assert html.startswith("<table>")
    assert "<caption>ConfidenceInterval</caption>" in html
    assert json.dumps(lm.ConfidenceInterval(1.0, 2.0).to_dict())


def test_comparison_nests_its_interval() -> None:
    from loyaltymetrics._results import Comparison

    comparison = Comparison(
        difference=5.0,
        confidence_interval=lm.ConfidenceInterval(-1.0, 11.0),
        statistic=1.6,
        pvalue=0.11,
        method="wald",
    )
    assert repr(comparison) == (
        "Comparison(difference=5.0, confidence_interval=ConfidenceInterval(low=-1.0, high=11.0), "
        "statistic=1.6, pvalue=0.11, method='wald', alternative='two-sided')"
    )
    assert comparison.to_dict()["confidence_interval"] == {"low": -1.0, "high": 11.0}
