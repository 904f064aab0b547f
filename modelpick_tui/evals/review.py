"""Human judgements: pass/fail labels (append-only, latest wins, undo), the review queue and its
progress, pairwise preferences, and the exchange of traces with their labels (CSV/JSONL export/import)."""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from .base import Store, dumps, loads, now_iso
from .records import NotRecords, Row, RowError, json_records, parse_rows, read_user_text
from .traces import Trace, TraceStore

VERDICTS = ("pass", "fail", "skip")
CHOICES = ("left", "right", "tie", "both_bad")
GOAL = 100  # labels to aim for: enough for a pass rate with a usable confidence interval
EXPORT_FORMATS = ("jsonl", "csv")
METRICS = ("ttft_ms", "latency_ms", "tokens_in", "tokens_out", "tokens_per_s")
CSV_COLUMNS = ("id", "run", "prompt_id", "prompt", "system", "reference", "model", "endpoint", "model_ref",
               "output", "verdict", "note", "tags", "labeler", "labelled_at", "prompt_tags", "finish_reason",
               "error", *METRICS, "created_at")
_TAG_SPLIT = re.compile(r"[;,|]")
_LATEST = ("select l.* from labels l join (select trace_id, max(id) as id from labels group by trace_id) m"
           " on l.id = m.id")


class ReviewError(ValueError):
    """A label, preference or file that cannot be used; the message is one line for the user."""


def default_labeler() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still label
        return "reviewer"


@dataclass(frozen=True)
class Label:
    trace_id: str
    verdict: str  # pass | fail | skip | none
    note: str
    tags: list[str]
    labeler: str
    created_at: str
    id: int
    undo_of: int | None = None  # set on the row an undo appended: the label it took back


@dataclass(frozen=True)
class QueueFilter:
    """Which traces the review queue holds. `unlabelled` keeps traces with no verdict (or one undone)."""

    run_id: str | None = None
    model: str | None = None
    endpoint: str | None = None
    tag: str | None = None
    unlabelled: bool = False

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("run", self.run_id), ("model", self.model),
                                          ("endpoint", self.endpoint), ("tag", self.tag)) if v]
        if self.unlabelled:
            parts.append("unlabelled only")
        return " · ".join(parts) or "all traces"


@dataclass(frozen=True)
class Progress:
    total: int
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    goal: int = GOAL

    @property
    def labelled(self) -> int:
        """Judged traces (pass or fail): a skip is not evidence for a pass rate."""
        return self.passed + self.failed

    @classmethod
    def of(cls, verdicts: Iterable[str | None], total: int | None = None, goal: int = GOAL) -> Progress:
        items = list(verdicts)
        return cls(total=len(items) if total is None else total, passed=items.count("pass"),
                   failed=items.count("fail"), skipped=items.count("skip"), goal=goal)

    def line(self) -> str:
        """'47 labelled of 120 · 31 pass · 16 fail · goal 100' (skips shown only when there are some)."""
        text = f"{self.labelled} labelled of {self.total} · {self.passed} pass · {self.failed} fail"
        if self.skipped:
            text += f" · {self.skipped} skipped"
        return text + f" · goal {self.goal}"


@dataclass
class ImportReport:
    traces: int = 0  # new traces written
    labels: int = 0  # labels appended
    known: int = 0  # traces already here (not duplicated)
    errors: list[RowError] = field(default_factory=list)

    def line(self) -> str:
        """'imported 3 traces, 2 labels; 1 bad row: line 7: no prompt'."""
        text = f"imported {self.traces} traces, {self.labels} labels"
        if self.known:
            text += f" ({self.known} traces already here)"
        n = len(self.errors)
        text += f"; {n} bad row{'s' if n != 1 else ''}"
        if n:
            shown = "; ".join(str(e) for e in self.errors[:5])
            text += f": {shown}" + (f"; +{n - 5} more" if n > 5 else "")
        return text


class ReviewStore(Store):
    """The `labels` and `preferences` tables, and queries over traces for review. Every write is one
    committed transaction: when a method returns, the label survives the process being killed."""

    @property
    def traces(self) -> TraceStore:
        return TraceStore(lambda: self.db, self.lock)

    # --- labels ------------------------------------------------------------------------------------

    def label(self, trace_id: str, verdict: str, note: str = "", tags: Sequence[str] = (),
              labeler: str | None = None, *, created_at: str | None = None) -> Label:
        """Append a label (committed when this returns); the latest label of a trace is its verdict."""
        if verdict not in (*VERDICTS, "none"):
            raise ReviewError(f"unknown verdict {verdict!r}: use pass, fail or skip")
        return self._append(trace_id, verdict, note, list(tags), labeler, created_at, None)

    def _append(self, trace_id: str, verdict: str, note: str, tags: list[str], labeler: str | None,
                created_at: str | None, undo_of: int | None) -> Label:
        note, labeler, created_at = note or "", labeler or default_labeler(), created_at or now_iso()
        row = {"trace_id": trace_id, "verdict": verdict, "note": note, "tags_json": dumps(tags),
               "labeler": labeler, "created_at": created_at, "undo_of": undo_of}
        with self.lock, self.db.atomic():
            table = self.db.table("labels")
            table.insert(row)
            row_id = table.last_rowid
        return Label(id=int(row_id or 0), trace_id=trace_id, verdict=verdict, note=note, tags=tags,
                     labeler=labeler, created_at=created_at, undo_of=undo_of)

    def undo(self, trace_id: str, labeler: str | None = None) -> Label | None:
        """Take back the trace's latest label by appending the state before it ("none" before the first).
        Undo again walks further back. None when there is nothing to undo."""
        with self.lock, self.db.atomic():
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
            rows = list(self.db.query(
                "select * from labels where trace_id = ? order by id desc limit 1", [trace_id]))
        return _label(rows[0]) if rows else None

    def latest_many(self, trace_ids: Iterable[str] | None = None) -> dict[str, Label]:
        """The latest label of each trace (of every labelled trace when `trace_ids` is None)."""
        with self.lock:
            rows = [_label(r) for r in self.db.query(_LATEST)]
        if trace_ids is None:
            return {r.trace_id: r for r in rows}
        wanted = set(trace_ids)
        return {r.trace_id: r for r in rows if r.trace_id in wanted}

    def history(self, trace_id: str) -> list[Label]:
        with self.lock:
            return [_label(r) for r in self.db.query("select * from labels where trace_id = ? order by id",
                                                     [trace_id])]

    # --- the queue -----------------------------------------------------------------------------

    def queue(self, flt: QueueFilter | None = None) -> list[Trace]:
        """The traces to review, in a stable order (creation time, then id)."""
        where, args = _where(flt or QueueFilter())
        sql = (f"select t.* from traces t left join ({_LATEST}) l on l.trace_id = t.id"
               f"{' where ' + ' and '.join(where) if where else ''} order by t.created_at, t.rowid")
        with self.lock:
            return [Trace.from_row(r) for r in self.db.query(sql, args)]

    def progress(self, flt: QueueFilter | None = None, goal: int = GOAL) -> Progress:
        """Counts over the traces the filter selects (ignoring `unlabelled`, so the total stays put)."""
        base = flt or QueueFilter()
        where, args = _where(QueueFilter(base.run_id, base.model, base.endpoint, base.tag))
        sql = (f"select l.verdict as verdict from traces t left join ({_LATEST}) l on l.trace_id = t.id"
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
        sql = (f"select t.model as model, l.verdict as verdict from traces t"
               f" left join ({_LATEST}) l on l.trace_id = t.id")
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
        with self.lock, self.db.atomic():
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

    # --- export / import -----------------------------------------------------------------------

    def export(self, path: str | Path, fmt: str | None = None, run_id: str | None = None) -> int:
        """Write traces with their latest labels and metrics to a JSONL or CSV file; returns the count."""
        path = Path(path)
        fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        if fmt not in EXPORT_FORMATS:
            raise ReviewError(f"unknown export format {fmt!r}: use csv or jsonl")
        traces = self.queue(QueueFilter(run_id=run_id))
        labels = self.latest_many()
        records = [_record(t, labels.get(t.id)) for t in traces]
        try:
            with path.open("w", encoding="utf-8", newline="") as fh:
                if fmt == "jsonl":
                    for rec in records:
                        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                else:
                    writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
                    writer.writeheader()
                    for rec in records:
                        writer.writerow(_flat(rec))
        except OSError as exc:
            raise ReviewError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        return len(records)

    def import_file(self, path: str | Path, labeler: str | None = None) -> ImportReport:
        """Load traces with their labels from JSONL or CSV, merging by trace id: a trace already here is
        not written again; a label is appended only when it differs from ours and is not older. Bad rows
        are reported by line number and the good ones load (in one transaction)."""
        path = Path(path).expanduser()
        rows = _read_table(path)
        report = ImportReport()
        default_run = "import-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        good, report.errors = parse_rows(rows, lambda record, _line: _from_record(record, default_run),
                                         key=lambda item: item[0].id)
        parsed = [(line, trace, label) for line, (trace, label) in good]
        if not parsed and report.errors and all(r is None for _, r, _ in rows):
            raise ReviewError(f"{path}: not a table of traces ({report.errors[0]})")
        with self.lock, self.db.atomic():
            ids = [t.id for _, t, _ in parsed]
            known = {r["id"] for r in self.db.query(
                "select id from traces where id in (select value from json_each(?))", [json.dumps(ids)])}
            latest = self.latest_many(ids)
            new = [t for _, t, _ in parsed if t.id not in known]
            runs = sorted({t.run_id for t in new} - {r["id"] for r in self.db.query("select id from runs")})
            for run_id in runs:
                self.traces.create_run(kind="import", name=f"imported {path.name}", run_id=run_id)
            if new:
                self.db.table("traces").insert_all([t.to_row() for t in new], pk="id")
            report.traces, report.known = len(new), len(known)
            for _, trace, label in parsed:
                if label is None:
                    continue
                ours = latest.get(trace.id)
                if ours is not None:
                    same = (ours.verdict, ours.note, sorted(ours.tags)) == (
                        label["verdict"], label["note"], sorted(label["tags"]))
                    older = bool(label["created_at"]) and label["created_at"] <= ours.created_at
                    if same or older:
                        continue
                self._append(trace.id, label["verdict"], label["note"], label["tags"],
                             label["labeler"] or labeler, label["created_at"] or None, None)
                report.labels += 1
        return report


# --- helpers -------------------------------------------------------------------------------------


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


def _record(trace: Trace, label: Label | None) -> dict[str, Any]:
    return {
        "id": trace.id, "run": trace.run_id, "prompt_id": trace.prompt_id, "prompt": trace.prompt,
        "system": trace.system, "reference": trace.reference, "model": trace.model, "endpoint": trace.endpoint,
        "model_ref": trace.model_ref, "output": trace.output,
        "verdict": label.verdict if label else "", "note": label.note if label else "",
        "tags": list(label.tags) if label else [], "labeler": label.labeler if label else "",
        "labelled_at": label.created_at if label else "", "prompt_tags": list(trace.tags),
        "finish_reason": trace.finish_reason, "error": trace.error,
        "metrics": {m: getattr(trace, m) for m in METRICS}, "params": trace.params, "created_at": trace.created_at,
    }


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: rec.get(k) for k in CSV_COLUMNS if k not in METRICS}
    out.update(rec["metrics"])
    out["tags"] = "; ".join(rec["tags"])
    out["prompt_tags"] = "; ".join(rec["prompt_tags"])
    return {k: "" if v is None else v for k, v in out.items()}


def _read_table(path: Path) -> list[Row]:
    try:
        text, _ = read_user_text(path, "a file of traces")
    except NotRecords as exc:
        raise ReviewError(str(exc)) from None
    suffix = path.suffix.lower()
    is_json = suffix in (".jsonl", ".ndjson", ".json") or (
        suffix not in (".csv", ".tsv") and text.lstrip()[:1] in ("{", "["))
    if is_json:
        return _jsonl_rows(path, text)
    return _csv_rows(path, text, "\t" if suffix == ".tsv" else ",")


def _jsonl_rows(path: Path, text: str) -> list[Row]:
    try:
        return json_records(text)
    except NotRecords as exc:
        raise ReviewError(f"{path}: {str(exc).replace('records', 'traces')}") from None


def _csv_rows(path: Path, text: str, delimiter: str) -> list[tuple[int, dict[str, Any] | None, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [h.strip().lower() for h in (reader.fieldnames or []) if h]
    if "prompt" not in headers and "input" not in headers:
        shown = ", ".join(h[:30] for h in headers[:8]) or "none"
        raise ReviewError(f"{path}: not a table of traces: no 'prompt' column in the header (columns: {shown})")
    out: list[tuple[int, dict[str, Any] | None, str]] = []
    start = 2  # the header is line 1; quoted fields may span lines, so report where each row starts
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if None in record:
                out.append((line, None, f"{len(record[None]) + len(headers)} cells for {len(headers)} columns"))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue
            out.append((line, {str(k).strip().lower(): v for k, v in record.items()}, ""))
    except csv.Error as exc:
        out.append((reader.line_num, None, f"unreadable CSV ({exc})"))
    return out


def _pick(record: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _text(record: dict[str, Any], *names: str, required: bool = False) -> str | None:
    value = _pick(record, *names)
    if value is None:
        if required:
            raise ValueError(f"no {names[0]} (expected a non-empty '{names[0]}' field)")
        return None
    if isinstance(value, dict | list) and names[0] == "reference":
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{names[0]} must be text, not {type(value).__name__}")
    return str(value)


def _tags(value: Any, what: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = _TAG_SPLIT.split(value)
    else:
        raise ValueError(f"{what} must be a list or text, not {type(value).__name__}")
    return list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))


def _number(value: Any, name: str, integer: bool) -> float | int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {str(value)[:30]!r}") from None
    if number != number or number < 0:
        raise ValueError(f"{name} must be a number ≥ 0, not {str(value)[:30]!r}")
    return int(number) if integer else number


def _from_record(record: dict[str, Any], default_run: str) -> tuple[Trace, dict[str, Any] | None]:
    record = {str(k).strip().lower(): v for k, v in record.items()}
    prompt = _text(record, "prompt", "input", required=True)
    if prompt is None or not prompt.strip():
        raise ValueError("no prompt (expected a non-empty 'prompt' field)")
    output = _text(record, "output", "response", "completion") or ""
    model = _text(record, "model") or ""
    endpoint = _text(record, "endpoint") or ""
    if not model and not endpoint:
        raise ValueError("no model (expected a 'model' or 'endpoint' field)")
    raw_id = _text(record, "id", "trace_id")
    if raw_id is not None and (not raw_id.strip() or len(raw_id) > 200):
        raise ValueError("id must be 1-200 characters")
    # Traces from other tools may have no id: one made from their content merges the same trace twice.
    trace_id = raw_id.strip() if raw_id else hashlib.sha256(
        dumps([model, endpoint, prompt, output]).encode()).hexdigest()[:32]
    metrics = record.get("metrics")
    if metrics in (None, ""):
        metrics = record
    elif not isinstance(metrics, dict):
        raise ValueError(f"metrics must be an object, not {type(metrics).__name__}")
    values = {m: _number(metrics.get(m), m, m.startswith("tokens_") and m != "tokens_per_s") for m in METRICS}
    params = record.get("params")
    trace = Trace(
        id=trace_id, run_id=_text(record, "run", "run_id") or default_run, prompt=prompt,
        endpoint=endpoint or model, model=model or endpoint, output=output,
        prompt_id=_text(record, "prompt_id"), system=_text(record, "system"),
        reference=_text(record, "reference"), model_ref=_text(record, "model_ref"),
        tags=_tags(record.get("prompt_tags"), "prompt_tags"), params=params if isinstance(params, dict) else {},
        finish_reason=_text(record, "finish_reason"), error=_text(record, "error"),
        created_at=_text(record, "created_at") or now_iso(), source="import", **values,  # type: ignore[arg-type]
    )
    verdict = (_text(record, "verdict", "label") or "").strip().lower()
    note = _text(record, "note", "notes") or ""
    tags = _tags(record.get("tags"), "tags")
    labelled_at = _text(record, "labelled_at") or ""
    if verdict and verdict not in (*VERDICTS, "none"):
        raise ValueError(f"unknown verdict {verdict[:20]!r}: use pass, fail, skip or leave it empty")
    if not verdict and (note or tags):
        raise ValueError("a note or tags without a verdict (pass, fail or skip)")
    label = None
    if verdict and (verdict != "none" or labelled_at):
        label = {"verdict": verdict, "note": note, "tags": tags, "labeler": _text(record, "labeler") or "",
                 "created_at": labelled_at}
    return trace, label
