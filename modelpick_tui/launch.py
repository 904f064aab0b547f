"""The `modelpick` console script (pyproject.toml).

`modelpick` with no arguments opens the TUI (tui.py) without loading the command line: click, the CLI's group and
its output helpers are ~15 ms of a start whose whole is ~0.3 s (bench/cold_start.py). Anything else on the command
line (`--db`, a subcommand, `--help`) is the CLI's (cli/__init__.py), which opens the TUI through tui.py too."""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1:
        from .cli import main as cli

        cli()
        return
    from .tui import CannotOpen, run_tui

    try:
        run_tui(None)
    except CannotOpen as exc:  # as click shows a ClickException: one line on stderr, status 1
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
