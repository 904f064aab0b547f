"""The load generator: `concurrency` users, each sending its next request as soon as its last answer ends (a
closed loop, as vLLM's `bench serve --max-concurrency` and GuideLLM's concurrent profile do), for `duration_s`;
requests in flight when the time is up are waited for and counted. Every stream goes through the one timing
engine (serving/client.py → the reader process: docs/timing.md), asked for its inter-token gaps; the answer comes
back in one message per request, so hundreds of streams cost the asking process little.

A request that fails for want of the server (refused, closed, cut short) makes the generator ask the server for its
model list: when that fails too the server is gone, and the level stops there with the cause."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...serving.client import ChatRequest, EndpointError, Timeouts, list_models
from ...serving.events import Done, Failed
from ...serving.params import SamplingParams

if TYPE_CHECKING:
    from ...serving.client import ChatClient
    from ...serving.endpoints import Endpoint

# Errors that may mean the server is gone rather than that one request failed: the generator checks.
_GONE_HINTS = ("cannot connect", "server closed the connection", "stream ended before completion",
               "the stream reader stopped")


@dataclass(frozen=True)
class LoadPrompt:
    """One prompt of the load, as the user's traffic sends it."""

    prompt: str
    system: str | None = None


@dataclass(frozen=True)
class Sample:
    """One request measured (ms; `first_at`/`end_at` on time.perf_counter(), to see which streams overlapped)."""

    error: str | None
    ttft_ms: float | None
    tpot_ms: float | None  # (e2e − TTFT) / (output tokens − 1): time per output token after the first
    e2e_ms: float | None
    gaps_ms: tuple[float, ...]
    prompt_tokens: int | None
    output_tokens: int
    tokens_from: str  # "usage" | "chunks"
    first_at: float | None
    end_at: float
    queue_ms: float | None = None  # asked for → its request written (a pooled connection's wait, a connect)
    asked_at: float | None = None  # when its user asked for it (time.perf_counter(), the stream reader's)


@dataclass
class LevelRun:
    """What one level's load produced."""

    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    wall_s: float = 0.0  # the load's time: first request asked → last answer's end (run_level)
    died: str | None = None  # the server is gone: the cause
    client_cpu: float | None = None  # the busier of the asking process and its reader: CPU seconds / wall


def sample_of(result: Done | Failed, asked_at: float) -> Sample:
    """A finished stream as a Sample (times from the stream reader's timestamps)."""
    m = result.metrics
    queue_s = (m.queue_ms or 0.0) / 1000
    sent_at = asked_at + queue_s
    tpot = None
    if m.ttft_ms is not None and m.latency_ms is not None and m.output_tokens > 1:
        tpot = (m.latency_ms - m.ttft_ms) / (m.output_tokens - 1)
    error = result.error if isinstance(result, Failed) else None
    return Sample(error=error, ttft_ms=m.ttft_ms, tpot_ms=tpot, e2e_ms=m.latency_ms, gaps_ms=m.gaps_ms or (),
                  prompt_tokens=m.prompt_tokens, output_tokens=m.output_tokens, tokens_from=m.tokens_from,
                  first_at=None if m.ttft_ms is None else sent_at + m.ttft_ms / 1000,
                  end_at=sent_at + (m.latency_ms or 0.0) / 1000, queue_ms=m.queue_ms, asked_at=asked_at)


def max_in_flight(samples: Sequence[Sample]) -> int:
    """The most answers streaming at once (between their first token and their end)."""
    edges = sorted([(s.first_at, 1) for s in samples if s.first_at is not None and s.error is None]
                   + [(s.end_at, -1) for s in samples if s.first_at is not None and s.error is None])
    most = now = 0
    for _, step in edges:  # at a tie the end (-1) sorts first: back to back is not at once
        now += step
        most = max(most, now)
    return most


class _Cpu:
    """CPU seconds of this process and of the stream reader's, against the wall clock."""

    def __init__(self, reader_pid: int | None) -> None:
        self.reader = None
        if reader_pid is not None:
            import psutil

            try:
                self.reader = psutil.Process(reader_pid)
            except psutil.Error:
                self.reader = None
        self.wall, self.own, self.theirs = time.perf_counter(), time.process_time(), self._theirs()

    def _theirs(self) -> float:
        if self.reader is None:
            return 0.0
        try:
            t = self.reader.cpu_times()
            return float(t.user + t.system)
        except Exception:  # the reader ended: its share is unknown from here
            return 0.0

    def share(self) -> float:
        wall = max(time.perf_counter() - self.wall, 1e-9)
        return max(time.process_time() - self.own, self._theirs() - self.theirs) / wall


async def run_level(client: ChatClient, endpoint: Endpoint, prompts: Sequence[LoadPrompt], concurrency: int,
                    duration_s: float, max_tokens: int, *, timeouts: Timeouts,
                    on_sample: Callable[[Sample], None] | None = None, offset: int = 0,
                    requests: int | None = None, temperature: float | None = None) -> LevelRun:
    """`concurrency` users for `duration_s` (their last requests finish after it), prompts taken in turn from
    `offset`; `requests`: no more than that many in all (a bench matching another tool's fixed count). The loop
    runs in the stream reader (ChatClient.load): no pipe hop between an answer and its user's next request.
    Cancelling it cancels the streams in flight (the finished samples are lost with it)."""
    run = LevelRun(concurrency)
    asks = [ChatRequest.from_prompt(endpoint.model, p.prompt, system=p.system,
                                    sampling=SamplingParams(max_tokens=max_tokens, temperature=temperature))
            for p in prompts]
    cpu = _Cpu(client.reader_pid)
    started = time.perf_counter()
    results = client.load(endpoint.base_url, asks, users=concurrency, duration_s=duration_s,
                          api_key=endpoint.api_key, timeouts=timeouts, max_requests=requests, offset=offset)
    try:
        async with contextlib.aclosing(results):
            async for asked, result in results:
                sample = sample_of(result, asked)
                run.samples.append(sample)
                if on_sample is not None:
                    on_sample(sample)
                if sample.error and sample.error.startswith(_GONE_HINTS):
                    try:  # the reader goes on meanwhile: the probe holds back no other user
                        await list_models(endpoint.base_url, endpoint.api_key,
                                          timeouts=Timeouts(connect=3.0, read=5.0))
                    except EndpointError as exc:
                        run.died = f"{sample.error} (and the server does not answer: {exc})"
                        break
    except EndpointError as exc:  # the stream reader itself stopped
        run.died = str(exc)
    run.wall_s = time.perf_counter() - started
    run.client_cpu = cpu.share()
    span = load_span(run.samples)
    if span is not None:
        # The load's own time, as vLLM's benchmark counts it: from the first request asked to the last answer's
        # end, on the stream reader's clock. The wall clock here adds the start of the loop in the reader and the
        # hand-over of the last batch of answers (up to 50 ms), which were no load on the server.
        run.wall_s = span
    return run


def load_span(samples: Sequence[Sample]) -> float | None:
    """Seconds from the first request asked to the last answer's end (None without timestamps)."""
    asked = [s.asked_at for s in samples if s.asked_at is not None]
    if not asked:
        return None
    return max(max(s.end_at for s in samples) - min(asked), 1e-9)
