"""The start form's list of the GGUF files on this machine: type to filter, enter picks (the form fills in the
model, name, context and chat format). A path can still be typed in the form's model field."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label

from ...catalog.details import LocalGguf
from ...catalog.fit.memory import format_bytes
from ...serving.plan import best_ctx
from ..format import safe
from ..messages import WorkFailed
from ..tables import cursor_key, matches, refill, type_to_search
from ..workers import WorkerErrors

VERDICT_STYLE = {"fits": "green", "tight": "yellow", "does not fit": "red"}
LOOKING = "looking for GGUF files on this machine…"
FILE_WIDTH = 30  # the columns and their padding fill the form's 72 columns: no sideways scroll bar
NONE_FOUND = "none known here: type a path under model (modelpick catalog scan DIR adds a folder)"


def fit_of(g: LocalGguf) -> tuple[int | None, str]:
    """The context the form would start it with (the largest of 4k/8k/32k that fits) and the verdict there."""
    if g.fit is None:
        return None, "?"
    ctx = best_ctx(g.fit.estimate, g.max_context)
    row = next((r for r in g.fit.estimate.rows if r.context == ctx), None)
    return ctx, row.verdict if row is not None else "?"


class GgufPicker(WorkerErrors, Vertical):
    DEFAULT_CSS = """
    GgufPicker { height: auto; }
    GgufPicker #start-local { height: auto; max-height: 6; }
    """

    @dataclass
    class Picked(Message):
        gguf: LocalGguf
        ctx: int | None  # the context it fits with, None when the fit is not known
        line: str  # "SmolLM2-135M-Instruct.Q4_1.gguf (94 MiB): fits at 8k"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.files: list[LocalGguf] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="start-row"):
            yield Label("local GGUF")
            yield Input(placeholder=LOOKING, id="start-local-filter", select_on_focus=False)
        yield DataTable(id="start-local", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (("file", "file", FILE_WIDTH), ("quant", "quant", 7), ("size", "size", 8),
                                  ("fit", "fit", 9), ("from", "from", 8)):
            table.add_column(label, key=key, width=width)
        table.display = False
        self.find()

    @dataclass
    class Found(Message):
        files: list[LocalGguf]

    @work(thread=True, exclusive=True, group="local-gguf", exit_on_error=False,
          description="list the GGUF files on this machine")
    def find(self) -> None:
        self.post_message(self.Found(self.app.services.catalog.local_ggufs()))  # type: ignore[attr-defined]

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#start-local-filter", Input).placeholder = f"{failure.line}; type a path under model"

    def on_gguf_picker_found(self, message: Found) -> None:
        self.files = message.files
        search = self.query_one("#start-local-filter", Input)
        search.placeholder = "type to filter · enter picks · tab: the form" if self.files else NONE_FOUND
        self._fill()

    def _fill(self) -> None:
        search = self.query_one("#start-local-filter", Input).value
        table = self.query_one(DataTable)
        refill(table, ((g.path, self._cells(g)) for g in self.files
                       if matches(search, f"{g.model_id} {g.path} {g.source} {g.quant or ''}")))
        table.display = bool(self.files)

    @staticmethod
    def _cells(g: LocalGguf) -> list[Text]:
        ctx, verdict = fit_of(g)
        fit = Text(f"{verdict.replace('does not fit', 'too big')} {ctx // 1024}k" if ctx else verdict,
                   style=VERDICT_STYLE.get(verdict, "dim"))
        name = g.path.rsplit("/", 1)[-1]
        return [safe(name if len(name) <= FILE_WIDTH else name[: FILE_WIDTH - 1] + "…"), safe(g.quant or "?"),
                Text(format_bytes(g.size) if g.size else "?", justify="right"), fit, safe(g.source)]

    @on(Input.Changed, "#start-local-filter")
    def _filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#start-local-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # enter in the filter picks; in the form's other fields it starts the server
        self.pick()

    @on(DataTable.RowSelected, "#start-local")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.pick()

    def on_key(self, event: events.Key) -> None:
        # In a form every printable key on the list is the filter's (no screen key: the form has none).
        type_to_search(event, self.query_one(DataTable), self.query_one("#start-local-filter", Input),
                       screen_keys=False)

    def pick(self) -> None:
        path = cursor_key(self.query_one(DataTable))
        g = next((f for f in self.files if f.path == path), None)
        if g is None:
            return
        ctx, verdict = fit_of(g)
        size = f" ({format_bytes(g.size)})" if g.size else ""
        fit = f"{verdict} at {ctx // 1024}k" if ctx else "fit not known"
        self.post_message(self.Picked(g, ctx, f"{g.path.rsplit('/', 1)[-1]}{size}: {fit}"))
