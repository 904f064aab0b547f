"""`modelpick` with no arguments (launch.py, the console script): the TUI opens without the command line's code, with
the garbage collector held until the browse table's first page; errors are one line; anything else is the CLI's."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from modelpick_tui.services import build_services
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app

ROOT = Path(__file__).resolve().parents[2]

# The console script's code with the app's run() replaced by a recorder: what was imported and whether the collector
# ran while the app would have started, then whether it runs again once the app is gone.
CHILD = r"""
import gc, sys
from textual.app import App

def run(self, *args, **kwargs):
    print("APP", type(self).__name__, "gc" if gc.isenabled() else "no-gc",
          " ".join(m for m in sys.modules if m == "click" or m.startswith("modelpick_tui.cli")) or "-")

App.run = run
from modelpick_tui.launch import main
main()
print("AFTER", "gc" if gc.isenabled() else "no-gc")
"""


def _modelpick(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    return subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_no_arguments_opens_the_tui_without_the_command_line(tmp_path: Path) -> None:
    out = _modelpick({"MODELPICK_HOME": str(tmp_path / "home")})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # The app ran with the collector held and none of click or cli/ loaded; the collector is back after it.
    assert lines == ["APP ModelpickApp no-gc -", "AFTER gc"], out.stdout


def test_arguments_are_the_command_lines(tmp_path: Path) -> None:
    out = _modelpick({"MODELPICK_HOME": str(tmp_path / "home")}, "--help")
    assert out.returncode == 0 and "Commands:" in out.stdout and "APP" not in out.stdout
    # --db opens the TUI through the command line, on that database.
    out = _modelpick({"MODELPICK_HOME": str(tmp_path / "home")}, "--db", str(tmp_path / "other.db"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("APP ModelpickApp no-gc click")


def test_a_database_that_cannot_open_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database, it is a file of text " * 100)
    out = _modelpick({"MODELPICK_HOME": str(tmp_path / "home"), "MODELPICK_DB": str(bad)})
    assert out.returncode == 1
    assert out.stderr.startswith("Error: cannot open the database") and "not a database" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "APP" not in out.stdout


async def test_the_app_collects_again_after_its_first_page(tmp_path: Path) -> None:
    settings = Settings.from_env(env={"MODELPICK_HOME": str(tmp_path / "home")})
    services = build_services(settings, open_db_now=False)
    gc.disable()  # as tui.run_tui holds it
    try:
        app = make_app(settings, services, gc_held=True)
        async with app.run_test(size=(100, 30)) as pilot:
            while not app.background_started:
                await pilot.pause(0.02)
            table = app.screen.query_one("#results")
            assert table.row_count > 0  # the first page is what turned it back on
            assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
        services.close()


def test_a_home_others_can_read_is_one_warning_line_before_the_tui(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    out = _modelpick({"MODELPICK_HOME": str(home)})
    assert out.returncode == 0, out.stderr
    warned = [line for line in out.stderr.splitlines() if "can be read by other users" in line]
    assert len(warned) == 1 and f"chmod 700 {home}" in warned[0]
    assert out.stdout.splitlines()[0].startswith("APP ModelpickApp")
