"""The supervisor against real processes: the real llama.cpp server on the real Gemma 3 270M GGUF, known
start failures, and no orphans when modelpick dies (SIGKILL, SIGHUP) — with detached servers surviving and
re-attached by a later modelpick. Every process a test starts is stopped, even when the test fails."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from modelpick_tui.db import Database, open_db
from modelpick_tui.serving.spec import ServerSpec, ServingError
from modelpick_tui.serving.supervisor import (
    FAILED,
    READY,
    STOPPED,
    Server,
    Supervisor,
    group_members,
    port_is_free,
)

pytestmark = pytest.mark.integration

STUB = Path(__file__).resolve().parents[1] / "support" / "stub_server.py"



@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "home" / "modelpick.db")
    yield database
    database.close()


@pytest.fixture
def supervisor(tmp_path: Path, db: Database) -> Iterator[Supervisor]:
    supervisor = Supervisor(tmp_path / "home", db, guard_grace=2.0)
    try:
        yield supervisor
    finally:
        pgids = [s.pgid for s in supervisor.servers() if s.pgid]
        for server in supervisor.servers():
            if server.backend != "remote":
                supervisor.stop(server.name, grace=2.0)
        supervisor.close()
        _kill_groups(pgids)


def _kill_groups(pgids: list[int | None]) -> None:
    for pgid in pgids:
        if pgid and group_members(pgid):
            os.killpg(pgid, signal.SIGKILL)


def _stub(name: str, behave: str = "ok", **kw: object) -> ServerSpec:
    return ServerSpec(name=name, backend="llama", model="stub.gguf", executable=(sys.executable, str(STUB)),
                      extra_args=("--behave", behave), **kw)  # type: ignore[arg-type]


def _alive(pid: int) -> bool:
    """A zombie is dead: it waits for its parent (init, for an orphan) to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _assert_nothing_left(server: Server) -> None:
    assert server.pgid and group_members(server.pgid) == [], f"left in group {server.pgid}"
    if server.pid:
        assert not _alive(server.pid)


# --- the real llama.cpp server -------------------------------------------------------------------------


@pytest.mark.llama
def test_llama_gemma_start_chat_stop(supervisor: Supervisor, gemma_gguf: Path, db: Database) -> None:
    spec = ServerSpec(name="gemma", backend="llama", model=str(gemma_gguf), ctx=2048, chat_format="gemma")
    server = supervisor.start_and_wait(spec, timeout=60)
    assert server.status == READY, server.error
    assert server.time_to_ready_s is not None and 0 < server.time_to_ready_s < 60
    print(f"gemma time to ready through the supervisor: {server.time_to_ready_s:.2f} s")
    assert server.pid and server.pgid and server.pid != server.pgid  # the guard leads the group
    assert server.pid in group_members(server.pgid)
    assert server.api_key and len(server.api_key) >= 24

    request = {"model": "gemma", "messages": [{"role": "user", "content": "Name three colors."}],
               "max_tokens": 12, "temperature": 0}
    auth = {"Authorization": f"Bearer {server.api_key}"}
    resp = httpx.post(f"{server.base_url}/chat/completions", json=request, headers=auth, timeout=60)
    assert resp.status_code == 200
    answer = resp.json()
    assert answer["choices"][0]["message"]["content"].strip()
    assert answer["usage"]["completion_tokens"] > 0
    assert httpx.get(f"{server.base_url}/models", timeout=10).status_code == 401
    assert httpx.get(f"{server.base_url}/models", headers=auth, timeout=10).json()["data"][0]["id"] == "gemma"

    row = db.sqlite["endpoints"].get("gemma")
    assert row["status"] == READY and row["pid"] == server.pid and row["port"] == server.port
    assert server.api_key not in json.dumps(row)
    # Never in argv (ps shows argv to every user), never in our log.
    assert server.api_key not in " ".join(psutil.Process(server.pid).cmdline())
    assert server.api_key not in Path(server.log_path or "").read_text(errors="replace")

    stopped = supervisor.stop("gemma", grace=5)
    assert stopped.status == STOPPED
    assert port_is_free("127.0.0.1", server.port or 0)
    _assert_nothing_left(server)
    assert db.sqlite["endpoints"].get("gemma")["status"] == STOPPED


@pytest.mark.llama
def test_missing_gguf(supervisor: Supervisor, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    server = supervisor.start_and_wait(ServerSpec("missing", "llama", str(missing)), timeout=60)
    assert server.status == FAILED
    assert server.error == f"model file not found: {missing}"
    _assert_nothing_left(server)


@pytest.mark.llama
def test_truncated_gguf(supervisor: Supervisor, tmp_path: Path, gemma_gguf: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with open(gemma_gguf, "rb") as src:
        truncated.write_bytes(src.read(1 << 20))
    server = supervisor.start_and_wait(ServerSpec("truncated", "llama", str(truncated)), timeout=60)
    assert server.status == FAILED
    assert server.error == ("the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF file; "
                            "download it again")
    _assert_nothing_left(server)


# --- failures, with a stand-in program -----------------------------------------------------------------


def test_port_in_use(supervisor: Supervisor) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = supervisor.start_and_wait(_stub("clash", port=port), timeout=10)
    assert server.status == FAILED
    assert server.error == f"port in use: 127.0.0.1:{port} is already taken by another program"
    assert server.pid is None  # nothing was started


def test_server_that_exits_during_start(supervisor: Supervisor) -> None:
    server = supervisor.start_and_wait(_stub("exits", "exit"), timeout=10)
    assert server.status == FAILED
    assert server.error == "exited with code 3 during start: boom: the frobnicator could not be initialised"
    _assert_nothing_left(server)


def test_server_that_never_becomes_ready(supervisor: Supervisor) -> None:
    server = supervisor.start(_stub("sleeper", "hang"))
    deadline = time.monotonic() + 1.5  # the stand-in's child is in the group as soon as it runs
    while len(members_before := group_members(server.pgid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(members_before) == 3, members_before  # guard, stand-in, the stand-in's child
    t0 = time.monotonic()
    server = supervisor.wait_ready("sleeper", timeout=2)
    assert server.status == FAILED
    assert server.error is not None and server.error.startswith("not ready after 2 s")
    assert time.monotonic() - t0 < 6
    _assert_nothing_left(server)
    assert not any(_alive(p) for p in members_before)


def test_stand_in_ready_and_stopped(supervisor: Supervisor, db: Database) -> None:
    server = supervisor.start_and_wait(_stub("stub"), timeout=10)
    assert server.status == READY, server.error
    assert supervisor.log_tail("stub").splitlines()[-1] == f"stub server pid {server.pid} behaving ok"
    supervisor.stop("stub", grace=2)
    _assert_nothing_left(server)
    assert port_is_free("127.0.0.1", server.port or 0)


# --- no orphans -----------------------------------------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from modelpick_tui.db import open_db
    from modelpick_tui.serving.spec import ServerSpec, ServingError
    from modelpick_tui.serving.supervisor import Supervisor

    home, mode, stub = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    supervisor = Supervisor(home, open_db(home / "modelpick.db"), guard_grace=2.0)
    spec = ServerSpec(name="orphan", backend="llama", model="stub.gguf", executable=(sys.executable, stub))
    server = supervisor.start_and_wait(spec, detached=(mode == "detached"), timeout=10)
    if mode == "detach-later":
        supervisor.detach("orphan")
    print(json.dumps({"driver": __import__("os").getpid(), "server": server.pid, "pgid": server.pgid,
                      "status": server.status, "error": server.error}), flush=True)
    time.sleep(600)
    """
)


def _run_driver(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    driver = subprocess.Popen([sys.executable, str(script), str(tmp_path / "home"), mode, str(STUB)],
                              stdout=subprocess.PIPE, text=True)
    assert driver.stdout is not None
    line = driver.stdout.readline()
    info = json.loads(line)
    assert info["status"] == READY, info
    return driver, info


def _gone_within(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP], ids=["SIGKILL", "SIGHUP"])
def test_server_dies_with_modelpick(tmp_path: Path, sig: signal.Signals) -> None:
    driver, info = _run_driver(tmp_path, "guarded")
    pgid = int(info["pgid"])  # type: ignore[arg-type]
    try:
        assert _alive(int(info["server"]))  # type: ignore[arg-type]
        driver.send_signal(sig)
        driver.wait(timeout=5)
        t0 = time.monotonic()
        assert _gone_within(pgid, 5), f"server outlived modelpick: {group_members(pgid)}"
        print(f"server gone {time.monotonic() - t0:.2f} s after {sig.name}")
    finally:
        driver.kill()
        driver.wait()
        _kill_groups([pgid])


@pytest.mark.parametrize("mode", ["detached", "detach-later"])
def test_detached_server_survives_and_is_reattached(tmp_path: Path, mode: str) -> None:
    driver, info = _run_driver(tmp_path, mode)
    pgid = int(info["pgid"])  # type: ignore[arg-type]
    db = open_db(tmp_path / "home" / "modelpick.db")
    try:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=5)
        time.sleep(1.0)  # a guarded server would be ending now
        assert group_members(pgid), "the detached server died with modelpick"
        with pytest.raises(ServingError, match="already running"):  # its name, log and key are taken
            Supervisor(tmp_path / "home", db).start(_stub("orphan"))
        key_file = tmp_path / "home" / "keys" / "orphan.key"
        assert key_file.stat().st_mode & 0o777 == 0o600

        later = Supervisor(tmp_path / "home", db)
        adopted = later.reattach()
        assert [s.name for s in adopted] == ["orphan"]
        server = later.get("orphan")
        assert server.status == READY and server.pid == info["server"] and server.api_key == key_file.read_text()
        later.stop("orphan", grace=2)
        assert _gone_within(pgid, 1)
        assert not key_file.exists()
        assert db.sqlite["endpoints"].get("orphan")["status"] == STOPPED
        later.close()
    finally:
        driver.kill()
        driver.wait()
        _kill_groups([pgid])
        db.close()


def test_reattach_cleans_stale_records(tmp_path: Path, db: Database) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    me = psutil.Process()
    base = {"kind": "llama", "base_url": "http://127.0.0.1:1/v1", "model": "m.gguf", "served_model": "m",
            "port": 1, "argv_json": "[]", "status": READY, "detached": 1}
    db.sqlite["endpoints"].insert_all([
        {**base, "name": "dead", "pid": dead.pid, "pgid": dead.pid, "proc_create_time": 1.0},
        # our own pid stands in for a pid reused by another program: alive, but not the same process
        {**base, "name": "reused", "pid": me.pid, "pgid": os.getpgid(me.pid),
         "proc_create_time": me.create_time() - 60},
        {**base, "name": "guarded", "pid": dead.pid, "pgid": dead.pid, "detached": 0},
    ])
    keys = tmp_path / "home" / "keys"
    keys.mkdir(parents=True)
    (keys / "dead.key").write_text("k")
    assert Supervisor(tmp_path / "home", db).reattach() == []
    rows = {r["name"]: r for r in db.sqlite["endpoints"].rows}
    assert {r["status"] for r in rows.values()} == {STOPPED}
    assert rows["dead"]["error"] == "exited while no modelpick watched it"
    assert rows["reused"]["error"] == "pid reused by another program while no modelpick watched it"
    assert rows["guarded"]["error"] == "ended with the modelpick that started it"
    assert not (keys / "dead.key").exists()


def test_remote_endpoint_checked_never_started(supervisor: Supervisor, db: Database,
                                               tmp_path: Path) -> None:
    other = supervisor.start_and_wait(_stub("elsewhere", model_alias="team-model"), timeout=10)
    assert other.status == READY, other.error
    url = f"http://127.0.0.1:{other.port}"
    remote = supervisor.add_remote("team", url, "team-model", api_key=other.api_key)
    assert remote.status == READY and remote.base_url == url + "/v1" and remote.pid is None
    key_file = tmp_path / "home" / "keys" / "team.key"
    assert key_file.read_text() == other.api_key and key_file.stat().st_mode & 0o777 == 0o600
    assert other.api_key not in json.dumps(db.sqlite["endpoints"].get("team"))
    wrong_key = supervisor.add_remote("team-bad-key", url, "team-model", api_key="nope")
    assert wrong_key.status == FAILED and wrong_key.error == f"{url}/v1: HTTP 401, the API key is missing or wrong"
    wrong_model = supervisor.add_remote("team-bad-model", url, "llama", api_key=other.api_key)
    assert wrong_model.error == f"{url}/v1 does not serve 'llama' (it lists: team-model)"
    # Another modelpick (a new process: the CLI, the next TUI) knows it by name again, key included.
    later = Supervisor(tmp_path / "home", db)
    later.reattach()
    from modelpick_tui.serving.endpoints import available, resolve

    again = resolve(later, "team")
    assert (again.base_url, again.model, again.api_key) == (url + "/v1", "team-model", other.api_key)
    assert "team" in [e.name for e in available(later)]
    with pytest.raises(ServingError, match="remote endpoint"):
        supervisor.stop("team")
    supervisor.remove("team")
    assert not key_file.exists()
    assert [r["name"] for r in db.sqlite["endpoints"].rows if r["name"] == "team"] == []
    assert other.alive  # attaching to it, checking it, forgetting it: none of that touched the server


def test_close_stops_what_is_not_detached(tmp_path: Path, db: Database) -> None:
    supervisor = Supervisor(tmp_path / "home", db, guard_grace=2.0)
    pgids: list[int | None] = []
    try:
        guarded = supervisor.start_and_wait(_stub("guarded"), timeout=10)
        detached = supervisor.start_and_wait(_stub("detached"), detached=True, timeout=10)
        pgids = [guarded.pgid, detached.pgid]
        assert guarded.status == detached.status == READY
        assert supervisor.memory("guarded") > 5 * 2**20  # two Python processes' worth of RSS
        supervisor.close()
        _assert_nothing_left(guarded)
        assert detached.alive and group_members(detached.pgid)
        assert db.sqlite["endpoints"].get("guarded")["status"] == STOPPED
        assert db.sqlite["endpoints"].get("detached")["status"] == READY
    finally:
        _kill_groups(pgids)


def test_bad_names_and_duplicates(supervisor: Supervisor) -> None:
    with pytest.raises(ServingError, match="bad server name"):
        supervisor.start(_stub("../etc/passwd"))
    supervisor.start_and_wait(_stub("twice"), timeout=10)
    with pytest.raises(ServingError, match="already running"):
        supervisor.start(_stub("twice"))
