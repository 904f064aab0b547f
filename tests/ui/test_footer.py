"""The browse screen's footer: composed once for the keys it shows at start, and again when they change."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets._footer import FooterKey

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from modelpick_tui.ui.widgets.footer import Footer
from tests.support.pilot import SIZE, settle


def footer_keys(app: Any) -> list[tuple[str, str]]:
    return [(k.key, k.description) for k in app.screen.query(FooterKey)]


async def test_the_footer_is_composed_once_for_the_keys_of_the_start(services: Services,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[int] = []
    compose = Footer.compose

    def counting(self: Footer) -> Any:
        keys = list(compose(self))
        if keys:  # Textual's first compose, before the screen's bindings are known, draws nothing
            composed.append(len(keys))
        return keys

    monkeypatch.setattr(Footer, "compose", counting)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert ("ctrl+q", "Quit") in footer_keys(app)
        # Textual's footer composed three times here (focus: its watcher and after the refresh; the screen's
        # resume), mounting and restyling every key each time.
        assert len(composed) == 1, composed


async def test_the_footer_follows_a_remapped_key(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sort = next(key for key, description in footer_keys(app) if description == "Sort")
        app.set_keymap({"browse.sort": "ctrl+t"})
        await settle(pilot)
        assert ("ctrl+t", "Sort") in footer_keys(app) and (sort, "Sort") not in footer_keys(app)
