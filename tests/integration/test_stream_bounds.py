"""Streams against hostile servers end within their bounds and are stored as such, with their reason (issue 11):
a body that never ends a line, a stream that ignores max_tokens, a stall between events, a steady drip past the
whole-life cap. And the timestamps are the stream reader's (issue 13): a consumer whose event loop is busy
does not add its delay to the stored TTFT."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.promptsets import load_prompt_set
from modelpick_tui.evals.runner import Runner
from modelpick_tui.evals.stores.prompt_sets import PromptSetStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import RunParams, Trace
from modelpick_tui.serving.client import ChatClient, ChatRequest, Timeouts
from modelpick_tui.serving.endpoints import Endpoint
from modelpick_tui.serving.engine import Engine, ProcessEngine, ThreadEngine
from modelpick_tui.serving.events import TIMING, Delta, Done, Failed
from modelpick_tui.serving.params import DEFAULT_MAX_TOKENS, SamplingParams
from modelpick_tui.serving.reader import MAX_LINE_BYTES, TOKEN_SLACK, caps_for
from tests.support.files import write_set
from tests.support.oai_servers import TOKENS, OAIServer
from tests.support.processes import modelpick_measured
from tests.support.waits import wait_until


def endpoint(server: OAIServer, model: str) -> Endpoint:
    return Endpoint(name=model, base_url=server.url + "/v1", model=model)


async def run_one(tmp_path: Path, server: OAIServer, model: str, timeouts: Timeouts, *,
                  max_tokens: int | None = None) -> tuple[Trace, float]:
    """One prompt to `model` through the runner; the stored trace and the seconds the run took."""
    db = open_db(tmp_path / "bounds.db")
    traces = TraceStore(db)
    runner = Runner(traces, PromptSetStore(db), concurrency=1, per_endpoint=1, timeouts=timeouts)
    prompts = load_prompt_set(write_set(tmp_path / "set.jsonl", 1))
    started = time.monotonic()
    result = await asyncio.wait_for(
        runner.run(prompts, [endpoint(server, model)], RunParams(sampling=SamplingParams(max_tokens=max_tokens))),
        60)
    took = time.monotonic() - started
    (trace,) = traces.list(run_id=result.run_id)
    db.close()
    return trace, took


async def test_a_body_with_no_line_end_is_cut_at_the_line_cap(tmp_path: Path) -> None:
    # ~6.5 MB/s of bytes with no newline: the one-line cap (4 MB) cuts it long before the deadlines.
    with OAIServer(token_s=0.01) as srv:
        trace, took = await run_one(tmp_path, srv, "no-newline", Timeouts(connect=2, read=30, deadline=60))
    assert trace.error == (f"cut: one line of the stream passed {MAX_LINE_BYTES // 1_000_000} MB without ending "
                           "(a fixed limit)")
    assert trace.output == "" and trace.tokens_out == 0
    assert took < 20


async def test_a_slow_body_with_no_line_end_fails_at_the_timeout_between_lines(tmp_path: Path) -> None:
    # 64 bytes every 0.05 s: bytes keep coming (httpx's read timeout never fires), a line never ends.
    with OAIServer(token_s=0.05) as srv:
        trace, took = await run_one(tmp_path, srv, "no-newline:64", Timeouts(connect=2, read=1.0, deadline=60))
    assert trace.error is not None
    assert trace.error.startswith("no complete line in 1 s (") and trace.error.endswith(" bytes without a line end)")
    assert took < 15


async def test_a_stream_that_ignores_max_tokens_is_cut_after_it(tmp_path: Path) -> None:
    with OAIServer(token_s=0.001) as srv:
        trace, took = await run_one(tmp_path, srv, "endless", Timeouts(connect=2, read=10, deadline=60),
                                    max_tokens=20)
    cap = 20 + TOKEN_SLACK
    assert trace.error == f"cut: more than {cap} tokens where max_tokens is 20 (the server ignores max_tokens)"
    assert trace.output == "".join(f" w{i}" for i in range(cap))  # what came before the cut is kept
    assert trace.tokens_out == cap and took < 20


async def test_a_stall_between_events_fails_at_the_timeout(tmp_path: Path) -> None:
    with OAIServer() as srv:
        trace, took = await run_one(tmp_path, srv, "stall:3", Timeouts(connect=2, read=1.0, deadline=60))
    assert (trace.error, trace.output, trace.tokens_out) == ("no data for 1 s", "".join(TOKENS[:3]), 3)
    assert took < 15


async def test_a_steady_drip_past_the_whole_life_cap_is_cut(tmp_path: Path) -> None:
    # A token every 0.05 s never stalls (read 1 s), but the request may live 1.5 s in all.
    with OAIServer(token_s=0.05) as srv:
        trace, took = await run_one(tmp_path, srv, "endless", Timeouts(connect=2, read=1.0, deadline=1.5))
    assert trace.error is not None and trace.error.startswith("deadline of 1.5 s exceeded (")
    assert trace.tokens_out and trace.tokens_out > 0 and trace.output.startswith(" w0 w1")
    assert took < 15


def test_modelpick_run_stops_a_body_with_no_line_end_and_stores_it(tmp_path: Path) -> None:
    """The issue's case: `modelpick run --timeout 10` against a server that answers 200 and then streams bytes
    without a newline ran for ever, memory growing."""
    prompts = write_set(tmp_path / "set.jsonl", 1)
    db = tmp_path / "home" / "modelpick.db"
    with OAIServer(token_s=0.002) as srv:
        done = modelpick_measured(tmp_path, db, "run", str(prompts), "-e", srv.url, "--model", "no-newline",
                                  "--timeout", "10", "--max-time", "30", timeout=60)
    assert done.code == 1, done.stderr  # every request failed
    assert "Traceback" not in done.stderr
    # What the reader buffers is capped (the cut below): the run's own peak (VmHWM, not the ru_maxrss a child
    # inherits from a grown pytest: tests/support/processes.py) stays far from the old ~1.7 MB/s growth.
    assert done.peak_rss_mb < 300, done.peak_rss_mb
    with open_db(db).read() as handle:
        rows = list(handle.query("select error, output from traces"))
    # run's default max_tokens (256) allows 1 MB + 4 kB per token: the stream's byte cap comes before the line's.
    _, byte_cap = caps_for(DEFAULT_MAX_TOKENS)
    assert rows == [{"error": f"cut: the stream passed {byte_cap / 1e6:g} MB (1 MB + 4 kB per token allowed; a "
                              "larger max_tokens allows more)", "output": ""}]


# --- the timestamps are the reader's --------------------------------------------------------------------------


@pytest.fixture(params=["process", "thread"])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[Engine]:
    made: Engine = ProcessEngine() if request.param == "process" else ThreadEngine()
    yield made
    if isinstance(made, ProcessEngine):
        made.close()


async def test_ttft_is_from_the_request_to_the_first_token_whatever_the_asker_does(engine: Engine) -> None:
    prefill = 0.4
    with OAIServer(prefill_s=prefill, token_s=0.01) as srv:
        async with ChatClient(Timeouts(connect=5, read=30, deadline=60), engine=engine) as client:
            task = asyncio.create_task(client.collect(srv.url, ChatRequest.from_prompt("slow", "hi")))
            await asyncio.to_thread(wait_until, lambda: srv.requests, "the request at the server", 30, 0.005)
            # The asking thread computes (as a TUI paints) past the first token's arrival, its loop stuck: a
            # timestamp taken on that loop would be 600 ms late; the reader's is not.
            busy_until = time.perf_counter() + prefill + 0.6
            while time.perf_counter() < busy_until:
                pass
            final = await task
    assert isinstance(final, Done), final
    m = final.metrics
    assert m.ttft_ms is not None and m.queue_ms is not None and m.latency_ms is not None
    assert m.ttft_ms >= prefill * 1000
    assert m.ttft_ms < prefill * 1000 + 500  # not the 600 ms the asker was stuck for
    assert m.timing == TIMING and m.ttft_ms <= m.latency_ms
    assert m.itl_ms is not None and m.itl_ms > 0


async def test_the_trace_and_the_export_say_how_ttft_was_measured(tmp_path: Path) -> None:
    with OAIServer(prefill_s=0.2, token_s=0.005) as srv:
        trace, _ = await run_one(tmp_path, srv, "slow", Timeouts(connect=5, read=30, deadline=60))
    assert trace.error is None and trace.timing == TIMING
    assert trace.ttft_ms is not None and trace.ttft_ms >= 200
    assert trace.queue_ms is not None and trace.queue_ms >= 0

    from modelpick_tui.evals.exchange import export
    from modelpick_tui.evals.stores.labels import ReviewStore

    db = open_db(tmp_path / "bounds.db")
    out = tmp_path / "traces.jsonl"
    assert export(ReviewStore(db), out) == 1
    record = json.loads(out.read_text())
    assert record["timing"] == TIMING and record["metrics"]["queue_ms"] == trace.queue_ms
    db.close()


async def test_a_reader_that_dies_ends_its_streams_with_one_line_and_the_next_starts_a_new_one() -> None:
    engine = ProcessEngine()
    try:
        with OAIServer(token_s=0.01) as srv:
            async with ChatClient(Timeouts(connect=5, read=30, deadline=60), engine=engine) as client:
                events = client.stream(srv.url, ChatRequest.from_prompt("endless", "hi"))
                assert isinstance(await anext(events), Delta)
                assert engine.pid is not None
                psutil.Process(engine.pid).kill()
                rest = [e async for e in events]
                final = rest[-1]
                assert isinstance(final, Failed)
                assert final.error.startswith("the stream reader stopped (exit code -9)")
                again = await client.collect(srv.url, ChatRequest.from_prompt("llama", "hi"))
                assert isinstance(again, Done) and again.text == "".join(TOKENS)
    finally:
        engine.close()
