"""A run's status and its lease: the one list of statuses (docs/compare.md's "Prompt-set runs") and who holds a
run — a process, by pid and start time, since when (evals/traces.py says how a lease is taken and read). Apart
from the run and trace types, so that listing runs (`modelpick runs`) does not build them."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from ..clock import now_iso

# --- run statuses: the one list ----------------------------------------------------------------------------

RUNNING = "running"  # its owner process is alive and working on it (a compare session: the screen is open)
DONE = "done"  # every prompt × endpoint was asked; some answers may be failures (a resume retries those)
CANCELLED = "cancelled"  # stopped by the user (Ctrl-C, x, quitting the TUI); a resume finishes it
FAILED = "failed"  # the runner itself stopped on an error (a failed answer is a trace, not this)
INTERRUPTED = "interrupted"  # stored as running, but its owner died (killed, crashed): computed, never stored
IMPORTED = "imported"  # traces loaded by `modelpick import`: nobody runs it
RUN_STATUSES = (RUNNING, DONE, CANCELLED, FAILED, INTERRUPTED, IMPORTED)


@dataclass(frozen=True)
class Owner:
    """Who holds a run: a process (pid and start time, so that a reused pid is not taken for it) since when."""

    pid: int
    started: float  # psutil's create_time of the process
    since: str  # when it took the run (ISO, UTC)

    @classmethod
    def me(cls) -> Owner:
        return cls(os.getpid(), _started(os.getpid()), now_iso())

    def is_me(self) -> bool:
        return self.pid == os.getpid() and self.started == _started(self.pid)

    def alive(self) -> bool:
        from ..serving.procs import pid_matches  # psutil (~0.05 s), only when a run's owner is asked after

        return pid_matches(self.pid, self.started)

    def describe(self) -> str:
        """'pid 4242, since 2025-06-01 12:00:03 UTC'."""
        return f"pid {self.pid}, since {self.since[:19].replace('T', ' ')} UTC"


@functools.cache
def _started(pid: int) -> float:
    # Cached per pid: equality with the stored value is exact for this process, and a fork has another pid.
    from ..serving.procs import create_time

    return create_time(pid) or 0.0


class RunHeld(Exception):
    """Another live process holds the run; the message is one line naming it."""

    def __init__(self, run_id: str, owner: Owner | None) -> None:
        if owner is None:  # a resume took it from a process it believed dead, and let it go since
            text = f"run {run_id}: this process no longer holds it"
        else:
            who = f"this process ({owner.describe()})" if owner.is_me() else f"another process, {owner.describe()}"
            text = f"run {run_id} is held by {who}: wait for it to end, or stop that process and resume"
        super().__init__(text)
        self.run_id, self.owner = run_id, owner
