"""The architecture page's "add a metric in one registry entry" example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._survey import _metrics

PAGE = Path(__file__).resolve().parents[2] / "docs" / "architecture.rst"


def _python_blocks(section: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8").split(section, 1)[1]
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    return [re.sub(r"^   ", "", block, flags=re.MULTILINE) for block in blocks]


@pytest.fixture
def registry_restored() -> object:
    saved = dict(_metrics.METRICS)
    yield None
    _metrics.METRICS.clear()
    _metrics.METRICS.update(saved)


def test_added_metric_works_through_by_segment(registry_restored: object) -> None:
    definition_block, usage_block = _python_blocks("Adding a metric in one registry entry")
    namespace: dict[str, object] = {}
    exec(definition_block, namespace)
    exec(usage_block, namespace)
    result = namespace["result"]
    assert isinstance(result, lm.SegmentBreakdown)
    # Hand count: segment a answers 10, 10, 9, 3 (2 of 4 answer 10), segment b
    # 10, 8, 7, 10 (2 of 4): 50 points each, as the page says.
    np.testing.assert_array_equal(result.table["score"], [50.0, 50.0])
    # The new entry gets the engine's methods: its Wilson interval is the
    # plain CSAT-style share interval of 2 in 4 (statsmodels' wilson: 0.1500
    # .. 0.8500 at 95%).
    assert result.table["low"][0] == pytest.approx(15.0, abs=0.01)
    assert result.table["high"][0] == pytest.approx(85.0, abs=0.01)
    bootstrap = lm.by_segment(
        [10, 10, 9, 3, 10, 8, 7, 10],
        by=["a"] * 4 + ["b"] * 4,
        metric="top_box",  # type: ignore[arg-type]
        method="bca",
        n_resamples=199,
        rng=0,
    )
    assert np.all(bootstrap.table["low"] <= bootstrap.table["score"])
