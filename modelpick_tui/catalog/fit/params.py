"""Parameters from a config's shapes: the total, the routed experts' share and what one token reads.

Why count from shapes at all when the Hub gives a count: a mixture of experts' active count is nowhere on the
Hub, and the count of a natively quantised checkpoint is of packed elements (see ``catalog.native``). The
formula covers decoders with gated MLPs (Llama, Qwen, Mistral/Mixtral, gpt-oss, DeepSeek-V2/V3 MLA, Kimi-K2,
GLM-4.5, Qwen3-Next's Gated DeltaNet, Jamba's Mamba-1); for other layouts it returns None rather than a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .moe import MoE

# Families whose MLP has one up projection instead of gate + up: their counts would come out a third too high.
_NOT_GATED = ("gpt2", "gpt_neox", "gpt_bigcode", "falcon", "bert", "roberta", "starcoder2", "phi", "bloom",
              "nemotron_h", "opt", "mpt")
# Families that tie the output head to the input embedding unless their config says otherwise.
_TIED_BY_DEFAULT = ("gemma", "gemma2", "gemma3", "gemma3_text")


@dataclass(frozen=True)
class ParamCount:
    """Parameters by what a token does with them.

    ``active`` is what one token reads: everything but the routed experts it is not sent to and the input
    embedding table, of which it reads one row (OpenAI counts gpt-oss's 3.6B active this way; DeepSeek, Kimi and
    Mixtral's published figures are within a few percent of it). For a dense model it is the total less the
    input embedding."""

    total: int
    active: int
    routed_experts: int = 0  # every routed expert of every MoE layer
    input_embedding: int = 0

    @property
    def dense(self) -> int:
        """Parameters outside the routed experts (attention, shared experts, embeddings, dense layers)."""
        return self.total - self.routed_experts


def _int(cfg: Mapping[str, Any], *keys: str) -> int:
    for key in keys:
        value = cfg.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def count_params(cfg: Mapping[str, Any], model_type: str, kinds: tuple[str, ...], moe: MoE | None, *,
                 n_heads: int, n_kv_heads: int, head_dim: int, hidden: int) -> ParamCount | None:
    """The count from a (text) config's shapes, or None for a layout this formula does not cover."""
    vocab = _int(cfg, "vocab_size", "padded_vocab_size")
    if not vocab or not kinds or model_type in _NOT_GATED or model_type.startswith(("mamba", "falcon_mamba")):
        return None
    tied = cfg.get("tie_word_embeddings")
    if tied is None:
        tied = model_type in _TIED_BY_DEFAULT
    embedding = vocab * hidden
    total = embedding * (1 if tied else 2) + hidden  # embeddings, output head, final norm

    mixer = {kind: _mixer_params(cfg, model_type, kind, n_heads=n_heads, n_kv_heads=n_kv_heads,
                                 head_dim=head_dim, hidden=hidden) for kind in set(kinds)}
    if any(v is None for v in mixer.values()):
        return None
    total += sum(mixer[k] or 0 for k in kinds) + 2 * hidden * len(kinds)  # two norms per layer

    dense_ffn = _int(cfg, "intermediate_size_mlp", "intermediate_size", "ffn_hidden_size")
    routed = 0
    if moe is None:
        total += len(kinds) * 3 * hidden * dense_ffn
    else:
        routed = moe.routed_params
        shared_ffn = _int(cfg, "shared_expert_intermediate_size") or moe.n_shared_experts * moe.expert_ffn
        per_moe_layer = hidden * moe.n_experts + 3 * hidden * shared_ffn  # router, shared experts
        if _int(cfg, "shared_expert_intermediate_size"):
            per_moe_layer += hidden  # Qwen's sigmoid gate on the shared expert
        if model_type == "gpt_oss":
            per_moe_layer += moe.n_experts  # the router's bias
        total += routed + moe.n_moe_layers * per_moe_layer + moe.n_dense_layers * 3 * hidden * dense_ffn
    unused = routed - (moe.active_routed_params if moe is not None else 0)
    return ParamCount(total=total, active=total - unused - embedding, routed_experts=routed,
                      input_embedding=embedding)


def _mixer_params(cfg: Mapping[str, Any], model_type: str, kind: str, *, n_heads: int, n_kv_heads: int,
                  head_dim: int, hidden: int) -> int | None:
    """One layer's token mixer: attention (MHA/GQA, MLA), Gated DeltaNet or Mamba-1."""
    if kind == "mlp":
        return 0
    if kind in ("full", "sliding"):
        kv_rank = _int(cfg, "kv_lora_rank")
        if kv_rank:  # MLA (DeepSeek-V2/V3, Kimi-K2)
            rope, nope = _int(cfg, "qk_rope_head_dim") or 64, _int(cfg, "qk_nope_head_dim") or 128
            v_dim, q_rank = _int(cfg, "v_head_dim") or 128, _int(cfg, "q_lora_rank")
            q_out = n_heads * (nope + rope)
            q = hidden * q_rank + q_rank + q_rank * q_out if q_rank else hidden * q_out
            kv = hidden * (kv_rank + rope) + kv_rank + kv_rank * n_heads * (nope + v_dim)
            return q + kv + n_heads * v_dim * hidden
        gated = model_type.startswith(("qwen3_next", "qwen3_5")) or cfg.get("attn_output_gate") is True
        q_width = n_heads * head_dim * (2 if gated else 1)  # a gated output doubles q_proj
        params = hidden * q_width + 2 * hidden * n_kv_heads * head_dim + n_heads * head_dim * hidden
        if model_type == "gpt_oss":  # biases on q, k, v and o, and one attention sink per head
            params += n_heads * head_dim + 2 * n_kv_heads * head_dim + hidden + n_heads
        return params
    if kind == "linear":  # Gated DeltaNet
        nv, dk = _int(cfg, "linear_num_value_heads"), _int(cfg, "linear_key_head_dim")
        nk, dv = _int(cfg, "linear_num_key_heads") or nv, _int(cfg, "linear_value_head_dim") or dk
        if not nv or not dk:
            return None
        key_dim, value_dim = nk * dk, nv * dv
        conv = _int(cfg, "linear_conv_kernel_dim") or 4
        return (hidden * (2 * key_dim + 2 * value_dim) + hidden * 2 * nv  # in_proj_qkvz, in_proj_ba
                + (2 * key_dim + value_dim) * conv + 2 * nv + dv + value_dim * hidden)  # conv, A, dt, norm, out
    if kind == "mamba" and not _int(cfg, "mamba_num_heads", "mamba_n_heads"):  # Mamba-1 (Jamba)
        d_inner = (_int(cfg, "mamba_expand", "expand") or 2) * hidden
        d_state, d_conv = _int(cfg, "mamba_d_state", "state_size") or 16, _int(cfg, "mamba_d_conv") or 4
        dt_rank = _int(cfg, "mamba_dt_rank", "time_step_rank") or math.ceil(hidden / 16)
        return (hidden * 2 * d_inner + d_inner * d_conv + d_inner + d_inner * (dt_rank + 2 * d_state)
                + dt_rank * d_inner + d_inner + d_inner * d_state + d_inner + d_inner * hidden)
    return None
