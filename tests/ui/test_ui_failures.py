"""Pilot tests of the failure-mode screen at 80×24: open it with M, cluster with r, drill into a mode's
traces, rename, merge, split and move — checking what the screen shows and what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from modelpick_tui.evals import failure_modes
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, screen_text, settle

FAILURES = [
    ("qwen", "not valid json", '{"a": 1,'), ("llama", "invalid json object", "{'a': 1}"),
    ("qwen", "json is missing a brace", '{"a": 1'), ("gemma", "broken json output", "a: 1"),
    ("llama", "refused a harmless request", "I cannot help with that."),
    ("qwen", "refused to answer", "Sorry, I can't assist."), ("gemma", "refused again", "I cannot do that."),
    ("llama", "refused a simple question", "I'm unable to help \x1b[31m[bold]red[/bold]."),
]


@pytest.fixture
def seeded(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    # The TF-IDF fallback keeps this test quick (no model to load); the embedding path is tested in
    # test_clustering.py, and the screen does not care which ran.
    monkeypatch.setattr(failure_modes, "embeddings_available", lambda: False)
    run_id = services.traces.create_run(kind="set")
    for model, note, output in FAILURES:
        trace = services.traces.add(Trace(run_id=run_id, prompt="p", endpoint=model, model=model, output=output))
        services.review.label(trace.id, "fail", note)
    return services


def modes_table(app: Any) -> DataTable:
    return app.screen.query_one("#modes", DataTable)


async def open_clustered(pilot: Any) -> None:
    await pilot.press("M")
    await settle(pilot)


def json_and_refused(app: Any, store: Any) -> tuple[str, str]:
    """The ids of the two modes the seeded failures cluster into: the JSON one, the refusals."""
    ids = [str(k.value) for k in modes_table(app).rows]
    json_id = next(i for i in ids if "json" in store.mode(i).name)
    return json_id, next(i for i in ids if i != json_id)


def label_later(services: Services, failures: list[tuple[str, str]]) -> dict[str, str]:
    """Failures reviewed after the modes were made (model, note): note -> trace id."""
    run_id = services.traces.create_run(kind="set")
    new = {}
    for model, note in failures:
        trace = services.traces.add(Trace(run_id=run_id, prompt="p", endpoint=model, model=model, output="x"))
        services.review.label(trace.id, "fail", note)
        new[note] = trace.id
    return new


def notified(app: Any, line: str) -> bool:
    return any(line in str(n.message) for n in app._notifications)


async def test_the_screen_clusters_on_open_and_shows_the_clusters_per_model(seeded: Services) -> None:
    from modelpick_tui.ui.screens.failures import FailuresScreen

    progress: list[str] = []

    def hook(message: Any) -> None:
        if isinstance(message, FailuresScreen.Progress):
            progress.append(message.line)

    app = make_app(seeded.settings, seeded)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, FailuresScreen)
        # No r needed: the 8 failures were clustered in a worker as the screen opened, its stages on the way.
        # A newer figure replaces one not yet painted (Progress.can_replace), so on a busy machine some stages are
        # never shown: those shown come in the order of the work, and the last says it is done.
        stages = ["embedding 8 failed traces (tfidf)… 10%", "clustering… 60%", "naming and saving… 90%", "done… 100%"]
        assert progress and progress[-1] == "done… 100%"
        assert progress == sorted(progress, key=stages.index), progress  # .index: an unknown line fails here
        assert notified(app, "clustered 8 failed traces into 2 modes with TF-IDF")
        assert seeded.failures.unassigned() == []
        text = screen_text(app)
        assert "failure modes: 2 · 8 failed traces · TF-IDF" in text
        table = modes_table(app)
        assert table.row_count == 2
        names = [str(table.get_cell_at((row, 2))) for row in range(2)]
        assert any("json" in n for n in names) and any("refused" in n for n in names)
        header = [str(c.label) for c in table.columns.values()]
        assert header[4:] == ["llama", "qwen", "gemma"]  # one column per model, most failures first
        json_row = next(r for r in range(2) if "json" in str(table.get_cell_at((r, 2))))
        assert [str(table.get_cell_at((json_row, c))) for c in (3, 4, 5, 6)] == ["4", "1", "2", "1"]

        # Drill down: the traces of the highlighted mode, note and output; hostile output stays text.
        table.move_cursor(row=1 - json_row)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        traces = app.screen.query_one("#mode-traces", DataTable)
        assert app.screen.focused is traces and traces.row_count == 4
        notes = {str(traces.get_cell_at((r, 1))) for r in range(4)}
        assert notes == {n for _, n, _ in FAILURES if n.startswith("refused")}
        outputs = {str(traces.get_cell_at((r, 2))) for r in range(4)}
        assert "I'm unable to help ␛[31m[bold]red[/bold]." in outputs  # shown as text: no markup, no escape code


async def test_rename_merge_split_and_move_by_keys(seeded: Services) -> None:
    store = seeded.failures
    app = make_app(seeded.settings, seeded)
    async with app.run_test(size=SIZE) as pilot:
        await open_clustered(pilot)
        table = modes_table(app)
        first = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#mode-name").value = ""
        await pilot.press(*"Format errors", "enter")
        await settle(pilot)
        assert store.mode(first).name == "Format errors" and store.mode(first).origin == "human"
        assert "Format errors" in screen_text(app)

        # Split the renamed mode: it keeps its name, a new mode takes the other part.
        await pilot.press("s")
        await settle(pilot)
        assert len(store.modes()) == 3 and store.mode(first).name == "Format errors"

        # Move a trace of the first mode into another one.
        table.move_cursor(row=table.get_row_index(first))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        moving = app.screen.selected_trace().trace_id
        await pilot.press("t")
        await pilot.pause()
        target = app.screen.query_one("#pick-mode").get_option_at_index(0).id
        await pilot.press("enter")
        await settle(pilot)
        assert moving in store.mode(target).trace_ids

        # Merge: mark every other mode with space, then m on the first.
        await pilot.press("escape")
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            if str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) != first:
                await pilot.press("space")
        table.move_cursor(row=table.get_row_index(first))
        await pilot.press("m")
        await settle(pilot)
        [only] = store.modes()
        assert only.id == first and only.size == 8 and table.row_count == 1
        assert "failure modes: 1 · 8 failed traces" in screen_text(app)


async def test_failures_labelled_later_are_placed_on_open_keeping_the_edits(seeded: Services) -> None:
    store = seeded.failures
    app = make_app(seeded.settings, seeded)
    async with app.run_test(size=SIZE) as pilot:
        await open_clustered(pilot)
        table = modes_table(app)
        json_id, refused_id = json_and_refused(app, store)
        table.move_cursor(row=table.get_row_index(json_id))
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#mode-name").value = ""
        await pilot.press(*"Format errors", "enter")
        await settle(pilot)
        moved = store.mode(refused_id).trace_ids[0]
        store.move(moved, json_id)
        await pilot.press("escape")
        await settle(pilot)

        # Two failures reviewed meanwhile: opening the screen again places them, nothing else moves.
        new = label_later(seeded, [("qwen", "json not valid at all"), ("gemma", "refused once more")])
        before = {m.id: set(m.trace_ids) for m in store.modes()}
        await pilot.press("M")
        await settle(pilot)
        assert notified(app, "placed 2 new failed traces: 2 into existing modes")
        after = {m.id: set(m.trace_ids) for m in store.modes()}
        assert after == {json_id: before[json_id] | {new["json not valid at all"]},
                         refused_id: before[refused_id] | {new["refused once more"]}}
        assert moved in after[json_id] and store.mode(json_id).name == "Format errors"
        text = screen_text(app)
        assert "failure modes: 2 · 10 failed traces" in text and "Format errors" in text


async def test_a_naming_endpoint_picked_by_key_suggests_names_shown_as_suggested(seeded: Services) -> None:
    from tests.support.namer_server import NamerServer

    store = seeded.failures
    with NamerServer(answer="**[bold]Refuses[/bold] \x1b[31mharmless asks**\n" + "x" * 10_000) as namer:
        seeded.supervisor.add_remote("namer-box", namer.url, "namer")
        app = make_app(seeded.settings, seeded)
        async with app.run_test(size=SIZE) as pilot:
            await open_clustered(pilot)
            assert store.namer() is None and not namer.prompts
            await pilot.press("N")  # pick the endpoint that names modes
            await settle(pilot)
            assert app.screen.query_one("#judge-list").option_count == 1
            await pilot.press("enter")
            await settle(pilot)
            assert store.namer() == "namer-box" and len(namer.prompts) == 2
            suggestion = "[bold]Refuses[/bold] ␛[31mharmless asks"
            assert [m.suggested for m in store.modes()] == [suggestion] * 2
            table = modes_table(app)
            cells = [str(table.get_cell_at((row, 2))) for row in range(2)]
            assert all(c.startswith(f"{suggestion} (suggested) · ") for c in cells), cells  # then the top terms
            assert any("json" in c for c in cells) and any("refused" in c for c in cells)

            # e takes the suggestion (or edits it): a person's name now, shown alone.
            first = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
            await pilot.press("e")
            await pilot.pause()
            assert app.screen.query_one("#mode-name").value == suggestion
            await pilot.press("enter")
            await settle(pilot)
            assert store.mode(first).name == suggestion and store.mode(first).origin == "human"
            assert str(table.get_cell(first, "name")) == suggestion


async def test_a_merge_by_keys_holds_when_later_failures_are_placed(seeded: Services) -> None:
    store = seeded.failures
    app = make_app(seeded.settings, seeded)
    async with app.run_test(size=SIZE) as pilot:
        await open_clustered(pilot)
        table = modes_table(app)
        json_id, refused_id = json_and_refused(app, store)
        table.move_cursor(row=table.get_row_index(refused_id))
        await pilot.press("space")
        table.move_cursor(row=table.get_row_index(json_id))
        await pilot.press("m")
        await settle(pilot)
        assert [m.id for m in store.modes()] == [json_id]
        await pilot.press("escape")
        await settle(pilot)

        label_later(seeded, [("qwen", "json not valid at all"), ("gemma", "refused once more")])
        await pilot.press("M")
        await settle(pilot)
        assert notified(app, "placed 2 new failed traces: 2 into existing modes")
        [merged] = store.modes()  # the merged mode did not come back: the refusal joined the mode it went into
        assert merged.id == json_id and merged.size == 10 and merged.origin == "human"
        assert "failure modes: 1 · 10 failed traces" in screen_text(app)
