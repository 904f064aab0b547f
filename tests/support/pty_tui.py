"""The real `modelpick` TUI on a pseudo-terminal (80×24), driven by keys: for the tests that need the real
process (signals, a real terminal), not the Pilot."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

MODELPICK = Path(sys.executable).with_name("modelpick")
_ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class Tui:
    """`modelpick` on the slave side of a pty (its controlling terminal, 80×24); what it draws is read
    without pause, so that it never blocks on a full terminal."""

    def __init__(self, env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal and stdin/stdout/stderr
            try:
                os.execve(str(MODELPICK), [str(MODELPICK)], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.out = bytearray()
        self.status: int | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.out.extend(data)

    def text(self, since: int = 0) -> str:
        """What it drew (after output offset `since`), without the escape sequences."""
        return _ANSI.sub("", self.out[since:].decode("utf-8", "replace"))

    def wait_for(self, needle: str, limit: float, since: int = 0) -> int:
        """Wait until the TUI has drawn `needle` (after output offset `since`); the offset after it."""
        deadline = time.monotonic() + limit
        while True:
            text = _ANSI.sub("", self.out[since:].decode("utf-8", "replace"))
            if needle in text:
                return len(self.out)
            assert self.alive(), f"modelpick exited ({self.status}) before drawing {needle!r}:\n{self.text()[-2000:]}"
            assert time.monotonic() < deadline, f"modelpick did not draw {needle!r}:\n{text[-3000:]}"
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        for key in keys:
            os.write(self.fd, key.encode())
            # Textual moves the focus on tab a moment after it reads the key: what follows too soon still
            # lands in the field it leaves.
            time.sleep(0.4 if key == "\t" else 0.03)

    def alive(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None

    def wait_exit(self, limit: float) -> int:
        deadline = time.monotonic() + limit
        while self.alive():
            assert time.monotonic() < deadline, "modelpick did not exit"
            time.sleep(0.05)
        assert self.status is not None
        return self.status

    def close(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait_exit(10)
        with contextlib.suppress(OSError):
            os.close(self.fd)


def tui_env(home: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELPICK_", "HF_"))}
    env.update({"MODELPICK_HOME": str(home), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1",
                "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
    return env
