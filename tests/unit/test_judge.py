"""The rubric and the LLM judge: strict JSON verdicts parsed robustly, stored apart from human labels, and the
judge's agreement with the humans. Against a local OpenAI-compatible test server that answers verdicts, and once
against the real llama.cpp server on the Gemma 3 270M GGUF."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.evals.judge import run_judge
from modelpick_tui.evals.rubric import VERDICT_SCHEMA, Verdict, parse_verdict, rubric_sha
from modelpick_tui.evals.stores.judge import JudgeStore
from modelpick_tui.services import Services
from modelpick_tui.serving.endpoints import Endpoint
from tests.support.judge_server import ANSWERS, JudgeServer
from tests.support.oai_servers import OAIServer
from tests.support.traces import make_traces


@pytest.fixture
def server() -> Iterator[JudgeServer]:
    with JudgeServer(api_key="sk-judge") as srv:
        yield srv


def endpoint(server: OAIServer, model: str = "judge") -> Endpoint:
    return Endpoint(name="judge-box", base_url=server.url + "/v1", model=model, api_key="sk-judge")


@pytest.mark.parametrize(("text", "verdict", "reason"), [
    ('{"verdict": "pass", "reason": "ok"}', "pass", "ok"),
    ('```json\n{"verdict": "fail", "reason": "wrong"}\n```', "fail", "wrong"),
    ('```\n{"verdict":"Pass","reason":"fine"}```', "pass", "fine"),
    ('Sure! {"verdict": "fail", "reason": "uses {braces} and \\"quotes\\""} hope that helps', "fail",
     'uses {braces} and "quotes"'),
    ('{"verdict": "fail"}', "fail", ""),
])
def test_verdicts_are_parsed_from_json_with_or_without_fences(text: str, verdict: str, reason: str) -> None:
    parsed = parse_verdict(text)
    assert (parsed.verdict, parsed.reason, parsed.error) == (verdict, reason, None)


@pytest.mark.parametrize(("text", "error"), [
    ("", "empty answer"),
    ("I think it passes.", "the answer is not the JSON object asked for"),
    ('{"verdict": "maybe"}', "verdict must be pass or fail, got 'maybe'"),
    ('{"verdict": "pass", "reason": ', "the answer is not the JSON object asked for"),
    ("[1, 2]", "the answer is not the JSON object asked for"),
])
def test_malformed_answers_are_errors(text: str, error: str) -> None:
    parsed = parse_verdict(text)
    assert (parsed.verdict, parsed.error) == ("error", error)


async def test_judge_grades_traces_and_stores_verdicts_apart_from_labels(services: Services,
                                                                         server: JudgeServer) -> None:
    run, traces = make_traces(services, ["GOOD", "BAD", "MAYBE", "PROSE", "GOOD"],
                              ["pass", "fail", "pass", "fail", "fail"])
    store = services.judge
    rubric = store.set_rubric(run, "FAIL when it refuses a harmless request.").text
    seen: list[tuple[int, int]] = []
    summary = await run_judge(store, endpoint(server), traces, rubric, concurrency=2,
                              on_progress=lambda done, total, _s: seen.append((done, total)))
    assert (summary.judged, summary.passed, summary.failed, summary.errors) == (5, 2, 1, 2)
    assert seen[-1] == (5, 5)
    rows = {r["trace_id"]: r for r in services.db.query("select * from judge_verdicts")}
    assert [rows[t.id]["verdict"] for t in traces] == ["pass", "fail", "error", "error", "pass"]
    assert rows[traces[1].id]["reason"] == "it refused"
    assert rows[traces[3].id]["raw"] == ANSWERS["PROSE"]  # the raw text is kept for an error
    assert rows[traces[2].id]["error"] == "verdict must be pass or fail, got 'maybe'"
    assert {r["judge_model"] for r in rows.values()} == {"judge"}
    assert {r["rubric_sha256"] for r in rows.values()} == {rubric_sha(rubric)}
    # The human labels are untouched: still one row per trace, the human's verdict.
    assert services.db.sqlite.execute("select count(*) from labels").fetchone()[0] == 5
    assert services.review.latest(traces[4].id).verdict == "fail"  # type: ignore[union-attr]
    # What the judge was sent: the rubric, the prompt, the reference and the output, at temperature 0.
    body = next(r.body for r in server.requests if r.method == "POST")
    sent = body["messages"][-1]["content"]
    assert "FAIL when it refuses" in sent and "question" in sent and "the right answer" in sent
    assert body["temperature"] == 0.0 and body["messages"][0]["role"] == "system"
    # A re-run skips what was graded under the same rubric and retries the errors.
    again = await run_judge(store, endpoint(server), traces, rubric)
    assert (again.skipped, again.judged, again.errors) == (3, 2, 2)


async def test_agreement_with_the_human_labels(services: Services, server: JudgeServer) -> None:
    # Human: pass pass fail fail pass fail; judge: pass fail(!) fail pass(!) error fail.
    run, traces = make_traces(services, ["GOOD", "BAD", "BAD", "GOOD", "PROSE", "BAD"],
                              ["pass", "pass", "fail", "fail", "pass", "fail"])
    store = services.judge
    await run_judge(store, endpoint(server), traces, "rubric")
    agreement = store.agreement(run_id=run)
    assert agreement.n == 5 and agreement.percent == pytest.approx(3 / 5)
    # p_o = 0.6; p_e = (2*2 + 3*3) / 25 = 0.52; kappa = 0.08 / 0.48
    assert agreement.kappa == pytest.approx(0.08 / 0.48)
    assert agreement.confusion == {"pass/pass": 1, "pass/fail": 1, "fail/pass": 1, "fail/fail": 2}
    assert agreement.judge_errors == 1 and agreement.unjudged == 0
    assert not agreement.trusted
    assert agreement.summary() == "agreement 60% over 5 traces, Cohen's kappa 0.17"
    assert "not to be trusted" in (agreement.warning() or "")
    assert store.agreement(run_id=run, judge_model="another-judge").n == 0
    # TPR 1/2, TNR 2/3 on the labelled traces: TPR + TNR − 1 = 0.17, too near chance to correct the raw 2/5
    corrected = store.corrected(run_id=run)["cand"]
    assert (corrected.n, corrected.raw, corrected.theta) == (5, 0.4, None)
    assert corrected.why_not == "TPR + TNR − 1 = 0.17 is under 0.2: the judge is too near chance"


def test_agreement_when_the_judge_always_agrees(services: Services) -> None:
    run, traces = make_traces(services, ["x"] * 4, ["pass", "fail", "pass", "fail"])
    store = services.judge
    for t, v in zip(traces, ["pass", "fail", "pass", "fail"], strict=True):
        store.add_verdict(t.id, Verdict(v, "r"), judge_endpoint="j", judge_model="j", rubric_sha256="s",
                          raw="{}")
    agreement = store.agreement(run_id=run)
    assert (agreement.n, agreement.percent, agreement.kappa) == (4, 1.0, 1.0)
    assert agreement.trusted and agreement.warning() is None
    assert agreement.summary() == "agreement 100% over 4 traces, Cohen's kappa 1.00"
    corrected = store.corrected(run_id=run)["cand"]
    assert (corrected.raw, corrected.tpr, corrected.tnr, corrected.theta) == (0.5, 1.0, 1.0, 0.5)


def test_rubrics_per_run_with_a_default_for_all_runs(services: Services) -> None:
    store = JudgeStore(services.db)
    assert store.rubric("r1") is None
    store.set_rubric(None, "for everything")
    store.set_rubric("r1", "for r1")
    assert store.rubric("r1").text == "for r1"  # type: ignore[union-attr]
    assert store.rubric("r2").text == "for everything"  # type: ignore[union-attr]
    assert store.rubric().text == "for everything"  # type: ignore[union-attr]
    store.set_rubric("r1", "for r1, edited")
    assert store.rubric("r1").text == "for r1, edited"  # type: ignore[union-attr]


def test_rubric_draft_from_the_failure_modes(services: Services) -> None:
    run, traces = make_traces(services, ["x"] * 4, ["fail", "fail", "fail", "pass"])
    services.review.label(traces[0].id, "fail", note="refused a harmless request")
    services.review.label(traces[1].id, "fail", note="model declined to answer")
    services.review.label(traces[2].id, "fail", note="answered in French")
    with services.db.write() as db:
        db.table("failure_modes").insert_all([
            {"id": "m1", "name": "refusals", "status": "active"},
            {"id": "m2", "name": "wrong language", "status": "active"}])
        db.table("trace_failure_modes").insert_all([
            {"trace_id": traces[0].id, "mode_id": "m1"}, {"trace_id": traces[1].id, "mode_id": "m1"},
            {"trace_id": traces[2].id, "mode_id": "m2"}])
    draft = services.judge.draft_rubric(run)
    assert draft.startswith("PASS when")
    assert ('- refusals (e.g. "refused a harmless request"; "model declined to answer")' in draft)
    assert '- wrong language (e.g. "answered in French")' in draft
    assert "refusals" in services.judge.draft_rubric(None)
    assert "- it refuses a harmless request" in services.judge.draft_rubric("other-run")


async def test_an_unreachable_judge_gives_error_verdicts(services: Services) -> None:
    from modelpick_tui.serving.procs import free_port

    _run, traces = make_traces(services, ["GOOD"], ["pass"])
    dead = Endpoint(name="dead", base_url=f"http://127.0.0.1:{free_port()}/v1", model="judge")
    summary = await run_judge(services.judge, dead, traces, "rubric")
    assert summary.errors == 1 and summary.error_lines[0].startswith("the judge request failed: cannot connect")


@pytest.mark.integration
@pytest.mark.llama
@pytest.mark.timeout(180)
async def test_the_real_llama_cpp_server_as_judge(services: Services, gemma_gguf: Path) -> None:
    """A 270M model grades badly; this proves the path end to end and that whatever it says is stored as a
    pass, a fail or an error with its raw text, never a crash."""
    from modelpick_tui.serving.endpoints import resolve
    from modelpick_tui.serving.spec import ServerSpec

    _run, traces = make_traces(services, ["Paris is the capital of France.", "Berlin."], ["pass", "fail"])
    supervisor = services.supervisor
    try:
        server = supervisor.start_and_wait(ServerSpec(name="gemma-judge", backend="llama", model=str(gemma_gguf),
                                               ctx=2048, chat_format="gemma"), timeout=90)
        assert server.status == "ready", server.error
        ep = resolve(supervisor, "gemma-judge")
        summary = await run_judge(services.judge, ep, traces, "PASS when the answer is Paris.",
                                  concurrency=1, max_tokens=48)
    finally:
        supervisor.close(grace=5)
    assert summary.judged == 2
    rows = list(services.db.query("select verdict, raw, error from judge_verdicts"))
    assert len(rows) == 2
    for row in rows:
        assert row["verdict"] in ("pass", "fail", "error")
        if row["verdict"] == "error":
            assert row["error"] and row["raw"] is not None
    assert json.dumps(services.judge.agreement().to_json())  # agreement is computable whatever it said


@pytest.mark.parametrize(("backend", "shape"), [
    ("llama", {"type": "json_object", "schema": VERDICT_SCHEMA}),
    ("vllm", {"type": "json_schema", "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": True}}),
    ("remote", None),
])
async def test_the_judge_asks_each_backend_for_a_verdict_in_its_own_shape(
        services: Services, server: JudgeServer, backend: str, shape: dict | None) -> None:
    _run, traces = make_traces(services, ["GOOD"], ["pass"])
    ep = Endpoint(name="judge-box", base_url=server.url + "/v1", model="judge", api_key="sk-judge", backend=backend)
    summary = await run_judge(services.judge, ep, traces, "rubric")
    assert summary.passed == 1 and summary.structured == (shape["type"] if shape else None)
    body = next(r.body for r in server.requests if r.method == "POST")
    assert body.get("response_format") == shape
    await run_judge(services.judge, ep, traces, "rubric", structured=False, resume=False)
    assert "response_format" not in [r.body for r in server.requests if r.method == "POST"][-1]
