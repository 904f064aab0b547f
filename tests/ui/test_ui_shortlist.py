"""The shortlist side by side (evals/shortlist.py) on the screen: three candidates as columns at 80×24 (the table
scrolls both ways, the facts' names stay in view) and at 160×40; benchmark rows aligned by dataset and metric,
the best of each row marked, a card that reports nothing left empty (never a zero), card values shown as text."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import settle, wait_for

# The sample cards of Qwen2.5-7B-Instruct and gemma-3-4b-it both report "MMLU-Pro · accuracy" (56.3 and 43.6) and
# "GSM8K · exact match" (91.6 and 89.2); TinyLlama's has no model-index at all.
THREE = ("Qwen/Qwen2.5-7B-Instruct", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "google/gemma-3-4b-it")


def _row(table: DataTable, key: str) -> list[str]:  # type: ignore[type-arg]
    return [str(getattr(c, "plain", c)) for c in table.get_row(key)]


def _app(services: Services) -> Any:
    for model_id in THREE:
        services.catalog.shortlist_add(model_id, "")
    return make_app(services.settings, services)


async def _open(app: Any, pilot: Any) -> DataTable:  # type: ignore[type-arg]
    await settle(pilot)
    await pilot.press("L")
    await settle(pilot)
    table = app.screen.query_one("#side-by-side", DataTable)
    await wait_for(pilot, lambda: table.row_count > 0, 10, "the side-by-side table")
    return table


async def test_three_candidates_side_by_side_at_160x40(services: Services) -> None:
    app = _app(services)
    async with app.run_test(size=(160, 40)) as pilot:
        table = await _open(app, pilot)
        assert [str(getattr(c.label, "plain", c.label)) for c in table.columns.values()] == ["", *THREE]
        keys = [str(k.value) for k in table.rows]
        assert keys[:11] == ["licence", "gated", "params", "context", "card_quality", "downloads", "likes",
                             "last_modified", "fit", "memory", "speed"]
        # One row per dataset and metric both report, the higher marked; TinyLlama reports nothing: empty, not 0.
        assert _row(table, "bench:mmlu-pro|accuracy") == ["MMLU-Pro · accuracy", "★ 56.3", "", "43.6"]
        assert _row(table, "bench:gsm8k|exact match") == ["GSM8K · exact match", "★ 91.6", "", "89.2"]
        # A benchmark only one card reports: its value, the others empty, nothing marked.
        assert _row(table, "bench:docvqa|anls") == ["DocVQA · ANLS", "", "", "75.8"]
        bench = [k for k in keys if k.startswith("bench:")]
        assert len(bench) > 5 and all(_row(table, k)[2] == "" for k in bench)  # TinyLlama: every one empty
        # Facts: licences, the most downloaded marked, card quality n/6 with what is missing.
        assert _row(table, "licence")[1:] == ["★ apache-2.0 (permissive)", "★ apache-2.0 (permissive)",
                                              "gemma (community)"]
        assert _row(table, "downloads")[1].startswith("★ ")
        assert _row(table, "card_quality")[1:] == [
            "5/6 (no training data)",
            "0/6 (no intended use, training data, benchmarks, limitations, bias/safety, date/version)", "★ 6/6"]
        assert _row(table, "params")[1].startswith("7.6B / ")
        assert "fits" in _row(table, "fit")[1] or "tight" in _row(table, "fit")[1]
        # ctrl+o: the fit row at the next context (8k → 32k), said in the title.
        before = app.screen.side.context
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.side.context != before, 10, "the next context")
        assert app.screen.side.context == 32768


async def test_side_by_side_scrolls_at_80x24(services: Services) -> None:
    app = _app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _open(app, pilot)
        assert table.virtual_size.width > table.size.width and table.virtual_size.height > table.size.height
        table.focus()
        await pilot.press(*["right"] * 3, *["down"] * 25)
        await settle(pilot)
        assert table.scroll_x > 0 and table.scroll_y > 0
        assert table.fixed_columns == 1  # the facts' names stay in view while the candidates scroll


async def test_card_values_are_text_on_the_side_by_side(services: Services) -> None:
    # YAML's "\e" and "\a" are ESC and BEL: an OSC 52 (write the clipboard) inside a dataset's name.
    card = ('---\nlicense: mit\nmodel-index:\n- name: x\n  results:\n  - task: {type: text-generation}\n'
            '    dataset: {name: "[bold red]pwned[/] \\e]52;c;SGVsbG8=\\a", type: x}\n'
            '    metrics:\n    - {type: acc, value: 1.5}\n---\n# x\n')
    services.catalog.store.save_card("google/gemma-3-4b-it", card, source="sample")
    services.catalog.shortlist_add("google/gemma-3-4b-it", "")
    app = make_app(services.settings, services)
    async with app.run_test(size=(160, 40)) as pilot:
        table = await _open(app, pilot)
        bench = [k for k in map(str, (k.value for k in table.rows)) if k.startswith("bench:")]
        assert len(bench) == 1
        label = _row(table, bench[0])[0]
        assert label.startswith("[bold red]pwned[/]") and "\x1b" not in label and "\x07" not in label, label
