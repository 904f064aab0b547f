"""KV cache: bytes per token and layer for an ``Arch``, the part naive calculators get badly wrong."""

from __future__ import annotations

from .arch import Arch

# Bytes per cached element for common KV-cache types (llama.cpp's q8_0/q4_0 carry an f16 scale per 32).
KV_CACHE_BYTES_PER_ELEM: dict[str, float] = {
    "f32": 4.0,
    "f16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "q8_0": 34 / 32,
    "q5_1": 24 / 32,
    "q5_0": 22 / 32,
    "q4_1": 20 / 32,
    "q4_0": 18 / 32,
}


# Recurrent state (Gated DeltaNet, Mamba) is kept in f32: llama.cpp's recurrent cache is f32, and vLLM keeps the
# SSM state in f32 for the models that need the precision (its mamba_ssm_cache_dtype). The upper figure.
STATE_BYTES_PER_ELEM = 4.0


def state_bytes(arch: Arch, bytes_per_elem: float = STATE_BYTES_PER_ELEM) -> int:
    """The fixed state one sequence keeps in the linear-attention and state-space layers, whatever the context."""
    return round(arch.state_elems * bytes_per_elem)


def kv_cache_bytes(arch: Arch, context: int, bytes_per_elem: float = 2.0, *, full_swa: bool = False) -> int:
    """Bytes of KV cache for one sequence of ``context`` tokens.

    Per layer: standard attention caches K and V, 2 x n_kv_heads x head_dim x tokens x bytes; sliding-window
    layers hold min(context, sliding_window) tokens (all ``context`` tokens with ``full_swa``: what
    llama-cpp-python's server allocates); MLA caches mla_kv_dim x tokens x bytes (one latent,
    no factor 2, no heads). Linear-attention and state-space layers of hybrids cache no tokens: they add their
    fixed state (``state_bytes``) once per sequence; MLP-only blocks add nothing.
    """
    # Why naive formulas (2 x n_heads x head_dim x every layer x context) are off several-fold:
    # * gemma-3-27B at 128k: 52 of its 62 layers are sliding-window layers holding only 1024 tokens, so the
    #   cache is ~10.4 GiB, not the ~62 GiB a "62 full layers" formula gives (~6x).
    # * DeepSeek-V3 at 128k: MLA caches a 512+64 latent per token and layer, ~8.6 GiB in fp16; a naive
    #   MHA formula with 128 heads x (192 K + 128 V dims) gives ~610 GiB (~71x).
    # * GQA models (Llama 3: 8 KV heads for 32 query heads) need 4x less than counting query heads.
    if context <= 0:
        return 0
    return _attention_bytes(arch, context, bytes_per_elem, full_swa=full_swa) + state_bytes(arch)


def kv_bytes_per_token(arch: Arch, context: int, bytes_per_elem: float = 2.0) -> float:
    """KV cache per token of context at ``context`` tokens (sliding windows amortised, the fixed state left out)."""
    return _attention_bytes(arch, context, bytes_per_elem, full_swa=False) / context if context > 0 else 0.0


def _attention_bytes(arch: Arch, context: int, bytes_per_elem: float, *, full_swa: bool) -> int:
    if arch.mla_kv_dim is not None:
        # vLLM and current llama.cpp cache the latent; llama.cpp before its 2025 MLA support (and GGUFs
        # converted before it) cached full per-head K/V instead, like the naive figure below.
        return round(arch.attention_layers * arch.mla_kv_dim * context * bytes_per_elem)
    full, sliding = arch.full_layers, arch.sliding_layers
    window_tokens = min(context, arch.sliding_window) if arch.sliding_window and not full_swa else context
    if arch.kv_heads_per_layer:
        # Per-layer head counts (hybrids, OpenELM): spread their total evenly over the attention layers.
        # Exact when all layers are full or head counts are uniform; close enough otherwise.
        kv_heads = sum(arch.kv_heads_per_layer) / max(1, full + sliding)
    else:
        kv_heads = float(arch.n_kv_heads)
    elems = 2 * kv_heads * arch.head_dim * (full * context + sliding * window_tokens)
    return round(elems * bytes_per_elem)


def naive_kv_cache_bytes(
    n_layers: int, n_heads: int, k_dim: int, v_dim: int, context: int, bytes_per_elem: float = 2.0
) -> int:
    """The textbook MHA cache (every layer, every query head, full context), for comparison in the UI."""
    return int(n_layers * n_heads * (k_dim + v_dim) * context * bytes_per_elem)
