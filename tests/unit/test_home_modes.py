"""The home is private whatever the umask: folders modelpick creates are 0700, its files (database, WAL and
SHM, logs, reports, key files, exports) 0600; a home others can read gets one warning line per command."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.db import open_db
from modelpick_tui.serving.registry import READY
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Supervisor
from tests.support.batching_server import BatchingServer

STUB = Path(__file__).resolve().parents[1] / "support" / "stub_server.py"


def _cli(home: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env={"MODELPICK_HOME": str(home)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == code, result.output
    return result


def _modes(root: Path) -> dict[str, tuple[int, bool]]:
    """Path → (mode, is a file), for the root and everything under it."""
    out = {".": (stat.S_IMODE(root.stat().st_mode), False)}
    for path in root.rglob("*"):
        out[str(path.relative_to(root))] = (stat.S_IMODE(path.stat().st_mode), path.is_file())
    return out


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_what_modelpick_creates_is_private(tmp_path: Path, umask: int) -> None:
    home = tmp_path / "new" / "home"  # two folders to create
    source = tmp_path / "t.jsonl"
    source.write_text(json.dumps({"id": "t1", "prompt": "p", "output": "o", "model": "m", "verdict": "pass"}) + "\n")
    old = os.umask(umask)
    try:
        _cli(home, "import", str(source))
        _cli(home, "export", str(home / "shared.csv"))
        _cli(home, "report", code=1)  # no model meets the bar with one label: the report is written all the same
        with BatchingServer(models=("m",), api_key="k") as remote:
            _cli(home, "endpoint", "add", "team", remote.url, "m", "--key", "k")
        db = open_db(home / "modelpick.db")
        try:
            with Supervisor(home, db) as supervisor:
                spec = ServerSpec(name="quick", backend="llama", model="stub.gguf",
                                  executable=(sys.executable, str(STUB)), extra_args=("--behave", "ok"))
                server = supervisor.start_and_wait(spec, timeout=30)
                assert server.status == READY, server.error
                supervisor.detach("quick")  # its key goes to keys/quick.key
                modes = _modes(home)  # while the database is open: its WAL and SHM are there
                supervisor.stop("quick")
        finally:
            db.close()
    finally:
        os.umask(old)
    files = {name for name, (_, is_file) in modes.items() if is_file}
    assert {"modelpick.db", "modelpick.db-wal", "modelpick.db-shm", "shared.csv", "logs/quick.log",
            "keys/team.key", "keys/quick.key"} <= files, sorted(modes)
    assert any(name.startswith("reports/") and name.endswith(".md") for name in files)
    loose = {name: f"{mode:o}" for name, (mode, is_file) in modes.items() if mode != (0o600 if is_file else 0o700)}
    assert not loose, f"umask {umask:03o}: {loose}"
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700  # a parent it made, too


def test_a_home_others_can_read_gets_one_warning_line(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    quiet = _cli(fresh, "labels")
    assert "warning" not in quiet.stderr
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    result = _cli(shared, "labels")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {shared} can be read by other users (mode 755); it holds your prompts and "
                        f"answers: chmod 700 {shared}"]
