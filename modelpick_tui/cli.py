"""`modelpick`: no arguments opens the TUI; subcommands are for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from .catalog.facts import SIZE_CLASSES, format_params
from .catalog.hub import HubError, ListParams
from .catalog.store import SORTS, CatalogQuery
from .services import Services, build_services, make_app, preflight_db
from .settings import Settings
from .untrusted import clean


def escape(text: str) -> str:
    """Untrusted text for Rich output: markup escaped and terminal control sequences made visible."""
    return _escape_markup(clean(text))

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _say(text: str, *, err: bool = False) -> None:
    """One line of Rich markup, never wrapped: an error or a path split over two lines is harder to read
    and to grep."""
    (err_console if err else console).print(text, soft_wrap=True)


def _print_table(table: Table) -> None:
    # In a terminal the table fits the window; piped to a file or a pager it gets the width it needs,
    # not the 80 columns Rich assumes, so that model ids are not cut.
    if console.is_terminal:
        console.print(table)
        return
    needed = console.measure(table, options=console.options.update_width(1000)).maximum
    Console(highlight=False, width=max(console.width, needed)).print(table)


def _services(ctx: click.Context) -> Services:
    obj = ctx.find_root().obj
    if "services" not in obj:
        settings = Settings.from_env(db=obj.get("db"))
        try:
            obj["services"] = build_services(settings)
        except Exception as exc:  # a locked, unreadable or corrupt file: one line, no traceback
            raise click.ClickException(f"cannot open the database {settings.db_path}: {exc}") from exc
        ctx.call_on_close(obj["services"].close)
    return obj["services"]


@click.group(invoke_without_command=True)
@click.option("--db", type=click.Path(dir_okay=False),
              help="Database file (default: MODELPICK_DB or the user data dir).")
@click.version_option(package_name="modelpick-tui", prog_name="modelpick")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Choose an open LLM for production: catalogue, card, fit, shortlist."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        settings = Settings.from_env(db=db)
        try:
            preflight_db(settings.db_path)
        except Exception as exc:  # one line, no traceback
            raise click.ClickException(f"cannot open the database {settings.db_path}: {exc}") from exc
        # The TUI opens the database (and loads the sample on a first launch) in a worker, after its
        # first frame is on screen.
        services = build_services(settings, open_db_now=False)
        try:
            make_app(settings, services).run()
        finally:
            services.close()


@main.group()
def catalog() -> None:
    """The local model catalogue (filled from the Hub, the sample, or local files)."""


@catalog.command("sync")
@click.option("--search", "-s", help="Only models whose id contains this text.")
@click.option("--task", "-t", help="Pipeline tag, e.g. text-generation.")
@click.option("--author", "-a", help="Author or organisation, e.g. Qwen.")
@click.option("--filter", "filters", multiple=True, help="Hub tag filter, e.g. gguf or license:mit (repeatable).")
@click.option("--params", "num_parameters", help='Parameter range, e.g. "min:6B,max:15B".')
@click.option("--sort", type=click.Choice(["downloads", "likes", "trending_score", "last_modified", "created_at"]),
              default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.pass_context
def catalog_sync(ctx: click.Context, search: str | None, task: str | None, author: str | None,
                 filters: tuple[str, ...], num_parameters: str | None, sort: str, limit: int) -> None:
    """Fetch models from the Hub into the local cache (a re-run refreshes them)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    services = _services(ctx)
    params = ListParams(search=search, task=task, author=author, filters=filters,
                        num_parameters=num_parameters, sort=sort, limit=limit)
    with Progress(TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:  # a script's stderr gets only the result
        bar = progress.add_task("sync", total=limit)
        try:
            report = services.catalog.sync(params, lambda done, _total: progress.update(bar, completed=done))
        except HubError as err:
            progress.stop()
            status = services.catalog.status()
            _say(f"error: {escape(str(err))}", err=True)
            if err.offline_like:
                _say(escape(status.offline_line), err=True)
            sys.exit(2)
    _say(f"synced {report.fetched} models; {services.catalog.store.count()} in the catalogue")


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "task": row.task, "params": row.params, "size_class": row.size_class,
        "license": row.license, "permissive": row.permissive, "downloads": row.downloads,
        "likes": row.likes, "last_modified": row.last_modified, "gated": row.gated or False,
        "formats": list(row.formats), "local": row.is_local,
    }


@catalog.command("search")
@click.argument("text", nargs=-1)
@click.option("--license", "licenses", multiple=True, help="Licence id, e.g. apache-2.0 (repeatable).")
@click.option("--permissive", is_flag=True, help="Only permissive licences (Apache-2.0, MIT, BSD…).")
@click.option("--size", "sizes", multiple=True, type=click.Choice(SIZE_CLASSES), help="Size class (repeatable).")
@click.option("--task", help="Pipeline tag, e.g. text-generation.")
@click.option("--format", "fmt", help="gguf, safetensors, awq, gptq, mlx, onnx…")
@click.option("--gated/--open", default=None, help="Only gated, or only open models.")
@click.option("--author")
@click.option("--local", is_flag=True, help="Only models whose files are on this machine.")
@click.option("--sort", type=click.Choice(sorted(SORTS)), default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts.")
@click.pass_context
def catalog_search(ctx: click.Context, text: tuple[str, ...], licenses: tuple[str, ...], permissive: bool,
                   sizes: tuple[str, ...], task: str | None, fmt: str | None, gated: bool | None,
                   author: str | None, local: bool, sort: str, limit: int, as_json: bool) -> None:
    """Search and filter the local catalogue (no network)."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    if local:
        services.catalog.refresh_local()  # the cache may have changed since the flags were last set
    query = CatalogQuery(text=" ".join(text), licenses=tuple(x.lower() for x in licenses),
                         permissive_only=permissive, size_classes=sizes, task=task, format=fmt,
                         gated=gated, author=author, local_only=local, sort=sort, limit=limit)
    result = services.catalog.search(query)
    if as_json:
        for row in result.rows:
            click.echo(json.dumps(_row_json(row)))
        return
    table = Table(title=f"{result.matching} of {result.total} models", title_justify="left")
    for col, justify in (("id", "left"), ("task", "left"), ("params", "right"), ("license", "left"),
                         ("downloads", "right"), ("likes", "right"), ("updated", "left"), ("gated", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        table.add_row(escape(r.id), escape(r.task), format_params(r.params), escape(r.license or "none"),
                      f"{r.downloads:,}", f"{r.likes:,}", r.last_modified[:10], r.gated or "")
    _print_table(table)


@catalog.command("scan")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def catalog_scan(ctx: click.Context, dirs: tuple[Path, ...]) -> None:
    """Find GGUF files in folders and add them to the catalogue as local models."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    for d in dirs:
        if not d.is_dir():
            raise click.ClickException(f"not a folder: {clean(str(d))}")
        report = services.catalog.scan_dir(d)
        for item in report.found:
            _say(f"[green]found[/] {escape(item)}")
        for item in report.errors:
            _say(f"[yellow]skipped[/] {escape(item)}", err=True)
        _say(f"{len(report.found)} GGUF files in {escape(str(d))}")


@catalog.command("load-sample")
@click.pass_context
def catalog_load_sample(ctx: click.Context) -> None:
    """(Re)load the embedded sample catalogue into the database."""
    n = _services(ctx).catalog.load_sample()
    _say(f"loaded {n} sample models")


@main.group(invoke_without_command=True)
@click.pass_context
def shortlist(ctx: click.Context) -> None:
    """The shortlist: list it, or add/remove models."""
    if ctx.invoked_subcommand is None:
        rows = _services(ctx).catalog.shortlist()
        table = Table(title=f"shortlist ({len(rows)})", title_justify="left")
        for col in ("model", "params", "license", "note"):
            table.add_column(col)
        for r in rows:
            table.add_row(escape(r["model_id"]), format_params(r["params"]), escape(r["license"] or "none"),
                          escape(r["note"] or ""))
        _print_table(table)


@shortlist.command("add")
@click.argument("model_id")
@click.option("--note", default="", help="Why it is on the list.")
@click.pass_context
def shortlist_add(ctx: click.Context, model_id: str, note: str) -> None:
    """Put a model on the shortlist (again: replace its note)."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    if not services.catalog.store.exists(model_id):
        raise click.ClickException(f"{clean(model_id)} is not in the catalogue (try `modelpick catalog search`)")
    services.catalog.shortlist_add(model_id, note)
    _say(f"shortlisted {escape(model_id)}")


@shortlist.command("rm")
@click.argument("model_id")
@click.pass_context
def shortlist_rm(ctx: click.Context, model_id: str) -> None:
    """Take a model off the shortlist."""
    services = _services(ctx)
    if model_id not in {r["model_id"] for r in services.catalog.shortlist()}:
        raise click.ClickException(f"{clean(model_id)} is not on the shortlist")
    services.catalog.shortlist_remove(model_id)
    _say(f"removed {escape(model_id)}")


@main.command("promptset")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The prompts as JSON lines on stdout.")
def promptset(path: Path, as_json: bool) -> None:
    """Check a prompt set (JSONL or CSV): how many prompts load, and each bad row with its line."""
    from .evals.promptsets import PromptSetError, load_prompt_set

    try:
        ps = load_prompt_set(path)
    except PromptSetError as exc:
        raise click.ClickException(clean(str(exc))) from None
    if as_json:
        for p in ps.prompts:
            click.echo(json.dumps({"id": p.id, "prompt": p.prompt, "system": p.system, "reference": p.reference,
                                   "tags": list(p.tags), "line": p.line}, ensure_ascii=False))
    else:
        _say(escape(ps.summary()))
    for error in ps.errors:
        _say(f"[yellow]bad row[/] {escape(str(error))}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
