"""Damaged databases (issue 11): garbage in the file, a read-only file, a full disk, a database from a newer
modelpick, a column renamed outside modelpick, two first launches at once. Each is one line and a non-zero exit,
never a traceback; a command that writes stops before writing; what was committed before is still there."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui import db as dbmod
from modelpick_tui.cli import main
from modelpick_tui.db_columns import COLUMNS

N_TRACES = 300


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env)
    # Only click's own exits: any other exception would have been a traceback for the user.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def write_traces(path: Path, n: int, prefix: str = "t") -> Path:
    rows = [{"id": f"{prefix}{i}", "prompt": f"question {i}", "model": "m", "output": f"answer {i} " + "x" * 2000,
             "verdict": "pass" if i % 2 else "fail", "note": ""} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A database with N_TRACES imported and labelled traces, closed (checkpointed into the file)."""
    db = tmp_path / "home" / "modelpick.db"
    result = cli("--db", str(db), "import", str(write_traces(tmp_path / "traces.jsonl", N_TRACES)))
    assert result.exit_code == 0, result.output
    return db


def count_traces(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from traces").fetchone()[0])


def one_line(result: Result, *needles: str) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_garbage_in_the_middle_reads_say_what_to_do_and_writes_stop(filled: Path, tmp_path: Path) -> None:
    size = filled.stat().st_size
    with filled.open("r+b") as f:  # the middle third: the traces' pages (the schema's are at the front)
        f.seek(size // 3)
        f.write(b"\xde\xad\xbe\xef" * (size // 12))
    damaged = filled.read_bytes()
    for command in (["labels"], ["runs"], ["export", str(tmp_path / "out.csv")], ["scoreboard"]):
        one_line(cli("--db", str(filled), *command), "is damaged", "PRAGMA integrity_check", ".recover",
                 str(filled))
    # Commands that write refuse before writing: the file is byte for byte what it was.
    more = write_traces(tmp_path / "more.jsonl", 3, prefix="new")
    one_line(cli("--db", str(filled), "import", str(more)), "is damaged", "nothing more is written")
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"id": "p1", "prompt": "hi"}\n', encoding="utf-8")
    ran = cli("--db", str(filled), "run", str(prompts), "-e", "http://127.0.0.1:9/v1", "--model", "m")
    assert ran.exit_code != 0 and "is damaged" in ran.output and "Traceback" not in ran.output, ran.output
    assert filled.read_bytes() == damaged


def test_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "modelpick.db"
    path.write_bytes(b"this is not sqlite at all " * 400)
    one_line(cli("--db", str(path), "runs"), "cannot open the database", "not a database", ".recover")


def test_read_only_reads_and_refuses_writes_in_one_line(filled: Path, tmp_path: Path) -> None:
    ro = {"MODELPICK_DB": f"file:{filled}?mode=ro"}
    assert cli("runs", env=ro).exit_code == 0
    more = write_traces(tmp_path / "more.jsonl", 3, prefix="new")
    one_line(cli("import", str(more), env=ro), "is read-only", "what was saved before is kept")
    assert count_traces(filled) == N_TRACES


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(filled: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    connect: Callable[..., object] = dbmod._connect

    def full_soon(path: Path | None, busy_timeout_s: float) -> object:
        db = connect(path, busy_timeout_s)
        pages = db.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[attr-defined]
        db.execute(f"PRAGMA max_page_count = {pages + 5}")  # type: ignore[attr-defined]
        return db

    monkeypatch.setattr(dbmod, "_connect", full_soon)
    more = write_traces(tmp_path / "more.jsonl", 200, prefix="new")
    one_line(cli("--db", str(filled), "import", str(more)), "could not be read or written", "disk is full",
             "what was saved before is kept")
    monkeypatch.undo()
    assert count_traces(filled) == N_TRACES
    with sqlite3.connect(filled) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_database_from_a_newer_modelpick_is_refused(filled: Path) -> None:
    with sqlite3.connect(filled) as conn:
        conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at)"
                     " values ('modelpick', 'm999_future', '2030-01-01')")
    known = [fn.__name__ for fn, _ in dbmod.migrations._fns]
    one_line(cli("--db", str(filled), "runs"), "newer modelpick", "m999_future", known[-1])
    assert count_traces(filled) == N_TRACES


def test_a_renamed_column_is_one_line_not_an_empty_export(filled: Path, tmp_path: Path) -> None:
    with sqlite3.connect(filled) as conn:
        conn.execute("alter table traces rename column output to answer")
    out = tmp_path / "out.jsonl"
    one_line(cli("--db", str(filled), "export", str(out)), "traces.output", "changed outside modelpick")
    assert not out.exists()


def test_two_first_launches_at_once_both_succeed(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "modelpick.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-m", "modelpick_tui", "--db", str(db), "runs"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for rc, _out, err in outcomes:
        assert rc == 0, err
    with sqlite3.connect(db) as conn:
        applied = [r[0] for r in conn.execute("select name from _sqlite_migrations")]
    assert sorted(applied) == sorted(fn.__name__ for fn, _ in dbmod.migrations._fns)  # each once


def test_the_column_list_is_the_schema_the_migrations_build() -> None:
    db = dbmod.Database(None).open()
    rows = db.sqlite.execute("select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p"
                             " where m.type = 'table' and m.name not like 'models_fts%'"
                             " and m.name not like '\\_%' escape '\\' and m.name not like 'sqlite%'").fetchall()
    built: dict[str, set[str]] = {}
    for table, column in rows:
        built.setdefault(table, set()).add(column)
    assert {t: set(c) for t, c in COLUMNS.items()} == built
