"""The failure-mode screen's modals: a mode's name, and the mode a trace moves to."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...evals.failure_modes import Mode
from ..css import SCREENS_CSS
from ..format import safe


class NameModal(ModalScreen[str | None]):
    """Ask for a failure mode's name."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="failures.name.cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Static(safe(self.title_text, "bold"))
            yield Input(value=self.value, placeholder="name (enter to save, esc to cancel)", id="mode-name")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickModeModal(ModalScreen[str | None]):
    """Pick the mode a trace moves to."""

    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="failures.pick.cancel")]

    def __init__(self, modes: list[Mode], exclude: str) -> None:
        super().__init__()
        self.modes = [m for m in modes if m.id != exclude]

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box"):
            yield Static(Text("move the trace to…", style="bold"))
            yield OptionList(*(Option(safe(f"{m.id}  {m.name}  ({m.size})"), id=m.id) for m in self.modes),
                             id="pick-mode")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
