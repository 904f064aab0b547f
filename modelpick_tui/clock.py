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


def seconds_since(stamp: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a stored timestamp to now (a server's uptime, in the CLI and on the servers screen alike);
    None for a missing or unreadable stamp, or one in the future (a clock set back)."""
    if not stamp:
        return None
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if then.tzinfo is None:  # every stamp modelpick writes is UTC; an older naive one is too
        then = then.replace(tzinfo=UTC)
    secs = ((now or datetime.now(UTC)) - then).total_seconds()
    return secs if secs >= 0 else None
