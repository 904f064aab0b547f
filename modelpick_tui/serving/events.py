"""What a stream to a model yields: text as it arrives, then exactly one `Done` or `Failed` with what it measured.

Plain dataclasses, apart from the client (serving/client.py) that makes them: the UI and the evals read them
without importing an HTTP library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TIMING", "Delta", "Done", "Failed", "StreamEvent", "StreamMetrics"]

# How modelpick's TTFT is measured, stored with every trace it times and shown with it (docs/timing.md): from
# the moment the request's bytes start going out to the arrival of the first non-empty content event, both
# timestamped by the stream reader where the bytes are written and read. Waiting for a connection is apart.
TIMING = "request sent → first content, timed by the stream reader"


@dataclass(frozen=True)
class StreamMetrics:
    """What one stream measured. Times are milliseconds from when the request's bytes started going out (the
    stream reader's timestamps: see TIMING)."""

    ttft_ms: float | None = None
    """Time to the first non-empty content delta (None if none came)."""
    latency_ms: float | None = None
    """Time to the end of the answer ([DONE], or the failure)."""
    output_tokens: int = 0
    tokens_from: Literal["usage", "chunks"] = "chunks"
    """"usage": `output_tokens` is the server's `usage.completion_tokens`; "chunks": it counts non-empty
    content chunks (llama.cpp streams one token per chunk; a server that packs several is undercounted)."""
    prompt_tokens: int | None = None
    decode_tokens_per_s: float | None = None
    """(output_tokens - 1) / (last token time - first token time); None with fewer than two tokens or when
    every token arrived in one burst."""
    finish_reason: str | None = None
    error: str | None = None
    itl_ms: float | None = None
    """Mean inter-token latency: (last token time - first token time) / (output_tokens - 1)."""
    queue_ms: float | None = None
    """From asking for the stream to its request being written: waiting for a pooled connection (or a new
    one's connect). Not in TTFT or latency; None when the request never went out."""
    timing: str | None = None
    """How TTFT was measured (TIMING); None when the request never went out."""
    gaps_ms: tuple[float, ...] | None = None
    """Each inter-token gap (ms between content pieces' arrivals), when asked for (`ChatClient.collect(...,
    gaps=True)`: a load test's ITL percentiles); None otherwise."""


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    text: str
    metrics: StreamMetrics


@dataclass(frozen=True)
class Failed:
    error: str
    text: str
    """The partial output received before the failure."""
    metrics: StreamMetrics


StreamEvent = Delta | Done | Failed
