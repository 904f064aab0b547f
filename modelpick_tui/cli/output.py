"""What every command shares: the consoles, untrusted text made safe, one-line messages and errors, tables
that fit, and the services of the running command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
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
    import json

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


# Rich's default table (heavy head, bold header, italic title, a space of padding), drawn here for a table of plain
# one-line ASCII cells that fits: Rich's import is most of what `modelpick runs` would cost above a bare click app.
# Anything else (wide characters, a table wider than the terminal, an environment that changes what Rich decides)
# goes to Rich. tests/unit/test_cli_output.py holds it to Rich's own output, byte for byte.
_RICH_ENV = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES", "JUPYTER_COLUMNS")


def print_rows(title: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]]) -> None:
    """A table of untrusted text cells (each made safe as `escape` does): `columns` are (header, "left" or
    "right"), the title is plain text. Printed as print_table prints Rich's default table."""
    import os

    def safe(cell: str) -> str:
        if "@" not in cell:  # no URL with a password (and no import of serving/endpoints.py to look for one)
            return clean(cell)
        from ..serving.endpoints import redact_url

        return clean(redact_url(cell))

    cells = [[safe(cell) for cell in row] for row in rows]
    fast = _plain_table(title, columns, cells, os.environ, sys.stdout)
    if fast is not None:
        sys.stdout.write(fast)
        sys.stdout.flush()
        return
    from rich.markup import escape as escape_markup
    from rich.table import Table

    table = Table(title=escape_markup(title), title_justify="left")
    for header, justify in columns:
        table.add_column(escape_markup(header), justify=justify)  # type: ignore[arg-type]
    for row in cells:
        table.add_row(*(escape_markup(cell) for cell in row))
    print_table(table)


def _plain_table(title: str, columns: Sequence[tuple[str, str]], rows: list[list[str]], env: Any,
                 out: Any) -> str | None:
    """Rich's drawing of the table, or None where Rich would decide something this does not (the caller asks
    Rich)."""
    texts = [title, *(h for h, _ in columns), *(c for row in rows for c in row)]
    if any(not (t.isascii() and t.isprintable()) for t in texts) or any(k in env for k in _RICH_ENV):
        return None
    if not (getattr(out, "encoding", None) or "").lower().replace("-", "").startswith("utf"):
        return None  # Rich draws an ASCII box
    terminal = out.isatty()
    if terminal and env.get("TERM", "") in ("dumb", "unknown"):
        return None
    widths = [max([len(h), *(len(row[i]) for row in rows)]) + 2 for i, (h, _) in enumerate(columns)]
    width = sum(widths) + len(widths) + 1
    if len(title) > width:
        return None  # Rich wraps the title
    if terminal:
        import shutil

        if width > shutil.get_terminal_size().columns:
            return None  # Rich fits the table to the window

    def style(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if terminal and text else text

    def padded(cells: Sequence[str], code: str = "") -> list[str]:
        parts = []
        for cell, (_, justify), w in zip(cells, columns, widths, strict=True):
            pad = " " * (w - 2 - len(cell))
            text = pad + cell if justify == "right" else cell + pad
            parts.append(style(" ", code) + style(text, code) + style(" ", code) if code else f" {text} ")
        return parts

    bars = ["━" * w for w in widths]
    lines = [style(title.ljust(width), "3"), "┏" + "┳".join(bars) + "┓",
             "┃" + "┃".join(padded([h for h, _ in columns], "1")) + "┃", "┡" + "╇".join(bars) + "┩"]
    lines += ["│" + "│".join(padded(row)) + "│" for row in rows]
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return "\n".join(lines) + "\n"


def warn_loose_home(settings: Settings) -> None:
    """The one line, on stderr, when other users can read the home (once: a command builds its services
    once, the TUI warns before it starts)."""
    from ..home import loose_home_warning

    line = loose_home_warning(settings.home, settings.db_path)
    if line:
        say_warning(line)


def say_warning(line: str) -> None:
    """One warning line on stderr, in yellow, its text never read as markup."""
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
