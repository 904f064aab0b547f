"""Runs and traces: every model answer is a row, written as soon as it completes.

A run's status is one of RUN_STATUSES (evals/lease.py; docs/compare.md's "Prompt-set runs"). A run has one owner at
a time: the lease stored with it (owner pid, that process's start time, since when). Whether a `running` run's
owner still lives is checked when runs are read — nothing watches them — so a run whose process died reads as
`interrupted`, and a resume takes its lease over. A prompt-set run answers each prompt × endpoint once: the
`run_answers` table (primary key run, prompt, endpoint) is the claim, written with the trace in one IMMEDIATE
transaction by the lease holder only. The tables: stores/traces.py.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..serving.params import SamplingParams
from .base import dumps, loads

# The statuses and the lease are in evals/lease.py (`modelpick runs` reads them without the types below); their
# names stay importable from here.
from .lease import CANCELLED as CANCELLED
from .lease import DONE as DONE
from .lease import FAILED as FAILED
from .lease import IMPORTED as IMPORTED
from .lease import INTERRUPTED as INTERRUPTED
from .lease import RUN_STATUSES as RUN_STATUSES
from .lease import RUNNING as RUNNING
from .lease import Owner as Owner
from .lease import RunHeld as RunHeld

if TYPE_CHECKING:  # imported where a version is read: `modelpick runs` lists runs without the prompt versions' module
    from .prompts import PromptVersion


@dataclass
class Trace:
    """One answer of one endpoint to one prompt (or one turn of a conversation)."""

    run_id: str
    prompt: str
    endpoint: str
    model: str = ""
    output: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    prompt_set_id: str | None = None
    prompt_id: str | None = None
    turn: int = 0
    parent_id: str | None = None
    system: str | None = None
    reference: str | None = None
    tags: list[str] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    base_url: str | None = None
    model_ref: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    error: str | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_per_s: float | None = None
    queue_ms: float | None = None  # waiting for a connection before the request went out: not in ttft_ms
    timing: str | None = None  # how ttft_ms was measured (serving.events.TIMING); None: imported or older
    source: str = "run"
    created_at: str = field(default_factory=now_iso)
    prompt_version: str | None = None  # the id of the prompt version the run used (evals/prompts.py)

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["tags_json"] = dumps(row.pop("tags"))
        row["messages_json"] = dumps(row.pop("messages"))
        row["params_json"] = dumps(row.pop("params"))
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Trace:
        data = dict(row)
        data["tags"] = loads(data.pop("tags_json", None), [])
        data["messages"] = loads(data.pop("messages_json", None), [])
        data["params"] = loads(data.pop("params_json", None), {})
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def ok(self) -> bool:
        return self.error is None


# --- a prompt-set run: what it sends, how far it is, how it ended (evals/runner.py runs it) ----------------


class RunError(Exception):
    """A run cannot start or resume; the message is one line for the user."""


@dataclass(frozen=True)
class RunParams:
    """What a run sends with every prompt. `system` overrides each prompt's own system prompt ("" removes
    it; None keeps the prompt set's); a prompt `version` (evals/prompts.py) gives its system prompt to the prompts
    without one, and its examples to all (exclusive with `system`). Unset sampling params are left to the server."""

    system: str | None = None
    sampling: SamplingParams = SamplingParams()
    version: PromptVersion | None = None

    def to_dict(self) -> dict[str, Any]:
        """Stored with the run, flat: {"system": …, "temperature": …} (what `from_dict` reads on resume); a
        version is stored whole, so a resume sends what the run began with."""
        return {**({} if self.system is None else {"system": self.system}), **self.sampling.to_dict(),
                **({} if self.version is None else {"prompt_version": self.version.to_json()})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunParams:
        from .prompts import PromptVersion

        version = data.get("prompt_version")
        return cls(data.get("system"), SamplingParams.from_dict(data),
                   PromptVersion.from_json(version) if isinstance(version, dict) else None)


@dataclass(frozen=True)
class RunProgress:
    """A snapshot when a request starts, after each trace, and at the start and end. `done` counts every pair
    finished, ok or failed, including those a resume skipped; `eta_s` comes from the rate seen in this session."""

    run_id: str
    total: int
    done: int
    failed: int
    skipped: int
    in_flight: int
    elapsed_s: float
    eta_s: float | None
    last: Trace | None = None

    @property
    def ok(self) -> int:
        return self.done - self.failed

    def line(self) -> str:
        """'12/20 done · 2 failed · 3 running · ETA 14 s'."""
        text = f"{self.done}/{self.total} done · {self.failed} failed"
        if self.in_flight:
            text += f" · {self.in_flight} running"
        if self.eta_s is not None and self.done < self.total:
            text += f" · ETA {format_eta(self.eta_s)}"
        return text


@dataclass(frozen=True)
class RunResult:
    run_id: str
    status: str  # done | cancelled | failed
    total: int
    ok: int
    failed: int
    skipped: int  # finished before this session (resume)
    elapsed_s: float


def format_eta(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
