"""sample_data on disk: `catalog.jsonl` (one model record a line) and `cards/owner__name.md`, the layout of the
repository's sample_data/ and what `FakeHub.from_sample_data` serves."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["read_sample_data", "write_sample_data"]


def write_sample_data(
    directory: str | Path, models: Iterable[Mapping[str, Any]], cards: Mapping[str, str]
) -> Path:
    """Write models and cards in the sample_data layout."""
    directory = Path(directory)
    (directory / "cards").mkdir(parents=True, exist_ok=True)
    with (directory / "catalog.jsonl").open("w", encoding="utf-8") as fh:
        for record in models:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    for repo_id, text in cards.items():
        (directory / "cards" / (repo_id.replace("/", "__") + ".md")).write_text(text, encoding="utf-8")
    return directory


def read_sample_data(directory: str | Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The models and cards (by repo id) of a sample_data folder."""
    directory = Path(directory)
    models = []
    with (directory / "catalog.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                models.append(json.loads(line))
    cards = {}
    cards_dir = directory / "cards"
    if cards_dir.is_dir():
        for path in sorted(cards_dir.glob("*.md")):
            cards[path.stem.replace("__", "/")] = path.read_text(encoding="utf-8")
    return models, cards
