"""Print the oldest supported dependency set: every declared lower bound, pinned.

Reads ``pyproject.toml`` and turns each ``name>=X`` of the runtime dependencies
and of the ``frames``, ``plot`` and ``test`` extras into ``name==X``, so that
the CI job "oldest supported" installs exactly the minimum versions the
package declares: a bound that is not tested cannot drift. The test runners
themselves (pytest, hypothesis) are left unpinned: they are test-only tools,
not something a user of the library installs beside it.

A few transitive dependencies need a cap to be as old as the pinned packages
expect; each is listed below with the reason.

Usage: ``python scripts/oldest_requirements.py > oldest.txt``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("frames", "plot", "test")
UNPINNED = frozenset({"pytest", "hypothesis"})
#: Transitive caps: (requirement, why).
TRANSITIVE = (
    (
        "pyparsing<3.3",
        "matplotlib before 3.11 calls pyparsing names that 3.3 deprecates, a warning "
        "at import that the test suite's warnings-as-errors turns into a failure",
    ),
)
_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?P<extras>\[[^\]]*\])?\s*(?P<spec>.*)$")


def pinned(requirement: str) -> str | None:
    """Return ``name[extras]==lower`` for ``name[extras]>=lower``; None to skip."""
    match = _REQUIREMENT.match(requirement.strip())
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    name, extras, spec = match["name"], match["extras"] or "", match["spec"].strip()
    if name == "loyaltymetrics":
        return None  # a self-reference such as loyaltymetrics[all]
    if name.lower() in UNPINNED:
        return name + extras
    lower = re.fullmatch(r">=\s*([0-9][0-9A-Za-z.]*)", spec)
    if lower is None:
        raise SystemExit(f"{requirement!r} has no plain lower bound ('>=X') to test")
    return f"{name}{extras}=={lower[1]}"


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in EXTRAS:
        requirements += project["optional-dependencies"][extra]
    lines: dict[str, str] = {}
    for requirement in requirements:
        line = pinned(requirement)
        if line is not None:
            key = re.split(r"[\[=<>]", line, maxsplit=1)[0].lower()
            if key in lines and lines[key] != line:
                raise SystemExit(f"{key} is declared with two different bounds")
            lines[key] = line
    for requirement, reason in TRANSITIVE:
        lines[requirement] = f"{requirement}  # {reason}"
    sys.stdout.write("".join(f"{line}\n" for line in lines.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
