"""One owner per run, across processes: `modelpick run` killed with SIGKILL shows as interrupted; two
`modelpick run --resume` of it started at once → one takes the run, the other refuses with one line naming the
holder; the run ends with exactly one answer per prompt × endpoint. Against the batching test server, whose
decode steps the test holds and releases to keep a run in flight while it looks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from modelpick_tui.cli import main
from modelpick_tui.db import open_db
from tests.support.batching_server import BatchingServer
from tests.support.files import write_set
from tests.support.waits import wait_until

REPO = Path(__file__).resolve().parents[2]
N_PROMPTS = 30
LIMIT_S = 60.0


@pytest.fixture
def server() -> Iterator[BatchingServer]:
    with BatchingServer(step_s=0.01, tokens=5, models=("m",)) as srv:
        yield srv


def runs_json(db: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["--db", str(db), "runs", "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def modelpick(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "modelpick_tui", "--db", str(db), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def stored(db: Path, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    database = open_db(db)
    try:
        return [dict(r) for r in database.query(sql, args)]
    finally:
        database.close()


def test_killed_run_is_interrupted_and_two_resumes_answer_each_pair_once(tmp_path: Path,
                                                                          server: BatchingServer) -> None:
    db = tmp_path / "home" / "modelpick.db"
    prompts = write_set(tmp_path / "colours.jsonl", N_PROMPTS)
    open_db(db).close()  # created and migrated here: the processes below only open it
    procs: list[subprocess.Popen[str]] = []
    try:
        # Three answers stored, the server holding the rest mid-answer; then the owner dies without a word.
        server.hold(after=3)
        first = modelpick(db, "run", str(prompts), "-e", server.url, "--model", "m", "--concurrency", "4")
        procs.append(first)
        wait_until(lambda: stored(db, "select count(*) as n from traces")[0]["n"] >= 3,
                   "the first answers", LIMIT_S)
        [running] = runs_json(db)
        assert running["status"] == "running" and running["owner"]["pid"] == first.pid
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        run_id = running["id"]
        [listed] = runs_json(db)
        assert listed["status"] == "interrupted" and listed["owner"] is None
        answered_before = listed["ok"]
        assert answered_before == 3
        table = CliRunner().invoke(main, ["--db", str(db), "runs"])
        assert "interrupted" in table.stdout

        # Two resumes at once: one claims the run (its requests wait on the held server), the other refuses.
        asked = server.requests
        resumes = [modelpick(db, "run", "--resume", run_id), modelpick(db, "run", "--resume", run_id)]
        procs += resumes
        loser = wait_until(lambda: next((p for p in resumes if p.poll() is not None), None), "one resume to refuse")
        winner = next(p for p in resumes if p is not loser)
        out, err = loser.communicate(timeout=30)
        assert loser.returncode == 1, (out, err)
        assert err.strip().splitlines() == [err.strip()], err  # one line
        assert f"run {run_id} is held by another process, pid {winner.pid}, since " in err, err
        assert "Traceback" not in err
        assert winner.poll() is None
        [held] = runs_json(db)
        assert held["status"] == "running" and held["owner"]["pid"] == winner.pid
        wait_until(lambda: server.requests > asked, "the winner's first request")

        server.release()
        out, err = winner.communicate(timeout=LIMIT_S)
        assert winner.returncode == 0, (out, err)
        assert f"{N_PROMPTS}/{N_PROMPTS} answered ({answered_before} answered before), 0 failed" in out
    finally:
        server.release()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    [after] = runs_json(db)
    assert (after["status"], after["ok"], after["failed"], after["owner"]) == ("done", N_PROMPTS, 0, None)
    traces = stored(db, "select prompt_id, endpoint, error from traces where run_id = ?", (run_id,))
    assert len(traces) == N_PROMPTS  # no pair answered twice
    assert len({(t["prompt_id"], t["endpoint"]) for t in traces}) == N_PROMPTS
    assert all(t["error"] is None for t in traces)
    assert stored(db, "select count(*) as n from run_answers where run_id = ?", (run_id,))[0]["n"] == N_PROMPTS
    assert stored(db, "pragma integrity_check")[0]["integrity_check"] == "ok"
