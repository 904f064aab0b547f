"""CLI commands: modelpick failures [--json] (issue 6: evals/clustering.py)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to `main`."""
