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

Longer than ~400 lines on purpose: it is the one HTTP client to models (DESIGN: only this module streams), and
its SSE parsing, stream metrics and error lines must agree with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from httpx_sse import EventSource, SSEError

from ..untrusted import one_line as _one_line
from .endpoints import api_root
from .events import Delta, Done, Failed, StreamEvent, StreamMetrics
from .params import SamplingParams

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
# llama-cpp-python's server (its interrupt_requests default; modelpick's servers turn it off) ends the stream in
# progress with [DONE] and no finish reason when another request arrives: the answer looks complete but is not.
CUT_OFF = ("answer cut off: the stream ended without a finish reason after {n} tokens (a llama.cpp server "
           "interrupts a stream when another request arrives; start it with --interrupt_requests False)")
# After [DONE], how long to wait for the end of the body so the connection can go back to the pool (httpx
# discards a connection whose response was not read to the end: a new TCP/TLS handshake for the next request).
# The wait happens in the background: the stream's Done is not held back by it. vLLM (CPU build, 2 cores) ends
# the body a good while after [DONE]; waiting inline held every request's slot ~0.25 s longer (a run at
# concurrency 8 went at 0.6-0.7 of a raw client).
_DRAIN_S = 0.25
# Before a request, how long to let finished streams' drains return their connections to the pool (so one
# request after another reuses one connection).
_REUSE_WAIT_S = 0.005


@dataclass(frozen=True)
class Timeouts:
    """Per-stream limits, in seconds. `read` bounds each wait for bytes (a stall, or a slow prefill before the
    first token); `deadline` bounds the whole stream (None: no overall limit)."""

    connect: float = 5.0
    read: float = 60.0
    deadline: float | None = 600.0


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request; unset sampling params are left to the server's defaults."""

    model: str
    messages: tuple[Message, ...]
    sampling: SamplingParams = SamplingParams()

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
                "stream": True, "stream_options": {"include_usage": True}}


@dataclass
class StreamMeter:
    """When one stream's content arrived, and the one place its TTFT, latency and decode rate are worked out:
    the client fills it and puts `metrics()` in Done/Failed; a caller that passes its own meter to
    `ChatClient.stream` reads the same figures live while the stream runs. Times are `time.perf_counter()`."""

    start: float = field(default_factory=time.perf_counter)
    first_at: float | None = None
    last_at: float | None = None
    chunks: int = 0
    """Non-empty content chunks so far."""

    def begin(self) -> None:
        """The request is about to be sent: times count from now."""
        self.start, self.first_at, self.last_at, self.chunks = time.perf_counter(), None, None, 0

    def chunk(self) -> None:
        """A non-empty content chunk arrived."""
        now = time.perf_counter()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.chunks += 1

    def metrics(self, *, tokens: int | None = None, end: float | None = None) -> StreamMetrics:
        """The figures so far: `tokens` (default: the chunks counted) over the time to `end` (default: now)."""
        tokens = self.chunks if tokens is None else tokens
        decode = None
        if self.first_at is not None and self.last_at is not None and tokens > 1 and self.last_at > self.first_at:
            decode = (tokens - 1) / (self.last_at - self.first_at)
        return StreamMetrics(
            ttft_ms=None if self.first_at is None else (self.first_at - self.start) * 1000,
            latency_ms=((time.perf_counter() if end is None else end) - self.start) * 1000,
            output_tokens=tokens,
            decode_tokens_per_s=decode,
        )


class EndpointError(Exception):
    """An endpoint could not be queried; `str()` is one line fit to show."""


class _StreamError(Exception):
    """Ends a stream with this message."""


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _server_message(body: Any) -> str | None:
    """The human message in an error body, across the shapes servers use: OpenAI/vLLM `{"error": {"message"}}`,
    `{"error": "..."}`, older vLLM `{"object": "error", "message"}`, FastAPI `{"detail": ...}`."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(error, str) and error:
        return error
    if body.get("message"):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:  # FastAPI validation errors
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return None


def _http_error(response: httpx.Response) -> str:
    head = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    try:
        message = _server_message(response.json())
    except (ValueError, UnicodeDecodeError):
        message = response.text
    if not message or not message.strip() or message.strip() == response.reason_phrase:
        return head
    return f"{head}: {_one_line(message)}"


def _transport_error(exc: httpx.TransportError, url: str, timeouts: Timeouts) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {url}: no answer in {timeouts.connect:g} s"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or type(exc).__name__
        if "refused" in reason.lower() or "all connection attempts failed" in reason.lower():
            reason = "connection refused (is the server running?)"
        return f"cannot connect to {url}: {_one_line(reason)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"invalid endpoint URL {url!r}: {_one_line(str(exc))}"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection in {timeouts.connect:g} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"could not send the request in {timeouts.connect:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no data for {timeouts.read:g} s"
    return f"{type(exc).__name__}: {_one_line(str(exc) or 'transport error')}"


@dataclass
class _Progress:
    meter: StreamMeter
    parts: list[str] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    done: bool = False
    done_at: float | None = None
    body_started: bool = False

    def feed(self, data: str) -> str | None:
        """Take one SSE `data` payload; return new content text, if any."""
        if data.strip() == "[DONE]":
            self.done, self.done_at = True, time.perf_counter()
            return None
        try:
            chunk = json.loads(data)
        except ValueError:
            raise _StreamError(f"malformed stream: data is not JSON: {_one_line(data, _SNIPPET)!r}") from None
        if not isinstance(chunk, dict):
            raise _StreamError(f"malformed stream: data is not a JSON object: {_one_line(data, _SNIPPET)!r}")
        if chunk.get("error") or chunk.get("object") == "error":
            message = _server_message(chunk) or _one_line(data, _SNIPPET)
            raise _StreamError(f"server error in stream: {_one_line(message)}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        if choices is None and isinstance(chunk.get("usage"), dict):
            return None
        if not isinstance(choices, list):
            raise _StreamError(f"malformed stream: chunk without choices: {_one_line(data, _SNIPPET)!r}")
        if not choices:  # vLLM's usage-only chunk, Azure's prompt-filter chunk
            return None
        choice = choices[0]
        if not isinstance(choice, dict):
            raise _StreamError(f"malformed stream: choice is not an object: {_one_line(data, _SNIPPET)!r}")
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        if not isinstance(content, str) or not content:
            return None
        self.meter.chunk()
        self.parts.append(content)
        return content

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def chunks(self) -> int:
        return self.meter.chunks

    def metrics(self, error: str | None = None) -> StreamMetrics:
        completion = self.usage.get("completion_tokens") if self.usage else None
        prompt = self.usage.get("prompt_tokens") if self.usage else None
        from_usage = isinstance(completion, int) and error is None
        tokens = completion if from_usage and isinstance(completion, int) else self.chunks
        return replace(self.meter.metrics(tokens=tokens, end=self.done_at),
                       tokens_from="usage" if from_usage else "chunks",
                       prompt_tokens=prompt if isinstance(prompt, int) else None,
                       finish_reason=self.finish_reason, error=error)


class ChatClient:
    """One httpx connection pool shared by every endpoint's streams. Use as `async with`, or `aclose()`."""

    def __init__(self, timeouts: Timeouts | None = None, *, http: httpx.AsyncClient | None = None,
                 max_connections: int = 64) -> None:
        self.timeouts = timeouts or Timeouts()
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(limits=httpx.Limits(max_connections=max_connections))
        self._drains: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._drains:  # background drains end within _DRAIN_S; they close their responses themselves
            await asyncio.gather(*self._drains, return_exceptions=True)
        if self._owns_http:
            await self._http.aclose()

    def _drain_later(self, events: Any, response: httpx.Response) -> None:
        async def drain() -> None:
            try:
                await _drain(events)
            finally:
                with contextlib.suppress(Exception):
                    await events.aclose()
                with contextlib.suppress(Exception):
                    await response.aclose()

        task = asyncio.get_running_loop().create_task(drain())
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)

    async def list_models(self, base_url: str, api_key: str | None = None) -> list[str]:
        """The model ids an endpoint serves (`GET /v1/models`); raises EndpointError with one line."""
        return await _list_models(self._http, base_url, api_key, self.timeouts)

    async def collect(self, base_url: str, request: ChatRequest, *, api_key: str | None = None,
                      timeouts: Timeouts | None = None) -> Done | Failed:
        """Run a stream to its end and return its last event."""
        async for event in self.stream(base_url, request, api_key=api_key, timeouts=timeouts):
            if isinstance(event, Done | Failed):
                return event
        raise AssertionError("a stream always ends with Done or Failed")  # pragma: no cover

    async def stream(self, base_url: str, request: ChatRequest, *, api_key: str | None = None,
                     timeouts: Timeouts | None = None, meter: StreamMeter | None = None) -> AsyncIterator[StreamEvent]:
        """Stream one chat completion: `Delta`s as content arrives (one per chunk: batch repaints on your
        side), then exactly one `Done` or `Failed`. Pass a `meter` to read the figures live meanwhile."""
        limits = timeouts or self.timeouts
        loop = asyncio.get_running_loop()
        deadline = None if limits.deadline is None else loop.time() + limits.deadline
        if self._drains:
            await asyncio.wait(list(self._drains), timeout=_REUSE_WAIT_S)
        meter = meter or StreamMeter()
        meter.begin()
        progress = _Progress(meter)
        error: str | None = None
        try:
            http_request = self._http.build_request(
                "POST", api_root(base_url) + "/chat/completions", json=request.payload(),
                headers={**_headers(api_key), "Accept": "text/event-stream", "Cache-Control": "no-store"},
                timeout=httpx.Timeout(connect=limits.connect, read=limits.read, write=limits.connect,
                                      pool=limits.connect),
            )
            # Only the awaits sit under the deadline, never a `yield`: a timeout scope spanning a yield would
            # cancel the consumer's code instead of ours.
            async with asyncio.timeout_at(deadline):
                response = await self._http.send(http_request, stream=True)
            handed_off = False  # to a background drain, which closes the response itself
            try:
                if response.status_code >= 400:
                    async with asyncio.timeout_at(deadline):
                        await response.aread()
                    raise _StreamError(_http_error(response))
                progress.body_started = True
                events = EventSource(response).aiter_sse()
                try:
                    while not progress.done:
                        async with asyncio.timeout_at(deadline):
                            sse = await anext(events, None)
                        if sse is None:
                            break
                        if sse.event == "error":
                            message = _one_line(sse.data) or "error event"
                            raise _StreamError(f"server error in stream: {message}")
                        if not sse.data:
                            continue
                        text = progress.feed(sse.data)
                        if text:
                            yield Delta(text)
                    if progress.done:
                        self._drain_later(events, response)
                        handed_off = True
                finally:
                    if not handed_off:
                        await events.aclose()
            finally:
                if not handed_off:
                    await response.aclose()
            # A server that ends the body cleanly after a finish_reason but forgets [DONE] still answered fully.
            if not progress.done and progress.finish_reason is None:
                error = f"stream ended before completion ({progress.chunks} tokens received)"
            elif progress.finish_reason is None:  # [DONE] without a finish reason: cut short, not an answer
                error = CUT_OFF.format(n=progress.chunks)
        except _StreamError as exc:
            error = str(exc)
        except TimeoutError:
            error = f"deadline of {limits.deadline:g} s exceeded ({progress.chunks} tokens received)"
        except SSEError as exc:  # a TransportError subclass: wrong content type, not a network failure
            error = f"malformed stream: {_one_line(str(exc))}"
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if progress.body_started:
                error = f"stream ended before completion ({progress.chunks} tokens received)"
            else:
                error = f"server closed the connection without answering: {_one_line(str(exc) or type(exc).__name__)}"
        except httpx.TransportError as exc:
            error = _transport_error(exc, api_root(base_url), limits)
        except (httpx.HTTPError, httpx.InvalidURL, UnicodeDecodeError) as exc:
            error = f"{type(exc).__name__}: {_one_line(str(exc))}"
        if error is None:
            yield Done(progress.text, progress.metrics())
        else:
            yield Failed(error, progress.text, progress.metrics(error))


async def _drain(events: AsyncIterator[object]) -> None:
    """Read what follows [DONE] (normally only the end of the chunked body), briefly."""
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout(_DRAIN_S):
            async for _ in events:
                pass


async def _list_models(http: httpx.AsyncClient, base_url: str, api_key: str | None, timeouts: Timeouts) -> list[str]:
    url = api_root(base_url) + "/models"
    timeout = httpx.Timeout(connect=timeouts.connect, read=timeouts.read, write=timeouts.connect,
                            pool=timeouts.connect)
    try:
        response = await http.get(url, headers=_headers(api_key), timeout=timeout)
    except httpx.TransportError as exc:
        raise EndpointError(_transport_error(exc, api_root(base_url), timeouts)) from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise EndpointError(f"{type(exc).__name__}: {_one_line(str(exc))}") from exc
    if response.status_code >= 400:
        raise EndpointError(_http_error(response))
    try:
        data = response.json()["data"]
        return [str(entry["id"]) for entry in data]
    except (ValueError, KeyError, TypeError) as exc:
        raise EndpointError(f"unexpected /v1/models answer: {_one_line(response.text, _SNIPPET)!r}") from exc


async def list_models(base_url: str, api_key: str | None = None, *, timeouts: Timeouts | None = None) -> list[str]:
    """The model ids an endpoint serves (`GET /v1/models`), to check it answers; raises EndpointError."""
    async with httpx.AsyncClient() as http:
        return await _list_models(http, base_url, api_key, timeouts or Timeouts(connect=5.0, read=10.0))
