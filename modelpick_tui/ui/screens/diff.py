"""The run diff: what RUN_B fixed and what it broke against RUN_A (evals/diff.py does the maths; the runs screen
opens this with d on one run, then d on another)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..workers import WorkerErrors

# Regressions first: what the new run broke is what to read before shipping it.
ORDER = ("regressed", "fixed", "still_failing", "ungraded", "still_passing")
KIND_STYLE = {"regressed": "bold red", "fixed": "bold green", "still_failing": "red", "still_passing": "green",
              "ungraded": "dim"}
KIND_LABEL = {"regressed": "regressed", "fixed": "fixed", "still_failing": "still fail", "still_passing": "still pass",
              "ungraded": "ungraded"}


class DiffScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "diff"
    BINDINGS = bindings("diff")
    AUTO_FOCUS = "#diff-pairs"
    DEFAULT_CSS = """
    DiffScreen #diff-summary { height: auto; padding: 0 1; }
    DiffScreen #diff-modes { height: auto; max-height: 6; }
    DiffScreen #diff-pairs { height: 1fr; }
    """

    def __init__(self, run_a: str, run_b: str) -> None:
        super().__init__()
        self.run_a, self.run_b = run_a, run_b
        self.diff: Any = None

    def compose(self) -> ComposeResult:
        yield Static(id="diff-summary")
        yield DataTable(id="diff-modes", cursor_type="none", show_cursor=False)
        yield DataTable(id="diff-pairs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff-summary", Static).update(Text(f"diff {self.run_a} → {self.run_b}: loading…",
                                                            style="dim"))
        pairs = self.query_one("#diff-pairs", DataTable)
        for key, label, width in (("kind", "kind", 10), ("prompt", "prompt", 16), ("model", "model", 22),
                                  ("by", "by", 6), ("change", "before → after", 14)):
            pairs.add_column(label, key=key, width=width)
        modes = self.query_one("#diff-modes", DataTable)
        modes.add_column("failure mode of A", width=40)
        modes.add_column("fixed", width=6)
        modes.add_column("of", width=4)
        self.load()

    @dataclass
    class Loaded(Message):
        diff: Any  # evals.diff.RunDiff

    @work(thread=True, exclusive=True, group="diff-load", exit_on_error=False, description="diff the two runs")
    def load(self) -> None:
        self.post_message(self.Loaded(self.app.services.diff(self.run_a, self.run_b)))  # type: ignore[attr-defined]

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#diff-summary", Static).update(safe(failure.line, "red"))

    def on_diff_screen_loaded(self, message: Loaded) -> None:
        self.diff = diff = message.diff
        head = Text("diff ", style="bold")
        head.append_text(safe(self.run_a, "bold"))
        head.append(" → ", style="bold")
        head.append_text(safe(self.run_b, "bold"))
        for line in diff.summary():
            head.append("\n")
            head.append_text(safe(line))
        self.query_one("#diff-summary", Static).update(head)
        modes = self.query_one("#diff-modes", DataTable)
        modes.clear()
        for mode, fixed, n in diff.by_mode():
            modes.add_row(safe(mode), Text(str(fixed), justify="right"), Text(str(n), justify="right"))
        modes.display = bool(modes.row_count)
        table = self.query_one("#diff-pairs", DataTable)
        table.clear()
        for pair in sorted(diff.pairs, key=lambda p: ORDER.index(p.kind)):
            before = pair.a.by(pair.source) if pair.source else "–"
            after = pair.b.by(pair.source) if pair.source else "–"
            table.add_row(Text(KIND_LABEL[pair.kind], style=KIND_STYLE[pair.kind]),
                          safe(pair.a.prompt_id or pair.a.prompt[:30]), safe(pair.a.model), Text(pair.source or ""),
                          Text(f"{before} → {after}"), key=f"{pair.a.trace_id}:{pair.b.trace_id}")

    def action_back(self) -> None:
        self.app.pop_screen()
