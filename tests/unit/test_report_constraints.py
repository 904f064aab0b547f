"""`modelpick report --slo … --workload … --budget …`: the chosen model is the smallest that meets the bar AND
serves the workload within the SLO AND within the budget, from load tests stored through the real LoadStore;
each rejected candidate names the constraint with its figure; an untested one is "not measured"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelpick_tui.evals.constraints import Constraints
from modelpick_tui.evals.decision import Candidate, choose
from modelpick_tui.evals.provenance import Provenance
from modelpick_tui.evals.scoreboard import ModelScore
from modelpick_tui.services import Services
from tests.support.capacity import add_capacity, three_models
from tests.support.cli import run
from tests.support.traces import add_traces

H100 = "1xNVIDIA H100 80GB HBM3"
FLAGS = ("--slo", "ttft=500ms,tpot=50ms", "--workload", "2rps", "--budget", "3000/month")


@pytest.fixture
def decision_run(services: Services) -> str:
    run_id = three_models(services)  # 0.6B below the bar, 1.7B (2.0B) and 8B (8.2B) above it
    services.prices.set_price(H100, 2.49)
    return run_id


def report(services: Services, tmp_path: Path, *args: str) -> tuple[str, dict]:
    result = run(services.settings.db_path, "report", "--out", str(tmp_path / "out"), *args)
    [md] = [Path(line.split(":", 1)[1].strip()) for line in result.output.splitlines() if line.startswith("report: ")]
    data = json.loads(md.with_suffix(".json").read_text())
    return result.output, data | {"_markdown": md.read_text(), "_exit": result.exit_code}


def test_untested_model_is_not_measured_and_the_next_smallest_wins(services: Services, decision_run: str,
                                                                    tmp_path: Path) -> None:
    add_capacity(services, "Qwen/Qwen3-8B")  # 8 users, 2 req/s, 500 output tok/s on 1×H100
    add_capacity(services, "Qwen/Qwen3-0.6B")
    out, data = report(services, tmp_path, *FLAGS)
    assert data["_exit"] == 0, out
    # 2 req/s over 2 a replica = 1 replica; 1 × $2.49 × 730 h = $1,817.70 a month ≤ $3,000.
    assert out.startswith("chosen Qwen/Qwen3-8B: smallest model meeting the bar")
    assert "serves 8 users (2 req/s) within ttft=500ms,tpot=50ms; 1 replica (1 GPU) for 2rps, $1,818/month" in out
    assert ("rejected Qwen/Qwen3-1.7B: not measured: never load-tested at ttft=500ms,tpot=50ms (modelpick load "
            "ENDPOINT --slo ttft=500ms,tpot=50ms)") in out
    assert "rejected Qwen/Qwen3-0.6B: pass rate 0.60" in out  # quality first, whatever its capacity
    assert data["decision"] == "Qwen/Qwen3-8B"
    assert data["constraints"] == {"slo": "ttft=500ms,tpot=50ms", "budget_usd_per_month": 3000.0,
                                   "workload": {"workload": "2rps", "rps": 2.0, "tokens_per_month": None,
                                                "in_tokens": None, "out_tokens": None}}
    cost = data["chosen"]["capacity_and_cost"]
    assert (cost["replicas"], cost["gpus"], cost["monthly_usd"]) == (1, 1, 1817.7)
    assert {r["model"]: r["rejected_by"] for r in data["rejected"]} == {"Qwen/Qwen3-1.7B": "not measured",
                                                                       "Qwen/Qwen3-0.6B": "quality"}
    md = data["_markdown"]
    assert "- Constraints: SLO ttft=500ms,tpot=50ms, workload 2rps, budget $3,000/month" in md
    assert "## Capacity and cost" in md
    assert "| Qwen/Qwen3-8B | ttft=500ms,tpot=50ms | 8 users, 2 req/s | 1xNVIDIA H100 80GB HBM3 | $1.38 | 1 | 1 " \
           "| $1,818 | chosen |" in md  # $2.49 / (500 × 3600) × 1e6 = $1.38 per 1M output tokens
    assert "| Qwen/Qwen3-1.7B | | not measured | | | | | | not measured |" in md


def test_over_budget_names_the_figure_and_a_larger_budget_picks_the_smaller(services: Services, decision_run: str,
                                                                            tmp_path: Path) -> None:
    add_capacity(services, "Qwen/Qwen3-8B")
    # The 1.7B serves 0.5 req/s a replica: 2 req/s need 4 replicas × $2.49 × 730 = $7,270.80 a month.
    add_capacity(services, "Qwen/Qwen3-1.7B", concurrency=2, rps=0.5, output_tps=125.0, total_tps=525.0)
    out, data = report(services, tmp_path, *FLAGS)
    assert data["decision"] == "Qwen/Qwen3-8B"
    assert ("rejected Qwen/Qwen3-1.7B: over budget: $7,271/month (4 replicas, 4 GPUs on 1xNVIDIA H100 80GB HBM3) "
            "> $3,000/month") in out
    out, data = report(services, tmp_path, "--slo", "ttft=500ms,tpot=50ms", "--workload", "2rps",
                       "--budget", "8000/month")
    assert data["decision"] == "Qwen/Qwen3-1.7B"
    assert "rejected Qwen/Qwen3-8B: meets bar, SLO and budget but larger (8.2B) than chosen (2.0B)" in out


def test_no_price_no_capacity_other_slo(services: Services, decision_run: str, tmp_path: Path) -> None:
    add_capacity(services, "Qwen/Qwen3-1.7B", hardware="cpu")  # no price for cpu
    add_capacity(services, "Qwen/Qwen3-8B", concurrency=None, rps=None, output_tps=None, total_tps=None)
    add_capacity(services, "Qwen/Qwen3-0.6B", slo="ttft=2000ms")  # another SLO: not a measurement of this one
    out, data = report(services, tmp_path, *FLAGS)
    assert data["_exit"] == 1 and data["decision"] is None
    assert "no model meets the bar 0.80 and SLO ttft=500ms,tpot=50ms, workload 2rps, budget $3,000/month" in out
    assert ("Qwen/Qwen3-1.7B: budget not checked: set a price for cpu (1 replica for the workload; modelpick cost "
            "price HARDWARE USD_PER_HOUR)") in out
    assert ("Qwen/Qwen3-8B: does not serve within the SLO: no capacity at ttft=500ms,tpot=50ms: no load meets first "
            "token < 500 ms") in out
    assert {r["model"]: r["rejected_by"] for r in data["rejected"]} == {
        "Qwen/Qwen3-1.7B": "budget", "Qwen/Qwen3-8B": "slo", "Qwen/Qwen3-0.6B": "quality"}
    # Without a budget the price is not needed: the SLO and the workload alone choose the 1.7B on cpu.
    out, data = report(services, tmp_path, "--slo", "ttft=500ms,tpot=50ms", "--workload", "2rps")
    assert data["decision"] == "Qwen/Qwen3-1.7B"
    # With no flag the report is the quality decision it always was (no capacity section, no constraints).
    out, data = report(services, tmp_path)
    assert data["decision"] == "Qwen/Qwen3-1.7B" and "constraints" not in data
    assert "## Capacity and cost" not in data["_markdown"]


def test_bad_constraints_are_one_line(services: Services, decision_run: str, tmp_path: Path) -> None:
    for args, says in [(("--slo", "ttft=fast"), "cannot read SLO part"),
                       (("--workload", "lots"), "expected a rate"),
                       (("--budget", "3000/month"), "--budget needs --workload"),
                       (("--workload", "2rps", "--budget", "cheap"), "expected a positive number of dollars")]:
        result = run(services.settings.db_path, "report", "--out", str(tmp_path / "out"), *args)
        assert result.exit_code == 1 and says in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def _cand(model: str, params: int, active: int | None, latency: float) -> Candidate:
    score = ModelScore(model, passed=30, latency_p50=latency)
    return Candidate(score, Provenance(params=params, params_active=active))


def test_ties_in_total_parameters_go_to_fewer_active() -> None:
    # Two 30B models, one a mixture of experts reading 3B a token: the MoE wins though it is slower here.
    dense, moe = _cand("dense-30b", 30_000_000_000, None, 100), _cand("moe-30b-a3b", 30_000_000_000, 3_000_000_000, 900)
    chosen, rejected = choose([dense, moe], 0.8)
    assert chosen is moe
    assert rejected[0].reason == "meets bar, same size (30.0B) but more active parameters (30.0B vs 3.0B)"
    # Without constraints a candidate with no cost is fine; with them it is "not measured".
    chosen, _ = choose([_cand("a", 1, None, 1)], 0.8, constraints=Constraints(slo="ttft=500ms"))
    assert chosen is None


def test_scoreboard_has_capacity_and_cost_beside_pass_rate(services: Services, decision_run: str) -> None:
    add_capacity(services, "Qwen/Qwen3-8B")
    add_capacity(services, "Qwen/Qwen3-0.6B", hardware="cpu", concurrency=1, rps=0.5, output_tps=40.0,
                 total_tps=60.0)
    db = services.settings.db_path
    rows = {r["model"]: r for r in map(json.loads, run(db, "scoreboard", "--json").stdout.splitlines())}
    big, small, untested = rows["Qwen/Qwen3-8B"], rows["Qwen/Qwen3-0.6B"], rows["Qwen/Qwen3-1.7B"]
    assert (big["pass_rate"], big["capacity_concurrency"], big["slo"]) == (0.9667, 8, "ttft=500ms,tpot=50ms")
    assert big["usd_per_1m_output_tokens"] == pytest.approx(1.3833, abs=1e-4)  # 2.49 / (500 × 3600) × 1e6
    assert small["usd_per_1m_output_tokens"] is None and small["cost_missing"] == "set a price"
    assert untested["capacity_concurrency"] is None and untested["cost_missing"] == "not measured"
    table = " ".join(run(db, "scoreboard").output.split())
    assert "8 @ ttft=500ms,tpot=50ms" in table and "$1.38" in table
    assert "not measured" in table and "set a price" in table
    # At another SLO nothing was measured.
    other = {r["model"]: r for r in map(json.loads, run(db, "scoreboard", "--json", "--slo", "ttft=2s").stdout
                                        .splitlines())}
    assert {r["cost_missing"] for r in other.values()} == {"not measured"}


def test_a_newer_test_without_capacity_wins_over_an_older_capacity(services: Services, decision_run: str,
                                                                    tmp_path: Path) -> None:
    add_capacity(services, "Qwen/Qwen3-8B")
    add_capacity(services, "Qwen/Qwen3-8B", concurrency=None, rps=None, output_tps=None, total_tps=None,
                 levels=[(1, 0.5, 40.0), (2, 0.2, 50.0)])  # measured again: no load meets the SLO now
    out, data = report(services, tmp_path, "--slo", "ttft=500ms,tpot=50ms")
    assert data["_exit"] == 1
    assert "Qwen/Qwen3-8B: does not serve within the SLO: no capacity at ttft=500ms,tpot=50ms" in out
    # Its levels stay with it (the scoreboard's chart draws them): attainment 50% at one user, 20% at two.
    [fig] = [c.cost for c in services.candidates(costs=True) if c.score.model == "Qwen/Qwen3-8B"]
    assert [(lv.concurrency, lv.attainment) for lv in fig.levels] == [(1, 0.5), (2, 0.2)]
    assert fig.slo == "ttft=500ms,tpot=50ms" and fig.capacity_concurrency is None


def test_the_report_names_a_mixture_of_experts_active_parameters(services: Services, tmp_path: Path) -> None:
    run_id = services.traces.create_run(kind="set", name="support")
    add_traces(services, run_id, "Qwen/Qwen3-30B-A3B", ["pass"] * 30, latency=400)
    out, data = report(services, tmp_path)
    # The catalogue's counts from the model's config: 30,532,122,624 total, 3,041,855,488 read per token.
    assert "- Parameters: 30.5B (3.0B active) (from catalogue)" in data["_markdown"]
    assert data["chosen"]["provenance"]["params_active"] == 3_041_855_488


def test_the_inputs_of_a_report_are_kept_for_the_next(services: Services, decision_run: str, tmp_path: Path) -> None:
    from modelpick_tui.evals.constraints import ReportInputs, parse_bar

    assert services.report_inputs() == ReportInputs()  # nothing stored: the bar 0.8, no constraint
    add_capacity(services, "Qwen/Qwen3-8B")
    report(services, tmp_path, "--bar", "0.85", *FLAGS)
    # What the TUI's `w` starts from: the values as typed, the bar as the CLI read it.
    assert services.report_inputs() == ReportInputs("0.85", "ttft=500ms,tpot=50ms", "2rps", "3000/month")
    bar, constraints = services.report_inputs().parse()
    assert bar == 0.85 and constraints is not None and constraints.budget == 3000.0
    assert (parse_bar("80%"), parse_bar(" 0.9 ")) == (0.8, 0.9)
    for bad in ("1.2", "high", "nan", "-5%"):
        with pytest.raises(ValueError, match="expected a pass rate between 0 and 1"):
            parse_bar(bad)
    # A setting edited by hand or from another version: the defaults, never a traceback.
    for text in ("not json", "[1, 2]", '{"bar": {"x": 1}}', None):
        assert ReportInputs.from_text(text) == ReportInputs()
    assert ReportInputs.from_text('{"bar": 0.9, "slo": "ttft=1s", "extra": 1}') == ReportInputs("0.9", "ttft=1s")
    # Empty texts are constraints not applied.
    assert ReportInputs("0.8", " ", "", "").parse() == (0.8, None)
