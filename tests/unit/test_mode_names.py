"""Suggested failure-mode names: the answer of the naming model cleaned into one short, inert line, and the
`failures --namer` flow against a fake OpenAI-compatible server on 127.0.0.1 that answers with a hostile page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelpick_tui.cli import main
from modelpick_tui.evals.mode_names import MAX_NAME, name_from_answer
from tests.support.hostile import BAD
from tests.support.namer_server import NamerServer
from tests.unit.test_cli_failures import db, run  # noqa: F401 - the fixture: 8 failed traces, 2 modes

# A name, wrapped the way models wrap it, carrying terminal escapes (clear screen, OSC 52 clipboard, a C1 CSI)
# and Rich markup, then 10 kB more.
HOSTILE = ("**Name: \"\x1b[2J\x1b]52;c;ZXZpbA==\x07[bold red]Over[/]-refusal\x9b31m\"**\n"
           + "Here is why: " + "A" * 10_000)


@pytest.mark.parametrize(("answer", "name"), [
    ("Over-refusal", "Over-refusal"),
    ('**Name: "Broken JSON"**\n\nThe outputs are not valid JSON.', "Broken JSON"),
    ("\n\n# Refuses harmless requests.\n", "Refuses harmless requests"),
    ("- `wrong arithmetic`", "wrong arithmetic"),
    ("B" * 10_000, "B" * (MAX_NAME - 1) + "…"),
    ("   \n  ", ""),
])
def test_the_name_is_the_first_line_unwrapped_and_cut(answer: str, name: str) -> None:
    assert name_from_answer(answer) == name


def test_escapes_and_markup_stay_visible_text() -> None:
    name = name_from_answer(HOSTILE)
    assert not BAD.search(name) and len(name) <= MAX_NAME
    assert name.startswith("␛[2J␛]52;c;ZXZpbA==␇[bold red]Over[/]-refusal")


def cli(path: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["--db", str(path), *args])
    assert result.exit_code == 0, result.output


def test_a_hostile_namer_gives_each_mode_one_short_inert_suggested_name(db: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    path, notes = db
    with NamerServer(answer=HOSTILE) as namer:
        cli(path, "endpoint", "add", "namer-box", namer.url, "namer")
        result = run(path, "--namer", "namer-box", "--json")
        assert result.exit_code == 0, result.output
        assert "failure modes are named by namer-box (namer)" in result.stderr
        assert "2 modes named by namer-box" in result.stderr
        modes = json.loads(result.stdout)["modes"]
        assert len(modes) == 2 and len(namer.prompts) == 2
        for mode in modes:
            suggested = mode["suggested_name"]
            assert suggested == name_from_answer(HOSTILE) and mode["suggested_by"] == "namer-box"
            assert "json" in mode["name"] or "refused" in mode["name"]  # the top terms stay the mode's name
            prompt = next(p for p in namer.prompts if notes[mode["trace_ids"][0]] in p)  # its own notes were sent
            assert all(notes[t] in prompt for t in mode["trace_ids"])

        text = run(path).output  # named once: listing again asks nothing
        assert len(namer.prompts) == 2
    assert text.count("(suggested)") == 2 and "[bold red]Over[/]-refusal" in text  # markup shown, not applied
    assert not BAD.search(text)

    json_id = next(m["id"] for m in modes if "json" in m["name"])
    run(path, "rename", json_id, "Broken", "JSON")  # a person's name replaces the suggestion on screen
    assert run(path).output.count("(suggested)") == 1
    assert "no model names failure modes now" in run(path, "--namer", "none").stderr
    refused = run(path, "--namer", "nobody")
    assert refused.exit_code == 1 and refused.stderr.strip() == "error: no server or endpoint named 'nobody'"


def test_a_namer_that_is_gone_is_one_line_and_the_listing_goes_on(db: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    path, _ = db
    with NamerServer() as namer:
        cli(path, "endpoint", "add", "namer-box", namer.url, "namer")
    result = run(path, "--namer", "namer-box")  # stopped since: every request fails
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "0 modes named by namer-box" in result.stdout
    assert result.stderr.count("connection refused (is the server running?)") == 2
    assert [line.split(":")[0] for line in result.stderr.splitlines() if "not named" in line] == [
        "not named m1", "not named m2"]
    assert result.stdout.count("(suggested)") == 0 and "json" in result.stdout  # the modes, listed all the same
    data = json.loads(run(path, "--json").stdout)
    assert all(m["suggested_name"] is None for m in data["modes"])


def test_a_page_cut_before_its_first_line_ends_is_no_name(db: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    path, _ = db
    with NamerServer(answer="B" * 10_000) as namer:  # ignores max_tokens: the client cuts it mid-line
        cli(path, "endpoint", "add", "namer-box", namer.url, "namer")
        result = run(path, "--namer", "namer-box", "--json")
    assert result.exit_code == 0 and "0 modes named by namer-box" in result.stderr
    assert result.stderr.count("where max_tokens is 24 (the server ignores max_tokens)") == 2
    assert all(m["suggested_name"] is None for m in json.loads(result.stdout)["modes"])
