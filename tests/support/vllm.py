"""vLLM's CPU build for tests: its environment (offline, its own HF home), the tiny model served through the
Supervisor as "tiny", and the process groups killed at the end whatever happened."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.db import open_db
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Server, Supervisor, group_members
from tests.conftest import VLLM_PYTHON


def env_for_vllm(mp: pytest.MonkeyPatch, hf_home: Path) -> None:
    assert VLLM_PYTHON is not None
    mp.setenv("MODELPICK_VLLM_PYTHON", VLLM_PYTHON)
    mp.setenv("HF_HUB_OFFLINE", "1")
    mp.setenv("HF_HOME", str(hf_home))
    mp.setenv("HF_HUB_CACHE", str(hf_home / "hub"))


def kill_groups(pgids: list[int | None]) -> None:
    for pgid in pgids:
        if pgid and group_members(pgid):
            os.killpg(pgid, signal.SIGKILL)


@contextlib.contextmanager
def served_tiny(tiny_model: Path, home: Path) -> Iterator[tuple[Supervisor, Server]]:
    """vLLM serving the tiny model as "tiny" (eager, bf16, 256 tokens of context), stopped with its whole tree."""
    db = open_db(None)  # a private in-memory database: the registry and the engine's report are stored
    supervisor = Supervisor(home / "home", db, guard_grace=2.0)
    try:
        with pytest.MonkeyPatch.context() as mp:
            env_for_vllm(mp, home / "hf")
            spec = ServerSpec(name="tiny", backend="vllm", model=str(tiny_model), ctx=256, dtype="bfloat16",
                              model_alias="tiny", enforce_eager=True)
            server = supervisor.start_and_wait(spec, timeout=300)
        yield supervisor, server
    finally:
        pgids = [s.pgid for s in supervisor.servers()]
        supervisor.close(grace=5.0)
        kill_groups(pgids)
        db.close()
