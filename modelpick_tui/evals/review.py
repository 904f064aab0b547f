"""Human judgements: pass/fail labels (append-only, latest wins) and pairwise preferences."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Store, dumps, loads, now_iso

VERDICTS = ("pass", "fail", "skip")
CHOICES = ("left", "right", "tie", "both_bad")


class ReviewError(ValueError):
    """A label or preference that cannot be recorded; the message is one line for the user."""


def default_labeler() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still label
        return "reviewer"


@dataclass(frozen=True)
class Label:
    trace_id: str
    verdict: str  # pass | fail | skip | none
    note: str
    tags: list[str]
    labeler: str
    created_at: str
    id: int


class ReviewStore(Store):
    """The `labels` and `preferences` tables. Every write is one committed transaction."""

    def label(self, trace_id: str, verdict: str, note: str = "", tags: Sequence[str] = (),
              labeler: str | None = None) -> Label:
        if verdict not in (*VERDICTS, "none"):
            raise ReviewError(f"unknown verdict {verdict!r}: use pass, fail or skip")
        row = {"trace_id": trace_id, "verdict": verdict, "note": note or "", "tags_json": dumps(list(tags)),
               "labeler": labeler or default_labeler(), "created_at": now_iso()}
        with self.lock, self.db.atomic():
            table = self.db.table("labels")
            table.insert(row)
            row_id = table.last_rowid
        return Label(id=int(row_id or 0), tags=list(tags), **{k: v for k, v in row.items() if k != "tags_json"})

    def latest(self, trace_id: str) -> Label | None:
        with self.lock:
            rows = list(self.db.query(
                "select * from labels where trace_id = ? order by id desc limit 1", [trace_id]))
        return _label(rows[0]) if rows else None

    def history(self, trace_id: str) -> list[Label]:
        with self.lock:
            return [_label(r) for r in self.db.query("select * from labels where trace_id = ? order by id",
                                                     [trace_id])]

    def prefer(self, left_trace_id: str, right_trace_id: str, choice: str, *, blind: bool = False,
               note: str = "", labeler: str | None = None) -> int:
        if choice not in CHOICES:
            raise ReviewError(f"unknown preference {choice!r}: use left, right, tie or both_bad")
        row = {"left_trace_id": left_trace_id, "right_trace_id": right_trace_id, "choice": choice,
               "blind": int(blind), "note": note, "labeler": labeler or default_labeler(), "created_at": now_iso()}
        with self.lock, self.db.atomic():
            table = self.db.table("preferences")
            table.insert(row)
            return int(table.last_rowid or 0)

    def preferences(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.db.query("select * from preferences order by id")]


def _label(row: dict[str, Any]) -> Label:
    return Label(id=row["id"], trace_id=row["trace_id"], verdict=row["verdict"], note=row["note"] or "",
                 tags=loads(row["tags_json"], []), labeler=row["labeler"] or "", created_at=row["created_at"])
