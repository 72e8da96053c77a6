"""The public surface: every exported name resolves, and importing is cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import loyaltymetrics as lm


def test_every_exported_name_resolves_and_has_a_docstring() -> None:
    for name in lm.__all__:
        value = getattr(lm, name)
        if name != "__version__":
            assert value.__doc__, name
    assert set(lm.__all__) == set(lm._LAZY) | {"__version__"}
    assert lm.__all__ == sorted(lm.__all__)
    assert set(lm.__all__) <= set(dir(lm))


def test_import_does_not_load_scipy_or_model_code() -> None:
    # A service that imports the package to call one metric should not pay for
    # scipy and every model at import time.
    code = (
        "import sys, loyaltymetrics; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('scipy', 'loyaltymetrics._clv', 'narwhals', 'pandas'))))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="not_a_metric"):
        lm.not_a_metric  # type: ignore[attr-defined]  # noqa: B018
