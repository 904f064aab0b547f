"""The start form's download of a quant that is not on this machine: a worker fetches it from the Hub while a progress
bar and a line (bytes, total, speed) follow it; escape cancels (the partial file is kept and the next enter resumes);
once it is here the form starts the server. A mixin of StartServerModal, which owns the widgets it updates."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static

from ...catalog.fit.memory import format_bytes
from ...serving.plan import QuantChoice
from ..format import safe
from ..messages import WorkFailed
from ..workers import WorkerErrors

PROGRESS_EVERY_S = 0.1


class QuantDownloader(WorkerErrors):
    """Downloads `plan.model_id`'s quant file for the form; the form provides `_notice` and `_submit`. A download
    worker that fails ends the progress and says why in the form (WorkerErrors has put up the notice)."""

    downloading: bool
    _cancel: threading.Event
    download_line: str
    plan: Any

    # --- downloading a quant ----------------------------------------------------------------------

    def _start_download(self, q: QuantChoice) -> None:
        self.downloading = True
        self._cancel = threading.Event()
        bar = self.query_one("#start-download", ProgressBar)
        bar.update(total=q.size, progress=0)
        bar.display = True
        self._progress_line(f"downloading {q.filename}: asking the Hub")
        self._notice("")
        self._progress: tuple[str, int, int | None, float] | None = None
        # The worker only records the latest figures; this shows them (a stalled stream still shows its last).
        self._progress_timer = self.set_interval(PROGRESS_EVERY_S, self._refresh_progress)
        self._download(q, self._cancel)

    def _refresh_progress(self) -> None:
        if self.downloading and self._progress is not None and not self._cancel.is_set():
            self._show_progress(*self._progress)

    def _download_ended(self) -> None:
        self.downloading = False
        timer = getattr(self, "_progress_timer", None)
        if timer is not None:
            timer.stop()

    def _progress_line(self, text: str) -> None:
        self.download_line = text
        line = self.query_one("#start-download-line", Static)
        line.update(safe(text))
        line.display = bool(text)

    @dataclass
    class DownloadFailed(Message):
        kind: str  # HubError.kind: "cancelled" (escape), "disk", "network", …
        line: str

    @dataclass
    class Downloaded(Message):
        quant: QuantChoice
        path: str  # the file on disk (a split GGUF's first part)

    @work(thread=True, exclusive=True, group="quant-download", exit_on_error=False,
          description="download the quant")
    def _download(self, q: QuantChoice, cancel: threading.Event) -> None:
        from ...catalog.sources.errors import HubError
        services = self.app.services  # type: ignore[attr-defined]
        assert q.filename is not None
        done_by_part: dict[str, int] = {}
        state: dict[str, Any] = {"part": None, "first": 0, "t0": time.monotonic()}

        def report(part: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if state["part"] != part:  # a resumed file starts where it stopped: speed counts from there
                state.update(part=part, first=done, t0=now)
            speed = (done - state["first"]) / max(now - state["t0"], 1e-3)
            done_by_part[part] = done
            self._progress = (part, sum(done_by_part.values()), q.size or total, speed)

        try:
            # The disk check covers the whole file (all parts) before the first byte.
            path = services.download_gguf(self.plan.model_id, q.filename, total=q.size, progress=report, cancel=cancel)
        except HubError as err:  # the Hub's own line (and a cancel is not an error)
            self.post_message(self.DownloadFailed(err.kind, str(err)))
            return
        self.post_message(self.Downloaded(q, str(path)))

    def show_failure(self, failure: WorkFailed) -> None:
        if failure.group == "quant-download":
            self._download_stopped("error", failure.line)
        else:
            super().show_failure(failure)

    def _show_progress(self, part: str, done: int, total: int | None, speed: float) -> None:
        bar = self.query_one("#start-download", ProgressBar)
        bar.update(total=total, progress=done)
        of = f" / {format_bytes(total)}" if total else ""
        self._progress_line(f"{part.rsplit('/', 1)[-1]}  {format_bytes(done)}{of}  ·  {format_bytes(speed)}/s")

    def on_quant_downloader_download_failed(self, message: DownloadFailed) -> None:
        self._download_stopped(message.kind, message.line)

    def _download_stopped(self, kind: str, line: str) -> None:
        self._download_ended()
        self.query_one("#start-download", ProgressBar).display = False
        self._progress_line("")
        self._notice(line, "yellow" if kind == "cancelled" else "red")

    def on_quant_downloader_downloaded(self, message: Downloaded) -> None:
        q, path = message.quant, message.path
        self._download_ended()
        q.local_path = path
        self.query_one("#start-model", Input).value = path
        self._progress_line(f"downloaded {q.filename} ({format_bytes(q.size) if q.size else 'done'}): starting")
        self._submit()

