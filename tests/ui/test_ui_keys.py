"""The keys (docs/keys.md): a name typed on a list is a search, never an action; quit is ctrl+q; each screen's
footer fits 80 columns, and f1 and the palette name every other key."""

from __future__ import annotations

from textual.widgets import DataTable

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from modelpick_tui.ui.screens.note import NoteModal
from tests.support.pilot import SIZE, palette, screen_lines, settle, table_ids, text_of, wait_for


async def test_typing_on_the_table_searches_and_never_quits(services: Services) -> None:
    """A model name typed on the table (q, w, e, n: each once a key) is a search; the app keeps running."""
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.focused is app.screen.query_one("#results")
        before = app.screen.query_state
        await pilot.press(*"qwen")
        await settle(pilot)
        assert app.is_running and app.screen.SCREEN_NAME == "browse"
        assert app.screen.query_one("#search").value == "qwen"
        ids = table_ids(app)
        assert ids and all("qwen" in i.lower() for i in ids)
        # Only the search changed: no letter toggled a filter or the sort.
        assert app.screen.query_state == before._replace(text="qwen")
        await pilot.press(*"-coder")  # the table keeps the focus: arrows and enter act on what the search left
        await settle(pilot)
        assert app.screen.query_one("#search").value == "qwen-coder"
        assert app.screen.focused is app.screen.query_one("#results")
        assert table_ids(app) and all("coder" in i.lower() for i in table_ids(app))
        await pilot.press(*["backspace"] * 6)
        await settle(pilot)
        assert app.screen.query_one("#search").value == "qwen"
        # The screen's ctrl keys work on the table as typed: ctrl+s shortlists the row under the cursor.
        selected = app.screen.selected_id()  # the coder the cursor stayed on while the search widened again
        assert selected == "Qwen/Qwen2.5-Coder-7B-Instruct"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal), 10, "the shortlist note")
        assert app.screen.model_id == selected
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # clears the search
        await settle(pilot)
        assert app.screen.query_one("#search").value == "" and app.screen.query_state == before
        assert len(table_ids(app)) == 200 and app.is_running


async def test_a_capital_that_is_no_screen_key_starts_the_search(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"Gemma")  # G is no key; the capitals L S C P V M B open the loop's screens
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "browse" and app.screen.query_one("#search").value == "Gemma"
        assert table_ids(app) and all("gemma" in i.lower() for i in table_ids(app))


async def test_the_shortlist_filters_as_you_type_and_escape_goes_back(services: Services) -> None:
    for model_id in ("Qwen/Qwen2.5-Coder-7B-Instruct", "google/gemma-3-4b-it"):
        services.catalog.shortlist_add(model_id, "")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        table = app.screen.query_one("#shortlist", DataTable)
        assert table.row_count == 2 and app.screen.focused is table
        await pilot.press(*"gemma")  # d once removed, e edited, v served
        await settle(pilot)
        assert [str(k.value) for k in table.rows] == ["google/gemma-3-4b-it"]
        assert len(services.catalog.shortlist()) == 2 and app.screen.SCREEN_NAME == "shortlist"
        # ctrl+s edits the note of the row the filter left.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal), 10, "the note")
        assert app.screen.model_id == "google/gemma-3-4b-it"
        await pilot.press(*"small", "enter")
        await settle(pilot)
        assert {s["model_id"]: s["note"] for s in services.catalog.shortlist()}["google/gemma-3-4b-it"] == "small"
        # escape clears the filter, then goes back to the catalogue (popping the shortlist crashed the app: its
        # `remove` worker shadowed Widget.remove, which Textual awaits when a screen is popped).
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == 2 and app.screen.SCREEN_NAME == "shortlist"
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and app.screen.SCREEN_NAME == "browse"


async def test_every_footer_entry_is_shown_whole_at_80_columns(services: Services) -> None:
    services.catalog.shortlist_add("google/gemma-3-4b-it", "")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for keys, screen in (((), "browse"), (("enter",), "card"), (("escape", "L"), "shortlist"),
                             (("escape", "S"), "servers")):
            await pilot.press(*keys)
            await settle(pilot)
            assert app.screen.SCREEN_NAME == screen
            footer = screen_lines(app).splitlines()[-1]
            shown = [(app.get_key_display(b), b.description) for _, b, _, _ in app.screen.active_bindings.values()
                     if b.show]
            assert shown, screen
            for key, description in shown:
                assert f"{key} {description}" in footer, f"{screen}: {key} {description} cut from {footer!r}"
            assert footer.rstrip().endswith("^p palette"), footer
        await pilot.press("escape")
        await settle(pilot)
        footer = screen_lines(app).splitlines()[-1]
        for entry in ("^f Filters", "^o Sort", "^s Shortlist+", "^r Sync", "f1 Keys", "^q Quit"):
            assert entry in footer


async def test_f1_and_the_palette_name_the_keys_the_footer_leaves_out(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: app.screen.query("#keys-text"), 10, "the keys")
        shown = text_of(app.screen.query_one("#keys-text"))
        for key, what in (("/", "Edit the search in its box"), ("ctrl+l", "permissive licences only"),
                          ("ctrl+y", "only models already on this machine"), ("ctrl+q", "Quit modelpick"),
                          ("C", "Compare"), ("V", "Review traces")):
            line = next((x for x in shown.splitlines() if what in x), "")
            assert line.split()[:1] == [key], (key, what, shown)
        await pilot.press("f1")
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "browse"
        await palette(pilot, "permissive")
        assert "(ctrl+l)" in screen_lines(app)
