"""The scoreboard: per model, over a run's traces (or all), the pass rate with its Wilson interval from the
latest human labels, failure modes, latency and TTFT percentiles, tokens/s and the pairwise win rate.

Maths only: the rows come from the stores (TraceStore.scoreboard_rows, the failure modes' names), so the
scoreboard screen sorts and shows scores without loading SQLite."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .stats import Interval, WinRate, percentile, wilson, win_rates

# The columns the scoreboard sorts by, in the order a key cycles through them.
SORT_KEYS = ("pass", "low", "labelled", "traces", "params", "latency", "ttft", "tps", "win", "model")


@dataclass
class ModelScore:
    """One model's evidence. `model` is the served model name (the endpoint's when a trace has none)."""

    model: str
    model_ref: str | None = None
    endpoints: list[str] = field(default_factory=list)
    traces: int = 0
    errors: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failure_modes: dict[str, int] = field(default_factory=dict)
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    latency_p50: float | None = None
    latency_p95: float | None = None
    tokens_per_s: float | None = None  # median over the traces that measured it
    win: WinRate | None = None
    params: int | None = None  # filled by provenance (the catalogue, the GGUF, the name)

    @property
    def labelled(self) -> int:
        """Traces with a pass or fail label (skips are not evidence either way)."""
        return self.passed + self.failed

    @property
    def pass_rate(self) -> Interval:
        return wilson(self.passed, self.labelled)

    def to_json(self) -> dict[str, Any]:
        rate = self.pass_rate
        win = self.win
        return {
            "model": self.model, "model_ref": self.model_ref, "endpoints": self.endpoints, "traces": self.traces,
            "errors": self.errors, "labelled": self.labelled, "passed": self.passed, "failed": self.failed,
            "skipped": self.skipped,
            "pass_rate": None if not self.labelled else _r(rate.estimate),
            "pass_rate_ci95": None if not self.labelled else [_r(rate.low), _r(rate.high)],
            "failure_modes": dict(self.failure_modes),
            "ttft_ms_p50": _r(self.ttft_p50, 1), "ttft_ms_p95": _r(self.ttft_p95, 1),
            "latency_ms_p50": _r(self.latency_p50, 1), "latency_ms_p95": _r(self.latency_p95, 1),
            "tokens_per_s_median": _r(self.tokens_per_s, 2),
            "win_rate": None if win is None or not win.decided else _r(win.rate.estimate),
            "win_rate_ci95": None if win is None or not win.decided else [_r(win.rate.low), _r(win.rate.high)],
            "wins": win.wins if win else 0, "losses": win.losses if win else 0, "ties": win.ties if win else 0,
            "both_bad": win.both_bad if win else 0, "params": self.params,
        }


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def scoreboard(rows: Sequence[Mapping[str, Any]], prefs: Sequence[Mapping[str, Any]],
               mode_names: Mapping[str, str]) -> list[ModelScore]:
    """Per model, sorted by model name: `rows` are traces with their latest verdict and failure mode
    (TraceStore.scoreboard_rows), `prefs` the pairwise preferences, `mode_names` the name each failure mode
    counts under (a merged mode under the one it went into; a deleted one is absent)."""
    scores: dict[str, ModelScore] = {}
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    refs: dict[str, Counter[str]] = defaultdict(Counter)
    model_of: dict[str, str] = {}
    for row in rows:
        key = row["model"] or row["endpoint"] or "?"
        model_of[row["id"]] = key
        score = scores.setdefault(key, ModelScore(model=key))
        score.traces += 1
        if row["endpoint"] and row["endpoint"] not in score.endpoints:
            score.endpoints.append(row["endpoint"])
        if row["model_ref"]:
            refs[key][row["model_ref"]] += 1
        if row["error"]:
            score.errors += 1
        else:
            for column in ("ttft_ms", "latency_ms", "tokens_per_s"):
                if row[column] is not None:
                    samples[key][column].append(float(row[column]))
        verdict = row["verdict"]
        if verdict == "pass":
            score.passed += 1
        elif verdict == "fail":
            score.failed += 1
            name = mode_names.get(row["mode_id"]) if row["mode_id"] else None
            if name:
                score.failure_modes[name] = score.failure_modes.get(name, 0) + 1
        elif verdict == "skip":
            score.skipped += 1
    for key, score in scores.items():
        s = samples[key]
        score.ttft_p50, score.ttft_p95 = percentile(s["ttft_ms"], 50), percentile(s["ttft_ms"], 95)
        score.latency_p50, score.latency_p95 = percentile(s["latency_ms"], 50), percentile(s["latency_ms"], 95)
        score.tokens_per_s = percentile(s["tokens_per_s"], 50)
        score.failure_modes = dict(sorted(score.failure_modes.items(), key=lambda kv: (-kv[1], kv[0])))
        if refs[key]:
            score.model_ref = refs[key].most_common(1)[0][0]
    # A preference counts when both of its traces are in scope and belong to two different models.
    triples = [(model_of[p["left_trace_id"]], model_of[p["right_trace_id"]], p["choice"]) for p in prefs
               if p["left_trace_id"] in model_of and p["right_trace_id"] in model_of
               and model_of[p["left_trace_id"]] != model_of[p["right_trace_id"]]]
    for model, win in win_rates(triples).items():
        scores[model].win = win
    return [scores[k] for k in sorted(scores)]


def sort_scores(scores: Sequence[ModelScore], key: str) -> list[ModelScore]:
    """Best first for the figures (highest pass rate, lowest latency…); by name for "model"."""
    inf = math.inf

    def lower_is_better(value: float | None) -> float:
        return inf if value is None else value

    def higher_is_better(value: float | None) -> float:
        return inf if value is None else -value

    keys: dict[str, Callable[[ModelScore], Any]] = {
        "pass": lambda s: higher_is_better(s.pass_rate.estimate if s.labelled else None),
        "low": lambda s: higher_is_better(s.pass_rate.low if s.labelled else None),
        "labelled": lambda s: -s.labelled,
        "traces": lambda s: -s.traces,
        "params": lambda s: lower_is_better(s.params),
        "latency": lambda s: lower_is_better(s.latency_p50),
        "ttft": lambda s: lower_is_better(s.ttft_p50),
        "tps": lambda s: higher_is_better(s.tokens_per_s),
        "win": lambda s: higher_is_better(s.win.rate.estimate if s.win and s.win.decided else None),
        "model": lambda s: s.model.lower(),
    }
    if key not in keys:
        raise ValueError(f"unknown sort {key!r}: use one of {', '.join(SORT_KEYS)}")
    return sorted(scores, key=lambda s: (keys[key](s), s.model))
