"""`modelpick catalog`: sync from the Hub, search and filter the local catalogue, scan local GGUF files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..catalog.sources.errors import HubError
from ..untrusted import clean
from .output import LazyChoice, echo_json, escape, print_table, say, services_from


def _size_classes() -> tuple[str, ...]:
    from ..catalog.facts import SIZE_CLASSES

    return SIZE_CLASSES


def _sorts() -> list[str]:
    from ..catalog.query import SORT_LABELS

    return sorted(SORT_LABELS)


@click.group()
def catalog() -> None:
    """The local model catalogue (filled from the Hub, the sample, or local files)."""


@catalog.command("sync")
@click.option("--source", type=click.Choice(["hub", "modelscope", "openrouter", "ollama"]), default="hub",
              show_default=True, help="Where from: the Hugging Face Hub, ModelScope, OpenRouter's hosted models and "
                                      "prices, or the local Ollama.")
@click.option("--search", "-s", help="Only models whose id contains this text.")
@click.option("--task", "-t", help="Pipeline tag, e.g. text-generation.")
@click.option("--author", "-a", help="Author or organisation, e.g. Qwen.")
@click.option("--filter", "filters", multiple=True, help="Hub tag filter, e.g. gguf or license:mit (repeatable).")
@click.option("--params", "num_parameters", help='Parameter range, e.g. "min:6B,max:15B".')
@click.option("--sort", type=click.Choice(["downloads", "likes", "trending_score", "last_modified", "created_at"]),
              default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.pass_context
def catalog_sync(ctx: click.Context, source: str, search: str | None, task: str | None, author: str | None,
                 filters: tuple[str, ...], num_parameters: str | None, sort: str, limit: int) -> None:
    """Fetch models from the Hub (or ModelScope, OpenRouter, the local Ollama) into the local cache (a re-run
    refreshes them)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..catalog.query import ListParams
    from .output import err_console

    services = services_from(ctx)
    if source != "hub":
        from .output import fail
        from .sources import sync_other

        given = [flag for flag, value in (("--task", task), ("--author", author), ("--filter", filters),
                                          ("--params", num_parameters)) if value]
        if search and source != "modelscope":
            given.insert(0, "--search")
        if given:
            fail(f"{', '.join(given)}: not with --source {source} (the Hub's filters; ModelScope takes --search)")
    params = ListParams(search=search, task=task, author=author, filters=filters,
                        num_parameters=num_parameters, sort=sort, limit=limit)
    with Progress(TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:  # a script's stderr gets only the result
        bar = progress.add_task("sync", total=limit)
        if source != "hub":
            sync_other(services, source, search=search, sort=sort, limit=limit,
                       progress=lambda done, _total: progress.update(bar, completed=done), stop=progress.stop)
            return
        try:
            report = services.catalog.sync(params, lambda done, _total: progress.update(bar, completed=done))
        except HubError as err:
            progress.stop()
            status = services.catalog.status()
            say(f"error: {escape(str(err))}", err=True)
            if err.offline_like:
                say(escape(status.offline_line), err=True)
            sys.exit(2)
    say(f"synced {report.fetched} models; {services.catalog.store.count()} in the catalogue")


def _row_json(row: Any, book: Any) -> dict[str, Any]:
    return {
        "id": row.id, "task": row.task, "params": row.params, "params_active": row.params_active,
        "params_source": row.params_source or None, "size_class": row.size_class,
        "license": row.license, "permissive": row.permissive, "downloads": row.downloads,
        "likes": row.likes, "last_modified": row.last_modified, "gated": row.gated or False,
        "formats": list(row.formats), "local": row.is_local, **_origin_json(row, book),
    }


def _count(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A parameter count option ("7B", "500M"): bad input is click's one-line usage error."""
    if value is None:
        return None
    from ..catalog.counts import parse_param_count

    try:
        return parse_param_count(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


def _origin_json(row: Any, book: Any) -> dict[str, Any]:
    # The countries are the stored ones the filters matched; who said so ("table" or "user") is the book's.
    origin = book.of_model(row.id, row.base_model).to_json()
    origin["country"] = row.origin
    if origin["base_model"]:
        origin["base_country"] = row.base_origin
    return {"origin": origin, "tier": row.tier}


def _countries(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from ..catalog.origin import OriginError, check_countries

    try:
        return check_countries(values)
    except OriginError as err:
        raise click.BadParameter(str(err), param=param) from None


def _sources(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from ..catalog.query import check_sources

    try:
        return check_sources(values)
    except ValueError as err:
        raise click.BadParameter(str(err), param=param) from None


def _tiers(_ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    from ..catalog.query import TIERS

    tiers = [part.strip().lower() for value in values for part in value.split(",") if part.strip()]
    wrong = [t for t in tiers if t not in TIERS]
    if wrong:
        raise click.BadParameter(f"{clean(wrong[0])[:40]!r} is not a tier ({', '.join(TIERS)})", param=param)
    return tuple(dict.fromkeys(tiers))


@catalog.command("search")
@click.argument("text", nargs=-1)
@click.option("--license", "licenses", multiple=True, help="Licence id, e.g. apache-2.0 (repeatable).")
@click.option("--permissive", is_flag=True, help="Only permissive licences (Apache-2.0, MIT, BSD…).")
@click.option("--size", "sizes", multiple=True, type=LazyChoice(_size_classes), help="Size class (repeatable).")
@click.option("--min-params", callback=_count, help="At least this many parameters in all, e.g. 7B (bare: billions).")
@click.option("--max-params", callback=_count, help="At most this many parameters in all, e.g. 15B.")
@click.option("--min-active", callback=_count,
              help="At least this many active parameters (read per token: a mixture of experts' active count, "
                   "a dense model's total), e.g. 3B.")
@click.option("--max-active", callback=_count, help="At most this many active parameters, e.g. 5B.")
@click.option("--task", help="Pipeline tag, e.g. text-generation.")
@click.option("--format", "fmt", help="gguf, safetensors, awq, gptq, mlx, onnx…")
@click.option("--gated/--open", default=None, help="Only gated, or only open models.")
@click.option("--author")
@click.option("--local", is_flag=True, help="Only models whose files are on this machine.")
@click.option("--origin", "origins", multiple=True, callback=_countries,
              help="Publisher's country, ISO codes or unknown: US,FR (repeatable).")
@click.option("--exclude-origin", "exclude_origins", multiple=True, callback=_countries,
              help="Leave out these countries: CN (unknown stays unless named).")
@click.option("--by-base", is_flag=True, help="Match the origin of the base model the card names instead.")
@click.option("--tier", "tiers", multiple=True, callback=_tiers,
              help="low (<32B), medium (32B to <300B), high (>=300B), unknown: low,medium.")
@click.option("--source", "sources", multiple=True, callback=_sources,
              help="Listed on: hf, ms (ModelScope), ollama, local, or hosted: or (OpenRouter); hf,ms matches either.")
@click.option("--sort", type=LazyChoice(_sorts), default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts.")
@click.pass_context
def catalog_search(ctx: click.Context, text: tuple[str, ...], licenses: tuple[str, ...], permissive: bool,
                   sizes: tuple[str, ...], min_params: int | None, max_params: int | None, min_active: int | None,
                   max_active: int | None, task: str | None, fmt: str | None, gated: bool | None,
                   author: str | None, local: bool, origins: tuple[str, ...], exclude_origins: tuple[str, ...],
                   by_base: bool, tiers: tuple[str, ...], sources: tuple[str, ...], sort: str, limit: int,
                   as_json: bool) -> None:
    """Search and filter the local catalogue (no network)."""
    from rich.table import Table

    from ..catalog.query import CatalogQuery
    from ..catalog.units import format_params_with_active

    services = services_from(ctx)
    services.catalog.ensure_loaded()
    if local:
        services.catalog.refresh_local()  # the cache may have changed since the flags were last set
    query = CatalogQuery(text=" ".join(text), licenses=tuple(x.lower() for x in licenses),
                         permissive_only=permissive, size_classes=sizes, min_params=min_params,
                         max_params=max_params, min_active=min_active, max_active=max_active, task=task, format=fmt,
                         gated=gated, author=author, local_only=local, origins=origins,
                         exclude_origins=exclude_origins, by_base=by_base, tiers=tiers, sources=sources, sort=sort,
                         limit=limit)
    result = services.catalog.search(query)
    if as_json:
        from .sources import elsewhere

        book = services.catalog.store.origins.book()
        ids = [row.id for row in result.rows]
        for row, extra in zip(result.rows, elsewhere(services, ids), strict=True):
            echo_json({**_row_json(row, book), **extra})
        return
    table = Table(title=f"{result.matching} of {result.total} models", title_justify="left")
    for col, justify in (("id", "left"), ("task", "left"), ("params", "right"), ("license", "left"),
                         ("downloads", "right"), ("likes", "right"), ("updated", "left"), ("gated", "left"),
                         ("origin", "left"), ("tier", "left"), ("source", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        table.add_row(escape(r.id), escape(r.task), format_params_with_active(r.params, r.params_active),
                      escape(r.license or "none"),
                      f"{r.downloads:,}", f"{r.likes:,}", r.last_modified[:10], r.gated or "",
                      r.base_origin if by_base else r.origin, r.tier, "+".join(r.sources))
    print_table(table)


@catalog.command("scan")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def catalog_scan(ctx: click.Context, dirs: tuple[Path, ...]) -> None:
    """Find GGUF files in folders and add them to the catalogue as local models."""
    services = services_from(ctx)
    services.catalog.ensure_loaded()
    for d in dirs:
        if not d.is_dir():
            raise click.ClickException(f"not a folder: {clean(str(d))}")
        report = services.catalog.scan_dir(d)
        for item in report.found:
            say(f"[green]found[/] {escape(item)}")
        for item in report.errors:
            say(f"[yellow]skipped[/] {escape(item)}", err=True)
        say(f"{len(report.found)} GGUF files in {escape(str(d))}")


@catalog.command("load-sample")
@click.pass_context
def catalog_load_sample(ctx: click.Context) -> None:
    """(Re)load the embedded sample catalogue into the database."""
    n = services_from(ctx).catalog.load_sample()
    say(f"loaded {n} sample models")
