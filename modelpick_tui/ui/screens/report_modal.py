"""The decision report's modal (`w` on the scoreboard): the bar, and the SLO, workload and budget the chosen model
must also meet, as `modelpick report --bar --slo --workload --budget` takes them. Prefilled with the last values
used (a setting of the home); an empty field is a constraint not applied. The texts are parsed by the
ReportInputs object handed in (evals/constraints.py: the CLI's own parsers), so a bad one is the CLI's one line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ...untrusted import clean
from ..css import SCREENS_CSS
from ..workers import WorkerErrors

# (ReportInputs field, label, placeholder): what each takes, and what empty means.
FIELDS = (
    ("bar", "bar", "pass rate 0-1 (or %), e.g. 0.8"),
    ("slo", "SLO", "ttft=500ms,tpot=50ms · empty: not applied"),
    ("workload", "workload", "2rps[,in=800,out=300] or 10Mtok/month"),
    ("budget", "budget", "3000/month (needs a workload) · empty: none"),
)


class ReportModal(ModalScreen[Any]):
    """Tab between the fields; enter in any field writes the report; escape cancels. Dismisses with (the inputs as
    typed, the bar, the constraints or None) for the scoreboard to decide with."""

    CSS_PATH = SCREENS_CSS
    DEFAULT_CSS = """
    ReportModal { align: center middle; }
    #report-box { width: 76; height: auto; max-height: 22; border: round $primary; padding: 0 1;
        background: $surface; }
    #report-notice { height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="report.cancel")]

    def __init__(self, inputs: Any, scope: str) -> None:
        super().__init__()
        self.inputs = inputs  # evals.constraints.ReportInputs
        self.scope = scope

    def compose(self) -> ComposeResult:
        with Vertical(id="report-box"):
            yield Static(Text(clean(f"decision report ({self.scope}): the smallest model meeting all of these"),
                              style="bold"))
            for key, label, placeholder in FIELDS:
                with Horizontal(classes="start-row"):
                    yield Label(label)
                    yield Input(value=clean(getattr(self.inputs, key)), placeholder=placeholder, id=f"report-{key}")
            yield Static(id="report-notice")
            yield Static(Text("tab: next field · enter: write the report · esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#report-notice").display = False
        self.query_one("#report-bar", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        typed = replace(self.inputs, **{key: self.query_one(f"#report-{key}", Input).value.strip()
                                        for key, _, _ in FIELDS})
        try:
            bar, constraints = typed.parse()
        except ValueError as exc:  # SloError, CostError, a bar out of range, a budget without a workload
            notice = self.query_one("#report-notice", Static)
            notice.update(Text(clean(str(exc)), style="yellow"))
            notice.display = True
            return
        self.dismiss((typed, bar, constraints))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReportKeys(WorkerErrors):
    """The scoreboard's `w`: the modal, then the report written in a worker with the same decision function the
    CLI uses (Services.write_report), the inputs kept as the next report's, and what it decided shown: the status
    names the chosen model and each rejected one's constraint, the selected row's detail the figure. A mixin of
    ScoreboardScreen (which has the run, the bar, the status and the detail)."""

    if TYPE_CHECKING:  # ScoreboardScreen's (and Screen's), for the type checker only: at run time they are its own
        services: Any
        app: Any
        run_id: str | None
        bar: float
        report_inputs: Any
        report_paths: tuple[str, str] | None
        verdicts: dict[str, str]

        def set_status(self, text: str, severity: str = ..., decision_lines: list[str] | None = ...) -> None: ...
        def show(self) -> None: ...
        def show_detail(self) -> None: ...
        def notify(self, message: str, *, title: str = ..., markup: bool = ...) -> None: ...
        def post_message(self, message: Message) -> bool: ...

    def action_write_report(self) -> None:
        if self.report_inputs is None:
            self.set_status("the scoreboard is still loading: try again in a moment", "warning")
            return
        scope = f"run {self.run_id}" if self.run_id else "all runs"
        # The bar the scoreboard shows (`b` may have changed it since the last report), the rest as last used.
        inputs = replace(self.report_inputs, bar=f"{self.bar:g}")
        self.app.push_screen(ReportModal(inputs, scope), self._report_chosen)

    def _report_chosen(self, chosen: Any) -> None:
        if chosen is None:
            return
        inputs, bar, constraints = chosen
        self.report_inputs, self.bar = inputs, bar
        self.show()
        self.set_status("writing the decision report…")
        self.write_report(inputs, bar, constraints)

    @dataclass
    class ReportWritten(Message):
        files: Any  # evals.decision.ReportFiles

    @work(thread=True, exclusive=True, group="scoreboard-report", exit_on_error=False,
          description="write the decision report")
    def write_report(self, inputs: Any, bar: float, constraints: Any) -> None:
        files = self.services.write_report(self.run_id, bar=bar, constraints=constraints)
        self.services.save_report_inputs(inputs)
        self.post_message(self.ReportWritten(files))

    def on_report_keys_report_written(self, message: ReportWritten) -> None:
        files = message.files
        self.report_paths = (str(files.markdown_path), str(files.json_path))
        d = files.decision
        also = f" and {d.constraints.words()}" if d.constraints else ""
        head = f"chosen {d.model}" if d.model else f"no model meets the bar {d.bar:.2f}{also}"
        self.verdicts = {c.score.model: _verdict(c) for c in ([d.chosen] if d.chosen else []) + d.rejected}
        # Each constraint by its name; one that met them all but is larger (or slower) than the chosen: not chosen.
        lines = [f"✗ {c.score.model} · {c.rejected_by or 'not chosen'}: {c.reason}" for c in d.rejected]
        self.set_status(f"{head} · report {files.markdown_path} (+ .json)",
                        "information" if d.model else "warning", lines)
        self.show_detail()
        self.notify(f"{head}\n{files.markdown_path}\n{files.json_path}", title="decision report", markup=False)


def _verdict(c: Any) -> str:
    """What the last report said of a candidate (evals.decision.Candidate), for its detail line."""
    if c.rejected_by:
        return f"report: rejected by {c.rejected_by}: {c.reason}"
    return f"report: {'chosen' if c.reason.startswith('smallest') else 'not chosen'}: {c.reason}"
