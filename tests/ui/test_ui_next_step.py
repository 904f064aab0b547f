"""The status line of the main screens names the next step of the loop, read from a fixture home, and follows
what the user does."""

from __future__ import annotations

from typing import Any

import pytest

from modelpick_tui.evals import failure_modes
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, settle, text_of, wait_for


def status_line(app: Any) -> str:
    return text_of(app.screen.query_one("#next-step")).strip()


async def shows(pilot: Any, line: str) -> None:
    try:
        await wait_for(pilot, lambda: status_line(pilot.app) == line, 15, f"the status line {line!r}")
    except AssertionError:
        raise AssertionError(f"the status line shows {status_line(pilot.app)!r}, not {line!r}") from None


async def test_the_status_line_names_the_next_step_on_each_main_screen(services: Services,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failure_modes, "embeddings_available", lambda: False)
    run = services.traces.create_run(kind="set")
    traces = [services.traces.add(Trace(run_id=run, prompt="p", endpoint="e", model="m", output=str(i)))
              for i in range(5)]
    services.review.label(traces[0].id, "fail", "refused a harmless request")
    services.review.label(traces[1].id, "fail", "refused to answer")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "browse"
        await shows(pilot, "next: 2 failures not in a failure mode · M to sort them")
        await pilot.press("M")  # the failure-mode screen places them as it opens; its line names what is next
        await settle(pilot)
        await shows(pilot, "next: 3 traces unlabelled · V to review")
        await pilot.press("V")
        await settle(pilot)
        assert status_line(app) == ""  # on review, nothing else is obvious: there are traces, and no server
        for trace in traces[2:]:  # labelled meanwhile (here, or by another modelpick on the same home)
            services.review.label(trace.id, "pass")
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "browse"
        await shows(pilot, "")  # back on browse: all labelled, all sorted
        await pilot.press("S")
        await settle(pilot)
        assert status_line(app) == ""
