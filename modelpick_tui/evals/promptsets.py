"""Prompt sets: JSONL or CSV files of prompts (with optional system prompt, reference answer, tags, id, checks).

Checks (evals/checks/) come from a prompt's `checks` field (CSV: a JSON column) after the set's default
checks: a JSONL record holding only `default_checks`, or a file beside the set named `<set stem>.checks.json`
holding the list (any format). docs/checks.md says how.

Loading never stops at a bad row: every bad row is reported with its line number and the good rows
load. A file that cannot be used at all (missing, unreadable, empty, not text, no `prompt` column)
raises `PromptSetError` with one clear line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import Check, CheckError, hold_to_reference, parse_checks
from .records import NotRecords, Row, RowError, check_prompt, json_records, parse_rows, read_user_text

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}
# Column / key names people use for the same thing, first wins.
ALIASES = {
    "prompt": ("prompt", "input", "question", "user"),
    "system": ("system", "system_prompt"),
    "reference": ("reference", "reference_answer", "expected", "answer", "ideal"),
    "tags": ("tags", "tag", "labels", "category"),
    "id": ("id", "prompt_id", "key"),
    "checks": ("checks",),
}
DEFAULT_CHECKS = "default_checks"  # a JSONL record with only this key: checks for every prompt of the set
CHECKS_FILE_SUFFIX = ".checks.json"  # beside a set (any format): its default checks
_TAG_SPLIT = re.compile(r"[;,|]")


class PromptSetError(Exception):
    """The file cannot be used as a prompt set; the message is one line for the user."""


@dataclass(frozen=True)
class Prompt:
    id: str
    prompt: str
    system: str | None = None
    reference: str | None = None
    tags: tuple[str, ...] = ()
    line: int = 0  # where it is in the file, for messages
    checks: tuple[Check, ...] = ()  # the set's default checks, then the prompt's own


@dataclass
class PromptSet:
    name: str
    path: Path
    format: str
    sha256: str
    prompts: list[Prompt] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return sorted({t for p in self.prompts for t in p.tags})

    def summary(self) -> str:
        """'support: 30 prompts (2 bad rows: line 4, line 9)'."""
        text = f"{self.name}: {len(self.prompts)} prompt{'s' if len(self.prompts) != 1 else ''}"
        if self.errors:
            lines = ", ".join(f"line {e.line}" for e in self.errors[:5])
            more = f", +{len(self.errors) - 5} more" if len(self.errors) > 5 else ""
            text += f" ({len(self.errors)} bad row{'s' if len(self.errors) != 1 else ''}: {lines}{more})"
        return text


def _pick(record: dict[str, Any], name: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in record.items()}
    for alias in ALIASES[name]:
        if alias in lowered and lowered[alias] not in (None, ""):
            return lowered[alias]
    return None


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict | list) and what == "reference":
        return json.dumps(value, ensure_ascii=False)  # a structured reference (JSON extraction sets)
    raise ValueError(f"{what} must be text, not {type(value).__name__}")


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else _TAG_SPLIT.split(str(value))
    return tuple(dict.fromkeys(str(t).strip().lower() for t in items if str(t).strip()))


def _prompt_from(record: dict[str, Any], line: int, default_id: str, defaults: tuple[Check, ...] = ()) -> Prompt:
    prompt = _text(_pick(record, "prompt"), "prompt")
    if prompt is None or not prompt.strip():
        raise ValueError("no prompt (expected a non-empty 'prompt' field)")
    check_prompt(prompt)
    raw_id = _pick(record, "id")
    reference = _text(_pick(record, "reference"), "reference")
    checks = defaults + parse_checks(_pick(record, "checks"))
    hold_to_reference(checks, reference)  # a CheckError is a ValueError: this row's error
    return Prompt(
        id=str(raw_id).strip() if raw_id is not None else default_id,
        prompt=prompt,
        system=_text(_pick(record, "system"), "system"),
        reference=reference,
        tags=_tags(_pick(record, "tags")),
        line=line,
        checks=checks,
    )


def _default_checks(rows: list[Row], path: Path) -> tuple[list[Row], tuple[Check, ...], list[RowError]]:
    """The set's default checks: the records holding only `default_checks` (taken out of the rows), then the
    `<stem>.checks.json` file beside the set. A bad default is a bad row at its line; a bad file, one line."""
    kept: list[Row] = []
    defaults: list[Check] = []
    errors: list[RowError] = []
    for line, record, error in rows:
        if record is not None and DEFAULT_CHECKS in record and _pick(record, "prompt") is None:
            try:
                if set(record) != {DEFAULT_CHECKS}:
                    raise CheckError(f"a {DEFAULT_CHECKS} record holds nothing else (found "
                                     f"{', '.join(sorted(set(record) - {DEFAULT_CHECKS}))})")
                defaults.extend(parse_checks(record[DEFAULT_CHECKS], what=DEFAULT_CHECKS))
            except CheckError as exc:
                errors.append(RowError(line, str(exc)))
            continue
        kept.append((line, record, error))
    beside = path.with_name(path.stem + CHECKS_FILE_SUFFIX)
    if beside.exists():
        try:
            raw = json.loads(read_user_text(beside, "a checks file")[0])
            if isinstance(raw, dict) and set(raw) == {DEFAULT_CHECKS}:
                raw = raw[DEFAULT_CHECKS]
            defaults.extend(parse_checks(raw, what=beside.name))
        except (NotRecords, CheckError) as exc:
            raise PromptSetError(str(exc)) from None
        except ValueError as exc:
            raise PromptSetError(f"{beside}: not valid JSON ({exc})") from None
    return kept, tuple(defaults), errors


def _read_text(path: Path) -> tuple[str, str]:
    try:
        text, data = read_user_text(path, "a prompt set file")
    except NotRecords as exc:
        raise PromptSetError(str(exc)) from None
    return text, hashlib.sha256(data).hexdigest()


def _load_jsonl(text: str) -> list[Row]:
    """(line, record or None, error) for each non-blank line. A .json file holding one array is accepted."""
    try:
        return json_records(text)
    except NotRecords as exc:
        raise PromptSetError(str(exc)) from None


def _load_csv(text: str, delimiter: str) -> list[tuple[int, dict[str, Any] | None, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [h.strip().lower() for h in (reader.fieldnames or []) if h]
    if not any(alias in headers for alias in ALIASES["prompt"]):
        shown = ", ".join(headers[:8]) or "none"
        raise PromptSetError(f"no 'prompt' column in the header (columns: {shown})")
    out: list[tuple[int, dict[str, Any] | None, str]] = []
    start = 2  # the header is line 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1  # quoted fields may span lines: report where a row starts
            if None in record:  # more cells than headers
                out.append((line, None, f"{len(record[None]) + len(headers)} cells for {len(headers)} columns"))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue
            out.append((line, record, ""))
    except csv.Error as exc:
        out.append((reader.line_num, None, f"unreadable CSV ({exc})"))
    return out


def load_prompt_set(path: str | Path, name: str | None = None) -> PromptSet:
    """Load a prompt set from a .jsonl/.ndjson/.json or .csv/.tsv file; see the module docstring."""
    path = Path(path).expanduser()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise PromptSetError(f"{path}: unknown prompt set format '{path.suffix or '(none)'}' (use {known})")
    text, digest = _read_text(path)
    stem = path.stem
    try:
        if fmt == "jsonl":
            rows = _load_jsonl(text)
        else:
            rows = _load_csv(text, "\t" if fmt == "tsv" else ",")
    except PromptSetError as exc:
        raise PromptSetError(f"{path}: {exc}") from None
    result = PromptSet(name=name or stem, path=path, format=fmt, sha256=digest)
    rows, defaults, default_errors = _default_checks(rows, path)
    good, result.errors = parse_rows(
        rows, lambda record, line: _prompt_from(record, line, f"{stem}-{line}", defaults),
        key=lambda prompt: prompt.id)
    result.errors = sorted(default_errors + result.errors, key=lambda e: e.line)
    result.prompts.extend(prompt for _, prompt in good)
    if not result.prompts:
        first = f"; {result.errors[0]}" if result.errors else ""
        raise PromptSetError(f"{path}: no usable prompts ({len(result.errors)} bad rows{first})")
    return result


# --- a prompt set's id in the database (stores/prompt_sets.py keeps it, so a run resumes without its file) -


def content_id(prompt_set: PromptSet) -> str:
    """The id of a prompt set in the database: a hash of its prompts (ids, text, system, reference, tags),
    so the same prompts get the same id whatever the file's name, format or formatting. Checks are left out:
    a set whose checks changed is the same test cases graded anew (`modelpick checks --set FILE`), and its runs
    stay its runs."""
    digest = hashlib.sha256()
    for p in prompt_set.prompts:
        record = [p.id, p.prompt, p.system, p.reference, list(p.tags)]
        digest.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode())
        digest.update(b"\n")
    return "ps-" + digest.hexdigest()[:16]
