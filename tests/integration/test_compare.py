"""The compare session (evals/compare.py) against OpenAI-compatible test servers on 127.0.0.1: fan-out, each
endpoint's own history, blind shuffle and reveal, traces and judgements stored, and a misbehaving endpoint
that fails only its own pane."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.compare import CANCELLED, CompareSession, PaneEvent
from modelpick_tui.evals.compare_params import CompareError, CompareParams, parse_params
from modelpick_tui.evals.stores.labels import ReviewStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.serving.client import Timeouts
from modelpick_tui.serving.endpoints import Endpoint
from modelpick_tui.serving.events import Delta, Done, Failed
from modelpick_tui.serving.params import DEFAULT_MAX_TOKENS, SamplingParams
from tests.support.oai_servers import TOKENS, OAIServer

ANSWER = "".join(TOKENS)
FAST = Timeouts(connect=2.0, read=0.5, deadline=10.0)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[TraceStore, ReviewStore]]:
    db = open_db(tmp_path / "compare.db")
    traces, review = TraceStore(db), ReviewStore(db)
    yield traces, review
    db.close()


@pytest.fixture
def server() -> Iterator[OAIServer]:
    with OAIServer(api_key="k", prefill_s=0.01, token_s=0.002) as srv:
        yield srv


def ep(server: OAIServer, name: str, model: str = "llama") -> Endpoint:
    return Endpoint(name=name, base_url=server.url + "/v1", model=model, api_key="k", backend="remote",
                    model_ref=name)


async def collect(session: CompareSession, prompt: str) -> list[PaneEvent]:
    return [e async for e in session.send(prompt)]


def finals(events: list[PaneEvent]) -> dict[int, PaneEvent]:
    return {e.pane: e for e in events if not isinstance(e.event, Delta)}


async def test_fan_out_streams_every_pane_and_stores_one_trace_each(stores, server) -> None:
    traces, review = stores
    params = CompareParams(system="Be brief.",
                           sampling=SamplingParams(temperature=0.0, top_p=0.9, max_tokens=32, seed=3))
    session = CompareSession(traces, review, [ep(server, "a"), ep(server, "b", "vllm")], params, timeouts=FAST)
    events = await collect(session, "Name the colours of the rainbow.")
    ends = finals(events)
    assert set(ends) == {0, 1} and all(isinstance(e.event, Done) for e in ends.values())
    # Deltas of each pane add up to its answer (the vLLM-shaped server also sends an empty piece: not a delta).
    for pane in (0, 1):
        text = "".join(e.event.text for e in events if e.pane == pane and isinstance(e.event, Delta))
        assert text == ANSWER
    stored = traces.list(run_id=session.run_id)
    assert sorted(t.endpoint for t in stored) == ["a", "b"]
    for t in stored:
        assert t.source == "compare" and t.output == ANSWER and t.error is None and t.turn == 0
        assert t.parent_id is None and t.finish_reason == "stop" and t.system == "Be brief."
        assert t.params == {"temperature": 0.0, "top_p": 0.9, "max_tokens": 32, "seed": 3}
        assert t.messages == [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Name the colours of the rainbow."}]
        assert t.ttft_ms is not None and t.latency_ms is not None
    by_name = {t.endpoint: t for t in stored}
    assert by_name["a"].tokens_out == len(TOKENS)  # llama.cpp-shaped: counted chunks
    assert by_name["b"].tokens_out == len(TOKENS) + 1 and by_name["b"].tokens_in == 17  # vLLM's usage (a byte token)
    run = traces.get_run(session.run_id or "")
    assert run and run["kind"] == "compare" and [e["name"] for e in run["endpoints"]] == ["a", "b"]
    assert all("api_key" not in e for e in run["endpoints"])
    # What went over the wire: the params, to each endpoint's model.
    bodies = [r.body for r in server.requests if r.path.endswith("/chat/completions")]
    assert sorted(b["model"] for b in bodies) == ["llama", "vllm"]
    assert all(b["seed"] == 3 and b["max_tokens"] == 32 and b["top_p"] == 0.9 for b in bodies)
    session.close()
    assert traces.get_run(session.run_id or "")["status"] == "done"  # type: ignore[index]


async def test_follow_ups_keep_each_endpoints_own_history(stores, server) -> None:
    traces, review = stores
    # "b" fails its first turn: its follow-up must not carry an answer it never gave.
    session = CompareSession(traces, review, [ep(server, "a"), ep(server, "b", "http:500")], timeouts=FAST)
    first = finals(await collect(session, "first"))
    assert isinstance(first[0].event, Done) and isinstance(first[1].event, Failed)
    session.panes[1].endpoint = ep(server, "b", "llama")  # the server recovered
    second = finals(await collect(session, "second"))
    a2, b2 = second[0].trace, second[1].trace
    assert a2 is not None and b2 is not None
    assert a2.turn == b2.turn == 1
    assert a2.messages == [{"role": "user", "content": "first"}, {"role": "assistant", "content": ANSWER},
                           {"role": "user", "content": "second"}]
    assert a2.parent_id == first[0].trace.id  # type: ignore[union-attr]
    assert b2.messages == [{"role": "user", "content": "second"}] and b2.parent_id is None
    # A new conversation starts from nothing, in the same run.
    session.new_conversation()
    third = finals(await collect(session, "third"))
    t3 = third[0].trace
    assert t3 is not None and t3.turn == 0 and t3.parent_id is None and t3.messages == [
        {"role": "user", "content": "third"}]
    assert len(traces.list(run_id=session.run_id)) == 6


def test_blind_shuffle_is_seeded_and_names_hidden_until_the_vote(stores, server) -> None:
    traces, review = stores
    endpoints = [ep(server, n) for n in ("alpha", "beta", "gamma", "delta")]
    expected = [0, 1, 2, 3]
    random.Random(1).shuffle(expected)
    assert expected != [0, 1, 2, 3]
    session = CompareSession(traces, review, endpoints, blind=True, seed=1)
    assert [p.endpoint.name for p in session.panes] == [endpoints[i].name for i in expected]
    assert [session.name(i) for i in range(4)] == ["model A", "model B", "model C", "model D"]
    again = CompareSession(traces, review, endpoints, blind=True, seed=1)
    assert [p.endpoint.name for p in again.panes] == [p.endpoint.name for p in session.panes]
    open_session = CompareSession(traces, review, endpoints)
    assert [open_session.name(i) for i in range(4)] == ["alpha", "beta", "gamma", "delta"]


async def test_blind_vote_is_stored_as_blind_then_reveals_in_the_same_order(stores, server) -> None:
    traces, review = stores
    session = CompareSession(traces, review, [ep(server, "x"), ep(server, "y"), ep(server, "z")], blind=True,
                             seed=1, timeouts=FAST)
    order = [p.endpoint.name for p in session.panes]
    assert order == ["y", "z", "x"]  # shuffled (seed 1), and kept after the reveal
    with pytest.raises(CompareError, match="send a prompt first"):
        session.prefer(0, 1, "left")
    ends = finals(await collect(session, "hello"))
    assert session.name(0) == "model A"
    # With three panes, the vote is between the two the user chose: here the first and the third.
    session.prefer(0, 2, "right", note="C was shorter")
    assert session.revealed and [session.name(i) for i in range(3)] == order
    [pref] = review.preferences()
    assert pref["left_trace_id"] == ends[0].trace.id and pref["right_trace_id"] == ends[2].trace.id  # type: ignore[union-attr]
    assert pref["choice"] == "right" and pref["blind"] == 1 and pref["note"] == "C was shorter"
    session.prefer(0, 1, "tie")  # a second vote, now seen: not blind
    assert review.preferences()[-1]["blind"] == 0
    session.label(1, "fail", "too long")
    session.label(2, "pass")
    assert review.latest(ends[1].trace.id).verdict == "fail"  # type: ignore[union-attr]
    assert review.latest(ends[1].trace.id).note == "too long"  # type: ignore[union-attr]
    assert review.latest(ends[2].trace.id).verdict == "pass"  # type: ignore[union-attr]
    with pytest.raises(CompareError):
        session.prefer(1, 1, "left")
    with pytest.raises(CompareError, match="unknown preference"):
        session.prefer(0, 1, "sideways")


@pytest.mark.parametrize(("model", "error"), [
    ("die:3", "stream ended before completion (3 tokens received)"),
    ("http:500", "HTTP 500"),
    ("malformed", "malformed stream"),
    ("stall:2", "no data for 0.5 s"),
])
async def test_a_misbehaving_endpoint_fails_only_its_pane(stores, server, model: str, error: str) -> None:
    traces, review = stores
    session = CompareSession(traces, review, [ep(server, "good"), ep(server, "bad", model)], timeouts=FAST)
    ends = finals(await collect(session, "hello"))
    assert isinstance(ends[0].event, Done) and ends[0].event.text == ANSWER
    bad = ends[1].event
    assert isinstance(bad, Failed) and error in bad.error
    stored = {t.endpoint: t for t in traces.list(run_id=session.run_id)}
    assert stored["good"].error is None and stored["good"].output == ANSWER
    assert stored["bad"].error is not None and error in stored["bad"].error
    if model in ("die:3", "stall:2", "malformed"):
        assert stored["bad"].output  # the partial answer is kept
    # The failed pane can still be judged.
    session.label(1, "fail", "broke")
    assert review.latest(stored["bad"].id).verdict == "fail"  # type: ignore[union-attr]


async def test_cancel_stores_partial_answers_as_cancelled(stores) -> None:
    traces, review = stores
    with OAIServer(token_s=0.01) as srv:
        endpoints = [Endpoint("e1", srv.url + "/v1", "endless"), Endpoint("e2", srv.url + "/v1", "endless")]
        session = CompareSession(traces, review, endpoints, timeouts=FAST)
        seen: dict[int, int] = {}
        live_behind: list[int] = []  # panes whose live figures counted fewer tokens than had been shown
        flowing = asyncio.Event()

        async def consume() -> None:
            async for e in session.send("go on forever"):
                seen[e.pane] = seen.get(e.pane, 0) + 1
                live = session.panes[e.pane].live()  # what the pane's figures line shows while it streams
                if live.output_tokens < seen[e.pane] or live.ttft_ms is None:
                    live_behind.append(e.pane)
                if len(seen) == 2 and min(seen.values()) >= 3:
                    flowing.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(flowing.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not session.busy
        stored = traces.list(run_id=session.run_id)
        assert len(stored) == 2 and all(t.error == CANCELLED and t.output for t in stored)
        assert live_behind == []
        # A cancelled answer's figures are the live ones at the moment of cancelling.
        assert all(t.tokens_out is not None and t.tokens_out >= 3 and t.ttft_ms is not None for t in stored)
        assert all(not p.streaming and p.history == [] for p in session.panes)


async def test_bad_input_is_one_clear_line(stores, server) -> None:
    traces, review = stores
    with pytest.raises(CompareError, match="choose 2 to 4 endpoints"):
        CompareSession(traces, review, [ep(server, "a")])
    with pytest.raises(CompareError, match="once"):
        CompareSession(traces, review, [ep(server, "a"), ep(server, "a")])
    session = CompareSession(traces, review, [ep(server, "a"), ep(server, "b")])
    with pytest.raises(CompareError, match="type a prompt"):
        await collect(session, "   ")
    assert session.run_id is None  # nothing stored for nothing sent
    assert parse_params({"system": " Be brief ", "temperature": "0.7", "top_p": "", "max_tokens": "64",
                         "seed": "42"}) == CompareParams("Be brief", SamplingParams(0.7, None, 64, 42))
    # An empty max_tokens is the shared default, never the server's (unbounded on llama.cpp).
    assert parse_params({"max_tokens": " "}).sampling.max_tokens == DEFAULT_MAX_TOKENS
    assert CompareParams().sampling.max_tokens == DEFAULT_MAX_TOKENS
    with pytest.raises(CompareError, match="temperature: 'hot' is not a number"):
        parse_params({"temperature": "hot"})
    with pytest.raises(CompareError, match=r"top_p: 1.5 is out of range \(0 to 1\)"):
        parse_params({"top_p": "1.5"})
    with pytest.raises(CompareError, match="max_tokens: '1.5' is not an integer"):
        parse_params({"max_tokens": "1.5"})


@pytest.mark.llama
@pytest.mark.integration
async def test_llama_interrupting_a_stream_fails_that_pane(stores, gemma_gguf: Path, tmp_path: Path) -> None:
    """llama-cpp-python, by default, ends the stream in flight with [DONE] and no finish reason when a second
    request arrives: with two panes on one server, that pane must not pass for a complete answer. Servers
    modelpick starts pass --interrupt_requests False; this one is started as someone else's would be."""
    from modelpick_tui.serving.spec import ServerSpec
    from modelpick_tui.serving.supervisor import Supervisor

    traces, review = stores
    with Supervisor(tmp_path / "supervisor") as supervisor:
        server = supervisor.start_and_wait(ServerSpec("gemma", "llama", str(gemma_gguf), ctx=2048, chat_format="gemma",
                                               extra_args=("--interrupt_requests", "True")), timeout=120)
        assert server.status == "ready", server.error
        endpoints = [Endpoint(n, server.base_url, server.served_model or "gemma", server.api_key, "llama")
                     for n in ("first", "second")]
        params = CompareParams(sampling=SamplingParams(temperature=0.0, max_tokens=24))
        session = CompareSession(traces, review, endpoints, params,
                                 timeouts=Timeouts(connect=5.0, read=60.0, deadline=120.0))
        ends = finals(await collect(session, "Name three colors of the rainbow."))
    outcomes = sorted(type(e.event).__name__ for e in ends.values())
    assert outcomes == ["Done", "Failed"]
    [cut] = [e for e in ends.values() if isinstance(e.event, Failed)]
    assert cut.event.error.startswith("answer cut off: the stream ended without a finish reason")  # type: ignore[union-attr]
    assert cut.trace is not None and cut.trace.error == cut.event.error  # type: ignore[union-attr]
    [whole] = [e for e in ends.values() if isinstance(e.event, Done)]
    assert whole.event.metrics.finish_reason in ("stop", "length") and whole.event.text  # type: ignore[union-attr]
