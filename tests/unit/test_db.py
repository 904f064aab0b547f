"""The one Database (db.py): writes begin IMMEDIATE, commit or roll back as one, nest as savepoints, wait for
another process's write instead of failing, and the file is opened only when first used."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from modelpick_tui import db as db_module
from modelpick_tui.db import (
    SCHEMA_PATH,
    Database,
    DatabaseBusyError,
    _sqlite_utils,
    dump_schema,
    migrated_schema,
    migrations,
    open_db,
)
from modelpick_tui.services import build_services
from modelpick_tui.settings import Settings

PKG = Path(__file__).resolve().parents[2] / "modelpick_tui"


def meta(db: Database) -> dict[str, str]:
    return {r["key"]: r["value"] for r in db.query("select key, value from meta")}


def test_a_write_commits_as_one_and_a_failing_one_leaves_nothing(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    with db.write() as conn:
        conn.table("meta").insert({"key": "a", "value": "1"})
        conn.table("meta").insert({"key": "b", "value": "2"})
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.table("meta").insert({"key": "c", "value": "3"})
        raise RuntimeError("half-way")
    # A nested write is a savepoint: its failure undoes it alone, the outer transaction commits.
    with db.write() as conn:
        conn.table("meta").insert({"key": "d", "value": "4"})
        with pytest.raises(RuntimeError), db.write() as inner:
            inner.table("meta").insert({"key": "e", "value": "5"})
            raise RuntimeError("inner")
    db.close()
    assert meta(open_db(tmp_path / "m.db")) == {"a": "1", "b": "2", "d": "4"}


def test_a_write_holds_the_write_lock_from_its_first_read(tmp_path: Path) -> None:
    """What broke six `modelpick run`s: a transaction that reads, then writes, found another process's commit
    in between and got "database is locked" at once. A write here takes the lock before it reads, so the
    other process waits (here: its short timeout runs out) and this one's write goes through."""
    db = open_db(tmp_path / "m.db")
    other = sqlite3.connect(str(tmp_path / "m.db"), timeout=0.2)
    try:
        with db.write() as conn:
            assert conn.execute("select count(*) from meta").fetchone()[0] == 0
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("insert into meta (key, value) values ('other', 'x')")
            other.rollback()
            conn.table("meta").insert({"key": "mine", "value": "y"})
    finally:
        other.close()
    assert meta(db) == {"mine": "y"}


def test_a_write_waits_for_another_process_and_then_goes_through(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    other = sqlite3.connect(str(tmp_path / "m.db"), check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("insert into meta (key, value) values ('first', '1')")
    release = threading.Timer(0.3, other.commit)  # the other process finishes while this one waits
    release.start()
    try:
        with db.write() as conn:
            # The other's commit is seen: this transaction began after it.
            assert conn.execute("select value from meta where key = 'first'").fetchone()[0] == "1"
            conn.table("meta").insert({"key": "second", "value": "2"})
    finally:
        release.join()
        other.close()
    assert meta(db) == {"first": "1", "second": "2"}


def test_a_lock_held_too_long_is_one_clear_error(tmp_path: Path) -> None:
    db = Database(tmp_path / "m.db", busy_timeout_s=0.2).open()
    other = sqlite3.connect(str(tmp_path / "m.db"))
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusyError) as err, db.write():
            pass
    finally:
        other.rollback()
        other.close()
    assert "another modelpick held it for over 0.2 s" in str(err.value) and "\n" not in str(err.value)
    with db.write() as conn:  # and the database is usable again at once
        conn.table("meta").insert({"key": "k", "value": "v"})
    assert meta(db) == {"k": "v"}


def test_the_file_opens_on_first_use_and_importing_db_stays_cheap(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db", sample_dir=tmp_path,
                        hf_offline=True)
    services = build_services(settings, open_db_now=False)
    try:
        assert not services.db.is_open and not settings.db_path.exists()
        assert services.traces.runs() == []  # a store's first read opens (and migrates) the file
        assert services.db.is_open and settings.db_path.exists()
        assert services.catalog.store.database is services.db and services.review.lock is services.db.lock
    finally:
        services.close()
    code = "import sys, modelpick_tui.db, modelpick_tui.services; print('sqlite_utils' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# Transaction control outside db.py would bypass BEGIN IMMEDIATE (and the one lock).
_OWN_TRANSACTIONS = re.compile(r"\.atomic\(|with [\w.]*\.conn\b|\.commit\(\)|\bBEGIN\b|isolation_level")


def test_only_db_py_begins_or_commits_transactions() -> None:
    offenders = {
        f"{p.relative_to(PKG)}:{n}": line.strip()
        for p in PKG.rglob("*.py") if p.name != "db.py"
        for n, line in enumerate(p.read_text().splitlines(), 1) if _OWN_TRANSACTIONS.search(line)
    }
    assert offenders == {}


def test_the_cli_says_the_database_is_busy_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from modelpick_tui.cli import main

    path = tmp_path / "m.db"
    open_db(path).close()
    traces = tmp_path / "t.jsonl"
    traces.write_text('{"id": "t1", "prompt": "p", "model": "m", "output": "o", "verdict": "pass"}\n')
    monkeypatch.setenv("MODELPICK_DB_BUSY_TIMEOUT", "0.2")
    other = sqlite3.connect(str(path))
    other.execute("BEGIN IMMEDIATE")  # another modelpick in the middle of a write that does not end
    try:
        result = CliRunner().invoke(main, ["--db", str(path), "import", str(traces)])
    finally:
        other.rollback()
        other.close()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: the database is busy: another modelpick held it for over 0.2 s (database is locked)"]


def _schema(conn: sqlite3.Connection) -> tuple[list[tuple[str, ...]], list[str]]:
    """Everything sqlite_master holds (FTS5's shadow tables too), and the migrations marked as applied."""
    objects = sorted(conn.execute("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master").fetchall())
    return objects, [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]


def _migrated(path: Path, **options: str) -> sqlite3.Connection:
    """A database made by the migrations themselves, through sqlite-utils (as before schema.sql)."""
    conn = sqlite3.connect(str(path))
    migrations.apply(_sqlite_utils(conn), **options)
    return conn


def test_schema_sql_is_what_the_migrations_create() -> None:
    """A new database is made from schema.sql in one script: it must be the migrations' own result."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == migrated_schema(), (
        "schema.sql is out of date: run `python -m modelpick_tui.db` after adding a migration")


def test_a_new_database_from_the_script_is_the_migrated_one_without_sqlite_utils(tmp_path: Path) -> None:
    expected = _schema(_migrated(tmp_path / "migrated.db"))
    assert expected[1] == migrations.names()
    code = ("import sys; from modelpick_tui.db import open_db; db = open_db(sys.argv[1]); db.close(); "
            "print('sqlite_utils' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "new.db")], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    assert _schema(sqlite3.connect(str(tmp_path / "new.db"))) == expected
    reopened = open_db(tmp_path / "new.db")  # nothing pending: opened as is
    assert _schema(reopened.conn) == expected
    reopened.close()


def test_a_script_older_than_the_migrations_is_completed_by_them(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration added after the last dump still runs on a new database (through sqlite-utils), after the
    script; a script of migrations this modelpick does not have is not used."""
    expected = _schema(_migrated(tmp_path / "migrated.db"))
    older = tmp_path / "older.sql"
    older.write_text(dump_schema(_migrated(tmp_path / "older.db", stop_before=migrations.names()[-1])))
    assert migrations.names()[-1] not in older.read_text()
    monkeypatch.setattr(db_module, "SCHEMA_PATH", older)
    assert _schema(open_db(tmp_path / "new.db").conn) == expected
    foreign = tmp_path / "foreign.sql"
    foreign.write_text(older.read_text().replace("m001_catalog", "m001_other"))
    monkeypatch.setattr(db_module, "SCHEMA_PATH", foreign)
    assert _schema(open_db(tmp_path / "new2.db").conn) == expected


def test_a_plain_transaction_commits_rolls_back_and_nests(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    with db.transaction() as conn:
        conn.execute("insert into meta (key, value) values ('a', '1')")
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("insert into meta (key, value) values ('b', '2')")
        raise RuntimeError("half-way")
    with db.write() as outer:
        outer.table("meta").insert({"key": "c", "value": "3"})
        with pytest.raises(RuntimeError), db.transaction() as inner:
            inner.execute("insert into meta (key, value) values ('d', '4')")
            raise RuntimeError("inner")
        with db.transaction() as inner:
            inner.execute("insert into meta (key, value) values ('e', '5')")
    db.set_meta("a", "one")
    db.close()
    assert meta(open_db(tmp_path / "m.db")) == {"a": "one", "c": "3", "e": "5"}
