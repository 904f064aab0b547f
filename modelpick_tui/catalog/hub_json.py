"""A model of the Hub's JSON (what /api/models returns, and what sample_data/catalog.jsonl holds) read as
huggingface_hub's `ModelInfo` reads it, for the attributes catalog/facts.facts_from_info uses: the embedded sample
loads on a first launch without importing huggingface_hub (about a third of a second, before the first page).
tests/unit/test_hub_json.py holds every sample model's facts to those built from the real `ModelInfo`."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any


def _when(value: Any) -> datetime | None:
    # ModelInfo's parse_datetime: "2024-07-18T08:04:42.000Z" is that second in UTC.
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _sibling(item: dict[str, Any]) -> SimpleNamespace:
    lfs = item.get("lfs")
    return SimpleNamespace(
        rfilename=item["rfilename"], size=item.get("size"), blob_id=item.get("blobId"),
        lfs=SimpleNamespace(size=lfs["size"], sha256=lfs["sha256"], pointer_size=lfs["pointerSize"]) if lfs else None)


def model_info(item: dict[str, Any]) -> SimpleNamespace:
    """The Hub's JSON of one model as the attributes of a `ModelInfo` (the card's metadata stays a dict, which
    facts_from_info reads as it reads ModelCardData)."""
    siblings = item.get("siblings")
    safetensors = item.get("safetensors")
    return SimpleNamespace(
        id=item["id"], author=item.get("author"), sha=item.get("sha"),
        last_modified=_when(item.get("lastModified") or item.get("last_modified")),
        created_at=_when(item.get("createdAt") or item.get("created_at")),
        gated=item.get("gated"), downloads=item.get("downloads"), likes=item.get("likes"),
        library_name=item.get("library_name"), gguf=item.get("gguf"), tags=item.get("tags"),
        pipeline_tag=item.get("pipeline_tag"), trending_score=item.get("trendingScore"),
        card_data=item.get("cardData") or item.get("card_data"), config=item.get("config"),
        siblings=[_sibling(s) for s in siblings] if siblings is not None else None,
        safetensors=(SimpleNamespace(parameters=safetensors["parameters"], total=safetensors["total"])
                     if safetensors else None),
    )
