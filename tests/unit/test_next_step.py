"""The next step of the loop from the stores' counts (evals/next_step.py), on a real home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelpick_tui.evals import failure_modes
from modelpick_tui.evals.next_step import LoopState, next_step, next_steps
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from tests.support.oai_servers import OAIServer


@pytest.fixture
def endpoint() -> Iterator[OAIServer]:
    with OAIServer() as server:
        yield server


def whats(state: LoopState, here: str | None = None) -> str | None:
    step = next_step(state, here)
    return None if step is None else f"{step.what} -> {step.action} ({step.verb})"


def test_steps_come_nearest_the_decision_first_and_skip_the_screen_the_user_is_on() -> None:
    state = LoopState(servers_ready=2, traces=40, unlabelled=40, unplaced=26)
    assert [s.action for s in next_steps(state)] == ["app.failures", "app.review", "app.compare"]
    assert whats(state) == "26 failures not in a failure mode -> app.failures (sort them)"
    assert whats(state, "failures") == "40 traces unlabelled -> app.review (review)"
    assert whats(LoopState(2, 0, 0, 0)) == "2 servers ready -> app.compare (compare)"
    assert whats(LoopState(1, 0, 0, 0)) == "1 server ready -> app.runs (run a prompt set on it)"
    assert whats(LoopState(0, 0, 0, 0)) == "no server ready -> app.servers (start one)"
    assert whats(LoopState(0, 0, 0, 0), "servers") is None
    assert whats(LoopState(0, 5, 0, 0)) is None  # everything labelled and sorted, no server: nothing obvious


def test_counts_from_a_home(services: Services, endpoint: OAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failure_modes, "embeddings_available", lambda: False)
    assert services.loop_state() == LoopState(0, 0, 0, 0)
    for name in ("left", "right"):
        services.supervisor.add_remote(name, endpoint.url, "llama")
    run = services.traces.create_run(kind="set")
    ids = [services.traces.add(Trace(run_id=run, prompt="p", endpoint="left", model="m", output=str(i))).id
           for i in range(5)]
    services.review.label(ids[0], "pass")
    services.review.label(ids[1], "fail", "wrong sum")
    services.review.label(ids[2], "fail", "wrong total")
    services.review.label(ids[3], "skip")
    assert services.loop_state() == LoopState(servers_ready=2, traces=5, unlabelled=1, unplaced=2)
    services.failures.place_unassigned("tfidf")
    [mode] = services.failures.modes()
    services.review.label(ids[4], "fail", "wrong again")
    services.review.label(ids[1], "pass")  # no longer a failure: it does not count, placed or not
    assert services.loop_state() == LoopState(2, 5, 0, 1)
    services.failures.place_unassigned("tfidf")
    assert services.loop_state().unplaced == 0
    # A split then a merge: the traces of a merged mode count under the mode it went into, so they are placed.
    kept, split_off = services.failures.split(mode.id, "tfidf")
    services.failures.merge(split_off.id, [kept.id])
    assert services.failures.mode(split_off.id).size == 2
    assert services.loop_state().unplaced == 0 and services.failures.unassigned() == []
