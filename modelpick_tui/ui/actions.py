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
    screen: str  # "app", "browse", "card", "shortlist", "servers"
    show: bool = True
    palette: bool = True  # offered in the command palette
    priority: bool = False


ACTIONS: tuple[Action, ...] = (
    Action("app.quit", "q", "quit", "Quit", "app"),
    Action("app.shortlist", "L", "show_shortlist", "Shortlist", "app"),
    Action("app.servers", "S", "show_servers", "Servers", "app"),
    Action("app.compare", "C", "show_compare", "Compare", "app"),
    Action("app.runs", "P", "show_runs", "Runs", "app"),
    Action("app.review", "V", "show_review", "Review", "app"),
    Action("app.failures", "M", "show_failures", "Failure modes", "app"),
    Action("app.scoreboard", "B", "show_scoreboard", "Scoreboard", "app"),
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
    Action("card.serve", "v", "serve", "Serve", "card"),
    Action("shortlist.back", "escape", "back", "Back", "shortlist"),
    Action("shortlist.open", "enter", "open", "Open card", "shortlist"),
    Action("shortlist.note", "e", "edit_note", "Edit note", "shortlist"),
    Action("shortlist.remove", "d", "remove", "Remove", "shortlist"),
    Action("shortlist.serve", "v", "serve", "Serve", "shortlist"),
    Action("servers.back", "escape", "back", "Back", "servers"),
    Action("servers.start", "n", "start", "Start", "servers"),
    Action("servers.stop", "x", "stop", "Stop", "servers"),
    Action("servers.restart", "R", "restart", "Restart", "servers"),
    Action("servers.detach", "D", "detach", "Detach", "servers"),
    Action("servers.remote", "a", "add_remote", "Add remote", "servers"),
    # --- compare (ui/screens/compare.py) ---
    # --- runs (ui/screens/runs.py) ---
    # --- review (ui/screens/review.py, ui/screens/pairwise.py) ---
    # --- failures (ui/screens/failures.py) ---
    # --- scoreboard (ui/screens/scoreboard.py) ---
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
    "app.servers": "Open the servers screen: running, detached and remote endpoints",
    "app.compare": "Compare: one prompt to 2-4 endpoints, streamed side by side",
    "app.runs": "Prompt-set runs: run a set across endpoints, see progress, resume",
    "app.review": "Review traces: pass / fail / skip with a note, toward 100 labels",
    "app.failures": "Failure modes: failed traces clustered, per model",
    "app.scoreboard": "Scoreboard: pass rate, latency and win rate per model; write the decision report",
    "card.serve": "Start a server for this model (llama.cpp for GGUF, vLLM for safetensors)",
    "shortlist.serve": "Start a server for the selected model",
    "servers.start": "Start a server: a GGUF path (llama.cpp) or a model for vLLM",
    "servers.stop": "Stop the selected server (a stopped one or a remote endpoint: remove it from the list)",
    "servers.restart": "Restart the selected server with the same settings",
    "servers.detach": "Detach the selected server: it keeps running after modelpick exits",
    "servers.remote": "Add a remote OpenAI-compatible endpoint (base URL, model, optional key)",
}


def bindings(screen: str) -> list[Binding]:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id, priority=a.priority)
        for a in ACTIONS
        if a.screen == screen
    ]


def palette_actions(screens: tuple[str, ...]) -> list[Action]:
    return [a for a in ACTIONS if a.screen in screens and a.palette]
