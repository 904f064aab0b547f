"""One table of keys: it feeds the bindings, the footer and the command palette."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    id: str  # binding id, remappable with App.set_keymap
    key: str
    action: str
    description: str
    screen: str  # "app", "browse", "card", "shortlist"
    show: bool = True
    palette: bool = True  # offered in the command palette
    priority: bool = False


ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "quit", "Quit", "app"),
    Action("app.shortlist", "L", "show_shortlist", "Shortlist", "app"),
    Action("browse.search", "slash", "focus_search", "Search", "browse"),
    Action("browse.filters", "f", "toggle_filters", "Filters", "browse"),
    Action("browse.permissive", "p", "toggle_permissive", "Permissive", "browse"),
    Action("browse.sort", "o", "cycle_sort", "Sort", "browse"),
    Action("browse.gated", "g", "cycle_gated", "Gated", "browse", show=False),
    Action("browse.local", "l", "toggle_local", "Local", "browse", show=False),
    Action("browse.shortlist_add", "s", "shortlist_add", "Shortlist+", "browse"),
    Action("browse.sync", "u", "sync", "Sync Hub", "browse"),
    Action("browse.reset", "r", "reset_filters", "Reset", "browse", show=False),
    Action("card.back", "escape", "back", "Back", "card"),
    Action("card.shortlist_add", "s", "shortlist_add", "Shortlist+", "card"),
    Action("card.refresh", "r", "refresh", "Refresh from Hub", "card"),
    Action("shortlist.back", "escape", "back", "Back", "shortlist"),
    Action("shortlist.open", "enter", "open", "Open card", "shortlist"),
    Action("shortlist.note", "e", "edit_note", "Edit note", "shortlist"),
    Action("shortlist.remove", "d", "remove", "Remove", "shortlist"),
)

# Human descriptions for the palette, where the footer's short label is not enough.
PALETTE_HELP = {
    "browse.search": "Focus the search box (type to search the local catalogue)",
    "browse.filters": "Show or hide the filter panel (licence, size, task, format, gated, author)",
    "browse.permissive": "Toggle: permissive licences only (Apache-2.0, MIT, BSD…)",
    "browse.sort": "Cycle the sort: downloads, likes, trending, recently updated, parameters",
    "browse.gated": "Cycle gated: any → open only → gated only",
    "browse.local": "Toggle: only models already on this machine",
    "browse.shortlist_add": "Add the selected model to the shortlist, with a note",
    "browse.sync": "Sync the catalogue from the Hugging Face Hub",
    "browse.reset": "Reset all filters",
    "card.refresh": "Fetch this model's card and files again from the Hub",
    "app.shortlist": "Open the shortlist",
}


def bindings(screen: str) -> list[Binding]:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id, priority=a.priority)
        for a in ACTIONS
        if a.screen == screen
    ]


def palette_actions(screens: tuple[str, ...]) -> list[Action]:
    return [a for a in ACTIONS if a.screen in screens and a.palette]
