"""Throughput of a prompt-set run through modelpick's Runner (streams + one SQLite trace row per answer) against
a raw asyncio + httpx client at the same concurrency, and against sending the prompts one at a time.

The server batches: by default tests/support/batching_server.py (continuous batching simulated: one token per active
request per step, a step a little longer for a bigger batch). With --vllm, and if `.venv-vllm/bin/python`
exists, vLLM's CPU build on the tiny random model of tests/support/tinymodel.py instead (~35 s to start, ~2.5 GB).

    .venv/bin/python bench/run_throughput.py [--prompts 64] [--concurrency 8] [--tokens 32] [--repeat 3] [--vllm]

Prints figures and ratios measured in this run (the raw client is the baseline); no assertions.
Target: the Runner at ≥ 0.95 of the raw client's answers/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelpick_tui.db import open_db  # noqa: E402
from modelpick_tui.evals.promptsets import Prompt, PromptSet  # noqa: E402
from modelpick_tui.evals.runner import Runner  # noqa: E402
from modelpick_tui.evals.stores.prompt_sets import PromptSetStore  # noqa: E402
from modelpick_tui.evals.stores.traces import TraceStore  # noqa: E402
from modelpick_tui.evals.traces import RunParams  # noqa: E402
from modelpick_tui.serving.endpoints import Endpoint  # noqa: E402
from modelpick_tui.serving.params import SamplingParams  # noqa: E402
from tests.support.batching_server import BatchingServer  # noqa: E402

VLLM_PY = ROOT / ".venv-vllm" / "bin" / "python"


def prompt_set(n: int) -> PromptSet:
    ps = PromptSet(name="bench", path=Path("bench.jsonl"), format="jsonl", sha256="")
    ps.prompts.extend(Prompt(id=f"b{i}", prompt=f"Tell me about item number {i}.", line=i + 1) for i in range(n))
    return ps


async def raw(base_url: str, model: str, prompts: list[str], concurrency: int, tokens: int) -> int:
    """The baseline: httpx streaming at bounded concurrency, reading SSE lines to [DONE]; returns chunks."""
    sem = asyncio.Semaphore(concurrency)
    chunks = 0
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency + 4), timeout=120) as http:

        async def one(prompt: str) -> None:
            nonlocal chunks
            body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": tokens,
                    "temperature": 0.0, "stream": True, "stream_options": {"include_usage": True}}
            async with sem, http.stream("POST", base_url + "/chat/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        if line == "data: [DONE]":
                            break
                        json.loads(line[6:])
                        chunks += 1

        await asyncio.gather(*(one(p) for p in prompts))
    return chunks


async def through_runner(base_url: str, model: str, ps: PromptSet, concurrency: int, tokens: int,
                         db_path: Path) -> int:
    db = open_db(db_path)
    try:
        traces = TraceStore(db)
        runner = Runner(traces, PromptSetStore(db), concurrency=concurrency, per_endpoint=concurrency)
        endpoint = Endpoint(name="bench", base_url=base_url, model=model)
        params = RunParams(sampling=SamplingParams(temperature=0.0, max_tokens=tokens))
        result = await runner.run(ps, [endpoint], params)
        if result.failed:
            first = next(t.error for t in traces.list(run_id=result.run_id) if t.error)
            print(f"  runner: {result.failed} failed, e.g. {first}")
        return result.ok
    finally:
        db.close()


def timed(coro_factory: object) -> float:
    start = time.perf_counter()
    asyncio.run(coro_factory())  # type: ignore[operator]
    return time.perf_counter() - start


@contextlib.contextmanager
def vllm_server() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "tiny"
        subprocess.run([str(VLLM_PY), str(ROOT / "tests" / "tinymodel.py"), str(model_dir)], check=True,
                       stdout=subprocess.DEVNULL)
        with socket_port() as port:
            pass  # a free port now; vLLM binds it a few seconds later
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}
        log = open(Path(tmp) / "vllm.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(VLLM_PY), "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
             "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port), "--max-model-len", "256",
             "--dtype", "bfloat16", "--enforce-eager"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise SystemExit(f"vLLM exited ({proc.returncode}); see its log")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/health", timeout=2).status_code == 200:
                        break
                time.sleep(1)
            else:
                raise SystemExit("vLLM not ready in 180 s")
            yield url + "/v1", "tiny"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()


@contextlib.contextmanager
def socket_port() -> Iterator[int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


@contextlib.contextmanager
def batching_server(tokens: int) -> Iterator[tuple[str, str]]:
    with BatchingServer(step_s=0.01, per_request_s=0.0005, tokens=tokens, models=("batch",)) as server:
        yield server.url + "/v1", "batch"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sequential-prompts", type=int, default=16, help="prompts for the one-at-a-time baseline")
    ap.add_argument("--vllm", action="store_true", help="use vLLM's CPU build on the tiny model, if installed")
    args = ap.parse_args()

    use_vllm = args.vllm and VLLM_PY.exists()
    if args.vllm and not use_vllm:
        print(f"--vllm: {VLLM_PY} not found; using the batching test server")
    server = vllm_server() if use_vllm else batching_server(args.tokens)
    ps = prompt_set(args.prompts)
    texts = [p.prompt for p in ps.prompts]
    with server as (base_url, model), tempfile.TemporaryDirectory() as tmp:
        print(f"server: {'vLLM CPU build, tiny model' if use_vllm else 'tests/support/batching_server.py (simulated)'}"
              f" at {base_url}; {args.prompts} prompts × {args.tokens} tokens, concurrency {args.concurrency}")
        timed(lambda: raw(base_url, model, texts[:4], args.concurrency, args.tokens))  # warm up
        raw_s, runner_s = [], []
        for i in range(args.repeat):  # interleaved, so drift affects both alike
            raw_s.append(timed(lambda: raw(base_url, model, texts, args.concurrency, args.tokens)))
            db_path = Path(tmp) / f"bench-{i}.db"
            runner_s.append(timed(lambda p=db_path: through_runner(base_url, model, ps, args.concurrency,
                                                                 args.tokens, p)))
        n_seq = min(args.sequential_prompts, args.prompts)
        seq_s = timed(lambda: raw(base_url, model, texts[:n_seq], 1, args.tokens))
    raw_rate = args.prompts / statistics.median(raw_s)
    runner_rate = args.prompts / statistics.median(runner_s)
    seq_rate = n_seq / seq_s
    print(f"raw httpx, concurrency {args.concurrency}: {raw_rate:7.1f} answers/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in raw_s)} s)")
    print(f"Runner,    concurrency {args.concurrency}: {runner_rate:7.1f} answers/s  "
          f"(runs: {', '.join(f'{t:.2f}' for t in runner_s)} s; traces written to SQLite)")
    print(f"sequential (raw, one at a time):  {seq_rate:7.1f} answers/s  ({n_seq} prompts in {seq_s:.2f} s)")
    print(f"Runner / raw = {runner_rate / raw_rate:.3f} on medians, {min(raw_s) / min(runner_s):.3f} on best runs"
          "   (target ≥ 0.95)")
    print(f"Runner / sequential = {runner_rate / seq_rate:.2f}×")


if __name__ == "__main__":
    main()
