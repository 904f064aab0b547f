"""The compare screen's small modals: choose endpoints, set the system prompt and sampling params, write a note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from ...evals.compare_params import MAX_PANES, MIN_PANES, CompareError, CompareParams, parse_params
from ...serving import endpoints as endpoints_mod
from ...serving.endpoints import Endpoint
from ...serving.params import DEFAULT_MAX_TOKENS
from ...untrusted import clean
from ..css import SCREENS_CSS
from ..messages import WorkFailed
from ..widgets.ticks import TickList
from ..workers import WorkerErrors


def _notice(modal: ModalScreen[Any], wid: str, text: str) -> None:
    notice = modal.query_one(wid, Static)
    notice.update(Text(text, style="yellow"))
    notice.display = bool(text)


class EndpointPickerModal(WorkerErrors, ModalScreen[list[Endpoint] | None]):
    """Space toggles an endpoint, `a` adds one by URL, enter confirms 2-4, escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("enter", "confirm", "Use these", priority=True, id="picker.confirm"),
        Binding("a", "add_remote", "Add by URL", id="picker.add"),
    ]

    def __init__(self, chosen: list[str]) -> None:
        super().__init__()
        self.chosen = list(chosen)
        self.endpoints: dict[str, Endpoint] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(Text(f"compare: choose {MIN_PANES} to {MAX_PANES} endpoints", style="bold"))
            yield TickList(id="picker-list")
            yield Static(id="picker-notice")
            yield Static(Text("space: toggle · a: add by URL · enter: use these · esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#picker-notice").display = False
        self.load()

    @dataclass
    class Found(Message):
        endpoints: list[Endpoint]  # the ready ones
        select: str | None  # one to tick as well: the endpoint just added

    @work(thread=True, exclusive=True, group="picker-load", exit_on_error=False,
          description="look for endpoints")
    def load(self, select: str | None = None) -> None:
        self.post_message(self.Found(endpoints_mod.available(self.app.services.supervisor), select))  # type: ignore[attr-defined]

    def show_failure(self, failure: WorkFailed) -> None:
        _notice(self, "#picker-notice", failure.line)

    def on_endpoint_picker_modal_found(self, message: Found) -> None:
        found, select = message.endpoints, message.select
        self.endpoints = {e.name: e for e in found}
        keep = [n for n in self.selected() or self.chosen if n in self.endpoints]
        if select and select not in keep:
            keep.append(select)
        options = self.query_one("#picker-list", SelectionList)
        options.clear_options()
        for e in found:
            label = Text(clean(e.name), style="bold")
            label.append(f"  {clean(e.model)}  ({e.backend})", style="dim")
            options.add_option(Selection(label, e.name, e.name in keep))
        if not found:
            _notice(self, "#picker-notice", "no endpoint is ready: start a server (S) or press a to add one by URL")
        options.focus()

    def selected(self) -> list[str]:
        return list(self.query_one("#picker-list", SelectionList).selected)

    def action_confirm(self) -> None:
        names = self.selected()
        if not MIN_PANES <= len(names) <= MAX_PANES:
            _notice(self, "#picker-notice", f"choose {MIN_PANES} to {MAX_PANES} endpoints ({len(names)} chosen)")
            return
        self.dismiss([self.endpoints[n] for n in names])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_add_remote(self) -> None:
        from .add_remote import AddRemoteModal, RemoteRequest

        def done(req: RemoteRequest | None) -> None:
            if req is not None:
                _notice(self, "#picker-notice", f"checking {req.base_url} …")
                self._add(req)

        self.app.push_screen(AddRemoteModal(), done)

    @dataclass
    class Added(Message):
        problem: str  # why the endpoint added is not ready ("" when it is)

    @work(thread=True, group="picker-add", exit_on_error=False, description="add the endpoint")
    def _add(self, req: Any) -> None:
        # A refused one (ServingError, a bad name) is the worker's error: the notice line says why.
        server = self.app.services.supervisor.add_remote(req.name, req.base_url, req.model, req.api_key)  # type: ignore[attr-defined]
        self.post_message(self.Added(f"{server.name}: {server.error}" if server.error else ""))
        found = endpoints_mod.available(self.app.services.supervisor)  # type: ignore[attr-defined]
        self.post_message(self.Found(found, None if server.error else server.name))

    def on_endpoint_picker_modal_added(self, message: Added) -> None:
        _notice(self, "#picker-notice", clean(message.problem))


PARAM_FIELDS = (
    ("system", "system", "system prompt (optional)"),
    ("temperature", "temperature", "0-2, empty: the server's default"),
    ("top_p", "top_p", "0-1, empty: the server's default"),
    ("max_tokens", "max_tokens", f"empty: {DEFAULT_MAX_TOKENS}"),
    ("seed", "seed", "an integer, for repeatable sampling"),
)


class CompareSettingsModal(ModalScreen[CompareParams | None]):
    """Tab between the fields; enter in any field applies (to the next prompt); escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="settings.cancel")]

    def __init__(self, params: CompareParams) -> None:
        super().__init__()
        self.params = params

    def compose(self) -> ComposeResult:
        current = {"system": self.params.system or "", **self.params.sampling.to_dict()}
        with Vertical(id="settings-box"):
            yield Static(Text("compare settings (apply to the next prompt)", style="bold"))
            for key, label, placeholder in PARAM_FIELDS:
                with Horizontal(classes="start-row"):
                    yield Label(label)
                    value = current.get(key)
                    yield Input(value="" if value is None else str(value), placeholder=placeholder,
                                id=f"param-{key}")
            yield Static(id="settings-notice")
            yield Static(Text("tab: next field · enter: apply · esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#settings-notice").display = False
        self.query_one("#param-system", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        fields = {key: self.query_one(f"#param-{key}", Input).value for key, _, _ in PARAM_FIELDS}
        try:
            params = parse_params(fields)
        except CompareError as exc:
            _notice(self, "#settings-notice", str(exc))
            return
        self.dismiss(params)

    def action_cancel(self) -> None:
        self.dismiss(None)


class VerdictNoteModal(ModalScreen[str | None]):
    """A one-line note for a pane's verdict: enter saves, escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="verdict-note.cancel")]

    def __init__(self, title: str, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="verdict-note-box"):
            yield Static(Text(clean(self.title_text), style="bold"))
            yield Input(value=self.note, placeholder="why? (enter to save, esc to cancel)", id="verdict-note")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
