"""True parameter counts: natively quantised checkpoints decoded from the Hub's stored dtypes, mixtures of experts'
active counts from their configs, and the catalogue filters and displays that use them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from huggingface_hub import ModelInfo

from modelpick_tui.catalog.counts import parse_param_count
from modelpick_tui.catalog.facts import facts_from_info
from modelpick_tui.catalog.fit.weights import native_format, native_params
from modelpick_tui.catalog.units import format_params_with_active
from modelpick_tui.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def sample(model_id: str) -> dict[str, Any]:
    for line in (SAMPLE / "catalog.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] == model_id:
            return record
    raise KeyError(model_id)


def facts_of(model_id: str) -> Any:
    record = sample(model_id)
    config = record.pop("config_json", None)
    return facts_from_info(ModelInfo(**record), config)


# --- decoding stored dtypes -----------------------------------------------------------------------------------


def test_mxfp4_u8_holds_two_values_and_a_scale_per_32() -> None:
    # gpt-oss-20b's experts: 24 layers x 32 experts x (2880 x 5760 + 2880 x 2880) weights in MXFP4.
    experts = 24 * 32 * (2880 * 5760 + 2880 * 2880)
    u8 = experts // 2 + experts // 32  # nibbles + one shared exponent per block of 32
    bf16 = 1_804_459_584  # attention, router, embeddings and head stay BF16
    got = native_params({"BF16": bf16, "U8": u8}, {"quantization_config": {"quant_method": "mxfp4"}})
    assert got is not None and got.format == "MXFP4"
    assert got.params == experts + bf16


def test_awq_and_gptq_unpack_int32_and_drop_scales_and_zeros() -> None:
    linear, embed = 6_000_000_000, 1_000_000_000  # group 128: qweight P/8 + qzeros P/1024 I32, scales P/128 F16
    dtypes = {"I32": linear // 8 + linear // 1024, "F16": embed + linear // 128}
    for method, label in (("awq", "AWQ"), ("gptq", "GPTQ")):
        got = native_params(dtypes, {"quantization_config": {"quant_method": method, "bits": 4, "group_size": 128}})
        assert got is not None and got.format == label
        assert abs(got.params - (linear + embed)) <= 16  # integer division in the packing


def test_fp8_block_scales_are_not_parameters() -> None:
    f8, bf16 = 680_571_043_840, 3_918_786_560  # DeepSeek-V3's F8_E4M3 and BF16 counts
    scales = f8 // (128 * 128)  # one F32 weight_scale_inv per 128 x 128 block
    qc = {"quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}
    got = native_params({"BF16": bf16, "F8_E4M3": f8, "F32": scales + 1000}, qc)
    assert got is not None and (got.params, got.format) == (f8 + bf16 + 1000, "FP8")


def test_bitsandbytes_compressed_tensors_and_mlx() -> None:
    q = 4_000_000_000
    nf4 = native_params({"U8": q // 2, "F32": q // 64, "BF16": 500},
                        {"quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}})
    assert nf4 is not None and (nf4.params, nf4.format) == (q + 500, "NF4")
    w4a16 = {"quant_method": "compressed-tensors", "format": "pack-quantized",
             "config_groups": {"group_0": {"weights": {"num_bits": 4, "type": "int", "strategy": "group",
                                                       "group_size": 128}}}}
    ct = native_params({"I32": q // 8, "BF16": q // 128 + 700, "I64": 400}, {"quantization_config": w4a16})
    assert ct is not None and (ct.params, ct.format) == (q + 700, "INT4")
    mlx = native_params({"U32": q // 8, "BF16": 2 * q // 64 + 900}, {"quantization": {"bits": 4, "group_size": 64}})
    assert mlx is not None and (mlx.params, mlx.format) == (q + 900, "MLX 4-bit")


def test_unknown_format_is_not_guessed() -> None:
    assert native_params({"I32": 10, "F16": 5}, {"quantization_config": {"quant_method": "somethingnew"}}) is None
    assert native_format({"torch_dtype": "bfloat16"}) is None
    assert native_params({"BF16": 10}, None) is None


# --- the catalogue's facts ------------------------------------------------------------------------------------


def test_gpt_oss_counts_and_classes_from_the_sample() -> None:
    small, big = facts_of("openai/gpt-oss-20b"), facts_of("openai/gpt-oss-120b")
    # The Hub's raw figures were 12.0B and 63.1B (stored elements); OpenAI's card: 21B / 3.6B and 117B / 5.1B.
    assert round(small.params / 1e9, 1) == 20.9 and small.size_class == "15-40B"
    assert round(small.params_active / 1e9, 1) == 3.6
    assert round(big.params / 1e9) == 117 and round(big.params_active / 1e9, 1) == 5.1
    assert (small.params_source, small.native_format) == ("dtypes", "MXFP4")
    assert format_params_with_active(small.params, small.params_active) == "20.9B (3.6B active)"


def test_quantised_and_moe_sample_repos() -> None:
    awq = facts_of("Qwen/Qwen2.5-7B-Instruct-AWQ")
    assert round(awq.params / 1e9, 2) == 7.62 and awq.native_format == "AWQ" and awq.params_active is None
    mixtral = facts_of("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert mixtral.params == 46_702_792_704 and mixtral.params_source == "hub"
    assert round(mixtral.params_active / 1e9, 1) == 12.7
    dense = facts_of("meta-llama/Llama-3.1-8B-Instruct")
    assert dense.params_active is None and dense.params_source == "hub"


def test_an_undecodable_quantised_count_says_it_is_raw() -> None:
    record = sample("openai/gpt-oss-20b")
    config = dict(record.pop("config_json"))
    config["quantization_config"] = {"quant_method": "somethingnew"}
    config.pop("num_local_experts")  # and no MoE shapes to count from either
    config["num_hidden_layers"] = None
    facts = facts_from_info(ModelInfo(**record), config)
    assert facts.params == 11_956_805_184 and facts.params_source == "hub-raw"  # the Hub's "12.0B"


@pytest.mark.parametrize(("text", "count"), [("7B", 7_000_000_000), ("500m", 500_000_000), ("1.5T", 1_500_000_000_000),
                                             ("3.6b", 3_600_000_000), ("8", 8_000_000_000)])
def test_parse_param_count(text: str, count: int) -> None:
    assert parse_param_count(text) == count


# --- search by either count -----------------------------------------------------------------------------------


def _search(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--db", str(tmp_path / "m.db"), "catalog", "search", *args])


def test_search_filters_on_total_and_active(tmp_path: Path) -> None:
    result = _search(tmp_path, "--min-params", "20B", "--max-active", "6B", "--json", "-n", "500")
    assert result.exit_code == 0, result.output
    found = {json.loads(line)["id"]: json.loads(line) for line in result.stdout.splitlines()}
    assert {"openai/gpt-oss-20b", "openai/gpt-oss-120b", "Qwen/Qwen3-30B-A3B"} <= set(found)
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1" not in found  # 12.7B active
    assert "Qwen/Qwen2.5-32B-Instruct-AWQ" not in found  # dense: all 32.8B read per token
    assert all(r["params"] >= 20e9 and (r["params_active"] or r["params"]) <= 6e9 for r in found.values())
    table = _search(tmp_path, "gpt-oss-20b", "--min-active", "3B", "--max-active", "4B")
    assert "20.9B (3.6B active)" in table.stdout
    # A GGUF repack has no config.json: it takes its base model's active count when the totals agree.
    gguf = _search(tmp_path, "unsloth/Qwen3-30B-A3B-GGUF", "--json")
    row = next(json.loads(line) for line in gguf.stdout.splitlines() if "unsloth/Qwen3-30B-A3B-GGUF" in line)
    assert row["params_source"] == "gguf" and round(row["params_active"] / 1e9, 2) == 3.04


def test_a_bad_bound_is_one_line(tmp_path: Path) -> None:
    result = _search(tmp_path, "--max-active", "lots")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "not a parameter count: 'lots'" in result.output


# --- weights as stored --------------------------------------------------------------------------------------


def _row(model_id: str) -> dict[str, Any]:
    record = sample(model_id)
    config = record.pop("config_json", None)
    facts = facts_from_info(ModelInfo(**record), config)
    row = facts.to_row("2025-01-01")
    row["config_json"] = config
    row["files"] = [{"filename": f.filename, "size": f.size, "format": f.format} for f in facts.files]
    return row


def test_the_weights_row_is_the_repo_files_in_their_native_format() -> None:
    from modelpick_tui.catalog.fit.arch import arch_from_config
    from modelpick_tui.catalog.fit.memory import memory_from_spec
    from modelpick_tui.catalog.fit.quants import quant_fits

    row = _row("openai/gpt-oss-20b")
    shards = {f["filename"]: f["size"] for f in row["files"] if f["filename"].startswith("model-")}
    assert len(shards) == 3  # original/model.safetensors is the same weights for another loader: not counted
    fits = quant_fits(row, arch_from_config(row["config_json"]), memory_from_spec("80GB"))
    first = fits[0]
    assert (first.label, first.stored, first.size) == ("MXFP4", 3, sum(shards.values()))
    # OpenAI's model card gives the checkpoint as 12.8 GiB.
    assert round(first.size / 2**30, 1) == 12.8
    assert first.estimate.rows[0].weights_bytes == first.size
    others = {q.label: q.estimate.rows[0].weights_bytes for q in fits[1:]}
    assert others["BF16"] == 2 * row["params"] and others["FP8"] == row["params"]  # 20.9B parameters, not 12.0B


def test_stored_weights_picks_the_layout_a_runtime_loads() -> None:
    from modelpick_tui.catalog.fit.quants import stored_weights

    files = [{"filename": "model-00001-of-00002.safetensors", "size": 5, "format": "safetensors"},
             {"filename": "model-00002-of-00002.safetensors", "size": 3, "format": "safetensors"},
             {"filename": "consolidated.safetensors", "size": 8, "format": "safetensors"},
             {"filename": "original/model.safetensors", "size": 8, "format": "safetensors"},
             {"filename": "model-Q4_K_M.gguf", "size": 4, "format": "gguf"}]
    assert sum(stored_weights(files).values()) == 8 and len(stored_weights(files)) == 2
    # Weights only in a subfolder: that folder's shards, with their path.
    sub = [{"filename": "weights/model-00001-of-00002.safetensors", "size": 6, "format": "safetensors"},
           {"filename": "weights/model-00002-of-00002.safetensors", "size": 4, "format": "safetensors"},
           {"filename": "extra/small.safetensors", "size": 1, "format": "safetensors"}]
    assert stored_weights(sub) == {"weights/model-00001-of-00002.safetensors": 6,
                                   "weights/model-00002-of-00002.safetensors": 4}
    # A size the Hub did not give: no stored row (the fit falls back to parameters x width).
    assert stored_weights([{"filename": "model.safetensors", "size": None, "format": "safetensors"}]) == {}
