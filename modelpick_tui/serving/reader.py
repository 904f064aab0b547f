"""The stream reader: the HTTP side of every stream to a model, where its timestamps are taken and its caps held.

A `StreamHost` runs on an event loop of its own (a reader process or a reader thread: serving/engine.py says
which and why). Each stream it is handed is one `POST /v1/chat/completions` through httpx; each network chunk
is timestamped the moment `aiter_bytes` hands it over, then cut into SSE events (serving/sse.py), so the
content deltas of a chunk carry the time their bytes arrived, whatever the UI or the other streams' consumers
are doing meanwhile. What it hands on, through `emit(kind, data, at)`:

    ("sent", queue_ms, at)        the request's headers start going out at `at`; `queue_ms` is the time since
                                  the stream was asked for (waiting for a pooled connection, or connecting)
    ("text", [piece, ...], at)    non-empty content deltas that arrived in one chunk at `at`
    ("end", {...}, at)            the last one: error (None when answered), finish_reason, usage, done_at

Times are `time.perf_counter()`: CLOCK_MONOTONIC on Linux (and mach_absolute_time on macOS), one clock for
every process of the machine, so the asking process can compare them with its own.

Bounds (issue 11), each in the error line that it ends a stream with:
- `read` (`--timeout`): the longest wait for the next complete line of the stream, and for the answer's
  headers. Bytes that never end a line (a server streaming without newlines) do not reset it.
- `deadline` (`--max-time`): the whole life of the request, from when it was asked for.
- one line over MAX_LINE_BYTES is cut at once (the buffer would otherwise grow without end);
- content chunks past `max_tokens` (+ TOKEN_SLACK), or past DEFAULT_TOKEN_CAP without it, are cut: a server
  that ignores max_tokens never ends on its own;
- the stream's bytes past 1 MB + 4 kB per token allowed are cut.

Longer than ~400 lines on purpose: the timestamps and the caps must be taken in one place, on the reader's
loop, for compare, runs, the judge and the load test's closed loop alike; apart, they would drift.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..untrusted import one_line
from .http_errors import http_error, server_message, transport_error
from .sse import LineTooLong, SSEDecoder

__all__ = ["DEFAULT_TOKEN_CAP", "MAX_LINE_BYTES", "TOKEN_SLACK", "Emit", "StreamHost", "caps_for"]

Emit = Callable[[str, Any, float], None]

MAX_LINE_BYTES = 4_000_000
TOKEN_SLACK = 8  # a server may count the closing chunk(s) differently; 8 more is still "ignores max_tokens" only
DEFAULT_TOKEN_CAP = 65_536
_BYTES_BASE, _BYTES_PER_TOKEN = 1_000_000, 4_000
_ERROR_BODY_BYTES = 65_536
_SNIPPET = 120
# llama-cpp-python's server (its interrupt_requests default; modelpick's servers turn it off) ends the stream in
# progress with [DONE] and no finish reason when another request arrives: the answer looks complete but is not.
CUT_OFF = ("answer cut off: the stream ended without a finish reason after {n} tokens (a llama.cpp server "
           "interrupts a stream when another request arrives; start it with --interrupt_requests False)")
# After [DONE], how long to wait for the end of the body, inline, so the connection goes back to the pool before
# the stream's end is handed on (httpx discards a connection whose response was not read to its end: a new TCP/TLS
# handshake for the next request). Inline, not in a background task as before: that made the pool hand the next
# request a connection still being read (httpcore's ConnectionNotAvailable, then a retry) and cost 1.2-1.5 ms of
# CPU a request more (cProfile of the load loop against a static server, bench/load_ceiling.py). vLLM 0.32's CPU
# build ends its body 0.4 ms after [DONE] with one stream, 2 ms (p50) to 34 ms (p90, max 92) with 8 (measured here,
# load 8); a body that does not end within this is dropped with its connection (httpcore closes it).
END_WAIT_S = 0.1
# A load test's answers go to the asking process together, those that ended within this long of each other: one
# message (a JSON line, a pipe write, a wake-up of its pump thread and of its loop) per batch, not per answer.
LOAD_BATCH_S = 0.05


def caps_for(max_tokens: int | None) -> tuple[int, int]:
    """(content chunks, bytes) a stream asked for `max_tokens` may carry before it is cut."""
    tokens = DEFAULT_TOKEN_CAP if not max_tokens else max_tokens + TOKEN_SLACK
    return tokens, _BYTES_BASE + _BYTES_PER_TOKEN * tokens


class _StreamError(Exception):
    """Ends a stream with this message."""


@dataclass
class _Reading:
    """What the reader keeps of one stream: counts and the closing facts, not the text (the asker keeps it)."""

    max_tokens: int | None
    quiet: bool = False
    """Keep the text and the content's first and last times here and hand them on with the end, not chunk by
    chunk: a caller that only wants the answer (a run, the judge) then costs the asking process one message
    per stream, not one per chunk."""
    chunks: int = 0
    bytes: int = 0
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    done: bool = False
    done_at: float | None = None
    body_started: bool = False
    sent: tuple[float, float] | None = None  # (at, queue_ms), quiet only
    first_at: float | None = None
    last_at: float | None = None
    gaps: list[float] | None = None
    """Quiet, when asked for (a load test's inter-token latencies): ms from each content piece's arrival to the
    next's (0 between pieces of one network chunk), handed on with the end."""
    keep_text: bool = True
    """Quiet: hand the text on with the end (a load test's figures need none of it)."""

    def __post_init__(self) -> None:
        self.parts: list[str] = []
        self.token_cap, self.byte_cap = caps_for(self.max_tokens)

    def feed(self, data: str, at: float) -> str | None:
        """Take one SSE `data` payload that arrived at `at`; return its content text, if any."""
        if data.strip() == "[DONE]":
            self.done, self.done_at = True, at
            return None
        try:
            chunk = json.loads(data)
        except (ValueError, RecursionError):
            raise _StreamError(f"malformed stream: data is not JSON: {one_line(data, _SNIPPET)!r}") from None
        if not isinstance(chunk, dict):
            raise _StreamError(f"malformed stream: data is not a JSON object: {one_line(data, _SNIPPET)!r}")
        if chunk.get("error") or chunk.get("object") == "error":
            message = server_message(chunk) or one_line(data, _SNIPPET)
            raise _StreamError(f"server error in stream: {one_line(message)}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        if choices is None and isinstance(chunk.get("usage"), dict):
            return None
        if not isinstance(choices, list):
            raise _StreamError(f"malformed stream: chunk without choices: {one_line(data, _SNIPPET)!r}")
        if not choices:  # vLLM's usage-only chunk, Azure's prompt-filter chunk
            return None
        choice = choices[0]
        if not isinstance(choice, dict):
            raise _StreamError(f"malformed stream: choice is not an object: {one_line(data, _SNIPPET)!r}")
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        if not isinstance(content, str) or not content:
            return None
        if self.chunks >= self.token_cap:
            if self.max_tokens:
                raise _StreamError(f"cut: more than {self.token_cap} tokens where max_tokens is {self.max_tokens} "
                                   "(the server ignores max_tokens)")
            raise _StreamError(f"cut: more than {self.token_cap} tokens with no max_tokens (the cap without it; "
                               "set max_tokens to allow more)")
        self.chunks += 1
        return content

    def arrived(self, texts: list[str], at: float) -> None:
        """Quiet: content that arrived at `at`."""
        if self.keep_text:
            self.parts += texts
        if self.gaps is not None:
            prev = self.last_at
            for _ in texts:
                if prev is not None:
                    self.gaps.append(round((at - prev) * 1000, 3))
                prev = at
        self.first_at = self.first_at or at
        self.last_at = at

    def closing(self, error: str | None) -> dict[str, Any]:
        usage = self.usage or {}
        closing = {"error": error, "finish_reason": self.finish_reason, "done_at": self.done_at,
                   "completion_tokens": usage.get("completion_tokens"), "prompt_tokens": usage.get("prompt_tokens")}
        if self.quiet:
            closing.update(text="".join(self.parts) if self.keep_text else None, sent=self.sent,
                           first_at=self.first_at, last_at=self.last_at, chunks=self.chunks)
            if self.gaps is not None:
                closing["gaps"] = self.gaps
        return closing


async def read_stream(http: httpx.AsyncClient, spec: Mapping[str, Any], emit: Emit) -> None:
    """Run one stream (`spec`: what ChatClient asks for) to its end, emitting what arrives; never raises for a
    server's misbehaviour (the "end" event says it), only for cancellation."""
    loop = asyncio.get_running_loop()
    read_s, deadline_s, connect_s = spec["read"], spec["deadline"], spec["connect"]
    whole = None if deadline_s is None else loop.time() + deadline_s
    state = _Reading(spec["payload"].get("max_tokens"), quiet=bool(spec.get("quiet")),
                     gaps=[] if spec.get("quiet") and spec.get("gaps") else None, keep_text=spec.get("text", True))
    sent = False

    async def trace(name: str, info: Mapping[str, Any]) -> None:
        nonlocal sent
        if not sent and name.endswith("send_request_headers.started"):
            sent, now = True, time.perf_counter()
            if state.quiet:
                state.sent = (now, (now - spec["asked_at"]) * 1000)
            else:
                emit("sent", (now - spec["asked_at"]) * 1000, now)

    error: str | None = None
    response: httpx.Response | None = None
    watch: _ReadWatch | None = None
    try:
        body = spec.get("body")  # the payload encoded once by the asker (a load test sends each many times)
        request = http.build_request(
            "POST", spec["url"], json=None if body is not None else spec["payload"], content=body,
            headers=spec["headers"] if body is None else {**spec["headers"], "Content-Type": "application/json"},
            timeout=httpx.Timeout(connect=connect_s, read=read_s, write=connect_s, pool=connect_s),
            extensions={"trace": trace})
        async with asyncio.timeout_at(whole) as life:
            response = await http.send(request, stream=True)
            chunks = response.aiter_bytes()
            if response.status_code >= 400:
                raise _StreamError(http_error(response.status_code, response.reason_phrase, await _head_of(chunks)))
            content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in content_type:
                raise _StreamError("malformed stream: Expected response header Content-Type to contain "
                                   f"'text/event-stream', got {one_line(content_type, _SNIPPET)!r}")
            state.body_started = True
            watch = _ReadWatch(life, read_s)
            await _read_events(chunks, state, emit, watch)
        if state.done:  # outside the deadline: the answer is whole, whatever the end of its body does
            await _read_to_end(chunks)
        # A server that ends the body cleanly after a finish_reason but forgets [DONE] still answered fully.
        if not state.done and state.finish_reason is None:
            error = f"stream ended before completion ({state.chunks} tokens received)"
        elif state.finish_reason is None:  # [DONE] without a finish reason: cut short, not an answer
            error = CUT_OFF.format(n=state.chunks)
    except _StreamError as exc:
        error = str(exc)
    except TimeoutError:
        if watch is not None and watch.expired:
            error = watch.message()
        else:
            error = f"deadline of {deadline_s:g} s exceeded ({state.chunks} tokens received)"
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        if state.body_started:
            error = f"stream ended before completion ({state.chunks} tokens received)"
        else:
            error = f"server closed the connection without answering: {one_line(str(exc) or type(exc).__name__)}"
    except httpx.TransportError as exc:
        error = transport_error(exc, spec["root"], connect_s, read_s)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"{type(exc).__name__}: {one_line(str(exc))}"
    finally:
        if watch is not None:
            watch.close()
        if response is not None:
            await response.aclose()
    emit("end", state.closing(error), time.perf_counter())


async def _read_to_end(chunks: AsyncIterator[bytes]) -> None:
    """After [DONE]: read the end of the body (normally already here) so the connection can go back to the pool;
    a body that does not end within END_WAIT_S, or fails, is dropped with its connection (the answer is whole)."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(END_WAIT_S):
            async for _ in chunks:
                pass


class _ReadWatch:
    """The wait for the next complete line, held by one timer per stream: a chunk that completes a line only
    notes when it came (`progress`), where a timeout per chunk armed and cancelled a timer each time (~8 µs a
    chunk, the most of the reader's own work per chunk). When the wait is over it brings the stream's `life`
    timeout (its deadline's) forward to now, and `expired` says it was this wait, not the deadline."""

    def __init__(self, life: asyncio.Timeout, read_s: float) -> None:
        self.life, self.read_s = life, read_s
        self.progress = time.perf_counter()
        self.quiet_bytes = 0  # bytes since the last complete line
        self.expired = False
        self._loop = asyncio.get_running_loop()
        self._timer = self._loop.call_later(read_s, self._check)

    def _check(self) -> None:
        left = self.progress + self.read_s - time.perf_counter()
        if left > 0:
            self._timer = self._loop.call_later(left, self._check)
        elif not self.life.expired():
            self.expired = True
            self.life.reschedule(self._loop.time())

    def message(self) -> str:
        if self.quiet_bytes:
            return f"no complete line in {self.read_s:g} s ({self.quiet_bytes} bytes without a line end)"
        return f"no data for {self.read_s:g} s"

    def close(self) -> None:
        self._timer.cancel()


async def _read_events(chunks: AsyncIterator[bytes], state: _Reading, emit: Emit, watch: _ReadWatch) -> None:
    decoder = SSEDecoder(MAX_LINE_BYTES)
    lines = 0
    async for chunk in chunks:
        at = time.perf_counter()  # the one timestamp of this chunk's events: when its bytes came
        state.bytes += len(chunk)
        texts: list[str] = []
        try:
            if state.bytes > state.byte_cap:
                raise _StreamError(f"cut: the stream passed {state.byte_cap / 1e6:g} MB (1 MB + 4 kB per token "
                                   "allowed; a larger max_tokens allows more)")
            for event in decoder.feed(chunk):
                if event.event == "error":
                    raise _StreamError(f"server error in stream: {one_line(event.data) or 'error event'}")
                if not event.data:
                    continue
                text = state.feed(event.data, at)
                if text:
                    texts.append(text)
                if state.done:
                    break
        except LineTooLong:
            raise _StreamError(f"cut: one line of the stream passed {MAX_LINE_BYTES // 1_000_000} MB without "
                               "ending (a fixed limit)") from None
        except UnicodeDecodeError:
            raise _StreamError("malformed stream: bytes that are not UTF-8") from None
        finally:
            if texts and state.quiet:
                state.arrived(texts, at)
            elif texts:
                emit("text", texts, at)
        if decoder.lines != lines:
            watch.progress, lines, watch.quiet_bytes = at, decoder.lines, decoder.pending
        else:
            watch.quiet_bytes += len(chunk)
        if state.done:
            return


async def _head_of(chunks: AsyncIterator[bytes]) -> bytes:
    """The first _ERROR_BODY_BYTES of an error answer's body (an endless one is not read to its end)."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) >= _ERROR_BODY_BYTES:
            break
    return bytes(body[:_ERROR_BODY_BYTES])


class StreamHost:
    """The streams in flight on one event loop, with one httpx pool per asking ChatClient (`pool` ids). Every
    method runs on the host's loop; `emit(stream_id, kind, data, at)` hands events on."""

    def __init__(self, emit: Callable[[int, str, Any, float], None]) -> None:
        self._emit = emit
        self._pools: dict[int, httpx.AsyncClient] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._ssl: Any = None

    async def warm(self) -> None:
        """Load what the first pool would (the TLS context, httpx's transports: ~0.3 s on a loaded machine)
        before any stream is in flight on this loop."""
        self._ssl = self._ssl or httpx.create_ssl_context()
        await httpx.AsyncClient(verify=self._ssl).aclose()

    def open(self, spec: Mapping[str, Any]) -> None:
        sid = spec["id"]

        def emit(kind: str, data: Any, at: float) -> None:
            self._emit(sid, kind, data, at)

        self._start(sid, self._run(spec, emit))

    def open_load(self, spec: Mapping[str, Any]) -> None:
        """A load test's closed loop, run here: `users` users, each sending its next request (the `payloads` in
        turn from `offset`) as soon as its answer ends, for `duration` s or `requests` requests in all. The answers
        go out in ("samples", [each one's quiet closing, without its text, + asked_at and at], at) events, the ones
        that ended within LOAD_BATCH_S together; ("end", {"error": None}) ends the job. Run here, not by the asking
        process, so no pipe hop stands between one answer and the user's next request."""
        self._start(spec["id"], self._run_load(spec))

    def _start(self, sid: int, work: Any) -> None:
        self._tasks[sid] = task = asyncio.get_running_loop().create_task(work)
        task.add_done_callback(lambda _: self._tasks.pop(sid, None))

    def cancel(self, sid: int) -> None:
        task = self._tasks.get(sid)
        if task is not None:
            task.cancel()

    def close_pool(self, pool: int) -> None:
        http = self._pools.pop(pool, None)
        if http is not None:
            asyncio.get_running_loop().create_task(http.aclose())

    async def aclose(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        for pool in list(self._pools):
            await self._pools.pop(pool).aclose()

    async def _run_load(self, spec: Mapping[str, Any]) -> None:
        sid, payloads, cap = spec["id"], spec["payloads"], spec.get("requests")
        # Each payload encoded once, as httpx would encode it, not at every request (a long prompt is ~0.1 ms).
        bodies = [json.dumps(p, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
                  for p in payloads]
        stop_at = time.perf_counter() + spec["duration"]
        issued = 0
        batch: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()

        def flush() -> None:
            if batch:
                self._emit(sid, "samples", batch.copy(), time.perf_counter())
                batch.clear()

        if self._ssl is None:
            await self.warm()

        async def user() -> None:
            # A connection of its own per user, as each user of a closed loop holds one: in one shared pool httpcore
            # looks over every connection (a poll and a getpeername each) at each request and each response's
            # end, so that a request's CPU grew with the users (3.6 ms a request at 8 users, 14 at 64: bench/
            # load_ceiling.py); one pool per user keeps it flat.
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1), verify=self._ssl) as http:
                await user_loop(http)

        async def user_loop(http: httpx.AsyncClient) -> None:
            nonlocal issued
            while time.perf_counter() < stop_at and (cap is None or issued < cap):
                index, issued = spec.get("offset", 0) + issued, issued + 1
                one = {**spec, "payload": payloads[index % len(payloads)], "body": bodies[index % len(payloads)],
                       "asked_at": time.perf_counter(), "quiet": True, "gaps": True, "text": False}
                ended: dict[str, Any] = {}

                def keep(kind: str, data: Any, at: float, ended: dict[str, Any] = ended) -> None:
                    if kind == "end":
                        ended.update(data, at=at)

                await read_stream(http, one, keep)
                if not batch:
                    loop.call_later(LOAD_BATCH_S, flush)
                batch.append({**ended, "asked_at": one["asked_at"]})

        try:
            await asyncio.gather(*(user() for _ in range(spec["users"])))
            flush()
        except Exception as exc:  # a bug here must not leave the asking side waiting for an end
            flush()
            error = f"the stream reader's load loop failed: {type(exc).__name__}: {one_line(str(exc))}"
            self._emit(sid, "end", {"error": error}, time.perf_counter())
            return
        self._emit(sid, "end", {"error": None}, time.perf_counter())

    async def _run(self, spec: Mapping[str, Any], emit: Emit) -> None:
        pool = spec["pool"]
        http = self._pools.get(pool)
        if http is None:
            # One TLS context for every pool: making one loads the CA bundle (0.15-0.3 s of CPU on a loaded
            # machine), and the loop it blocks is the one timestamping the other pools' streams.
            if self._ssl is None:
                await self.warm()
            limits = httpx.Limits(max_connections=spec["max_connections"])
            http = self._pools[pool] = httpx.AsyncClient(limits=limits, verify=self._ssl)
        await read_stream(http, spec, emit)
