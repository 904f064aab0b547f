"""The browse screen filtered by origin and tier from its filter panel, at 80×24, and the origin on the card
(issue 18)."""

from __future__ import annotations

from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, settle, table_ids, text_of, wait_for
from tests.ui.test_ui_filters import tick


def _all_rows(services: Services) -> list:
    return services.catalog.search(CatalogQuery(limit=1000)).rows


async def test_filter_by_origin_and_tier(services: Services) -> None:
    rows = _all_rows(services)
    # Mistral AI is in Paris (origins.csv cites its page); low tier is under 32B total parameters.
    mistral_low = {r.id for r in rows if r.id.startswith("mistralai/") and r.params and r.params < 32e9}
    assert mistral_low and len(mistral_low) < len([r for r in rows if r.id.startswith("mistralai/")])
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        origins = app.screen.query_one("#f-origins")
        countries = [str(origins.get_option_at_index(i).value) for i in range(origins.option_count)]
        assert {"US", "FR", "CN", "unknown"} <= set(countries)
        origins.focus()
        await settle(pilot)
        await pilot.press(*["down"] * countries.index("FR"), "space")
        await settle(pilot)
        assert tick(app, "FR (") == "X"
        assert set(table_ids(app)) == {r.id for r in rows if r.id.startswith("mistralai/")}
        tiers = app.screen.query_one("#f-tiers")
        tiers.focus()
        await settle(pilot)
        await pilot.press("space")  # low: the first tier
        await settle(pilot)
        assert tick(app, "low") == "X" and tick(app, "medium") == " "
        assert set(table_ids(app)) == mistral_low
        summary = text_of(app.screen.query_one("#summary"))
        assert f"{len(mistral_low)} of {len(rows)} models" in summary
        assert "origin: FR" in summary and "tier: low" in summary

        # By the base model: the repacks of Mistral's models join (their publishers are not French).
        app.screen.query_one("#f-by-base").focus()
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        by_base = set(table_ids(app))
        repacks = by_base - mistral_low
        assert repacks and all(not i.startswith("mistralai/") for i in repacks)
        assert "base origin: FR" in text_of(app.screen.query_one("#summary"))
        for model_id in repacks:
            row = services.catalog.store.get(model_id) or {}
            assert row["base_model"].startswith("mistralai/") and row["tier"] == "low"

        # The card of a repack: its own publisher's origin and its base model's, each on its own line.
        await pilot.press("ctrl+f")
        await settle(pilot)
        repack = sorted(repacks)[0]
        app.open_card(repack)
        await wait_for(pilot, lambda: app.screen.query("#card-facts"), 10, "the card")
        await settle(pilot)
        facts = text_of(app.screen.query_one("#card-facts"))
        lines = {line.split()[0]: line for line in facts.splitlines() if line.strip()}
        assert "unknown" in lines["origin"] or "not in the origin table" in lines["origin"]
        base_line = next(line for line in facts.splitlines() if line.startswith("base origin"))
        assert base_line.split()[2:5] == ["FR", "—", (services.catalog.store.get(repack) or {})["base_model"]]
        # Where the entry was read and how it was checked: the shipped table was written without opening its pages.
        assert "en.wikipedia.org/wiki/Mistral_AI · not verified online" in " ".join(facts.split())
        assert "low" in lines["tier"]
