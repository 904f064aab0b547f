"""Traces with human labels, written straight to the stores: what the scoreboard, the judge and the report read."""

from __future__ import annotations

from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services


def add_traces(services: Services, run_id: str, model: str, verdicts: list[str], *, model_ref: str | None = None,
               latency: float = 1000.0, endpoint: str | None = None) -> list[Trace]:
    """One trace a verdict for `model` (prompts p0, p1, ...), labelled pass or fail ("-": left unlabelled)."""
    traces = [Trace(run_id=run_id, prompt=f"p{i}", prompt_id=f"p{i}", endpoint=endpoint or model, model=model,
                    model_ref=model_ref or model, output=f"answer {i}", ttft_ms=latency / 10, latency_ms=latency,
                    tokens_per_s=20.0) for i in range(len(verdicts))]
    services.traces.add_many(traces)
    for t, v in zip(traces, verdicts, strict=True):
        if v != "-":
            services.review.label(t.id, v, note="wrong answer" if v == "fail" else "")
    return traces


def make_traces(services: Services, markers: list[str], verdicts: list[str]) -> tuple[str, list[Trace]]:
    """A new run of traces whose outputs carry the judge server's markers, labelled with `verdicts`."""
    run = services.traces.create_run(kind="set")
    traces = [Trace(run_id=run, prompt=f"question {i}", endpoint="cand", model="cand", output=f"{m} answer {i}",
                    reference="the right answer") for i, m in enumerate(markers)]
    services.traces.add_many(traces)
    for t, v in zip(traces, verdicts, strict=True):
        services.review.label(t.id, v)
    return run, traces
