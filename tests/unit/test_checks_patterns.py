"""A regex check's search runs without the `regex` module's timer only where the pattern's worst case on the
answer is small (evals/checks/patterns.py); the verdict and the reason do not depend on which way it ran. And the
grades' lazily written reasons read as the text they stand for."""

from __future__ import annotations

from typing import Any

import pytest

from modelpick_tui.evals.checks import Answer, Check, CheckError, grade, parse_checks
from modelpick_tui.evals.checks.patterns import BUDGET, REGEX_TIMEOUT_S, UserPattern, bare_up_to, user_pattern


def test_the_bare_length_is_the_hand_computed_bound() -> None:
    # \w+\( : a repeat of one character class (n ways at one place: 1..n characters) and a literal, 3 nodes;
    # (n + 1) starts × n ways × 3 steps ≤ 10,000,000 holds up to n = 1,825 (1,826 × 1,825 × 3 = 9,997,350;
    # 1,827 × 1,826 × 3 = 10,008,606).
    assert BUDGET == 10_000_000
    assert bare_up_to(r"\w+\(") == 1825
    # ^yes$ : no repeat, 5 nodes: (n + 1) × 5 ≤ 10^7 up to n = 1,999,999
    assert bare_up_to(r"^yes$") == 1_999_999
    # a*a*b : (n + 1) starts × (n + 1)² ways × 5 nodes ≤ 10^7 up to n + 1 = 125 (125³ × 5 = 9,765,625)
    assert bare_up_to(r"a*a*b") == 124


@pytest.mark.parametrize("pattern", [
    r"(a|a)+$",  # a repeat of an alternation: exponential
    r"(a|ab)*c",
    r"(a*)*b",  # a repeat of a repeat
    r"(x+x+)+y",
    r"(?:ab|cd)*e",  # one way at a time in truth, but an alternation under a repeat is not told apart: the timer
    r"(a)\1",  # a backreference
    r"(a)?(?(1)b|c)",  # a conditional
    r"\p{L}+",  # regex-only syntax: the stdlib's parser does not know it
])
def test_patterns_that_may_backtrack_without_bound_always_run_under_the_timer(pattern: str) -> None:
    assert bare_up_to(pattern) == -1


class Recorded:
    """A compiled pattern that notes how it was asked."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def search(self, text: str, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_answers_past_the_bare_length_are_searched_under_the_timer() -> None:
    compiled = Recorded()
    pattern = UserPattern(compiled, 3)  # type: ignore[arg-type]
    pattern.search("abc")
    pattern.search("abcd")
    assert compiled.calls == [{}, {"timeout": REGEX_TIMEOUT_S}]


def test_the_verdict_and_reason_are_the_same_either_side_of_the_bare_length() -> None:
    limit = user_pattern(r"a*a*b").bare_up_to
    check = parse_checks([{"type": "regex", "value": "a*a*b"}])
    for text in ("a" * (limit - 1) + "b", "a" * limit + "b", "a" * limit, "a" * (limit + 1)):
        assert len(text) in (limit, limit + 1)
        [result] = grade(check, Answer(text))
        expected = (True, "matched at character 0") if text.endswith("b") else (False, "no match for /a*a*b/")
        assert (result.passed, result.reason) == expected


def test_lazy_reasons_read_compare_and_print_as_their_text() -> None:
    checks = parse_checks([{"type": "number_close", "value": 0.5}, {"type": "max_chars", "value": 3},
                           {"type": "contains", "value": "x"}])
    first, second = grade(checks, Answer("about 13", "12")), grade(checks, Answer("about 13", "12"))
    assert first == second and first[0] != grade(checks, Answer("12", "12"))[0]
    assert [r.reason for r in first] == ["final number 13, expected 12 ± 0.5", "8 characters > 3",
                                         '"x" not in the answer']
    assert repr(first[1]) == "CheckResult(1, Check(type='max_chars', value=3), False, '8 characters > 3')"
    assert first[1].line() == "FAIL max_chars 3: 8 characters > 3"


def test_what_grading_prepares_is_not_part_of_a_check() -> None:
    graded, fresh = Check("regex", r"\d+"), Check("regex", r"\d+")
    grade([graded], Answer("a1"))
    assert isinstance(graded.prepared, UserPattern)
    assert graded == fresh and hash(graded) == hash(fresh) and graded.to_json() == {"type": "regex", "value": r"\d+"}


def test_a_pattern_nested_too_deep_to_compile_is_a_bad_row_in_one_line() -> None:
    with pytest.raises(CheckError) as info:
        parse_checks([{"type": "regex", "value": "(" * 900 + "a" + ")" * 900}])
    assert str(info.value) == "checks[1] (regex): not a usable regular expression (nested too deep)"
