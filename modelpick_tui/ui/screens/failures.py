"""Failure modes: the failed traces clustered, as a modes × models table, with a drill-down into the traces
of a mode (note and output). Opening the screen (or coming back to it) places the failed traces labelled since
into the modes as the human left them — the first time, the first clustering — with its progress on the status
line; r re-clusters them all. Rename, merge, split and move too — all in thread workers, since the clustering
and every store call are IO or heavy maths.

Longer than ~400 lines on purpose: the placing on open, the full re-cluster and the human's edits share one
`busy` guard, and which job frees the screen is only readable with all of them in view."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...evals.failure_modes import Clustering, FailedTrace, FailureModeError, Mode
from ...serving.endpoints import Endpoint
from ...untrusted import clean
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..widgets.next_step import NextStep
from ..workers import WorkerErrors
from .failure_modals import NameModal, PickModeModal

METHOD_WORDS = {"embeddings": "sentence embeddings", "tfidf": "TF-IDF"}
# The long jobs, one at a time (`busy`): a job's result frees the screen only if that job is the one running, so
# an edit made from a modal (whose closing places new failures again) cannot free it mid-naming.
PLACING, CLUSTERING, NAMING, SPLITTING = ("placing the new failed traces", "clustering", "naming the modes",
                                          "splitting")
MODEL_COLUMNS = 4  # models shown as columns at 80 columns; the rest are summed in "other"
MAX_TRACE_ROWS = 1000  # a drill-down is for reading: the first thousand traces of a mode are plenty


@dataclass
class Snapshot:
    modes: list[Mode]
    unassigned: int
    last: Clustering | None


def name_cell(mode: Mode) -> Text:
    """A person's name in bold; else the naming model's suggestion, marked so, before the top terms."""
    if mode.origin == "human":
        return safe(mode.name, "bold")
    if not mode.shown_suggestion:
        return safe(mode.name)
    cell = safe(mode.shown_suggestion, "italic")
    cell.append(" (suggested) · ", style="dim")
    cell.append_text(safe(mode.name))
    return cell


class FailuresScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "failures"
    BINDINGS = bindings("failures")
    AUTO_FOCUS = "#modes"
    DEFAULT_CSS = """
    #failures-title, #failures-status { height: 1; padding: 0 1; }
    #modes { height: 1fr; max-height: 11; }
    #mode-traces { height: 1fr; border-top: solid $primary-darken-2; }
    #trace-detail { height: 3; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot([], 0, None)
        self.models: list[str] = []
        self.marked: set[str] = set()
        self.traces: list[FailedTrace] = []
        self.busy = ""
        self.name_pending = False  # modes wait for names until the job running now ends

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.services.failures  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="failures-title")
        yield DataTable(id="modes", cursor_type="row", zebra_stripes=True)
        yield Static(id="failures-status")
        yield DataTable(id="mode-traces", cursor_type="row")
        yield Static(id="trace-detail")
        yield NextStep()
        yield Footer()

    def on_mount(self) -> None:
        traces = self.query_one("#mode-traces", DataTable)
        traces.add_column("model", key="model", width=12)
        traces.add_column("note", key="note", width=30)
        traces.add_column("output", key="output")
        self.reload()  # the modes as they are, while the new failed traces are placed
        self.place_new()

    def on_screen_resume(self) -> None:
        self.place_new()  # back from review: failures labelled meanwhile join their modes

    # --- loading ---------------------------------------------------------------------------------

    @dataclass
    class Loaded(Message):
        snapshot: Snapshot

    @dataclass
    class TracesLoaded(Message):
        traces: list[FailedTrace]

    @dataclass
    class Edited(Message):
        line: str  # what the edit, the clustering or the placing did, or why it was refused ("": nothing done)
        severity: str = "information"
        name_next: bool = False  # modes wait for a suggested name from the naming endpoint
        job: str = ""  # the long job this ends (PLACING…): only that one frees the screen; an edit frees nothing

    @dataclass
    class Progress(Message):
        line: str  # "embedding… 40%"

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FailuresScreen.Progress)  # only the latest figure is worth painting

    def place_new(self) -> None:
        """Place the failed traces no mode holds yet (the first time: cluster them), then show the modes."""
        if self.busy:
            return
        self.busy = PLACING
        self.status("looking for failed traces not in a mode…")
        self._place()

    @work(thread=True, exclusive=True, group="failures-place", exit_on_error=False,
          description="place the new failed traces")
    def _place(self) -> None:
        placed = self.store.place_unassigned("auto", self._progress)
        line = "" if placed is None else (f"{placed.line()} with {METHOD_WORDS.get(placed.method, placed.method)} "
                                          f"in {placed.seconds:.1f} s")
        self.post_message(self.Edited(line, name_next=bool(self.store.namer() and self.store.to_name()),
                                      job=PLACING))

    def _progress(self, stage: str, fraction: float) -> None:
        self.post_message(self.Progress(f"{stage}… {fraction:.0%}"))

    @work(thread=True, exclusive=True, group="failures-load", exit_on_error=False,
          description="load the failure modes")
    def reload(self) -> None:
        store = self.store
        self.post_message(self.Loaded(Snapshot(store.modes(), len(store.unassigned()), store.last_clustering())))

    def on_failures_screen_loaded(self, message: Loaded) -> None:
        self.show(message.snapshot)

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group == "failures-load":
            self.query_one("#failures-title", Static).update(safe(failure.line, "red"))
        elif failure.group in ("failures-place", "failures-cluster", "failures-name", "failures-edit"):
            self.busy = ""
            self.status(failure.line)
            self.reload()  # what the store holds now, whatever the edit left
        else:
            self.status(failure.line)

    def show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.marked &= {m.id for m in snapshot.modes}
        totals: dict[str, int] = {}
        for mode in snapshot.modes:
            for model, n in mode.per_model.items():
                totals[model] = totals.get(model, 0) + n
        models = sorted(totals, key=lambda m: (-totals[m], m))
        shown, other = models[:MODEL_COLUMNS], models[MODEL_COLUMNS:]
        table = self.query_one("#modes", DataTable)
        selected = self.selected_mode()
        table.clear(columns=True)
        table.add_column("", key="mark", width=1)
        table.add_column("mode", key="id", width=4)
        table.add_column("name", key="name", width=max(16, 46 - 7 * len(shown) - (7 if other else 0)))
        table.add_column("n", key="size", width=4)
        for model in shown:
            header = safe(model[:7])  # a model's name is the endpoint's word: untrusted
            header.overflow = "ellipsis"
            table.add_column(header, key=f"model:{model}", width=7)
        if other:
            table.add_column("other", key="model:other", width=6)
        for mode in snapshot.modes:
            cells: list[Text] = [Text("*" if mode.id in self.marked else ""), Text(mode.id), name_cell(mode),
                                 Text(str(mode.size))]
            cells += [Text(str(mode.per_model.get(m, "")) or "·") for m in shown]
            if other:
                cells.append(Text(str(sum(mode.per_model.get(m, 0) for m in other)) or "·"))
            table.add_row(*cells, key=mode.id)
        self.models = models
        if selected is not None and any(m.id == selected for m in snapshot.modes):
            table.move_cursor(row=table.get_row_index(selected))
        self._title()
        self.load_traces()

    def _title(self) -> None:
        snap = self.snapshot
        n = sum(m.size for m in snap.modes)
        parts = [f"failure modes: {len(snap.modes)}", f"{n} failed traces"]
        if snap.last is not None:
            parts.append(METHOD_WORDS.get(snap.last.method, snap.last.method))
        if snap.unassigned:
            parts.append(f"{snap.unassigned} not in a mode yet")
        self.query_one("#failures-title", Static).update(Text(" · ".join(parts), style="bold"))
        if not snap.modes and not self.busy:
            self.status("no failure modes yet: label traces 'fail' in review (V) first")
        elif not self.busy:
            self.status("enter: traces · space: mark · m: merge marked into this · e: rename · s: split")

    def status(self, text: str) -> None:
        self.query_one("#failures-status", Static).update(Text(text, style="dim"))

    def selected_mode(self) -> str | None:
        table = self.query_one("#modes", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted, "#modes")
    def _mode_highlighted(self) -> None:
        self.load_traces()

    def load_traces(self) -> None:
        self._load_traces(self.selected_mode())

    @work(thread=True, exclusive=True, group="failures-traces", exit_on_error=False,
          description="load the traces of the failure mode")
    def _load_traces(self, mode_id: str | None) -> None:
        try:
            traces = self.store.traces_of(mode_id) if mode_id else []
        except FailureModeError:
            traces = []
        self.post_message(self.TracesLoaded(traces))

    def on_failures_screen_traces_loaded(self, message: TracesLoaded) -> None:
        traces = self.traces = message.traces
        table = self.query_one("#mode-traces", DataTable)
        table.clear()
        for t in traces[:MAX_TRACE_ROWS]:
            table.add_row(safe(t.model), safe(t.note), safe(" ".join(t.output.split())[:200]), key=t.trace_id)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#mode-traces")
    def _show_detail(self) -> None:
        trace = self.selected_trace()
        detail = Text()
        if trace is not None:
            detail.append_text(safe(f"{trace.trace_id[:8]} {trace.model}: ", "dim"))
            detail.append_text(safe(trace.note or "(no note)", "bold"))
            detail.append("\n")
            detail.append_text(safe(" ".join(trace.output.split())[:300]))
        self.query_one("#trace-detail", Static).update(detail)

    def selected_trace(self) -> FailedTrace | None:
        table = self.query_one("#mode-traces", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((t for t in self.traces if t.trace_id == key), None)

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.focused is self.query_one("#mode-traces", DataTable):
            self.query_one("#modes", DataTable).focus()
        else:
            self.app.pop_screen()

    def action_open(self) -> None:
        if self.traces:
            self.query_one("#mode-traces", DataTable).focus()

    @on(DataTable.RowSelected, "#modes")
    def _mode_selected(self) -> None:
        self.action_open()

    def action_recluster(self) -> None:
        if self.busy:
            self.notify(f"busy: {self.busy}", severity="warning")
            return
        self.busy = CLUSTERING
        self.status("clustering…")
        self._recluster()

    @work(thread=True, exclusive=True, group="failures-cluster", exit_on_error=False,
          description="cluster the failed traces")
    def _recluster(self) -> None:
        result = self.store.recluster("auto", self._progress)
        self.post_message(self.Edited(f"clustered {result.n_traces} failed traces into {result.n_modes} modes "
                                      f"with {METHOD_WORDS.get(result.method, result.method)} in "
                                      f"{result.seconds:.1f} s", job=CLUSTERING))

    def on_failures_screen_progress(self, message: Progress) -> None:
        if self.busy:  # a late figure must not overwrite the result
            self.status(message.line)

    def on_failures_screen_edited(self, message: Edited) -> None:
        if message.job and message.job == self.busy:
            self.busy = ""
        if message.line:  # "" when there was nothing to place
            self.notify(message.line, markup=False, severity=message.severity)  # type: ignore[arg-type]
        self.reload()
        self.name_pending |= message.name_next
        if self.name_pending and not self.busy:  # asked for while another job ran: now
            self.name_modes()

    # --- suggested names -------------------------------------------------------------------------

    def action_namer(self) -> None:
        from .rubric import JudgeEndpointModal

        self.app.push_screen(JudgeEndpointModal("which endpoint suggests names for the failure modes?",
                                                "name the modes with it"), self._namer_picked)

    def _namer_picked(self, endpoint: Endpoint | None) -> None:
        if endpoint is not None:
            self._set_namer(endpoint.name)

    @work(thread=True, exclusive=True, group="failures-edit", exit_on_error=False,
          description="keep the naming endpoint")
    def _set_namer(self, name: str) -> None:
        self.store.set_namer(name)
        self.post_message(self.Edited(f"failure modes are named by {name}", name_next=bool(self.store.to_name())))

    def name_modes(self) -> None:
        if self.busy:
            return
        self.name_pending = False
        self.busy = NAMING
        self.status("asking for names…")
        self._name_modes()

    @work(exclusive=True, group="failures-name", exit_on_error=False, description="name the failure modes")
    async def _name_modes(self) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(self.Progress(f"naming the modes… {done}/{total}"))

        naming = await self.app.services.name_modes(progress)  # type: ignore[attr-defined]
        if naming is None:
            self.post_message(self.Edited("", job=NAMING))
            return
        line = f"{naming.named} modes named (suggested; e to take or edit one)"
        if naming.errors:
            line += f" · not named {naming.errors[0]}"
        self.post_message(self.Edited(line, "warning" if naming.errors else "information", job=NAMING))

    def _edit(self, describe: str, fn, *args, job: str = "") -> None:  # type: ignore[no-untyped-def]
        self._run_edit(describe, job, fn, *args)

    @work(thread=True, group="failures-edit", exit_on_error=False, description="edit the failure modes")
    def _run_edit(self, describe: str, job: str, fn, *args) -> None:  # type: ignore[no-untyped-def]
        try:
            fn(*args)
        except FailureModeError as exc:  # refused (an unknown mode, a split of one trace): the store says why
            self.post_message(self.Edited(str(exc), "warning", job=job))
            return
        self.post_message(self.Edited(describe, job=job))

    def action_rename(self) -> None:
        mode_id = self.selected_mode()
        mode = next((m for m in self.snapshot.modes if m.id == mode_id), None)
        if mode is None:
            return

        def done(name: str | None) -> None:
            if name:
                self._edit(f"{mode.id} is now {name!r}", self.store.rename, mode.id, name)

        self.app.push_screen(NameModal(f"rename {mode.id} ({mode.size} traces)",
                                       mode.shown_suggestion or mode.name), done)

    def action_mark(self) -> None:
        mode_id = self.selected_mode()
        if mode_id is None:
            return
        self.marked ^= {mode_id}
        table = self.query_one("#modes", DataTable)
        table.update_cell(mode_id, "mark", Text("*" if mode_id in self.marked else ""))

    def action_merge(self) -> None:
        into = self.selected_mode()
        others = sorted(self.marked - {into}) if into else []
        if not into or not others:
            self.notify("mark modes with space, then press m on the mode to merge them into", severity="warning")
            return
        self.marked.clear()
        self._edit(f"merged {', '.join(others)} into {into}", self.store.merge, into, others)

    def action_split(self) -> None:
        mode_id = self.selected_mode()
        if mode_id is None:
            return
        if self.busy:
            self.notify(f"busy: {self.busy}", severity="warning")
            return
        self.busy = SPLITTING
        self.status(f"splitting {mode_id}…")
        self._edit(f"split {mode_id} in two", self.store.split, mode_id, job=SPLITTING)

    def action_move(self) -> None:
        trace = self.selected_trace()
        mode_id = self.selected_mode()
        if trace is None or mode_id is None or self.focused is not self.query_one("#mode-traces", DataTable):
            self.notify("enter a mode, pick a trace, then press t to move it", severity="warning")
            return

        def done(target: str | None) -> None:
            if target:
                self._edit(f"moved {clean(trace.trace_id[:8])} to {target}", self.store.move, trace.trace_id,
                           target)

        self.app.push_screen(PickModeModal(self.snapshot.modes, mode_id), done)
