"""`modelpick catalog sync --source modelscope|openrouter|ollama`: the catalogue's other sources."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..catalog.source_sync import per_million
from ..catalog.sources.errors import HubError
from .output import escape, say

if TYPE_CHECKING:
    from ..services import Services

# `catalog sync --sort` speaks the Hub's words; ModelScope sorts by these.
_MODELSCOPE_SORTS = {"downloads": "downloads", "likes": "likes", "last_modified": "updated"}


def elsewhere(services: Services, model_ids: list[str]) -> list[dict[str, Any]]:
    """For each model, `sources` (the hubs that list it: huggingface, modelscope, ollama, local) and `hosted` (the
    APIs that serve it: provider, id, $ per 1M tokens in and out, context), for `--json`."""
    sync = services.catalog.sources
    if sync is None:
        return [{} for _ in model_ids]
    sources = sync.sources.sources_for(model_ids)
    hosted = sync.sources.hosted_for(model_ids)
    return [{"sources": [s["source"] for s in sources.get(m, [])],
             "hosted": [{"provider": h["provider"], "id": h["id"], "usd_per_m_in": per_million(h["prompt_price"]),
                         "usd_per_m_out": per_million(h["completion_price"]), "context_length": h["context_length"]}
                        for h in hosted.get(m, [])]}
            for m in model_ids]


def sync_other(services: Services, source: str, *, search: str | None, sort: str, limit: int,
               progress: Callable[[int, int | None], None] | None = None,
               stop: Callable[[], None] = lambda: None) -> None:
    """Sync one of the other sources, ModelScope with `progress`; `stop` ends the progress display before a line."""
    catalog = services.catalog
    sync = catalog.sources
    assert sync is not None
    catalog.ensure_loaded()
    if source != "modelscope":
        stop()  # one request, no pages to count
    try:
        if source == "modelscope":
            report = sync.sync_modelscope(search, limit, _MODELSCOPE_SORTS.get(sort, "default"), progress)
            stop()
            named = f", {report.named} by the original its page names" if report.named else ""
            say(f"synced {report.fetched} models from ModelScope ({report.added} new, {report.linked} also on the "
                f"Hugging Face Hub{named}); {catalog.store.count()} in the catalogue")
            for note in report.notes:  # a page not read, or pages left for the next sync: the sync went on
                say(f"note: {escape(note)}", err=True)
        elif source == "openrouter":
            report = sync.sync_openrouter()
            say(f"synced {report.fetched} hosted models from OpenRouter ({report.linked} are models of the "
                "catalogue)")
        else:
            models = sync.sync_ollama(catalog.scan_dir, catalog.refresh_local)
            if models is None:
                say(f"no Ollama answers at {escape(sync.ollama.base)} (set OLLAMA_HOST if it runs elsewhere)")
            else:
                say(f"{len(models)} Ollama models: {escape(', '.join(m.name for m in models)) or 'none'}")
    except HubError as err:
        stop()
        say(f"error: {escape(str(err))}", err=True)
        if err.offline_like:
            say(escape(catalog.status().offline_line), err=True)
        sys.exit(2)
