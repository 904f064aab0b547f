"""One endpoint's answer, streaming: a title, a line of live figures, and the text.

Deltas are only buffered (`feed`, safe to call from any thread: a list append); `flush` repaints what came
since the last one. A pane with `auto_flush` runs its own timer at FPS; the compare screen instead flushes all
its panes on one shared tick, so four fast streams cost one layout pass per tick, never one per token. The text
is untrusted: it is cleaned and shown as a `Text`, never parsed as markup."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from ...serving.events import Done, Failed, StreamMetrics
from ...untrusted import clean

FPS = 20
QUEUE_SHOWN_MS = 10  # a wait for a connection worth a mention in the line (below it: in the tooltip only)
_PIECES = re.compile(r"\S+\s*|\s+")


def wrap(paragraph: str, width: int) -> list[str]:
    """Greedy word wrap to `width` cells; a word longer than a line is cut."""
    lines: list[str] = []
    line, used = "", 0
    for piece in _PIECES.findall(paragraph):
        if line and used + cell_len(piece.rstrip()) > width:
            lines.append(line)
            line, used = "", 0
        while cell_len(piece.rstrip()) > width:
            cut = 1
            while cut < len(piece) and cell_len(piece[: cut + 1]) <= width:
                cut += 1
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
        used += cell_len(piece)
    lines.append(line)
    return lines


class StreamText(ScrollView, can_focus=False):
    """Wrapped text that grows at its end. Appending re-wraps only the last paragraph and changes the virtual
    size: no layout of the screen (a `Static` growing inside a scroll container costs a full layout per repaint,
    measured 5× the CPU of this)."""

    DEFAULT_CSS = "StreamText { height: 1fr; scrollbar-size-vertical: 1; }"

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = ""
        self._lines: list[str] = []
        self._width = 0
        self._tail_line = 0  # the first wrapped line of the last paragraph
        self._tail_char = 0  # where the last paragraph starts in `text`

    def set_text(self, text: str) -> None:
        self.text = text.replace("\t", "    ")
        self._rewrap(whole=True)

    def append(self, text: str) -> None:
        self.text += text.replace("\t", "    ")
        self._rewrap()

    def on_resize(self) -> None:
        self._rewrap(whole=True)

    def _rewrap(self, whole: bool = False) -> None:
        width = max(1, self.scrollable_content_region.width or self.size.width or 1)
        if whole or width != self._width:
            self._width, self._lines, self._tail_line, self._tail_char = width, [], 0, 0
        del self._lines[self._tail_line:]
        paragraphs = self.text[self._tail_char:].split("\n")
        for paragraph in paragraphs[:-1]:
            self._lines.extend(wrap(paragraph, width))
            self._tail_char += len(paragraph) + 1
        self._tail_line = len(self._lines)
        self._lines.extend(wrap(paragraphs[-1], width))
        follow = self.scroll_y >= self.max_scroll_y - 1
        size, height = Size(width, len(self._lines)), self.scrollable_content_region.height
        if size.width == self.virtual_size.width and (size.height > height) == (self.virtual_size.height > height):
            # Same width, same scrollbar: only this widget changes (setting `virtual_size` lays out the screen).
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size
        self.refresh()
        if follow:
            self.scroll_end(animate=False, immediate=False, x_axis=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style: Style | None = None

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        style = getattr(self, "_style", None)
        if style is None:  # rich_style walks the ancestors' styles: once per style change, not per line
            style = self._style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(self.size.width, style)
        return Strip([Segment(self._lines[index], style)]).crop_extend(0, self.size.width, style)


def timing_note(m: StreamMetrics) -> str:
    """How the pane's figures were measured, for its metrics line's tooltip."""
    if m.timing is None:
        return "TTFT: no request went out"
    note = f"TTFT: {m.timing}"
    if m.queue_ms is not None:
        note += f"; {m.queue_ms:.1f} ms waiting for a connection before that, not counted in it"
    if m.itl_ms is not None:
        note += f"; {m.itl_ms:.1f} ms between tokens"
    return note


def format_metrics(m: StreamMetrics, *, state: str = "") -> str:
    """`TTFT 182 ms · 37.5 tok/s · 96 tok · stop`; figures not known yet are left out (the wait for a
    connection, apart from TTFT, when it was long enough to matter)."""
    parts = []
    if m.ttft_ms is not None:
        parts.append(f"TTFT {m.ttft_ms:.0f} ms")
    if m.decode_tokens_per_s is not None:
        parts.append(f"{m.decode_tokens_per_s:.1f} tok/s")
    parts.append(f"{m.output_tokens} tok")
    if m.finish_reason:
        parts.append(m.finish_reason)
    if m.queue_ms is not None and m.queue_ms >= QUEUE_SHOWN_MS:
        parts.append(f"queued {m.queue_ms:.0f} ms")
    if state:
        parts.append(state)
    return " · ".join(parts)


class StreamPane(Vertical, can_focus=True):
    DEFAULT_CSS = """
    StreamPane { width: 1fr; height: 1fr; }
    StreamPane > .pane-title { height: 1; padding: 0 1; background: $primary-darken-2; text-style: bold; }
    StreamPane:focus > .pane-title { background: $accent-darken-1; }
    StreamPane.failed > .pane-title { background: $error-darken-1; }
    StreamPane > .pane-metrics { height: 1; padding: 0 1; color: $text-muted; }
    StreamPane.failed > .pane-metrics { color: $error; }
    StreamPane > StreamText { height: 1fr; padding: 0 0 0 1; }
    """
    BINDINGS = [
        Binding("up", "scroll(-1)", "Up", show=False, id="pane.up"),
        Binding("down", "scroll(1)", "Down", show=False, id="pane.down"),
        Binding("pageup", "scroll(-10)", "Page up", show=False, id="pane.pageup"),
        Binding("pagedown", "scroll(10)", "Page down", show=False, id="pane.pagedown"),
    ]

    def __init__(self, position: int, title: str, *, auto_flush: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.auto_flush = auto_flush
        self.position = position
        self.title_text = title
        self.verdict = ""
        self.text = ""  # what the body shows (cleaned)
        self.error: str | None = None
        self.metrics_text = ""
        self.state = "idle"  # idle | streaming | done | failed
        self.repaints = 0  # body repaints, for tests and the benchmark
        self._pending: list[str] = []
        self._live: Callable[[], StreamMetrics] | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="pane-title")
        yield Static(classes="pane-metrics")
        yield StreamText(classes="pane-body")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1 / FPS, self.flush, pause=True)
        self._show_title()

    # --- what the screen calls -------------------------------------------------------------------------

    def set_title(self, title: str, verdict: str | None = None) -> None:
        self.title_text = title
        if verdict is not None:
            self.verdict = verdict
        self._show_title()

    def begin(self, live: Callable[[], StreamMetrics] | None = None) -> None:
        """A new answer starts: clear the text, show live figures from `live()` until `finish`."""
        self.text, self.error, self.verdict, self.state = "", None, "", "streaming"
        self._pending, self._live = [], live
        self.remove_class("failed")
        self._show_title()
        self.query_one(StreamText).set_text("")
        self._set_metrics(format_metrics(StreamMetrics(), state="waiting…"))
        if self.auto_flush:
            self._timer.resume()

    def clear(self) -> None:
        """Back to empty (a new conversation)."""
        self._timer.pause()
        self.text, self.error, self.verdict, self.state, self._pending, self._live = "", None, "", "idle", [], None
        self.remove_class("failed")
        self.query_one(StreamText).set_text("")
        self._set_metrics("")
        self._show_title()

    def feed(self, text: str) -> None:
        """Buffer a delta; the next tick shows it."""
        self._pending.append(text)

    def finish(self, event: Done | Failed) -> None:
        """The answer ended: show all of it, its final figures, and its error if it failed."""
        self._timer.pause()
        self._pending = []
        self.text = clean(event.text)
        self.query_one(StreamText).set_text(self.text)
        self.repaints += 1
        if isinstance(event, Failed):
            self.state, self.error = "failed", clean(event.error)
            self.add_class("failed")
            self._set_metrics(f"failed: {self.error}  ({format_metrics(event.metrics)})")
        else:
            self.state = "done"
            self._set_metrics(format_metrics(event.metrics))
        self.query_one(".pane-metrics", Static).tooltip = timing_note(event.metrics)
        self._live = None

    # --- internals -------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Show the deltas buffered since the last flush, and the live figures."""
        if self.state != "streaming":
            return
        if self._pending:
            pending, self._pending = self._pending, []  # swap first: a feeding thread appends to the new list
            piece = clean("".join(pending))
            self.text += piece
            self.query_one(StreamText).append(piece)
            self.repaints += 1
        if self._live is not None:
            self._set_metrics(format_metrics(self._live(), state="streaming…"))

    def _set_metrics(self, line: str) -> None:
        if line == self.metrics_text:
            return
        self.metrics_text = line
        self.query_one(".pane-metrics", Static).update(Text(line), layout=False)  # one line, fixed size

    def _show_title(self) -> None:
        if not self.query(".pane-title"):
            return
        title = Text(clean(self.title_text))
        if self.verdict:
            title.append(f"  [{self.verdict}]", style="green" if self.verdict == "pass" else "red")
        self.query_one(".pane-title", Static).update(title)

    def action_scroll(self, lines: int) -> None:
        body = self.query_one(StreamText)
        body.scroll_to(y=body.scroll_y + lines, animate=False)
