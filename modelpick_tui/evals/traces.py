"""Runs and traces: every model answer is a row, written as soon as it completes.

A run's status is one of RUN_STATUSES (below, and in docs/compare.md's "Prompt-set runs"). A run has one owner at a
time: the lease stored with it (owner pid, that process's start time, since when). Whether a `running` run's
owner still lives is checked when runs are read — nothing watches them — so a run whose process died reads as
`interrupted`, and a resume takes its lease over. A prompt-set run answers each prompt × endpoint once: the
`run_answers` table (primary key run, prompt, endpoint) is the claim, written with the trace in one IMMEDIATE
transaction by the lease holder only. The tables: stores/traces.py.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from ..clock import now_iso
from ..serving.params import SamplingParams
from .base import dumps, loads
from .prompts import PromptVersion

# --- run statuses: the one list ----------------------------------------------------------------------------

RUNNING = "running"  # its owner process is alive and working on it (a compare session: the screen is open)
DONE = "done"  # every prompt × endpoint was asked; some answers may be failures (a resume retries those)
CANCELLED = "cancelled"  # stopped by the user (Ctrl-C, x, quitting the TUI); a resume finishes it
FAILED = "failed"  # the runner itself stopped on an error (a failed answer is a trace, not this)
INTERRUPTED = "interrupted"  # stored as running, but its owner died (killed, crashed): computed, never stored
IMPORTED = "imported"  # traces loaded by `modelpick import`: nobody runs it
RUN_STATUSES = (RUNNING, DONE, CANCELLED, FAILED, INTERRUPTED, IMPORTED)


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


@dataclass(frozen=True)
class Owner:
    """Who holds a run: a process (pid and start time, so that a reused pid is not taken for it) since when."""

    pid: int
    started: float  # psutil's create_time of the process
    since: str  # when it took the run (ISO, UTC)

    @classmethod
    def me(cls) -> Owner:
        return cls(os.getpid(), _started(os.getpid()), now_iso())

    def is_me(self) -> bool:
        return self.pid == os.getpid() and self.started == _started(self.pid)

    def alive(self) -> bool:
        from ..serving.procs import pid_matches  # psutil (~0.05 s), only when a run's owner is asked after

        return pid_matches(self.pid, self.started)

    def describe(self) -> str:
        """'pid 4242, since 2025-06-01 12:00:03 UTC'."""
        return f"pid {self.pid}, since {self.since[:19].replace('T', ' ')} UTC"


@functools.cache
def _started(pid: int) -> float:
    # Cached per pid: equality with the stored value is exact for this process, and a fork has another pid.
    from ..serving.procs import create_time

    return create_time(pid) or 0.0


class RunHeld(Exception):
    """Another live process holds the run; the message is one line naming it."""

    def __init__(self, run_id: str, owner: Owner | None) -> None:
        if owner is None:  # a resume took it from a process it believed dead, and let it go since
            text = f"run {run_id}: this process no longer holds it"
        else:
            who = f"this process ({owner.describe()})" if owner.is_me() else f"another process, {owner.describe()}"
            text = f"run {run_id} is held by {who}: wait for it to end, or stop that process and resume"
        super().__init__(text)
        self.run_id, self.owner = run_id, owner


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
