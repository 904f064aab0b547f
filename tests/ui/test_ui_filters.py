"""Filters show what they do: a box or an option is drawn ticked only when it is (Textual drew an X either way,
told apart by colour alone, so the review filter's unlabelled "unlabelled only" read as ticked while the queue
held every trace and started on a labelled one)."""

from __future__ import annotations

from typing import Any

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, screen_lines, settle, table_ids, text_of, wait_for
from tests.ui.test_ui_review import _traces


def tick(app: Any, label: str) -> str:
    """What the box before `label` holds on screen: "X" or " "."""
    line = next(line for line in screen_lines(app).splitlines() if f"▌ {label}" in line)
    return line[line.index(f"▌ {label}") - 1]


async def test_the_review_filter_shows_its_default_and_does_what_it_shows(services: Services) -> None:
    rows = _traces(services, n_prompts=2)
    services.review.label(rows[0].id, "pass")  # the queue's first trace is labelled
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        meta = text_of(app.screen.query_one("#review-meta"))
        assert meta.startswith("1/4 ") and "pass" in meta  # every trace, the labelled one first
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.query("#filter-unlabelled"), 10, "the review filter")
        box = app.screen.query_one("#filter-unlabelled")
        assert box.value is False and app.screen.focused is box
        assert tick(app, "unlabelled only") == " "  # unticked, and drawn so (focused, too)
        await pilot.press("space")
        await settle(pilot)
        assert tick(app, "unlabelled only") == "X"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Ticked: the queue holds the three unlabelled traces, and the progress line says which filter it is.
        meta = text_of(app.screen.query_one("#review-meta"))
        assert meta.startswith("1/3 ") and "unlabelled" in meta
        assert "[unlabelled only]" in text_of(app.screen.query_one("#review-progress"))
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.query("#filter-unlabelled"), 10, "the review filter")
        assert app.screen.query_one("#filter-unlabelled").value is True
        assert tick(app, "unlabelled only") == "X"


async def test_the_browse_filter_panel_ticks_only_what_is_selected(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        sizes = app.screen.query_one("#f-sizes")
        sizes.focus()
        await settle(pilot)
        assert [tick(app, s) for s in ("<3B", "3-8B", "8-15B")] == [" ", " ", " "]
        await pilot.press("down", "space")  # 3-8B
        await settle(pilot)
        assert [tick(app, s) for s in ("<3B", "3-8B", "8-15B")] == [" ", "X", " "]
        assert table_ids(app)


async def test_the_browse_filter_panel_bounds_active_parameters(services: Services) -> None:
    """A mixture of experts is found by what one token reads: "max 5B active" keeps gpt-oss-20b (20.9B, 3.6B
    active) and drops Mixtral 8x7B (12.7B active) and every dense model above 5B."""
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        app.screen.query_one("#f-max-active").focus()
        await pilot.press(*"5B")
        await settle(pilot)
        ids = table_ids(app)
        assert "openai/gpt-oss-20b" in ids and "Qwen/Qwen3-30B-A3B" in ids
        assert "mistralai/Mixtral-8x7B-Instruct-v0.1" not in ids and "meta-llama/Llama-3.1-8B-Instruct" not in ids
        assert "active 0–5.0B" in text_of(app.screen.query_one("#summary"))
        await pilot.press("ctrl+f")  # the panel closes; the table shows total/active
        await settle(pilot)
        line = next(line for line in screen_lines(app).splitlines() if "openai/gpt-oss-20b" in line)
        assert "20.9B/3.6B" in line
        await pilot.press("ctrl+f")
        await settle(pilot)
        app.screen.query_one("#f-max-active").focus()
        await pilot.press("backspace", "backspace", *"x")  # not a count: no bound, the box says so
        await settle(pilot)
        assert "mistralai/Mixtral-8x7B-Instruct-v0.1" in table_ids(app)
        assert app.screen.query_one("#f-max-active").has_class("-invalid")
