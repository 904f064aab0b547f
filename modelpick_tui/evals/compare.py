"""Compare: one prompt to 2-4 endpoints at once, streamed side by side, each answer stored as a trace.

    session = CompareSession(services.traces, services.review, endpoints,
                             CompareParams(sampling=SamplingParams(max_tokens=128)), blind=True, seed=7)
    async for ev in session.send("Name three colours."):   # events of every pane, interleaved
        ...                                                # ev.pane, ev.event (Delta | Done | Failed), ev.trace
    session.prefer(0, 1, "left")                           # display positions; reveals a blind session
    session.label(1, "fail", "loops on one phrase")

Panes are in display order. In blind mode the order is shuffled once (seeded) and names read "A", "B", …
until the first preference is recorded (or `reveal()`); the order is kept after the reveal. Every pane keeps
its endpoint's own conversation: a follow-up goes to each endpoint with that endpoint's earlier answers. A
failed or cancelled answer is stored (with its error and partial text) but not added to the history, so the
next turn follows the last good answer. One compare session is one run (kind "compare"), made on the first
prompt. Preferences are pairwise: with 3-4 panes the caller chooses the two panes to compare.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from ..serving.client import ChatClient, ChatRequest, StreamMeter, Timeouts
from ..serving.endpoints import Endpoint, redact_url
from ..serving.engine import default_engine
from ..serving.events import Delta, Done, Failed, StreamEvent, StreamMetrics
from .compare_params import MAX_PANES, MIN_PANES, CompareError, CompareParams
from .labels import CHOICES, Label
from .stores.labels import ReviewStore
from .stores.traces import TraceStore
from .traces import Trace

__all__ = ["CompareSession", "Pane", "PaneEvent"]

CANCELLED = "cancelled by the user"


@dataclass
class Pane:
    """One endpoint's column: its conversation, its last trace, and live figures of the stream in flight."""

    position: int
    endpoint: Endpoint
    history: list[dict[str, str]] = field(default_factory=list)  # user/assistant turns that succeeded
    last_trace: Trace | None = None
    parent_id: str | None = None  # the last successful trace: what a follow-up follows
    streaming: bool = False
    parts: list[str] = field(default_factory=list)
    meter: StreamMeter | None = None  # the stream in flight's, filled by the client

    @property
    def letter(self) -> str:
        return chr(ord("A") + self.position)

    def _begin(self) -> StreamMeter:
        self.streaming, self.parts, self.last_trace = True, [], None
        self.meter = StreamMeter()
        return self.meter

    def live(self) -> StreamMetrics:
        """Figures of the stream so far (tokens counted as chunks); the final ones come with `Done`/`Failed`."""
        return StreamMetrics() if self.meter is None else self.meter.metrics()


@dataclass(frozen=True)
class PaneEvent:
    pane: int  # display position
    event: StreamEvent
    trace: Trace | None = None  # with Done/Failed: the stored trace


class CompareSession:
    """2-4 endpoints, shared params, one run; see the module docstring."""

    def __init__(self, traces: TraceStore, review: ReviewStore, endpoints: Sequence[Endpoint],
                 params: CompareParams | None = None, *, blind: bool = False, seed: int | None = None,
                 timeouts: Timeouts | None = None) -> None:
        if not MIN_PANES <= len(endpoints) <= MAX_PANES:
            raise CompareError(f"choose {MIN_PANES} to {MAX_PANES} endpoints (got {len(endpoints)})")
        names = [e.name for e in endpoints]
        if len(set(names)) != len(names):
            raise CompareError("each endpoint can be chosen once")
        self.traces, self.review = traces, review
        self.params = params or CompareParams()
        self.blind = blind
        self.revealed = not blind
        self.timeouts = timeouts or Timeouts()
        order = list(range(len(endpoints)))
        if blind:
            random.Random(seed).shuffle(order)
        self.panes = [Pane(i, endpoints[j]) for i, j in enumerate(order)]
        default_engine().warm()  # the stream reader is up before the first prompt is sent
        self.run_id: str | None = None
        self.turn = -1  # the turn of the last prompt sent (0 for the first)
        self.prompt: str | None = None
        self.busy = False

    # --- names ---------------------------------------------------------------------------------------

    def name(self, position: int) -> str:
        """What the pane at `position` is called on screen: its letter while blind, else the endpoint's name."""
        pane = self.panes[position]
        return pane.endpoint.name if self.revealed else f"model {pane.letter}"

    def reveal(self) -> None:
        self.revealed = True

    # --- sending -------------------------------------------------------------------------------------

    def _ensure_run(self) -> str:
        if self.run_id is None:
            params = {**self.params.to_dict(), "blind": self.blind}
            self.run_id = self.traces.create_run(
                kind="compare", name="compare " + time.strftime("%Y-%m-%d %H:%M"), params=params,
                endpoints=[p.endpoint.public() for p in self.panes])
        return self.run_id

    async def send(self, prompt: str) -> AsyncIterator[PaneEvent]:
        """Send `prompt` to every pane's endpoint at once; yield their events as they come. Each pane ends with
        one Done or Failed carrying its stored trace. Closing the iterator (or cancelling its task) cancels the
        streams still running; their partial answers are stored with the error "cancelled by the user"."""
        prompt = prompt.strip()
        if not prompt:
            raise CompareError("type a prompt first")
        if self.busy:
            raise CompareError("the answers are still streaming (escape cancels them)")
        self.busy = True
        try:
            run_id = await asyncio.to_thread(self._ensure_run)
            self.turn += 1
            self.prompt = prompt
            queue: asyncio.Queue[PaneEvent | None] = asyncio.Queue()
            async with ChatClient(self.timeouts, max_connections=MAX_PANES * 2) as client:
                tasks = [asyncio.create_task(self._stream(client, pane, run_id, prompt, queue))
                         for pane in self.panes]
                try:
                    remaining = len(tasks)
                    while remaining:
                        item = await queue.get()
                        if item is None:
                            remaining -= 1
                        else:
                            yield item
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self.busy = False

    async def _stream(self, client: ChatClient, pane: Pane, run_id: str, prompt: str,
                      queue: asyncio.Queue[PaneEvent | None]) -> None:
        endpoint, params = pane.endpoint, self.params
        request = ChatRequest.from_prompt(endpoint.model, prompt, system=params.system, history=pane.history,
                                          sampling=params.sampling)
        meter = pane._begin()
        final: Done | Failed | None = None
        try:
            async for event in client.stream(endpoint.base_url, request, api_key=endpoint.api_key, meter=meter,
                                             headers=dict(endpoint.headers)):
                if isinstance(event, Delta):
                    pane.parts.append(event.text)
                    queue.put_nowait(PaneEvent(pane.position, event))
                else:
                    final = event
        except asyncio.CancelledError:
            text = "".join(pane.parts)
            failed = Failed(CANCELLED, text, replace(pane.live(), error=CANCELLED))
            self._finish(pane, self._trace(pane, run_id, prompt, request, failed))  # sync: we are being cancelled
            raise
        assert final is not None
        trace = self._trace(pane, run_id, prompt, request, final)
        try:
            await asyncio.to_thread(self._finish, pane, trace)
        finally:
            queue.put_nowait(PaneEvent(pane.position, final, trace))
            queue.put_nowait(None)

    def _trace(self, pane: Pane, run_id: str, prompt: str, request: ChatRequest, final: Done | Failed) -> Trace:
        m = final.metrics
        endpoint = pane.endpoint
        return Trace(
            run_id=run_id, prompt=prompt, endpoint=endpoint.name, model=endpoint.model, output=final.text,
            turn=self.turn, parent_id=pane.parent_id, system=self.params.system,
            messages=[dict(msg) for msg in request.messages], base_url=endpoint.public_url,
            model_ref=endpoint.model_ref, params=request.params(), finish_reason=m.finish_reason,
            error=redact_url(final.error) if isinstance(final, Failed) else None,
            ttft_ms=m.ttft_ms, latency_ms=m.latency_ms,
            tokens_in=m.prompt_tokens, tokens_out=m.output_tokens, tokens_per_s=m.decode_tokens_per_s,
            queue_ms=m.queue_ms, timing=m.timing, source="compare")

    def _finish(self, pane: Pane, trace: Trace) -> None:
        self.traces.add(trace)
        pane.streaming = False
        pane.last_trace = trace
        if trace.error is None:
            pane.history += [{"role": "user", "content": trace.prompt},
                             {"role": "assistant", "content": trace.output}]
            pane.parent_id = trace.id

    # --- judgements ----------------------------------------------------------------------------------

    def _answered(self, position: int) -> Trace:
        if not 0 <= position < len(self.panes):
            raise CompareError(f"no pane {position + 1}")
        pane = self.panes[position]
        if pane.streaming:
            raise CompareError(f"{self.name(position)} is still answering")
        if pane.last_trace is None:
            raise CompareError("send a prompt first")
        return pane.last_trace

    def prefer(self, left: int, right: int, choice: str, note: str = "") -> int:
        """Record which of two panes (display positions) answered the last prompt better: left, right, tie,
        both_bad. Stored at once; a blind session is revealed by its first vote."""
        if choice not in CHOICES:
            raise CompareError(f"unknown preference {choice!r}: use left, right, tie or both_bad")
        if left == right:
            raise CompareError("compare two different panes")
        left_trace, right_trace = self._answered(left), self._answered(right)
        row = self.review.prefer(left_trace.id, right_trace.id, choice, blind=not self.revealed, note=note)
        self.reveal()
        return row

    def label(self, position: int, verdict: str, note: str = "") -> Label:
        """Pass/fail (or skip) for one pane's last answer, with an optional note; stored at once."""
        return self.review.label(self._answered(position).id, verdict, note)

    def new_conversation(self) -> None:
        """Forget every pane's history (same run, same endpoints, same order)."""
        if self.busy:
            raise CompareError("the answers are still streaming (escape cancels them)")
        self.turn = -1
        for pane in self.panes:
            pane.history, pane.parent_id = [], None

    def close(self) -> None:
        """Mark the run done (nothing to do when no prompt was sent)."""
        if self.run_id is not None:
            self.traces.finish_run(self.run_id)
