"""Pilot tests of the scoreboard's capacity view at 80×24 (`c`): beside the pass rate each model's capacity at its
load test's SLO and $/1M output tokens ("not measured" / "set a price" where missing), and a chart of SLO
attainment, then of tokens/s per user, against concurrency, one line per model. Load tests are hand-made and
stored through the real LoadStore."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.capacity import add_capacity, three_models
from tests.support.pilot import SIZE, settle
from tests.support.pilot import screen_lines as screen_text
from tests.support.traces import add_traces


@pytest.fixture
def measured(services: Services) -> Services:
    three_models(services)
    # (concurrency, attainment, output tokens/s): 8 users is the last level whose attainment holds.
    add_capacity(services, "Qwen/Qwen3-8B", levels=[(1, 1.0, 50.0), (2, 1.0, 96.0), (4, 0.98, 180.0),
                                                   (8, 0.95, 320.0), (16, 0.40, 400.0)])
    add_capacity(services, "Qwen/Qwen3-0.6B", hardware="cpu", concurrency=1, rps=0.5, output_tps=40.0,
                 total_tps=60.0, levels=[(1, 0.97, 40.0), (2, 0.30, 44.0)])
    services.prices.set_price("1xNVIDIA H100 80GB HBM3", 2.49)
    return services


def cells(app: Any, model: str) -> list[str]:
    return [str(c) for c in app.screen.query_one("#scoreboard", DataTable).get_row(model)]


async def test_capacity_view_and_its_charts(measured: Services) -> None:
    app = make_app(measured.settings, measured)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        assert "pass rate %: [95% interval ┃ estimate]" in screen_text(app)
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "users @SLO" in text and "$/1M out" in text and "pass  95% CI" in text
        # $2.49 / (500 tok/s × 3600) × 1e6 = $1.38 per 1M output tokens on the priced H100; cpu has no price.
        assert cells(app, "Qwen/Qwen3-8B")[3:] == ["97% 83–99", "8", "$1.38"]
        assert cells(app, "Qwen/Qwen3-0.6B")[3:] == ["60% 42–75", "1", "set a price"]
        assert cells(app, "Qwen/Qwen3-1.7B")[3:] == ["100% 89–100", "not measured", ""]
        assert "not measured" in text and "set a price" in text  # on screen, within 80 columns
        assert "SLO attainment % against concurrency" in text
        assert "Qwen3-8B" in text and "Qwen3-0.6B" in text  # the legend: one line per tested model
        assert "concurrent users" in text
        # The selected row (the 1.7B, best pass rate) is untested; the 8B's detail line names SLO, hardware, $.
        assert "not measured" in app.screen.query_one("#scoreboard-detail").render().plain
        await pilot.press("down")
        await pilot.pause()
        detail = app.screen.query_one("#scoreboard-detail").render().plain
        assert "8 users @ ttft=500ms,tpot=50ms · 1xNVIDIA H100 80GB HBM3 · $1.38/1M out" in detail
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert "output tokens/s per user against concurrency" in text
        # 50 tok/s for one user is the chart's top: the y axis reaches 50, and no tick above it.
        ticks = [float(line.split("┤")[0].strip()) for line in text.splitlines()
                 if "┤" in line and line.split("┤")[0].strip().replace(".", "").isdigit()]
        assert ticks and max(ticks) == pytest.approx(50, abs=3)
        await pilot.press("c")
        await pilot.pause()
        assert "pass rate %: [95% interval ┃ estimate]" in screen_text(app)
        assert cells(app, "Qwen/Qwen3-8B")[4:] == ["1,500", "1,500", "20.0", ""]  # the quality columns again


async def test_capacity_view_without_load_tests_says_what_to_do(services: Services) -> None:
    run = services.traces.create_run(kind="set", name="support")
    add_traces(services, run, "Qwen/Qwen3-1.7B", ["pass"] * 3, latency=600)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        text = screen_text(app)
        assert cells(app, "Qwen/Qwen3-1.7B")[4] == "not measured"
        assert "no load test yet (modelpick load ENDPOINT" in text
