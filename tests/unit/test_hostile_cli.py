"""One hostile record (ids, names, notes, outputs with ESC/CSI, OSC 52, OSC 8, C1 bytes, Rich markup, Markdown
images and links, backticks, a URL with a password) through every command that prints it: no control
character of the record's reaches the output, no markup is interpreted, no password is shown; the decision
report's Markdown neutralises image, link and code-span syntax."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from tests.support.hostile import BAD, HOSTILE, records


def _cli(home: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", str(home / "modelpick.db"), *args],
                                env={"MODELPICK_HOME": str(home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def _assert_safe(what: str, text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in BAD.findall(text.replace("\n", "").replace("\t", ""))})
    assert not bad, f"{what}: control characters {bad} in the output"
    assert "S3cret" not in text, f"{what}: the password is shown"
    for marker, tag in (("HOSTILE-A", "[bold red]"), ("HOSTILE-B", "[link=http://evil.example]")):
        if marker in text:  # shown: then as the record's literal text, not as interpreted markup
            assert tag + marker in text, f"{what}: {tag} was interpreted"
    assert "Traceback" not in text, what


def test_every_command_prints_the_hostile_record_inert(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = tmp_path / "hostile.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    imported = _cli(home, "import", str(source))
    assert imported.exit_code == 0 and "imported 4 traces, 4 labels" in imported.output, imported.output
    reports = tmp_path / "reports"
    commands = [("runs",), ("runs", "--json"), ("labels",), ("labels", "--json"), ("scoreboard",),
                ("scoreboard", "--json"), ("failures", "--recluster", "--method", "tfidf"), ("failures",),
                ("failures", "--json"), ("rubric", "--draft"), ("report", "--out", str(reports)),
                ("report", "--json", "--out", str(reports)), ("servers", "--all"),
                ("export", str(tmp_path / "x.jsonl")), ("import", str(source)), ("checks",), ("checks", "--json"),
                ("diff", "r-" + HOSTILE, "r-" + HOSTILE), ("diff", "--json", "r-" + HOSTILE, "r-" + HOSTILE),
                ("prompt", "list"), ("promptset", str(source))]
    shown = {}
    for args in commands:
        result = _cli(home, *args)
        assert result.exit_code in (0, 1), (args, result.output)
        _assert_safe(" ".join(args), result.stdout + result.stderr)
        shown[args] = result.stdout
    # The commands did show the record (so the checks above looked at it), as its literal text.
    assert "[bold red]HOSTILE-A" in shown[("runs",)] and "␛" in shown[("runs",)]
    assert "[bold red]HOSTILE-A" in shown[("labels",)] and "[bold red]HOSTILE-A" in shown[("scoreboard",)]
    listed = [json.loads(line) for line in shown[("runs", "--json")].splitlines()]
    assert listed[0]["id"] == "r-" + HOSTILE  # the JSON still decodes to the very text
    [markdown] = sorted(reports.glob("*.md"))[:1]
    text = markdown.read_text(encoding="utf-8")
    _assert_safe("the Markdown report", text)
    # Code spans as CommonMark closes them (a run of backticks ends only at a run of the same length): inside,
    # nothing is interpreted; outside, no image or link syntax of the record's may be left.
    spans = re.compile(r"(?<![`\\])(`+)(?!`)(.*?)(?<!`)\1(?!`)")  # a backslash-escaped backtick opens none
    prose = spans.sub("", text)
    assert "![x](" not in prose and "](http://evil.example" not in prose, "an image or link survives"
    assert "\\!\\[x\\]\\(http://evil.example/p.png\\)" in prose
    # The record's backticks did not end its code span early: each span holds the whole of `tick``.
    held = [body for _, body in spans.findall(text) if "tick" in body]
    assert held and all("`tick``" in body for body in held)
