"""The start form picks, not types: the servers screen's n lists the GGUF files on this machine (the packaged demo
models, scanned folders, the Hugging Face cache) with size and fit; typing filters, enter fills the form; a path
can still be typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input

from modelpick_tui.catalog.fit.memory import format_bytes
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from modelpick_tui.ui.screens.start_server import StartServerModal
from tests.support.files import write_gguf
from tests.support.pilot import SIZE, screen_lines, settle, wait_for


def rows(app: Any) -> dict[str, list[str]]:
    """The list's rows: file path → the cells as shown."""
    table = app.screen.query_one("#start-local", DataTable)
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


def field(app: Any, wid: str) -> str:
    return app.screen.query_one(wid, Input).value


async def test_the_form_lists_the_local_ggufs_filters_as_you_type_and_fills_itself(
        services: Services, smollm2_gguf: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    tiny = write_gguf(folder / "tiny-llama-Q4_K_M.gguf")
    services.catalog.scan_dir(folder)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start form")
        await settle(pilot)
        listed = rows(app)
        assert str(smollm2_gguf) in listed and str(tiny) in listed
        assert list(listed)[0] == str(smollm2_gguf)  # the instruction-tuned demo model first
        assert listed[str(smollm2_gguf)][1:] == ["Q4_1", "94 MiB", "fits 8k", "demo"]
        tiny_row = listed[str(tiny)]
        assert tiny_row[1:3] == ["Q4_K_M", format_bytes(tiny.stat().st_size)] and tiny_row[4] == "scanned"
        assert app.screen.focused is app.screen.query_one("#start-local")
        assert "SmolLM2-135M-Instruct.Q4_1.gg…" in screen_lines(app)

        await pilot.press(*"smol")  # typed on the list: its filter, not the name field
        await settle(pilot)
        assert field(app, "#start-local-filter") == "smol" and list(rows(app)) == [str(smollm2_gguf)]
        assert field(app, "#start-name") == ""
        await pilot.press("enter")  # picks it
        await settle(pilot)
        assert field(app, "#start-model") == str(smollm2_gguf)
        assert field(app, "#start-name") == "smollm2-135m-instruct"
        assert field(app, "#start-ctx") == "8192"  # the largest of 4k/8k/32k that fits, within its 8k
        assert app.screen.focused is app.screen.query_one("#start-name")  # where enter starts it
        assert "SmolLM2-135M-Instruct.Q4_1.gguf (94 MiB): fits at 8k" in screen_lines(app)
        spec = app.screen.spec()
        assert (spec.backend, spec.model, spec.ctx, spec.chat_format) == ("llama", str(smollm2_gguf), 8192, None)

        # Another pick replaces the first; a path typed by hand still wins.
        app.screen.set_focus(app.screen.query_one("#start-local"))
        await pilot.press("escape", *"tiny", "enter")  # escape clears the filter (the form stays)
        await settle(pilot)
        assert isinstance(app.screen, StartServerModal)
        assert field(app, "#start-model") == str(tiny) and field(app, "#start-name") == "tiny-llama"
        model = app.screen.query_one("#start-model", Input)
        app.screen.set_focus(model)
        await pilot.press("ctrl+a", "ctrl+k", *"/models/typed.gguf")
        await settle(pilot)
        assert app.screen.spec().model == "/models/typed.gguf"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, StartServerModal)
