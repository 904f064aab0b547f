"""Load tests' plain parts (evals/load/): the SLO string, the level verdict, the sentence, and what LoadStore
keeps and gives back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.evals.load import LoadLevel, LoadResult, Slo, SloError, parse_slo, sentence, verdict
from modelpick_tui.evals.load.generator import LoadPrompt
from modelpick_tui.evals.load.search import SearchState, next_level
from modelpick_tui.evals.load.sources import LoadPromptsError, prompts_for
from modelpick_tui.evals.load.tester import finish
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support.files import write_set


def test_parse_slo_normalises_units_and_order() -> None:
    slo = parse_slo("e2e=2s, TTFT=0.5s,tpot=50ms")
    assert slo == Slo(ttft_ms=500, tpot_ms=50, e2e_ms=2000)
    assert str(slo) == "ttft=500ms,tpot=50ms,e2e=2000ms"
    assert str(parse_slo(str(slo))) == str(slo)  # the stored form reads back as itself
    assert str(parse_slo("tpot=20ms")) == "tpot=20ms"


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty SLO"),
    ("ttft=500", "cannot read SLO part 'ttft=500'"),
    ("ttft=fast", "cannot read SLO part"),
    ("ttft=500ms;tpot=50ms", "cannot read SLO part"),
    ("latency=2s", "unknown SLO bound 'latency'"),
    ("ttft=1s,ttft=2s", "given twice"),
    ("ttft=0ms", "above zero"),
])
def test_parse_slo_says_what_is_wrong_in_one_line(text: str, says: str) -> None:
    with pytest.raises(SloError) as e:
        parse_slo(text)
    assert says in str(e.value)
    assert "\n" not in str(e.value) and "ttft=500ms,tpot=50ms" in str(e.value)


def test_slo_met_per_request() -> None:
    slo = parse_slo("ttft=500ms,tpot=50ms,e2e=2s")
    assert slo.met(499, 49, 1999)
    assert not slo.met(501, 10, 600)
    assert not slo.met(100, 51, 600)
    assert not slo.met(100, 10, 2001)
    assert not slo.met(None, None, None)  # no first token: missed
    assert slo.met(100, None, 100)  # a one-token answer has no TPOT to miss


def test_verdict_needs_the_whole_interval_on_one_side_of_the_target() -> None:
    # Wilson 95 %: 40/40 -> [0.912, 1]; 30/30 -> [0.886, 1]; 27/30 -> [0.74, 0.97]; 10/30 -> [0.19, 0.51].
    assert verdict(40, 40, 0.9)[0] == "pass"
    assert verdict(30, 30, 0.9)[0] == "unresolved"  # all met, but 30 requests cannot show ≥ 90 %
    assert verdict(27, 30, 0.9)[0] == "unresolved"
    assert verdict(10, 30, 0.9)[0] == "fail"
    assert verdict(0, 0, 0.9)[0] == "unresolved"
    assert round(verdict(40, 40, 0.9)[1].low, 3) == 0.912


def test_sentence_as_the_issue_words_it() -> None:
    level = LoadLevel("t", 8, requests=400, rps=3.14, attainment=0.9, ci_low=0.864, ci_high=0.93)
    assert sentence(parse_slo("ttft=500ms,tpot=50ms"), 0.9, level) == (
        "serves 8 concurrent users (≈ 3.1 requests/s) with first token < 500 ms and ≥ 20 tokens/s each for 90% of "
        "requests (95% CI 86-93%)")
    one = LoadLevel("t", 1, rps=0.52, attainment=1.0, ci_low=0.93, ci_high=1.0)
    assert sentence(parse_slo("e2e=2s"), 0.9, one, reason="the server answers one request at a time").startswith(
        "serves 1 concurrent user (≈ 0.52 requests/s) with the whole answer < 2 s for 100% of requests (95% CI "
        "93-100%); the server answers one request at a time")
    assert sentence(parse_slo("ttft=100ms"), 0.9, None, reason="level 1 fails") == (
        "no load meets first token < 100 ms for 90% of requests (level 1 fails)")


@pytest.fixture
def svc(settings: Settings) -> Iterator[Services]:
    s = build_services(settings)
    yield s
    s.close()


def _test(svc: Services, test_id: str, model: str, slo: str, capacity: int | None, status: str = "done") -> None:
    svc.load.start(LoadResult(test_id, endpoint=f"ep-{test_id}", model=model, hardware="cpu", slo=slo))
    for c in (1, 2):
        svc.load.save_level(LoadLevel(test_id, c, requests=40, ok=40, attained=40, attainment=1.0, ci_low=0.91,
                                      verdict="pass", ttft_p50=12.5 * c))
    svc.load.update(test_id, status=status, capacity_concurrency=capacity, capacity_rps=1.5,
                    sentence=f"serves {capacity}")


def test_store_keeps_tests_and_levels_and_finds_the_latest_capacity(svc: Services) -> None:
    _test(svc, "a", "m1", "ttft=500ms", 2)
    _test(svc, "b", "m1", "ttft=500ms", 4)
    _test(svc, "c", "m1", "ttft=200ms", 1)
    _test(svc, "d", "m1", "ttft=500ms", None)  # no capacity established: not the latest capacity
    _test(svc, "e", "m1", "ttft=500ms", 8, status="interrupted")  # unfinished: neither
    latest = svc.load.latest_capacity("m1", "ttft=500ms")
    assert latest is not None and latest.id == "b" and latest.capacity_concurrency == 4
    assert [(lv.concurrency, lv.ttft_p50, lv.verdict) for lv in latest.levels] == [(1, 12.5, "pass"),
                                                                                    (2, 25.0, "pass")]
    latest_any = svc.load.latest_capacity("m1")
    assert latest_any is not None and latest_any.id == "c"
    assert svc.load.latest_capacity("m2") is None
    assert [r.id for r in svc.load.results(model="m1")] == ["e", "d", "c", "b", "a"]
    assert [r.id for r in svc.load.results(slo="ttft=200ms")] == ["c"]
    got = svc.load.get("e")
    assert got is not None and got.status == "interrupted" and got.hardware == "cpu" and len(got.levels) == 2
    # a level measured again (resume) replaces the old one
    svc.load.save_level(LoadLevel("e", 2, requests=10, verdict="fail"))
    assert [(lv.concurrency, lv.requests, lv.verdict) for lv in svc.load.levels("e")] == [(1, 40, "pass"),
                                                                                          (2, 10, "fail")]
    with pytest.raises(ValueError, match="not columns"):
        svc.load.update("e", nonsense=1)


# --- the search (evals/load/search.py): which level next, and where it stops --------------------------------------

def _lv(c: int, v: str, **kw: object) -> LoadLevel:
    return LoadLevel("t", c, requests=40, ok=40, verdict=v, max_in_flight=c, **kw)  # type: ignore[arg-type]


def _walk(capacity_at: float, max_concurrency: int,
          unresolved: frozenset[int] = frozenset()) -> tuple[list[int], SearchState]:
    """The levels the search asks for against a server that passes up to `capacity_at` users."""
    levels: dict[int, LoadLevel] = {}
    asked = []
    while (state := next_level(levels, max_concurrency)).next is not None:
        c = state.next
        assert c not in levels, "a level is measured once"
        asked.append(c)
        levels[c] = _lv(c, "unresolved" if c in unresolved else "pass" if c <= capacity_at else "fail")
    return asked, state


def test_search_doubles_then_bisects() -> None:
    asked, state = _walk(5, 64)
    assert asked == [1, 2, 4, 8, 6, 5]
    assert state.capacity == 5 and state.first_bad == 6
    asked, state = _walk(1, 64)
    assert asked == [1, 2] and state.capacity == 1
    asked, state = _walk(0, 64)
    assert asked == [1] and state.capacity is None and state.first_bad == 1
    asked, state = _walk(1000, 12)  # the last level is --max-concurrency itself
    assert asked == [1, 2, 4, 8, 12] and state.capacity == 12 and state.reached_max
    asked, state = _walk(37, 64)
    assert asked == [1, 2, 4, 8, 16, 32, 64, 48, 40, 36, 38, 37] and state.capacity == 37


def test_an_unresolved_level_is_never_the_capacity() -> None:
    asked, state = _walk(5, 64, unresolved=frozenset({4}))
    assert asked == [1, 2, 4, 3] and state.capacity == 3 and state.first_bad == 4


def test_search_stops_at_a_serial_server_and_at_a_dead_one() -> None:
    serial = {1: _lv(1, "pass"), 2: LoadLevel("t", 2, requests=10, ok=10, verdict="pass", max_in_flight=1)}
    state = next_level(serial, 64)
    assert state.next is None and state.capacity == 1 and state.serial is serial[2]
    died = {1: _lv(1, "pass"), 2: _lv(2, "pass"), 4: LoadLevel("t", 4, verdict="error", error="gone")}
    state = next_level(died, 64)
    assert state.next is None and state.capacity == 2 and state.first_bad == 4


def test_finish_names_the_capacity_and_why() -> None:
    test = LoadResult("t", "ep", model="m", slo="ttft=500ms,tpot=50ms", target=0.9)
    levels = {1: _lv(1, "pass", rps=1.0, attainment=1.0, ci_low=0.91, ci_high=1.0),
              2: _lv(2, "pass", rps=3.1, output_tps=60.0, attainment=0.975, ci_low=0.91, ci_high=0.99),
              4: _lv(4, "fail", attainment=0.5, ci_low=0.35, ci_high=0.65),
              3: _lv(3, "unresolved", attainment=0.9, ci_low=0.77, ci_high=0.96)}
    out = finish(test, levels, next_level(levels, 64), "vllm")
    assert (out.status, out.capacity_concurrency, out.capacity_rps, out.capacity_output_tps) == ("done", 2, 3.1, 60.0)
    assert out.sentence == ("serves 2 concurrent users (≈ 3.1 requests/s) with first token < 500 ms and ≥ 20 "
                            "tokens/s each for 98% of requests (95% CI 91-99%)")
    assert out.reason == "3 concurrent users is unresolved (90% met the SLO, 95% CI 77-96%, target 90%)"
    serial = {1: levels[1], 2: LoadLevel("t", 2, requests=8, ok=8, verdict="pass", max_in_flight=1)}
    out = finish(test, serial, next_level(serial, 64), "llama")
    assert out.capacity_concurrency == 1
    assert out.sentence is not None and "serves 1 concurrent user" in out.sentence
    assert "one request at a time" in out.sentence and "llama-cpp-python's server" in out.sentence
    busy = {1: _lv(1, "pass", client_cpu=0.97), 2: _lv(2, "fail")}
    out = finish(test, busy, next_level(busy, 64), "vllm")
    assert out.reason is not None and "the load generator used 97% of a core at 1 concurrent user" in out.reason


def test_the_loads_prompts_come_from_the_endpoints_runs_else_the_sample_and_come_back_on_resume(
        svc: Services, tmp_path: Path) -> None:
    def prompts(name: str, prompt_set: str | None) -> tuple[list[LoadPrompt], str]:
        return prompts_for(name, prompt_set=prompt_set, traces=svc.traces, sets=svc.prompt_sets,
                           sample_dir=svc.settings.sample_dir)

    sample, source = prompts("ep", None)  # no runs on it yet: the sample support set
    assert source == "sample:prompts/support.jsonl" and len(sample) > 5
    assert sample[0].prompt == "How do I reset my password? I can't log in."
    assert sample[0].system is not None and sample[0].system.startswith("You are the support assistant of Larkspur")
    run_id = svc.traces.create_run(kind="set")
    for prompt in ("one", "two", "one"):
        svc.traces.add(Trace(run_id=run_id, prompt=prompt, endpoint="ep", system="be brief"))
    svc.traces.add(Trace(run_id=run_id, prompt="elsewhere", endpoint="other"))
    own, source = prompts("ep", None)
    assert own == [LoadPrompt("one", "be brief"), LoadPrompt("two", "be brief")] and source == "runs:ep"
    path = write_set(tmp_path / "set.jsonl", 3, system=None)
    from_file, source = prompts("ep", str(path))
    assert [p.prompt for p in from_file] == ["What colour is the sky?", "What colour is grass?",
                                             "What colour is snow?"]
    for kept in ("sample:prompts/support.jsonl", "runs:ep", str(path)):  # a resumed test gets the same prompts
        assert prompts("another", kept) == prompts("ep", kept)
    with pytest.raises(LoadPromptsError, match="no prompt set 'nope.jsonl': give a JSONL or CSV file"):
        prompts("ep", "nope.jsonl")
