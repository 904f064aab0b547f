"""Prompt versions: content-hashed, named once; what a run with one sends (the prompt's own system prompt wins,
positive examples as turns, negative ones listed in the system prompt); examples picked from labels one per failure
mode first; and the loop from a shell: two runs with two versions against a server that answers its system prompt,
graded by checks, and the diff between them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.evals.prompts import Example, PromptVersion, PromptVersionError, pick_examples
from modelpick_tui.evals.promptsets import Prompt
from modelpick_tui.evals.runner import request_for
from modelpick_tui.evals.traces import RunParams
from modelpick_tui.services import Services
from modelpick_tui.serving.endpoints import Endpoint
from tests.support.cli import run
from tests.support.judge_server import JudgeServer


def test_the_id_is_the_content_and_names_are_taken_once(services: Services) -> None:
    a = PromptVersion("v1", "Be brief.")
    assert a.id == PromptVersion("other", "Be brief.").id != PromptVersion("v1", "Be brief!").id
    assert a.id.startswith("pv-") and len(a.id) == 19
    store = services.prompt_versions
    saved = store.save(a)
    assert store.save(PromptVersion("v1", "Be brief.")).id == saved.id  # the same again: nothing new
    with pytest.raises(PromptVersionError, match="'v1' exists with other content"):
        store.save(PromptVersion("v1", "Be long."))
    with pytest.raises(PromptVersionError, match="already prompt version 'v1'"):
        store.save(PromptVersion("v2", "Be brief."))
    assert store.get("v1") == saved and store.get(saved.id) == saved and store.get("v9") is None


def test_what_a_run_with_a_version_sends() -> None:
    version = PromptVersion("v2", "Answer with the number only.", (
        Example("2+2?", "4", True), Example("3+3?", "Six, I think.", False, note="words, not a number")))
    endpoint = Endpoint(name="e", base_url="http://127.0.0.1:9/v1", model="m")
    params = RunParams(version=version)
    request = request_for(params, endpoint, Prompt(id="q", prompt="5+5?"))
    assert [m["role"] for m in request.messages] == ["system", "user", "assistant", "user"]
    assert request.messages[0]["content"] == (
        'Answer with the number only.\n\nAnswers like these were judged wrong; do not answer like them:\n'
        '- to "3+3?": "Six, I think." (why: words, not a number)')
    assert request.messages[1:] == ({"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"},
                                    {"role": "user", "content": "5+5?"})
    own = request_for(params, endpoint, Prompt(id="q", prompt="5+5?", system="You are a pirate."))
    assert own.messages[0] == {"role": "system", "content": "You are a pirate."}  # the test case's own wins
    # stored with the run whole, so a resume sends the same
    assert RunParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params


def test_examples_one_per_failure_mode_first() -> None:
    rows = [{"trace_id": f"t{i}", "prompt": f"q{i}", "output": f"a{i}", "verdict": v, "note": n, "mode": m}
            for i, (v, n, m) in enumerate([
                ("fail", "refused", "refusal"), ("fail", "refused again", "refusal"), ("pass", "", None),
                ("fail", "bad json", "format"), ("fail", "refused 3", "refusal"), ("pass", "", None),
                ("fail", "no mode yet", None), ("pass", "", None)])]
    rows.append({"trace_id": "huge", "prompt": "q", "output": "x" * 5000, "verdict": "pass", "note": "", "mode": None})
    picked = pick_examples(rows, 2)
    assert [(e.trace_id, e.positive, e.note) for e in picked] == [
        ("t2", True, ""), ("t5", True, ""), ("t0", False, "refused"), ("t3", False, "bad json")]
    assert [e.trace_id for e in pick_examples(rows, 5) if not e.positive] == ["t0", "t3", "t1", "t4", "t6"]
    assert pick_examples(rows, 0) == ()


@pytest.fixture
def echo() -> Iterator[JudgeServer]:
    with JudgeServer() as srv:
        yield srv


def test_two_versions_two_runs_and_their_diff(services: Services, echo: JudgeServer, tmp_path: Path) -> None:
    db = services.settings.db_path
    rows = [{"id": "p1", "prompt": "first", "reference": "4", "checks": [{"type": "number_close", "value": 0}]},
            {"id": "p2", "prompt": "second", "reference": "4", "checks": [{"type": "number_close", "value": 0}]},
            {"id": "p3", "prompt": "third", "reference": "5", "checks": [{"type": "number_close", "value": 0}]},
            {"id": "p4", "prompt": "fourth", "system": "The answer is 7.", "reference": "7",
             "checks": [{"type": "number_close", "value": 0}]}]
    prompts = tmp_path / "set.jsonl"
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "v1.txt").write_text("The answer is 5.\n", encoding="utf-8")
    (tmp_path / "v2.txt").write_text("The answer is 4.\n", encoding="utf-8")
    made = json.loads(run(db, "prompt", "new", "v1", "--system", str(tmp_path / "v1.txt"), "--json").output)
    assert made["name"] == "v1" and made["system"] == "The answer is 5."
    assert run(db, "prompt", "new", "v2", "--from", "v1", "--system", str(tmp_path / "v2.txt")).exit_code == 0
    both = run(db, "prompt", "new", "v3", "--system", str(tmp_path / "v1.txt"))
    assert both.exit_code == 1 and "already prompt version 'v1'" in both.output

    ids = []
    for version in ("v1", "v2"):
        done = run(db, "run", str(prompts), "-e", echo.url, "--model", "echo", "--prompt", version, "--name", version)
        assert done.exit_code == 0, done.output
        ids.append(json.loads(run(db, "runs", "--json").output.splitlines()[0])["id"])
    listed = {r["id"]: r for r in map(json.loads, run(db, "runs", "--json").output.splitlines())}
    v1, v2 = (services.prompt_versions.get(n) for n in ("v1", "v2"))
    assert v1 is not None and v2 is not None and v2.parent == v1.id
    assert listed[ids[0]]["prompt_version"] == {"name": "v1", "id": v1.id}
    assert "v2" in run(db, "runs").output
    traces = services.traces.list(run_id=ids[1])
    assert {t.prompt_id: (t.prompt_version, t.output) for t in traces} == {
        "p1": (v2.id, "The answer is 4."), "p2": (v2.id, "The answer is 4."), "p3": (v2.id, "The answer is 4."),
        "p4": (v2.id, "The answer is 7.")}  # p4's own system prompt is part of the test case

    diff = json.loads(run(db, "diff", ids[0], ids[1], "--json").output)
    assert diff["counts"] == {"fixed": 2, "regressed": 1, "still_failing": 0, "still_passing": 1, "ungraded": 0}
    assert diff["by_source"] == {"human": 0, "checks": 4, "judge": 0}
    assert [p["prompt_id"] for p in diff["pairs"]["regressed"]] == ["p3"]
    listing = run(db, "prompt", "list", "--json").output.splitlines()
    assert [(v["name"], v["traces"]) for v in map(json.loads, listing)] == [("v1", 4), ("v2", 4)]
    # the scoreboard and the decision restricted to one prompt version; the report names it
    for t in traces:
        services.review.label(t.id, "pass")
    board = [json.loads(line) for line in run(db, "scoreboard", "--prompt", "v2", "--json").output.splitlines()]
    assert [(b["model"], b["traces"], b["labelled"]) for b in board] == [("echo", 4, 4)]
    everything = [json.loads(line) for line in run(db, "scoreboard", "--json").output.splitlines()]
    assert [(b["model"], b["traces"], b["labelled"]) for b in everything] == [("echo", 8, 4)]
    out = tmp_path / "reports"
    report = json.loads(run(db, "report", "--prompt", "v2", "--bar", "0.5", "--basis", "estimate", "--out",
                            str(out), "--json").stdout)
    assert report["decision"] == "echo" and report["prompt_version"] == {"id": v2.id, "name": "v2"}
    markdown = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert f"- Prompt version: v2 (`{v2.id}`)" in markdown
    mixed = json.loads(run(db, "report", "--bar", "0", "--basis", "estimate", "--out", str(out), "--json").stdout)
    assert mixed["prompt_version"] == {"mixed": ["v1", "v2"]}
    unknown = run(db, "scoreboard", "--prompt", "v9")
    assert unknown.exit_code == 1 and "no prompt version 'v9'" in unknown.output
    clash = run(db, "run", str(prompts), "-e", echo.url, "--model", "echo", "--prompt", "v1", "--system", "x")
    assert clash.exit_code == 1 and "not both" in clash.output
    missing = run(db, "run", str(prompts), "-e", echo.url, "--model", "echo", "--prompt", "v9")
    assert missing.exit_code == 1 and "no prompt version 'v9'" in missing.output


def test_examples_from_labels_from_a_shell(services: Services) -> None:
    from tests.support.traces import add_traces

    add_traces(services, "r1", "m", ["pass", "fail", "pass", "-"])
    out = run(services.settings.db_path, "prompt", "new", "fewshot", "--examples-from-labels", "1", "--json")
    assert out.exit_code == 0, out.output
    made = json.loads(out.output)
    assert [(e["prompt"], e["positive"], e["note"]) for e in made["examples"]] == [
        ("p0", True, ""), ("p1", False, "wrong answer")]
    shown = run(services.settings.db_path, "prompt", "show", "fewshot").output
    assert '- to "p1": "answer 1" (why: wrong answer)' in shown and "--- example assistant ---" in shown


def test_examples_from_labels_says_why_when_every_labelled_trace_is_too_long(services: Services) -> None:
    from modelpick_tui.evals.prompts import MAX_EXAMPLE_CHARS
    from modelpick_tui.evals.traces import Trace

    run_id = services.traces.create_run(kind="set")
    for verdict in ("pass", "fail"):
        trace = services.traces.add(Trace(run_id=run_id, prompt="p", endpoint="m", model="m",
                                          output="x" * (MAX_EXAMPLE_CHARS + 1)))
        services.review.label(trace.id, verdict, note="too long")
    out = run(services.settings.db_path, "prompt", "new", "fewshot", "--examples-from-labels", "2")
    assert out.exit_code == 1  # nothing to make a version of
    assert "none of the 2 labelled traces can be an example" in out.output
    assert "no labelled trace" not in out.output
