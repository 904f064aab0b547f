"""Checks and the constrained judge against the real llama.cpp server on SmolLM2-135M-Instruct: a prompt set with
checks run end to end (each answer graded as it is stored, `modelpick checks` agreeing); and the judge's verdict
error rate on the same 20 traces without and with structured output (llama-cpp-python's JSON-schema grammar)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.evals.judge import run_judge
from modelpick_tui.evals.promptsets import load_prompt_set
from modelpick_tui.evals.runner import Runner
from modelpick_tui.evals.traces import RunParams, Trace
from modelpick_tui.services import Services
from modelpick_tui.serving.client import Timeouts
from modelpick_tui.serving.endpoints import Endpoint, resolve
from modelpick_tui.serving.params import SamplingParams
from tests.support.cli import run

pytestmark = [pytest.mark.integration, pytest.mark.llama, pytest.mark.timeout(600)]

QUESTIONS = [  # (question, reference, a right answer, a wrong answer)
    ("What is the capital of France?", "Paris", "The capital of France is Paris.", "It is Lyon."),
    ("How many legs does a spider have?", "8", "A spider has eight legs.", "Six."),
    ("What is 12 times 3?", "36", "12 × 3 = 36.", "It is 32."),
    ("Which planet is known as the red planet?", "Mars", "Mars.", "Venus is the red planet."),
    ("What gas do plants take in?", "Carbon dioxide", "Carbon dioxide (CO2).", "Oxygen."),
    ("What is the boiling point of water at sea level in Celsius?", "100", "100 °C.", "It boils at 90 °C."),
    ("Who wrote Romeo and Juliet?", "Shakespeare", "William Shakespeare.", "Charles Dickens."),
    ("What is the largest ocean?", "Pacific", "The Pacific Ocean.", "The Atlantic."),
    ("How many days are in a week?", "7", "Seven days.", "Five days."),
    ("What is the chemical symbol for gold?", "Au", "Au.", "Ag."),
]


@pytest.fixture(scope="module")
def smol_home(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Iterator[tuple[Services, Endpoint]]:
    """One SmolLM2 server for the module (started once: ~2 s to load on 2 cores), stopped whatever happens."""
    from modelpick_tui.services import build_services
    from modelpick_tui.serving.spec import ServerSpec
    from modelpick_tui.settings import Settings
    from tests.support.paths import SAMPLE

    home = tmp_path_factory.mktemp("smol")
    services = build_services(Settings(home=home, db_path=home / "modelpick.db", sample_dir=SAMPLE,
                                       hf_offline=True))
    supervisor = services.supervisor
    try:
        server = supervisor.start_and_wait(ServerSpec(name="smol", backend="llama", model=str(smollm2_gguf),
                                                      ctx=2048), timeout=120)
        assert server.status == "ready", server.error
        yield services, resolve(supervisor, "smol")
    finally:
        supervisor.close(grace=5)
        services.close()


def test_a_prompt_set_with_checks_against_llama_cpp(smol_home: tuple[Services, Endpoint], tmp_path: Path) -> None:
    services, smol = smol_home
    rows = [{"default_checks": [{"type": "max_chars", "value": 2000}, {"type": "max_latency_ms", "value": 60000}]}]
    rows += [{"id": f"q{i}", "prompt": q, "reference": ref, "system": "Answer in one short sentence.",
              "checks": [{"type": "icontains", "value": ref}]} for i, (q, ref, _, _) in enumerate(QUESTIONS[:6])]
    rows.append({"id": "never", "prompt": "Say hello.", "checks": [{"type": "contains", "value": "zq-never-zq"}]})
    path = tmp_path / "quiz.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    runner = Runner(services.traces, services.prompt_sets, checks=services.checks, concurrency=1, per_endpoint=1,
                    timeouts=Timeouts(read=60, deadline=120))
    params = RunParams(sampling=SamplingParams(temperature=0.0, max_tokens=48, seed=1))
    result = asyncio.run(runner.run(load_prompt_set(path), [smol], params, name="quiz"))
    assert result.status == "done" and result.ok == 7, result
    graded = services.checks.results(run_id=result.run_id)
    traces = {t.id: t for t in services.traces.list(run_id=result.run_id)}
    assert len(graded) == 7 and set(graded) == set(traces)
    for trace_id, results in graded.items():
        trace = traces[trace_id]
        assert [r.check.type for r in results] == ["max_chars", "max_latency_ms",
                                                   "contains" if trace.prompt_id == "never" else "icontains"]
        assert all(r.reason and "\n" not in r.reason for r in results)
        own = results[2]  # what the answer says decides it, as the grader reads it
        assert own.passed == (own.check.value.casefold() in trace.output.casefold()), (trace.output, own)
        assert results[1].passed and results[1].reason.endswith("ms ≤ 60,000 ms")
    never = next(rs for t, rs in graded.items() if traces[t].prompt_id == "never")
    assert not never[2].passed and never[2].reason == '"zq-never-zq" not in the answer'
    out = json.loads(run(services.settings.db_path, "checks", "--run", result.run_id, "--json").output)
    stored = {t: all(r.passed for r in rs) for t, rs in graded.items()}
    assert out["graded"] == 7 and out["pass"] == sum(stored.values())  # the same grades, done again


def test_structured_output_turns_the_small_judges_errors_into_verdicts(smol_home: tuple[Services, Endpoint],
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    services, smol = smol_home
    run_id = services.traces.create_run(kind="import", name="judge-me")
    traces = [Trace(run_id=run_id, prompt=q, endpoint="cand", model="cand", output=answer, reference=ref)
              for q, ref, right, wrong in QUESTIONS for answer in (right, wrong)]
    services.traces.add_many(traces)
    rubric = "PASS when the model output gives the same answer as the reference answer; FAIL otherwise."

    def judge(structured: bool) -> tuple[int, int]:
        summary = asyncio.run(run_judge(services.judge, smol, traces, rubric, concurrency=1, max_tokens=128,
                                        resume=False, structured=structured))
        assert summary.judged == 20
        return summary.errors, summary.passed + summary.failed

    before = judge(False)
    after = judge(True)
    with capsys.disabled():
        print(f"\nSmolLM2-135M judge, 20 traces: verdict errors {before[0]}/20 without structured output, "
              f"{after[0]}/20 with llama.cpp's JSON-schema grammar")
    assert after == (0, 20)  # the grammar leaves it no way to answer anything but a verdict
    assert before[0] >= after[0]
    rows = list(services.db.query("select verdict, raw from judge_verdicts order by id desc limit 20"))
    for row in rows:  # each constrained answer is the object, and parses as one
        data = json.loads(row["raw"])
        assert data["verdict"] == row["verdict"] and isinstance(data["reason"], str)
