"""The shortlist: the 3-5 candidates with the notes that put them there, and below them side by side (models as
columns, facts and benchmark results as rows, the best of each row marked: evals/shortlist.py). Read and edited
in thread workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from ...catalog.fit.estimate import DEFAULT_CONTEXTS
from ...catalog.units import format_params
from ...evals.shortlist_table import DEFAULT_CONTEXT, SideBySide
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import CatalogChanged, WorkFailed
from ..tables import cursor_key, matches, refill, type_to_search
from ..workers import WorkerErrors


class ShortlistScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "shortlist"
    BINDINGS = bindings("shortlist")
    AUTO_FOCUS = "#shortlist"  # the list; a letter typed there starts the filter

    def __init__(self) -> None:
        super().__init__()
        self.notes: dict[str, str] = {}  # model id → its note, as last loaded
        self.rows: list[dict[str, Any]] = []  # as last loaded; the table shows those the search matches
        self.context = DEFAULT_CONTEXT  # the fit row's context: ctrl+o cycles DEFAULT_CONTEXTS
        self.side: SideBySide | None = None  # as last loaded

    @dataclass
    class Loaded(Message):
        rows: list[dict[str, Any]]  # the shortlist with each model's facts (CatalogService.shortlist)

    @dataclass
    class Compared(Message):
        side: SideBySide

    @dataclass
    class Removed(Message):
        model_id: str

    def compose(self) -> ComposeResult:
        yield Static(id="shortlist-title")
        yield Input(placeholder="filter the shortlist: type a name  (esc clears)", id="search",
                    select_on_focus=False)  # typed on the table, a name lands here (ui/tables.type_to_search)
        yield DataTable(id="shortlist", cursor_type="row", zebra_stripes=True)
        yield Static(id="side-title")
        # Facts as rows, candidates as columns; the facts' names stay in view as it scrolls sideways.
        yield DataTable(id="side-by-side", cursor_type="cell", zebra_stripes=True, fixed_columns=1)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("id", "model"), ("params", "params"), ("license", "licence"),
                           ("ctx", "context"), ("note", "note")):
            table.add_column(label, key=key)
        self.reload()

    @work(thread=True, exclusive=True, group="shortlist-load", exit_on_error=False,
          description="load the shortlist")
    def reload(self) -> None:
        self.post_message(self.Loaded(self.app.catalog.shortlist()))  # type: ignore[attr-defined]
        self.post_message(self.Compared(self.app.services.side_by_side(self.context)))  # type: ignore[attr-defined]

    def on_shortlist_screen_compared(self, message: Compared) -> None:
        self.side = side = message.side
        title = Text(f"side by side: fit at {side.context:,} tokens on ", style="bold")
        title.append(safe(side.memory))
        title.append("  ★ best", style="dim")
        self.query_one("#side-title", Static).update(title)
        table = self.query_one("#side-by-side", DataTable)
        table.clear(columns=True)
        table.add_column("", key="fact")
        for i, cand in enumerate(side.candidates):
            table.add_column(safe(cand.model_id), key=f"c{i}")
        for row in side.rows:
            label = safe(row.label, "bold" if row.group == "facts" else "italic")
            cells = [safe(f"★ {c.text}", "bold green") if c.best else safe(c.text) for c in row.cells]
            table.add_row(label, *cells, key=row.key)

    def action_cycle_context(self) -> None:
        contexts = list(DEFAULT_CONTEXTS)
        self.context = contexts[(contexts.index(self.context) + 1) % len(contexts)] if self.context in contexts \
            else contexts[0]
        self.reload()

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#shortlist-title", Static).update(safe(failure.line, "red"))

    def on_shortlist_screen_loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        self.notes = {r["model_id"]: r["note"] or "" for r in self.rows}
        self._fill()
        rows = self.rows
        hint = "  (aim for 3-5 candidates)" if not 3 <= len(rows) <= 5 else ""
        title = f"shortlist: {len(rows)} model{'s' if len(rows) != 1 else ''}{hint}"
        self.query_one("#shortlist-title", Static).update(Text(title, style="bold"))

    def _fill(self) -> None:
        """The rows whose model id or note hold every word of the search."""
        search = self.query_one("#search", Input).value

        def cells(r: dict[str, Any]) -> list[Any]:
            ctx = f"{r['context_length'] // 1024}k" if r.get("context_length") else "?"
            return [safe(r["model_id"]), Text(format_params(r["params"])), safe(r["license"] or "none"), Text(ctx),
                    safe(r["note"] or "")]

        refill(self.query_one(DataTable), ((r["model_id"], cells(r)) for r in self.rows
                                           if matches(search, f"{r['model_id']} {r['note'] or ''}")))

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.focused is self.query_one("#search"):
            event.stop()  # out of the search box to the table; escape on the table clears the search, then goes back
            event.prevent_default()
            self.query_one(DataTable).focus()
            return
        type_to_search(event, self.query_one(DataTable), self.query_one("#search", Input))

    def selected(self) -> str | None:
        return cursor_key(self.query_one(DataTable))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        model_id = self.selected()
        if model_id:
            self.app.open_card(model_id)  # type: ignore[attr-defined]

    def action_edit_note(self) -> None:
        model_id = self.selected()
        if model_id:
            self.app.shortlist_with_note(model_id, self.notes.get(model_id, ""))  # type: ignore[attr-defined]

    def action_remove(self) -> None:
        model_id = self.selected()
        if model_id:
            self.remove_model(model_id)

    # Not `remove`: that is Widget.remove, which Textual awaits when the screen is popped (escape crashed the app).
    @work(thread=True, group="shortlist-edit", exit_on_error=False, description="remove the model from the shortlist")
    def remove_model(self, model_id: str) -> None:
        self.app.catalog.shortlist_remove(model_id)  # type: ignore[attr-defined]
        self.post_message(self.Removed(model_id))

    def on_shortlist_screen_removed(self, message: Removed) -> None:
        self.notify(f"removed {message.model_id} from the shortlist", markup=False)
        self.reload()

    def action_serve(self) -> None:
        model_id = self.selected()
        if model_id:
            self.app.serve_model(model_id)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_catalog_changed(self, _: CatalogChanged) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()
