"""Mixture of experts: how many experts, how many each token uses, shared experts and which layers are MoE, from a
config.json (the field names differ by family) or a GGUF header (llama.cpp's expert keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config_values import first, int_list, pos_int


@dataclass(frozen=True)
class MoE:
    """A mixture of experts, as far as memory and speed are concerned.

    Memory follows every expert (they are all loaded); speed follows what one token reads: the
    ``experts_per_token`` routed experts it is sent to, the shared experts and everything outside the experts.
    ``routed_params`` counts all routed experts of all MoE layers (0 when the width is unknown).
    """

    n_experts: int  # routed experts per MoE layer
    experts_per_token: int  # routed experts each token uses
    n_shared_experts: int = 0  # experts every token uses, per MoE layer
    n_moe_layers: int = 0
    n_dense_layers: int = 0  # layers with a plain MLP (DeepSeek's first_k_dense_replace, Qwen's mlp_only_layers)
    expert_ffn: int = 0  # intermediate size of one routed expert
    routed_params: int = 0

    @property
    def active_routed_params(self) -> int:
        """Routed-expert parameters one token reads."""
        return self.routed_params * self.experts_per_token // max(1, self.n_experts)



def moe_from_config(cfg: Mapping[str, Any], model_type: str, n_layers: int, hidden: int) -> MoE | None:
    """Experts, experts per token, shared experts and which layers are MoE, whatever the family calls them:
    Mixtral/gpt-oss/Granite/Phi (num_local_experts), Qwen-MoE/OLMoE/Jamba (num_experts), DeepSeek-V2/V3, Kimi-K2,
    GLM-4.5 (n_routed_experts, n_shared_experts, first_k_dense_replace)."""
    n_exp = pos_int(first(cfg, "num_local_experts", "n_routed_experts", "num_experts", "moe_num_experts"))
    per_tok = pos_int(first(cfg, "num_experts_per_tok", "experts_per_token", "num_experts_per_token",
                              "moe_top_k"))
    if n_exp is None or n_exp < 2 or per_tok is None:
        return None
    first_dense = pos_int(cfg.get("first_k_dense_replace")) or 0
    freq = pos_int(cfg.get("moe_layer_freq")) or 1
    step = pos_int(first(cfg, "decoder_sparse_step", "interleave_moe_layer_step")) or 1
    dense_only = set(int_list(cfg.get("mlp_only_layers")) or [])
    period = pos_int(cfg.get("expert_layer_period"))
    offset = pos_int(cfg.get("expert_layer_offset")) or 0

    def is_moe(i: int) -> bool:
        if period:  # Jamba
            return i % period == offset
        return i >= first_dense and i % freq == 0 and (i + 1) % step == 0 and i not in dense_only

    n_moe = sum(1 for i in range(n_layers) if is_moe(i))
    expert_ffn = pos_int(first(cfg, "moe_intermediate_size", "expert_intermediate_size", "intermediate_size")) or 0
    shared = pos_int(cfg.get("n_shared_experts")) or 0
    if not shared and (pos_int(cfg.get("shared_expert_intermediate_size")) or model_type.startswith("llama4")):
        shared = 1  # Qwen2-MoE / Qwen3-Next / Llama 4: one shared expert
    per_expert = 3 * hidden * expert_ffn  # gate, up and down projections
    if model_type == "gpt_oss":
        per_expert += 2 * expert_ffn + hidden  # gpt-oss's experts carry biases
    return MoE(n_experts=n_exp, experts_per_token=per_tok, n_shared_experts=shared, n_moe_layers=n_moe,
               n_dense_layers=n_layers - n_moe, expert_ffn=expert_ffn, routed_params=n_moe * n_exp * per_expert)



def moe_from_gguf(key: Any, n_layers: int, hidden: int) -> MoE | None:
    """llama.cpp's expert keys: expert_count, expert_used_count, expert_shared_count, leading_dense_block_count,
    expert_feed_forward_length (Mixtral's files, converted as llama, size experts by feed_forward_length)."""
    n_exp, per_tok = pos_int(key("expert_count")), pos_int(key("expert_used_count"))
    if n_exp is None or n_exp < 2 or per_tok is None:
        return None
    dense = min(n_layers, pos_int(key("leading_dense_block_count")) or 0)
    ffn = pos_int(key("expert_feed_forward_length")) or pos_int(key("feed_forward_length")) or 0
    shared = pos_int(key("expert_shared_count")) or (1 if pos_int(key("expert_shared_feed_forward_length")) else 0)
    n_moe = n_layers - dense
    return MoE(n_experts=n_exp, experts_per_token=per_tok, n_shared_experts=shared, n_moe_layers=n_moe,
               n_dense_layers=dense, expert_ffn=ffn, routed_params=n_moe * n_exp * 3 * hidden * ffn)
