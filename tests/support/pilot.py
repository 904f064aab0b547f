"""Driving the real app with Textual's Pilot: the terminal size every Pilot test uses, what is on screen as text,
and waits on the app's state (never on a time)."""

from __future__ import annotations

import asyncio
import html
import io
import re
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from textual.widgets import DataTable, Input, Static

SIZE = (80, 24)


def table_ids(app: Any) -> list[str]:
    """The row keys of the browse screen's results table, in order."""
    table = app.screen.query_one("#results", DataTable)
    return [str(k.value) for k in table.rows]


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (Rich renderables rendered at the widget's width)."""
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=max(widget.size.width, 40), file=io.StringIO(), color_system=None)
    console.print(content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def screen_text(app: Any) -> str:
    """The visible screen, from the SVG screenshot, with its spacing entities undone."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def screen_lines(app: Any) -> str:
    """The screen as lines of text, from the SVG screenshot (whose runs of one style are separate elements,
    so a phrase spanning two styles is only found once they are put back on their line)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for m in re.finditer(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(m[2]), []).append((float(m[1]), html.unescape(m[3]).replace("\xa0", " ")))
    out = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        out.append(line)
    return "\n".join(out)


def busy(app: Any) -> list[str]:
    """What the app is still doing: messages waiting in the app's or the screen's widgets' queues (a key the
    pilot pressed may still be on its way to the binding that acts on it), workers that have not finished, and on
    the browse screen a search box whose text has not been searched yet (its debounce) or a table still short of
    the result's rows (the rows after the first screenful arrive after a paint)."""
    screen = app.screen
    waiting = sum(pump.message_queue_size for pump in (app, *screen.walk_children(with_self=True)))
    doing = [f"{waiting} message(s) waiting"] if waiting else []
    doing += [f"worker {w.name!r} ({w.state.name})" for w in app.workers if not w.is_finished]
    if not getattr(app, "background_started", True):
        # The re-attach of detached servers and the next-step line wait for the browse table's first page (or a
        # timer): a key pressed before them finds the servers screen without the servers an earlier run left.
        doing.append("the start's background work (after the browse table's first page)")
    if getattr(screen, "SCREEN_NAME", None) == "browse":
        typed = screen.query_one("#search", Input).value
        if typed != screen.query_state.text:
            doing.append(f"the search for {typed!r} (debounced)")
        result, table = screen.last_result, screen.query_one("#results", DataTable)
        if result is not None and table.row_count < len(result.rows):
            doing.append(f"the table's rows ({table.row_count} of {len(result.rows)})")
    return doing


async def settle(pilot: Any, limit: float = 30.0) -> None:
    """Wait until the app has nothing left to do (see `busy`): every message handled, every worker finished,
    and whatever a finished worker started finished too."""
    app = pilot.app
    deadline = time.monotonic() + limit
    while True:
        await pilot.pause()
        # However each worker ends: one that fails is the app's error handler's to show, not this wait's to raise.
        await asyncio.gather(*(worker.wait() for worker in list(app.workers)), return_exceptions=True)
        await pilot.pause()
        doing = busy(app)
        if not doing:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not settle in {limit:g} s: {doing}\n{describe(app)}")
        await pilot.pause(0.05)


async def palette(pilot: Any, query: str) -> None:
    """Open the command palette and type `query`; return once its search (a worker) has listed its matches and
    highlighted the first, so that enter runs it."""
    from textual.command import CommandInput, CommandList, CommandPalette

    await pilot.press("ctrl+p", *query)

    def listed() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, CommandPalette) or busy(pilot.app):
            return False
        matches = screen.query_one(CommandList)
        return screen.query_one(CommandInput).value == query and matches.option_count > 0 \
            and matches.highlighted is not None

    await wait_for(pilot, listed, 10, f"the command palette's matches for {query!r}")


async def wait_for(pilot: Any, check: Callable[[], Any], limit: float, what: str) -> None:
    """Wait until `check()` is true, letting the app run; fail after `limit` seconds saying what was awaited."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {describe(pilot.app)}")
        await pilot.pause(0.05)


def describe(app: Any) -> str:
    """What the screen shows, in short, for a failure message: its class, the status line, records and log tail
    a screen keeps (the runs and servers screens), and its text."""
    screen = app.screen
    out = [type(screen).__name__]
    if isinstance(status := getattr(screen, "status_text", None), str):
        out.append(status)
    if isinstance(rows := getattr(screen, "rows", None), dict):
        out += [repr(r) for r in rows.values()]
    if isinstance(log := getattr(screen, "log_text", None), str):
        out.append(log[-1500:])
    out.append(screen_lines(app)[-2000:])
    return "\n".join(out)


# --- the servers screen ------------------------------------------------------------------------------------


def cell(app: Any, name: str, column: str) -> str:
    """One cell of the servers table: the row of server `name`, in `column`."""
    table = app.screen.query_one("#servers", DataTable)
    return str(table.get_cell(name, column))


def status_of(app: Any, name: str) -> str | None:
    """The status the servers screen shows for server `name`; None when it is not showing it."""
    from modelpick_tui.ui.screens.servers import ServersScreen

    screen = app.screen
    # The table, not the screen's records: a record is known a moment before its row is drawn.
    if not isinstance(screen, ServersScreen):
        return None
    tables = screen.query("#servers")  # none yet while the screen is pushed but not composed
    if not tables or name not in tables.first(DataTable).rows:
        return None
    return cell(app, name, "status")
