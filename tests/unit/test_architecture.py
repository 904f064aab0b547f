"""The house rules of DESIGN.md, checked: a headless core, and a UI that does no IO of its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "modelpick_tui"
CORE_MODULES = sorted(
    ".".join(p.relative_to(PKG.parent).with_suffix("").parts)
    for p in PKG.rglob("*.py")
    if "ui" not in p.relative_to(PKG).parts and p.name != "__main__.py"
)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = f"import sys, {module}; print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"{module} pulls in textual"


FORBIDDEN_IN_UI = {"httpx", "httpx2", "subprocess", "sqlite3", "sqlite_utils", "huggingface_hub", "requests"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_ui_does_no_io_of_its_own() -> None:
    ui_files = list((PKG / "ui").rglob("*.py"))
    assert ui_files
    offenders = {str(p.relative_to(PKG)): _imports(p) & FORBIDDEN_IN_UI for p in ui_files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_hub_module_imports_hub_client_calls() -> None:
    """Only catalog/sources/hub.py calls the Hub (local.py may read the local cache with scan_cache_dir)."""
    allowed = {"catalog/sources/hub.py", "catalog/local.py", "catalog/card.py", "catalog/service.py", "settings.py"}
    users = {
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if "huggingface_hub" in _imports(p) and "ui" not in p.relative_to(PKG).parts
    }
    assert users <= allowed, users - allowed
    for name in ("HfApi", "hf_hub_download", "get_session"):
        callers = {str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if name in p.read_text()}
        assert callers <= {"catalog/sources/hub.py"}, (name, callers)
