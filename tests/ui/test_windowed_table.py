"""The browse table renders only the cells in view (ui/widgets/windowed_table.py): what is on screen must be what
Textual's own DataTable shows, line for line and style for style, wherever the table is scrolled and the cursor is."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from modelpick_tui.ui.widgets.windowed_table import WindowedTable

COLUMNS = [("id", 28), ("task", 10), ("params", 10), ("licence", 12), ("dl", 6), ("likes", 6), ("updated", 10),
           ("gated", 5), ("origin", 7), ("tier", 7), ("source", 8)]


class Tables(App[None]):
    CSS = "DataTable { height: 12; width: 80; }"

    def __init__(self, table_type: type[DataTable]) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.table_type = table_type

    def compose(self) -> ComposeResult:
        yield self.table_type(id="t", cursor_type="row", zebra_stripes=True, fixed_columns=1)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label, width=width)
        for i in range(30):
            table.add_row(*(Text(f"{label}-{i}-" + "x" * (i % 7), style="green" if i % 3 else "")
                            for label, _ in COLUMNS), key=str(i))


def _screen_lines(table: DataTable) -> list[list[tuple[str, str]]]:  # type: ignore[type-arg]
    return [[(seg.text, str(seg.style)) for seg in table.render_line(y)] for y in range(table.size.height)]


async def _views(table_type: type[DataTable]) -> list[list[list[tuple[str, str]]]]:  # type: ignore[type-arg]
    """What the table shows at several horizontal scrolls, cursor rows and a vertical scroll."""
    views = []
    app = Tables(table_type)
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        for scroll_x, cursor in ((0, 0), (13, 3), (40, 5), (1000, 7), (7, 25), (0, 2)):
            table.move_cursor(row=cursor)
            table.scroll_to(x=scroll_x, animate=False, immediate=True)
            await pilot.pause()
            views.append(_screen_lines(table))
    return views


async def test_windowed_table_shows_what_the_datatable_shows() -> None:
    ours, theirs = await _views(WindowedTable), await _views(DataTable)
    assert len(ours) == len(theirs) == 6
    for view, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == reference, f"view {view} differs"
    # The views differ among themselves (the scroll moved what shows), so the comparison above compared something.
    assert ours[0] != ours[2] and any("source-" in text for line in ours[3] for text, _ in line)


async def test_windowed_table_renders_only_the_cells_in_view() -> None:
    rendered: list[int] = []

    class Counting(WindowedTable):
        def _render_cell(self, row_index, column_index, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = super()._render_cell(row_index, column_index, *args, **kwargs)
            if not type(result).__name__.startswith("_Blank"):
                rendered.append(column_index)
            return result

    app = Tables(Counting)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        # 80 columns (less the scrollbar): id (fixed, 30 wide with its padding), task 12, params 12, licence 14, dl 8
        # (to 76), likes (cut at the edge); updated, gated, origin, tier and source are not rendered.
        assert set(rendered) == {0, 1, 2, 3, 4, 5}
