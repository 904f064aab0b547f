"""A DataTable that renders only the cells of the columns in view.

Textual's DataTable renders every cell of a row (each a Rich render: style, wrap, crop) and then crops the line to
the part that shows. The browse table has 11 columns, of which 5 show at 80 columns: most of the cells of its first
page were rendered to be thrown away, the largest single cost between the app's start and a filled table (docs:
benchmarks.md, cold start). Here a cell outside the horizontal window is a blank of its width, which the crop then
drops: what is on screen is the same, cell for cell (tests/ui/test_windowed_table.py compares the two tables' lines
at every scroll position).

It hooks three of DataTable's own methods (textual is pinned in pyproject.toml; the test above fails if their
contract changes): `render_lines`, where the window is found once a paint, `_render_cell`, which renders one cell, and
`_render_line_in_row`, whose row cache does not know the horizontal scroll and is emptied when the window moves."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable


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
        return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
