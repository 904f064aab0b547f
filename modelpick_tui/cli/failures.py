"""CLI commands: modelpick failures [--json] [--recluster] and its edits (issue 6: evals/failure_modes.py)."""

from __future__ import annotations

from typing import Any

import click

from .output import echo_json, escape, fail, print_table, say, services_from

METHOD_WORDS = {"embeddings": "sentence embeddings (all-MiniLM-L6-v2)", "tfidf": "TF-IDF + LSA"}


def _store(ctx: click.Context) -> Any:
    return services_from(ctx).failures


def _guard(fn: Any, *args: Any) -> Any:
    """Run an edit; a FailureModeError is one line on stderr and exit status 1, never a traceback."""
    from ..evals.failure_modes import FailureModeError

    try:
        return fn(*args)
    except FailureModeError as exc:
        fail(str(exc))


def _per_model(counts: dict[str, int]) -> str:
    return " · ".join(f"{model} {n}" for model, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@click.group("failures", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (modes with names, sizes, models, traces).")
@click.option("--recluster", is_flag=True,
              help="Cluster all the failed traces again first (edits are kept). Without it, failed traces labelled "
                   "since are placed into the existing modes.")
@click.option("--method", type=click.Choice(["auto", "embeddings", "tfidf"]), default="auto", show_default=True,
              help="auto: sentence embeddings when installed, else TF-IDF.")
@click.option("--namer", metavar="ENDPOINT",
              help="Have this server or remote endpoint suggest a short name for each mode (kept as a setting; "
                   "'none' stops it). Its names are shown as suggested until you rename.")
@click.pass_context
def failures(ctx: click.Context, as_json: bool, recluster: bool, method: str, namer: str | None) -> None:
    """Failure modes: the failed traces clustered, with their size, models and trace ids.

    Failed traces not in a mode yet are placed first, into the modes as they are (the first time: the first
    clustering); --recluster clusters them all again."""
    if ctx.invoked_subcommand is not None:
        return

    store = _store(ctx)
    if namer is not None:
        _set_namer(ctx, namer)
    if recluster:
        result = _guard(store.recluster, method)
        say(f"clustered {result.n_traces} failed traces into {result.n_modes} modes with "
             f"{METHOD_WORDS[result.method]} in {result.seconds:.1f} s", err=as_json)
    else:
        placed = _guard(store.place_unassigned, method)
        if placed is not None:
            say(f"{placed.line()} with {METHOD_WORDS[placed.method]} in {placed.seconds:.1f} s", err=as_json)
    if store.namer() and store.to_name():
        _name_modes(ctx, err=as_json)
    modes = store.modes()
    unassigned = store.unassigned()
    last = store.last_clustering()
    if as_json:
        echo_json({
            "clustering": None if last is None else {
                "method": last.method, "n_traces": last.n_traces, "n_modes": last.n_modes,
                "silhouette": last.silhouette, "seconds": last.seconds, "created_at": last.created_at},
            "unassigned": unassigned,
            "modes": [m.to_json() for m in modes]}, indent=2)
        return
    if not modes:
        say("no failure modes yet: label some traces 'fail' first (review: V in the TUI)")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("mode", "name", "size", "models", "traces"):
        table.add_column(column, overflow="fold", justify="right" if column == "size" else "left")
    for mode in modes:
        name = escape(mode.name) + (" [dim](named)[/]" if mode.origin == "human" else "")
        if mode.shown_suggestion:
            name = f"{escape(mode.shown_suggestion)} [dim](suggested)[/] · {name}"
        table.add_row(mode.id, name, str(mode.size), escape(_per_model(mode.per_model)),
                      escape(" ".join(t[:8] for t in mode.trace_ids)))
    print_table(table)
    if last is not None:
        when = last.created_at[:16].replace("T", " ")
        say(f"[dim]clustered {when} UTC with {METHOD_WORDS.get(last.method, last.method)}[/]")
    if unassigned:  # labelled while this command ran
        say(f"{len(unassigned)} failed traces labelled meanwhile: run modelpick failures again")


def _set_namer(ctx: click.Context, namer: str) -> None:
    from ..serving.endpoints import resolve
    from ..serving.spec import ServingError

    services = services_from(ctx)
    if namer.lower() in ("none", ""):
        services.failures.set_namer(None)
        say("no model names failure modes now", err=True)
        return
    try:
        endpoint = resolve(services.supervisor, namer)
    except ServingError as exc:
        fail(str(exc))
        return
    services.failures.set_namer(endpoint.name)
    say(f"failure modes are named by {escape(endpoint.name)} ({escape(endpoint.model)})", err=True)


def _name_modes(ctx: click.Context, *, err: bool) -> None:
    """Ask the naming endpoint for the modes without a suggested name; a namer that cannot answer is one line,
    and the listing goes on."""
    import asyncio

    from ..serving.spec import ServingError

    services = services_from(ctx)
    try:
        naming = asyncio.run(services.name_modes())
    except ServingError as exc:
        say(f"[yellow]no names suggested[/]: {escape(str(exc))}", err=True)
        return
    if naming is None:
        return
    say(f"{naming.named} modes named by {escape(services.failures.namer() or '')}", err=err)
    for line in naming.errors[:3]:
        say(f"[yellow]not named[/] {escape(line)}", err=True)


@failures.command("rename")
@click.argument("mode")
@click.argument("name", nargs=-1, required=True)
@click.pass_context
def rename(ctx: click.Context, mode: str, name: tuple[str, ...]) -> None:
    """Name a mode; the name is kept when failures are re-clustered."""
    renamed = _guard(_store(ctx).rename, mode, " ".join(name))
    say(f"{renamed.id} is now '{escape(renamed.name)}'")


@failures.command("merge")
@click.argument("into")
@click.argument("others", nargs=-1, required=True)
@click.pass_context
def merge(ctx: click.Context, into: str, others: tuple[str, ...]) -> None:
    """Merge OTHERS into INTO; they stay merged when failures are re-clustered."""
    merged = _guard(_store(ctx).merge, into, list(others))
    say(f"merged {', '.join(others)} into {merged.id} '{escape(merged.name)}': {merged.size} traces")


@failures.command("split")
@click.argument("mode")
@click.option("--method", type=click.Choice(["auto", "embeddings", "tfidf"]), default="auto")
@click.pass_context
def split(ctx: click.Context, mode: str, method: str) -> None:
    """Split a mode in two by clustering its own traces."""
    kept, new = _guard(_store(ctx).split, mode, method)
    say(f"split {kept.id} '{escape(kept.name)}' ({kept.size}) and {new.id} '{escape(new.name)}' ({new.size})")


@failures.command("move")
@click.argument("trace")
@click.argument("mode")
@click.pass_context
def move(ctx: click.Context, trace: str, mode: str) -> None:
    """Move one failed trace (id or unique prefix) to another mode; re-clustering never moves it back."""
    store = _store(ctx)
    matches = [t.trace_id for t in store.failed_traces() if t.trace_id.startswith(trace)]
    trace_id = matches[0] if len(matches) == 1 else trace
    target = _guard(store.move, trace_id, mode)
    say(f"moved {escape(trace_id[:8])} to {target.id} '{escape(target.name)}'")
