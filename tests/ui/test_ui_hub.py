"""Pilot tests of the TUI against the fake Hub: sync by key, and the offline banner when the Hub fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app
from tests.support.fakehub import FakeHub
from tests.support.paths import SAMPLE
from tests.support.pilot import SIZE, settle, table_ids, text_of, wait_for


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub.from_sample_data(SAMPLE, page_size=50) as hub:
        yield hub


@pytest.fixture
def online(hub: FakeHub, tmp_path: Path, memory_24g: Memory) -> Iterator[Services]:
    settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db", sample_dir=SAMPLE,
                        hf_endpoint=hub.url, hub_timeout=1.0, hub_deadline=2.0)
    services = build_services(settings, memory=memory_24g)
    services.catalog.ensure_loaded()
    yield services
    services.close()


async def wait_for_sync(pilot: Any) -> None:
    await settle(pilot)  # the key reached its binding, the sync's worker ran and said how it went
    await wait_for(pilot, lambda: not pilot.app.screen.query("#sync-progress"), 10, "the sync's progress bar to go")


async def test_sync_by_key_fetches_from_the_hub_and_clears_the_sample_banner(online: Services, hub: FakeHub) -> None:
    app = make_app(online.settings, online)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "embedded sample catalogue" in text_of(app.screen.query_one("#banner"))
        await pilot.press("slash", *"qwen", "escape")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await wait_for_sync(pilot)
        listed = [r for r in hub.requests if r.path == "/api/models"]
        assert listed and all(r.query.get("search") == ["qwen"] for r in listed)
        assert online.catalog.store.get_meta("last_sync")  # stored
        assert not app.screen.query_one("#banner").display  # synced from the Hub: nothing to warn about
        assert any("synced" in str(n.message) for n in app._notifications)
        assert "Qwen/Qwen2.5-7B-Instruct" in table_ids(app)


async def test_a_failing_hub_turns_the_banner_offline_with_one_line(online: Services, hub: FakeHub) -> None:
    hub.fail_status = 503
    hub.retry_after = 0
    app = make_app(online.settings, online)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await wait_for_sync(pilot)
        banner = text_of(app.screen.query_one("#banner"))
        assert banner.startswith("offline — cached 232 models from 20")
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "\n" not in errors[0] and "503" in errors[0]
        # The catalogue still answers from the cache.
        assert len(table_ids(app)) == 200
