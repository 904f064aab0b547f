"""The real `modelpick` TUI in a pseudo-terminal, driven by keys: it starts the real llama.cpp server on the
Gemma GGUF, then the TUI is hung up on (SIGHUP) or killed (SIGKILL). A server it started must not outlive it
(the guard process ends it: nothing in the TUI runs on SIGKILL); a detached one must, and a new modelpick
re-attaches it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from modelpick_tui.serving.procs import group_members, port_is_free
from tests.support.pty_tui import Tui, tui_env

pytestmark = [pytest.mark.llama, pytest.mark.integration]

MODELPICK = Path(sys.executable).with_name("modelpick")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """modelpick's home for the TUI under test; every server recorded there is killed afterwards."""
    home = tmp_path / "home"
    try:
        yield home
    finally:
        for row in endpoints(home):
            if row["pgid"] and group_members(row["pgid"]):
                os.killpg(row["pgid"], signal.SIGKILL)


def endpoints(home: Path) -> list[dict[str, Any]]:
    db = home / "modelpick.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM endpoints")]
    except sqlite3.OperationalError:  # not made yet
        return []
    finally:
        conn.close()


def server_row(home: Path, name: str, limit: float, **want: Any) -> dict[str, Any]:
    """The endpoints row of `name` once its columns have the values in `want`."""
    deadline = time.monotonic() + limit
    while True:
        row = next((r for r in endpoints(home) if r["name"] == name), None)
        if row is not None and all(row.get(k) == v for k, v in want.items()):
            return row
        assert row is None or row["status"] != "failed", row
        assert time.monotonic() < deadline, f"no {want} for {name}: {row}"
        time.sleep(0.2)


def start_gemma_by_keys(tui: Tui, gguf: Path) -> None:
    """S (servers), n (start), pick the GGUF from the form's list by typing part of its name, then name it
    gemma and give it a 1024 context; enter; until it says ready."""
    mark = tui.wait_for("232 of 232 models", 60)  # the browse screen, with its catalogue loaded
    tui.keys("S")
    mark = tui.wait_for("no servers yet", 15, mark)
    tui.keys("n")
    mark = tui.wait_for("start a server", 15, mark)
    mark = tui.wait_for(gguf.name, 30, mark)  # the packaged Gemma, listed (found by a worker)
    tui.keys(*"270m")  # typed on the list: its filter
    mark = tui.wait_for("270m", 10, mark)
    tui.keys("\r")  # picks it: the model path, a name, the context that fits, the chat format
    mark = tui.wait_for("enter starts it", 10, mark)
    tui.keys("\x01", "\x0b", *"gemma")  # the name (focused after the pick): ctrl+a ctrl+k clears it
    mark = tui.wait_for("gemma", 10, mark)
    tui.keys("\t", "\t", "\t", "\x01", "\x0b", *"1024")  # past the backend and the model to the context
    mark = tui.wait_for("1024", 10, mark)
    tui.keys("\r")
    tui.wait_for("gemma ready in", 40, mark)  # the notification


def llama_pids(row: dict[str, Any]) -> list[int]:
    pids = group_members(row["pgid"])
    assert any("llama_cpp.server" in " ".join(psutil.Process(p).cmdline()) for p in pids), pids
    return pids


def gone(row: dict[str, Any], limit: float) -> None:
    deadline = time.monotonic() + limit
    while group_members(row["pgid"]):
        assert time.monotonic() < deadline, f"the server outlived modelpick: {group_members(row['pgid'])}"
        time.sleep(0.1)
    assert not psutil.pid_exists(row["pid"]) or psutil.Process(row["pid"]).status() == psutil.STATUS_ZOMBIE
    deadline = time.monotonic() + 5
    while not port_is_free("127.0.0.1", row["port"]):
        assert time.monotonic() < deadline, f"port {row['port']} still taken"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_the_server_dies_with_the_tui(sig: int, home: Path, tmp_path: Path, gemma_gguf: Path) -> None:
    tui = Tui(tui_env(home, tmp_path))
    try:
        start_gemma_by_keys(tui, gemma_gguf)
        row = server_row(home, "gemma", 40, status="ready")
        assert row["detached"] == 0 and llama_pids(row)
        os.kill(tui.pid, sig)
        status = tui.wait_exit(15)
        assert os.WIFSIGNALED(status) or os.WIFEXITED(status)
        gone(row, 15)
    finally:
        tui.close()


def test_a_detached_server_survives_a_killed_tui_and_is_reattached(home: Path, tmp_path: Path,
                                                                      gemma_gguf: Path) -> None:
    env = tui_env(home, tmp_path)
    tui = Tui(env)
    try:
        start_gemma_by_keys(tui, gemma_gguf)
        row = server_row(home, "gemma", 40, status="ready")
        tui.keys("D")  # detach the selected (only) server
        row = server_row(home, "gemma", 10, detached=1)
        pids = llama_pids(row)
        os.kill(tui.pid, signal.SIGKILL)
        tui.wait_exit(10)
        time.sleep(3)  # longer than the guard would take to end a server that was not detached
        assert group_members(row["pgid"]) and all(psutil.pid_exists(p) for p in pids if p == row["pid"])
        assert not port_is_free("127.0.0.1", row["port"])
    finally:
        tui.close()

    # A new modelpick finds it, ready, on the same port; then stops it for good.
    cli = [str(MODELPICK)]
    listed = subprocess.run([*cli, "servers", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["gemma"]["status"] == "ready" and rows["gemma"]["detached"] is True
    assert rows["gemma"]["pid"] == row["pid"] and rows["gemma"]["url"] == f"http://127.0.0.1:{row['port']}/v1"
    assert rows["gemma"]["memory"].startswith("RSS ")
    stopped = subprocess.run([*cli, "stop", "gemma"], env=env, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    gone(row, 15)
