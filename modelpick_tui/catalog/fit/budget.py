"""What a model takes beyond its weights and KV cache on one device (the runtime's overhead), and the verdict
against a memory budget. Shared by the single-device estimate (estimate.py) and the multi-GPU plan (parallel.py)."""

from __future__ import annotations

from typing import Literal

from .memory import GIB, Memory

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

# Verdicts, as a share of Memory.budget_bytes (total for a GPU, since vLLM and llama.cpp take the card
# over; available for RAM, since the OS and other programs keep theirs). Up to 85% "fits": vLLM itself
# only claims 90% by default and this estimate is good to ~10%. Up to 100% "tight": it may load, with
# little headroom for batching or a longer prompt. Beyond, "does not fit" (or only with offloading).
FITS_SHARE = 0.85
TIGHT_SHARE = 1.0

FitVerdict = Literal["fits", "tight", "does not fit"]

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
