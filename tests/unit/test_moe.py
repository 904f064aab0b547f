"""Mixture-of-experts facts and parameter counts from real configs, checked against hand arithmetic."""

from __future__ import annotations

from typing import Any

from modelpick_tui.catalog.fit.arch import arch_from_config, arch_from_gguf

# mistralai/Mixtral-8x7B-Instruct-v0.1 config.json (the keys that matter)
MIXTRAL_8X7B: dict[str, Any] = {
    "model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
    "num_attention_heads": 32, "num_key_value_heads": 8, "num_local_experts": 8, "num_experts_per_tok": 2,
    "vocab_size": 32000, "max_position_embeddings": 32768, "tie_word_embeddings": False,
}
# openai/gpt-oss-20b config.json
GPT_OSS_20B: dict[str, Any] = {
    "model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 24,
    "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "num_local_experts": 32,
    "num_experts_per_tok": 4, "experts_per_token": 4, "vocab_size": 201088, "sliding_window": 128,
    "max_position_embeddings": 131072, "tie_word_embeddings": False,
    "layer_types": ["sliding_attention", "full_attention"] * 12,
    "quantization_config": {"quant_method": "mxfp4"},
}
# deepseek-ai/DeepSeek-V3 config.json
DEEPSEEK_V3: dict[str, Any] = {
    "model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432, "moe_intermediate_size": 2048,
    "num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128, "n_routed_experts": 256,
    "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1,
    "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
    "vocab_size": 129280, "num_nextn_predict_layers": 1, "tie_word_embeddings": False,
}


def test_mixtral_total_and_active_by_hand() -> None:
    arch = arch_from_config(MIXTRAL_8X7B)
    assert arch is not None and arch.moe is not None and arch.params is not None
    assert (arch.moe.n_experts, arch.moe.experts_per_token, arch.moe.n_moe_layers) == (8, 2, 32)
    expert = 3 * 4096 * 14336  # gate, up, down
    attention = 4096 * 4096 * 2 + 4096 * 1024 * 2  # q, o; k, v with 8 KV heads of 128
    per_layer = 8 * expert + attention + 4096 * 8 + 2 * 4096  # experts, attention, router, two norms
    total = 32 * per_layer + 2 * 32000 * 4096 + 4096  # embeddings, untied head, final norm
    assert arch.params.total == total == 46_702_792_704  # the Hub's safetensors count for this repo
    assert arch.moe.routed_params == 32 * 8 * expert
    # One token reads 2 of 8 experts and one row of the input embedding.
    assert arch.params.active == total - 32 * 6 * expert - 32000 * 4096
    assert round(arch.params.active / 1e9, 1) == 12.7  # Mistral publishes 12.9B active (with the embedding row)


def test_gpt_oss_20b_total_active_and_sliding_layers() -> None:
    arch = arch_from_config(GPT_OSS_20B)
    assert arch is not None and arch.moe is not None and arch.params is not None
    expert = 2880 * 5760 + 5760 + 2880 * 2880 + 2880  # fused gate_up and down, each with its bias
    attention = 2880 * 4096 + 4096 + 2 * (2880 * 512 + 512) + 4096 * 2880 + 2880 + 64  # q, k, v, o, sinks
    per_layer = 32 * expert + attention + 2880 * 32 + 32 + 2 * 2880  # router with bias, norms
    total = 24 * per_layer + 2 * 201088 * 2880 + 2880
    assert arch.params.total == total
    assert round(total / 1e9, 2) == 20.91  # OpenAI's model card: 20.91B total
    assert arch.params.active == total - 24 * 28 * expert - 201088 * 2880
    assert round(arch.params.active / 1e9, 2) == 3.61  # and 3.61B active
    assert arch.layer_kinds == ("sliding", "full") * 12
    assert (arch.full_layers, arch.sliding_layers, arch.sliding_window) == (12, 12, 128)


def test_deepseek_v3_dense_layers_shared_expert_and_mla() -> None:
    arch = arch_from_config(DEEPSEEK_V3)
    assert arch is not None and arch.moe is not None and arch.params is not None
    moe = arch.moe
    assert (moe.n_moe_layers, moe.n_dense_layers, moe.n_shared_experts, moe.expert_ffn) == (58, 3, 1, 2048)
    assert moe.routed_params == 58 * 256 * 3 * 7168 * 2048
    assert moe.active_routed_params == 58 * 8 * 3 * 7168 * 2048
    # The multi-token-prediction layer (num_nextn_predict_layers) is not part of the 61: 671B, as published.
    assert round(arch.params.total / 1e9) == 671
    assert round(arch.params.active / 1e9) == 37
    assert arch.layer_kinds == ("full",) * 61 and arch.mla_kv_dim == 576


def test_qwen_moe_layers_follow_decoder_sparse_step_and_mlp_only_layers() -> None:
    cfg = {"model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632, "moe_intermediate_size": 1408,
           "shared_expert_intermediate_size": 5632, "num_hidden_layers": 24, "num_attention_heads": 16,
           "num_experts": 60, "num_experts_per_tok": 4, "decoder_sparse_step": 2, "mlp_only_layers": [1],
           "vocab_size": 151936}
    arch = arch_from_config(cfg)
    assert arch is not None and arch.moe is not None
    # Layers 1, 3, 5 ... are sparse (i + 1) % 2 == 0, less layer 1: 11 MoE layers, 13 dense.
    assert (arch.moe.n_moe_layers, arch.moe.n_dense_layers, arch.moe.n_shared_experts) == (11, 13, 1)


def test_dense_model_has_no_moe_and_counts_like_the_hub() -> None:
    llama = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}
    arch = arch_from_config(llama)
    assert arch is not None and arch.moe is None and arch.params is not None
    assert arch.params.total == 8_030_261_248  # meta-llama/Llama-3.1-8B's safetensors count
    assert arch.params.active == 8_030_261_248 - 128256 * 4096


def test_unknown_layout_gives_no_count_rather_than_a_guess() -> None:
    gpt2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257}
    arch = arch_from_config(gpt2)
    assert arch is not None and arch.params is None


def test_moe_from_gguf_keys() -> None:
    # A Qwen3-30B-A3B GGUF header (llama.cpp's qwen3moe keys).
    meta = {"general.architecture": "qwen3moe", "qwen3moe.block_count": 48, "qwen3moe.embedding_length": 2048,
            "qwen3moe.attention.head_count": 32, "qwen3moe.attention.head_count_kv": 4,
            "qwen3moe.attention.key_length": 128, "qwen3moe.expert_count": 128, "qwen3moe.expert_used_count": 8,
            "qwen3moe.expert_feed_forward_length": 768}
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.moe is not None
    assert (arch.moe.n_experts, arch.moe.experts_per_token, arch.moe.n_moe_layers) == (128, 8, 48)
    assert arch.moe.routed_params == 48 * 128 * 3 * 2048 * 768
    assert arch.layer_kinds == ("full",) * 48 and arch.params is None


def test_a_gguf_mixture_of_experts_active_count_from_its_header() -> None:
    from modelpick_tui.catalog.counts import gguf_active

    meta = {"general.architecture": "qwen3moe", "qwen3moe.block_count": 48, "qwen3moe.embedding_length": 2048,
            "qwen3moe.attention.head_count": 32, "qwen3moe.attention.head_count_kv": 4,
            "qwen3moe.expert_count": 128, "qwen3moe.expert_used_count": 8,
            "qwen3moe.expert_feed_forward_length": 768, "qwen3moe.vocab_size": 151936}
    total = 30_532_122_624  # Qwen3-30B-A3B, the header's parameter count
    unused = 48 * 120 * 3 * 2048 * 768  # 120 of 128 experts a token is not sent to
    assert gguf_active(total, meta) == total - unused - 151936 * 2048  # 3.04B, as from the config
    dense = {k: v for k, v in meta.items() if "expert" not in k}
    assert gguf_active(total, dense) is None
