"""Durability: a child process labels (and undoes) as fast as it can, printing each label once its
transaction has committed; the parent SIGKILLs it at random moments, several times over the same file.
Every label the child reported is in the database afterwards, and PRAGMA integrity_check is ok."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = r"""
import os, sys
from modelpick_tui.db import open_db
from modelpick_tui.evals.stores.labels import ReviewStore

store = ReviewStore(open_db(sys.argv[1]))
i = int(sys.argv[2])
os.write(1, b"READY\n")
while True:
    trace = f"t{i % 37}"
    if i % 5 == 4:
        label = store.undo(trace)
    else:
        label = store.label(trace, ("pass", "fail", "skip")[i % 3], note=f"note {i}", tags=[f"k{i % 4}"])
    if label is not None:  # returned: committed. Only now is it reported as saved.
        os.write(1, f"{label.id} {label.trace_id} {label.verdict} {label.note}\n".encode())
    i += 1
"""


def _run_and_kill(db: Path, start: int, rng: random.Random) -> list[tuple[int, str, str, str]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(start)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first == b"READY\n", (first, proc.stderr.read() if proc.stderr else b"")
        # Once the first label is reported (so every round has something to check, however slow the machine),
        # a random moment: mid-transaction more often than not.
        first_label = proc.stdout.readline()
        time.sleep(rng.uniform(0.02, 0.35))
        os.kill(proc.pid, signal.SIGKILL)
        out = first_label + proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    reported = []
    for line in out.decode().split("\n")[:-1]:  # a last line without its newline was never fully reported
        row_id, trace_id, verdict, note = line.split(" ", 3)
        reported.append((int(row_id), trace_id, verdict, note))
    return reported


@pytest.mark.timeout(120)
def test_sigkill_loses_no_reported_label(tmp_path: Path) -> None:
    db = tmp_path / "durable.db"
    rng = random.Random(int(os.environ.get("DURABILITY_SEED", "6")))
    reported: list[tuple[int, str, str, str]] = []
    for round_ in range(6):
        got = _run_and_kill(db, round_ * 100_000, rng)
        assert got, f"round {round_}: the child reported no label before it was killed"
        reported += got
    conn = sqlite3.connect(str(db))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = {r[0]: r[1:] for r in conn.execute("select id, trace_id, verdict, note from labels")}
    finally:
        conn.close()
    missing = [r for r in reported if rows.get(r[0]) != r[1:]]
    assert missing == [], f"{len(missing)} of {len(reported)} reported labels are not stored: {missing[:3]}"
    assert len(reported) > 50  # the loop really ran
