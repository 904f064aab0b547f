"""The sampling params a request carries: declared once, for the client's requests, compare sessions and runs.

No HTTP here: the compare settings form and the run screens import it without loading the client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

# The answer length compare and runs ask for unless told otherwise: llama.cpp's own default is unbounded, and a
# base model that never emits its stop token then fills the whole context (a 4-prompt run took 345 s). 256 tokens
# finish in seconds on a CPU and are enough to judge an answer; both screens show it and let the user change it.
DEFAULT_MAX_TOKENS = 256
# The ranges every place that takes sampling params accepts (the compare form, `modelpick run`): the OpenAI API's
# documented ones (temperature 0 to 2, top_p 0 to 1), so a value one screen takes is never refused by another, nor
# by a hosted endpoint that enforces them.
TEMPERATURE_RANGE = (0.0, 2.0)
TOP_P_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class SamplingParams:
    """Temperature, top_p, max_tokens and seed of a chat request; None leaves one to the server's default."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The params that are set: what goes into a request body and what is stored with a run or trace."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SamplingParams:
        """The sampling params found in `data` (a stored run's params); other keys are ignored."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
