"""The one clock for what modelpick stores: every timestamp in the database and in exports comes from here."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    """Now in UTC, ISO 8601 to the millisecond with a `Z` (`2025-01-31T09:05:02.123Z`): one format in every
    table, so timestamps compare as text, and traces and labels made in one second still sort by time."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def today_iso() -> str:
    """Today's date in UTC (`2025-01-31`), for what is dated by the day (a decision)."""
    return datetime.now(UTC).strftime("%Y-%m-%d")
