"""The TUI's opening, for the console script (launch.py) and the command line (`modelpick --db X`): the one place
outside ui/ that imports the UI, lazily (`modelpick catalog search` in a script never pays for Textual)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings


class CannotOpen(Exception):
    """The database cannot be opened: the one line that says why (db.py's words), shown without a traceback."""


def run_tui(db: str | None) -> None:
    """Open the TUI on this database (None: MODELPICK_DB or the home's), until the user quits.

    The garbage collector is off from here to the browse table's first page (ModelpickApp.start_background turns it
    back on and freezes what the start built): the start allocates the app, its styles, the first page and its
    imports' objects, which live as long as the app; the ~30 collections they set off freed a few hundred objects
    and were 3% of the start's instructions (bench/cold_start.py --instructions)."""
    gc.disable()
    try:
        _run(db)
    finally:
        gc.enable()  # whatever happened before the first page


def _run(db: str | None) -> None:
    # Imported here: `modelpick catalog search` in a script never pays for Textual.
    from .services import build_services, preflight_db
    from .settings import Settings
    from .ui.app import make_app

    settings = Settings.from_env(db=db)
    try:
        preflight_db(settings.db_path)
    except Exception as exc:  # one line, no traceback
        from .cli.output import cannot_open

        raise CannotOpen(cannot_open(settings.db_path, exc)) from exc
    # The TUI opens the database (and loads the sample on a first launch) as its first screen mounts.
    services = build_services(settings, open_db_now=False)
    _warn_loose_home(settings)  # stays on the terminal's main screen, seen again when the TUI exits
    try:
        make_app(settings, services, gc_held=True).run()
    finally:
        services.close()


def _warn_loose_home(settings: Settings) -> None:
    from .home import loose_home_warning

    line = loose_home_warning(settings.home, settings.db_path)
    if line:
        from .cli.output import say_warning  # the CLI's colour, loaded only to say it

        say_warning(line)
