"""The hostile record (tests/support/hostile.py) on every screen that shows traces: no control character in the
text of the rendered segments, no link style that came from the record, and its markup shown as text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.evals import failure_modes
from modelpick_tui.evals.exchange import import_file
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.hostile import BAD, records
from tests.support.pilot import wait_for


def _segments(app: Any) -> list[Any]:
    update = app.screen._compositor.render_full_update()
    return [segment for line in update.strips for strip in line for segment in strip if not segment.control]


def _check(app: Any, where: str) -> str:
    segments = _segments(app)
    text = "".join(segment.text for segment in segments)
    bad = sorted({f"U+{ord(c):04X}" for c in BAD.findall(text)})
    assert not bad, f"{where}: control characters {bad} on screen"
    links = {segment.style.link for segment in segments if segment.style and segment.style.link}
    assert not any("evil.example" in link for link in links), f"{where}: a link from the record: {links}"
    assert "S3cret" not in text, f"{where}: the password is shown"
    return text


async def test_screens_show_the_hostile_record_inert(services: Services, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # The failure-mode screen clusters the failed records as it opens: TF-IDF, since loading the sentence model
    # takes longer than this test waits for a screen, and the text shown is the record's either way.
    monkeypatch.setattr(failure_modes, "embeddings_available", lambda: False)
    # The run's name comes from the file's name: hostile too.
    source = tmp_path / "\x1b[2J\x9b[bold red]HOSTILE-A.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    assert import_file(services.review, source).traces == 4
    app = make_app(services.settings, services)
    async with app.run_test(size=(160, 40)) as pilot:  # wider than SIZE: the columns reach the record
        for key, marker in (("P", "imported ␛[2J"), ("V", "HOSTILE"), ("B", "m ␛[2J␛]52"), ("M", "")):
            await pilot.press(key)
            await wait_for(pilot, lambda: not [w for w in app.workers if not w.is_finished], 20, f"screen {key}")
            await pilot.pause()
            text = _check(app, f"screen {key} ({type(app.screen).__name__})")
            assert marker in text, f"screen {key} does not show the record: {' '.join(text.split())[:2000]!r}"
            if key == "V":  # elsewhere the name columns are too narrow to reach the markup
                assert "[bold" in text, f"screen {key}: markup interpreted: {' '.join(text.split())[:1500]!r}"


async def test_the_diff_screen_shows_hostile_runs_inert(services: Services) -> None:
    # Two runs whose names, prompt ids, models and outputs are the hostile record; d, d from the runs screen.
    from modelpick_tui.evals.traces import Trace
    from modelpick_tui.ui.screens.diff import DiffScreen
    from modelpick_tui.ui.screens.runs import RunsScreen
    from tests.support.hostile import HOSTILE
    from tests.support.pilot import settle

    for n, (name, verdicts) in enumerate((("a", ("fail", "pass")), ("b", ("pass", "fail")))):
        run_id = services.traces.create_run(kind="set", name=f"{name} {HOSTILE}", run_id=f"{name}-run")
        services.db.sqlite.execute("update runs set created_at = ? where id = ?", [f"2026-01-0{n + 1}T00:00:00Z",
                                                                                  run_id])
        traces = [Trace(run_id=run_id, prompt="p " + HOSTILE, prompt_id=f"p{i}-{HOSTILE}", endpoint="e",
                        model="m " + HOSTILE, output="o " + HOSTILE, id=f"{name}-{i}") for i in range(2)]
        services.traces.add_many(traces)
        for i, verdict in enumerate(verdicts):
            services.review.label(f"{name}-{i}", verdict, note="n " + HOSTILE)
        services.traces.finish_run(run_id)
    app = make_app(services.settings, services)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and len(app.screen.rows) == 2, 10,
                       "the runs table")
        await settle(pilot)
        await pilot.press("down", "d")
        await pilot.press("up", "d")
        await wait_for(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.diff is not None, 10,
                       "the diff screen")
        await settle(pilot)
        text = _check(app, "the diff screen")
        # Shown as the record's text (its controls as visible symbols; the columns end before its markup).
        assert "m ␛[2J␛]52;c;SGVsbG8=␇" in text and "regressed" in text, " ".join(text.split())[:2000]
