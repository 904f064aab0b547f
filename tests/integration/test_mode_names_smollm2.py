"""The failure-mode namer against a real model: SmolLM2-135M-Instruct served by modelpick's llama.cpp backend
names the modes of the failure-mode screen, each name stored and shown as suggested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.evals import failure_modes
from modelpick_tui.evals.mode_names import MAX_NAME
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.hostile import BAD
from tests.support.pilot import SIZE, settle
from tests.support.smollm2 import served_smol
from tests.ui.test_ui_failures import FAILURES, modes_table


@pytest.fixture
def smol(services: Services, smollm2_gguf: Path) -> Iterator[str]:
    with served_smol(services, smollm2_gguf) as server:
        yield server.name


@pytest.mark.integration
@pytest.mark.llama
@pytest.mark.timeout(300)
async def test_smollm2_names_the_failure_modes_as_suggestions(services: Services, smol: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failure_modes, "embeddings_available", lambda: False)
    run_id = services.traces.create_run(kind="set")
    for model, note, output in FAILURES:
        trace = services.traces.add(Trace(run_id=run_id, prompt="p", endpoint=model, model=model, output=output))
        services.review.label(trace.id, "fail", note)
    services.failures.set_namer(smol)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("M")  # clusters the 8 failures, then asks SmolLM2 for a name per mode
        await settle(pilot, limit=120)
        modes = services.failures.modes()
        assert len(modes) == 2
        for mode in modes:
            assert mode.suggested_by == "smol" and mode.origin == "auto"
            assert 0 < len(mode.suggested) <= MAX_NAME and not BAD.search(mode.suggested), mode.suggested
            assert mode.name != mode.suggested  # the top terms stay the mode's name; the suggestion rides beside
            # What the mode is about, in the model's words (temperature 0: "Refuses to answer", "Not valid JSON").
            word = "json" if "json" in mode.name else "refus"
            assert word in mode.suggested.lower(), (mode.name, mode.suggested)
            cell = str(modes_table(app).get_cell(mode.id, "name"))
            assert cell.startswith(f"{mode.suggested} (suggested) · "), cell
