"""A small modal for a remote OpenAI-compatible endpoint: name, base URL, model (empty: the one the server lists,
or a pick among several), optional key; and the picker it opens when the server lists several models."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...serving.attach import RemoteRequest
from ..css import SCREENS_CSS

__all__ = ["AddRemoteModal", "PickModelModal", "RemoteRequest"]


class AddRemoteModal(ModalScreen[RemoteRequest | None]):
    """Tab between the fields; enter in any field adds; escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="remote.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="remote-box"):
            yield Static(Text("add a remote endpoint (OpenAI-compatible)", style="bold"))
            for wid, label, placeholder in (
                ("remote-name", "name", "e.g. team-gateway"),
                ("remote-url", "base URL", "http://host:8000/v1"),
                ("remote-model", "model", "empty: the one it lists at /v1/models (several: pick)"),
                ("remote-key", "API key", "optional; kept in a 0600 file, never in the database"),
            ):
                with Horizontal(classes="start-row"):
                    yield Label(label)
                    yield Input(placeholder=placeholder, id=wid, password=wid == "remote-key")
            yield Static(id="remote-notice")
            yield Static(Text("tab: next field  ·  enter: add  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#remote-notice").display = False
        self.query_one("#remote-name", Input).focus()

    def on_input_submitted(self, _: Input.Submitted) -> None:
        values = {wid: self.query_one(f"#{wid}", Input).value.strip()
                  for wid in ("remote-name", "remote-url", "remote-model", "remote-key")}
        missing = [label for wid, label in (("remote-name", "name"), ("remote-url", "base URL")) if not values[wid]]
        if missing:
            notice = self.query_one("#remote-notice", Static)
            notice.update(Text(f"missing: {', '.join(missing)}", style="yellow"))
            notice.display = True
            return
        self.dismiss(RemoteRequest(values["remote-name"], values["remote-url"], values["remote-model"] or None,
                                   values["remote-key"] or None))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickModelModal(ModalScreen[str | None]):
    """The models a server lists at /v1/models: enter picks one, escape cancels."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="remote.pick.cancel")]

    def __init__(self, where: str, models: list[str]) -> None:
        super().__init__()
        self.where = where
        self.models = models

    def compose(self) -> ComposeResult:
        with Vertical(id="remote-box"):
            yield Static(Text(f"{self.where} serves {len(self.models)} models: pick one", style="bold"))
            # Names come from the server: options are Text, never markup.
            yield OptionList(*(Option(Text(m), id=f"m{i}") for i, m in enumerate(self.models)), id="remote-models")
            yield Static(Text("enter: attach this model  ·  esc: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#remote-models", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.models[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
