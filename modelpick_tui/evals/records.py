"""JSON records from a file a user gives (prompt sets, trace imports): one object per line (JSONL), or one JSON
array of objects. Each record comes with its line number, or with the one-line reason it is not a record, so
bad rows are reported by line while the good ones still load."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")

Row = tuple[int, dict[str, Any] | None, str]  # (line or item number, record or None, why not a record)

# The caps on what a user's file may hold. A file is read whole and then parsed, which takes several times its
# size in memory, so its size is capped before it is read; each can be raised through its variable.
MAX_FILE_MB_ENV, MAX_FILE_MB = "MODELPICK_MAX_FILE_MB", 100
MAX_PROMPT_CHARS_ENV, MAX_PROMPT_CHARS = "MODELPICK_MAX_PROMPT_CHARS", 200_000
# JSON nested deeper than this is refused (a fixed limit: Python's parser recurses, so 100k levels would be a
# RecursionError); no prompt set or trace needs more than a few levels.
MAX_JSON_DEPTH = 100
_CHUNK = 1 << 20
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True)
class RowError:
    """A row that was not loaded, and why; reported as "line 7: …"."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class NotRecords(ValueError):
    """The whole text cannot be read as records (an array that is not valid JSON, or not an array)."""


def env_limit(name: str, default: int) -> int:
    """A cap from the environment (a whole number > 0), or its default; a bad value is one line."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise NotRecords(f"{name}={raw[:20]!r} is not a whole number > 0 (default {default:,})")
    return value


def read_user_text(path: Path, what: str) -> tuple[str, bytes]:
    """The text of a file the user named (UTF-8, a BOM allowed) and its bytes. `what` names the kind of file
    in the messages ("a prompt set file"). Raises NotRecords with one line naming the path.

    Only a regular file is read (a FIFO would hang, /dev/zero would fill memory), and at most
    MODELPICK_MAX_FILE_MB megabytes of it."""
    cap_mb = env_limit(MAX_FILE_MB_ENV, MAX_FILE_MB)
    try:
        _check_kind(path, os.stat(path).st_mode, what)
        # O_NONBLOCK: were the path swapped for a FIFO since the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotRecords(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotRecords(f"{path}: is a folder, not {what}") from None
    except OSError as exc:
        raise NotRecords(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        try:
            info = os.fstat(fd)
            _check_kind(path, info.st_mode, what)
            _check_size(path, info.st_size, cap_mb, what)
        except OSError as exc:
            raise NotRecords(f"{path}: cannot be read ({exc.strerror or exc})") from None
        text, data = read_stream_text(fh, str(path), what)
    if not text.strip():
        raise NotRecords(f"{path}: the file is empty")
    return text, data


def read_stream_text(fh: BinaryIO, name: str, what: str) -> tuple[str, bytes]:
    """The text of an open stream (a file, or stdin for `-`: a pipe has no size to check first) and its bytes,
    read no further than MODELPICK_MAX_FILE_MB (even if it grows while it is read, or never ends)."""
    cap_mb = env_limit(MAX_FILE_MB_ENV, MAX_FILE_MB)
    chunks, size = [], 0
    try:
        while chunk := fh.read(min(_CHUNK, cap_mb * 1_000_000 + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            _check_size(Path(name), size, cap_mb, what, exact=False)
    except OSError as exc:
        raise NotRecords(f"{name}: cannot be read ({exc.strerror or exc})") from None
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotRecords(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
    return text, data


def _check_kind(path: Path, mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise NotRecords(f"{path}: is a folder, not {what}")
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a plain file")
    raise NotRecords(f"{path}: is {kind}, not a regular file: only regular files are read as {what}")


def _check_size(path: Path, size: int, cap_mb: int, what: str, exact: bool = True) -> None:
    if size > cap_mb * 1_000_000:
        shown = f"{size / 1e6:,.1f} MB, " if exact else ""
        raise NotRecords(f"{path}: {shown}over the {cap_mb:,} MB limit for {what} "
                         f"(default {MAX_FILE_MB} MB; set {MAX_FILE_MB_ENV} to raise it)")


def check_prompt(prompt: str) -> None:
    """The one limit on a prompt's length, for prompt sets and imported traces alike (a huge prompt makes every
    screen that shows it slow). Raises ValueError, the row's error."""
    limit = env_limit(MAX_PROMPT_CHARS_ENV, MAX_PROMPT_CHARS)
    if len(prompt) > limit:
        raise ValueError(f"prompt is {len(prompt):,} characters, more than the limit of {limit:,} "
                         f"(default {MAX_PROMPT_CHARS:,}; set {MAX_PROMPT_CHARS_ENV} to raise it)")


def json_records(text: str) -> list[Row]:
    """(line, record, "") for each object, (line, None, reason) for each non-blank line that is not one.

    A text starting with "[" is one JSON array: its items are numbered from 1. Raises NotRecords.
    JSON nested more than MAX_JSON_DEPTH levels is not a record (in an array: the whole text is refused)."""
    if text.lstrip().startswith("["):
        try:
            array = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NotRecords(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
        except RecursionError:
            array = _DEEP
        if array is _DEEP or _too_deep(text, array, MAX_JSON_DEPTH + 1):  # the array itself is one level
            raise NotRecords(f"not valid JSON (line {_deep_line(text, MAX_JSON_DEPTH + 1)}: {_TOO_DEEP})")
        if not isinstance(array, list):
            raise NotRecords(f"not a table of records (a JSON {type(array).__name__})")
        return [_row(i, item) for i, item in enumerate(array, start=1)]
    out: list[Row] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.append((number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except RecursionError:
            value = _DEEP
        if value is _DEEP or _too_deep(raw, value, MAX_JSON_DEPTH):
            out.append((number, None, _TOO_DEEP))
        else:
            out.append(_row(number, value))
    return out


_DEEP = object()  # what json.loads gave when it ran out of stack
_TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep (a fixed limit)"


def _too_deep(text: str, value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels in `value`, parsed from `text` (walked without
    recursion, and only when the text has that many brackets at all)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _deep_line(text: str, limit: int) -> int:
    """The line where nesting first goes deeper than `limit` (strings skipped); for the message."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif token in "]}":
            depth -= 1
    return 1


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
