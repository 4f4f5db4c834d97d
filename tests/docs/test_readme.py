"""The README is the docs' front page on GitHub: its links resolve and it agrees with the site.

Links inside docs/ are checked by `mkdocs build --strict` (CI builds the site); the README is
not part of the site, so its links are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
INDEX = (REPO / "docs" / "index.md").read_text(encoding="utf-8")

_LINK = re.compile(r"\]\((?!https?://|mailto:)([^)#\s]*)(?:#([^)\s]*))?\)")


def _anchors(markdown: str) -> set[str]:
    """The ids MkDocs gives the headings of a page (Python-Markdown's toc slugs)."""
    found = set()
    fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        match = None if fence else re.match(r"#{1,6} (.*)", line)
        if match:
            text = re.sub(r"[`*]", "", match.group(1)).strip().lower()
            found.add(re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text)).strip("-"))
    return found


def test_every_link_in_the_readme_resolves() -> None:
    links = _LINK.findall(README)
    assert len(links) >= 10
    for target, anchor in links:
        path = REPO / target if target else REPO / "README.md"
        assert path.exists(), f"README links to {target}, which does not exist"
        if anchor:
            anchors = _anchors(path.read_text(encoding="utf-8"))
            assert anchor in anchors, f"README links to {target}#{anchor}: no such heading"


def _table(markdown: str, header: str) -> list[str]:
    start = markdown.index(header)
    rows = markdown[start:].split("\n\n", 1)[0].splitlines()
    return [re.sub(r"\]\((?:docs/)?", "](", row) for row in rows]


def test_the_fixture_table_is_the_same_on_the_site() -> None:
    header = "| fixture | gives the test | section |"
    assert _table(README, header) == _table(INDEX, header)


def test_the_readme_links_every_page_of_the_site() -> None:
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pages = {page for entry in nav for page in entry.values()}
    linked = {target.removeprefix("docs/") for target, _ in _LINK.findall(README)}
    missing = pages - linked - {"index.md"}
    assert not missing, f"pages of the site the README does not link: {sorted(missing)}"
