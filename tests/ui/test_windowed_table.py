"""The browse table renders only the cells in view (ui/widgets/windowed_table.py): what is on screen must be what
Textual's own DataTable shows, line for line and style for style, wherever the table is scrolled and the cursor is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.style import Style
from rich.text import Span, Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from modelpick_tui.ui.widgets.windowed_table import WindowedTable, one_line, one_line_cell

COLUMNS = [("id", 28), ("task", 10), ("params", 10), ("licence", 12), ("dl", 6), ("likes", 6), ("updated", 10),
           ("gated", 5), ("origin", 7), ("tier", 7), ("source", 8)]


def _browse_like(i: int) -> list[Any]:
    return [Text(f"{label}-{i}-" + "x" * (i % 7), style="green" if i % 3 else "") for label, _ in COLUMNS]


class Tables(App[None]):
    """One table: `columns` (label, width), and `rows` rows made by `row(i)`."""

    CSS = "DataTable { height: 12; width: 80; }"

    def __init__(self, table_type: type[DataTable], columns: list[tuple[str, int]] = COLUMNS,  # type: ignore[type-arg]
                 row: Callable[[int], list[Any]] = _browse_like, rows: int = 30) -> None:
        super().__init__()
        self.table_type, self.columns, self.row, self.rows = table_type, columns, row, rows

    def compose(self) -> ComposeResult:
        yield self.table_type(id="t", cursor_type="row", zebra_stripes=True, fixed_columns=1)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in self.columns:
            table.add_column(label, key=label, width=width)
        for i in range(self.rows):
            table.add_row(*self.row(i), key=str(i))


def _screen_lines(table: DataTable) -> list[list[tuple[str, str]]]:  # type: ignore[type-arg]
    return [[(seg.text, str(seg.style)) for seg in table.render_line(y)] for y in range(table.size.height)]


async def _views(table_type: type[DataTable]) -> list[Any]:  # type: ignore[type-arg]
    """What the table shows at several horizontal scrolls, cursor rows and a vertical scroll, and its size."""
    views: list[Any] = []
    app = Tables(table_type)
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(DataTable)
        await pilot.pause()
        for scroll_x, cursor in ((0, 0), (13, 3), (40, 5), (1000, 7), (7, 25), (0, 2)):
            table.move_cursor(row=cursor)
            table.scroll_to(x=scroll_x, animate=False, immediate=True)
            await pilot.pause()
            views.append(_screen_lines(table))
        views.append((table.virtual_size, [column.get_render_width(table) for column in table.ordered_columns]))
    return views


async def test_windowed_table_shows_what_the_datatable_shows() -> None:
    ours, theirs = await _views(WindowedTable), await _views(DataTable)
    assert len(ours) == len(theirs) == 7
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


# --- one cell, laid out without Rich's general renderer (windowed_table.one_line) ---------------------------------

CELLS = [
    Text(""), Text("", style="bold"), Text("short"), Text("short", style="green"),
    Text("exactly ten"), Text("a name far longer than its column", style="red on blue"),
    Text.assemble(("Qwen/", "bold"), ("Qwen2.5-7B", "italic cyan"), " plain"),
    Text("spans over the edge", spans=[Span(3, 40, "underline")]),  # type: ignore[list-item]
    Text("overlap", style="yellow", spans=[Span(0, 4, "bold"), Span(2, 6, "magenta")]),  # type: ignore[list-item]
    Text("模型名称很长很长很长"), Text("ab模型", style="green"), Text("emoji 🤗🤗🤗🤗 end"),
    Text("crop me please now", overflow="crop"), Text("fold me please now", overflow="fold"),
    Text("no wrap", no_wrap=True), Text("ends without", end=""),
    Text("link", style="link https://example.com"), Text("[not markup] here"),
    Text("1.2k", justify="right"), Text("20.9B/3.6B", justify="right", spans=[Span(5, 10, "cyan")]),  # type: ignore[list-item]
    Text("centred", justify="center", style="bold"), Text("left", justify="left", style="on red"),
    Text("full justify of words", justify="full"), Text("trailing   ", justify="right"),
    Text("cut with an ellipsis", overflow="ellipsis"), Text("模型名称很长", overflow="ellipsis", justify="right"),
]
STYLES = [Style.null(), Style.parse("on #202020") + Style.from_meta({"row": 3, "column": 1}),
          Style.parse("bold white on blue")]


def test_one_line_lays_out_a_cell_as_rich_does() -> None:
    from textual.renderables.styled import Styled

    console = Console(width=80, color_system="truecolor")
    compared = 0
    for cell in CELLS:
        assert one_line_cell(cell), cell
        for width in (1, 2, 3, 5, 9, 12, 30):
            for padding in (0, 1, 2):
                if width - 2 * padding < 0:
                    continue
                for pre in STYLES:
                    for post in (Style.null(), Style.parse("reverse")):
                        options = console.options.update_dimensions(width, 1).update(no_wrap=True)
                        rich = console.render_lines(Styled(Padding(cell, (0, padding)), pre_style=pre,
                                                           post_style=post), options)
                        ours = one_line(cell, width, padding, pre, post, console, options)
                        assert [ours] == rich, (cell, width, padding, pre, post)
                        compared += 1
    assert compared > 1000


def test_cells_rich_must_lay_out_are_left_to_it() -> None:
    for cell in (Text("two\nlines"), Text("a\ttab"), Text("wraps", no_wrap=False), "a plain string",
                 Text("ignores its width", overflow="ignore")):
        assert not one_line_cell(cell), cell


def _mixed(i: int) -> list[Any]:
    """Cells the fast path takes beside cells it leaves to Rich, in one row."""
    return [Text(f"row-{i}-模型", style="bold" if i % 2 else ""), f"[red]str {i}[/]",
            Text(f"ellipsis {i} long", overflow="ellipsis"), Text(f"r{i}\tt", justify="right")]


async def test_mixed_cells_show_what_the_datatable_shows() -> None:
    seen = []
    for table_type in (WindowedTable, DataTable):
        app = Tables(table_type, [("id", 12), ("a", 8), ("b", 8), ("c", 10)], _mixed, rows=12)
        async with app.run_test(size=(80, 14)) as pilot:
            table = app.query_one(DataTable)
            await pilot.pause()
            views = []
            for cursor in (0, 5):
                table.move_cursor(row=cursor)
                await pilot.pause()
                views.append(_screen_lines(table))
            seen.append((views, table.virtual_size))
    assert seen[0] == seen[1]
