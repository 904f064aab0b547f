"""The load generator's own ceiling: requests/s and concurrent streams one `modelpick load` process (the asking
process + its stream reader) sustains against a local server that is not the bottleneck, beside two bare
asyncio + httpx clients (one process each, the same SSE parsing: a JSON decode per event) against the same server,
in turn, in one run (the order rotates each round): `bare`, every user's requests through one shared httpx pool
(what a bare client writes first), and `bare/user`, an httpx client per user (one connection each, as modelpick's
load loop holds them: httpcore's shared pool costs CPU in proportion to its connections at every request).
Each line gives requests/s, the CPU a request (all of the client's processes), the server processes' CPU and the
load average.

    .venv/bin/python bench/load_ceiling.py [--concurrency 8,64,256] [--tokens 16] [--interval-ms 0,50]
                                           [--duration 5] [--rounds 2] [--servers 2]

The server: `--servers` processes of a minimal asyncio HTTP/1.1 server sharing one port (SO_REUSEPORT), each
answering every chat request with a static SSE body of `--tokens` content events (pre-encoded; `--interval-ms`
between events: 0 measures requests/s flat out, 50 keeps many streams open at once). Python, not a compiled
server: on 2 cores everything shares the machine, so the figure is the ratio of the two clients measured against
the same server in the same run, with the load average beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODEL = "static"


# --- the server ----------------------------------------------------------------------------------------------


def _body(tokens: int) -> tuple[bytes, list[bytes], bytes]:
    def chunk(payload: str) -> bytes:
        data = f"data: {payload}\n\n".encode()
        return b"%x\r\n%s\r\n" % (len(data), data)

    def event(delta: dict[str, str], finish: str | None = None) -> str:
        return json.dumps({"id": "c", "object": "chat.completion.chunk", "model": MODEL,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunk(event({"role": "assistant"})))
    middle = [chunk(event({"content": f" w{i}"})) for i in range(tokens)]
    usage = json.dumps({"id": "c", "object": "chat.completion.chunk", "model": MODEL, "choices": [],
                        "usage": {"prompt_tokens": 8, "completion_tokens": tokens, "total_tokens": 8 + tokens}})
    tail = chunk(event({}, "length")) + chunk(usage) + chunk("[DONE]") + b"0\r\n\r\n"
    return head, middle, tail


async def _serve(port: int, tokens: int, interval: float) -> None:
    head, middle, tail = _body(tokens)
    models = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in request.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                if request.startswith(b"GET"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(models), models))
                    continue
                writer.write(head)
                if interval:
                    for piece in middle:
                        await asyncio.sleep(interval)
                        writer.write(piece)
                else:
                    writer.write(b"".join(middle))
                writer.write(tail)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_port=True, backlog=4096)
    async with server:
        await server.serve_forever()


# --- the two clients -----------------------------------------------------------------------------------------


def _modelpick(url: str, concurrency: int, duration: float, tokens: int) -> dict[str, float]:
    from modelpick_tui.evals.load.generator import LoadPrompt, run_level
    from modelpick_tui.serving.client import ChatClient, Timeouts
    from modelpick_tui.serving.endpoints import Endpoint

    timeouts = Timeouts(connect=30, read=60, deadline=120)
    endpoint = Endpoint("static", url + "/v1", MODEL)

    import psutil

    spent: dict[str, float] = {}

    async def go() -> object:
        async with ChatClient(timeouts, max_connections=concurrency + 4) as client:
            # A warm-up round first: the reader's start (imports, TLS context) and the connections are not measured.
            await run_level(client, endpoint, [LoadPrompt("hello there")], concurrency, 60, tokens,
                            timeouts=timeouts, requests=concurrency)
            reader = psutil.Process(client.reader_pid)
            before = sum(reader.cpu_times()[:2]) + time.process_time()
            run = await run_level(client, endpoint, [LoadPrompt("hello there")], concurrency, duration, tokens,
                                  timeouts=timeouts)
            spent["cpu"] = sum(reader.cpu_times()[:2]) + time.process_time() - before
            return run

    cpu = time.process_time()
    run = asyncio.run(go())
    ok = [s for s in run.samples if s.error is None]  # type: ignore[attr-defined]
    errors = len(run.samples) - len(ok)  # type: ignore[attr-defined]
    return {"rps": len(ok) / run.wall_s, "errors": errors, "cpu": run.client_cpu or 0.0,  # type: ignore[attr-defined]
            "own_cpu": (time.process_time() - cpu) / run.wall_s,  # type: ignore[attr-defined]
            "cpu_ms": 1000 * spent["cpu"] / max(len(ok), 1)}


def _bare(url: str, concurrency: int, duration: float, tokens: int, per_user: bool = False) -> dict[str, float]:
    import httpx

    payload = {"model": MODEL, "messages": [{"role": "user", "content": "hello there"}], "max_tokens": tokens,
               "stream": True, "stream_options": {"include_usage": True}}

    async def go() -> tuple[int, int, float, float]:
        ok = errors = 0
        limits = httpx.Limits(max_connections=1 if per_user else concurrency + 4)
        timeout = httpx.Timeout(30, read=60)
        ssl = httpx.create_ssl_context()
        shared = httpx.AsyncClient(limits=limits, timeout=timeout, verify=ssl)
        clients = [httpx.AsyncClient(limits=limits, timeout=timeout, verify=ssl) if per_user else shared
                   for _ in range(concurrency)]
        async with contextlib.AsyncExitStack() as stack:
            for http in {id(c): c for c in clients}.values():
                await stack.enter_async_context(http)
            start, cpu = time.perf_counter(), time.process_time()
            stop = start + duration

            async def user(http: httpx.AsyncClient) -> None:
                nonlocal ok, errors
                while time.perf_counter() < stop:
                    try:
                        async with http.stream("POST", url + "/v1/chat/completions", json=payload) as response:
                            n = 0
                            async for line in response.aiter_lines():
                                if line.startswith("data: ") and line != "data: [DONE]":
                                    chunk = json.loads(line[6:])
                                    n += bool(chunk["choices"] and chunk["choices"][0]["delta"].get("content"))
                        ok += n == tokens
                        errors += n != tokens
                    except httpx.HTTPError:
                        errors += 1

            await asyncio.gather(*(user(http) for http in clients))
            return ok, errors, time.perf_counter() - start, time.process_time() - cpu

    ok, errors, wall, cpu = asyncio.run(go())
    return {"rps": ok / wall, "errors": errors, "cpu": cpu / wall, "own_cpu": cpu / wall,
            "cpu_ms": 1000 * cpu / max(ok, 1)}


def _client(args: argparse.Namespace) -> None:
    if args.client == "modelpick":
        got = _modelpick(args.url, args.c, args.duration, args.tokens)
    else:
        got = _bare(args.url, args.c, args.duration, args.tokens, per_user=args.client == "bare/user")
    print(json.dumps(got))


# --- the bench -----------------------------------------------------------------------------------------------


def _measure(client: str, url: str, c: int, duration: float, tokens: int, servers: list[Any]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server_cpu = sum(sum(p.cpu_times()[:2]) for p in servers)
    done = subprocess.run([sys.executable, __file__, "--client", client, "--url", url, "--c", str(c), "--duration",
                           str(duration), "--tokens", str(tokens)], capture_output=True, text=True, env=env,
                          timeout=duration * 10 + 120)
    if done.returncode != 0:
        raise SystemExit(f"{client} failed: {done.stderr[-2000:]}")
    got: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    # The servers' CPU over the client's whole run (its start included): a share per server process, to see that
    # they were not the limit.
    got["server_cpu"] = (sum(sum(p.cpu_times()[:2]) for p in servers) - server_cpu) / len(servers) / duration
    return got


CLIENTS = ("modelpick", "bare", "bare/user")


def main() -> None:
    import psutil

    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", default="8,64,256")
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--interval-ms", default="0,50")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--interval", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--client", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--c", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve is not None:
        asyncio.run(_serve(args.serve, args.tokens, args.interval))
        return
    if args.client:
        _client(args)
        return
    print(f"load average at start {os.getloadavg()}; {args.servers} server processes (Python asyncio, one port)")
    for interval_ms in (float(x) for x in args.interval_ms.split(",")):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        servers = [subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--tokens", str(args.tokens),
                                     "--interval", str(interval_ms / 1000)]) for _ in range(args.servers)]
        watched = [psutil.Process(p.pid) for p in servers]
        try:
            time.sleep(1.0)  # the servers bind (a bench, not a test: nothing to wait on but the port)
            url = f"http://127.0.0.1:{port}"
            for c in (int(x) for x in args.concurrency.split(",")):
                ratios: dict[str, list[float]] = {"bare": [], "bare/user": []}
                cpu_ratios: dict[str, list[float]] = {"bare": [], "bare/user": []}
                for r in range(args.rounds):
                    order = CLIENTS[r % 3:] + CLIENTS[:r % 3]
                    got = {client: _measure(client, url, c, args.duration, args.tokens, watched)
                           for client in order}
                    m = got["modelpick"]
                    for base in ratios:
                        ratios[base].append(m["rps"] / got[base]["rps"])
                        cpu_ratios[base].append(got[base]["cpu_ms"] / m["cpu_ms"])
                    print(f"{args.tokens} tokens, {interval_ms:g} ms apart, {c} streams, round {r + 1} "
                          f"({', '.join(order)}):")
                    for name in CLIENTS:
                        g = got[name]
                        print(f"  {name:9} {g['rps']:6.1f} req/s ({g['errors']:.0f} errors), {g['cpu_ms']:5.2f} ms "
                              f"CPU a request, busiest process {g['cpu']:.0%} of a core; servers "
                              f"{g['server_cpu']:.0%} of a core each")
                    print(f"  ratio modelpick ÷ bare {ratios['bare'][-1]:.2f}, ÷ bare/user "
                          f"{ratios['bare/user'][-1]:.2f}; load {os.getloadavg()[0]:.1f}")
                print(f"median at {c} streams, {interval_ms:g} ms apart: requests/s modelpick ÷ bare "
                      f"{statistics.median(ratios['bare']):.2f}, ÷ bare/user "
                      f"{statistics.median(ratios['bare/user']):.2f} (target ≥ 0.9); CPU a request, bare ÷ modelpick "
                      f"{statistics.median(cpu_ratios['bare']):.2f}, bare/user ÷ modelpick "
                      f"{statistics.median(cpu_ratios['bare/user']):.2f}")
        finally:
            for p in servers:
                p.terminate()
            for p in servers:
                p.wait()
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
