"""Pilot tests of the scoreboard at 80×24: the table and the chart show, the report key writes files naming the
right model, the rubric is edited in a modal, and the judge runs against a local endpoint and shows its
agreement (and the warning) with the human labels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import DataTable, TextArea

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.judge_server import JudgeServer
from tests.support.pilot import SIZE, settle
from tests.support.pilot import screen_lines as screen_text
from tests.support.traces import add_traces, make_traces


async def open_scoreboard(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("B")
    await settle(pilot)
    assert pilot.app.screen.SCREEN_NAME == "scoreboard"


@pytest.fixture
def decided(services: Services) -> Services:
    run = services.traces.create_run(kind="set", name="support")
    add_traces(services, run, "Qwen/Qwen3-0.6B", ["pass"] * 18 + ["fail"] * 12, latency=300)
    add_traces(services, run, "Qwen/Qwen3-1.7B", ["pass"] * 30, latency=600)
    add_traces(services, run, "Qwen/Qwen3-8B", ["pass"] * 29 + ["fail"], latency=1500)
    add_traces(services, run, "mystery", ["-"] * 3, endpoint="remote-box")
    return services


def interval_drawn(text: str, model: str) -> tuple[float, float, float]:
    """Where the chart draws a model's interval: its low end, estimate and high end, in % of the x axis (read
    off the screen: the axis runs from the y-axis tick '┤' to the frame's right edge). Nothing else is drawn
    left of the interval on that row but the red line of the bar, so a bar from 0 fails."""
    [line] = [row for row in text.splitlines() if row.strip().startswith(model + "┤")]
    plot = line.split("┤", 1)[1].rstrip()[:-1]  # between the axis and the right edge of the frame
    low, high = plot.index("["), plot.index("]")
    assert plot[:low].replace("│", "").strip() == "", f"something left of the interval: {plot!r}"
    assert set(plot[low + 1:high]) <= {"─", "┃", "│"}, plot  # one unbroken range (the red bar may cross it)
    scale = 100 / (len(plot) - 1)
    return low * scale, plot.index("┃") * scale, high * scale


def row_keys(app: Any) -> list[str]:
    return [str(k.value) for k in app.screen.query_one("#scoreboard", DataTable).rows]


async def test_table_and_chart_show_and_sort(decided: Services) -> None:
    app = make_app(decided.settings, decided)
    async with app.run_test(size=SIZE) as pilot:
        await open_scoreboard(pilot)
        assert row_keys(app) == ["Qwen/Qwen3-1.7B", "Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B", "mystery"]
        table = app.screen.query_one("#scoreboard", DataTable)
        assert [str(c) for c in table.get_row("Qwen/Qwen3-0.6B")[:4]] == ["Qwen/Qwen3-0.6B", "752M", "30",
                                                                          "60% 42–75"]
        text = screen_text(app)
        assert "scoreboard: all runs · 4 models · sorted by pass rate · bar 0.80" in text
        assert "pass rate %: [95% interval ┃ estimate] (bar 80%)" in text  # the chart's title
        chart_labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
        assert chart_labels == ["Qwen3-1.7B", "Qwen3-8B", "Qwen3-0.6B"]  # the table's order, top down
        assert interval_drawn(text, "Qwen3-0.6B") == pytest.approx((42, 60, 75), abs=3)  # its range, not a bar
        assert interval_drawn(text, "Qwen3-8B") == pytest.approx((83, 97, 99), abs=3)
        assert "failure modes: none" in text  # the selected row's detail
        await pilot.press("o", "o", "o", "o", "o")  # pass → low → labelled → traces → params → latency
        await pilot.pause()
        assert "sorted by latency p50" in screen_text(app)
        assert row_keys(app)[:3] == ["Qwen/Qwen3-0.6B", "Qwen/Qwen3-1.7B", "mystery"]
        await pilot.press("b")
        await pilot.pause()
        assert "· bar 0.90" in screen_text(app) and "(bar 90%)" in screen_text(app)
        await pilot.press("u")  # the one run
        await settle(pilot)
        assert "scoreboard: run " in screen_text(app)


async def test_report_key_writes_files_naming_the_chosen_model(decided: Services) -> None:
    app = make_app(decided.settings, decided)
    async with app.run_test(size=SIZE) as pilot:
        await open_scoreboard(pilot)
        await pilot.press("w")  # the report's modal: the bar 0.8, no constraint (nothing stored yet)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        md_path, json_path = app.screen.report_paths
        text = screen_text(app)
        assert "chosen Qwen/Qwen3-1.7B · report" in text and "Qwen3-1.7B.md (+ .json)" in text
        assert "✗ Qwen/Qwen3-8B · not chosen: meets bar but larger (8.2B) than chosen (2.0B)" in text
        assert "✗ Qwen/Qwen3-0.6B · quality: pass rate 0.60 [0.42, 0.75] below bar 0.80" in text
    reports = decided.settings.home / "reports"
    assert [p.name for p in reports.glob("*.md")] == [md_path.rsplit("/", 1)[-1]]
    assert md_path.endswith("-Qwen3-1.7B.md")
    data = json.loads((reports / json_path.rsplit("/", 1)[-1]).read_text())
    assert data["decision"] == "Qwen/Qwen3-1.7B"
    assert {r["model"] for r in data["rejected"]} == {"Qwen/Qwen3-0.6B", "Qwen/Qwen3-8B", "mystery"}


async def test_empty_scoreboard_says_what_to_do(services: Services) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await open_scoreboard(pilot)
        text = screen_text(app)
        assert "0 models" in text and "no traces yet" in text
        assert "no labelled traces yet" in text


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    with JudgeServer(api_key="sk-judge") as srv:
        yield srv


async def test_rubric_modal_and_judge_agreement(services: Services, judge_server: JudgeServer) -> None:
    make_traces(services, ["GOOD", "BAD", "BAD", "GOOD", "PROSE", "BAD"],
                ["pass", "pass", "fail", "fail", "pass", "fail"])
    services.supervisor.add_remote("judge-box", judge_server.url, "judge", "sk-judge")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await open_scoreboard(pilot)
        await pilot.press("j")  # no rubric yet: the judge refuses to run
        await settle(pilot)
        assert "no rubric to judge by" in screen_text(app)
        await pilot.press("e")
        await settle(pilot)
        area = app.screen.query_one(TextArea)
        assert area.text.startswith("PASS when")  # a draft, as there is no rubric yet
        await pilot.press(*"Be strict. ", "ctrl+s")
        await settle(pilot)
        rubric = services.judge.rubric()
        assert rubric is not None and rubric.text.startswith("Be strict. PASS when")
        assert "rubric saved" in screen_text(app)
        await pilot.press("j")
        await settle(pilot)
        assert "judge-box" in screen_text(app), screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "judge judge-box: 2 pass, 3 fail, 1 error" in text
        assert "agreement 60% over 5 traces, Cohen's kappa 0.17" in text
        assert "warning: the judge is not to be trusted" in text
    assert services.db.sqlite.execute("select count(*) from judge_verdicts").fetchone()[0] == 6
