"""`modelpick`: no arguments opens the TUI; subcommands are for scripts.

One module per command group; output.py holds what they share (consoles, escaping, errors, tables, the
services of the command). This package's root only builds the group and launches the TUI: the command modules
never import from it."""

from __future__ import annotations

import click

from . import catalog, checks, diff, failures, prompt, promptset, report, review, run, serve, servers, shortlist
from .output import Main, cannot_open, warn_loose_home


@click.group(cls=Main, invoke_without_command=True)
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


for _command in (catalog.catalog, shortlist.shortlist, promptset.promptset, serve.serve, servers.servers_cmd,
                 servers.stop_cmd, servers.endpoint, run.run, run.runs, review.export_cmd, review.import_cmd,
                 review.labels_cmd, failures.failures, report.scoreboard_cmd, report.report_cmd,
                 report.rubric_cmd, report.judge_cmd, checks.checks_cmd, diff.diff_cmd, prompt.prompt):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
