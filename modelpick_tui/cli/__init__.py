"""`modelpick`: no arguments opens the TUI; subcommands are for scripts.

One module per command group; output.py holds what they share (consoles, escaping, errors, tables, the
services of the command). This package's root only builds the group and launches the TUI: the command modules
never import from it."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

import click

from .output import Main, cannot_open, warn_loose_home

# Each command's module is imported when that command is asked for (`modelpick runs` loads cli/run.py, not the
# catalogue's or the judge's); `modelpick --help` imports them all for their one-line help, so each keeps its
# heavy imports inside its functions. Literal module names: tests/unit/test_architecture.py reads them as edges.
COMMANDS: dict[str, Callable[[], click.Command]] = {
    "catalog": lambda: import_module("modelpick_tui.cli.catalog").catalog,
    "shortlist": lambda: import_module("modelpick_tui.cli.shortlist").shortlist,
    "promptset": lambda: import_module("modelpick_tui.cli.promptset").promptset,
    "serve": lambda: import_module("modelpick_tui.cli.serve").serve,
    "servers": lambda: import_module("modelpick_tui.cli.servers").servers_cmd,
    "stop": lambda: import_module("modelpick_tui.cli.servers").stop_cmd,
    "endpoint": lambda: import_module("modelpick_tui.cli.servers").endpoint,
    "run": lambda: import_module("modelpick_tui.cli.run").run,
    "runs": lambda: import_module("modelpick_tui.cli.run").runs,
    "export": lambda: import_module("modelpick_tui.cli.review").export_cmd,
    "import": lambda: import_module("modelpick_tui.cli.review").import_cmd,
    "labels": lambda: import_module("modelpick_tui.cli.review").labels_cmd,
    "failures": lambda: import_module("modelpick_tui.cli.failures").failures,
    "scoreboard": lambda: import_module("modelpick_tui.cli.report").scoreboard_cmd,
    "report": lambda: import_module("modelpick_tui.cli.report").report_cmd,
    "rubric": lambda: import_module("modelpick_tui.cli.report").rubric_cmd,
    "judge": lambda: import_module("modelpick_tui.cli.report").judge_cmd,
    "checks": lambda: import_module("modelpick_tui.cli.checks").checks_cmd,
    "diff": lambda: import_module("modelpick_tui.cli.diff").diff_cmd,
    "prompt": lambda: import_module("modelpick_tui.cli.prompt").prompt,
    "cost": lambda: import_module("modelpick_tui.cli.cost").cost,
    "fit": lambda: import_module("modelpick_tui.cli.fit").fit_cmd,
    "load": lambda: import_module("modelpick_tui.cli.load").load,
    "origin": lambda: import_module("modelpick_tui.cli.origin").origin,
}


class _Lazy(Main):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            self.add_command(COMMANDS[cmd_name](), cmd_name)
        return super().get_command(ctx, cmd_name)


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
    # The entry point is the one place outside ui/ that imports the UI (lazily: scripts never load textual).
    from ..services import build_services, preflight_db
    from ..settings import Settings
    from ..ui.app import make_app

    settings = Settings.from_env(db=db)
    try:
        preflight_db(settings.db_path)
    except Exception as exc:  # one line, no traceback
        raise click.ClickException(cannot_open(settings.db_path, exc)) from exc
    # The TUI opens the database (and loads the sample on a first launch) in a worker, after its
    # first frame is on screen.
    services = build_services(settings, open_db_now=False)
    warn_loose_home(settings)  # stays on the terminal's main screen, seen again when the TUI exits
    try:
        make_app(settings, services).run()
    finally:
        services.close()


if __name__ == "__main__":  # pragma: no cover
    main()
