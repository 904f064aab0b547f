"""CLI commands: modelpick report / rubric / judge (issue 6: evals/report.py, evals/judge.py)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to `main`."""
