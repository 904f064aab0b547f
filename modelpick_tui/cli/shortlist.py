"""`modelpick shortlist`: the 3-5 candidates, with notes."""

from __future__ import annotations

import click

from ..untrusted import clean
from .output import escape, print_table, say, services_from


@click.group(invoke_without_command=True)
@click.pass_context
def shortlist(ctx: click.Context) -> None:
    """The shortlist: list it, or add/remove models."""
    from rich.table import Table

    from ..catalog.facts import format_params

    if ctx.invoked_subcommand is None:
        rows = services_from(ctx).catalog.shortlist()
        table = Table(title=f"shortlist ({len(rows)})", title_justify="left")
        for col in ("model", "params", "license", "note"):
            table.add_column(col)
        for r in rows:
            table.add_row(escape(r["model_id"]), format_params(r["params"]), escape(r["license"] or "none"),
                          escape(r["note"] or ""))
        print_table(table)


@shortlist.command("add")
@click.argument("model_id")
@click.option("--note", default="", help="Why it is on the list.")
@click.pass_context
def shortlist_add(ctx: click.Context, model_id: str, note: str) -> None:
    """Put a model on the shortlist (again: replace its note)."""
    services = services_from(ctx)
    services.catalog.ensure_loaded()
    if not services.catalog.store.exists(model_id):
        raise click.ClickException(f"{clean(model_id)} is not in the catalogue (try `modelpick catalog search`)")
    services.catalog.shortlist_add(model_id, note)
    say(f"shortlisted {escape(model_id)}")


@shortlist.command("rm")
@click.argument("model_id")
@click.pass_context
def shortlist_rm(ctx: click.Context, model_id: str) -> None:
    """Take a model off the shortlist."""
    services = services_from(ctx)
    if model_id not in {r["model_id"] for r in services.catalog.shortlist()}:
        raise click.ClickException(f"{clean(model_id)} is not on the shortlist")
    services.catalog.shortlist_remove(model_id)
    say(f"removed {escape(model_id)}")
