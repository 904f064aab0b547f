"""The review core: queue, progress, undo, pairs, and the exchange of traces with labels (CSV/JSONL)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.exchange import export, import_file
from modelpick_tui.evals.labels import Progress, QueueFilter, ReviewError
from modelpick_tui.evals.stores.labels import ReviewStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import Trace


@pytest.fixture
def stores() -> tuple[TraceStore, ReviewStore]:
    db = open_db(None)
    return TraceStore(db), ReviewStore(db)


def _fill(traces: TraceStore) -> list[Trace]:
    """Two runs; run r1 answers p1..p3 from two endpoints (a, b); run r2 one trace of p1 from c."""
    rows = []
    for i, (run, pid, ep, tags) in enumerate([
        ("r1", "p1", "a", ["json"]), ("r1", "p1", "b", ["json"]), ("r1", "p2", "a", ["support"]),
        ("r1", "p2", "b", ["support"]), ("r1", "p3", "a", ["json"]), ("r2", "p1", "c", ["json"]),
    ]):
        rows.append(Trace(run_id=run, prompt=f"prompt {pid}", endpoint=ep, model=f"model-{ep}", output=f"out {i}",
                          prompt_id=pid, tags=tags, id=f"t{i}", created_at=f"2026-01-01T00:00:0{i}.000Z",
                          ttft_ms=10.0 + i, latency_ms=100.0 + i, tokens_out=20 + i))
    traces.add_many(reversed(rows))  # insertion order must not matter: the queue sorts
    return rows


def test_queue_filters_and_stable_order(stores: tuple[TraceStore, ReviewStore]) -> None:
    traces, review = stores
    _fill(traces)
    assert [t.id for t in review.queue()] == ["t0", "t1", "t2", "t3", "t4", "t5"]
    assert [t.id for t in review.queue(QueueFilter(run_id="r1", model="model-a"))] == ["t0", "t2", "t4"]
    assert [t.id for t in review.queue(QueueFilter(endpoint="c"))] == ["t5"]
    assert [t.id for t in review.queue(QueueFilter(tag="support"))] == ["t2", "t3"]
    review.label("t0", "pass")
    review.label("t1", "skip")
    review.label("t2", "fail", "wrong")
    review.undo("t2")  # back to unlabelled
    assert [t.id for t in review.queue(QueueFilter(unlabelled=True))] == ["t2", "t3", "t4", "t5"]
    assert review.choices()["tag"] == ["json", "support"]


def test_progress_line(stores: tuple[TraceStore, ReviewStore]) -> None:
    traces, review = stores
    _fill(traces)
    for tid, verdict in (("t0", "pass"), ("t1", "fail"), ("t2", "pass"), ("t3", "skip")):
        review.label(tid, verdict)
    progress = review.progress(QueueFilter(run_id="r1", unlabelled=True))  # unlabelled does not shrink the total
    assert progress.line() == "3 labelled of 5 · 2 pass · 1 fail · 1 skipped · goal 100"
    assert Progress(total=120, passed=31, failed=16).line() == "47 labelled of 120 · 31 pass · 16 fail · goal 100"


def test_undo_walks_back_and_first_undo_gives_none(stores: tuple[TraceStore, ReviewStore]) -> None:
    traces, review = stores
    _fill(traces)
    assert review.undo("t0") is None  # nothing to undo
    review.label("t0", "pass")
    review.label("t0", "fail", "made up a field", ["hallucination"])
    undone = review.undo("t0")
    assert undone is not None and undone.verdict == "pass" and undone.undo_of is not None
    assert review.latest("t0").verdict == "pass"  # type: ignore[union-attr]
    assert review.undo("t0").verdict == "none"  # type: ignore[union-attr]
    assert review.undo("t0") is None
    # Append-only: every step is in the history.
    assert [label.verdict for label in review.history("t0")] == ["pass", "fail", "pass", "none"]
    review.label("t0", "skip")
    assert review.undo("t0").verdict == "none"  # type: ignore[union-attr]


def test_pairs_same_prompt_different_endpoints(stores: tuple[TraceStore, ReviewStore]) -> None:
    traces, review = stores
    _fill(traces)
    assert [(a.id, b.id) for a, b in review.pairs()] == [("t0", "t1"), ("t2", "t3")]
    # Traces with no prompt id pair by prompt text.
    traces.add(Trace(run_id="x", prompt="same text", endpoint="a", id="u1", created_at="2026-02-01T00:00:00Z"))
    traces.add(Trace(run_id="y", prompt="same text", endpoint="b", id="u2", created_at="2026-02-01T00:00:01Z"))
    assert ("u1", "u2") in [(a.id, b.id) for a, b in review.pairs()]
    review.prefer("t0", "t1", "right")
    assert review.preference_for("t0", "t1") == "right"
    assert review.preference_for("t1", "t0") == "left"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_round_trip(stores: tuple[TraceStore, ReviewStore], tmp_path: Path, fmt: str) -> None:
    traces, review = stores
    rows = _fill(traces)
    # Quotes, commas and newlines in the output and note must survive CSV.
    traces.add(Trace(run_id="r1", prompt='say "hi",\nthen stop', endpoint="a", model="model-a",
                     output='He said "no",\r\nline two, done', id="q1", created_at="2026-01-01T00:01:00Z"))
    review.label("t0", "pass")
    review.label("q1", "fail", 'ignored "stop", kept going\nsecond line', ["verbose", "instructions"])
    path = tmp_path / f"out.{fmt}"
    assert export(review, path, fmt) == 7
    other_db = open_db(None)
    other = ReviewStore(other_db)
    report = import_file(other, path)
    assert (report.traces, report.labels, report.errors) == (7, 2, [])
    q1 = other.traces.get("q1")
    assert q1 is not None and q1.output == 'He said "no",\r\nline two, done' and q1.prompt == 'say "hi",\nthen stop'
    label = other.latest("q1")
    assert label is not None and label.note == 'ignored "stop", kept going\nsecond line'
    assert label.tags == ["verbose", "instructions"] and label.verdict == "fail"
    t0 = other.traces.get("t0")
    assert t0 is not None and (t0.ttft_ms, t0.latency_ms, t0.tokens_out) == (10.0, 100.0, 20)
    assert t0.tags == rows[0].tags and t0.run_id == "r1"
    assert other.latest("t1") is None


def test_import_merges_without_duplicates(stores: tuple[TraceStore, ReviewStore], tmp_path: Path) -> None:
    traces, review = stores
    _fill(traces)
    review.label("t0", "pass")
    review.label("t1", "fail", "invalid JSON")
    path = tmp_path / "mine.jsonl"
    export(review, path)
    # The same file again: nothing new.
    again = import_file(review, path)
    assert (again.traces, again.labels, again.known) == (0, 0, 6)
    # A teammate's file: one label changed later, one label new, one trace new.
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[1].update(verdict="pass", note="", labelled_at="2099-01-01T00:00:00.000Z")  # newer: appended
    records[2].update(verdict="fail", note="wrong price", labelled_at="2099-01-01T00:00:00.000Z")
    records[0].update(verdict="fail", note="stale", labelled_at="2000-01-01T00:00:00.000Z")  # older: ignored
    records.append({"id": "new1", "prompt": "hello", "model": "m", "output": "hi", "verdict": "pass"})
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = import_file(review, path)
    assert (report.traces, report.labels, report.known) == (1, 3, 6)
    assert len(review.queue()) == 7
    assert review.latest("t0").verdict == "pass"  # type: ignore[union-attr]
    assert review.latest("t1").verdict == "pass"  # type: ignore[union-attr]
    assert review.latest("t2").note == "wrong price"  # type: ignore[union-attr]
    assert import_file(review, path).labels == 0  # idempotent


def test_bad_rows_reported_with_line_numbers(stores: tuple[TraceStore, ReviewStore], tmp_path: Path) -> None:
    _, review = stores
    path = tmp_path / "mixed.jsonl"
    lines = [
        {"id": "a", "prompt": "p", "model": "m", "output": "o", "verdict": "pass"},
        "not json at all",
        {"id": "b", "model": "m", "output": "o"},
        {"id": "c", "prompt": "p", "model": "m", "output": "o", "verdict": "maybe"},
        {"id": "d", "prompt": "p", "model": "m", "output": "o", "metrics": {"ttft_ms": "fast"}},
        {"id": "a", "prompt": "p2", "model": "m", "output": "o2"},
        [1, 2],
        {"id": "e", "prompt": "p", "model": "m", "output": "o", "tags": "a;b", "verdict": "fail", "note": "n"},
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    report = import_file(review, path)
    assert (report.traces, report.labels) == (2, 2)
    assert [str(e) for e in report.errors] == [
        "line 2: not valid JSON (Expecting value at column 1)",
        "line 3: no prompt (expected a non-empty 'prompt' field)",
        "line 4: unknown verdict 'maybe': use pass, fail, skip or leave it empty",
        "line 5: ttft_ms must be a number, not 'fast'",
        "line 6: duplicate id 'a' (first on line 1)",
        "line 7: a JSON list, not an object",
    ]
    assert report.line().startswith("imported 2 traces, 2 labels; 6 bad rows: line 2: not valid JSON")
    assert review.latest("e").tags == ["a", "b"]  # type: ignore[union-attr]


def test_csv_bad_rows_count_lines_of_multiline_cells(stores: tuple[TraceStore, ReviewStore], tmp_path: Path) -> None:
    _, review = stores
    path = tmp_path / "team.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "prompt", "model", "output", "verdict", "note", "tags", "latency_ms"])
        writer.writerow(["x1", "line one\nline two\nline three", "m", "ok", "pass", "", "", "12.5"])
        writer.writerow(["x2", "", "m", "out", "fail", "empty prompt", "", ""])  # starts on line 5
        writer.writerow(["x3", "p", "m", "o", "fail", 'said "no", twice', "refusal", "slow"])
    report = import_file(review, path)
    assert [str(e) for e in report.errors] == ["line 5: no prompt (expected a non-empty 'prompt' field)",
                                               "line 6: latency_ms must be a number, not 'slow'"]
    assert report.traces == 1 and review.traces.get("x1").latency_ms == 12.5  # type: ignore[union-attr]


def test_files_that_are_not_tables_are_one_line(stores: tuple[TraceStore, ReviewStore], tmp_path: Path) -> None:
    _, review = stores
    cases = {
        "missing.jsonl": None,
        "empty.csv": "",
        "notes.csv": "name,age\nann,3\n",
        "binary.jsonl": b"\x89PNG\r\n\x1a\n\x00\xff",
        "prose.jsonl": "Dear team,\nhere are the traces.\n",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        with pytest.raises(ReviewError) as info:
            import_file(review, path)
        message = str(info.value)
        assert "\n" not in message and message.startswith(str(path)), message
    assert review.queue() == []


def test_import_without_ids_dedups_by_content(stores: tuple[TraceStore, ReviewStore], tmp_path: Path) -> None:
    _, review = stores
    path = tmp_path / "other_tool.jsonl"
    path.write_text(json.dumps({"input": "2+2?", "model": "m", "response": "4", "label": "pass"}) + "\n")
    assert import_file(review, path).traces == 1
    assert import_file(review, path).traces == 0
    [trace] = review.queue()
    assert trace.source == "import" and trace.output == "4" and review.latest(trace.id).verdict == "pass"  # type: ignore[union-attr]


def test_cli_import_demo_export_and_labels(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from modelpick_tui.cli import main

    demo = Path(__file__).resolve().parents[2] / "sample_data" / "traces" / "demo.jsonl"
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "import", str(demo)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 150 traces, 102 labels; 0 bad rows"
    again = runner.invoke(main, ["--db", db, "import", str(demo)])
    assert again.output.strip() == "imported 0 traces, 0 labels (150 traces already here); 0 bad rows"
    summary = runner.invoke(main, ["--db", db, "labels", "--json"])
    rows = [json.loads(line) for line in summary.output.splitlines()]
    assert sum(r["traces"] for r in rows) == 150 and len(rows) == 3
    assert sum(r["pass"] + r["fail"] + r["skip"] for r in rows) == 102
    table = runner.invoke(main, ["--db", db, "labels"])
    assert "labelled of 150 ·" in table.output and "Qwen/Qwen2.5-7B-Instruct" in table.output
    out = tmp_path / "shared.csv"
    exported = runner.invoke(main, ["--db", db, "export", "--run", "demo-0001", str(out)])
    assert exported.output.strip() == f"exported 150 traces to {out}"
    with out.open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 150
    bad = tmp_path / "bad.csv"
    bad.write_text("id,prompt,model,output,verdict\nb1,hi,m,hello,pass\nb2,,m,x,fail\nb3,hey,m,yo,great\n")
    mixed = runner.invoke(main, ["--db", db, "import", str(bad)])
    assert mixed.exit_code == 0
    assert mixed.output.strip() == ("imported 1 traces, 1 labels; 2 bad rows: line 3: no prompt (expected a "
                                    "non-empty 'prompt' field); line 4: unknown verdict 'great': use pass, fail, "
                                    "skip or leave it empty")
    nope = runner.invoke(main, ["--db", db, "import", str(tmp_path / "nope.jsonl")])
    assert nope.exit_code == 1 and "no such file" in nope.output and "Traceback" not in nope.output
    norun = runner.invoke(main, ["--db", db, "export", "--run", "zzz", str(out)])
    assert norun.exit_code == 1 and "error: no run zzz" in norun.output
