"""What modelpick's timing engine costs a stream, against a raw httpx client in another process reading an
equal set of streams from the same server in the same rounds (both sets at once, so both see the same load):

  compare   4 panes of the compare screen in a headless app (run_test, 160×40), 400 tokens at 200 tokens/s;
            per pane, the median over the rounds of (modelpick - raw) TTFT, and the tokens/s ratio;
  repaint   the same while the whole TUI repaints at full rate (a 60 Hz full-screen refresh);
  runner    32 concurrent streams through the prompt-set Runner: TTFT p50 and p99 of each side.

    .venv/bin/python bench/stream_overhead.py [--rounds 10] [--engine process|thread|both] [--only compare,...]

Both sides measure TTFT the same way: from the request's headers starting to go out (httpx's trace extension)
to the arrival of the first non-empty content chunk. modelpick's figures are the stored traces' (its stream
reader's timestamps: serving/engine.py); the raw client's are taken in its own process. Targets (issue 13):
compare per-pane median <= +2 ms and tok/s ratio >= 0.99; runner p50/p99 within +2/+5 ms; repaint <= +5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
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


# --- a local SSE server: llama.cpp-shaped chunks, N tokens on a fixed schedule ----------------------------------
# One asyncio loop in a process of its own: 64 streams at once cost it no thread starts and no GIL hand-offs
# (a ThreadingHTTPServer on 2 loaded cores took 50-250 ms to accept a burst of connections: that was the TTFT).


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {"object": "chat.completion.chunk", "model": "bench",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, interval: float) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next((int(h.split(":", 1)[1]) for h in lines if h.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        if lines[0].startswith("GET"):
            data = json.dumps({"object": "list", "data": [{"id": "bench", "object": "model"}]}).encode()
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(data), data))
            return
        n = int(json.loads(body).get("max_tokens") or 256)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + _chunk({"role": "assistant"}))
        loop = asyncio.get_running_loop()
        start = loop.time() + interval  # a prefill of one interval
        for i in range(n):
            delay = start + i * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(_chunk({"content": f" w{i}"}))
        writer.write(_chunk({}, "length") + b"data: [DONE]\n\n")
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _serve(tokens_per_s: float, ports: Any) -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _answer(r, w, 1.0 / tokens_per_s), "127.0.0.1", 0,
                                            backlog=256)
        ports.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def start_rate_server(tokens_per_s: float) -> tuple[multiprocessing.Process, str]:
    """In a process of its own: it must not compete for this process's GIL with the app."""
    ports: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve, args=(tokens_per_s, ports), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{ports.get(timeout=30)}/v1"


# --- the raw client, in a process of its own ----------------------------------------------------------------


@dataclass
class Figures:
    ttft_ms: float
    tokens_per_s: float
    tokens: int


async def _raw_stream(http: httpx.AsyncClient, base_url: str, n: int, on_sent: Any = None) -> Figures:
    body = {"model": "bench", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": n,
            "temperature": 0.0, "stream": True}
    sent: list[float] = []

    async def trace(name: str, info: Any) -> None:
        if not sent and name.endswith("send_request_headers.started"):
            sent.append(time.perf_counter())
            if on_sent is not None:
                on_sent()

    first = last = None
    count = 0
    async with http.stream("POST", base_url + "/chat/completions", json=body,
                           extensions={"trace": trace}) as response:
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            choices = json.loads(line[6:]).get("choices") or [{}]
            if (choices[0].get("delta") or {}).get("content"):
                last = time.perf_counter()
                first = first or last
                count += 1
    assert sent and first is not None and last is not None and count > 1
    return Figures((first - sent[0]) * 1000, (count - 1) / (last - first), count)


_SSL: list[Any] = []


async def _raw_round(base_url: str, streams: int, n: int, conn: Any = None) -> list[Figures]:
    # One TLS context for every round, as modelpick's reader has (making one costs 0.15-0.3 s of CPU).
    _SSL[:] = _SSL or [httpx.create_ssl_context()]
    sent = [0]

    def on_sent() -> None:  # tells the bench when every raw request is out (a "raw first" round then starts ours)
        sent[0] += 1
        if sent[0] == streams and conn is not None:
            conn.send("sent")

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=streams),
                                 verify=_SSL[0]) as http:
        return list(await asyncio.gather(*(_raw_stream(http, base_url, n, on_sent) for _ in range(streams))))


def _raw_process(conn: Any) -> None:
    while (ask := conn.recv()) is not None:
        conn.send(asyncio.run(_raw_round(*ask, conn=conn)))


class RawClient:
    """httpx in another process: `start` a round of streams, `result` waits for its figures."""

    def __init__(self) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.Process(target=_raw_process, args=(child,), daemon=True)
        self._proc.start()

    def start(self, base_url: str, streams: int, tokens: int) -> None:
        self._conn.send((base_url, streams, tokens))

    async def all_sent(self) -> None:
        """Until every request of the round started has gone out."""
        while await asyncio.to_thread(self._conn.recv) != "sent":
            raise RuntimeError("the raw client answered before its requests went out")

    async def result(self) -> list[Figures]:
        while (got := await asyncio.to_thread(self._conn.recv)) == "sent":
            pass
        return got  # type: ignore[no-any-return]

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


# --- modelpick's sides -----------------------------------------------------------------------------------------


_SEEN: set[str] = set()


def _stored(services: Any, run_id: str) -> list[Figures]:
    """The figures of the run's traces not read before (a compare session is one run, every round)."""
    traces = sorted((t for t in services.traces.list(run_id=run_id) if t.id not in _SEEN),
                    key=lambda t: t.endpoint)  # pane1..pane4: each pane's own figures, round after round
    _SEEN.update(t.id for t in traces)
    bad = [t.error for t in traces if t.error]
    if bad:
        raise SystemExit(f"a stream failed: {bad[0]}")
    return [Figures(t.ttft_ms or 0.0, t.tokens_per_s or 0.0, t.tokens_out or 0) for t in traces]


async def compare_round(pilot: Any, screen: Any, services: Any, raw: RawClient | None,
                        base_url: str, tokens: int, raw_first: bool = True) -> tuple[list[Figures], list[Figures]]:
    """One round; the side whose requests reach the shared server first alternates (`raw_first`): the server's
    own threads serve the first comers' first tokens first."""
    screen.session.new_conversation()  # the same request as the raw read: one user message, no history
    screen.query_one("#compare-prompt").value = PROMPT
    screen.query_one("#compare-prompt").focus()
    await pilot.pause()
    if raw is not None and raw_first:
        raw.start(base_url, PANES, tokens)
    await pilot.press("enter")
    if raw is not None and not raw_first:
        # The meters are filled on the compare worker's own loop: polled, there is no event to await here.
        while not any(p.meter is not None and p.meter.queue_ms is not None for p in screen.session.panes):  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        raw.start(base_url, PANES, tokens)
    while not (screen.session.turn >= 0 and not screen.session.busy
               and all(p.state in ("done", "failed") for p in screen.panes)):
        await pilot.pause(0.02)
    ours = _stored(services, screen.session.run_id)
    return ours, (await raw.result() if raw is not None else [])


def _panes(name: str, rounds: list[tuple[list[Figures], list[Figures]]], target_ms: float) -> None:
    deltas = [[o.ttft_ms - r.ttft_ms for o, r in zip(sorted(ours, key=lambda f: f.ttft_ms),
                                                       sorted(raw, key=lambda f: f.ttft_ms), strict=True)]
              for ours, raw in rounds]
    per_pane = [statistics.median(d[i] for d in deltas) for i in range(PANES)]
    # The panes by name, each against the raw streams' median of its round.
    named = [statistics.median(ours[i].ttft_ms - statistics.median(f.ttft_ms for f in raw) for ours, raw in rounds)
             for i in range(PANES)]
    ratio = statistics.median(statistics.mean(f.tokens_per_s for f in ours) / statistics.mean(f.tokens_per_s
                                                                                              for f in raw)
                              for ours, raw in rounds)
    raw_ttft = statistics.median(f.ttft_ms for _, raw in rounds for f in raw)
    our_ttft = statistics.median(f.ttft_ms for ours, _ in rounds for f in ours)
    print(f"{name}: {len(rounds)} rounds, {PANES} panes; TTFT median raw {raw_ttft:.2f} ms, modelpick "
          f"{our_ttft:.2f} ms")
    print("  per pane, k-th served vs k-th served, median of (modelpick - raw) TTFT: "
          + ", ".join(f"{d:+.2f}" for d in per_pane) + f" ms; worst {max(per_pane):+.2f} ms (target <= "
          f"+{target_ms:g} ms)")
    print("  per pane by name, vs the round's raw median: " + ", ".join(f"{d:+.2f}" for d in named)
          + f" ms; worst {max(named):+.2f} ms")
    print(f"  tokens/s ratio modelpick / raw: {ratio:.3f} (target >= 0.99)")


async def run_compare(url: str, tokens: int, rounds: int, home: Path, raw: RawClient, repaint: bool) -> None:
    settings = Settings(home=home, db_path=home / "bench.db", sample_dir=REPO / "sample_data", hf_offline=True)
    services = build_services(settings)
    try:
        for i in range(PANES):
            server = services.supervisor.add_remote(f"pane{i + 1}", url, "bench")
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
            frames = [0]

            def full_repaint() -> None:
                frames[0] += 1
                screen.refresh(repaint=True, layout=True)

            timer = app.set_interval(1 / 60, full_repaint, pause=not repaint)
            await compare_round(pilot, screen, services, None, url, tokens)  # warm-up, not counted
            results = []
            started = time.perf_counter()
            for r in range(rounds):
                results.append(await compare_round(pilot, screen, services, raw, url, tokens, r % 2 == 0))
            timer.stop()
            rate = frames[0] / (time.perf_counter() - started)
        name = f"repaint ({rate:.0f} full-screen refreshes/s)" if repaint else "compare"
        _panes(name, results, 5 if repaint else 2)
    finally:
        services.close()


async def run_runner(url: str, streams: int, tokens: int, rounds: int, home: Path, raw: RawClient) -> None:
    """32 streams through the Runner and 32 raw ones to the same server, both sides' requests going out together.
    Who goes first alternates round by round, as in the compare scenario: the server answers the first comers
    first, so a fixed order would favour one side (runner first: the raw client starts when the runner has handed
    its last stream to the reader; raw first: the runner starts when the raw client's last request is out). Each
    round's figures are printed: on a loaded machine a whole side's first tokens can come 100 ms late together (a
    process not scheduled), which a pooled p99 shows and a per-round figure does not; so both are reported."""
    from modelpick_tui.evals.promptsets import load_prompt_set
    from modelpick_tui.evals.traces import RunParams
    from modelpick_tui.serving.endpoints import Endpoint
    from modelpick_tui.serving.params import SamplingParams

    settings = Settings(home=home, db_path=home / "runner.db", sample_dir=REPO / "sample_data", hf_offline=True)
    services = build_services(settings)
    path = home / "set.jsonl"
    path.write_text("".join(json.dumps({"id": f"p{i:02d}", "prompt": PROMPT}) + "\n" for i in range(streams)))
    prompts = load_prompt_set(path)
    endpoint = Endpoint(name="bench", base_url=url, model="bench")
    params = RunParams(sampling=SamplingParams(max_tokens=tokens, temperature=0.0))
    ours: list[float] = []
    theirs: list[float] = []
    paired: list[float] = []
    paired_p99: list[float] = []
    try:
        runner = services.runner(concurrency=streams, per_endpoint=streams)
        await runner.run(prompts, [endpoint], params)  # warm-up, not counted
        for r in range(rounds):
            # Both sides start together: the raw client when the runner has handed its last stream to the reader.
            raw_first = r % 2 == 1

            def progress(p: Any, started: list[bool] = [raw_first]) -> None:  # noqa: B006
                if p.in_flight == streams and not started[0]:
                    started[0] = True
                    raw.start(url, streams, tokens)

            if raw_first:
                raw.start(url, streams, tokens)
                await raw.all_sent()
            result = await runner.run(prompts, [endpoint], params, on_progress=progress)
            mine, raws = [f.ttft_ms for f in _stored(services, result.run_id)], [f.ttft_ms for f in await raw.result()]
            ours += mine
            theirs += raws
            paired.append(statistics.median(mine) - statistics.median(raws))
            paired_p99.append(statistics.quantiles(mine, n=100)[98] - statistics.quantiles(raws, n=100)[98])
            print(f"  round {r + 1} ({'raw' if raw_first else 'modelpick'} first): TTFT median/max raw "
                  f"{statistics.median(raws):.1f}/{max(raws):.1f} ms, modelpick {statistics.median(mine):.1f}/"
                  f"{max(mine):.1f} ms")
    finally:
        services.close()
    q = statistics.quantiles
    p50 = (statistics.median(ours), statistics.median(theirs))
    p99 = (q(ours, n=100)[98], q(theirs, n=100)[98])
    print(f"runner: {rounds} rounds of {streams} concurrent streams × {tokens} tokens ({len(ours)} per side)")
    print(f"  TTFT p50 raw {p50[1]:.2f} ms, modelpick {p50[0]:.2f} ms, delta {p50[0] - p50[1]:+.2f} ms (target <= +2)")
    print(f"  TTFT p99 raw {p99[1]:.2f} ms, modelpick {p99[0]:.2f} ms, delta {p99[0] - p99[1]:+.2f} ms (target <= +5)")
    print(f"  paired, median over the rounds of the round's (modelpick - raw): p50 {statistics.median(paired):+.2f} "
          f"ms, p99 {statistics.median(paired_p99):+.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=200.0, help="tokens/s per stream of the local SSE server")
    ap.add_argument("--tokens", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--streams", type=int, default=32, help="concurrent streams of the runner scenario")
    ap.add_argument("--runner-tokens", type=int, default=32)
    ap.add_argument("--runner-rate", type=float, default=20.0,
                    help="tokens/s per stream of the runner scenario's server (64 streams at once: 200 tokens/s "
                         "each saturates a Python server on 2 cores, and its queue then is the TTFT)")
    ap.add_argument("--engine", choices=["process", "thread", "both"], default="process",
                    help="where modelpick's stream reader runs (MODELPICK_STREAM_READER)")
    ap.add_argument("--only", default="compare,repaint,runner")
    args = ap.parse_args()
    scenarios = args.only.split(",")
    engines = ["process", "thread"] if args.engine == "both" else [args.engine]
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} at start; "
          f"local SSE server at {args.rate:g} tokens/s per stream")
    proc, url = start_rate_server(args.rate)
    runner_proc, runner_url = start_rate_server(args.runner_rate)
    raw = RawClient()
    try:
        for engine in engines:
            os.environ["MODELPICK_STREAM_READER"] = engine
            print(f"--- stream reader: {engine}")
            with tempfile.TemporaryDirectory() as tmp:
                home = Path(tmp)
                for kind in ("compare", "repaint"):
                    if kind in scenarios:
                        asyncio.run(run_compare(url, args.tokens, args.rounds, home / kind, raw, kind == "repaint"))
                if "runner" in scenarios:
                    asyncio.run(run_runner(runner_url, args.streams, args.runner_tokens, args.rounds, home / "runner",
                                           raw))
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    finally:
        raw.close()
        for server in (proc, runner_proc):
            server.terminate()
            server.join(5)


if __name__ == "__main__":
    main()
