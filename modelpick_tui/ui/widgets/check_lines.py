"""A trace's graders as the reviewer sees them under its output: each check's result with its one-line reason
(evals/checks/), and the judge's verdict. Untrusted text (reasons quote the answer) stays text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from ..format import safe

MARK = {True: ("✓", "green"), False: ("✗", "bold red")}
JUDGE_STYLE = {"pass": "green", "fail": "bold red", "error": "yellow"}


def graders_text(results: Sequence[Any], judge: dict[str, Any] | None) -> Text:
    """'checks 1/2 pass' over one line per check, then 'judge fail: reason'; empty when nothing graded it."""
    text = Text()
    if results:
        passed = sum(1 for r in results if r.passed)
        text.append(f"checks {passed}/{len(results)} pass\n", style="bold underline")
        for r in results:
            mark, style = MARK[bool(r.passed)]
            text.append(f"{mark} ", style=style)
            text.append_text(safe(f"{r.check.describe()}: {r.reason}"))
            text.append("\n")
    if judge is not None:
        verdict = str(judge.get("verdict") or "")
        text.append("judge ", style="bold")
        text.append(verdict, style=JUDGE_STYLE.get(verdict, ""))
        why = judge.get("reason") or judge.get("error") or ""
        if why:
            text.append_text(safe(f": {why}", "italic"))
        text.append("\n")
    return text
