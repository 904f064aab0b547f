"""The base of the evals stores: the one Database (db.py), its lock and its transactions."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

    from ...db import Database


class Store:
    """Base of the stores over the evals tables: they all share the one `Database` (db.py), its lock and its
    transactions. Reads run under `self.lock` (or `self.read()`); every write runs in `self.write()`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def lock(self) -> threading.RLock:
        return self.database.lock

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection (opened on first use); hold `self.lock` while using it."""
        return self.database.sqlite

    def read(self) -> AbstractContextManager[sqlite_utils.Database]:
        return self.database.read()

    def write(self) -> AbstractContextManager[sqlite_utils.Database]:
        """One IMMEDIATE transaction (db.py says why), committed when the block ends."""
        return self.database.write()
