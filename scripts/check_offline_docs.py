"""Fail if any page of the built HTML docs would load a script, style or font from the network.

The docs must work offline (a reader behind a firewall, a copy on a laptop):
math is rendered by a MathJax copy shipped inside the build, not fetched from a
CDN. This check reads every built ``.html`` file and every ``.css`` file and
reports each resource that would be fetched from another host:

- ``<script src>``, ``<img src>``, ``<iframe src>``, ``<source src>``,
  ``<audio src>``, ``<video src>`` and ``<embed src>`` with a network address;
- ``<link href>`` for stylesheets, preloads, icons and manifests;
- network addresses of ``.js``, ``.css`` or font files inside inline scripts
  (a loader configured to fetch MathJax, say);
- ``url(...)`` and ``@import`` with a network address in stylesheets.

It also checks that the pages with math load a MathJax that exists in the
build. Plain links (``<a href>``) are what a reader clicks, not loads: allowed.

Usage: ``python scripts/check_offline_docs.py docs/_build/html``
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

_NETWORK = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_LOADED_SRC = frozenset({"script", "img", "iframe", "source", "audio", "video", "embed"})
_LOADED_LINK = frozenset(
    {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest", "shortcut"}
)
_INLINE_URL = re.compile(
    r"""(?:https?:)?//[^\s"'`)]+?\.(?:m?js|css|woff2?|ttf|otf)\b""", re.IGNORECASE
)
_CSS_URL = re.compile(
    r"""(?:url\(\s*["']?|@import\s+["'])((?:[a-z][a-z0-9+.-]*:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def is_network(address: str) -> bool:
    """Tell whether an address names another host (http:, https:, or scheme-relative)."""
    address = address.strip()
    return bool(_NETWORK.match(address)) and not address.lower().startswith("file:")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.has_math = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "math" in values.get("class", "").split():
            self.has_math = True
        if tag in _LOADED_SRC and is_network(values.get("src", "")):
            self.problems.append(f"<{tag} src={values['src']!r}>")
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.scripts.append(values["src"])
        if tag == "link":
            kinds = set(values.get("rel", "").lower().split())
            if kinds & _LOADED_LINK and is_network(values.get("href", "")):
                self.problems.append(f"<link rel={values['rel']!r} href={values['href']!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            for address in _INLINE_URL.findall(data):
                self.problems.append(f"inline script loads {address!r}")


def check_page(path: Path, root: Path) -> list[str]:
    """Return one line per network resource the page would load, or a missing MathJax."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    problems = [f"{path.relative_to(root)}: {problem}" for problem in page.problems]
    if page.has_math:
        mathjax = [src for src in page.scripts if "mathjax" in src.lower()]
        if not mathjax:
            problems.append(f"{path.relative_to(root)}: has math but loads no MathJax")
        for src in mathjax:
            local = (path.parent / src.split("?", 1)[0]).resolve()
            if not is_network(src) and not local.is_file():
                problems.append(f"{path.relative_to(root)}: MathJax {src!r} is not in the build")
    return problems


def check_stylesheet(path: Path, root: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [f"{path.relative_to(root)}: loads {address!r}" for address in _CSS_URL.findall(text)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = Path(argv[0])
    pages = sorted(root.rglob("*.html"))
    if not pages:
        print(f"check_offline_docs: no HTML pages under {root}", file=sys.stderr)
        return 2
    problems: list[str] = []
    with_math = 0
    for page in pages:
        problems += check_page(page, root)
        with_math += "math notranslate" in page.read_text(encoding="utf-8", errors="replace")
    for stylesheet in sorted(root.rglob("*.css")):
        problems += check_stylesheet(stylesheet, root)
    for problem in problems:
        print(f"check_offline_docs: {problem}", file=sys.stderr)
    if problems:
        print(f"check_offline_docs: {len(problems)} network loads in {root}", file=sys.stderr)
        return 1
    if with_math == 0:
        print("check_offline_docs: no page has math; is this the right build?", file=sys.stderr)
        return 1
    print(f"check_offline_docs: {len(pages)} pages ({with_math} with math) load nothing remote")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
