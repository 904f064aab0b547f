"""Waiting on state, outside a Pilot (tests/support/pilot.py has the Pilot's own): poll a check until it holds,
and fail saying what was awaited when it does not within a generous limit. Never a wait on a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], what: str, limit: float = 60.0, every: float = 0.05) -> T:
    """The first true value `check()` returns; AssertionError naming `what` after `limit` seconds without one."""
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit:g} s waiting for {what}")
        time.sleep(every)
