"""Edge-of-float and hostile input to the retention functions (regressions from the fuzz test)."""

from __future__ import annotations

import pytest

import loyaltymetrics as lm


def test_customer_counts_beyond_exact_float_range_name_the_argument() -> None:
    with pytest.raises(ValueError, match="`start` must be at most 2\\*\\*53"):
        lm.retention_rate(start=10**30, end=1, new=0)
