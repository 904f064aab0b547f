"""The one clock: every stored timestamp has one format, so timestamps compare as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from modelpick_tui.clock import now_iso, today_iso


def test_now_iso_is_utc_to_the_millisecond() -> None:
    before = datetime.now(UTC)
    stamp = now_iso()
    after = datetime.now(UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
    parsed = datetime.fromisoformat(stamp)  # what the servers screen and `modelpick servers` parse
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= parsed <= after
    today = today_iso()
    assert today in {stamp[:10], datetime.now(UTC).strftime("%Y-%m-%d")}  # the same day, unless midnight passed
