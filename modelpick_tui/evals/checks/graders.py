"""Grading one answer: every check of its prompt, in order, each with pass/fail and a one-line reason.

A grader returns (passed, reason) where the reason is text or a function that writes it: many reasons are read
(stored, shown) but a grade alone (bench/checks.py, a verdict) needs none, and writing them cost as much as the
matching (a number's three :g formats, a quoted answer). What is stored and shown is the same text either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .patterns import REGEX_TIMEOUT_S, UserPattern
from .spec import Check
from .text import SHOWN, clip, json_difference, kind, last_number, parse_json_answer, short

Reason = str | Callable[[], str]  # the text, or what writes it when first read


class CheckResult:
    """One check on one trace: its place in the prompt's list, whether it passed, and why in one line (written
    when first read: a grader may hand over what writes it)."""

    __slots__ = ("index", "check", "passed", "_reason")

    def __init__(self, index: int, check: Check, passed: bool, reason: Reason) -> None:
        self.index = index
        self.check = check
        self.passed = passed
        self._reason = reason

    @property
    def reason(self) -> str:
        reason = self._reason
        if not isinstance(reason, str):
            reason = self._reason = reason()
        return reason

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CheckResult):
            return NotImplemented
        return ((self.index, self.check, self.passed, self.reason)
                == (other.index, other.check, other.passed, other.reason))

    __hash__ = None  # type: ignore[assignment]  # its reason is filled in: mutable, as the dataclass it was

    def __repr__(self) -> str:
        return f"CheckResult({self.index!r}, {self.check!r}, {self.passed!r}, {self.reason!r})"

    def line(self) -> str:
        return f"{'pass' if self.passed else 'FAIL'} {self.check.describe()}: {self.reason}"


def verdict_of(results: Sequence[CheckResult]) -> str | None:
    """'pass' when every check passed, 'fail' when one failed, None without checks."""
    if not results:
        return None
    return "pass" if all(r.passed for r in results) else "fail"


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


def grade(checks: Sequence[Check], answer: Answer) -> list[CheckResult]:
    """Every check on one answer, in order. A trace that failed (no answer) fails every check."""
    if answer.error is not None:
        return [CheckResult(i, c, False, "no answer: the request failed") for i, c in enumerate(checks)]
    # A plain loop with local names and no enumerate: grading 10k traces is ~30% faster than a comprehension
    # that unpacks each grader's answer into the result (bench/checks.py).
    graders, result, out, i = _GRADERS, CheckResult, [], 0
    for check in checks:
        passed, reason = graders[check.type](check, answer)
        out.append(result(i, check, passed, reason))
        i += 1
    return out


def _equals(check: Check, a: Answer) -> tuple[bool, Reason]:
    expected = (a.reference or "") if check.value is None else check.value
    if a.output.strip() == expected.strip():
        return True, "the answer is the expected text"
    return False, lambda: f"expected {short(expected.strip())}, got {short(a.output.strip())}"


def _contains(check: Check, a: Answer) -> tuple[bool, Reason]:
    at = a.output.find(check.value)
    if at >= 0:
        return True, lambda: f"found at character {at}"
    return False, lambda: f"{short(check.value)} not in the answer"


def _icontains(check: Check, a: Answer) -> tuple[bool, Reason]:
    if check.prepared in a.output.casefold():
        return True, "found (ignoring case)"
    return False, lambda: f"{short(check.value)} not in the answer (any case)"


def _not_contains(check: Check, a: Answer) -> tuple[bool, Reason]:
    if check.value not in a.output:
        return True, "not in the answer"
    return False, lambda: f"{short(check.value)} at character {a.output.find(check.value)}"


def _starts_with(check: Check, a: Answer) -> tuple[bool, Reason]:
    head = a.output.lstrip()
    if head.startswith(check.value):
        return True, "starts as expected"
    return False, lambda: f"starts with {short(head[:len(check.value) + 10])}, expected {short(check.value)}"


def _regex(check: Check, a: Answer) -> tuple[bool, Reason]:
    pattern: UserPattern = check.prepared
    try:
        found = pattern.search(a.output)
    except TimeoutError:
        # A pattern that backtracks catastrophically on a long answer must not hang the run that grades it.
        return False, (f"/{check.value[:SHOWN]}/ ran past {REGEX_TIMEOUT_S:g} s on this answer "
                       f"(catastrophic backtracking?): counted as failed")
    if found:
        return True, lambda: f"matched at character {found.start()}"
    return False, lambda: f"no match for /{check.value[:SHOWN]}/"


def _is_json(_check: Check, a: Answer) -> tuple[bool, Reason]:
    value, error = a.json()
    return (False, error) if error else (True, f"a JSON {kind(value)}")


def _json_schema(check: Check, a: Answer) -> tuple[bool, Reason]:
    value, error = a.json()
    if error:
        return False, error
    try:
        found = sorted(check.prepared.iter_errors(value), key=lambda e: list(e.absolute_path))
    except Exception as exc:  # a $ref it cannot resolve (nothing is fetched): the check's fault, one line
        return False, clip(f"the schema cannot be applied ({type(exc).__name__}: {exc})")
    first = found[0] if found else None
    if first is None:
        return True, "valid under the schema"
    where = "/".join(str(p) for p in first.absolute_path)
    return False, f"{'at `' + where + '`: ' if where else ''}{clip(first.message)}"


def _json_equals_reference(_check: Check, a: Answer) -> tuple[bool, Reason]:
    value, error = a.json()
    if error:
        return False, error
    expected, has_boolean = _reference_json(a.reference or "")
    if expected is _NOT_JSON:
        return False, "the reference is not JSON"
    # json_difference is the rule; Python's == agrees with it but for true/1 and false/0 (== says equal, the
    # rule does not), so == decides alone where neither text holds a boolean, and unequal is unequal: the walk
    # is ~5× slower than ==, and only a failure's reason needs it.
    if value != expected:
        return False, lambda: json_difference(expected, value) or "differs from the reference"
    if not has_boolean and "true" not in a.output and "false" not in a.output:
        return True, "equals the reference"
    difference = json_difference(expected, value)
    return (True, "equals the reference") if difference is None else (False, difference)


_NOT_JSON = object()
# a reference is parsed once, whatever number of traces answer its prompt: (its JSON, whether its text holds a
# boolean)
_REFERENCES: dict[str, tuple[Any, bool]] = {}


def _reference_json(text: str) -> tuple[Any, bool]:
    found = _REFERENCES.get(text)
    if found is None:
        if len(_REFERENCES) > 4096:
            _REFERENCES.clear()
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = _NOT_JSON
        found = _REFERENCES[text] = (value, "true" in text or "false" in text)
    return found


def _number_close(check: Check, a: Answer) -> tuple[bool, Reason]:
    tolerance = check.value
    expected = _reference_number(a.reference or "")
    if expected is None:
        return False, "the reference holds no number"
    got = last_number(a.output)
    if got is None:
        return False, lambda: f"no number in the answer (expected {expected:g})"
    if abs(got - expected) <= tolerance:
        return True, lambda: f"{got:g} is within {tolerance:g} of {expected:g}"
    return False, lambda: f"final number {got:g}, expected {expected:g} ± {tolerance:g}"


_NUMBERS: dict[str, float | None] = {}


def _reference_number(text: str) -> float | None:
    found = _NUMBERS.get(text, _NUMBERS)
    if found is _NUMBERS:
        if len(_NUMBERS) > 4096:
            _NUMBERS.clear()
        found = _NUMBERS[text] = last_number(text)
    return found  # type: ignore[return-value]


def _max_chars(check: Check, a: Answer) -> tuple[bool, Reason]:
    n, limit = len(a.output), check.value
    if n <= limit:
        return True, lambda: f"{n} characters ≤ {limit}"
    return False, lambda: f"{n:,} characters > {limit:,}"


def _max_latency(check: Check, a: Answer) -> tuple[bool, Reason]:
    latency, limit = a.latency_ms, check.value
    if latency is None:
        return False, "no latency measured"
    if latency <= limit:
        return True, lambda: f"{latency:,.0f} ms ≤ {limit:,.0f} ms"
    return False, lambda: f"{latency:,.0f} ms > {limit:,.0f} ms"


def clear_caches() -> None:
    """Forget the references parsed so far (kept across answers: the traces of one prompt share one), as a
    fresh process would: bench/checks.py grades each round from here, as `modelpick checks` does."""
    _REFERENCES.clear()
    _NUMBERS.clear()


_GRADERS: dict[str, Callable[[Check, Answer], tuple[bool, Reason]]] = {
    "equals": _equals, "contains": _contains, "icontains": _icontains, "not_contains": _not_contains,
    "starts_with": _starts_with, "regex": _regex, "is_json": _is_json, "json_schema": _json_schema,
    "json_equals_reference": _json_equals_reference, "number_close": _number_close, "max_chars": _max_chars,
    "max_latency_ms": _max_latency,
}
