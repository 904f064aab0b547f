"""Prompt-set runs: every prompt of a set to every chosen endpoint, with bounded concurrency, written as it
completes, cancellable and resumable.

    runner = Runner(services.traces, PromptSetStore(...), concurrency=8, per_endpoint=4)
    params = RunParams(sampling=SamplingParams(temperature=0.0, max_tokens=256))
    result = await runner.run(prompt_set, [ep_a, ep_b], params, name="support-v1",
                              on_progress=lambda p: print(p.line()))
    # later, or after a crash / Ctrl-C:
    result = await runner.resume(result.run_id, [ep_a, ep_b])

- Concurrency: at most `per_endpoint` streams to each endpoint and `concurrency` in all. A job takes its
  endpoint's slot before the overall one, so a slow endpoint never holds overall slots the others could use.
- Every answer (or failure: HTTP error, dropped stream, malformed SSE, timeout) becomes one trace row, written
  in its own transaction the moment it completes: a crash loses only the in-flight answers.
- Cancel (`cancel()` from any thread, or cancelling the task that awaits `run`): the pending jobs and the
  in-flight streams are cancelled (their HTTP connections closed, so servers stop generating), the run is
  marked `cancelled`; `run`/`resume` return the result (or re-raise the task's CancelledError).
- Resume: the run's prompt set comes from the database (no file needed); a (prompt, endpoint) pair that has an
  answer without error is skipped; a failed one is asked again and its trace row replaced.
- One owner: a run is held by the process running it (its lease, evals/traces.py). A resume takes the lease
  of a run whose owner died (`interrupted`) or ended; it refuses, with one line naming the holder, a run a live
  process holds. Each answer is written through the store's claim on its prompt × endpoint, so no pair is
  answered twice in one run, whatever runs beside it.

The compare screen may reuse `trace_for` (one ChatClient result → a Trace) and `RunParams`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..serving.client import ChatClient, ChatRequest, Timeouts
from ..serving.endpoints import redact_url
from ..serving.events import Done, Failed
from .checks import Answer, grade
from .promptsets import Prompt, PromptSet
from .stats import percentile
from .stores.checks import CheckStore
from .stores.prompt_sets import PromptSetStore
from .stores.traces import TraceStore
from .traces import CANCELLED, DONE, FAILED, RunError, RunHeld, RunParams, RunProgress, RunResult, Trace

if TYPE_CHECKING:
    from ..serving.endpoints import Endpoint

__all__ = ["EndpointSummary", "Runner", "request_for", "summarize", "trace_for"]


def request_for(params: RunParams, endpoint: Endpoint, prompt: Prompt) -> ChatRequest:
    """The chat request for `prompt` at `endpoint`: the run's system prompt overrides the prompt's own ("" removes
    it; None keeps the set's), or its prompt version's applies (evals/prompts.py), with the run's sampling params."""
    if params.version is not None:  # a prompt's own system prompt is part of the test case: it wins
        return ChatRequest.from_prompt(endpoint.model, prompt.prompt, system=params.version.system_for(prompt.system),
                                       history=params.version.history(), sampling=params.sampling)
    system = prompt.system if params.system is None else (params.system or None)
    return ChatRequest.from_prompt(endpoint.model, prompt.prompt, system=system, sampling=params.sampling)


def trace_for(run_id: str, prompt_set_id: str | None, prompt: Prompt, endpoint: Endpoint, request: ChatRequest,
              result: Done | Failed, *, trace_id: str | None = None, source: str = "run") -> Trace:
    """The trace row for one finished stream."""
    m = result.metrics
    system = next((msg["content"] for msg in request.messages if msg.get("role") == "system"), None)
    trace = Trace(
        run_id=run_id, prompt=prompt.prompt, endpoint=endpoint.name, model=endpoint.model, output=result.text,
        prompt_set_id=prompt_set_id, prompt_id=prompt.id, system=system, reference=prompt.reference,
        tags=list(prompt.tags), messages=[dict(msg) for msg in request.messages], base_url=endpoint.public_url,
        model_ref=endpoint.model_ref, params=request.params(), finish_reason=m.finish_reason,
        error=redact_url(result.error) if isinstance(result, Failed) else None,
        ttft_ms=m.ttft_ms, latency_ms=m.latency_ms,
        tokens_in=m.prompt_tokens, tokens_out=m.output_tokens, tokens_per_s=m.decode_tokens_per_s,
        queue_ms=m.queue_ms, timing=m.timing, source=source,
    )
    if trace_id:
        trace.id = trace_id
    return trace


@dataclass
class _Job:
    prompt: Prompt
    endpoint: Endpoint
    retry_of: str | None = None  # the failed trace this one replaces


@dataclass
class _State:
    run_id: str
    total: int
    skipped: int
    failed_before: int = 0
    done: int = 0
    failed: int = 0
    in_flight: int = 0
    started: float = field(default_factory=time.monotonic)


class Runner:
    """Runs prompt sets across endpoints (see the module docstring). One run at a time per Runner."""

    def __init__(self, traces: TraceStore, prompt_sets: PromptSetStore, *, concurrency: int = 8,
                 per_endpoint: int = 4, timeouts: Timeouts | None = None, client: ChatClient | None = None,
                 checks: CheckStore | None = None) -> None:
        if concurrency < 1 or per_endpoint < 1:
            raise RunError("concurrency and per-endpoint concurrency must be at least 1")
        self.traces = traces
        self.prompt_sets = prompt_sets
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.timeouts = timeouts or Timeouts()
        self.checks = checks  # each answer is graded by its prompt's checks as it is stored
        self._client = client
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._cancel_requested = threading.Event()

    # --- public ---------------------------------------------------------------------------------------------

    async def run(self, prompt_set: PromptSet, endpoints: Sequence[Endpoint], params: RunParams | None = None, *,
                  name: str = "", run_id: str | None = None,
                  on_progress: Callable[[RunProgress], None] | None = None) -> RunResult:
        """Store the set, create the run, send every prompt to every endpoint."""
        _check_endpoints(endpoints)
        params = params or RunParams()
        set_id = self.prompt_sets.save(prompt_set)
        run_id = self.traces.create_run(
            kind="set", name=name or f"{prompt_set.name} × {len(endpoints)}", prompt_set_id=set_id,
            params={**params.to_dict(), "concurrency": self.concurrency, "per_endpoint": self.per_endpoint},
            endpoints=[e.public() for e in endpoints], run_id=run_id)
        jobs = [_Job(p, e) for p in prompt_set.prompts for e in endpoints]
        return await self._execute(run_id, set_id, jobs, params, skipped=0, failed_before=0,
                                   on_progress=on_progress)

    async def resume(self, run_id: str, endpoints: Sequence[Endpoint],
                     on_progress: Callable[[RunProgress], None] | None = None) -> RunResult:
        """Finish a run: ask what has no answer yet, and again what failed. `endpoints` are the run's, resolved
        again (keys are never stored); see `resolve_run_endpoints`."""
        run = self.traces.get_run(run_id)
        if run is None:
            raise RunError(f"no run {run_id!r} (see `modelpick runs`)")
        if run.get("kind") != "set" or not run.get("prompt_set_id"):
            raise RunError(f"run {run_id} is not a prompt-set run: nothing to resume")
        prompt_set = self.prompt_sets.get(run["prompt_set_id"])
        if prompt_set is None:
            raise RunError(f"run {run_id}: its prompt set {run['prompt_set_id']} is not in the database")
        wanted = [e["name"] for e in run["endpoints"]]
        by_name = {e.name: e for e in endpoints}
        missing = [n for n in wanted if n not in by_name]
        if missing:
            raise RunError(f"run {run_id} needs endpoint(s) {', '.join(missing)}")
        ordered = [by_name[n] for n in wanted]
        _check_endpoints(ordered)
        try:
            self.traces.claim_run(run_id)
        except RunHeld as exc:
            raise RunError(str(exc)) from None
        outcomes = self.traces.outcomes(run_id)  # read as the run's owner: nobody else adds to them now
        jobs: list[_Job] = []
        skipped = failed_before = 0
        for p in prompt_set.prompts:
            for e in ordered:
                seen = outcomes.get((p.id, e.name))
                if seen is not None and seen[1]:
                    skipped += 1
                    continue
                if seen is not None:
                    failed_before += 1
                jobs.append(_Job(p, e, retry_of=seen[0] if seen else None))
        return await self._execute(run_id, run["prompt_set_id"], jobs, RunParams.from_dict(run["params"]),
                                   skipped=skipped, failed_before=failed_before, on_progress=on_progress)

    def cancel(self) -> None:
        """Cancel the run in progress, from any thread (or before it starts: it then stops at once)."""
        self._cancel_requested.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the run is over
                loop.call_soon_threadsafe(self._cancel_tasks)

    # --- inside -----------------------------------------------------------------------------------------------

    def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _execute(self, run_id: str, set_id: str, jobs: list[_Job], params: RunParams, *, skipped: int,
                       failed_before: int, on_progress: Callable[[RunProgress], None] | None) -> RunResult:
        state = _State(run_id=run_id, total=len(jobs) + skipped, skipped=skipped, failed_before=failed_before)
        overall = asyncio.Semaphore(self.concurrency)
        per_endpoint: dict[str, asyncio.Semaphore] = {}
        for job in jobs:
            per_endpoint.setdefault(job.endpoint.name, asyncio.Semaphore(self.per_endpoint))
        # llama-cpp-python's server decodes one request at a time (the others wait in its queue, their wait
        # counted as time to first token; and a server started without `--interrupt_requests False` — ours
        # pass it — cuts the stream in progress short instead). One at a time per llama.cpp server, however
        # many names it goes by.
        per_server: dict[str, asyncio.Semaphore] = {}
        for job in jobs:
            if job.endpoint.backend == "llama":
                per_server.setdefault(job.endpoint.base_url, asyncio.Semaphore(1))

        def report(last: Trace | None = None) -> None:
            if on_progress is None:
                return
            elapsed = time.monotonic() - state.started
            eta = None
            if state.done:
                eta = (len(jobs) - state.done) * elapsed / state.done
            on_progress(RunProgress(run_id, state.total, skipped + state.done, state.failed, skipped,
                                    state.in_flight, elapsed, eta, last))

        client = self._client or ChatClient(self.timeouts, max_connections=max(self.concurrency, 1) + 4)

        async def one(job: _Job) -> None:
            server = per_server.get(job.endpoint.base_url) if job.endpoint.backend == "llama" else None
            async with per_endpoint[job.endpoint.name], server or contextlib.nullcontext(), overall:
                request = request_for(params, job.endpoint, job.prompt)
                state.in_flight += 1
                report()  # "N running" shows before the first answer comes back
                try:
                    result = await client.collect(job.endpoint.base_url, request, api_key=job.endpoint.api_key,
                                                  headers=dict(job.endpoint.headers))
                finally:
                    state.in_flight -= 1
            trace = trace_for(run_id, set_id, job.prompt, job.endpoint, request, result, trace_id=job.retry_of)
            trace.prompt_version = params.version.id if params.version is not None else None
            # Committed before it is counted: a crash loses only in-flight answers. False (the pair had an
            # answer already) cannot happen while the lease holds; the answer there is kept either way.
            if self.traces.add_answer(trace) and self.checks is not None and job.prompt.checks:
                answer = Answer(trace.output, trace.reference, trace.latency_ms, trace.error)
                self.checks.save({trace.id: grade(job.prompt.checks, answer)})
            state.done += 1
            state.failed += 0 if trace.ok else 1
            report(trace)

        self._loop = asyncio.get_running_loop()
        status = FAILED
        try:
            report()
            if not self._cancel_requested.is_set():
                self._tasks = [asyncio.create_task(one(job)) for job in jobs]
                if self._cancel_requested.is_set():  # cancel() came from another thread meanwhile
                    self._cancel_tasks()
                results = await asyncio.gather(*self._tasks, return_exceptions=True)
                errors = [r for r in results if isinstance(r, BaseException)
                          and not isinstance(r, asyncio.CancelledError)]
                if errors:
                    if isinstance(errors[0], RunHeld):  # another process took the run: stop, one line
                        raise RunError(str(errors[0])) from None
                    raise errors[0]
            status = CANCELLED if self._cancel_requested.is_set() and state.done < len(jobs) else DONE
        except asyncio.CancelledError:
            status = CANCELLED
            self._cancel_tasks()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._cancel_requested.clear()
            raise
        finally:
            self._tasks = []
            self._loop = None
            self.traces.finish_run(run_id, status)
            if self._client is None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(client.aclose())
        report()
        self._cancel_requested.clear()  # after the last report: a callback that cancels must not stop the next run
        return RunResult(run_id, status, state.total, skipped + state.done - state.failed, state.failed, skipped,
                         time.monotonic() - state.started)


def _check_endpoints(endpoints: Sequence[Endpoint]) -> None:
    if not endpoints:
        raise RunError("no endpoints: give at least one")
    names = [e.name for e in endpoints]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RunError(f"endpoint named twice: {', '.join(dupes)}")


@dataclass(frozen=True)
class EndpointSummary:
    endpoint: str
    model: str
    ok: int
    failed: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    latency_p50_ms: float | None
    tokens_per_s: float | None  # median decode rate of the answers that had one


def summarize(traces: Sequence[Trace]) -> list[EndpointSummary]:
    """Per endpoint, in first-seen order: answers ok and failed, TTFT p50/p95, latency p50, median tok/s."""
    groups: dict[str, list[Trace]] = {}
    for t in traces:
        groups.setdefault(t.endpoint, []).append(t)
    out = []
    for name, items in groups.items():
        ok = [t for t in items if t.ok]
        ttft = [t.ttft_ms for t in ok if t.ttft_ms is not None]
        latency = [t.latency_ms for t in ok if t.latency_ms is not None]
        rates = [t.tokens_per_s for t in ok if t.tokens_per_s is not None]
        out.append(EndpointSummary(name, items[0].model, len(ok), len(items) - len(ok), percentile(ttft, 50),
                                   percentile(ttft, 95), percentile(latency, 50), percentile(rates, 50)))
    return out

