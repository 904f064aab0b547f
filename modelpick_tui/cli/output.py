"""What every command shares: the consoles, untrusted text made safe, one-line messages and errors, tables
that fit, and the services of the running command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..untrusted import clean, json_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..services import Services
    from ..settings import Settings

API_KEY_ENV = "MODELPICK_API_KEY"  # the one variable every key option reads

console: Console
err_console: Console


def _console(name: str) -> Console:
    # The consoles are made (and Rich imported) when first used: `modelpick --help` imports every command
    # module and prints nothing through Rich.
    if name not in globals():
        from rich.console import Console

        globals().update(console=Console(highlight=False), err_console=Console(stderr=True, highlight=False))
    return globals()[name]  # type: ignore[no-any-return]


def __getattr__(name: str) -> Console:  # `output.console`, `from .output import err_console`: made on first use
    if name in ("console", "err_console"):
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A Choice whose values come from the core when first needed (this command's --help, a value to check),
    not when the command's module is imported: `modelpick --help` imports every command module."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:  # no super(): no values yet
        self._load = load
        self.case_sensitive = True

    def __getattr__(self, name: str) -> Any:
        if name == "choices":
            self.choices = tuple(self._load())
            return self.choices
        raise AttributeError(name)


def escape(text: str) -> str:
    """Untrusted text for Rich output: markup escaped, terminal control sequences made visible and a URL's
    password hidden."""
    from rich.markup import escape as escape_markup

    from ..serving.endpoints import redact_url

    return escape_markup(clean(redact_url(text)))


def api_key_option(*names: str, what: str) -> Callable[[Any], Any]:
    """A key option that also reads MODELPICK_API_KEY; its help says to prefer the variable, since every
    local user can read a command line (`ps`)."""
    return click.option(*names, envvar=API_KEY_ENV, show_envvar=False,
                        help=f"{what} Prefer setting {API_KEY_ENV}: a key on the command line is visible in `ps`.")


def echo_json(value: Any, **dumps: Any) -> None:
    """A JSON value for scripts (json.dumps with `dumps`): readable text, not \\u escapes, but no control
    character a terminal would act on, whatever the untrusted strings inside hold."""
    from ..serving.endpoints import redact_url

    click.echo(json_text(redact_url(json.dumps(value, **{"ensure_ascii": False, **dumps}))))


def echo_text(text: str, *, nl: bool = True) -> None:
    """Untrusted plain text (a rubric, a report) as it is, control sequences made visible."""
    click.echo(clean(text), nl=nl)


def say(text: str, *, err: bool = False) -> None:
    """One line of Rich markup, never wrapped: an error or a path split over two lines is harder to read
    and to grep."""
    _console("err_console" if err else "console").print(text, soft_wrap=True)


def fail(line: str, code: int = 1) -> NoReturn:
    """`error: LINE` on stderr and exit `code`: bad input is one clear line, never a traceback."""
    say(f"error: {escape(line)}", err=True)
    sys.exit(code)


def ms_cell(value: float | None) -> str:
    """Milliseconds in a table cell whose header names the unit: "1,234", or empty when not measured."""
    return "" if value is None else f"{value:,.0f}"


def print_table(table: Table) -> None:
    """Print a table: in a terminal it fits the window; piped to a file or a pager it gets the width it needs,
    not the 80 columns Rich assumes, so that model ids are not cut."""
    from rich.console import Console

    out = _console("console")
    if out.is_terminal:
        out.print(table)
        return
    needed = out.measure(table, options=out.options.update_width(1000)).maximum
    Console(highlight=False, width=max(out.width, needed)).print(table)


def warn_loose_home(settings: Settings) -> None:
    """The one line, on stderr, when other users can read the home (once: a command builds its services
    once, the TUI warns before it starts)."""
    from ..home import loose_home_warning

    line = loose_home_warning(settings.home, settings.db_path)
    if line:
        say(f"[yellow]{escape(line)}[/]", err=True)


def services_from(ctx: click.Context) -> Services:
    """The services of this command, built on first use from `--db` and the environment, closed with it."""
    from ..services import build_services
    from ..settings import Settings

    obj = ctx.find_root().obj
    if "services" not in obj:
        settings = Settings.from_env(db=obj.get("db"))
        try:
            obj["services"] = build_services(settings)
        except Exception as exc:  # a locked, unreadable or corrupt file: one line, no traceback
            raise click.ClickException(cannot_open(settings.db_path, exc)) from exc
        ctx.call_on_close(obj["services"].close)
        warn_loose_home(settings)
    return obj["services"]  # type: ignore[no-any-return]


def cannot_open(path: object, exc: BaseException) -> str:
    """The one line for a database that could not be opened: db.py's own words when it has them."""
    from ..db import explain

    known = explain(exc, str(path))
    if known is None:
        return f"cannot open the database {path}: {exc}"
    if not known.advice:  # db.py's own refusal (a newer modelpick's database, a renamed column): it says it all
        return str(known)
    # sqlite3's error, translated: what failed in sqlite3's words, then what to do
    return f"cannot open the database {path}: {known.__cause__ or exc}; {known.advice}"


class Main(click.Group):
    """The `modelpick` group: a database modelpick cannot use (damaged, read-only, full, …), met by any command
    anywhere, is one line on stderr and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from ..db import explain

        try:
            return super().invoke(ctx)
        except Exception as exc:
            services = (ctx.obj or {}).get("services")
            known = explain(exc, services.db.path if services is not None else None)
            if known is None:
                raise
            raise click.ClickException(clean(str(known))) from exc
