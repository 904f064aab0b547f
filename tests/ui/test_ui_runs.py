"""Pilot tests of the runs screen at 80×24: a run started by keys against a test server (a remote endpoint),
its progress and completion on screen and in the database; a long run cancelled by key."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.services import Services
from modelpick_tui.serving.params import DEFAULT_MAX_TOKENS
from modelpick_tui.ui.app import make_app
from tests.support.batching_server import BatchingServer
from tests.support.files import write_set
from tests.support.pilot import SIZE, screen_text, wait_for


@pytest.fixture
def server() -> Iterator[BatchingServer]:
    with BatchingServer(step_s=0.01, tokens=8, models=("batch",)) as srv:
        yield srv


async def start_run(pilot: Any, path: Path, max_tokens: str) -> None:
    from modelpick_tui.ui.screens.runs import NewRunModal

    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewRunModal), 10, "the new-run modal")
    await pilot.press("ctrl+a", "ctrl+k", *path.name)  # relative to the working directory: few keys to type
    await pilot.press("tab", "tab", "tab", "tab")  # endpoints, concurrency, per endpoint, max tokens
    # The one default answer length of compare and runs, shown before the test types its own.
    assert pilot.app.screen.query_one("#newrun-max-tokens").value == str(DEFAULT_MAX_TOKENS)
    await pilot.press("ctrl+a", "ctrl+k", *max_tokens, "enter")


def status(app: Any) -> str:
    return str(getattr(app.screen, "status_text", ""))


async def test_start_a_run_by_keys_and_see_it_complete(services: Services, server: BatchingServer,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelpick_tui.ui.screens.runs import RunsScreen

    services.supervisor.add_remote("batch", server.url, "batch")
    monkeypatch.chdir(tmp_path)
    prompts = write_set(tmp_path / "colours.jsonl", 5)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), 10, "the runs screen")
        assert "no runs yet" in status(app)
        await start_run(pilot, prompts, "3")
        await wait_for(pilot, lambda: "done: 5/5 done · 0 failed" in status(app), 30, "the run to finish")
        await wait_for(pilot, lambda: any(r["status"] == "done" for r in app.screen.rows.values()), 10,
                       "the table to show it")
        text = screen_text(app)
        assert "colours" in text and "5/5" in text and "batch" in text and "done" in text
        [row] = app.screen.rows.values()
        assert (row["n_ok"], row["n_failed"], row["total"]) == (5, 0, 5)
    traces = services.traces.list(run_id=row["id"])
    assert len(traces) == 5 and all(t.ok and t.tokens_out == 3 and t.endpoint == "batch" for t in traces)
    assert server.max_active <= 2  # the modal's default per-endpoint bound


async def test_cancel_a_run_by_key_then_resume_it(services: Services, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from modelpick_tui.ui.screens.runs import RunsScreen, run_control

    with BatchingServer(step_s=0.05, tokens=8, models=("batch",)) as server:
        services.supervisor.add_remote("batch", server.url, "batch")
        monkeypatch.chdir(tmp_path)
        prompts = write_set(tmp_path / "colours.jsonl", 6)
        app = make_app(services.settings, services)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("P")
            await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), 10, "the runs screen")
            await start_run(pilot, prompts, "20")  # 20 tokens at 50 ms: each answer takes a second
            await wait_for(pilot, lambda: re.search(r"run colours: [12]/6 done · 0 failed", status(app)), 30,
                           "the first answers")
            await pilot.press("x")
            await wait_for(pilot, lambda: "cancelled: " in status(app), 30, "the cancel")
            await wait_for(pilot, lambda: any(r["status"] == "cancelled" for r in app.screen.rows.values()), 10,
                           "the table to show it")
            assert "cancelled" in screen_text(app)
            assert run_control(app).running() is None
            [row] = app.screen.rows.values()
            answered = row["n_ok"]
            assert 1 <= answered < 6 and row["n_failed"] == 0
            await wait_for(pilot, lambda: server.active == 0, 10, "the cancelled streams to be closed")
            assert server.disconnects >= 1
            asked = server.requests

            await pilot.press("r")  # resume: only the prompts without an answer are asked
            await wait_for(pilot, lambda: "done: 6/6 done · 0 failed" in status(app), 60, "the resumed run")
            await wait_for(pilot, lambda: any(r["status"] == "done" for r in app.screen.rows.values()), 10,
                           "the table to show it")
        assert server.requests - asked == 6 - answered
        assert len(services.traces.list(run_id=row["id"])) == 6
        assert services.traces.runs()[0]["status"] == "done"


@pytest.fixture
def holder() -> Iterator[subprocess.Popen[bytes]]:
    """Another live process (to hold a run); always stopped."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


async def test_interrupted_run_shows_and_resumes_a_held_one_refuses(services: Services, server: BatchingServer,
                                                                     tmp_path: Path,
                                                                     holder: subprocess.Popen[bytes]) -> None:
    from modelpick_tui.evals.promptsets import load_prompt_set
    from modelpick_tui.serving.endpoints import resolve
    from modelpick_tui.serving.procs import create_time
    from modelpick_tui.ui.screens.runs import RunsScreen, run_control

    services.supervisor.add_remote("batch", server.url, "batch")
    set_id = services.prompt_sets.save(load_prompt_set(write_set(tmp_path / "colours.jsonl", 4)))
    endpoint = resolve(services.supervisor, "batch")
    run_id = services.traces.create_run(kind="set", name="killed", prompt_set_id=set_id,
                                        endpoints=[endpoint.public()])
    # Another live process holds the run (`modelpick run` in another terminal, say).
    with services.db.write() as db:
        db.execute("update runs set owner_pid = ?, owner_started = ? where id = ?",
                   [holder.pid, create_time(holder.pid), run_id])

    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen.rows, 10, "the runs screen")
        assert app.screen.rows[run_id]["status"] == "running"
        await pilot.press("r")
        await wait_for(pilot, lambda: any(f"is held by another process, pid {holder.pid}, since " in str(n.message)
                                          for n in app._notifications), 10, "the refusal")
        assert run_control(app).running() is None and server.requests == 0

        holder.kill()  # the holder dies (a zombie until the fixture reaps it: dead all the same)
        await wait_for(pilot, lambda: app.screen.rows[run_id]["status"] == "interrupted", 10,
                       "the table's poll to show it interrupted")
        assert "interrupted" in screen_text(app)
        await pilot.press("r")
        await wait_for(pilot, lambda: "done: 4/4 done · 0 failed" in status(app), 30, "the resumed run")
        await wait_for(pilot, lambda: app.screen.rows[run_id]["status"] == "done", 10, "the table")
    assert len(services.traces.list(run_id=run_id)) == 4 and server.requests == 4


async def test_imported_and_compare_runs_show_their_status_and_answers(services: Services) -> None:
    from modelpick_tui.evals.exchange import import_file
    from modelpick_tui.evals.traces import Trace
    from modelpick_tui.ui.screens.runs import RunsScreen

    demo = services.settings.sample_dir / "traces" / "demo.jsonl"
    n_demo = import_file(services.review, demo).traces
    compare = services.traces.create_run(kind="compare", name="compare session")
    for i, error in enumerate((None, None, "cancelled by the user")):
        services.traces.add(Trace(run_id=compare, prompt="hi", endpoint="ab"[i % 2], output="x", turn=i // 2,
                                  error=error, source="compare"))
    services.traces.finish_run(compare)

    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 2, 10,
                       "the runs screen")
        rows = {r["kind"]: r for r in app.screen.rows.values()}
        assert rows["import"]["status"] == "imported" and rows["import"]["n_ok"] + rows["import"]["n_failed"] == n_demo
        assert (rows["compare"]["status"], rows["compare"]["n_ok"], rows["compare"]["n_failed"]) == ("done", 2, 1)
        text = screen_text(app)
        assert "imported" in text and "running" not in text and f"{n_demo}" in text and "compare" in text
        await pilot.press("r")  # the cursor is on the newest: the compare session
        await wait_for(pilot, lambda: any("nothing to resume" in str(n.message) for n in app._notifications), 10,
                       "the answer to r")
