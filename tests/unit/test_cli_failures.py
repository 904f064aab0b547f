"""`modelpick failures`: list the modes (text and JSON), re-cluster, and the edits — on a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.db import open_db
from modelpick_tui.evals.stores.labels import ReviewStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import Trace

FAILURES = [
    ("qwen", "not valid json", '{"a": 1,'), ("llama", "invalid json object", "{'a': 1}"),
    ("qwen", "json is missing a brace", '{"a": 1'), ("gemma", "broken json output", "a: 1"),
    ("llama", "refused a harmless request", "I cannot help with that."),
    ("qwen", "refused to answer", "Sorry, I can't assist."), ("gemma", "refused again", "I cannot do that."),
    ("llama", "refused a simple question", "I'm unable to help."),
]


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A database with 8 failed traces (4 about JSON, 4 refusals) and one pass; trace id → note."""
    path = tmp_path / "cli" / "modelpick.db"
    conn = open_db(path)
    traces, review = TraceStore(conn), ReviewStore(conn)
    run_id = traces.create_run(kind="set")
    notes = {}
    for model, note, output in FAILURES:
        trace = traces.add(Trace(run_id=run_id, prompt="p", endpoint=model, model=model, output=output))
        review.label(trace.id, "fail", note)
        notes[trace.id] = note
    passed = traces.add(Trace(run_id=run_id, prompt="p", endpoint="qwen", model="qwen", output="fine"))
    review.label(passed.id, "pass")
    conn.close()
    return path, notes


def run(path: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", str(path), "failures", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def listing(path: Path) -> dict[str, Any]:
    result = run(path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_first_listing_clusters_and_later_failures_are_placed_keeping_the_edits(
        db: tuple[Path, dict[str, str]]) -> None:
    path, notes = db
    data = listing(path)  # --json alone: the first clustering, no --recluster needed
    assert data["unassigned"] == [] and len(data["modes"]) == 2
    assert sorted(t for m in data["modes"] for t in m["trace_ids"]) == sorted(notes)
    json_id = next(m["id"] for m in data["modes"] if "json" in m["name"])
    refused_id = next(m["id"] for m in data["modes"] if m["id"] != json_id)
    run(path, "rename", json_id, "Broken", "JSON")
    moved = next(m for m in data["modes"] if m["id"] == refused_id)["trace_ids"][0]
    run(path, "move", moved, json_id)

    # Failures labelled later: placed by the next listing into the modes as the human left them.
    conn = open_db(path)
    traces, review = TraceStore(conn), ReviewStore(conn)
    run_id = traces.create_run(kind="set")
    later = {}
    for model, note, output in [("qwen", "json is not valid again", "{'b'"), ("llama", "refused again", "No.")]:
        trace = traces.add(Trace(run_id=run_id, prompt="p", endpoint=model, model=model, output=output))
        review.label(trace.id, "fail", note)
        later[trace.id] = note
    conn.close()
    result = run(path, "--json")
    assert "placed 2 new failed traces: 2 into existing modes" in result.stderr
    after = {m["id"]: m for m in json.loads(result.stdout)["modes"]}
    assert set(after) == {json_id, refused_id} and after[json_id]["name"] == "Broken JSON"
    assert moved in after[json_id]["trace_ids"]  # the person's move holds
    assert {later[t] for t in after[json_id]["trace_ids"] if t in later} == {"json is not valid again"}
    assert {later[t] for t in after[refused_id]["trace_ids"] if t in later} == {"refused again"}
    assert "placed" not in run(path).output  # nothing left to place


def test_without_failures_it_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    open_db(path).close()
    result = run(path)
    assert result.exit_code == 0
    assert "no failure modes yet: label some traces 'fail' first" in result.output


def test_recluster_lists_modes_with_size_models_and_trace_ids(db: tuple[Path, dict[str, str]]) -> None:
    path, notes = db
    result = run(path, "--recluster", "--method", "tfidf")
    assert result.exit_code == 0, result.output
    assert "clustered 8 failed traces into 2 modes with TF-IDF + LSA" in result.output
    data = listing(path)
    assert data["clustering"]["method"] == "tfidf" and data["unassigned"] == []
    by_name = {("json" if "json" in m["name"] else "refused" if "refused" in m["name"] else m["name"]): m
               for m in data["modes"]}
    assert set(by_name) == {"json", "refused"}
    assert by_name["json"]["size"] == 4 and by_name["json"]["per_model"] == {"gemma": 1, "llama": 1, "qwen": 2}
    assert {notes[t] for t in by_name["json"]["trace_ids"]} == {n for _, n, _ in FAILURES if "json" in n}
    assert by_name["refused"]["per_model"] == {"gemma": 1, "llama": 2, "qwen": 1}
    text = run(path).output
    json_mode = by_name["json"]
    assert json_mode["id"] in text and json_mode["trace_ids"][0][:8] in text and "qwen 2" in text


def test_rename_merge_move_split_from_the_cli(db: tuple[Path, dict[str, str]]) -> None:
    path, notes = db
    run(path, "--recluster", "--method", "tfidf")
    modes = listing(path)["modes"]
    json_id = next(m["id"] for m in modes if "json" in m["name"])
    refused_id = next(m["id"] for m in modes if m["id"] != json_id)

    result = run(path, "rename", json_id, "Broken", "JSON")
    assert result.exit_code == 0 and f"{json_id} is now 'Broken JSON'" in result.output

    refusal_trace = next(m for m in listing(path)["modes"] if m["id"] == refused_id)["trace_ids"][0]
    assert "refused" in notes[refusal_trace]
    result = run(path, "move", refusal_trace[:10], json_id)
    assert result.exit_code == 0, result.output
    assert refusal_trace in next(m for m in listing(path)["modes"] if m["id"] == json_id)["trace_ids"]

    result = run(path, "split", json_id, "--method", "tfidf")
    assert result.exit_code == 0, result.output
    assert len(listing(path)["modes"]) == 3

    new_id = next(m["id"] for m in listing(path)["modes"] if m["id"] not in (json_id, refused_id))
    result = run(path, "merge", json_id, new_id)
    assert result.exit_code == 0 and f"merged {new_id} into {json_id} 'Broken JSON': 5 traces" in result.output

    # Re-clustering keeps all of it: the name, the merge and the moved trace.
    run(path, "--recluster", "--method", "tfidf")
    mode = next(m for m in listing(path)["modes"] if m["id"] == json_id)
    assert mode["name"] == "Broken JSON" and mode["size"] == 5 and refusal_trace in mode["trace_ids"]
    assert {m["id"] for m in listing(path)["modes"]} == {json_id, refused_id}


@pytest.mark.parametrize(("args", "message"), [
    (["rename", "m42", "x"], "error: no failure mode 'm42' (modelpick failures lists them)"),
    (["merge", "m1", "m1"], "error: name at least one other mode to merge"),
    (["move", "deadbeef", "m1"], "error: trace 'deadbeef' is not a failed trace"),
])
def test_bad_edits_are_one_line(db: tuple[Path, dict[str, str]], args: list[str], message: str) -> None:
    path, _ = db
    run(path, "--recluster", "--method", "tfidf")
    result = run(path, *args)
    assert result.exit_code == 1
    assert result.output.strip() == message
