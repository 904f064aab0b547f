"""An OpenAI-compatible judge for tests: the misbehaving-servers' server (oai_servers.py) that, asked for the
model "judge", answers a verdict chosen by a marker (GOOD, BAD, MAYBE, PROSE) in the graded output; asked for the
model "echo", answers the request's system prompt (so a test sees what a prompt version sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .oai_servers import OAIServer

__all__ = ["ANSWERS", "JudgeServer"]

# What the judge server answers, by a marker in the graded output.
ANSWERS = {
    "GOOD": '{"verdict": "pass", "reason": "correct"}',
    "BAD": 'Here is my grade:\n```json\n{"verdict": "FAIL", "reason": "it refused"}\n```',
    "MAYBE": '{"verdict": "maybe", "reason": "unsure"}',
    "PROSE": "The answer looks fine to me overall.",
}


def _echo(body: dict[str, Any]) -> str:
    return next((m["content"] for m in body["messages"] if m.get("role") == "system"), "(no system prompt)")


def _judge(body: dict[str, Any]) -> str:
    output = body["messages"][-1]["content"].split("## Model output", 1)[1]
    return next((a for k, a in ANSWERS.items() if k in output), "{}")


@dataclass
class JudgeServer(OAIServer):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.scripted.update(judge=_judge, echo=_echo)
