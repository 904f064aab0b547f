"""The estimate: weights + KV cache + runtime overhead per context length, and a fit verdict for each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .arch import Arch
from .kv import kv_cache_bytes
from .memory import GIB, Memory, format_bytes

DEFAULT_CONTEXTS: tuple[int, ...] = (4096, 8192, 32768, 131072)

# Overhead model. GPU: ~0.5 GiB for the CUDA context and cuBLAS/attention workspaces, which every runtime
# pays. RAM: a smaller fixed part for the runtime process itself. Both: 5% of the weights for activations,
# allocator fragmentation and the odd tensor kept at higher precision. Growth with context: runtimes use
# flash attention by default now (vLLM; llama.cpp -fa auto), so the attention scratch does not grow with
# context; what does is llama.cpp's f16 KQ mask, context x 512-token ubatch x 2 bytes = 1 KiB per token.
_FIXED_OVERHEAD = {"gpu": GIB // 2, "ram": GIB // 4}
_WEIGHT_OVERHEAD = 0.05
_PER_TOKEN_OVERHEAD = 1024
# llama.cpp reserves its compute graph for a whole 512-token micro-batch whose logits are f32: 512 x vocab x
# 4 bytes whatever the context (measured: Gemma 3 270M, vocab 262,144: "CPU compute buffer size = 514.50 MiB"
# at 4k and at 32k context). For a small model with a big vocabulary that is more than its weights.
LLAMA_CPP_UBATCH = 512
RUNTIMES = ("llama.cpp", "vllm")

# Verdicts, as a share of Memory.budget_bytes (total for a GPU, since vLLM and llama.cpp take the card
# over; available for RAM, since the OS and other programs keep theirs). Up to 85% "fits": vLLM itself
# only claims 90% by default and this estimate is good to ~10%. Up to 100% "tight": it may load, with
# little headroom for batching or a longer prompt. Beyond, "does not fit" (or only with offloading).
FITS_SHARE = 0.85
TIGHT_SHARE = 1.0

FitVerdict = Literal["fits", "tight", "does not fit"]
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


@dataclass
class FitEstimate:
    """Rows per context length for one memory budget. ``weights_only``: architecture unknown, KV is 0."""

    rows: list[FitRow]
    memory: Memory
    weights_only: bool
    label: str = ""
    notes: list[str] = field(default_factory=list)


def overhead_bytes(weights: int, context: int, kind: str, *, logits_vocab: int = 0) -> int:
    """Runtime overhead for ``weights`` bytes at ``context`` tokens on ``kind`` ("gpu"/"ram"); with
    ``logits_vocab``, llama.cpp's compute buffer for a micro-batch of logits over that vocabulary."""
    fixed = _FIXED_OVERHEAD.get(kind, _FIXED_OVERHEAD["ram"])
    logits = LLAMA_CPP_UBATCH * max(0, logits_vocab) * 4
    return int(fixed + _WEIGHT_OVERHEAD * max(0, weights) + _PER_TOKEN_OVERHEAD * max(0, context) + logits)


def verdict_for(total: int, memory: Memory) -> FitVerdict:
    """Verdict for ``total`` bytes: "fits" up to 85% of the budget, "tight" to 100%, else "does not fit"."""
    budget = memory.budget_bytes
    if budget > 0 and total <= FITS_SHARE * budget:
        return "fits"
    if budget > 0 and total <= TIGHT_SHARE * budget:
        return "tight"
    return "does not fit"


def estimate(
    weights_bytes: int,
    arch: Arch | None,
    memory: Memory,
    contexts: Iterable[int] = DEFAULT_CONTEXTS,
    kv_bytes_per_elem: float = 2.0,
    label: str = "",
    runtime: str | None = None,
) -> FitEstimate:
    """Weights + KV cache + overhead for each context, with a verdict against ``memory``.

    With ``arch`` None the KV cache is unknown and left at 0: the UI must say "weights only —
    architecture unknown" (``FitEstimate.weights_only``; the text is also the first note).
    This is what one sequence needs; vLLM will still pre-allocate its whole memory share for more cache.
    ``runtime="llama.cpp"`` (GGUF files): llama-cpp-python's server allocates sliding-window layers at the
    full context (its default swa_full, which the server does not expose) and a logits compute buffer.
    """
    llama = runtime == "llama.cpp"
    vocab = (arch.vocab_size or 0) if arch is not None and llama else 0
    rows: list[FitRow] = []
    for ctx in contexts:
        kv = kv_cache_bytes(arch, ctx, kv_bytes_per_elem, full_swa=llama) if arch is not None else 0
        over = overhead_bytes(weights_bytes, ctx, memory.kind, logits_vocab=vocab)
        total = weights_bytes + kv + over
        beyond = bool(arch is not None and arch.max_context is not None and ctx > arch.max_context)
        rows.append(FitRow(ctx, weights_bytes, kv, over, total, verdict_for(total, memory), beyond))
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
    if vocab:
        notes.append(f"llama.cpp compute buffer: {LLAMA_CPP_UBATCH} × {vocab:,} vocab × 4 B = "
                     f"{format_bytes(LLAMA_CPP_UBATCH * vocab * 4)} of logits, at any context")
    return FitEstimate(rows, memory, arch is None, label, notes)
