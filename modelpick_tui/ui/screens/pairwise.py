"""Pairwise view: two traces answering the same prompt, side by side; one key per preference
(left better, right better, tie, both bad). Each vote is committed before the next pair shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import metrics_line, safe, section
from ..messages import WorkFailed
from ..workers import WorkerErrors

CHOICE_TEXT = {"left": "left is better", "right": "right is better", "tie": "tie", "both_bad": "both bad"}


class PairwiseScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "pairwise"
    BINDINGS = bindings("pairwise")

    def __init__(self, run_id: str | None = None, start: str | None = None) -> None:
        super().__init__()
        self.run_id, self.start = run_id, start
        self.pairs: list[tuple[Any, Any]] = []
        self.votes: dict[tuple[str, str], str] = {}
        self.index = 0

    @property
    def review(self) -> Any:
        return self.app.services.review  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="pair-title")
        yield Static(id="pair-prompt")
        with Horizontal(id="pair-sides"):
            with VerticalScroll(id="pair-left", classes="pair-side"):
                yield Static(id="pair-left-text")
            with VerticalScroll(id="pair-right", classes="pair-side"):
                yield Static(id="pair-right-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pair-title", Static).update(Text("finding pairs…", style="dim"))
        self.load()

    @dataclass
    class Loaded(Message):
        pairs: list[tuple[Any, Any]]  # two traces answering the same prompt
        votes: dict[tuple[str, str], str]  # (left id, right id) → the preference already stored

    @work(thread=True, exclusive=True, group="pairwise-load", exit_on_error=False, description="find the pairs")
    def load(self) -> None:
        pairs = self.review.pairs(run_id=self.run_id)
        votes = {}
        for a, b in pairs:
            choice = self.review.preference_for(a.id, b.id)
            if choice:
                votes[(a.id, b.id)] = choice
        self.post_message(self.Loaded(pairs, votes))

    def show_failure(self, failure: WorkFailed) -> None:
        self.query_one("#pair-title", Static).update(safe(failure.line, "red"))

    def on_pairwise_screen_loaded(self, message: Loaded) -> None:
        pairs, votes = self.pairs, self.votes = message.pairs, message.votes
        starts = [i for i, (a, b) in enumerate(pairs) if self.start in (a.id, b.id)]
        unvoted = [i for i in starts if (pairs[i][0].id, pairs[i][1].id) not in votes]
        self.index = (unvoted or starts or [0])[0]
        self.show()

    @property
    def current(self) -> tuple[Any, Any] | None:
        return self.pairs[self.index] if 0 <= self.index < len(self.pairs) else None

    def show(self) -> None:
        title = self.query_one("#pair-title", Static)
        pair = self.current
        if pair is None:
            title.update(Text("no pairs: two endpoints must answer the same prompt (a prompt-set run or compare)",
                              style="yellow"))
            return
        left, right = pair
        vote = self.votes.get((left.id, right.id))
        head = Text(f"pair {self.index + 1} of {len(self.pairs)} · {len(self.votes)} voted · ", style="bold")
        head.append(CHOICE_TEXT[vote] if vote else "no vote yet", style="green" if vote else "dim")
        title.update(head)
        prompt = (f"[system] {left.system}\n" if left.system else "") + left.prompt
        self.query_one("#pair-prompt", Static).update(section("prompt", prompt))
        for side, trace in (("left", left), ("right", right)):
            text = Text(f"{side}: ", style="bold")
            text.append_text(safe(trace.endpoint, "bold"))
            text.append("\n")
            text.append(metrics_line(trace) + "\n\n", style="dim")
            text.append_text(safe(trace.output or ""))
            self.query_one(f"#pair-{side}-text", Static).update(text)
            self.query_one(f"#pair-{side}", VerticalScroll).scroll_home(animate=False)

    def vote(self, choice: str) -> None:
        pair = self.current
        if pair is None:
            return
        left, right = pair
        try:
            self.review.prefer(left.id, right.id, choice)  # committed when this returns
        except Exception as exc:  # not stored: the pair stays on screen, the title says why
            self.report_failure("pairwise-vote", "save the preference", exc)
            return
        self.votes[(left.id, right.id)] = choice
        if self.index < len(self.pairs) - 1:
            self.index += 1
        else:
            self.notify(f"saved: {CHOICE_TEXT[choice]}. that was the last pair", markup=False)
        self.show()

    def action_vote_left(self) -> None:
        self.vote("left")

    def action_vote_right(self) -> None:
        self.vote("right")

    def action_vote_tie(self) -> None:
        self.vote("tie")

    def action_vote_both_bad(self) -> None:
        self.vote("both_bad")

    def action_next(self) -> None:
        if self.index < len(self.pairs) - 1:
            self.index += 1
            self.show()

    def action_previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self.show()

    def action_back(self) -> None:
        self.app.pop_screen()
