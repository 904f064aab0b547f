"""Prompt versions: a named, stored, content-hashed system prompt plus few-shot examples — what changes between
two runs of the same set when the prompt is what is being fixed ("modify the prompt to fix the most prominent
errors, providing positive and negative examples, repeat").

A run with a version (`modelpick run SET --prompt NAME`) sends, for each prompt: the version's system prompt
where the prompt has no `system` of its own (a prompt's own system prompt is part of the test case and wins),
with the negative examples listed in it ("answers like these failed, and why"), then each positive example as a
user/assistant turn before the prompt. Plain: the table is stores/prompts.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .records import check_prompt

MAX_EXAMPLE_CHARS = 4000  # of one example's prompt or answer: a few-shot example is an illustration, not a document


class PromptVersionError(ValueError):
    """A prompt version that cannot be made or used; the message is one line."""


@dataclass(frozen=True)
class Example:
    prompt: str
    answer: str
    positive: bool  # a passing answer to imitate; a failing one to avoid
    note: str = ""  # why it failed (the reviewer's note), for a negative example
    trace_id: str | None = None  # where it came from

    def to_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "answer": self.answer, "positive": self.positive, "note": self.note,
                "trace_id": self.trace_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Example:
        return cls(str(data.get("prompt") or ""), str(data.get("answer") or ""), bool(data.get("positive")),
                   str(data.get("note") or ""), data.get("trace_id"))


@dataclass(frozen=True)
class PromptVersion:
    name: str
    system: str | None
    examples: tuple[Example, ...] = ()
    parent: str | None = None  # the version it was made from (--from)
    created_at: str = ""
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", version_id(self.system, self.examples))

    @property
    def label(self) -> str:
        """'v2 (pv-1a2b3c4d)': the name a person gave it, and the content it stands for."""
        return f"{self.name} ({self.id[:11]})"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "system": self.system,
                "examples": [e.to_json() for e in self.examples], "parent": self.parent,
                "created_at": self.created_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PromptVersion:
        return cls(name=str(data.get("name") or ""), system=data.get("system"),
                   examples=tuple(Example.from_json(e) for e in data.get("examples") or ()),
                   parent=data.get("parent"), created_at=str(data.get("created_at") or ""),
                   id=str(data.get("id") or ""))

    def system_for(self, own: str | None) -> str | None:
        """The system prompt a prompt gets: its own when it has one (part of the test case), else the version's,
        with the negative examples after it."""
        if own:
            return own
        negatives = [e for e in self.examples if not e.positive]
        if not negatives:
            return self.system
        lines = [self.system.rstrip(), ""] if self.system else []
        lines.append("Answers like these were judged wrong; do not answer like them:")
        for e in negatives:
            why = f" (why: {e.note})" if e.note else ""
            lines.append(f"- to {json.dumps(e.prompt, ensure_ascii=False)}: {json.dumps(e.answer, ensure_ascii=False)}"
                         f"{why}")
        return "\n".join(lines)

    def history(self) -> list[dict[str, str]]:
        """The positive examples as user/assistant turns, sent before the prompt."""
        turns: list[dict[str, str]] = []
        for e in self.examples:
            if e.positive:
                turns += [{"role": "user", "content": e.prompt}, {"role": "assistant", "content": e.answer}]
        return turns


def version_id(system: str | None, examples: Sequence[Example]) -> str:
    """The content hash of a version: its system prompt and examples (not its name, parent or date)."""
    body = json.dumps({"system": system or "", "examples": [[e.prompt, e.answer, e.positive, e.note]
                                                            for e in examples]},
                      ensure_ascii=False, sort_keys=True)
    return "pv-" + hashlib.sha256(body.encode()).hexdigest()[:16]


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 80 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise PromptVersionError(f"a prompt version's name is 1-80 printable characters without spaces: {name!r}")
    return name


def pick_examples(candidates: Sequence[Mapping[str, Any]], k: int) -> tuple[Example, ...]:
    """Up to `k` positive and `k` negative examples from labelled traces (dicts with trace_id, prompt, output,
    verdict pass|fail, note, mode): the negatives one per failure mode first (most common mode first), then the
    rest in order; the positives in order. Traces too long to be an example are passed over."""
    usable = [c for c in candidates if c.get("output") and len(str(c["output"])) <= MAX_EXAMPLE_CHARS
              and len(str(c.get("prompt") or "")) <= MAX_EXAMPLE_CHARS]
    positives = [c for c in usable if c.get("verdict") == "pass"][:k]
    failing = [c for c in usable if c.get("verdict") == "fail"]
    by_mode: dict[str, list[Mapping[str, Any]]] = {}
    for c in failing:
        if c.get("mode"):
            by_mode.setdefault(str(c["mode"]), []).append(c)
    negatives: list[Mapping[str, Any]] = [group[0] for _, group in sorted(by_mode.items(), key=lambda kv: -len(kv[1]))]
    negatives += [c for c in failing if all(c is not n for n in negatives)]
    for c in (*positives, *negatives[:k]):
        check_prompt(str(c.get("prompt") or ""))
    return (tuple(_example(c, True) for c in positives) + tuple(_example(c, False) for c in negatives[:k]))


def _example(c: Mapping[str, Any], positive: bool) -> Example:
    return Example(str(c.get("prompt") or ""), str(c.get("output") or ""), positive,
                   "" if positive else str(c.get("note") or c.get("mode") or ""), c.get("trace_id"))
