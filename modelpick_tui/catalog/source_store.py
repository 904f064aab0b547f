"""The catalogue's other sources, in the `model_sources` and `hosted_models` tables: which hubs list a model
(ModelScope beside the Hugging Face Hub) and where it is hosted behind an API (OpenRouter), at what price."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..clock import now_iso

if TYPE_CHECKING:
    from ..db import Database

# What a row's own `source` (models.source) means, in the words the card and --json show.
ROW_SOURCES = {"hub": "huggingface", "sample": "huggingface", "modelscope": "modelscope", "local": "local",
               "ollama": "ollama"}


class SourceStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- hubs ---------------------------------------------------------------------------

    def add_sources(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(model_id, source, the id there, its page) for each model another hub lists."""
        now = now_iso()
        items = [{"model_id": m, "source": s, "source_id": sid, "url": url, "synced_at": now}
                 for m, s, sid, url in rows]
        if items:
            with self.database.write() as db:
                db.table("model_sources").upsert_all(items, pk=("model_id", "source"))

    def known_ids(self, candidates: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The catalogue's rows for `candidates`, matched without regard to case: lower-cased candidate → (id, the
        row's source); a row from the Hugging Face Hub wins over one another source made."""
        lowered = sorted({c.lower() for c in candidates})
        found: dict[str, tuple[str, str]] = {}
        with self.database.read() as db:
            for start in range(0, len(lowered), 500):
                chunk = lowered[start:start + 500]
                marks = ",".join("?" * len(chunk))
                # The exact ids through the primary key, the others in one scan.
                rows = db.execute(f"SELECT id, source FROM models WHERE id IN ({marks}) OR lower(id) IN ({marks}) "
                                  "ORDER BY source = 'modelscope'", [*chunk, *chunk]).fetchall()
                for mid, src in rows:
                    found.setdefault(mid.lower(), (mid, src or ""))
        return found

    def _by_source_id(self, source: str, source_ids: Sequence[str], column: str) -> dict[str, Any]:
        """`column` of the model_sources rows of `source` for each of its ids that has one."""
        out: dict[str, Any] = {}
        with self.database.read() as db:
            for start in range(0, len(source_ids), 500):
                chunk = list(source_ids[start:start + 500])
                marks = ",".join("?" * len(chunk))
                for sid, value in db.execute(f"SELECT source_id, {column} FROM model_sources WHERE source = ? AND "
                                             f"source_id IN ({marks})", [source, *chunk]):
                    out[sid] = value
        return out

    def linked(self, source: str, source_ids: Sequence[str]) -> dict[str, str]:
        """The rows models of `source` were merged into: its id → the catalogue's id."""
        return self._by_source_id(source, source_ids, "model_id")

    def originals(self, source: str, source_ids: Sequence[str]) -> dict[str, str | None]:
        """The Hugging Face original each page of `source` names, as read at a sync: its id → 'org/name', '' (read,
        names none) or None (not read yet)."""
        return self._by_source_id(source, source_ids, "hf_original")

    def named_originals(self, source: str) -> list[tuple[str, str]]:
        """(its id, the Hugging Face original its page names) for each row `source` made on its own whose page,
        read at a sync, names one."""
        with self.database.read() as db:
            return [(sid, name) for sid, name in db.execute(
                "SELECT source_id, hf_original FROM model_sources WHERE source = ? AND model_id = source_id AND "
                "hf_original != ''", [source])]

    def set_original(self, source: str, source_id: str, original: str) -> None:
        """What the page of `source_id` names as its Hugging Face original ('' for none)."""
        with self.database.write() as db:
            db.execute("UPDATE model_sources SET hf_original = ? WHERE source = ? AND source_id = ?",
                       [original, source, source_id])

    def merge_into(self, source: str, source_id: str, model_id: str, url: str) -> None:
        """`source_id`, a row `source` made on its own, is `model_id` after all (its page names it): one row with
        both sources. The separate row goes, unless the user shortlisted it."""
        with self.database.write() as db:
            db.table("model_sources").upsert({"model_id": model_id, "source": source, "source_id": source_id,
                                              "url": url, "synced_at": now_iso()}, pk=("model_id", "source"))
            if source_id != model_id and db.execute("SELECT 1 FROM shortlist WHERE model_id = ?",
                                                    [source_id]).fetchone() is None:
                for table in ("model_files", "cards", "model_sources"):
                    db.execute(f"DELETE FROM {table} WHERE model_id = ?", [source_id])
                db.execute("DELETE FROM models WHERE id = ? AND source = ?", [source_id, source])

    def sources(self, model_id: str) -> list[dict[str, Any]]:
        """Every source of one model: its row's own first, then the others ({source, id, url})."""
        return self.sources_for([model_id]).get(model_id, [])

    def sources_for(self, model_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        ids = list(dict.fromkeys(model_ids))
        with self.database.read() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for mid, src in db.execute(f"SELECT id, source FROM models WHERE id IN ({marks})", chunk):
                    out.setdefault(mid, []).append({"source": ROW_SOURCES.get(src or "", src or "unknown"),
                                                    "id": mid, "url": _page(src or "", mid)})
                for mid, src, sid, url in db.execute(
                        f"SELECT model_id, source, source_id, url FROM model_sources WHERE model_id IN ({marks}) "
                        "ORDER BY model_id, source", chunk):
                    listed = out.setdefault(mid, [])
                    if all(x["source"] != src for x in listed):
                        listed.append({"source": src, "id": sid, "url": url})
        return out

    # --- hosted behind an API -------------------------------------------------------------

    def replace_hosted(self, provider: str, rows: Sequence[dict[str, Any]]) -> None:
        """The provider's whole list, replacing the last one (a model it dropped is not hosted there any more)."""
        now = now_iso()
        with self.database.write() as db:
            db.execute("DELETE FROM hosted_models WHERE provider = ?", [provider])
            db.table("hosted_models").insert_all([{**r, "provider": provider, "synced_at": now} for r in rows],
                                                 pk=("provider", "id"))

    def hosted_count(self, provider: str) -> int:
        with self.database.read() as db:
            return int(db.execute("SELECT count(*) FROM hosted_models WHERE provider = ?", [provider]).fetchone()[0])

    def hosted_for(self, model_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Where each model is hosted: rows of `hosted_models` whose hugging_face_id is the model's id (any case),
        cheapest first."""
        out: dict[str, list[dict[str, Any]]] = {}
        by_lower = {m.lower(): m for m in model_ids}
        if not by_lower:
            return out
        cols = ["provider", "id", "name", "hugging_face_id", "context_length", "prompt_price", "completion_price",
                "synced_at"]
        with self.database.read() as db:
            keys = list(by_lower)
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                sql = (f"SELECT {', '.join(cols)} FROM hosted_models WHERE hugging_face_id COLLATE NOCASE IN "
                       f"({marks}) ORDER BY prompt_price IS NULL, prompt_price, completion_price, id")
                for r in db.execute(sql, chunk).fetchall():
                    row = dict(zip(cols, r, strict=True))
                    out.setdefault(by_lower[row["hugging_face_id"].lower()], []).append(row)
        return out


def _page(source: str, model_id: str) -> str:
    if source in ("hub", "sample"):
        return f"https://huggingface.co/{model_id}"
    if source == "modelscope":
        return f"https://modelscope.cn/models/{model_id}"
    return ""
