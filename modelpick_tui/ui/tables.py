"""DataTable helpers shared by the screens."""

from __future__ import annotations

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


def _app_keys() -> frozenset[str]:
    from .actions import ACTIONS

    return frozenset(k for a in ACTIONS if a.screen == "app" for k in a.key.split(","))


def type_to_search(event: events.Key, table: Widget, search: Input, *, screen_keys: bool = True) -> bool:
    """On a list with a search box, a printable key pressed on the list starts a search with that key (the way
    fzf-style pickers work): typing a model name never triggers an action, quit least of all. On a screen
    (`screen_keys`) the app's capitals (L S C P V M B: the loop's screens) and the screen's own printable keys
    (`/`) keep their meaning; in a form, every printable key is the search's. True when the key went to it."""
    if table.screen.focused is not table or not event.is_printable or not event.character:
        return False
    if event.character.isspace():
        return False  # space selects on a list; nobody starts a name with it
    if screen_keys:
        own = {k for b in table.screen.BINDINGS if not isinstance(b, tuple) for k in b.key.split(",")}
        if event.key in _app_keys() or event.key in own:
            return False
    event.stop()
    event.prevent_default()
    search.display = True
    search.focus()
    search.value += event.character
    search.cursor_position = len(search.value)
    return True
