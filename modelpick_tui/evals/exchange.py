"""The exchange of traces with their labels: export to CSV or JSONL (the latest label of each trace, with
its metrics) and import of such files, from modelpick or other tools, merged by trace id into the labels."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..clock import now_iso
from ..home import open_private
from ..serving.endpoints import redact_url
from .base import dumps
from .labels import VERDICTS, Label, QueueFilter, ReviewError
from .records import NotRecords, Row, RowError, check_prompt, json_records, parse_rows, read_user_text
from .stores.labels import ReviewStore
from .traces import Trace

EXPORT_FORMATS = ("jsonl", "csv")
# queue_ms: waiting for a connection before the request went out, apart from ttft_ms; `timing` says how ttft_ms
# was measured (serving.events.TIMING; empty for traces timed before it, or by other tools).
METRICS = ("ttft_ms", "latency_ms", "tokens_in", "tokens_out", "tokens_per_s", "queue_ms")
CSV_COLUMNS = ("id", "run", "prompt_id", "prompt", "system", "reference", "model", "endpoint", "model_ref",
               "output", "verdict", "note", "tags", "labeler", "labelled_at", "prompt_tags", "finish_reason",
               "error", *METRICS, "timing", "created_at")
_TAG_SPLIT = re.compile(r"[;,|]")
# A spreadsheet reads a cell that begins with one of these as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = re.compile(r"^'+")


def csv_cell(text: str) -> str:
    """A text field made safe to open in a spreadsheet: one leading apostrophe when, past the apostrophes it
    already begins with, it starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return).

    Escaping apostrophe-led fields too makes this a bijection: `csv_field` takes it back exactly, so a
    modelpick export imports unchanged, and `'=x` exported is `''=x`, not confused with `=x`."""
    rest = text.lstrip("'")
    return "'" + text if rest.startswith(_FORMULA_START) else text


def csv_field(cell: str) -> str:
    """The inverse of `csv_cell`: one leading apostrophe off a field that `csv_cell` escaped."""
    rest = cell.lstrip("'")
    return cell[1:] if rest != cell and rest.startswith(_FORMULA_START) else cell


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


def export(store: ReviewStore, path: str | Path, fmt: str | None = None, run_id: str | None = None) -> int:
    """Write traces with their latest labels and metrics to a JSONL or CSV file; returns the count."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if fmt not in EXPORT_FORMATS:
        raise ReviewError(f"unknown export format {fmt!r}: use csv or jsonl")
    traces = store.queue(QueueFilter(run_id=run_id))
    labels = store.latest_many()
    records = [_record(t, labels.get(t.id)) for t in traces]
    try:
        with open_private(path, "w", encoding="utf-8", newline="") as fh:  # 0600: prompts and answers
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


def import_file(store: ReviewStore, path: str | Path, labeler: str | None = None) -> ImportReport:
    """Load traces with their labels from JSONL or CSV, merging by trace id: a trace already here is
    not written again; a label is appended only when it differs from ours and is not older. Bad rows
    are reported by line number and the good ones load (ReviewStore.merge_imported says how)."""
    path = Path(path).expanduser()
    rows = _read_table(path)
    report = ImportReport()
    default_run = "import-" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    good, report.errors = parse_rows(rows, lambda record, _line: _from_record(record, default_run),
                                     key=lambda item: item[0].id)
    if not good and report.errors and all(r is None for _, r, _ in rows):
        raise ReviewError(f"{path}: not a table of traces ({report.errors[0]})")
    report.traces, report.known, report.labels = store.merge_imported(
        [item for _, item in good], run_name=f"imported {path.name}", labeler=labeler)
    return report


# --- helpers -------------------------------------------------------------------------------------


def _record(trace: Trace, label: Label | None) -> dict[str, Any]:
    return {
        "id": trace.id, "run": trace.run_id, "prompt_id": trace.prompt_id, "prompt": trace.prompt,
        "system": trace.system, "reference": trace.reference, "model": trace.model, "endpoint": trace.endpoint,
        "model_ref": trace.model_ref, "output": trace.output,
        "verdict": label.verdict if label else "", "note": label.note if label else "",
        "tags": list(label.tags) if label else [], "labeler": label.labeler if label else "",
        "labelled_at": label.created_at if label else "", "prompt_tags": list(trace.tags),
        "finish_reason": trace.finish_reason, "error": trace.error,
        "metrics": {m: getattr(trace, m) for m in METRICS}, "timing": trace.timing, "params": trace.params,
        "created_at": trace.created_at,
    }


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: rec.get(k) for k in CSV_COLUMNS if k not in METRICS}
    out.update(rec["metrics"])
    out["tags"] = "; ".join(rec["tags"])
    out["prompt_tags"] = "; ".join(rec["prompt_tags"])
    return {k: "" if v is None else csv_cell(v) if isinstance(v, str) else v for k, v in out.items()}


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
            out.append((line, {str(k).strip().lower(): csv_field(v) if isinstance(v, str) else v
                               for k, v in record.items()}, ""))
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
    check_prompt(prompt)  # the limit prompt sets have: a 50 MB prompt would stall every screen showing it
    output = _text(record, "output", "response", "completion") or ""
    model = _text(record, "model") or ""
    endpoint = redact_url(_text(record, "endpoint") or "")  # another tool's trace may name a URL with a password
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
        finish_reason=_text(record, "finish_reason"), error=redact_url(_text(record, "error") or "") or None,
        timing=_text(record, "timing") or None,
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
