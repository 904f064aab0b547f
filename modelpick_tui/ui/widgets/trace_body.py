"""The review screen's trace body: the trace wrapped to the widget's width, one window of lines at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static


class TraceBody(Static):
    """The trace, wrapped to the widget's width, one window of lines at a time (up/down, space/pgdn, pgup).

    Its size never depends on its text, so a new trace repaints this widget alone: no layout pass over the
    screen, which is most of the label-to-next-item time (see bench/label_latency.py)."""

    can_focus = True
    BINDINGS = [Binding("down,j", "lines(1)", "Down", show=False, id="review-body.down"),
                Binding("up,k", "lines(-1)", "Up", show=False, id="review-body.up"),
                Binding("pagedown,space", "page(1)", "Page down", show=False, id="review-body.pagedown"),
                Binding("pageup", "page(-1)", "Page up", show=False, id="review-body.pageup"),
                Binding("home", "lines(-1000000)", "Top", show=False, id="review-body.home")]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = Content("")
        self.lines: list[Content] = []
        self.top = 0
        self._width = 0
        self._ready: dict[str, tuple[int, Content, list[Content]]] = {}  # key → (width, text, wrapped lines)

    def prepare(self, key: str, make: Callable[[], Text]) -> None:
        """Wrap a text ahead of time (the next trace, while the reviewer reads this one)."""
        width = self.content_size.width
        if width > 0 and self._ready.get(key, (0,))[0] != width:
            if len(self._ready) > 16:
                self._ready.clear()
            content = Content.from_rich_text(make())
            self._ready[key] = (width, content, content.wrap(width))

    def show(self, key: str, make: Callable[[], Text]) -> None:
        self.prepare(key, make)
        self.top = 0
        if key in self._ready:
            self._width, self.text, self.lines = self._ready[key]
            self._paint()
        else:  # not laid out yet: wrapped on the first resize
            self.text = Content.from_rich_text(make())

    def _wrap(self) -> None:
        self._width = self.content_size.width
        self.lines = self.text.wrap(self._width) if self._width > 0 else []
        self._paint()

    def _paint(self) -> None:
        height = self.content_size.height
        self.top = max(0, min(self.top, len(self.lines) - height))
        window = self.lines[self.top:self.top + height]
        below = len(self.lines) - (self.top + height)
        if below > 0 and window:
            window[-1] = Content.styled(f"↓ {below + 1} more lines (space / pgdn)", "dim italic")
        self.update(Content("\n").join(window), layout=False)

    def on_resize(self) -> None:
        if self.content_size.width != self._width or self.lines:
            self._wrap()

    def action_lines(self, n: int) -> None:
        self.top += n
        self._paint()

    def action_page(self, n: int) -> None:
        self.top += n * max(1, self.content_size.height - 2)
        self._paint()
