"""The catalogue's other sources, synced into the same cache as the Hub's models: ModelScope (a second hub: its
models become rows, or a second source of a Hub row), OpenRouter (where a model is hosted and at what price) and a
local Ollama (its models, as local models). Failures are the Hub's: one HubError line, the cache stays."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..clock import now_iso
from . import local
from .facts import ModelFacts
from .source_store import SourceStore
from .sources.errors import HubError

if TYPE_CHECKING:
    from .sources.modelscope import ModelScopeClient
    from .sources.ollama import OllamaClient, OllamaModel
    from .sources.openrouter import OpenRouterClient
    from .store import CatalogStore

Progress = Callable[[int, int | None], None]
SOURCES = ("hub", "modelscope", "openrouter", "ollama")
BATCH = 100
OLLAMA_LISTED = "ollama_listed"  # meta key: the models the local Ollama listed when it last answered
# A sync reads the pages of the ModelScope models whose name matches no Hub row, for the Hugging Face original they
# name: at most ORIGIN_READS pages, ORIGIN_WORKERS at a time, for ORIGIN_SECONDS; the rest at the next sync (a page
# read once is not read again: what it names is kept in model_sources.hf_original).
ORIGIN_READS = 50
ORIGIN_WORKERS = 4
ORIGIN_SECONDS = 60.0


@dataclass
class SourceReport:
    fetched: int = 0
    added: int = 0  # new rows in the catalogue
    linked: int = 0  # rows another hub already had: one row, both sources
    named: int = 0  # of those, the ones whose ModelScope page names the Hub row (their names differ)
    merged: list[str] = field(default_factory=list)  # the ModelScope ids of those: their own rows went
    notes: list[str] = field(default_factory=list)  # one line each: a page not read, pages left for the next sync


class HostedPrice(NamedTuple):
    """One API that serves a model, for the API-vs-self-hosting comparison: its id there and $ per 1M tokens in and
    out (None where the provider publishes no fixed price)."""

    id: str  # OpenRouter's id: "qwen/qwen3-8b" (a ":free" variant is another)
    usd_per_m_in: float | None
    usd_per_m_out: float | None


def api_prices(sources: SourceStore, model_id: str) -> list[HostedPrice]:
    """Where `model_id` (a Hub repo, any case) is served behind an API, from the last `catalog sync --source
    openrouter`: (OpenRouter id, $ per 1M tokens in, $ per 1M out), cheapest first; [] when none lists it."""
    return [HostedPrice(r["id"], per_million(r["prompt_price"]), per_million(r["completion_price"]))
            for r in sources.hosted_for([model_id]).get(model_id, [])]


def modelscope_url(model_id: str) -> str:
    return f"https://modelscope.cn/models/{model_id}"


def per_million(per_token: float | None) -> float | None:
    """$ per token → $ per 1M tokens (None stays None)."""
    # Rounded to the cent's hundredth: 0.000000035 $/token is 0.035 $/M, not 0.035000000000000003.
    return None if per_token is None else round(per_token * 1_000_000, 6)


class SourceSync:
    def __init__(self, store: CatalogStore, sources: SourceStore, *, modelscope: ModelScopeClient,
                 openrouter: OpenRouterClient, ollama: OllamaClient) -> None:
        self.store = store
        self.sources = sources
        self.modelscope = modelscope
        self.openrouter = openrouter
        self.ollama = ollama
        self.modelscope_online: bool | None = None  # None: not asked yet this session

    # --- ModelScope ----------------------------------------------------------------------

    def sync_modelscope(self, search: str | None = None, limit: int = 500, sort: str = "downloads",
                        progress: Progress | None = None) -> SourceReport:
        """ModelScope's models into the catalogue: a model the catalogue has (same owner/name in any case, or
        merged before because its page names its Hub original) gains ModelScope as a source; others become rows
        of their own. What was fetched before a failure is kept; the failure is raised (one line). Then the pages of
        the models whose name matches no Hub row are read (bounded) for the Hugging Face original they name: a row
        the catalogue has from the Hub takes them in, without their card being opened."""
        report = SourceReport()
        batch: list[dict[str, Any]] = []
        own: list[tuple[str, bool]] = []  # (ModelScope id, new this sync) of the rows of their own
        try:
            for entry in self.modelscope.list_models(search, limit, sort):
                self.modelscope_online = True
                batch.append(entry)
                report.fetched += 1
                if len(batch) >= BATCH:
                    self._save_modelscope(batch, report, own)
                    batch.clear()
                if progress:
                    progress(report.fetched, limit)
        except HubError as err:
            if err.offline_like:
                self.modelscope_online = False
            raise
        finally:
            if batch:
                self._save_modelscope(batch, report, own)
        self._link_originals(own, report)
        self.store.set_meta("last_sync_modelscope", now_iso())
        return report

    def _link_originals(self, own: list[tuple[str, bool]], report: SourceReport) -> None:
        """Merge into the Hub's rows the ModelScope rows whose page names them as their original: the pages read
        at an earlier sync from what was kept, the others read now (up to ORIGIN_READS)."""
        recorded = self.sources.originals("modelscope", [sid for sid, _ in own])
        unread = [sid for sid, _ in own if recorded.get(sid) is None]
        found, failed, stopped = self._read_originals(unread[:ORIGIN_READS], report)
        left = len(unread) - len(found) - failed
        if stopped is not None:
            report.notes.append(f"stopped reading ModelScope pages for their Hugging Face original ({stopped}); "
                                f"{left} are left for the next sync")
        elif left > 0:
            report.notes.append(f"read {len(found)} ModelScope pages for the Hugging Face original they name; "
                                f"{left} more are left for the next sync (at most {ORIGIN_READS} pages and "
                                f"{ORIGIN_SECONDS:g} s a sync)")
        originals = {sid: name for sid, name in {**recorded, **found}.items() if name}
        new = {sid for sid, fresh in own if fresh}
        self._merge_named([(sid, originals[sid]) for sid, _ in own if sid in originals], report)
        report.added -= sum(1 for sid in report.merged if sid in new)

    def link_named_originals(self) -> int:
        """After a Hub sync: the ModelScope rows whose page (read at an earlier sync) names a Hub row the catalogue
        has now, merged into it without a request; how many."""
        report = SourceReport()
        self._merge_named(self.sources.named_originals("modelscope"), report)
        return report.named

    def _merge_named(self, named: list[tuple[str, str]], report: SourceReport) -> None:
        """Merge each ModelScope row of its own into the Hub row its page names (ModelScope id, original), where
        the catalogue has that row."""
        hits = self.sources.known_ids([original for _, original in named])
        for sid, original in named:
            hit = hits.get(original.lower())
            if hit is None or hit[1] == "modelscope" or hit[0] == sid:
                continue
            self.sources.merge_into("modelscope", sid, hit[0], modelscope_url(sid))
            report.linked += 1
            report.named += 1
            report.merged.append(sid)
        if report.named:
            self.store.invalidate_count()

    def _read_originals(self, ids: list[str], report: SourceReport) -> tuple[dict[str, str], int, HubError | None]:
        """The Hugging Face original each page names ('' for none), kept for the next syncs; how many pages could
        not be read (one note each, the others go on); and the error that stopped the reads (ModelScope out of
        reach or rate limiting), if one did."""
        from .sources.modelscope import hf_original

        deadline = time.monotonic() + ORIGIN_SECONDS
        stop = threading.Event()

        def read(sid: str) -> str | None:
            if stop.is_set() or time.monotonic() > deadline:
                return None  # left for the next sync
            info = self.modelscope.model_info(sid)
            readme = info.get("ReadMeContent")  # the details carry the README; else it is one more call
            return hf_original(readme if isinstance(readme, str) else self.modelscope.card(sid)) or ""

        found: dict[str, str] = {}
        failed = 0
        stopped: HubError | None = None
        with ThreadPoolExecutor(ORIGIN_WORKERS, thread_name_prefix="modelscope-original") as pool:
            for sid, future in [(sid, pool.submit(read, sid)) for sid in ids]:
                try:
                    original = future.result()
                except HubError as err:
                    if err.offline_like or err.kind == "rate_limited":
                        stop.set()
                        stopped = stopped or err
                    else:
                        failed += 1
                        report.notes.append(f"could not read {sid}'s ModelScope page for its Hugging Face "
                                            f"original: {err}")
                    continue
                if original is not None:
                    found[sid] = original
                    self.sources.set_original("modelscope", sid, original)
        return found, failed, stopped

    def _save_modelscope(self, entries: list[dict[str, Any]], report: SourceReport,
                         own: list[tuple[str, bool]]) -> None:
        from .sources.modelscope import facts_from_modelscope, model_id

        ids = [model_id(e) for e in entries]
        merged = self.sources.linked("modelscope", ids)
        known = self.sources.known_ids(ids)
        facts: list[ModelFacts] = []
        links: list[tuple[str, str, str, str]] = []
        for entry, mid in zip(entries, ids, strict=True):
            target = merged.get(mid)
            if target == mid:
                target = None  # a row of its own: refreshed below
            hit = known.get(mid.lower())
            if target is None and hit is not None and hit[1] != "modelscope":
                target = hit[0]
            if target is not None:
                report.linked += 1
            else:
                row_id = hit[0] if hit is not None else mid
                fresh = facts_from_modelscope(entry)
                fresh.id = row_id
                row = self.store.get(row_id)
                if row is not None:  # a listing has no files: keep those a details fetch brought
                    from .facts import ModelFile

                    fresh.files = [ModelFile(f["filename"], f["size"], f["quant"], f["format"], f["sha256"])
                                   for f in row.get("files") or []]
                else:
                    report.added += 1
                facts.append(fresh)
                target = row_id
                if row_id == mid:  # its name matches no Hub row: its page may name the original
                    own.append((mid, row is None))
            links.append((target, "modelscope", mid, modelscope_url(mid)))
        self.store.upsert_models(facts)
        self.sources.add_sources(links)

    def refresh_modelscope(self, model_id: str) -> str:
        """Details, files (subfolders and GGUF quants with sizes) and the README card of a ModelScope model;
        returns a notice ("" when all came). A card that names its Hugging Face original the catalogue has
        merges the two rows into the Hub's."""
        from .sources.modelscope import facts_from_modelscope, hf_original

        source_id = next((s["id"] for s in self.sources.sources(model_id) if s["source"] == "modelscope"), model_id)
        try:
            info = self.modelscope.model_info(source_id)
            files = self.modelscope.files(source_id)
            card = self.modelscope.card(source_id)
        except HubError as err:
            if err.offline_like:
                self.modelscope_online = False  # cards open from the cache until a refresh or a sync gets through
            return str(err)
        self.modelscope_online = True
        row = self.store.get(model_id)
        if row is not None and row.get("source") == "modelscope":
            facts = facts_from_modelscope(info, files)
            facts.id = model_id
            self.store.upsert_models([facts])
            self.store.save_card(model_id, card or "", source="modelscope")
            original = hf_original(card)
            self.sources.set_original("modelscope", source_id, original or "")
            hit = self.sources.known_ids([original]).get(original.lower()) if original else None
            if hit is not None and hit[1] != "modelscope" and hit[0] != model_id:
                self.sources.merge_into("modelscope", source_id, hit[0], modelscope_url(source_id))
                self.store.invalidate_count()
                return f"the same model as {hit[0]} on the Hugging Face Hub (its ModelScope page says so): merged"
        return "" if card is not None else "this ModelScope repository has no model card (README.md)"

    # --- OpenRouter ----------------------------------------------------------------------

    def sync_openrouter(self) -> SourceReport:
        """OpenRouter's whole model list, replacing the last one (one request)."""
        models = self.openrouter.list_models()
        rows = [{"id": m.id, "name": m.name, "hugging_face_id": m.hugging_face_id, "context_length": m.context_length,
                 "prompt_price": m.prompt_price, "completion_price": m.completion_price} for m in models]
        self.sources.replace_hosted("openrouter", rows)
        self.store.set_meta("last_sync_openrouter", now_iso())
        linked = self.sources.known_ids([m.hugging_face_id for m in models if m.hugging_face_id])
        return SourceReport(fetched=len(models), linked=len(linked))

    def api_prices(self, model_id: str) -> list[HostedPrice]:
        return api_prices(self.sources, model_id)

    # --- Ollama --------------------------------------------------------------------------

    def ollama_models(self) -> list[OllamaModel] | None:
        """The local Ollama's models, or None when none answers (said by nobody: most machines have none)."""
        return self.ollama.models()

    def find_ollama(self) -> int:
        """The local Ollama's models as local models, if one answers; silent otherwise (no Ollama, or one that
        answers badly: `catalog sync --source ollama` says why). For the TUI's start, in a worker."""
        try:
            models = self.ollama.models()
        except HubError:
            return 0
        self.store.upsert_models([ollama_facts(m) for m in models or [] if not self.store.exists(f"ollama/{m.name}")])
        self._listed(models)
        return len(models or [])

    def _listed(self, models: list[OllamaModel] | None) -> None:
        if models is not None:  # Ollama answered: what it has now (a model removed there is local no more)
            self.store.set_meta(OLLAMA_LISTED, json.dumps(sorted(f"ollama/{m.name}" for m in models)))

    def ollama_listed(self) -> list[str]:
        """The models the local Ollama listed when it last answered (`ollama/NAME:TAG`)."""
        try:
            value = json.loads(self.store.get_meta(OLLAMA_LISTED) or "[]")
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []

    def sync_ollama(self, scan_dir: Callable[[Path], local.ScanReport],
                    refresh_local: Callable[[], int]) -> list[OllamaModel] | None:
        """The local Ollama's models as local models (`ollama/NAME:TAG`): its GGUF blobs on disk with what their
        headers say, and the models its /api/tags lists (an Ollama in a container shows no blobs here). None
        when no Ollama answers; the blobs on disk are added all the same."""
        from .sources.ollama import models_dir

        root = models_dir()
        scanned = {f.id for f in scan_dir(root).facts} if local.is_ollama_dir(root) else set()
        models = self.ollama.models()
        fresh = [ollama_facts(m) for m in models or [] if f"ollama/{m.name}" not in scanned]
        self.store.upsert_models(fresh)
        self._listed(models)
        refresh_local()
        return models


def ollama_facts(model: OllamaModel) -> ModelFacts:
    """What /api/tags tells of one model (its parameter size as Ollama writes it: "3.2B", "751.63M")."""
    from .counts import params_from_name

    size = model.parameter_size.strip().upper()
    params = params_from_name(f"x-{size}") if size else None
    return ModelFacts(id=f"ollama/{model.name}", author="ollama", task="text-generation", library="gguf",
                      tags=["ollama", "local", *(t for t in (model.family, model.quantization) if t)],
                      params=params, architecture=model.family, formats=["gguf"] if model.format == "gguf" else [],
                      source="ollama", created_at=model.modified_at[:19] + "Z" if model.modified_at else "",
                      last_modified=model.modified_at[:19] + "Z" if model.modified_at else "")
