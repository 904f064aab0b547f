"""Prompt sets from JSONL and CSV: good, bad and mixed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelpick_tui.evals.promptsets import PromptSetError, load_prompt_set

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "prompts"


@pytest.mark.parametrize("name,count", [("support.jsonl", 30), ("extraction.jsonl", 25), ("code.csv", 25)])
def test_sample_sets_load_whole_with_references(name: str, count: int) -> None:
    ps = load_prompt_set(SAMPLE / name)
    assert len(ps.prompts) == count and ps.errors == []
    assert all(p.reference for p in ps.prompts)
    assert len({p.id for p in ps.prompts}) == count
    assert ps.tags  # every sample set is tagged


def test_extraction_references_are_json_objects() -> None:
    ps = load_prompt_set(SAMPLE / "extraction.jsonl")
    first = ps.prompts[0]
    assert json.loads(first.reference or "") == {"name": "Dana Whitfield", "email": "dana.w@orchardlog.example",
                                                 "company": "Orchard Logistics"}
    assert first.system and "JSON" in first.system
    assert first.tags == ("json", "extraction")


def test_csv_multiline_fields_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text('id,prompt,reference,tags\n'
                    'a,"first\nspans two lines",ref,x;y\n'
                    ',,,\n'
                    'b,second,,z\n'
                    'c,"",ref,\n'
                    'd,too,many,cells,here\n', encoding="utf-8")
    ps = load_prompt_set(path)
    assert [(p.id, p.line, p.tags) for p in ps.prompts] == [("a", 2, ("x", "y")), ("b", 5, ("z",))]
    assert ps.prompts[0].prompt == "first\nspans two lines"
    assert ps.prompts[1].reference is None
    assert [str(e) for e in ps.errors] == ["line 6: no prompt (expected a non-empty 'prompt' field)",
                                          "line 7: 5 cells for 4 columns"]
    assert ps.summary() == "set: 2 prompts (2 bad rows: line 6, line 7)"


def test_jsonl_mixed_file_reports_each_bad_row_and_loads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"id": 1, "prompt": "ok one", "tags": "a, b"}),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"prompt": ""}),
        json.dumps({"id": 1, "prompt": "same id again"}),
        json.dumps({"question": "alias for prompt", "expected": "alias for reference", "system_prompt": "be brief"}),
        json.dumps({"prompt": {"nested": True}}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ps = load_prompt_set(path)
    assert [(p.id, p.prompt) for p in ps.prompts] == [("1", "ok one"), ("mixed-7", "alias for prompt")]
    assert ps.prompts[0].tags == ("a", "b")
    assert ps.prompts[1].reference == "alias for reference" and ps.prompts[1].system == "be brief"
    assert [e.line for e in ps.errors] == [2, 4, 5, 6, 8]
    assert "not valid JSON" in ps.errors[0].message
    assert "duplicate id '1' (first on line 1)" == ps.errors[3].message
    assert "prompt must be text" in ps.errors[4].message


@pytest.mark.parametrize(
    "content,suffix,expected",
    [
        (b"", ".jsonl", "the file is empty"),
        (b"  \n\n", ".csv", "the file is empty"),
        (b"\xff\xfe\x00bad", ".jsonl", "not UTF-8 text"),
        (b"question_text,answer\nx,y\n", ".csv", "no 'prompt' column in the header (columns: question_text, answer)"),
        (b'{"x": 1}\n["y"]\n', ".jsonl", "no usable prompts (2 bad rows; line 1: no prompt"),
        (b"prompt\n", ".txt", "unknown prompt set format '.txt'"),
    ],
)
def test_unusable_files_get_one_clear_message(tmp_path: Path, content: bytes, suffix: str, expected: str) -> None:
    path = tmp_path / f"set{suffix}"
    path.write_bytes(content)
    with pytest.raises(PromptSetError) as err:
        load_prompt_set(path)
    message = str(err.value)
    assert "\n" not in message and expected in message and str(path) in message


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PromptSetError, match="no such file"):
        load_prompt_set(tmp_path / "nope.jsonl")
    folder = tmp_path / "dir.jsonl"
    folder.mkdir()
    with pytest.raises(PromptSetError, match="is a folder"):
        load_prompt_set(folder)


def test_json_array_and_tsv_and_bom(tmp_path: Path) -> None:
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([{"prompt": "a"}, 3, {"prompt": "b", "id": "x"}]), encoding="utf-8")
    ps = load_prompt_set(arr)
    assert [p.id for p in ps.prompts] == ["arr-1", "x"] and [e.line for e in ps.errors] == [2]
    tsv = tmp_path / "t.tsv"
    tsv.write_bytes("\ufeffPrompt\tReference\nhello\tworld\n".encode())
    ps = load_prompt_set(tsv)
    assert [(p.prompt, p.reference) for p in ps.prompts] == [("hello", "world")]
    assert len(ps.sha256) == 64
