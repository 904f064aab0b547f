"""catalog/hub_json.py reads the Hub's JSON as huggingface_hub's ModelInfo does (for what facts_from_info reads):
every model of the embedded sample gets the same facts either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huggingface_hub import ModelInfo

from modelpick_tui.catalog.facts import facts_from_info
from modelpick_tui.catalog.hub_json import model_info

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.jsonl"
ITEMS = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_sample_has_what_the_comparison_needs() -> None:
    """The comparison below covers what a sample row can hold: files with and without LFS, GGUF headers,
    safetensors counts, card metadata and gated repos."""
    assert len(ITEMS) > 200
    siblings = [s for item in ITEMS for s in item.get("siblings") or []]
    assert any(s.get("lfs") for s in siblings) and any(not s.get("lfs") for s in siblings)
    assert any(item.get("gguf") for item in ITEMS) and any(item.get("safetensors") for item in ITEMS)
    assert any(item.get("cardData") for item in ITEMS) and any(item.get("gated") for item in ITEMS)


@pytest.mark.parametrize("item", ITEMS, ids=[item["id"] for item in ITEMS])
def test_sample_facts_are_those_of_huggingface_hubs_model_info(item: dict) -> None:
    item = dict(item)
    config_json = item.pop("config_json", None)
    ours = facts_from_info(model_info(item), config_json, source="sample")
    theirs = facts_from_info(ModelInfo(**item), config_json, source="sample")
    assert ours == theirs


def test_hub_shaped_edge_cases_match_model_info() -> None:
    item = {"id": "org/m", "gated": True, "createdAt": "2024-01-02T03:04:05.123Z", "lastModified": None,
            "cardData": {"license": ["apache-2.0", "mit"], "language": "en", "base_model": ["a/b", "c/d"]},
            "siblings": [{"rfilename": "m-Q4_K_M.gguf", "size": 10, "lfs": {"size": 10, "sha256": "ab",
                                                                           "pointerSize": 1}},
                         {"rfilename": "model.safetensors"}],
            "safetensors": {"parameters": {"BF16": 7}, "total": 7}, "tags": ["license:other"]}
    assert facts_from_info(model_info(item)) == facts_from_info(ModelInfo(**item))
