"""`modelpick` in the test's process (click's CliRunner) over one database: never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from modelpick_tui.cli import main


def run(db: Path, *args: str) -> Result:
    """`modelpick --db DB ARGS…`; its exit is the result's, a traceback fails the test."""
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result
