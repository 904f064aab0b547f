"""`modelpick`'s command line: subcommands are for scripts; no subcommand opens the TUI (launch.py, the console
script, opens it without loading this package when the command line is empty).

One module per command group; output.py holds what they share (consoles, escaping, errors, tables, the
services of the command). This package's root only builds the group and launches the TUI: the command modules
never import from it."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import click

from .output import Main

# Each command's module is imported when that command is asked for (`modelpick runs` loads cli/runs.py, not the
# catalogue's or the judge's), and `modelpick --help` imports none: its line in the list is here, and the command
# shows the same line wherever click lists it (short_help, set when it is loaded). Literal module names:
# tests/unit/test_architecture.py reads them as edges.
COMMANDS: dict[str, tuple[str, Callable[[], click.Command]]] = {
    "catalog": ("The local model catalogue: list, search, sync, scan, cards.",
                lambda: import_module("modelpick_tui.cli.catalog").catalog),
    "shortlist": ("The shortlist: list it, compare it side by side, add, remove.",
                  lambda: import_module("modelpick_tui.cli.shortlist").shortlist),
    "promptset": ("Check a prompt set (JSONL or CSV): what loads, each bad row.",
                  lambda: import_module("modelpick_tui.cli.promptset").promptset),
    "serve": ("Start a model server (llama.cpp or vLLM) that outlives this.",
              lambda: import_module("modelpick_tui.cli.serve").serve),
    "servers": ("List model servers and remote endpoints.",
                lambda: import_module("modelpick_tui.cli.servers").servers_cmd),
    "stop": ("Stop a server (or all of them), until its port is free.",
             lambda: import_module("modelpick_tui.cli.servers").stop_cmd),
    "endpoint": ("Remote OpenAI-compatible endpoints (never started by modelpick).",
                 lambda: import_module("modelpick_tui.cli.servers").endpoint),
    "run": ("Send every prompt of a prompt set to every endpoint.",
            lambda: import_module("modelpick_tui.cli.run").run),
    "runs": ("List runs: name, set, endpoints, done/total, failures, status.",
             lambda: import_module("modelpick_tui.cli.runs").runs),
    "export": ("Write traces with their latest labels and metrics to a file.",
               lambda: import_module("modelpick_tui.cli.review").export_cmd),
    "import": ("Load traces with their labels from a file (JSONL or CSV).",
               lambda: import_module("modelpick_tui.cli.review").import_cmd),
    "labels": ("Summary of the review: traces and latest labels per model.",
               lambda: import_module("modelpick_tui.cli.review").labels_cmd),
    "failures": ("Failure modes: the failed traces clustered, with their models.",
                 lambda: import_module("modelpick_tui.cli.failures").failures),
    "scoreboard": ("Per model: pass rate with its interval, capacity, cost.",
                   lambda: import_module("modelpick_tui.cli.report").scoreboard_cmd),
    "report": ("Write the decision report (Markdown + JSON).",
               lambda: import_module("modelpick_tui.cli.report").report_cmd),
    "rubric": ("Show or set the pass/fail rubric a run is judged by.",
               lambda: import_module("modelpick_tui.cli.report").rubric_cmd),
    "judge": ("Grade traces with an LLM judge under the rubric.",
              lambda: import_module("modelpick_tui.cli.report").judge_cmd),
    "checks": ("Grade traces by their prompts' checks, then print the failing.",
               lambda: import_module("modelpick_tui.cli.checks").checks_cmd),
    "diff": ("Two runs' traces paired: fixed, regressed, still failing.",
             lambda: import_module("modelpick_tui.cli.diff").diff_cmd),
    "prompt": ("Prompt versions: a system prompt with examples, for `run`.",
               lambda: import_module("modelpick_tui.cli.prompt").prompt),
    "cost": ("Prices and costs: hardware and API prices, $/1M tokens, month.",
             lambda: import_module("modelpick_tui.cli.cost").cost),
    "fit": ("Does MODEL fit, at what context, how fast, on how many GPUs.",
            lambda: import_module("modelpick_tui.cli.fit").fit_cmd),
    "load": ("How many concurrent users each endpoint serves within the SLO.",
             lambda: import_module("modelpick_tui.cli.load").load),
    "origin": ("Where publishers are based: the shipped table and your entries.",
               lambda: import_module("modelpick_tui.cli.origin").origin),
}


class _Lazy(Main):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            line, load = COMMANDS[cmd_name]
            command = load()
            command.short_help = line
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][0]) for name in sorted(COMMANDS)]  # no command module imported
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Lazy, invoke_without_command=True)
@click.option("--db", type=click.Path(dir_okay=False),
              help="Database file (default: MODELPICK_DB or the user data dir).")
@click.version_option(package_name="modelpick-tui", prog_name="modelpick")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Choose an open LLM for production: catalogue, card, fit, shortlist."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        _run_tui(db)


def _run_tui(db: str | None) -> None:
    from ..tui import CannotOpen, run_tui  # the one place outside ui/ that opens the TUI

    try:
        run_tui(db)
    except CannotOpen as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":  # pragma: no cover
    main()
