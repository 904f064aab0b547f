"""Servers and endpoints: status, uptime, time to ready, memory (GPU through NVML, else RSS); the selected
one's engine figures beside the fit estimate (serving/measured.py) and its log below.

A timer polls the supervisor every 2 s in a thread worker (process checks, RSS and the log are IO); the
actions themselves run in the app's workers (see ui/server_ops.py) so they outlive this screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, RichLog, Static

from ...clock import seconds_since
from ...serving.endpoints import redact_url
from ...serving.measured import line as measured_line
from ..actions import bindings
from ..css import SCREENS_CSS
from ..format import safe
from ..messages import WorkFailed
from ..tables import cursor_key
from ..widgets.next_step import NextStep
from ..workers import WorkerErrors

POLL_S = 2.0
LOG_LINES = 200
# At 80 columns every column stays in view (each cell has one column of padding either side).
# mem: "GPU 13.1 GiB" (NVML, the group's processes on every GPU) or "RSS 957 MiB" (no GPU in use).
COLUMNS = (("name", "name", 11), ("backend", "engine", 6), ("model", "model", 9), ("port", "port", 5),
           ("status", "status", 8), ("uptime", "up", 6), ("ttr", "ready", 6), ("mem", "memory", 12))
STATUS_STYLE = {"starting": "yellow", "ready": "green", "failed": "red bold", "stopped": "dim"}


@dataclass(frozen=True)
class ServerRow:
    name: str
    backend: str
    model: str
    port: int | None
    status: str
    started_at: str | None
    time_to_ready_s: float | None
    memory: str  # "GPU 3.1 GiB" / "RSS 957 MiB" / "" (remote, not running)
    detached: bool
    base_url: str
    error: str | None
    measured: str = ""  # what the engine reported at load beside the estimate, with the error ("" without one)


def uptime(started_at: str | None, now: datetime | None = None) -> str:
    since = seconds_since(started_at, now)
    if since is None:
        return ""
    secs = int(since)
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"


class ServersScreen(WorkerErrors, Screen[None]):
    CSS_PATH = SCREENS_CSS
    SCREEN_NAME = "servers"
    BINDINGS = bindings("servers")
    AUTO_FOCUS = "#servers"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ServerRow] = {}
        self.log_text = ""  # the selected server's log tail as shown (key masked by the supervisor)
        self._log_for: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="servers-title")
        yield DataTable(id="servers", cursor_type="row", zebra_stripes=True)
        yield Static(id="server-detail")
        yield RichLog(id="server-log", wrap=False, markup=False, highlight=False, max_lines=LOG_LINES)
        yield NextStep()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#servers", DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.query_one("#servers-title", Static).update(Text("servers and endpoints", style="bold"))
        self.poll()
        self.set_interval(POLL_S, self.poll)

    # --- polling ---------------------------------------------------------------------------------

    def poll(self) -> None:
        self._poll(self.selected())

    @dataclass
    class Polled(Message):
        rows: list[ServerRow]
        selected: str | None  # the server whose log tail `log` is
        log: str

    @work(thread=True, exclusive=True, group="servers-poll", exit_on_error=False,
          description="read the servers' state")
    def _poll(self, selected: str | None) -> None:
        supervisor = self.app.supervisor  # type: ignore[attr-defined]
        busy = self.app.servers_busy  # type: ignore[attr-defined]  # live: an action may start meanwhile
        rows: list[ServerRow] = []
        servers = [s if s.name in busy else supervisor.refresh(s.name)  # notices a server that died after it was ready
                   for s in supervisor.servers()]
        memory_uses = supervisor.memory_uses([s.name for s in servers])  # one NVML query for them all
        for s in servers:
            memory = str(memory_uses[s.name]) if s.backend != "remote" else ""
            measured = measured_line(supervisor.measured(s.name)) if s.report is not None else ""
            rows.append(ServerRow(s.name, s.backend, s.served_model or s.model, s.port, s.status, s.started_at,
                                  s.time_to_ready_s, memory, s.detached, redact_url(s.base_url), s.error, measured))
        if selected is None and rows:
            selected = rows[0].name
        log = ""
        if selected is not None and any(r.name == selected for r in rows):
            log = supervisor.log_tail(selected, LOG_LINES)
        self.post_message(self.Polled(rows, selected, log))

    def show_failure(self, failure: WorkFailed) -> None:
        # The poll runs every 2 s: the detail line keeps the failure in view, the next good poll replaces it.
        self.query_one("#server-detail", Static).update(safe(failure.line, "red"))

    def on_servers_screen_polled(self, message: Polled) -> None:
        rows, selected, log = message.rows, message.selected, message.log
        if not self.query("#servers"):
            return  # not composed yet: the timer's next poll shows it
        table = self.query_one("#servers", DataTable)
        current = self.selected()
        self.rows = {r.name: r for r in rows}
        table.clear()
        now = datetime.now(UTC)
        for r in rows:
            live = r.status in ("starting", "ready")
            status = Text(r.status, style=STATUS_STYLE.get(r.status, ""))
            ttr = f"{r.time_to_ready_s:.1f} s" if r.time_to_ready_s is not None else ""
            table.add_row(
                safe(r.name),
                Text(r.backend + ("*" if r.detached and r.backend != "remote" else "")),
                safe(r.model.rsplit("/", 1)[-1]),
                Text(str(r.port or ""), justify="right"),
                status,
                Text(uptime(r.started_at, now) if live else ""),
                Text(ttr, justify="right"),
                Text(r.memory, justify="right"),
                key=r.name,
            )
        keep = current if current in self.rows else selected
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep))
        title = f"servers and endpoints: {len(rows)}" + ("  (* detached: outlives modelpick)" if any(
            r.detached and r.backend != "remote" for r in rows) else "")
        self.query_one("#servers-title", Static).update(Text(title, style="bold"))
        self._show_detail()
        shown = self.selected()
        if shown == selected and (log != self.log_text or shown != self._log_for):
            self.log_text, self._log_for = log, shown
            widget = self.query_one("#server-log", RichLog)
            widget.clear()
            for line in log.splitlines():
                widget.write(safe(line))

    def _show_detail(self) -> None:
        detail = self.query_one("#server-detail", Static)
        name = self.selected()
        r = self.rows.get(name or "")
        if r is None:
            detail.update(Text("no servers yet: n starts one, a adds a remote endpoint; v on a card serves it",
                               style="dim"))
            return
        if r.status == "failed":
            detail.update(safe(f"failed: {r.error or 'unknown cause'}", "red"))
        else:
            extra = f"  ·  {r.error}" if r.error else ""
            text = safe(f"{r.base_url}  ·  {r.model}{extra}", "dim")
            if r.measured:
                # The process's memory (the memory column) moves with use (mmap); the engine's buffers do not.
                text.append("\nengine, measured / estimated: ", style="bold")
                text.append(r.measured)
            detail.update(text)

    @on(DataTable.RowHighlighted, "#servers")
    def _highlighted(self) -> None:
        self._show_detail()
        if self.selected() != self._log_for and self.rows:
            self.poll()  # another server selected: its log now, not in 2 s

    def selected(self) -> str | None:
        tables = self.query("#servers")  # none yet when an action asks for a poll before the first frame
        if not tables:
            return None
        table = tables.first(DataTable)
        return cursor_key(table)

    def _need_selected(self) -> str | None:
        name = self.selected()
        if name is None:
            self.notify("no server selected", severity="warning")
        return name

    # --- keys ------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_start(self) -> None:
        self.app.open_start_modal()  # type: ignore[attr-defined]

    def action_stop(self) -> None:
        name = self._need_selected()
        if name:
            self.app.stop_server(name)  # type: ignore[attr-defined]

    def action_restart(self) -> None:
        name = self._need_selected()
        if name:
            self.app.restart_server(name)  # type: ignore[attr-defined]

    def action_detach(self) -> None:
        name = self._need_selected()
        if name is None:
            return
        row = self.rows.get(name)
        if row is not None and (row.backend == "remote" or row.detached):
            self.notify(f"{name} is already {'remote' if row.backend == 'remote' else 'detached'}",
                        markup=False)
            return
        self.app.detach_server(name)  # type: ignore[attr-defined]

    def action_add_remote(self) -> None:
        self.app.open_remote_modal()  # type: ignore[attr-defined]
