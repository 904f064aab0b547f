"""The LLM judge at work: one endpoint grading traces under a rubric, each verdict stored as it arrives (apart
from the human labels). What a rubric, a verdict and the agreement are: rubric.py; the tables: stores/judge.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .rubric import VERDICT_SCHEMA, Verdict, judge_messages, parse_verdict, rubric_sha

if TYPE_CHECKING:
    from ..serving.client import ChatClient
    from ..serving.endpoints import Endpoint
    from .stores.judge import JudgeStore
    from .stores.traces import TraceStore
    from .traces import Trace


def response_format(backend: str) -> dict[str, Any] | None:
    """Structured output asked of the judge's server in its own shape, so that even a small judge answers with a
    valid verdict: llama-cpp-python turns a JSON object's schema into a grammar; vLLM takes OpenAI's json_schema
    (guided decoding). Elsewhere (a remote endpoint of unknown kind) None: the answer is parsed as before."""
    if backend == "llama":
        return {"type": "json_object", "schema": VERDICT_SCHEMA}
    if backend == "vllm":
        return {"type": "json_schema", "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True}}
    return None


@dataclass
class JudgeSummary:
    judged: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0  # already graded by this judge under this rubric
    structured: str | None = None  # the response_format type asked for (json_object, json_schema), or None
    error_lines: list[str] = field(default_factory=list)


def traces_to_judge(traces: TraceStore, judge: JudgeStore, run_id: str | None, *, labelled_only: bool = True,
                    limit: int | None = None) -> list[Trace]:
    """Traces with an output (no error), those with a human pass/fail label only by default."""
    found = [t for t in traces.list(run_id=run_id) if not t.error and t.output]
    if labelled_only:
        human = judge.human_labels(run_id)
        found = [t for t in found if t.id in human]
    return found[:limit] if limit is not None else found


async def run_judge(store: JudgeStore, endpoint: Endpoint, traces: Sequence[Trace], rubric: str, *,
                    concurrency: int = 4, max_tokens: int = 256, resume: bool = True, structured: bool = True,
                    client: ChatClient | None = None,
                    on_progress: Callable[[int, int, JudgeSummary], None] | None = None) -> JudgeSummary:
    """Grade `traces` with `endpoint` under `rubric`, at most `concurrency` requests at a time; each verdict
    is committed as it arrives (a cancelled run keeps what it graded, and `resume` skips those next time).
    `structured` asks the server for a verdict-shaped answer where its backend supports it (response_format)."""
    from ..serving.client import ChatClient, ChatRequest, Timeouts
    from ..serving.events import Done
    from ..serving.params import SamplingParams

    sha = rubric_sha(rubric)
    summary = JudgeSummary()
    shape = response_format(endpoint.backend) if structured else None
    summary.structured = shape["type"] if shape else None
    done_before = store.judged(endpoint.model, sha) if resume else set()
    todo = [t for t in traces if t.id not in done_before]
    summary.skipped = len(traces) - len(todo)
    total = len(todo)
    gate = asyncio.Semaphore(max(1, concurrency))
    own = client is None
    chat = client or ChatClient(Timeouts(connect=5.0, read=120.0, deadline=300.0))

    async def one(trace: Trace) -> None:
        request = ChatRequest(endpoint.model, tuple(judge_messages(rubric, trace)),
                              SamplingParams(temperature=0.0, max_tokens=max_tokens), response_format=shape)
        async with gate:
            result = await chat.collect(endpoint.base_url, request, api_key=endpoint.api_key,
                                        headers=dict(endpoint.headers))
        if isinstance(result, Done):
            verdict, raw = parse_verdict(result.text), result.text
            if verdict.error and result.metrics.finish_reason == "length":
                verdict = Verdict("error", "", f"{verdict.error} (cut off at max_tokens={max_tokens})")
        else:
            verdict, raw = Verdict("error", "", f"the judge request failed: {result.error}"), result.text
        await asyncio.to_thread(store.add_verdict, trace.id, verdict, judge_endpoint=endpoint.name,
                                judge_model=endpoint.model, rubric_sha256=sha, raw=raw)
        summary.judged += 1
        if verdict.verdict == "pass":
            summary.passed += 1
        elif verdict.verdict == "fail":
            summary.failed += 1
        else:
            summary.errors += 1
            if verdict.error and verdict.error not in summary.error_lines:
                summary.error_lines.append(verdict.error)
        if on_progress is not None:
            on_progress(summary.judged, total, summary)

    try:
        await asyncio.gather(*(one(t) for t in todo))
    finally:
        if own:
            await chat.aclose()
    return summary
