"""The documentation checklist of a model card: which of intended use, training data, benchmarks,
limitations, bias/safety and date/version its Markdown body covers, read from its headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

CHECKLIST_ITEMS: tuple[str, ...] = (
    "intended use",
    "training data",
    "benchmarks",
    "limitations",
    "bias/safety",
    "date/version",
)


# ----------------------------------------------------------------------------------------------------
# Checklist rules: one row per item, easy to extend.
# heading: a heading (any level) whose title matches counts, unless `exclude` matches it too, and only if
#   its section says something (template placeholders such as "[More Information Needed]" do not count).
# evidence: the heading's section must also contain this (benchmarks: a table or a number).
# body: alternatively, this pattern anywhere in the body counts.
# eval_results: a non-empty model-index counts.
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    heading: re.Pattern[str]
    exclude: re.Pattern[str] | None = None
    evidence: re.Pattern[str] | None = None
    body: re.Pattern[str] | None = None
    eval_results: bool = False


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_TABLE_OR_NUMBER = re.compile(r"^\s*\|.*\|\s*$|\b\d+\.\d+\b|\b\d+(?:\.\d+)?\s*%", re.MULTILINE)

_RULES: dict[str, _Rule] = {
    "intended use": _Rule(
        # "Uses" (the HF template's heading) but not "Use with llama.cpp" or "How to use": those are how-tos.
        heading=_rx(r"\bintended\b|^\W*uses\b|\buse[- ]cases?\b|\b(?:direct|downstream|primary) uses?\b"),
        exclude=_rx(r"\bhow to\b|\bout[- ]of[- ]scope\b|\bmisuse\b|\bterms of use\b|\bacceptable use\b"),
    ),
    "training data": _Rule(
        heading=_rx(
            r"\btraining\b.{0,30}\b(?:data|details|datasets?|corpus|procedure)\b|^\W*(?:pre-?)?training\W*$"
            r"|\bdatasets?\b|\bdata (?:sources?|collection|mixture)\b"
        ),
    ),
    "benchmarks": _Rule(
        heading=_rx(r"\bevaluations?\b|\bbenchmarks?\b|\bresults?\b|\bperformance\b|\bscores?\b"),
        evidence=_TABLE_OR_NUMBER,
        eval_results=True,
    ),
    "limitations": _Rule(
        heading=_rx(r"\blimitations?\b|\bout[- ]of[- ]scope\b|\bknown issues\b|\bcaveats?\b"),
    ),
    "bias/safety": _Rule(
        heading=_rx(r"\bbias(?:es)?\b|\brisks?\b|\bsafety\b|\bethic(?:s|al)\b|\bharms?\b|\bresponsible\b"),
    ),
    "date/version": _Rule(
        heading=_rx(
            r"\breleases?\b|\bversions?\b|\bchange ?log\b|\bmodel date\b|\bupdates?\b|\bnews\b|\bhistory\b"
        ),
        body=_rx(
            r"\b(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?\b|\bversion\s*:?\s*v?\d"
            r"|\b(?:released?|model date|last updated)\b[^\n]{0,40}\b(?:19|20)\d\d\b"
        ),
    ),
}

_PLACEHOLDER = _rx(
    r"\[?more information needed\]?|\bto be (?:added|announced|determined)\b|\bcoming soon\b|\btbd\b|\btodo\b"
    r"|\bn/a\b"
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# A closing "###" needs a space before it, so "## C#" keeps its hash.
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass
class Section:
    level: int
    title: str
    content: str


def read_sections(body: str) -> list[Section]:
    """Headings (ATX and setext, outside fenced code) with the text up to the next heading of same rank."""
    lines = body.splitlines()
    heads: list[tuple[int, int, str]] = []  # (line index of first content line, level, title)
    fence: str | None = None
    for i, line in enumerate(lines):
        fm = _FENCE.match(line)
        if fm:
            marker = fm.group(1)[0] * 3
            if fence is None:
                fence = marker
            elif line.strip().startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        m = _ATX.match(line)
        if m and m.group(2):
            heads.append((i + 1, len(m.group(1)), m.group(2).strip()))
            continue
        prev = lines[i - 1].strip() if i > 0 else ""
        sm = _SETEXT.match(line)
        # A setext underline needs a plain text line above it ("---" after a blank line is a rule).
        if sm and prev and not _ATX.match(lines[i - 1]) and not prev.startswith(("|", "-", "*", ">")):
            heads.append((i + 1, 1 if sm.group(1)[0] == "=" else 2, prev))
    out: list[Section] = []
    for n, (start, level, title) in enumerate(heads):
        end = len(lines)
        for later_start, later_level, _ in heads[n + 1 :]:
            if later_level <= level:
                end = later_start - 1
                break
        out.append(Section(level, title, "\n".join(lines[start:end])))
    return out


def _has_substance(content: str) -> bool:
    """Whether a section says anything beyond sub-headings, comments and template placeholders."""
    text = _HTML_COMMENT.sub("", content)
    text = "\n".join(line for line in text.splitlines() if not _ATX.match(line))
    return re.search(r"\w", _PLACEHOLDER.sub("", text)) is not None


def checklist(body: str, sections: list[Section], has_evals: bool) -> dict[str, bool]:
    """Item → whether the card covers it: a heading with substance (and evidence where asked), a pattern in
    the body, or (benchmarks) a model-index."""
    result: dict[str, bool] = {}
    for item in CHECKLIST_ITEMS:
        rule = _RULES[item]
        present = bool(rule.eval_results and has_evals)
        for sec in sections:
            if present:
                break
            if not rule.heading.search(sec.title):
                continue
            if rule.exclude is not None and rule.exclude.search(sec.title):
                continue
            if not _has_substance(sec.content):
                continue
            if rule.evidence is not None and not rule.evidence.search(sec.content):
                continue
            present = True
        if not present and rule.body is not None:
            present = bool(rule.body.search(body))
        result[item] = present
    return result
