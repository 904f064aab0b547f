"""The scoreboard: per model pass rate with its 95% interval, latency, tokens/s, win rate; a chart of each
model's interval with its pass rate; keys to write the decision report (`w`: a modal takes the bar, SLO, workload
and budget, as `modelpick report` does; the chosen model and each rejected one's constraint are then shown), edit the
rubric and run the LLM judge (whose agreement with the human labels is shown, with a warning when kappa says not to
trust it). `c` turns to
capacity: beside the pass rate each model's capacity at its load test's SLO and $/1M output tokens, and a chart of
SLO attainment, then of tokens/s per user, against concurrency, one line per model.

Loading (SQL, GGUF metadata) and the report (a file hash) run in thread workers; the judge is an async
worker (its HTTP is async and its database writes go to a thread), so the screen never blocks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual_plotext import PlotextPlot

from ...catalog.units import format_params
from ...evals import scoreboard
from ...untrusted import clean
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..widgets.capacity import capacity_cells, capacity_words, draw_load_chart
from ..workers import WorkerErrors
from .report_modal import ReportKeys

# At 80 columns every column stays in view (each cell has one column of padding either side).
COLUMNS = (("model", "model", 17), ("params", "params", 6), ("labelled", "lab", 4), ("pass", "pass  95% CI", 12),
           ("latency", "p50 ms", 6), ("p95", "p95 ms", 6), ("tps", "tok/s", 5), ("win", "win", 4))
SORT_LABEL = {"pass": "pass rate", "low": "CI lower bound", "labelled": "labelled", "traces": "traces",
              "params": "parameters", "latency": "latency p50", "ttft": "TTFT p50", "tps": "tokens/s",
              "win": "win rate", "model": "model"}
# The capacity view's columns: the pass rate stays beside capacity and cost ("not measured" fits in 12).
CAPACITY_COLUMNS = (("model", "model", 17), ("params", "params", 6), ("labelled", "lab", 4),
                    ("pass", "pass  95% CI", 12), ("capacity", "users @SLO", 12), ("cost", "$/1M out", 12))
BARS = (0.8, 0.9, 0.95, 0.5, 0.6, 0.7)  # the pass rate a model must reach; `b` cycles through them
# `c` cycles: the quality view, then capacity with the attainment chart, then with the tokens/s per user chart.
VIEWS = ("quality", "attainment", "tps")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _short(name: str, width: int = 14) -> str:
    tail = name.rsplit("/", 1)[-1]
    return tail if len(tail) <= width else tail[: width - 1] + "…"


class ScoreboardScreen(ReportKeys, WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "scoreboard"
    BINDINGS = bindings("scoreboard")
    AUTO_FOCUS = "#scoreboard"
    DEFAULT_CSS = """
    #scoreboard { height: auto; max-height: 9; }
    #scoreboard-chart { height: 1fr; min-height: 6; }
    #scoreboard-detail { height: auto; max-height: 4; }
    #scoreboard-status { height: auto; max-height: 7; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.candidates: list[Any] = []  # evals.decision.Candidate, as loaded
        self.sort = "pass"
        self.bar = BARS[0]
        self.run_id: str | None = None  # None: all runs
        self.runs: list[str] = []
        self.status_text = ""
        self.status_severity = "information"
        self.report_paths: tuple[str, str] | None = None
        self.report_inputs: Any = None  # evals.constraints.ReportInputs: the last report's bar and constraints
        self.decision_lines: list[str] = []  # under the status: each rejected candidate and its constraint
        self.verdicts: dict[str, str] = {}  # model → why the last report chose or rejected it
        self.agreement: Any = None  # evals.judge.AgreementReport after a judge run
        self.loaded = False
        self.view = VIEWS[0]

    def compose(self) -> ComposeResult:
        yield Static(id="scoreboard-title")
        yield DataTable(id="scoreboard", cursor_type="row", zebra_stripes=True)
        yield Static(id="scoreboard-detail")
        yield PlotextPlot(id="scoreboard-chart")
        yield Static(id="scoreboard-status")
        yield Footer()

    def on_mount(self) -> None:
        self.set_columns()
        self.query_one("#scoreboard-title", Static).update(Text("loading the scoreboard…", style="dim"))
        self.load()

    # --- loading ---------------------------------------------------------------------------------

    @property
    def services(self) -> Any:
        return self.app.services  # type: ignore[attr-defined]

    @dataclass
    class Loaded(Message):
        candidates: list[Any]  # evals.decision.Candidate
        runs: list[str]  # the runs with traces, for `r` to cycle through
        report_inputs: Any = None  # evals.constraints.ReportInputs of the last report

    @work(thread=True, exclusive=True, group="scoreboard-load", exit_on_error=False,
          description="load the scoreboard")
    def load(self) -> None:
        # pin=False: hashing a multi-GB GGUF waits for the report; parameters and licence come now.
        cands = self.services.candidates(self.run_id, pin=False, costs=True)
        runs = [r["id"] for r in self.services.traces.runs() if r.get("n_traces")]
        self.post_message(self.Loaded(cands, runs, self.services.report_inputs()))

    def on_scoreboard_screen_loaded(self, message: Loaded) -> None:
        if self.report_inputs is None and message.report_inputs is not None:
            # The first load: the last report's inputs, and its bar for the chart (a bad stored one: the default).
            # Later loads keep this screen's own (a reload on the modal's closing read the setting before the
            # report's worker saved it).
            self.report_inputs = message.report_inputs
            try:
                self.bar = message.report_inputs.parse()[0]
            except ValueError:
                pass
        self.candidates, self.runs, self.loaded = message.candidates, message.runs, True
        self.show()

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group == "scoreboard-load" and not self.loaded:
            # The "loading…" title says what failed instead; r tries again.
            self.query_one("#scoreboard-title", Static).update(safe(f"{failure.line} (r: try again)", "red"))
        else:
            self.set_status(failure.line, "error")

    # --- display ---------------------------------------------------------------------------------

    def ordered(self) -> list[Any]:
        by_model = {c.score.model: c for c in self.candidates}
        return [by_model[s.model] for s in scoreboard.sort_scores([c.score for c in self.candidates], self.sort)]

    def set_columns(self) -> None:
        table = self.query_one("#scoreboard", DataTable)
        table.clear(columns=True)
        for key, label, width in COLUMNS if self.view == "quality" else CAPACITY_COLUMNS:
            table.add_column(label, key=key, width=width)

    def show(self) -> None:
        table = self.query_one("#scoreboard", DataTable)
        keep = self.selected()
        table.clear()
        rows = self.ordered()
        for c in rows:
            s = c.score
            rate = s.pass_rate
            passed = (f"{rate.estimate:.0%} {rate.low * 100:.0f}–{rate.high * 100:.0f}" if s.labelled
                      else "no labels")
            bar = self.bar
            style = "" if not s.labelled else ("green" if rate.low >= bar else "red" if rate.high < bar else "yellow")
            first = (safe(s.model), Text(format_params(c.provenance.params)), Text(str(s.labelled)),
                     Text(passed, style=style))
            if self.view == "quality":
                win = f"{s.win.rate.estimate:.0%}" if s.win and s.win.decided else ""
                table.add_row(*first, Text(_ms(s.latency_p50)), Text(_ms(s.latency_p95)),
                              Text("" if s.tokens_per_s is None else f"{s.tokens_per_s:.1f}"), Text(win), key=s.model)
            else:
                table.add_row(*first, *capacity_cells(c.cost), key=s.model)
        if keep in {c.score.model for c in rows}:
            table.move_cursor(row=table.get_row_index(keep))
        scope = f"run {self.run_id}" if self.run_id else "all runs"
        title = (f"scoreboard: {scope} · {len(rows)} model{'s' if len(rows) != 1 else ''} · "
                 f"sorted by {SORT_LABEL[self.sort]} · bar {self.bar:.2f}")
        self.query_one("#scoreboard-title", Static).update(safe(title, "bold"))
        self.show_detail()
        if self.view == "quality":
            self.draw_chart(rows)
        else:
            draw_load_chart(self.query_one("#scoreboard-chart", PlotextPlot), rows, self.view, _short)
        self.show_status()

    def selected(self) -> str | None:
        table = self.query_one("#scoreboard", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def show_detail(self) -> None:
        name = self.selected()
        c = next((c for c in self.candidates if c.score.model == name), None)
        detail = self.query_one("#scoreboard-detail", Static)
        if c is None:
            empty = "no traces yet: run a prompt set (P) or compare endpoints (C)"
            detail.update(Text(empty if self.loaded and not self.candidates else "", style="yellow"))
            return
        s = c.score
        modes = ", ".join(f"{k} ({v})" for k, v in list(s.failure_modes.items())[:4]) or "none"
        ttft = f"ttft p50/p95 {_ms(s.ttft_p50)}/{_ms(s.ttft_p95)} ms" if s.ttft_p50 is not None else "no ttft"
        line = (f"{s.traces} traces, {s.errors} errors, {s.skipped} skipped · {ttft} · "
                f"licence {c.provenance.license or 'unknown'}\nfailure modes: {modes}")
        if self.view != "quality":  # the capacity view: what the load test and the price say, then the modes
            line = f"{capacity_words(c.cost)}\nfailure modes: {modes}"
        if s.model in self.verdicts:  # the last report's word on it, with the figure
            line += f"\n{self.verdicts[s.model]}"
        detail.update(safe(line, "dim"))

    def on_screen_resume(self) -> None:
        if self.loaded:  # back from review or failure modes: the labels may have changed
            self.load()

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def draw_chart(self, rows: list[Any]) -> None:
        chart = self.query_one("#scoreboard-chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        # plotext's y axis runs bottom-up: reversed, the table's first row is the chart's top row.
        labelled = [c for c in rows if c.score.labelled][:8][::-1]
        if labelled:
            # Each model's 95% interval as an interval, [────┃──], its pass rate the tick inside it: what a
            # reader compares is where the intervals lie and whether they overlap, which three stacked bars
            # from 0 hid. The red line is the bar the decision applies.
            plt.vline(self.bar * 100, "red")
            for y, c in enumerate(labelled, start=1):
                r = c.score.pass_rate
                plt.plot([r.low * 100, r.high * 100], [y, y], marker="─", color="cyan")
                plt.scatter([r.low * 100], [y], marker="[", color="cyan")
                plt.scatter([r.high * 100], [y], marker="]", color="cyan")
                plt.scatter([r.estimate * 100], [y], marker="┃", color="green")
            plt.yticks(list(range(1, len(labelled) + 1)), [_short(c.score.model) for c in labelled])
            plt.ylim(0.5, len(labelled) + 0.5)
            plt.xlim(0, 100)
            plt.title(f"pass rate %: [95% interval ┃ estimate] (bar {self.bar:.0%})")
        else:
            plt.title("pass rate: no labelled traces yet (review them: V)")
        chart.refresh()

    # --- keys ------------------------------------------------------------------------------------

    def action_cycle_view(self) -> None:
        before = self.view
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        if (before == "quality") != (self.view == "quality"):
            self.set_columns()
        self.show()

    def action_cycle_sort(self) -> None:
        keys = scoreboard.SORT_KEYS
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.show()

    def action_cycle_bar(self) -> None:
        # A bar typed in the report's modal (0.85) is not one of BARS: the cycle starts again from the first.
        self.bar = BARS[(BARS.index(self.bar) + 1) % len(BARS)] if self.bar in BARS else BARS[0]
        self.show()

    def action_cycle_run(self) -> None:
        self.verdicts, self.decision_lines = {}, []  # the last report decided on another scope
        scopes: list[str | None] = [None, *self.runs]
        i = scopes.index(self.run_id) if self.run_id in scopes else 0
        self.run_id = scopes[(i + 1) % len(scopes)]
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def set_status(self, text: str, severity: str = "information", decision_lines: list[str] | None = None) -> None:
        self.status_text, self.status_severity = text, severity
        self.decision_lines = decision_lines or []
        self.show_status()

    def show_status(self) -> None:
        head = safe(self.status_text, {"warning": "yellow", "error": "red"}.get(self.status_severity, ""))
        # One line each (cut at the edge): the figure is in the selected row's detail and in the report.
        rest = [Text(clean(line), no_wrap=True, overflow="ellipsis") for line in self.decision_lines]
        self.query_one("#scoreboard-status", Static).update(Group(head, *rest) if rest else head)

    # the report

    # the rubric

    def action_edit_rubric(self) -> None:
        self.load_rubric()

    @dataclass
    class RubricLoaded(Message):
        text: str
        drafted: bool  # no rubric yet: `text` is a draft from the failure modes

    @work(thread=True, exclusive=True, group="scoreboard-rubric", exit_on_error=False,
          description="load the rubric")
    def load_rubric(self) -> None:
        store = self.services.judge
        found = store.rubric(self.run_id)
        text, drafted = (found.text, False) if found else (store.draft_rubric(self.run_id), True)
        self.post_message(self.RubricLoaded(text, drafted))

    def on_scoreboard_screen_rubric_loaded(self, message: RubricLoaded) -> None:
        from .rubric import RubricModal

        scope = f"run {self.run_id}" if self.run_id else "all runs"
        self.app.push_screen(RubricModal(message.text, scope, message.drafted), self._rubric_done)

    def _rubric_done(self, text: str | None) -> None:
        if text is not None:
            self.save_rubric(text)

    @dataclass
    class RubricSaved(Message):
        lines: int
        sha256: str

    @work(thread=True, exclusive=True, group="scoreboard-rubric", exit_on_error=False,
          description="save the rubric")
    def save_rubric(self, text: str) -> None:
        rubric = self.services.judge.set_rubric(self.run_id, text)
        self.post_message(self.RubricSaved(len(text.splitlines()), rubric.sha256))

    def on_scoreboard_screen_rubric_saved(self, message: RubricSaved) -> None:
        self.set_status(f"rubric saved ({message.lines} lines, sha256 {message.sha256[:12]})")

    # the judge

    def action_run_judge(self) -> None:
        self.check_rubric()

    @dataclass
    class JudgeRubric(Message):
        rubric: Any  # evals.judge.Rubric, or None when there is none to judge by

    @work(thread=True, exclusive=True, group="scoreboard-rubric", exit_on_error=False,
          description="load the rubric")
    def check_rubric(self) -> None:
        self.post_message(self.JudgeRubric(self.services.judge.rubric(self.run_id)))

    def on_scoreboard_screen_judge_rubric(self, message: JudgeRubric) -> None:
        from .rubric import JudgeEndpointModal

        rubric = message.rubric
        if rubric is None:
            self.set_status("no rubric to judge by: write one first (e)", "warning")
            return
        self.app.push_screen(JudgeEndpointModal(), lambda endpoint: self._judge_picked(endpoint, rubric))

    def _judge_picked(self, endpoint: Any, rubric: Any) -> None:
        if endpoint is not None:
            self.judge(endpoint, rubric)

    @work(exclusive=True, group="scoreboard-judge", exit_on_error=False, description="run the judge")
    async def judge(self, endpoint: Any, rubric: Any) -> None:
        store = self.services.judge
        traces = await asyncio.to_thread(self.services.traces_to_judge, self.run_id)
        if not traces:
            self.set_status("nothing to judge: no trace has a human pass/fail label yet (review them: V)",
                            "warning")
            return
        self.set_status(f"judging {len(traces)} traces with {endpoint.name}…")

        def progress(done: int, total: int, summary: Any) -> None:
            self.set_status(f"judging with {endpoint.name}: {done}/{total} · {summary.passed} pass, "
                            f"{summary.failed} fail, {summary.errors} error")

        summary = await self.services.run_judge(endpoint, traces, rubric.text, on_progress=progress)
        agreement = await asyncio.to_thread(store.agreement, run_id=self.run_id, judge_model=endpoint.model)
        self.agreement = agreement
        line = (f"judge {endpoint.name}: {summary.passed} pass, {summary.failed} fail, {summary.errors} error"
                f"\n{agreement.summary()}")
        warning = agreement.warning()
        if warning:
            line += f"\nwarning: {warning}"
        self.set_status(line, "warning" if warning else "information")
