"""Pilot tests of the review screen at 80×24: label by keys, kill and reopen, undo, filter, pairwise."""

from __future__ import annotations

from typing import Any

from modelpick_tui.evals.labels import QueueFilter
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services, build_services
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, screen_lines, screen_text, text_of


def _traces(services: Services, n_prompts: int = 6) -> list[Trace]:
    """n prompts answered by two endpoints each, in one run: 2n traces, in queue order."""
    rows = []
    for i in range(n_prompts):
        for j, ep in enumerate(("small", "big")):
            rows.append(Trace(run_id="run1", prompt=f"Question {i}: what is {i} + {i}?", endpoint=ep,
                              model=f"org/{ep}-model", output=f"The answer from {ep} is {2 * i + j}.",
                              prompt_id=f"q{i}", reference=str(2 * i), id=f"tr{i:02d}{ep}",
                              created_at=f"2026-01-01T00:00:{2 * i + j:02d}.000Z", ttft_ms=12.0, latency_ms=300.0,
                              tokens_out=9, tokens_per_s=30.0, finish_reason="stop"))
    services.traces.add_many(rows)
    return rows


async def _open_review(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.press("V")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def progress_text(app: Any) -> str:
    return text_of(app.screen.query_one("#review-progress")).strip()


def meta_text(app: Any) -> str:
    return text_of(app.screen.query_one("#review-meta")).strip()


async def test_label_ten_by_keys_then_a_new_app_shows_them(services: Services) -> None:
    rows = _traces(services)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        assert progress_text(app) == "0 labelled of 12 · 0 pass · 0 fail · goal 100"
        screen = screen_text(app)
        assert "Question 0: what is 0 + 0?" in screen and "The answer from small is 0." in screen
        assert "ttft 12 ms · latency 300 ms · 9 tokens out · 30.0 tok/s · finish stop" in screen
        assert meta_text(app).startswith("1/12 · small (org/small-model) · unlabelled")
        for key in "ppps":
            await pilot.press(key)
        await pilot.press("f")  # the note modal
        await pilot.press(*"refused to add", "tab", *"refusal, safety", "enter")
        await pilot.pause()
        await pilot.press("p", "p", "s", "p")
        await pilot.press("f", *"wrong sum", "enter")
        await pilot.pause()
        assert progress_text(app) == "8 labelled of 12 · 6 pass · 2 fail · 2 skipped · goal 100"
        assert meta_text(app).startswith("11/12 ·")
        # Stored as each key was pressed: the database already holds all ten.
        stored = {t.id: services.review.latest(t.id) for t in rows}
        verdicts = [stored[t.id].verdict if stored[t.id] else None for t in rows]
        assert verdicts == ["pass", "pass", "pass", "skip", "fail", "pass", "pass", "skip", "pass", "fail",
                            None, None]
        assert stored[rows[4].id].note == "refused to add" and stored[rows[4].id].tags == ["refusal", "safety"]
        await pilot.press("b")  # back to the last one labelled: its verdict and note are shown
        assert meta_text(app).startswith("10/12 · big (org/big-model) · fail: wrong sum")
    # "Killed" and reopened: a new app over a new connection to the same file.
    fresh = build_services(services.settings)
    try:
        app2 = make_app(fresh.settings, fresh)
        async with app2.run_test(size=SIZE) as pilot:
            await _open_review(pilot)
            assert progress_text(app2) == "8 labelled of 12 · 6 pass · 2 fail · 2 skipped · goal 100"
            assert meta_text(app2).startswith("1/12 · small (org/small-model) · pass")
            for _ in range(4):
                await pilot.press("right")
            assert meta_text(app2).startswith("5/12 · small (org/small-model) · fail: refused to add")
    finally:
        fresh.close()


async def test_undo_walks_back_and_filter_unlabelled(services: Services) -> None:
    rows = _traces(services, 3)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        await pilot.press("p", "s")
        assert meta_text(app).startswith("3/6")
        await pilot.press("u")  # the skip of trace 2 is taken back, and trace 2 is shown again
        assert meta_text(app).startswith("2/6 · big (org/big-model) · unlabelled")
        assert progress_text(app) == "1 labelled of 6 · 1 pass · 0 fail · goal 100"
        await pilot.press("u")
        assert meta_text(app).startswith("1/6 · small (org/small-model) · unlabelled")
        assert [x.verdict for x in services.review.history(rows[0].id)] == ["pass", "none"]
        assert [x.verdict for x in services.review.history(rows[1].id)] == ["skip", "none"]
        await pilot.press("p", "p")
        await pilot.press("t")  # filter: unlabelled only
        await pilot.pause()
        await pilot.press("space", "ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.flt == QueueFilter(unlabelled=True)
        assert progress_text(app).startswith("2 labelled of 6 · 2 pass · 0 fail · goal 100")
        assert meta_text(app).startswith("1/4 · small (org/small-model) · unlabelled")
        assert "Question 1: what is 1 + 1?" in screen_text(app)


async def test_pairwise_vote_is_stored(services: Services) -> None:
    rows = _traces(services, 2)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        await pilot.press("w")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = text_of(app.screen.query_one("#pair-title")).strip()
        assert title == "pair 1 of 2 · 0 voted · no vote yet"
        screen = screen_text(app)
        assert "The answer from small is 0." in screen and "The answer from big is 1." in screen
        await pilot.press("r")
        assert text_of(app.screen.query_one("#pair-title")).strip().startswith("pair 2 of 2 · 1 voted")
        await pilot.press("x")
        prefs = services.review.preferences()
        assert [(p["left_trace_id"], p["right_trace_id"], p["choice"]) for p in prefs] == [
            (rows[0].id, rows[1].id, "right"), (rows[2].id, rows[3].id, "both_bad")]
        await pilot.press("b")
        assert text_of(app.screen.query_one("#pair-title")).strip() == "pair 1 of 2 · 2 voted · right is better"
        await pilot.press("escape")
        assert type(app.screen).__name__ == "ReviewScreen"


async def test_untrusted_output_is_shown_literally(services: Services) -> None:
    services.traces.add(Trace(run_id="r", prompt="hi", endpoint="e", model="m", id="evil",
                              output="[bold red]not markup[/] \x1b[2J cleared?"))
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        screen = screen_text(app)
        assert "[bold red]not markup[/] ␛[2J cleared?" in screen


async def test_long_output_pages_with_space(services: Services) -> None:
    lines = "\n".join(f"line {i:02d} of the answer" for i in range(60))
    services.traces.add(Trace(run_id="r", prompt="list sixty things", endpoint="e", model="m", id="long",
                              output=lines))
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        screen = screen_text(app)
        assert "line 00 of the answer" in screen and "line 30 of the answer" not in screen
        assert "more lines (space / pgdn)" in screen
        await pilot.press("space")
        screen = screen_text(app)
        assert "line 00 of the answer" not in screen and "line 20 of the answer" in screen


async def test_review_shows_each_check_and_orders_what_the_machines_cannot_settle_first(services: Services) -> None:
    from modelpick_tui.evals.checks import Answer, grade, parse_checks
    from modelpick_tui.evals.rubric import Verdict
    from tests.support.pilot import settle

    rows = _traces(services, n_prompts=3)  # tr00small, tr00big, tr01small, tr01big, tr02small, tr02big
    checks = parse_checks([{"type": "number_close", "value": 0}, {"type": "max_chars", "value": 100}])
    services.checks.save({t.id: grade(checks, Answer(t.output, t.reference, t.latency_ms)) for t in rows[:4]})
    # checks: tr00small pass, tr00big fail, tr01small pass, tr01big fail; tr02* have no checks
    for trace_id, verdict in (("tr00small", "pass"), ("tr00big", "pass"), ("tr01small", "pass"),
                              ("tr02small", "error")):
        services.judge.add_verdict(trace_id, Verdict(verdict, "looks right" if verdict != "error" else "",
                                                     "the answer is not the JSON object asked for"
                                                     if verdict == "error" else None),
                                   judge_endpoint="j", judge_model="j", rubric_sha256="r", raw="")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await _open_review(pilot)
        await pilot.press("n")  # tr00big: its number is off by one
        screen = screen_lines(app)
        assert "checks 1/2 pass" in screen
        assert "✗ number_close 0: final number 1, expected 0 ± 0" in screen
        assert "✓ max_chars 100: 25 characters ≤ 100" in screen
        assert "judge pass: looks right" in screen
        await pilot.press("o")
        await settle(pilot)
        assert "[unsettled first]" in progress_text(app)
        order = [t.id for t in app.screen.items]
        # checks and judge disagree, then nothing settled (no grader, or the judge erred), then one grader,
        # then both agree
        assert order == ["tr00big", "tr02small", "tr02big", "tr01big", "tr00small", "tr01small"]
        assert meta_text(app).startswith("1/6 · big (org/big-model)")
        await pilot.press("o")
        await settle(pilot)
        assert [t.id for t in app.screen.items] == [t.id for t in rows]
