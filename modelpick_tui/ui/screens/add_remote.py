"""A small modal for a remote OpenAI-compatible endpoint: name, base URL, model, optional key."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


@dataclass(frozen=True)
class RemoteRequest:
    name: str
    base_url: str
    model: str
    api_key: str | None


class AddRemoteModal(ModalScreen[RemoteRequest | None]):
    """Tab between the fields; enter in any field adds; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="remote.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="remote-box"):
            yield Static(Text("add a remote endpoint (OpenAI-compatible)", style="bold"))
            for wid, label, placeholder in (
                ("remote-name", "name", "e.g. team-gateway"),
                ("remote-url", "base URL", "http://host:8000/v1"),
                ("remote-model", "model", "the model name it serves"),
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
        missing = [label for wid, label in (("remote-name", "name"), ("remote-url", "base URL"),
                                            ("remote-model", "model")) if not values[wid]]
        if missing:
            notice = self.query_one("#remote-notice", Static)
            notice.update(Text(f"missing: {', '.join(missing)}", style="yellow"))
            notice.display = True
            return
        self.dismiss(RemoteRequest(values["remote-name"], values["remote-url"], values["remote-model"],
                                   values["remote-key"] or None))

    def action_cancel(self) -> None:
        self.dismiss(None)
