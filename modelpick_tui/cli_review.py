"""CLI commands: modelpick export / import / labels (issue 6: evals/review.py)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to `main`."""
