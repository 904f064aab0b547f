"""The house rules of DESIGN.md, checked on the code itself.

The static import graph of modelpick_tui/: every `import` of every module, at module level, inside functions
and under `if TYPE_CHECKING:`, relative imports resolved (`from . import x` is an edge to the submodule x).
A type-only import is still an edge: a cycle through annotations is still two modules that cannot be read
apart, and a module imported "only for a type" is one refactor away from being imported for real.

- No cycle (the graph test prints its summary: run with `-s` to see it).
- The core (every module outside ui/) never reaches textual. The one import of the UI outside ui/ is the
  TUI's opening (tui.py, lazily); no other module may import ui/.
- ui/ never reaches httpx, sqlite3, sqlite-utils, subprocess or huggingface_hub, not even through a core
  module it imports for a type. The UI does its IO through the `Services` object it is handed: services.py
  is the one core module ui/ may name, under TYPE_CHECKING only, and the walk does not go through it.
- Only serving/ starts processes; only db.py and the stores (STORES below) run SQL.

"Reaches" is transitive, and importing a.b.c also runs a/__init__.py and a/b/__init__.py (those are walked
for the contracts; for cycles only written imports count, or every package importing its own submodules
would be a cycle).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import deque
from collections.abc import Set
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "modelpick_tui"
TOP = "modelpick_tui"
UI = f"{TOP}.ui"
SERVICES = f"{TOP}.services"
# The entry point is the one module outside ui/ that imports the UI: `modelpick` with no subcommand opens it.
ENTRY_IMPORTS_OF_UI = {(f"{TOP}.tui", f"{TOP}.ui.app")}
IO_LIBRARIES = {"httpx", "httpx_sse", "sqlite3", "sqlite_utils", "subprocess", "huggingface_hub", "requests"}
# The modules that own tables and run SQL on them, each over db.py's one Database; anything else asks a store.
# evals/ keeps all of its stores in evals/stores/ (what their rows are lives beside them, in plain modules).
STORES = {
    f"{TOP}.db": "the connection, its lock, transactions, migrations, shared views",
    f"{TOP}.catalog.store": "models (+ FTS), model_files, cards, shortlist, local_files, meta",
    f"{TOP}.catalog.source_store": "model_sources, hosted_models (reads models' ids and sources)",
    f"{TOP}.catalog.origin_store": "origin_entries; the models' origin columns",
    f"{TOP}.serving.registry": "endpoints (the servers' records)",
    f"{TOP}.evals.stores.traces": "runs, traces, run_answers, decisions; the scoreboard's read",
    f"{TOP}.evals.stores.prompt_sets": "prompt_sets, prompts",
    f"{TOP}.evals.stores.labels": "labels, preferences",
    f"{TOP}.evals.stores.failure_modes": "failure_modes, trace_failure_modes, failure_clusterings, note_embeddings",
    f"{TOP}.evals.stores.judge": "rubrics, judge_verdicts",
    f"{TOP}.evals.stores.checks": "check_results",
    f"{TOP}.evals.stores.prompts": "prompt_versions",
    f"{TOP}.evals.stores.load": "load_tests, load_levels",
    f"{TOP}.evals.stores.cost": "hardware_prices, api_prices",
    f"{TOP}.evals.stores.grades": "reads labels, check_results, judge_verdicts, trace_failure_modes together",
    f"{TOP}.services": "preflight_db: opens the file with sqlite3 before sqlite-utils is paid for",
}
_SQL = re.compile(
    r"^\s*(select\b.*\bfrom\b|insert\s+(or\s+\w+\s+)?into\b|update\s+\S+\s+set\b|delete\s+from\b"
    r"|create\s+(unique\s+|virtual\s+|temp\s+)?(table|index|view|trigger)\b|drop\s+(table|index|view|trigger)\b"
    r"|alter\s+table\b|pragma\s+\w+|begin(\s+(immediate|exclusive|deferred))?\b)",
    re.IGNORECASE | re.DOTALL,
)
_SQL_CALLS = {"execute", "executemany", "executescript", "table"}
_PROCESS_MODULES = {"subprocess", "multiprocessing", "pty"}
_PROCESS_CALLS = {("os", n) for n in ("system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp")} | {
    ("asyncio", "create_subprocess_exec"), ("asyncio", "create_subprocess_shell")}


@dataclass(frozen=True)
class Edge:
    target: str  # a module of modelpick_tui, or the top-level name of anything else ("httpx")
    line: int
    kind: str  # "module" (runs on import), "function" (runs when called) or "type" (under TYPE_CHECKING)


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    edges: list[Edge] = field(default_factory=list)
    runtime_imports: set[str] = field(default_factory=set)  # top-level names imported outside TYPE_CHECKING
    runs_sql: list[str] = field(default_factory=list)  # why: "line 12: 'select …'"
    starts_processes: list[str] = field(default_factory=list)


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: Module, known: set[str]) -> None:
        self.m, self.known = module, known
        self.package = module.name if module.is_package else module.name.rpartition(".")[0]
        self.depth = 0  # inside a function
        self.typing = 0  # inside `if TYPE_CHECKING:`

    def _kind(self) -> str:
        return "type" if self.typing else "function" if self.depth else "module"

    def _add(self, target: str, line: int) -> None:
        if target.split(".")[0] != TOP:
            target = target.split(".")[0]
            if not self.typing:
                self.m.runtime_imports.add(target)
        else:
            while target not in self.known:  # `import modelpick_tui.x.Name`-like spellings: the module part
                target = target.rpartition(".")[0]
        self.m.edges.append(Edge(target, line, self._kind()))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 (ast's spelling)
    visit_Lambda = visit_FunctionDef  # noqa: N815

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        guarded = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if not guarded:
            self.generic_visit(node)
            return
        self.typing += 1
        for child in node.body:
            self.visit(child)
        self.typing -= 1
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != TOP:
            self._add(source, node.lineno)
            return
        for alias in node.names:  # `from pkg import sub` imports the submodule
            sub = f"{source}.{alias.name}"
            self._add(sub if sub in self.known else source, node.lineno)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and _SQL.match(node.value):
            self.m.runs_sql.append(f"line {node.lineno}: {node.value.strip()[:40]!r}")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "import_module" and node.args and isinstance(node.args[0], ast.Constant) and isinstance(
                node.args[0].value, str):  # a lazy import spelt as a string (the CLI's commands): an edge too
            self._add(node.args[0].value, node.lineno)
        if isinstance(func, ast.Attribute):
            if func.attr in _SQL_CALLS:
                self.m.runs_sql.append(f"line {node.lineno}: .{func.attr}(…)")
            if isinstance(func.value, ast.Name) and ((func.value.id, func.attr) in _PROCESS_CALLS or (
                    func.value.id == "os" and func.attr.startswith(("exec", "spawn")))):
                self.m.starts_processes.append(f"line {node.lineno}: {func.value.id}.{func.attr}(…)")
        self.generic_visit(node)


@cache
def graph() -> dict[str, Module]:
    """Every module of modelpick_tui with its import edges, as written in its source."""
    found = {}
    for path in sorted(PKG.rglob("*.py")):
        name, is_package = _module_name(path)
        found[name] = Module(name, path, is_package)
    for module in found.values():
        _Visitor(module, set(found)).visit(ast.parse(module.path.read_text(encoding="utf-8"), str(module.path)))
        for lib in module.runtime_imports & _PROCESS_MODULES:
            module.starts_processes.append(f"imports {lib}")
    return found


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _short(name: str) -> str:
    return name.removeprefix(f"{TOP}.")


def reach(start: str, *, skip: Set[tuple[str, str]] = frozenset(),
          stop: Set[str] = frozenset()) -> dict[str, list[str]]:
    """Everything importing `start` may load, each with one path to it: internal modules (and their parent
    packages) and outside top-level names. `skip` drops edges, `stop` modules are not walked through."""
    mods = graph()
    paths: dict[str, list[str]] = {start: [start]}
    todo = deque([start])
    while todo:
        current = todo.popleft()
        if current in stop and current != start:
            continue
        targets = [e.target for e in mods[current].edges if (current, e.target) not in skip]
        targets += _ancestors(current)  # importing a.b.c runs a and a.b first
        for target in targets:
            if target not in paths:
                paths[target] = [*paths[current], target]
                if target in mods:
                    todo.append(target)
    return paths


def _path_text(path: list[str]) -> str:
    return " → ".join(_short(p) for p in path)


def cycles() -> list[list[str]]:
    """One cycle (as a path back to its start) per strongly connected group of modules."""
    mods = graph()
    adjacent = {m: sorted({e.target for e in mod.edges if e.target in mods and e.target != m})
                for m, mod in mods.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan; the package is small enough for recursion
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in adjacent[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(adjacent):
        if v not in index:
            connect(v)
    out = []
    for group in groups:  # the shortest way from the group's first module back to itself
        start, members = group[0], set(group)
        back: dict[str, str] = {}
        todo = deque([start])
        while todo:
            v = todo.popleft()
            for w in adjacent[v]:
                if w == start:
                    path = [start]
                    while v != start:
                        path.insert(1, v)
                        v = back[v]
                    out.append([*path, start])
                    todo.clear()
                    break
                if w in members and w not in back:
                    back[w] = v
                    todo.append(w)
    return out


def _is_ui(name: str) -> bool:
    return name == UI or name.startswith(UI + ".")


# --- the import graph -------------------------------------------------------------------------------------


def test_import_graph_has_no_cycle() -> None:
    mods = graph()
    strongest: dict[tuple[str, str], str] = {}  # an import at module level outranks one in a function or a type
    for m, mod in mods.items():
        for e in mod.edges:
            if e.target in mods and e.target != m:
                kind = strongest.get((m, e.target), "type")
                strongest[(m, e.target)] = min(kind, e.kind, key=("module", "function", "type").index)
    kinds = {k: sum(v == k for v in strongest.values()) for k in ("module", "function", "type")}
    found = cycles()
    print(f"\nimport graph of {TOP}/: {len(mods)} modules, {len(strongest)} internal edges "
          f"({kinds['module']} at module level, {kinds['function']} inside functions, {kinds['type']} under "
          f"TYPE_CHECKING), cycles: {len(found)}")
    for cycle in found:
        print("  cycle: " + _path_text(cycle))
    assert not found, "import cycles:\n" + "\n".join(_path_text(c) for c in found)


def test_the_graph_sees_every_kind_of_import() -> None:
    """The walker itself: function-level, TYPE_CHECKING and relative imports all become edges."""
    assert (f"{TOP}.ui.app", "function") in {(e.target, e.kind) for e in graph()[f"{TOP}.tui"].edges}  # in _run
    edges = {(e.target, e.kind) for e in graph()[f"{TOP}.cli"].edges}
    assert (f"{TOP}.cli.output", "module") in {(e.target, e.kind) for e in graph()[f"{TOP}.cli.run"].edges}
    assert (f"{TOP}.cli.run", "function") in edges  # import_module("modelpick_tui.cli.run") in a lambda
    assert (SERVICES, "type") in {(e.target, e.kind) for e in graph()[f"{TOP}.ui.app"].edges}
    assert "textual" in reach(f"{TOP}.ui.app")
    # What the UI contract stops at: through the services the UI would reach the database library.
    assert "sqlite_utils" in reach(f"{TOP}.ui.app") and "sqlite_utils" not in reach(f"{TOP}.ui.app", stop={SERVICES})


# --- contracts ---------------------------------------------------------------------------------------------


def test_only_the_entry_point_imports_the_ui() -> None:
    mods = graph()
    found = {(m, e.target): e for m, mod in mods.items() if not _is_ui(m) for e in mod.edges if _is_ui(e.target)}
    assert set(found) <= ENTRY_IMPORTS_OF_UI, sorted(set(found) - ENTRY_IMPORTS_OF_UI)
    # Lazily: `modelpick catalog search` in a script never pays for Textual.
    assert all(e.kind == "function" for e in found.values())


def test_the_core_never_reaches_textual() -> None:
    core = [m for m in graph() if not _is_ui(m)]
    offenders = {}
    for m in core:
        paths = reach(m, skip=ENTRY_IMPORTS_OF_UI)
        if "textual" in paths:
            offenders[_short(m)] = _path_text(paths["textual"])
    print(f"\ncore: {len(core)} modules, none reaches textual" if not offenders else "")
    assert offenders == {}, "\n".join(f"{m}: {p}" for m, p in offenders.items())


def test_ui_reaches_io_only_through_the_services_it_is_handed() -> None:
    mods = graph()
    ui = [m for m in mods if _is_ui(m)]
    assert len(ui) > 10
    doors = [(m, e) for m in ui for e in mods[m].edges if e.target == SERVICES]
    assert doors and all(e.kind == "type" for _, e in doors), [(m, e) for m, e in doors if e.kind != "type"]
    offenders = {}
    for m in ui:
        paths = reach(m, stop={SERVICES})
        bad = sorted(IO_LIBRARIES & set(paths))
        if bad:
            offenders[_short(m)] = [_path_text(paths[lib]) for lib in bad]
    print(f"\nui: {len(ui)} modules, none reaches {', '.join(sorted(IO_LIBRARIES))}" if not offenders else "")
    assert offenders == {}, "\n".join(f"{m}: {p}" for m, paths in offenders.items() for p in paths)


def test_only_serving_starts_processes() -> None:
    starters = {_short(m): mod.starts_processes for m, mod in graph().items() if mod.starts_processes}
    assert starters, "the walker finds no process start at all: it is broken"
    assert {m: why for m, why in starters.items() if not m.startswith("serving.")} == {}


def test_only_db_and_the_stores_run_sql() -> None:
    mods = graph()
    sql = {m: mod.runs_sql + [f"imports {lib}" for lib in sorted(mod.runtime_imports & {"sqlite3", "sqlite_utils"})]
           for m, mod in mods.items()}
    sql = {m: why for m, why in sql.items() if why}
    assert {_short(m): why[:3] for m, why in sql.items() if m not in STORES} == {}
    # The list stays true: every store named here exists and runs SQL.
    assert sorted(set(STORES) - set(sql)) == []


# --- the same rules, at run time -----------------------------------------------------------------------

CORE_MODULES = sorted(m for m, mod in graph().items() if not _is_ui(m) and not m.endswith("__main__"))


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"{module} pulls in textual"


def test_only_hub_module_imports_hub_client_calls() -> None:
    """Only catalog/sources/hub.py calls the Hub (local.py may read the local cache with scan_cache_dir)."""
    allowed = {"catalog/sources/hub.py", "catalog/local.py", "catalog/card.py", "catalog/service.py"}
    users = {
        str(mod.path.relative_to(PKG))
        for m, mod in graph().items()
        if "huggingface_hub" in {e.target for e in mod.edges} and not _is_ui(m)
    }
    assert users <= allowed, users - allowed
    for name in ("HfApi", "hf_hub_download", "get_session"):
        callers = {str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if name in p.read_text()}
        assert callers <= {"catalog/sources/hub.py"}, (name, callers)


def test_a_long_module_says_why_at_its_top() -> None:
    """A module over ~400 lines is usually doing two jobs: it is split, or its docstring says why it is not."""
    long = {str(p.relative_to(PKG)): len(p.read_text().splitlines()) for p in PKG.rglob("*.py")}
    unexplained = {
        name: n for name, n in long.items()
        if n > 400 and "on purpose" not in (ast.get_docstring(ast.parse((PKG / name).read_text())) or "")
    }
    assert unexplained == {}
