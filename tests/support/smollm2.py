"""SmolLM2-135M-Instruct served by the real llama.cpp server through a test's Services, stopped (and anything
recorded killed) at the end whatever happened."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from modelpick_tui.catalog.gguf import read_gguf_metadata
from modelpick_tui.services import Services
from modelpick_tui.serving.resolve import default_chat_format
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Server
from tests.support.cleanup import kill_recorded_servers


@contextlib.contextmanager
def served_smol(services: Services, gguf: Path, name: str = "smol") -> Iterator[Server]:
    chat_format, _ = default_chat_format(read_gguf_metadata(gguf))
    spec = ServerSpec(name, "llama", str(gguf), ctx=2048, chat_format=chat_format)
    try:
        server = services.supervisor.start_and_wait(spec, timeout=120)
        assert server.status == "ready", server.error
        yield server
    finally:
        services.stop_servers()
        kill_recorded_servers(services.settings.db_path)
