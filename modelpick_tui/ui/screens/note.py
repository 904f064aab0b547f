"""A small modal asking for the shortlist note."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..css import SCREENS_CSS


class NoteModal(ModalScreen[str | None]):
    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel")]

    def __init__(self, model_id: str, note: str = ""):
        super().__init__()
        self.model_id = model_id
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Static(Text(f"shortlist {self.model_id}", style="bold"))
            yield Input(value=self.note, placeholder="why is it on the list? (enter to save, esc to cancel)",
                        id="note-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
