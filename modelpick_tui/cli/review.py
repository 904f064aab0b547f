"""CLI commands: modelpick export / import / labels (issue 6: evals/exchange.py, evals/labels.py)."""

from __future__ import annotations

from pathlib import Path

import click

from .output import echo_json, escape, fail, print_table, say, services_from


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]),
              help="Default: from the file's suffix (.csv → csv, else jsonl).")
@click.option("--run", "run_id", help="Only the traces of this run.")
@click.pass_context
def export_cmd(ctx: click.Context, file: Path, fmt: str | None, run_id: str | None) -> None:
    """Write traces with their latest labels and metrics to FILE (CSV or JSONL), to share a review."""
    from ..evals.exchange import export
    from ..evals.labels import ReviewError

    services = services_from(ctx)
    if run_id is not None and services.traces.get_run(run_id) is None:
        fail(f"no run {run_id} (modelpick labels lists what is here)")
    try:
        n = export(services.review, file, fmt, run_id=run_id)
    except ReviewError as err:
        fail(str(err))
    say(f"exported {n} traces to {escape(str(file))}")


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def import_cmd(ctx: click.Context, file: Path) -> None:
    """Load traces with their labels from FILE (JSONL or CSV), merging by trace id without duplicates.

    Fields: id, prompt, model, output, verdict, note, tags; optional reference, run, endpoint,
    system, prompt_id, labelled_at, labeler, metrics (ttft_ms, latency_ms, tokens_in, tokens_out,
    tokens_per_s). Bad rows are reported with their line numbers; the good rows load."""
    from ..evals.exchange import import_file
    from ..evals.labels import ReviewError

    services = services_from(ctx)
    try:
        report = import_file(services.review, file)
    except ReviewError as err:
        fail(str(err))
    say(escape(report.line()))
    if report.errors and not report.traces and not report.labels and not report.known:
        ctx.exit(1)


@click.command("labels")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model, for scripts.")
@click.pass_context
def labels_cmd(ctx: click.Context, as_json: bool) -> None:
    """Summary of the review: traces and latest labels per model, and progress toward the goal."""
    from rich.table import Table


    review = services_from(ctx).review
    rows = review.summary()
    if as_json:
        for row in rows:
            echo_json(row)
        return
    if not rows:
        say("no traces yet: run a prompt set, compare endpoints, or modelpick import FILE")
        return
    table = Table(title=review.progress().line(), title_justify="left")
    for col in ("model", "traces", "pass", "fail", "skip", "unlabelled", "pass rate"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        rate = "–" if r["pass_rate"] is None else f"{r['pass_rate']:.0%}"
        table.add_row(escape(r["model"] or "?"), str(r["traces"]), str(r["pass"]), str(r["fail"]),
                      str(r["skip"]), str(r["unlabelled"]), rate)
    print_table(table)
