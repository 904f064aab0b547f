"""The scoreboard's modals: edit the rubric (a TextArea), and pick the endpoint that judges."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ...serving import endpoints as endpoints_mod
from ...serving.endpoints import Endpoint
from ...untrusted import clean
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..workers import WorkerErrors


class RubricModal(ModalScreen[str | None]):
    """ctrl+s saves, escape cancels. The text is the user's own; it is edited as plain text."""

    CSS_PATH = SCREENS_CSS
    DEFAULT_CSS = """
    RubricModal { align: center middle; }
    #rubric-box { width: 78; height: 22; border: round $primary; padding: 0 1; background: $surface; }
    #rubric-text { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="rubric.cancel"),
        Binding("ctrl+s", "save", "Save", priority=True, id="rubric.save"),
    ]

    def __init__(self, text: str, scope: str, drafted: bool = False) -> None:
        super().__init__()
        self.text = text
        self.scope = scope
        self.drafted = drafted

    def compose(self) -> ComposeResult:
        with Vertical(id="rubric-box"):
            head = f"rubric for {self.scope}" + (" (a draft from the failure modes: edit it)" if self.drafted else "")
            yield Static(Text(clean(head), style="bold"))
            yield TextArea(self.text, id="rubric-text", soft_wrap=True)
            yield Static(Text("ctrl+s: save · esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify("the rubric is empty: nothing saved", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class JudgeEndpointModal(WorkerErrors, ModalScreen[Endpoint | None]):
    """The ready servers and remote endpoints; enter picks the judge, escape cancels."""

    CSS_PATH = SCREENS_CSS
    DEFAULT_CSS = """
    JudgeEndpointModal { align: center middle; }
    #judge-box { width: 70; height: auto; max-height: 20; border: round $primary; padding: 0 1;
                 background: $surface; }
    #judge-list { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="judge.cancel")]

    def __init__(self, question: str = "judge: which endpoint grades the traces?", verb: str = "judge with it") -> None:
        super().__init__()  # the failure-mode screen asks the same of the endpoint that names its modes
        self.endpoints: list[Endpoint] = []
        self.question, self.verb = question, verb

    def compose(self) -> ComposeResult:
        with Vertical(id="judge-box"):
            yield Static(Text(self.question, style="bold"))
            yield OptionList(id="judge-list")
            yield Static(Text("looking for endpoints…", style="dim"), id="judge-hint")

    def on_mount(self) -> None:
        self.load()

    @dataclass
    class Found(Message):
        endpoints: list[Endpoint]  # the ready servers and remote endpoints

    @work(thread=True, exclusive=True, group="judge-endpoints", exit_on_error=False,
          description="look for endpoints")
    def load(self) -> None:
        self.post_message(self.Found(endpoints_mod.available(self.app.services.supervisor)))  # type: ignore[attr-defined]

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#judge-hint", Static).update(safe(f"{failure.line} · esc: cancel", "red"))

    def on_judge_endpoint_modal_found(self, message: Found) -> None:
        found = message.endpoints
        self.endpoints = found
        options = self.query_one(OptionList)
        options.clear_options()
        for e in found:
            options.add_option(Option(Text(clean(f"{e.name}  ({e.backend}, {e.model})")), id=e.name))
        hint = (f"enter: {self.verb} · esc: cancel" if found else
                "no ready endpoint: start a server (S) or add a remote one, then come back")
        self.query_one("#judge-hint", Static).update(Text(hint, style="dim"))
        if found:
            options.highlighted = 0
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next((e for e in self.endpoints if e.name == event.option.id), None)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
