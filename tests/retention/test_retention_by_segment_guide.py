"""The worked examples of the "Retention and value by segment" guide run as shown."""

from __future__ import annotations

import doctest
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "retention_by_segment.rst"


def test_guide_examples() -> None:
    result = doctest.testfile(
        str(GUIDE), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 15
    assert result.failed == 0
