"""Run vs run: what RUN_B fixed and what it broke against RUN_A (a new prompt version, a new model build).

Traces are paired by prompt id and model (the prompt's text where there is no id). Each pair is graded by one
source both of its traces have — the human label where both have one, else the checks, else the judge — and
named for it; a pair no common source grades is "ungraded". Kinds: fixed (fail→pass), regressed (pass→fail),
still failing, still passing. Over the graded pairs: the pass-rate change with a paired 95 % interval (Agresti
and Min) and McNemar's exact p-value; and per failure mode of RUN_A, how many of its traces RUN_B fixed.
Plain: the read is stores/grades.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .stats import Interval, mcnemar_exact, paired_difference

KINDS = ("fixed", "regressed", "still_failing", "still_passing", "ungraded")
SOURCES = ("human", "checks", "judge")
_KIND = {("fail", "pass"): "fixed", ("pass", "fail"): "regressed", ("fail", "fail"): "still_failing",
         ("pass", "pass"): "still_passing"}


@dataclass(slots=True)  # 10k a run, read at once: a frozen init costs twice as much
class Graded:
    """One trace with what each grader says of it (pass | fail | None)."""

    trace_id: str
    prompt_id: str | None
    prompt: str
    model: str
    endpoint: str = ""
    error: str | None = None
    human: str | None = None
    checks: str | None = None
    judge: str | None = None
    mode: str | None = None  # its failure mode's name (RUN_A's, for "what RUN_B fixed per mode")

    @property
    def key(self) -> tuple[str | None, str | None, str]:
        """What pairs it with a trace of another run: its prompt id, else its prompt's text; and its model."""
        return (self.prompt_id, None if self.prompt_id else self.prompt, self.model)

    def by(self, source: str) -> str | None:
        return getattr(self, source)  # type: ignore[no-any-return]


@dataclass(slots=True)  # one per pair of two 10k-trace runs: a frozen init costs twice as much
class Pair:
    a: Graded
    b: Graded
    kind: str  # one of KINDS
    source: str | None  # human | checks | judge: what graded both sides; None when ungraded

    def to_json(self) -> dict[str, Any]:
        return {"prompt_id": self.a.prompt_id, "model": self.a.model, "a": self.a.trace_id, "b": self.b.trace_id,
                "kind": self.kind, "by": self.source,
                "before": self.a.by(self.source) if self.source else None,
                "after": self.b.by(self.source) if self.source else None}


@dataclass
class RunDiff:
    run_a: str
    run_b: str
    pairs: list[Pair] = field(default_factory=list)
    only_a: list[Graded] = field(default_factory=list)  # no trace in RUN_B for its prompt × model
    only_b: list[Graded] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(p.kind for p in self.pairs)
        return {k: found.get(k, 0) for k in KINDS}

    @property
    def sources(self) -> dict[str, int]:
        """How many graded pairs each source graded."""
        found = Counter(p.source for p in self.pairs if p.source)
        return {s: found.get(s, 0) for s in SOURCES}

    @property
    def graded(self) -> int:
        return sum(1 for p in self.pairs if p.source)

    def pass_rates(self) -> tuple[float | None, float | None]:
        """RUN_A's and RUN_B's pass rates over the graded pairs."""
        c, n = self.counts, self.graded
        if not n:
            return None, None
        return (c["still_passing"] + c["regressed"]) / n, (c["still_passing"] + c["fixed"]) / n

    def change(self) -> Interval:
        """B's pass rate minus A's over the graded pairs, with its paired 95 % interval."""
        c = self.counts
        return paired_difference(c["still_passing"], c["fixed"], c["regressed"], c["still_failing"])

    def p_value(self) -> float:
        """McNemar's exact two-sided p-value: is the change more than chance?"""
        c = self.counts
        return mcnemar_exact(c["fixed"], c["regressed"])

    def by_mode(self) -> list[tuple[str, int, int]]:
        """Per failure mode of RUN_A: (mode, its traces that RUN_B fixed, its traces paired and graded), most
        traces first."""
        total: Counter[str] = Counter()
        fixed: Counter[str] = Counter()
        for p in self.pairs:
            if p.a.mode and p.source:
                total[p.a.mode] += 1
                fixed[p.a.mode] += p.kind == "fixed"
        return [(mode, fixed[mode], n) for mode, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))]

    def summary(self) -> list[str]:
        """The lines `modelpick diff` and the diff screen show."""
        c, n = self.counts, self.graded
        lines = [f"{n} pairs graded ({self._sources_text()}): {c['fixed']} fixed, {c['regressed']} regressed, "
                 f"{c['still_failing']} still failing, {c['still_passing']} still passing"]
        extra = []
        if c["ungraded"]:
            extra.append(f"{c['ungraded']} paired but ungraded")
        if self.only_a:
            extra.append(f"{len(self.only_a)} only in A")
        if self.only_b:
            extra.append(f"{len(self.only_b)} only in B")
        if extra:
            lines.append(", ".join(extra))
        before, after = self.pass_rates()
        if before is not None and after is not None:
            change = self.change()
            lines.append(f"pass rate {before:.0%} → {after:.0%}: {change.estimate:+.0%} "
                         f"[95% CI {change.low:+.0%} to {change.high:+.0%}], McNemar exact p = {self.p_value():.3g}")
        return lines

    def _sources_text(self) -> str:
        used = [f"{k} {v}" for k, v in self.sources.items() if v]
        return "by " + ", ".join(used) if used else "nothing graded both sides"

    def to_json(self) -> dict[str, Any]:
        before, after = self.pass_rates()
        change = self.change()
        return {
            "run_a": self.run_a, "run_b": self.run_b, "counts": self.counts, "graded": self.graded,
            "by_source": self.sources, "only_a": len(self.only_a), "only_b": len(self.only_b),
            "pass_rate_a": before, "pass_rate_b": after,
            "change": {"estimate": change.estimate, "low": change.low, "high": change.high, "level": 0.95,
                       "method": "Agresti-Min paired difference"},
            "mcnemar_exact_p": self.p_value(),
            "by_failure_mode": [{"mode": m, "fixed": f, "paired": n} for m, f, n in self.by_mode()],
            "pairs": {kind: [p.to_json() for p in self.pairs if p.kind == kind] for kind in KINDS},
            "only_in_a": [g.trace_id for g in self.only_a], "only_in_b": [g.trace_id for g in self.only_b],
        }


def grade_pair(a: Graded, b: Graded) -> tuple[str, str | None]:
    """(kind, source) of one pair: the first source both sides have (SOURCES' order, written out: this runs once
    per pair)."""
    if a.human is not None and b.human is not None:
        return _KIND[(a.human, b.human)], "human"
    if a.checks is not None and b.checks is not None:
        return _KIND[(a.checks, b.checks)], "checks"
    if a.judge is not None and b.judge is not None:
        return _KIND[(a.judge, b.judge)], "judge"
    return "ungraded", None


def diff_runs(run_a: str, a: Sequence[Graded], run_b: str, b: Sequence[Graded]) -> RunDiff:
    """Pair the traces of two runs by prompt and model and grade each pair (the module docstring says how). A
    prompt × model answered twice in one run counts its last answer."""
    # Graded.key written out: this runs for every trace of both runs
    left = {(g.prompt_id, None if g.prompt_id else g.prompt, g.model): g for g in a}
    rest = {(g.prompt_id, None if g.prompt_id else g.prompt, g.model): g for g in b}
    out = RunDiff(run_a, run_b)
    pairs, only_a, take, pair = out.pairs, out.only_a, rest.pop, Pair
    for key, before in left.items():
        after = take(key, None)  # what stays in `rest` is only in B, in B's order: no second pass over B
        if after is None:
            only_a.append(before)
        else:
            kind, source = grade_pair(before, after)
            pairs.append(pair(before, after, kind, source))
    out.only_b = list(rest.values())
    return out
