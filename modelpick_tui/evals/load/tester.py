"""One endpoint's load test, end to end: the search (search.py) over levels the generator runs (generator.py),
each level stored as it finishes (LoadStore), then the capacity, the reason and the sentence.

Ctrl-C (cancellation) keeps the finished levels and marks the test interrupted; `resume` goes on from them. A
server that dies fails its level (verdict "error") and ends the test with the cause (status failed)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ...clock import now_iso
from .generator import LevelRun, LoadPrompt, Sample, run_level
from .result import LoadLevel, LoadResult, concurrent_users, sentence
from .search import SearchState, next_level, summarise, token_source
from .slo import parse_slo

if TYPE_CHECKING:
    from ...serving.client import ChatClient, Timeouts
    from ...serving.endpoints import Endpoint
    from ..stores.load import LoadStore

CLIENT_BUSY = 0.85  # the generator's share of one core above which its own speed may be the limit
# Why a llama.cpp server's capacity is one user: llama-cpp-python's server decodes one request at a time.
LLAMA_SERIAL = ("llama-cpp-python's server decodes one request at a time; the others wait in its queue, their "
                "wait counted in their time to first token")


@dataclass
class Progress:
    """A level in flight, for a progress bar: requests finished so far and how many met the SLO."""

    test_id: str
    endpoint: str
    concurrency: int
    elapsed_s: float
    duration_s: float
    requests: int = 0
    attained: int = 0
    errors: int = 0
    extending: bool = False  # the level runs a second time: its interval straddled the target

    @property
    def attainment(self) -> float | None:
        return self.attained / self.requests if self.requests else None


def new_test(endpoint: str, model: str, hardware: str | None, *, slo: str, target: float, max_tokens: int,
             max_concurrency: int, duration_s: float, prompt_set: str) -> LoadResult:
    """A test not yet stored (LoadStore.start stores it)."""
    return LoadResult(id=uuid.uuid4().hex[:12], endpoint=endpoint, model=model, hardware=hardware,
                      slo=str(parse_slo(slo)), target=target, max_tokens=max_tokens, prompt_set=prompt_set,
                      max_concurrency=max_concurrency, duration_s=duration_s)


def _merge(a: LevelRun, b: LevelRun) -> LevelRun:
    cpu = None
    if a.client_cpu is not None and b.client_cpu is not None:
        cpu = (a.client_cpu * a.wall_s + b.client_cpu * b.wall_s) / max(a.wall_s + b.wall_s, 1e-9)
    return LevelRun(a.concurrency, a.samples + b.samples, a.wall_s + b.wall_s, b.died, cpu)


async def run_test(store: LoadStore, client: ChatClient, endpoint: Endpoint, test: LoadResult,
                   prompts: Sequence[LoadPrompt], *, timeouts: Timeouts,
                   on_progress: Callable[[Progress], None] | None = None,
                   on_level: Callable[[LoadLevel], None] | None = None) -> LoadResult:
    """Run (or resume) `test` against `endpoint` to its end; returns it as stored."""
    slo = parse_slo(test.slo)
    # A level the server failed is measured again on resume (the server may be back); the others are kept.
    levels = {lv.concurrency: lv for lv in store.levels(test.id) if lv.verdict != "error"}
    sources = {test.token_count_source} - {None}
    store.update(test.id, status="running", error=None, finished_at=None)
    client.warm()
    offset = sum(lv.requests for lv in levels.values())
    try:
        while (state := next_level(levels, test.max_concurrency)).next is not None:
            c = state.next
            shown = Progress(test.id, test.endpoint, c, 0.0, test.duration_s)
            started = time.perf_counter()

            def on_sample(s: Sample, shown: Progress = shown, started: float = started) -> None:
                shown.requests += 1
                shown.errors += s.error is not None
                shown.attained += s.error is None and slo.met(s.ttft_ms, s.tpot_ms, s.e2e_ms)
                shown.elapsed_s = time.perf_counter() - started
                if on_progress is not None:
                    on_progress(shown)

            if on_progress is not None:
                on_progress(shown)
            run = await run_level(client, endpoint, prompts, c, test.duration_s, test.max_tokens, timeouts=timeouts,
                                  on_sample=on_sample, offset=offset)
            offset += len(run.samples)
            level = summarise(test.id, run, slo, test.target)
            if level.verdict == "unresolved" and run.died is None:
                # Run it as long again, once: more requests narrow the interval. Still across the target after
                # that, it stays unresolved (and is not the capacity).
                shown.extending, shown.duration_s = True, 2 * test.duration_s
                more = await run_level(client, endpoint, prompts, c, test.duration_s, test.max_tokens,
                                       timeouts=timeouts, on_sample=on_sample, offset=offset)
                offset += len(more.samples)
                run = _merge(run, more)
                level = summarise(test.id, run, slo, test.target, extended=1)
            source = token_source(run.samples)
            if source:
                sources.add(source)
            store.save_level(level)
            levels[c] = level
            if on_level is not None:
                on_level(level)
    except (asyncio.CancelledError, KeyboardInterrupt):
        store.update(test.id, status="interrupted", finished_at=now_iso(),
                     token_count_source=_source(sources))
        raise
    final = finish(test, levels, next_level(levels, test.max_concurrency), endpoint.backend)
    final = replace(final, token_count_source=_source(sources), finished_at=now_iso())
    store.update(test.id, **{k: v for k, v in final.to_json(with_levels=False).items() if k != "id"})
    stored = store.get(test.id)
    assert stored is not None
    return stored


def _source(sources: set[str | None]) -> str | None:
    if not sources:
        return None
    return "chunks" if "chunks" in sources else "usage"


def finish(test: LoadResult, levels: dict[int, LoadLevel], state: SearchState, backend: str) -> LoadResult:
    """The test's outcome from its levels: status, capacity (figures of the capacity level), reason, sentence."""
    slo = parse_slo(test.slo)
    why: list[str] = []
    status, error = "done", None
    failed = next((lv for lv in levels.values() if lv.verdict == "error"), None)
    if failed is not None:
        status, error = "failed", failed.error
        passed = f"; {state.capacity} concurrent users passed before" if state.capacity else ""
        why.append(f"the server failed at {concurrent_users(failed.concurrency)}{passed}")
    elif state.serial is not None:
        why.append(f"the server answered one request at a time (at {state.serial.concurrency} concurrent users no "
                   "two answers streamed at once)")
        if backend == "llama":
            why.append(LLAMA_SERIAL)
    elif state.reached_max:
        why.append(f"every level up to --max-concurrency {test.max_concurrency} passed: the capacity is at least "
                   f"{test.max_concurrency}")
    elif state.first_bad is not None:
        bad = levels[state.first_bad]
        missed = "is unresolved" if bad.verdict == "unresolved" else "misses the target"
        why.append(f"{concurrent_users(bad.concurrency)} {missed} ({bad.attainment:.0%} met the SLO, 95% CI "
                   f"{bad.ci_low * 100:.0f}-{bad.ci_high * 100:.0f}%, target {test.target:.0%})")
    busy = [lv for lv in levels.values() if (lv.client_cpu or 0) >= CLIENT_BUSY
            and (state.first_bad is None or lv.concurrency <= state.first_bad)]
    if busy:
        worst = max(busy, key=lambda lv: lv.client_cpu or 0)
        why.append(f"the load generator used {worst.client_cpu:.0%} of a core at {concurrent_users(worst.concurrency)}"
                   ": the limit may be the client's, not the server's")
    reason = "; ".join(why) or None
    capacity = levels.get(state.capacity) if state.capacity is not None and status == "done" else None
    # The sentence carries the reason where it is the answer's why (one user: a serial server; no capacity);
    # otherwise the reason is stored beside it.
    said = reason if capacity is None or state.serial is not None or state.reached_max else None
    out = replace(test, status=status, error=error, reason=reason,
                  sentence=sentence(slo, test.target, capacity, reason=said))
    if capacity is None:
        return replace(out, capacity_concurrency=None, capacity_rps=None, capacity_output_tps=None,
                       capacity_total_tps=None, attainment=None, ci_low=None, ci_high=None)
    return replace(out, capacity_concurrency=capacity.concurrency, capacity_rps=capacity.rps,
                   capacity_output_tps=capacity.output_tps, capacity_total_tps=capacity.total_tps,
                   attainment=capacity.attainment, ci_low=capacity.ci_low, ci_high=capacity.ci_high)
