"""The capacity search, as GuideLLM's goodput profile and `vllm bench sweep` do it: one user at a time first, then
concurrency doubling until a level fails the target, then bisection between the last level that passed and the
first that did not. A level passes only when its attainment's whole 95 % interval clears the target; an
unresolved level (the interval straddles it) is never the capacity figure, so the search treats it as not passed.

`next_level` is a pure function of the levels measured so far, so a resumed test (`--resume ID`) goes on where it
stopped, and `summarise` turns one level's samples into the stored figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..stats import percentile
from .generator import LevelRun, Sample, max_in_flight
from .result import LoadLevel, verdict
from .slo import Slo

# Answers at a level of 2 users or more that never streamed at once: the server takes one request at a time. Two
# suffice: both users send at the level's start, so their first requests are in flight together from the start.
SERIAL_MIN_ANSWERS = 2
PERCENTILES = (50, 90, 99)


def chain(max_concurrency: int) -> list[int]:
    """The doubling levels: 1, 2, 4, … below max_concurrency, then max_concurrency itself."""
    levels, c = [], 1
    while c < max_concurrency:
        levels.append(c)
        c *= 2
    return [*levels, max_concurrency]


def is_serial(level: LoadLevel) -> bool:
    """A level with concurrent users whose answers never streamed at the same time."""
    return level.concurrency >= 2 and level.ok >= SERIAL_MIN_ANSWERS and level.max_in_flight <= 1


@dataclass(frozen=True)
class SearchState:
    """Where the search stands: the next level to measure (None: finished), the capacity so far (the highest
    level that passed with every level below it in the search passing), the first level that did not pass."""

    next: int | None
    capacity: int | None
    first_bad: int | None
    serial: LoadLevel | None = None  # the level that showed a one-at-a-time server
    reached_max: bool = False  # every level up to --max-concurrency passed


def next_level(levels: Mapping[int, LoadLevel], max_concurrency: int) -> SearchState:
    """The search's next step given the levels measured (by concurrency)."""
    for level in levels.values():
        if level.verdict == "error":
            return SearchState(None, _passed_before(levels, level.concurrency), level.concurrency)
    serial = next((lv for c, lv in sorted(levels.items()) if is_serial(lv)), None)
    if serial is not None:
        one = levels.get(1)
        return SearchState(None, 1 if one is not None and one.verdict == "pass" else None, serial.concurrency,
                           serial=serial)
    good: int | None = None
    bad: int | None = None
    for c in chain(max_concurrency):
        found = levels.get(c)
        if found is None:
            return SearchState(c, good, None)
        if found.verdict != "pass":
            bad = c
            break
        good = c
    if bad is None:
        return SearchState(None, good, None, reached_max=True)
    if good is None:  # one user at a time already misses the target
        return SearchState(None, None, bad)
    while bad - good > 1:
        mid = (good + bad) // 2
        found = levels.get(mid)
        if found is None:
            return SearchState(mid, good, bad)
        if found.verdict == "pass":
            good = mid
        else:
            bad = mid
    return SearchState(None, good, bad)


def _passed_before(levels: Mapping[int, LoadLevel], c: int) -> int | None:
    passed = [k for k, lv in levels.items() if k < c and lv.verdict == "pass"]
    return max(passed) if passed else None


def _pcts(values: Sequence[float]) -> list[float | None]:
    return [percentile(values, p) for p in PERCENTILES]


def summarise(test_id: str, run: LevelRun, slo: Slo, target: float, *, extended: int = 0) -> LoadLevel:
    """One level's stored figures from its samples: throughput over the level's wall clock, latency percentiles
    over the answered requests (ITL over every inter-token gap), SLO attainment over every request (a failed
    request never meets it) with its Wilson interval and verdict."""
    ok = [s for s in run.samples if s.error is None]
    wall = max(run.wall_s, 1e-9)
    attained = sum(1 for s in ok if slo.met(s.ttft_ms, s.tpot_ms, s.e2e_ms))
    requests = len(run.samples)
    decided, ci = verdict(attained, requests, target)
    out_tokens = sum(s.output_tokens for s in ok)
    prompt_known = all(s.prompt_tokens is not None for s in ok)
    level = LoadLevel(
        test_id, run.concurrency, requests=requests, ok=len(ok), errors=requests - len(ok),
        duration_s=round(run.wall_s, 3), rps=len(ok) / wall, output_tps=out_tokens / wall,
        total_tps=(out_tokens + sum(s.prompt_tokens or 0 for s in ok)) / wall if ok and prompt_known else None,
        attained=attained, attainment=ci.estimate, ci_low=ci.low, ci_high=ci.high, verdict=decided,
        max_in_flight=max_in_flight(run.samples), client_cpu=run.client_cpu, extended=extended)
    for name, values in (("ttft", [s.ttft_ms for s in ok if s.ttft_ms is not None]),
                         ("tpot", [s.tpot_ms for s in ok if s.tpot_ms is not None]),
                         ("itl", [g for s in ok for g in s.gaps_ms]),
                         ("e2e", [s.e2e_ms for s in ok if s.e2e_ms is not None])):
        for p, value in zip(PERCENTILES, _pcts(values), strict=True):
            setattr(level, f"{name}_p{p}", value)
    if run.died is not None:
        level.verdict, level.error = "error", run.died
    return level


def token_source(samples: Sequence[Sample]) -> str | None:
    """"usage" when the server reported every answered request's token count, else "chunks"."""
    ok = [s for s in samples if s.error is None]
    if not ok:
        return None
    return "usage" if all(s.tokens_from == "usage" for s in ok) else "chunks"
