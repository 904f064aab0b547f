"""Worker errors, handled once.

Textual posts `Worker.StateChanged` to the node that started the worker (a screen, a modal, the app) and does
not bubble it, so each of them mixes in `WorkerErrors`: a worker that raises becomes one typed `WorkFailed`
for the app, whose handler (`ModelpickApp.on_work_failed`) is the only code that shows a worker's error.
Every worker says what it does in `description` ("load the scoreboard"), so the notice reads "could not load
the scoreboard: <why>"; a test holds every worker of ui/ to that (and to a group and exit_on_error=False)."""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from ..untrusted import clean, one_line
from .messages import WorkFailed


def failure_line(what: str, error: BaseException) -> str:
    """'could not <what>: <why>' on one line. Our own errors are written for the user; anything else (a
    database or OS error, a bug) is named by its type, so "KeyError: 'x'" does not read as just "'x'"."""
    reason = str(error).strip()
    if not type(error).__module__.startswith("modelpick_tui") or not reason:
        reason = f"{type(error).__name__}: {reason}" if reason else type(error).__name__
    return clean(one_line(f"could not {what}: {reason}"))


class WorkerErrors:
    """Mixed into every screen, modal and the app that start workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR and worker.error is not None:
            self.report_failure(worker.group, worker.description or worker.name or worker.group, worker.error)

    def report_failure(self, group: str, what: str, error: BaseException) -> None:
        """Report an error to the app's one handler. Workers' errors come here by themselves; work done in place
        calls it too (a label is written before the next trace shows, by design, so not in a worker)."""
        services = getattr(self.app, "services", None)  # type: ignore[attr-defined]
        if services is not None:  # a damaged, read-only or full database: the line that says what to do
            error = services.explain(error)
        self.app.post_message(WorkFailed(self, group, failure_line(what, error)))  # type: ignore[attr-defined]

    def show_failure(self, failure: WorkFailed) -> None:
        """Say where the work would have shown what failed (the notice is already up). The default says nothing
        more: screens with a placeholder or a status line override it."""
