"""f1: every key of the screen, from the one action table (the footers show only what fits 80 columns)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..actions import ACTIONS, PALETTE_HELP, key_label
from ..css import SCREENS_CSS


def keys_table(screen_name: str) -> Table:
    """The screen's own keys, then the app's: key and what it does."""
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(no_wrap=True, justify="right", style="bold cyan")
    table.add_column(ratio=1)
    for title, screen in ((f"{screen_name or 'this'} screen", screen_name), ("everywhere", "app")):
        rows = [a for a in ACTIONS if a.screen == screen and a.palette]
        if rows:
            table.add_row("", Text(title, style="bold"))
        for a in rows:
            table.add_row(key_label(a.key), Text(PALETTE_HELP.get(a.id, a.description)))
    return table


class KeysModal(ModalScreen[None]):
    CSS_PATH = SCREENS_CSS
    BINDINGS = [Binding("escape,f1", "close", "Close", id="keys.close")]

    def __init__(self, screen_name: str):
        super().__init__()
        self.screen_name = screen_name

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="keys-box"):
            yield Static(keys_table(self.screen_name), id="keys-text")
            yield Static(Text("esc or f1 closes · ctrl+p runs any of them by name", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
