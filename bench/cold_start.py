"""Cold start, measured in the same run, alternating, several times:

- the TUI: process start → first frame, and → the first frame that shows the browse table with rows (headless,
  80×24), modelpick on the sample catalogue vs a minimal Textual app (its first frame);
- the CLI: process start → exit of `modelpick --help` and `modelpick runs` vs a bare click app that imports the
  same settings (modelpick_tui.settings) and answers the same command line.

    .venv/bin/python bench/cold_start.py [--runs 7] [--only tui|cli]
    .venv/bin/python bench/cold_start.py --instructions     # the TUI's start counted in instructions (valgrind)

"warm db" is the daily case (the catalogue is already in the database, the demo traces imported); "first
launch" starts from an empty database and loads the embedded sample first.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
t0 = float(sys.argv[1]); kind = sys.argv[2]; EXIT_AT_READY = len(sys.argv) > 3

# The first frame: the first time the app hands a rendered screen to its (headless) driver; "filled": the
# first frame handed over while the browse table has rows (the minimal app: its first frame).
def _instrument(App):
    _display = App._display
    def _first_display(self, screen, renderable):
        if renderable is not None and not hasattr(App, "_frame_seen"):
            App._frame_seen = True
            print(f"FRAME {time.time() - t0:.4f} {time.process_time():.4f}", flush=True)
        if renderable is not None and not hasattr(App, "_filled_seen"):
            table = list(self.screen.query("#results")) if kind != "minimal" else [None]
            if table and (table[0] is None or table[0].row_count > 0):
                App._filled_seen = True
                print(f"READY {time.time() - t0:.4f} {time.process_time():.4f}", flush=True)
                if EXIT_AT_READY:  # counting instructions: what the process did up to here, nothing after
                    import os
                    os._exit(0)
        return _display(self, screen, renderable)
    App._display = _first_display

    async def auto_pilot(pilot):
        while not hasattr(App, "_filled_seen"):
            await pilot.pause(0.01)
        await pilot.app.workers.wait_for_complete()  # what the start-up began ends before the app does
        pilot.app.exit()

    _run = App.run
    def _headless(self, *args, **kwargs):  # modelpick's app.run(), headless, with an auto-pilot to time it
        return _run(self, headless=True, size=(80, 24), auto_pilot=auto_pilot)
    App.run = _headless

# Instrumented as it is imported, by whoever imports it first: the process imports what it would without the bench
# (the entry point does its own start-up work before it imports Textual).
class _WhenImported:
    def find_spec(self, name, path=None, target=None):
        if name != "textual.app":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec
        spec = find_spec(name)
        exec_module = spec.loader.exec_module
        def _exec(module):
            exec_module(module)
            _instrument(module.App)
        spec.loader.exec_module = _exec
        return spec
sys.meta_path.insert(0, _WhenImported())

if kind == "minimal":
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App):
        def compose(self):
            yield Static("hello")
            yield Footer()

    Minimal().run()
else:
    # `modelpick` with no arguments, through its console script's entry point (pyproject.toml): the entry point's
    # own code, not a copy of it.
    sys.argv = ["modelpick"]
    ENTRY_POINT
"""


def one(kind: str, env: dict[str, str]) -> tuple[float, float, float, float]:
    """(first frame, table filled) in seconds since the process was spawned, then the process's CPU seconds
    (all its threads) at each: what a loaded machine inflates least."""
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(t0), kind], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    marks = {line.split()[0]: (float(line.split()[1]), float(line.split()[2])) for line in out.stdout.splitlines()
             if line.startswith(("FRAME ", "READY "))}
    if "READY" not in marks:
        raise RuntimeError(f"{kind} did not start: {out.stderr[-2000:]}")
    return marks["FRAME"][0], marks["READY"][0], marks["FRAME"][1], marks["READY"][1]


# A bare click app with the same settings: what `modelpick --help` and `modelpick runs` cannot be faster than.
BARE = r"""
import sys
import click
from modelpick_tui.settings import Settings

@click.group()
@click.option("--db", type=click.Path(dir_okay=False), help="Database file.")
def main(db):
    "A bare click app."

@main.command()
def runs():
    "List the runs."
    click.echo(str(Settings.from_env().db_path))

main()
"""


def _entry_point() -> str:
    """What the `modelpick` console script runs (pyproject.toml's [project.scripts]), as one line of Python."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["modelpick"].split(":")
    return f"from {module} import {function}; {function}()"


MODELPICK = _entry_point()
CHILD = CHILD.replace("ENTRY_POINT", MODELPICK)


def _load() -> str:
    """The 1-minute load average over the cores: the figures are only comparable beside it."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_time(code: str, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds from spawn to exit, CPU seconds) of `python -c CODE ARGV...` (which must succeed)."""
    t0, cpu0 = time.perf_counter(), _children_cpu()
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if out.returncode != 0:
        raise RuntimeError(f"{argv} failed: {out.stderr[-2000:]}")
    return elapsed, cpu


def bench_cli(runs: int, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", MODELPICK, "import", "sample_data/traces/demo.jsonl"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=300)  # runs has something to list, as after `make run`
    print(f"process start → exit; median of {runs}; wall clock, then CPU time (what a loaded machine inflates "
          f"least); load average {_load()}")
    for argv in (["--help"], ["runs"]):
        cli_time(BARE, argv, env), cli_time(MODELPICK, argv, env)  # warm the OS file cache for both
        bare, ours = [], []
        for _ in range(runs):
            bare.append(cli_time(BARE, argv, env))
            ours.append(cli_time(MODELPICK, argv, env))
        b, o = statistics.median(t for t, _ in bare), statistics.median(t for t, _ in ours)
        bc, oc = statistics.median(c for _, c in bare), statistics.median(c for _, c in ours)
        name = "modelpick " + " ".join(argv)
        print(f"  {'bare click app':<16} {b:.3f} s   {name:<16} {o:.3f} s  {o / b:.2f}×   "
              f"CPU {bc:.3f} s / {oc:.3f} s  {oc / bc:.2f}×")


def counted(code: str, argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """The instructions `python -c CODE ARGV...` runs (valgrind, without a cache model), and what it printed: the
    same count for the same work whatever else the machine does, where wall clock and CPU time move by ±15% from one
    start to the next on a shared 2-core machine. Hash randomisation off, so that two runs do the same work."""
    with tempfile.NamedTemporaryFile(suffix=".out") as out:
        run = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out.name}",
                              sys.executable, "-c", code, *argv],
                             capture_output=True, text=True, env={**env, "PYTHONHASHSEED": "0"}, cwd=ROOT, timeout=600)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode != 0 or not found:
        raise RuntimeError(f"{argv} failed under valgrind: {run.stderr[-2000:]}")
    return int(found.group(1).replace(",", "")), run.stdout


def instructions(kind: str, env: dict[str, str]) -> int:
    """Instructions from process start to the filled table (the minimal app: its first frame)."""
    count, printed = counted(CHILD, [str(time.time()), kind, "exit"], env)
    if "READY" not in printed:
        raise RuntimeError(f"{kind} did not fill its table under valgrind")
    return count


def bench_instructions(env: dict[str, str], tmp: str) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    one("modelpick", env)  # the warm database
    base = instructions("minimal", env)
    warm = instructions("modelpick", env)
    first = instructions("modelpick", {**env, "MODELPICK_HOME": os.path.join(tmp, "first-counted")})
    print("process start → results table filled, instructions (valgrind; one run each: the count repeats within "
          "0.1%)")
    print(f"  {'minimal Textual app':<25} {base / 1e6:8.1f} M  1.00×")
    for label, count in (("modelpick, warm db", warm), ("modelpick, first launch", first)):
        print(f"  {label:<25} {count / 1e6:8.1f} M  {count / base:.2f}×")
    subprocess.run([sys.executable, "-c", MODELPICK, "import", "sample_data/traces/demo.jsonl"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=300)  # runs has something to list
    print("process start → exit, instructions")
    for argv in (["--help"], ["runs"]):
        bare, ours = counted(BARE, argv, env)[0], counted(MODELPICK, argv, env)[0]
        name = "modelpick " + " ".join(argv)
        print(f"  {'bare click app':<16} {bare / 1e6:7.1f} M   {name:<16} {ours / 1e6:7.1f} M  {ours / bare:.2f}×")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", choices=["tui", "cli"])
    ap.add_argument("--instructions", action="store_true",
                    help="count the TUI start's instructions under valgrind instead of timing it")
    args = ap.parse_args()
    # An installed modelpick has its bytecode (pip compiles it; a checkout writes it on first run). Compile it
    # here, so a shell with PYTHONDONTWRITEBYTECODE does not time the compiler on every start.
    compileall.compile_dir(ROOT / "modelpick_tui", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MODELPICK_HOME": tmp, "HF_HUB_OFFLINE": "1"}
        if args.instructions:
            bench_instructions(env, tmp)
            return
        if args.only != "tui":
            bench_cli(args.runs, env)
        if args.only == "cli":
            return
        one("modelpick", env)  # fill the database once, and warm the OS file cache for everyone
        one("minimal", env)
        minimal, warm, first = [], [], []
        for i in range(args.runs):
            minimal.append(one("minimal", env))
            warm.append(one("modelpick", env))
            first_env = {**env, "MODELPICK_HOME": os.path.join(tmp, f"first{i}")}
            first.append(one("modelpick", first_env))
        tui_report(args.runs, minimal, warm, first)


Marks = tuple[float, float, float, float]


def tui_report(runs: int, minimal: list[Marks], warm: list[Marks], first: list[Marks]) -> None:
    base, base_cpu = statistics.median(m[0] for m in minimal), statistics.median(m[2] for m in minimal)
    print(f"process start → first frame / → results table filled; median of {runs} (headless, 80×24); load "
          f"average {_load()} at the end")
    print("wall clock, and CPU time of the process (all threads) at the mark")
    print(f"  {'minimal Textual app':<25} frame {base:.3f} s  1.00×{'':<35}CPU frame {base_cpu:.3f} s")
    for label, values in (("modelpick, warm db", warm), ("modelpick, first launch", first)):
        frame, filled = statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)
        frame_cpu, filled_cpu = statistics.median(v[2] for v in values), statistics.median(v[3] for v in values)
        print(f"  {label:<25} frame {frame:.3f} s  {frame / base:.2f}×   table filled {filled:.3f} s  "
              f"{filled / base:.2f}×   CPU frame {frame_cpu / base_cpu:.2f}×  filled {filled_cpu / base_cpu:.2f}×")


if __name__ == "__main__":
    main()
