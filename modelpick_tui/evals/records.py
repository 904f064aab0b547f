"""JSON records from a file a user gives (prompt sets, trace imports): one object per line (JSONL), or one JSON
array of objects. Each record comes with its line number, or with the one-line reason it is not a record, so
bad rows are reported by line while the good ones still load."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

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


def read_user_text(path: Path, what: str) -> tuple[str, bytes]:
    """The text of a file the user named (UTF-8, a BOM allowed) and its bytes. `what` names the kind of file
    in the message for a folder ("a prompt set file"). Raises NotRecords with one line naming the path."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotRecords(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotRecords(f"{path}: is a folder, not {what}") from None
    except OSError as exc:
        raise NotRecords(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotRecords(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise NotRecords(f"{path}: the file is empty")
    return text, data


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


def parse_rows(rows: Sequence[Row], parse: Callable[[dict[str, Any], int], T], key: Callable[[T], str],
               ) -> tuple[list[tuple[int, T]], list[RowError]]:
    """Each record through `parse(record, line)` (a ValueError is that row's error); a second row with the same
    `key` is an error naming the first. Returns the good items with their lines, and the bad rows."""
    good: list[tuple[int, T]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, record, error in rows:
        if record is None:
            errors.append(RowError(line, error))
            continue
        try:
            item = parse(record, line)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        if key(item) in seen:
            errors.append(RowError(line, f"duplicate id '{key(item)}' (first on line {seen[key(item)]})"))
            continue
        seen[key(item)] = line
        good.append((line, item))
    return good, errors
