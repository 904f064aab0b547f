"""The origin columns of the catalogue and the user's origin entries (table `origin_entries`).

Each row of `models` stores its publisher's country (`origin`) and its base model's (`base_origin`), so filtering
by origin is an index lookup. They are filled as rows are written (CatalogStore.upsert_models calls `annotate`)
and recomputed when the shipped table changes (a new modelpick) or the user sets or unsets an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import origin
from .origin import OriginBook, OriginEntry

if TYPE_CHECKING:
    from ..db import Database

_TABLE_KEY = "origin_table"  # meta: the hash of the shipped table the stored origins were computed with
_USER_KEY = "origin_entries_rev"  # meta: bumped by every change of the user's entries, from any process


def _like_prefix(org: str) -> str:
    return org.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


class OriginStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._book: OriginBook | None = None
        self._book_rev: str | None = None

    # --- the entries ---------------------------------------------------------------------

    def user_entries(self) -> list[OriginEntry]:
        rows = self.database.query("SELECT name, country, source, checked FROM origin_entries ORDER BY org")
        return [OriginEntry(r["name"], r["country"], r["source"], r["checked"], by="user", verified="user")
                for r in rows]

    def book(self) -> OriginBook:
        """The shipped table with the user's entries over it, read again when they changed (here, or in another
        process: a TUI open while `modelpick origin set` runs tags what it syncs next with the new entry)."""
        rev = self.database.get_meta(_USER_KEY)
        book = self._book  # no lock of its own: two threads may both read it, and neither waits on the other
        if book is None or rev != self._book_rev:
            book = OriginBook(origin.shipped(), self.user_entries())
            self._book, self._book_rev = book, rev
        return book

    def _changed(self) -> None:
        """Inside the write that changed the user's entries: every process reads them again."""
        self.database.set_meta(_USER_KEY, str(int(self.database.get_meta(_USER_KEY) or 0) + 1))

    def set_entry(self, entry: OriginEntry) -> int:
        """Store the user's entry (replacing theirs for the same organisation) and recompute the rows it touches;
        returns how many rows changed."""
        with self.database.write() as db:
            db.table("origin_entries").upsert(
                {"org": entry.org.lower(), "name": entry.org, "country": entry.country, "source": entry.source,
                 "checked": entry.checked}, pk="org")
            self._changed()
            return self._recompute(entry.org)

    def unset_entry(self, org: str) -> int | None:
        """Drop the user's entry for `org` (the shipped table's applies again); None when the user had none."""
        with self.database.write() as db:
            if db.execute("DELETE FROM origin_entries WHERE org = ?", [org.lower()]).rowcount == 0:
                return None
            self._changed()
            return self._recompute(org)

    # --- the stored columns --------------------------------------------------------------

    def annotate(self, rows: list[dict[str, Any]]) -> None:
        """Fill `origin` and `base_origin` of rows about to be written."""
        book = self.book()
        for row in rows:
            row["origin"], row["base_origin"] = book.countries(row["id"], row.get("base_model"))

    def current(self) -> bool:
        """Whether the stored origins were computed with the shipped table (else `refresh` has work to do)."""
        return self.database.get_meta(_TABLE_KEY) == origin.table_sha()

    def refresh(self) -> int:
        """Recompute every row's origins if the shipped table changed since they were computed (a first start after
        an upgrade); returns how many rows changed."""
        if self.current():
            return 0
        sha = origin.table_sha()
        with self.database.transaction():  # plain SQL: a first launch does not wait for sqlite-utils
            changed = self._recompute(None)
            self.database.set_meta(_TABLE_KEY, sha)
        return changed

    def _recompute(self, org: str | None) -> int:
        """Rewrite the origins of the rows published by `org` or naming a base model of it (every row when None),
        only where they change: inside a write transaction."""
        book = self.book()
        sql = "SELECT rowid, id, base_model, origin, base_origin FROM models"
        args: list[str] = []
        if org is not None:
            sql += r" WHERE id LIKE ? ESCAPE '\' OR base_model LIKE ? ESCAPE '\'"
            args = [_like_prefix(org)] * 2
        conn = self.database.conn
        changes = []
        for rowid, model_id, base, own, base_origin in conn.execute(sql, args).fetchall():
            now = book.countries(model_id, base)
            if now != (own, base_origin):
                changes.append((*now, rowid))
        conn.executemany("UPDATE models SET origin = ?, base_origin = ? WHERE rowid = ?", changes)
        return len(changes)
