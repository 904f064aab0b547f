"""The README is a quick start that fits one 80×24 terminal; the rest lives in docs/, and no link points nowhere."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    # GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and underscores kept), spaces -> '-'.
    keep = (c for c in heading.strip().lower() if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return "".join(keep).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # a '#' in a code block is no heading
    return {_slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, flags=re.M)}


def test_the_readme_fits_one_terminal() -> None:
    lines = (REPO / "README.md").read_text().splitlines()
    assert len(lines) <= 24, f"{len(lines)} lines: the README is a quick start; the rest goes in a docs/ page"
    assert [n for n, line in enumerate(lines, 1) if len(line) > 80] == []
    text = "\n".join(lines)
    for command in ("make run", "make test", "make demo"):
        assert command in text, command


def test_every_docs_page_is_linked_from_the_readme_or_the_loop_page() -> None:
    linked = set(LINK.findall((REPO / "README.md").read_text())) | {
        f"docs/{target}" for target in LINK.findall((REPO / "docs" / "index.md").read_text())
    }
    pages = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert pages - linked == set(), "link each docs/ page from docs/index.md (or the README)"


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("**/*.md"))]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a URL: not ours to check offline
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved)):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert broken == []
