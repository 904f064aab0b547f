"""A user's regular expression on untrusted model output: the `regex` module (re's syntax), whose search can be
stopped in time, so a pattern that backtracks catastrophically on a long answer fails its check instead of hanging
the run that grades it.

The timer costs more than most searches (the `regex` module's timeout ran ~4× the search it guarded in
bench/checks.py), so a search goes without it where the pattern's worst case on this answer is small: the
pattern has no backreference or conditional and no repeat of something that can match in more than one way
(`(a|ab)+`, `(a+)*`: the exponential cases), and then a search tries at most (n + 1) starts × each repeat's
counts (≤ n + 1) × each alternation's branches, each path at most the pattern's size in steps, for an answer of
n characters. Where that bound is under BUDGET steps (a few milliseconds) the search runs bare; otherwise, or
where the stdlib's parser does not know the pattern (regex-only syntax), it runs under the timeout. Either way
the same engine matches: only the timer differs, never the verdict.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import regex

REGEX_TIMEOUT_S = 1.0
# Steps a bare search may take at worst: ~10 ms. The stdlib's re, the plain backtracker, took 25 ms for `\w+\(`
# on "(" and 2,500 "a"s (a bound of 25M steps) at a load of 6.5 on 2 cores; the `regex` module 0.1 ms.
BUDGET = 10_000_000
_LONGEST = 1 << 30  # answers longer than this are never searched bare (the bound is not even computed)

# The stdlib's own parse of re's syntax (re._parser, no public API; re has imported it already). A parse that
# fails or a node it does not list below leaves the pattern under the timeout.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")
_ONE_CHARACTER = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN, _c.AT, _c.CATEGORY}
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT}
_LOOKAROUNDS = {_c.ASSERT, _c.ASSERT_NOT}


@dataclass(frozen=True, slots=True)
class UserPattern:
    compiled: regex.Pattern[str]
    bare_up_to: int  # answers of at most this many characters are searched without the timer (-1: none)

    def search(self, text: str) -> regex.Match[str] | None:
        """The first match, or None; raises TimeoutError past REGEX_TIMEOUT_S (long answers, risky patterns)."""
        if len(text) <= self.bare_up_to:
            return self.compiled.search(text)
        return self.compiled.search(text, timeout=REGEX_TIMEOUT_S)


_PATTERNS: dict[str, UserPattern] = {}


def user_pattern(pattern: str) -> UserPattern:
    """The pattern compiled, with how long an answer it may search bare; once per pattern text."""
    found = _PATTERNS.get(pattern)
    if found is None:
        if len(_PATTERNS) > 512:
            _PATTERNS.clear()
        found = _PATTERNS[pattern] = UserPattern(regex.compile(pattern), bare_up_to(pattern))
    return found


def bare_up_to(pattern: str) -> int:
    """The longest answer whose worst-case search stays under BUDGET steps; -1 when the pattern may backtrack
    exponentially, or is not understood."""
    try:
        items = _parser.parse(pattern)
        if _ways(items, 0) is None:
            return -1
        size = _size(items)
        low, high = -1, _LONGEST  # bound(n) grows with n: the largest n within the budget, by bisection
        while low < high:
            mid = (low + high + 1) // 2
            ways = _ways(items, mid)
            if ways is not None and (mid + 1) * ways * size <= BUDGET:
                low = mid
            else:
                high = mid - 1
        return low
    except Exception:  # regex-only syntax (\p{L}, fuzzy matching), groups nested too deep to walk: the timer stays
        return -1


def _ways(items: Any, n: int) -> float | None:
    """At most how many ways `items` can match at one place of an n-character text; None when a repeat holds
    something that can match in two ways (exponential), or a node is not understood (a backreference too)."""
    total = 1.0
    for op, av in items:
        if op in _ONE_CHARACTER:
            continue
        if op is _c.SUBPATTERN:
            found = _ways(av[-1], n)
        elif op is _c.ATOMIC_GROUP:
            found = _ways(av, n)
        elif op in _LOOKAROUNDS:  # atomic, but counted as if not: an upper bound
            found = _ways(av[1], n)
        elif op is _c.BRANCH:
            parts = [_ways(p, n) for p in av[1]]
            found = None if None in parts else sum(p for p in parts if p is not None)
        elif op in _REPEATS:
            low, high, body = av
            if _ways(body, _LONGEST) != 1:  # at any length: `(a*)*` is one way on an empty text only
                return None
            found = float(max(1, min(high, n) - low + 1))
        else:  # GROUPREF, GROUPREF_EXISTS, and whatever a later Python adds
            return None
        if found is None:
            return None
        total *= found
    return total


def _size(items: Any) -> int:
    """Nodes in the parse: the steps one path may take at one place, counted generously."""
    total = 0
    for op, av in items:
        total += 1
        if op is _c.SUBPATTERN:
            total += _size(av[-1])
        elif op is _c.ATOMIC_GROUP:
            total += _size(av)
        elif op in _LOOKAROUNDS:
            total += _size(av[1])
        elif op is _c.BRANCH:
            total += sum(_size(p) for p in av[1])
        elif op in _REPEATS:
            total += _size(av[2])
    return total
