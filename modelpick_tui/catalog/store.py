"""The local catalogue: rows, FTS search and filters over SQLite. Searching never touches the network.

Longer than ~400 lines on purpose: every SQL statement over the catalogue tables lives here, so the FTS
search, its bounded walks and the filters are read beside the rows they query."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from .origin import ISO_COUNTRIES, UNKNOWN
from .origin_store import OriginStore
from .query import SORT_LABELS, CatalogQuery, ModelRow, SearchResult, row_sources

SORTS = {
    "downloads": "m.downloads DESC",
    "likes": "m.likes DESC",
    "trending": "m.trending DESC",
    "updated": "m.last_modified DESC",
    "params": "m.params IS NULL, m.params DESC",
    "created": "m.created_at DESC",
}
assert SORTS.keys() == SORT_LABELS.keys(), "every sort the UI offers has its SQL here"
# The indexes db.py creates for the sort columns (sqlite-utils names them idx_<table>_<column>).
SORT_INDEXES = {
    "downloads": "idx_models_downloads",
    "likes": "idx_models_likes",
    "trending": "idx_models_trending",
    "updated": "idx_models_last_modified",
}
# Above this many text matches per row of the page, first try walking the sort index.
BROAD_MATCH = 10
# The walk's budget, in SQLite VM steps per text match: about what sorting the matches costs (measured
# with bench/catalog_search.py), so a walk that fails costs at most as much again.
WALK_STEPS_PER_HIT = 15
_PROGRESS_EVERY = 1000
# An origin or tier filter matching this many pages of rows walks the sort index (it fills the page sooner than
# sorting every match), with a budget in VM steps per row of the page (bench/catalog_search.py measures both).
DENSE_PAGES = 20
ORIGIN_WALK_STEPS_PER_ROW = 1000


if TYPE_CHECKING:
    from pathlib import Path

    import sqlite_utils

    from ..db import Database
    from .details import Facets
    from .facts import ModelFacts, ModelFile




_TOKEN = re.compile(r"[\w]+", re.UNICODE)
_ROW_COLUMNS = (
    "m.id, m.task, m.params, m.license, m.permissive, m.downloads, m.likes, m.last_modified, "
    "m.gated, m.size_class, m.formats, m.is_local, m.trending, m.params_active, m.params_source"
)
# Where a row comes from and its tier (origin_store.py, db.py's m015): read after the columns above.
_ORIGIN_COLUMNS = "m.base_model, m.origin, m.base_origin, m.tier"
# Where a row is listed and hosted (source_store.py): its own source, the other hubs that list it, and whether an API
# hosts it; asked for the page's rows only (the outer select), each an index lookup.
_SOURCE_COLUMNS = ("m.source, (SELECT group_concat(s.source, ' ') FROM model_sources s WHERE s.model_id = m.id), "
                   "EXISTS (SELECT 1 FROM hosted_models h WHERE h.hugging_face_id = m.id COLLATE NOCASE)")
# With no other source synced (most catalogues: the Hub's alone), the same columns without their lookups (they cost
# ~9% of a 200-row page's CPU time on 10k rows).
_HUB_ONLY_COLUMNS = "m.source, NULL, 0"
_ANY_OTHER_SOURCE = "SELECT EXISTS (SELECT 1 FROM model_sources) OR EXISTS (SELECT 1 FROM hosted_models)"


def origin_conditions(q: CatalogQuery) -> tuple[list[str], list[Any]]:
    """The origin and tier filters as SQL conditions on stored, indexed columns: the publisher's country, or with
    `by_base` the base model's (a model that names no base is its own)."""
    where: list[str] = []
    args: list[Any] = []
    column = "m.base_origin" if q.by_base else "m.origin"
    # Leaving countries out is asking for every other value a row can hold (a country code or "unknown", as
    # origin.py checks them): written as IN, the origin index answers a sparse remainder instead of a full scan.
    keep = sorted((ISO_COUNTRIES | {UNKNOWN}) - set(q.exclude_origins)) if q.exclude_origins else []
    for values in (q.origins, keep):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)
    if q.tiers:
        where.append(f"m.tier IN ({','.join('?' * len(q.tiers))})")
        args.extend(q.tiers)
    return where, args


# The source filter (query.SOURCE_FILTERS): a row matches when any of the chosen sources lists (or hosts) it.
_SOURCE_WHERE = {
    "hf": "m.source IN ('hub', 'sample')",
    "ms": "(m.source = 'modelscope' OR m.id IN (SELECT model_id FROM model_sources WHERE source = 'modelscope'))",
    "or": "EXISTS (SELECT 1 FROM hosted_models h WHERE h.hugging_face_id = m.id COLLATE NOCASE)",
    "ollama": "m.source = 'ollama'",
    "local": "m.source = 'local'",
}


# A dense model reads all of its parameters for every token: its active count is its total.
_ACTIVE = "coalesce(m.params_active, m.params)"


def fts_query(text: str) -> str | None:
    """User text → an FTS5 query of quoted prefix terms, all required. Nothing of the input is
    interpreted as FTS syntax, so 'c++', 'a"b' or 'NOT' cannot break the query."""
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return None
    return " ".join(f'"{t}"*' for t in tokens)


class CatalogStore:
    """Catalogue rows in the `models`, `model_files`, `cards`, `shortlist` and `meta` tables."""

    def __init__(self, database: Database) -> None:
        # The one Database (db.py): its connection opens on first use, so the TUI paints its first frame while
        # a worker opens the file; its one lock serialises this store with every other over the connection.
        self.database = database
        self._count: int | None = None  # cached: counting 200k rows costs more than the search
        self.origins = OriginStore(database)

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection (opened on first use); hold `self.lock` while using it."""
        return self.database.sqlite

    @property
    def conn(self) -> sqlite3.Connection:
        """The plain connection, for reads that are only SQL: the browse table's first page (count, search, meta)
        does not wait for sqlite-utils' import. Hold `self.lock` while using it."""
        return self.database.conn

    @property
    def lock(self) -> threading.RLock:
        return self.database.lock

    # --- writing ------------------------------------------------------------------------

    def upsert_models(self, facts: Iterable[ModelFacts], synced_at: str | None = None) -> int:
        """Insert or refresh models (and their GGUF files) in one transaction; local flags are kept."""
        synced_at = synced_at or now_iso()
        items = list(facts)
        if not items:
            return 0
        # Plain SQL, as sqlite-utils' upsert_all writes it (a missing value is NULL), in one executemany: a first
        # launch writes the sample's 232 models without importing sqlite-utils or building each row's statement.
        with self.database.transaction() as conn:
            self._count = None
            rows = [f.to_row(synced_at) for f in items]
            self.origins.annotate(rows)
            columns = list(dict.fromkeys(key for row in rows for key in row))
            names = ", ".join(f'"{c}"' for c in columns)
            updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != "id")
            conn.executemany(f"INSERT INTO models ({names}) VALUES ({', '.join('?' * len(columns))}) "
                             f"ON CONFLICT(id) DO UPDATE SET {updates}",
                             [[row.get(c) for c in columns] for row in rows])
            # A model listed twice keeps its last files.
            self._replace_files(conn, {f.id: f.files for f in items if f.files})
        return len(items)

    @staticmethod
    def _replace_files(conn: sqlite3.Connection, files: Mapping[str, Sequence[ModelFile]]) -> None:
        """Each model's files replaced by the ones given, in the caller's transaction."""
        conn.executemany("DELETE FROM model_files WHERE model_id = ?", [[model_id] for model_id in files])
        conn.executemany(
            "INSERT INTO model_files (model_id, filename, size, quant, format, sha256) VALUES (?, ?, ?, ?, ?, ?)",
            [[model_id, f.filename, f.size, f.quant, f.format, f.sha256]
             for model_id, model_files in files.items() for f in model_files])

    def replace_files(self, model_id: str, files: Sequence[ModelFile]) -> None:
        with self.database.transaction() as conn:
            self._replace_files(conn, {model_id: files})

    def update_model(self, model_id: str, **values: Any) -> None:
        with self.database.write():
            self.db.table("models").update(model_id, values)

    def set_local(self, model_ids: Iterable[str]) -> None:
        """Mark exactly these models as present on this machine."""
        ids = list(dict.fromkeys(model_ids))
        with self.lock:
            current = {r[0] for r in self.db.execute("SELECT id FROM models WHERE is_local = 1").fetchall()}
            if current == set(ids):
                return  # the usual case at start-up: nothing to write
        with self.database.write():
            self.db.execute("UPDATE models SET is_local = 0 WHERE is_local = 1")
            for chunk_start in range(0, len(ids), 500):
                chunk = ids[chunk_start : chunk_start + 500]
                marks = ",".join("?" * len(chunk))
                self.db.execute(f"UPDATE models SET is_local = 1 WHERE id IN ({marks})", chunk)

    def stamp_cards(self, source: str) -> None:
        """The cards from `source` stored now (a home seeded from the prebuilt sample: catalog/sample.py)."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE cards SET fetched_at = ? WHERE source = ?", [now_iso(), source])

    def copy_prebuilt(self, path: Path) -> int | None:
        """Copy a prebuilt sample catalogue (catalog/sample.py) into this empty catalogue, in one transaction: its
        models (the FTS index follows by trigger), their files, its cards (one cached here is kept, each stamped now,
        as a load stamps it), and its meta `sample_loaded` and `origin_table`. None, with nothing written, when it
        cannot stand in for a load: a catalogue not empty, origin entries of the user's (the copied origins are the
        shipped table's), other columns, a file SQLite cannot read. Whether the file is current is the caller's check
        (catalog/sample.py)."""
        database = self.database
        with database.lock:
            conn = database.conn
            if conn.in_transaction or conn.execute("SELECT EXISTS (SELECT 1 FROM models)").fetchone()[0]:
                return None
            if conn.execute("SELECT EXISTS (SELECT 1 FROM origin_entries)").fetchone()[0]:
                return None
            try:
                conn.execute("ATTACH DATABASE ? AS prebuilt", [str(path)])  # a plain name: no URIs on this connection
            except sqlite3.Error:
                return None
            try:
                tables = ("models", "model_files", "cards")
                columns = {table: _insertable(conn, "main", table) for table in tables}
                if any(columns[table] != _insertable(conn, "prebuilt", table) for table in tables):
                    return None  # a migration newer than the file: load as before
                with database.transaction():
                    for table in tables:
                        names = ", ".join(f'"{c}"' for c in columns[table])
                        values = names.replace('"fetched_at"', "?") if table == "cards" else names
                        verb = "INSERT OR IGNORE" if table == "cards" else "INSERT"
                        conn.execute(f"{verb} INTO main.{table} ({names}) SELECT {values} FROM prebuilt.{table} "
                                     "ORDER BY rowid", [now_iso()] if values != names else [])
                    conn.execute("INSERT OR REPLACE INTO main.meta (key, value) SELECT key, value FROM prebuilt.meta "
                                 "WHERE key IN ('sample_loaded', 'origin_table')")
                    copied = int(conn.execute("SELECT count(*) FROM main.models").fetchone()[0])
            except sqlite3.DatabaseError:
                return None  # a damaged or foreign file: load as before (the home's own errors come back there)
            finally:
                conn.execute("DETACH DATABASE prebuilt")
            self._count = None
        return copied

    def invalidate_count(self) -> None:
        """Another store removed rows (catalog/source_store.py merges a ModelScope row into the Hub's)."""
        with self.lock:
            self._count = None

    # --- reading ------------------------------------------------------------------------

    def count(self) -> int:
        with self.lock:
            if self._count is None:
                self._count = int(self.conn.execute("SELECT count(*) FROM models").fetchone()[0])
            return self._count

    def search(self, q: CatalogQuery, count: bool = True) -> SearchResult:
        """Search and filter the local catalogue: one sorted, limited page, and how many match.

        With `count=False` a full page reports `matching` as -1 (at least `limit`), which saves
        the second pass when only the page is needed."""
        where: list[str] = []
        args: list[Any] = []
        match = fts_query(q.text)
        if match:
            where.append("m.rowid IN (SELECT rowid FROM models_fts WHERE models_fts MATCH ?)")
            args.append(match)
        if q.licenses:
            where.append(f"m.license IN ({','.join('?' * len(q.licenses))})")
            args.extend(q.licenses)
        if q.permissive_only:
            where.append("m.permissive = 1")
        if q.size_classes:
            where.append(f"m.size_class IN ({','.join('?' * len(q.size_classes))})")
            args.extend(q.size_classes)
        for bound, column, op in ((q.min_params, "m.params", ">="), (q.max_params, "m.params", "<="),
                                  (q.min_active, _ACTIVE, ">="), (q.max_active, _ACTIVE, "<=")):
            if bound is not None:
                where.append(f"{column} {op} ?")
                args.append(bound)
        if q.task:
            where.append("m.task = ?")
            args.append(q.task)
        if q.format:
            where.append("instr(m.formats, ?) > 0")
            args.append(f" {q.format} ")
        if q.gated is True:
            where.append("m.gated != ''")
        elif q.gated is False:
            where.append("m.gated = ''")
        if q.author:
            where.append("m.author = ? COLLATE NOCASE")
            args.append(q.author)
        if q.local_only:
            where.append("m.is_local = 1")
        if q.shortlisted_only:
            where.append("m.id IN (SELECT model_id FROM shortlist)")
        if q.sources:
            where.append("(" + " OR ".join(_SOURCE_WHERE[s] for s in q.sources) + ")")
        origin_where, origin_args = origin_conditions(q)
        where.extend(origin_where)
        args.extend(origin_args)
        order = SORTS.get(q.sort, SORTS["downloads"])
        with self.lock:
            total = self.count()
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            # How many documents the text matches (the FTS doclists alone: cheap). It picks the plan,
            # and when the text is the only condition it is the exact count.
            fts_hits = (self.conn.execute("SELECT count(*) FROM models_fts WHERE models_fts MATCH ?", [match])
                        .fetchone()[0] if match else None)
            # Sort and limit row ids first, then fetch the wide rows of that page only: the sorter then
            # carries two columns instead of thirteen.
            others = self.conn.execute(_ANY_OTHER_SOURCE).fetchone()[0]
            sql = (f"SELECT {_ROW_COLUMNS}, {_ORIGIN_COLUMNS}, {_SOURCE_COLUMNS if others else _HUB_ONLY_COLUMNS} "
                   "FROM models m WHERE m.rowid IN "
                   f"(SELECT m.rowid FROM models m {{hint}} {clause} ORDER BY {order} LIMIT ?) ORDER BY {order}, m.id")
            raw = None
            if fts_hits is not None and fts_hits > BROAD_MATCH * q.limit and q.sort in SORT_INDEXES:
                # A broad text (thousands of matches): walking the sort column's index and keeping the
                # rows that match usually fills the page long before sorting every match would finish.
                # Filters can make the walk long, so it gets a budget proportional to what sorting would
                # cost, and the sort takes over when the budget runs out.
                raw = self._bounded(sql.format(hint=f"INDEXED BY {SORT_INDEXES[q.sort]}"), [*args, q.limit],
                                    budget=fts_hits * WALK_STEPS_PER_HIT)
            if raw is None and not match and q.sort in SORT_INDEXES and self._dense(origin_where, origin_args, q):
                # SQLite answers an origin or tier filter from its index and sorts every match: slow when most rows
                # match, when walking the sort index fills the page at once. The other filters may still make the
                # walk long: it has a budget, and the index answers after it.
                raw = self._bounded(sql.format(hint=f"INDEXED BY {SORT_INDEXES[q.sort]}"), [*args, q.limit],
                                    budget=q.limit * ORIGIN_WALK_STEPS_PER_ROW)
            if raw is None:
                raw = self.conn.execute(sql.format(hint=""), [*args, q.limit]).fetchall()
            if len(raw) < q.limit:
                matching = len(raw)  # the page holds every match: no second pass needed
            elif not where:
                matching = total
            elif fts_hits is not None and len(where) == 1:
                matching = fts_hits
            elif not count:
                matching = -1
            else:
                # A plain count beats COUNT(*) OVER (), which would carry every matching row into the sort.
                matching = self.conn.execute(f"SELECT count(*) FROM models m {clause}", args).fetchone()[0]
        rows = [
            ModelRow(
                id=r[0], task=r[1] or "", params=r[2], license=r[3] or "", permissive=bool(r[4]),
                downloads=r[5] or 0, likes=r[6] or 0, last_modified=r[7] or "", gated=r[8] or "",
                size_class=r[9] or "unknown", formats=tuple((r[10] or "").split()), is_local=bool(r[11]),
                trending=r[12] or 0, params_active=r[13], params_source=r[14] or "",
                base_model=r[15] or "", origin=r[16], base_origin=r[17], tier=r[18],
                sources=row_sources(r[19], r[20], bool(r[21])),
            )
            for r in raw
        ]
        return SearchResult(rows=rows, matching=int(matching), total=total)

    def _dense(self, where: list[str], args: list[Any], q: CatalogQuery) -> bool:
        """Whether the origin and tier filters match at least DENSE_PAGES pages of rows (counted from their indexes,
        stopping there: a cost bounded whatever the catalogue's size)."""
        if not where:
            return False
        enough = q.limit * DENSE_PAGES
        sql = f"SELECT count(*) FROM (SELECT 1 FROM models m WHERE {' AND '.join(where)} LIMIT ?)"
        return int(self.conn.execute(sql, [*args, enough]).fetchone()[0]) >= enough

    def _bounded(self, sql: str, args: list[Any], budget: int) -> list[Any] | None:
        """Run a query with a budget of SQLite VM steps; None when it ran out (the query is abandoned)."""
        conn = self.conn
        calls = 0

        def tick() -> int:
            nonlocal calls
            calls += 1
            return 1 if calls * _PROGRESS_EVERY > budget else 0

        conn.set_progress_handler(tick, _PROGRESS_EVERY)
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupt" not in str(exc):
                raise
            return None
        finally:
            conn.set_progress_handler(None, 0)

    def facets(self) -> Facets:
        """The values the filters offer, with how many models have each."""
        from .details import Facets

        with self.lock:
            def grouped(col: str, limit: int = 200) -> list[tuple[str, int]]:
                sql = (f"SELECT {col}, count(*) c FROM models WHERE {col} != '' AND {col} IS NOT NULL "
                       f"GROUP BY {col} ORDER BY c DESC, {col} LIMIT {limit}")
                return [(r[0], r[1]) for r in self.conn.execute(sql).fetchall()]

            fmt_counts = []
            for fmt in ("gguf", "safetensors", "awq", "gptq", "exl2", "mlx", "onnx", "bnb"):
                n = self.conn.execute("SELECT count(*) FROM models WHERE instr(formats, ?) > 0",
                                    [f" {fmt} "]).fetchone()[0]
                if n:
                    fmt_counts.append((fmt, n))
            return Facets(grouped("license"), grouped("task"), grouped("author", 500), fmt_counts,
                          origins=grouped("origin"), base_origins=grouped("base_origin"))

    def get(self, model_id: str) -> dict[str, Any] | None:
        with self.lock:
            rows = list(self.db.table("models").rows_where("id = ?", [model_id]))
            if not rows:
                return None
            row = dict(rows[0])
            row["tags"] = json.loads(row["tags"] or "[]")
            row["languages"] = json.loads(row["languages"] or "[]")
            row["config_json"] = json.loads(row["config_json"]) if row["config_json"] else None
            row["formats"] = (row["formats"] or "").split()
            row["files"] = [
                dict(f)
                for f in self.db.table("model_files").rows_where(
                    "model_id = ?", [model_id], order_by="size IS NULL, size"
                )
            ]
            return row

    def exists(self, model_id: str) -> bool:
        with self.lock:
            return self.conn.execute("SELECT 1 FROM models WHERE id = ?", [model_id]).fetchone() is not None

    # --- cards --------------------------------------------------------------------------

    def save_card(self, model_id: str, text: str, sha: str = "", source: str = "hub") -> None:
        with self.database.write():
            self.db.table("cards").upsert(
                {"model_id": model_id, "text": text, "sha": sha, "fetched_at": now_iso(), "source": source},
                pk="model_id",
            )

    def save_missing_cards(self, cards: dict[str, str], source: str) -> int:
        """Store these cards (model id → text) for the models that are stored and have none, in one transaction
        (the sample's, at a first launch); returns how many were stored."""
        fetched = now_iso()
        with self.database.transaction() as conn:
            stored = {r[0] for r in conn.execute("SELECT id FROM models")}
            have = {r[0] for r in conn.execute("SELECT model_id FROM cards")}
            rows = [[model_id, text, "", fetched, source] for model_id, text in cards.items()
                    if model_id in stored and model_id not in have]
            conn.executemany("INSERT INTO cards (model_id, text, sha, fetched_at, source) VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def card(self, model_id: str) -> dict[str, Any] | None:
        with self.lock:
            cursor = self.conn.execute("SELECT * FROM cards WHERE model_id = ?", [model_id])
            row = cursor.fetchone()
            return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    # --- shortlist ----------------------------------------------------------------------

    def shortlist_add(self, model_id: str, note: str = "") -> None:
        now = now_iso()
        with self.database.write():
            existing = list(self.db.table("shortlist").rows_where("model_id = ?", [model_id]))
            added = existing[0]["added_at"] if existing else now
            self.db.table("shortlist").upsert(
                {"model_id": model_id, "note": note, "added_at": added, "updated_at": now}, pk="model_id"
            )

    def shortlist_remove(self, model_id: str) -> None:
        with self.database.write():
            self.db.execute("DELETE FROM shortlist WHERE model_id = ?", [model_id])

    def shortlist(self) -> list[dict[str, Any]]:
        with self.lock:
            sql = (
                "SELECT s.model_id, s.note, s.added_at, m.task, m.params, m.license, m.context_length, "
                "m.gated, m.formats FROM shortlist s LEFT JOIN models m ON m.id = s.model_id "
                "ORDER BY s.added_at, s.model_id"
            )
            cols = ["model_id", "note", "added_at", "task", "params", "license", "context_length",
                    "gated", "formats"]
            return [dict(zip(cols, r, strict=True)) for r in self.db.execute(sql).fetchall()]

    # --- local files --------------------------------------------------------------------

    def save_local_files(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.database.write():
            self.db.table("local_files").upsert_all(list(rows), pk="path")

    def local_file(self, path: str) -> dict[str, Any] | None:
        """The scanned GGUF file at `path` (model id, parameters…), or None."""
        with self.lock:
            rows = list(self.db.table("local_files").rows_where("path = ?", [path], limit=1))
        return dict(rows[0]) if rows else None

    def local_files(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.db.table("local_files").rows_where(order_by="path")]

    # --- meta ---------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self.database.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self.database.set_meta(key, value)


def _insertable(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    """A table's columns that an INSERT names (generated ones are SQLite's)."""
    return [row[1] for row in conn.execute(f"PRAGMA {schema}.table_xinfo({table})").fetchall() if row[6] == 0]
