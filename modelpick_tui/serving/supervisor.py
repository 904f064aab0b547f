"""The one owner of server processes: start, wait until ready, tail logs, stop, leave nothing behind.

- Every server runs in its own session and process group; stop signals the whole group (vLLM runs an API
  server, an engine core and workers: killing the first alone orphans gigabytes).
- A server that is not detached is started through `guard` (see guard.py): it dies with this process
  however this process dies. A detached server is started bare and outlives us; it is recorded in the
  `endpoints` table and re-attached by `reattach()` in a later modelpick.
- API keys: random per server unless given; passed in the server's environment, never in argv, never in
  the database or a log. A detached server's key must survive us for a later modelpick to talk to it, so
  it is written to `home/keys/NAME.key` (mode 0600, folder 0700) and removed when the server stops: the
  same trust boundary as huggingface_hub's own token file, and nothing a database export or a shared
  trace file can carry away. Keys of servers that die with us stay in memory only.

Not thread-safe per server: call one method at a time for a given name (the TUI runs them in workers of
one group); the registry writes are transactions of the one Database (db.py).

Longer than ~400 lines on purpose: start, readiness, stop, detach and re-attach share the process-group and
registry rules that leave no orphan; process helpers are already apart (procs.py, guard.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil

from ..clock import now_iso
from ..home import make_private_dir, open_private
from .backends import check_remote, get_backend, remote_models
from .endpoints import normalise_base_url, redact_url, split_credentials
from .engine_report import parse, read_log
from .estimate_inputs import for_report
from .failures import last_line, recognise_failure
from .measured import Figure
from .procs import (
    MemoryUse,
    create_time,
    free_port,
    gpu_memory_by_pid,
    group_members,
    group_memory,
    group_rss,
    pid_exists,
    pid_matches,
    port_is_free,
)
from .registry import FAILED, LIVE, READY, STARTING, STOPPED, Registry, Server, check_name
from .spec import ServerSpec, ServingError, redact_argv

__all__ = ["FAILED", "LIVE", "READY", "STARTING", "STOPPED", "MemoryUse", "Server", "ServerSpec", "Supervisor",
           "group_members", "group_memory", "group_rss", "port_is_free"]

if TYPE_CHECKING:
    from ..db import Database


def _read_tail(path: Path | None, max_bytes: int = 64 * 1024) -> str:
    if path is None:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Supervisor:
    """Starts, watches and stops model servers; keeps the `endpoints` registry."""

    def __init__(self, home: Path, db: Database | None = None, *, guard_grace: float = 5.0) -> None:
        self.home = Path(home)
        self.logs_dir = self.home / "logs"
        self.keys_dir = self.home / "keys"
        self.db = db
        self.registry = Registry(db, self.keys_dir)
        self.guard_grace = guard_grace
        self._servers: dict[str, Server] = {}
        self._http = httpx.Client(timeout=httpx.Timeout(2.0, connect=1.0))

    # --- servers --------------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every row of the registry, servers of other modelpick processes included (no keys)."""
        if self.db is None:
            return [{k: v for k, v in asdict(s).items() if not k.startswith("_") and k not in ("api_key", "spec")}
                    | {"kind": s.backend, "base_url": split_credentials(s.base_url)[0]} for s in self._servers.values()]
        return self.registry.rows()

    def memory(self, name: str) -> int:
        """Memory the server's whole process group holds, in bytes (see `memory_use`; 0 for a remote one)."""
        return self.memory_use(name).bytes

    def memory_use(self, name: str) -> MemoryUse:
        """GPU memory of the server's process group where NVML sees it on a GPU, else its resident memory;
        nothing for a remote endpoint or a server that is not running."""
        self.get(name)  # ServingError for a name nobody knows
        return self.memory_uses([name])[name]

    def memory_uses(self, names: list[str] | None = None) -> dict[str, MemoryUse]:
        """`memory_use` of several servers (all by default), with one NVML query for them all; a name that
        is gone meanwhile (removed by another thread) gets nothing."""
        names = names if names is not None else [s.name for s in self.servers()]
        servers = [s for s in (self._servers.get(n) for n in names) if s is not None]
        live = [s for s in servers if s.backend != "remote" and s.status in LIVE]
        gpu = gpu_memory_by_pid() if live else None
        out = {n: MemoryUse("rss", 0) for n in names}
        out.update({s.name: group_memory(s.pgid, gpu) for s in live})
        return out

    def servers(self) -> list[Server]:
        return list(self._servers.values())

    def get(self, name: str) -> Server:
        try:
            return self._servers[name]
        except KeyError:
            raise ServingError(f"no server or endpoint named {name!r}") from None

    def start(self, spec: ServerSpec, *, detached: bool = False) -> Server:
        """Launch `spec` and return at once with status `starting` (or `failed`, with the one-line cause,
        when it cannot even be launched). `wait_ready()` follows it to ready or failed."""
        check_name(spec.name)
        backend = get_backend(spec.backend)
        if spec.backend == "remote":
            raise ServingError(f"{spec.name} is a remote endpoint: use add_remote()")
        old = self._servers.get(spec.name)
        if old is not None and old.status in LIVE and old.alive:
            raise ServingError(f"a server named {spec.name!r} is already running")
        for row in self.registry.rows():  # a detached one, or another modelpick's: its log is in use
            if row["name"] == spec.name and row.get("kind") != "remote" and row.get("status") in LIVE and (
                old is None or old.pid != row.get("pid")
            ) and pid_matches(row.get("pid"), row.get("proc_create_time")):
                raise ServingError(f"a server named {spec.name!r} is already running (pid {row['pid']})")
        port = spec.port if spec.port is not None else free_port(spec.host)
        api_key = spec.api_key or secrets.token_urlsafe(24)
        spec = replace(spec, port=port)
        server = Server(
            name=spec.name, backend=spec.backend, model=spec.model, served_model=backend.served_model(spec),
            base_url=f"http://{spec.host}:{port}/v1", port=port, api_key=api_key, detached=detached,
            started_at=now_iso(), spec=spec,
        )
        self._servers[spec.name] = server
        missing = backend.missing(spec)
        if missing:
            return self._fail(server, missing)
        if spec.port is not None and not port_is_free(spec.host, port):
            return self._fail(server, f"port in use: {spec.host}:{port} is already taken by another program")
        argv = backend.argv(spec, port)
        server.argv = redact_argv(argv, [api_key])
        env = {**os.environ, **backend.env(spec, port, api_key)}
        for var in backend.env_unset(spec):
            env.pop(var, None)
        make_private_dir(self.logs_dir)
        server.log_path = self.logs_dir / f"{spec.name}.log"
        log = open_private(server.log_path, "wb")  # handed to the child, closed below; 0600: it may quote prompts
        try:
            log.write(f"# modelpick: {' '.join(server.argv)}\n".encode())
            log.flush()
            server._t0 = time.monotonic()
            if detached:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
                server.pid = proc.pid
            else:
                read_end, write_end = os.pipe()  # both close-on-exec: only the guard gets the read end
                try:
                    guard = [sys.executable, "-m", "modelpick_tui.serving.guard", str(read_end),
                             f"{self.guard_grace:g}", "--", *argv]
                    proc = subprocess.Popen(guard, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True, pass_fds=(read_end,))
                except BaseException:
                    os.close(write_end)
                    raise
                finally:
                    os.close(read_end)
                server._pipe_w = write_end
        except OSError as exc:
            return self._fail(server, f"cannot start {argv[0]}: {exc.strerror or exc}")
        finally:
            log.close()
        server._proc = proc
        server.pgid = proc.pid
        if detached:
            server.proc_create_time = create_time(proc.pid)
            self.registry.write_key(spec.name, api_key)
        self.registry.save(server)
        return server

    def _resolve_pid(self, server: Server) -> None:
        """A guarded server's pid is the guard's child: found once the guard has spawned it."""
        if server.pid or server._proc is None:
            return
        with contextlib.suppress(psutil.Error):
            children = psutil.Process(server._proc.pid).children()
            if children:
                server.pid = children[0].pid
                server.proc_create_time = create_time(server.pid)
                self.registry.save(server)

    def wait_ready(self, name: str, timeout: float = 120.0, poll: float = 0.05) -> Server:
        """Poll the backend's readiness check while watching the process, until ready, failed or `timeout`
        seconds after the start. A process that exits is `failed` with the cause read from its log; a
        timeout is `failed` and its process group is killed."""
        server = self.get(name)
        if server.status != STARTING:
            return server
        spec = server.spec
        assert spec is not None
        backend = get_backend(server.backend)
        t0 = server._t0 or time.monotonic()
        deadline = t0 + timeout
        while True:
            self._resolve_pid(server)
            if backend.is_ready(self._http, server.base_url, server.api_key or "", spec):
                server.time_to_ready_s = round(time.monotonic() - t0, 3)
                server.ready_at = now_iso()
                server.status = READY
                self._resolve_pid(server)
                self.registry.save(server)
                self._record_report(server)
                return server
            if not server.alive:
                rc = server._proc.poll() if server._proc is not None else None
                tail = self.log_tail(name, 200)
                cause = recognise_failure(tail)
                if cause is None:
                    code = f"exited with code {rc}" if rc is not None else "exited"
                    line = last_line(tail)
                    cause = f"{code} during start{': ' + line if line else ''}"
                self._kill_group(server, grace=0.0)
                return self._fail(server, cause)
            if time.monotonic() >= deadline:
                self._kill_group(server, grace=2.0)
                return self._fail(server, f"not ready after {timeout:g} s (log: {server.log_path})")
            time.sleep(poll if time.monotonic() - t0 < 30 else 0.25)

    def _record_report(self, server: Server) -> None:
        """What the engine reported about its memory at load (engine_report.py), stored with the process's own
        memory at this moment; a log without the figures records nothing."""
        report = parse(server.backend, read_log(server.log_path))
        if report is None or report.empty:
            return
        if report.quant is None and server.spec is not None:  # vLLM's log does not name it: what it was asked for
            report.quant = server.spec.quantization or server.spec.dtype
        server.report = report
        use = self.memory_uses([server.name])[server.name]
        self.registry.save_report(server, report, use.kind, use.bytes)

    def measured(self, name: str) -> list[Figure]:
        """The engine's figures of a server beside the fit estimate (serving/measured.py); [] without a report."""
        server = self.get(name)
        return for_report(server.backend, server.model, server.report) if server.report is not None else []

    def start_and_wait(self, spec: ServerSpec, *, detached: bool = False, timeout: float = 120.0) -> Server:
        server = self.start(spec, detached=detached)
        return self.wait_ready(server.name, timeout) if server.status == STARTING else server

    def _fail(self, server: Server, cause: str) -> Server:
        server.status = FAILED
        server.error = cause
        self._release(server)
        self.registry.save(server)
        return server

    def _release(self, server: Server) -> None:
        if server._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server._proc.wait(timeout=5)
        if server._pipe_w is not None:
            with contextlib.suppress(OSError):
                os.close(server._pipe_w)
            server._pipe_w = None
        self.registry.drop_key(server.name)

    def _kill_group(self, server: Server, grace: float) -> bool:
        """SIGTERM the group, SIGKILL after `grace` s; True when no process of it is left."""
        pgid = server.pgid
        if not pgid:
            return True
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if sig == signal.SIGTERM and grace <= 0:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while True:
                if server._proc is not None:
                    server._proc.poll()  # reap our child, or it lingers as a zombie
                if not group_members(pgid):
                    return True
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        return not group_members(pgid)

    def stop(self, name: str, grace: float = 10.0) -> Server:
        """SIGTERM to the server's group, SIGKILL after `grace` s, then wait until its port is free."""
        server = self.get(name)
        if server.backend == "remote":
            raise ServingError(f"{name} is a remote endpoint: modelpick does not stop it (remove it instead)")
        gone = self._kill_group(server, grace)
        self._release(server)
        if server.port:
            deadline = time.monotonic() + 5.0
            while not port_is_free("127.0.0.1" if not server.spec else server.spec.host, server.port):
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        if server.status != FAILED:
            server.status = STOPPED
        if not gone:
            server.error = f"processes of group {server.pgid} survived SIGKILL: {group_members(server.pgid)}"
        self.registry.save(server)
        return server

    def detach(self, name: str) -> Server:
        """Let a running server outlive this modelpick: the guard stops watching, the key goes to its file."""
        server = self.get(name)
        if server.detached:
            return server
        if server._pipe_w is None or not server.alive:
            raise ServingError(f"{name} is not running")
        os.write(server._pipe_w, b"D")
        os.close(server._pipe_w)
        server._pipe_w = None
        server.detached = True
        if server.api_key:
            self.registry.write_key(name, server.api_key)
        self.registry.save(server)
        return server

    def owned(self) -> list[Server]:
        """The live servers that die with this process: started here, not detached, not remote."""
        return [s for s in self._servers.values()
                if s.backend != "remote" and not s.detached and s.status in LIVE]

    def close(self, grace: float = 5.0) -> None:
        """Stop every server that is not detached (the app is quitting); detached ones keep running."""
        for server in self.owned():
            self.stop(server.name, grace)
        self._http.close()

    def log_tail(self, name: str, lines: int = 50) -> str:
        """The last `lines` lines of the server's log (this start's), with its key masked."""
        server = self.get(name)
        text = _read_tail(server.log_path)
        if server.api_key:
            text = text.replace(server.api_key, "***")
        return "\n".join(text.splitlines()[-lines:])

    def refresh(self, name: str) -> Server:
        """Notice a server that died after it was ready."""
        server = self.get(name)
        if server.backend != "remote" and server.status in LIVE and not server.alive:
            rc = server._proc.poll() if server._proc is not None else None
            tail = self.log_tail(name, 200)
            cause = recognise_failure(tail) or last_line(tail)
            self._kill_group(server, grace=0.0)
            return self._fail(server, f"exited{f' with code {rc}' if rc is not None else ''}: {cause}")
        return server

    # --- re-attaching after a restart --------------------------------------------------------------

    def reattach(self) -> list[Server]:
        """Adopt the detached servers a previous modelpick left running (pid alive and the same process,
        by its create time); mark the rest of the live-looking records stopped and drop their keys.

        Records of servers that are not detached belong to a modelpick still running (their guard is
        alive) or died with theirs: the former are left alone, the latter marked stopped."""
        adopted: list[Server] = []
        for row in self.records():
            if row["name"] in self._servers:
                continue
            if row.get("kind") == "remote":
                # A remote endpoint recorded by an earlier modelpick: known by name again (with its key from its
                # file), as it was last checked; modelpick never starts or stops it.
                self._servers[row["name"]] = self.registry.server_from_row(row)
                continue
            if row.get("status") not in LIVE:
                continue
            name = row["name"]
            alive = pid_matches(row.get("pid"), row.get("proc_create_time"))
            if not row.get("detached"):
                if alive or group_members(row.get("pgid")):
                    continue  # another modelpick's server: its guard ends it when that modelpick ends
                self.registry.mark_gone(name, "ended with the modelpick that started it")
                continue
            if not alive:
                why = "pid reused by another program" if pid_exists(row.get("pid")) else "exited"
                self.registry.mark_gone(name, f"{why} while no modelpick watched it")
                continue
            server = self.registry.server_from_row(row)
            if server.api_key is None:
                server.error = f"key file {self.registry.key_file(name)} is missing: requests will be refused"
            spec = server.spec
            if spec is not None and get_backend(server.backend).is_ready(
                self._http, server.base_url, server.api_key or "", spec
            ):
                server.status = READY
            self._servers[name] = server
            self.registry.save(server)
            adopted.append(server)
        return adopted

    # --- remote endpoints ----------------------------------------------------------------------------

    def add_remote(self, name: str, base_url: str, model: str, api_key: str | None = None, *,
                   api_key_env: str | None = None, headers: dict[str, str] | None = None) -> Server:
        """Attach to an OpenAI-compatible endpoint run elsewhere: checked with GET /v1/models, never
        started or stopped. Its key (if any) is kept like a detached server's, in a 0600 file; a key named by
        `api_key_env` (OPENROUTER_API_KEY) is read from the environment each time and never written anywhere.
        `headers` (none secret) go with every request."""
        check_name(name)
        url = normalise_base_url(base_url)
        if api_key_env:
            api_key = os.environ.get(api_key_env) or None
        # `user:password@` in the URL is a secret like the key: it goes to the 0600 key folder, and the
        # spec, the database and every listing get the URL without it (the Server keeps it in memory).
        public_url, userinfo = split_credentials(url)
        spec = ServerSpec(name=name, backend="remote", model=model, base_url=public_url, api_key_env=api_key_env,
                          headers=tuple((headers or {}).items()))
        server = Server(name=name, backend="remote", model=model, served_model=model, base_url=url, port=None,
                        api_key=api_key, detached=True, started_at=now_iso(), spec=spec)
        error = check_remote(url, model, api_key, client=self._http, headers=headers)
        error = redact_url(error) if error else None  # it quotes the URL
        server.status, server.error = (FAILED, error) if error else (READY, None)
        if api_key and not api_key_env:
            self.registry.write_key(name, api_key)
        if userinfo:
            self.registry.write_key(name, userinfo, "auth")
        self._servers[name] = server
        self.registry.save(server)
        return server

    def remote_models(self, base_url: str, api_key: str | None = None,
                      headers: dict[str, str] | None = None) -> list[str]:
        """The models an OpenAI-compatible endpoint lists (GET /v1/models); ServingError with one line."""
        return remote_models(base_url, api_key, client=self._http, headers=headers)

    def remove(self, name: str) -> None:
        """Forget a stopped server or a remote endpoint."""
        server = self._servers.pop(name, None)
        if server is not None and server.backend != "remote" and server.status in LIVE and server.alive:
            self._servers[name] = server
            raise ServingError(f"{name} is running: stop it first")
        self.registry.delete(name)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Server]:
        return iter(self.servers())
