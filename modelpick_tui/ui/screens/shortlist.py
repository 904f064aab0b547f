"""The shortlist: the 3-5 candidates with the notes that put them there."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...catalog.facts import format_params
from ..actions import bindings
from ..format import safe
from ..messages import CatalogChanged


class ShortlistScreen(Screen[None]):
    SCREEN_NAME = "shortlist"
    BINDINGS = bindings("shortlist")

    def compose(self) -> ComposeResult:
        yield Static(id="shortlist-title")
        yield DataTable(id="shortlist", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("id", "model"), ("params", "params"), ("license", "licence"),
                           ("ctx", "context"), ("note", "note")):
            table.add_column(label, key=key)
        self.reload()

    def reload(self) -> None:
        rows = self.app.catalog.shortlist()  # type: ignore[attr-defined]
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            ctx = f"{r['context_length'] // 1024}k" if r.get("context_length") else "?"
            table.add_row(safe(r["model_id"]), Text(format_params(r["params"])), safe(r["license"] or "none"),
                          Text(ctx), safe(r["note"] or ""), key=r["model_id"])
        hint = "  (aim for 3-5 candidates)" if not 3 <= len(rows) <= 5 else ""
        title = f"shortlist: {len(rows)} model{'s' if len(rows) != 1 else ''}{hint}"
        self.query_one("#shortlist-title", Static).update(Text(title, style="bold"))

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        model_id = self.selected()
        if model_id:
            self.app.open_card(model_id)  # type: ignore[attr-defined]

    def action_edit_note(self) -> None:
        model_id = self.selected()
        if model_id:
            note = next((r["note"] for r in self.app.catalog.shortlist() if r["model_id"] == model_id), "")  # type: ignore[attr-defined]
            self.app.shortlist_with_note(model_id, note or "")  # type: ignore[attr-defined]

    def action_remove(self) -> None:
        model_id = self.selected()
        if model_id:
            self.app.catalog.shortlist_remove(model_id)  # type: ignore[attr-defined]
            self.notify(f"removed {model_id} from the shortlist", markup=False)
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
