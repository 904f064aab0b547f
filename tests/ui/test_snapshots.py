"""Snapshot tests of the main screens at 80×24 (textual is pinned in pyproject.toml so they stay stable).

Update after an intended change with: .venv/bin/python -m pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from typing import Any

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import settle


def test_browse_screen(services: Services, snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)

    assert snap_compare(make_app(services.settings, services), terminal_size=(80, 24), run_before=ready)


def test_browse_with_filters_panel(services: Services, snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("ctrl+l", "ctrl+f")
        await settle(pilot)

    assert snap_compare(make_app(services.settings, services), terminal_size=(80, 24), run_before=ready)


def test_card_screen(services: Services, snap_compare: Any) -> None:
    async def ready(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.open_card("google/gemma-3-4b-it")
        await settle(pilot)

    assert snap_compare(make_app(services.settings, services), terminal_size=(80, 24), run_before=ready)
