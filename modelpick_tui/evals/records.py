"""JSON records from a file a user gives (prompt sets, trace imports): one object per line (JSONL), or one JSON
array of objects. Each record comes with its line number, or with the one-line reason it is not a record, so
bad rows are reported by line while the good ones still load."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Row = tuple[int, dict[str, Any] | None, str]  # (line or item number, record or None, why not a record)


@dataclass(frozen=True)
class RowError:
    """A row that was not loaded, and why; reported as "line 7: …"."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class NotRecords(ValueError):
    """The whole text cannot be read as records (an array that is not valid JSON, or not an array)."""


def json_records(text: str) -> list[Row]:
    """(line, record, "") for each object, (line, None, reason) for each non-blank line that is not one.

    A text starting with "[" is one JSON array: its items are numbered from 1. Raises NotRecords."""
    if text.lstrip().startswith("["):
        try:
            array = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotRecords(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(array, list):
            raise NotRecords(f"not a table of records (a JSON {type(array).__name__})")
        return [_row(i, item) for i, item in enumerate(array, start=1)]
    out: list[Row] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append(_row(number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            out.append((number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"))
    return out


def _row(number: int, value: Any) -> Row:
    if isinstance(value, dict):
        return number, value, ""
    return number, None, f"a JSON {type(value).__name__}, not an object"
