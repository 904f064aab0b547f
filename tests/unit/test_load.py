"""Load tests' plain parts (evals/load/): the SLO string, the level verdict, the sentence, and what LoadStore
keeps and gives back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelpick_tui.evals.load import LoadLevel, LoadResult, Slo, SloError, parse_slo, sentence, verdict
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings


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
