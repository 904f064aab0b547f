"""The `prompt_versions` table, and the labelled traces a version's examples are picked from (what a version is:
evals/prompts.py)."""

from __future__ import annotations

import builtins
from typing import Any

from ...clock import now_iso
from ..base import dumps, loads
from ..failure_modes import final_modes
from ..prompts import Example, PromptVersion, PromptVersionError
from .base import Store


class PromptVersionStore(Store):
    """The `prompt_versions` table: one row per content, its name unique."""

    def save(self, version: PromptVersion) -> PromptVersion:
        """Store a new version (committed when this returns). The same name with the same content is that
        version again; a name taken by other content, or content stored under another name, is one line."""
        with self.write():
            same_name = self._rows("name = ?", [version.name])
            if same_name and same_name[0]["id"] == version.id:
                return _version(same_name[0])
            if same_name:
                raise PromptVersionError(f"prompt version {version.name!r} exists with other content "
                                         f"({same_name[0]['id']}): choose a new name")
            same_content = self._rows("id = ?", [version.id])
            if same_content:
                raise PromptVersionError(f"this content is already prompt version {same_content[0]['name']!r} "
                                         f"({version.id})")
            row = {"id": version.id, "name": version.name, "system": version.system,
                   "examples_json": dumps([e.to_json() for e in version.examples]), "parent": version.parent,
                   "created_at": version.created_at or now_iso()}
            self.db.table("prompt_versions").insert(row, pk="id")
        return _version(row)

    def get(self, name_or_id: str) -> PromptVersion | None:
        with self.lock:
            rows = self._rows("name = ? or id = ?", [name_or_id, name_or_id])
        return _version(rows[0]) if rows else None

    def list(self) -> builtins.list[PromptVersion]:
        """Every version, oldest first, with how many traces each produced."""
        with self.lock:
            return [_version(r) for r in self.db.query("select * from prompt_versions order by created_at, name")]

    def trace_counts(self) -> dict[str, int]:
        with self.lock:
            return {r["prompt_version"]: r["n"] for r in self.db.query(
                "select prompt_version, count(*) as n from traces where prompt_version is not null"
                " group by prompt_version")}

    def example_candidates(self, run_id: str | None = None) -> builtins.list[dict[str, Any]]:
        """Labelled traces with an output (of `run_id`, else all), oldest first: trace_id, prompt, output,
        verdict (pass | fail), note and failure mode name."""
        sql = ("select t.id as trace_id, t.prompt, t.output, l.verdict, l.note,"
               " (select m.mode_id from trace_failure_modes m where m.trace_id = t.id) as mode_id"
               " from traces t join latest_labels l on l.trace_id = t.id"
               " where l.verdict in ('pass', 'fail') and t.error is null and (? is null or t.run_id = ?)"
               " order by t.created_at, t.rowid")
        with self.lock:
            rows = [dict(r) for r in self.db.query(sql, [run_id, run_id])]
            modes = final_modes(self.db.query("select * from failure_modes"))
        for r in rows:
            mode = modes.get(r.pop("mode_id") or "")
            r["mode"] = str(mode.get("name") or mode.get("id")) if mode else None
        return rows

    def _rows(self, where: str, args: builtins.list[Any]) -> builtins.list[dict[str, Any]]:
        return [dict(r) for r in self.db.query(f"select * from prompt_versions where {where}", args)]


def _version(row: dict[str, Any]) -> PromptVersion:
    return PromptVersion(name=row["name"], system=row["system"],
                         examples=tuple(Example.from_json(e) for e in loads(row["examples_json"], [])),
                         parent=row["parent"], created_at=row["created_at"] or "", id=row["id"])
