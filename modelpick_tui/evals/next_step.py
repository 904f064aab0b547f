"""The next step of the loop (serve → compare or run → review → failure modes → decide), when there is an
obvious one: what the stores say is waiting, read with cheap queries, and the one step to take about it. The
status line of the main screens shows it; which key takes the step is the UI's to say (keys can be remapped),
so a step names the action, not the key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .labels import Progress

# What is read, as protocols: the screens import this module, and through it must reach no store (SQL).


class Registry(Protocol):
    def records(self) -> Sequence[Mapping[str, Any]]: ...  # serving's registry of servers and endpoints


class Labels(Protocol):
    def progress(self) -> Progress: ...  # stores/labels.ReviewStore


class Failures(Protocol):
    def count_unplaced(self) -> int: ...  # stores/failure_modes.FailureModeStore


@dataclass(frozen=True)
class LoopState:
    """What is waiting, in counts."""

    servers_ready: int  # servers and remote endpoints a prompt can go to now (this home's registry)
    traces: int
    unlabelled: int  # traces with no verdict (or one undone)
    unplaced: int  # failed traces in no failure mode yet


@dataclass(frozen=True)
class Step:
    what: str  # "2 servers ready"
    action: str  # the action id that takes the step ("app.compare": the UI knows its key)
    verb: str  # "compare"
    screen: str  # the screen that action opens: no use naming the step on it


def loop_state(servers: Registry, review: Labels, failures: Failures) -> LoopState:
    """The counts, each one query: the registry's rows (no process is polled), the latest verdict of every trace,
    and the failed traces no active mode holds."""
    ready = sum(1 for r in servers.records() if r.get("status") == "ready")
    progress = review.progress()
    labelled = progress.passed + progress.failed + progress.skipped
    return LoopState(ready, progress.total, progress.total - labelled, failures.count_unplaced())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def next_steps(state: LoopState) -> list[Step]:
    """Every step that is obvious now, the one nearest a decision first: failures to sort into modes, traces
    to label, then servers to compare or run a prompt set on, then a server to start."""
    steps = []
    if state.unplaced:
        steps.append(Step(f"{_plural(state.unplaced, 'failure')} not in a failure mode", "app.failures",
                          "sort them", "failures"))
    if state.unlabelled:
        steps.append(Step(f"{_plural(state.unlabelled, 'trace')} unlabelled", "app.review", "review", "review"))
    if state.servers_ready >= 2:
        steps.append(Step(f"{state.servers_ready} servers ready", "app.compare", "compare", "compare"))
    elif state.servers_ready == 1:
        steps.append(Step("1 server ready", "app.runs", "run a prompt set on it", "runs"))
    elif not state.traces:
        steps.append(Step("no server ready", "app.servers", "start one", "servers"))
    return steps


def next_step(state: LoopState, here: str | None = None) -> Step | None:
    """The first of `next_steps` that does not lead to the screen `here` (the user is already there)."""
    return next((s for s in next_steps(state) if s.screen != here), None)
