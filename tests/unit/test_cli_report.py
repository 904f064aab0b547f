"""`modelpick scoreboard / report / rubric / judge` on a real database, as a script would run them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.services import Services
from tests.support.judge_server import JudgeServer
from tests.support.traces import add_traces, make_traces


def run(services: Services, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", str(services.settings.db_path), *args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def decision_run(services: Services) -> str:
    run_id = services.traces.create_run(kind="set", name="support")
    add_traces(services, run_id, "Qwen/Qwen3-0.6B", ["pass"] * 18 + ["fail"] * 12, latency=300)
    add_traces(services, run_id, "Qwen/Qwen3-1.7B", ["pass"] * 30, latency=600)
    add_traces(services, run_id, "Qwen/Qwen3-8B", ["pass"] * 29 + ["fail"], latency=1500)
    return run_id


def test_scoreboard_json_and_table(services: Services, decision_run: str) -> None:
    result = run(services, "scoreboard", "--json", "--sort", "latency")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["model"] for r in rows] == ["Qwen/Qwen3-0.6B", "Qwen/Qwen3-1.7B", "Qwen/Qwen3-8B"]
    assert rows[0]["pass_rate"] == 0.6 and rows[0]["labelled"] == 30 and rows[0]["license"] == "apache-2.0"
    assert rows[1]["pass_rate_ci95"][0] == pytest.approx(0.8865, abs=1e-4)
    table = run(services, "scoreboard", "--run", decision_run)
    assert table.exit_code == 0
    assert "Qwen/Qwen3-1.7B" in table.output and "100% [89%–100%]" in table.output
    missing = run(services, "scoreboard", "--run", "nope")
    assert missing.exit_code == 1 and "no run 'nope'" in missing.output


def test_report_writes_files_naming_the_chosen_model(services: Services, decision_run: str, tmp_path: Path) -> None:
    result = run(services, "report", "--run", decision_run, "--bar", "0.8", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("chosen Qwen/Qwen3-1.7B: smallest model meeting the bar")
    assert "rejected Qwen/Qwen3-8B: meets bar but larger (8.2B) than chosen (2.0B)" in result.output
    md = next((tmp_path / "out").glob("*-Qwen3-1.7B.md"))
    assert f"report: {md}" in result.output
    assert md.read_text().startswith("# Model decision: Qwen/Qwen3-1.7B")
    data = json.loads(md.with_suffix(".json").read_text())
    assert data["decision"] == "Qwen/Qwen3-1.7B" and data["chosen"]["license"] == "apache-2.0"
    as_json = run(services, "report", "--json", "--out", str(tmp_path / "out"))
    assert json.loads(as_json.stdout)["decision"] == "Qwen/Qwen3-1.7B"
    # Nobody meets a 0.99 bar on the lower bound: the report still says so, and the exit code tells a script.
    none = run(services, "report", "--bar", "0.99", "--out", str(tmp_path / "out"))
    assert none.exit_code == 1 and "no model meets the bar 0.99" in none.output
    assert list((tmp_path / "out").glob("*-no-decision.md"))


def test_report_by_default_goes_to_the_reports_folder(services: Services, decision_run: str) -> None:
    result = run(services, "report")
    assert result.exit_code == 0, result.output
    assert list((services.settings.home / "reports").glob("*-Qwen3-1.7B.json"))


def test_report_without_traces_is_one_clear_line(services: Services, tmp_path: Path) -> None:
    result = run(services, "report", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "no traces to decide on" in result.output
    assert not (tmp_path / "out").exists()


def test_rubric_draft_edit_show(services: Services, decision_run: str, tmp_path: Path) -> None:
    shown = run(services, "rubric", "--run", decision_run)
    assert shown.exit_code == 1 and "no rubric yet" in shown.output
    draft = run(services, "rubric", "--draft")
    assert draft.exit_code == 0 and draft.output.startswith("PASS when")
    path = tmp_path / "rubric.txt"
    path.write_text("PASS when the answer is right.\nFAIL when it refuses.\n")
    saved = run(services, "rubric", "--run", decision_run, "--edit", str(path))
    assert saved.exit_code == 0 and saved.output.startswith(f"rubric saved for run {decision_run} (2 lines")
    assert run(services, "rubric", "--run", decision_run).output == path.read_text()
    assert run(services, "rubric", "--edit", "-", input="for all runs\n").exit_code == 0
    assert run(services, "rubric").output == "for all runs\n"
    assert run(services, "rubric", "--edit", str(tmp_path / "missing.txt")).exit_code != 0
    empty = run(services, "rubric", "--edit", "-", input="  \n")
    assert empty.exit_code == 1 and "the rubric is empty" in empty.output


def test_rubric_from_stdin_is_capped(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # `yes | modelpick rubric --edit -` must end with one line, not read until memory runs out.
    monkeypatch.setenv("MODELPICK_MAX_FILE_MB", "1")
    flood = run(services, "rubric", "--edit", "-", input="y\n" * 600_000)
    assert flood.exit_code == 1 and "stdin: over the 1 MB limit for a rubric" in flood.output
    assert "Traceback" not in flood.output
    assert run(services, "rubric").exit_code == 1  # nothing saved


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    with JudgeServer(api_key="sk-judge") as srv:
        yield srv


def test_judge_prints_agreement_and_kappa(services: Services, judge_server: JudgeServer) -> None:
    run_id, _ = make_traces(services, ["GOOD", "BAD", "BAD", "GOOD", "PROSE", "BAD"],
                            ["pass", "pass", "fail", "fail", "pass", "fail"])
    args = ["judge", "--endpoint", judge_server.url, "--model", "judge", "--api-key", "sk-judge", "--run", run_id]
    no_rubric = run(services, *args)
    assert no_rubric.exit_code == 1 and "no rubric to judge by" in no_rubric.output
    services.judge.set_rubric(run_id, "FAIL when it refuses.")
    result = run(services, *args)
    assert result.exit_code == 0, result.output
    assert "judged 6: 2 pass, 3 fail, 1 error" in result.output
    assert "agreement 60% over 5 traces, Cohen's kappa 0.17" in result.output
    assert "warning the judge is not to be trusted: kappa 0.17 < 0.6" in result.output
    assert ("pass rate of cand by this judge: raw 40% of 5; no correction: TPR + TNR − 1 = 0.17 is under 0.2"
            in result.output)
    again = run(services, *args, "--json")
    data = json.loads(again.stdout)
    assert data["skipped"] == 5 and data["judged"] == 1 and data["agreement"]["n"] == 5
    assert data["corrected_pass_rate"]["cand"]["theta"] is None and data["corrected_pass_rate"]["cand"]["tpr"] == 0.5
    assert "api_key" not in json.dumps(data["judge"])
    unknown = run(services, "judge", "--endpoint", "no-such-server", "--run", run_id)
    assert unknown.exit_code == 1 and "error:" in unknown.output and "Traceback" not in unknown.output
