"""The `prompt_sets` and `prompts` tables: a run resumes without its file (reading a file: evals/promptsets.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...clock import now_iso
from ..base import dumps, loads
from ..checks import Check
from ..promptsets import FORMATS, Prompt, PromptSet, content_id
from .base import Store


class PromptSetStore(Store):
    """The `prompt_sets` and `prompts` tables."""

    def save(self, prompt_set: PromptSet) -> str:
        """Store the set (once: the same content keeps its id and rows) and return its id."""
        set_id = content_id(prompt_set)
        row = {"id": set_id, "name": prompt_set.name, "path": str(prompt_set.path), "sha256": prompt_set.sha256,
               "n_prompts": len(prompt_set.prompts), "loaded_at": now_iso()}
        prompts = [{"set_id": set_id, "id": p.id, "prompt": p.prompt, "system": p.system,
                    "reference": p.reference, "tags_json": dumps(list(p.tags)), "line": p.line,
                    "checks_json": checks_json(p.checks)}
                   for p in prompt_set.prompts]
        with self.write():
            self.db.table("prompt_sets").insert(row, pk="id", replace=True)
            self.db.table("prompts").insert_all(prompts, pk=("set_id", "id"), replace=True)
        return set_id

    def get(self, set_id: str) -> PromptSet | None:
        """The stored set, prompts in file order; None if unknown."""
        with self.lock:
            rows = list(self.db.query("select * from prompt_sets where id = ?", [set_id]))
            if not rows:
                return None
            prompts = list(self.db.query("select * from prompts where set_id = ? order by line, rowid", [set_id]))
        head = rows[0]
        path = Path(head["path"] or head["name"] or set_id)
        result = PromptSet(name=head["name"] or set_id, path=path, format=FORMATS.get(path.suffix.lower(), "jsonl"),
                           sha256=head["sha256"] or "")
        for r in prompts:
            result.prompts.append(Prompt(id=r["id"], prompt=r["prompt"], system=r["system"],
                                         reference=r["reference"], tags=tuple(loads(r["tags_json"], [])),
                                         line=r["line"] or 0, checks=checks_from(r["checks_json"])))
        return result

    def set_checks(self, set_id: str, prompt_set: PromptSet) -> int:
        """Give the stored set's prompts the checks `prompt_set` (the same prompts, read again) has now; the
        number of prompts whose checks changed."""
        stored = self.get(set_id)
        if stored is None:
            return 0
        now = {p.id: p.checks for p in prompt_set.prompts}
        changed = [p.id for p in stored.prompts if p.id in now and now[p.id] != p.checks]
        with self.write():
            for prompt_id in changed:
                self.db.execute("update prompts set checks_json = ? where set_id = ? and id = ?",
                                [checks_json(now[prompt_id]), set_id, prompt_id])
        return len(changed)

    def list(self) -> list[dict[str, Any]]:
        """Every stored set: id, name, path, sha256, n_prompts, loaded_at (newest first)."""
        with self.lock:
            return [dict(r) for r in self.db.query("select * from prompt_sets order by loaded_at desc")]


def checks_json(checks: tuple[Check, ...]) -> str | None:
    return dumps([c.to_json() for c in checks]) if checks else None


def checks_from(text: str | None) -> tuple[Check, ...]:
    """Stored checks, as they were when the set was read (they were checked then)."""
    return tuple(Check(c["type"], c.get("value")) for c in loads(text, []))
