"""Hub model info → catalogue facts, on the shapes the real Hub sends (through huggingface_hub's ModelInfo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import ModelInfo

from modelpick_tui.catalog.counts import params_from_name
from modelpick_tui.catalog.facts import (
    classify_license,
    detect_formats,
    facts_from_info,
    size_class,
)
from modelpick_tui.catalog.units import format_params

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def info(**record: Any) -> ModelInfo:
    record.setdefault("id", "org/model")
    return ModelInfo(**record)


def sample_records() -> list[dict[str, Any]]:
    with (SAMPLE / "catalog.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- facts_from_info ---------------------------------------------------------------------


def test_safetensors_parameters_total_is_the_count() -> None:
    facts = facts_from_info(
        info(
            id="meta-llama/Llama-3.1-8B-Instruct",
            safetensors={"parameters": {"BF16": 8030261248}, "total": 8030261248},
            cardData={"license": "llama3.1", "language": ["en", "de"], "base_model": "meta-llama/Llama-3.1-8B"},
            gated="manual",
            tags=["safetensors", "llama", "license:llama3.1"],
            pipeline_tag="text-generation",
            config={"architectures": ["LlamaForCausalLM"], "model_type": "llama"},
        )
    )
    assert facts.params == 8030261248
    assert facts.size_class == "3-8B"
    assert facts.license == "llama3.1"
    assert facts.license_class.family == "community"
    assert facts.gated == "manual"
    assert facts.languages == ["en", "de"]
    assert facts.base_model == "meta-llama/Llama-3.1-8B"
    assert facts.architecture == "llama"
    assert facts.formats == ["safetensors"]
    assert facts.task == "text-generation"
    assert facts.author == "meta-llama"  # from the id when the Hub leaves author out


def test_mixed_dtype_safetensors_uses_total() -> None:
    mixed = {"parameters": {"BF16": 7_000_000_000, "F32": 1_000_000}, "total": 7_001_000_000}
    facts = facts_from_info(info(safetensors=mixed))
    assert facts.params == 7_001_000_000


def test_gguf_total_is_a_parameter_count_and_total_file_size_is_ignored() -> None:
    facts = facts_from_info(
        info(
            id="bartowski/Qwen2.5-7B-Instruct-GGUF",
            gguf={"total": 7615616512, "architecture": "qwen2", "context_length": 32768, "totalFileSize": 4683073952},
            siblings=[
                {"rfilename": "Qwen2.5-7B-Instruct-Q4_K_M.gguf", "size": 4683073952,
                 "lfs": {"size": 4683073952, "sha256": "ab" * 32, "pointerSize": 135}},
                {"rfilename": "Qwen2.5-7B-Instruct-Q8_0.gguf", "size": 8098525600},
                {"rfilename": "README.md", "size": 3000},
            ],
            tags=["gguf"],
        )
    )
    assert facts.params == 7615616512  # not 4.68e9 bytes
    assert facts.architecture == "qwen2"
    assert facts.context_length == 32768
    assert [(f.quant, f.size) for f in facts.files] == [("Q4_K_M", 4683073952), ("Q8_0", 8098525600)]
    assert facts.files[0].sha256 == "ab" * 32
    assert facts.formats == ["gguf"]


def test_every_key_missing() -> None:
    facts = facts_from_info(info(id="someone/thing"))
    assert facts.params is None
    assert facts.size_class == "unknown"
    assert facts.license == ""
    assert facts.license_class.family == "unknown"
    assert facts.license_class.permissive is False
    assert facts.gated == ""
    assert facts.formats == []
    assert facts.files == []
    assert facts.context_length is None
    assert facts.downloads == 0 and facts.likes == 0 and facts.trending == 0


def test_params_from_the_name_when_the_hub_has_no_count() -> None:
    assert facts_from_info(info(id="org/Mistral-7B-Instruct-v0.3")).params == 7_000_000_000


def test_awq_packed_count_is_replaced_by_the_name() -> None:
    # int4 packed tensors: the safetensors count is several times too small.
    packed = {"parameters": {"I32": 1_000_000_000}, "total": 1_000_000_000}
    facts = facts_from_info(info(id="Qwen/Qwen2.5-7B-Instruct-AWQ", safetensors=packed))
    assert facts.params == 7_000_000_000


@pytest.mark.parametrize(
    ("card", "tags", "expected"),
    [
        ({"license": "apache-2.0"}, [], "apache-2.0"),
        ({"license": "MIT"}, [], "mit"),
        ({"license": ["cc-by-nc-4.0", "other"]}, [], "cc-by-nc-4.0"),
        (None, ["license:llama3.1", "text-generation"], "llama3.1"),
        ({}, ["license:gemma"], "gemma"),
        (None, ["text-generation"], ""),
    ],
)
def test_license_from_card_data_or_tag(card: dict[str, Any] | None, tags: list[str], expected: str) -> None:
    assert facts_from_info(info(cardData=card, tags=tags)).license == expected


@pytest.mark.parametrize(
    ("gated", "expected"), [("auto", "auto"), ("manual", "manual"), (False, ""), (None, ""), (True, "manual")]
)
def test_gated_values(gated: Any, expected: str) -> None:
    assert facts_from_info(info(gated=gated)).gated == expected


def test_context_from_config_json_and_nested_text_config() -> None:
    facts = facts_from_info(info(), {"model_type": "llama", "max_position_embeddings": 131072})
    assert facts.context_length == 131072
    assert facts.architecture == "llama"
    nested = facts_from_info(info(), {"model_type": "gemma3", "text_config": {"max_position_embeddings": 131072}})
    assert nested.context_length == 131072


# --- licences ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["apache-2.0", "mit", "bsd-3-clause", "Apache-2.0", " MIT ", "cc0-1.0", "bsd-2-clause"]
)
def test_permissive_family(name: str) -> None:
    lic = classify_license(name)
    assert lic.family == "permissive" and lic.permissive is True
    assert lic.name == name.strip().lower()


@pytest.mark.parametrize("name", ["llama3.1", "llama3.2", "llama2", "gemma", "other", "llama4", "bigcode-openrail-m"])
def test_community_licences_are_not_permissive(name: str) -> None:
    lic = classify_license(name)
    assert lic.family == "community" and lic.permissive is False


@pytest.mark.parametrize("name", ["cc-by-nc-4.0", "cc-by-nc-sa-4.0", "apple-research"])
def test_non_commercial(name: str) -> None:
    lic = classify_license(name)
    assert lic.family == "non-commercial" and not lic.permissive


@pytest.mark.parametrize("name", ["gpl-3.0", "agpl-3.0", "cc-by-sa-4.0"])
def test_copyleft(name: str) -> None:
    assert classify_license(name).family == "copyleft"


@pytest.mark.parametrize("name", [None, "", "unknown", "  "])
def test_missing_licence_is_unknown_never_permissive(name: str | None) -> None:
    lic = classify_license(name)
    assert lic.family == "unknown" and lic.permissive is False and lic.label == "none"


# --- size classes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (8_030_261_248, "3-8B"),  # Llama 3.1 8B is an 8B model
        (9_241_705_984, "8-15B"),  # gemma-2-9b
        (2_600_000_000, "<3B"),
        (2_999_999_999, "<3B"),
        (3_000_000_000, "3-8B"),
        (14_770_033_664, "8-15B"),  # 14B
        (32_763_876_352, "15-40B"),
        (70_553_706_496, "40-100B"),
        (405_000_000_000, ">100B"),
        (None, "unknown"),
        (0, "unknown"),
    ],
)
def test_size_class_boundaries(params: int | None, expected: str) -> None:
    assert size_class(params) == expected


@pytest.mark.parametrize(
    ("params", "text"), [(270_000_000, "270M"), (8_030_261_248, "8.0B"), (405_000_000_000, "405B"), (None, "?")]
)
def test_format_params(params: int | None, text: str) -> None:
    assert format_params(params) == text


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", 7_000_000_000),
        ("google/gemma-3-270m", 270_000_000),
        ("Qwen/Qwen2.5-0.5B-Instruct", 500_000_000),
        ("meta-llama/Llama-3.3-70B-Instruct", 70_000_000_000),
        ("HuggingFaceTB/SmolLM2-1.7B-Instruct", 1_700_000_000),
        ("mistralai/Mistral-Nemo-Instruct-2407", None),
        ("Qwen/Qwen2.5-7B", 7_000_000_000),
    ],
)
def test_params_from_name(model_id: str, expected: int | None) -> None:
    assert params_from_name(model_id) == expected


@pytest.mark.parametrize(
    ("model_id", "tags", "files", "expected"),
    [
        ("a/b-GGUF", ["gguf"], ["b-Q4_K_M.gguf"], ["gguf"]),
        ("a/b", ["safetensors"], ["model.safetensors", "config.json"], ["safetensors"]),
        ("Qwen/Qwen2.5-7B-Instruct-AWQ", ["safetensors"], ["model.safetensors"], ["safetensors", "awq"]),
        ("TheBloke/x-GPTQ", [], ["model.safetensors"], ["safetensors", "gptq"]),
        ("mlx-community/Qwen2.5-7B-Instruct-4bit", ["mlx", "safetensors"], [], ["safetensors", "mlx"]),
        ("a/old", ["pytorch"], ["pytorch_model.bin"], ["pytorch"]),
        ("a/onnx-model", [], ["onnx/model.onnx"], ["onnx"]),
        ("a/nothing", [], [], []),
    ],
)
def test_detect_formats(model_id: str, tags: list[str], files: list[str], expected: list[str]) -> None:
    assert detect_formats(model_id, tags, files) == expected


# --- the sample catalogue ---------------------------------------------------------------


def test_every_sample_model_loads_with_a_licence_class() -> None:
    records = sample_records()
    families = set()
    for record in records:
        config_json = record.pop("config_json", None)
        facts = facts_from_info(ModelInfo(**record), config_json, source="sample")
        lic = facts.license_class
        assert lic.family in {"permissive", "copyleft", "community", "non-commercial", "unknown"}, facts.id
        assert lic.permissive == (lic.family == "permissive")
        assert facts.size_class in {"<3B", "3-8B", "8-15B", "15-40B", "40-100B", ">100B", "unknown"}
        families.add(lic.family)
        if facts.formats == ["gguf"]:
            assert facts.files and all(f.size for f in facts.files), facts.id
    assert {"permissive", "community", "non-commercial", "unknown"} <= families


def test_the_sample_catalogue_is_big_enough_to_demo() -> None:
    records = sample_records()
    cards = list((SAMPLE / "cards").glob("*.md"))
    ids = {r["id"] for r in records}
    assert len(records) >= 150
    assert len(cards) >= 20
    assert all(c.stem.replace("__", "/", 1) in ids for c in cards)
    assert sum(1 for r in records if r.get("gguf")) >= 30
