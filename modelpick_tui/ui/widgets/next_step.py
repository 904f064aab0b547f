"""The status line of the main screens: the next step of the loop when there is an obvious one ("2 servers ready:
C to compare"), from evals/next_step.py. The counts are read in a thread worker (cheap queries, never on the UI
thread), when the line is shown and every few seconds while its screen is the one on top: labels, runs and
servers change from other screens and other processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from ..actions import ACTIONS
from ..workers import WorkerErrors

if TYPE_CHECKING:  # the loop's rules are imported when the line is first read, after the browse table's first page
    from ...evals.next_step import LoopState, Step

REFRESH_S = 5.0


def key_of(action_id: str) -> str:
    """The key the actions table gives an action (the first, when it has several)."""
    key = next((a.key for a in ACTIONS if a.id == action_id), "")
    return key.split(",")[0]


def step_line(step: Step | None) -> Text:
    if step is None:
        return Text("")
    line = Text("next: ", style="dim")
    line.append(step.what)
    line.append(" · ")
    line.append(key_of(step.action), style="bold")
    line.append(f" to {step.verb}")
    return line


class NextStep(WorkerErrors, Static):
    """One line above the footer; empty when no step is obvious."""

    DEFAULT_CSS = """
    NextStep { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Found(Message):
        def __init__(self, state: LoopState) -> None:
            super().__init__()
            self.state = state

    def __init__(self) -> None:
        super().__init__("", id="next-step")
        self.step: Step | None = None

    def on_mount(self) -> None:
        self.look()
        self.set_interval(REFRESH_S, self.look)

    def on_show(self) -> None:
        self.look()  # back on top of the stack: what the other screens did may have changed the step

    def look(self) -> None:
        # Not before the browse table's first page (the app says when): the counts open three stores and the
        # supervisor, whose imports would take the GIL from the table. start_background() looks then.
        if self.screen.is_current and getattr(self.app, "background_started", True):
            self._read()

    @work(thread=True, exclusive=True, group="next-step", exit_on_error=False,
          description="find the next step of the loop")
    def _read(self) -> None:
        self.post_message(self.Found(self.app.services.loop_state()))  # type: ignore[attr-defined]

    def on_next_step_found(self, message: Found) -> None:
        from ...evals.next_step import next_step

        self.step = next_step(message.state, here=getattr(self.screen, "SCREEN_NAME", None))
        self.update(step_line(self.step))
