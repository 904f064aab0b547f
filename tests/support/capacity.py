"""Hand-made load tests stored through the real LoadStore: a capacity with known figures, so that cost, the
scoreboard and the decision can be checked against hand arithmetic (no load generator in the way)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from modelpick_tui.evals.load import LoadLevel, LoadResult
from tests.support.traces import add_traces

_ids = itertools.count(1)
SLO = "ttft=500ms,tpot=50ms"


def add_capacity(services: Any, model: str, *, hardware: str | None = "1xNVIDIA H100 80GB HBM3", slo: str = SLO,
                 concurrency: int | None = 8, rps: float | None = 2.0, output_tps: float | None = 500.0,
                 total_tps: float | None = 2100.0, created_at: str | None = None,
                 levels: Sequence[tuple[int, float, float]] = ()) -> LoadResult:
    """A finished load test of `model` whose capacity is `concurrency` users at `rps` requests/s and
    `output_tps` / `total_tps` tokens/s; `levels` are (concurrency, attainment, output tokens/s) rows.
    `concurrency=None` stores a test that found no load meeting the SLO."""
    test_id = f"load-{next(_ids)}"
    result = LoadResult(test_id, endpoint=f"ep-{model}", model=model, hardware=hardware, slo=slo, status="done",
                        created_at=created_at, capacity_concurrency=concurrency, capacity_rps=rps,
                        capacity_output_tps=output_tps, capacity_total_tps=total_tps,
                        sentence=None if concurrency else "no load meets first token < 500 ms for 90% of requests")
    services.load.start(result)
    for c, attainment, out_tps in levels:
        verdict = "pass" if attainment >= 0.9 else "fail"
        services.load.save_level(LoadLevel(test_id, c, requests=100, ok=100, attained=round(attainment * 100),
                                           attainment=attainment, ci_low=max(0.0, attainment - 0.05),
                                           ci_high=min(1.0, attainment + 0.05), verdict=verdict,
                                           output_tps=out_tps, rps=out_tps / 250))
    return result


def three_models(services: Any) -> str:
    """The scoreboard's usual three candidates (one run): Qwen3-0.6B below the bar (18/30), Qwen3-1.7B (30/30,
    2.0B in the catalogue) and Qwen3-8B (29/30, 8.2B). Returns the run's id."""
    run_id: str = services.traces.create_run(kind="set", name="support")
    add_traces(services, run_id, "Qwen/Qwen3-0.6B", ["pass"] * 18 + ["fail"] * 12, latency=300)
    add_traces(services, run_id, "Qwen/Qwen3-1.7B", ["pass"] * 30, latency=600)
    add_traces(services, run_id, "Qwen/Qwen3-8B", ["pass"] * 29 + ["fail"], latency=1500)
    return run_id
