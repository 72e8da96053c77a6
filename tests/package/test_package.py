"""The public surface: every exported name resolves, and importing is cheap."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

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


def _script(name: str) -> ModuleType:
    """Import one of the repository's check scripts (scripts/ is not a package)."""
    path = Path(__file__).resolve().parents[2] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_script_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_oldest_requirements_pin_every_declared_lower_bound() -> None:
    oldest = _script("oldest_requirements")
    assert oldest.pinned("numpy>=1.25") == "numpy==1.25"
    assert oldest.pinned("dask[dataframe]>=2025.1") == "dask[dataframe]==2025.1"
    assert oldest.pinned("pytest>=8") == "pytest"  # a test runner, not a library dependency
    assert oldest.pinned("loyaltymetrics[all]") is None
    with pytest.raises(SystemExit, match="no plain lower bound"):
        oldest.pinned("numpy>=1.25,<3")
    # Every runtime dependency is pinned at the bound pyproject.toml declares.
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    for requirement in project["project"]["dependencies"]:
        name, bound = requirement.split(">=")
        assert oldest.pinned(requirement) == f"{name}=={bound}"


def test_offline_docs_check_finds_network_loads(tmp_path: Path) -> None:
    check = _script("check_offline_docs")
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("")
    good = tmp_path / "good.html"
    good.write_text(
        '<link rel="stylesheet" href="_static/theme.css">'
        '<script src="_static/mathjax/tex-chtml.js"></script>'
        '<span class="math notranslate">\\(n_P\\)</span>'
        '<a href="https://example.org/">a link is not a load</a>'
    )
    assert check.check_page(good, tmp_path) == []
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script>'
        '<link rel="preload" href="//fonts.example.org/a.woff2">'
        '<script>load("https://cdn.example.org/x.js")</script>'
        '<span class="math">x</span>'
    )
    problems = check.check_page(bad, tmp_path)
    assert len(problems) == 3, problems
    no_mathjax = tmp_path / "plain.html"
    no_mathjax.write_text('<div class="math notranslate">\\[x\\]</div>')
    assert check.check_page(no_mathjax, tmp_path) == ["plain.html: has math but loads no MathJax"]
    css = tmp_path / "_static" / "theme.css"
    css.write_text("@font-face { src: url('https://fonts.example.org/a.woff2'); }")
    assert len(check.check_stylesheet(css, tmp_path)) == 1
