"""Checks beside the other graders: their agreement with the human labels (percent, Cohen's kappa, the
confusion table, the traces where they disagree, so a user sees when a check is wrong, not only a model), and
the review queue's order that puts first what the machines cannot settle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..stats import cohen_kappa, pass_fail_confusion


@dataclass
class CheckAgreement:
    """Checks vs human labels over the traces that have both (a pass/fail label, at least one check)."""

    n: int
    percent: float
    kappa: float | None
    confusion: dict[str, int]  # "human/checks" -> count
    disagreements: list[tuple[str, str, str]]  # (trace id, human, checks)

    def summary(self) -> str:
        if not self.n:
            return "no trace has both a human label (pass/fail) and checks yet"
        kappa = "undefined" if self.kappa is None else f"{self.kappa:.2f}"
        return f"checks agree with the humans on {self.percent:.0%} of {self.n} traces, Cohen's kappa {kappa}"

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "percent_agreement": round(self.percent, 4),
                "kappa": None if self.kappa is None else round(self.kappa, 4), "confusion": self.confusion,
                "disagreements": [{"trace_id": t, "human": h, "checks": c} for t, h, c in self.disagreements]}


def agreement(human: Mapping[str, str], checks: Mapping[str, str]) -> CheckAgreement:
    """Percent agreement, Cohen's kappa, the confusion table and the traces where they disagree."""
    pairs = [(t, h, checks[t]) for t, h in sorted(human.items()) if h in ("pass", "fail") and t in checks]
    stats = cohen_kappa([h for _, h, _ in pairs], [c for _, _, c in pairs])
    return CheckAgreement(stats.n, stats.percent, stats.kappa, pass_fail_confusion((h, c) for _, h, c in pairs),
                          [(t, h, c) for t, h, c in pairs if h != c])


# --- the review queue: what the machines cannot settle first -----------------------------------------------

UNSETTLED_WHY = ("checks and judge disagree", "nothing graded it, or the judge erred", "one grader only",
                 "checks and judge agree")


def unsettled_rank(checks: str | None, judge: str | None) -> int:
    """Where a trace goes in the review queue ordered by "what the machines cannot settle" (0 first; see
    UNSETTLED_WHY): graders that disagree, then traces no grader settled (none ran, or the judge erred), then
    those one grader settled, then those both settled alike. `judge` is pass | fail | error | None."""
    judged = judge if judge in ("pass", "fail") else None
    if checks is not None and judged is not None:
        return 0 if checks != judged else 3
    if checks is None and judged is None:
        return 1
    return 2


def unsettled_first(ids: Sequence[str], checks: Mapping[str, str], judge: Mapping[str, str]) -> list[str]:
    """`ids` reordered by unsettled_rank, their order kept within a rank."""
    return sorted(ids, key=lambda t: unsettled_rank(checks.get(t), judge.get(t)))
