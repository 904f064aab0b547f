""""The latest label wins" and "merged failure modes count under the mode they went into" are each written
once (the `latest_labels` view, `failure_modes.final_modes`). On a hand-made, append-only table of labels
with undo rows, every former reader — the review queue, the failure modes, the judge, the scoreboard — gets
the answer the four queries it used to carry gave (kept here as the oracle)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals import decision
from modelpick_tui.evals.failure_modes import final_modes
from modelpick_tui.evals.labels import QueueFilter
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services

# The queries each reader carried before the view, verbatim but for the parameters.
FORMER_REVIEW = ("select l.* from labels l join (select trace_id, max(id) as id from labels group by trace_id) m"
                 " on l.id = m.id")
FORMER_CLUSTERING = """
    select t.id, coalesce(nullif(t.model, ''), t.endpoint, '?') as model, l.note, t.output, t.prompt
    from labels l
    join (select trace_id, max(id) as id from labels group by trace_id) last on last.id = l.id
    join traces t on t.id = l.trace_id
    where l.verdict = 'fail'
    order by t.created_at, t.id"""
FORMER_JUDGE_AND_REPORT = (
    "select t.id, t.model, (select l.verdict from labels l where l.trace_id = t.id order by l.id desc limit 1)"
    " as verdict from traces t where (? is null or t.run_id = ?) order by t.created_at, t.id")
FORMER_RUBRIC = ("select t.id, l.note from traces t"
                 " left join labels l on l.id = (select max(id) from labels where trace_id = t.id) order by t.id")

# (trace, verdict, note, undo_of: the position in this list of the label an undo takes back). Ids follow the
# list, interleaved across traces; created_at runs backwards, so only the id can say which label is latest.
LABELS: list[tuple[str, str, str, int | None]] = [
    ("t0", "pass", "", None),  # 0
    ("t1", "pass", "", None),  # 1
    ("t2", "fail", "made up a field", None),  # 2
    ("t1", "fail", "too long", None),  # 3
    ("t5", "fail", "old note", None),  # 4
    ("t2", "none", "", 2),  # 5: t2 undone to unlabelled
    ("t1", "pass", "", 3),  # 6: t1 undone to its first label
    ("t3", "skip", "", None),  # 7
    ("t5", "fail", "refused a harmless request", None),  # 8: relabelled: this note is the one that counts
    ("t6", "pass", "", None),  # 9
    ("t6", "fail", "wrong sum", None),  # 10
    ("t6", "pass", "", 10),  # 11: undo …
    ("t6", "none", "", 9),  # 12: … and undo again: unlabelled
    ("t7", "fail", "ignored the JSON format", None),  # 13
    ("t8", "pass", "", None),  # 14
    ("t8", "fail", "wrong language", None),  # 15
]
EXPECTED = {"t0": "pass", "t1": "pass", "t2": "none", "t3": "skip", "t5": "fail", "t6": "none", "t7": "fail",
            "t8": "fail"}  # t4 has no label at all


@pytest.fixture
def labelled(services: Services) -> Services:
    r1 = services.traces.create_run(kind="set", name="one")
    r2 = services.traces.create_run(kind="set", name="two")
    services.traces.add_many(
        Trace(id=f"t{i}", run_id=r1 if i < 6 else r2, prompt=f"q{i}", prompt_id=f"q{i}", endpoint=f"ep-{i % 2}",
              model=f"model-{i % 2}", output=f"answer {i}", created_at=f"2025-01-01T00:00:0{i}.000Z")
        for i in range(9))
    ids: list[int] = []
    with services.db.write() as db:
        table = db.table("labels")
        for n, (trace_id, verdict, note, undo) in enumerate(LABELS):
            table.insert({"trace_id": trace_id, "verdict": verdict, "note": note, "tags_json": "[]",
                          "labeler": "hand", "created_at": f"2025-02-{28 - n:02d}T00:00:00.000Z",
                          "undo_of": None if undo is None else ids[undo]})
            ids.append(int(table.last_rowid or 0))
    return services


def rows(services: Services, sql: str, args: list[Any] | None = None) -> list[dict[str, Any]]:
    with services.traces.lock:
        return [dict(r) for r in services.db.query(sql, args or [])]


def test_the_view_holds_the_label_with_the_highest_id_of_each_trace(labelled: Services) -> None:
    view = {r["trace_id"]: r for r in rows(labelled, "select * from latest_labels")}
    assert {t: r["verdict"] for t, r in view.items()} == EXPECTED
    assert view["t5"]["note"] == "refused a harmless request"
    assert view["t6"]["undo_of"] is not None  # the undo row itself is the latest label
    by_former = {r["trace_id"]: r for r in rows(labelled, FORMER_REVIEW)}
    assert view == by_former


def test_review_reads_what_it_read_before(labelled: Services) -> None:
    review = labelled.review
    former = {r["trace_id"]: r for r in rows(labelled, FORMER_REVIEW)}
    latest = review.latest_many()
    assert {t: (label.id, label.verdict, label.note) for t, label in latest.items()} == {
        t: (r["id"], r["verdict"], r["note"]) for t, r in former.items()}
    for trace_id in [f"t{i}" for i in range(9)]:
        label = review.latest(trace_id)
        assert (label.verdict if label else None) == EXPECTED.get(trace_id)
    assert [t.id for t in review.queue(QueueFilter(unlabelled=True))] == ["t2", "t4", "t6"]
    progress = review.progress()
    assert (progress.total, progress.passed, progress.failed, progress.skipped) == (9, 2, 3, 1)
    assert {r["model"]: (r["pass"], r["fail"], r["skip"], r["unlabelled"]) for r in review.summary()} == {
        "model-0": (1, 1, 0, 3), "model-1": (1, 2, 1, 0)}


def test_failure_modes_judge_and_scoreboard_read_what_they_read_before(labelled: Services) -> None:
    failed = labelled.failures.failed_traces()
    assert [(f.trace_id, f.model, f.note) for f in failed] == [
        (r["id"], r["model"], r["note"]) for r in rows(labelled, FORMER_CLUSTERING)]
    assert [f.trace_id for f in failed] == ["t5", "t7", "t8"]

    for run in (None, *sorted({t.run_id for t in labelled.traces.list()})):
        former = rows(labelled, FORMER_JUDGE_AND_REPORT, [run, run])
        assert labelled.judge.human_labels(run) == {
            r["id"]: r["verdict"] for r in former if r["verdict"] in ("pass", "fail")}
        counts: dict[str, Counter[str]] = {}
        for r in former:
            counts.setdefault(r["model"], Counter())[r["verdict"]] += 1
        scores = decision.scores(labelled.traces, labelled.failures, run)
        assert {s.model: (s.traces, s.passed, s.failed, s.skipped) for s in scores} == {
            m: (sum(c.values()), c["pass"], c["fail"], c["skip"]) for m, c in counts.items()}

    # The draft rubric quotes the latest note of each trace in a mode, as the former join did.
    mode_of = {"t5": "m1", "t7": "m1", "t8": "m2"}
    add_modes(labelled, [("m1", "refusals", "active", None), ("m2", "language", "active", None)], mode_of)
    notes = {r["id"]: r["note"] for r in rows(labelled, FORMER_RUBRIC)}
    draft = labelled.judge.draft_rubric(examples=5)
    assert f'- refusals (e.g. "{notes["t5"]}"; "{notes["t7"]}")' in draft
    assert f'- language (e.g. "{notes["t8"]}")' in draft
    assert "old note" not in draft


def add_modes(services: Services, modes: list[tuple[str, str, str, str | None]], placed: dict[str, str]) -> None:
    with services.db.write() as db:
        db.table("failure_modes").insert_all(
            {"id": mid, "name": name, "terms_json": "[]", "origin": "auto", "status": status, "merged_into": into,
             "created_at": "x", "updated_at": "x"} for mid, name, status, into in modes)
        db.table("trace_failure_modes").insert_all(
            ({"trace_id": t, "mode_id": m, "source": "auto", "created_at": "x"} for t, m in placed.items()),
            pk="trace_id", replace=True)


MODES = [
    ("m1", "refusals", "active", None),
    ("m2", "declines", "merged", "m3"),  # a chain of merges: m2 → m3 → m1
    ("m3", "says no", "merged", "m1"),
    ("m4", "gone", "deleted", None),
    ("m5", "into gone", "merged", "m4"),  # merged into a deleted mode: counts nowhere
    ("m6", "loop a", "merged", "m7"),  # a loop of merges: counts nowhere
    ("m7", "loop b", "merged", "m6"),
    ("m8", "into nothing", "merged", "m99"),
    ("m9", "language", "active", None),
]


def test_merged_modes_are_followed_once_for_every_reader(labelled: Services) -> None:
    assert {m: row["id"] for m, row in final_modes(
        {"id": i, "name": n, "status": s, "merged_into": into} for i, n, s, into in MODES).items()} == {
        "m1": "m1", "m2": "m1", "m3": "m1", "m9": "m9"}
    # t5 sits in a mode merged twice over, t7 in one merged into a deleted mode, t8 in a merge loop.
    add_modes(labelled, MODES, {"t5": "m2", "t7": "m5", "t8": "m6"})
    assert {m.id: m.trace_ids for m in labelled.failures.modes()} == {"m1": ["t5"]}
    scores = {s.model: s for s in decision.scores(labelled.traces, labelled.failures)}
    assert scores["model-1"].failure_modes == {"refusals": 1}  # t5 (model-1); t7 counts nowhere
    assert scores["model-0"].failure_modes == {}  # t8 is in a loop of merges
    draft = labelled.judge.draft_rubric()
    assert '- refusals (e.g. "refused a harmless request")' in draft
    assert "gone" not in draft and "loop" not in draft and "JSON format" not in draft


def test_a_database_from_before_the_view_gets_it_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db(path)  # then made to look as it did before m005: no view, m005 not recorded
    with db.write() as conn:
        conn.execute("drop view latest_labels")
        conn.execute("delete from _sqlite_migrations where name = 'm005_latest_label_view'")
        conn.table("labels").insert_all([
            {"trace_id": "t1", "verdict": "fail", "note": "", "tags_json": "[]", "labeler": "x", "created_at": "1"},
            {"trace_id": "t1", "verdict": "none", "note": "", "tags_json": "[]", "labeler": "x", "created_at": "2",
             "undo_of": 1}])
    db.close()
    again = open_db(path)
    try:
        assert [(r["trace_id"], r["verdict"], r["undo_of"]) for r in again.query("select * from latest_labels")] \
            == [("t1", "none", 1)]
    finally:
        again.close()


def test_failures_made_in_one_millisecond_keep_the_order_they_were_labelled_in(services: Services) -> None:
    # Eight traces written in one millisecond (a fast machine does) with ids that sort backwards: the failed
    # traces, and so the notes a namer model reads, come in the order they were written, the same on every run.
    run_id = services.traces.create_run(kind="set")
    ids = [f"z{9 - i}" for i in range(8)]
    for i, trace_id in enumerate(ids):
        services.traces.add(Trace(id=trace_id, run_id=run_id, prompt="p", endpoint="e", model="m", output=f"o{i}",
                                  created_at="2026-01-01T00:00:00.000Z"))
        services.review.label(trace_id, "fail", f"note {i}")
    assert [f.note for f in services.failures.failed_traces()] == [f"note {i}" for i in range(8)]
    rows, _ = services.traces.scoreboard_rows(run_id)
    assert [r["id"] for r in rows] == ids
