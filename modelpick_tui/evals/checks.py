"""Checks: deterministic graders of an answer against ground truth, run on every trace as it is stored and
again on demand (`modelpick checks`). A prompt carries its checks (`checks` in a prompt set, after the set's
default checks); a trace passes its checks when every check passes. Results are stored apart from the human
labels and the judge's verdicts (stores/checks.py), one row per trace × check with a one-line reason.

Longer than ~400 lines on purpose: the check kinds' parsing, their grading and their one-line reasons are
one table of rules read side by side (a new kind is a value parser, a grader and a reason, all here).

Plain: no IO. `parse_checks` turns a prompt set's field into `Check`s (a ValueError is that row's error, with
its line); `grade` runs them on one answer. docs/checks.md lists the types.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from .stats import cohen_kappa, pass_fail_confusion

# The types, with what their `value` is; each grader below returns (passed, reason).
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
_SHOWN = 60  # characters of a value quoted in a reason
# The last number of an answer: its final answer ("… so the total is 1,240.50"). Thousands separators allowed.
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+")
_FENCED = re.compile(r"\A\s*```[A-Za-z0-9_-]*[ \t]*\n(.*?)\n?```\s*\Z", re.DOTALL)


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
        return f"{self.type} {shown if len(shown) <= _SHOWN else shown[:_SHOWN - 1] + '…'}"


@dataclass(slots=True)  # not frozen: made once per trace × check, and a frozen init costs twice as much
class CheckResult:
    """One check on one trace: its place in the prompt's list, whether it passed, and why in one line."""

    index: int
    check: Check
    passed: bool
    reason: str

    def line(self) -> str:
        return f"{'pass' if self.passed else 'FAIL'} {self.check.describe()}: {self.reason}"


def verdict_of(results: Sequence[CheckResult]) -> str | None:
    """'pass' when every check passed, 'fail' when one failed, None without checks."""
    if not results:
        return None
    return "pass" if all(r.passed for r in results) else "fail"


# --- reading checks from a prompt set ----------------------------------------------------------------------


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
        if check.type == "number_close" and _last_number(reference) is None:
            raise CheckError("check number_close: the reference holds no number")


def _check(item: Any, n: int, what: str) -> Check:
    where = f"{what}[{n}]"
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise CheckError(f"{where}: expected an object with a \"type\", got {_short(item)}")
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
        raise ValueError(f"value must be non-empty text, got {_short(value)}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text_value(value)


def _no_value(value: Any) -> None:
    if value not in (None, True):
        raise ValueError(f"takes no value, got {_short(value)}")
    return None


def _regex_value(value: Any) -> str:
    text = _text_value(value)
    if len(text) > MAX_REGEX_CHARS:
        raise ValueError(f"pattern longer than {MAX_REGEX_CHARS} characters")
    try:
        regex.compile(text)
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return text


def _schema_value(value: Any) -> dict[str, Any]:
    from jsonschema import exceptions, validators

    if not isinstance(value, dict):
        raise ValueError(f"value must be a JSON Schema object, got {_short(value)}")
    try:
        validators.validator_for(value).check_schema(value)
    except exceptions.SchemaError as exc:
        raise ValueError(f"not a valid JSON Schema ({exc.message})") from None
    return value


def _number_value(value: Any, whole: bool = False) -> float | int:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    if not ok or (whole and not float(value).is_integer()):
        raise ValueError(f"value must be a {'whole number' if whole else 'number'} ≥ 0, got {_short(value)}")
    return int(value) if whole else value


_VALUES: dict[str, Callable[[Any], Any]] = {
    "equals": _optional_text, "contains": _text_value, "icontains": _text_value, "not_contains": _text_value,
    "starts_with": _text_value, "regex": _regex_value, "is_json": _no_value, "json_schema": _schema_value,
    "json_equals_reference": _no_value, "number_close": _number_value,
    "max_chars": lambda v: _number_value(v, whole=True), "max_latency_ms": _number_value,
}


# --- grading one answer -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Answer:
    """What the graders look at: the output, the reference, the latency and the error of one trace. The
    output's JSON is parsed once, whatever number of checks want it."""

    output: str
    reference: str | None = None
    latency_ms: float | None = None
    error: str | None = None
    parsed: tuple[Any, str | None] | None = field(default=None, repr=False)  # json()'s answer, once asked

    def json(self) -> tuple[Any, str | None]:
        """(value, None) or (None, why the output is not JSON)."""
        if self.parsed is None:
            self.parsed = parse_json_answer(self.output)
        return self.parsed


def parse_json_answer(text: str) -> tuple[Any, str | None]:
    """The answer as JSON: the whole text, or the one code-fenced block it is made of (```json … ```)."""
    fenced = _FENCED.match(text)
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
        return None, _clip(f"not JSON ({exc})")


def grade(checks: Sequence[Check], answer: Answer) -> list[CheckResult]:
    """Every check on one answer, in order. A trace that failed (no answer) fails every check."""
    if answer.error is not None:
        reason = "no answer: the request failed"
        return [CheckResult(i, c, False, reason) for i, c in enumerate(checks)]
    # A plain loop with local names and no enumerate: grading 10k traces is ~30% faster than a comprehension
    # that unpacks each grader's answer into the result (bench/checks.py).
    graders, result, out, i = _GRADERS, CheckResult, [], 0
    for check in checks:
        passed, reason = graders[check.type](check.value, answer)
        out.append(result(i, check, passed, reason))
        i += 1
    return out


def _equals(value: str | None, a: Answer) -> tuple[bool, str]:
    expected = (a.reference or "") if value is None else value
    if a.output.strip() == expected.strip():
        return True, "the answer is the expected text"
    return False, f"expected {_short(expected.strip())}, got {_short(a.output.strip())}"


def _contains(value: str, a: Answer) -> tuple[bool, str]:
    at = a.output.find(value)
    return (True, f"found at character {at}") if at >= 0 else (False, f"{_short(value)} not in the answer")


def _icontains(value: str, a: Answer) -> tuple[bool, str]:
    at = a.output.casefold().find(value.casefold())
    return (True, "found (ignoring case)") if at >= 0 else (False, f"{_short(value)} not in the answer (any case)")


def _not_contains(value: str, a: Answer) -> tuple[bool, str]:
    at = a.output.find(value)
    return (True, "not in the answer") if at < 0 else (False, f"{_short(value)} at character {at}")


def _starts_with(value: str, a: Answer) -> tuple[bool, str]:
    head = a.output.lstrip()
    if head.startswith(value):
        return True, "starts as expected"
    return False, f"starts with {_short(head[:len(value) + 10])}, expected {_short(value)}"


def _regex(value: str, a: Answer) -> tuple[bool, str]:
    try:
        found = _compiled(value).search(a.output, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        # A pattern that backtracks catastrophically on a long answer must not hang the run that grades it.
        return False, (f"/{value[:_SHOWN]}/ ran past {REGEX_TIMEOUT_S:g} s on this answer "
                       f"(catastrophic backtracking?): counted as failed")
    if found:
        return True, f"matched at character {found.start()}"
    return False, f"no match for /{value[:_SHOWN]}/"


_PATTERNS: dict[str, regex.Pattern[str]] = {}
# A user's pattern runs on untrusted model output: the `regex` module (re's syntax) can stop a search in time.
REGEX_TIMEOUT_S = 1.0


def _compiled(pattern: str) -> regex.Pattern[str]:
    found = _PATTERNS.get(pattern)
    if found is None:
        if len(_PATTERNS) > 512:
            _PATTERNS.clear()
        found = _PATTERNS[pattern] = regex.compile(pattern)
    return found


def _is_json(_value: None, a: Answer) -> tuple[bool, str]:
    value, error = a.json()
    return (False, error) if error else (True, f"a JSON {_kind(value)}")


def _json_schema(schema: dict[str, Any], a: Answer) -> tuple[bool, str]:
    value, error = a.json()
    if error:
        return False, error
    try:
        found = sorted(_validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    except Exception as exc:  # a $ref it cannot resolve (nothing is fetched): the check's fault, one line
        return False, _clip(f"the schema cannot be applied ({type(exc).__name__}: {exc})")
    first = found[0] if found else None
    if first is None:
        return True, "valid under the schema"
    where = "/".join(str(p) for p in first.absolute_path)
    return False, f"{'at `' + where + '`: ' if where else ''}{_clip(first.message)}"


_VALIDATORS: dict[str, Any] = {}


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import validators

    key = json.dumps(schema, sort_keys=True)
    found = _VALIDATORS.get(key)
    if found is None:
        if len(_VALIDATORS) > 256:
            _VALIDATORS.clear()
        found = _VALIDATORS[key] = validators.validator_for(schema)(schema)
    return found


def _json_equals_reference(_value: None, a: Answer) -> tuple[bool, str]:
    value, error = a.json()
    if error:
        return False, error
    expected = _reference_json(a.reference or "")
    if expected is _NOT_JSON:
        return False, "the reference is not JSON"
    # Python's == is the rule but for true/1 and false/0: where neither text holds a boolean it decides alone
    # (the walk below is ~5× slower than ==, and this is the common case).
    if value == expected and "true" not in a.output and "false" not in a.output and "true" not in (a.reference or "") \
            and "false" not in (a.reference or ""):
        return True, "equals the reference"
    difference = json_difference(expected, value)
    return (True, "equals the reference") if difference is None else (False, difference)


_NOT_JSON = object()
_REFERENCES: dict[str, Any] = {}  # a reference is parsed once, whatever number of traces answer its prompt


def _reference_json(text: str) -> Any:
    found = _REFERENCES.get(text, _REFERENCES)
    if found is _REFERENCES:
        if len(_REFERENCES) > 4096:
            _REFERENCES.clear()
        try:
            found = json.loads(text)
        except (ValueError, RecursionError):
            found = _NOT_JSON
        _REFERENCES[text] = found
    return found


def json_difference(expected: Any, got: Any, path: str = "") -> str | None:
    """The first difference between two JSON values, in one line ("expected key `age` = 30, got "30""); None
    when they are equal. Key order and whitespace do not count; 30 and 30.0 are equal, true and 1 are not."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"missing key `{path}{key}` (expected {_short(expected[key])})"
        for key in got:
            if key not in expected:
                return f"unexpected key `{path}{key}` = {_short(got[key])}"
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
    return (f"expected key `{where}` = {_short(expected)}, got {_short(got)}" if where
            else f"expected {_short(expected)}, got {_short(got)}")


def _same_scalar(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _number_close(tolerance: float, a: Answer) -> tuple[bool, str]:
    expected = _reference_number(a.reference or "")
    if expected is None:
        return False, "the reference holds no number"
    got = _last_number(a.output)
    if got is None:
        return False, f"no number in the answer (expected {expected:g})"
    off = abs(got - expected)
    if off <= tolerance:
        return True, f"{got:g} is within {tolerance:g} of {expected:g}"
    return False, f"final number {got:g}, expected {expected:g} ± {tolerance:g}"


def _last_number(text: str) -> float | None:
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        value = float(found[-1].replace(",", ""))  # the last one is the final answer
    except ValueError:  # pragma: no cover — the pattern only matches numbers
        return None
    return value if math.isfinite(value) else None


_NUMBERS: dict[str, float | None] = {}


def _reference_number(text: str) -> float | None:
    if text not in _NUMBERS:
        if len(_NUMBERS) > 4096:
            _NUMBERS.clear()
        _NUMBERS[text] = _last_number(text)
    return _NUMBERS[text]


def _max_chars(limit: int, a: Answer) -> tuple[bool, str]:
    n = len(a.output)
    return (True, f"{n} characters ≤ {limit}") if n <= limit else (False, f"{n:,} characters > {limit:,}")


def _max_latency(limit: float, a: Answer) -> tuple[bool, str]:
    if a.latency_ms is None:
        return False, "no latency measured"
    if a.latency_ms <= limit:
        return True, f"{a.latency_ms:,.0f} ms ≤ {limit:,.0f} ms"
    return False, f"{a.latency_ms:,.0f} ms > {limit:,.0f} ms"


_GRADERS: dict[str, Callable[[Any, Answer], tuple[bool, str]]] = {
    "equals": _equals, "contains": _contains, "icontains": _icontains, "not_contains": _not_contains,
    "starts_with": _starts_with, "regex": _regex, "is_json": _is_json, "json_schema": _json_schema,
    "json_equals_reference": _json_equals_reference, "number_close": _number_close, "max_chars": _max_chars,
    "max_latency_ms": _max_latency,
}
assert set(_GRADERS) == set(TYPES) == set(_VALUES)


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


def _short(value: Any) -> str:
    """A value as JSON, cut to a few dozen characters: a reason is one line."""
    if isinstance(value, str):  # cut before quoting (an answer may be megabytes); quoted as JSON would, cheaply
        return _clip('"' + value[:_SHOWN * 2].replace("\\", "\\\\").replace('"', '\\"') + '"')
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return _clip(text)


def _clip(text: str) -> str:
    text = " ".join(text[:_SHOWN * 4].split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


# --- checks beside the human labels -------------------------------------------------------------------------


@dataclass
class CheckAgreement:
    """Checks vs human labels over the traces that have both (a pass/fail label, at least one check)."""

    n: int
    percent: float
    kappa: float | None
    confusion: dict[str, int]  # "human/checks" -> count
    disagreements: list[tuple[str, str, str]]  # (trace id, human, checks)

    def summary(self) -> str:
        if not self.n:
            return "no trace has both a human label (pass/fail) and checks yet"
        kappa = "undefined" if self.kappa is None else f"{self.kappa:.2f}"
        return f"checks agree with the humans on {self.percent:.0%} of {self.n} traces, Cohen's kappa {kappa}"

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "percent_agreement": round(self.percent, 4),
                "kappa": None if self.kappa is None else round(self.kappa, 4), "confusion": self.confusion,
                "disagreements": [{"trace_id": t, "human": h, "checks": c} for t, h, c in self.disagreements]}


def agreement(human: Mapping[str, str], checks: Mapping[str, str]) -> CheckAgreement:
    """Percent agreement, Cohen's kappa, the confusion table and the traces where they disagree."""
    pairs = [(t, h, checks[t]) for t, h in sorted(human.items()) if h in ("pass", "fail") and t in checks]
    stats = cohen_kappa([h for _, h, _ in pairs], [c for _, _, c in pairs])
    return CheckAgreement(stats.n, stats.percent, stats.kappa, pass_fail_confusion((h, c) for _, h, c in pairs),
                          [(t, h, c) for t, h, c in pairs if h != c])


# --- the review queue: what the machines cannot settle first -----------------------------------------------

UNSETTLED_WHY = ("checks and judge disagree", "nothing graded it, or the judge erred", "one grader only",
                 "checks and judge agree")


def unsettled_rank(checks: str | None, judge: str | None) -> int:
    """Where a trace goes in the review queue ordered by "what the machines cannot settle" (0 first; see
    UNSETTLED_WHY): graders that disagree, then traces no grader settled (none ran, or the judge erred), then
    those one grader settled, then those both settled alike. `judge` is pass | fail | error | None."""
    judged = judge if judge in ("pass", "fail") else None
    if checks is not None and judged is not None:
        return 0 if checks != judged else 3
    if checks is None and judged is None:
        return 1
    return 2


def unsettled_first(ids: Sequence[str], checks: Mapping[str, str], judge: Mapping[str, str]) -> list[str]:
    """`ids` reordered by unsettled_rank, their order kept within a rank."""
    return sorted(ids, key=lambda t: unsettled_rank(checks.get(t), judge.get(t)))
