"""Files a user names that are not what they seem (issue 11, "Unbounded"): a symlink to /dev/zero, a FIFO, a
folder, a file over the size cap, JSON nested 100k deep, a prompt far over the length limit. Each gives one line
naming the cap (its default and how to change it), in bounded time and memory, and loses nothing already stored.

Each hostile path is run through the three commands that read a user's file — `promptset` (the reader
`run` uses), `import` and `rubric --edit` — in a process of its own, so a hang is killed by the timeout and
the process's own peak RSS is measured."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from tests.support.processes import modelpick_measured

# Before these caps, /dev/zero took 3-6 GB in 20 s and a FIFO hung forever; the CLI itself needs ~100 MB.
RSS_LIMIT_MB = 400
TIME_LIMIT_S = 30

COMMANDS = {  # the command, and what its messages call the file
    "promptset": (("promptset", "{path}"), "a prompt set file"),
    "import": (("import", "{path}"), "a file of traces"),
    "rubric": (("rubric", "--edit", "{path}"), "a rubric"),
}


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def error_lines(text: str) -> list[str]:
    """The lines of an error output, less their "Error: " (click's) or "error: " (modelpick's) prefix."""
    return [line.split(": ", 1)[1] if line.lower().startswith("error: ") else line for line in lines(text)]


def modelpick(tmp_path: Path, db: Path, *args: str, env: dict[str, str] | None = None,
              ) -> tuple[int, str, str, float, float]:
    """(exit code, stdout, stderr, seconds, peak RSS in MB) of `modelpick --db DB ARGS` in its own process."""
    done = modelpick_measured(tmp_path, db, *args, timeout=TIME_LIMIT_S, env=env)
    return done.code, done.stdout, done.stderr, done.seconds, done.peak_rss_mb


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A database holding one imported trace and a rubric: what a refused file must leave as it was."""
    db = tmp_path / "db" / "modelpick.db"
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "t1", "prompt": "hi", "model": "m", "output": "hello", "verdict": "pass"})
                    + "\n", encoding="utf-8")
    assert cli(db, "import", str(good)).output.strip() == "imported 1 traces, 1 labels; 0 bad rows"
    rubric = tmp_path / "rubric.txt"
    rubric.write_text("PASS when polite.\n", encoding="utf-8")
    assert cli(db, "rubric", "--edit", str(rubric)).exit_code == 0
    return db


def assert_nothing_lost(db: Path) -> None:
    labels = [json.loads(line) for line in lines(cli(db, "labels", "--json").output)]
    assert [(r["traces"], r["pass"]) for r in labels] == [(1, 1)]
    assert cli(db, "rubric").output == "PASS when polite.\n"


def hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"hostile-{kind}.jsonl"
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)  # nobody ever writes to it: reading it would wait forever
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("kind", "says"), [
    ("dev-zero", "is a device, not a regular file: only regular files are read as"),
    ("fifo", "is a FIFO, not a regular file: only regular files are read as"),
])
def test_a_file_that_is_not_a_regular_file_is_one_line_fast_and_small(
        tmp_path: Path, stored: Path, command: str, kind: str, says: str) -> None:
    path = hostile(tmp_path, kind)
    args, what = COMMANDS[command]
    code, out, err, seconds, rss_mb = modelpick(tmp_path, stored, *(arg.format(path=path) for arg in args))
    assert code == 1 and out == ""
    assert error_lines(err) == [f"{path}: {says} {what}"]
    assert seconds < TIME_LIMIT_S and rss_mb < RSS_LIMIT_MB, (seconds, rss_mb)
    assert_nothing_lost(stored)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_over_the_size_cap_names_the_cap_and_how_to_raise_it(tmp_path: Path, stored: Path,
                                                                   command: str) -> None:
    big = tmp_path / "big.jsonl"
    row = json.dumps({"id": "x", "prompt": "p" * 1000, "model": "m", "output": "o"}) + "\n"
    with big.open("w", encoding="utf-8") as fh:
        for i in range(2100):  # ~2.2 MB
            fh.write(row.replace('"x"', f'"x{i}"'))
    args, what = COMMANDS[command]
    code, out, err, _, rss_mb = modelpick(tmp_path, stored, *(arg.format(path=big) for arg in args),
                                          env={"MODELPICK_MAX_FILE_MB": "2"})
    assert code == 1 and out == ""
    assert error_lines(err) == [f"{big}: 2.2 MB, over the 2 MB limit for {what} (default 100 MB; set "
                          "MODELPICK_MAX_FILE_MB to raise it)"]
    assert rss_mb < RSS_LIMIT_MB
    assert_nothing_lost(stored)
    if command == "import":  # raised, the same file loads whole
        raised = cli(stored, "import", str(big), env={"MODELPICK_MAX_FILE_MB": "3"})
        assert raised.output.strip() == "imported 2100 traces, 0 labels; 0 bad rows"


def test_a_folder_is_one_line(tmp_path: Path, stored: Path) -> None:
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    for command, what in (("promptset", "a prompt set file"), ("import", "a file of traces")):
        result = cli(stored, command, str(folder))
        assert result.exit_code == 1 and error_lines(result.stderr) == [f"{folder}: is a folder, not {what}"]
    assert_nothing_lost(stored)


def test_a_bad_cap_in_the_environment_is_one_line(tmp_path: Path, stored: Path) -> None:
    result = cli(stored, "import", str(tmp_path / "good.jsonl"), env={"MODELPICK_MAX_FILE_MB": "lots"})
    assert result.exit_code == 1
    assert error_lines(result.stderr) == ["MODELPICK_MAX_FILE_MB='lots' is not a whole number > 0 (default 100)"]


# --- JSON nesting ------------------------------------------------------------------------------------------


def test_json_nested_100k_deep_is_one_line_with_its_line_and_the_other_rows_load(tmp_path: Path,
                                                                                stored: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    traces = tmp_path / "deep.jsonl"
    good = [{"id": f"d{i}", "prompt": "hi", "model": "m", "output": "o"} for i in range(2)]
    traces.write_text("\n".join([json.dumps(good[0]), deep, '{"prompt": ' + deep + "}", json.dumps(good[1])]),
                      encoding="utf-8")
    result = cli(stored, "import", str(traces))
    assert result.exit_code == 0
    assert result.output.strip() == ("imported 2 traces, 0 labels; 2 bad rows: line 2: nested more than 100 levels "
                                     "deep (a fixed limit); line 3: nested more than 100 levels deep (a fixed "
                                     "limit)")
    prompts = tmp_path / "deep-set.jsonl"
    prompts.write_text('{"prompt": "a"}\n' + deep + "\n", encoding="utf-8")
    checked = cli(stored, "promptset", str(prompts))
    assert checked.exit_code == 0 and checked.stdout.strip() == "deep-set: 1 prompt (1 bad row: line 2)"
    assert lines(checked.stderr) == ["bad row line 2: nested more than 100 levels deep (a fixed limit)"]
    # One JSON array, nested deep on its third line: the whole file is refused, naming that line.
    array = tmp_path / "deep.json"
    array.write_text('[\n{"prompt": "a", "model": "m"},\n' + deep + "\n]\n", encoding="utf-8")
    for command in ("promptset", "import"):
        refused = cli(stored, command, str(array))
        assert refused.exit_code == 1
        assert error_lines(refused.output) == [f"{array}: not valid JSON (line 3: nested more than 100 levels "
                                         "deep (a fixed limit))"]


def test_nesting_up_to_the_limit_loads(tmp_path: Path, stored: Path) -> None:
    nested: object = "x"
    for _ in range(98):  # the record is level 1, params level 2, these lists 3-100
        nested = [nested]
    traces = tmp_path / "nested.jsonl"
    traces.write_text(json.dumps({"id": "n1", "prompt": "hi", "model": "m", "params": {"deep": nested}}) + "\n"
                      + json.dumps({"id": "n2", "prompt": "hi", "model": "m", "params": {"deep": [nested]}}) + "\n",
                      encoding="utf-8")
    result = cli(stored, "import", str(traces))
    assert result.output.strip() == ("imported 1 traces, 0 labels; 1 bad row: line 2: nested more than 100 levels "
                                     "deep (a fixed limit)")


# --- the prompt length limit is the same on import as in prompt sets ---------------------------------------


def test_import_refuses_a_prompt_over_the_prompt_set_limit_and_loads_the_rest(tmp_path: Path,
                                                                              stored: Path) -> None:
    long = "x" * 200_001
    rows = [{"id": "a", "prompt": "short", "model": "m"}, {"id": "b", "prompt": long, "model": "m"},
            {"id": "c", "prompt": "x" * 200_000, "model": "m"}]
    traces = tmp_path / "long.jsonl"
    traces.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    why = ("prompt is 200,001 characters, more than the limit of 200,000 (default 200,000; set "
           "MODELPICK_MAX_PROMPT_CHARS to raise it)")
    result = cli(stored, "import", str(traces))
    assert result.exit_code == 0 and result.output.strip() == f"imported 2 traces, 0 labels; 1 bad row: line 2: {why}"
    prompts = tmp_path / "long-set.jsonl"
    prompts.write_text("".join(json.dumps({"prompt": r["prompt"]}) + "\n" for r in rows), encoding="utf-8")
    checked = cli(stored, "promptset", str(prompts))
    assert checked.stdout.strip() == "long-set: 2 prompts (1 bad row: line 2)"
    assert lines(checked.stderr) == [f"bad row line 2: {why}"]
    raised = cli(stored, "import", str(traces), env={"MODELPICK_MAX_PROMPT_CHARS": "300000"})
    assert raised.output.strip() == "imported 1 traces, 0 labels (2 traces already here); 0 bad rows"
