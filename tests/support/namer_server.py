"""An OpenAI-compatible server for the failure-mode namer: the misbehaving-servers' server (oai_servers.py) that,
asked for the model "namer", streams whatever `answer` holds (a name, or a hostile page) and records the prompts
it was sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .oai_servers import OAIServer

__all__ = ["NamerServer"]


@dataclass
class NamerServer(OAIServer):
    answer: str = "Over-refusal"
    prompts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.scripted["namer"] = self._name

    def _name(self, body: dict[str, Any]) -> str:
        self.prompts.append(body["messages"][-1]["content"])
        return self.answer
