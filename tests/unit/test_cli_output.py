"""cli/output.print_rows draws a plain table itself (sparing a command Rich's import): it must print what Rich
prints for the same table, byte for byte, in a pipe and in a terminal, and leave to Rich what it does not draw."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from modelpick_tui.cli import output
from modelpick_tui.cli.output import _plain_table

COLUMNS = (("id", "left"), ("name", "left"), ("done", "right"), ("created", "left"))
ROWS = [
    ["demo-0001", "imported demo.jsonl", "150", "2026-12-02 08:00"],
    ["a1b2c3", "", "3/12", ""],
    ["x", "[bold]not markup[/] \\[b]", "1234567/1234567", "  spaced  out "],
]


class _Out(io.StringIO):
    def __init__(self, tty: bool, encoding: str = "utf-8") -> None:
        super().__init__()
        self._tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def _rich(title: str, columns: tuple[tuple[str, str], ...], rows: list[list[str]], terminal: bool) -> str:
    """What print_table prints: in a pipe at the width the table needs, in a terminal at the window's width."""
    table = Table(title=escape(title), title_justify="left")
    for header, justify in columns:
        table.add_column(escape(header), justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    buf = io.StringIO()
    if terminal:
        Console(file=buf, force_terminal=True, color_system="256", width=120, highlight=False).print(table)
    else:
        probe = Console(file=io.StringIO(), highlight=False)
        needed = probe.measure(table, options=probe.options.update_width(1000)).maximum
        Console(file=buf, width=max(80, needed), highlight=False).print(table)
    return buf.getvalue()


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []], ids=["three rows", "one row", "no rows"])
def test_plain_table_is_richs_table(terminal: bool, rows: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.get_terminal_size", lambda *a: __import__("os").terminal_size((120, 40)))
    ours = _plain_table(f"runs ({len(rows)})", COLUMNS, rows, {"TERM": "xterm-256color"}, _Out(terminal))
    assert ours == _rich(f"runs ({len(rows)})", COLUMNS, rows, terminal)


@pytest.mark.parametrize("why, title, rows, env, out", [
    ("a wide character", "runs", [["模型", "", "1", ""]], {}, _Out(False)),
    ("a control picture from clean()", "runs", [["\u241b[31m", "", "1", ""]], {}, _Out(False)),
    ("a title wider than the table", "a title much wider than the table it is put above", [], {}, _Out(False)),
    ("FORCE_COLOR makes Rich draw for a terminal", "runs", ROWS, {"FORCE_COLOR": "1"}, _Out(False)),
    ("COLUMNS sets Rich's width", "runs", ROWS, {"COLUMNS": "40"}, _Out(True)),
    ("NO_COLOR: Rich decides which styles stay", "runs", ROWS, {"NO_COLOR": "1"}, _Out(True)),
    ("an ASCII-only output: Rich's ASCII box", "runs", ROWS, {}, _Out(False, encoding="ascii")),
    ("a dumb terminal: Rich draws no styles", "runs", ROWS, {"TERM": "dumb"}, _Out(True)),
])
def test_what_rich_would_decide_is_left_to_rich(why: str, title: str, rows: list[list[str]], env: dict[str, str],
                                               out: _Out) -> None:
    assert _plain_table(title, COLUMNS, rows, env, out) is None, why


def test_a_table_wider_than_the_terminal_is_left_to_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.get_terminal_size", lambda *a: __import__("os").terminal_size((40, 24)))
    assert _plain_table("runs", COLUMNS, ROWS, {}, _Out(True)) is None


def test_print_rows_prints_untrusted_cells_safely_either_way(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The cells are made safe as `escape` makes them (controls visible, a URL's password hidden), by the plain
    drawing and by Rich's."""
    cells = [["http://alice:S3cret@h/v1", "\x1b[31mred", "1", ""]]
    output.print_rows("runs", COLUMNS, cells)  # the control picture ␛ is not ASCII: Rich draws it
    via_rich = capsys.readouterr().out
    output.print_rows("runs", COLUMNS, [["http://alice:S3cret@h/v1", "red", "1", ""]])
    plain = capsys.readouterr().out
    for printed in (via_rich, plain):
        assert "http://***@h/v1" in printed and "S3cret" not in printed and "\x1b" not in printed
    assert "\u241b[31mred" in via_rich
