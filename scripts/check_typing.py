"""Check that the public API's types help users: workflows type-check, typos do not.

- Every ``tests/typing/*_workflow.py`` must pass ``mypy --strict``: the way the
  docs use the library is well typed.
- Every ``tests/typing/typos_*.py`` must FAIL ``mypy --strict``, with an error
  reported on each line marked ``# expect-error``: a misspelt option, a wrong
  ``Literal`` or a misused result is caught before the code runs.

Without any such file the check has nothing to do and says so.

Usage: ``python scripts/check_typing.py [folder]`` (default ``tests/typing``)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "# expect-error"
_ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::\d+)?: error: (?P<message>.*)$")


def run_mypy(path: Path) -> tuple[int, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return completed.returncode, completed.stdout + completed.stderr


def error_lines(output: str, path: Path) -> dict[int, list[str]]:
    """Return the mypy errors reported in ``path``, by line number."""
    errors: dict[int, list[str]] = {}
    for line in output.splitlines():
        match = _ERROR.match(line)
        if match and Path(match["path"]).name == path.name:
            errors.setdefault(int(match["line"]), []).append(match["message"])
    return errors


def marked_lines(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    # The mark is a trailing comment; a docstring that mentions it marks nothing.
    return [number for number, text in enumerate(lines, start=1) if text.rstrip().endswith(MARK)]


def check_workflow(path: Path) -> list[str]:
    code, output = run_mypy(path)
    if code == 0:
        return []
    return [f"{path}: mypy --strict should pass but reports:\n{output.rstrip()}"]


def check_typos(path: Path) -> list[str]:
    marked = marked_lines(path)
    if not marked:
        return [f"{path}: no line is marked {MARK!r}"]
    code, output = run_mypy(path)
    if code == 0:
        return [f"{path}: mypy --strict should fail but passes"]
    if code != 1:  # 2 is a crash or a usage error, not a type error
        return [f"{path}: mypy did not run:\n{output.rstrip()}"]
    errors = error_lines(output, path)
    return [
        f"{path}:{line}: marked {MARK!r} but mypy reports no error there"
        for line in marked
        if line not in errors
    ]


def main(argv: list[str]) -> int:
    folder = ROOT / (argv[0] if argv else "tests/typing")
    workflows = sorted(path.relative_to(ROOT) for path in folder.glob("*_workflow.py"))
    typos = sorted(path.relative_to(ROOT) for path in folder.glob("typos_*.py"))
    if not workflows and not typos:
        print(f"check_typing: no typing checks in {folder.relative_to(ROOT)}; nothing to do")
        return 0
    problems: list[str] = []
    for path in workflows:
        problems += check_workflow(path)
    for path in typos:
        problems += check_typos(path)
    for problem in problems:
        print(f"check_typing: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"check_typing: {len(workflows)} workflow files pass mypy --strict; "
        f"{len(typos)} typo files fail it on every marked line"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
