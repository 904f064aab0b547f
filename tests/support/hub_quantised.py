"""Two natively quantised repositories for the fake Hub, with the real shapes: openai/gpt-oss-20b (MXFP4 experts)
and Qwen/Qwen2.5-7B-Instruct-AWQ (4-bit AWQ, group 128). Their configs are the real config.json keys that matter;
their `safetensors.parameters` (stored elements per dtype) and file sizes are worked out tensor by tensor from
those configs, the way the checkpoints store them, so that the Hub's raw totals come out as the Hub shows them
(gpt-oss-20b: 12.0B) while the parameters are 20.9B and 7.6B."""

from __future__ import annotations

from typing import Any

from .hub_catalog import _hf_files, _model

__all__ = ["GPT_OSS_20B_CONFIG", "QWEN_AWQ_CONFIG", "gpt_oss_20b_dtypes", "quantised_cards", "qwen_awq_dtypes",
           "quantised_repos"]

GPT_OSS_20B_CONFIG: dict[str, Any] = {
    "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880,
    "num_hidden_layers": 24, "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
    "num_local_experts": 32, "num_experts_per_tok": 4, "experts_per_token": 4, "vocab_size": 201088,
    "sliding_window": 128, "max_position_embeddings": 131072, "tie_word_embeddings": False,
    "layer_types": ["sliding_attention", "full_attention"] * 12, "torch_dtype": "bfloat16",
    "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": [
        "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]},
}
QWEN_AWQ_CONFIG: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944,
    "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
    "max_position_embeddings": 32768, "tie_word_embeddings": False, "torch_dtype": "float16",
    "quantization_config": {"bits": 4, "group_size": 128, "quant_method": "awq", "version": "gemm",
                            "zero_point": True},
}


def gpt_oss_20b_dtypes() -> dict[str, int]:
    """Stored elements per dtype: experts as MXFP4 blocks (U8, two values a byte) and scales (U8, one per 32),
    everything else BF16."""
    h, layers, experts, ffn, vocab = 2880, 24, 32, 2880, 201088
    q, kv = 64 * 64, 8 * 64
    u8 = 0
    for rows, cols in ((2 * ffn, h), (h, ffn)):  # gate_up_proj, down_proj: (experts, rows, cols/32, 16)
        u8 += experts * rows * (cols // 32) * 16 + experts * rows * (cols // 32)
    per_layer = (h * q + q) + 2 * (h * kv + kv) + (q * h + h) + 64  # q, k, v, o with biases; sinks
    per_layer += experts * h + experts + experts * 2 * ffn + experts * h + 2 * h  # router, expert biases, norms
    bf16 = layers * per_layer + 2 * vocab * h + h
    return {"BF16": bf16, "U8": layers * u8}


def qwen_awq_dtypes() -> dict[str, int]:
    """AWQ GEMM: each linear (in, out) stores qweight I32 (in, out/8), qzeros I32 (in/128, out/8) and scales F16
    (in/128, out); q/k/v biases, norms, embeddings and the head stay F16."""
    h, ffn, layers, vocab, kv = 3584, 18944, 28, 152064, 4 * 128
    i32 = f16 = 0
    for n_in, n_out in ((h, h), (h, kv), (h, kv), (h, h), (h, ffn), (h, ffn), (ffn, h)):
        i32 += n_in * n_out // 8 + n_in // 128 * n_out // 8
        f16 += n_in // 128 * n_out
    f16 += h + 2 * kv + 2 * h  # biases of q, k, v; two norms
    return {"I32": layers * i32, "F16": layers * f16 + 2 * vocab * h + h}


_BYTES = {"BF16": 2, "F16": 2, "U8": 1, "I32": 4}


def _shards(dtypes: dict[str, int], n: int) -> list[int]:
    total = sum(_BYTES[k] * v for k, v in dtypes.items())
    sizes = [total // n] * (n - 1)
    return [s + 40_000 for s in [*sizes, total - sum(sizes)]]  # plus each file's JSON header


def quantised_repos() -> list[dict[str, Any]]:
    """The two records, in the sample_data shape (the fake Hub lists their config trimmed as the Hub does:
    architectures, model_type and quantization_config's quant_method and bits)."""
    out = []
    for repo_id, config, dtypes, shards, extra in (
        ("openai/gpt-oss-20b", GPT_OSS_20B_CONFIG, gpt_oss_20b_dtypes(), 3,
         [("original/model.safetensors", sum(_shards(gpt_oss_20b_dtypes(), 1)), True)]),
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", QWEN_AWQ_CONFIG, qwen_awq_dtypes(), 2, []),
    ):
        record = _model(repo_id, params=0, license="apache-2.0", downloads=1000, likes=10, trending=1,
                        created="2025-08-04T00:00:00.000Z", modified="2025-08-26T00:00:00.000Z",
                        arch=config["architectures"][0], model_type=config["model_type"],
                        config_extra={k: v for k, v in config.items() if k not in ("architectures", "model_type")},
                        files=_hf_files(_shards(dtypes, shards), extra=extra))
        record["safetensors"] = {"parameters": dtypes, "total": sum(dtypes.values())}
        out.append(record)
    return out


def quantised_cards() -> dict[str, str]:
    """Short cards in our own words, one per repo."""
    return {r["id"]: f"---\nlicense: apache-2.0\n---\n\n# {r['id'].split('/')[1]}\n\nA quantised checkpoint.\n"
            for r in quantised_repos()}
