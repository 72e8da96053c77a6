"""Print the Python versions the classifiers claim, except the running interpreter's.

CI runs the test suite once on each version printed here (the running
interpreter's version is tested by the other jobs), so that every claimed
version is a tested one.

Usage: ``python3 scripts/claimed_pythons.py``
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CLAIM = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")


def claimed(classifiers: list[str]) -> list[str]:
    """Return the ``3.N`` versions named by the classifiers, in their order."""
    return [match[1] for match in map(_CLAIM.match, classifiers) if match]


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    versions = claimed(project["classifiers"])
    if running not in versions:
        print(f"the running Python {running} is not among the claimed {versions}", file=sys.stderr)
        return 1
    for version in versions:
        if version != running:
            print(version)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
