"""Architecture: a config.json or GGUF header → layers, heads, attention kinds per layer (full, sliding, linear,
state-space), mixture-of-experts facts and, from a config, the parameter count (``params``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..gguf import GGUF_VOCAB_COUNT
from .config_values import first as _first
from .config_values import int_list as _int_list
from .config_values import pos_int as _pos_int
from .moe import MoE, moe_from_config, moe_from_gguf
from .params import ParamCount, count_params

# What a layer keeps per sequence (``Arch.layer_kinds``): "full" caches K/V for every token, "sliding" for at most
# ``sliding_window`` tokens, "linear" (linear attention, e.g. Gated DeltaNet) and "mamba" (state-space) keep a
# fixed-size state whatever the context, "mlp" keeps nothing (an MLP-only block of a hybrid).
LAYER_KINDS = ("full", "sliding", "linear", "mamba", "mlp")


@dataclass(frozen=True)
class Arch:
    """The attention shape of a decoder, as far as the KV cache is concerned.

    ``n_global_layers`` is how many layers attend to the full context; ``None`` means all attention layers
    do. The remaining attention layers are sliding-window layers that cache at most ``sliding_window``
    tokens. ``mla_kv_dim`` switches to multi-head latent attention (one shared latent per token and layer).
    ``n_cacheless_layers`` counts blocks of hybrid models that keep no per-token cache (Mamba, linear
    attention, MLP-only); their small fixed-size state is ignored. ``kv_heads_per_layer`` is set when a file
    gives KV heads per layer (hybrids store 0 for their recurrent layers).
    ``layer_kinds`` names each layer's kind (``LAYER_KINDS``) where the source says; ``state_elems`` is the fixed
    recurrent state one sequence keeps over all linear-attention and state-space layers (elements, whatever the
    context). ``moe`` is set for mixtures of experts; ``params`` is the count from a config's shapes (None for a
    GGUF header or a layout the formula does not know).
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
    layer_kinds: tuple[str, ...] = ()
    state_elems: int = 0
    moe: MoE | None = None
    params: ParamCount | None = None

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
    top_type = str(config.get("model_type") or "")
    model_type = str(cfg.get("model_type") or top_type).lower()
    if n_heads is None and model_type in _MAMBA_TYPES:
        n_heads = 1  # attention-free: every layer is a state-space layer, no KV cache
    if n_layers is None or n_heads is None or hidden is None:
        return None

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
    head_dim = _pos_int(_first(cfg, "head_dim", "attention_head_dim")) or max(1, hidden // n_heads)
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

    raw_types = cfg.get("layer_types")
    layer_types: list[str] = (
        list(raw_types) if isinstance(raw_types, list) and all(isinstance(t, str) for t in raw_types) else []
    )
    kinds = _mixer_kinds(cfg, model_type, n_layers, layer_types)
    if layer_types:
        if "chunked_attention" in layer_types and window is None:
            window = _pos_int(cfg.get("attention_chunk_size"))
        if window is None:  # sliding layers without a window cache everything
            kinds = ["full" if k == "sliding" else k for k in kinds]
        n_global = kinds.count("full")
    elif window is not None:
        pattern = _pos_int(cfg.get("sliding_window_pattern")) or _pattern_for(model_type)
        if pattern is not None:
            # Every pattern-th layer is global: transformers slides when (i + 1) % pattern != 0.
            kinds = ["sliding" if k == "full" and (i + 1) % pattern else k for i, k in enumerate(kinds)]
            n_global = n_layers // pattern
        elif model_type.startswith(_QWEN_FAMILY) and cfg.get("use_sliding_window") is True:
            # Qwen2: layers from max_window_layers upward slide, the ones below stay global.
            n_global = min(n_layers, _pos_int(cfg.get("max_window_layers")) or n_layers)
            kinds = ["sliding" if k == "full" and i >= n_global else k for i, k in enumerate(kinds)]
        elif max_ctx is None or window < max_ctx:
            n_global = 0  # Mistral 7B v0.1 style: every layer slides
            kinds = ["sliding" if k == "full" else k for k in kinds]
        else:
            window = None  # a window as large as the context is no window
    if mla_dim is not None:
        window, n_global = None, None
        kinds = ["full" if k == "sliding" else k for k in kinds]
    cacheless = sum(1 for k in kinds if k not in ("full", "sliding"))
    moe = moe_from_config(cfg, model_type, n_layers, hidden)

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
        layer_kinds=tuple(kinds),
        state_elems=_state_elems(cfg, kinds, hidden),
        moe=moe,
        params=count_params(cfg, model_type, tuple(kinds), moe, n_heads=n_heads, n_kv_heads=n_kv,
                            head_dim=head_dim, hidden=hidden),
    )


_MAMBA_TYPES = ("mamba", "mamba2", "falcon_mamba")


def _mixer_kinds(cfg: Mapping[str, Any], model_type: str, n_layers: int, layer_types: list[str]) -> list[str]:
    """Each layer's kind before sliding windows are applied: attention layers are "full" here."""
    if layer_types:
        return [_kind_of(t) for t in layer_types[:n_layers]] + ["full"] * max(0, n_layers - len(layer_types))
    if model_type in _MAMBA_TYPES:
        return ["mamba"] * n_layers
    interval = _pos_int(cfg.get("full_attention_interval"))
    if interval:  # Qwen3-Next: every interval-th layer attends, the others are Gated DeltaNet
        return ["full" if (i + 1) % interval == 0 else "linear" for i in range(n_layers)]
    pattern = cfg.get("hybrid_override_pattern")
    if isinstance(pattern, str) and pattern:  # Nemotron-H: "*" attention, "M" Mamba-2, "-" MLP
        marks = (pattern + "-" * n_layers)[:n_layers]
        return ["full" if c == "*" else "mamba" if c == "M" else "mlp" for c in marks]
    period = _pos_int(cfg.get("attn_layer_period"))
    if period:  # Jamba: one attention layer per period, Mamba in the others
        offset = _pos_int(cfg.get("attn_layer_offset")) or 0
        return ["full" if i % period == offset else "mamba" for i in range(n_layers)]
    return ["full"] * n_layers


def _kind_of(layer_type: str) -> str:
    """A config's layer_types entry → a kind. Exact names for attention, as transformers spells them."""
    if layer_type == "full_attention":
        return "full"
    if layer_type in ("sliding_attention", "chunked_attention"):
        return "sliding"
    lowered = layer_type.lower()
    if "linear" in lowered:
        return "linear"
    if "mamba" in lowered or "ssm" in lowered:
        return "mamba"
    return "mlp"


def _state_elems(cfg: Mapping[str, Any], kinds: list[str], hidden: int) -> int:
    """Fixed per-sequence state of the recurrent layers, in elements (the runtime's state dtype sizes them).

    Gated DeltaNet (Qwen3-Next, Qwen3.5): a value-heads x key-dim x value-dim matrix per layer plus the
    causal conv's last kernel-1 inputs over q, k and v. Mamba-1 (Jamba, Falcon-Mamba): d_inner x d_state plus
    the conv's d_inner x (d_conv-1). Mamba-2 (Nemotron-H, Bamba, Falcon-H1): heads x head_dim x d_state plus the
    conv over x, B and C."""
    total = 0
    n_linear, n_mamba = kinds.count("linear"), kinds.count("mamba")
    if n_linear:
        nv = _pos_int(cfg.get("linear_num_value_heads")) or 0
        nk = _pos_int(cfg.get("linear_num_key_heads")) or nv
        dk = _pos_int(cfg.get("linear_key_head_dim")) or 0
        dv = _pos_int(cfg.get("linear_value_head_dim")) or dk
        conv = _pos_int(cfg.get("linear_conv_kernel_dim")) or 4
        total += n_linear * (nv * dk * dv + (conv - 1) * (2 * nk * dk + nv * dv))
    if n_mamba:
        d_state = _pos_int(_first(cfg, "ssm_state_size", "mamba_d_state", "state_size")) or 16
        d_conv = _pos_int(_first(cfg, "conv_kernel", "mamba_d_conv")) or 4
        heads = _pos_int(_first(cfg, "mamba_num_heads", "mamba_n_heads"))
        if heads:  # Mamba-2
            head_dim = _pos_int(_first(cfg, "mamba_head_dim", "mamba_d_head")) or 64
            groups = _pos_int(_first(cfg, "n_groups", "mamba_n_groups")) or 1
            d_inner = _pos_int(cfg.get("mamba_d_ssm")) or heads * head_dim
            per_layer = heads * head_dim * d_state + (d_conv - 1) * (d_inner + 2 * groups * d_state)
        else:
            expand = _pos_int(_first(cfg, "mamba_expand", "expand")) or 2
            own = _pos_int(cfg.get("intermediate_size")) if str(cfg.get("model_type")) in _MAMBA_TYPES else None
            d_inner = own or expand * hidden
            per_layer = d_inner * d_state + d_inner * (d_conv - 1)
        total += n_mamba * per_layer
    return total


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

    # Recurrent layers of hybrids store 0 KV heads (llama.cpp's qwen3next, jamba, nemotron_h, lfm2...).
    kinds = ["full" if kv_list is None or kv_list[i % len(kv_list)] else "linear" for i in range(n_layers)]
    ffn = _int_list(key("feed_forward_length"))
    if kv_list is not None and ffn is not None:  # nemotron_h: a layer with neither KV heads nor SSM is an MLP
        kinds = ["mlp" if k == "linear" and ffn[i % len(ffn)] else k for i, k in enumerate(kinds)]
    interval = _pos_int(key("full_attention_interval"))
    if interval:  # qwen3next / qwen35: every interval-th layer attends, the others are Gated DeltaNet
        kinds = ["full" if (i + 1) % interval == 0 else "linear" for i in range(n_layers)]
    if _pos_int(key("ssm.inner_size")) and not _pos_int(key("attention.head_count_kv")) and kv_list is None:
        kinds = ["linear"] * n_layers  # a pure state-space model (mamba, mamba2): no attention at all
    window = _pos_int(key("attention.sliding_window"))
    n_global: int | None = None
    if window is not None and mla_dim is None:
        pattern_raw = key("attention.sliding_window_pattern")
        flags = pattern_raw if isinstance(pattern_raw, list) else None
        pattern = _pos_int(pattern_raw) or _pattern_for(arch)
        if flags:
            n_global = sum(1 for f in flags if not f)  # per-layer flags: true means sliding
            kinds = ["sliding" if k == "full" and i < len(flags) and flags[i] else k for i, k in enumerate(kinds)]
        elif pattern is not None:
            n_global = n_layers // pattern
            kinds = ["sliding" if k == "full" and (i + 1) % pattern else k for i, k in enumerate(kinds)]
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
        n_cacheless_layers=sum(1 for k in kinds if k not in ("full", "sliding")) if kv_list is None else 0,
        layer_kinds=tuple(kinds),
        state_elems=_gguf_state_elems(key, arch, kinds.count("linear")),
        moe=moe_from_gguf(key, n_layers, hidden),
    )


def _gguf_state_elems(key: Any, arch: str, n_recurrent: int) -> int:
    """The recurrent layers' fixed state from llama.cpp's ssm.* keys (the same sizes as ``_state_elems``):
    Gated DeltaNet (qwen3next, qwen35*: time_step_rank value heads, group_count key heads of state_size),
    Mamba-2 (group_count > 0: time_step_rank heads) or Mamba-1."""
    inner, d_state = _pos_int(key("ssm.inner_size")), _pos_int(key("ssm.state_size"))
    if not n_recurrent or not inner or not d_state:
        return 0
    conv = _pos_int(key("ssm.conv_kernel")) or 4
    groups, heads = _pos_int(key("ssm.group_count")), _pos_int(key("ssm.time_step_rank"))
    if arch.startswith(("qwen3next", "qwen35")) and groups and heads:
        per_layer = heads * d_state * (inner // heads) + (conv - 1) * (2 * groups * d_state + inner)
    elif groups and heads:
        per_layer = inner * d_state + (conv - 1) * (inner + 2 * groups * d_state)
    else:
        per_layer = inner * d_state + inner * (conv - 1)
    return n_recurrent * per_layer
