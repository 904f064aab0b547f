"""What a load test stores: one `LoadResult` per endpoint tested (the `load_tests` row) and one `LoadLevel` per
concurrency measured (`load_levels`), and the sentence a user can repeat. Plain data, no IO."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..stats import Interval, wilson
from .slo import Slo

# A level's verdict: its attainment's 95 % interval lies at or above the target (pass), below it (fail), across it
# (unresolved: never a pass on luck, never the capacity figure), or the level could not be measured (error).
VERDICTS = ("pass", "fail", "unresolved", "error")
# A test's status: running (or stopped by a crash), done, interrupted (Ctrl-C: finished levels kept, --resume
# continues), failed (the endpoint died or could not be reached: `error` says why).
STATUSES = ("running", "done", "interrupted", "failed")


def verdict(attained: int, requests: int, target: float) -> tuple[str, Interval]:
    """pass | fail | unresolved for `attained` of `requests` meeting the SLO, with the Wilson 95 % interval."""
    ci = wilson(attained, requests)
    if requests and ci.low >= target:
        return "pass", ci
    if requests and ci.high < target:
        return "fail", ci
    return "unresolved", ci


@dataclass
class LoadLevel:
    """One concurrency measured: throughput, latency percentiles (ms) and SLO attainment."""

    test_id: str
    concurrency: int
    requests: int = 0  # finished requests (ok + errors)
    ok: int = 0
    errors: int = 0
    duration_s: float = 0.0
    rps: float = 0.0  # finished requests per second of the level's wall clock
    output_tps: float = 0.0
    total_tps: float | None = None  # input + output tokens per second (None: the server reported no input counts)
    ttft_p50: float | None = None
    ttft_p90: float | None = None
    ttft_p99: float | None = None
    tpot_p50: float | None = None
    tpot_p90: float | None = None
    tpot_p99: float | None = None
    itl_p50: float | None = None
    itl_p90: float | None = None
    itl_p99: float | None = None
    e2e_p50: float | None = None
    e2e_p90: float | None = None
    e2e_p99: float | None = None
    attained: int = 0  # requests that met the SLO (errors never do)
    attainment: float = 0.0
    ci_low: float = 0.0
    ci_high: float = 1.0
    verdict: str = "unresolved"
    max_in_flight: int = 0  # the most answers seen streaming at once (1 at concurrency ≥ 2: a serial server)
    client_cpu: float | None = None  # the load generator's CPU time / wall clock (1.0 = one core saturated)
    extended: int = 0  # times the level ran longer because its interval straddled the target
    error: str | None = None  # the cause when the level could not finish (server died, unreachable)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadResult:
    """One endpoint's load test (a `load_tests` row): its settings, its capacity at the SLO and the sentence."""

    id: str
    endpoint: str
    model: str | None = None
    hardware: str | None = None  # "cpu" or "COUNTxGPU-NAME" as NVML names the GPU
    slo: str = ""  # normalised (evals/load/slo.py)
    target: float = 0.9
    max_tokens: int = 128
    prompt_set: str | None = None
    created_at: str | None = None
    finished_at: str | None = None
    status: str = "running"
    capacity_concurrency: int | None = None  # None: not established (see `reason`)
    capacity_rps: float | None = None
    capacity_output_tps: float | None = None
    capacity_total_tps: float | None = None
    attainment: float | None = None  # of the capacity level, with its interval
    ci_low: float | None = None
    ci_high: float | None = None
    sentence: str | None = None
    reason: str | None = None  # why the search stopped where it did
    error: str | None = None
    token_count_source: str | None = None  # "usage" (the server's) or "chunks" (counted by chunks)
    max_concurrency: int = 64
    duration_s: float = 20.0
    levels: list[LoadLevel] = field(default_factory=list)

    def to_json(self, *, with_levels: bool = True) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "levels"}
        if with_levels:
            out["levels"] = [lv.to_json() for lv in self.levels]
        return out


def concurrent_users(n: int) -> str:
    return "1 concurrent user" if n == 1 else f"{n} concurrent users"


def sentence(slo: Slo, target: float, level: LoadLevel | None, *, reason: str | None = None) -> str:
    """The result in one sentence a user can repeat: "serves 8 concurrent users (≈ 3.1 requests/s) with first
    token < 500 ms and ≥ 20 tokens/s each for 90% of requests (95% CI 86-93%)"."""
    if level is None:
        said = f"no load meets {slo.words()} for {target:.0%} of requests"
        return f"{said} ({reason})" if reason else said
    users = concurrent_users(level.concurrency)
    rps = f"{level.rps:.2g}" if level.rps < 10 else f"{level.rps:.0f}"
    return (f"serves {users} (≈ {rps} requests/s) with {slo.words()} for {level.attainment:.0%} of "
            f"requests (95% CI {level.ci_low * 100:.0f}-{level.ci_high * 100:.0f}%)"
            + (f"; {reason}" if reason else ""))
