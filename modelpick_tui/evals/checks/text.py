"""What the graders read in an answer (its last number, its JSON, how two JSON values differ) and how a reason
quotes a value: in one line, a few dozen characters at most, whatever the answer's size."""

from __future__ import annotations

import json
import math
import re
from typing import Any

SHOWN = 60  # characters of a value quoted in a reason
# The last number of an answer: its final answer ("… so the total is 1,240.50"). Thousands separators allowed.
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
_FENCED = re.compile(r"\A\s*```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?```\s*\Z", re.DOTALL)


def last_number(text: str) -> float | None:
    found = NUMBER.findall(text)
    if not found:
        return None
    try:
        value = float(found[-1].replace(",", ""))  # the last one is the final answer
    except ValueError:  # pragma: no cover — the pattern only matches numbers
        return None
    return value if math.isfinite(value) else None


def parse_json_answer(text: str) -> tuple[Any, str | None]:
    """The answer as JSON: the whole text, or the one code-fenced block it is made of (```json … ```)."""
    fenced = _FENCED.match(text) if "```" in text else None  # `in` is a C scan: most answers are not fenced
    body = fenced.group(1) if fenced else text
    try:
        return json.loads(body), None
    except RecursionError:
        return None, "not JSON (nested too deep)"
    except json.JSONDecodeError as exc:
        if not body.strip():
            return None, "not JSON (the answer is empty)"
        return None, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        return None, clip(f"not JSON ({exc})")


def json_difference(expected: Any, got: Any, path: str = "") -> str | None:
    """The first difference between two JSON values, in one line ("expected key `age` = 30, got "30""); None
    when they are equal. Key order and whitespace do not count; 30 and 30.0 are equal, true and 1 are not."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"missing key `{path}{key}` (expected {short(expected[key])})"
        for key in got:
            if key not in expected:
                return f"unexpected key `{path}{key}` = {short(got[key])}"
        for key in expected:
            found = json_difference(expected[key], got[key], f"{path}{key}.")
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"expected {len(expected)} items at `{path.rstrip('.') or '$'}`, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            found = json_difference(e, g, f"{path}{i}.")
            if found is not None:
                return found
        return None
    if _same_scalar(expected, got):
        return None
    where = path.rstrip(".")
    return (f"expected key `{where}` = {short(expected)}, got {short(got)}" if where
            else f"expected {short(expected)}, got {short(got)}")


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def short(value: Any) -> str:
    """A value as JSON, cut to a few dozen characters: a reason is one line."""
    if isinstance(value, str):  # cut before quoting (an answer may be megabytes); quoted as JSON would, cheaply
        return clip('"' + value[:SHOWN * 2].replace("\\", "\\\\").replace('"', '\\"') + '"')
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return clip(text)


def clip(text: str) -> str:
    text = " ".join(text[:SHOWN * 4].split())
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"
