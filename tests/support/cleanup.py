"""What tests that start detached servers do afterwards, whatever happened: kill every server a database records."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import sqlite_utils

from modelpick_tui.serving.supervisor import group_members


def kill_recorded_servers(db_path: Path) -> None:
    """SIGKILL the process group of every server recorded in `db_path` that still has members."""
    if not db_path.exists():
        return
    db = sqlite_utils.Database(db_path)
    pgids = [r["pgid"] for r in db["endpoints"].rows] if db["endpoints"].exists() else []
    db.close()
    for pgid in pgids:
        if pgid and group_members(pgid):
            os.killpg(pgid, signal.SIGKILL)
