"""The composition root: builds the stores and clients from settings. It imports nothing of the UI:
`ui.app.make_app(settings, services)` is the seam the CLI and the tests use to get a TUI over them.

`Services` is also the UI's one door to IO: the screens import only plain modules of the core (types, pure
functions) and reach the stores, the clients and the work that spans them (a run, a compare session, the
decision, the judge) through the object they are handed (tests/unit/test_architecture.py holds them to it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .db import Database, explain, is_uri
from .home import create_private
from .settings import Settings

if TYPE_CHECKING:
    from .catalog.fit.memory import Memory
    from .catalog.service import CatalogService
    from .catalog.source_store import SourceStore
    from .catalog.source_sync import HostedPrice, SourceSync
    from .catalog.store import CatalogStore
    from .evals.compare import CompareSession
    from .evals.compare_params import CompareParams
    from .evals.constraints import Constraints, ReportInputs
    from .evals.decision import Candidate, ReportFiles
    from .evals.diff import RunDiff
    from .evals.judge import JudgeSummary
    from .evals.mode_names import Naming
    from .evals.next_step import LoopState
    from .evals.runner import Runner
    from .evals.shortlist_table import Measurement, SideBySide
    from .evals.stores.checks import CheckStore
    from .evals.stores.cost import PriceStore
    from .evals.stores.failure_modes import FailureModeStore
    from .evals.stores.grades import GradeStore
    from .evals.stores.judge import JudgeStore
    from .evals.stores.labels import ReviewStore
    from .evals.stores.load import LoadStore
    from .evals.stores.prompt_sets import PromptSetStore
    from .evals.stores.prompts import PromptVersionStore
    from .evals.stores.traces import TraceStore
    from .evals.traces import Trace
    from .serving.endpoints import Endpoint
    from .serving.supervisor import Supervisor


class Services:
    """What the UI and the CLI ask for their IO: the catalogue, the stores, the supervisor, each made on first use.
    (A plain class: the TUI's first page and `modelpick runs` both build one, and a dataclass costs a millisecond to
    create.)"""

    def __init__(self, settings: Settings, db: Database, memory: Memory | None = None) -> None:
        self.settings = settings
        self.db = db  # the one database every store shares (db.py): its connection, lock and transactions
        self.memory = memory  # the memory models must fit in, when given (else found on first use)
        self._catalog: CatalogService | None = None
        self._catalog_lock = threading.Lock()
        self._supervisor: Supervisor | None = None
        self._supervisor_lock = threading.Lock()
        self._stores_lock = threading.Lock()
        self._servers_stopped = False
        self._stores: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Services(db={str(self.settings.db_path)!r})"

    @property
    def catalog(self) -> CatalogService:
        """The catalogue (its store and the Hub client), made on first use: the TUI paints its first frame
        before the card parser, YAML and the Hub client are imported (a worker asks first)."""
        with self._catalog_lock:  # the browse screen's workers may ask at the same time
            if self._catalog is None:
                from .catalog.service import CatalogService
                from .catalog.sources.hub import HubClient, stored_token
                from .catalog.store import CatalogStore

                settings = self.settings
                hub = HubClient(
                    endpoint=settings.hf_endpoint,
                    token=settings.hf_token or stored_token,
                    offline=settings.hf_offline,
                    timeout=settings.hub_timeout,
                    deadline=settings.hub_deadline,
                )
                store = CatalogStore(self.db)
                self._catalog = CatalogService(store, hub, settings.sample_dir, memory=self.memory,
                                               home=settings.home, sources=lambda: self._source_sync(store),
                                               prebuilt=settings.prebuilt_sample)
            return self._catalog

    def api_prices(self, model_id: str) -> list[HostedPrice]:
        """Where the model is hosted behind an API and at what price: (OpenRouter id, $ per 1M tokens in, out)."""
        from .catalog.source_sync import api_prices

        sync = self.catalog.sources
        return api_prices(sync.sources, model_id) if sync is not None else []

    def _source_sync(self, store: CatalogStore) -> SourceSync:
        from .catalog.source_sync import SourceSync
        from .catalog.sources.modelscope import ModelScopeClient
        from .catalog.sources.ollama import OllamaClient
        from .catalog.sources.openrouter import OpenRouterClient

        settings = self.settings
        bounds = {"timeout": settings.hub_timeout, "deadline": settings.hub_deadline}
        return SourceSync(store, self.sources,  # the one SourceStore, which `cost` reads without the clients
                          modelscope=ModelScopeClient(settings.modelscope_endpoint, **bounds),
                          openrouter=OpenRouterClient(settings.openrouter_endpoint, **bounds),
                          ollama=OllamaClient(settings.ollama_host))

    @property
    def supervisor(self) -> Supervisor:
        """The model-server supervisor, made on first use (it opens the database). Made once: at the TUI's start the
        re-attach worker and the next-step worker ask at the same time, and a second Supervisor made by the one
        adopted the detached servers out of the app's sight (the servers screen showed none)."""
        with self._supervisor_lock:
            if self._supervisor is None:
                from .serving.supervisor import Supervisor

                self._supervisor = Supervisor(self.settings.home, self.db)
            return self._supervisor

    def _store(self, key: str, cls: Any) -> Any:
        # The evals stores share the one Database with the catalogue; made on first use.
        with self._stores_lock:  # one store of each kind, whichever worker asks first
            if key not in self._stores:
                self._stores[key] = cls(self.db)
            return self._stores[key]

    @property
    def traces(self) -> TraceStore:
        """Runs and traces (evals/traces.py)."""
        from .evals.stores.traces import TraceStore

        return self._store("traces", TraceStore)  # type: ignore[no-any-return]

    @property
    def review(self) -> ReviewStore:
        """Labels and preferences (evals/labels.py)."""
        from .evals.stores.labels import ReviewStore

        return self._store("review", ReviewStore)  # type: ignore[no-any-return]

    @property
    def prompt_sets(self) -> PromptSetStore:
        """Prompt sets stored with their runs, so a run resumes without its file (evals/promptsets.py)."""
        from .evals.stores.prompt_sets import PromptSetStore

        return self._store("prompt_sets", PromptSetStore)  # type: ignore[no-any-return]

    @property
    def failures(self) -> FailureModeStore:
        """Failure modes of the failed traces and the human's edits to them (evals/failure_modes.py)."""
        from .evals.stores.failure_modes import FailureModeStore

        return self._store("failures", FailureModeStore)  # type: ignore[no-any-return]

    @property
    def judge(self) -> JudgeStore:
        """Rubrics and LLM-judge verdicts, kept apart from human labels (evals/judge.py)."""
        from .evals.stores.judge import JudgeStore

        return self._store("judge", JudgeStore)  # type: ignore[no-any-return]

    @property
    def checks(self) -> CheckStore:
        """Check results, one per trace × check, apart from labels and verdicts (evals/checks/)."""
        from .evals.stores.checks import CheckStore

        return self._store("checks", CheckStore)  # type: ignore[no-any-return]

    @property
    def load(self) -> LoadStore:
        """Load tests, their levels and each endpoint's capacity at an SLO (evals/load/)."""
        from .evals.stores.load import LoadStore

        return self._store("load", LoadStore)  # type: ignore[no-any-return]

    @property
    def prompt_versions(self) -> PromptVersionStore:
        """Named, content-hashed system prompts with few-shot examples (evals/prompts.py)."""
        from .evals.stores.prompts import PromptVersionStore

        return self._store("prompt_versions", PromptVersionStore)  # type: ignore[no-any-return]

    @property
    def grades(self) -> GradeStore:
        """What every grader says of each trace (human, checks, judge, failure mode), for the run diff."""
        from .evals.stores.grades import GradeStore

        return self._store("grades", GradeStore)  # type: ignore[no-any-return]

    @property
    def sources(self) -> SourceStore:
        """Other hubs' listings of the catalogue's models and where they are hosted behind an API, at what price
        (catalog/source_store.py), without the catalogue's clients: `cost` reads OpenRouter's synced prices."""
        from .catalog.source_store import SourceStore

        return self._store("sources", SourceStore)  # type: ignore[no-any-return]

    @property
    def prices(self) -> PriceStore:
        """Hardware prices an hour and API prices per 1M tokens, as the user set them (evals/cost.py)."""
        from .evals.stores.cost import PriceStore

        return self._store("prices", PriceStore)  # type: ignore[no-any-return]

    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """What `run_b` fixed and broke against `run_a` (evals/diff.py)."""
        from .evals.diff import diff_runs

        return diff_runs(run_a, self.grades.graded(run_a), run_b, self.grades.graded(run_b))

    def runner(self, **options: Any) -> Runner:
        """A prompt-set runner over these stores (options: concurrency, per_endpoint, timeouts); every answer is
        graded by its prompt's checks as it is stored."""
        from .evals.runner import Runner

        return Runner(self.traces, self.prompt_sets, checks=self.checks, **options)

    def compare_session(self, endpoints: Sequence[Endpoint], params: CompareParams | None = None,
                        **options: Any) -> CompareSession:
        """A compare session over these stores (options: blind, seed, timeouts); CompareError for a bad choice."""
        from .evals.compare import CompareSession

        return CompareSession(self.traces, self.review, endpoints, params, **options)

    def candidates(self, run_id: str | None = None, *, pin: bool = True, prompt_version: str | None = None,
                   costs: bool = False) -> list[Candidate]:
        """The scoreboard of `run_id` (all traces when None; of one prompt version's traces when given its id) with
        each model's provenance (evals/decision.py) and, with `costs`, its newest capacity and its cost."""
        from .evals.constraints import attach_costs
        from .evals.decision import candidates

        cands = candidates(self.traces, self.failures, self.catalog.store, run_id, pin=pin,
                           prompt_version=prompt_version)
        if costs:
            attach_costs(cands, self.load, self.prices, hosted=self.sources)
        return cands

    def side_by_side(self, context: int | None = None) -> SideBySide:
        """The shortlist's candidates as columns and their facts as rows, at `context` tokens on this machine
        (evals/shortlist.py)."""
        from .evals.shortlist import side_by_side
        from .evals.shortlist_table import DEFAULT_CONTEXT

        return side_by_side(self.catalog, self.traces, self.supervisor.registry, context or DEFAULT_CONTEXT)

    def measured(self, model_id: str) -> list[Measurement]:
        """What the engines serving `model_id` reported at load, beside the fit estimate (newest first)."""
        from .evals.shortlist import measurements

        return measurements(self.catalog, self.supervisor.registry, model_id).get(model_id, [])

    def write_report(self, run_id: str | None = None, *, bar: float = 0.8, basis: str = "low",
                     out_dir: Path | None = None, prompt_version: str | None = None,
                     constraints: Constraints | None = None) -> ReportFiles:
        """Decide and write the report (Markdown + JSON) into `out_dir`, else settings.reports_dir; with
        `constraints` (SLO, workload, budget) the load tests and prices decide too."""
        from .evals.decision import write_report

        return write_report(self.traces, self.failures, self.catalog.store, self.judge,
                            out_dir or self.settings.reports_dir, run_id=run_id, bar=bar, basis=basis,
                            prompt_version=prompt_version, constraints=constraints,
                            load=self.load if constraints else None, prices=self.prices if constraints else None,
                            hosted=self.sources if constraints else None)

    def report_inputs(self) -> ReportInputs:
        """The bar, SLO, workload and budget of the last decision report (a setting of this home), to start the
        next one from."""
        from .evals.constraints import REPORT_INPUTS, ReportInputs

        return ReportInputs.from_text(self.db.get_meta(REPORT_INPUTS))

    def save_report_inputs(self, inputs: ReportInputs) -> None:
        from .evals.constraints import REPORT_INPUTS

        self.db.set_meta(REPORT_INPUTS, inputs.to_text())

    def traces_to_judge(self, run_id: str | None, *, labelled_only: bool = True,
                        limit: int | None = None) -> list[Trace]:
        """The traces a judge run grades (evals/judge.py)."""
        from .evals.judge import traces_to_judge

        return traces_to_judge(self.traces, self.judge, run_id, labelled_only=labelled_only, limit=limit)

    async def run_judge(self, endpoint: Endpoint, traces: Sequence[Trace], rubric: str, *,
                        on_progress: Callable[[int, int, JudgeSummary], None] | None = None,
                        **options: Any) -> JudgeSummary:
        """Grade `traces` with `endpoint` under `rubric`, each verdict stored as it comes (options: concurrency,
        max_tokens, resume)."""
        from .evals.judge import run_judge

        return await run_judge(self.judge, endpoint, traces, rubric, on_progress=on_progress, **options)

    async def name_modes(self, on_progress: Callable[[int, int], None] | None = None) -> Naming | None:
        """Suggested names, by the endpoint picked for naming, for the failure modes that have none (None when no
        endpoint is picked); ServingError (one line) when that endpoint is gone or not ready."""
        import asyncio

        from .evals.mode_names import suggest_names
        from .serving.endpoints import resolve

        name = await asyncio.to_thread(self.failures.namer)
        if not name:
            return None
        endpoint = await asyncio.to_thread(resolve, self.supervisor, name)
        return await suggest_names(self.failures, endpoint, on_progress=on_progress)

    def loop_state(self) -> LoopState:
        """What is waiting in the loop, in counts (evals/next_step.py): the main screens' status line."""
        from .evals.next_step import loop_state

        return loop_state(self.supervisor, self.review, self.failures)

    def download_gguf(self, repo_id: str, filename: str, **options: Any) -> Path:
        """Every part of a (split) GGUF of `repo_id` into the Hugging Face cache, through the catalogue's Hub
        client: serving/resolve.download_gguf (options: total, sizes, progress, cancel, say)."""
        from .serving.resolve import download_gguf

        return download_gguf(self.catalog.hub, repo_id, filename, **options)

    def owned_servers(self) -> list[Any]:
        """Servers that would die with this process ([] when no server was ever asked for)."""
        return self._supervisor.owned() if self._supervisor is not None else []

    def stop_servers(self) -> None:
        """Stop the servers this process started (detached ones live on); once only, and only if the
        supervisor was ever made."""
        if self._supervisor is not None and not self._servers_stopped:
            self._servers_stopped = True
            self._supervisor.close()

    def explain(self, error: BaseException) -> BaseException:
        """`error` as the one line db.py has for it (a damaged, read-only or full database: what to do), else
        `error` itself. The UI's worker-error handler asks here: ui/ names no database module."""
        return explain(error) or error  # without the path: a notice shows only so much

    def close(self) -> None:
        """Stop the servers this process started, then close the Hub client and the database."""
        self.stop_servers()
        if self._catalog is not None:
            self._catalog.hub.close()
        self.db.close()


def preflight_db(path: Path) -> None:
    """Fail fast, with sqlite3's own message, on a database path that cannot be used (a folder, an
    unwritable place, a file that is not SQLite) — without paying for sqlite-utils yet."""
    import sqlite3

    uri = is_uri(path)  # a file: URI names no file to create
    if not uri:
        create_private(path)  # 0600 in 0700 folders, whatever the umask (home.py)
    conn = sqlite3.connect(str(path), uri=uri)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    finally:
        conn.close()


def build_services(settings: Settings, memory: Memory | None = None, *, open_db_now: bool = True) -> Services:
    """Wire the services; nothing touches the network here.

    The database is opened now (so a bad path fails here, with one message), or with
    `open_db_now=False` on first use — the TUI's first frame does not wait for it."""
    # Cheap: sqlite-utils is imported when the file is opened, the catalogue made when first asked for.
    db = Database(settings.db_path, busy_timeout_s=settings.db_busy_timeout)
    if open_db_now:
        db.open()
    if memory is None and settings.memory_spec:
        from .catalog.fit.memory import memory_from_spec

        memory = memory_from_spec(settings.memory_spec)
    return Services(settings=settings, db=db, memory=memory)

