"""DataTable helpers shared by the screens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from textual import events
from textual.widget import Widget
from textual.widgets import DataTable, Input


def cursor_key(table: DataTable) -> str | None:  # type: ignore[type-arg]
    """The key of the row under the cursor, or None (an empty table, a cursor off the rows)."""
    if table.row_count == 0:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor sits outside the rows while the table is being refilled
        return None
    return str(key.value) if key is not None and key.value is not None else None


def matches(search: str, text: str) -> bool:
    """Whether `text` holds every word of `search`, in any case: how the lists filter as you type."""
    text = text.lower()
    return all(word in text for word in search.lower().split())


def refill(table: DataTable, rows: Iterable[tuple[str, Sequence[Any]]]) -> None:  # type: ignore[type-arg]
    """Put (key, cells) rows in `table`, the cursor staying on the row it was on when that row is still there."""
    selected = cursor_key(table)
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if selected is not None and selected in table.rows:
        table.move_cursor(row=table.get_row_index(selected))


def _app_keys() -> frozenset[str]:
    from .actions import ACTIONS

    return frozenset(k for a in ACTIONS if a.screen == "app" for k in a.key.split(","))


def type_to_search(event: events.Key, table: Widget, search: Input, *, screen_keys: bool = True) -> bool:
    """On a list with a search box, the keys typed on the list edit the search (the way fzf-style pickers work):
    a printable key is added to it, backspace takes the last one back, escape clears it. Typing a model name never
    triggers an action, quit least of all. The list keeps the focus, so arrows move through what the search
    leaves, enter picks, and no key typed in a burst is lost to a focus change under way. On a screen
    (`screen_keys`) the app's capitals (L S C P V M B: the loop's screens) and the screen's own printable keys
    (`/`: into the search box, to edit it) keep their meaning; in a form every printable key is the search's.
    True when the key went to the search."""
    if table.screen.focused is not table:
        return False
    if event.key == "backspace" and search.value:
        search.value = search.value[:-1]
    elif event.key == "escape" and search.value:
        search.value = ""  # escape on an empty search does what it does on the screen (back, cancel)
    elif event.is_printable and event.character and not event.character.isspace():  # space selects on a list
        if screen_keys:
            own = {k for b in table.screen.BINDINGS if not isinstance(b, tuple) for k in b.key.split(",")}
            if event.key in _app_keys() or event.key in own:
                return False
        search.value += event.character
    else:
        return False
    event.stop()
    event.prevent_default()
    search.cursor_position = len(search.value)
    return True
