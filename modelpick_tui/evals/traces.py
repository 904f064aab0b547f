"""Runs and traces: every model answer is a row, written as soon as it completes.

A run's status is one of RUN_STATUSES (below, and in the README's "Prompt-set runs"). A run has one owner at a
time: the lease stored with it (owner pid, that process's start time, since when). Whether a `running` run's
owner still lives is checked when runs are read — nothing watches them — so a run whose process died reads as
`interrupted`, and a resume takes its lease over. A prompt-set run answers each prompt × endpoint once: the
`run_answers` table (primary key run, prompt, endpoint) is the claim, written with the trace in one IMMEDIATE
transaction by the lease holder only.
"""

from __future__ import annotations

import builtins
import functools
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..clock import now_iso
from ..serving.procs import create_time, pid_matches
from .base import Store, dumps, loads

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
    source: str = "run"
    created_at: str = field(default_factory=now_iso)

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
        return pid_matches(self.pid, self.started)

    def describe(self) -> str:
        """'pid 4242, since 2025-06-01 12:00:03 UTC'."""
        return f"pid {self.pid}, since {self.since[:19].replace('T', ' ')} UTC"


@functools.cache
def _started(pid: int) -> float:
    # Cached per pid: equality with the stored value is exact for this process, and a fork has another pid.
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


def _owner(row: dict[str, Any]) -> Owner | None:
    if not row.get("owner_pid"):
        return None
    return Owner(int(row["owner_pid"]), float(row["owner_started"] or 0.0), str(row["owner_since"] or ""))


def _lease(owner: Owner | None) -> dict[str, Any]:
    return {"owner_pid": owner.pid if owner else None, "owner_started": owner.started if owner else None,
            "owner_since": owner.since if owner else None}


def _run(row: Any) -> dict[str, Any]:
    """A runs row as callers see it: params and endpoints parsed, `owner` (or None), and the status as it is
    now — `interrupted` for a `running` run whose owner is gone."""
    run = dict(row)
    run["params"] = loads(run.pop("params_json"), {})
    run["endpoints"] = loads(run.pop("endpoints_json"), [])
    owner = _owner(run)
    for key in ("owner_pid", "owner_started", "owner_since"):
        run.pop(key, None)
    if run.get("status") == RUNNING and (owner is None or not owner.alive()):
        run["status"], owner = INTERRUPTED, None
    run["owner"] = owner if run.get("status") == RUNNING else None
    return run


class TraceStore(Store):
    """The `runs`, `traces` and `run_answers` tables."""

    def create_run(self, *, kind: str, name: str = "", prompt_set_id: str | None = None,
                   params: dict[str, Any] | None = None, endpoints: Sequence[dict[str, Any]] = (),
                   run_id: str | None = None) -> str:
        """A new run, held by this process (`imported` for kind "import": nobody runs it)."""
        run_id = run_id or uuid.uuid4().hex[:12]
        imported = kind == "import"
        row = {
            "id": run_id, "name": name or run_id, "kind": kind, "prompt_set_id": prompt_set_id,
            "params_json": dumps(params or {}), "endpoints_json": dumps(list(endpoints)),
            "status": IMPORTED if imported else RUNNING, "created_at": now_iso(), "finished_at": None,
            **_lease(None if imported else Owner.me()),
        }
        with self.write():
            self.db.table("runs").insert(row, pk="id")
        return run_id

    def claim_run(self, run_id: str) -> dict[str, Any] | None:
        """Take the run for this process (a resume) and mark it running; None when there is no such run.
        Raises RunHeld while a live process holds it — this one included: one owner, one runner."""
        with self.write():
            rows = list(self.db.query("select status, owner_pid, owner_started, owner_since from runs"
                                      " where id = ?", [run_id]))
            if not rows:
                return None
            owner = _owner(rows[0])
            if rows[0]["status"] == RUNNING and owner is not None and owner.alive():
                raise RunHeld(run_id, owner)
            self.db.table("runs").update(run_id, {"status": RUNNING, "finished_at": None,
                                                  **_lease(Owner.me())})
        return self.get_run(run_id)

    def finish_run(self, run_id: str, status: str = DONE) -> bool:
        """End this process's hold on the run with `status` (one of RUN_STATUSES). A run another process has
        taken over since is left as it is (False)."""
        me = Owner.me()
        with self.write():
            cursor = self.db.execute(
                "update runs set status = ?, finished_at = ?, owner_pid = null, owner_started = null,"
                " owner_since = null where id = ? and (owner_pid is null or (owner_pid = ? and owner_started = ?))",
                [status, now_iso(), run_id, me.pid, me.started])
            return cursor.rowcount > 0

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run (see `_run`: its status as it is now, its owner), or None."""
        with self.lock:
            rows = list(self.db.query("select * from runs where id = ?", [run_id]))
        return _run(rows[0]) if rows else None

    def runs(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = list(self.db.query(
                "select r.*, (select count(*) from traces t where t.run_id = r.id) as n_traces"
                " from runs r order by created_at desc"))
        return [_run(r) for r in rows]

    def add(self, trace: Trace) -> Trace:
        """Write one trace in its own transaction (committed when this returns)."""
        with self.write():
            self.db.table("traces").insert(trace.to_row(), pk="id", replace=True)
        return trace

    def add_many(self, traces: Iterable[Trace]) -> int:
        rows = [t.to_row() for t in traces]
        with self.write():
            self.db.table("traces").insert_all(rows, pk="id", replace=True)
        return len(rows)

    def get(self, trace_id: str) -> Trace | None:
        with self.lock:
            rows = list(self.db.query("select * from traces where id = ?", [trace_id]))
        return Trace.from_row(rows[0]) if rows else None

    def list(self, *, run_id: str | None = None, model: str | None = None, endpoint: str | None = None,
             prompt_id: str | None = None, limit: int | None = None) -> list[Trace]:
        where, args = [], []
        for column, value in (("run_id", run_id), ("model", model), ("endpoint", endpoint),
                              ("prompt_id", prompt_id)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "select * from traces"
        if where:
            sql += " where " + " and ".join(where)
        sql += " order by created_at, rowid"
        if limit is not None:
            sql += f" limit {int(limit)}"
        with self.lock:
            return [Trace.from_row(r) for r in self.db.query(sql, args)]

    # --- for prompt-set runs (evals/runner.py) -------------------------------------------------------------

    def outcomes(self, run_id: str) -> dict[tuple[str, str], tuple[str, bool]]:
        """(prompt_id, endpoint) → (trace id, ok): the answer each pair of a prompt-set run has."""
        with self.lock:
            rows = list(self.db.query(
                "select a.prompt_id, a.endpoint, a.trace_id, t.error is null as ok from run_answers a"
                " join traces t on t.id = a.trace_id where a.run_id = ?", [run_id]))
        return {(r["prompt_id"], r["endpoint"]): (r["trace_id"], bool(r["ok"])) for r in rows}

    def add_answer(self, trace: Trace) -> bool:
        """Store a prompt-set run's answer to one prompt × endpoint (its prompt_id and endpoint), committed
        when this returns. One IMMEDIATE transaction checks that this process still holds the run (else
        RunHeld) and that the pair has no answer without error: a failed one is replaced in place (its id, and
        so its labels, kept); an answer without error stays, and False says nothing was written."""
        with self.write():
            rows = list(self.db.query("select status, owner_pid, owner_started, owner_since from runs"
                                      " where id = ?", [trace.run_id]))
            owner = _owner(rows[0]) if rows else None
            if owner is None or not owner.is_me():
                raise RunHeld(trace.run_id, owner)
            key = [trace.run_id, trace.prompt_id, trace.endpoint]
            seen = list(self.db.query(
                "select a.trace_id, t.error is null as ok from run_answers a left join traces t"
                " on t.id = a.trace_id where a.run_id = ? and a.prompt_id = ? and a.endpoint = ?", key))
            if seen and seen[0]["ok"]:
                return False
            if seen:
                trace.id = seen[0]["trace_id"]
            self.db.table("traces").insert(trace.to_row(), pk="id", replace=True)
            self.db.execute("insert or replace into run_answers (run_id, prompt_id, endpoint, trace_id)"
                            " values (?, ?, ?, ?)", [*key, trace.id])
        return True

    def run_stats(self, run_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Runs (newest first) with their progress: `total` (prompts × endpoints; 0 when unknown), `n_ok`,
        `n_failed` (distinct prompt/endpoint pairs), the prompt set's `set_name`, and `params`/`endpoints`."""
        # A prompt-set run counts prompt × endpoint pairs; any other run (compare, import) counts its answers.
        pair = "case when r.kind = 'set' then t.prompt_id || char(31) || t.endpoint else t.id end"
        sql = (
            "select r.*, ps.name as set_name, coalesce(ps.n_prompts, 0) as n_prompts,"
            f" (select count(distinct {pair}) from traces t where t.run_id = r.id and t.error is null) as n_ok,"
            f" (select count(distinct {pair}) from traces t where t.run_id = r.id) as n_pairs"
            " from runs r left join prompt_sets ps on ps.id = r.prompt_set_id"
        )
        args = () if run_id is None else (run_id,)
        if run_id is not None:
            sql += " where r.id = ?"
        sql += " order by r.created_at desc"
        with self.lock:
            rows = [_run(r) for r in self.db.query(sql, args)]
        for run in rows:
            run["total"] = run["n_prompts"] * len(run["endpoints"])
            run["n_failed"] = run.pop("n_pairs") - run["n_ok"]
        return rows
