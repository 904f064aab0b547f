"""One table of keys: it feeds the bindings, the footer and the command palette."""

from __future__ import annotations

from typing import NamedTuple

from textual.binding import Binding


class Action(NamedTuple):  # a named tuple: ~90 of them are built as the app starts, each cheaper than a dataclass
    id: str  # binding id, remappable with App.set_keymap
    key: str
    action: str
    description: str
    screen: str  # "app", "browse", "card", "shortlist", "servers"
    show: bool = True
    palette: bool = True  # offered in the command palette
    priority: bool = False


ACTIONS: tuple[Action, ...] = (
    # Quit is never a letter: the first thing a user types on the catalogue is a model name, and `q` once quit on
    # "qwen". ctrl+q is every Textual app's quit, and nobody types it in a name. docs/keys.md says why.
    Action("app.quit", "ctrl+q", "quit", "Quit", "app", show=False),
    Action("app.keys", "f1", "toggle_keys", "Keys", "app", show=False),
    # The loop's screens: capitals, the same on every screen. Not in the footers (seven entries would push out each
    # screen's own keys at 80 columns); the palette lists them with their keys, and docs/keys.md.
    Action("app.shortlist", "L", "show_shortlist", "Shortlist", "app", show=False),
    Action("app.servers", "S", "show_servers", "Servers", "app", show=False),
    Action("app.compare", "C", "show_compare", "Compare", "app", show=False),
    Action("app.runs", "P", "show_runs", "Runs", "app", show=False),
    Action("app.review", "V", "show_review", "Review", "app", show=False),
    Action("app.failures", "M", "show_failures", "Failure modes", "app", show=False),
    Action("app.scoreboard", "B", "show_scoreboard", "Scoreboard", "app", show=False),
    # The browse table and the shortlist search as you type (ui/tables.type_to_search): their actions are on ctrl
    # keys, chosen so that they also work while the search box has the focus (Input keeps ctrl+a/e/d/k/u/w/x/c/v for
    # itself: ctrl+u there clears the search). Left out too: ctrl+t/n/w (a terminal in a browser never gets them),
    # ctrl+v/c (Windows Terminal pastes and copies), ctrl+h/i/j/m/[ (backspace, tab, enter, escape), ctrl+b (tmux).
    Action("browse.search", "slash", "focus_search", "Search", "browse", show=False),
    Action("browse.filters", "ctrl+f", "toggle_filters", "Filters", "browse"),
    Action("browse.sort", "ctrl+o", "cycle_sort", "Sort", "browse"),
    Action("browse.shortlist_add", "ctrl+s", "shortlist_add", "Shortlist+", "browse"),
    Action("browse.sync", "ctrl+r", "sync", "Sync", "browse"),  # r: the card's "refresh from the Hub"
    Action("browse.permissive", "ctrl+l", "toggle_permissive", "Permissive", "browse", show=False),  # licence
    Action("browse.gated", "ctrl+g", "cycle_gated", "Gated", "browse", show=False),
    Action("browse.local", "ctrl+y", "toggle_local", "Local", "browse", show=False),  # yours
    Action("browse.reset", "ctrl+x", "reset_filters", "Reset", "browse", show=False),  # on the table
    # The home screen's footer names the way out and the way to every other key (the app's, shown here only).
    Action("browse.keys", "f1", "app.toggle_keys", "Keys", "browse", palette=False),
    Action("browse.quit", "ctrl+q", "app.quit", "Quit", "browse", palette=False),
    Action("card.back", "escape", "back", "Back", "card"),
    Action("card.shortlist_add", "s", "shortlist_add", "Shortlist+", "card"),
    Action("card.refresh", "r", "refresh", "Refresh", "card"),
    Action("card.serve", "v", "serve", "Serve", "card"),
    Action("shortlist.back", "escape", "back", "Back", "shortlist"),
    Action("shortlist.open", "enter", "open", "Card", "shortlist"),
    Action("shortlist.note", "ctrl+s", "edit_note", "Note", "shortlist"),  # s: the browse table's shortlist+note
    Action("shortlist.remove", "ctrl+d", "remove", "Remove", "shortlist"),  # on the table
    Action("shortlist.serve", "ctrl+g", "serve", "Serve", "shortlist"),  # go
    Action("shortlist.context", "ctrl+o", "cycle_context", "Context", "shortlist"),  # the side by side's fit row
    Action("servers.back", "escape", "back", "Back", "servers"),
    Action("servers.start", "n", "start", "Start", "servers"),
    Action("servers.stop", "x", "stop", "Stop", "servers"),
    Action("servers.restart", "R", "restart", "Restart", "servers"),
    Action("servers.detach", "D", "detach", "Detach", "servers"),
    Action("servers.remote", "a", "add_remote", "Add remote", "servers"),
    # --- compare (ui/screens/compare.py) ---
    # At 80 columns the footer shows these; prompt (i) and settings (s) are named on the screen itself.
    Action("compare.back", "escape", "back", "Back", "compare"),
    Action("compare.prompt", "i", "focus_prompt", "Prompt", "compare", show=False),
    Action("compare.endpoints", "e", "endpoints", "Endpoints", "compare"),
    Action("compare.settings", "s", "settings", "Settings", "compare", show=False),
    Action("compare.blind", "b", "toggle_blind", "Blind", "compare"),
    Action("compare.left", "1", "vote_left", "Left", "compare"),
    Action("compare.right", "2", "vote_right", "Right", "compare"),
    Action("compare.tie", "3", "vote_tie", "Tie", "compare", show=False),
    Action("compare.both_bad", "4", "vote_both_bad", "Both bad", "compare", show=False),
    Action("compare.pair", "x", "cycle_pair", "Other pair", "compare", show=False),
    Action("compare.pass", "p", "pass", "Pass", "compare"),
    Action("compare.fail", "f", "fail", "Fail", "compare"),
    Action("compare.note", "n", "note", "Note", "compare", show=False),
    Action("compare.new", "r", "new_conversation", "New conversation", "compare", show=False),
    # --- runs (ui/screens/runs.py) ---
    Action("runs.back", "escape", "back", "Back", "runs"),
    Action("runs.new", "n", "new_run", "New run", "runs"),
    Action("runs.cancel", "x", "cancel_run", "Cancel run", "runs"),
    Action("runs.resume", "r", "resume_run", "Resume", "runs"),
    Action("runs.diff", "d", "diff_runs", "Diff", "runs"),
    Action("diff.back", "escape", "back", "Back", "diff"),
    # --- review (ui/screens/review.py, ui/screens/pairwise.py) ---
    Action("review.pass", "p", "label_pass", "Pass", "review"),
    Action("review.fail", "f", "label_fail", "Fail+note", "review"),
    Action("review.skip", "s", "label_skip", "Skip", "review"),
    Action("review.next", "n,right", "next", "Next", "review", show=False, priority=True),
    Action("review.previous", "b,left", "previous", "Prev", "review", show=False, priority=True),
    Action("review.undo", "u", "undo", "Undo", "review"),
    Action("review.filter", "t", "filter", "Filter", "review"),
    Action("review.order", "o", "order", "Order", "review"),
    Action("review.pairwise", "w", "pairwise", "Pairwise", "review"),
    Action("review.back", "escape", "back", "Back", "review", show=False),
    Action("pairwise.left", "l", "vote_left", "Left better", "pairwise"),
    Action("pairwise.right", "r", "vote_right", "Right better", "pairwise"),
    Action("pairwise.tie", "t", "vote_tie", "Tie", "pairwise"),
    Action("pairwise.both_bad", "x", "vote_both_bad", "Both bad", "pairwise"),
    Action("pairwise.next", "n", "next", "Next", "pairwise"),
    Action("pairwise.previous", "b", "previous", "Prev", "pairwise"),
    Action("pairwise.back", "escape", "back", "Back", "pairwise"),
    # --- failures (ui/screens/failures.py) ---
    Action("failures.back", "escape", "back", "Back", "failures"),
    Action("failures.open", "enter", "open", "Traces", "failures", show=False),
    Action("failures.recluster", "r", "recluster", "Re-cluster", "failures"),
    Action("failures.rename", "e", "rename", "Rename", "failures"),
    Action("failures.mark", "space", "mark", "Mark", "failures"),
    Action("failures.merge", "m", "merge", "Merge", "failures"),
    Action("failures.split", "s", "split", "Split", "failures"),
    Action("failures.move", "t", "move", "Move trace", "failures"),
    Action("failures.namer", "N", "namer", "Namer", "failures", show=False),
    # --- scoreboard (ui/screens/scoreboard.py) ---
    Action("scoreboard.back", "escape", "back", "Back", "scoreboard"),
    Action("scoreboard.sort", "o", "cycle_sort", "Sort", "scoreboard"),
    Action("scoreboard.run", "u", "cycle_run", "Run", "scoreboard"),
    Action("scoreboard.bar", "b", "cycle_bar", "Bar", "scoreboard", show=False),
    Action("scoreboard.capacity", "c", "cycle_view", "Capacity", "scoreboard"),
    Action("scoreboard.report", "w", "write_report", "Report", "scoreboard"),
    Action("scoreboard.rubric", "e", "edit_rubric", "Rubric", "scoreboard"),
    Action("scoreboard.judge", "j", "run_judge", "Judge", "scoreboard"),
    Action("scoreboard.refresh", "r", "refresh", "Refresh", "scoreboard", show=False),
)

# Human descriptions for the palette, where the footer's short label is not enough.
PALETTE_HELP = {
    "app.quit": "Quit modelpick (the servers it started stop; detached ones keep running)",
    "app.keys": "Show or hide every key of this screen",
    "browse.search": "Edit the search in its box (a name typed on the table is searched too; esc clears it)",
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
    "shortlist.open": "Open the selected model's card",
    "shortlist.note": "Edit the selected model's note",
    "shortlist.remove": "Remove the selected model from the shortlist",
    "shortlist.serve": "Start a server for the selected model",
    "shortlist.context": "Side by side: the next context for the fit row (4k, 8k, 32k, 128k)",
    "servers.start": "Start a server: a GGUF path (llama.cpp) or a model for vLLM",
    "servers.stop": "Stop the selected server (a stopped one or a remote endpoint: remove it from the list)",
    "servers.restart": "Restart the selected server with the same settings",
    "servers.detach": "Detach the selected server: it keeps running after modelpick exits",
    "runs.new": "New run: a prompt set (JSONL/CSV) to the endpoints you pick, with bounded concurrency",
    "runs.cancel": "Cancel the run in progress (what was answered is kept; resume finishes it)",
    "runs.resume": "Resume the selected run: skip answered prompts, retry failed ones",
    "runs.diff": "Diff two runs: d on the run before, then d on the run after (what it fixed, what it broke)",
    "diff.back": "Back to the runs",
    "servers.remote": "Add a remote OpenAI-compatible endpoint (base URL, model, optional key)",
    "failures.open": "Show the traces of the selected failure mode (note and output)",
    "failures.recluster": "Cluster the failed traces again (your names, merges, splits and moves are kept)",
    "failures.rename": "Rename the selected failure mode (kept across re-clustering)",
    "failures.mark": "Mark or unmark the selected failure mode for a merge",
    "failures.merge": "Merge the marked failure modes into the selected one",
    "failures.split": "Split the selected failure mode in two by clustering its traces",
    "failures.move": "Move the selected trace to another failure mode",
    "failures.namer": "Pick the endpoint that suggests a short name for each failure mode",
    "scoreboard.sort": "Cycle the scoreboard's sort: pass rate, CI lower bound, labelled, latency, tokens/s…",
    "scoreboard.run": "Cycle the scoreboard's scope: all runs, then each run",
    "scoreboard.bar": "Cycle the bar a model's pass rate (its 95% lower bound) must reach: 0.80, 0.90, 0.95…",
    "scoreboard.report": "Write the decision report (Markdown + JSON): chosen model, pin, evidence, rejected",
    "scoreboard.rubric": "Edit the pass/fail rubric (a draft from the failure modes when there is none)",
    "scoreboard.judge": "Run the LLM judge with an endpoint; show its agreement and kappa with the human labels",
    "scoreboard.refresh": "Reload the scoreboard from the database",
    "scoreboard.capacity": "Cycle the scoreboard's view: quality, then capacity and $/1M tokens with attainment "
                           "or tokens/s per user against concurrency",
    "review.pass": "Label the trace pass (committed), then show the next one",
    "review.fail": "Label the trace fail, with a note on why and optional tags",
    "review.skip": "Skip the trace (labelled skip, not counted as judged)",
    "review.next": "Next trace (n or →)",
    "review.previous": "Previous trace (b or ←)",
    "review.undo": "Undo the last label (appends the state before; undo again walks further back)",
    "review.filter": "Filter the review queue: run, model, prompt tag, unlabelled only",
    "review.order": "Order the queue: as made, or what the machines cannot settle first (checks vs judge)",
    "review.pairwise": "Pairwise view: two answers to the same prompt side by side, vote left/right/tie/both bad",
    "pairwise.left": "Prefer the left answer",
    "pairwise.right": "Prefer the right answer",
    "pairwise.tie": "The two answers are as good as each other",
    "pairwise.both_bad": "Both answers are bad",
    "compare.back": "Cancel the answers still streaming; when none is, leave the compare screen",
    "compare.prompt": "Focus the prompt box: enter sends the prompt (or a follow-up) to every pane",
    "compare.endpoints": "Choose the 2-4 endpoints to compare (or add one by URL + model + key)",
    "compare.settings": "Set the system prompt, temperature, top_p, max_tokens and seed",
    "compare.blind": "Toggle blind mode: names hidden, sides shuffled until you vote (starts a new session)",
    "compare.left": "Vote: the left pane of the pair answered better",
    "compare.right": "Vote: the right pane of the pair answered better",
    "compare.tie": "Vote: the pair tie",
    "compare.both_bad": "Vote: both panes of the pair answered badly",
    "compare.pair": "With 3-4 panes: choose the next pair to vote on (A/B, A/C, …)",
    "compare.pass": "Label the focused pane's answer: pass",
    "compare.fail": "Label the focused pane's answer: fail",
    "compare.note": "Add a note to the focused pane's verdict (fail when it has none yet)",
    "compare.new": "Start a new conversation: follow-ups forget the earlier turns",
}


KEY_NAMES = {"slash": "/", "escape": "esc", "right": "→", "left": "←"}


def key_label(key: str) -> str:
    """How the keys panel, the palette and docs/keys.md write a binding's keys: `ctrl+s`, `/`, `n / →`."""
    return " / ".join(KEY_NAMES.get(k, k) for k in key.split(","))


def bindings(screen: str) -> list[Binding]:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id, priority=a.priority)
        for a in ACTIONS
        if a.screen == screen
    ]


def palette_actions(screens: tuple[str, ...]) -> list[Action]:
    return [a for a in ACTIONS if a.screen in screens and a.palette]
