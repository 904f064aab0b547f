"""Check boxes and selection lists whose tick is a glyph, not only a colour.

Textual draws the X of a check box or a selection list's option whether it is ticked or not and tells the two
apart by colour alone: on a terminal with few colours, or on the focused box, an unticked "unlabelled only"
read as ticked while the review queue held every trace. Here an unticked box is empty."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList

EMPTY = " "


class TickBox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = Checkbox.BUTTON_INNER if self.value else EMPTY
        return super()._button


class TickList(SelectionList[Any]):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        try:
            value = self.get_option_at_index(self.scroll_offset.y + y).value
        except Exception:  # past the last option: no button on this line
            return strip
        if len(segments) < 3 or value in self._selected:
            return strip
        segments[1] = Segment(EMPTY, segments[1].style)  # [left, inner, right, " ", prompt…] (SelectionList)
        return Strip(segments, strip.cell_length)
