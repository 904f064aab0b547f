"""modelpick's load generator beside vLLM's own serving benchmark (`vllm.benchmarks.serve`, run from vLLM's CPU build
with `python -c`: that build's `vllm` console script crashes, and the module has no `__main__`), on one vLLM CPU
server (the tiny model of tests/support/tinymodel.py), at the same concurrency, with the same prompts, the same
answer length (greedy) and the same number of requests, in one run: rounds alternate which tool goes first.

    .venv/bin/python bench/load_vs_vllm.py [--concurrency 8] [--requests 64] [--max-tokens 32] [--rounds 6]
                                            [--pin split|none]

`--pin split` (the default on 2 or more cores): the server runs on core 0 (its processes' affinity, and vLLM's OpenMP
threads bound there with VLLM_CPU_OMP_THREADS_BIND), both clients on core 1. Without it the server and the client
under test share both cores, and what one tool's client takes from the server shows up as the server's speed:
the same server gave vLLM's own benchmark 346 to 1,052 tokens/s within minutes that way (docs/capacity.md).

Paired and interleaved: each round runs both tools back to back, the first of them alternating round by round, so
that what the machine does (2 cores shared with other work) weighs on both alike; the figure is the per-round
paired ratio (output tokens/s) and difference (TTFT p50), their median and their spread, with the load average.
Each round also checks that both counted the same output tokens (both from the server's usage).

What each measures, and where they differ by definition: vLLM's TTFT runs from just before its aiohttp
`session.post` (a pooled connection's wait included) to the first chunk with `choices`, which is vLLM's role chunk
(`{"role": "assistant", "content": ""}`, sent as the first token is made); modelpick's from the request's bytes
going out (the stream reader's httpx trace) to the first non-empty content (docs/timing.md). So each round prints
modelpick's TTFT p50 as stored and from the request being asked for (its queue time added: vLLM's start point), and
a raw probe of the same server (`--probe`) measures, per request, the gap from the role chunk to the first non-empty
content: what modelpick's TTFT counts and vLLM's does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelpick_tui.db import open_db  # noqa: E402
from modelpick_tui.evals.load.generator import LoadPrompt, run_level  # noqa: E402
from modelpick_tui.evals.stats import percentile  # noqa: E402
from modelpick_tui.serving.client import ChatClient, Timeouts  # noqa: E402
from modelpick_tui.serving.endpoints import Endpoint  # noqa: E402
from modelpick_tui.serving.spec import ServerSpec  # noqa: E402
from modelpick_tui.serving.supervisor import Supervisor  # noqa: E402

VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
VLLM_BENCH = ("import sys; from vllm.benchmarks.serve import add_cli_args, main; "
              "from vllm.utils.argparse_utils import FlexibleArgumentParser; p = FlexibleArgumentParser(); "
              "add_cli_args(p); main(p.parse_args(sys.argv[1:]))")
WORDS = ("river stone lamp orchard copper violet harbour meadow lantern thistle quarry ember willow basalt "
         "falcon juniper").split()


def prompts_file(path: Path, n: int) -> list[str]:
    """`n` distinct user prompts of a few words (the tiny model's context is 256 tokens), in the ShareGPT shape
    vLLM's benchmark reads with the standard library (its `custom` JSONL dataset needs pandas, which vLLM's CPU
    build does not install: it fails looking up vllm's own metadata)."""
    texts = [f"Tell me about the {WORDS[i % len(WORDS)]} and the {WORDS[(3 * i + 5) % len(WORDS)]} number {i}."
             for i in range(n)]
    path.write_text(json.dumps([{"conversations": [{"from": "human", "value": t}, {"from": "gpt", "value": "ok"}]}
                                for t in texts]))
    return texts


def modelpick(endpoint: Endpoint, texts: list[str], concurrency: int, requests: int, max_tokens: int
              ) -> tuple[float, float, float, float, int]:
    """(output tokens/s, TTFT p50 ms, TTFT p50 ms from asked, client CPU share, output tokens) of one run of the load
    generator."""
    timeouts = Timeouts(connect=10, read=120, deadline=600)

    async def go() -> object:
        async with ChatClient(timeouts, max_connections=concurrency + 4) as client:
            client.warm()
            return await run_level(client, endpoint, [LoadPrompt(t) for t in texts], concurrency, 1e9, max_tokens,
                                   timeouts=timeouts, requests=requests, temperature=0.0)

    run = asyncio.run(go())
    ok = [s for s in run.samples if s.error is None]  # type: ignore[attr-defined]
    if len(ok) != requests:
        errors = {s.error for s in run.samples if s.error}  # type: ignore[attr-defined]
        raise SystemExit(f"modelpick: {len(ok)} of {requests} answered: {errors}")
    ttft = percentile([s.ttft_ms for s in ok if s.ttft_ms is not None], 50)
    from_asked = percentile([s.ttft_ms + (s.queue_ms or 0.0) for s in ok if s.ttft_ms is not None], 50)
    tokens = sum(s.output_tokens for s in ok)
    return (tokens / run.wall_s, ttft or 0.0, from_asked or 0.0,  # type: ignore[attr-defined]
            run.client_cpu or 0.0, tokens)  # type: ignore[attr-defined]


def vllm_bench(server_url: str, key: str, model_dir: Path, dataset: Path, out: Path, concurrency: int,
               requests: int, max_tokens: int) -> tuple[float, float, int, float]:
    """(output tokens/s, TTFT p50 ms, output tokens, to first content p50 ms) of one run of vLLM's serving benchmark.
    Its TTFT ends at the first chunk with `choices`, the role chunk (no content) on both servers here; its first
    inter-token gap then ends at the first content: their sum, per request, ends where modelpick's TTFT ends."""
    argv = [str(VLLM_PYTHON), "-c", VLLM_BENCH, "--backend", "openai-chat", "--base-url", server_url.removesuffix(
        "/v1"), "--endpoint", "/v1/chat/completions", "--model", "tiny", "--tokenizer", str(model_dir),
            "--dataset-name", "sharegpt", "--dataset-path", str(dataset), "--sharegpt-output-len", str(max_tokens),
            "--num-prompts", str(requests), "--max-concurrency",
            str(concurrency), "--temperature", "0", "--disable-tqdm", "--save-result", "--save-detailed",
            "--result-dir", str(out.parent), "--result-filename", out.name]
    env = {**os.environ, "OPENAI_API_KEY": key, "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"vllm bench failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(out.read_text())
    out.unlink()
    if result["completed"] != requests:
        raise SystemExit(f"vllm bench: {result['completed']} of {requests} completed")
    to_content = [1000 * (ttft + itl[0]) for ttft, itl in zip(result["ttfts"], result["itls"], strict=True) if itl]
    return (float(result["output_throughput"]), float(result["median_ttft_ms"]), int(result["total_output_tokens"]),
            percentile(to_content, 50) or 0.0)


def probe(server_url: str, key: str, texts: list[str], concurrency: int, max_tokens: int) -> tuple[float, float]:
    """A raw client's (p50, p90) ms from vLLM's role chunk to the first non-empty content, at `concurrency`."""
    import time

    import httpx

    gaps: list[float] = []

    async def go() -> None:
        queue = list(texts)
        async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {key}"}) as http:
            async def user() -> None:
                while queue:
                    payload = {"model": "tiny", "messages": [{"role": "user", "content": queue.pop()}],
                               "max_tokens": max_tokens, "temperature": 0, "stream": True}
                    role = first = None
                    async with http.stream("POST", server_url + "/chat/completions", json=payload) as response:
                        async for line in response.aiter_lines():
                            if not line.startswith("data: {"):
                                continue
                            delta = (json.loads(line[6:]).get("choices") or [{}])[0].get("delta") or {}
                            role = role or time.perf_counter()
                            if first is None and delta.get("content"):
                                first = time.perf_counter()
                    if role is not None and first is not None:
                        gaps.append((first - role) * 1000)

            await asyncio.gather(*(user() for _ in range(concurrency)))

    asyncio.run(go())
    return percentile(gaps, 50) or 0.0, percentile(gaps, 90) or 0.0


def pin(cpus: set[int]) -> None:
    """Every thread of this process on `cpus` (what it starts from now on inherits them)."""
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass  # a thread that ended meanwhile


def tree_cpu(pid: int) -> tuple[float, set[int]]:
    """CPU seconds (user + system) of a process and its descendants, and the cores they may run on."""
    import psutil

    seconds, cores = 0.0, set()
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                seconds += times.user + times.system
                cores |= set(proc.cpu_affinity() or [])
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return seconds, cores


SIM_SERVER = ("import sys, threading; from tests.support.batching_server import BatchingServer; "
              "s = BatchingServer(step_s=float(sys.argv[1]), per_request_s=float(sys.argv[2]), "
              "tokens=int(sys.argv[3]), models=('tiny',), api_key=sys.argv[4]).start(); print(s.url, flush=True); "
              "threading.Event().wait()")


def compare(label: str, base_url: str, key: str, server_pid: int, model_dir: Path, home: Path, texts: list[str],
            args: argparse.Namespace) -> None:
    """The paired, interleaved rounds against one server, and their summary."""
    endpoint = Endpoint("tiny", base_url, "tiny", api_key=key, backend="vllm")
    modelpick(endpoint, texts, args.concurrency, args.concurrency, args.max_tokens)  # warm both paths
    rows, mine, theirs = [], [], []
    for r in range(args.rounds):
        order = ("modelpick", "vllm") if r % 2 == 0 else ("vllm", "modelpick")
        got: dict[str, tuple[float, ...]] = {}
        server_cpu: dict[str, float] = {}
        for tool in order:
            cpu0 = tree_cpu(server_pid)[0]
            if tool == "modelpick":
                got[tool] = modelpick(endpoint, texts, args.concurrency, args.requests, args.max_tokens)
            else:
                got[tool] = vllm_bench(base_url, key, model_dir, home / "prompts.json", home / "vllm.json",
                                       args.concurrency, args.requests, args.max_tokens)
            server_cpu[tool] = tree_cpu(server_pid)[0] - cpu0
        (m_tps, m_ttft, m_asked, cpu, m_tokens), (v_tps, v_ttft, v_tokens, v_content) = got["modelpick"], got["vllm"]
        rows.append((m_tps / v_tps, m_ttft - v_ttft, m_asked - v_ttft, m_asked - v_content))
        mine.append(m_tps)
        theirs.append(v_tps)
        print(f"{label} round {r + 1} ({' then '.join(order)}): output tok/s modelpick {m_tps:.1f} vs vLLM "
              f"{v_tps:.1f} (ratio {m_tps / v_tps:.3f}; tokens {m_tokens} vs {v_tokens}"
              f"{'' if m_tokens == v_tokens else ': NOT the same count'}); TTFT p50 modelpick {m_ttft:.1f} ms "
              f"({m_asked:.1f} from asked) vs vLLM {v_ttft:.1f} ms (diff {m_ttft - v_ttft:+.1f}, from asked "
              f"{m_asked - v_ttft:+.1f} ms; to the first content, both from asked: {m_asked:.1f} vs "
              f"{v_content:.1f} ms, {m_asked - v_content:+.1f} ms); generator CPU {cpu:.0%} of a core; server CPU "
              f"in modelpick's run {server_cpu['modelpick'] / (m_tokens / m_tps):.0%} of a core; load "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    role_p50, role_p90 = probe(base_url, key, texts, args.concurrency, args.max_tokens)
    ratios, diffs, asked, content = ([row[i] for row in rows] for i in range(4))

    def drift(values: list[float]) -> float:  # the largest change of one tool's figure from one round to the next
        return max(abs(b / a - 1) for a, b in zip(values, values[1:], strict=False)) if len(values) > 1 else 0.0

    print(f"{label}, paired over {len(rows)} rounds: output tok/s ratio median {statistics.median(ratios):.3f} "
          f"(spread {min(ratios):.3f}-{max(ratios):.3f}; target 0.95-1.05); TTFT p50 diff median "
          f"{statistics.median(diffs):+.1f} ms (spread {min(diffs):+.1f} to {max(diffs):+.1f}; target within "
          f"±5 ms), from asked {statistics.median(asked):+.1f} ms (spread {min(asked):+.1f} to "
          f"{max(asked):+.1f}); to the first content, both from asked: {statistics.median(content):+.1f} ms (spread "
          f"{min(content):+.1f} to {max(content):+.1f}); each tool's own round-to-round change: up to "
          f"{drift(mine):.0%} (modelpick), {drift(theirs):.0%} (vLLM); role chunk to first content (raw probe, "
          f"counted by modelpick's TTFT, not by vLLM's): p50 {role_p50:.1f} ms, p90 {role_p90:.1f} ms; load average "
          f"{os.getloadavg()}", flush=True)


def main() -> None:
    from tests.support.tinymodel import build

    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--requests", type=int, default=256)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--servers", default="sim,vllm", help="sim (the simulated batching server), vllm, or both")
    ap.add_argument("--sim-step-ms", type=float, default=5.0, help="the simulated server's decode step")
    ap.add_argument("--pin", choices=["split", "none"],
                    default="split" if len(os.sched_getaffinity(0)) >= 2 else "none")
    args = ap.parse_args()
    os.environ.setdefault("MODELPICK_VLLM_PYTHON", str(VLLM_PYTHON))
    os.environ["HF_HUB_OFFLINE"] = "1"
    cores = sorted(os.sched_getaffinity(0))
    server_cores, client_cores = ({cores[0]}, set(cores[1:])) if args.pin == "split" else (set(cores), set(cores))
    if args.pin == "split":
        os.environ["VLLM_CPU_OMP_THREADS_BIND"] = ",".join(map(str, sorted(server_cores)))
    print(f"{args.requests} requests at concurrency {args.concurrency}, {args.max_tokens} tokens each (greedy); "
          f"servers on cores {sorted(server_cores)}, clients on {sorted(client_cores)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        model_dir = build(home / "tiny")
        texts = prompts_file(home / "prompts.json", args.requests)
        for kind in args.servers.split(","):
            pin(server_cores)  # the server's processes inherit it
            if kind == "sim":
                key = "bench-key"
                step = args.sim_step_ms / 1000
                sim = subprocess.Popen([sys.executable, "-c", SIM_SERVER, str(step), str(step / 20),
                                        str(args.max_tokens), key], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                try:
                    url = (sim.stdout.readline() if sim.stdout else "").strip()
                    if not url:
                        raise SystemExit("the simulated server did not start")
                    pin(client_cores)
                    print(f"simulated batching server (a decode step of {args.sim_step_ms:g} ms + 5% a request "
                          f"in it; standard library, one process) at {url}; load average {os.getloadavg()}",
                          flush=True)
                    compare("sim", url + "/v1", key, sim.pid, model_dir, home, texts, args)
                finally:
                    sim.kill()
                    sim.wait()
                continue
            supervisor = Supervisor(home / "home", open_db(home / "bench.db"))
            try:
                spec = ServerSpec(name="tiny", backend="vllm", model=str(model_dir), ctx=256, dtype="bfloat16",
                                  model_alias="tiny", enforce_eager=True)
                server = supervisor.start_and_wait(spec, timeout=600)
                if server.status != "ready":
                    raise SystemExit(f"vLLM did not start: {server.error}")
                pin(client_cores)  # this process, and the clients it starts from now on
                assert server.pid is not None
                _, seen = tree_cpu(server.pid)
                print(f"vLLM (CPU build) ready in {server.time_to_ready_s:.0f} s, its processes on cores "
                      f"{sorted(seen)}; load average {os.getloadavg()}", flush=True)
                compare("vLLM", server.base_url, server.api_key or "", server.pid, model_dir, home, texts, args)
            finally:
                supervisor.close()


if __name__ == "__main__":
    main()
