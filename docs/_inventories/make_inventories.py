"""Write the small intersphinx inventories the docs build links through.

The documentation is built without network access, so instead of fetching the
full ``objects.inv`` of numpy, scipy, pandas and Python at build time, the docs
use these inventories of the objects they actually reference. Each entry maps a
name to its page in that project's published documentation. Add a line here
when the docs reference a new external object, then run:

    python docs/_inventories/make_inventories.py
"""

from __future__ import annotations

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# project -> (display name, version, [(name, role, relative uri)])
INVENTORIES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "python": (
        "Python",
        "3",
        [
            ("ValueError", "py:exception", "library/exceptions.html#ValueError"),
            ("TypeError", "py:exception", "library/exceptions.html#TypeError"),
            ("json.dumps", "py:function", "library/json.html#json.dumps"),
            ("dict", "py:class", "library/stdtypes.html#dict"),
            ("float", "py:class", "library/functions.html#float"),
            ("int", "py:class", "library/functions.html#int"),
        ],
    ),
    "numpy": (
        "NumPy",
        "stable",
        [
            ("numpy.ndarray", "py:class", "reference/generated/numpy.ndarray.html"),
            ("numpy.bincount", "py:function", "reference/generated/numpy.bincount.html"),
            (
                "numpy.random.Generator",
                "py:class",
                "reference/random/generator.html#numpy.random.Generator",
            ),
            (
                "numpy.random.default_rng",
                "py:function",
                "reference/random/generator.html#numpy.random.default_rng",
            ),
            (
                "numpy.random.Generator.multinomial",
                "py:method",
                "reference/random/generated/numpy.random.Generator.multinomial.html",
            ),
        ],
    ),
    "scipy": (
        "SciPy",
        "stable",
        [
            ("scipy.stats.bootstrap", "py:function", "generated/scipy.stats.bootstrap.html"),
            ("scipy.stats.binomtest", "py:function", "generated/scipy.stats.binomtest.html"),
            ("scipy.stats.ttest_ind", "py:function", "generated/scipy.stats.ttest_ind.html"),
            ("scipy.optimize.minimize", "py:function", "generated/scipy.optimize.minimize.html"),
        ],
    ),
    "pandas": (
        "pandas",
        "stable",
        [
            ("pandas.DataFrame", "py:class", "reference/api/pandas.DataFrame.html"),
            ("pandas.Series", "py:class", "reference/api/pandas.Series.html"),
        ],
    ),
}


def write_inventory(project: str, version: str, entries: list[tuple[str, str, str]]) -> bytes:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(entries)).encode()
    return header + zlib.compress(body, 9)


def main() -> None:
    for key, (project, version, entries) in INVENTORIES.items():
        (HERE / f"{key}.inv").write_bytes(write_inventory(project, version, entries))


if __name__ == "__main__":
    main()
