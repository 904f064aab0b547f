"""Hardware-fit estimate: does model X at quant Q fit in this much memory at this context length?

Headless core: no textual import, no work at import time. Heavy or optional dependencies (gguf/numpy,
pynvml, psutil) are imported inside the functions that need them.

The estimate is weights + KV cache + runtime overhead, per context length. The KV cache is where naive
calculators go badly wrong, because modern architectures do not cache 2 x heads x head_dim per token in
every layer (see ``kv_cache_bytes``).
"""

from __future__ import annotations

import math
import mmap
import os
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

GIB = 1024**3
MIB = 1024**2

# ----------------------------------------------------------------------------------------------------
# Architecture
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arch:
    """The attention shape of a decoder, as far as the KV cache is concerned.

    ``n_global_layers`` is how many layers attend to the full context; ``None`` means all attention layers
    do. The remaining attention layers are sliding-window layers that cache at most ``sliding_window``
    tokens. ``mla_kv_dim`` switches to multi-head latent attention (one shared latent per token and layer).
    ``n_cacheless_layers`` counts blocks of hybrid models that keep no per-token cache (Mamba, linear
    attention, MLP-only); their small fixed-size state is ignored. ``kv_heads_per_layer`` is set when a file
    gives KV heads per layer (hybrids store 0 for their recurrent layers).
    """

    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    hidden_size: int
    max_context: int | None = None
    sliding_window: int | None = None
    n_global_layers: int | None = None
    mla_kv_dim: int | None = None
    architecture: str = ""
    n_cacheless_layers: int = 0
    kv_heads_per_layer: tuple[int, ...] | None = None
    vocab_size: int | None = None  # sizes the runtime's logits buffer (a big share for small models)

    @property
    def attention_layers(self) -> int:
        """Layers that keep a per-token KV cache."""
        return max(0, self.n_layers - self.n_cacheless_layers)

    @property
    def full_layers(self) -> int:
        """Attention layers that cache the whole context."""
        if self.sliding_window is None or self.n_global_layers is None:
            return self.attention_layers
        return max(0, min(self.n_global_layers, self.attention_layers))

    @property
    def sliding_layers(self) -> int:
        """Attention layers that cache at most ``sliding_window`` tokens."""
        return self.attention_layers - self.full_layers


def _pos_int(value: Any) -> int | None:
    """A strictly positive int from JSON/GGUF values, else None (bools are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    return None


def _int_list(value: Any) -> list[int] | None:
    """A list of non-negative ints (per-layer arrays), else None."""
    if not isinstance(value, list | tuple) or not value:
        return None
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
            return None
        out.append(int(item))
    return out


def _first(cfg: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    return None


# Known every-N-th-layer-is-global patterns for configs/GGUFs that do not spell them out. gemma3's
# config.json on the Hub usually omits sliding_window_pattern and relies on the transformers default (6);
# llama.cpp hard-codes the same numbers per architecture. Exact names only: gemma3n and friends have
# layouts of their own.
_SWA_PATTERN_DEFAULTS: dict[str, int] = {"gemma3": 6, "gemma2": 2, "cohere2": 4, "gpt-oss": 2, "gpt_oss": 2}
# Context lengths that configs leave to the transformers default (gemma-3-27b's config.json has none).
_MAX_CONTEXT_DEFAULTS: dict[str, int] = {"gemma3": 131072, "gemma3_text": 131072}
_TEXT_CONFIG_KEYS = ("text_config", "llm_config", "language_config")
_QWEN_FAMILY = ("qwen2", "qwen3")


def _pattern_for(model_type: str) -> int | None:
    return _SWA_PATTERN_DEFAULTS.get(model_type.removesuffix("_text"))


def arch_from_config(config: Mapping[str, Any]) -> Arch | None:
    """Build an ``Arch`` from a Hugging Face ``config.json`` dict, or None when the essentials are missing.

    Handles nested text configs (VL models, gemma3), missing ``head_dim``/``num_key_value_heads``, sliding
    windows (gemma2/3, cohere2, Mistral, Qwen2 ``use_sliding_window``, explicit ``layer_types``), MLA
    (DeepSeek V2/V3, Kimi-K2) and the simpler hybrid layouts.
    """
    if not isinstance(config, Mapping):
        return None
    nested = next((config[k] for k in _TEXT_CONFIG_KEYS if isinstance(config.get(k), Mapping)), None)
    cfg: dict[str, Any] = {k: v for k, v in config.items() if k not in _TEXT_CONFIG_KEYS}
    if nested is not None:
        cfg.update(nested)  # the text model's own values win over the wrapper's

    n_layers = _pos_int(_first(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers"))
    n_heads_raw = _first(cfg, "num_attention_heads", "n_head", "num_heads", "n_heads")
    head_list = _int_list(n_heads_raw)
    n_heads = max(head_list) if head_list else _pos_int(n_heads_raw)
    hidden = _pos_int(_first(cfg, "hidden_size", "n_embd", "d_model", "dim"))
    if n_layers is None or n_heads is None or hidden is None:
        return None

    top_type = str(config.get("model_type") or "")
    model_type = str(cfg.get("model_type") or top_type).lower()
    archs = config.get("architectures")
    label = top_type or (str(archs[0]) if isinstance(archs, list) and archs else model_type)

    kv_raw = _first(cfg, "num_key_value_heads", "num_kv_heads", "n_head_kv")
    kv_list = _int_list(kv_raw)
    if kv_list is not None:
        n_kv = max(kv_list) or 1
    elif _pos_int(kv_raw) is not None:
        n_kv = int(kv_raw)
    elif cfg.get("multi_query") is True:  # falcon / starcoder style MQA
        n_kv = 1
    else:
        n_kv = n_heads  # no GQA key: plain multi-head attention
    head_dim = _pos_int(cfg.get("head_dim")) or max(1, hidden // n_heads)
    max_ctx = _pos_int(
        _first(cfg, "max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")
    ) or _MAX_CONTEXT_DEFAULTS.get(model_type)

    # MLA: one latent of kv_lora_rank plus the decoupled RoPE key per token and layer, shared by all heads.
    mla_dim: int | None = None
    kv_rank = _pos_int(cfg.get("kv_lora_rank"))
    if kv_rank is not None:
        rope_dim = _pos_int(cfg.get("qk_rope_head_dim")) or 64
        mla_dim = kv_rank + rope_dim
        nope = _pos_int(cfg.get("qk_nope_head_dim"))
        if nope is not None:
            head_dim = nope + rope_dim

    window = _pos_int(cfg.get("sliding_window"))
    if cfg.get("use_sliding_window") is False:
        window = None
    n_global: int | None = None
    cacheless = 0

    raw_types = cfg.get("layer_types")
    layer_types: list[str] = (
        list(raw_types) if isinstance(raw_types, list) and all(isinstance(t, str) for t in raw_types) else []
    )
    if layer_types:
        full = sum(1 for t in layer_types if t == "full_attention")
        sliding = sum(1 for t in layer_types if t in ("sliding_attention", "chunked_attention"))
        if "chunked_attention" in layer_types and window is None:
            window = _pos_int(cfg.get("attention_chunk_size"))
        if window is None:  # sliding layers without a window cache everything
            full, sliding = full + sliding, 0
        cacheless = max(0, n_layers - full - sliding)
        n_global = full
    elif _pos_int(cfg.get("full_attention_interval")):  # Qwen3-Next style: every N-th layer attends
        interval = int(cfg["full_attention_interval"])
        cacheless = n_layers - n_layers // interval
    elif isinstance(cfg.get("hybrid_override_pattern"), str):  # Nemotron-H: "*" marks attention blocks
        cacheless = n_layers - min(n_layers, cfg["hybrid_override_pattern"].count("*"))
    elif _pos_int(cfg.get("attn_layer_period")):  # Jamba
        period = int(cfg["attn_layer_period"])
        offset = _pos_int(cfg.get("attn_layer_offset")) or 0
        cacheless = n_layers - sum(1 for i in range(n_layers) if i % period == offset)

    if window is not None and not layer_types:
        pattern = _pos_int(cfg.get("sliding_window_pattern")) or _pattern_for(model_type)
        if pattern is not None:
            # Every pattern-th layer is global: transformers slides when (i + 1) % pattern != 0.
            n_global = n_layers // pattern
        elif model_type.startswith(_QWEN_FAMILY) and cfg.get("use_sliding_window") is True:
            # Qwen2: layers from max_window_layers upward slide, the ones below stay global.
            n_global = min(n_layers, _pos_int(cfg.get("max_window_layers")) or n_layers)
        elif max_ctx is None or window < max_ctx:
            n_global = 0  # Mistral 7B v0.1 style: every layer slides
        else:
            window = None  # a window as large as the context is no window
    if mla_dim is not None:
        window, n_global = None, None

    return Arch(
        n_layers=n_layers,
        n_heads=n_heads,
        n_kv_heads=n_kv,
        head_dim=head_dim,
        hidden_size=hidden,
        max_context=max_ctx,
        sliding_window=window,
        n_global_layers=n_global if window is not None else None,
        mla_kv_dim=mla_dim,
        architecture=label,
        n_cacheless_layers=cacheless,
        kv_heads_per_layer=tuple(kv_list) if kv_list is not None else None,
        vocab_size=_pos_int(cfg.get("vocab_size")),
    )


def arch_from_gguf(meta: Mapping[str, Any]) -> Arch | None:
    """Build an ``Arch`` from GGUF key/values (as returned by ``read_gguf_metadata``), or None.

    Sliding windows are applied only where llama.cpp applies them (a known per-architecture pattern or an
    explicit ``attention.sliding_window_pattern``): for other architectures llama.cpp allocates the full
    cache even when the file records a window, so counting the window would under-estimate.
    """
    if not isinstance(meta, Mapping):
        return None
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        return None

    def key(name: str) -> Any:
        return meta.get(f"{arch}.{name}")

    n_layers = _pos_int(key("block_count"))
    heads_raw = key("attention.head_count")
    head_list = _int_list(heads_raw)
    n_heads = max(head_list) if head_list else _pos_int(heads_raw)
    hidden = _pos_int(key("embedding_length"))
    if n_layers is None or not n_heads or hidden is None:
        return None

    kv_raw = key("attention.head_count_kv")
    kv_list = _int_list(kv_raw)
    if kv_list is not None:
        n_kv = max(kv_list) or 1
    else:
        n_kv = _pos_int(kv_raw) or n_heads
    head_dim = _pos_int(key("attention.key_length")) or max(1, hidden // n_heads)

    mla_dim: int | None = None
    kv_rank = _pos_int(key("attention.kv_lora_rank"))
    if kv_rank is not None:
        mla_dim = kv_rank + (_pos_int(key("rope.dimension_count")) or 64)
        # Newer deepseek2 files store the latent width as key_length and the per-head one as key_length_mla.
        head_dim = _pos_int(key("attention.key_length_mla")) or head_dim

    window = _pos_int(key("attention.sliding_window"))
    n_global: int | None = None
    if window is not None and mla_dim is None:
        pattern_raw = key("attention.sliding_window_pattern")
        flags = pattern_raw if isinstance(pattern_raw, list) else None
        pattern = _pos_int(pattern_raw) or _pattern_for(arch)
        if flags:
            n_global = sum(1 for f in flags if not f)  # per-layer flags: true means sliding
        elif pattern is not None:
            n_global = n_layers // pattern
        else:
            window = None
    else:
        window = None

    return Arch(
        n_layers=n_layers,
        n_heads=n_heads,
        n_kv_heads=n_kv,
        head_dim=head_dim,
        hidden_size=hidden,
        max_context=_pos_int(key("context_length")),
        sliding_window=window,
        n_global_layers=n_global,
        mla_kv_dim=mla_dim,
        architecture=arch,
        kv_heads_per_layer=tuple(kv_list) if kv_list is not None else None,
        vocab_size=_pos_int(key("vocab_size")) or _pos_int(meta.get(GGUF_VOCAB_COUNT)),
    )


# ----------------------------------------------------------------------------------------------------
# KV cache
# ----------------------------------------------------------------------------------------------------

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


def kv_cache_bytes(arch: Arch, context: int, bytes_per_elem: float = 2.0, *, full_swa: bool = False) -> int:
    """Bytes of KV cache for one sequence of ``context`` tokens.

    Per layer: standard attention caches K and V, 2 x n_kv_heads x head_dim x tokens x bytes; sliding-window
    layers hold min(context, sliding_window) tokens (all ``context`` tokens with ``full_swa``: what
    llama-cpp-python's server allocates); MLA caches mla_kv_dim x tokens x bytes (one latent,
    no factor 2, no heads). Cacheless hybrid blocks contribute nothing.
    """
    # Why naive formulas (2 x n_heads x head_dim x every layer x context) are off several-fold:
    # * gemma-3-27B at 128k: 52 of its 62 layers are sliding-window layers holding only 1024 tokens, so the
    #   cache is ~10.4 GiB, not the ~62 GiB a "62 full layers" formula gives (~6x).
    # * DeepSeek-V3 at 128k: MLA caches a 512+64 latent per token and layer, ~8.6 GiB in fp16; a naive
    #   MHA formula with 128 heads x (192 K + 128 V dims) gives ~610 GiB (~71x).
    # * GQA models (Llama 3: 8 KV heads for 32 query heads) need 4x less than counting query heads.
    if context <= 0:
        return 0
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


# ----------------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------------

# Effective bits per weight for a whole model. GGUF "mixes" (Q4_K_M...) keep some tensors at higher
# precision, so they sit above their base block size (Q4_K blocks are 4.5 bpw, Q4_K_M files ~4.85). The
# figures are llama.cpp's published ones for 7-8B models; small models with big vocabularies run a little
# higher. When a local file exists, its size on disk is the better number.
_GGUF_BPW: dict[str, float] = {
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "Q8_0": 8.5,
    "Q8_K_XL": 9.0,
    "Q6_K": 6.56,
    "Q6_K_L": 6.8,
    "Q6_K_XL": 7.0,
    "Q5_1": 6.0,
    "Q5_K_L": 5.9,
    "Q5_K_XL": 5.9,
    "Q5_K_M": 5.69,
    "Q5_K_S": 5.54,
    "Q5_0": 5.5,
    "Q4_1": 5.0,
    "Q4_K_L": 5.1,
    "Q4_K_XL": 5.0,
    "Q4_K_M": 4.85,
    "Q4_K_S": 4.58,
    "Q4_0": 4.55,
    "Q4_0_4_4": 4.55,
    "Q4_0_4_8": 4.55,
    "Q4_0_8_8": 4.55,
    "MXFP4": 4.25,
    "IQ4_NL": 4.5,
    "IQ4_XS": 4.25,
    "Q3_K_XL": 4.4,
    "Q3_K_L": 4.27,
    "Q3_K_M": 3.91,
    "Q3_K_S": 3.5,
    "IQ3_M": 3.66,
    "IQ3_S": 3.44,
    "IQ3_XS": 3.3,
    "IQ3_XXS": 3.06,
    "Q2_K_XL": 3.2,
    "Q2_K_L": 3.0,
    "Q2_K": 2.63,
    "Q2_K_S": 2.56,
    "IQ2_M": 2.7,
    "IQ2_S": 2.5,
    "IQ2_XS": 2.31,
    "IQ2_XXS": 2.06,
    "TQ2_0": 2.06,
    "IQ1_M": 1.75,
    "TQ1_0": 1.69,
    "IQ1_S": 1.56,
}

# Checkpoint dtypes and GPU quantisation formats (safetensors dtype names included). 4-bit GPU formats
# store a 16-bit scale (+ zero point) per group of 128 and usually keep embeddings/lm_head unquantised,
# hence ~4.25 rather than 4.
_DTYPE_BPW: dict[str, float] = {
    "F64": 64.0,
    "F32": 32.0,
    "F16": 16.0,
    "BF16": 16.0,
    "F8": 8.0,
    "FP8": 8.0,
    "F8_E4M3": 8.0,
    "F8_E5M2": 8.0,
    "INT8": 8.0,
    "I8": 8.0,
    "U8": 8.0,
    "INT4": 4.25,
    "AWQ": 4.25,
    "GPTQ": 4.25,
    "NF4": 4.13,
    "BNB4": 4.13,
    "NVFP4": 4.5,
}

_ALIASES: dict[str, str] = {
    "FP32": "F32",
    "FLOAT32": "F32",
    "FP16": "F16",
    "FLOAT16": "F16",
    "HALF": "F16",
    "BFLOAT16": "BF16",
    "FLOAT8": "FP8",
    "E4M3": "F8_E4M3",
    "E5M2": "F8_E5M2",
    "MXFP4_MOE": "MXFP4",
    "W8A8": "INT8",
    "W4A16": "INT4",
}


def _canonical(name: str) -> str:
    key = name.strip().upper().replace("-", "_").removeprefix("TORCH.")
    key = key.removeprefix("UD_")  # unsloth "dynamic" files: UD-Q4_K_XL
    return _ALIASES.get(key, key)


def bits_per_weight(dtype_or_quant: str) -> float | None:
    """Effective bits per weight for a dtype ("BF16", "fp8", "awq") or GGUF quant ("Q4_K_M"), or None."""
    key = _canonical(dtype_or_quant)
    return _GGUF_BPW.get(key) or _DTYPE_BPW.get(key)


def weights_bytes(params: int, dtype_or_quant: str) -> int:
    """Bytes taken by ``params`` weights stored as ``dtype_or_quant``; ValueError for an unknown label."""
    bpw = bits_per_weight(dtype_or_quant)
    if bpw is None:
        raise ValueError(f"unknown dtype or quant: {dtype_or_quant!r}")
    return int(math.ceil(max(0, params) * bpw / 8))


# Longest names first so "Q4_K_M" wins over "Q4_K" and "Q4_0_4_4" over "Q4_0"; "FP16" spelled out too.
_QUANT_NAMES = sorted([*_GGUF_BPW, "FP16", "FP32", "MXFP4_MOE"], key=len, reverse=True)
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in _QUANT_NAMES) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def quant_from_filename(name: str) -> str | None:
    """The GGUF quant named in a file name ("...-Q4_K_M.gguf" -> "Q4_K_M"), case-insensitive, or None.

    Works on split files ("-Q8_0-00001-of-00002.gguf") and unsloth's "UD-" prefix ("UD-Q4_K_XL" ->
    "Q4_K_XL"). The last match wins: the quant comes after the model name.
    """
    base = os.path.basename(name)
    matches = [m.group(1) for m in _QUANT_RE.finditer(base)]
    if not matches:
        return None
    return _canonical(matches[-1])


def quant_from_gguf(meta: Mapping[str, Any]) -> str | None:
    """The quant recorded in a GGUF's ``general.file_type`` ("Q4_K_M", "BF16"...), or None."""
    ftype = meta.get("general.file_type") if isinstance(meta, Mapping) else None
    if isinstance(ftype, bool) or not isinstance(ftype, int):
        return None
    from gguf import LlamaFileType  # lazy: pulls in numpy

    try:
        name = LlamaFileType(ftype).name
    except ValueError:
        return None
    if name == "GUESSED":
        return None
    return _canonical(name.removeprefix("MOSTLY_").removeprefix("ALL_"))


# ----------------------------------------------------------------------------------------------------
# GGUF metadata
# ----------------------------------------------------------------------------------------------------

# Arrays longer than this (tokenizer vocab, merges, scores) are skipped: per-layer arrays are far smaller.
# The vocab's length is kept under this key (not a GGUF key: read_gguf_metadata adds it).
GGUF_VOCAB_COUNT = "GGUF.vocab_count"
_MAX_GGUF_ARRAY = 1024

# GGUF value types (gguf.GGUFValueType) -> struct format; 8 is a string, 9 an array.
_GGUF_SCALAR: dict[int, str] = {
    0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d",
}  # fmt: skip
_GGUF_STRING, _GGUF_ARRAY = 8, 9


class _Truncated(Exception):
    """The header claims more bytes than the file has."""


class _GGUFCursor:
    """Reads GGUF header fields from a memory map, checking every length against the file size."""

    def __init__(self, buf: Any, order: str) -> None:
        self.buf = buf
        self.size = len(buf)
        self.order = order
        self.pos = 0

    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise _Truncated(f"truncated: needs {n} bytes at offset {self.pos}, file has {self.size}")

    def scalar(self, fmt: str) -> Any:
        width = struct.calcsize(fmt)
        self.need(width)
        (value,) = struct.unpack_from(self.order + fmt, self.buf, self.pos)
        self.pos += width
        return value

    def string(self) -> str:
        n = self.scalar("Q")
        self.need(n)
        raw = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        n = self.scalar("Q")
        self.need(n)
        self.pos += n

    def value(self, vtype: int, keep: bool = True) -> Any:
        """One value of type ``vtype``; with keep=False it is skipped and None returned."""
        if vtype in _GGUF_SCALAR:
            fmt = _GGUF_SCALAR[vtype]
            if not keep:
                self.need(struct.calcsize(fmt))
                self.pos += struct.calcsize(fmt)
                return None
            return self.scalar(fmt)
        if vtype == _GGUF_STRING:
            if keep:
                return self.string()
            self.skip_string()
            return None
        if vtype == _GGUF_ARRAY:
            itype = self.scalar("I")
            count = self.scalar("Q")
            keep_items = keep and count <= _MAX_GGUF_ARRAY
            if itype in _GGUF_SCALAR and not keep_items:
                self.need(count * struct.calcsize(_GGUF_SCALAR[itype]))  # skip in one step
                self.pos += count * struct.calcsize(_GGUF_SCALAR[itype])
                return None
            items = []
            for _ in range(count):  # strings must be walked; every item moves at least 8 bytes on
                item = self.value(itype, keep_items)
                if keep_items:
                    items.append(item)
            return items if keep_items else None
        raise ValueError(f"unknown GGUF value type {vtype}")


def read_gguf_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Key/values of a GGUF file: scalars, strings and small arrays (huge arrays such as the vocab skipped).

    Also "GGUF.version", "GGUF.tensor_count", "GGUF.kv_count" (as gguf.GGUFReader names them) and
    "GGUF.parameter_count", the element count of this file's tensors (one shard's share for split files).
    Raises ``ValueError("not a GGUF file: ...")`` for a garbage or truncated file (tensor data cut short
    included); OSError (missing file, no permission) passes through unchanged.
    """
    # Why not gguf.GGUFReader: it builds numpy objects for every vocab entry and merge, ~12 s for a
    # 150k-token tokenizer, per file. This walks the same layout and only skips over those arrays.
    where = os.fspath(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 4 or fh.read(4) != b"GGUF":
            raise ValueError(f"not a GGUF file: {where} (no GGUF magic number)")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                return _parse_gguf(buf, size)
            except (_Truncated, struct.error, ValueError, OverflowError) as exc:
                raise ValueError(f"not a GGUF file: {where} ({exc})") from exc


def _parse_gguf(buf: Any, size: int) -> dict[str, Any]:
    (version,) = struct.unpack_from("<I", buf, 4) if size >= 8 else (0,)
    # A file written on a big-endian machine reads as version << 16 here (the same test as GGUFReader).
    order = ">" if version and version & 0xFFFF == 0 else "<"
    cur = _GGUFCursor(buf, order)
    cur.pos = 4
    version = cur.scalar("I")
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    n_tensors, n_kv = cur.scalar("Q"), cur.scalar("Q")
    out: dict[str, Any] = {"GGUF.version": version, "GGUF.tensor_count": n_tensors, "GGUF.kv_count": n_kv}
    for _ in range(n_kv):
        key = cur.string()
        vtype = cur.scalar("I")
        if key == "tokenizer.ggml.tokens" and vtype == _GGUF_ARRAY and cur.pos + 12 <= size:
            # The vocab itself is skipped (huge); its length sizes the runtime's logits buffer.
            out[GGUF_VOCAB_COUNT] = struct.unpack_from(order + "Q", buf, cur.pos + 4)[0]
        value = cur.value(vtype)
        if value is not None:
            out[key] = value

    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType  # lazy: numpy; block sizes per tensor type

    params = 0
    data_end = 0  # bytes of tensor data the header promises
    for _ in range(n_tensors):
        cur.skip_string()
        n_dims = cur.scalar("I")
        if n_dims > 8:
            raise ValueError(f"tensor with {n_dims} dimensions")
        elems = math.prod(cur.scalar("Q") for _ in range(n_dims))
        ttype, offset = cur.scalar("I"), cur.scalar("Q")
        params += elems
        try:
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ttype)]
        except (ValueError, KeyError):
            continue  # a tensor type newer than the gguf package: cannot size it, do not fail on it
        data_end = max(data_end, offset + elems * type_size // block)
    out["GGUF.parameter_count"] = params

    align = out.get("general.alignment")
    align = align if isinstance(align, int) and align > 0 and align & (align - 1) == 0 else 32
    data_start = -(-cur.pos // align) * align
    if n_tensors and data_start + data_end > size:
        raise _Truncated(f"truncated: tensor data ends at {data_start + data_end}, file has {size} bytes")
    return out


# ----------------------------------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """Memory available to run a model: the GPUs found (summed) or system RAM."""

    kind: Literal["gpu", "ram"]
    total_bytes: int
    available_bytes: int
    name: str
    device_count: int = 1

    @property
    def budget_bytes(self) -> int:
        """What the fit verdict is measured against (see ``estimate``)."""
        return self.total_bytes if self.kind == "gpu" else self.available_bytes


def _nvml_memory() -> Memory | None:
    from .. import nvml

    with nvml.gpus() as found:
        if found is None:
            return None
        pynvml, count = found
        try:
            total = free = 0
            names: list[str] = []
            for i in range(count):
                handle = pynvml.nvmlDeviceGetHandleByIndex(i)
                info = pynvml.nvmlDeviceGetMemoryInfo(handle)
                total += int(info.total)
                free += int(info.free)
                raw = pynvml.nvmlDeviceGetName(handle)
                names.append(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
        except Exception:  # a GPU lost while we asked: no figure rather than a wrong one
            return None
        label = f"{names[0]} ×{count}" if len(set(names)) == 1 else " + ".join(names)
        return Memory("gpu", total, free, label, count)


def detect_memory() -> Memory:
    """NVIDIA GPUs via NVML (nvidia-ml-py, optional), else system RAM via psutil. Never raises."""
    gpu = _nvml_memory()
    if gpu is not None:
        return gpu
    try:
        import psutil

        vm = psutil.virtual_memory()
        return Memory("ram", int(vm.total), int(vm.available), "system RAM", 1)
    except Exception:
        return Memory("ram", 0, 0, "unknown memory", 0)


_SPEC_RE = re.compile(
    r"^\s*(?:(?P<count>\d+)\s*[x×*]\s*)?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[kmgt]i?b?|b)?\s*$", re.IGNORECASE
)
_UNIT_POWER = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def memory_from_spec(spec: str, kind: Literal["gpu", "ram"] = "gpu") -> Memory:
    """Memory from a user spec such as "24GB", "80GiB", "2x80GB", "512MiB" or "24" (GiB assumed).

    GB and GiB are both read as binary units: cards and DIMMs sold as "24GB" have 24 GiB (an "80GB" H100
    has ~79.6 GiB usable, closer to 80 GiB than to 80e9 bytes). Raises ValueError on a malformed spec.
    """
    match = _SPEC_RE.match(spec or "")
    if not match:
        raise ValueError(f"bad memory size {spec!r}: use e.g. 24GB, 80GiB, 2x80GB")
    count = int(match.group("count") or 1)
    unit = (match.group("unit") or "g")[0].lower()
    per_device = int(float(match.group("num")) * 1024 ** _UNIT_POWER[unit])
    if count <= 0 or per_device <= 0:
        raise ValueError(f"bad memory size {spec!r}: must be positive")
    total = per_device * count
    return Memory(kind, total, total, f"{spec.strip()} (given)", count)


# ----------------------------------------------------------------------------------------------------
# Estimate
# ----------------------------------------------------------------------------------------------------

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

Verdict = Literal["fits", "tight", "does not fit"]
WEIGHTS_ONLY_NOTE = "weights only — architecture unknown"


@dataclass
class FitRow:
    """One context length: what it takes and whether it fits."""

    context: int
    weights_bytes: int
    kv_bytes: int
    overhead_bytes: int
    total_bytes: int
    verdict: Verdict
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


def verdict_for(total: int, memory: Memory) -> Verdict:
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


def format_bytes(n: int | float) -> str:
    """Human size: "4.9 GiB" (one decimal) from 1 GiB up, "512 MiB" below, KiB/B for tiny values."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n >= GIB:
        return f"{sign}{n / GIB:.1f} GiB"
    if n >= MIB:
        return f"{sign}{n / MIB:.0f} MiB"
    if n >= 1024:
        return f"{sign}{n / 1024:.0f} KiB"
    return f"{sign}{int(n)} B"


def naive_kv_cache_bytes(
    n_layers: int, n_heads: int, k_dim: int, v_dim: int, context: int, bytes_per_elem: float = 2.0
) -> int:
    """The textbook MHA cache (every layer, every query head, full context), for comparison in the UI."""
    return int(n_layers * n_heads * (k_dim + v_dim) * context * bytes_per_elem)


__all__ = [
    "Arch",
    "DEFAULT_CONTEXTS",
    "FITS_SHARE",
    "FitEstimate",
    "FitRow",
    "GGUF_VOCAB_COUNT",
    "GIB",
    "KV_CACHE_BYTES_PER_ELEM",
    "LLAMA_CPP_UBATCH",
    "MIB",
    "Memory",
    "TIGHT_SHARE",
    "Verdict",
    "WEIGHTS_ONLY_NOTE",
    "arch_from_config",
    "arch_from_gguf",
    "bits_per_weight",
    "detect_memory",
    "estimate",
    "format_bytes",
    "kv_cache_bytes",
    "memory_from_spec",
    "naive_kv_cache_bytes",
    "overhead_bytes",
    "quant_from_filename",
    "quant_from_gguf",
    "read_gguf_metadata",
    "verdict_for",
    "weights_bytes",
]
