"""The review queue: one trace at a time (prompt, reference, output, metrics), one key per verdict.

A label is committed to SQLite (one transaction, a few ms) before the next trace is shown, so whatever
the screen showed as saved survives the app being killed. Loading the queue runs in a thread worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static

from ...evals.checks import unsettled_first, verdict_of
from ...evals.labels import Progress, QueueFilter
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import metrics_line, safe, section
from ..messages import WorkFailed
from ..widgets.check_lines import graders_text
from ..widgets.next_step import NextStep
from ..widgets.ticks import TickBox
from ..widgets.trace_body import TraceBody
from ..workers import WorkerErrors

VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "skip": "bold yellow", "none": "dim"}
EMPTY = "no traces to review here: run a prompt set (P), compare endpoints (C), or `modelpick import FILE`"


@dataclass(frozen=True)
class FailNote:
    note: str
    tags: list[str]


def trace_text(trace: Any, results: Any = (), judge: dict[str, Any] | None = None) -> Text:
    """Prompt (with its system prompt), reference, output (and error), its checks and judge verdict, metrics:
    untrusted text kept as text."""
    prompt = (f"[system] {trace.system}\n\n" if trace.system else "") + trace.prompt
    text = section("prompt", prompt)
    if trace.reference:
        text.append("\n\n")
        text.append_text(section("reference", trace.reference))
    text.append("\n\n")
    text.append_text(section("output", trace.output or ""))
    if trace.error:
        text.append_text(safe(f"\nerror: {trace.error}", "red"))
    graders = graders_text(results, judge)
    if graders:
        text.append("\n\n")
        text.append_text(graders)
    text.append("\n\n" + metrics_line(trace), style="dim")
    return text


class ReviewScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "review"
    BINDINGS = bindings("review")

    def __init__(self, flt: QueueFilter | None = None) -> None:
        super().__init__()
        self.flt = flt or QueueFilter()
        self.items: list[Any] = []  # Trace objects, in queue order
        self.index = 0
        self.verdicts: dict[str, Any] = {}  # trace id → latest Label
        self.counts: dict[str, int] = {}
        self.total = 0
        self.undo_stack: list[str] = []  # trace ids labelled in this visit, most recent last
        self.choices: dict[str, list[str]] = {}
        self.loaded = False
        self.reload_on_resume = False
        self.unsettled = False  # o: what the machines cannot settle first (evals/checks.unsettled_rank)
        self.graded: dict[str, Any] = {}  # trace id → its check results
        self.judged: dict[str, Any] = {}  # trace id → its latest judge verdict row

    @property
    def review(self) -> Any:
        return self.app.services.review  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="review-progress")
        yield Static(id="review-meta")
        yield TraceBody(id="review-body")
        yield NextStep()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#review-progress", Static).update(Text("loading the review queue…", style="dim"))
        self.load()

    # --- loading (a thread worker: the queue may hold thousands of traces) ----------------------

    @dataclass
    class Loaded(Message):
        items: list[Any]  # Trace objects, in queue order
        verdicts: dict[str, Any]  # trace id → latest Label
        progress: Progress
        choices: dict[str, list[str]]  # what the filter offers: runs, models, tags
        keep: str | None  # the trace to show first, if it is still in the queue
        graded: dict[str, Any]  # trace id → its check results
        judged: dict[str, Any]  # trace id → its latest judge verdict row

    @work(thread=True, exclusive=True, group="review-load", exit_on_error=False,
          description="load the review queue")
    def load(self, keep: str | None = None) -> None:
        review, services = self.review, self.app.services  # type: ignore[attr-defined]
        items = review.queue(self.flt)
        verdicts = review.latest_many(t.id for t in items)
        graded = services.checks.results(t.id for t in items)
        judged = services.judge.latest(run_id=self.flt.run_id)
        if self.unsettled:
            by_id = {t.id: t for t in items}
            checks = {t: v for t, rs in graded.items() if (v := verdict_of(rs)) is not None}
            judge = {t: str(row["verdict"]) for t, row in judged.items()}
            items = [by_id[t] for t in unsettled_first(list(by_id), checks, judge)]
        self.post_message(self.Loaded(items, verdicts, review.progress(self.flt), review.choices(), keep, graded,
                                      judged))

    def on_review_screen_loaded(self, message: Loaded) -> None:
        self.items, self.verdicts, self.choices = message.items, message.verdicts, message.choices
        self.graded, self.judged = message.graded, message.judged
        progress = message.progress
        self.total = progress.total
        self.counts = {"pass": progress.passed, "fail": progress.failed, "skip": progress.skipped}
        ids = [t.id for t in self.items]
        self.index = ids.index(message.keep) if message.keep in ids else 0
        self.loaded = True
        self.show()

    def show_failure(self, failure: WorkFailed) -> None:
        # The "loading…" line says what failed; applying a filter (t) loads the queue again.
        self.query_one("#review-progress", Static).update(safe(failure.line, "red"))

    # --- display -------------------------------------------------------------------------------

    @property
    def current(self) -> Any | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def progress(self) -> Progress:
        return Progress(total=self.total, passed=self.counts.get("pass", 0), failed=self.counts.get("fail", 0),
                        skipped=self.counts.get("skip", 0))

    def show(self) -> None:
        line = Text(self.progress().line(), style="bold")
        if self.flt != QueueFilter():
            line.append(f"  [{self.flt.describe()}]", style="dim")
        if self.unsettled:
            line.append("  [unsettled first]", style="dim")
        # The one-line bars keep their size: no layout pass for them.
        self.query_one("#review-progress", Static).update(line, layout=False)
        trace = self.current
        meta = self.query_one("#review-meta", Static)
        body = self.query_one(TraceBody)
        if trace is None:
            meta.update(Text(EMPTY, style="yellow"), layout=False)
            body.show("", lambda: Text(""))
            return
        label = self.verdicts.get(trace.id)
        verdict = label.verdict if label else "none"
        head = Text(f"{self.index + 1}/{len(self.items)} · ")
        head.append_text(safe(trace.endpoint, "bold"))
        if trace.model and trace.model != trace.endpoint:
            head.append_text(safe(f" ({trace.model})"))
        head.append(" · ")
        head.append("unlabelled" if verdict == "none" else verdict, style=VERDICT_STYLE.get(verdict, ""))
        if label and label.note:
            head.append_text(safe(f": {label.note}", "italic"))
        meta.update(head, layout=False)
        body.show(trace.id, lambda: self._text(trace))
        if self.index + 1 < len(self.items):
            after = self.items[self.index + 1]
            self.call_after_refresh(body.prepare, after.id, lambda: self._text(after))

    def _text(self, trace: Any) -> Text:
        return trace_text(trace, self.graded.get(trace.id, ()), self.judged.get(trace.id))

    # --- labelling -----------------------------------------------------------------------------

    def commit(self, verdict: str, note: str = "", tags: list[str] | None = None) -> None:
        """Write the label (committed when this returns), then show the next trace."""
        trace = self.current
        if trace is None:
            self.notify("nothing to label here", severity="warning", markup=False)
            return
        try:
            label = self.review.label(trace.id, verdict, note, tags or [])
        except Exception as exc:  # not stored: the reviewer stays on this trace, is told why, and can press again
            self.report_failure("review-label", "save the label", exc)
            return
        self._set(trace.id, label)
        self.undo_stack.append(trace.id)
        if self.index < len(self.items) - 1:
            self.index += 1
        else:
            self.notify(f"saved: {verdict}. end of the queue ({self.progress().line()})", markup=False)
        self.show()

    def _set(self, trace_id: str, label: Any) -> None:
        old = self.verdicts.get(trace_id)
        if old is not None and old.verdict in self.counts:
            self.counts[old.verdict] -= 1
        self.verdicts[trace_id] = label
        if label.verdict in self.counts:
            self.counts[label.verdict] += 1

    def action_label_pass(self) -> None:
        self.commit("pass")

    def action_label_skip(self) -> None:
        self.commit("skip")

    def action_label_fail(self) -> None:
        trace = self.current
        if trace is None:
            return
        label = self.verdicts.get(trace.id)
        note = label.note if label and label.verdict == "fail" else ""
        tags = label.tags if label and label.verdict == "fail" else []

        def done(result: FailNote | None) -> None:
            if result is not None and self.current is trace:
                self.commit("fail", result.note, result.tags)

        self.app.push_screen(FailModal(note, tags), done)

    def action_undo(self) -> None:
        popped = bool(self.undo_stack)
        trace_id = self.undo_stack.pop() if popped else (self.current.id if self.current else None)
        if trace_id is None:
            return
        try:
            label = self.review.undo(trace_id)
        except Exception as exc:  # nothing undone: the label stays the latest, and stays undoable
            if popped:
                self.undo_stack.append(trace_id)
            self.report_failure("review-label", "undo the label", exc)
            return
        if label is None:
            self.notify("nothing to undo for this trace", markup=False)
            return
        self._set(trace_id, label)
        ids = [t.id for t in self.items]
        if trace_id in ids:
            self.index = ids.index(trace_id)
        self.notify(f"undone: now {'unlabelled' if label.verdict == 'none' else label.verdict}", markup=False)
        self.show()

    def action_next(self) -> None:
        if self.index < len(self.items) - 1:
            self.index += 1
            self.show()

    def action_previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self.show()

    def action_filter(self) -> None:
        def done(flt: QueueFilter | None) -> None:
            if flt is not None and flt != self.flt:
                self.flt = flt
                self.loaded = False
                self.undo_stack.clear()
                self.load(self.current.id if self.current else None)

        self.app.push_screen(FilterModal(self.flt, self.choices), done)

    def action_order(self) -> None:
        """As made, or what the machines cannot settle first: checks and judge disagree, then nothing graded."""
        self.unsettled = not self.unsettled
        self.loaded = False
        self.load(None)  # from the top: the first traces are what to look at now
        self.notify("order: " + ("what the machines cannot settle first" if self.unsettled else "as made"),
                    markup=False)

    def action_pairwise(self) -> None:
        from .pairwise import PairwiseScreen

        trace = self.current
        self.app.push_screen(PairwiseScreen(run_id=self.flt.run_id, start=trace.id if trace else None))

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_screen_resume(self) -> None:
        # Back from another screen (not from our own modals): traces may have been added meanwhile.
        if self.loaded and self.reload_on_resume:
            self.reload_on_resume = False
            self.load(self.current.id if self.current else None)

    def on_screen_suspend(self) -> None:
        self.reload_on_resume = not isinstance(self.app.screen, (FailModal, FilterModal))


class FailModal(ModalScreen[FailNote | None]):
    """Why it failed: a note and tags; enter saves, escape cancels (nothing is stored)."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="review-fail.cancel")]

    def __init__(self, note: str = "", tags: list[str] | None = None) -> None:
        super().__init__()
        self.note, self.tags = note, tags or []

    def compose(self) -> ComposeResult:
        with Vertical(id="fail-box"):
            yield Static(Text("fail: why?", style="bold red"))
            with Horizontal(classes="start-row"):
                yield Label("note")
                yield Input(value=self.note, placeholder="e.g. refused a harmless request", id="fail-note")
            with Horizontal(classes="start-row"):
                yield Label("tags")
                yield Input(value=", ".join(self.tags), placeholder="optional, comma separated", id="fail-tags")
            yield Static(Text("enter: save  ·  tab: tags  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#fail-note", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        note = self.query_one("#fail-note", Input).value.strip()
        raw = self.query_one("#fail-tags", Input).value
        tags = list(dict.fromkeys(t.strip() for t in raw.replace(";", ",").split(",") if t.strip()))
        self.dismiss(FailNote(note, tags))

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterModal(ModalScreen[QueueFilter | None]):
    """Which traces to review: run, model, prompt tag, unlabelled only. Enter applies, escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="review-filter.cancel"),
                Binding("ctrl+s", "apply", "Apply", id="review-filter.apply")]

    def __init__(self, flt: QueueFilter, choices: dict[str, list[str]]) -> None:
        super().__init__()
        self.flt, self.choices = flt, choices

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-box"):
            yield Static(Text("review filter", style="bold"))
            for key, label, value in (("run_id", "run", self.flt.run_id), ("model", "model", self.flt.model),
                                      ("tag", "prompt tag", self.flt.tag)):
                options = [(v, v) for v in self.choices.get(key, [])]
                with Horizontal(classes="start-row tall"):
                    yield Label(label)
                    yield Select(options, prompt="any", value=value if value in dict(options) else Select.NULL,
                                 id=f"filter-{key.replace('_', '-')}")
            yield TickBox("unlabelled only", self.flt.unlabelled, id="filter-unlabelled")
            yield Static(Text("tab: next  ·  ctrl+s: apply  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#filter-unlabelled", Checkbox).focus()

    def _value(self, wid: str) -> str | None:
        value = self.query_one(wid, Select).value
        return value if isinstance(value, str) else None

    def action_apply(self) -> None:
        self.dismiss(QueueFilter(run_id=self._value("#filter-run-id"), model=self._value("#filter-model"),
                                 tag=self._value("#filter-tag"),
                                 unlabelled=self.query_one("#filter-unlabelled", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
