"""`modelpick origin`: the table of where model publishers are based, and the user's own entries over it."""

from __future__ import annotations

import click

from .output import echo_json, escape, fail, print_table, say, services_from


@click.group()
def origin() -> None:
    """Where publishers are based: the shipped table and your entries (yours win)."""


@origin.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts.")
@click.pass_context
def origin_list(ctx: click.Context, as_json: bool) -> None:
    """Every entry in force: organisation, country, whose it is, date checked, how (verified), and source."""
    from rich.table import Table

    book = services_from(ctx).catalog.store.origins.book()
    entries = book.entries()
    if as_json:
        for entry in entries:
            item = entry.to_json()
            shipped = book.table.get(entry.org.lower())
            if entry.by == "user" and shipped is not None:
                item["replaces"] = shipped.to_json()  # the shipped entry the user's stands in for
            echo_json(item)
        return
    offline = sum(1 for e in entries if e.verified == "offline")
    table = Table(title=f"{len(entries)} organisations ({len(book.user)} yours)", title_justify="left",
                  caption=f"verified: offline = written from the source without opening it ({offline} rows), "
                          "online = checked against the live page on that date; docs/catalog.md says how to verify",
                  caption_justify="left")
    for col in ("org", "country", "by", "checked", "verified", "source"):
        table.add_column(col)
    for e in entries:
        by = "you" if e.by == "user" else "table"
        verified = {"user": "yours", "offline": "[yellow]offline[/]"}.get(e.verified, escape(e.verified))
        table.add_row(escape(e.org), e.country, f"[cyan]{by}[/]" if e.by == "user" else by, e.checked, verified,
                      escape(e.source))
    print_table(table)


@origin.command("set")
@click.argument("org")
@click.argument("country")
@click.option("--source", required=True, help="The URL that says where the organisation is based.")
@click.pass_context
def origin_set(ctx: click.Context, org: str, country: str, source: str) -> None:
    """Add or correct where ORG is based: COUNTRY is an ISO 3166-1 alpha-2 code (US, FR, CN…) or unknown."""
    from ..catalog.origin import OriginError, user_entry

    try:
        entry = user_entry(org, country, source)
    except OriginError as err:
        fail(str(err))
    services = services_from(ctx)
    services.catalog.ensure_loaded()
    changed = services.catalog.store.origins.set_entry(entry)
    say(f"{escape(entry.org)}: {entry.country} (your entry, checked {entry.checked}); {changed} catalogue rows changed")


@origin.command("unset")
@click.argument("org")
@click.pass_context
def origin_unset(ctx: click.Context, org: str) -> None:
    """Remove your entry for ORG: the shipped table's applies again (or unknown)."""
    services = services_from(ctx)
    services.catalog.ensure_loaded()
    store = services.catalog.store.origins
    changed = store.unset_entry(org)
    if changed is None:
        fail(f"you have no origin entry for {org} (`modelpick origin list` shows them)")
    say(f"{escape(org)}: {store.book().country(org)} (the shipped table's); {changed} catalogue rows changed")
