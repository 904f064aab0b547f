"""The estimate: weights + KV cache + runtime overhead per context length, and a fit verdict for each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .arch import Arch
from .budget import LLAMA_CPP_UBATCH, FitVerdict, overhead_bytes, verdict_for
from .experts import CPU_MOE_NOTE, ExpertsInRam, experts_in_ram
from .kv import kv_cache_bytes, state_bytes
from .memory import Memory, format_bytes
from .parallel import ParallelPlan, plan_parallel
from .speed import decode_tokens_per_s_estimate

DEFAULT_CONTEXTS: tuple[int, ...] = (4096, 8192, 32768, 131072)
RUNTIMES = ("llama.cpp", "vllm")
# The overhead model and the verdict thresholds are in budget.py: the multi-GPU plan (parallel.py) shares them.

WEIGHTS_ONLY_NOTE = "weights only — architecture unknown"


@dataclass
class FitRow:
    """One context length: what it takes and whether it fits."""

    context: int
    weights_bytes: int
    kv_bytes: int
    overhead_bytes: int
    total_bytes: int
    verdict: FitVerdict
    beyond_max_context: bool
    # Decode tokens/s for one sequence, estimated from the memory's bandwidth (speed.py); None when not known.
    tokens_per_s: float | None = None
    # Several GPUs (vLLM): the smallest TP (× PP) plan at this context; its verdict is the row's.
    parallel: ParallelPlan | None = None
    # A GGUF mixture of experts on a GPU: the fit with its routed experts in system RAM (llama.cpp --cpu-moe).
    experts_in_ram: ExpertsInRam | None = None


@dataclass
class FitEstimate:
    """Rows per context length for one memory budget. ``weights_only``: architecture unknown, KV is 0."""

    rows: list[FitRow]
    memory: Memory
    weights_only: bool
    label: str = ""
    notes: list[str] = field(default_factory=list)


def estimate(
    weights_bytes: int,
    arch: Arch | None,
    memory: Memory,
    contexts: Iterable[int] = DEFAULT_CONTEXTS,
    kv_bytes_per_elem: float = 2.0,
    label: str = "",
    runtime: str | None = None,
    active_weights_bytes: int | None = None,
    expert_share: float | None = None,
) -> FitEstimate:
    """Weights + KV cache + overhead for each context, with a verdict against ``memory``.

    With ``arch`` None the KV cache is unknown and left at 0: the UI must say "weights only —
    architecture unknown" (``FitEstimate.weights_only``; the text is also the first note).
    This is what one sequence needs; vLLM will still pre-allocate its whole memory share for more cache.
    ``runtime="llama.cpp"`` (GGUF files): llama-cpp-python's server allocates sliding-window layers at the
    full context (its default swa_full, which the server does not expose) and a logits compute buffer.
    Each row's decode speed is estimated from the memory's bandwidth and the bytes a token reads:
    ``active_weights_bytes`` (a mixture of experts reads only its routed experts; default all weights) + KV.
    On several GPUs, other runtimes than llama.cpp (vLLM) get a tensor (× pipeline) parallel plan per row
    (parallel.py) whose verdict, against one GPU, is the row's; llama.cpp splits layers and is judged on the sum.
    ``expert_share`` (a GGUF mixture of experts: the routed experts' share of the weights): on a GPU, each row also
    says whether it would fit with the experts in system RAM (experts.py; llama.cpp's --cpu-moe, an estimate).
    """
    llama = runtime == "llama.cpp"
    vocab = (arch.vocab_size or 0) if arch is not None and llama else 0
    active = weights_bytes if active_weights_bytes is None else active_weights_bytes
    rows: list[FitRow] = []
    for ctx in contexts:
        kv = kv_cache_bytes(arch, ctx, kv_bytes_per_elem, full_swa=llama) if arch is not None else 0
        over = overhead_bytes(weights_bytes, ctx, memory.kind, logits_vocab=vocab)
        total = weights_bytes + kv + over
        beyond = bool(arch is not None and arch.max_context is not None and ctx > arch.max_context)
        plan = None if llama else plan_parallel(weights_bytes, kv, ctx, arch, memory)
        verdict = verdict_for(total, memory) if plan is None else plan.verdict
        # Only where it can run from this memory: a model that does not fit runs partly from elsewhere.
        speed = None if verdict == "does not fit" else decode_tokens_per_s_estimate(
            memory.bandwidth_bytes_per_s, active, kv, tensor_parallel=plan.tensor_parallel if plan else 1)
        offload = (experts_in_ram(weights_bytes, kv, ctx, expert_share, memory, vocab)
                   if llama and expert_share else None)
        rows.append(FitRow(ctx, weights_bytes, kv, over, total, verdict, beyond, speed, plan, offload))
    notes: list[str] = [WEIGHTS_ONLY_NOTE] if arch is None else []
    if memory.kind == "gpu" and memory.total_bytes and memory.available_bytes < 0.9 * memory.total_bytes:
        used = memory.total_bytes - memory.available_bytes
        notes.append(f"{format_bytes(used)} of GPU memory is in use by other processes")
    if arch is not None and arch.sliding_window is not None and arch.sliding_layers:
        window = arch.sliding_window
        if llama:
            notes.append(f"{arch.sliding_layers} of {arch.attention_layers} layers use a {window}-token window, "
                         "but llama.cpp (llama-cpp-python's server) caches the full context for them")
        else:
            notes.append(f"{arch.sliding_layers} of {arch.attention_layers} layers use a {window}-token window")
    recurrent = sum(1 for k in arch.layer_kinds if k in ("linear", "mamba")) if arch is not None else 0
    if recurrent and arch is not None:
        notes.append(f"{recurrent} of {arch.n_layers} layers are linear-attention or state-space layers: no KV "
                     f"cache, a fixed {format_bytes(state_bytes(arch))} state per sequence")
    if any(r.experts_in_ram for r in rows):
        notes.append(CPU_MOE_NOTE)
    if vocab:
        notes.append(f"llama.cpp compute buffer: {LLAMA_CPP_UBATCH} × {vocab:,} vocab × 4 B = "
                     f"{format_bytes(LLAMA_CPP_UBATCH * vocab * 4)} of logits, at any context")
    return FitEstimate(rows, memory, arch is None, label, notes)
