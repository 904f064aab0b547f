"""What a command imports is what it costs to start (bench/cold_start.py measures it): `modelpick --help` imports no
command module, `modelpick runs` neither Rich nor the catalogue nor sqlite-utils. Each check runs the real
`modelpick` in a fresh interpreter and reads its sys.modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from modelpick_tui.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]

# Run `modelpick ARGS` as the console script does (pyproject.toml: launch.main), then list on stderr the modules it
# imported (one a line).
CHILD = r"""
import sys
from modelpick_tui.launch import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("MODULES\n" + "\n".join(sorted(sys.modules)) + "\n")
sys.exit(code)
"""

# What none of the two paths needs (each was on one of them, and cost it a tenth of a second or more).
HEAVY = ("rich", "textual", "sqlite_utils", "huggingface_hub", "httpx", "numpy", "pydantic", "yaml", "psutil",
         "modelpick_tui.catalog", "modelpick_tui.ui")


def _modelpick(home: Path, *args: str) -> tuple[str, set[str]]:
    env = {**os.environ, "MODELPICK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout, set(out.stderr.split("MODULES\n", 1)[1].split())


def _loaded(modules: set[str], top: str) -> list[str]:
    return sorted(m for m in modules if m == top or m.startswith(top + "."))


def test_help_lists_every_command_with_its_line_and_imports_none(tmp_path: Path) -> None:
    printed, modules = _modelpick(tmp_path / "home", "--help")
    listed = {line.split()[0]: " ".join(line.split()[1:]) for line in printed.split("Commands:\n", 1)[1].splitlines()}
    assert listed == {name: line for name, (line, _) in COMMANDS.items()}
    assert not [m for m in modules if m.startswith("modelpick_tui.cli.") and m != "modelpick_tui.cli.output"]
    for top in (*HEAVY, "sqlite3", "modelpick_tui.services", "modelpick_tui.db"):
        assert not _loaded(modules, top), top


def test_each_command_loads_and_keeps_its_line() -> None:
    """The line in `modelpick --help` is the command's short help wherever click shows it, and its own --help
    still has its whole text."""
    ctx = click.Context(main)
    for name, (line, _) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.get_short_help_str(45) == line
        assert len(line) <= 64, f"{name}: wider than the list at 80 columns"
        helped = CliRunner().invoke(main, [name, "--help"])
        assert helped.exit_code == 0 and (command.help or "").split()[0] in helped.output, name


def test_runs_lists_runs_without_rich_or_the_catalogue(tmp_path: Path) -> None:
    home = tmp_path / "home"
    imported = CliRunner().invoke(main, ["import", str(ROOT / "sample_data" / "traces" / "demo.jsonl")],
                                  env={"MODELPICK_HOME": str(home)})
    assert imported.exit_code == 0, imported.output
    printed, modules = _modelpick(home, "runs")
    assert "runs (1)" in printed and "demo-0001" in printed and "imported" in printed
    for top in HEAVY:
        assert not _loaded(modules, top), top
    assert "modelpick_tui.evals.prompts" not in modules  # a run's prompt version is read, not its module


# What the TUI needs for the browse table's first page: the app and the browse screen, the catalogue opened (the
# sample loaded into a new home) and searched. What it does not need waits for the first card, the first server,
# the background work that starts once the page is painted.
FIRST_PAGE = r"""
import sys
import modelpick_tui.ui.app, modelpick_tui.ui.screens.browse
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.services import build_services
from modelpick_tui.settings import Settings

services = build_services(Settings.from_env(), open_db_now=False)
catalog = services.catalog
catalog.ensure_loaded()
catalog.status()
assert catalog.search(CatalogQuery()).rows
services.close()
sys.stderr.write("MODULES\n" + "\n".join(sorted(sys.modules)) + "\n")
"""


def test_the_browse_tables_first_page_waits_for_nothing_it_does_not_show(tmp_path: Path) -> None:
    from modelpick_tui.catalog.sample import build
    from modelpick_tui.settings import package_sample_dir

    prebuilt = tmp_path / "sample-catalog.db"  # what the set-up compiles: a first launch copies it
    build(package_sample_dir(), prebuilt)
    env = {**os.environ, "MODELPICK_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT),
           "MODELPICK_PREBUILT_SAMPLE": str(prebuilt)}
    for launch in ("first launch", "warm"):
        out = subprocess.run([sys.executable, "-c", FIRST_PAGE], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        modules = set(out.stderr.split("MODULES\n", 1)[1].split())
        # sqlite-utils: a first launch creates the schema from schema.sql and writes the sample in plain SQL.
        for top in ("huggingface_hub", "httpx", "numpy", "yaml", "psutil", "plotext", "sqlite_utils",
                    "modelpick_tui.catalog.fit.quants", "modelpick_tui.catalog.ggufs",
                    "modelpick_tui.catalog.card_checklist", "modelpick_tui.serving.endpoints", "modelpick_tui.evals",
                    # the scans of this machine and the other sources' clients wait for the warm-up
                    "modelpick_tui.catalog.local", "modelpick_tui.catalog.source_sync",
                    "modelpick_tui.catalog.sources.modelscope", "modelpick_tui.catalog.sources.openrouter",
                    "modelpick_tui.catalog.sources.ollama",
                    # the sample's facts are parsed at install (catalog/sample.py), a sync's when it runs
                    "modelpick_tui.catalog.facts", "modelpick_tui.catalog.counts", "modelpick_tui.catalog.hub_json"):
            assert not _loaded(modules, top), (launch, top)
