"""`modelpick load` from a shell against the simulated batching server (tests/support/batching_server.py), whose
capacity at a TPOT bound is known: each decode step lasts step_s + per_request_s × the requests in flight, and
gives each of them one token, so at c concurrent users TPOT ≈ step_s + per_request_s × c. With step 10 ms and
20 ms per request, TPOT is 30, 50, 90 ms at 1, 2, 4 users and 110 ms at 5: at tpot=100ms the capacity is 4.

Also: an unreachable endpoint while another goes on, a malformed SLO, a server that dies mid-test (a real
process, killed), Ctrl-C mid-level (SIGINT to the process, after its first level is stored) and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.stores.load import LoadStore
from modelpick_tui.serving.client import ChatClient, ChatRequest, Timeouts
from modelpick_tui.serving.engine import ProcessEngine
from modelpick_tui.serving.events import Done
from tests.support.batching_server import BatchingServer
from tests.support.cli import run
from tests.support.files import stored_rows
from tests.support.ports import free_port
from tests.support.waits import wait_until

REPO = Path(__file__).resolve().parents[2]
STEP_S, PER_REQUEST_S = 0.01, 0.02
ANALYTIC_CAPACITY = 4  # the most users with STEP_S + PER_REQUEST_S × users ≤ 100 ms
FAST = ("--duration", "1.5", "--max-tokens", "8", "--target", "0.5")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "load" / "modelpick.db"


def stored_levels(db: Path) -> int:
    return stored_rows(db, "load_levels")


def batching_process(port: str = "0") -> subprocess.Popen[str]:
    """The batching server in a process of its own (killed, its connections close), its URL on its stdout."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.batching_server", "0.005", "0.0005", port],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPO, start_new_session=True)


def load_cli(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "modelpick_tui", "--db", str(db), "load", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def stopped(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_the_search_finds_the_batching_servers_capacity_within_one_level(db: Path) -> None:
    with BatchingServer(step_s=STEP_S, per_request_s=PER_REQUEST_S) as server:
        result = run(db, "load", server.url, "--model", "batch", "--slo", "tpot=100ms", "--max-concurrency", "16",
                     "--json", *FAST)
    assert result.exit_code == 0, result.output
    [out] = [json.loads(line) for line in result.stdout.splitlines()]
    assert abs(out["capacity_concurrency"] - ANALYTIC_CAPACITY) <= 1, out
    assert out["status"] == "done" and out["slo"] == "tpot=100ms" and out["token_count_source"] == "usage"
    assert out["model"] == "batch" and out["hardware"] is None  # a URL's hardware is not this machine's
    levels = {lv["concurrency"]: lv for lv in out["levels"]}
    assert [1, 2, 4, 8] == sorted(levels)[:3] + [8] and 8 in levels  # doubled, then bisected below 8
    capacity = levels[out["capacity_concurrency"]]
    assert out["capacity_rps"] == capacity["rps"] > 0 and capacity["verdict"] == "pass"
    assert capacity["ci_low"] >= 0.5 and levels[8]["verdict"] == "fail"
    # TPOT and ITL are the server's step at that concurrency (a lower bound: its threads add to the sleep)
    for c, lv in levels.items():
        assert lv["tpot_p50"] >= (STEP_S + PER_REQUEST_S * c) * 1000 * 0.9, (c, lv)
        assert lv["itl_p50"] >= (STEP_S + PER_REQUEST_S * c) * 1000 * 0.9, (c, lv)
        assert lv["output_tps"] > 0 and lv["total_tps"] > lv["output_tps"]
    assert out["sentence"].startswith(f"serves {out['capacity_concurrency']} concurrent users (≈ ")
    assert "with ≥ 10 tokens/s each for 100% of requests (95% CI" in out["sentence"]
    stored = LoadStore(open_db(db)).latest_capacity("batch", "tpot=100ms")
    assert stored is not None and stored.id == out["id"] and len(stored.levels) == len(levels)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_an_unreachable_endpoint_is_one_line_and_the_others_go_on(db: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with BatchingServer(step_s=0.005) as server:
        url = server.url
        result = run(db, "load", dead, url, "--model", "m", "--slo", "e2e=10s", "--max-concurrency", "2", *FAST)
    assert result.exit_code == 1, result.output
    [line] = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {dead}/v1: cannot connect to {dead}/v1: connection refused"), line
    assert "serves 2 concurrent users" in result.stdout  # the other endpoint's test ran to its end
    assert [t.endpoint for t in LoadStore(open_db(db)).results()] == [f"{url}/v1"]


@pytest.mark.parametrize(("args", "says"), [
    (("--slo", "ttft=fast"), "error: --slo: cannot read SLO part 'ttft=fast': expected bounds like"),
    (("--slo", "ttft=1s,latency=2s"), "error: --slo: unknown SLO bound 'latency'"),
    ((), "error: give at least one endpoint"),
    (("--resume", "nope"), "error: no load test 'nope'"),
])
def test_bad_input_is_one_line(db: Path, args: tuple[str, ...], says: str) -> None:
    target = ("http://127.0.0.1:9", "--model", "m") if args and args[0] == "--slo" else ()
    result = run(db, "load", *target, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(says) and len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_server_that_dies_fails_its_level_with_the_cause_and_keeps_the_others(db: Path) -> None:
    server = batching_process()
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        proc = load_cli(db, url, "--model", "m", "--slo", "e2e=10s", "--duration", "3", "--max-tokens", "16",
                        "--target", "0.5", "--max-concurrency", "2")
        try:
            wait_until(lambda: stored_levels(db) >= 1 or proc.poll() is not None, "the first level stored")
            server.kill()  # mid-level 2: its streams are cut, its port closed
            server.wait()
        finally:
            out, err = stopped(proc)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {url}/v1: ") and "(and the server does not answer: cannot connect to" in line
    [test] = LoadStore(open_db(db)).results()
    levels = LoadStore(open_db(db)).levels(test.id)
    assert test.status == "failed" and test.capacity_concurrency is None and test.error and test.error in line
    assert test.reason is not None and test.reason.startswith("the server failed at 2 concurrent users; 1 ")
    assert [(lv.concurrency, lv.verdict) for lv in levels] == [(1, "pass"), (2, "error")]
    # The server back on its port: --resume measures the failed level again and goes on to the end.
    server = batching_process(url.rsplit(":", 1)[1])
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == url  # listening again (it prints its URL once bound)
        result = run(db, "load", "--resume", test.id, "--json")
    finally:
        server.kill()
        server.wait()
    assert result.exit_code == 0, result.output
    [out] = [json.loads(line) for line in result.stdout.splitlines()]
    assert out["status"] == "done" and out["error"] is None
    assert [(lv["concurrency"], lv["verdict"]) for lv in out["levels"]] == [(1, "pass"), (2, "pass")]


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_ctrl_c_keeps_the_finished_levels_and_resume_goes_on(db: Path) -> None:
    with BatchingServer(step_s=0.005) as server:
        proc = load_cli(db, server.url, "--model", "m", "--slo", "e2e=10s", "--max-concurrency", "4", *FAST)
        try:
            wait_until(lambda: stored_levels(db) >= 1 or proc.poll() is not None, "the first level stored")
            server.hold()  # level 2's answers wait mid-answer: the signal lands mid-level
            wait_until(lambda: server.active == 2 or proc.poll() is not None, "level 2 in flight")
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signal.SIGINT)
        finally:
            out, err = stopped(proc, 30)
        assert proc.returncode == 130, (out, err)
        assert "Traceback" not in err
        store = LoadStore(open_db(db))
        [test] = store.results()
        assert test.status == "interrupted"
        [level_1] = store.levels(test.id)
        assert level_1.concurrency == 1 and level_1.verdict == "pass"
        assert (f"interrupted load test {test.id} of {server.url}/v1 after 1 finished level(s), kept; go on with: "
                f"modelpick load --resume {test.id}") in err
        wait_until(lambda: server.active == 0, "the server to see the streams closed", 10)
        server.release()

        result = run(db, "load", "--resume", test.id, "--json")
        assert result.exit_code == 0, result.output
        [out_json] = [json.loads(line) for line in result.stdout.splitlines()]
        assert out_json["id"] == test.id and out_json["status"] == "done" and out_json["capacity_concurrency"] == 4
        assert [lv["concurrency"] for lv in out_json["levels"]] == [1, 2, 4]
        kept = LoadStore(open_db(db)).levels(test.id)[0]
        assert kept == level_1  # level 1 was not measured again


@pytest.mark.integration
@pytest.mark.timeout(120)
async def test_the_closed_loop_runs_in_a_reader_process_started_for_it() -> None:
    engine = ProcessEngine()  # not started: the load job is what starts it
    try:
        with BatchingServer(step_s=0.005, tokens=5) as server:
            async with ChatClient(Timeouts(connect=5, read=30, deadline=60), engine=engine) as client:
                asks = [ChatRequest.from_prompt("m", f"question {i}") for i in range(2)]
                got = [r async for r in client.load(server.url, asks, users=2, duration_s=60, max_requests=5)]
            assert server.requests == 5 and server.max_active == 2
        assert len(got) == 5 and all(isinstance(result, Done) for _, result in got)
        for asked, result in got:
            m = result.metrics
            assert m.tokens_from == "usage" and m.output_tokens == 5 and m.gaps_ms is not None and len(m.gaps_ms) == 4
            assert m.ttft_ms is not None and m.queue_ms is not None and asked > 0
    finally:
        engine.close()


@pytest.mark.integration
@pytest.mark.timeout(120)
async def test_each_user_keeps_one_connection_and_every_answer_comes_back_with_its_figures() -> None:
    from tests.support.oai_servers import PROMPT_TOKENS, TOKENS, OAIServer

    with OAIServer() as server:
        async with ChatClient(Timeouts(connect=5, read=30, deadline=60)) as client:
            asks = [ChatRequest.from_prompt("vllm", f"question {i}") for i in range(4)]
            got = [r async for r in client.load(server.url, asks, users=3, duration_s=60, max_requests=12)]
        # A connection per user, kept from one of its requests to the next (not one per request, nor one shared
        # pool that hands any connection to any user).
        assert len(server.requests) == 12 and len({r.client_port for r in server.requests}) == 3
        assert sorted(r.body["messages"][-1]["content"] for r in server.requests) == sorted(
            f"question {i % 4}" for i in range(12))
    # The answers come back in batches (reader.LOAD_BATCH_S), each with its own times and the server's counts.
    assert len(got) == 12 and all(isinstance(result, Done) for _, result in got)
    pieces = len(TOKENS) + 1  # the vllm behaviour sends an empty piece too, counted by its usage
    for asked, result in got:
        m = result.metrics
        assert (m.tokens_from, m.output_tokens, m.prompt_tokens) == ("usage", pieces, PROMPT_TOKENS)
        assert m.gaps_ms is not None and len(m.gaps_ms) == len(TOKENS) - 1  # the empty piece is no content
        assert m.queue_ms is not None and m.ttft_ms is not None and m.latency_ms is not None
        assert asked > 0 and 0 <= m.ttft_ms <= m.latency_ms
