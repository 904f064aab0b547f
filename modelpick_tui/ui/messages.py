"""Messages that cross screens. Messages that stay within one screen are nested in the screen that posts them.

The messages the app and the browse screen define are plain classes, not dataclasses: each dataclass is about a
millisecond of the start, to write and compile its methods (bench/cold_start.py)."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.message import Message


class CatalogChanged(Message):
    """The catalogue or the shortlist changed (sync, scan, shortlist edit): views should re-query."""


class StatusChanged(Message):
    """Online/offline state or the banner text changed."""


class Notice(Message):
    """A line for the user from work that outlives any screen (a prompt-set run); posted to the app."""

    def __init__(self, line: str, severity: str = "information") -> None:
        super().__init__()
        self.line = line
        self.severity = severity  # or "warning", "error"


class WorkFailed(Message):
    """A worker of `node` (a screen, a modal or the app) raised. Posted to the app, whose one handler shows
    `line` as a notice and asks `node` to say on screen what failed (see ui/workers.py)."""

    def __init__(self, node: DOMNode, group: str, line: str) -> None:
        super().__init__()
        self.node = node
        self.group = group  # the worker's group: which of the node's jobs failed
        self.line = line  # "could not load the scoreboard: database is locked": one line, control characters shown
