"""`modelpick shortlist`: the 3-5 candidates, with notes."""

from __future__ import annotations

import click

from ..untrusted import clean
from .output import echo_json, escape, print_table, say, services_from


@click.group(invoke_without_command=True)
@click.option("--compare", "compare", is_flag=True,
              help="The candidates side by side: models as columns, facts and benchmarks as rows.")
@click.option("--context", type=click.IntRange(1, 10_000_000), default=None,
              help="With --compare: the context (tokens) the fit row is for.  [default: 8192]")
@click.option("--json", "as_json", is_flag=True, help="With --compare: one JSON object on stdout, for scripts.")
@click.pass_context
def shortlist(ctx: click.Context, compare: bool, context: int | None, as_json: bool) -> None:
    """The shortlist: list it, compare it side by side, or add/remove models."""
    from rich.table import Table

    from ..catalog.units import format_params

    if ctx.invoked_subcommand is None and (as_json or context) and not compare:
        raise click.UsageError("--json and --context go with --compare")
    if ctx.invoked_subcommand is None and compare:
        _compare(ctx, context, as_json)
        return
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


def _compare(ctx: click.Context, context: int | None, as_json: bool) -> None:
    """The side-by-side table (evals/shortlist.py): best value per row in bold green with a ★."""
    from rich.table import Table

    services = services_from(ctx)
    services.catalog.ensure_loaded()
    table_data = services.side_by_side(context)
    if as_json:
        echo_json(table_data.to_dict())
        return
    if not table_data.candidates:
        say("the shortlist is empty (modelpick shortlist add MODEL_ID)")
        return
    table = Table(title=f"shortlist side by side: fit at {table_data.context:,} tokens on "
                        f"{escape(table_data.memory)} (★ best in the row)", title_justify="left")
    table.add_column("")
    for cand in table_data.candidates:
        table.add_column(escape(cand.model_id), overflow="fold")
    group = "facts"
    for row in table_data.rows:
        if row.group != group:
            group = row.group
            table.add_section()
        cells = [f"[bold green]★ {escape(c.text)}[/]" if c.best else escape(c.text) for c in row.cells]
        table.add_row(f"[bold]{escape(row.label)}[/]", *cells)
    print_table(table)
