"""The `labels` and `preferences` tables and the review queue over the traces (what a label is: evals/labels.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from ...clock import now_iso
from ..base import dumps, loads
from ..labels import CHOICES, GOAL, VERDICTS, Label, Progress, QueueFilter, ReviewError, default_labeler
from ..traces import Trace
from .base import Store
from .traces import TraceStore

# Traces an import writes per transaction: each commit lets other writers in (a TUI labelling meanwhile
# waits for one batch, a fraction of a second, never for the whole file).
IMPORT_BATCH = 500


class ReviewStore(Store):
    """The `labels` and `preferences` tables, and queries over traces for review. Every write is one
    committed transaction: when a method returns, the label survives the process being killed."""

    @property
    def traces(self) -> TraceStore:
        return TraceStore(self.database)

    # --- labels ------------------------------------------------------------------------------------

    def label(self, trace_id: str, verdict: str, note: str = "", tags: Sequence[str] = (),
              labeler: str | None = None, *, created_at: str | None = None) -> Label:
        """Append a label (committed when this returns); the latest label of a trace is its verdict."""
        if verdict not in (*VERDICTS, "none"):
            raise ReviewError(f"unknown verdict {verdict!r}: use pass, fail or skip")
        return self._append(trace_id, verdict, note, list(tags), labeler, created_at, None)

    def _append(self, trace_id: str, verdict: str, note: str, tags: list[str], labeler: str | None,
                created_at: str | None, undo_of: int | None) -> Label:
        row = _label_row(trace_id, verdict, note, tags, labeler, created_at, undo_of)
        with self.write():
            table = self.db.table("labels")
            table.insert(row)
            row_id = table.last_rowid
        return Label(id=int(row_id or 0), trace_id=trace_id, verdict=verdict, note=row["note"], tags=tags,
                     labeler=row["labeler"], created_at=row["created_at"], undo_of=undo_of)

    def undo(self, trace_id: str, labeler: str | None = None) -> Label | None:
        """Take back the trace's latest label by appending the state before it ("none" before the first).
        Undo again walks further back. None when there is nothing to undo."""
        with self.write():
            stack: list[Label] = []
            for label in self.history(trace_id):
                if label.undo_of is not None:
                    if stack:
                        stack.pop()
                else:
                    stack.append(label)
            if not stack:
                return None
            top = stack.pop()
            before = stack[-1] if stack else None
            return self._append(trace_id, before.verdict if before else "none", before.note if before else "",
                                list(before.tags) if before else [], labeler, None, top.id)

    def latest(self, trace_id: str) -> Label | None:
        with self.lock:
            rows = list(self.db.query("select * from latest_labels where trace_id = ?", [trace_id]))
        return _label(rows[0]) if rows else None

    def latest_many(self, trace_ids: Iterable[str] | None = None) -> dict[str, Label]:
        """The latest label of each trace (of every labelled trace when `trace_ids` is None)."""
        sql, args = "select * from latest_labels", []
        if trace_ids is not None:  # an import asks batch by batch: only the batch's rows become Labels
            sql += " where trace_id in (select value from json_each(?))"
            args.append(json.dumps(list(trace_ids)))
        with self.lock:
            rows = [_label(r) for r in self.db.query(sql, args)]
        return {r.trace_id: r for r in rows}

    def history(self, trace_id: str) -> list[Label]:
        with self.lock:
            return [_label(r) for r in self.db.query("select * from labels where trace_id = ? order by id",
                                                     [trace_id])]

    # --- the queue -----------------------------------------------------------------------------

    def queue(self, flt: QueueFilter | None = None) -> list[Trace]:
        """The traces to review, in a stable order (creation time, then id)."""
        where, args = _where(flt or QueueFilter())
        sql = ("select t.* from traces t left join latest_labels l on l.trace_id = t.id"
               f"{' where ' + ' and '.join(where) if where else ''} order by t.created_at, t.rowid")
        with self.lock:
            return [Trace.from_row(r) for r in self.db.query(sql, args)]

    def progress(self, flt: QueueFilter | None = None, goal: int = GOAL) -> Progress:
        """Counts over the traces the filter selects (ignoring `unlabelled`, so the total stays put)."""
        base = flt or QueueFilter()
        where, args = _where(QueueFilter(base.run_id, base.model, base.endpoint, base.tag))
        sql = ("select l.verdict as verdict from traces t left join latest_labels l on l.trace_id = t.id"
               f"{' where ' + ' and '.join(where) if where else ''}")
        with self.lock:
            return Progress.of((r["verdict"] for r in self.db.query(sql, args)), goal=goal)

    def choices(self) -> dict[str, list[str]]:
        """Values to filter on: runs (id), models, endpoints and prompt tags present in the traces."""
        with self.lock:
            out = {col: [r["v"] for r in self.db.query(
                f"select distinct {col} as v from traces where {col} is not null and {col} != '' order by v")]
                for col in ("run_id", "model", "endpoint")}
            out["tag"] = [r["v"] for r in self.db.query(
                "select distinct j.value as v from traces t, json_each(t.tags_json) j order by v")]
        return out

    def summary(self) -> list[dict[str, Any]]:
        """Per model: traces, pass, fail, skip, unlabelled, pass rate among judged."""
        sql = ("select t.model as model, l.verdict as verdict from traces t"
               " left join latest_labels l on l.trace_id = t.id")
        per: dict[str, dict[str, Any]] = {}
        with self.lock:
            for r in self.db.query(sql):
                row = per.setdefault(r["model"] or "", {"model": r["model"] or "", "traces": 0, "pass": 0,
                                                        "fail": 0, "skip": 0, "unlabelled": 0})
                row["traces"] += 1
                verdict = r["verdict"]
                row[verdict if verdict in VERDICTS else "unlabelled"] += 1
        for row in per.values():
            judged = row["pass"] + row["fail"]
            row["pass_rate"] = round(row["pass"] / judged, 4) if judged else None
        return sorted(per.values(), key=lambda r: r["model"])

    # --- pairwise ------------------------------------------------------------------------------

    def pairs(self, run_id: str | None = None, tag: str | None = None) -> list[tuple[Trace, Trace]]:
        """Two traces answering the same prompt (same run and prompt id, or else the same prompt text and
        system prompt) from different endpoints, in a stable order."""
        groups: dict[tuple[Any, ...], list[Trace]] = {}
        for trace in self.queue(QueueFilter(run_id=run_id, tag=tag)):
            if trace.error:
                continue
            groups.setdefault(_pair_key(trace), []).append(trace)
        out: list[tuple[Trace, Trace]] = []
        for group in groups.values():
            out.extend((a, b) for a, b in combinations(group, 2) if a.endpoint != b.endpoint or a.model != b.model)
        return out

    def prefer(self, left_trace_id: str, right_trace_id: str, choice: str, *, blind: bool = False,
               note: str = "", labeler: str | None = None) -> int:
        if choice not in CHOICES:
            raise ReviewError(f"unknown preference {choice!r}: use left, right, tie or both_bad")
        row = {"left_trace_id": left_trace_id, "right_trace_id": right_trace_id, "choice": choice,
               "blind": int(blind), "note": note, "labeler": labeler or default_labeler(), "created_at": now_iso()}
        with self.write():
            table = self.db.table("preferences")
            table.insert(row)
            return int(table.last_rowid or 0)

    def preferences(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.db.query("select * from preferences order by id")]

    def preference_for(self, a: str, b: str) -> str | None:
        """The latest choice on this pair, seen from `a` on the left."""
        with self.lock:
            rows = list(self.db.query(
                "select * from preferences where (left_trace_id = ? and right_trace_id = ?)"
                " or (left_trace_id = ? and right_trace_id = ?) order by id desc limit 1", [a, b, b, a]))
        if not rows:
            return None
        choice = str(rows[0]["choice"])
        if rows[0]["left_trace_id"] != a:
            choice = {"left": "right", "right": "left"}.get(choice, choice)
        return choice

    # --- traces from elsewhere -----------------------------------------------------------------

    def merge_imported(self, items: Sequence[tuple[Trace, dict[str, Any] | None]], *, run_name: str,
                       labeler: str | None = None) -> tuple[int, int, int]:
        """Store traces (with an optional label each) from another tool or another reviewer, merging by trace
        id: a trace already here is not written again; a label is appended only when it differs from ours and
        is not older. Returns (traces written, traces already here, labels appended).

        IMPORT_BATCH traces per transaction, so that other writers (a TUI labelling, a run) get the database
        in between; a merge cut short keeps whole batches, and merging the same items again adds the rest."""
        counts = [0, 0, 0]
        for start in range(0, len(items), IMPORT_BATCH):
            for i, n in enumerate(self._merge_batch(items[start:start + IMPORT_BATCH], run_name, labeler)):
                counts[i] += n
        return counts[0], counts[1], counts[2]

    def _merge_batch(self, batch: Sequence[tuple[Trace, dict[str, Any] | None]], run_name: str,
                     labeler: str | None) -> tuple[int, int, int]:
        rows = {t.id: t.to_row() for t, _ in batch}  # made before the transaction: the lock is held for SQL only
        with self.write():
            known = {r["id"] for r in self.db.query(
                "select id from traces where id in (select value from json_each(?))", [json.dumps(list(rows))])}
            latest = self.latest_many(rows)
            new = [row for tid, row in rows.items() if tid not in known]
            runs = sorted({r["run_id"] for r in new} - {r["id"] for r in self.db.query("select id from runs")})
            for run_id in runs:
                self.traces.create_run(kind="import", name=run_name, run_id=run_id)
            if new:
                self.db.table("traces").insert_all(new, pk="id")
            labels = []
            for trace, label in batch:
                if label is None:
                    continue
                ours = latest.get(trace.id)
                if ours is not None:
                    same = (ours.verdict, ours.note, sorted(ours.tags)) == (
                        label["verdict"], label["note"], sorted(label["tags"]))
                    older = bool(label["created_at"]) and label["created_at"] <= ours.created_at
                    if same or older:
                        continue
                labels.append(_label_row(trace.id, label["verdict"], label["note"], label["tags"],
                                         label["labeler"] or labeler, label["created_at"] or None, None))
            if labels:
                self.db.table("labels").insert_all(labels)
        return len(new), len(known), len(labels)


def _label_row(trace_id: str, verdict: str, note: str, tags: list[str], labeler: str | None,
               created_at: str | None, undo_of: int | None) -> dict[str, Any]:
    return {"trace_id": trace_id, "verdict": verdict, "note": note or "", "tags_json": dumps(tags),
            "labeler": labeler or default_labeler(), "created_at": created_at or now_iso(), "undo_of": undo_of}


def _label(row: dict[str, Any]) -> Label:
    return Label(id=row["id"], trace_id=row["trace_id"], verdict=row["verdict"], note=row["note"] or "",
                 tags=loads(row["tags_json"], []), labeler=row["labeler"] or "", created_at=row["created_at"],
                 undo_of=row.get("undo_of"))


def _where(flt: QueueFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    for column, value in (("t.run_id", flt.run_id), ("t.model", flt.model), ("t.endpoint", flt.endpoint)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if flt.tag is not None:
        where.append("exists (select 1 from json_each(t.tags_json) j where j.value = ?)")
        args.append(flt.tag)
    if flt.unlabelled:
        where.append("coalesce(l.verdict, 'none') = 'none'")
    return where, args


def _pair_key(trace: Trace) -> tuple[Any, ...]:
    if trace.prompt_id:
        return ("id", trace.run_id, trace.prompt_id, trace.turn)
    return ("text", trace.prompt, trace.system or "", trace.turn)
