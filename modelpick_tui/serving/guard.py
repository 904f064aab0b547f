"""`python -m modelpick_tui.serving.guard FD GRACE -- ARGV...`: run a server that must not outlive modelpick.

The supervisor starts this guard in a new session (so the guard leads the server's process group) and
passes it the read end FD of a pipe whose write end only the modelpick process holds. The server runs as
the guard's child in the same group. When the pipe reaches end of file — modelpick exited, crashed, was
SIGKILLed, or its terminal hung up and took it down — nobody is left to stop the server, so the guard
does: SIGTERM to the group, SIGKILL after GRACE seconds. The kernel closes the write end whatever way
modelpick dies, which is why this works where atexit handlers and signal handlers do not.

A byte b"D" on the pipe detaches the server: the guard stops watching and only waits for it.
When the server exits on its own the guard exits with its status (128+N for a signal).

Signals to the group (the supervisor's stop) reach the guard too; it outlives the server so that it can
reap it, and handles SIGTERM/SIGINT/SIGHUP with a no-op handler rather than SIG_IGN, because an ignored
signal would be inherited by the server across exec and make it unstoppable by SIGTERM.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time


def _noop(signum: int, frame: object) -> None:
    pass


def _others_in_group(pgid: int) -> bool:
    me = os.getpid()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            if os.getpgid(int(entry)) == pgid:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
                if state != b"Z":
                    return True
        except (OSError, IndexError):
            continue
    return False


def _end_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    pgid = os.getpgrp()
    try:
        os.killpg(pgid, signal.SIGTERM)
    except OSError:
        pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()
        if not _others_in_group(pgid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)  # the guard goes with them: its work is done
    except OSError:
        pass


def _status(rc: int) -> int:
    return 128 - rc if rc < 0 else rc


def main(args: list[str]) -> int:
    if len(args) < 4 or args[2] != "--":
        print("usage: python -m modelpick_tui.serving.guard FD GRACE -- ARGV...", file=sys.stderr)
        return 2
    fd, grace, argv = int(args[0]), float(args[1]), args[3:]
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _noop)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    except OSError as exc:
        print(f"cannot start {argv[0]}: {exc}", file=sys.stderr)
        return 127
    watching = True
    while True:
        if watching:
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
            except InterruptedError:
                ready = []
            if ready:
                data = os.read(fd, 64)
                if not data:  # modelpick is gone
                    _end_group(proc, grace)
                    return _status(proc.wait())
                if b"D" in data:
                    watching = False
                    os.close(fd)
        else:
            time.sleep(0.2)
        rc = proc.poll()
        if rc is not None:
            # The server exited on its own: whatever it left behind in the group (vLLM's engine core and
            # workers) has no server to serve any more.
            if _others_in_group(os.getpgrp()):
                _end_group(proc, min(grace, 2.0))
            return _status(rc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
