"""Messages that cross screens."""

from __future__ import annotations

from textual.message import Message


class CatalogChanged(Message):
    """The catalogue or the shortlist changed (sync, scan, shortlist edit): views should re-query."""


class StatusChanged(Message):
    """Online/offline state or the banner text changed."""
