"""modelpick's load generator beside vLLM's own serving benchmark (`vllm.benchmarks.serve`, run from vLLM's CPU build
with `python -c`: that build's `vllm` console script crashes, and the module has no `__main__`), on one vLLM CPU
server (the tiny model of tests/support/tinymodel.py), at the same concurrency, with the same prompts, the same
answer length (greedy) and the same number of requests, in one run: rounds alternate which tool goes first.

    .venv/bin/python bench/load_vs_vllm.py [--concurrency 8] [--requests 64] [--max-tokens 32] [--rounds 6]

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
               requests: int, max_tokens: int) -> tuple[float, float, int]:
    """(output tokens/s, TTFT p50 ms, output tokens) of one run of vLLM's serving benchmark."""
    argv = [str(VLLM_PYTHON), "-c", VLLM_BENCH, "--backend", "openai-chat", "--base-url", server_url.removesuffix(
        "/v1"), "--endpoint", "/v1/chat/completions", "--model", "tiny", "--tokenizer", str(model_dir),
            "--dataset-name", "sharegpt", "--dataset-path", str(dataset), "--sharegpt-output-len", str(max_tokens),
            "--num-prompts", str(requests), "--max-concurrency",
            str(concurrency), "--temperature", "0", "--disable-tqdm", "--save-result", "--result-dir",
            str(out.parent), "--result-filename", out.name]
    env = {**os.environ, "OPENAI_API_KEY": key, "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"vllm bench failed ({done.returncode}): {done.stderr[-2000:]}")
    result = json.loads(out.read_text())
    out.unlink()
    if result["completed"] != requests:
        raise SystemExit(f"vllm bench: {result['completed']} of {requests} completed")
    return float(result["output_throughput"]), float(result["median_ttft_ms"]), int(result["total_output_tokens"])


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


def main() -> None:
    from tests.support.tinymodel import build

    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    os.environ.setdefault("MODELPICK_VLLM_PYTHON", str(VLLM_PYTHON))
    os.environ["HF_HUB_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        model_dir = build(home / "tiny")
        texts = prompts_file(home / "prompts.json", args.requests)
        supervisor = Supervisor(home / "home", open_db(home / "bench.db"))
        try:
            spec = ServerSpec(name="tiny", backend="vllm", model=str(model_dir), ctx=256, dtype="bfloat16",
                              model_alias="tiny", enforce_eager=True)
            server = supervisor.start_and_wait(spec, timeout=600)
            if server.status != "ready":
                raise SystemExit(f"vLLM did not start: {server.error}")
            endpoint = Endpoint("tiny", server.base_url, "tiny", api_key=server.api_key, backend="vllm")
            print(f"vLLM ready in {server.time_to_ready_s:.0f} s; {args.requests} requests at concurrency "
                  f"{args.concurrency}, {args.max_tokens} tokens each (greedy); load average {os.getloadavg()}")
            modelpick(endpoint, texts, args.concurrency, args.concurrency, args.max_tokens)  # warm both paths
            rows = []
            for r in range(args.rounds):
                order = ("modelpick", "vllm") if r % 2 == 0 else ("vllm", "modelpick")
                got: dict[str, tuple[float, ...]] = {}
                for tool in order:
                    if tool == "modelpick":
                        got[tool] = modelpick(endpoint, texts, args.concurrency, args.requests, args.max_tokens)
                    else:
                        got[tool] = vllm_bench(server.base_url, server.api_key or "", model_dir,
                                               home / "prompts.json", home / "vllm.json", args.concurrency,
                                               args.requests, args.max_tokens)
                (m_tps, m_ttft, m_asked, cpu, m_tokens), (v_tps, v_ttft, v_tokens) = got["modelpick"], got["vllm"]
                rows.append((m_tps / v_tps, m_ttft - v_ttft, m_asked - v_ttft))
                print(f"round {r + 1} ({' then '.join(order)}): output tok/s modelpick {m_tps:.1f} vs vLLM "
                      f"{v_tps:.1f} (ratio {m_tps / v_tps:.3f}; tokens {m_tokens} vs {v_tokens}"
                      f"{'' if m_tokens == v_tokens else ': NOT the same count'}); TTFT p50 modelpick {m_ttft:.1f} ms "
                      f"({m_asked:.1f} from asked) vs vLLM {v_ttft:.1f} ms (diff {m_ttft - v_ttft:+.1f}, from asked "
                      f"{m_asked - v_ttft:+.1f} ms); generator CPU {cpu:.0%} of a core; load {os.getloadavg()[0]:.1f}")
            role_p50, role_p90 = probe(server.base_url, server.api_key or "", texts, args.concurrency,
                                       args.max_tokens)
            ratios, diffs, asked = ([row[i] for row in rows] for i in range(3))
            print(f"paired over {len(rows)} rounds: output tok/s ratio median {statistics.median(ratios):.3f} "
                  f"(spread {min(ratios):.3f}-{max(ratios):.3f}; target 0.95-1.05); TTFT p50 diff median "
                  f"{statistics.median(diffs):+.1f} ms (spread {min(diffs):+.1f} to {max(diffs):+.1f}; target within "
                  f"±5 ms), from asked {statistics.median(asked):+.1f} ms (spread {min(asked):+.1f} to "
                  f"{max(asked):+.1f}); role chunk to first content (raw probe, counted by modelpick's TTFT, not by "
                  f"vLLM's): p50 {role_p50:.1f} ms, p90 {role_p90:.1f} ms; load average {os.getloadavg()}")
        finally:
            supervisor.close()


if __name__ == "__main__":
    main()
