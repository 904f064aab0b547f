"""`modelpick diff RUN_A RUN_B`: what the second run fixed and what it broke (evals/diff.py)."""

from __future__ import annotations

import click

from .output import echo_json, escape, fail, print_table, say, services_from


@click.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, with the trace pairs of each kind.")
@click.pass_context
def diff_cmd(ctx: click.Context, run_a: str, run_b: str, as_json: bool) -> None:
    """Pair RUN_A's and RUN_B's traces by prompt and model: fixed (fail→pass), regressed (pass→fail), still
    failing, still passing — by human label where both have one, else by checks, else by judge; the pass-rate
    change with a paired 95% interval and McNemar's exact p-value; per failure mode of RUN_A, what RUN_B fixed."""
    services = services_from(ctx)
    for run_id in (run_a, run_b):
        if services.traces.get_run(run_id) is None:
            fail(f"no run {run_id!r} (the runs are listed by `modelpick runs`)")
    diff = services.diff(run_a, run_b)
    if as_json:
        echo_json(diff.to_json())
        return
    say(f"[bold]{escape(run_a)} → {escape(run_b)}[/]")
    for line in diff.summary():
        say(escape(line))
    modes = diff.by_mode()
    if modes:
        from rich.table import Table

        table = Table(title=f"failure modes of {escape(run_a)}", title_justify="left")
        table.add_column("failure mode")
        table.add_column("fixed", justify="right")
        table.add_column("of", justify="right")
        for mode, fixed, n in modes:
            table.add_row(escape(mode), str(fixed), str(n))
        print_table(table)
    if not diff.pairs:
        say("no trace of one run answers a prompt × model of the other", err=True)
