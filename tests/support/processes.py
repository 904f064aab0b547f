"""`modelpick` in a process of its own, timed, with that process's peak memory (for tests of bounds)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Runs the CLI and, on its way out, writes the peak RSS (KiB on Linux) of the process or of a child it waited for
# (the stream reader, which holds what a stream buffers: it is waited for at exit, before this runs) to the file
# named in argv[1]. The process's own peak is its memory's high-water mark (VmHWM), not getrusage's ru_maxrss:
# Linux carries the forking process's high-water mark across (v)fork + exec into ru_maxrss, so a CLI started from
# a pytest that had grown to 471 MB reported 471 MB whatever it used itself.
_PEAK_RSS = """
import atexit, re, resource, sys
rss_file = sys.argv.pop(1)
def own():
    with open("/proc/self/status") as fh:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", fh.read()).group(1))
peak = lambda: max(own(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
atexit.register(lambda: open(rss_file, "w").write(str(peak())))
from modelpick_tui.cli import main
sys.argv[0] = "modelpick"
main()
"""


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def modelpick_measured(workdir: Path, db: Path, *args: str, timeout: float, env: dict[str, str] | None = None,
                       ) -> Finished:
    """`modelpick --db DB ARGS`, killed past `timeout` (subprocess.TimeoutExpired then fails the test)."""
    rss_file = workdir / "peak-rss.txt"
    rss_file.unlink(missing_ok=True)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(rss_file), "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})
    seconds = time.monotonic() - start
    return Finished(proc.returncode, proc.stdout, proc.stderr, seconds, int(rss_file.read_text()) / 1024)
