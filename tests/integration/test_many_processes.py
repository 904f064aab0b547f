"""Many processes on one MODELPICK_HOME: six `modelpick run`s and a labelling loop at once against a local fake
server, and the TUI labelling while `modelpick import` loads 20k traces. Nobody sees "database is locked",
every trace and label is stored, and the file passes PRAGMA integrity_check."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.evals.stores.traces import TraceStore
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from tests.support.batching_server import BatchingServer
from tests.support.pilot import SIZE, settle, text_of, wait_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
N_RUNS, N_PROMPTS = 6, 30

# Labels every trace as it appears, as a reviewer would while runs go on; prints "trace verdict" per label.
LABELLER = r"""
import sys, time
from modelpick_tui.services import build_services
from modelpick_tui.settings import Settings

want, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
services = build_services(Settings.from_env())
done = set()
while len(done) < want:
    if time.monotonic() > deadline:
        sys.exit(f"labelled {len(done)} of {want} before the deadline")
    fresh = [t for t in services.traces.list() if t.id not in done]
    for trace in fresh:
        verdict = "fail" if len(done) % 3 == 0 else "pass"
        services.review.label(trace.id, verdict, note=f"note {len(done)}" if verdict == "fail" else "")
        done.add(trace.id)
        print(trace.id, verdict, flush=True)
    if not fresh:
        time.sleep(0.02)  # nothing new yet: poll again
services.close()
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELPICK_")}
    return {**env, "MODELPICK_HOME": str(home), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def _write_set(path: Path, tag: str) -> Path:
    with path.open("w") as f:
        for i in range(N_PROMPTS):
            f.write(json.dumps({"id": f"{tag}-{i:02d}", "prompt": f"{tag}: what is {i} + {i}?"}) + "\n")
    return path


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _integrity(path: Path) -> str:
    db = open_db(path)
    try:
        return str(db.query("pragma integrity_check")[0]["integrity_check"])
    finally:
        db.close()


@pytest.mark.timeout(300)
def test_six_runs_and_a_labeller_on_one_home(tmp_path: Path) -> None:
    home = tmp_path / "home"  # new: the seven processes also race to create and migrate the database
    env = _env(home)
    # Three prompt sets, each run twice: two processes store the same set at once, others different ones.
    sets = [_write_set(tmp_path / f"set{i}.jsonl", f"s{i}") for i in range(3)]
    with BatchingServer(step_s=0.01, tokens=8, models=("m",)) as server:
        procs = [subprocess.Popen([sys.executable, "-c", LABELLER, str(N_RUNS * N_PROMPTS), "150"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)]
        procs += [subprocess.Popen(
            [sys.executable, "-m", "modelpick_tui", "run", str(sets[i % 3]), "-e", server.url, "--model", "m",
             "--concurrency", "4", "--name", f"run{i}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO) for i in range(N_RUNS)]
        try:
            outputs = [proc.communicate(timeout=180) for proc in procs]
        finally:
            _stop(procs)
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert "database is locked" not in err and "Traceback" not in err, err
        assert proc.returncode == 0, (out, err)
    for out, _ in outputs[1:]:
        assert f"{N_PROMPTS}/{N_PROMPTS} answered, 0 failed" in out

    db = open_db(home / "modelpick.db")
    try:
        runs = TraceStore(db).run_stats()
        assert sorted(r["name"] for r in runs) == [f"run{i}" for i in range(N_RUNS)]
        assert all((r["status"], r["total"], r["n_ok"], r["n_failed"]) == ("done", N_PROMPTS, N_PROMPTS, 0)
                   for r in runs), runs
        per_run = db.query("select run_id, count(*) n, count(distinct prompt_id) p from traces group by run_id")
        assert sorted((r["n"], r["p"]) for r in per_run) == [(N_PROMPTS, N_PROMPTS)] * N_RUNS
        assert len(db.query("select distinct prompt_set_id from runs")) == 3
        labelled = dict(line.split() for line in outputs[0][0].splitlines())
        assert len(labelled) == N_RUNS * N_PROMPTS
        latest = {r["trace_id"]: r["verdict"] for r in db.query(
            "select trace_id, verdict from labels l"
            " where id = (select max(id) from labels where trace_id = l.trace_id)")}
        assert latest == labelled
    finally:
        db.close()
    assert _integrity(home / "modelpick.db") == "ok"


# --- the TUI labels while an import runs --------------------------------------------------------------------

N_IMPORT = 20_000
# Keys pressed on the review screen, one label each ("f" asks for a note), and the verdicts they store.
KEYS: list[tuple[str, ...]] = [("p",), ("f", *"slow", "enter"), ("p",), ("s",), ("p",), ("f", *"wrong", "enter"),
                               ("p",), ("p",), ("f", *"refused", "enter"), ("p",), ("s",), ("p",)]
VERDICTS = {"p": "pass", "f": "fail", "s": "skip"}


def _write_import(path: Path) -> None:
    with path.open("w") as f:
        for i in range(N_IMPORT):
            record: dict[str, Any] = {"id": f"imp{i:05d}", "run": "bulk", "prompt_id": f"q{i % 500}",
                                      "prompt": f"Imported question {i}?", "model": f"org/m{i % 4}",
                                      "output": f"Imported answer {i}.", "created_at": "2027-01-01T00:00:00.000Z"}
            if i % 4 == 0:
                record |= {"verdict": "pass" if i % 8 else "fail", "note": "" if i % 8 else "imported note",
                           "labelled_at": "2027-01-01T00:00:01.000Z"}
            f.write(json.dumps(record) + "\n")


def _start_import(db_path: Path, path: Path, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "modelpick_tui", "--db", str(db_path), "import", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(home), cwd=REPO)


@pytest.mark.timeout(300)
async def test_the_tui_labels_while_an_import_of_20k_traces_runs(services: Services, tmp_path: Path) -> None:
    rows = [Trace(run_id="mine", prompt=f"Question {i}?", endpoint="ep", model="org/mine", output=f"Answer {i}.",
                  id=f"mine{i:02d}", created_at=f"2026-01-01T00:00:{i:02d}.000Z") for i in range(len(KEYS))]
    services.traces.add_many(rows)
    bulk = tmp_path / "bulk.jsonl"
    _write_import(bulk)
    db_path = services.settings.db_path
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("V")  # the review screen: its queue holds our traces, the import's come later
        await settle(pilot)
        proc = _start_import(db_path, bulk, services.settings.home)
        try:
            def started() -> bool:
                assert proc.poll() is None, proc.communicate()
                return services.db.query("select count(*) n from traces")[0]["n"] > len(KEYS)

            await wait_for(pilot, started, 120, "the import's first batch")
            while_importing = 0
            for keys in KEYS:
                await pilot.press(*keys)
                await pilot.pause()
                while_importing += proc.poll() is None
            out, err = await asyncio.to_thread(proc.communicate, timeout=240)
        finally:
            _stop([proc])
        progress = text_of(app.screen.query_one("#review-progress")).strip()
    assert "database is locked" not in err and "Traceback" not in err, err
    assert proc.returncode == 0 and f"imported {N_IMPORT} traces, {N_IMPORT // 4} labels" in out, (out, err)
    assert while_importing >= 1, while_importing  # labels written while the import wrote, not after it
    expected = {t.id: VERDICTS[k[0]] for t, k in zip(rows, KEYS, strict=True)}
    stored = services.review.latest_many(expected)
    assert {tid: label.verdict for tid, label in stored.items()} == expected
    assert [stored[t.id].note for t, k in zip(rows, KEYS, strict=True) if k[0] == "f"] == ["slow", "wrong", "refused"]
    assert progress.startswith(f"10 labelled of {len(KEYS)} · 7 pass · 3 fail · 2 skipped")
    assert services.db.query("select count(*) n from traces")[0]["n"] == N_IMPORT + len(KEYS)
    assert _integrity(db_path) == "ok"
