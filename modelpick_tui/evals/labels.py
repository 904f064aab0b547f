"""Human judgements: what a pass/fail label is (append-only, latest wins, undo), the review queue's filter and
its progress, pairwise choices. Plain types: the tables are stores/labels.py, files of traces with their labels
(CSV/JSONL) evals/exchange.py."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass

VERDICTS = ("pass", "fail", "skip")
CHOICES = ("left", "right", "tie", "both_bad")
GOAL = 100  # labels to aim for: enough for a pass rate with a usable confidence interval


class ReviewError(ValueError):
    """A label, preference or file that cannot be used; the message is one line for the user."""


def default_labeler() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still label
        return "reviewer"


@dataclass(frozen=True)
class Label:
    trace_id: str
    verdict: str  # pass | fail | skip | none
    note: str
    tags: list[str]
    labeler: str
    created_at: str
    id: int
    undo_of: int | None = None  # set on the row an undo appended: the label it took back


@dataclass(frozen=True)
class QueueFilter:
    """Which traces the review queue holds. `unlabelled` keeps traces with no verdict (or one undone)."""

    run_id: str | None = None
    model: str | None = None
    endpoint: str | None = None
    tag: str | None = None
    unlabelled: bool = False

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("run", self.run_id), ("model", self.model),
                                          ("endpoint", self.endpoint), ("tag", self.tag)) if v]
        if self.unlabelled:
            parts.append("unlabelled only")
        return " · ".join(parts) or "all traces"


@dataclass(frozen=True)
class Progress:
    total: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    goal: int = GOAL

    @property
    def labelled(self) -> int:
        """Judged traces (pass or fail): a skip is not evidence for a pass rate."""
        return self.passed + self.failed

    @classmethod
    def of(cls, verdicts: Iterable[str | None], total: int | None = None, goal: int = GOAL) -> Progress:
        items = list(verdicts)
        return cls(total=len(items) if total is None else total, passed=items.count("pass"),
                   failed=items.count("fail"), skipped=items.count("skip"), goal=goal)

    def line(self) -> str:
        """'47 labelled of 120 · 31 pass · 16 fail · goal 100' (skips shown only when there are some)."""
        text = f"{self.labelled} labelled of {self.total} · {self.passed} pass · {self.failed} fail"
        if self.skipped:
            text += f" · {self.skipped} skipped"
        return text + f" · goal {self.goal}"
