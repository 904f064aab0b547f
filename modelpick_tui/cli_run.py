"""CLI commands: modelpick run PROMPTSET --endpoint …, modelpick runs (issue 5: evals/runner.py)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to `main`."""
