"""The `runs`, `traces` and `run_answers` tables (what a run and a trace are: evals/traces.py)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ...clock import now_iso
from ..base import dumps, loads
from ..lease import DONE, IMPORTED, INTERRUPTED, RUNNING, Owner, RunHeld
from .base import Store

if TYPE_CHECKING:  # read where a trace is made from its row: listing runs does not build the trace types
    from ..traces import Trace


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
        if not run_id:
            import uuid  # with platform, ~3 ms of `modelpick runs`, which makes no run

            run_id = uuid.uuid4().hex[:12]
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
        from ..traces import Trace

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
        from ..traces import Trace

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
        with self.lock:  # sqlite3 alone (Database.query): what `modelpick runs` and the runs screen list
            rows = [_run(r) for r in self.database.query(sql, args)]
        for run in rows:
            run["total"] = run["n_prompts"] * len(run["endpoints"])
            run["n_failed"] = run.pop("n_pairs") - run["n_ok"]
        return rows

    def scoreboard_rows(self, run_id: str | None = None, prompt_version: str | None = None,
                        ) -> tuple[builtins.list[dict[str, Any]], builtins.list[dict[str, Any]]]:
        """What the scoreboard counts, in one read: the traces of `run_id` (all when None; only those made with
        the prompt version of id `prompt_version` when given) with their latest verdict and failure mode, in the
        order they were made; and every pairwise preference."""
        with self.lock:
            rows = [dict(r) for r in self.db.query(
                "select t.id, t.model, t.endpoint, t.model_ref, t.error, t.ttft_ms, t.latency_ms, t.tokens_per_s,"
                " l.verdict, (select m.mode_id from trace_failure_modes m where m.trace_id = t.id) as mode_id"
                " from traces t left join latest_labels l on l.trace_id = t.id"
                " where (? is null or t.run_id = ?) and (? is null or t.prompt_version = ?)"
                " order by t.created_at, t.rowid", [run_id, run_id, prompt_version, prompt_version])]
            prefs = [dict(r) for r in self.db.query("select left_trace_id, right_trace_id, choice from preferences"
                                                    " order by id")]
        return rows, prefs

    def prompt_versions_used(self, model: str, run_id: str | None = None,
                             prompt_version: str | None = None) -> builtins.list[dict[str, Any]]:
        """The prompt versions `model`'s traces were made with (of `run_id`, of `prompt_version`): [{"id", "name"}],
        id None for traces made without one."""
        with self.lock:
            return [dict(r) for r in self.db.query(
                "select distinct t.prompt_version as id, v.name as name from traces t"
                " left join prompt_versions v on v.id = t.prompt_version where t.model = ?"
                " and (? is null or t.run_id = ?) and (? is null or t.prompt_version = ?) order by v.name",
                [model, run_id, run_id, prompt_version, prompt_version])]

    def add_decision(self, model: str | None, created_at: str, report_json: str, markdown_path: str,
                     json_path: str) -> int:
        """A row in `decisions` for a report written; its id."""
        with self.write():
            table = self.db.table("decisions")
            table.insert({"model": model, "created_at": created_at, "report_json": report_json,
                          "markdown_path": markdown_path, "json_path": json_path})
            return int(table.last_rowid or 0)
