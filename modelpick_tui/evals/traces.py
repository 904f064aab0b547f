"""Runs and traces: every model answer is a row, written as soon as it completes."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .base import Store, dumps, loads, now_iso


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


class TraceStore(Store):
    """The `runs` and `traces` tables."""

    def create_run(self, *, kind: str, name: str = "", prompt_set_id: str | None = None,
                   params: dict[str, Any] | None = None, endpoints: Sequence[dict[str, Any]] = (),
                   run_id: str | None = None) -> str:
        run_id = run_id or uuid.uuid4().hex[:12]
        row = {
            "id": run_id, "name": name or run_id, "kind": kind, "prompt_set_id": prompt_set_id,
            "params_json": dumps(params or {}), "endpoints_json": dumps(list(endpoints)), "status": "running",
            "created_at": now_iso(), "finished_at": None,
        }
        with self.lock, self.db.atomic():
            self.db.table("runs").insert(row, pk="id")
        return run_id

    def finish_run(self, run_id: str, status: str = "done") -> None:
        with self.lock, self.db.atomic():
            self.db.table("runs").update(run_id, {"status": status, "finished_at": now_iso()})

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db.query("select * from runs where id = ?", [run_id]))
        if not rows:
            return None
        run = dict(rows[0])
        run["params"] = loads(run.pop("params_json"), {})
        run["endpoints"] = loads(run.pop("endpoints_json"), [])
        return run

    def runs(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = [dict(r) for r in self.db.query(
                "select r.*, (select count(*) from traces t where t.run_id = r.id) as n_traces"
                " from runs r order by created_at desc")]
        for run in rows:
            run["params"] = loads(run.pop("params_json"), {})
            run["endpoints"] = loads(run.pop("endpoints_json"), [])
        return rows

    def add(self, trace: Trace) -> Trace:
        """Write one trace in its own transaction (committed when this returns)."""
        with self.lock, self.db.atomic():
            self.db.table("traces").insert(trace.to_row(), pk="id", replace=True)
        return trace

    def add_many(self, traces: Iterable[Trace]) -> int:
        rows = [t.to_row() for t in traces]
        with self.lock, self.db.atomic():
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
        """(prompt_id, endpoint) → (trace id, ok) for the traces a run has; an answer without error wins
        over a failed one for the same pair."""
        with self.lock:
            rows = list(self.db.query(
                "select id, prompt_id, endpoint, error from traces where run_id = ? order by created_at",
                [run_id]))
        out: dict[tuple[str, str], tuple[str, bool]] = {}
        for r in rows:
            key = (r["prompt_id"] or "", r["endpoint"] or "")
            ok = r["error"] is None
            if key not in out or (ok and not out[key][1]):
                out[key] = (r["id"], ok)
        return out

    def run_stats(self, run_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Runs (newest first) with their progress: `total` (prompts × endpoints; 0 when unknown), `n_ok`,
        `n_failed` (distinct prompt/endpoint pairs), the prompt set's `set_name`, and `params`/`endpoints`."""
        sql = (
            "select r.*, ps.name as set_name, coalesce(ps.n_prompts, 0) as n_prompts,"
            " (select count(distinct t.prompt_id || char(31) || t.endpoint) from traces t"
            "   where t.run_id = r.id and t.error is null) as n_ok,"
            " (select count(distinct t.prompt_id || char(31) || t.endpoint) from traces t"
            "   where t.run_id = r.id) as n_pairs"
            " from runs r left join prompt_sets ps on ps.id = r.prompt_set_id"
        )
        args = () if run_id is None else (run_id,)
        if run_id is not None:
            sql += " where r.id = ?"
        sql += " order by r.created_at desc"
        with self.lock:
            rows = [dict(r) for r in self.db.query(sql, args)]
        for run in rows:
            run["params"] = loads(run.pop("params_json"), {})
            run["endpoints"] = loads(run.pop("endpoints_json"), [])
            run["total"] = run["n_prompts"] * len(run["endpoints"])
            run["n_failed"] = run.pop("n_pairs") - run["n_ok"]
        return rows

    def set_status(self, run_id: str, status: str) -> None:
        """Mark a run `running` again (a resume), without a finish time."""
        with self.lock, self.db.atomic():
            self.db.table("runs").update(run_id, {"status": status, "finished_at": None})
