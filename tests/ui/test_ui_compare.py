"""Pilot tests of the compare screen: prompts to the REAL llama.cpp server on the Gemma 3 270M GGUF (one server
under two endpoint names), side by side at a wide size and stacked at 80×24; blind mode, votes and verdicts
stored; a failing pane shows its error while the other completes. Every process started is stopped."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from modelpick_tui.services import Services
from modelpick_tui.serving.events import TIMING
from modelpick_tui.serving.params import DEFAULT_MAX_TOKENS
from modelpick_tui.serving.registry import Server
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Supervisor
from modelpick_tui.ui.app import make_app
from tests.support.oai_servers import TOKENS, OAIServer
from tests.support.pilot import SIZE, screen_text, wait_for

WIDE = (160, 40)
ANSWER = "".join(TOKENS)


@pytest.fixture(scope="module")
def gemma(tmp_path_factory: pytest.TempPathFactory, gemma_gguf: Path) -> Iterator[Server]:
    """One real llama.cpp server on the Gemma GGUF for the whole module (started once: CPU is scarce), as
    modelpick starts it: concurrent requests queue instead of interrupting the one in flight (llama-cpp-python's
    default; see test_compare.py::test_llama_interrupting_a_stream_fails_that_pane)."""
    with Supervisor(tmp_path_factory.mktemp("gemma-home")) as supervisor:
        spec = ServerSpec(name="gemma", backend="llama", model=str(gemma_gguf), ctx=2048, chat_format="gemma")
        server = supervisor.start_and_wait(spec, timeout=120)
        assert server.status == "ready", server.error
        yield server


def add_remote(services: Services, name: str, base_url: str, model: str, key: str | None) -> None:
    server = services.supervisor.add_remote(name, base_url, model, key)
    assert server.status == "ready", server.error


async def open_compare(pilot: Any, n: int) -> Any:
    from modelpick_tui.ui.screens.compare import CompareScreen

    await pilot.press("C")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and len(pilot.app.screen.panes) == n,
                   10, f"{n} panes")
    return pilot.app.screen


async def send(pilot: Any, screen: Any, prompt: str, limit: float = 60) -> None:
    await pilot.press("i", *prompt, "enter")
    await wait_for(pilot, lambda: screen.session.turn >= 0 and not screen.session.busy
                   and all(p.state in ("done", "failed") for p in screen.panes), limit, "the answers")
    await pilot.pause()


async def set_params(pilot: Any, **values: str) -> None:
    if isinstance(pilot.app.focused, Input):
        await pilot.press("escape")  # out of the prompt box: letters are keys again
    await pilot.press("s")
    await pilot.pause()
    for key, value in values.items():
        field = pilot.app.screen.query_one(f"#param-{key}", Input)
        field.value = value
    await pilot.press("enter")
    await pilot.pause()


@pytest.mark.llama
@pytest.mark.integration
async def test_side_by_side_against_llama_with_follow_up_votes_and_verdicts(services: Services,
                                                                            gemma: Server) -> None:
    # One server under two endpoint names, as a user attaches the same model twice to check sampling noise.
    add_remote(services, "gemma", gemma.base_url, gemma.served_model or gemma.model, gemma.api_key)
    add_remote(services, "gemma-b", gemma.base_url, gemma.served_model or gemma.model, gemma.api_key)
    app = make_app(services.settings, services)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_compare(pilot, 2)
        await set_params(pilot, system="Answer briefly.", temperature="0", max_tokens="16", seed="7")
        assert "temp 0.0 · top_p default · max 16 · seed 7" in screen_text(app)
        await send(pilot, screen, "Name three colors of the rainbow.")
        left, right = screen.panes
        # Side by side at 160 columns.
        assert left.region.y == right.region.y and left.region.x < right.region.x
        traces = {t.endpoint: t for t in services.traces.list(run_id=screen.session.run_id)}
        assert set(traces) == {"gemma", "gemma-b"}
        shown = screen_text(app)
        for pane, name in ((left, "gemma"), (right, "gemma-b")):
            trace = traces[name]
            assert pane.state == "done" and trace.error is None and trace.source == "compare"
            assert trace.output and pane.text == trace.output  # the whole answer, as stored
            assert trace.params == {"temperature": 0.0, "max_tokens": 16, "seed": 7}
            assert trace.finish_reason in ("stop", "length") and 0 < trace.tokens_out <= 16
            assert pane.metrics_text.startswith(f"TTFT {trace.ttft_ms:.0f} ms")
            assert f"{trace.tokens_out} tok · {trace.finish_reason}" in pane.metrics_text
            assert pane.metrics_text in shown and name in shown
        # Temperature 0 and one model: both panes answer alike.
        assert traces["gemma"].output == traces["gemma-b"].output

        # A follow-up goes to each endpoint with its own history.
        await send(pilot, screen, "And two more?")
        second = [t for t in services.traces.list(run_id=screen.session.run_id) if t.turn == 1]
        assert len(second) == 2
        for t in second:
            first = traces[t.endpoint]
            assert t.parent_id == first.id
            assert t.messages == [{"role": "system", "content": "Answer briefly."},
                                  {"role": "user", "content": "Name three colors of the rainbow."},
                                  {"role": "assistant", "content": first.output},
                                  {"role": "user", "content": "And two more?"}]

        # Vote (left better), pass the left pane, fail the right with a note: stored at once.
        left.focus()
        await pilot.press("1", "p", "tab", "f", "n", *"loops", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        by_name = {t.endpoint: t for t in second}
        [pref] = services.review.preferences()
        assert (pref["left_trace_id"], pref["right_trace_id"], pref["choice"], pref["blind"]) == (
            by_name["gemma"].id, by_name["gemma-b"].id, "left", 0)
        assert services.review.latest(by_name["gemma"].id).verdict == "pass"  # type: ignore[union-attr]
        label = services.review.latest(by_name["gemma-b"].id)
        assert label is not None and (label.verdict, label.note) == ("fail", "loops")
        assert "[pass]" in screen_text(app) and "[fail]" in screen_text(app)


@pytest.mark.llama
@pytest.mark.integration
async def test_a_failing_pane_shows_its_error_while_the_other_completes(services: Services, gemma: Server) -> None:
    add_remote(services, "gemma", gemma.base_url, gemma.served_model or gemma.model, gemma.api_key)
    with OAIServer() as doomed:
        add_remote(services, "doomed", doomed.url, "llama", None)
    # `doomed` has gone away since it was added: its pane must say so; gemma's must answer.
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot, 2)
        await set_params(pilot, temperature="0", max_tokens="12")
        await send(pilot, screen, "Say hello.")
        panes = {screen.session.panes[i].endpoint.name: p for i, p in enumerate(screen.panes)}
        good, bad = panes["gemma"], panes["doomed"]
        # Stacked at 80 columns.
        assert good.region.x == bad.region.x and good.region.y != bad.region.y
        assert good.state == "done" and good.text
        assert bad.state == "failed" and bad.metrics_text.startswith("failed: cannot connect to ")
        assert "connection refused" in bad.metrics_text
        assert "failed: cannot connect" in screen_text(app)
        stored = {t.endpoint: t for t in services.traces.list(run_id=screen.session.run_id)}
        assert stored["gemma"].error is None and stored["gemma"].output == good.text
        assert stored["doomed"].error is not None and "connection refused" in stored["doomed"].error


@pytest.fixture
def oai() -> Iterator[OAIServer]:
    with OAIServer(api_key="k", prefill_s=0.01, token_s=0.005) as srv:
        yield srv


async def test_blind_mode_hides_names_until_the_vote_then_reveals(services: Services, oai: OAIServer) -> None:
    add_remote(services, "alpha-endpoint", oai.url, "llama", "k")
    add_remote(services, "beta-endpoint", oai.url, "vllm", "k")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot, 2)
        # Under load the panes' titles are painted a frame after the screen opens: wait for them, not for time.
        await wait_for(pilot, lambda: "alpha-endpoint" in screen_text(app), 5, "the endpoint names")
        # The one default answer length of compare and runs, shown and sent (llama.cpp's own is unbounded).
        assert f"max {DEFAULT_MAX_TOKENS} ·" in screen_text(app)
        await pilot.press("escape", "b")  # out of the prompt box, then blind
        await wait_for(pilot, lambda: screen.session.blind and len(screen.panes) == 2, 5, "a blind session")
        await pilot.pause()
        assert [p.title_text for p in screen.panes] == ["model A", "model B"]
        await send(pilot, screen, "colours?")
        shown = screen_text(app)
        assert "model A" in shown and "model B" in shown
        assert "alpha-endpoint" not in shown and "beta-endpoint" not in shown
        assert all(p.text == ANSWER for p in screen.panes)
        chats = [r.body for r in oai.requests if r.path.endswith("/chat/completions")]
        assert len(chats) == 2 and all(body["max_tokens"] == DEFAULT_MAX_TOKENS for body in chats)
        order = [p.endpoint.name for p in screen.session.panes]
        await pilot.press("2")  # right better
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [p.title_text for p in screen.panes] == [f"A · {order[0]}", f"B · {order[1]}"]
        assert order[0] in screen_text(app) and order[1] in screen_text(app)
        [pref] = services.review.preferences()
        right_trace = services.traces.get(pref["right_trace_id"])
        assert pref["choice"] == "right" and pref["blind"] == 1
        assert right_trace is not None and right_trace.endpoint == order[1]


async def test_four_panes_pair_votes_and_cancel(services: Services) -> None:
    with OAIServer(token_s=0.01) as srv:
        for name in ("e1", "e2", "e3", "e4"):
            add_remote(services, name, srv.url, "llama", None)
        app = make_app(services.settings, services)
        async with app.run_test(size=WIDE) as pilot:
            screen = await open_compare(pilot, 4)
            await send(pilot, screen, "hi")
            assert len({p.region.y for p in screen.panes}) == 1  # four side by side
            assert all(p.text == ANSWER for p in screen.panes)
            assert "vote A vs B: 1-4 (x: other pair)" in screen_text(app)
            await pilot.press("x", "x", "3")  # A vs D: tie
            await app.workers.wait_for_complete()
            await pilot.pause()
            [pref] = services.review.preferences()
            assert services.traces.get(pref["left_trace_id"]).endpoint == "e1"  # type: ignore[union-attr]
            assert services.traces.get(pref["right_trace_id"]).endpoint == "e4"  # type: ignore[union-attr]
            assert pref["choice"] == "tie"

            # Streams that never end: escape cancels them; the panes say so and the partial answers are stored.
            for pane in screen.session.panes:
                pane.endpoint = replace(pane.endpoint, model="endless")
            await pilot.press("i", *"go on", "enter")
            await wait_for(pilot, lambda: all(len(p.text) > 20 for p in screen.panes), 20, "streams flowing")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not screen.session.busy
                           and all(p.state == "failed" for p in screen.panes), 10, "cancelled panes")
            assert all(p.metrics_text.startswith("failed: cancelled by the user") for p in screen.panes)
            turn1 = [t for t in services.traces.list(run_id=screen.session.run_id) if t.turn == 1]
            assert len(turn1) == 4 and all(t.error == "cancelled by the user" and t.output for t in turn1)
            # Repaints were batched: far fewer than the deltas that arrived.
            assert all(p.repaints < len(t.output.split()) for p, t in zip(screen.panes, turn1, strict=False))
            assert isinstance(app.screen, type(screen))  # escape cancelled; it did not leave


async def test_choose_endpoints_add_one_by_url_and_bad_settings(services: Services, oai: OAIServer) -> None:
    from modelpick_tui.ui.screens.compare_setup import CompareSettingsModal, EndpointPickerModal

    add_remote(services, "only-one", oai.url, "llama", "k")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        await wait_for(pilot, lambda: "choose 2 to 4 endpoints (got 1)" in screen_text(app), 10, "the hint")
        screen = app.screen
        assert screen.session is None and "press e to choose endpoints" in screen_text(app)
        await pilot.press("enter")  # a prompt with no session: one line, nothing sent
        await pilot.press("escape", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, EndpointPickerModal) and app.screen.endpoints, 10,
                       "the chooser")
        picker = app.screen
        await pilot.press("enter")  # only one chosen
        assert "choose 2 to 4 endpoints (1 chosen)" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        for wid, value in (("remote-name", "by-url"), ("remote-url", oai.url), ("remote-model", "vllm"),
                           ("remote-key", "k")):
            app.screen.query_one(f"#{wid}", Input).value = value
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is picker and picker.selected() == ["only-one", "by-url"], 10,
                       "the added endpoint, chosen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.panes) == 2, 10, "two panes")
        assert services.supervisor.get("by-url").status == "ready"
        # A bad setting is one line in the modal; nothing changes until it is right.
        await pilot.press("escape", "s")
        await pilot.pause()
        assert isinstance(app.screen, CompareSettingsModal)
        app.screen.query_one("#param-top_p", Input).value = "1.5"
        await pilot.press("enter")
        await pilot.pause()
        assert "top_p: 1.5 is out of range (0 to 1)" in screen_text(app)
        app.screen.query_one("#param-top_p", Input).value = "0.5"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and screen.params.sampling.top_p == 0.5
        await send(pilot, screen, "hello")
        assert all(p.text == ANSWER for p in screen.panes)
        traces = services.traces.list(run_id=screen.session.run_id)
        assert all(t.params == {"top_p": 0.5, "max_tokens": DEFAULT_MAX_TOKENS} for t in traces)
        # How TTFT was measured: stored with each trace, and the pane's figures say it on hover.
        assert [t.timing for t in traces] == [TIMING, TIMING]
        assert all(t.queue_ms is not None and t.queue_ms >= 0 for t in traces)
        for pane in screen.panes:
            tooltip = str(pane.query_one(".pane-metrics").tooltip)
            assert tooltip.startswith(f"TTFT: {TIMING}; ") and "waiting for a connection before that" in tooltip


async def test_model_output_is_never_markup_or_terminal_control() -> None:
    from textual.app import App

    from modelpick_tui.serving.events import Done, StreamMetrics
    from modelpick_tui.ui.widgets.stream_pane import StreamPane

    class Host(App[None]):
        def compose(self) -> Any:
            yield StreamPane(0, "[bold]pane[/bold]")

    hostile = "[red]not red[/red] \x1b[2J\x1b]0;pwned\x07 done"
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(StreamPane)
        pane.begin()
        for piece in (hostile[:9], hostile[9:20], hostile[20:]):
            pane.feed(piece)
        await wait_for(pilot, lambda: pane.text, 10, "the pane's own timer to flush it")
        assert pane.text.startswith("[red]not red[/red] ␛[2J")
        pane.finish(Done(hostile, StreamMetrics(ttft_ms=12.0, output_tokens=3, finish_reason="stop")))
        await pilot.pause()
        shown = screen_text(app)
        assert "[red]not red[/red]" in shown and "␛]0;pwned␇" in shown and "[bold]pane[/bold]" in shown
        assert pane.metrics_text == "TTFT 12 ms · 3 tok · stop"
        # A wait for a connection long enough to matter is on the line, apart from TTFT.
        pane.finish(Done("x", StreamMetrics(ttft_ms=12.0, output_tokens=3, finish_reason="stop", queue_ms=25.0,
                                            timing=TIMING)))
        assert pane.metrics_text == "TTFT 12 ms · 3 tok · stop · queued 25 ms"
        assert "\x1b" not in pane.text
