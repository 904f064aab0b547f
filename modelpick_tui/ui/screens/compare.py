"""Compare: one prompt to 2-4 endpoints at once, the answers streamed into side-by-side panes (stacked when the
terminal is narrower than 100 columns), then a vote and a pass/fail per pane, stored at once.

The streams run in a thread worker with an event loop of its own (`evals.compare.CompareSession.send`; the session
comes from `services.compare_session`), so painting the screen never delays reading a stream: the client's TTFT
and tokens/s stay what the server gave.
Panes only buffer deltas; one screen tick repaints them all at most FPS times a second (widgets/stream_pane.py).
Votes and labels are written in thread workers.

Longer than ~400 lines on purpose: one screen with one job (send, stream, vote, label); its parts share the
pane state and the blind-mode shuffle, and the pure parts already live in evals/compare.py."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import Worker

from ...evals.compare_params import CompareError, CompareParams
from ...serving import endpoints as endpoints_mod
from ...serving.endpoints import Endpoint
from ...serving.events import Delta, Failed, StreamEvent, StreamMetrics
from ...untrusted import clean
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..widgets.stream_pane import FPS, StreamPane
from ..workers import WorkerErrors

NARROW = 100  # columns: below this the panes stack
SWITCH_S = 0.0005
CHOICE_TEXT = {"left": "left better", "right": "right better", "tie": "tie", "both_bad": "both bad"}


class CompareScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "compare"
    BINDINGS = bindings("compare")
    AUTO_FOCUS = "#compare-prompt"

    def __init__(self) -> None:
        super().__init__()
        self.params = CompareParams()
        self.blind = False
        self.endpoints: list[Endpoint] = []
        self.session: Any = None  # evals.compare.CompareSession, from services.compare_session()
        self.panes: list[StreamPane] = []
        self.pair = (0, 1)
        self._sending: Worker[None] | None = None
        self._stream_loop: asyncio.AbstractEventLoop | None = None
        self._stream_task: asyncio.Task[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        yield Static(id="compare-settings")
        yield Container(Static(classes="compare-empty"), id="panes")
        yield Input(placeholder="prompt: enter sends it to every pane (i to come back here)", id="compare-prompt")
        yield Footer()

    def on_mount(self) -> None:
        self._layout()
        self._show_settings()
        self._show_title()
        self.query_one(".compare-empty", Static).update(Text("looking for endpoints…", style="dim"))
        self._tick = self.set_interval(1 / FPS, self._flush_panes, pause=True)
        self.load_endpoints()

    def _flush_panes(self) -> None:
        for pane in self.panes:
            pane.flush()

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        self.query_one("#panes").set_class(self.size.width < NARROW, "stacked")

    # --- endpoints and the session ---------------------------------------------------------------------

    @dataclass
    class Found(Message):
        endpoints: list[Endpoint]  # the ready ones, at most four

    @dataclass
    class StreamsStarted(Message):
        """The streams of a prompt are under way: the panes repaint on the screen's tick until they end."""

    @dataclass
    class PaneEnded(Message):
        pane: StreamPane
        event: StreamEvent  # Done or Failed (deltas never travel as messages: the pane buffers them)

    @dataclass
    class Sent(Message):
        session: Any  # evals.compare.CompareSession: every stream of its last prompt has ended (or was cancelled)

    @dataclass
    class Stored(Message):
        what: str  # "A vs B: left better", "pass for qwen"
        after: Callable[[], None] | None

    @dataclass
    class Refused(Message):
        line: str  # a CompareError: what the user asked for cannot be done now, and why

    @work(thread=True, exclusive=True, group="compare-endpoints", exit_on_error=False,
          description="look for endpoints")
    def load_endpoints(self) -> None:
        self.post_message(self.Found(endpoints_mod.available(self.app.services.supervisor)[:4]))  # type: ignore[attr-defined]

    def on_compare_screen_found(self, message: Found) -> None:
        self._use(message.endpoints)

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group == "compare-endpoints":
            for empty in self.query(".compare-empty").results(Static):
                empty.update(safe(f"{failure.line}\npress e to choose endpoints", "red"))

    def on_compare_screen_refused(self, message: Refused) -> None:
        self.notify(message.line, severity="warning", markup=False)

    def _use(self, endpoints: list[Endpoint]) -> None:
        self.endpoints = endpoints
        self._new_session()

    def _new_session(self) -> None:
        """A fresh session (and, on its first prompt, a fresh run) over the chosen endpoints."""
        self._close_session()
        self.pair = (0, 1)
        panes = self.query_one("#panes")
        panes.remove_children()
        self.panes = []
        try:
            self.session = self.app.services.compare_session(  # type: ignore[attr-defined]
                self.endpoints, self.params, blind=self.blind)
        except CompareError as exc:
            self.session = None
            hint = "press e to choose endpoints (start servers with S, or add one by URL in the chooser)"
            panes.mount(Static(Text(f"{exc}\n{hint}", style="yellow"), classes="compare-empty"))
        else:
            self.panes = [StreamPane(i, self.session.name(i), auto_flush=False) for i in range(len(self.endpoints))]
            panes.mount_all(self.panes)
            self.call_after_refresh(self._refocus)
        self._show_title()

    def _refocus(self) -> None:
        # The focused pane was replaced: keep the keys working on the new ones.
        if self.panes and (self.focused is None or isinstance(self.focused, StreamPane)
                           and self.focused not in self.panes):
            self.panes[0].focus()

    def _cancel_streams(self) -> None:
        loop, task = self._stream_loop, self._stream_task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    def _close_session(self) -> None:
        self._cancel_streams()
        if self.session is not None and self.session.run_id is not None:
            self.app.run_worker(self.session.close, thread=True, group="compare-close", exit_on_error=False,
                                description="close the compare run")
        self.session = None

    def on_unmount(self) -> None:
        self._close_session()

    # --- sending -------------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "compare-prompt":
            return
        prompt = event.value.strip()
        if self.session is None:
            self.notify("choose 2-4 endpoints first (e)", severity="warning", markup=False)
            return
        if not prompt:
            return
        if self.session.busy:
            self.notify("the answers are still streaming (escape cancels them)", severity="warning", markup=False)
            return
        event.input.value = ""
        for i, pane in enumerate(self.panes):
            pane.begin(self.session.panes[i].live)
        self.panes[0].focus()
        self._sending = self._send(self.session, prompt)
        self._show_title()

    @work(thread=True, exclusive=True, group="compare-send", exit_on_error=False, description="send the prompt")
    def _send(self, session: Any, prompt: str) -> None:
        self.post_message(self.StreamsStarted())
        # While streams run, hand the GIL over sooner (default 5 ms): a thread woken by a socket otherwise waits
        # out the painting thread's whole slice at each step, which showed as +30-40 ms of TTFT.
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SWITCH_S))
        try:
            asyncio.run(self._stream(session, prompt))
        finally:
            sys.setswitchinterval(switch)
            self._stream_loop = self._stream_task = None
            self.post_message(self.Sent(session))

    async def _stream(self, session: Any, prompt: str) -> None:
        """On the worker's own loop: route each event to its pane (deltas are only buffered there)."""
        self._stream_loop, self._stream_task = asyncio.get_running_loop(), asyncio.current_task()
        panes = list(self.panes)
        try:
            async for item in session.send(prompt):
                if isinstance(item.event, Delta):
                    panes[item.pane].feed(item.event.text)
                else:
                    self.post_message(self.PaneEnded(panes[item.pane], item.event))
        except CompareError as exc:
            self.post_message(self.Refused(str(exc)))
        except asyncio.CancelledError:
            pass  # escape: the session stored the partial answers; `Sent` shows them

    def on_compare_screen_streams_started(self, _: StreamsStarted) -> None:
        self._tick.resume()

    def on_compare_screen_pane_ended(self, message: PaneEnded) -> None:
        message.pane.finish(message.event)

    def on_compare_screen_sent(self, message: Sent) -> None:
        session = message.session
        self._tick.pause()
        if session is not self.session:
            return
        # Cancelled streams were stored by the session without an event to the panes: show them as such.
        for i, pane in enumerate(self.panes):
            trace = session.panes[i].last_trace
            if pane.state == "streaming" and trace is not None:
                metrics = StreamMetrics(ttft_ms=trace.ttft_ms, latency_ms=trace.latency_ms,
                                        output_tokens=trace.tokens_out or 0, error=trace.error)
                pane.finish(Failed(trace.error or "cancelled", trace.output, metrics))
        self._show_title()

    # --- votes and verdicts --------------------------------------------------------------------------

    @work(thread=True, group="compare-judge", exit_on_error=False, description="store the vote or the verdict")
    def _store(self, what: str, call: Any, after: Callable[[], None] | None = None) -> None:
        """Write a vote or a verdict (SQLite: off the event loop), then say so."""
        try:
            call()
        except (CompareError, ValueError) as exc:
            self.post_message(self.Refused(str(exc)))
            return
        self.post_message(self.Stored(what, after))

    def on_compare_screen_stored(self, message: Stored) -> None:
        if message.after is not None:
            message.after()
        self.notify(f"stored: {message.what}", markup=False)
        self._show_title()

    def _vote(self, choice: str) -> None:
        session = self.session
        if session is None:
            self.notify("choose 2-4 endpoints first (e)", severity="warning", markup=False)
            return
        left, right = self.pair
        names = f"{session.panes[left].letter} vs {session.panes[right].letter}"
        self._store(f"{names}: {CHOICE_TEXT[choice]}", lambda: session.prefer(left, right, choice))

    def action_vote_left(self) -> None:
        self._vote("left")

    def action_vote_right(self) -> None:
        self._vote("right")

    def action_vote_tie(self) -> None:
        self._vote("tie")

    def action_vote_both_bad(self) -> None:
        self._vote("both_bad")

    def action_cycle_pair(self) -> None:
        if self.session is None:
            return
        pairs = list(combinations(range(len(self.session.panes)), 2))
        self.pair = pairs[(pairs.index(self.pair) + 1) % len(pairs)] if self.pair in pairs else pairs[0]
        self._show_title()

    def _focused_pane(self) -> int:
        focused = self.focused
        return focused.position if isinstance(focused, StreamPane) else 0

    def _verdict(self, verdict: str, note: str = "") -> None:
        session, position = self.session, self._focused_pane()
        if session is None:
            self.notify("choose 2-4 endpoints first (e)", severity="warning", markup=False)
            return
        pane = self.panes[position]

        def after() -> None:
            pane.verdict = verdict

        self._store(f"{verdict} for {session.name(position)}" + (f" ({note})" if note else ""),
                    lambda: session.label(position, verdict, note), after)

    def action_pass(self) -> None:
        self._verdict("pass")

    def action_fail(self) -> None:
        self._verdict("fail")

    def action_note(self) -> None:
        from .compare_setup import VerdictNoteModal

        if self.session is None:
            return
        position = self._focused_pane()
        pane = self.panes[position]
        verdict = pane.verdict or "fail"

        def done(note: str | None) -> None:
            if note is not None:
                self._verdict(verdict, note)

        self.app.push_screen(VerdictNoteModal(f"{verdict}: {self.session.name(position)} — a note"), done)

    # --- settings, endpoints, blind, conversation ---------------------------------------------------

    def action_settings(self) -> None:
        from .compare_setup import CompareSettingsModal

        def done(params: CompareParams | None) -> None:
            if params is not None:
                self.params = params
                if self.session is not None:
                    self.session.params = params
                self._show_settings()

        self.app.push_screen(CompareSettingsModal(self.params), done)

    def action_endpoints(self) -> None:
        from .compare_setup import EndpointPickerModal

        def done(chosen: list[Endpoint] | None) -> None:
            if chosen is not None:
                self._use(chosen)

        self.app.push_screen(EndpointPickerModal([e.name for e in self.endpoints]), done)

    def action_toggle_blind(self) -> None:
        self.blind = not self.blind
        self._new_session()
        state = "on: names hidden and sides shuffled until you vote" if self.blind else "off"
        self.notify(f"blind mode {state} (a new session)", markup=False)

    def action_new_conversation(self) -> None:
        if self.session is None or self.session.busy:
            return
        self.session.new_conversation()
        for pane in self.panes:
            pane.clear()
        self._show_title()
        self.notify("new conversation: the next prompt starts without history", markup=False)

    def action_focus_prompt(self) -> None:
        self.query_one("#compare-prompt", Input).focus()

    def action_back(self) -> None:
        if self.focused is self.query_one("#compare-prompt", Input):
            # Out of the prompt box: letters are keys again.
            if self.panes:
                self.panes[0].focus()
            else:
                self.set_focus(None)
            return
        if self.session is not None and self.session.busy:
            self._cancel_streams()
            self.notify("cancelled the answers still streaming", markup=False)
            return
        self.app.pop_screen()

    # --- what the header lines say ---------------------------------------------------------------------

    def _show_title(self) -> None:
        session = self.session
        parts = ["compare"]
        if session is not None:
            parts.append(f"{len(session.panes)} endpoints")
            if session.blind:
                parts.append("blind" if not session.revealed else "blind, revealed")
            if session.turn >= 0:
                parts.append(f"turn {session.turn + 1}")
            if session.busy:
                parts.append("streaming… (esc cancels)")
            elif session.turn >= 0:
                left, right = self.pair
                parts.append(f"vote {session.panes[left].letter} vs {session.panes[right].letter}: 1-4"
                             + (" (x: other pair)" if len(session.panes) > 2 else ""))
            for i, pane in enumerate(self.panes):
                pane.set_title(f"{session.panes[i].letter} · {session.name(i)}"
                               if session.revealed else session.name(i))
        self.query_one("#compare-title", Static).update(Text(" · ".join(parts), style="bold"))

    def _show_settings(self) -> None:
        p = self.params

        def show(value: object) -> str:
            return "default" if value is None else str(value)

        system = clean(p.system or "none").replace("\n", " ")
        if len(system) > 30:
            system = system[:29] + "…"
        sampling = p.sampling
        line = (f"system: {system} · temp {show(sampling.temperature)} · top_p {show(sampling.top_p)} · "
                f"max {show(sampling.max_tokens)} · seed {show(sampling.seed)}   (s: settings)")
        self.query_one("#compare-settings", Static).update(Text(line, style="dim"))
