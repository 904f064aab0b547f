"""Pilot test at 80×24 of the scoreboard's `w`: a modal takes the bar, SLO, workload and budget (a bad one is the
CLI's one line), the same decision as `modelpick report --slo … --workload … --budget …` is written, and the
scoreboard shows the chosen model and each rejected one's constraint: here one rejected by the SLO and one by the
budget, with their figures, in the report file too. The values are kept and fill the modal the next time. Load
tests are hand-made through the real LoadStore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.capacity import add_capacity, three_models
from tests.support.pilot import SIZE, settle
from tests.support.pilot import screen_lines as screen_text
from tests.support.traces import add_traces

H100 = "1xNVIDIA H100 80GB HBM3"
SLO_LINE = ("does not serve within the SLO: no capacity at ttft=500ms,tpot=50ms: no load meets first token < 500 ms "
            "for 90% of requests")
# 2 req/s over 0.5 a replica = 4 replicas × $2.49 × 730 h = $7,270.80 a month.
BUDGET_LINE = "over budget: $7,271/month (4 replicas, 4 GPUs on 1xNVIDIA H100 80GB HBM3) > $3,000/month"


@pytest.fixture
def constrained(services: Services) -> Services:
    run_id = three_models(services)  # 0.6B below the bar; 1.7B (2.0B) and 8B (8.2B) above it
    add_traces(services, run_id, "Qwen/Qwen3-14B", ["pass"] * 30, latency=2000)
    add_capacity(services, "Qwen/Qwen3-1.7B", concurrency=None, rps=None, output_tps=None, total_tps=None)
    add_capacity(services, "Qwen/Qwen3-8B", concurrency=2, rps=0.5, output_tps=125.0, total_tps=525.0)
    add_capacity(services, "Qwen/Qwen3-14B")  # 8 users at 2 req/s: one replica, $1,817.70 a month
    services.prices.set_price(H100, 2.49)
    return services


async def open_report_modal(pilot: Any) -> None:
    """The scoreboard (B), then its report key (w)."""
    await settle(pilot)
    await pilot.press("B")
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    assert pilot.app.screen.query_one("#report-bar", Input).has_focus


def read_json(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


def field(app: object, key: str) -> Input:
    return app.screen.query_one(f"#report-{key}", Input)  # type: ignore[attr-defined]


async def test_report_modal_applies_the_slo_workload_and_budget(constrained: Services) -> None:
    app = make_app(constrained.settings, constrained)
    async with app.run_test(size=SIZE) as pilot:
        await open_report_modal(pilot)
        assert [field(app, k).value for k in ("bar", "slo", "workload", "budget")] == ["0.8", "", "", ""]
        assert "the smallest model meeting all of these" in screen_text(app)
        await pilot.press("tab", *"ttft=fast", "enter")  # the CLI's parser, the CLI's line; the modal stays
        await settle(pilot)
        assert "cannot read SLO part" in app.screen.query_one("#report-notice").render().plain
        assert not (constrained.settings.home / "reports").exists()
        await pilot.press("ctrl+u", *"ttft=500ms,tpot=50ms", "tab", *"2rps", "tab", *"3000/month", "enter")
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "scoreboard"
        text = screen_text(app)
        assert "chosen Qwen/Qwen3-14B · report" in text
        assert "✗ Qwen/Qwen3-1.7B · slo: does not serve within the SLO" in text
        assert "✗ Qwen/Qwen3-8B · budget: over budget: $7,271/month" in text
        assert "✗ Qwen/Qwen3-0.6B · quality: pass rate 0.60" in text
        assert all(len(line) <= 80 for line in text.splitlines())
        # The selected row's detail has the figure in full: the 1.7B (best pass rate) first, then the 8B.
        table = app.screen.query_one("#scoreboard", DataTable)
        table.move_cursor(row=table.get_row_index("Qwen/Qwen3-8B"))
        await pilot.pause()
        detail = " ".join(app.screen.query_one("#scoreboard-detail").render().plain.split())
        assert f"report: rejected by budget: {BUDGET_LINE}" in detail
        md_path, json_path = map(Path, app.screen.report_paths)
        await pilot.press("w")  # the values used fill the modal the next time
        await settle(pilot)
        assert [field(app, k).value for k in ("bar", "slo", "workload", "budget")] == [
            "0.8", "ttft=500ms,tpot=50ms", "2rps", "3000/month"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.SCREEN_NAME == "scoreboard"
    data = read_json(json_path)
    assert data["decision"] == "Qwen/Qwen3-14B"
    assert data["constraints"]["slo"] == "ttft=500ms,tpot=50ms" and data["constraints"]["budget_usd_per_month"] == 3000
    rejected = {r["model"]: (r["rejected_by"], r["reason"]) for r in data["rejected"]}
    assert rejected["Qwen/Qwen3-1.7B"] == ("slo", SLO_LINE)
    assert rejected["Qwen/Qwen3-8B"] == ("budget", BUDGET_LINE)
    assert rejected["Qwen/Qwen3-0.6B"][0] == "quality"
    md = md_path.read_text()
    assert "- Constraints: SLO ttft=500ms,tpot=50ms, workload 2rps, budget $3,000/month" in md
    assert "over budget: $7,271/month \\(4 replicas, 4 GPUs on 1xNVIDIA H100 80GB HBM3\\) \\> $3,000/month" in md
    assert "does not serve within the SLO: no capacity at ttft=500ms,tpot=50ms" in md
    # Kept as a setting of the home: `modelpick report` and the next TUI start from it.
    stored = constrained.report_inputs()
    assert (stored.slo, stored.workload, stored.budget) == ("ttft=500ms,tpot=50ms", "2rps", "3000/month")


async def test_empty_fields_apply_no_constraint_and_a_bad_budget_is_one_line(constrained: Services) -> None:
    app = make_app(constrained.settings, constrained)
    async with app.run_test(size=SIZE) as pilot:
        await open_report_modal(pilot)
        await pilot.press("tab", "tab", "tab", *"3000/month", "enter")  # a budget needs a workload
        await settle(pilot)
        notice = app.screen.query_one("#report-notice").render().plain
        assert notice.strip() == ("--budget needs --workload: the monthly cost is that of the fleet a workload "
                                  "needs")
        await pilot.press("ctrl+u", "shift+tab", "shift+tab", "shift+tab", "ctrl+u", *"0.9", "enter")
        await settle(pilot)
        text = screen_text(app)
        # No constraint: the quality decision, the bar as typed (the 1.7B's lower bound 0.89 misses 0.9).
        assert "· bar 0.90" in text
        json_path = app.screen.report_paths[1]
    data = read_json(json_path)
    assert "constraints" not in data and data["bar"] == 0.9
    assert {r["model"]: r["rejected_by"] for r in data["rejected"]}["Qwen/Qwen3-1.7B"] == "quality"
