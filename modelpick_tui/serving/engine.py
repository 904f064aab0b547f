"""Where the stream reader (serving/reader.py) runs: the one timing engine of compare, prompt-set runs, the judge
and load tests.

    engine = default_engine()          # started on first use, shared by every ChatClient of this process
    engine.start(spec, sink)           # sink(kind, data, at) is called on the engine's thread
    engine.cancel(spec["id"])

Two places, chosen by MODELPICK_STREAM_READER:
- "process" (the default): a reader process (`python -m modelpick_tui.serving.engine`) with its own event
  loop, its own GIL and httpx; streams are asked for as JSON lines on its stdin and their events come back as
  JSON lines on its stdout, read here by one thread. Its timestamps wait for nothing of this process: not the
  TUI painting, not a trace being stored, not the Python work of other streams' consumers.
- "thread": the reader on an event loop in a thread of this process. Cheaper to start, but its timestamps
  wait for the GIL while another thread (the TUI) holds it.
docs/timing.md has the figures of each (bench/stream_overhead.py) and why the process is the default.

The reader process is started on the first stream (~0.2 s; the first stream's queue time includes it), lives
as long as this process, and ends when its stdin closes (this process exiting, however it exits). It is in
a session of its own, so a Ctrl-C in the terminal reaches only this process, which cancels its streams.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["ENV", "MODES", "Engine", "ProcessEngine", "ThreadEngine", "default_engine"]

ENV = "MODELPICK_STREAM_READER"
MODES = ("process", "thread")
Sink = Callable[[str, Any, float], None]
_READER_GONE = "the stream reader stopped (exit code {code}); the next request starts a new one"


class Engine:
    """Hands streams to a StreamHost on its own loop and routes their events back to each stream's sink."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: dict[int, Sink] = {}

    def start(self, spec: Mapping[str, Any], sink: Sink) -> None:
        """Start the stream `spec` (ChatClient.stream builds it); its events go to `sink`, "end" last."""
        with self._lock:
            self._sinks[spec["id"]] = sink
        self._send({"op": "open", "spec": dict(spec)}, spec["id"])

    def start_load(self, spec: Mapping[str, Any], sink: Sink) -> None:
        """Start a load test's closed loop (StreamHost.open_load); its "samples" events go to `sink`, "end" last."""
        with self._lock:
            self._sinks[spec["id"]] = sink
        self._send({"op": "load", "spec": dict(spec)}, spec["id"])

    def warm(self) -> None:
        """Start the reader now, so the first stream does not wait for it (its queue time would show it)."""

    def cancel(self, sid: int) -> None:
        with self._lock:
            known = self._sinks.pop(sid, None) is not None
        if known:
            self._send({"op": "cancel", "id": sid}, None)

    def close_pool(self, pool: int) -> None:
        self._send({"op": "close_pool", "pool": pool}, None)

    def _deliver(self, sid: int, kind: str, data: Any, at: float) -> None:
        with self._lock:
            sink = self._sinks.pop(sid, None) if kind == "end" else self._sinks.get(sid)
        if sink is not None:
            sink(kind, data, at)

    def _fail(self, sids: list[int] | None, error: str) -> None:
        """End the streams `sids` (None: all) with `error`: the reader cannot run them."""
        with self._lock:
            chosen = list(self._sinks) if sids is None else [s for s in sids if s in self._sinks]
            sinks = [self._sinks.pop(s) for s in chosen]
        for sink in sinks:
            sink("end", {"error": error}, time.perf_counter())

    def _send(self, op: dict[str, Any], sid: int | None) -> None:
        raise NotImplementedError


class ThreadEngine(Engine):
    """The reader on an event loop in a daemon thread of this process."""

    def __init__(self) -> None:
        super().__init__()
        from .reader import StreamHost

        self._loop = asyncio.new_event_loop()
        self._host = StreamHost(self._deliver)
        threading.Thread(target=self._loop.run_forever, name="modelpick-stream-reader", daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._host.warm(), self._loop)

    def _send(self, op: dict[str, Any], sid: int | None) -> None:
        self._loop.call_soon_threadsafe(_handle, self._host, op)


class ProcessEngine(Engine):
    """The reader in a process of its own (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_lock = threading.Lock()
        atexit.register(self.close)

    def warm(self) -> None:
        with self._write_lock:
            self._ensure()

    @property
    def pid(self) -> int | None:
        """The reader process's, while it runs."""
        proc = self._proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def _ensure(self) -> subprocess.Popen[bytes]:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        root = str(Path(__file__).resolve().parents[2])  # the modelpick_tui this process runs, not another
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        proc = subprocess.Popen([sys.executable, "-m", "modelpick_tui.serving.engine"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        self._proc = proc
        threading.Thread(target=self._pump, args=(proc,), name="modelpick-stream-events", daemon=True).start()
        return proc

    def _pump(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                sid, kind, data, at = json.loads(line)
            except ValueError:
                continue
            self._deliver(sid, kind, data, at)
        code = proc.wait()
        with self._write_lock:
            if self._proc is proc:
                self._proc = None
        self._fail(None, _READER_GONE.format(code=code))

    def _send(self, op: dict[str, Any], sid: int | None) -> None:
        line = json.dumps(op, ensure_ascii=False).encode() + b"\n"
        with self._write_lock:
            if op["op"] not in ("open", "load") and self._proc is None:
                return  # nothing runs there to cancel or close
            proc = self._ensure()
            try:
                assert proc.stdin is not None
                proc.stdin.write(line)
                proc.stdin.flush()
                return
            except (BrokenPipeError, OSError):
                code = proc.poll()
        if sid is not None:
            self._fail([sid], _READER_GONE.format(code=code))

    def close(self) -> None:
        """Close the reader's stdin (it cancels its streams and exits); kill it if it lingers."""
        with self._write_lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def default_engine() -> Engine:
    """This process's engine for the mode MODELPICK_STREAM_READER names (default "process"), made once."""
    mode = os.environ.get(ENV, "").strip() or "process"
    if mode not in MODES:
        mode = "process"
    key = (os.getpid(), mode)  # a forked child makes its own: the parent's threads are not in it
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = ThreadEngine() if mode == "thread" else ProcessEngine()
        return engine


# --- the reader process --------------------------------------------------------------------------------------


def _handle(host: Any, op: Mapping[str, Any]) -> None:
    if op["op"] == "open":
        host.open(op["spec"])
    elif op["op"] == "load":
        host.open_load(op["spec"])
    elif op["op"] == "cancel":
        host.cancel(op["id"])
    elif op["op"] == "close_pool":
        host.close_pool(op["pool"])


async def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    from .reader import StreamHost

    loop = asyncio.get_running_loop()
    # Writes never block the loop (they would hold back the timestamps): the transport buffers them.
    writer, _ = await loop.connect_write_pipe(asyncio.Protocol, stdout)

    def emit(sid: int, kind: str, data: Any, at: float) -> None:
        if not writer.is_closing():
            writer.write(json.dumps([sid, kind, data, at], ensure_ascii=False).encode() + b"\n")

    host = StreamHost(emit)
    await host.warm()  # while the asking process is still getting ready, not in its first stream's time
    reader = asyncio.StreamReader(limit=1 << 31)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
    try:
        while line := await reader.readline():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                _handle(host, json.loads(line))
    finally:
        await host.aclose()
        writer.close()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the asking process decides when streams stop
    asyncio.run(_serve(sys.stdin.buffer, sys.stdout.buffer))


if __name__ == "__main__":
    main()
