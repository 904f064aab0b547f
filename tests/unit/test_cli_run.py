"""`modelpick run` and `modelpick runs` from a shell, against the batching test server: a run to the end with
its summary, bad input answered with one line, Ctrl-C that cancels cleanly and says how to resume, a resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from tests.support.batching_server import BatchingServer
from tests.support.cli import run
from tests.support.files import stored_rows, write_set
from tests.support.waits import wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli" / "modelpick.db"


@pytest.fixture
def server() -> Iterator[BatchingServer]:
    with BatchingServer(step_s=0.005, tokens=5, models=("m",)) as srv:
        yield srv


def stored_traces(db: Path) -> int:
    return stored_rows(db, "traces")


def runs_json(db: Path) -> list[dict]:
    result = run(db, "runs", "--json")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_run_to_the_end_with_a_summary(tmp_path: Path, db: Path, server: BatchingServer) -> None:
    prompts = write_set(tmp_path / "colours.jsonl", 6)
    added = run(db, "endpoint", "add", "team", server.url, "m")
    assert added.exit_code == 0, added.output
    result = run(db, "run", str(prompts), "-e", "team", "-e", server.url, "--model", "m", "--concurrency", "4",
                 "--max-tokens", "3", "--temperature", "0", "--name", "first")
    assert result.exit_code == 0, result.output
    host = server.url.removeprefix("http://")
    out = result.stdout
    assert "team" in out and host in out and "TTFT p50" in out
    assert "12/12 answered, 0 failed" in out
    assert "12/12 done · 0 failed" in result.stderr  # plain progress lines without a terminal
    [listed] = runs_json(db)
    assert listed["name"] == "first" and listed["set"] == "colours" and listed["status"] == "done"
    assert listed["endpoints"] == ["team", host] and (listed["total"], listed["ok"], listed["failed"]) == (12, 12, 0)
    assert listed["params"]["max_tokens"] == 3 and listed["params"]["temperature"] == 0
    table = run(db, "runs")
    assert "first" in table.stdout and "12/12" in table.stdout and "done" in table.stdout
    database = open_db(db)
    try:
        rows = list(database.query("select endpoint, tokens_out, error from traces"))
    finally:
        database.close()
    assert len(rows) == 12 and all(r["tokens_out"] == 3 and r["error"] is None for r in rows)


def test_failures_are_counted_and_resume_is_offered(tmp_path: Path, db: Path) -> None:
    from modelpick_tui.serving.procs import free_port

    prompts = write_set(tmp_path / "colours.jsonl", 2)
    url = f"http://127.0.0.1:{free_port()}"
    result = run(db, "run", str(prompts), "-e", url, "--model", "m")
    assert result.exit_code == 1, result.output  # every request failed (it exited 0 before)
    assert "0/2 answered" not in result.stdout and "2/2 answered, 2 failed" in result.stdout
    assert "2 failed: cannot connect to" in result.stderr
    run_id = runs_json(db)[0]["id"]
    assert f"modelpick run --resume {run_id}" in result.stderr
    still = run(db, "run", "--resume", run_id)
    assert still.exit_code == 1 and "2/2 answered, 2 failed" in still.stdout


def test_exit_status_says_whether_all_some_or_none_were_answered(tmp_path: Path, db: Path,
                                                                 server: BatchingServer) -> None:
    from modelpick_tui.serving.procs import free_port

    prompts = write_set(tmp_path / "colours.jsonl", 3)
    dead = f"http://127.0.0.1:{free_port()}"
    some = run(db, "run", str(prompts), "-e", server.url, "-e", dead, "--model", "m")
    assert some.exit_code == 3, some.output
    assert "6/6 answered, 3 failed" in some.stdout and "3 failed: cannot connect to" in some.stderr
    none = run(db, "run", str(prompts), "-e", dead, "--model", "m")
    assert none.exit_code == 1 and "3/3 answered, 3 failed" in none.stdout
    every = run(db, "run", str(prompts), "-e", server.url, "--model", "m")
    assert every.exit_code == 0 and "3/3 answered, 0 failed" in every.stdout
    assert sorted(r["failed"] for r in runs_json(db)) == [0, 3, 3]  # every run and its failures stored
    helped = run(db, "run", "--help")
    assert "Exit status:" in helped.stdout and "3    some requests failed" in helped.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("run", "{set}", "-e", "nosuch"), "error: no server or endpoint named 'nosuch'"),
    (("run", "{set}", "-e", "http://127.0.0.1:9/v1"), "give the model name too (--model NAME)"),
    (("run", "{set}"), "give at least one --endpoint NAME_OR_URL"),
    (("run",), "give a prompt set file (JSONL or CSV), or --resume RUN_ID"),
    (("run", "--resume", "nope"), "error: no run 'nope' (see `modelpick runs`)"),
    (("run", "{bad}", "-e", "x"), "2 bad row(s) (line 2: not valid JSON"),
    (("run", "{dir}", "-e", "x"), "unknown prompt set format '(none)'"),
])
def test_bad_input_is_one_line(tmp_path: Path, db: Path, args: tuple[str, ...], message: str) -> None:
    good = write_set(tmp_path / "colours.jsonl", 2)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{nope\n{"prompt": ""}\n')
    values = {"set": str(good), "bad": str(bad), "dir": str(tmp_path)}
    result = run(db, *(a.format(**values) for a in args))
    assert result.exit_code != 0
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_rows_skipped_on_request(tmp_path: Path, db: Path, server: BatchingServer) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "one"}\n{nope\n{"prompt": "two"}\n')
    result = run(db, "run", str(bad), "-e", server.url, "--model", "m", "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "2/2 answered, 0 failed" in result.stdout


def test_ctrl_c_cancels_and_resume_finishes(tmp_path: Path, db: Path) -> None:
    prompts = write_set(tmp_path / "colours.jsonl", 6)
    with BatchingServer(step_s=0.01, tokens=5, models=("m",)) as server:
        server.hold(after=1)  # one answer, then the others wait mid-answer: Ctrl-C always lands mid-run
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelpick_tui", "--db", str(db), "run", str(prompts), "-e", server.url,
             "--model", "m", "--concurrency", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        try:
            wait_until(lambda: stored_traces(db) == 1 or proc.poll() is not None, "the first answer stored")
            assert proc.poll() is None, proc.communicate()
            wait_until(lambda: server.active == 2, "the two answers held in flight")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 130, (out, err)
        assert "Traceback" not in err
        [listed] = runs_json(db)
        run_id = listed["id"]
        assert listed["status"] == "cancelled" and listed["ok"] == 1
        assert f"cancelled run {run_id} after " in err
        assert f"resume it with: modelpick run --resume {run_id}" in err
        # The cancelled streams were closed: the server notices at its next step and stops generating.
        wait_until(lambda: server.active == 0, "the server to see the streams closed", 10)
        assert server.disconnects == 2
        answered, asked_before = listed["ok"], server.requests
        server.release()

        result = run(db, "run", "--resume", run_id)
        assert result.exit_code == 0, result.output
        assert f"6/6 answered ({answered} answered before), 0 failed" in result.stdout
        [after] = runs_json(db)
        assert after["status"] == "done" and after["ok"] == 6
        assert server.requests - asked_before == 6 - answered  # nothing answered was asked again
