"""The one clock: every stored timestamp has one format, so timestamps compare as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from modelpick_tui.clock import now_iso, seconds_since, today_iso
from modelpick_tui.ui.screens.servers import uptime


def test_now_iso_is_utc_to_the_millisecond() -> None:
    before = datetime.now(UTC)
    stamp = now_iso()
    after = datetime.now(UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    parsed = datetime.fromisoformat(stamp)  # what the servers screen and `modelpick servers` parse
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= parsed <= after
    today = today_iso()
    assert today in {stamp[:10], datetime.now(UTC).strftime("%Y-%m-%d")}  # the same day, unless midnight passed


def test_uptime_is_one_rule_for_the_cli_and_the_servers_screen() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert seconds_since("2026-01-02T02:03:04.500Z", now) == 3660.5  # an hour, a minute and a second and a half
    assert uptime("2026-01-02T02:03:04.500Z", now) == "1h01m"
    assert uptime("2026-01-02T03:02:00.000Z", now) == "2m05s"
    assert seconds_since("2026-01-02T03:02:00", now) == 125.0  # a naive stamp is read as UTC, as modelpick wrote it
    for bad in (None, "", "yesterday", "2026-01-02T03:05:00.000Z"):  # missing, unreadable, in the future
        assert seconds_since(bad, now) is None
        assert uptime(bad, now) == ""
