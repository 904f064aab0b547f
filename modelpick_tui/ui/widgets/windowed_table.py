"""A DataTable that renders only the cells of the columns in view.

Textual's DataTable renders every cell of a row (each a Rich render: style, wrap, crop) and then crops the line to
the part that shows. The browse table has 11 columns, of which 5 show at 80 columns: most of the cells of its first
page were rendered to be thrown away, the largest single cost between the app's start and a filled table (docs:
benchmarks.md, cold start). Here a cell outside the horizontal window is a blank of its width, which the crop then
drops: what is on screen is the same, cell for cell (tests/ui/test_windowed_table.py compares the two tables' lines
at every scroll position).

A cell in view that is one line of plain Rich Text (what the browse table holds) is laid out here, not through Rich's
general renderer (Styled(Padding(Text)) rendered to lines: options, measurement, generators at three levels): the
same Rich methods in the same order, without the layers between them (`one_line`; tests/ui/test_windowed_table.py
holds its segments equal to Rich's for every kind of cell it takes). And as every column has its width, the new
rows' cells are not measured (DataTable measures each to size auto-width columns): only the table's virtual size is
set. The two took 50 M of the 1,338 M instructions of a start (docs/benchmarks.md, the fifth cold-start pass).

It hooks four of DataTable's own methods (textual is pinned in pyproject.toml; the test above fails if their
contract changes): `render_lines`, where the window is found once a paint, `_render_cell`, which renders one cell,
`_render_line_in_row`, whose row cache does not know the horizontal scroll and is emptied when the window moves, and
`_update_dimensions`, which measures new rows."""

from __future__ import annotations

from typing import Any

from rich.containers import Lines
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable

_NULL = Style.null()
_JOIN = Text("\n")  # Text.__rich_console__ joins the lines it wrapped with it


def one_line_cell(cell: Any) -> bool:
    """Whether Rich lays this cell out as one line at a height of 1 without wrapping it: a Text of one line, without
    tabs, that does not ask to be wrapped or to overflow."""
    return (type(cell) is Text and cell.no_wrap is not False and cell.overflow != "ignore"
            and "\n" not in cell.plain and "\t" not in cell.plain)


def one_line(cell: Text, width: int, padding: int, pre_style: Style, post_style: Style, console: Any,
             options: Any) -> list[Segment]:
    """What DataTable's `console.render_lines(Styled(Padding(cell, (0, padding)), pre_style, post_style), options)`
    gives as its one line at a height of 1, for a cell `one_line_cell` accepts, step by step as Rich takes them: the
    text justified and cut to the width inside the padding (Text.wrap, with the same Text methods), joined as
    Text.__rich_console__ joins its lines (the cell's style becomes a span) and rendered, padded with blanks of no
    style; the padding on both sides; each segment then styled pre_style + its own + post_style
    (Segment.apply_style); the line fitted to the width."""
    inner = width - 2 * padding
    if inner < 1:  # Console.render gives nothing in no room; render_lines pads its one line with no blank
        body = [Segment("", _NULL)]
    else:
        justify = cell.justify or options.justify or "default"
        overflow = cell.overflow or options.overflow or "fold"
        text = cell.copy()  # Text.split gives Text.wrap a copy
        Lines([text]).justify(console, inner, justify=justify, overflow=overflow)
        text.truncate(inner, overflow=overflow)
        body = Segment.adjust_line_length(list(_JOIN.join([text]).render(console)), inner, style=_NULL, pad=True)
    pad = Segment(" " * padding, _NULL)
    line = [pad, *body, pad] if padding else body
    styled = []
    for text_, style, control in line:
        if not control:
            if pre_style:
                style = pre_style + style
            if post_style:
                style = style + post_style if style else post_style
        styled.append(Segment(text_, None if control else style, control))
    return Segment.adjust_line_length(styled, width, pad=True)


class _BlankCell:
    """Every line of a cell nobody sees: spaces of its width (cropped away with the rest of the line's hidden part)."""

    __slots__ = ("_line",)

    def __init__(self, width: int, style: Style) -> None:
        self._line = [Segment(" " * width, style)]

    def __getitem__(self, line_no: int) -> list[Segment]:
        return self._line


class WindowedTable(DataTable):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._window: tuple[int, int] | None = None  # [first, last) scrollable column in view, as last rendered
        self._rendering_row = False
        self._fixed_to_render = 0

    def _column_window(self) -> tuple[int, int] | None:
        """The columns (indices, fixed ones aside) that overlap the visible part of the scrollable line; None to render
        them all (row labels shown: their width moves the line's origin)."""
        if self._labelled_row_exists and self.show_row_labels:
            return None
        columns = self.ordered_columns
        fixed_width = sum(column.get_render_width(self) for column in columns[: self.fixed_columns])
        # DataTable._render_line crops the scrollable line (every column, from x = 0) to [x1 + fixed, x2), with
        # x1 = scroll_x and x2 = scroll_x + width (DataTable.render_line).
        start = int(self.scroll_x) + fixed_width
        end = int(self.scroll_x) + self.size.width
        first, last, x = len(columns), 0, 0
        for index, column in enumerate(columns):
            width = column.get_render_width(self)
            if x < end and x + width > start:
                first, last = min(first, index), index + 1
            x += width
        return (first, last)

    def render_lines(self, crop: Region) -> list[Strip]:
        # The window, once a paint (every row line is rendered inside this call: DataTable.render_line).
        window = self._column_window()
        if window != self._window:
            self._window = window
            self._row_render_cache.clear()  # its rows were rendered for another window
        return super().render_lines(crop)

    def _render_line_in_row(self, *args: Any, **kwargs: Any) -> Any:
        window = self._window
        # Only a row's line blanks its hidden cells (not, say, a row's height measured). It renders its fixed cells
        # first, then every column from the first as the scrollable line, where the fixed ones are under the fixed
        # part (never in view).
        self._fixed_to_render = self.fixed_columns if window is not None else 0
        self._rendering_row = True
        try:
            return super()._render_line_in_row(*args, **kwargs)
        finally:
            self._rendering_row = False

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool = False,
                     hover: bool = False) -> Any:
        window = self._window
        if self._rendering_row and window is not None:
            if self._fixed_to_render:
                self._fixed_to_render -= 1
            elif not window[0] <= column_index < window[1]:
                return _BlankCell(width, base_style)
        if row_index < 0 or column_index < 0:  # the header, the row labels: Rich's way
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # DataTable._render_cell, for a one-line cell in a row of height 1: the same cache, key and styles.
        row_key = self._row_locations.get_key(row_index)
        cache_key = (row_key, self._column_locations.get_key(column_index), base_style, cursor, hover,
                     self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        cache = self._cell_render_cache
        if cache_key in cache:
            return cache[cache_key]
        row = self.rows[row_key]
        cell = self._get_row_renderables(row_index)[1][column_index]
        if row.height != 1 or row.auto_height or width < 1 or not one_line_cell(cell):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, row_index < self.fixed_rows or column_index < self.fixed_columns, hover, cursor,
            self.show_cursor, self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        lines = [one_line(cell, width, self.cell_padding, pre_style, post_style, self.app.console,
                          self.app.console_options)]
        cache[cache_key] = lines
        return lines

    def _update_dimensions(self, new_rows: Any) -> None:
        """DataTable's, without measuring the new rows' cells when every column has its width and no row has a label
        or an auto height (what the measures are for): only the virtual size."""
        rows = [self.rows.get(key) for key in new_rows]
        if (any(column.auto_width for column in self.columns.values())
                or any(row is not None and (row.label is not None or row.auto_height) for row in rows)):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values()) + self._row_label_column_width
        self.virtual_size = Size(width, self._total_row_height + (self.header_height if self.show_header else 0))
