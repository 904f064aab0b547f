"""Messages that cross screens. Messages that stay within one screen are nested in the screen that posts them."""

from __future__ import annotations

from dataclasses import dataclass

from textual.dom import DOMNode
from textual.message import Message


class CatalogChanged(Message):
    """The catalogue or the shortlist changed (sync, scan, shortlist edit): views should re-query."""


class StatusChanged(Message):
    """Online/offline state or the banner text changed."""


@dataclass
class Notice(Message):
    """A line for the user from work that outlives any screen (a prompt-set run); posted to the app."""

    line: str
    severity: str = "information"  # or "warning", "error"


@dataclass
class WorkFailed(Message):
    """A worker of `node` (a screen, a modal or the app) raised. Posted to the app, whose one handler shows
    `line` as a notice and asks `node` to say on screen what failed (see ui/workers.py)."""

    node: DOMNode
    group: str  # the worker's group: which of the node's jobs failed
    line: str  # "could not load the scoreboard: database is locked": one line, control characters made visible
