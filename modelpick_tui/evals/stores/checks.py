"""The `check_results` table: one row per trace × check, apart from the human labels and the judge's verdicts
(what a check is and how it grades: evals/checks/)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...clock import now_iso
from ..base import dumps, loads
from ..checks import Answer, Check, CheckAgreement, CheckResult, agreement, grade
from .base import Store
from .prompt_sets import checks_from

REGRADE_BATCH = 2000  # traces graded per transaction: other writers get the database in between


class CheckStore(Store):
    """The `check_results` table, and the traces × their prompts' checks it grades."""

    def save(self, results: Mapping[str, Sequence[CheckResult]]) -> None:
        """Store each trace's results, replacing what it had (committed when this returns)."""
        now = now_iso()
        specs: dict[int, str] = {}  # a prompt's checks are the same objects for all its traces: dumped once
        rows = []
        for trace_id, found in results.items():
            for r in found:
                spec = specs.get(id(r.check))
                if spec is None:
                    spec = specs[id(r.check)] = dumps(r.check.to_json())
                rows.append((trace_id, r.index, r.check.type, spec, int(r.passed), r.reason, now))
        with self.write():
            self.db.execute("delete from check_results where trace_id in (select value from json_each(?))",
                            [json.dumps(list(results))])
            # executemany, not insert_all: sqlite-utils' per-row work was 1.3 s of a 10k-trace regrade
            self.db.conn.executemany(
                "insert or replace into check_results (trace_id, idx, type, check_json, passed, reason, checked_at)"
                " values (?, ?, ?, ?, ?, ?, ?)", rows)

    def results(self, trace_ids: Iterable[str] | None = None, *,
                run_id: str | None = None) -> dict[str, list[CheckResult]]:
        """trace id → its check results in order (of the traces named, or of the run, or all)."""
        sql = "select c.* from check_results c"
        args: list[Any] = []
        if trace_ids is not None:
            sql += " where c.trace_id in (select value from json_each(?))"
            args.append(json.dumps(list(trace_ids)))
        elif run_id is not None:
            sql += " join traces t on t.id = c.trace_id where t.run_id = ?"
            args.append(run_id)
        sql += " order by c.trace_id, c.idx"
        out: dict[str, list[CheckResult]] = {}
        with self.lock:
            for r in self.db.query(sql, args):
                spec = loads(r["check_json"], {})
                check = Check(r["type"], spec.get("value"))
                out.setdefault(r["trace_id"], []).append(CheckResult(r["idx"], check, bool(r["passed"]),
                                                                     r["reason"] or ""))
        return out

    def verdicts(self, run_id: str | None = None, trace_ids: Iterable[str] | None = None) -> dict[str, str]:
        """trace id → "pass" (every check passed) or "fail", for traces with checks."""
        sql = ("select c.trace_id, min(c.passed) as ok from check_results c join traces t on t.id = c.trace_id"
               " where (? is null or t.run_id = ?)")
        args: list[Any] = [run_id, run_id]
        if trace_ids is not None:
            sql += " and c.trace_id in (select value from json_each(?))"
            args.append(json.dumps(list(trace_ids)))
        with self.lock:
            return {r["trace_id"]: "pass" if r["ok"] else "fail"
                    for r in self.db.query(sql + " group by c.trace_id", args)}

    def to_grade(self, run_id: str | None = None) -> list[tuple[str, Answer, tuple[Check, ...]]]:
        """(trace id, its answer, its prompt's checks) for every trace whose prompt is in a stored set."""
        sql = ("select t.id, t.output, t.reference, t.latency_ms, t.error, p.checks_json from traces t"
               " join prompts p on p.set_id = t.prompt_set_id and p.id = t.prompt_id"
               " where (? is null or t.run_id = ?) order by t.created_at, t.rowid")
        with self.lock:
            rows = self.db.conn.execute(sql, [run_id, run_id]).fetchall()  # tuples: 10k rows, no dicts
        parsed: dict[str | None, tuple[Check, ...]] = {}
        out = []
        for trace_id, output, reference, latency_ms, error, key in rows:
            checks = parsed.get(key)
            if checks is None:
                checks = parsed[key] = checks_from(key)
            out.append((trace_id, Answer(output or "", reference, latency_ms, error), checks))
        return out

    def regrade(self, run_id: str | None = None) -> dict[str, list[CheckResult]]:
        """Grade every trace of the run (all when None) by its prompt's checks as stored now, and store it; a
        trace whose prompt has no checks any more loses its results. Returns what was graded."""
        graded = {trace_id: grade(checks, answer) for trace_id, answer, checks in self.to_grade(run_id)}
        items = list(graded.items())
        for start in range(0, len(items), REGRADE_BATCH):
            self.save(dict(items[start:start + REGRADE_BATCH]))
        return graded

    def agreement(self, run_id: str | None = None) -> CheckAgreement:
        """Checks vs the human labels (latest pass/fail) over the run's traces (all when None)."""
        sql = ("select t.id, l.verdict from traces t join latest_labels l on l.trace_id = t.id"
               " where (? is null or t.run_id = ?) and l.verdict in ('pass', 'fail')")
        with self.lock:
            human = {r["id"]: r["verdict"] for r in self.db.query(sql, [run_id, run_id])}
        return agreement(human, self.verdicts(run_id))
