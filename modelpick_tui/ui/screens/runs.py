"""Runs: every run (prompt-set runs, compare sessions, imported traces) with its status; a new run (modal),
progress with ETA and failures, cancel, resume.

A run lives in an app-level thread worker (its own asyncio loop, see evals/runner.py) held by the `RunControl`
of the app, so it goes on when this screen is closed. The screen polls that state (a few times a second) and
the database (in a thread worker) instead of receiving one message per trace.

Longer than ~400 lines on purpose: the table, the new-run modal's wiring, progress, cancel and resume all read
the one `RunControl`; the run itself (evals/runner.py) and its statuses (evals/traces.py) live in the core."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, SelectionList, Static
from textual.worker import get_current_worker

from ...evals.traces import RunError, RunHeld, RunParams, RunProgress, RunResult
from ...serving.endpoints import Endpoint, available, resolve_run_endpoints
from ...serving.params import DEFAULT_MAX_TOKENS, SamplingParams
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import Notice, WorkFailed
from ..tables import cursor_key
from ..widgets.next_step import NextStep
from ..widgets.ticks import TickList
from ..workers import WorkerErrors

POLL_S = 0.25
TABLE_POLL_S = 2.0
COLUMNS = (("name", "name", 14), ("set", "set", 10), ("endpoints", "endpoints", 16), ("done", "done", 7),
           ("failed", "fail", 4), ("status", "status", 11))
# One style per run status (evals/traces.py RUN_STATUSES; "interrupted": its process died, r resumes it).
STATUS_STYLE = {"running": "yellow", "done": "green", "cancelled": "dim", "failed": "red bold",
                "interrupted": "magenta", "imported": "cyan"}
KIND_LABEL = {"compare": "compare", "import": "import"}  # the set column of runs that have no prompt set


# --- the runs in progress (app-level) --------------------------------------------------------------------


@dataclass
class ActiveRun:
    runner: Any  # evals.runner.Runner, from services.runner()
    label: str
    run_id: str | None = None
    progress: RunProgress | None = None
    result: RunResult | None = None
    error: str | None = None
    finished: bool = False
    cancel_requested: bool = False


@dataclass
class RunControl:
    """The runs this app is running; one thread worker each."""

    app: App[Any]
    active: list[ActiveRun] = field(default_factory=list)
    changed: int = 0  # bumped when a run starts or ends: the screen then re-reads the table

    def start(self, path: str, endpoints: list[Endpoint], params: RunParams, *, concurrency: int,
              per_endpoint: int, name: str = "") -> ActiveRun:
        runner = self.app.services.runner(concurrency=concurrency, per_endpoint=per_endpoint)  # type: ignore[attr-defined]
        job = ActiveRun(runner, label=name or Path(path).stem)

        def go(worker: Any) -> RunResult:
            from ...evals.promptsets import PromptSetError, load_prompt_set

            try:
                prompt_set = load_prompt_set(path)
            except PromptSetError as exc:
                raise RunError(str(exc)) from None
            if prompt_set.errors:
                self.app.post_message(Notice(prompt_set.summary() + ": bad rows skipped", "warning"))
            return _run_until_cancelled(worker, runner, runner.run(prompt_set, endpoints, params, name=name,
                                                                   on_progress=self._progress(job)))

        self._launch(job, go)
        return job

    def resume(self, run_id: str) -> ActiveRun:
        runner = self.app.services.runner()  # type: ignore[attr-defined]
        job = ActiveRun(runner, label=run_id, run_id=run_id)

        def go(worker: Any) -> RunResult:
            from ...serving.spec import ServingError

            services = self.app.services  # type: ignore[attr-defined]
            run = services.traces.get_run(run_id)
            if run is None:
                raise RunError(f"no run {run_id}")
            params = run.get("params") or {}
            runner.concurrency = int(params.get("concurrency") or runner.concurrency)
            runner.per_endpoint = int(params.get("per_endpoint") or runner.per_endpoint)
            try:
                endpoints = resolve_run_endpoints(services.supervisor, run)
            except ServingError as exc:
                raise RunError(f"cannot resume {run_id}: {exc}") from None
            return _run_until_cancelled(worker, runner, runner.resume(run_id, endpoints,
                                                                      on_progress=self._progress(job)))

        self._launch(job, go)
        return job

    def cancel(self, job: ActiveRun) -> None:
        job.cancel_requested = True
        job.runner.cancel()

    def running(self, run_id: str | None = None) -> ActiveRun | None:
        for job in reversed(self.active):
            if not job.finished and (run_id is None or job.run_id == run_id):
                return job
        return None

    def _progress(self, job: ActiveRun) -> Any:
        def report(p: RunProgress) -> None:
            job.run_id, job.progress = p.run_id, p  # read by the screen's timer

        return report

    def _launch(self, job: ActiveRun, go: Any) -> None:
        self.active.append(job)
        self.changed += 1

        def work() -> None:
            worker = get_current_worker()
            try:
                job.result = go(worker)
            except RunError as exc:
                job.error = str(exc)
            except Exception as exc:  # one line for the user, never a traceback
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                job.finished = True
                self.changed += 1
                notice = _announcement(job)
                with contextlib.suppress(Exception):  # the app may be gone (quit during a run)
                    if notice is not None:
                        self.app.post_message(notice)

        # The run's own errors are its status (job.error, shown by the runs screen), not a worker error.
        self.app.run_worker(work, thread=True, group="prompt-runs", exit_on_error=False,
                            name=f"run {job.label}", description=f"run {job.label}")


def _announcement(job: ActiveRun) -> Notice | None:
    if job.error:
        return Notice(f"run {job.label}: {job.error}", "error")
    r = job.result
    if r is None:
        return None
    return Notice(f"run {job.label} {r.status}: {r.ok + r.failed}/{r.total} answered, {r.failed} failed",
                  "warning" if r.failed or r.status != "done" else "information")


def _run_until_cancelled(worker: Any, runner: Any, run: Any) -> RunResult:
    """Run `run` on a new event loop in this thread; the worker's cancellation (the app quitting) cancels the
    run, so no stream outlives the app."""

    async def main() -> RunResult:
        async def watch() -> None:
            while True:  # a thread worker's cancellation is a flag: nothing to await
                if worker.is_cancelled:
                    runner.cancel()
                    return
                await asyncio.sleep(0.2)

        watcher = asyncio.create_task(watch())
        try:
            return await run  # type: ignore[no-any-return]
        finally:
            watcher.cancel()

    return asyncio.run(main())


def run_control(app: App[Any]) -> RunControl:
    control = getattr(app, "run_control", None)
    if control is None:
        control = RunControl(app)
        app.run_control = control  # type: ignore[attr-defined]
    return control


# --- the new-run modal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRun:
    path: str
    endpoints: list[Endpoint]
    concurrency: int
    per_endpoint: int
    max_tokens: int | None
    name: str


class NewRunModal(ModalScreen[NewRun | None]):
    """Prompt set path, endpoints (space toggles), concurrency, max tokens, name; enter starts, escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="newrun.cancel")]
    DEFAULT_CSS = """
    NewRunModal { align: center middle; }
    #newrun-box { width: 76; height: auto; max-height: 22; border: round $accent; padding: 0 1; }
    #newrun-box .newrun-row { height: 1; margin-bottom: 1; }
    #newrun-box .newrun-row Label { width: 13; }
    #newrun-box .newrun-row Input { width: 1fr; height: 1; border: none; padding: 0; }
    #newrun-box .newrun-num Input { width: 8; }
    #newrun-box .newrun-num Label { width: auto; margin-right: 1; }
    #newrun-box .newrun-num Label.first { width: 13; margin-right: 0; }
    #newrun-endpoints { height: auto; max-height: 6; border: none; }
    """

    def __init__(self, default_path: str, endpoints: list[Endpoint]) -> None:
        super().__init__()
        self.default_path = default_path
        self.endpoints = endpoints

    def compose(self) -> ComposeResult:
        with Vertical(id="newrun-box"):
            yield Static(Text("new run: every prompt of a set to every endpoint picked", style="bold"))
            with Horizontal(classes="newrun-row"):
                yield Label("prompt set")
                yield Input(self.default_path, placeholder="a .jsonl or .csv file", id="newrun-path")
            yield Label("endpoints (space: pick)")
            yield TickList(*[(f"{e.name}  ·  {e.model}", i, len(self.endpoints) <= 4)
                                      for i, e in enumerate(self.endpoints)], id="newrun-endpoints")
            with Horizontal(classes="newrun-row newrun-num"):
                yield Label("concurrency", classes="first")
                yield Input("4", id="newrun-concurrency", type="integer")
                yield Label("per endpoint")
                yield Input("2", id="newrun-per-endpoint", type="integer")
                yield Label("max tokens")
                yield Input(str(DEFAULT_MAX_TOKENS), placeholder=f"empty: {DEFAULT_MAX_TOKENS}",
                            id="newrun-max-tokens", type="integer")
            with Horizontal(classes="newrun-row"):
                yield Label("name")
                yield Input(placeholder="optional", id="newrun-name")
            yield Static(id="newrun-notice")
            yield Static(Text("tab: next field  ·  enter: start  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        notice = self.query_one("#newrun-notice", Static)
        if not self.endpoints:
            notice.update(Text("no ready endpoints: start a server (S, then n) or add a remote one (S, then a)",
                               style="yellow"))
        else:
            notice.display = False
        self.query_one("#newrun-path", Input).focus()

    def _number(self, wid: str, low: int) -> int | None:
        text = self.query_one(f"#{wid}", Input).value.strip()
        try:
            value = int(text)
        except ValueError:
            return None
        return value if value >= low else None

    def on_input_submitted(self, _: Input.Submitted) -> None:
        notice = self.query_one("#newrun-notice", Static)
        path = self.query_one("#newrun-path", Input).value.strip()
        picked = [self.endpoints[i] for i in self.query_one("#newrun-endpoints", SelectionList).selected]
        concurrency = self._number("newrun-concurrency", 1)
        per_endpoint = self._number("newrun-per-endpoint", 1)
        max_tokens_text = self.query_one("#newrun-max-tokens", Input).value.strip()
        max_tokens = self._number("newrun-max-tokens", 1)
        problem = ("give a prompt set file" if not path else "pick at least one endpoint" if not picked
                   else "concurrency must be a number ≥ 1" if concurrency is None or per_endpoint is None
                   else "max tokens must be a number ≥ 1" if max_tokens_text and max_tokens is None else None)
        if problem:
            notice.update(Text(problem, style="yellow"))
            notice.display = True
            return
        assert concurrency is not None and per_endpoint is not None
        self.dismiss(NewRun(path, picked, concurrency, per_endpoint, max_tokens,
                            self.query_one("#newrun-name", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- the screen --------------------------------------------------------------------------------------------


class RunsScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "runs"
    BINDINGS = bindings("runs")
    AUTO_FOCUS = "#runs"
    DEFAULT_CSS = """
    RunsScreen #runs { height: 1fr; }
    RunsScreen #run-status { height: 1; }
    RunsScreen #run-progress { height: 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, Any]] = {}
        self._seen_changed = -1
        self.status_text = ""
        self.diff_from: str | None = None  # d marked this run as the "before" of a diff

    def compose(self) -> ComposeResult:
        yield Static(id="runs-title")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="run-status")
        yield ProgressBar(id="run-progress", show_eta=False)
        yield NextStep()
        yield Footer()

    @property
    def control(self) -> RunControl:
        return run_control(self.app)

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#runs-title", Static).update(Text("runs", style="bold"))
        self.load_rows()
        self.tick()
        self.set_interval(POLL_S, self.tick)
        self.set_interval(TABLE_POLL_S, self._refresh_if_running)

    # --- data ------------------------------------------------------------------------------------------

    def _refresh_if_running(self) -> None:
        # Runs of other processes too: their progress shows, and one whose process dies turns "interrupted".
        if self.control.running() is not None or any(r["status"] == "running" for r in self.rows.values()):
            self.load_rows()

    @dataclass
    class Rows(Message):
        rows: list[dict[str, Any]]  # every run with its counts (TraceStore.run_stats)

    @work(thread=True, exclusive=True, group="runs-table", exit_on_error=False, description="load the runs")
    def load_rows(self) -> None:
        rows = self.app.services.traces.run_stats()  # type: ignore[attr-defined]
        self.post_message(self.Rows(rows))

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#runs-title", Static).update(safe(failure.line, "red"))

    def on_runs_screen_rows(self, message: Rows) -> None:
        rows = message.rows
        if not self.query("#runs"):
            return
        table = self.query_one("#runs", DataTable)
        current = self.selected()
        self.rows = {r["id"]: r for r in rows}
        table.clear()
        for r in rows:
            done = r["n_ok"] + r["n_failed"]
            # Compare sessions and imports have no prompt set: their kind instead, and the answers they hold.
            origin = safe(r["set_name"] or "") if r["kind"] == "set" else Text(KIND_LABEL.get(r["kind"], ""), "dim")
            version = (r.get("params") or {}).get("prompt_version")
            if isinstance(version, dict):  # the prompt version the run used (run --prompt), after its set
                origin.append_text(safe(f" @{version.get('name') or ''}", "cyan"))
            table.add_row(
                safe(r["name"] or r["id"]), origin, safe(", ".join(str(e.get("name")) for e in r["endpoints"])),
                Text(f"{done}/{r['total']}" if r["total"] else str(done), justify="right"),
                Text(str(r["n_failed"] or ""), justify="right", style="red" if r["n_failed"] else ""),
                Text(r["status"] or "", style=STATUS_STYLE.get(r["status"] or "", "")),
                key=r["id"],
            )
        if current in self.rows:
            table.move_cursor(row=table.get_row_index(current))
        title = f"runs: {len(rows)}" if rows else "runs"
        self.query_one("#runs-title", Static).update(Text(title, style="bold"))
        if not rows and not self.control.active:
            self._status(Text("no runs yet: n starts one (a prompt set across the endpoints you pick)", style="dim"))

    def tick(self) -> None:
        control = self.control
        if control.changed != self._seen_changed:
            self._seen_changed = control.changed
            self.load_rows()
        job = control.running(self.selected()) or control.running()
        if job is None and control.active:
            job = control.active[-1]
        if job is None:
            return
        bar = self.query_one("#run-progress", ProgressBar)
        p = job.progress
        if job.error:
            self._status(safe(f"run {job.label}: {job.error}", "red"))
            return
        if p is None:
            self._status(Text(f"run {job.label}: starting…", style="yellow"))
            return
        bar.update(total=max(p.total, 1), progress=p.done)
        head = f"run {job.label}"
        if job.finished and job.result is not None:
            self._status(Text(f"{head} {job.result.status}: {p.line()}",
                              style="green" if job.result.status == "done" and not p.failed else "yellow"))
        elif job.cancel_requested:
            self._status(Text(f"{head}: cancelling… {p.line()}", style="yellow"))
        else:
            self._status(Text(f"{head}: {p.line()}", style="red" if p.failed else ""))

    def _status(self, text: Text) -> None:
        self.status_text = text.plain
        self.query_one("#run-status", Static).update(text)

    def selected(self) -> str | None:
        tables = self.query("#runs")
        if not tables:
            return None
        table = tables.first(DataTable)
        return cursor_key(table)

    # --- keys --------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_new_run(self) -> None:
        services = self.app.services  # type: ignore[attr-defined]
        endpoints = available(services.supervisor)
        default = services.settings.sample_dir / "prompts" / "support.jsonl"

        def done(request: NewRun | None) -> None:
            if request is None:
                return
            params = RunParams(sampling=SamplingParams(max_tokens=request.max_tokens or DEFAULT_MAX_TOKENS))
            self.control.start(request.path, request.endpoints, params, concurrency=request.concurrency,
                               per_endpoint=request.per_endpoint, name=request.name)
            self.tick()

        self.app.push_screen(NewRunModal(str(default), endpoints), done)

    def action_cancel_run(self) -> None:
        job = self.control.running(self.selected()) or self.control.running()
        if job is None:
            self.notify("no run in progress", severity="warning")
            return
        self.control.cancel(job)
        self.tick()

    def action_resume_run(self) -> None:
        run_id = self.selected()
        row = self.rows.get(run_id or "")
        if run_id is None or row is None:
            self.notify("no run selected", severity="warning")
            return
        if row["kind"] != "set":
            what = "a compare session" if row["kind"] == "compare" else "imported traces"
            self.notify(f"nothing to resume: only prompt-set runs resume, and this is {what}", markup=False)
            return
        if self.control.running(run_id) is not None:
            self.notify("that run is in progress", severity="warning")
            return
        if row["owner"] is not None:  # a live process holds it (`modelpick run` in a shell, another TUI)
            self.notify(str(RunHeld(run_id, row["owner"])), severity="warning", markup=False)
            return
        if row["status"] == "done" and not row["n_failed"]:
            self.notify("that run is complete: nothing to resume", markup=False)
            return
        self.control.resume(run_id)
        self.tick()

    def action_diff_runs(self) -> None:
        run_id = self.selected()
        if run_id is None:
            self.notify("no run selected", severity="warning")
            return
        if self.diff_from is None or self.diff_from == run_id:
            self.diff_from = run_id
            self.notify(f"diff from {run_id}: select the run after and press d", markup=False)
            return
        from .diff import DiffScreen

        before, self.diff_from = self.diff_from, None
        self.app.push_screen(DiffScreen(before, run_id))

    @on(DataTable.RowHighlighted, "#runs")
    def _highlighted(self) -> None:
        self.tick()
