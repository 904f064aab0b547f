"""The one SQLite database: the connection, its one lock, every transaction, the schema and its migrations
live here and nowhere else.

Many processes share one MODELPICK_HOME (a TUI labelling, `modelpick run` in two terminals, an import). In WAL
mode a transaction that reads and then writes cannot wait for the write lock: when another process committed
after its read, SQLite answers "database is locked" at once, whatever busy_timeout says. So every write here
begins as a write (`BEGIN IMMEDIATE`): it waits for the lock (busy_timeout) and only then reads.

sqlite-utils (~0.1 s to import) is imported when a store first asks for it (`Database.sqlite`), not when the
file opens: the file is opened, checked and (when no migration is pending) ready with sqlite3 alone
(`Database.conn`), so reads that are only SQL (the browse table's first page) do not wait for it, and the TUI
paints its first frame while a worker opens the file.

A database modelpick cannot use as it is (damaged, read-only, full, from a newer modelpick, a column renamed
outside it) is a `DatabaseError` whose text is the one line to show; `explain()` turns sqlite3's own errors into
one, for the CLI's and the TUI's one error handler. Opening checks the schema (the applied migrations and, from
one `pragma_table_info` query, the columns modelpick uses: ~1 ms); the first write of a process checks the file
(`PRAGMA quick_check`), so a command that writes stops before writing into a damaged file.

Longer than ~400 lines on purpose: the schema is its migrations, and they must live in one place, in order.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .home import create_private

if TYPE_CHECKING:
    import sqlite3

    import sqlite_utils

# How long a writer waits for another process's transaction before giving up (MODELPICK_DB_BUSY_TIMEOUT sets
# it). Transactions here are short (an import commits every IMPORT_BATCH traces), so a wait this long means
# something holds the lock for good.
BUSY_TIMEOUT_S = 30.0


class DatabaseError(RuntimeError):
    """A database modelpick cannot use as it is; its text is the one line to show (CLI and TUI)."""

    advice = ""  # what to do, for a caller that says what failed in its own words (explain() sets it)


class DatabaseBusyError(DatabaseError):
    """Another process held the database's write lock for longer than BUSY_TIMEOUT_S."""


class DatabaseDamagedError(DatabaseError):
    """The file is not SQLite, or SQLite found damaged pages in it."""


class DatabaseReadOnlyError(DatabaseError):
    """A write to a database opened read-only or on a read-only file."""


class DatabaseFullError(DatabaseError):
    """A write that found the disk (or the database's page limit) full, or a disk I/O error."""


class DatabaseTooNewError(DatabaseError):
    """The database has migrations this modelpick does not know: a newer modelpick wrote it."""


class DatabaseSchemaError(DatabaseError):
    """A table modelpick uses lacks a column (renamed or dropped outside modelpick)."""


def explain(exc: BaseException, path: str | Path | None = None) -> DatabaseError | None:
    """`exc` as the one-line DatabaseError it stands for, or None when it is not one (a bug, a constraint).
    sqlite3's errors are matched by their text: its error codes are not exposed on every Python we support."""
    if isinstance(exc, DatabaseError):
        return exc
    if type(exc).__module__ != "sqlite3":
        return None
    where = f"the database {path}" if path is not None else "the database"
    shown = str(path) if path is not None else "modelpick.db"
    why = str(exc).lower()
    error: DatabaseError
    if "malformed" in why or "not a database" in why:
        advice = (f"nothing more is written to it: restore a backup, or check it with `sqlite3 {shown} 'PRAGMA "
                  f"integrity_check'` and save what is left with `sqlite3 {shown} .recover | sqlite3 recovered.db`")
        error = DatabaseDamagedError(f"{where} is damaged ({exc}); {advice}")
    elif "readonly" in why or "read-only" in why:
        advice = ("this change was not saved, what was saved before is kept: make the file writable, or give "
                  "--db / MODELPICK_DB a writable copy")
        error = DatabaseReadOnlyError(f"{where} is read-only ({exc}); {advice}")
    elif "disk is full" in why or "disk i/o error" in why:  # a full disk can show as either
        advice = ("is the disk full, or failing? The change in progress was rolled back, what was saved before is "
                  "kept: free some space and run it again")
        error = DatabaseFullError(f"{where} could not be read or written ({exc}): {advice}")
    else:
        return None
    error.advice = advice
    return error


@contextlib.contextmanager
def _explained(path: Path | None) -> Iterator[None]:
    """sqlite3's errors that stand for a database modelpick cannot use, raised as the DatabaseError they are."""
    try:
        yield
    except Exception as exc:
        error = explain(exc, path)
        if error is None or error is exc:
            raise
        raise error from exc


class Database:
    """The one database: its connection (opened on first use), the one re-entrant lock every store over it
    takes, and its transactions. `path=None` is a private in-memory database (tests).

    Reads take the lock (`read()`); writes take the lock and an IMMEDIATE transaction (`write()`), committed
    when the block ends and rolled back when it raises. A `write()` inside another is a savepoint of it."""

    def __init__(self, path: str | Path | None, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self.busy_timeout_s = busy_timeout_s
        self.lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._db: sqlite_utils.Database | None = None  # sqlite-utils over _conn, made when a store asks for it
        self._closed = False
        self._checked = False  # quick_check passed (once, before this process's first write)

    def __repr__(self) -> str:
        return f"Database({str(self.path) if self.path else ':memory:'!r}, open={self.is_open})"

    @property
    def is_open(self) -> bool:
        return self._conn is not None and not self._closed

    def has_data(self) -> bool:
        """Whether the file already holds something (a new home's is created empty, or not yet): opening it then
        creates no schema. Migrations still run on open after an upgrade, once."""
        if self.is_open:
            return True
        if self.path is None:
            return False
        if is_uri(self.path):
            return True  # a URI names an existing database (a read-only one): nothing to create
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def seed(self, template: Path) -> bool:
        """Start a new database (its file absent or empty, not opened) as a copy of `template`, a database of this
        schema (catalog/sample.py: the sample catalogue compiled at install, checked current by the caller). False,
        with nothing done, for a database that holds anything or a template that cannot be read."""
        with self.lock:
            if self.has_data() or self.path is None:
                return False
            try:
                data = template.read_bytes()
            except OSError:
                return False
            create_private(self.path)  # 0600 in 0700 folders, as a new database is made
            with open(self.path, "r+b") as fh:  # into the file made private, not a new one
                fh.write(data)
                fh.truncate()
            return True

    def open(self) -> Database:
        """Open now (creating and migrating the file), so that a bad path fails here."""
        _ = self.conn
        return self

    @property
    def conn(self) -> sqlite3.Connection:
        """The sqlite3 connection, opened (and migrated) on first use, without sqlite-utils: for reads that are
        only SQL. Hold `lock` while using it."""
        if self._conn is None:
            with self.lock:
                if self._conn is None:
                    if self._closed:
                        import sqlite3

                        raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
                    with _explained(self.path):
                        self._conn = _connect(self.path, self.busy_timeout_s)
        return self._conn

    @property
    def sqlite(self) -> sqlite_utils.Database:
        """The sqlite-utils database over `conn`, made on first use. Use it inside `read()` or `write()`."""
        if self._db is None:
            with self.lock:
                if self._db is None:
                    conn = self.conn
                    with _explained(self.path):
                        self._db = _sqlite_utils(conn)
        return self._db

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """The connection under the lock, for reads (WAL: readers never wait for writers)."""
        with self.lock, _explained(self.path):
            yield self.sqlite

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction that begins as a write (`BEGIN IMMEDIATE`), under the lock: committed when the block
        ends, rolled back when it raises. Nested, it is a savepoint of the outer transaction."""
        with self.transaction():  # the one place a transaction (or its savepoint) begins and ends
            yield self.sqlite

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """`write()` on the plain connection, for writes that are only SQL: a first launch's sample load does not
        wait for sqlite-utils' import. Nested, it is a savepoint of the outer transaction."""
        with self.lock, _explained(self.path):
            conn = self.conn
            if conn.in_transaction:
                conn.execute("SAVEPOINT modelpick_write")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK TO modelpick_write")
                    conn.execute("RELEASE modelpick_write")
                    raise
                conn.execute("RELEASE modelpick_write")
                return
            self._check_before_writing(conn)
            with _immediate(conn, self.busy_timeout_s):
                yield conn

    def _check_before_writing(self, db: sqlite3.Connection) -> None:
        """Refuse to write into a damaged file. SQLite reports damage only on the pages a statement touches, so an
        import appends to a file whose other pages are garbage and exits 0; `PRAGMA quick_check` reads every page
        (~70 ms for 20k traces, 5.6 MB; linear in the file's size), so it runs once per process, before its first
        write, and reads never pay it (a read that meets damage says so through explain())."""
        if self._checked or self.path is None:
            return
        first = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if first != "ok":
            import sqlite3

            raise sqlite3.DatabaseError(f"database disk image is malformed: {' '.join(first.split())}")
        self._checked = True

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read, as dicts, fetched under the lock with sqlite3 alone (`modelpick runs` never imports
        sqlite-utils)."""
        with self.lock, _explained(self.path):
            cursor = self.conn.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def get_meta(self, key: str) -> str | None:
        """A setting of this home (the `meta` table: key → text), None when unset. Plain SQL on the plain
        connection: the browse table's first page reads one (no sqlite-utils import for it)."""
        with self.lock, _explained(self.path):
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Set a setting of this home; None removes it."""
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", [key])
            else:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                             "excluded.value", [key, value])

    def compact(self) -> None:
        """Rewrite the file as one file at its smallest (journal mode delete: no -wal beside it; VACUUM): for a
        database that is shipped or copied, not for a home."""
        with self.lock:
            self.conn.execute("PRAGMA journal_mode = delete")
            self.conn.execute("VACUUM")

    def close(self) -> None:
        """Close the connection; closed stays closed (a late worker gets sqlite3's "closed database" error
        rather than a new connection made after shutdown)."""
        with self.lock:
            if self._conn is not None and not self._closed:
                self._conn.close()
            self._closed = True


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection, timeout_s: float) -> Iterator[None]:
    """BEGIN IMMEDIATE (waiting up to `timeout_s` for another process's write), COMMIT or ROLLBACK."""
    import sqlite3

    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise DatabaseBusyError(f"the database is busy: another modelpick held it for over {timeout_s:g} s "
                                f"({exc})") from None
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise


class _Migrations:
    """The schema's migrations in order, applied by sqlite-utils' Migrations (imported only when a database
    opens). Append new ones at the end of this file with `@migrations()`, then write schema.sql again
    (`python -m modelpick_tui.db`): a new database starts from it (tests/unit/test_db.py checks it is current)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fns: list[tuple[Callable[[sqlite_utils.Database], None], dict[str, Any]]] = []

    def __call__(self, **options: Any) -> Callable[[Callable[[sqlite_utils.Database], None]],
                                                   Callable[[sqlite_utils.Database], None]]:
        def inner(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
            self._fns.append((fn, options))
            return fn

        return inner

    def names(self) -> list[str]:
        return [fn.__name__ for fn, _ in self._fns]

    def pending(self, conn: sqlite3.Connection) -> bool:
        """Whether a migration is to be applied (or the database is a newer modelpick's), read with sqlite3 alone:
        the usual open finds none and never imports sqlite-utils."""
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
                        ).fetchone() is None:
            return True
        applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                                               [self.name])}
        return applied != {fn.__name__ for fn, _ in self._fns}

    def apply(self, db: sqlite_utils.Database, **options: Any) -> None:
        """Apply what is pending (`options` go to sqlite-utils' Migrations.apply, e.g. stop_before). A database
        with migrations this modelpick does not know is refused (DatabaseTooNewError): a newer one wrote it."""
        from sqlite_utils.migrations import Migrations

        real = Migrations(self.name)
        for fn, registered in self._fns:
            real(**registered)(fn)
        known = [fn.__name__ for fn, _ in self._fns]
        applied = [m.name for m in real.applied(db)]
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise DatabaseTooNewError(
                f"a newer modelpick wrote this database (it has migration {', '.join(unknown)}; this modelpick "
                f"knows up to {known[-1]}): upgrade modelpick, or give --db another database")
        if set(known) <= set(applied):
            return  # the usual case: one read, no write lock
        # Processes starting together on a new home would each create the tables: one migrates, under the
        # write lock; the others wait, then find nothing pending.
        with _immediate(db.conn, BUSY_TIMEOUT_S):
            real.apply(db, **options)


migrations = _Migrations("modelpick")


class _WithoutNumpy:
    """While sqlite-utils is first imported, numpy and pandas cannot be, in that thread only: sqlite-utils
    imports them when installed (numpy is, for clustering: ~0.25 s, more than sqlite-utils itself) only to map
    their scalar types when it infers a column's type, and every table here is created by a migration with its
    types. The TUI's table and `modelpick runs` wait for that import. Other threads import them as usual. (A
    meta path finder: an object with find_spec, first in sys.meta_path while sqlite-utils is imported.)"""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name in ("numpy", "pandas") and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"{name} is not loaded for sqlite-utils", name=name)


def _sqlite_utils(conn: sqlite3.Connection) -> sqlite_utils.Database:
    """sqlite-utils over `conn` (imported now, without numpy: _WithoutNumpy). execute_plugins=False: sqlite-utils
    plugins (found by scanning every installed package's entry points, ~0.1 s) are not modelpick's to run on its
    connection."""
    finder = _WithoutNumpy()
    sys.meta_path.insert(0, finder)
    try:
        import sqlite_utils
    finally:
        sys.meta_path.remove(finder)
    return sqlite_utils.Database(conn, execute_plugins=False)


def _connect(path: Path | None, busy_timeout_s: float) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path`, in WAL mode, migrated to the latest schema. sqlite-utils
    is imported only when a migration is pending."""
    import sqlite3

    # check_same_thread=False: Textual thread workers share this connection; Database.lock serialises them.
    if path is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
    else:
        uri = is_uri(path)  # "file:…?mode=ro": a read-only database (tests run as root, so chmod cannot)
        if not uri:
            create_private(path)  # 0600 (its WAL and SHM follow), in 0700 folders: home.py
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=busy_timeout_s, uri=uri)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # as sqlite-utils' enable_wal()
            conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA recursive_triggers = ON")  # what sqlite-utils sets on a connection it is given
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    if migrations.pending(conn):
        _create_from_script(conn)
        if migrations.pending(conn):  # migrations newer than schema.sql, or a database made before
            migrations.apply(_sqlite_utils(conn))
    _check_columns(conn, path)
    return conn


# A new database gets its schema from one script (schema.sql: what the migrations below create, dumped by
# `python -m modelpick_tui.db`) instead of running them one by one through sqlite-utils, whose import and table
# building were ~0.2 s of a first launch's CPU before its first page. Migrations added after the dump still run;
# tests/unit/test_db.py holds the dump to the migrations' own result.
SCHEMA_PATH = Path(__file__).with_name("schema.sql")
_SCHEMA_HEAD = "-- migrations:"


def _create_from_script(conn: sqlite3.Connection) -> None:
    """On a new, empty database: schema.sql and its migrations marked as applied, in one IMMEDIATE transaction.
    Anything amiss (the file gone, a dump of other migrations, another process creating the tables at the same
    time, a read-only file) leaves the database as it was, for the migrations to create it or say why not."""
    import sqlite3

    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
        return
    try:
        text = SCHEMA_PATH.read_text(encoding="utf-8")
    except OSError:
        return
    head = next((line for line in text.splitlines() if line.startswith(_SCHEMA_HEAD)), "")
    names = head.removeprefix(_SCHEMA_HEAD).split()
    if not names or names != migrations.names()[: len(names)]:
        return
    from .clock import now_iso

    stamp = now_iso()
    marks = "".join(f"INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
                    f"('{migrations.name}', '{name}', '{stamp}');\n" for name in names)
    try:
        # executescript commits what is pending first, so the transaction is the script's own.
        conn.executescript(f"BEGIN IMMEDIATE;\n{text}\n{marks}COMMIT;\n")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.rollback()


def dump_schema(conn: sqlite3.Connection) -> str:
    """schema.sql's text for a database the migrations created: its tables, then indexes, views and triggers, each
    in the order they were made (FTS5's shadow tables are made by their virtual table). Refused for a database
    holding rows: the script carries the schema only."""
    shadow = {row[1] for row in conn.execute("PRAGMA table_list") if row[2] == "shadow"}
    objects = [(kind, name, sql) for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
        if name not in shadow]
    for kind, name, sql in objects:
        if kind == "table" and not sql.upper().startswith("CREATE VIRTUAL") and name != "_sqlite_migrations":
            if conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone() is not None:
                raise ValueError(f"a migration wrote rows into {name}: schema.sql carries the schema only")
    order = {"table": 0, "index": 1, "view": 2, "trigger": 3}
    names = [row[0] for row in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", [migrations.name])]
    lines = ["-- The schema db.py's migrations create, for a new database (generated: python -m modelpick_tui.db).",
             f"{_SCHEMA_HEAD} {' '.join(names)}"]
    lines += [f"{sql};" for _, _, sql in sorted(objects, key=lambda o: order[o[0]])]
    return "\n".join(lines) + "\n"


def migrated_schema() -> str:
    """schema.sql's text as the migrations make it now (an in-memory database, through sqlite-utils)."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    try:
        migrations.apply(_sqlite_utils(conn))
        return dump_schema(conn)
    finally:
        conn.close()


def read_meta(path: Path, key: str) -> str | None:
    """A setting of another database file, read-only (None when unset, or when the file is not a database)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def is_uri(path: str | Path) -> bool:
    """A `file:` URI (MODELPICK_DB=file:/x/modelpick.db?mode=ro) rather than a path."""
    return str(path).startswith("file:")


def _check_columns(db: sqlite3.Connection, path: Path | None) -> None:
    """Every column modelpick uses is there (one query, ~1 ms): a column renamed outside modelpick would
    otherwise read as empty, and `export` would write empty traces and exit 0."""
    from .db_columns import COLUMNS

    found: dict[str, set[str]] = {}
    for table, column in db.execute(
            "select m.name, p.name from sqlite_master m join pragma_table_info(m.name) p"
            " where m.type = 'table'").fetchall():
        found.setdefault(table, set()).add(column)
    missing = [f"{table}.{column}" for table, columns in COLUMNS.items() for column in columns
               if column not in found.get(table, ())]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DatabaseSchemaError(
            f"the database {path} lacks columns modelpick uses ({shown}): it was changed outside modelpick; "
            "restore a backup, or rename them back")


def open_db(path: str | Path | None) -> Database:
    """The database at `path`, opened now (a bad path fails here) and migrated; `None` is a private
    in-memory database (tests)."""
    return Database(path).open()


# Columns of the catalogue the search screen filters and sorts on; each gets an index.
_MODEL_INDEXES = (
    ["downloads"],
    ["likes"],
    ["trending"],
    ["last_modified"],
    ["params"],
    ["task"],
    ["license"],
    ["author"],
    ["size_class"],
)

# The catalogue's columns the full-text index holds (m001 made it; m015 narrowed its update trigger to them).
_MODEL_FTS = ("id", "author", "task", "tags", "license", "architecture", "base_model")


@migrations()
def m001_catalog(db: sqlite_utils.Database) -> None:
    db.table("models").create(
        {
            "id": str,
            "author": str,
            "task": str,
            "library": str,
            "tags": str,  # JSON list
            "license": str,
            "permissive": int,
            "gated": str,  # "" (open), "auto", "manual"
            "downloads": int,
            "likes": int,
            "trending": int,
            "created_at": str,
            "last_modified": str,
            "sha": str,
            "params": int,
            "size_class": str,
            "context_length": int,
            "architecture": str,
            "formats": str,  # " gguf safetensors " so that instr() can filter cheaply
            "languages": str,  # JSON list
            "base_model": str,
            "config_json": str,  # architecture facts for the fit estimate
            "is_local": int,
            "source": str,  # hub | sample | local
            "synced_at": str,
        },
        pk="id",
        not_null={"id"},
        defaults={"downloads": 0, "likes": 0, "trending": 0, "permissive": 0, "is_local": 0, "gated": ""},
    )
    for cols in _MODEL_INDEXES:
        db.table("models").create_index(cols, find_unique_name=True)
    db.table("models").enable_fts(
        list(_MODEL_FTS),
        create_triggers=True,
        tokenize="unicode61 tokenchars '_'",
    )
    db.table("model_files").create(
        {"model_id": str, "filename": str, "size": int, "quant": str, "format": str, "sha256": str},
        pk=("model_id", "filename"),
        foreign_keys=[("model_id", "models", "id")],
    )
    db.table("cards").create(
        {"model_id": str, "text": str, "sha": str, "fetched_at": str, "source": str},
        pk="model_id",
    )
    db.table("shortlist").create(
        {"model_id": str, "note": str, "added_at": str, "updated_at": str},
        pk="model_id",
    )
    db.table("local_files").create(
        {
            "path": str,
            "model_id": str,
            "size": int,
            "quant": str,
            "architecture": str,
            "params": int,
            "context_length": int,
            "metadata_json": str,
            "scanned_at": str,
            "error": str,
        },
        pk="path",
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


@migrations()
def m002_endpoints(db: sqlite_utils.Database) -> None:
    # Servers modelpick started (llama, vllm) and remote endpoints it attaches to. Never an API key: a
    # detached server's key lives in a 0600 file under MODELPICK_HOME/keys (see serving/supervisor.py).
    db.table("endpoints").create(
        {
            "name": str,
            "kind": str,  # backend: llama | vllm | remote
            "base_url": str,  # the OpenAI base, …/v1
            "model": str,  # what was asked for: GGUF path, repo id or dir, remote model name
            "served_model": str,  # the name clients put in a request's `model`
            "pid": int,  # the server process
            "pgid": int,  # its process group (the guard's, for a server that dies with modelpick)
            "port": int,
            "argv_json": str,  # the command, secrets redacted
            "spec_json": str,  # the ServerSpec without its key, to restart it
            "status": str,  # starting | ready | failed | stopped
            "log_path": str,
            "detached": int,
            "started_at": str,
            "ready_at": str,
            "time_to_ready_s": float,
            "proc_create_time": float,  # psutil create_time of pid: tells a reused pid from ours
            "error": str,
        },
        pk="name",
        not_null={"name"},
        defaults={"detached": 0, "status": "stopped"},
    )


@migrations()
def m003_evals(db: sqlite_utils.Database) -> None:
    # Prompt sets, runs, traces, human labels and preferences, failure modes, rubrics, judge verdicts and
    # decisions. No foreign keys: traces imported from other tools may name runs and prompts we never saw.
    db.table("prompt_sets").create(
        {"id": str, "name": str, "path": str, "sha256": str, "n_prompts": int, "loaded_at": str},
        pk="id",
    )
    db.table("prompts").create(
        {"set_id": str, "id": str, "prompt": str, "system": str, "reference": str, "tags_json": str, "line": int},
        pk=("set_id", "id"),
    )
    db.table("runs").create(
        {
            "id": str,
            "name": str,
            "kind": str,  # set (a prompt set across endpoints) | compare (the compare screen) | import
            "prompt_set_id": str,
            "params_json": str,  # system prompt and sampling params shared by the run
            "endpoints_json": str,  # [{name, base_url, model, model_ref}] — never a key
            "status": str,  # running | done | cancelled | failed
            "created_at": str,
            "finished_at": str,
        },
        pk="id",
    )
    db.table("traces").create(
        {
            "id": str,  # uuid4 hex, stable across export/import
            "run_id": str,
            "prompt_set_id": str,
            "prompt_id": str,
            "turn": int,  # 0 for the first prompt; follow-ups in a conversation count up
            "parent_id": str,  # the trace this one follows up (compare conversations)
            "prompt": str,
            "system": str,
            "reference": str,
            "tags_json": str,
            "messages_json": str,  # the whole request conversation, for follow-ups and re-runs
            "endpoint": str,  # the endpoint's name in modelpick
            "base_url": str,
            "model": str,  # the served model name
            "model_ref": str,  # what pins it: repo@revision, GGUF file + sha256, or the remote's name
            "params_json": str,  # temperature, top_p, max_tokens, seed…
            "output": str,
            "finish_reason": str,
            "error": str,
            "ttft_ms": float,
            "latency_ms": float,
            "tokens_in": int,
            "tokens_out": int,
            "tokens_per_s": float,
            "source": str,  # run | compare | import
            "created_at": str,
        },
        pk="id",
        defaults={"turn": 0},
    )
    db.table("traces").create_index(["run_id", "prompt_id", "endpoint"])
    db.table("traces").create_index(["prompt_id"])
    db.table("traces").create_index(["model"])
    # Append-only: the latest row per trace is its label; undo appends the state before (verdict may be
    # "none" for unlabelled).
    db.table("labels").create(
        {
            "id": int,
            "trace_id": str,
            "verdict": str,  # pass | fail | skip | none
            "note": str,
            "tags_json": str,
            "labeler": str,
            "created_at": str,
        },
        pk="id",
        not_null={"trace_id", "verdict"},
    )
    db.table("labels").create_index(["trace_id", "id"])
    db.table("preferences").create(
        {
            "id": int,
            "left_trace_id": str,
            "right_trace_id": str,
            "choice": str,  # left | right | tie | both_bad
            "blind": int,
            "note": str,
            "labeler": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("preferences").create_index(["left_trace_id"])
    db.table("preferences").create_index(["right_trace_id"])
    db.table("failure_modes").create(
        {
            "id": str,
            "name": str,
            "terms_json": str,  # top terms that named it
            "origin": str,  # auto | human (renamed, merged, split by a person)
            "status": str,  # active | merged | deleted
            "merged_into": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db.table("trace_failure_modes").create(
        {"trace_id": str, "mode_id": str, "source": str, "created_at": str},  # source: auto | human
        pk="trace_id",
    )
    db.table("trace_failure_modes").create_index(["mode_id"])
    db.table("rubrics").create({"run_id": str, "text": str, "updated_at": str}, pk="run_id")
    db.table("judge_verdicts").create(
        {
            "id": int,
            "trace_id": str,
            "judge_endpoint": str,
            "judge_model": str,
            "rubric_sha256": str,
            "verdict": str,  # pass | fail | error
            "reason": str,
            "raw": str,
            "error": str,
            "created_at": str,
        },
        pk="id",
    )
    db.table("judge_verdicts").create_index(["trace_id"])
    db.table("decisions").create(
        {"id": int, "model": str, "created_at": str, "report_json": str, "markdown_path": str, "json_path": str},
        pk="id",
    )


@migrations()
def m004_review(db: sqlite_utils.Database) -> None:
    # An undo is a label row too (append-only): `undo_of` names the label it takes back, so a second undo
    # walks further back instead of redoing the first.
    db.table("labels").add_column("undo_of", int)


@migrations()
def m004_failures(db: sqlite_utils.Database) -> None:
    # One row per (re-)clustering, so the screen and the CLI can say which method ran and when; and a cache
    # of sentence embeddings of notes keyed by the note's hash, so re-clustering embeds only new notes.
    db.table("failure_clusterings").create(
        {"id": int, "method": str, "n_traces": int, "n_modes": int, "silhouette": float, "seconds": float,
         "created_at": str},
        pk="id",
    )
    db.table("note_embeddings").create({"sha": str, "model": str, "vector": bytes}, pk="sha")


@migrations()
def m005_latest_label_view(db: sqlite_utils.Database) -> None:
    # "The latest label wins" written once: the review queue, the failure modes, the judge's agreement and the
    # scoreboard all read a trace's verdict here. Labels are append-only (an undo appends the state before, with
    # `undo_of`), so the row with the highest id of a trace is its label; "none" means unlabelled again. The
    # max(id) lookup rides the (trace_id, id) index, for one trace and for a join over all of them.
    db.create_view("latest_labels", """
        select l.* from labels l
        where l.id = (select max(newer.id) from labels newer where newer.trace_id = l.trace_id)""")


@migrations()
def m006_run_lease(db: sqlite_utils.Database) -> None:
    # A run has one owner at a time (evals/traces.py): the owner's pid, that process's start time (psutil's
    # create_time: a reused pid is not the owner) and since when. `run_answers` is the claim on each
    # prompt × endpoint of a prompt-set run — its primary key is what makes "answered twice" impossible; a
    # failed answer retried on resume replaces its trace in place, so its claim stays. Filled here from the
    # traces runs wrote so far: per pair the first answer without error, else the first failure (earlier
    # duplicates stay as traces, unclaimed). Imported runs were left "running"; they are "imported".
    for column, kind in (("owner_pid", int), ("owner_started", float), ("owner_since", str)):
        db.table("runs").add_column(column, kind)
    db.table("run_answers").create(
        {"run_id": str, "prompt_id": str, "endpoint": str, "trace_id": str},
        pk=("run_id", "prompt_id", "endpoint"),
    )
    db.execute(
        "insert or ignore into run_answers (run_id, prompt_id, endpoint, trace_id)"
        " select t.run_id, t.prompt_id, t.endpoint, t.id from traces t join runs r on r.id = t.run_id"
        " where r.kind = 'set' and t.prompt_id is not null and t.endpoint is not null"
        " order by t.error is not null, t.created_at, t.rowid"
    )
    db.execute("update runs set status = 'imported' where kind = 'import'")


@migrations()
def m007_checks(db: sqlite_utils.Database) -> None:
    # Checks (evals/checks/): a prompt's deterministic graders, stored with it so that a run's traces are
    # graded again without the file; and their results, one row per trace × check, apart from the human labels
    # and the judge's verdicts. A re-grade replaces a trace's rows (its checks may have changed in number).
    db.table("prompts").add_column("checks_json", str)
    db.table("check_results").create(
        {"trace_id": str, "idx": int, "type": str, "check_json": str, "passed": int, "reason": str,
         "checked_at": str},
        pk=("trace_id", "idx"),
    )


@migrations()
def m008_stream_timing(db: sqlite_utils.Database) -> None:
    # TTFT is timed by the stream reader from the request being written (issue 13): the wait for a pooled
    # connection before that is stored apart, and each trace says how its TTFT was measured (NULL: imported,
    # or timed by an older modelpick from just before the request, painting included).
    db.table("traces").add_column("queue_ms", float)
    db.table("traces").add_column("timing", str)


@migrations()
def m009_prompt_versions(db: sqlite_utils.Database) -> None:
    # Prompt versions (evals/prompts.py): a name a person gave, the content hash (id) of a system prompt and
    # few-shot examples. Each trace of a run made with one records its id, so a scoreboard or a decision can be
    # restricted to the traces one prompt produced.
    db.table("prompt_versions").create(
        {"id": str, "name": str, "system": str, "examples_json": str, "parent": str, "created_at": str},
        pk="id",
    )
    db.table("prompt_versions").create_index(["name"], unique=True)
    db.table("traces").add_column("prompt_version", str)
    db.table("traces").create_index(["prompt_version"])


@migrations()
def m010_failure_mode_suggestions(db: sqlite_utils.Database) -> None:
    # A failure mode's short name written by a model the user picked for naming (evals/mode_names.py), kept
    # apart from `name` (top terms, or the human's): shown as "suggested" until a person takes or edits it.
    db.table("failure_modes").add_column("suggested_name", str)
    db.table("failure_modes").add_column("suggested_by", str)


@migrations()
def m011_load_tests(db: sqlite_utils.Database) -> None:
    # Load tests (evals/load/): one row per endpoint tested, with its capacity at the SLO and the sentence; one row
    # per concurrency level measured. A test interrupted keeps its finished levels: `--resume ID` reads them back.
    db.table("load_tests").create(
        {"id": str, "created_at": str, "finished_at": str, "status": str, "endpoint": str, "model": str,
         "hardware": str, "slo": str, "target": float, "max_tokens": int, "prompt_set": str,
         "capacity_concurrency": int, "capacity_rps": float, "capacity_output_tps": float,
         "capacity_total_tps": float, "attainment": float, "ci_low": float, "ci_high": float, "sentence": str,
         "reason": str, "error": str, "token_count_source": str, "max_concurrency": int, "duration_s": float},
        pk="id",
    )
    db.table("load_tests").create_index(["model", "slo"])
    db.table("load_levels").create(
        {"test_id": str, "concurrency": int, "requests": int, "ok": int, "errors": int, "duration_s": float,
         "rps": float, "output_tps": float, "total_tps": float,
         **{f"{m}_{p}": float for m in ("ttft", "tpot", "itl", "e2e") for p in ("p50", "p90", "p99")},
         "attained": int, "attainment": float, "ci_low": float, "ci_high": float, "verdict": str,
         "max_in_flight": int, "client_cpu": float, "extended": int, "error": str, "created_at": str},
        pk=("test_id", "concurrency"),
        foreign_keys=[("test_id", "load_tests", "id")],
    )


@migrations()
def m012_prices(db: sqlite_utils.Database) -> None:
    # Prices the user set (evals/cost.py; none invented): dollars an hour for a kind of hardware ("cpu" or
    # "1xNVIDIA H100 80GB HBM3" as NVML names the GPU) and an API's dollars per 1M input/output tokens for a
    # model. NOCASE keys: an NVML name typed in another case is the same hardware.
    db.execute("create table hardware_prices (hardware text primary key collate nocase, usd_per_hour real not null,"
               " updated_at text)")
    db.execute("create table api_prices (model text primary key collate nocase, usd_per_1m_input real not null,"
               " usd_per_1m_output real not null, updated_at text)")


@migrations()
def m013_model_param_facts(db: sqlite_utils.Database) -> None:
    # Issue 15: the true parameter count of natively quantised checkpoints (MXFP4, AWQ, FP8...) replaces the Hub's
    # count of stored elements in `params`; these say where it came from, the checkpoint's native weight format
    # and, for a mixture of experts, the parameters one token reads (filtered on, hence the index).
    db.table("models").add_column("params_active", int)
    db.table("models").add_column("params_source", str)
    db.table("models").add_column("native_format", str)
    db.table("models").create_index(["params_active"], find_unique_name=True)


@migrations()
def m014_model_sources(db: sqlite_utils.Database) -> None:
    # Where else a model is found (catalog/source_store.py): a model on ModelScope too is one row of `models` with a
    # row here per other source; and where it is hosted behind an API (OpenRouter's list), with its prices per
    # token, linked to the Hub's rows by `hugging_face_id` (any case).
    db.table("model_sources").create(
        {"model_id": str, "source": str, "source_id": str, "url": str, "synced_at": str},
        pk=("model_id", "source"),
    )
    db.table("model_sources").create_index(["source", "source_id"])
    db.table("hosted_models").create(
        {"provider": str, "id": str, "name": str, "hugging_face_id": str, "context_length": int,
         "prompt_price": float, "completion_price": float, "synced_at": str},
        pk=("provider", "id"),
    )
    db.execute("CREATE INDEX idx_hosted_models_hf ON hosted_models (hugging_face_id COLLATE NOCASE)")


@migrations()
def m015_origin_and_tier(db: sqlite_utils.Database) -> None:
    # Where a model comes from (catalog/origin.py): the country of its publisher and of the base model its card
    # names, stored per row so that the origin filters are an index lookup; filled at ingest and recomputed when
    # the shipped table or a user's entry changes ('unknown' until then). The user's own entries live apart from
    # the shipped table, which is package data.
    db.table("models").add_column("origin", str, not_null_default="unknown")
    db.table("models").add_column("base_origin", str, not_null_default="unknown")
    # The tier follows the total parameters (MoE: every expert) wherever they are written or corrected: a
    # generated column, never stale. low < 32B ≤ medium < 300B ≤ high (docs/catalog.md).
    db.execute(
        "alter table models add column tier text generated always as (case"
        " when params is null or params <= 0 then 'unknown' when params < 32000000000 then 'low'"
        " when params < 300000000000 then 'medium' else 'high' end) virtual")
    for cols in (["origin"], ["base_origin"], ["tier"]):
        db.table("models").create_index(cols, find_unique_name=True)
    db.table("origin_entries").create(
        {"org": str, "name": str, "country": str, "source": str, "checked": str},
        pk="org",  # lower case: the Hub's namespaces differ only by case
    )
    # The FTS index follows the columns it holds: recomputing origins (or is_local, downloads) need not
    # rewrite every row's text index as sqlite-utils' "after update" trigger did.
    quoted = ", ".join(f'"{c}"' for c in _MODEL_FTS)
    old = ", ".join(f'old."{c}"' for c in _MODEL_FTS)
    new = ", ".join(f'new."{c}"' for c in _MODEL_FTS)
    db.execute('drop trigger if exists "models_au"')
    db.execute(
        f'create trigger "models_au" after update of {quoted} on "models" begin\n'
        f'  insert into "models_fts" ("models_fts", rowid, {quoted}) values(\'delete\', old.rowid, {old});\n'
        f'  insert into "models_fts" (rowid, {quoted}) values (new.rowid, {new});\nend')


@migrations()
def m016_engine_reports(db: sqlite_utils.Database) -> None:
    # What each engine reported about its memory when a server became ready (serving/engine_report.py): the
    # "measured" figures set beside the fit estimate, one row per ready start (the latest wins on screen), with
    # the model loaded (model_ref: a GGUF path, a folder or repo id), its quant and context. The process's own
    # memory (RSS or NVML's GPU memory) at that moment is kept apart: mmap makes RSS move with use.
    db.table("engine_reports").create(
        {"id": int, "server": str, "backend": str, "engine": str, "model_ref": str, "quant": str, "context": int,
         "weights_bytes": int, "kv_bytes": int, "compute_bytes": int, "kv_tokens": int, "max_concurrency": float,
         "device": str, "weights_source": str, "process_memory_kind": str, "process_memory_bytes": int,
         "measured_at": str},
        pk="id",
    )
    db.table("engine_reports").create_index(["model_ref"])
    db.table("engine_reports").create_index(["server"])


@migrations()
def m017_modelscope_original(db: sqlite_utils.Database) -> None:
    # The Hugging Face original a ModelScope page names (catalog/source_sync.py): read at `catalog sync --source
    # modelscope` for the models whose name matches no Hub row, so the two rows become one without opening the
    # card. NULL: the page was not read yet; '': read, it names none; 'org/name': the original it names.
    db.execute("ALTER TABLE model_sources ADD COLUMN hf_original TEXT")


if __name__ == "__main__":  # python -m modelpick_tui.db: write schema.sql after adding a migration
    SCHEMA_PATH.write_text(migrated_schema(), encoding="utf-8")
