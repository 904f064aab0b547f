"""One model's card: facts, evals, card-quality checklist, fit per quant, and the card text."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Markdown, Static

from ...catalog.details import ModelDetails
from ...evals.shortlist_table import Measurement
from ...untrusted import clean
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import CatalogChanged, WorkFailed
from ..widgets import card_view
from ..widgets.measured_view import measured_section
from ..workers import WorkerErrors


class CardScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "card"
    BINDINGS = bindings("card")

    def __init__(self, model_id: str):
        super().__init__()
        self.model_id = model_id
        self.details: ModelDetails | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(self.model_id, style="bold"), id="card-title")
        yield Static(id="card-notice")
        yield LoadingIndicator(id="card-loading")
        with VerticalScroll(id="card-body"):
            yield Static(id="card-facts")
            yield Static(id="card-checklist")
            yield Static(id="card-fit")
            yield Static(id="card-measured")  # the engines' own figures beside the fit, once a server ran it
            yield Static(id="card-files")
            yield Static(id="card-evals")
            yield Static(Text("model card", style="bold underline"), id="card-text-title")
            yield Markdown(id="card-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#card-notice").display = False
        self.query_one("#card-measured").display = False
        self.load(refresh=False)
        self.load_measured()

    @dataclass
    class Loaded(Message):
        details: ModelDetails | None  # None: the model is not in the catalogue

    @work(thread=True, exclusive=True, group="card", exit_on_error=False, description="load the card")
    def load(self, refresh: bool) -> None:
        self.post_message(self.Loaded(self.app.catalog.details(self.model_id, refresh=refresh)))  # type: ignore[attr-defined]

    @dataclass
    class Measured(Message):
        measurements: list[Measurement]

    @work(thread=True, exclusive=True, group="card-measured", exit_on_error=False,
          description="read what the engines measured")
    def load_measured(self) -> None:
        self.post_message(self.Measured(self.app.services.measured(self.model_id)))  # type: ignore[attr-defined]

    def on_card_screen_measured(self, message: Measured) -> None:
        widget = self.query_one("#card-measured", Static)
        widget.display = bool(message.measurements)
        if message.measurements:
            widget.update(measured_section(message.measurements))

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#card-loading").display = False
        notice = self.query_one("#card-notice", Static)
        notice.update(safe(f"{failure.line} (r: try again)", "red"))
        notice.display = True

    def on_card_screen_loaded(self, message: Loaded) -> None:
        d = message.details
        self.query_one("#card-loading").display = False
        notice = self.query_one("#card-notice", Static)
        if d is None:
            notice.update(Text(f"{self.model_id} is not in the catalogue", style="red"))
            notice.display = True
            return
        self.details = d
        notice.update(Text(d.notice, style="yellow"))
        notice.display = bool(d.notice)
        self.query_one("#card-facts", Static).update(card_view.facts_table(d))
        self.query_one("#card-checklist", Static).update(card_view.checklist(d))
        self.query_one("#card-fit", Static).update(card_view.fit_table(d))
        files = card_view.files_table(d)
        self.query_one("#card-files", Static).update(files)
        self.query_one("#card-files").display = bool(d.fits and any(q.filename for q in d.fits))
        self.query_one("#card-evals", Static).update(card_view.evals_table(d))
        body = d.card.body if d.card is not None else ""
        self.query_one("#card-text", Markdown).update(clean(body) or "*(no card text)*")
        self.query_one("#card-body").focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.query_one("#card-loading").display = True
        self.load(refresh=True)

    def action_shortlist_add(self) -> None:
        note = self.details.shortlist_note if self.details else None  # None: the app looks it up
        self.app.shortlist_with_note(self.model_id, note)  # type: ignore[attr-defined]

    def action_serve(self) -> None:
        self.app.serve_model(self.model_id)  # type: ignore[attr-defined]

    def on_catalog_changed(self, _: CatalogChanged) -> None:
        self.load(refresh=False)
        self.load_measured()
