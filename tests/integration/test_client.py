"""The streaming chat client against OpenAI-compatible test servers that behave well and badly on purpose
(tests/support/oai_servers.py), and once against the real llama.cpp server on the Gemma 3 270M GGUF."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelpick_tui.serving.client import (
    ChatClient,
    ChatRequest,
    Delta,
    Done,
    EndpointError,
    Failed,
    StreamEvent,
    Timeouts,
    list_models,
)
from modelpick_tui.serving.params import SamplingParams
from tests.support.oai_servers import PROMPT_TOKENS, TOKENS, VLLM_400, OAIServer
from tests.support.ports import free_port

KEY = "sk-test"
ANSWER = "".join(TOKENS)
FAST = Timeouts(connect=2.0, read=0.5, deadline=10.0)
# For tests about something other than timeouts: a loaded 2-core machine must not turn them into timeout tests.
PATIENT = Timeouts(connect=5.0, read=10.0, deadline=60.0)


@pytest.fixture
def server() -> Iterator[OAIServer]:
    with OAIServer(api_key=KEY) as srv:
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[ChatClient]:
    async with ChatClient(FAST) as c:
        yield c


def ask(model: str, **params: Any) -> ChatRequest:
    return ChatRequest.from_prompt(model, "Name the colours of the rainbow.", system="Be brief.",
                                   sampling=SamplingParams(**params))


async def events_of(client: ChatClient, server: OAIServer, model: str, **params: Any) -> list[StreamEvent]:
    return [e async for e in client.stream(server.url, ask(model, **params), api_key=KEY)]


# -- requests ------------------------------------------------------------------------------------------------

def test_request_building() -> None:
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    req = ChatRequest.from_prompt("m", "next?", system="sys", history=history,
                                   sampling=SamplingParams(temperature=0.0, seed=7))
    assert [m["role"] for m in req.messages] == ["system", "user", "assistant", "user"]
    assert req.messages[-1]["content"] == "next?"
    assert req.params() == {"temperature": 0.0, "seed": 7}
    swapped = req.with_system("other")
    assert [m["content"] for m in swapped.messages if m["role"] == "system"] == ["other"]
    assert [m["role"] for m in req.with_system(None).messages] == ["user", "assistant", "user"]
    payload = req.payload()
    assert payload["stream"] is True and payload["stream_options"] == {"include_usage": True}
    assert "top_p" not in payload and "max_tokens" not in payload


# -- well-behaved servers ------------------------------------------------------------------------------------

async def test_llama_shaped_stream_counts_chunks(client: ChatClient, server: OAIServer) -> None:
    events = await events_of(client, server, "llama", temperature=0.2, top_p=0.9, seed=1)
    deltas, final = events[:-1], events[-1]
    assert all(isinstance(e, Delta) for e in deltas) and len(deltas) == len(TOKENS)  # role/finish chunks: none
    assert "".join(e.text for e in deltas if isinstance(e, Delta)) == ANSWER
    assert isinstance(final, Done) and final.text == ANSWER
    m = final.metrics
    assert (m.output_tokens, m.tokens_from, m.finish_reason, m.prompt_tokens, m.error) == \
        (len(TOKENS), "chunks", "stop", None, None)
    assert m.ttft_ms is not None and m.latency_ms is not None and 0 < m.ttft_ms <= m.latency_ms
    assert m.decode_tokens_per_s is None or m.decode_tokens_per_s > 0

    sent = server.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    assert (sent.body["temperature"], sent.body["top_p"], sent.body["seed"]) == (0.2, 0.9, 1)
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_llama_shaped_max_tokens_finishes_with_length(client: ChatClient, server: OAIServer) -> None:
    done = await client.collect(server.url, ask("llama", max_tokens=5), api_key=KEY)
    assert isinstance(done, Done)
    assert (done.text, done.metrics.output_tokens, done.metrics.finish_reason) == ("".join(TOKENS[:5]), 5, "length")


async def test_vllm_shaped_stream_takes_tokens_from_usage(client: ChatClient, server: OAIServer) -> None:
    done = await client.collect(server.url, ask("vllm", max_tokens=10), api_key=KEY)
    assert isinstance(done, Done) and done.text == "".join(TOKENS[:10])
    m = done.metrics
    # 10 text pieces plus one byte token that decoded to "": usage says 11, the chunks would say 10.
    assert (m.output_tokens, m.tokens_from, m.prompt_tokens, m.finish_reason) == (11, "usage", PROMPT_TOKENS, "length")


async def test_slow_stream_timings_are_consistent(client: ChatClient) -> None:
    with OAIServer(prefill_s=0.1, token_s=0.03) as srv:
        done = await client.collect(srv.url, ask("slow"))
    assert isinstance(done, Done) and done.text == ANSWER
    m = done.metrics
    assert m.ttft_ms is not None and m.latency_ms is not None and m.decode_tokens_per_s is not None
    assert m.ttft_ms >= 100  # the server slept that long before the first token
    assert m.latency_ms >= 100 + 30 * (len(TOKENS) - 1)
    assert m.ttft_ms < m.latency_ms
    # The decode phase lies inside [ttft, latency], so the rate is at least what that window gives.
    assert m.decode_tokens_per_s * (m.latency_ms - m.ttft_ms) / 1000 >= (len(TOKENS) - 1) - 1e-6


async def test_finish_reason_then_clean_end_without_done_is_accepted(client: ChatClient, server: OAIServer) -> None:
    done = await client.collect(server.url, ask("no-done"), api_key=KEY)
    assert isinstance(done, Done) and done.text == ANSWER and done.metrics.finish_reason == "stop"


async def test_connection_is_reused_after_done(client: ChatClient, server: OAIServer) -> None:
    for model in ("llama", "vllm", "llama"):
        assert isinstance(await client.collect(server.url, ask(model), api_key=KEY), Done)
    assert len({r.client_port for r in server.requests}) == 1  # the body is read to its end after [DONE]


async def test_a_body_that_ends_late_after_done_is_answered_and_its_connection_dropped(client: ChatClient,
                                                                                      server: OAIServer) -> None:
    # The end of the body is read inline after [DONE] for END_WAIT_S (so the connection goes back to the pool);
    # one that comes later is not waited for: the answer is whole, the connection is dropped.
    from modelpick_tui.serving.reader import END_WAIT_S

    late = int(END_WAIT_S * 1000 * 20)
    for model in ("linger:10", "llama", f"linger:{late}", "llama"):
        done = await client.collect(server.url, ask(model), api_key=KEY)
        assert isinstance(done, Done) and done.text == ANSWER and done.metrics.finish_reason == "stop"
    ports = [r.client_port for r in server.requests]
    assert ports[0] == ports[1] == ports[2] != ports[3]


# -- misbehaving servers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour", ["die", "reset", "eof"])
async def test_server_dies_mid_stream(client: ChatClient, server: OAIServer, behaviour: str) -> None:
    events = await events_of(client, server, f"{behaviour}:3")
    failed = events[-1]
    assert [e.text for e in events[:-1] if isinstance(e, Delta)] == TOKENS[:3]
    assert isinstance(failed, Failed)
    assert failed.error == "stream ended before completion (3 tokens received)"
    assert failed.text == "".join(TOKENS[:3])  # partial output kept
    assert (failed.metrics.error, failed.metrics.output_tokens, failed.metrics.finish_reason) == \
        (failed.error, 3, None)
    assert failed.metrics.ttft_ms is not None


@pytest.mark.parametrize(("model", "key", "error"), [
    ("http:400", KEY, f"HTTP 400 Bad Request: {VLLM_400}"),
    ("http:500", KEY, "HTTP 500 Internal Server Error"),
    ("http:404", KEY, "HTTP 404 Not Found: status 404"),
    ("llama", "wrong", "HTTP 401 Unauthorized: Invalid API key"),
    ("llama", None, "HTTP 401 Unauthorized: Invalid API key"),
])
async def test_http_errors(client: ChatClient, server: OAIServer, model: str, key: str | None, error: str) -> None:
    events = [e async for e in client.stream(server.url, ask(model), api_key=key)]
    assert len(events) == 1
    failed = events[0]
    assert isinstance(failed, Failed) and failed.error == error and failed.text == ""
    assert failed.metrics.ttft_ms is None and failed.metrics.output_tokens == 0


async def test_connection_refused(client: ChatClient) -> None:
    port = free_port()
    failed = await client.collect(f"http://127.0.0.1:{port}", ask("llama"))
    assert isinstance(failed, Failed)
    assert failed.error == f"cannot connect to http://127.0.0.1:{port}/v1: connection refused (is the server running?)"


async def test_url_without_scheme(client: ChatClient) -> None:
    failed = await client.collect("localhost:8000", ask("llama"))
    assert isinstance(failed, Failed)
    assert failed.error == ("invalid endpoint URL 'localhost:8000/v1': "
                            "Request URL is missing an 'http://' or 'https://' protocol.")


@pytest.mark.parametrize(("model", "error", "text"), [
    ("malformed", "malformed stream: data is not JSON: '{not json'", "Red,"),
    ("no-choices", "malformed stream: chunk without choices: "
                   "'{\"id\": \"chatcmpl-test\", \"object\": \"chat.completion.chunk\", \"model\": \"no-choices\"}'",
     "Red"),
    ("not-sse", "malformed stream: Expected response header Content-Type to contain 'text/event-stream', "
                "got 'application/json'", ""),
    ("error-event", "server error in stream: Engine core died: head_dim=16 unsupported", "Red"),
])
async def test_malformed_streams_and_error_events(client: ChatClient, server: OAIServer, model: str, error: str,
                                                  text: str) -> None:
    failed = await client.collect(server.url, ask(model), api_key=KEY)
    assert isinstance(failed, Failed)
    assert (failed.error, failed.text) == (error, text)
    assert "\n" not in failed.error


@pytest.mark.parametrize(("model", "text"), [("stall:2", "Red,"), ("hang", "")])
async def test_stall_past_read_timeout(client: ChatClient, server: OAIServer, model: str, text: str) -> None:
    started = time.monotonic()
    failed = await client.collect(server.url, ask(model), api_key=KEY)
    assert isinstance(failed, Failed)
    assert (failed.error, failed.text) == ("no data for 0.5 s", text)
    assert failed.metrics.latency_ms is not None and failed.metrics.latency_ms >= 500
    assert time.monotonic() - started < 3


async def test_overall_deadline(client: ChatClient) -> None:
    with OAIServer(token_s=0.02) as srv:
        started = time.monotonic()
        failed = await client.collect(srv.url, ask("endless"), timeouts=Timeouts(read=5.0, deadline=0.3))
        assert time.monotonic() - started < 2
        assert isinstance(failed, Failed)
        match = re.fullmatch(r"deadline of 0.3 s exceeded \((\d+) tokens received\)", failed.error)
        assert match and int(match[1]) == failed.metrics.output_tokens > 0
        assert failed.text.startswith(" w0 w1")
        assert srv.disconnected.wait(2), "the server should see the client go"


@pytest.mark.parametrize("bad", ["stall:2", "die:2", "http:500", "malformed"])
async def test_one_bad_stream_among_four(client: ChatClient, server: OAIServer, bad: str) -> None:
    models = ["llama", "vllm", bad, "slow"]
    started = time.monotonic()
    results = await asyncio.gather(*(client.collect(server.url, ask(m), api_key=KEY) for m in models))
    assert time.monotonic() - started < 5
    assert [type(r).__name__ for r in results] == ["Done", "Done", "Failed", "Done"]
    assert all(r.text == ANSWER for r in results if isinstance(r, Done))
    expected = {"stall:2": "no data for 0.5 s", "die:2": "stream ended before completion (2 tokens received)",
                "http:500": "HTTP 500 Internal Server Error",
                "malformed": "malformed stream: data is not JSON: '{not json'"}[bad]
    assert results[2].metrics.error == expected


# -- cancellation --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def no_stray_warnings(loop: asyncio.AbstractEventLoop) -> Iterator[list[Any]]:
    """Collect warnings and asyncio's unhandled-error reports (unclosed transports, destroyed tasks)."""
    reports: list[Any] = []
    gc.collect()  # garbage of earlier tests (e.g. a detached server's Popen) must not be reported as ours
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield reports
        finally:
            gc.collect()
            loop.set_exception_handler(previous)
    reports.extend(str(w.message) for w in caught)


async def test_cancelling_the_task_closes_the_connection() -> None:
    loop = asyncio.get_running_loop()
    with OAIServer(token_s=0.01) as srv, no_stray_warnings(loop) as reports:
        async with ChatClient(PATIENT) as client:
            got_three = asyncio.Event()
            received: list[str] = []

            async def consume() -> None:
                async for event in client.stream(srv.url, ask("endless")):
                    if isinstance(event, Delta):
                        received.append(event.text)
                        if len(received) == 3:
                            got_three.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(got_three.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await asyncio.to_thread(srv.disconnected.wait, 2), "the server should see the disconnect"
            assert srv.disconnects == ["endless"]
            # The pool is still good for the next stream.
            assert isinstance(await client.collect(srv.url, ask("llama")), Done)
    assert reports == []


async def test_closing_the_iterator_closes_the_connection() -> None:
    loop = asyncio.get_running_loop()
    with OAIServer(token_s=0.01) as srv, no_stray_warnings(loop) as reports:
        async with ChatClient(PATIENT) as client:
            async with contextlib.aclosing(client.stream(srv.url, ask("endless"))) as events:
                async for event in events:
                    assert isinstance(event, Delta)
                    break
            assert await asyncio.to_thread(srv.disconnected.wait, 2)
    assert reports == []


# -- /v1/models ----------------------------------------------------------------------------------------------

async def test_list_models(client: ChatClient, server: OAIServer) -> None:
    assert await client.list_models(server.url, KEY) == ["llama", "vllm"]
    assert await list_models(server.url + "/v1/", KEY) == ["llama", "vllm"]
    with pytest.raises(EndpointError, match=r"^HTTP 401 Unauthorized: Invalid API key$"):
        await list_models(server.url, "wrong")
    with pytest.raises(EndpointError, match=r"^cannot connect to .*connection refused"):
        await list_models(f"http://127.0.0.1:{free_port()}")


# -- the real llama.cpp server -------------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.llama
@pytest.mark.timeout(90)
async def test_real_llama_cpp_server_streams(tmp_path: Path, gemma_gguf: Path) -> None:
    path = gemma_gguf
    port, key = free_port(), "sk-llama"
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "2048", "--chat_format", "gemma", "--api_key", key]
    log = tmp_path / "llama-server.log"
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would block the server
        proc = await asyncio.create_subprocess_exec(*argv, stdout=sink, stderr=subprocess.STDOUT,
                                                    start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        async with ChatClient(Timeouts(connect=2.0, read=30.0, deadline=60.0)) as client:
            for _ in range(300):
                if proc.returncode is not None:
                    pytest.fail(f"llama.cpp server exited {proc.returncode}: {log.read_text()[-2000:]}")
                with contextlib.suppress(EndpointError, httpx.HTTPError):
                    if await client.list_models(base, key):
                        break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("llama.cpp server not ready in 30 s")
            request = ChatRequest.from_prompt("gemma", "Name three colors of the rainbow.",
                                              sampling=SamplingParams(temperature=0.0, max_tokens=32, seed=0))
            deltas: list[str] = []
            final: Done | Failed | None = None
            async for event in client.stream(base, request, api_key=key):
                if isinstance(event, Delta):
                    deltas.append(event.text)
                else:
                    final = event
        assert isinstance(final, Done), final
        assert final.text == "".join(deltas) and final.text.strip()
        m = final.metrics
        assert m.finish_reason in {"stop", "length"} and m.tokens_from == "chunks"
        assert 0 < m.output_tokens <= 32 and m.output_tokens == len(deltas)
        assert m.ttft_ms is not None and m.latency_ms is not None and m.ttft_ms <= m.latency_ms
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
