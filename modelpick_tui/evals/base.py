"""What the evals stores share: the one database connection (opened lazily) and its one lock."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


def now_iso() -> str:
    """UTC, millisecond precision: traces and labels made in one second still sort by time."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


class Store:
    """Base of the stores over the evals tables. `db` is the database or a factory that opens it;
    `lock` is shared with every other store over the same connection (Services passes the catalogue
    store's), so thread workers never interleave transactions."""

    def __init__(self, db: sqlite_utils.Database | Callable[[], sqlite_utils.Database],
                 lock: threading.RLock | None = None) -> None:
        self._db_or_factory = db
        self.lock = lock or threading.RLock()

    @property
    def db(self) -> sqlite_utils.Database:
        if callable(self._db_or_factory):
            with self.lock:
                if callable(self._db_or_factory):
                    self._db_or_factory = self._db_or_factory()
        return self._db_or_factory
