"""The run diff: McNemar's exact test and the paired interval against known tables, pairing with traces missing
on either side, the grading source per pair (human, else checks, else judge), per failure mode, and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from modelpick_tui.evals.checks import Answer, grade, parse_checks
from modelpick_tui.evals.diff import Graded, diff_runs, grade_pair
from modelpick_tui.evals.rubric import Verdict
from modelpick_tui.evals.stats import mcnemar_exact, paired_difference
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from tests.support.cli import run


@pytest.mark.parametrize(("fixed", "regressed", "p"), [
    (10, 2, 2 * (1 + 12 + 66) / 4096),  # 0.0386: binomial(12, ½), two-sided
    (2, 10, 2 * (1 + 12 + 66) / 4096),
    (5, 5, 1.0),
    (0, 0, 1.0),
    (6, 0, 2 / 64),  # all six discordant pairs one way: 0.03125
    (1, 0, 1.0),
])
def test_mcnemar_exact_against_known_tables(fixed: int, regressed: int, p: float) -> None:
    assert math.isclose(mcnemar_exact(fixed, regressed), p, rel_tol=1e-12)


def test_mcnemar_matches_scipy_style_binomial_on_a_textbook_table() -> None:
    # Agresti's presidential approval table (n=1600): b = 150, c = 86. The exact p is ~3.7e-5.
    assert 3.0e-5 < mcnemar_exact(86, 150) < 4.5e-5


def test_paired_interval() -> None:
    # 40 pairs: 20 both pass, 10 fixed, 2 regressed, 8 both fail: change +20 %. Agresti–Min: b=10.5, c=2.5, m=42:
    # centre 8/42, half 1.96·sqrt(13 − 64/42)/42.
    found = paired_difference(20, 10, 2, 8)
    half = 1.959963984540054 * math.sqrt(13 - 64 / 42) / 42
    assert math.isclose(found.estimate, 0.2)
    assert math.isclose(found.low, 8 / 42 - half) and math.isclose(found.high, 8 / 42 + half)
    assert found.low > 0  # the change is real at 95 %
    nothing = paired_difference(5, 0, 0, 5)  # no discordant pair: an interval around 0, not a point
    assert nothing.estimate == 0 and nothing.low < 0 < nothing.high
    assert paired_difference(0, 0, 0, 0).low == -1.0


def g(trace_id: str, prompt_id: str | None, model: str = "m", **grades: str | None) -> Graded:
    return Graded(trace_id=trace_id, prompt_id=prompt_id, prompt=f"text {prompt_id}", model=model, **grades)


def test_pairs_by_prompt_and_model_with_missing_traces_on_either_side() -> None:
    a = [g("a1", "p1", human="fail", mode="refusal"), g("a2", "p2", human="pass"), g("a3", "p3", checks="fail"),
         g("a4", "p4", judge="pass"), g("a5", "only-a"), g("a6", "p1", model="other", human="fail"),
         g("a7", "p7", human="fail", mode="refusal")]
    b = [g("b1", "p1", human="pass"), g("b2", "p2", human="fail"), g("b3", "p3", human="pass", checks="pass"),
         g("b4", "p4", checks="pass"), g("b6", "p1", model="other", checks="fail"), g("b8", "only-b"),
         g("b7", "p7", human="fail")]
    diff = diff_runs("A", a, "B", b)
    kinds = {(p.a.trace_id, p.b.trace_id): (p.kind, p.source) for p in diff.pairs}
    assert kinds == {("a1", "b1"): ("fixed", "human"), ("a2", "b2"): ("regressed", "human"),
                     ("a3", "b3"): ("fixed", "checks"),  # only one side has a human label: the checks decide
                     ("a4", "b4"): ("ungraded", None),  # judge on one side, checks on the other: nothing common
                     ("a6", "b6"): ("ungraded", None), ("a7", "b7"): ("still_failing", "human")}
    assert [t.trace_id for t in diff.only_a] == ["a5"] and [t.trace_id for t in diff.only_b] == ["b8"]
    assert diff.counts == {"fixed": 2, "regressed": 1, "still_failing": 1, "still_passing": 0, "ungraded": 2}
    assert diff.sources == {"human": 3, "checks": 1, "judge": 0}
    assert diff.by_mode() == [("refusal", 1, 2)]
    assert diff.pass_rates() == (0.25, 0.5)
    assert diff.summary()[:2] == [
        "4 pairs graded (by human 3, checks 1): 2 fixed, 1 regressed, 1 still failing, 0 still passing",
        "2 paired but ungraded, 1 only in A, 1 only in B"]
    assert diff.summary()[2].startswith("pass rate 25% → 50%: +25% [95% CI ")
    assert grade_pair(g("x", "p", judge="fail"), g("y", "p", judge="pass")) == ("fixed", "judge")


def _store_run(services: Services, outputs: dict[str, str], labels: dict[str, str]) -> str:
    run_id = services.traces.create_run(kind="set")
    checks = parse_checks([{"type": "icontains", "value": "paris"}])
    traces = [Trace(run_id=run_id, prompt=f"q {pid}", prompt_id=pid, endpoint="e", model="m", output=out,
                    id=f"{run_id}-{pid}") for pid, out in outputs.items()]
    services.traces.add_many(traces)
    services.checks.save({t.id: grade(checks, Answer(t.output)) for t in traces})
    for pid, verdict in labels.items():
        services.review.label(f"{run_id}-{pid}", verdict, note="refused" if verdict == "fail" else "")
    services.traces.finish_run(run_id)
    return run_id


def test_diff_command_counts_and_lists_the_pairs(services: Services, tmp_path: Path) -> None:
    a = _store_run(services, {"p1": "Paris", "p2": "Lyon", "p3": "I cannot", "p4": "Paris"}, {"p3": "fail"})
    b = _store_run(services, {"p1": "Paris", "p2": "Paris", "p3": "Paris", "p5": "Paris"}, {"p3": "pass"})
    services.judge.add_verdict(f"{a}-p4", Verdict("pass", "ok"), judge_endpoint="j", judge_model="j",
                               rubric_sha256="r", raw="")
    db = services.settings.db_path
    out = json.loads(run(db, "diff", a, b, "--json").output)
    assert out["counts"] == {"fixed": 2, "regressed": 0, "still_failing": 0, "still_passing": 1, "ungraded": 0}
    assert out["by_source"] == {"human": 1, "checks": 2, "judge": 0}
    assert (out["only_a"], out["only_b"], out["only_in_a"], out["only_in_b"]) == (1, 1, [f"{a}-p4"], [f"{b}-p5"])
    assert [(p["prompt_id"], p["by"], p["before"], p["after"]) for p in out["pairs"]["fixed"]] == [
        ("p2", "checks", "fail", "pass"), ("p3", "human", "fail", "pass")]
    assert out["mcnemar_exact_p"] == 0.5 and out["pass_rate_a"] == pytest.approx(1 / 3)
    text = run(db, "diff", a, b)
    assert text.exit_code == 0
    assert "3 pairs graded (by human 1, checks 2): 2 fixed, 0 regressed, 0 still failing, 1 still passing" in \
        text.output
    assert "McNemar exact p = 0.5" in text.output
    bad = run(db, "diff", a, "nope")
    assert bad.exit_code == 1 and "error: no run 'nope'" in bad.output
