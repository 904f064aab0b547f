"""What the shortlist side by side is made of (evals/shortlist.py builds it): plain data the screen and the CLI
show, with no IO behind it, so that the UI can name these types without reaching a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..serving.measured import Figure

Better = Literal["high", "low"] | None
DEFAULT_CONTEXT = 8192


@dataclass
class Cell:
    text: str = ""  # "" is an empty cell: nothing known, never a zero
    value: float | None = None  # what "best" compares
    best: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "best": self.best}


@dataclass
class FactRow:
    key: str  # stable: "licence", "fit", "bench:<dataset>|<metric>"
    label: str
    cells: list[Cell]
    better: Better = None
    group: str = "facts"  # "facts" | "benchmarks"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "group": self.group, "better": self.better,
                "cells": [c.to_dict() for c in self.cells]}


@dataclass
class Measurement:
    """One engine report of a served model, with its figures beside the fit estimate."""

    server: str
    backend: str
    model_ref: str
    quant: str | None
    context: int | None
    measured_at: str
    process_memory: str  # "RSS 241 MiB" at ready, apart: mmap makes RSS move with use
    figures: list[Figure]

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "backend": self.backend, "model_ref": self.model_ref, "quant": self.quant,
                "context": self.context, "measured_at": self.measured_at, "process_memory": self.process_memory,
                "figures": [f.to_dict() for f in self.figures]}


@dataclass
class Candidate:
    model_id: str
    note: str
    known: bool  # in the catalogue
    facts: dict[str, Any] = field(default_factory=dict)  # the JSON view, with the field names


@dataclass
class SideBySide:
    candidates: list[Candidate]
    rows: list[FactRow]
    context: int
    memory: str

    def to_dict(self) -> dict[str, Any]:
        return {"context": self.context, "memory": self.memory,
                "candidates": [{"model_id": c.model_id, "note": c.note, "in_catalogue": c.known, **c.facts}
                               for c in self.candidates],
                "rows": [r.to_dict() for r in self.rows]}


# --- marking the best ------------------------------------------------------------------------------------------


def mark_best(row: FactRow) -> FactRow:
    """Mark the best value of a row (ties all marked) when at least two candidates have one to compare."""
    values = [c.value for c in row.cells if c.value is not None]
    if row.better is None or len(values) < 2 or len(set(values)) < 2:
        return row
    best = max(values) if row.better == "high" else min(values)
    for c in row.cells:
        c.best = c.value == best
    return row
