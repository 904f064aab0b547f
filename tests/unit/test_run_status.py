"""Run statuses and the run lease (evals/traces.py): one documented list of statuses; `running` only while the
owner process lives (a dead or reused pid reads as `interrupted`); a live holder refuses a second claim with one
line; one answer per prompt × endpoint in the store; imported runs are `imported`; compare runs count their
answers; the migration that brings the lease to an existing database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from modelpick_tui.cli import main
from modelpick_tui.db import migrations, open_db
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import RUN_STATUSES, Owner, RunHeld, Trace
from modelpick_tui.serving.procs import create_time

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


@pytest.fixture
def traces() -> Iterator[TraceStore]:
    db = open_db(None)
    yield TraceStore(db)
    db.close()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def set_lease(traces: TraceStore, run_id: str, owner: Owner | None, status: str = "running") -> None:
    with traces.write() as db:
        db.execute("update runs set status = ?, owner_pid = ?, owner_started = ?, owner_since = ? where id = ?",
                   [status, owner and owner.pid, owner and owner.started, owner and owner.since, run_id])


def answer(run_id: str, prompt_id: str, endpoint: str = "a", error: str | None = None) -> Trace:
    return Trace(run_id=run_id, prompt=f"question {prompt_id}", endpoint=endpoint, model="m",
                 output="" if error else "an answer", prompt_id=prompt_id, error=error)


def runs_json(db: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["--db", str(db), "runs", "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


# --- the statuses --------------------------------------------------------------------------------------


def test_one_documented_list_of_statuses() -> None:
    assert RUN_STATUSES == ("running", "done", "cancelled", "failed", "interrupted", "imported")
    # The README, or the docs/ pages it links to (the user documentation moves there).
    readme = "\n".join(p.read_text() for p in [REPO / "README.md", *sorted((REPO / "docs").glob("**/*.md"))])
    for status in RUN_STATUSES:
        assert f"\n| `{status}` | " in readme, status
    help_text = CliRunner().invoke(main, ["runs", "--help"]).output
    assert all(status in help_text for status in RUN_STATUSES), help_text


def test_a_run_is_running_only_while_its_owner_lives(traces: TraceStore) -> None:
    run_id = traces.create_run(kind="set", name="s")
    run = traces.get_run(run_id)
    assert run is not None and run["status"] == "running"
    assert run["owner"] is not None and run["owner"].pid == os.getpid() and run["owner"].is_me()

    set_lease(traces, run_id, Owner(dead_pid(), 1.0, "2025-01-01T00:00:00.000Z"))
    assert traces.get_run(run_id)["status"] == "interrupted"  # type: ignore[index]
    # A live pid that started at another time is a reused pid, not the owner.
    set_lease(traces, run_id, Owner(os.getpid(), Owner.me().started - 3600, "2025-01-01T00:00:00.000Z"))
    [listed] = traces.run_stats()
    assert (listed["status"], listed["owner"]) == ("interrupted", None)
    set_lease(traces, run_id, None)  # a run left running by a version without leases
    assert [r["status"] for r in traces.runs()] == ["interrupted"]

    assert traces.finish_run(run_id, "done")
    assert traces.get_run(run_id)["status"] == "done"  # type: ignore[index]


def test_a_live_holder_refuses_a_claim_with_one_line(traces: TraceStore) -> None:
    run_id = traces.create_run(kind="set", name="s")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            holder = Owner(other.pid, create_time(other.pid) or 0.0, "2025-06-01T12:00:03.250Z")
            set_lease(traces, run_id, holder)
            with pytest.raises(RunHeld) as held:
                traces.claim_run(run_id)
            assert str(held.value) == (f"run {run_id} is held by another process, pid {other.pid}, since "
                                       "2025-06-01 12:00:03 UTC: wait for it to end, or stop that process and resume")
            with pytest.raises(RunHeld):  # and a holder that is not this process cannot write answers either
                traces.add_answer(answer(run_id, "p1"))
            assert traces.list(run_id=run_id) == []
        finally:
            other.kill()
    claimed = traces.claim_run(run_id)  # its owner died: the run is taken over
    assert claimed is not None and claimed["status"] == "running" and claimed["owner"].is_me()
    with pytest.raises(RunHeld, match=r"held by this process \(pid "):
        traces.claim_run(run_id)  # one owner, one runner: this process already runs it
    assert traces.claim_run("nope") is None


def test_one_answer_per_prompt_and_endpoint(traces: TraceStore) -> None:
    run_id = traces.create_run(kind="set", name="s")
    failed = answer(run_id, "p1", error="HTTP 500")
    assert traces.add_answer(failed)
    assert traces.outcomes(run_id) == {("p1", "a"): (failed.id, False)}
    retried = answer(run_id, "p1")  # a resume asks a failed pair again: its trace is replaced in place
    assert traces.add_answer(retried) and retried.id == failed.id
    assert traces.add_answer(answer(run_id, "p1", endpoint="b"))
    assert not traces.add_answer(answer(run_id, "p1"))  # answered already: nothing written
    rows = traces.list(run_id=run_id)
    assert sorted((t.prompt_id, t.endpoint, t.error) for t in rows) == [("p1", "a", None), ("p1", "b", None)]
    assert traces.outcomes(run_id)[("p1", "a")] == (failed.id, True)
    with pytest.raises(sqlite3.IntegrityError), traces.write() as db:  # the schema itself refuses a second claim
        db.execute("insert into run_answers (run_id, prompt_id, endpoint, trace_id) values (?, ?, ?, ?)",
                   [run_id, "p1", "a", "other"])
    assert len(traces.list(run_id=run_id)) == 2


# --- imported and compare runs -------------------------------------------------------------------------


def test_imported_demo_run_is_imported_and_counts_its_answers(tmp_path: Path) -> None:
    db = tmp_path / "home" / "modelpick.db"
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(SAMPLE / "traces" / "demo.jsonl")])
    assert result.exit_code == 0, result.output
    [run] = runs_json(db)
    n = sum(1 for line in (SAMPLE / "traces" / "demo.jsonl").read_text().splitlines() if line.strip())
    assert run["kind"] == "import" and run["status"] == "imported" and run["owner"] is None
    assert run["ok"] + run["failed"] == n
    table = CliRunner().invoke(main, ["--db", str(db), "runs"]).stdout
    assert "imported" in table and "running" not in table


def test_compare_session_counts_its_answers(tmp_path: Path) -> None:
    db_path = tmp_path / "home" / "modelpick.db"
    db = open_db(db_path)
    try:
        traces = TraceStore(db)
        run_id = traces.create_run(kind="compare", name="compare now")
        for i, error in enumerate((None, None, None, "cancelled by the user")):  # two rounds, two panes
            traces.add(Trace(run_id=run_id, prompt=f"round {i // 2}", endpoint="ab"[i % 2], output="x",
                             turn=i // 2, error=error, source="compare"))
        [running] = runs_json(db_path)
        assert (running["status"], running["ok"], running["failed"]) == ("running", 3, 1)
        traces.finish_run(run_id)
    finally:
        db.close()
    [closed] = runs_json(db_path)
    assert (closed["status"], closed["ok"], closed["failed"]) == ("done", 3, 1)
    table = CliRunner().invoke(main, ["--db", str(db_path), "runs"]).stdout
    row = next(line for line in table.splitlines() if closed["id"] in line)
    assert " 4 " in row and "done" in row


# --- the migration -------------------------------------------------------------------------------------


def test_migration_brings_leases_and_claims_to_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m006_run_lease")  # a database as the version before leases left it
    old.table("runs").insert_all([
        {"id": "imp", "kind": "import", "status": "running", "created_at": "2025-01-01T00:00:00.000Z"},
        {"id": "set", "kind": "set", "status": "running", "created_at": "2025-01-02T00:00:00.000Z"},
    ])
    rows = [("t1", "p1", "a", "HTTP 500", "2025-01-02T00:00:01.000Z"),  # failed, then answered twice
            ("t2", "p1", "a", None, "2025-01-02T00:00:02.000Z"),
            ("t3", "p1", "a", None, "2025-01-02T00:00:03.000Z"),
            ("t4", "p2", "a", "HTTP 500", "2025-01-02T00:00:04.000Z"),
            ("t5", "p1", "a", None, "2025-01-02T00:00:05.000Z")]
    old.table("traces").insert_all([{"id": i, "run_id": "set", "prompt_id": p, "endpoint": e, "prompt": "q",
                                     "error": err, "created_at": at} for i, p, e, err, at in rows])
    old["traces"].update("t5", {"run_id": "imp"})
    old.close()

    db = open_db(path)  # applies m006 (and any later migration)
    try:
        traces = TraceStore(db)
        assert traces.outcomes("set") == {("p1", "a"): ("t2", True), ("p2", "a"): ("t4", False)}
        assert traces.outcomes("imp") == {}
        assert {r["id"]: r["status"] for r in traces.runs()} == {"imp": "imported", "set": "interrupted"}
    finally:
        db.close()
