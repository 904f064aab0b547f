"""The failure-mode tables and the human's edits to them (what a mode is: evals/failure_modes.py; the maths:
clustering.py)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...clock import now_iso
from ..base import dumps, loads
from ..clustering import (
    EMBED_MODEL,
    OUTPUT_CHARS,
    cluster_vectors,
    embed_sentences,
    name_of,
    note_sha,
    place,
    place_new,
    top_terms,
)
from ..failure_modes import (
    Clustering,
    FailedTrace,
    FailureModeError,
    Mode,
    Placement,
    Progress,
    features,
    final_modes,
    resolve_method,
)
from ..mode_names import NAMER_KEY
from .base import Store

if TYPE_CHECKING:
    import numpy as np


class FailureModeStore(Store):
    """The `failure_modes` and `trace_failure_modes` tables (+ `failure_clusterings`, `note_embeddings`)."""

    # -- reading

    def failed_traces(self) -> list[FailedTrace]:
        """Traces whose latest label is 'fail', oldest first; the model is traces.model (or the endpoint)."""
        sql = """
            select t.id, coalesce(nullif(t.model, ''), t.endpoint, '?') as model, l.note, t.output, t.prompt
            from latest_labels l
            join traces t on t.id = l.trace_id
            where l.verdict = 'fail'
            order by t.created_at, t.rowid"""
        with self.lock:
            rows = list(self.db.query(sql))
        return [FailedTrace(r["id"], r["model"] or "?", r["note"] or "", r["output"] or "", r["prompt"] or "")
                for r in rows]

    def _active_modes(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {r["id"]: dict(r) for r in self.db.query(
                "select * from failure_modes where status = 'active' order by id")}

    def final_modes(self) -> dict[str, dict[str, Any]]:
        """mode id -> the row of the active mode it counts under now (see `final_modes`)."""
        with self.lock:
            return final_modes(self.db.query("select * from failure_modes"))

    def _assignments(self) -> dict[str, tuple[str, str]]:
        """trace id → (active mode id, source); merged modes are followed to the mode they went into."""
        with self.lock:
            final = self.final_modes()
            rows = list(self.db.query("select trace_id, mode_id, source from trace_failure_modes"))
        return {row["trace_id"]: (final[row["mode_id"]]["id"], row["source"] or "auto")
                for row in rows if row["mode_id"] in final}

    def modes(self) -> list[Mode]:
        """Active modes with at least one failed trace, largest first, with per-model counts and trace ids."""
        failed = {t.trace_id: t for t in self.failed_traces()}
        assigned = self._assignments()
        out = {mid: Mode(id=mid, name=row["name"] or "unnamed", terms=loads(row["terms_json"], []),
                         origin=row["origin"] or "auto", suggested=row.get("suggested_name") or "",
                         suggested_by=row.get("suggested_by") or "")
               for mid, row in self._active_modes().items()}
        for trace_id, trace in failed.items():
            mode = out.get(assigned.get(trace_id, ("", ""))[0])
            if mode is not None:
                mode.trace_ids.append(trace_id)
                mode.per_model[trace.model] = mode.per_model.get(trace.model, 0) + 1
        for mode in out.values():
            mode.size = len(mode.trace_ids)
            mode.per_model = dict(sorted(mode.per_model.items()))
        return sorted((m for m in out.values() if m.size), key=lambda m: (-m.size, m.id))

    def mode(self, mode_id: str) -> Mode:
        for mode in self.modes():
            if mode.id == mode_id:
                return mode
        raise FailureModeError(f"no failure mode {mode_id!r} (modelpick failures lists them)")

    def traces_of(self, mode_id: str) -> list[FailedTrace]:
        """The failed traces of a mode (note, output, model) for the drill-down."""
        ids = set(self.mode(mode_id).trace_ids)
        return [t for t in self.failed_traces() if t.trace_id in ids]

    def unassigned(self) -> list[str]:
        """Failed traces that no clustering has placed yet (labelled since the last one)."""
        assigned = self._assignments()
        return [t.trace_id for t in self.failed_traces() if t.trace_id not in assigned]

    def count_unplaced(self) -> int:
        """How many failed traces no active mode holds (`unassigned`, counted in SQL: no note or output read)."""
        holding = sorted(self.final_modes())  # a merged mode's traces count under the mode it went into
        sql = """
            select count(*) as n from latest_labels l
            join traces t on t.id = l.trace_id
            where l.verdict = 'fail' and not exists (
                select 1 from trace_failure_modes m
                where m.trace_id = l.trace_id and m.mode_id in (select value from json_each(?)))"""
        with self.lock:
            return int(next(iter(self.db.query(sql, [dumps(holding)])))["n"])

    def last_clustering(self) -> Clustering | None:
        with self.lock:
            rows = list(self.db.query("select * from failure_clusterings order by id desc limit 1"))
        if not rows:
            return None
        r = rows[0]
        return Clustering(r["method"], r["n_traces"], r["n_modes"], r["silhouette"], r["seconds"], r["created_at"])

    # -- clustering

    def _note_vectors(self, notes: Sequence[str]) -> np.ndarray:
        """Sentence embeddings of notes, each distinct note embedded once and cached in the database."""
        import numpy as np

        shas = [note_sha(n) for n in notes]
        wanted = sorted(set(shas))
        cached: dict[str, np.ndarray] = {}
        with self.lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                for row in self.db.query(
                        f"select sha, vector from note_embeddings where sha in ({','.join('?' * len(chunk))})",
                        chunk):
                    cached[row["sha"]] = np.frombuffer(row["vector"], dtype=np.float32)
        missing = {sha: note for sha, note in zip(shas, notes, strict=True) if sha not in cached}
        if missing:
            vectors = embed_sentences(list(missing.values()))
            fresh = dict(zip(missing, vectors, strict=True))
            with self.write():
                self.db.table("note_embeddings").insert_all(
                    ({"sha": sha, "model": EMBED_MODEL, "vector": v.tobytes()} for sha, v in fresh.items()),
                    pk="sha", replace=True)
            cached.update(fresh)
        if not shas:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([cached[s] for s in shas])

    def _features(self, traces: Sequence[FailedTrace], method: str) -> np.ndarray:
        note_vectors = self._note_vectors([t.note.strip() for t in traces]) if method == "embeddings" else None
        return features(traces, method, note_vectors)

    def recluster(self, method: str = "auto", progress: Progress | None = None) -> Clustering:
        """Cluster every failed trace again and reconcile with the human's edits; one transaction writes it."""
        return self._cluster(method, progress, new_only=False)[0]

    def place_unassigned(self, method: str = "auto", progress: Progress | None = None) -> Placement | None:
        """Put the failed traces no clustering has placed yet into the existing modes (a cluster of new traces
        only becomes a new mode), leaving every earlier placement, and so every rename, merge, split and move,
        as it is; with no mode yet, the first clustering. None when there is nothing to place."""
        if not self.unassigned():
            return None
        if not self.modes():
            result = self._cluster(method, progress, new_only=False)[0]
            return Placement(result.n_traces, 0, result.n_modes, result.method, result.seconds, first=True)
        result, (new_modes, joined, placed) = self._cluster(method, progress, new_only=True)
        return Placement(placed, joined, new_modes, result.method, result.seconds)

    def _cluster(self, method: str, progress: Progress | None, *,
                 new_only: bool) -> tuple[Clustering, tuple[int, int, int]]:
        import numpy as np

        say = progress or (lambda stage, fraction: None)
        started = time.perf_counter()
        method = resolve_method(method)
        traces = self.failed_traces()
        say(f"embedding {len(traces)} failed traces ({method})", 0.1)
        x = self._features(traces, method) if traces else np.zeros((0, 1), dtype=np.float32)
        say("clustering", 0.6)
        labels, silhouette = cluster_vectors(x)
        say("naming and saving", 0.9)
        with self.write():  # an edit made while the vectors were computed must not be lost: reconcile as one
            n_modes, made = self._reconcile(traces, labels, x, new_only=new_only)
        result = Clustering(method, len(traces), n_modes, silhouette, round(time.perf_counter() - started, 3),
                            now_iso())
        if not new_only:  # the record of (re-)clusterings: which method ran over all the failures, and when
            with self.write():
                self.db.table("failure_clusterings").insert(
                    {"method": result.method, "n_traces": result.n_traces, "n_modes": result.n_modes,
                     "silhouette": result.silhouette, "seconds": result.seconds, "created_at": result.created_at})
        say("done", 1.0)
        return result, made

    def _reconcile(self, traces: Sequence[FailedTrace], labels: np.ndarray, x: np.ndarray, *,
                   new_only: bool = False) -> tuple[int, tuple[int, int, int]]:
        """Write where every failed trace goes; the number of modes holding traces, and (modes made now, traces
        newly placed into modes that were there before, traces newly placed)."""
        active = self._active_modes()
        human = {mid for mid, row in active.items() if row["origin"] == "human"}
        prev = self._assignments()
        index = {t.trace_id: i for i, t in enumerate(traces)}
        ids, next_id = [t.trace_id for t in traces], _next_mode_number(self._all_mode_ids())
        final = (place_new(ids, labels, x, prev, next_id) if new_only
                 else place(ids, labels, x, prev, human, next_id))

        # Names: c-TF-IDF over the notes (outputs when a mode has no notes) of the final modes.
        by_mode: dict[str, list[FailedTrace]] = defaultdict(list)
        for trace in traces:
            if trace.trace_id in final:
                by_mode[final[trace.trace_id][0]].append(trace)
        mode_ids = sorted(by_mode)
        terms = top_terms([[f.note or f.output[:OUTPUT_CHARS] for f in by_mode[m]] for m in mode_ids])
        now = now_iso()
        failed_ids = set(index)
        with self.write():
            table = self.db.table("failure_modes")
            for mid, mode_terms in zip(mode_ids, terms, strict=True):
                if mid in active:
                    update: dict[str, Any] = {"terms_json": dumps(mode_terms), "updated_at": now}
                    if mid not in human:
                        update["name"] = name_of(mode_terms)
                    table.update(mid, update)
                else:
                    table.insert({"id": mid, "name": name_of(mode_terms), "terms_json": dumps(mode_terms),
                                  "origin": "auto", "status": "active", "merged_into": None, "created_at": now,
                                  "updated_at": now}, pk="id")
            for mid in set(active) - set(by_mode) - human:  # automatic modes left empty
                table.update(mid, {"status": "deleted", "updated_at": now})
            # Automatic placements of traces that are no longer failures go; a person's moves stay on record.
            self.db.execute("delete from trace_failure_modes where source != 'human' and trace_id not in "
                            "(select value from json_each(?))", [dumps(sorted(failed_ids))])
            self.db.table("trace_failure_modes").insert_all(
                ({"trace_id": t, "mode_id": m, "source": src,
                  "created_at": now} for t, (m, src) in final.items()), pk="trace_id", replace=True)
        made = set(mode_ids) - set(active)
        placed = [m for t, (m, _) in final.items() if t not in prev]
        return len(mode_ids), (len(made), sum(1 for m in placed if m not in made), len(placed))

    def _all_mode_ids(self) -> list[str]:
        with self.lock:
            return [r["id"] for r in self.db.query("select id from failure_modes")]

    # -- suggested names (evals/mode_names.py)

    def namer(self) -> str | None:
        """The endpoint the user picked to name modes (a setting of the home), None when none."""
        return self.database.get_meta(NAMER_KEY)

    def set_namer(self, endpoint: str | None) -> None:
        self.database.set_meta(NAMER_KEY, endpoint or None)

    def to_name(self) -> list[Mode]:
        """Modes with traces that no person named and no model has suggested a name for yet."""
        return [m for m in self.modes() if m.origin != "human" and not m.suggested]

    def suggest(self, mode_id: str, name: str, by: str) -> None:
        """Store a suggested name (already cleaned: mode_names.name_from_answer); the mode's name is untouched."""
        with self.write():
            self.db.table("failure_modes").update(mode_id, {"suggested_name": name, "suggested_by": by,
                                                            "updated_at": now_iso()})

    # -- the human's edits

    def rename(self, mode_id: str, name: str) -> Mode:
        name = " ".join(name.split())
        if not name:
            raise FailureModeError("a failure mode needs a name")
        self.mode(mode_id)
        with self.write():
            self.db.table("failure_modes").update(mode_id, {"name": name, "origin": "human",
                                                            "updated_at": now_iso()})
        return self.mode(mode_id)

    def merge(self, into: str, others: Sequence[str]) -> Mode:
        """Fold `others` into `into`; they stay merged when failures are re-clustered."""
        self.mode(into)
        others = [o for o in dict.fromkeys(others) if o != into]
        if not others:
            raise FailureModeError("name at least one other mode to merge")
        for other in others:
            self.mode(other)
        now = now_iso()
        with self.write():
            for other in others:
                self.db.execute("update trace_failure_modes set mode_id = ? where mode_id = ?", [into, other])
                self.db.table("failure_modes").update(other, {"status": "merged", "merged_into": into,
                                                              "updated_at": now})
            self.db.table("failure_modes").update(into, {"origin": "human", "updated_at": now})
        return self.mode(into)

    def move(self, trace_id: str, mode_id: str) -> Mode:
        """Put one failed trace in another mode; re-clustering never moves it back."""
        if trace_id not in {t.trace_id for t in self.failed_traces()}:
            raise FailureModeError(f"trace {trace_id!r} is not a failed trace")
        self.mode(mode_id)
        with self.write():
            self.db.table("trace_failure_modes").insert(
                {"trace_id": trace_id, "mode_id": mode_id, "source": "human", "created_at": now_iso()},
                pk="trace_id", replace=True)
        return self.mode(mode_id)

    def split(self, mode_id: str, method: str = "auto") -> tuple[Mode, Mode]:
        """Split a mode in two by clustering its own traces; both halves are kept as the human's."""
        import numpy as np

        mode = self.mode(mode_id)
        if mode.size < 2:
            raise FailureModeError(f"mode {mode_id} has one trace: nothing to split")
        traces = self.traces_of(mode_id)
        x = self._features(traces, resolve_method(method))
        labels, _ = cluster_vectors(x, k=2)
        if len(set(labels.tolist())) < 2:  # fewer than 3 traces, or identical ones: split off the last
            labels = np.zeros(len(traces), dtype=int)
            labels[-1] = 1
        if (labels == 1).sum() > (labels == 0).sum():
            labels = 1 - labels  # the larger half keeps the mode (and its name)
        part = [t for t, lab in zip(traces, labels.tolist(), strict=True) if lab == 1]
        keep = [t for t, lab in zip(traces, labels.tolist(), strict=True) if lab == 0]
        keep_terms, part_terms = top_terms([[t.note or t.output for t in keep], [t.note or t.output for t in part]])
        new_id = f"m{_next_mode_number(self._all_mode_ids())}"
        now = now_iso()
        update: dict[str, Any] = {"origin": "human", "terms_json": dumps(keep_terms), "updated_at": now}
        if mode.origin != "human":
            update["name"] = name_of(keep_terms)
        with self.write():
            self.db.table("failure_modes").update(mode_id, update)
            self.db.table("failure_modes").insert(
                {"id": new_id, "name": name_of(part_terms), "terms_json": dumps(part_terms), "origin": "human",
                 "status": "active", "merged_into": None, "created_at": now, "updated_at": now}, pk="id")
            self.db.execute(
                "update trace_failure_modes set mode_id = ? where trace_id in (select value from json_each(?))",
                [new_id, dumps([t.trace_id for t in part])])
        return self.mode(mode_id), self.mode(new_id)


def _next_mode_number(ids: Sequence[str]) -> int:
    numbers = [int(i[1:]) for i in ids if i.startswith("m") and i[1:].isdigit()]
    return max(numbers, default=0) + 1
