"""The Textual app: screens, keys and the command palette. All IO goes through the services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from .actions import bindings
from .commands import ActionsProvider, ModelsProvider

if TYPE_CHECKING:
    from ..services import Services
    from ..settings import Settings


class ModelpickApp(App[None]):
    TITLE = "modelpick"
    CSS_PATH = Path(__file__).with_name("modelpick.tcss")
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider, ModelsProvider}
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, settings: Settings, services: Services):
        super().__init__()
        self.settings = settings
        self.services = services

    @property
    def catalog(self):  # type: ignore[no-untyped-def]
        return self.services.catalog

    def get_default_screen(self) -> Screen:
        from .screens.browse import BrowseScreen

        return BrowseScreen()

    def open_card(self, model_id: str) -> None:
        from .screens.card import CardScreen

        self.push_screen(CardScreen(model_id))

    def action_show_shortlist(self) -> None:
        from .screens.shortlist import ShortlistScreen

        if not isinstance(self.screen, ShortlistScreen):
            self.push_screen(ShortlistScreen())

    def shortlist_with_note(self, model_id: str, note: str = "") -> None:
        """Ask for a note, then add (or update) the model on the shortlist."""
        from .messages import CatalogChanged
        from .screens.note import NoteModal

        def done(value: str | None) -> None:
            if value is None:
                return
            self.catalog.shortlist_add(model_id, value)
            self.notify(f"shortlisted {model_id}", markup=False)
            self.screen.post_message(CatalogChanged())

        self.push_screen(NoteModal(model_id, note), done)
