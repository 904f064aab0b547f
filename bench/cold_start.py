"""TUI cold start: process start → first frame (headless), modelpick on the sample catalogue vs a
minimal Textual app, measured in the same run, alternating, several times.

    .venv/bin/python bench/cold_start.py [--runs 7]

"warm db" is the daily case (the catalogue is already in the database); "first launch" starts
from an empty database and loads the embedded sample first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
t0 = float(sys.argv[1]); kind = sys.argv[2]

# The first frame: the first time the app hands a rendered screen to its (headless) driver.
from textual.app import App
_display = App._display
def _first_display(self, screen, renderable):
    if renderable is not None and not hasattr(App, "_frame_seen"):
        App._frame_seen = True
        print(f"FRAME {time.time() - t0:.4f}", flush=True)
    return _display(self, screen, renderable)
App._display = _first_display

async def auto_pilot(pilot):
    await pilot.pause()
    if kind != "minimal":
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        rows = pilot.app.screen.query_one("#results").row_count
        assert rows > 0, "no rows shown"
    print(f"READY {time.time() - t0:.4f}", flush=True)
    pilot.app.exit()

if kind == "minimal":
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

    Minimal().run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
else:
    # What `modelpick` with no arguments does (modelpick_tui/cli.py), with an auto-pilot to time it.
    from modelpick_tui.services import build_services, preflight_db
    from modelpick_tui.ui.app import make_app
    from modelpick_tui.settings import Settings

    settings = Settings.from_env()
    preflight_db(settings.db_path)
    services = build_services(settings, open_db_now=False)
    make_app(settings, services).run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
"""


def one(kind: str, env: dict[str, str]) -> tuple[float, float]:
    """(first frame, table filled) in seconds since the process was spawned."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(t0), kind], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    marks = {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines()
             if line.startswith(("FRAME ", "READY "))}
    if "READY" not in marks:
        raise RuntimeError(f"{kind} did not start: {out.stderr[-2000:]}")
    return marks["FRAME"], marks["READY"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MODELPICK_HOME": tmp, "HF_HUB_OFFLINE": "1"}
        one("modelpick", env)  # fill the database once, and warm the OS file cache for everyone
        one("minimal", env)
        minimal, warm, first = [], [], []
        for i in range(args.runs):
            minimal.append(one("minimal", env))
            warm.append(one("modelpick", env))
            first_env = {**env, "MODELPICK_HOME": os.path.join(tmp, f"first{i}")}
            first.append(one("modelpick", first_env))
    base = statistics.median(m[0] for m in minimal)
    print(f"process start → first frame / → results table filled; median of {args.runs} (headless, 80×24)")
    print(f"  {'minimal Textual app':<25} frame {base:.3f} s  1.00×")
    for label, values in (("modelpick, warm db", warm), ("modelpick, first launch", first)):
        frame = statistics.median(v[0] for v in values)
        filled = statistics.median(v[1] for v in values)
        print(f"  {label:<25} frame {frame:.3f} s  {frame / base:.2f}×   table filled {filled:.3f} s  "
              f"{filled / base:.2f}×")


if __name__ == "__main__":
    main()
