"""The composition root makes each of its parts once, whichever thread asks first."""

from __future__ import annotations

import threading
from typing import Any

from modelpick_tui.services import Services


def _ask_at_once(get: Any, n: int = 8) -> list[Any]:
    start, got = threading.Barrier(n), []

    def ask() -> None:
        start.wait()
        got.append(get())

    threads = [threading.Thread(target=ask) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return got


def test_workers_asking_at_once_get_one_supervisor_and_one_of_each_store(services: Services) -> None:
    # At the TUI's start the re-attach and next-step workers ask together; two supervisors meant the re-attached
    # servers lived in one the app never looked at.
    assert len({id(s) for s in _ask_at_once(lambda: services.supervisor)}) == 1
    assert len({id(s) for s in _ask_at_once(lambda: services.traces)}) == 1
    assert len({id(s) for s in _ask_at_once(lambda: services.catalog)}) == 1
