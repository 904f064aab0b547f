"""Pilot tests: drive the real app by keys at 80×24 and assert what is on screen and what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Markdown

from modelpick_tui.catalog.facts import classify_license
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, palette, screen_text, settle, table_ids, text_of

HOSTILE = "quantlord420/Qwen2.5-7B-Instruct-Uncensored-ULTRA-GGUF"


async def test_search_as_you_type_narrows_the_table(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app.screen.query_one("#summary")).startswith("232 of 232 models")
        # The fixture runs with HF_HUB_OFFLINE: the banner says so, with the cache's size and date.
        assert text_of(app.screen.query_one("#banner")).startswith("offline — cached 232 models from 20")
        await pilot.press("slash", *"qwen coder")
        await settle(pilot)
        ids = table_ids(app)
        assert "Qwen/Qwen2.5-Coder-7B-Instruct" in ids
        assert ids and all("coder" in i.lower() for i in ids)
        assert text_of(app.screen.query_one("#summary")).startswith(f"{len(ids)} of 232 models")


async def test_filter_keys_and_panel(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")  # permissive only
        await settle(pilot)
        ids = table_ids(app)
        licences = {services.catalog.store.get(i)["license"] for i in ids}
        assert ids and all(classify_license(lic).permissive for lic in licences)
        assert "permissive" in text_of(app.screen.query_one("#summary"))

        await pilot.press("ctrl+g", "ctrl+g")  # any → open only → gated only
        await settle(pilot)
        assert all(services.catalog.store.get(i)["gated"] for i in table_ids(app))
        await pilot.press("ctrl+g")  # back to any
        await settle(pilot)

        # The filter panel, by keys only: tab to the size list, pick "3-8B" with space.
        await pilot.press("ctrl+f")
        await pilot.pause()
        panel = app.screen.query_one("#filters")
        sizes = panel.query_one("#f-sizes")
        sizes.focus()
        await pilot.press("down", "space")  # second entry: 3-8B
        await settle(pilot)
        ids = table_ids(app)
        assert ids and {services.catalog.store.get(i)["size_class"] for i in ids} == {"3-8B"}
        assert "3-8B" in text_of(app.screen.query_one("#summary"))

        await pilot.press("ctrl+o")  # sort: likes
        await settle(pilot)
        likes = [services.catalog.store.get(i)["likes"] for i in table_ids(app)]
        assert likes == sorted(likes, reverse=True)
        assert "sort: likes" in text_of(app.screen.query_one("#summary"))


async def test_open_card_shows_facts_evals_checklist_and_fit(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"llama 3.1 8b instruct", "escape")
        await settle(pilot)
        assert table_ids(app)[0] == "meta-llama/Llama-3.1-8B-Instruct"
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.SCREEN_NAME == "card"
        facts = text_of(screen.query_one("#card-facts"))
        assert "llama3.1" in facts and "community" in facts
        assert "131,072 tokens" in facts
        assert "manual" in facts and "HF_TOKEN" in facts
        fit_text = text_of(screen.query_one("#card-fit"))
        for ctx in ("4k ctx", "8k ctx", "32k ctx", "128k ctx"):
            assert ctx in fit_text
        assert "test GPU 24 GiB" in fit_text
        assert "fits" in fit_text
        evals = text_of(screen.query_one("#card-evals"))
        assert "MMLU" in evals or "mmlu" in evals.lower()
        checklist = text_of(screen.query_one("#card-checklist"))
        assert "card quality" in checklist and "limitations" in checklist
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.SCREEN_NAME == "browse"


async def test_gguf_card_lists_quants_with_fit(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_card("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF")
        await settle(pilot)
        fit_text = text_of(app.screen.query_one("#card-fit"))
        assert "Q4_K_M" in fit_text and "Q8_0" in fit_text
        files = text_of(app.screen.query_one("#card-files"))
        assert "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf" in files and "GiB" in files
        # The repack has no config: the architecture comes from its base model, so KV is counted.
        assert "weights only" not in fit_text


async def test_shortlist_with_note_is_stored_and_listed(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = table_ids(app)[0]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"small and fast", "enter")
        await settle(pilot)  # stored by a worker
        assert [(s["model_id"], s["note"]) for s in services.catalog.shortlist()] == [(first, "small and fast")]
        await pilot.press("L")
        await settle(pilot)  # loaded by a worker
        assert app.screen.SCREEN_NAME == "shortlist"
        table = app.screen.query_one("#shortlist", DataTable)
        assert table.row_count == 1
        assert "small and fast" in str(table.get_row_at(0)[-1])
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert services.catalog.shortlist() == []
        assert table.row_count == 0


async def test_escape_cancels_the_note_and_stores_nothing(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s", *"oops", "escape")
        await pilot.pause()
        assert services.catalog.shortlist() == []


async def test_hostile_card_is_shown_literally(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_card(HOSTILE)
        await settle(pilot)
        markdown = app.screen.query_one("#card-text", Markdown)
        # The rendered blocks, as the user sees them.
        blocks = [str(b._content) if hasattr(b, "_content") else "" for b in markdown.query("MarkdownBlock")]
        shown = "\n".join(blocks)
        assert "[bold red]PWNED[/bold red]" in shown  # markup is text, not style
        assert "[link=http://x]click[/link]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "␛[31m" in shown  # the escape is visible instead of taking effect
        # On screen: scroll the heading into view; the markup shows as typed, no escape survives.
        heading = markdown.query("MarkdownH1").first()
        app.screen.query_one("#card-body").scroll_to_widget(heading, animate=False, top=True)
        await pilot.pause()
        visible = screen_text(app)
        assert "[bold red]PWNED[/bold red]" in visible
        assert "\x1b" not in visible


@pytest.mark.parametrize("query,expected", [("permissive", "Permissive"), ("sort", "Sort")])
async def test_command_palette_runs_screen_actions(services: Services, query: str, expected: str) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.screen.query_state
        await palette(pilot, query)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_state != before


async def test_local_filter_shows_a_scanned_gguf_and_its_fit(services: Services, gemma_gguf: Path) -> None:
    path = gemma_gguf
    report = services.catalog.scan_dir(path.parent)
    assert len(report.facts) == 1
    model_id = report.facts[0].id
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert model_id in table_ids(app)
        assert "local only" in text_of(app.screen.query_one("#summary"))
        app.screen.query_one("#results", DataTable).move_cursor(row=table_ids(app).index(model_id))
        await pilot.press("enter")
        await settle(pilot)
        facts = text_of(app.screen.query_one("#card-facts"))
        assert "gemma3" in facts and "32,768 tokens" in facts
        fit_text = text_of(app.screen.query_one("#card-fit"))
        assert "Q4_K_M" in fit_text and "weights only" not in fit_text


async def test_first_launch_opens_the_database_and_loads_the_sample_in_a_worker(settings: Any, memory_24g: Any) -> None:
    from modelpick_tui.services import build_services

    services = build_services(settings, memory=memory_24g, open_db_now=False)  # as `modelpick` does
    try:
        app = make_app(settings, services)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert text_of(app.screen.query_one("#summary")).startswith("232 of 232 models")
            assert len(table_ids(app)) == 200  # the first page; the count covers the rest
    finally:
        services.close()


async def test_command_palette_opens_a_card_by_model_name(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette(pilot, "gemma-3-270m-it")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "card"
        assert "gemma-3-270m-it" in app.screen.model_id
