"""Prompt-set runs (evals/runner.py): against the real llama.cpp server on the Gemma 3 270M GGUF, against
misbehaving OpenAI-compatible servers (tests/support/oai_servers.py) and against a batching server that counts the
requests in flight (tests/support/batching_server.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.db import Database, open_db
from modelpick_tui.evals.promptsets import content_id, load_prompt_set
from modelpick_tui.evals.runner import Runner, summarize
from modelpick_tui.evals.stores.prompt_sets import PromptSetStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import RunError, RunParams, RunProgress
from modelpick_tui.serving.client import Timeouts
from modelpick_tui.serving.endpoints import Endpoint, from_server
from modelpick_tui.serving.params import SamplingParams
from tests.support.batching_server import BatchingServer
from tests.support.files import write_set
from tests.support.oai_servers import OAIServer

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_db(None)
    yield database
    database.close()


@pytest.fixture
def traces(db: Database) -> TraceStore:
    return TraceStore(db)


@pytest.fixture
def sets(db: Database, traces: TraceStore) -> PromptSetStore:
    return PromptSetStore(db)


def ep(server_url: str, name: str, model: str | None = None, key: str | None = None) -> Endpoint:
    return Endpoint(name=name, base_url=server_url + "/v1", model=model or name, api_key=key, model_ref=model or name)


# --- the prompt set in the database --------------------------------------------------------------------


def test_prompt_set_stored_by_content(tmp_path: Path, sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 4))
    set_id = sets.save(ps)
    assert set_id == content_id(ps) and set_id.startswith("ps-")
    again = load_prompt_set(write_set(tmp_path / "other-name.jsonl", 4))
    assert sets.save(again) == set_id  # same prompts, same id, one row
    assert [r["n_prompts"] for r in sets.list()] == [4]
    stored = sets.get(set_id)
    assert stored is not None
    assert [(p.id, p.prompt, p.system, p.reference, p.tags) for p in stored.prompts] == \
        [(p.id, p.prompt, p.system, p.reference, p.tags) for p in ps.prompts]
    assert sets.get("ps-nope") is None
    different = load_prompt_set(write_set(tmp_path / "five.jsonl", 5))
    assert content_id(different) != set_id


# --- the real llama.cpp server -------------------------------------------------------------------------


@pytest.mark.llama
async def test_gemma_run_cancel_and_resume(tmp_path: Path, gemma_gguf: Path, traces: TraceStore,
                                           sets: PromptSetStore) -> None:
    from modelpick_tui.serving.spec import ServerSpec
    from modelpick_tui.serving.supervisor import READY, Supervisor

    sup_db = open_db(tmp_path / "home" / "supervisor.db")
    supervisor = Supervisor(tmp_path / "home", sup_db, guard_grace=2.0)
    try:
        spec = ServerSpec(name="gemma", backend="llama", model=str(gemma_gguf), ctx=2048, chat_format="gemma")
        server = await asyncio.to_thread(supervisor.start_and_wait, spec, timeout=90)
        assert server.status == READY, server.error
        a = from_server(server)
        b = Endpoint(**{**a.__dict__, "name": "gemma-b"})  # the same server under a second name
        ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 10))
        runner = Runner(traces, sets, concurrency=2, per_endpoint=1, timeouts=Timeouts(read=60, deadline=120))
        params = RunParams(sampling=SamplingParams(temperature=0.0, top_p=0.9, max_tokens=8, seed=1))
        seen: list[RunProgress] = []

        def progress(p: RunProgress) -> None:
            seen.append(p)
            if p.done >= 6 and p.skipped == 0:  # the first run only, not the resume
                runner.cancel()

        first = await runner.run(ps, [a, b], params, name="gemma-colours", on_progress=progress)
        assert first.status == "cancelled"
        run = traces.get_run(first.run_id)
        assert run is not None and run["status"] == "cancelled" and run["finished_at"]
        before = {t.id: t for t in traces.list(run_id=first.run_id)}
        assert 6 <= len(before) < 20 and first.ok + first.failed == len(before)
        assert seen[0].done == 0 and seen[0].total == 20
        assert any(p.eta_s is not None and p.eta_s > 0 for p in seen)

        resumed = await runner.resume(first.run_id, [a, b])
        assert resumed.status == "done", resumed
        assert resumed.skipped == sum(1 for t in before.values() if t.ok)
        after = traces.list(run_id=first.run_id)
        assert len(after) == 20
        assert len({(t.prompt_id, t.endpoint) for t in after}) == 20
        by_id = {t.id: t for t in after}
        for trace_id, old in before.items():  # nothing finished was redone
            assert by_id[trace_id].created_at == old.created_at and by_id[trace_id].output == old.output
        assert traces.get_run(first.run_id)["status"] == "done"  # type: ignore[index]

        for t in after:
            assert t.ok, t.error
            assert t.endpoint in ("gemma", "gemma-b") and t.model == "gemma"
            assert t.model_ref == str(gemma_gguf)
            assert t.prompt_set_id == content_id(ps) and t.prompt_id and t.prompt.startswith("What colour is")
            assert t.system == "Answer in one short sentence." and t.reference == "a colour"
            assert t.messages[0] == {"role": "system", "content": "Answer in one short sentence."}
            assert t.params == {"temperature": 0.0, "top_p": 0.9, "max_tokens": 8, "seed": 1}
            assert t.finish_reason in ("stop", "length")
            assert t.tokens_out is not None and 0 < t.tokens_out <= 8
            assert t.ttft_ms is not None and t.ttft_ms > 0
            assert t.latency_ms is not None and t.latency_ms >= t.ttft_ms
            assert ISO.match(t.created_at) and t.source == "run"
        assert sum(1 for t in after if t.output.strip()) >= 18
        rows = {r["id"]: r for r in traces.run_stats()}
        assert rows[first.run_id]["n_ok"] == 20 and rows[first.run_id]["total"] == 20
        assert rows[first.run_id]["set_name"] == "colours"
        summary = summarize(after)
        assert [(s.endpoint, s.ok, s.failed) for s in summary] == [("gemma", 10, 0), ("gemma-b", 10, 0)]
        assert all(s.ttft_p50_ms and s.ttft_p95_ms and s.ttft_p95_ms >= s.ttft_p50_ms for s in summary)
    finally:
        await asyncio.to_thread(supervisor.close)
        sup_db.close()


# --- misbehaving servers ---------------------------------------------------------------------------------


async def test_only_the_misbehaving_endpoints_fail(tmp_path: Path, traces: TraceStore, sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 3))
    with OAIServer(api_key="k") as server:
        behaviours = ["llama", "die:3", "http:500", "malformed", "stall:2"]
        endpoints = [ep(server.url, m, key="k") for m in behaviours]
        runner = Runner(traces, sets, concurrency=8, per_endpoint=3,
                        timeouts=Timeouts(connect=2.0, read=0.5, deadline=20.0))
        params = RunParams(sampling=SamplingParams(max_tokens=14))
        result = await asyncio.wait_for(runner.run(ps, endpoints, params), 30)
        assert result.status == "done" and result.ok == 3 and result.failed == 12
        got = {(t.endpoint, t.prompt_id): t for t in traces.list(run_id=result.run_id)}
        assert len(got) == 15
        for p in ("p00", "p01", "p02"):
            assert got["llama", p].ok
            assert got["llama", p].output == "Red, orange, yellow, green, blue, indigo and violet."
            assert got["die:3", p].error == "stream ended before completion (3 tokens received)"
            assert got["die:3", p].output == "Red, orange"  # what came before the failure is kept
            assert got["http:500", p].error == "HTTP 500 Internal Server Error"
            assert (got["malformed", p].error or "").startswith("malformed stream: data is not JSON")
            assert got["stall:2", p].error == "no data for 0.5 s"
            assert got["stall:2", p].output == "Red,"

        # Resume asks only the failed pairs again, replacing their rows; here "die:3" now answers.
        fixed = [e if e.name != "die:3" else Endpoint(**{**e.__dict__, "model": "llama"}) for e in endpoints]
        again = await asyncio.wait_for(runner.resume(result.run_id, fixed), 30)
        assert again.skipped == 3 and again.ok == 6 and again.failed == 9
        after = {(t.endpoint, t.prompt_id): t for t in traces.list(run_id=result.run_id)}
        assert len(after) == 15
        assert all(after[k].id == got[k].id for k in got)  # the same rows, replaced
        assert after["die:3", "p00"].ok and after["die:3", "p00"].model == "llama"
        assert after["llama", "p00"].created_at == got["llama", "p00"].created_at
        asked = [r.body["messages"][-1]["content"] for r in server.requests
                 if r.method == "POST" and r.body and r.body["model"] == "llama"]
        assert len(asked) == 3 + 3  # llama's answers were not asked again; die:3's three were (as llama)


async def test_unreachable_endpoint_fails_its_traces(tmp_path: Path, traces: TraceStore,
                                                     sets: PromptSetStore) -> None:
    from modelpick_tui.serving.procs import free_port

    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 2))
    gone = ep(f"http://127.0.0.1:{free_port()}", "gone")
    result = await asyncio.wait_for(Runner(traces, sets, timeouts=Timeouts(connect=2, read=2)).run(ps, [gone]), 30)
    errors = {t.error for t in traces.list(run_id=result.run_id)}
    assert result.failed == 2 and len(errors) == 1
    assert "connection refused (is the server running?)" in errors.pop()  # type: ignore[operator]


# --- concurrency, cancellation ----------------------------------------------------------------------------


async def test_concurrency_bounds_respected(tmp_path: Path, traces: TraceStore, sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 10))
    with BatchingServer(step_s=0.02, tokens=6, models=("a", "b")) as server:
        endpoints = [ep(server.url, "a"), ep(server.url, "b")]
        result = await asyncio.wait_for(
            Runner(traces, sets, concurrency=3, per_endpoint=2).run(ps, endpoints), 60)
        assert result.ok == 20
        assert server.max_active == 3  # the overall bound, reached
        assert server.max_active_by_model["a"] <= 2 and server.max_active_by_model["b"] <= 2
        t = traces.list(run_id=result.run_id)[0]
        assert t.tokens_in is not None and t.tokens_in > 0 and t.tokens_out == 6  # from usage

    with BatchingServer(step_s=0.02, tokens=4, models=("a", "b")) as server:
        endpoints = [ep(server.url, "a"), ep(server.url, "b")]
        result = await asyncio.wait_for(
            Runner(traces, sets, concurrency=8, per_endpoint=1).run(ps, endpoints), 60)
        assert result.ok == 20
        assert server.max_active_by_model == {"a": 1, "b": 1} and server.max_active == 2

    # Two names for one llama.cpp server: one request at a time to it (it cuts a stream short otherwise).
    with BatchingServer(step_s=0.01, tokens=3, models=("a", "b")) as server:
        endpoints = [Endpoint(**{**ep(server.url, n).__dict__, "backend": "llama"}) for n in ("a", "b")]
        result = await asyncio.wait_for(
            Runner(traces, sets, concurrency=8, per_endpoint=4).run(ps, endpoints), 60)
        assert result.ok == 20 and server.max_active == 1


async def test_cancel_closes_streams_and_marks_the_run(tmp_path: Path, traces: TraceStore,
                                                       sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 6))
    with BatchingServer(step_s=0.05, tokens=10_000) as server:
        runner = Runner(traces, sets, concurrency=2, per_endpoint=2)
        task = asyncio.create_task(runner.run(ps, [ep(server.url, "batch")], name="endless"))
        for _ in range(200):
            if server.active == 2:
                break
            await asyncio.sleep(0.05)
        assert server.active == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        run = traces.runs()[0]
        assert run["name"] == "endless" and run["status"] == "cancelled"
        assert traces.list(run_id=run["id"]) == []  # nothing had finished: nothing written
        for _ in range(100):  # the server notices the closed connections at its next token
            if server.active == 0:
                break
            await asyncio.sleep(0.05)
        assert server.active == 0 and server.disconnects == 2


async def test_cancel_from_another_thread(tmp_path: Path, traces: TraceStore, sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 4))
    with BatchingServer(step_s=0.05, tokens=10_000) as server:
        runner = Runner(traces, sets, concurrency=4, per_endpoint=4)
        task = asyncio.create_task(runner.run(ps, [ep(server.url, "batch")]))
        for _ in range(200):
            if server.active == 4:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(runner.cancel)
        result = await asyncio.wait_for(task, 10)
        assert result.status == "cancelled" and result.ok == 0
        assert traces.get_run(result.run_id)["status"] == "cancelled"  # type: ignore[index]


async def test_run_errors(tmp_path: Path, traces: TraceStore, sets: PromptSetStore) -> None:
    ps = load_prompt_set(write_set(tmp_path / "colours.jsonl", 1))
    runner = Runner(traces, sets)
    with pytest.raises(RunError, match="no endpoints"):
        await runner.run(ps, [])
    with pytest.raises(RunError, match="endpoint named twice: x"):
        await runner.run(ps, [ep("http://127.0.0.1:1", "x"), ep("http://127.0.0.1:2", "x")])
    with pytest.raises(RunError, match="no run 'nope'"):
        await runner.resume("nope", [])
    with pytest.raises(RunError, match="at least 1"):
        Runner(traces, sets, concurrency=0)
