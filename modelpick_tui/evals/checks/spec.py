"""A check as a prompt set writes it: `{"type": …, "value": …}`, its value checked when the set is read (a bad
one is that row's error, with its line), and what grading needs from it made once per check."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import regex

from .patterns import user_pattern
from .text import SHOWN, last_number, short

# The types, with what their `value` is; each grader (graders.py) returns (passed, reason).
TYPES = {
    "equals": "text (default: the prompt's reference); the whole answer, surrounding whitespace ignored",
    "contains": "text the answer holds",
    "icontains": "text the answer holds, ignoring case",
    "not_contains": "text the answer must not hold",
    "starts_with": "text the answer begins with (leading whitespace ignored)",
    "regex": "a Python regular expression found anywhere in the answer",
    "is_json": "none: the answer is one JSON value",
    "json_schema": "a JSON Schema the answer (parsed as JSON) is valid under",
    "json_equals_reference": "none: the answer, parsed as JSON, equals the reference parsed as JSON",
    "number_close": "a tolerance ≥ 0: the last number in the answer within it of the reference's number",
    "max_chars": "a whole number ≥ 0: the answer is at most this many characters",
    "max_latency_ms": "a number ≥ 0: the answer took at most this many milliseconds",
}
NEEDS_REFERENCE = {"json_equals_reference": "a JSON reference", "number_close": "a reference with a number"}
MAX_REGEX_CHARS = 2000  # a pattern is the user's own, but a runaway one in a file should be one line, not a hang


class CheckError(ValueError):
    """A check that cannot be used (unknown type, malformed value); the message is one line."""


@dataclass(frozen=True)
class Check:
    type: str
    value: Any = field(default=None, hash=False)  # a JSON Schema is a dict: not hashable

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, **({} if self.value is None else {"value": self.value})}

    def describe(self) -> str:
        """'contains "refund"', 'max_chars 400', 'json_equals_reference'."""
        if self.value is None:
            return self.type
        shown = json.dumps(self.value, ensure_ascii=False)
        return f"{self.type} {shown if len(shown) <= SHOWN else shown[:SHOWN - 1] + '…'}"

    @cached_property
    def prepared(self) -> Any:
        """What grading needs from the value, made on first use and kept with the check (a prompt's checks are
        one object for all its traces): a compiled pattern, a schema's validator, casefolded text; else the
        value. Not a field: equality and the stored JSON stay type and value."""
        prepare = _PREPARE.get(self.type)
        return self.value if prepare is None else prepare(self.value)


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import validators

    return validators.validator_for(schema)(schema)


_PREPARE: dict[str, Callable[[Any], Any]] = {"regex": user_pattern, "json_schema": _validator,
                                             "icontains": str.casefold}


def parse_checks(raw: Any, *, what: str = "checks") -> tuple[Check, ...]:
    """Checks from a prompt set's field: a list of {"type": …, "value": …} (in CSV a JSON text). Raises
    CheckError naming the first bad one (the row's error)."""
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise CheckError(f"{what}: not valid JSON ({exc})") from None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise CheckError(f"{what} must be a list of {{\"type\": …, \"value\": …}}, not {type(raw).__name__}")
    return tuple(_check(item, i, what) for i, item in enumerate(raw, start=1))


def hold_to_reference(checks: Iterable[Check], reference: str | None) -> None:
    """Raise CheckError when a check needs the prompt's reference and it does not fit (no reference, a
    reference that is not JSON, one without a number): a bad row, not a check that always fails."""
    for check in checks:
        if check.type not in NEEDS_REFERENCE and not (check.type == "equals" and check.value is None):
            continue
        if reference is None or not reference.strip():
            raise CheckError(f"check {check.type} needs the prompt's reference, and it has none")
        if check.type == "json_equals_reference":
            try:
                json.loads(reference)
            except ValueError:
                raise CheckError("check json_equals_reference: the reference is not JSON") from None
        if check.type == "number_close" and last_number(reference) is None:
            raise CheckError("check number_close: the reference holds no number")


def _check(item: Any, n: int, what: str) -> Check:
    where = f"{what}[{n}]"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise CheckError(f"{where}: expected an object with a \"type\", got {short(item)}")
    kind = item["type"].strip().lower()
    if kind not in TYPES:
        raise CheckError(f"{where}: unknown check type {item['type']!r} (known: {', '.join(TYPES)})")
    extra = sorted(set(item) - {"type", "value"})
    if extra:
        raise CheckError(f"{where} ({kind}): unknown field {extra[0]!r} (a check has \"type\" and \"value\")")
    value = item.get("value")
    try:
        return Check(kind, _VALUES[kind](value))
    except (TypeError, ValueError) as exc:
        raise CheckError(f"{where} ({kind}): {exc}") from None


def _text_value(value: Any) -> str:
    if not isinstance(value, str) or value == "":
        raise ValueError(f"value must be non-empty text, got {short(value)}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text_value(value)


def _no_value(value: Any) -> None:
    if value not in (None, True):
        raise ValueError(f"takes no value, got {short(value)}")
    return None


def _regex_value(value: Any) -> str:
    text = _text_value(value)
    if len(text) > MAX_REGEX_CHARS:
        raise ValueError(f"pattern longer than {MAX_REGEX_CHARS} characters")
    try:
        regex.compile(text)
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    except RecursionError:  # groups nested some hundreds deep: the compiler recurses
        raise ValueError("not a usable regular expression (nested too deep)") from None
    return text


def _schema_value(value: Any) -> dict[str, Any]:
    from jsonschema import exceptions, validators

    if not isinstance(value, dict):
        raise ValueError(f"value must be a JSON Schema object, got {short(value)}")
    try:
        validators.validator_for(value).check_schema(value)
    except exceptions.SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema ({exc.message})") from None
    return value


def _number_value(value: Any, whole: bool = False) -> float | int:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if not ok or (whole and not float(value).is_integer()):
        raise ValueError(f"value must be a {'whole number' if whole else 'number'} ≥ 0, got {short(value)}")
    return int(value) if whole else value


_VALUES: dict[str, Callable[[Any], Any]] = {
    "equals": _optional_text, "contains": _text_value, "icontains": _text_value, "not_contains": _text_value,
    "starts_with": _text_value, "regex": _regex_value, "is_json": _no_value, "json_schema": _schema_value,
    "json_equals_reference": _no_value, "number_close": _number_value,
    "max_chars": lambda v: _number_value(v, whole=True), "max_latency_ms": _number_value,
}
assert set(_VALUES) == set(TYPES)
