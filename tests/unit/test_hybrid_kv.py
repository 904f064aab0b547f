"""Attention that is not all full: KV only for the layers that attend to the whole context, sliding layers capped
at their window, and a fixed state per sequence for linear-attention and state-space layers. One test per family,
each against a hand computation from its config (the excerpt is the real config's keys that matter)."""

from __future__ import annotations

from typing import Any

from modelpick_tui.catalog.fit.arch import arch_from_config, arch_from_gguf
from modelpick_tui.catalog.fit.kv import kv_bytes_per_token, kv_cache_bytes, state_bytes

CTX = 32768

# Qwen/Qwen3-Next-80B-A3B-Instruct config.json
QWEN3_NEXT: dict[str, Any] = {
    "model_type": "qwen3_next", "hidden_size": 2048, "num_hidden_layers": 48, "full_attention_interval": 4,
    "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256, "intermediate_size": 5120,
    "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
    "linear_num_value_heads": 32, "linear_value_head_dim": 128, "num_experts": 512, "num_experts_per_tok": 10,
    "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512, "decoder_sparse_step": 1,
    "mlp_only_layers": [], "vocab_size": 151936, "max_position_embeddings": 262144, "tie_word_embeddings": False,
}
# Qwen/Qwen3.5-35B-A3B config.json: the text model is nested, layers listed one by one.
QWEN35_MOE: dict[str, Any] = {
    "model_type": "qwen3_5_moe", "tie_word_embeddings": False,
    "text_config": {
        "model_type": "qwen3_5_moe_text", "hidden_size": 2048, "num_hidden_layers": 40,
        "layer_types": ["linear_attention"] * 3 + ["full_attention"], "full_attention_interval": 4,
        "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256, "attn_output_gate": True,
        "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16,
        "linear_num_value_heads": 32, "linear_value_head_dim": 128, "num_experts": 256, "num_experts_per_tok": 8,
        "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512, "vocab_size": 248320,
        "max_position_embeddings": 262144,
    },
}
QWEN35_MOE["text_config"]["layer_types"] = QWEN35_MOE["text_config"]["layer_types"] * 10
# ai21labs/Jamba-v0.1 config.json
JAMBA: dict[str, Any] = {
    "model_type": "jamba", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
    "num_key_value_heads": 8, "attn_layer_offset": 4, "attn_layer_period": 8, "expert_layer_offset": 1,
    "expert_layer_period": 2, "mamba_d_conv": 4, "mamba_d_state": 16, "mamba_expand": 2, "mamba_dt_rank": 256,
    "num_experts": 16, "num_experts_per_tok": 2, "intermediate_size": 14336, "vocab_size": 65536,
    "max_position_embeddings": 262144, "tie_word_embeddings": False,
}
# nvidia/Nemotron-H-8B-Base-8K config.json: "M" Mamba-2, "*" attention, "-" MLP
NEMOTRON_H: dict[str, Any] = {
    "model_type": "nemotron_h", "hidden_size": 4096, "num_hidden_layers": 52,
    "hybrid_override_pattern": "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-",
    "num_attention_heads": 32, "num_key_value_heads": 8, "attention_head_dim": 128, "mamba_num_heads": 128,
    "mamba_head_dim": 64, "ssm_state_size": 128, "n_groups": 8, "conv_kernel": 4, "expand": 2,
    "intermediate_size": 21504, "vocab_size": 131072, "max_position_embeddings": 8192,
}
# openai/gpt-oss-20b config.json
GPT_OSS_20B: dict[str, Any] = {
    "model_type": "gpt_oss", "hidden_size": 2880, "num_hidden_layers": 24, "num_attention_heads": 64,
    "num_key_value_heads": 8, "head_dim": 64, "sliding_window": 128, "max_position_embeddings": 131072,
    "layer_types": ["sliding_attention", "full_attention"] * 12, "intermediate_size": 2880,
    "num_local_experts": 32, "num_experts_per_tok": 4, "vocab_size": 201088,
}

# Gated DeltaNet state per layer: 32 value heads x 128 x 128 matrix + the conv's last 3 inputs over
# q, k (16 heads x 128 each) and v (32 x 128).
GDN_LAYER = 32 * 128 * 128 + 3 * (2 * 16 * 128 + 32 * 128)  # 524,288 + 24,576 = 548,864 elements


def test_qwen3_next_caches_only_its_12_attention_layers() -> None:
    arch = arch_from_config(QWEN3_NEXT)
    assert arch is not None
    assert arch.layer_kinds == ("linear", "linear", "linear", "full") * 12
    per_token = 12 * 2 * 2 * 256 * 2  # layers x (K, V) x 2 KV heads x head_dim 256 x 2 bytes = 24,576
    state = 36 * GDN_LAYER * 4  # 36 DeltaNet layers, f32: 79,036,416 bytes (75.4 MiB)
    assert kv_bytes_per_token(arch, CTX) == per_token
    assert state_bytes(arch) == state == 79_036_416
    assert kv_cache_bytes(arch, CTX) == per_token * CTX + state
    # An all-full-attention reading of the same config: 48 layers, 4x the cache, no state.
    assert 48 * 2 * 2 * 256 * 2 * CTX > 3.5 * kv_cache_bytes(arch, CTX)
    assert arch.params is not None and round(arch.params.total / 1e9) == 80  # Qwen: 80B total


def test_qwen35_nested_layer_types() -> None:
    arch = arch_from_config(QWEN35_MOE)
    assert arch is not None and arch.layer_kinds.count("full") == 10 and arch.layer_kinds.count("linear") == 30
    assert kv_bytes_per_token(arch, CTX) == 10 * 2 * 2 * 256 * 2  # 20,480
    assert state_bytes(arch) == 30 * GDN_LAYER * 4
    assert arch.moe is not None and (arch.moe.n_experts, arch.moe.experts_per_token) == (256, 8)
    assert arch.params is not None and round(arch.params.total / 1e9) == 35  # Qwen: 35B total, 3B active
    assert round(arch.params.active / 1e9) == 3


def test_jamba_attends_once_every_8_layers() -> None:
    arch = arch_from_config(JAMBA)
    assert arch is not None
    assert [i for i, k in enumerate(arch.layer_kinds) if k == "full"] == [4, 12, 20, 28]
    assert kv_bytes_per_token(arch, CTX) == 4 * 2 * 8 * 128 * 2  # 16,384
    d_inner = 2 * 4096  # mamba_expand x hidden
    assert state_bytes(arch) == 28 * (d_inner * 16 + d_inner * 3) * 4  # SSM state + conv, 28 Mamba layers
    assert arch.moe is not None and (arch.moe.n_moe_layers, arch.moe.n_dense_layers) == (16, 16)
    assert arch.params is not None  # AI21: 52B total, 12B active
    assert round(arch.params.total / 1e9) == 52 and round(arch.params.active / 1e9) == 12


def test_nemotron_h_mamba2_attention_and_mlp_blocks() -> None:
    arch = arch_from_config(NEMOTRON_H)
    assert arch is not None
    kinds = arch.layer_kinds
    assert (kinds.count("mamba"), kinds.count("full"), kinds.count("mlp")) == (24, 4, 24)
    assert kv_bytes_per_token(arch, CTX) == 4 * 2 * 8 * 128 * 2
    # Mamba-2: 128 heads x 64 x 128 state, conv over x (8192) and B, C (8 groups x 128 each).
    assert state_bytes(arch) == 24 * (128 * 64 * 128 + 3 * (8192 + 2 * 8 * 128)) * 4


def test_gpt_oss_sliding_layers_hold_128_tokens() -> None:
    arch = arch_from_config(GPT_OSS_20B)
    assert arch is not None and (arch.full_layers, arch.sliding_layers) == (12, 12)
    per_layer_token = 2 * 8 * 64 * 2  # K and V, 8 KV heads x 64, 2 bytes
    assert kv_cache_bytes(arch, CTX) == 12 * per_layer_token * CTX + 12 * per_layer_token * 128
    assert kv_bytes_per_token(arch, CTX) == (12 * CTX + 12 * 128) * per_layer_token / CTX
    # llama-cpp-python's server allocates the sliding layers at the full context.
    assert kv_cache_bytes(arch, CTX, full_swa=True) == 24 * per_layer_token * CTX
    assert state_bytes(arch) == 0


def test_gguf_hybrid_from_llama_cpp_keys() -> None:
    meta = {"general.architecture": "qwen3next", "qwen3next.block_count": 48, "qwen3next.embedding_length": 2048,
            "qwen3next.attention.head_count": 16, "qwen3next.attention.head_count_kv": 2,
            "qwen3next.attention.key_length": 256, "qwen3next.full_attention_interval": 4,
            "qwen3next.ssm.conv_kernel": 4, "qwen3next.ssm.inner_size": 4096, "qwen3next.ssm.state_size": 128,
            "qwen3next.ssm.group_count": 16, "qwen3next.ssm.time_step_rank": 32,
            "qwen3next.expert_count": 512, "qwen3next.expert_used_count": 10}
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.layer_kinds.count("full") == 12
    assert state_bytes(arch) == 36 * GDN_LAYER * 4  # the same state as from the config
    assert kv_cache_bytes(arch, CTX) == 12 * 2 * 2 * 256 * 2 * CTX + 36 * GDN_LAYER * 4
