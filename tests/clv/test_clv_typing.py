"""The documented CLV workflow type-checks in a user's script (``mypy --strict``).

``tests/typing/clv_workflow.py`` goes from a transaction log to fits, values
with intervals and summary tables the way the guide does; the purchase and
spend models must satisfy the ``PurchaseModel`` / ``SpendModel`` protocols
that :func:`loyaltymetrics.predicted_clv` declares. A second check makes sure
mypy does reject a misspelled option there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "tests" / "typing" / "clv_workflow.py"

pytestmark = pytest.mark.skipif(
    shutil.which("mypy", path=str(Path(sys.executable).parent)) is None
    and shutil.which("mypy") is None,
    reason="mypy is not installed",
)


def run_mypy(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def cache() -> Path:
    """The project's own mypy cache (git-ignored): warm after ``mypy --strict loyaltymetrics``."""
    return ROOT / ".mypy_cache"


def test_clv_workflow_passes_mypy_strict(cache: Path) -> None:
    result = run_mypy(WORKFLOW, cache)
    assert result.returncode == 0, result.stdout + result.stderr


def test_misspelled_interval_is_a_type_error(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken_workflow.py"
    text = WORKFLOW.read_text(encoding="utf-8")
    assert 'interval="prediction"' in text
    broken.write_text(text.replace('interval="prediction"', 'interval="predicton"'), "utf-8")
    result = run_mypy(broken, cache)
    assert result.returncode != 0
    assert "predicted_clv" in result.stdout
