"""`modelpick promptset FILE`: check a prompt set before running it."""

from __future__ import annotations

from pathlib import Path

import click

from ..untrusted import clean
from .output import echo_json, escape, say


@click.command("promptset")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The prompts as JSON lines on stdout.")
def promptset(path: Path, as_json: bool) -> None:
    """Check a prompt set (JSONL or CSV): how many prompts load, and each bad row with its line."""
    from ..evals.promptsets import PromptSetError, load_prompt_set

    try:
        ps = load_prompt_set(path)
    except PromptSetError as exc:
        raise click.ClickException(clean(str(exc))) from None
    if as_json:
        for p in ps.prompts:
            echo_json({"id": p.id, "prompt": p.prompt, "system": p.system, "reference": p.reference,
                                   "tags": list(p.tags), "line": p.line, "checks": [c.to_json() for c in p.checks]})
    else:
        say(escape(ps.summary()))
    for error in ps.errors:
        say(f"[yellow]bad row[/] {escape(str(error))}", err=True)
