"""A worker that fails says so: for each screen that loads in a worker, a store made to raise gives a one-line
notice (no traceback, its text shown as text), the screen says what failed instead of "loading…", and the app
goes on working. Plus the rule every worker of ui/ keeps: a group, a description, exit_on_error=False."""

from __future__ import annotations

import ast
import importlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from modelpick_tui.services import Services
from modelpick_tui.ui.app import make_app
from modelpick_tui.ui.workers import WorkerErrors, failure_line
from tests.support.pilot import SIZE, screen_text, settle, table_ids, text_of, wait_for
from tests.support.traces import add_traces

UI = Path(__file__).resolve().parents[2] / "modelpick_tui" / "ui"
LOCKED = "database is locked"


def locked(*_: Any, **__: Any) -> Any:
    raise sqlite3.OperationalError(LOCKED)


def notices(app: Any) -> list[str]:
    """The error notices on screen now (Textual's toasts; the app must run with notifications=True)."""
    return [toast.render().plain for toast in app.screen.query("Toast.-error")]


async def sees_failure(pilot: Any, widget_id: str, line: str) -> None:
    """Wait until `widget_id` says `line` and a notice says it too; then check that it is one line of text."""
    app = pilot.app

    def shown() -> bool:
        found = app.screen.query(widget_id)
        return bool(found) and line in " ".join(text_of(found.first(Static)).split()) and any(
            line in " ".join(n.split()) for n in notices(app))

    await wait_for(pilot, shown, 10, f"{line!r} in {widget_id} and in a notice")
    assert "Traceback" not in screen_text(app)
    assert app.is_running


# --- the rule -------------------------------------------------------------------------------------------------


def _worker_calls(tree: ast.AST) -> list[tuple[int, ast.Call]]:
    """Every `@work(...)` decorator and `run_worker(...)` call."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("work", "run_worker"):
                calls.append((node.lineno, node))
    return calls


def test_every_worker_has_a_group_a_description_and_never_exits_the_app() -> None:
    bad = []
    for path in sorted(UI.rglob("*.py")):
        for line, call in _worker_calls(ast.parse(path.read_text())):
            keywords = {k.arg: k.value for k in call.keywords}
            exit_on_error = keywords.get("exit_on_error")
            if ("group" not in keywords or "description" not in keywords or not isinstance(exit_on_error, ast.Constant)
                    or exit_on_error.value is not False):
                bad.append(f"{path.relative_to(UI)}:{line}")
    assert bad == []


def test_workers_answer_in_messages() -> None:
    """A worker posts a typed Message (thread-safe, dropped when its screen is gone); it never calls back into
    the UI through call_from_thread."""
    callers = [str(p.relative_to(UI)) for p in sorted(UI.rglob("*.py")) if "call_from_thread" in p.read_text()]
    assert callers == []


def test_every_class_with_a_worker_reports_its_errors() -> None:
    """A class whose methods are @work workers is the worker's node: Textual tells it (and only it) of the
    error, so it must mix in WorkerErrors."""
    missing = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text())
        module = importlib.import_module("modelpick_tui.ui." + ".".join(path.relative_to(UI).with_suffix("").parts))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            decorated = [d for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                         for d in f.decorator_list if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "work"]
            if decorated and not issubclass(getattr(module, cls.name), WorkerErrors):
                missing.append(f"{path.relative_to(UI)}:{cls.name}")
    assert missing == []


def test_the_failure_line_is_one_line_of_text() -> None:
    assert failure_line("load the scoreboard", sqlite3.OperationalError(LOCKED)) == (
        "could not load the scoreboard: OperationalError: database is locked")
    assert failure_line("open it", KeyError("x")) == "could not open it: KeyError: 'x'"
    assert failure_line("open it", RuntimeError()) == "could not open it: RuntimeError"
    hostile = failure_line("load", ValueError("[red]boom[/red]\n  at line 3\x1b[2J"))
    assert hostile == "could not load: ValueError: [red]boom[/red] at line 3␛[2J"


# --- each screen that loads in a worker ------------------------------------------------------------------------


async def test_a_failing_search_says_so_and_the_app_goes_on(services: Services,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        rows = len(table_ids(app))
        monkeypatch.setattr(services.catalog.store, "search", locked)
        await pilot.press("ctrl+l")  # permissive only: a new search, which fails
        await sees_failure(pilot, "#summary", f"could not search the catalogue: OperationalError: {LOCKED}")
        assert len(table_ids(app)) == rows  # the last good result stays
        monkeypatch.undo()
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: "of 232 models" in text_of(app.screen.query_one("#summary")), 10, "a search")


async def test_a_catalogue_that_cannot_open_says_so(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.catalog.store, "count", locked)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await sees_failure(pilot, "#summary", f"could not open the catalogue: OperationalError: {LOCKED}")
        await pilot.press("B")  # other screens still open
        await wait_for(pilot, lambda: app.screen.SCREEN_NAME == "scoreboard", 10, "the scoreboard")


async def test_a_card_that_cannot_load_says_so(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(services.catalog.store, "get", locked)
        await pilot.press("enter")
        await sees_failure(pilot, "#card-notice", f"could not load the card: OperationalError: {LOCKED}")
        assert not app.screen.query_one("#card-loading").display  # no spinner left spinning
        monkeypatch.undo()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.SCREEN_NAME == "browse", 10, "back to browse")


@pytest.mark.parametrize(("key", "store", "method", "widget", "what"), [
    ("B", "traces", "runs", "#scoreboard-title", "load the scoreboard"),
    ("M", "failures", "modes", "#failures-title", "load the failure modes"),
    ("V", "review", "queue", "#review-progress", "load the review queue"),
    ("P", "traces", "run_stats", "#runs-title", "load the runs"),
    ("S", "supervisor", "servers", "#server-detail", "read the servers' state"),
])
async def test_a_screen_whose_store_fails_says_what_failed(services: Services, monkeypatch: pytest.MonkeyPatch,
                                                           key: str, store: str, method: str, widget: str,
                                                           what: str) -> None:
    monkeypatch.setattr(getattr(services, store), method, locked)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await sees_failure(pilot, widget, f"could not {what}: OperationalError: {LOCKED}")
        assert "loading" not in text_of(app.screen.query_one(widget))
        await pilot.press("escape")  # the app goes on: back to browse, whose table still answers
        await wait_for(pilot, lambda: app.screen.SCREEN_NAME == "browse", 10, "back to browse")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert table_ids(app)


async def test_pairs_that_cannot_load_say_so(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.review, "pairs", locked)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        await pilot.press("w")
        await sees_failure(pilot, "#pair-title", f"could not find the pairs: OperationalError: {LOCKED}")


async def test_compare_without_endpoints_to_look_at_says_so(services: Services,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services.supervisor, "servers", locked)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await sees_failure(pilot, ".compare-empty", f"could not look for endpoints: OperationalError: {LOCKED}")


async def test_an_error_is_shown_as_text_never_as_markup(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def hostile(*_: Any, **__: Any) -> Any:
        raise sqlite3.OperationalError("[bold red]unable to open database file[/]\n  at page 3\x1b[2J")

    monkeypatch.setattr(services.review, "queue", hostile)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("V")
        line = ("could not load the review queue: OperationalError: [bold red]unable to open database file[/] at page "
                "3␛[2J")
        await sees_failure(pilot, "#review-progress", line)


async def test_a_damaged_database_is_one_notice_saying_what_to_do(services: Services,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def damaged(*_: Any, **__: Any) -> Any:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(services.review, "queue", damaged)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("V")
        await sees_failure(pilot, "#review-progress", "could not load the review queue: the database is damaged "
                                                      "(database disk image is malformed); nothing more is written")


async def test_a_label_that_cannot_be_saved_says_so_and_the_reviewer_stays(services: Services,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Labels are written in place (committed before the next trace shows), not in a worker: their errors go
    the same way."""
    from modelpick_tui.ui.screens.review import ReviewScreen

    first = add_traces(services, services.traces.create_run(kind="set"), "org/model", ["-", "-"])[0].id
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("V")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.loaded, 10, "the queue")
        screen = app.screen
        assert screen.current.id == first
        monkeypatch.setattr(services.review, "label", locked)
        await pilot.press("p")
        await sees_failure(pilot, "#review-progress", f"could not save the label: OperationalError: {LOCKED}")
        assert screen.current.id == first  # not stored, so not moved on
        assert services.review.latest_many([first]).get(first) is None
        monkeypatch.undo()
        await pilot.press("p")  # pressed again, once the database answers: stored
        await wait_for(pilot, lambda: services.review.latest_many([first]).get(first) is not None, 10, "the label")
        assert services.review.latest_many([first])[first].verdict == "pass"


async def test_a_shortlist_that_cannot_load_or_be_written_says_so(services: Services,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        monkeypatch.setattr(services.catalog.store, "shortlist_add", locked)
        await pilot.press("ctrl+s", *"small", "enter")  # shortlist the selected model, with a note
        await wait_for(pilot, lambda: any("could not shortlist" in n and LOCKED in n for n in notices(app)), 10,
                       "the notice")
        assert services.catalog.shortlist() == []
        monkeypatch.setattr(services.catalog.store, "shortlist", locked)
        await pilot.press("L")
        await sees_failure(pilot, "#shortlist-title", f"could not load the shortlist: OperationalError: {LOCKED}")
