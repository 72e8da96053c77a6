"""Edge cases of the shared argument checks (regressions found by tests/package/test_fuzz.py)."""

from __future__ import annotations

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics import datasets
from loyaltymetrics._engine._validation import is_integer_number, is_real_number

TIME_SPAN = np.timedelta64(1, "D")


def test_numpy_time_span_is_not_a_number() -> None:
    # numpy registers timedelta64 as an integer type, but float() rejects it.
    assert not is_real_number(TIME_SPAN)
    assert not is_integer_number(TIME_SPAN)
    assert not is_real_number(True)
    assert not is_real_number(np.bool_(True))
    assert is_real_number(np.float32(0.5))
    assert is_integer_number(np.int8(3))
    assert not is_integer_number(3.0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda: lm.nps_sample_size(5.0, promoter_share=TIME_SPAN, detractor_share=0.2),
            "promoter_share",
        ),
        (lambda: datasets.simulate_bgnbd(TIME_SPAN, r=1, alpha=1, a=1, b=1, T=1), "n"),
        (lambda: lm.kaplan_meier([1, 2], [1, 1]).restricted_mean(TIME_SPAN), "horizon"),
        (lambda: lm.value_concentration([1.0, 2.0], top=TIME_SPAN), "top"),
        (lambda: lm.sequential_test([9, 10], baseline=TIME_SPAN), "baseline"),
        (lambda: lm.retention_rate(start=TIME_SPAN, end=1, new=0), "start"),
    ],
)
def test_time_span_where_a_number_belongs_names_the_argument(call, argument) -> None:
    with pytest.raises(TypeError, match=f"`{argument}`"):
        call()
