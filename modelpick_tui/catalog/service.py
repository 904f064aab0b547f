"""The catalogue service: what the screens and the CLI call. It owns the store, the Hub client,
the sample loader and the local scan, and decides when the cache stands in for the Hub.

Longer than ~400 lines on purpose: it is the one facade the screens and the CLI call for the catalogue
(sync, details, fits, local files, shortlist); each method is a few lines handing work to the store, the sources,
fit/ or local.py, and splitting it would give the callers two doors to the same rooms."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from .hf_cache import hf_hub_cache_dir
from .query import CatalogQuery, ListParams, SearchResult
from .sources.errors import HubError
from .sources.hub import HubClient
from .store import CatalogStore

if TYPE_CHECKING:
    from . import local
    from .details import Facets, LocalGguf, ModelDetails
    from .facts import ModelFacts
    from .fit.arch import Arch
    from .fit.memory import Memory
    from .fit.quants import QuantFit
    from .source_sync import SourceSync

# fit/ and ggufs.py (dataclasses, the CPU's identity through platform) are imported by the methods that use them: the
# browse table's first page, which opens the catalogue, needs none of them.

Progress = Callable[[int, int | None], None]
NO_CARD = "this repository has no model card (README.md)"


@dataclass
class CatalogStatus:
    online: bool | None  # None: not tried yet this session
    count: int
    synced_at: str | None
    source: str  # "hub" when a sync has run, else "sample"
    message: str = ""

    @property
    def offline_line(self) -> str:
        """What the cache holds, for when the Hub cannot be used."""
        date = (self.synced_at or "")[:10] or "unknown date"
        return f"offline — cached {self.count} models from {date}"

    @property
    def banner(self) -> str:
        """The line the browse screen shows above the table; "" when nothing needs saying."""
        if self.online is False:
            head = self.offline_line
            return f"{head} · {self.message}" if self.message else head
        if self.source == "sample":
            return f"embedded sample catalogue — {self.count} models · ctrl+r syncs from the Hub"
        return ""


@dataclass
class SyncReport:
    fetched: int = 0
    errors: list[str] = field(default_factory=list)


class CatalogService:
    def __init__(
        self,
        store: CatalogStore,
        hub: HubClient,
        sample_dir: Path,
        memory: Memory | None = None,
        hf_cache_dir: Path | None = None,
        home: Path | None = None,
        sources: SourceSync | Callable[[], SourceSync] | None = None,
        prebuilt: Path | None = None,
    ):
        self.store = store
        self.hub = hub
        # ModelScope, OpenRouter, Ollama (catalog/source_sync.py); a callable makes them on first use: the browse
        # table's first page needs none of their clients.
        self._sources = sources
        self._sources_lock = threading.Lock()
        self.sample_dir = sample_dir
        self.prebuilt = prebuilt  # the sample catalogue compiled at install (catalog/sample.py); None: parse it
        # Resolved now from the environment (huggingface_hub resolves its default once, at import).
        self.hf_cache_dir = hf_cache_dir or hf_hub_cache_dir()
        self._memory = memory
        self._memory_lock = threading.Lock()
        self._home = home  # where the CPU's measured bandwidth is cached
        self._online: bool | None = False if hub.offline else None
        self._message = ""

    @property
    def sources(self) -> SourceSync | None:
        with self._sources_lock:
            if callable(self._sources):
                self._sources = self._sources()
            return self._sources

    # --- state --------------------------------------------------------------------------

    def status(self) -> CatalogStatus:
        synced = self.store.get_meta("last_sync")
        sample = self.store.get_meta("sample_loaded")
        source = "hub" if synced else "sample"
        return CatalogStatus(self._online, self.store.count(), synced or sample, source, self._message)

    def _went_offline(self, err: HubError) -> None:
        if err.offline_like:
            self._online = False
            self._message = str(err) if err.kind != "offline" else ""

    def memory(self, *, with_speed: bool = False) -> Memory:
        """The memory models must fit in: GPU via NVML when present, else system RAM (found once). `with_speed`:
        system RAM comes with the CPU's bandwidth for the speed estimate, measured once on this machine (about
        half a second, on the first card opened) and cached in the home (fit/speed.py); a GPU's is its datasheet's."""
        from .fit.memory import detect_memory

        with self._memory_lock:
            if self._memory is None:
                self._memory = detect_memory()
            found = self._memory
            if with_speed and found.kind == "ram" and found.bandwidth_bytes_per_s is None:
                from .fit.speed import cpu_bandwidth

                cpu = cpu_bandwidth(self._home)
                found = self._memory = found.with_bandwidth(
                    cpu.bytes_per_s, f"measured on this machine: {cpu.method}, {cpu.measured_at}")
            return found

    def warm_up(self) -> None:
        """Find the memory and load the card parser now (a thread, after the first frame), so that the first
        card opens at once."""
        from .card import parse_card  # YAML and Markdown: the first page does not wait for them

        self.memory()
        parse_card("---\nlicense: mit\n---\n# warm-up")

    # --- loading ------------------------------------------------------------------------

    def answers_now(self) -> bool:
        """Whether a search can be answered without loading anything first: the database holds models whose
        origins were computed with the shipped table. Reads only: what `ensure_loaded` would write (a first launch's
        sample, the origins after an upgrade) is a worker's job."""
        return self.store.count() > 0 and self.store.origins.current()

    def seed_new_home(self) -> bool:
        """A new home (its database file still empty) starts as a copy of the sample compiled at install, when it is
        current (catalog/sample.py): the first launch's first page then waits for one file copy."""
        from .sample import seed

        return seed(self.store, self.sample_dir, self.prebuilt)

    def ensure_loaded(self) -> int:
        """A first launch with an empty database loads the embedded sample catalogue; a first launch of a new
        modelpick recomputes the stored origins if its shipped origin table changed."""
        loaded = self.load_sample() if self.store.count() == 0 else 0
        self.store.origins.refresh()
        return loaded

    def load_sample(self) -> int:
        """Load the embedded sample catalogue: copied from its prebuilt database into an empty catalogue when that
        is current (catalog/sample.py), else parsed and written."""
        from .sample import copy_into, load_sample_into

        copied = copy_into(self.store, self.sample_dir, self.prebuilt)
        return copied if copied is not None else load_sample_into(self.store, self.sample_dir)

    # --- Hub ----------------------------------------------------------------------------

    def sync(self, params: ListParams, progress: Progress | None = None) -> SyncReport:
        """Fetch models from the Hub into the cache (upsert, so a re-run refreshes).

        Raises HubError (one line) when the Hub cannot be used; what was fetched is kept."""
        from .counts import MOE_CONFIGS_PER_SYNC

        report = SyncReport()
        batch: list[ModelFacts] = []
        config_budget = [MOE_CONFIGS_PER_SYNC]
        try:
            for info in self.hub.list_models(params):
                batch.append(self._listed_facts(info, config_budget))
                report.fetched += 1
                if len(batch) >= 100:
                    self.store.upsert_models(batch)
                    batch.clear()
                if progress:
                    progress(report.fetched, params.limit)
        except HubError as err:
            self._went_offline(err)
            raise
        finally:
            if batch:
                self.store.upsert_models(batch)
        self._online = True
        self._message = ""
        self.store.set_meta("last_sync", now_iso())
        if self.sources is not None:  # a ModelScope row whose page names a model this sync brought: one row now
            self.sources.link_named_originals()
        return report

    def _listed_facts(self, info: Any, budget: list[int] | None = None) -> ModelFacts:
        """Facts from a listing, keeping what only a details fetch brings (config.json, file sizes).

        A listing has neither, and an upsert without them would turn every fit estimate the user
        already opened back into "weights only"."""
        from .counts import active_from_base, moe_architecture
        from .facts import facts_from_info

        row = self.store.get(info.id)
        config = row.get("config_json") if row is not None else None
        if config is None and budget is not None and budget[0] > 0 and moe_architecture(info.config):
            # A mixture of experts' active count needs its config.json, which a listing lacks: fetched now (a few
            # per sync) so that the active-parameter filters hold right after a sync. A refusal leaves it for later.
            budget[0] -= 1
            try:
                config = self.hub.fetch_config(info.id, info.sha)
            except HubError as err:
                config = None
                if err.offline_like:
                    budget[0] = 0  # the Hub is gone: the listing will say so, no more waits here
        facts = facts_from_info(info, config)
        if facts.params_active is None and facts.base_model and facts.base_model != facts.id:
            base = self.store.get(facts.base_model)
            if base is not None:
                facts.params_active = active_from_base(facts.params, base.get("params"), base.get("params_active"))
        if row is None:
            return facts
        same_commit = not facts.sha or facts.sha == row.get("sha")
        sizes = {f["filename"]: f["size"] for f in row.get("files") or [] if f.get("size")}
        if same_commit and sizes:
            facts.files = [replace(f, size=sizes.get(f.filename)) if f.size is None else f for f in facts.files]
        return facts

    def refresh_details(self, model_id: str) -> str:
        """Card, config and per-file sizes for one model from the Hub; returns a notice ("" if all came).

        The notice is one line: the first thing that went wrong (gated, not found, offline...)."""
        from .facts import facts_from_info

        try:
            info = self.hub.model_info(model_id)
        except HubError as err:
            self._went_offline(err)
            return str(err)
        self._online = True
        self._message = ""
        notices: list[str] = []
        row = self.store.get(model_id)
        # The file list says which files exist: no request for a card or config a repo does not have.
        names = {s.rfilename for s in info.siblings} if info.siblings is not None else None
        config: dict[str, Any] | None = None
        down = False  # once the Hub is gone, do not wait for it a second time
        try:
            if names is None or "config.json" in names:
                config = self.hub.fetch_config(model_id, info.sha)
        except HubError as err:  # a gated config.json (its README.md is public): the card still comes
            self._went_offline(err)
            notices.append(str(err))
            down = err.offline_like
        if config is None:
            config = (row or {}).get("config_json") or (None if down else self._base_config(info))
        facts = facts_from_info(info, config)
        if row is not None:
            facts.source = row.get("source") or "hub"
        self.store.upsert_models([facts])
        text: str | None = None
        if not down and (names is None or "README.md" in names):
            try:
                text = self.hub.fetch_card(model_id, info.sha)
            except HubError as err:
                self._went_offline(err)
                notices.append(str(err))
        if text is not None:
            self.store.save_card(model_id, text, sha=info.sha or "", source="hub")
        elif not notices:
            # Remembered as an empty card, so that opening it again does not ask the Hub again.
            self.store.save_card(model_id, "", sha=info.sha or "", source="hub")
            notices.append(NO_CARD)
        return notices[0] if notices else ""

    def _base_config(self, info: Any) -> dict[str, Any] | None:
        """config.json of the model a GGUF repo was converted from: its architecture is this one's.

        Best effort: a gated or missing base only leaves the fit at "weights only", which says so."""
        from .facts import facts_from_info

        base = facts_from_info(info).base_model
        if not base or base == info.id or not (info.gguf or "gguf" in (info.tags or [])):
            return None
        base_row = self.store.get(base)
        if base_row is not None and base_row.get("config_json"):
            return None  # arch_for reads the base row itself
        try:
            config = self.hub.fetch_config(base)
        except HubError as err:
            self._went_offline(err)
            return None
        if config is not None:
            config["_from_base_model"] = base
        return config

    # --- reading ------------------------------------------------------------------------

    def search(self, query: CatalogQuery) -> SearchResult:
        return self.store.search(query)

    def facets(self) -> Facets:
        return self.store.facets()

    def details(self, model_id: str, refresh: bool = False) -> ModelDetails | None:
        """Everything the card screen shows. Fetches from the Hub when asked (`refresh`), or for a model
        from the Hub whose card is not cached or was cached for an older commit."""
        row = self.store.get(model_id)
        if row is None:
            return None
        notice = ""
        cached = self.store.card(model_id)
        stale = bool(
            cached is not None and cached.get("source") == "hub" and cached.get("sha") and row.get("sha")
            and cached["sha"] != row["sha"]
        )
        from_modelscope = row.get("source") == "modelscope" and self.sources is not None
        wanted = refresh or ((row.get("source") == "hub" or from_modelscope) and (cached is None or stale))
        # Each hub's own state: HF_HUB_OFFLINE or a Hub out of reach says nothing of ModelScope.
        online = self.sources.modelscope_online if from_modelscope and self.sources else self._online
        if wanted and (refresh or online is not False):
            if from_modelscope:
                assert self.sources is not None
                notice = self.sources.refresh_modelscope(model_id)
                # Merged into the Hub's row (its ModelScope page names it): that row is the card now.
                model_id = self.sources.sources.linked("modelscope", [model_id]).get(model_id, model_id)
            else:
                notice = self.refresh_details(model_id)
            row = self.store.get(model_id) or row
            cached = self.store.card(model_id)
        elif wanted and from_modelscope:
            notice = "offline — ModelScope could not be reached: " + (
                "showing the cached card" if cached and cached.get("text") else "no card cached for this model")
        elif wanted:
            notice = self._offline_notice(has_card=bool(cached and cached.get("text")))
        text = cached["text"] if cached and cached.get("text") else None
        if cached is not None and not cached.get("text") and not notice:
            notice = NO_CARD
        from .card import parse_card

        card = parse_card(text) if text is not None else None
        memory = self.memory(with_speed=True)
        short = {s["model_id"]: s for s in self.store.shortlist()}.get(model_id)
        from .details import ModelDetails

        return ModelDetails(
            model=row,
            card_text=text,
            card=card,
            fits=self.fits(row, memory),
            memory=memory,
            notice=notice,
            shortlisted=short is not None,
            shortlist_note=(short or {}).get("note") or "",
            **self._elsewhere(model_id),
            origin=self.store.origins.book().of_model(row["id"], row.get("base_model")),
        )

    def _elsewhere(self, model_id: str) -> dict[str, Any]:
        """The hubs that list the model and the APIs that host it, for the card."""
        if self.sources is None:
            return {}
        return {"sources": self.sources.sources.sources(model_id),
                "hosted": self.sources.sources.hosted_for([model_id]).get(model_id, [])}

    def _offline_notice(self, has_card: bool) -> str:
        head = "offline (HF_HUB_OFFLINE=1)" if self.hub.offline else "offline — the Hub could not be reached"
        return f"{head}: showing the cached card" if has_card else f"{head}: no card cached for this model"

    def arch_for(self, row: dict[str, Any]) -> Arch | None:
        """Architecture facts from the model's config, else its base model's (GGUF repacks)."""
        from .fit.arch import arch_from_config, arch_from_gguf

        config = row.get("config_json") or {}
        if "gguf" in config:
            return arch_from_gguf(config["gguf"])
        if config:
            arch = arch_from_config(config)
            if arch is not None:
                return arch
        base = row.get("base_model")
        if base and base != row.get("id"):
            base_row = self.store.get(base)
            if base_row and base_row.get("config_json"):
                return arch_from_config(base_row["config_json"])
        return None

    def fits(self, row: dict[str, Any], memory: Memory) -> list[QuantFit]:
        """A fit table per GGUF quant file; for other formats, per weight dtype from the params."""
        from .fit.quants import quant_fits

        return quant_fits(row, self.arch_for(row), memory)

    # --- this machine ------------------------------------------------------------------

    def scan_dir(self, root: Path) -> local.ScanReport:
        """Add the GGUF files under `root` to the catalogue as local models (Ollama's models folder: its blobs,
        by the names its manifests give them)."""
        from . import local  # its scans (fit/, gguf) wait for the first scan, not the first page

        if local.is_ollama_dir(root):
            return self._add_scanned(local.scan_ollama_dir(root, now_iso()))
        return self._add_scanned(local.scan_gguf_dir(root, now_iso()))

    def add_demo_models(self) -> list[local.DemoModel]:
        """Add the packaged demo models that are installed (local.packaged_demo_models) as local models."""
        from . import local

        demos = local.packaged_demo_models()
        self._add_scanned(local.scan_gguf_files([d.path for d in demos], now_iso()))
        return demos

    def _add_scanned(self, report: local.ScanReport) -> local.ScanReport:
        if report.facts:
            # A model scanned before from another folder keeps those files (if they are still there).
            new_paths = {r["path"] for r in report.rows}
            from .facts import ModelFile

            earlier: dict[str, list[ModelFile]] = {}
            for r in self.store.local_files():
                if r["path"] not in new_paths and Path(r["path"]).exists():
                    earlier.setdefault(r["model_id"], []).append(ModelFile(r["path"], r["size"], r["quant"], "gguf"))
            for facts in report.facts:
                facts.files = [*facts.files, *earlier.get(facts.id, [])]
            self.store.upsert_models(report.facts)
            self.store.save_local_files(report.rows)
        self.refresh_local()
        return report

    def local_ggufs(self) -> list[LocalGguf]:
        """The GGUF files llama.cpp can serve here, with size and fit (catalog/ggufs.py). The packaged demo models
        join the catalogue as local models the first time (their headers are read once, not on every call)."""
        from . import local

        demos = {str(d.path): d.package for d in local.packaged_demo_models()}
        known = {r["path"] for r in self.store.local_files()}
        if set(demos) - known:
            self._add_scanned(local.scan_gguf_files([Path(p) for p in demos if p not in known], now_iso()))
        from . import ggufs

        memory = self.memory()
        return ggufs.local_ggufs(self.store.local_files(), local.hf_cache_models(self.hf_cache_dir), self.store.get,
                                 lambda row: self.fits(row, memory), demos)

    def cached_files(self, model_id: str) -> dict[str, str]:
        """The files of `model_id` in the Hugging Face cache (name → path), {} when it has none."""
        from . import local

        for m in local.hf_cache_models(self.hf_cache_dir):
            if m.repo_id == model_id and m.snapshot is not None:
                return {name: str(m.snapshot / name) for name in m.files}
        return {}

    def refresh_local(self) -> int:
        """Mark what is on this machine: scanned GGUF files that still exist and models with weights in
        the Hugging Face cache. Cached repos the catalogue does not know are added with what the cache
        tells (config.json, file list, README.md as the card)."""
        from . import local

        ids = {r["model_id"] for r in self.store.local_files() if Path(r["path"]).exists()}
        cached = local.hf_cache_models(self.hf_cache_dir)
        unknown = [m for m in cached if not self.store.exists(m.repo_id)]
        if unknown:
            self.store.upsert_models([m.facts() for m in unknown])
            for m in unknown:
                text = m.read_text("README.md")
                if text is not None and self.store.card(m.repo_id) is None:
                    self.store.save_card(m.repo_id, text, source="cache")
        ids.update(m.repo_id for m in cached)
        if self.sources is not None:  # what the local Ollama listed when it last answered
            ids.update(self.sources.ollama_listed())
        self.store.set_local(ids)
        return len(ids)

    # --- shortlist ----------------------------------------------------------------------

    def shortlist_add(self, model_id: str, note: str = "") -> None:
        self.store.shortlist_add(model_id, note)

    def shortlist_remove(self, model_id: str) -> None:
        self.store.shortlist_remove(model_id)

    def shortlist(self) -> list[dict[str, Any]]:
        return self.store.shortlist()

