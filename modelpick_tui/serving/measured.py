"""Estimated beside measured: the fit estimate (catalog/fit/) of a served model set against what its engine
reported at load (engine_report.py), part by part, with the error in %.

llama.cpp reports the three parts the estimate adds up: weights (its model buffers), the KV cache and the
compute buffer. The estimate's overhead holds the compute buffer (logits for a 512-token micro-batch, the KQ
mask, a share of the weights) and a fixed part for the runtime process itself, which no engine buffer holds:
that fixed part is left out of the comparison and named apart. vLLM sizes its KV cache to the memory it is
given, so its comparison is per token: the estimate's KV bytes per token give the tokens that memory holds
and the sequences of the max length it holds at once, beside vLLM's own figures.

Pure: the estimate's inputs are read from the model the server loaded by estimate_inputs.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..catalog.fit.arch import Arch
from ..catalog.fit.estimate import overhead_bytes
from ..catalog.fit.kv import kv_cache_bytes
from .engine_report import EngineReport

BYTES, TOKENS, TIMES = "bytes", "tokens", "x"


@dataclass(frozen=True)
class Figure:
    """One part: the estimate, the engine's figure, and how far apart they are."""

    part: str  # "weights", "KV cache", "compute", "engine total", "KV tokens", "max concurrency"
    estimated: float | None
    measured: float | None
    unit: str = BYTES

    @property
    def error_pct(self) -> float | None:
        """(estimated − measured) / measured in %: positive when the estimate is higher."""
        if self.estimated is None or not self.measured:
            return None
        return (self.estimated - self.measured) / self.measured * 100.0

    def to_dict(self) -> dict[str, Any]:
        err = self.error_pct
        return {"part": self.part, "unit": self.unit, "estimated": self.estimated, "measured": self.measured,
                "error_pct": None if err is None else round(err, 1)}


@dataclass(frozen=True)
class EstimateInputs:
    """What the fit estimate needs of a served model (estimate_inputs.py reads them from what it loaded)."""

    weights_bytes: int | None
    arch: Arch | None
    kv_bytes_per_elem: float = 2.0


def process_part(kind: str) -> int:
    """The estimate's fixed runtime part for `kind` ("ram"/"gpu": the runtime process, the CUDA context): in no
    engine buffer, so not compared. overhead_bytes with no weights, context or logits is that part alone."""
    return overhead_bytes(0, 0, kind)


def compare(report: EngineReport, inputs: EstimateInputs, kind: str = "ram") -> list[Figure]:
    """The estimate beside the engine's figures, part by part (`kind`: the memory the estimate is for)."""
    arch, weights = inputs.arch, inputs.weights_bytes
    ctx = report.context or 0
    if report.engine == "llama.cpp":
        kv = kv_cache_bytes(arch, ctx, inputs.kv_bytes_per_elem, full_swa=True) if arch and ctx else None
        compute = None
        if weights is not None:
            vocab = (arch.vocab_size or 0) if arch is not None else 0
            compute = overhead_bytes(weights, ctx, kind, logits_vocab=vocab) - process_part(kind)
        total = weights + kv + compute if weights is not None and kv is not None and compute is not None else None
        return [Figure("weights", weights, report.weights_bytes), Figure("KV cache", kv, report.kv_bytes),
                Figure("compute", compute, report.compute_bytes), Figure("engine total", total, report.total_bytes)]
    per_token = kv_cache_bytes(arch, 1, inputs.kv_bytes_per_elem) if arch is not None else 0
    per_seq = kv_cache_bytes(arch, ctx, inputs.kv_bytes_per_elem) if arch is not None and ctx else 0
    kv_mem = report.kv_bytes
    tokens = kv_mem / per_token if kv_mem and per_token else None
    concurrency = kv_mem / per_seq if kv_mem and per_seq else None
    # vLLM prints weights in GiB with two decimals: a model under 5 MiB reads 0.00, which is no measurement.
    weights_measured = report.weights_bytes or None
    return [Figure("weights", weights, weights_measured), Figure("KV cache memory", None, kv_mem),
            Figure("KV tokens", tokens, report.kv_tokens, TOKENS),
            Figure("max concurrency", concurrency, report.max_concurrency, TIMES)]


def memory_kind(report: EngineReport) -> str:
    """The estimate's memory kind for where the engine put the weights: "ram" on a CPU, else "gpu"."""
    return "ram" if (report.device or "CPU").upper().startswith("CPU") else "gpu"


def headline(figures: list[Figure]) -> Figure | None:
    """The one figure a table has room for: the engine total (llama.cpp), else the KV tokens (vLLM)."""
    for part in ("engine total", "KV tokens"):
        for f in figures:
            if f.part == part and f.measured:
                return f
    return None


def format_value(value: float | None, unit: str) -> str:
    """A figure as a person reads it: "92 MiB", "1,048,576 tokens", "4096.0x"; "—" when there is none."""
    from ..catalog.fit.memory import format_bytes

    if value is None:
        return "—"
    if unit == BYTES:
        return format_bytes(value)
    if unit == TOKENS:
        return f"{round(value):,} tokens"
    return f"{value:.1f}x"


def format_error(error: float | None) -> str:
    """"+2.0%", "-2.6%", "" when there is nothing to compare."""
    return "" if error is None else f"{error:+.1f}%"


def line(figures: list[Figure]) -> str:
    """One line, measured / estimated (error) per part that has a measurement: for a detail line or a CLI."""
    parts = []
    for f in figures:
        if f.measured is None:
            continue
        err = format_error(f.error_pct)
        part = f"{f.part} {format_value(f.measured, f.unit)}"
        if f.estimated is not None:
            part += f" / est {format_value(f.estimated, f.unit)}" + (f" ({err})" if err else "")
        parts.append(part)
    return " · ".join(parts)
