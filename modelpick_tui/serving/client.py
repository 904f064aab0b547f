"""Streaming chat client for OpenAI-compatible servers (llama.cpp, vLLM, anything speaking `/v1`).

    async with ChatClient() as client:
        request = ChatRequest.from_prompt("tiny", "Name three colours.", system="Be brief.",
                                          sampling=SamplingParams(max_tokens=64))
        async for event in client.stream("http://127.0.0.1:8000", request, api_key="k"):
            match event:
                case Delta(text): pane.buffer(text)
                case Done(metrics=m) | Failed(metrics=m): pane.finish(m)

A stream never raises for a server's misbehaviour: it ends with exactly one `Done` or `Failed`, and `Failed`
carries one clear line plus whatever text arrived first. Only cancellation propagates (cancel the task that
iterates, or `aclose()` the iterator: the HTTP connection is closed at once, so the server stops generating).

The HTTP itself happens in the stream reader (serving/reader.py), on an event loop of its own in a reader
process (serving/engine.py): it timestamps each chunk where its bytes arrive and holds the caps and deadlines,
so what this side does meanwhile (painting a screen, storing a trace, the other streams' Python work) is not
in the figures. This side turns the reader's events into Deltas and works the figures out (`StreamMeter`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..untrusted import one_line
from .endpoints import api_root
from .events import TIMING, Delta, Done, Failed, StreamEvent, StreamMetrics
from .params import SamplingParams

if TYPE_CHECKING:
    from .engine import Engine

__all__ = [
    "ChatClient",
    "ChatRequest",
    "EndpointError",
    "Message",
    "StreamMeter",
    "Timeouts",
    "list_models",
]

Message = Mapping[str, str]
_SNIPPET = 120
_ids = itertools.count(1)  # stream and pool ids, unique in this process (the reader serves every ChatClient)


@dataclass(frozen=True)
class Timeouts:
    """Per-stream limits, in seconds. `read` bounds each wait for the next line of the stream (a stall, a slow
    prefill before the first token, or bytes that never end a line); `deadline` bounds the whole request from
    when it is asked for (None: no overall limit). The size and token caps: serving/reader.py."""

    connect: float = 5.0
    read: float = 60.0
    deadline: float | None = 600.0


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request; unset sampling params are left to the server's defaults."""

    model: str
    messages: tuple[Message, ...]
    sampling: SamplingParams = SamplingParams()
    # Structured output in the server's own shape (the judge's verdict: evals/judge.py); None asks for none.
    response_format: dict[str, Any] | None = field(default=None, hash=False)

    @classmethod
    def from_prompt(cls, model: str, prompt: str, *, system: str | None = None, history: Iterable[Message] = (),
                    sampling: SamplingParams | None = None) -> ChatRequest:
        """A request for `prompt` after `history` (earlier user/assistant turns), with an optional system prompt."""
        messages = (*history, {"role": "user", "content": prompt})
        request = cls(model, tuple(messages), sampling or SamplingParams())
        return request.with_system(system) if system else request

    def with_system(self, system: str | None) -> ChatRequest:
        """The same request with its system prompt replaced (None or "": removed)."""
        rest = tuple(m for m in self.messages if m.get("role") != "system")
        head: tuple[Message, ...] = ({"role": "system", "content": system},) if system else ()
        return replace(self, messages=head + rest)

    def params(self) -> dict[str, Any]:
        """The sampling params that were set, as sent (for storing with a trace)."""
        return self.sampling.to_dict()

    def payload(self) -> dict[str, Any]:
        """The JSON body of `POST /v1/chat/completions`, streaming, asking for usage (vLLM sends it; llama.cpp
        ignores the option and we count chunks instead)."""
        return {"model": self.model, "messages": [dict(m) for m in self.messages], **self.params(),
                **({"response_format": self.response_format} if self.response_format else {}),
                "stream": True, "stream_options": {"include_usage": True}}


@dataclass
class StreamMeter:
    """When one stream's content arrived, and the one place its TTFT, inter-token latency, latency and decode
    rate are worked out: the client fills it with the reader's timestamps and puts `metrics()` in Done/Failed;
    a caller that passes its own meter to `ChatClient.stream` reads the same figures live while the stream
    runs. Times are `time.perf_counter()` (one clock for the reader's process and this one)."""

    start: float = field(default_factory=time.perf_counter)
    first_at: float | None = None
    last_at: float | None = None
    chunks: int = 0
    """Non-empty content chunks so far."""
    queue_ms: float | None = None
    """From asking for the stream to its request being written (None until it is)."""

    def begin(self) -> None:
        """The stream is asked for: times count from now until the request is written (`sent`)."""
        self.start, self.first_at, self.last_at, self.chunks = time.perf_counter(), None, None, 0
        self.queue_ms = None

    def sent(self, at: float, queue_ms: float) -> None:
        """The request's bytes started going out at `at`, `queue_ms` after it was asked for: TTFT and latency
        count from `at`."""
        self.start, self.queue_ms = at, queue_ms

    def take(self, quiet: Mapping[str, Any]) -> None:
        """The figures a quiet reader sends with the end of a stream, instead of chunk by chunk."""
        if quiet.get("sent"):
            self.sent(*quiet["sent"])
        self.first_at, self.last_at, self.chunks = quiet["first_at"], quiet["last_at"], quiet["chunks"]

    def chunk(self, at: float | None = None) -> None:
        """A non-empty content chunk arrived (at `at`: when its bytes came; default now)."""
        now = time.perf_counter() if at is None else at
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.chunks += 1

    def metrics(self, *, tokens: int | None = None, end: float | None = None) -> StreamMetrics:
        """The figures so far: `tokens` (default: the chunks counted) over the time to `end` (default: now)."""
        tokens = self.chunks if tokens is None else tokens
        decode = itl = None
        if self.first_at is not None and self.last_at is not None and tokens > 1 and self.last_at > self.first_at:
            decode = (tokens - 1) / (self.last_at - self.first_at)
            itl = 1000 / decode
        return StreamMetrics(
            ttft_ms=None if self.first_at is None else (self.first_at - self.start) * 1000,
            latency_ms=((time.perf_counter() if end is None else end) - self.start) * 1000,
            output_tokens=tokens,
            decode_tokens_per_s=decode,
            itl_ms=itl,
            queue_ms=self.queue_ms,
            timing=None if self.queue_ms is None else TIMING,
        )


class EndpointError(Exception):
    """An endpoint could not be queried; `str()` is one line fit to show."""


class ChatClient:
    """One connection pool (in the stream reader) shared by every endpoint's streams of this client. Use as
    `async with`, or `aclose()`. `max_connections` bounds the pool: a stream waiting for a connection counts
    that wait as queue time, not TTFT."""

    def __init__(self, timeouts: Timeouts | None = None, *, max_connections: int = 64,
                 engine: Engine | None = None) -> None:
        from .engine import default_engine

        self.timeouts = timeouts or Timeouts()
        self.max_connections = max_connections
        self._engine = engine or default_engine()
        self._pool = next(_ids)

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._engine.close_pool(self._pool)

    def warm(self) -> None:
        """Start the stream reader now (a load test measures its CPU from the first level on)."""
        self._engine.warm()

    @property
    def reader_pid(self) -> int | None:
        """The stream reader process's pid while it runs; None for a reader thread (its CPU is this process's)."""
        return getattr(self._engine, "pid", None)

    async def list_models(self, base_url: str, api_key: str | None = None) -> list[str]:
        """The model ids an endpoint serves (`GET /v1/models`); raises EndpointError with one line."""
        return await list_models(base_url, api_key, timeouts=self.timeouts)

    async def collect(self, base_url: str, request: ChatRequest, *, api_key: str | None = None,
                      timeouts: Timeouts | None = None, gaps: bool = False,
                      headers: Mapping[str, str] | None = None) -> Done | Failed:
        """Run a stream to its end and return its last event (the reader hands the answer over once, at the end:
        its figures are the same). `gaps`: the metrics carry every inter-token gap too (`gaps_ms`)."""
        async for event in self.stream(base_url, request, api_key=api_key, timeouts=timeouts, headers=headers,
                                       _quiet=True, _gaps=gaps):
            if isinstance(event, Done | Failed):
                return event
        raise AssertionError("a stream always ends with Done or Failed")  # pragma: no cover

    async def load(self, base_url: str, requests: Sequence[ChatRequest], *, users: int, duration_s: float,
                   api_key: str | None = None, timeouts: Timeouts | None = None, max_requests: int | None = None,
                   offset: int = 0) -> AsyncGenerator[tuple[float, Done | Failed], None]:
        """A load test's closed loop, run by the stream reader itself (StreamHost.open_load): `users` users, each
        sending its next request (the `requests` in turn from `offset`) when its answer ends, for `duration_s`
        or `max_requests` in all. Yields (when it was asked for, its Done or Failed, with every inter-token gap but
        not the answer's text) as answers end (a batch every LOAD_BATCH_S); closing the iterator early stops the
        loop and drops the streams in flight.
        EndpointError when the reader itself stopped."""
        limits = timeouts or self.timeouts
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()

        def sink(kind: str, data: Any, at: float) -> None:  # called on the engine's thread
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(queue.put_nowait, (kind, data, at))

        sid = next(_ids)
        root = api_root(base_url)
        spec = {"id": sid, "pool": self._pool, "max_connections": self.max_connections,
                "url": root + "/chat/completions", "root": root, "payloads": [r.payload() for r in requests],
                "headers": {**_headers(api_key), "Accept": "text/event-stream", "Cache-Control": "no-store"},
                "connect": limits.connect, "read": limits.read, "deadline": limits.deadline, "users": users,
                "duration": duration_s, "requests": max_requests, "offset": offset}
        ended = False
        self._engine.start_load(spec, sink)
        try:
            while True:
                kind, data, at = await queue.get()
                if kind == "end":
                    ended = True
                    if data.get("error"):
                        raise EndpointError(data["error"])
                    return
                for one in data:  # "samples": the answers that ended within the reader's LOAD_BATCH_S
                    meter = StreamMeter(start=one["asked_at"])
                    meter.take(one)
                    yield one["asked_at"], _final("", meter, one)
        finally:
            if not ended:
                self._engine.cancel(sid)

    async def stream(self, base_url: str, request: ChatRequest, *, api_key: str | None = None,
                     timeouts: Timeouts | None = None, meter: StreamMeter | None = None,
                     headers: Mapping[str, str] | None = None,
                     _quiet: bool = False, _gaps: bool = False) -> AsyncIterator[StreamEvent]:
        """Stream one chat completion: `Delta`s as content arrives (one per chunk: batch repaints on your
        side), then exactly one `Done` or `Failed`. Pass a `meter` to read the figures live meanwhile."""
        limits = timeouts or self.timeouts
        meter = meter or StreamMeter()
        meter.begin()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()

        def sink(kind: str, data: Any, at: float) -> None:  # called on the engine's thread
            with contextlib.suppress(RuntimeError):  # the asking loop is closed: nobody waits for it
                loop.call_soon_threadsafe(queue.put_nowait, (kind, data, at))

        sid = next(_ids)
        root = api_root(base_url)
        spec = {"id": sid, "pool": self._pool, "max_connections": self.max_connections,
                "url": root + "/chat/completions", "root": root, "payload": request.payload(),
                "headers": {**(headers or {}), **_headers(api_key), "Accept": "text/event-stream",
                            "Cache-Control": "no-store"},
                "connect": limits.connect, "read": limits.read, "deadline": limits.deadline,
                "asked_at": meter.start, "quiet": _quiet, "gaps": _gaps}
        parts: list[str] = []
        closing: dict[str, Any] | None = None
        self._engine.start(spec, sink)
        try:
            while closing is None:
                kind, data, at = await queue.get()
                if kind == "text":
                    for piece in data:
                        meter.chunk(at)
                        parts.append(piece)
                        yield Delta(piece)
                elif kind == "sent":
                    meter.sent(at, data)
                else:
                    closing = {**data, "at": at}
                    if "text" in closing:  # quiet: the answer and its times come at once
                        meter.take(closing)
                        parts.append(closing["text"])
        finally:
            if closing is None:  # cancelled, or the iterator closed: the reader drops the connection
                self._engine.cancel(sid)
        yield _final("".join(parts), meter, closing)


def _final(text: str, meter: StreamMeter, closing: Mapping[str, Any]) -> Done | Failed:
    error = closing.get("error")
    completion, prompt = closing.get("completion_tokens"), closing.get("prompt_tokens")
    from_usage = isinstance(completion, int) and error is None
    tokens = completion if from_usage and isinstance(completion, int) else meter.chunks
    end = closing.get("done_at") or closing["at"]
    metrics = replace(meter.metrics(tokens=tokens, end=end), tokens_from="usage" if from_usage else "chunks",
                      prompt_tokens=prompt if isinstance(prompt, int) else None,
                      finish_reason=closing.get("finish_reason"), error=error,
                      gaps_ms=tuple(closing["gaps"]) if isinstance(closing.get("gaps"), list) else None)
    return Done(text, metrics) if error is None else Failed(error, text, metrics)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _read_models(base_url: str, api_key: str | None, timeouts: Timeouts) -> list[str]:
    # The model list `endpoint add` reads too, with the same caps (a size cap, and `read` as the deadline of the
    # whole answer): an endless or dripping list is one line, not a hang with memory growing.
    import httpx

    from .backends import _get_capped, _TooMuch
    from .http_errors import http_error, transport_error

    url = api_root(base_url) + "/models"
    timeout = httpx.Timeout(connect=timeouts.connect, read=timeouts.read, write=timeouts.connect,
                            pool=timeouts.connect)
    try:
        with httpx.Client(timeout=timeout) as http:
            response, body = _get_capped(http, url, _headers(api_key), timeouts.read)
    except _TooMuch as exc:
        raise EndpointError(f"{url}: {exc}") from None
    except httpx.TransportError as exc:
        raise EndpointError(transport_error(exc, api_root(base_url), timeouts.connect, timeouts.read)) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise EndpointError(f"{type(exc).__name__}: {one_line(str(exc))}") from exc
    if response.status_code >= 400:
        raise EndpointError(http_error(response.status_code, response.reason_phrase, body))
    try:
        data = json.loads(body)["data"]
        return [str(entry["id"]) for entry in data]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        text = body[:_SNIPPET * 4].decode("utf-8", "replace")
        raise EndpointError(f"unexpected /v1/models answer: {one_line(text, _SNIPPET)!r}") from exc


async def list_models(base_url: str, api_key: str | None = None, *, timeouts: Timeouts | None = None) -> list[str]:
    """The model ids an endpoint serves (`GET /v1/models`, at most MODEL_LIST_MAX_BYTES, `timeouts.read` for
    the whole answer), to check it answers; raises EndpointError."""
    return await asyncio.to_thread(_read_models, base_url, api_key, timeouts or Timeouts(connect=5.0, read=10.0))
