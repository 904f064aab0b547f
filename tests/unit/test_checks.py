"""Checks: each type on good, bad, malformed, unicode and huge answers; checks in prompt sets (bad rows with their
lines, the set's default checks); results stored per trace × check; agreement with the human labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelpick_tui.evals.checks import (
    Answer,
    Check,
    CheckError,
    agreement,
    grade,
    json_difference,
    parse_checks,
    verdict_of,
)
from modelpick_tui.evals.promptsets import load_prompt_set
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from tests.support.paths import SAMPLE


def one(kind: str, value: object, output: str, reference: str | None = None,
        latency_ms: float | None = None) -> tuple[bool, str]:
    check = parse_checks([{"type": kind, **({} if value is None else {"value": value})}])[0]
    result = grade([check], Answer(output, reference, latency_ms))[0]
    return result.passed, result.reason


@pytest.mark.parametrize(("kind", "value", "output", "reference", "passed", "reason"), [
    ("equals", "Paris", "  Paris\n", None, True, "the answer is the expected text"),
    ("equals", "Paris", "paris", None, False, 'expected "Paris", got "paris"'),
    ("equals", None, "42", "42", True, "the answer is the expected text"),
    ("contains", "refund", "a refund within 30 days", None, True, "found at character 2"),
    ("contains", "refund", "no money back", None, False, '"refund" not in the answer'),
    ("icontains", "STRASSE", "Hauptstraße 1", None, True, "found (ignoring case)"),  # casefold: ß → ss
    ("icontains", "Weg", "Hauptstraße 1", None, False, '"Weg" not in the answer (any case)'),
    ("icontains", "ÉTÉ", "en été", None, True, "found (ignoring case)"),
    ("icontains", "größe", "GRÖSSE", None, True, "found (ignoring case)"),
    ("not_contains", "As an AI", "Sure: 4", None, True, "not in the answer"),
    ("not_contains", "As an AI", "As an AI model I cannot", None, False, '"As an AI" at character 0'),
    ("starts_with", "def ", "\n  def f(): pass", None, True, "starts as expected"),
    ("starts_with", "def ", "Here is it: def f()", None, False, 'starts with "Here is it: de", expected "def "'),
    ("regex", r"\b\d{4}-\d{2}-\d{2}\b", "due 2025-03-14.", None, True, "matched at character 4"),
    ("regex", r"^yes$", "no", None, False, "no match for /^yes$/"),
    ("is_json", None, '{"a": 1}', None, True, "a JSON object"),
    ("is_json", None, '```json\n[1, 2]\n```', None, True, "a JSON array"),
    ("is_json", None, '{"a": 1', None, False, "not JSON (Expecting ',' delimiter at line 1 column 8)"),
    ("is_json", None, "Sure! {\"a\": 1}", None, False, "not JSON (Expecting value at line 1 column 1)"),
    ("is_json", None, "", None, False, "not JSON (the answer is empty)"),
    ("json_equals_reference", None, '{"age": 30,\n "name": "Ann"}', '{"name": "Ann", "age": 30.0}', True,
     "equals the reference"),
    ("json_equals_reference", None, '{"name": "Ann", "age": "30"}', '{"name": "Ann", "age": 30}', False,
     'expected key `age` = 30, got "30"'),
    ("json_equals_reference", None, '{"name": "Ann"}', '{"name": "Ann", "age": 30}', False,
     "missing key `age` (expected 30)"),
    ("json_equals_reference", None, '{"a": {"b": [1, true]}}', '{"a": {"b": [1, 1]}}', False,
     "expected key `a.b.1` = 1, got true"),
    ("json_equals_reference", None, '{"ok": true, "n": [1]}', '{"n": [1.0], "ok": true}', True,
     "equals the reference"),
    ("json_equals_reference", None, '{"ok": 1}', '{"ok": true}', False, "expected key `ok` = true, got 1"),
    ("json_equals_reference", None, "not json", '{"a": 1}', False,
     "not JSON (Expecting value at line 1 column 1)"),
    ("json_schema", {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}},
     '{"age": 30}', None, True, "valid under the schema"),
    ("json_schema", {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}},
     '{"age": "30"}', None, False, "at `age`: '30' is not of type 'integer'"),
    ("json_schema", {"type": "object", "required": ["age"]}, "{}", None, False, "'age' is a required property"),
    ("number_close", 0.01, "So the total is 1,240.50", "1240.5", True, "1240.5 is within 0.01 of 1240.5"),
    ("number_close", 0, "2 + 2 = 4, then times 3 is 12", "The answer is 12.", True, "12 is within 0 of 12"),
    ("number_close", 0.5, "about 13", "12", False, "final number 13, expected 12 ± 0.5"),
    ("number_close", 1, "I do not know", "12", False, "no number in the answer (expected 12)"),
    ("max_chars", 5, "héllo", None, True, "5 characters ≤ 5"),
    ("max_chars", 3, "four", None, False, "4 characters > 3"),
    ("max_latency_ms", 500, "x", None, True, "120 ms ≤ 500 ms"),
])
def test_each_check_type(kind: str, value: object, output: str, reference: str | None, passed: bool,
                         reason: str) -> None:
    assert one(kind, value, output, reference, latency_ms=120.0) == (passed, reason)


def test_a_backtracking_regex_on_a_long_answer_fails_instead_of_hanging() -> None:
    # (a|a)+$ on 5,000 "a"s and a "!" backtracks for ever with re; the check stops it and says why.
    passed, reason = one("regex", "(a|a)+$", "a" * 5000 + "!")
    assert not passed and "ran past 1 s on this answer (catastrophic backtracking?)" in reason


def test_latency_check_fails_without_a_latency_and_a_failed_request_fails_every_check() -> None:
    assert one("max_latency_ms", 500, "x") == (False, "no latency measured")
    checks = parse_checks('[{"type": "contains", "value": "a"}, {"type": "max_chars", "value": 10}]')
    results = grade(checks, Answer("", None, None, error="HTTP 500"))
    assert [(r.passed, r.reason) for r in results] == [(False, "no answer: the request failed")] * 2
    assert verdict_of(results) == "fail" and verdict_of([]) is None


def test_huge_and_hostile_answers_are_graded_in_one_line() -> None:
    huge = "x" * 5_000_000 + " the answer is 7"
    assert one("number_close", 0, huge, "7") == (True, "7 is within 0 of 7")
    assert one("max_chars", 100, huge)[1] == "5,000,016 characters > 100"
    assert one("contains", "needle", huge) == (False, '"needle" not in the answer')
    passed, reason = one("is_json", None, "[" * 100_000)
    assert not passed and reason.startswith("not JSON")
    passed, reason = one("is_json", None, "9" * 10_000)  # more digits than int() converts
    assert not passed and reason.startswith("not JSON") and "\n" not in reason and len(reason) <= 60
    big = json.dumps({"k": "v" * 10_000})
    passed, reason = one("json_equals_reference", None, big, json.dumps({"k": "w"}))
    assert not passed and len(reason) < 120 and reason.startswith('expected key `k` = "w", got "vvv')


def test_a_schema_whose_ref_cannot_be_resolved_fails_in_one_line_and_fetches_nothing() -> None:
    passed, reason = one("json_schema", {"$ref": "http://127.0.0.1:9/schema.json"}, "{}")
    assert not passed and reason.startswith("the schema cannot be applied (") and len(reason) <= 60


def test_json_difference_ignores_key_order_and_whitespace_but_not_types() -> None:
    assert json_difference({"a": [1, {"b": None}]}, json.loads('{ "a" : [ 1.0 , {"b":null} ] }')) is None
    assert json_difference({"a": 1}, {"a": 1, "b": 2}) == "unexpected key `b` = 2"
    assert json_difference([1, 2], [1]) == "expected 2 items at `$`, got 1"
    assert json_difference(True, 1) == "expected true, got 1"
    assert json_difference("é", "é") is None


@pytest.mark.parametrize(("raw", "error"), [
    ('[{"type": "similar", "value": "x"}]', "checks[1]: unknown check type 'similar' (known: equals, contains"),
    ('[{"type": "contains"}]', "checks[1] (contains): value must be non-empty text, got null"),
    ('[{"type": "regex", "value": "(unclosed"}]', "checks[1] (regex): not a valid regular expression"),
    ('[{"type": "max_chars", "value": -1}]', "checks[1] (max_chars): value must be a whole number ≥ 0, got -1"),
    ('[{"type": "max_chars", "value": 2.5}]', "checks[1] (max_chars): value must be a whole number ≥ 0"),
    ('[{"type": "number_close", "value": true}]', "checks[1] (number_close): value must be a number ≥ 0"),
    ('[{"type": "json_schema", "value": {"type": "nonsense"}}]', "checks[1] (json_schema): not a valid JSON Schema"),
    ('[{"type": "is_json", "value": "x"}]', 'checks[1] (is_json): takes no value, got "x"'),
    ('[{"type": "contains", "value": "a", "weight": 2}]', "checks[1] (contains): unknown field 'weight'"),
    ('[1]', 'checks[1]: expected an object with a "type", got 1'),
    ('{not json', "checks: not valid JSON"),
    ('"contains"', "checks must be a list"),
])
def test_malformed_checks_are_one_line(raw: str, error: str) -> None:
    with pytest.raises(CheckError) as info:
        parse_checks(raw)
    assert str(info.value).startswith(error) and "\n" not in str(info.value)


def test_prompt_set_checks_bad_rows_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rows = [
        {"default_checks": [{"type": "max_chars", "value": 200}]},
        {"id": "a", "prompt": "2+2?", "reference": "4", "checks": [{"type": "number_close", "value": 0}]},
        {"id": "b", "prompt": "name?", "checks": [{"type": "nope"}]},
        {"id": "c", "prompt": "json?", "reference": "not json", "checks": [{"type": "json_equals_reference"}]},
        {"id": "d", "prompt": "x?", "reference": "no digits", "checks": [{"type": "number_close", "value": 1}]},
        {"id": "e", "prompt": "plain"},
        {"default_checks": [{"type": "contains"}]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    ps = load_prompt_set(path)
    assert [p.id for p in ps.prompts] == ["a", "e"]
    assert ps.prompts[0].checks == (Check("max_chars", 200), Check("number_close", 0))
    assert ps.prompts[1].checks == (Check("max_chars", 200),)
    assert [str(e) for e in ps.errors] == [
        "line 3: checks[1]: unknown check type 'nope' (known: equals, contains, icontains, not_contains, "
        "starts_with, regex, is_json, json_schema, json_equals_reference, number_close, max_chars, max_latency_ms)",
        "line 4: check json_equals_reference: the reference is not JSON",
        "line 5: check number_close: the reference holds no number",
        "line 7: default_checks[1] (contains): value must be non-empty text, got null"]


def test_csv_checks_column_and_a_checks_file_beside_the_set(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,prompt,reference,checks\n'
                    'a,Capital of France?,Paris,"[{""type"": ""icontains"", ""value"": ""paris""}]"\n'
                    'b,Say hi,,"[{""type"": ""regex"", ""value"": ""[""}]"\n', encoding="utf-8")
    (tmp_path / "q.checks.json").write_text('[{"type": "not_contains", "value": "As an AI"}]', encoding="utf-8")
    ps = load_prompt_set(path)
    assert [p.checks for p in ps.prompts] == [(Check("not_contains", "As an AI"), Check("icontains", "paris"))]
    assert [e.line for e in ps.errors] == [3] and "not a valid regular expression" in ps.errors[0].message


def test_sample_sets_carry_checks_their_references_pass() -> None:
    for name in ("extraction.jsonl", "code.csv", "support.jsonl"):
        ps = load_prompt_set(SAMPLE / "prompts" / name)
        assert ps.errors == [] and all(p.checks for p in ps.prompts), name
        if name == "extraction.jsonl":
            assert all(Check("json_equals_reference") in p.checks for p in ps.prompts)
        for p in ps.prompts:  # the reference answer itself passes every check of its prompt
            results = grade(p.checks, Answer(p.reference or "", p.reference, 100.0))
            assert verdict_of(results) == "pass", (name, p.id, [r.line() for r in results if not r.passed])


def test_results_are_stored_per_trace_and_check_and_regraded(services: Services) -> None:
    path = services.settings.home / "set.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": "q", "prompt": "2+2?", "reference": "4",
                                "checks": [{"type": "number_close", "value": 0}, {"type": "max_chars", "value": 20}]})
                    + "\n", encoding="utf-8")
    ps = load_prompt_set(path)
    set_id = services.prompt_sets.save(ps)
    run = services.traces.create_run(kind="set", prompt_set_id=set_id)
    outputs = ["4", "It is 5", "four, definitely four, without any doubt"]
    traces = [Trace(run_id=run, prompt="2+2?", endpoint=f"e{i}", model="m", output=o, prompt_set_id=set_id,
                    prompt_id="q", reference="4") for i, o in enumerate(outputs)]
    services.traces.add_many(traces)
    graded = services.checks.regrade(run)
    assert {t: verdict_of(r) for t, r in graded.items()} == {traces[0].id: "pass", traces[1].id: "fail",
                                                             traces[2].id: "fail"}
    stored = services.checks.results([traces[2].id])[traces[2].id]
    assert [(r.index, r.check.type, r.passed, r.reason) for r in stored] == [
        (0, "number_close", False, "no number in the answer (expected 4)"),
        (1, "max_chars", False, "40 characters > 20")]
    # the set's checks change: read again, the stored rows are replaced (one check now)
    path.write_text(json.dumps({"id": "q", "prompt": "2+2?", "reference": "4",
                                "checks": [{"type": "icontains", "value": "four"}]}) + "\n", encoding="utf-8")
    assert services.prompt_sets.set_checks(set_id, load_prompt_set(path)) == 1
    services.checks.regrade(run)
    assert services.checks.verdicts(run) == {traces[0].id: "fail", traces[1].id: "fail", traces[2].id: "pass"}
    assert len(services.checks.results([traces[2].id])[traces[2].id]) == 1
    # agreement with the humans: one disagreement, named
    services.review.label(traces[0].id, "pass")
    services.review.label(traces[1].id, "fail")
    services.review.label(traces[2].id, "pass")
    found = services.checks.agreement(run)
    assert (found.n, round(found.percent, 3), found.confusion) == (
        3, 0.667, {"pass/pass": 1, "pass/fail": 1, "fail/pass": 0, "fail/fail": 1})
    assert found.disagreements == [(traces[0].id, "pass", "fail")]


def test_agreement_kappa_against_a_hand_computed_table() -> None:
    # 10 traces: human pass/checks pass 4, pass/fail 1, fail/pass 2, fail/fail 3. p_o = 0.7;
    # p_e = 0.5·0.6 + 0.5·0.4 = 0.5; kappa = (0.7 − 0.5) / 0.5 = 0.4.
    pairs = [("pass", "pass")] * 4 + [("pass", "fail")] + [("fail", "pass")] * 2 + [("fail", "fail")] * 3
    human = {f"t{i}": h for i, (h, _) in enumerate(pairs)}
    machine = {f"t{i}": c for i, (_, c) in enumerate(pairs)}
    machine["unlabelled"] = "pass"
    found = agreement(human, machine)
    assert (found.n, found.percent, round(found.kappa or 0, 6)) == (10, 0.7, 0.4)
    assert sorted(t for t, _, _ in found.disagreements) == ["t4", "t5", "t6"]
