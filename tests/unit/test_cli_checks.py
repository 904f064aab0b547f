"""`modelpick run` grades every answer by its prompt's checks as it is stored; `modelpick checks` grades again
(after the set's checks change) and shows the checks' agreement with the human labels. Against the batching
test server, whose answers are " t0 t1 … t{n-1}"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.stores.checks import CheckStore
from modelpick_tui.evals.stores.labels import ReviewStore
from tests.support.batching_server import BatchingServer
from tests.support.cli import run


@pytest.fixture
def server() -> Iterator[BatchingServer]:
    with BatchingServer(step_s=0.002, tokens=5, models=("m",)) as srv:
        yield srv


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_run_grades_each_answer_then_checks_regrades_and_agrees(tmp_path: Path, server: BatchingServer) -> None:
    db = tmp_path / "modelpick.db"
    rows = [{"default_checks": [{"type": "max_chars", "value": 100}]},
            {"id": "a", "prompt": "count", "checks": [{"type": "contains", "value": "t4"}]},
            {"id": "b", "prompt": "count more", "checks": [{"type": "regex", "value": r"t9\b"}]},
            {"id": "c", "prompt": "no own checks"}]
    path = write(tmp_path / "set.jsonl", rows)
    done = run(db, "run", str(path), "-e", server.url, "--model", "m", "--max-tokens", "5")
    assert done.exit_code == 0, done.output
    run_id = json.loads(run(db, "runs", "--json").output.splitlines()[0])["id"]

    database = open_db(db)
    try:
        stored = CheckStore(database)
        by_prompt = {t: r for t, r in stored.results(run_id=run_id).items()}
        assert len(by_prompt) == 3  # graded as the run stored them, before `modelpick checks` ran
        reasons = sorted((r.check.type, r.passed, r.reason) for rs in by_prompt.values() for r in rs)
        assert reasons == [("contains", True, "found at character 13"),
                           ("max_chars", True, "15 characters ≤ 100"), ("max_chars", True, "15 characters ≤ 100"),
                           ("max_chars", True, "15 characters ≤ 100"), ("regex", False, r"no match for /t9\b/")]
        review = ReviewStore(database)
        ids = {t.prompt_id: t.id for t in review.queue()}
        review.label(ids["a"], "pass")
        review.label(ids["b"], "pass")  # the human says the check is wrong here
        review.label(ids["c"], "fail")
    finally:
        database.close()

    out = json.loads(run(db, "checks", "--run", run_id, "--json").output)
    assert (out["graded"], out["pass"], out["fail"]) == (3, 2, 1)
    assert out["failing_checks"] == {r'regex "t9\\b"': 1}
    agreement = out["agreement"]
    assert agreement["n"] == 3 and agreement["confusion"] == {"pass/pass": 1, "pass/fail": 1, "fail/pass": 1,
                                                              "fail/fail": 0}
    assert sorted((d["human"], d["checks"]) for d in agreement["disagreements"]) == [("fail", "pass"),
                                                                                      ("pass", "fail")]
    b = next(t for t in out["traces"] if t["prompt_id"] == "b")
    assert b["verdict"] == "fail" and b["checks"][1] == {"type": "regex", "value": r"t9\b", "passed": False,
                                                         "reason": r"no match for /t9\b/"}

    # the set's checks change in the file: --set reads them again, the traces are graded anew
    rows[2]["checks"] = [{"type": "regex", "value": r"t4\b"}]
    write(path, rows)
    text = run(db, "checks", "--run", run_id, "--set", str(path))
    assert text.exit_code == 0
    assert "graded 3 traces: 3 pass their checks, 0 fail" in text.output
    assert "checks agree with the humans on 67% of 3 traces" in text.output
    assert "disagree" in text.output and "human fail, checks pass" in text.output


@pytest.mark.parametrize(("args", "line"), [
    (["checks", "--run", "nope"], "error: no run 'nope'"),
    (["checks", "--set", "missing.jsonl"], "missing.jsonl: no such file"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    result = run(tmp_path / "m.db", *args)
    assert result.exit_code == 1 and line in result.output and len(result.output.strip().splitlines()) == 1


def test_a_run_with_a_bad_check_stops_before_sending(tmp_path: Path, server: BatchingServer) -> None:
    path = write(tmp_path / "bad.jsonl", [{"id": "a", "prompt": "x", "checks": [{"type": "similar"}]},
                                          {"id": "b", "prompt": "y"}])
    result = run(tmp_path / "m.db", "run", str(path), "-e", server.url, "--model", "m")
    assert result.exit_code == 1 and "line 1: checks[1]: unknown check type 'similar'" in result.output
    assert server.requests == 0
