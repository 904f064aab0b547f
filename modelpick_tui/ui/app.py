"""The Textual app: screens, keys and the command palette. All IO goes through the services."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.message import Message
from textual.screen import Screen

from .actions import bindings
from .commands import ActionsProvider, ModelsProvider
from .messages import CatalogChanged, Notice, WorkFailed
from .server_ops import ServerOps
from .widgets.next_step import NextStep

if TYPE_CHECKING:
    from ..services import Services
    from ..settings import Settings

# If the browse table's first page has not started the background work by then, start it anyway.
BACKGROUND_AFTER_S = 3.0
FAILURE_NOTICE_S = 10.0  # how long a worker's error stays up (and how long the same error is not repeated)


class ModelpickApp(ServerOps):
    TITLE = "modelpick"
    CSS_PATH = Path(__file__).with_name("modelpick.tcss")
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {ActionsProvider, ModelsProvider}
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, settings: Settings, services: Services, *, gc_held: bool = False):
        super().__init__()
        self.settings = settings
        self.services = services
        self.servers_busy: set[str] = set()
        self._last_failure, self._failure_shown_at = "", 0.0  # the last worker error shown, and when
        self._background_started = False
        self.gc_held = gc_held  # the garbage collector is off until the first page (tui.run_tui)

    @property
    def catalog(self):  # type: ignore[no-untyped-def]
        return self.services.catalog

    def get_default_screen(self) -> Screen:
        from .screens.browse import BrowseScreen

        return BrowseScreen()

    def on_mount(self) -> None:
        # Work nobody sees at start waits for the browse table's first page (start_background); this timer is
        # for a start whose table never fills (the catalogue could not be opened, a test's other screen).
        self.set_timer(BACKGROUND_AFTER_S, self.start_background)

    @property
    def background_started(self) -> bool:
        return self._background_started

    def start_background(self) -> None:
        """Once, after the first page is on screen: what an earlier modelpick left (detached servers, shown on
        the servers screen) and the next step of the loop. Started earlier, their imports (the supervisor, httpx,
        sqlite-utils) took the GIL from the table."""
        if not self._background_started:
            self._background_started = True
            if self.gc_held:  # by the TUI's opening (tui.run_tui), for the start
                self.gc_held = False
                gc.freeze()  # what the start built lives as long as the app: no collection need walk it again
                gc.enable()
            self.reattach_servers()
            for line in self.screen.query(NextStep):
                line.look()

    class Reattached(Message):
        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names  # the detached servers of an earlier modelpick, adopted

    @work(thread=True, group="reattach", exit_on_error=False, description="re-attach detached servers")
    def reattach_servers(self) -> None:
        adopted = self.services.supervisor.reattach()
        if adopted:
            self.post_message(self.Reattached([s.name for s in adopted]))

    def on_modelpick_app_reattached(self, message: Reattached) -> None:
        self.notify(f"re-attached detached servers: {', '.join(message.names)} (S to see them)", markup=False)
        self._servers_changed()

    def on_notice(self, notice: Notice) -> None:
        self.notify(notice.line, severity=notice.severity, markup=False)  # type: ignore[arg-type]

    # --- worker errors: the one handler -------------------------------------------------------

    def on_work_failed(self, failure: WorkFailed) -> None:
        """Every worker's error ends here (see ui/workers.py): a one-line notice, and the screen that started
        the work says what failed instead of what it was waiting for."""
        now = time.monotonic()
        if self._last_failure != failure.line or now - self._failure_shown_at > FAILURE_NOTICE_S:
            # A poll that fails every 2 s says so once per notice, not in a growing stack of them.
            self.notify(failure.line, severity="error", markup=False, timeout=FAILURE_NOTICE_S)
            self._last_failure, self._failure_shown_at = failure.line, now
        node = failure.node
        if node is self or (node.is_attached and node.is_running):  # a screen closed meanwhile: nothing to update
            node.show_failure(failure)  # type: ignore[attr-defined]

    # --- exit: servers this app started (not detached) die with it ------------------------------

    def _stop_servers(self) -> None:
        # Only the servers: the database and the Hub client belong to whoever built the services (the
        # CLI's main closes them in its finally; tests go on reading them after the app is gone).
        self.services.stop_servers()

    async def action_quit(self) -> None:
        live = self.services.owned_servers()
        if live:
            self.notify(f"stopping {len(live)} server(s)…", markup=False)
            worker = self.run_worker(self._stop_servers, thread=True, group="quit", exit_on_error=False,
                                     description="stop the servers")
            await worker.wait()
        self.exit()

    def action_toggle_keys(self) -> None:
        """f1: every key of the screen and the app (the footers name only the few that fit 80 columns)."""
        from .screens.keys import KeysModal

        if not isinstance(self.screen, KeysModal):
            self.push_screen(KeysModal(getattr(self.screen, "SCREEN_NAME", "")))

    def on_unmount(self) -> None:
        self._stop_servers()  # every other way out (ctrl+c, an error, a test's run_test ending)

    # --- navigation ---------------------------------------------------------------------------

    def open_card(self, model_id: str) -> None:
        from .screens.card import CardScreen

        self.push_screen(CardScreen(model_id))

    def action_show_shortlist(self) -> None:
        from .screens.shortlist import ShortlistScreen

        if not isinstance(self.screen, ShortlistScreen):
            self.push_screen(ShortlistScreen())

    def _show(self, screen_type: type[Screen]) -> None:
        if not isinstance(self.screen, screen_type):
            self.push_screen(screen_type())

    def action_show_compare(self) -> None:
        from .screens.compare import CompareScreen

        self._show(CompareScreen)

    def action_show_runs(self) -> None:
        from .screens.runs import RunsScreen

        self._show(RunsScreen)

    def action_show_review(self) -> None:
        from .screens.review import ReviewScreen

        self._show(ReviewScreen)

    def action_show_failures(self) -> None:
        from .screens.failures import FailuresScreen

        self._show(FailuresScreen)

    def action_show_scoreboard(self) -> None:
        from .screens.scoreboard import ScoreboardScreen

        self._show(ScoreboardScreen)

    def shortlist_with_note(self, model_id: str, note: str | None = None) -> None:
        """Ask for a note (by default the one the model has on the shortlist), then add (or update) the model on
        the shortlist in a worker."""
        from .screens.note import NoteModal

        if note is None:
            # Read here, not in a worker: the modal must be up for the very next key the user types.
            try:
                note = next((s["note"] or "" for s in self.catalog.shortlist() if s["model_id"] == model_id), "")
            except Exception as exc:  # the app's one handler says so; no modal
                self.report_failure("shortlist-edit", f"read the shortlist note of {model_id}", exc)
                return

        def done(value: str | None) -> None:
            if value is not None:
                self.run_worker(lambda: self._shortlist(model_id, value), thread=True, group="shortlist-edit",
                                exit_on_error=False, description=f"shortlist {model_id}")

        self.push_screen(NoteModal(model_id, note), done)

    class Shortlisted(Message):
        def __init__(self, model_id: str) -> None:
            super().__init__()
            self.model_id = model_id

    def _shortlist(self, model_id: str, note: str) -> None:
        self.catalog.shortlist_add(model_id, note)
        self.post_message(self.Shortlisted(model_id))

    def on_modelpick_app_shortlisted(self, message: Shortlisted) -> None:
        self.notify(f"shortlisted {message.model_id}", markup=False)
        self.screen.post_message(CatalogChanged())


def make_app(settings: Settings, services: Services, *, gc_held: bool = False) -> ModelpickApp:
    """The TUI over these services (real ones, or ones pointed at a test's folders). `gc_held`: the caller turned
    the garbage collector off for the start; the app turns it on after the first page."""
    return ModelpickApp(settings=settings, services=services, gc_held=gc_held)
