"""Pilot test of the run diff at 80×24: d on the run before, d on the run after, and the diff screen shows the
counts, the change with its interval and McNemar's p, the failure modes of the first run and the pairs,
regressions first."""

from __future__ import annotations

from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, screen_lines, settle, text_of, wait_for


def _run(services: Services, name: str, created: str, verdicts: dict[str, str]) -> str:
    run_id = services.traces.create_run(kind="set", name=name, run_id=name,
                                        params={"prompt_version": {"name": name[:3], "id": "pv-0"}})
    services.db.sqlite.execute("update runs set created_at = ? where id = ?", [created, run_id])
    traces = [Trace(run_id=run_id, prompt=f"q {pid}", prompt_id=pid, endpoint="e", model="org/m", output="x",
                    id=f"{name}-{pid}") for pid in verdicts]
    services.traces.add_many(traces)
    for pid, verdict in verdicts.items():
        services.review.label(f"{name}-{pid}", verdict)
    services.traces.finish_run(run_id)
    return run_id


async def test_diff_two_runs_from_the_runs_screen(services: Services) -> None:
    from modelpick_tui.ui.screens.diff import DiffScreen
    from modelpick_tui.ui.screens.runs import RunsScreen

    _run(services, "before", "2026-01-01T00:00:00Z", {"p1": "fail", "p2": "fail", "p3": "pass", "p4": "fail"})
    _run(services, "after", "2026-01-02T00:00:00Z", {"p1": "pass", "p2": "pass", "p3": "fail", "p4": "fail"})
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 2, 10,
                       "the runs table")
        await settle(pilot)
        assert "@bef" in screen_lines(app) and "@aft" in screen_lines(app)  # the runs' prompt versions
        await pilot.press("down", "d")  # newest first: "before" is the second row
        await pilot.press("up", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.diff is not None, 10,
                       "the diff screen")
        await settle(pilot)
        screen = screen_lines(app)
        summary = " ".join(text_of(app.screen.query_one("#diff-summary")).split())  # wrapped at 80 columns
        assert summary.startswith("diff before → after 4 pairs graded (by human 4): 2 fixed, 1 regressed, "
                                  "1 still failing, 0 still passing pass rate 25% → 50%: +25% [95% CI ")
        assert summary.endswith("McNemar exact p = 1") and "diff before → after" in screen
        rows = [line for line in screen.splitlines() if "org/m" in line]
        assert [line.split()[0] for line in rows] == ["regressed", "fixed", "fixed", "still"]
        assert "p3" in rows[0] and "pass → fail" in rows[0]
        assert screen.splitlines()[-1].lstrip().startswith("esc Back")  # the way out, in the footer
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen), 10, "the runs screen again")
