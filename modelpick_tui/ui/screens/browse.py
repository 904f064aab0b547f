"""Browse the local catalogue: search as you type, filter, sort, open a card, shortlist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from ...catalog.query import SORT_LABELS, CatalogQuery, ListParams, ModelRow, SearchResult
from ..actions import bindings
from ..format import catalog_summary, compact, marked_cell, safe, task_short
from ..messages import CatalogChanged, WorkFailed
from ..tables import cursor_key, type_to_search
from ..widgets.footer import Footer
from ..widgets.next_step import NextStep
from ..widgets.windowed_table import WindowedTable
from ..workers import WorkerErrors

if TYPE_CHECKING:
    from ..widgets.filters import FilterPanel

SORT_CYCLE = list(SORT_LABELS)
SEARCH_DEBOUNCE_S = 0.15
FIRST_ROWS = 30
ID_WIDTH = 28  # at 80 columns: id, task, params, licence and downloads stay in view
# Fixed widths: the table never measures its cells, which is most of a cold start's paint. params holds a mixture
# of experts' "total/active" ("20.9B/3.6B"). Origin, tier and source come after, a scroll to the right.
COLUMNS = (("id", "model", ID_WIDTH), ("task", "task", 10), ("params", "params", 10), ("license", "licence", 12),
           ("downloads", "dl", 6), ("likes", "likes", 6), ("updated", "updated", 10), ("gated", "gated", 5),
           ("origin", "origin", 7), ("tier", "tier", 7), ("source", "source", 8))
# Narrower than every column (and its padding), the source column is out of view: a row listed or hosted elsewhere
# than the Hugging Face Hub alone says so in its id cell instead ("ZhipuAI/glm-4-9b   ms").
FULL_WIDTH = sum(width + 2 for _, _, width in COLUMNS) + 2


class BrowseScreen(WorkerErrors, Screen[None]):
    SCREEN_NAME = "browse"
    BINDINGS = bindings("browse")
    AUTO_FOCUS = "#results"

    def __init__(self) -> None:
        super().__init__()
        self.query_state = CatalogQuery()
        self.last_result: SearchResult | None = None
        self._ready = False  # the catalogue is open and loaded
        self._debounce: Timer | None = None
        self._background_started = False
        self._narrow_rows = False  # the rows shown carry their source in the id cell (ui: FULL_WIDTH)

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        # Typed on the table, a name lands here (ui/tables.type_to_search); / comes here to edit it.
        yield Input(placeholder="search models: type a name  (/ edits, esc clears)", id="search",
                    select_on_focus=False)
        yield Static(id="summary")
        with Horizontal(id="main"):
            # The id column stays put while the others scroll sideways on a narrow terminal.
            yield WindowedTable(id="results", cursor_type="row", zebra_stripes=True, fixed_columns=1)
        yield NextStep()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(Text(label), key=key, width=width)  # a str would be parsed as markup (and emoji)
        self.query_one("#banner").display = False
        if not self._open_in_place():
            self.open_catalog()

    def _open_in_place(self) -> bool:
        """The daily start: a catalogue that answers at once fills the table before the first frame (a query of a
        few milliseconds on the plain connection), with no worker and no empty frame painted, then painted again.
        A first launch (the sample to load), an upgrade (origins to recompute) or a database that fails go to the
        worker, which writes, and reports a failure."""
        services = getattr(self.app, "services", None)
        if services is None:
            return False
        new_home = not services.db.has_data()
        try:
            catalog = self.app.catalog  # type: ignore[attr-defined]
            if new_home:
                catalog.seed_new_home()  # the sample compiled at install, copied whole (else loaded just below)
                catalog.ensure_loaded()
            elif not catalog.answers_now():
                return False
            banner = catalog.status().banner
            result = catalog.search(self.query_state)
        except Exception:  # the worker opens it again, and says what is wrong
            return False
        self._ready = True
        self._show_banner(banner)
        self._show_result(self.query_state, result)
        return True

    def _after_first_page(self) -> None:
        # The first page is painted (or the catalogue failed to open): now the work nobody waits for (the card
        # parser, the models on this machine, the app's detached servers). Started earlier, its imports took the
        # GIL from the table's first page.
        if self._background_started:
            return
        self._background_started = True
        self.warm_up()
        self.app.start_background()  # type: ignore[attr-defined]

    class Opened(Message):
        def __init__(self, banner: str) -> None:
            super().__init__()
            self.banner = banner  # "offline — cached 231 models from …", or "" when there is nothing to warn about

    class Searched(Message):
        def __init__(self, query: CatalogQuery, result: SearchResult) -> None:
            super().__init__()
            self.query = query
            self.result = result

    class SyncProgress(Message):
        def __init__(self, done: int, total: int | None) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, BrowseScreen.SyncProgress)  # only the latest figure is worth painting

    class Synced(Message):
        def __init__(self, fetched: int) -> None:
            super().__init__()
            self.fetched = fetched

    @work(thread=True, group="catalog-open", exit_on_error=False, description="open the catalogue")
    def open_catalog(self) -> None:
        """Open the database (and load the sample on a first launch); the first search follows."""
        catalog = self.app.catalog  # type: ignore[attr-defined]
        catalog.ensure_loaded()
        self.post_message(self.Opened(catalog.status().banner))

    def on_browse_screen_opened(self, message: Opened) -> None:
        self._ready = True
        self._show_banner(message.banner)
        self.run_search()

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group in ("catalog-open", "search"):
            self.query_one("#summary", Static).update(safe(failure.line, "red"))
            self._after_first_page()
        elif failure.group == "sync":
            self.query("#sync-progress").remove()
            self.post_message(CatalogChanged())  # the banner says the Hub is out of reach; the cache still answers

    @work(thread=True, group="warm-up", exit_on_error=False, description="look for the models on this machine")
    def warm_up(self) -> None:
        """Find the memory and load the card parser now, so the first card opens at once; and see
        what is on this machine (the Hugging Face cache, scanned GGUF files) for the local filter."""
        catalog = self.app.catalog  # type: ignore[attr-defined]
        catalog.warm_up()
        before = catalog.search(CatalogQuery(local_only=True, limit=1)).matching
        if catalog.sources is not None:
            catalog.sources.find_ollama()  # a local Ollama's models are local models too (silent without one)
        after = catalog.refresh_local()
        if after != before:
            self.post_message(CatalogChanged())

    # --- searching ----------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        text = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self.set_query(text=text))

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one("#results").focus()

    def set_query(self, **changes: Any) -> None:
        self.query_state = self.query_state._replace(**changes)
        panels = self.query("FilterPanel")
        if panels:
            panels.first().show(self.query_state)
        self.run_search()

    def run_search(self) -> None:
        if self._ready:  # else the catalogue is being opened, and its first search follows
            self._search(self.query_state)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="search the catalogue")
    def _search(self, query: CatalogQuery) -> None:
        self.post_message(self.Searched(query, self.app.catalog.search(query)))  # type: ignore[attr-defined]

    def on_browse_screen_searched(self, message: Searched) -> None:
        self._show_result(message.query, message.result)

    def _show_result(self, query: CatalogQuery, result: SearchResult) -> None:
        if query != self.query_state:
            return  # a newer query is on its way
        self.last_result = result
        table = self.query_one("#results", DataTable)
        selected = self.selected_id()
        table.clear()
        # A screenful first, the rest after the next paint: the table measures every cell it holds,
        # and the first frame should not wait for rows nobody can see yet.
        self._add_rows(result.rows[:FIRST_ROWS])
        if len(result.rows) > FIRST_ROWS:
            self.call_after_refresh(self._add_rest, result, selected)
        elif selected is not None:
            self._restore_cursor(selected)
        self.query_one("#summary", Static).update(catalog_summary(self.query_state, result))
        if not self._background_started:
            self.call_after_refresh(self._after_first_page)

    def _add_rest(self, result: SearchResult, selected: str | None) -> None:
        if result is not self.last_result:
            return
        self._add_rows(result.rows[FIRST_ROWS:])
        if selected is not None:
            self._restore_cursor(selected)

    def _add_rows(self, rows: list[ModelRow]) -> None:
        # Imported here, not with the screen: the first frame does not wait for the catalogue's facts (the worker
        # that opens the catalogue has loaded them by the time rows come).
        from ...catalog.units import format_params

        def params(r: ModelRow) -> Text:
            text = Text(format_params(r.params), justify="right")
            if r.params and r.params_active:  # a mixture of experts: total/active
                text.append("/" + format_params(r.params_active), style="cyan")
            return text

        table = self.query_one("#results", DataTable)
        narrow = self._narrow_rows = self.size.width < FULL_WIDTH
        for r in rows:
            lic = Text(r.license or "none", style="green" if r.permissive else ("red" if not r.license else ""))
            source = "+".join(r.sources)
            table.add_row(
                marked_cell(r.id, ID_WIDTH, source if narrow and source != "hf" else ""),
                safe(task_short(r.task)[:10]),
                params(r),
                lic[:12],
                Text(compact(r.downloads), justify="right"),
                Text(compact(r.likes), justify="right"),
                Text(r.last_modified[:10]),
                Text("gated" if r.gated else "", style="yellow"),
                *self._origin_cells(r),
                Text(source[:8], style="dim" if source == "hf" else "cyan"),
                key=r.id,
            )

    def _origin_cells(self, r: ModelRow) -> tuple[Text, Text]:
        # With "origin of the base model" on, the column shows the country the filter matched.
        country = r.base_origin if self.query_state.by_base else r.origin
        return Text(country, style="dim" if country == "unknown" else ""), Text(r.tier)

    def on_resize(self, event: events.Resize) -> None:
        # The id cells carry the source marker only while the source column is out of view.
        if self.last_result is not None and (event.size.width < FULL_WIDTH) != self._narrow_rows:
            self.run_search()

    def _restore_cursor(self, model_id: str) -> None:
        table = self.query_one("#results", DataTable)
        if model_id in table.rows:
            table.move_cursor(row=table.get_row_index(model_id))

    def selected_id(self) -> str | None:
        return cursor_key(self.query_one("#results", DataTable))

    def refresh_banner(self) -> None:
        self._show_banner(self.app.catalog.status().banner)  # type: ignore[attr-defined]

    def _show_banner(self, banner: str) -> None:
        widget = self.query_one("#banner", Static)
        widget.update(Text(banner))
        widget.display = bool(banner)
        widget.set_class("offline" in banner, "offline")

    @on(CatalogChanged)
    def _catalog_changed(self) -> None:
        # An open filter panel keeps its options; it is rebuilt from fresh facets when next opened.
        self.refresh_banner()
        self.run_search()

    def on_screen_resume(self) -> None:
        if self.last_result is None:
            return  # the first activation: on_mount has already started the search
        # Back from a card or the shortlist: shortlist notes or a refresh may have changed things.
        self.refresh_banner()
        self.run_search()

    # --- keys ---------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.open_card(str(event.row_key.value))  # type: ignore[attr-defined]

    def on_key(self, event: events.Key) -> None:
        type_to_search(event, self.query_one("#results", DataTable), self.query_one("#search", Input))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def key_escape(self) -> None:
        if self.focused is self.query_one("#search"):
            self.query_one("#results").focus()

    def action_toggle_filters(self) -> None:
        panels = self.query("FilterPanel")
        if panels:
            panels.first().remove()
            self.query_one("#results").focus()
            return
        from ..widgets.filters import FilterPanel  # imported on first use: Select & co. cost start-up time

        panel = FilterPanel(self.app.catalog.facets(), self.query_state, id="filters")  # type: ignore[attr-defined]
        self.query_one("#main").mount(panel, before=0)
        panel.focus()

    def on_filter_panel_changed(self, event: FilterPanel.Changed) -> None:
        self.query_state = self.query_state._replace(**event.values)
        self.run_search()

    def action_toggle_permissive(self) -> None:
        self.set_query(permissive_only=not self.query_state.permissive_only)

    def action_toggle_local(self) -> None:
        self.set_query(local_only=not self.query_state.local_only)

    def action_cycle_sort(self) -> None:
        i = SORT_CYCLE.index(self.query_state.sort) if self.query_state.sort in SORT_CYCLE else -1
        self.set_query(sort=SORT_CYCLE[(i + 1) % len(SORT_CYCLE)])

    def action_cycle_gated(self) -> None:
        nxt = {None: False, False: True, True: None}[self.query_state.gated]
        self.set_query(gated=nxt)

    def action_reset_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.set_query(**{k: v for k, v in CatalogQuery().__dict__.items() if k != "limit"})

    def action_shortlist_add(self) -> None:
        model_id = self.selected_id()
        if model_id is None:
            self.notify("no model selected", severity="warning")
            return
        self.app.shortlist_with_note(model_id)  # type: ignore[attr-defined]

    # --- sync from the Hub --------------------------------------------------------------

    def action_sync(self) -> None:
        # Mounted (and imported) only while a sync runs: one widget less to lay out on every cold start.
        from textual.widgets import ProgressBar

        bars = self.query("#sync-progress")
        bar = bars.first(ProgressBar) if bars else ProgressBar(id="sync-progress", show_eta=True)
        if not bars:
            self.mount(bar, before=self.query_one(Footer))
        bar.update(total=None, progress=0)
        self.sync_worker(ListParams(search=self.query_state.text or None, task=self.query_state.task,
                                    author=self.query_state.author, limit=500))

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False, description="sync from the Hub")
    def sync_worker(self, params: ListParams) -> None:
        def progress(done: int, total: int | None) -> None:
            self.post_message(self.SyncProgress(done, total))

        report = self.app.catalog.sync(params, progress)  # type: ignore[attr-defined]
        self.post_message(self.Synced(report.fetched))

    def on_browse_screen_sync_progress(self, message: SyncProgress) -> None:
        from textual.widgets import ProgressBar

        for bar in self.query("#sync-progress").results(ProgressBar):
            bar.update(total=message.total, progress=message.done)

    def on_browse_screen_synced(self, message: Synced) -> None:
        self.query("#sync-progress").remove()
        self.notify(f"synced {message.fetched} models from the Hub", markup=False)
        self.post_message(CatalogChanged())
