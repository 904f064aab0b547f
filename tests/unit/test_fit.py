"""Hardware-fit maths, checked against figures that can be worked out by hand."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.catalog.fit import memory as fit_memory
from modelpick_tui.catalog.fit.arch import Arch, arch_from_config, arch_from_gguf
from modelpick_tui.catalog.fit.budget import overhead_bytes, verdict_for
from modelpick_tui.catalog.fit.estimate import WEIGHTS_ONLY_NOTE, estimate
from modelpick_tui.catalog.fit.kv import KV_CACHE_BYTES_PER_ELEM, kv_cache_bytes, naive_kv_cache_bytes
from modelpick_tui.catalog.fit.memory import GIB, MIB, Memory, detect_memory, format_bytes, memory_from_spec
from modelpick_tui.catalog.fit.weights import bits_per_weight, quant_from_filename, quant_from_gguf, weights_bytes
from modelpick_tui.catalog.gguf import GGUF_VOCAB_COUNT, read_gguf_metadata

# Trimmed copies of the real config.json files (only the keys that matter here).
LLAMA_31_8B: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
}

# gemma-3-27b-it: the text model is nested and the config relies on transformers defaults for
# sliding_window_pattern (6) and max_position_embeddings (131072).
GEMMA3_27B: dict[str, Any] = {
    "architectures": ["Gemma3ForConditionalGeneration"],
    "model_type": "gemma3",
    "text_config": {
        "head_dim": 128,
        "hidden_size": 5376,
        "model_type": "gemma3_text",
        "num_attention_heads": 32,
        "num_hidden_layers": 62,
        "num_key_value_heads": 16,
        "sliding_window": 1024,
    },
    "vision_config": {"hidden_size": 1152, "num_hidden_layers": 27, "num_attention_heads": 16},
}

DEEPSEEK_V3: dict[str, Any] = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "hidden_size": 7168,
    "num_hidden_layers": 61,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "kv_lora_rank": 512,
    "q_lora_rank": 1536,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "max_position_embeddings": 163840,
}

MISTRAL_7B_V01: dict[str, Any] = {
    "model_type": "mistral",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "max_position_embeddings": 32768,
    "sliding_window": 4096,
}

CTX_128K = 131072


# ------------------------------------------------------------------------------------------------------------
# KV cache: known figures
# ------------------------------------------------------------------------------------------------------------


def test_llama31_8b_kv_is_exactly_1_gib_at_8k_and_16_gib_at_128k() -> None:
    arch = arch_from_config(LLAMA_31_8B)
    assert arch is not None
    assert (arch.n_layers, arch.n_kv_heads, arch.head_dim) == (32, 8, 128)
    assert arch.max_context == CTX_128K
    assert kv_cache_bytes(arch, 8192) == 2 * 32 * 8 * 128 * 8192 * 2 == 1_073_741_824 == GIB
    assert kv_cache_bytes(arch, CTX_128K) == 16 * GIB
    # A q8_0 cache is 34 bytes per 32 elements.
    assert kv_cache_bytes(arch, 8192, KV_CACHE_BYTES_PER_ELEM["q8_0"]) == GIB * 34 // 64


def test_gemma3_27b_sliding_window_is_about_six_times_smaller_than_naive() -> None:
    arch = arch_from_config(GEMMA3_27B)
    assert arch is not None
    assert (arch.n_layers, arch.n_kv_heads, arch.head_dim, arch.hidden_size) == (62, 16, 128, 5376)
    assert arch.sliding_window == 1024
    assert arch.n_global_layers == 10 and arch.full_layers == 10 and arch.sliding_layers == 52
    assert arch.max_context == CTX_128K
    expected = 10 * 2 * 16 * 128 * CTX_128K * 2 + 52 * 2 * 16 * 128 * 1024 * 2
    got = kv_cache_bytes(arch, CTX_128K)
    assert got == expected
    assert 10.3 * GIB < got < 10.5 * GIB
    naive = 62 * 2 * 16 * 128 * CTX_128K * 2
    assert naive == 62 * GIB
    assert 5.5 < naive / got < 6.5
    # Below the window every layer holds the whole context, so sliding changes nothing.
    assert kv_cache_bytes(arch, 1024) == 62 * 2 * 16 * 128 * 1024 * 2


def test_gemma3_pattern_and_layer_types_agree() -> None:
    explicit = {**GEMMA3_27B, "text_config": {**GEMMA3_27B["text_config"], "sliding_window_pattern": 6}}
    types_list = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(62)]
    listed = {**GEMMA3_27B, "text_config": {**GEMMA3_27B["text_config"], "layer_types": types_list}}
    base = arch_from_config(GEMMA3_27B)
    for cfg in (explicit, listed):
        arch = arch_from_config(cfg)
        assert arch is not None and base is not None
        assert arch.n_global_layers == 10
        assert kv_cache_bytes(arch, CTX_128K) == kv_cache_bytes(base, CTX_128K)


def test_deepseek_v3_mla_is_tens_of_times_smaller_than_naive_mha() -> None:
    arch = arch_from_config(DEEPSEEK_V3)
    assert arch is not None
    assert arch.mla_kv_dim == 512 + 64
    assert arch.sliding_window is None
    got = kv_cache_bytes(arch, CTX_128K)
    assert got == 61 * 576 * CTX_128K * 2
    assert 8.5 * GIB < got < 8.7 * GIB
    naive = naive_kv_cache_bytes(61, 128, 192, 128, CTX_128K)  # 128 heads x (192 K + 128 V)
    assert naive == 61 * 128 * (192 + 128) * CTX_128K * 2
    assert 60 < naive / got < 80  # ~71x


def test_kimi_k2_and_deepseek_v2_lite_use_mla() -> None:
    kimi = {**DEEPSEEK_V3, "model_type": "kimi_k2", "num_attention_heads": 64, "num_key_value_heads": 64}
    lite = {
        "model_type": "deepseek_v2",
        "hidden_size": 2048,
        "num_hidden_layers": 27,
        "num_attention_heads": 16,
        "kv_lora_rank": 512,
        "q_lora_rank": None,
        "qk_rope_head_dim": 64,
        "qk_nope_head_dim": 128,
    }
    for cfg, layers in ((kimi, 61), (lite, 27)):
        arch = arch_from_config(cfg)
        assert arch is not None and arch.mla_kv_dim == 576
        assert kv_cache_bytes(arch, 4096) == layers * 576 * 4096 * 2


# ------------------------------------------------------------------------------------------------------------
# arch_from_config: other layouts
# ------------------------------------------------------------------------------------------------------------


def test_missing_head_dim_and_kv_heads_fall_back_to_mha() -> None:
    arch = arch_from_config(
        {"model_type": "gpt2ish", "hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16}
    )
    assert arch is not None
    assert arch.head_dim == 128 and arch.n_kv_heads == 16
    assert arch.max_context is None
    assert kv_cache_bytes(arch, 1000) == 24 * 2 * 16 * 128 * 1000 * 2


def test_explicit_head_dim_wins_over_hidden_over_heads() -> None:
    # Mistral-Nemo: 5120 / 32 would be 160, the real head_dim is 128.
    nemo = {
        **MISTRAL_7B_V01,
        "hidden_size": 5120,
        "num_hidden_layers": 40,
        "head_dim": 128,
        "sliding_window": None,
        "max_position_embeddings": 1024000,
    }
    arch = arch_from_config(nemo)
    assert arch is not None and arch.head_dim == 128 and arch.sliding_window is None


def test_mistral_v01_slides_every_layer_and_v03_does_not() -> None:
    v01 = arch_from_config(MISTRAL_7B_V01)
    assert v01 is not None
    assert v01.sliding_window == 4096 and v01.full_layers == 0 and v01.sliding_layers == 32
    assert kv_cache_bytes(v01, 32768) == 32 * 2 * 8 * 128 * 4096 * 2 == 512 * MIB
    v03 = arch_from_config({**MISTRAL_7B_V01, "sliding_window": None})
    assert v03 is not None and v03.sliding_window is None
    assert kv_cache_bytes(v03, 32768) == 4 * GIB
    # A window as large as the context is no window (Phi-3-mini-128k style).
    wide = arch_from_config({**MISTRAL_7B_V01, "sliding_window": 262144})
    assert wide is not None and wide.sliding_window is None


def test_qwen2_use_sliding_window_false_means_no_sliding() -> None:
    qwen = {
        "model_type": "qwen2",
        "hidden_size": 3584,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "max_position_embeddings": 32768,
        "sliding_window": 4096,
        "use_sliding_window": False,
        "max_window_layers": 28,
    }
    arch = arch_from_config(qwen)
    assert arch is not None and arch.sliding_window is None and arch.head_dim == 128
    assert kv_cache_bytes(arch, 32768) == 28 * 2 * 4 * 128 * 32768 * 2
    on = arch_from_config({**qwen, "use_sliding_window": True, "max_window_layers": 21})
    assert on is not None and on.sliding_window == 4096
    assert (on.full_layers, on.sliding_layers) == (21, 7)


def test_gemma2_alternates_one_to_one() -> None:
    gemma2 = {
        "model_type": "gemma2",
        "hidden_size": 3584,
        "num_hidden_layers": 42,
        "num_attention_heads": 16,
        "num_key_value_heads": 8,
        "head_dim": 256,
        "max_position_embeddings": 8192,
        "sliding_window": 4096,
    }
    arch = arch_from_config(gemma2)
    assert arch is not None and (arch.full_layers, arch.sliding_layers) == (21, 21)
    assert kv_cache_bytes(arch, 8192) == 2 * 8 * 256 * 2 * (21 * 8192 + 21 * 4096)


def test_hybrid_layers_without_kv_cache() -> None:
    layer_types = ["linear_attention", "linear_attention", "linear_attention", "full_attention"] * 12
    cfg = {
        "model_type": "qwen3_next",
        "hidden_size": 2048,
        "num_hidden_layers": 48,
        "num_attention_heads": 16,
        "num_key_value_heads": 2,
        "head_dim": 256,
        "layer_types": layer_types,
    }
    arch = arch_from_config(cfg)
    assert arch is not None and arch.n_cacheless_layers == 36 and arch.attention_layers == 12
    assert kv_cache_bytes(arch, 1000) == 12 * 2 * 2 * 256 * 1000 * 2
    no_list = {k: v for k, v in cfg.items() if k != "layer_types"} | {"full_attention_interval": 4}
    arch2 = arch_from_config(no_list)
    assert arch2 is not None and arch2.attention_layers == 12


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"model_type": "llama"},
        {"num_hidden_layers": 32, "num_attention_heads": 32},  # no hidden size
        {"num_hidden_layers": "32", "num_attention_heads": 32, "hidden_size": 4096},
        {"num_hidden_layers": 0, "num_attention_heads": 32, "hidden_size": 4096},
        {"num_hidden_layers": True, "num_attention_heads": 32, "hidden_size": 4096},
        {"text_config": {"model_type": "x"}},
    ],
)
def test_missing_essentials_give_none(config: dict[str, Any]) -> None:
    assert arch_from_config(config) is None


def test_non_dict_config_gives_none() -> None:
    assert arch_from_config([1, 2]) is None  # type: ignore[arg-type]
    assert arch_from_gguf("llama") is None  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------------
# GGUF
# ------------------------------------------------------------------------------------------------------------


def test_arch_from_gguf_llama_and_per_layer_kv_heads() -> None:
    meta = {
        "general.architecture": "llama",
        "llama.block_count": 32,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
        "llama.embedding_length": 4096,
        "llama.context_length": 131072,
    }
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.head_dim == 128 and arch.max_context == 131072
    assert kv_cache_bytes(arch, 8192) == GIB
    # A hybrid with attention in 2 of 8 layers stores 0 KV heads for the others.
    hybrid = {**meta, "llama.block_count": 8, "llama.attention.head_count_kv": [0, 0, 0, 8, 0, 0, 0, 8]}
    h = arch_from_gguf(hybrid)
    assert h is not None and h.n_kv_heads == 8 and h.kv_heads_per_layer == (0, 0, 0, 8, 0, 0, 0, 8)
    assert kv_cache_bytes(h, 8192) == 2 * 2 * 8 * 128 * 8192 * 2
    assert arch_from_gguf({"general.architecture": "llama"}) is None
    assert arch_from_gguf({}) is None


def test_arch_from_gguf_deepseek2_mla() -> None:
    meta = {
        "general.architecture": "deepseek2",
        "deepseek2.block_count": 61,
        "deepseek2.attention.head_count": 128,
        "deepseek2.attention.head_count_kv": 128,
        "deepseek2.embedding_length": 7168,
        "deepseek2.context_length": 163840,
        "deepseek2.attention.key_length": 192,
        "deepseek2.attention.value_length": 128,
        "deepseek2.attention.kv_lora_rank": 512,
        "deepseek2.rope.dimension_count": 64,
    }
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.mla_kv_dim == 576
    assert kv_cache_bytes(arch, CTX_128K) == 61 * 576 * CTX_128K * 2


def test_arch_from_gguf_ignores_window_where_llama_cpp_does() -> None:
    # llama.cpp does not apply Mistral's window to the "llama" architecture: count the full cache.
    meta = {
        "general.architecture": "llama",
        "llama.block_count": 32,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
        "llama.embedding_length": 4096,
        "llama.attention.sliding_window": 4096,
    }
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.sliding_window is None


def _write_gemma3_gguf(path: Path, big_endian: bool = False) -> None:
    import numpy as np
    from gguf import GGUFEndian, GGUFWriter, LlamaFileType

    endian = GGUFEndian.BIG if big_endian else GGUFEndian.LITTLE
    writer = GGUFWriter(str(path), "gemma3", endianess=endian)
    writer.add_name("tiny gemma3 header")
    writer.add_file_type(int(LlamaFileType.MOSTLY_Q4_K_M))
    writer.add_block_count(62)
    writer.add_head_count(32)
    writer.add_head_count_kv(16)
    writer.add_embedding_length(5376)
    writer.add_context_length(131072)
    writer.add_key_length(128)
    writer.add_value_length(128)
    writer.add_sliding_window(1024)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_bool("gemma3.test.flag", True)
    writer.add_array("gemma3.test.per_layer", [1, 2, 3])
    writer.add_token_list([f"tok{i}" for i in range(5000)])  # a vocab: must be skipped
    writer.add_token_scores([0.5] * 5000)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((8, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_read_gguf_metadata_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "gemma-3-27b-it-Q4_K_M.gguf"
    _write_gemma3_gguf(path)
    meta = read_gguf_metadata(path)
    assert meta["general.architecture"] == "gemma3"
    assert meta["general.name"] == "tiny gemma3 header"
    assert meta["gemma3.block_count"] == 62
    assert meta["gemma3.attention.head_count_kv"] == 16
    assert meta["gemma3.attention.sliding_window"] == 1024
    assert meta["gemma3.rope.freq_base"] == pytest.approx(1_000_000.0)
    assert meta["gemma3.test.flag"] is True
    assert meta["gemma3.test.per_layer"] == [1, 2, 3]
    assert "tokenizer.ggml.tokens" not in meta and "tokenizer.ggml.scores" not in meta  # huge arrays skipped
    assert meta["GGUF.parameter_count"] == 4 * 8 + 8 * 8
    assert quant_from_gguf(meta) == "Q4_K_M" == quant_from_filename(path.name)

    # Same values as the gguf package's own reader for every key we keep.
    from gguf import GGUFReader

    reader = GGUFReader(path)
    for key, value in meta.items():
        if key in reader.fields:
            assert reader.fields[key].contents() == value, key
    assert {k for k in reader.fields if k not in meta} == {"tokenizer.ggml.tokens", "tokenizer.ggml.scores"}

    arch = arch_from_gguf(meta)
    from_config = arch_from_config(GEMMA3_27B)
    assert arch is not None and from_config is not None
    assert arch.n_global_layers == 10 and arch.sliding_window == 1024 and arch.max_context == 131072
    assert kv_cache_bytes(arch, CTX_128K) == kv_cache_bytes(from_config, CTX_128K)


def test_read_gguf_metadata_big_endian(tmp_path: Path) -> None:
    little, big = tmp_path / "le.gguf", tmp_path / "be.gguf"
    _write_gemma3_gguf(little)
    _write_gemma3_gguf(big, big_endian=True)
    assert read_gguf_metadata(big) == read_gguf_metadata(little)


def test_read_gguf_metadata_rejects_garbage_and_truncated_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"PK\x03\x04 this is a zip, not a model" * 10)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    good = tmp_path / "good.gguf"
    _write_gemma3_gguf(good)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(good.read_bytes()[:200])  # cut inside the key/value section
    short_data = tmp_path / "short-data.gguf"
    short_data.write_bytes(good.read_bytes()[:-1])  # an interrupted download: tensor data cut short
    for bad in (garbage, empty, truncated, short_data):
        with pytest.raises(ValueError, match="not a GGUF file"):
            read_gguf_metadata(bad)
    with pytest.raises(OSError):
        read_gguf_metadata(tmp_path / "missing.gguf")


# ------------------------------------------------------------------------------------------------------------
# Quant names and weights
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "quant"),
    [
        ("qwen2.5-7b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("Meta-Llama-3.1-8B-Instruct-IQ4_XS.gguf", "IQ4_XS"),
        ("Meta-Llama-3.1-70B-Instruct-Q8_0-00001-of-00002.gguf", "Q8_0"),
        ("mistral-7b-instruct-v0.2.Q5_K_M.gguf", "Q5_K_M"),
        ("gemma-2-9b-it-f16.gguf", "F16"),
        ("Qwen3-32B-BF16-00001-of-00002.gguf", "BF16"),
        ("Llama-3.2-1B-Instruct-bf16.gguf", "BF16"),
        ("DeepSeek-R1-UD-Q4_K_XL-00001-of-00008.gguf", "Q4_K_XL"),
        ("Qwen3-30B-A3B-UD-Q2_K_XL.gguf", "Q2_K_XL"),
        ("phi-4-Q6_K_L.gguf", "Q6_K_L"),
        ("gemma-3-4b-it-qat-q4_0.gguf", "Q4_0"),
        ("Mixtral-8x7B-Instruct-v0.1.Q3_K_S.gguf", "Q3_K_S"),
        ("models/llama-2-7b.Q2_K.gguf", "Q2_K"),
        ("DeepSeek-V3-IQ1_S.gguf", "IQ1_S"),
        ("Llama-3.3-70B-Instruct-IQ2_XXS.gguf", "IQ2_XXS"),
        ("Qwen2.5-Coder-32B-Instruct-IQ3_M.gguf", "IQ3_M"),
        ("model-IQ4_NL.gguf", "IQ4_NL"),
        ("bitnet_b1_58-large-TQ1_0.gguf", "TQ1_0"),
        ("gpt-oss-20b-mxfp4.gguf", "MXFP4"),
        ("Phi-3-mini-4k-instruct-fp16.gguf", "F16"),
        ("llama-2-7b.Q4_0_4_4.gguf", "Q4_0_4_4"),
        ("tinyllama_q5_1.gguf", "Q5_1"),
        ("Qwen2-7B-Instruct.gguf", None),
        ("Phi-3-mini-4k-instruct.gguf", None),
        ("README.md", None),
    ],
)
def test_quant_from_filename(filename: str, quant: str | None) -> None:
    assert quant_from_filename(filename) == quant


def test_weights_bytes_and_bits_per_weight() -> None:
    assert weights_bytes(8_000_000_000, "BF16") == 16_000_000_000
    assert weights_bytes(8_000_000_000, "bfloat16") == 16_000_000_000
    assert weights_bytes(8_000_000_000, "F32") == 32_000_000_000
    assert weights_bytes(8_000_000_000, "fp8") == 8_000_000_000
    assert weights_bytes(8_000_000_000, "INT8") == 8_000_000_000
    assert 4_000_000_000 < weights_bytes(8_000_000_000, "AWQ") < 4_400_000_000
    assert weights_bytes(8_000_000_000, "Q8_0") == 8_500_000_000
    assert weights_bytes(8_030_000_000, "Q4_K_M") == pytest.approx(8.03e9 * 4.85 / 8, abs=1)
    assert bits_per_weight("Q6_K") == 6.56
    assert bits_per_weight("q2_k") == 2.63
    assert bits_per_weight("UD-Q4_K_XL") == bits_per_weight("Q4_K_XL")
    assert bits_per_weight("MXFP4_MOE") == 4.25
    assert bits_per_weight("nonsense") is None
    # The mixes sit above their base block size and in the expected order.
    order = ["IQ2_XXS", "Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_XS", "Q4_K_S", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
    values = [bits_per_weight(q) or 0.0 for q in order]
    assert values == sorted(values)
    with pytest.raises(ValueError, match="unknown dtype or quant"):
        weights_bytes(1000, "?")


# ------------------------------------------------------------------------------------------------------------
# Estimate and verdicts
# ------------------------------------------------------------------------------------------------------------


def _gpu(total: int, free: int | None = None) -> Memory:
    return Memory("gpu", total, total if free is None else free, "test GPU", 1)


def test_verdict_thresholds_gpu_uses_total_ram_uses_available() -> None:
    gpu = _gpu(100 * GIB, free=10 * GIB)  # free memory does not matter for a GPU
    assert verdict_for(85 * GIB, gpu) == "fits"
    assert verdict_for(85 * GIB + 1, gpu) == "tight"
    assert verdict_for(100 * GIB, gpu) == "tight"
    assert verdict_for(100 * GIB + 1, gpu) == "does not fit"
    ram = Memory("ram", 64 * GIB, 40 * GIB, "system RAM", 1)
    assert verdict_for(34 * GIB, ram) == "fits"  # 85% of 40
    assert verdict_for(39 * GIB, ram) == "tight"
    assert verdict_for(41 * GIB, ram) == "does not fit"
    assert verdict_for(1, Memory("ram", 0, 0, "unknown", 0)) == "does not fit"


def test_estimate_llama8b_q4km_on_24gb() -> None:
    arch = arch_from_config(LLAMA_31_8B)
    weights = weights_bytes(8_030_000_000, "Q4_K_M")
    est = estimate(weights, arch, memory_from_spec("24GB"), label="Q4_K_M")
    assert est.label == "Q4_K_M" and not est.weights_only
    assert [r.context for r in est.rows] == [4096, 8192, 32768, 131072]
    row8k = est.rows[1]
    assert row8k.kv_bytes == GIB
    assert row8k.overhead_bytes == overhead_bytes(weights, 8192, "gpu")
    assert row8k.total_bytes == row8k.weights_bytes + row8k.kv_bytes + row8k.overhead_bytes
    assert [r.verdict for r in est.rows] == ["fits", "fits", "fits", "tight"]  # 128k: ~21.4 of 24 GiB
    assert 21 * GIB < est.rows[-1].total_bytes < 22 * GIB
    assert not any(r.beyond_max_context for r in est.rows)
    # The same model in BF16 (15 GiB of weights): 32k is ~20.2 GiB (84%), 128k ~32 GiB does not fit.
    bf16 = estimate(weights_bytes(8_030_000_000, "BF16"), arch, memory_from_spec("24GB"))
    assert [r.verdict for r in bf16.rows] == ["fits", "fits", "fits", "does not fit"]
    assert 20 * GIB < bf16.rows[2].total_bytes < 20.5 * GIB


def test_overhead_grows_with_context_and_weights() -> None:
    gpu4k = overhead_bytes(10 * GIB, 4096, "gpu")
    assert gpu4k == GIB // 2 + int(0.05 * 10 * GIB) + 4096 * 1024
    assert overhead_bytes(10 * GIB, CTX_128K, "gpu") - gpu4k == (CTX_128K - 4096) * 1024
    assert overhead_bytes(10 * GIB, 4096, "ram") < gpu4k


def test_weights_only_when_architecture_unknown() -> None:
    est = estimate(5 * GIB, None, _gpu(80 * GIB), contexts=(4096, 1_000_000))
    assert est.weights_only
    assert est.notes[0] == WEIGHTS_ONLY_NOTE == "weights only — architecture unknown"
    assert all(r.kv_bytes == 0 for r in est.rows)
    assert not any(r.beyond_max_context for r in est.rows)  # unknown max context: no flag
    assert all(r.verdict == "fits" for r in est.rows)


def test_beyond_max_context_flag() -> None:
    arch = arch_from_config(MISTRAL_7B_V01)  # max 32768
    est = estimate(4 * GIB, arch, _gpu(80 * GIB))
    assert [r.beyond_max_context for r in est.rows] == [False, False, False, True]
    # All layers slide at 4096 tokens: the cache stops growing past the window.
    assert est.rows[2].kv_bytes == est.rows[3].kv_bytes == 512 * MIB


def test_estimate_notes_busy_gpu() -> None:
    est = estimate(GIB, None, _gpu(80 * GIB, free=40 * GIB))
    assert any("in use by other processes" in n for n in est.notes)


# ------------------------------------------------------------------------------------------------------------
# Memory
# ------------------------------------------------------------------------------------------------------------


def test_detect_memory_falls_back_to_ram_without_pynvml(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    mem = detect_memory()
    assert mem.kind == "ram" and mem.name == "system RAM"
    assert mem.total_bytes == psutil.virtual_memory().total
    assert 0 < mem.available_bytes <= mem.total_bytes


def _fake_nvml(*, fail_init: bool = False, names: tuple[str, ...] = ("NVIDIA H100 80GB HBM3",)) -> Any:
    class NVMLError(Exception):
        pass

    mod: Any = types.ModuleType("pynvml")
    mod.NVMLError = NVMLError
    mod.shutdowns = 0

    def init() -> None:
        if fail_init:
            raise NVMLError("Driver Not Loaded")

    def shutdown() -> None:
        mod.shutdowns += 1

    mod.nvmlInit = init
    mod.nvmlShutdown = shutdown
    mod.nvmlDeviceGetCount = lambda: len(names)
    mod.nvmlDeviceGetHandleByIndex = lambda i: i
    mod.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=80 * GIB, free=70 * GIB)
    mod.nvmlDeviceGetName = lambda h: names[h].encode()  # older bindings return bytes
    return mod


def test_detect_memory_falls_back_when_nvml_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(fail_init=True))
    assert detect_memory().kind == "ram"


def test_detect_memory_sums_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_nvml(names=("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"))
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setattr(fit_memory, "_available_ram", lambda: 100 * GIB)  # the host's RAM, through psutil
    mem = detect_memory()
    # One GPU's memory and its datasheet bandwidth come with the sum (H100 SXM: 3.35 TB/s, nvidia.com).
    assert mem == Memory("gpu", 160 * GIB, 140 * GIB, "NVIDIA H100 80GB HBM3 ×2", 2, 1, 80 * GIB, 3.35e12,
                         "H100 SXM datasheet: https://www.nvidia.com/en-us/data-center/h100/", 100 * GIB)
    assert fake.shutdowns == 1


def test_detect_memory_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "psutil", None)
    mem = detect_memory()
    assert mem.kind == "ram" and mem.total_bytes == 0


@pytest.mark.parametrize(
    ("spec", "total", "count"),
    [
        ("24GB", 24 * GIB, 1),
        ("80GiB", 80 * GIB, 1),
        ("24", 24 * GIB, 1),
        ("2x80GB", 160 * GIB, 2),
        ("512MiB", 512 * MIB, 1),
        (" 1.5 TB ", int(1.5 * 1024 * GIB), 1),
        ("16g", 16 * GIB, 1),
    ],
)
def test_memory_from_spec(spec: str, total: int, count: int) -> None:
    mem = memory_from_spec(spec)
    assert (mem.kind, mem.total_bytes, mem.available_bytes, mem.device_count) == ("gpu", total, total, count)
    assert memory_from_spec(spec, kind="ram").kind == "ram"


@pytest.mark.parametrize("spec", ["", "lots", "24XB", "-8GB", "0GB", "GB"])
def test_memory_from_spec_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        memory_from_spec(spec)


def test_format_bytes() -> None:
    assert format_bytes(5.26e9) == "4.9 GiB"
    assert format_bytes(GIB) == "1.0 GiB"
    assert format_bytes(16 * GIB) == "16.0 GiB"
    assert format_bytes(512 * MIB) == "512 MiB"
    assert format_bytes(2048) == "2 KiB"
    assert format_bytes(12) == "12 B"
    assert format_bytes(-GIB) == "-1.0 GiB"


def test_arch_is_hashable_and_frozen() -> None:
    arch = Arch(n_layers=2, n_heads=2, n_kv_heads=1, head_dim=4, hidden_size=8)
    assert hash(arch) == hash(Arch(n_layers=2, n_heads=2, n_kv_heads=1, head_dim=4, hidden_size=8))
    with pytest.raises(AttributeError):
        arch.n_layers = 3  # type: ignore[misc]
    assert kv_cache_bytes(arch, 0) == 0


def test_import_is_cheap_and_headless() -> None:
    code = (
        "import sys, modelpick_tui.catalog.gguf\n"
        "from modelpick_tui.catalog.fit import arch, estimate, kv, memory, weights\n"
        "bad = [m for m in ('textual', 'gguf', 'numpy', 'pynvml', 'psutil') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_llama_cpp_runtime_matches_what_llama_cpp_allocates_for_gemma(gemma_gguf: Path) -> None:
    # llama.cpp's own log for this file (llama-cpp-python 0.3.36, CPU): "KV buffer size = 12.00 MiB" +
    # "60.00 MiB" at 4k, "96.00 MiB" + "480.00 MiB" at 32k (sliding-window layers at full context: the
    # server's swa_full default), and "compute buffer size = 514.50 MiB" at both (512 × 262,144 × 4 B).
    meta = read_gguf_metadata(gemma_gguf)
    assert meta[GGUF_VOCAB_COUNT] == 262_144
    arch = arch_from_gguf(meta)
    assert arch is not None and arch.vocab_size == 262_144 and arch.sliding_layers == 15
    ram = memory_from_spec("8GB")  # a GPU of 8 GB
    est = estimate(gemma_gguf.stat().st_size, arch, ram, contexts=(4096, 32768), runtime="llama.cpp")
    assert [r.kv_bytes for r in est.rows] == [72 * MIB, 576 * MIB]
    logits = 512 * 262_144 * 4
    assert est.rows[1].overhead_bytes == overhead_bytes(est.rows[1].weights_bytes, 32768, ram.kind) + logits
    assert any("compute buffer" in n for n in est.notes) and any("full context" in n for n in est.notes)
    # Without the runtime (vLLM and others) the window is honoured and there is no logits term.
    generic = estimate(gemma_gguf.stat().st_size, arch, ram, contexts=(32768,))
    assert generic.rows[0].kv_bytes == 96 * MIB + 15 * 512 * 1024
    assert generic.rows[0].overhead_bytes == overhead_bytes(generic.rows[0].weights_bytes, 32768, ram.kind)
