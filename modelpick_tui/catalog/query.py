"""What is asked of the catalogue (and of the Hub when syncing) and what comes back: plain types, no SQL and no
Hub library, so the UI builds queries and shows results without loading sqlite3 or huggingface_hub.

The query and its rows are named tuples, not frozen dataclasses: both are on the way to the browse table's first page,
where a dataclass costs a millisecond to create (its methods are written and compiled), and a search builds 200
rows (a frozen dataclass sets each field through object.__setattr__)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["SORT_LABELS", "TIERS", "CatalogQuery", "ListParams", "ModelRow", "SearchResult"]

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


class CatalogQuery(NamedTuple):
    """What the user asked for on the browse screen or in `catalog search` (`query._replace(task=...)` for another)."""

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


class ModelRow(NamedTuple):
    """One model as the browse table and `catalog search` list it."""

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
