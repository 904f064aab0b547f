"""Secrets stay secret: a URL's password is split off before anything is stored or printed (the 0600 key
folder for `endpoint add`, memory only for `run -e URL`), error lines quoting a URL are redacted, and every
key option reads MODELPICK_API_KEY, so a key need not be on the command line."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.serving.endpoints import redact_url, split_credentials, with_credentials
from modelpick_tui.serving.procs import free_port
from tests.support.batching_server import BatchingServer
from tests.support.files import write_set


@pytest.fixture
def server() -> Iterator[BatchingServer]:
    with BatchingServer(step_s=0.002, tokens=3, models=("m",), api_key="k-env-only") as srv:
        yield srv


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", str(home / "modelpick.db"), *args],
                                env={"MODELPICK_HOME": str(home), **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def _stored(home: Path) -> str:
    """Every row of the database, as text."""
    conn = sqlite3.connect(home / "modelpick.db")
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_redaction_helpers() -> None:
    line = "cannot connect to http://carol:Pw0rd@h:1/v1: refused"
    assert redact_url(line) == "cannot connect to http://***@h:1/v1: refused"
    assert redact_url("http://h/v1 and mail a@b") == "http://h/v1 and mail a@b"
    assert split_credentials("http://alice:S3cret@h:8/v1") == ("http://h:8/v1", "alice:S3cret")
    assert split_credentials("http://h:8/v1") == ("http://h:8/v1", None)
    assert with_credentials("http://h:8/v1", "alice:S3cret") == "http://alice:S3cret@h:8/v1"


def test_a_url_password_is_never_stored_printed_or_exported(tmp_path: Path) -> None:
    with BatchingServer(step_s=0.002, tokens=3, models=("m",)) as server:
        _password_run(tmp_path, server)


def _password_run(tmp_path: Path, server: BatchingServer) -> None:
    home = tmp_path / "home"
    prompts = write_set(tmp_path / "p.jsonl", 2)
    key: dict[str, str] = {}
    secret_url = server.url.replace("http://", "http://alice:S3cret@")
    outputs = []
    ran = _cli(home, "run", str(prompts), "-e", secret_url, "--model", "m", "--name", "pw", env=key)
    assert ran.exit_code == 0 and "2/2 answered, 0 failed" in ran.stdout, ran.output
    added = _cli(home, "endpoint", "add", "team", secret_url, "m", env=key)
    assert added.exit_code == 0, added.output
    auth = home / "keys" / "team.auth"
    assert auth.read_text() == "alice:S3cret" and stat.S_IMODE(auth.stat().st_mode) == 0o600
    again = _cli(home, "run", str(prompts), "-e", "team", "--name", "by-name", env=key)
    assert again.exit_code == 0 and "2/2 answered, 0 failed" in again.stdout, again.output
    gone = f"http://carol:Pw0rd@127.0.0.1:{free_port()}"
    failed = _cli(home, "run", str(prompts), "-e", gone, "--model", "m", env=key)
    assert "cannot connect to http://***@127.0.0.1" in failed.stderr, failed.output
    for args in (("runs",), ("runs", "--json"), ("servers", "--all"), ("servers", "--all", "--json"), ("labels",),
                 ("export", str(tmp_path / "out.jsonl")), ("export", str(tmp_path / "out.csv"))):
        outputs.append(_cli(home, *args).output)
    shared = (tmp_path / "out.jsonl").read_text() + (tmp_path / "out.csv").read_text()
    everything = "\n".join([ran.output, added.output, again.output, failed.output, *outputs, shared, _stored(home)])
    assert "***@127.0.0.1" in everything  # the URL is there, redacted
    assert "S3cret" not in everything and "Pw0rd" not in everything
    assert json.loads(outputs[1].splitlines()[0])["endpoints"]


def test_the_key_comes_from_the_environment(tmp_path: Path, server: BatchingServer) -> None:
    home = tmp_path / "home"
    prompts = write_set(tmp_path / "p.jsonl", 2)
    without = _cli(home, "run", str(prompts), "-e", server.url, "--model", "m")
    assert "2 failed" in without.stdout  # the server wants the key
    with_env = _cli(home, "run", str(prompts), "-e", server.url, "--model", "m",
                    env={"MODELPICK_API_KEY": "k-env-only"})
    assert "2/2 answered, 0 failed" in with_env.stdout, with_env.output
    for args in (("run",), ("endpoint", "add"), ("judge",)):
        help_text = " ".join(_cli(home, *args, "--help").stdout.split())
        assert "Prefer setting MODELPICK_API_KEY" in help_text and "visible in `ps`" in help_text
