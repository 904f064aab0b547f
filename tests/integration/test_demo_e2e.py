"""The offline demo end to end (`make demo`): `modelpick serve demo` starts the two packaged models through
modelpick's own llama.cpp backend (and, run again, starts nothing twice), a compare round between them gets a
real answer from SmolLM2-135M-Instruct, and stopping them leaves no process and no port behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.evals.compare import CompareParams, CompareSession
from modelpick_tui.services import Services
from modelpick_tui.serving.endpoints import resolve
from modelpick_tui.serving.events import Delta, Done
from modelpick_tui.serving.params import DEFAULT_MAX_TOKENS, SamplingParams
from modelpick_tui.serving.supervisor import group_members, port_is_free
from tests.support.cleanup import kill_recorded_servers

SMOL, GEMMA = "smollm2-135m-instruct", "gemma3-270m"


@pytest.fixture
def db_path(services: Services) -> Iterator[Path]:
    """The test's database, shared by the CLI and the services; every server recorded in it is killed afterwards,
    even when the test fails."""
    path = services.settings.db_path
    try:
        yield path
    finally:
        kill_recorded_servers(path)


def cli(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    return result


@pytest.mark.integration
@pytest.mark.llama
@pytest.mark.timeout(300)
async def test_the_offline_demo_serves_both_compares_and_stops_clean(services: Services, db_path: Path,
                                                                     smollm2_gguf: Path, gemma_gguf: Path) -> None:
    first = cli(db_path, "serve", "demo")
    assert re.search(rf"^ready {SMOL} in [\d.]+ s", first.stdout, re.M), first.stdout
    assert re.search(rf"^ready {GEMMA} in [\d.]+ s", first.stdout, re.M), first.stdout
    again = cli(db_path, "serve", "demo")  # what `make demo` runs each time: nothing started twice
    assert f"ready {SMOL} (already running" in again.stdout and f"ready {GEMMA} (already running" in again.stdout

    supervisor = services.supervisor
    supervisor.reattach()
    servers = {s.name: s for s in supervisor.servers()}
    assert servers[SMOL].model == str(smollm2_gguf) and servers[GEMMA].model == str(gemma_gguf)
    assert servers[SMOL].backend == servers[GEMMA].backend == "llama"
    assert all(s.status == "ready" for s in servers.values())
    # The catalogue knows them as local models.
    assert services.catalog.store.get("local/SmolLM2-135M-Instruct") is not None
    assert services.catalog.store.get("local/gemma-3-270m") is not None

    params = CompareParams(sampling=SamplingParams(temperature=0.0, max_tokens=48, seed=0))
    session = CompareSession(services.traces, services.review, [resolve(supervisor, SMOL), resolve(supervisor, GEMMA)],
                             params)
    events = [e async for e in session.send("Name three colors of the rainbow.")]
    ends = {e.pane: e.event for e in events if not isinstance(e.event, Delta)}
    assert isinstance(ends[0], Done), ends[0]
    traces = {t.endpoint: t for t in services.traces.list(run_id=session.run_id)}
    smol = traces[SMOL]
    assert smol.ok and smol.output and smol.output.strip(), smol
    # An instruction-tuned answer, not an echo: it names a colour of the rainbow.
    colours = ("red", "orange", "yellow", "green", "blue", "indigo", "violet", "purple")
    assert any(c in smol.output.lower() for c in colours), smol.output
    assert 0 < smol.tokens_out <= 48 < DEFAULT_MAX_TOKENS
    assert GEMMA in traces  # the base model answered or failed, but its pane was stored

    pids = {name: s.pid for name, s in servers.items()}
    ports = {name: s.port for name, s in servers.items()}
    pgids = {name: s.pgid for name, s in servers.items()}
    for name in (SMOL, GEMMA):
        stopped = cli(db_path, "stop", name)
        assert stopped.stdout.strip() == f"stopped {name} (port {ports[name]} free)"
        assert port_is_free("127.0.0.1", ports[name] or 0)
        assert not psutil.pid_exists(pids[name] or 0) or psutil.Process(pids[name]).status() == psutil.STATUS_ZOMBIE
        assert not group_members(pgids[name])
