"""Speed estimates and multi-GPU plans, checked against hand computations written out in each test, vendor
datasheet figures and the names NVML reports."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from modelpick_tui.catalog.fit import speed
from modelpick_tui.catalog.fit.arch import arch_from_config
from modelpick_tui.catalog.fit.estimate import estimate
from modelpick_tui.catalog.fit.memory import GIB, detect_memory, memory_from_spec
from modelpick_tui.catalog.fit.parallel import plan_parallel, tensor_parallel_sizes
from modelpick_tui.catalog.fit.speed import GPU_BANDWIDTH, decode_tokens_per_s_estimate, gpu_bandwidth
from modelpick_tui.services import Services
from modelpick_tui.ui.widgets import card_view
from tests.support.cli import run

# Trimmed config.json of meta-llama/Llama-3.3-70B-Instruct and Llama-3.1-405B (the keys that matter here).
LLAMA_70B: dict[str, Any] = {"model_type": "llama", "num_hidden_layers": 80, "num_attention_heads": 64,
                             "num_key_value_heads": 8, "hidden_size": 8192, "max_position_embeddings": 131072}
LLAMA_405B: dict[str, Any] = {"model_type": "llama", "num_hidden_layers": 126, "num_attention_heads": 128,
                              "num_key_value_heads": 8, "hidden_size": 16384, "max_position_embeddings": 131072}
PARAMS_70B = 70_553_706_496  # the Hub's safetensors count for Llama-3.3-70B-Instruct (BF16)
PARAMS_405B = 405_853_388_800


# --- the bandwidth table -------------------------------------------------------------------------------------

# The names NVML (nvidia-smi) reports, as cloud GPU lists spell them (docs.runpod.io/references/gpu-types), and
# each one's peak memory bandwidth from NVIDIA's datasheet.
DATASHEET = {
    "NVIDIA H100 80GB HBM3": 3.35e12,  # H100 SXM
    "NVIDIA H100 PCIe": 2.0e12,
    "NVIDIA H200": 4.8e12,
    "NVIDIA A100-SXM4-80GB": 2.039e12,
    "NVIDIA A100-SXM4-40GB": 1.555e12,
    "NVIDIA L40S": 864e9,
    "NVIDIA L4": 300e9,
    "NVIDIA A10": 600e9,
    "NVIDIA GeForce RTX 4090": 1008e9,
    "NVIDIA GeForce RTX 3090": 936e9,
}


@pytest.mark.parametrize(("nvml_name", "bytes_per_s"), sorted(DATASHEET.items()))
def test_bandwidth_table_is_keyed_by_nvml_names(nvml_name: str, bytes_per_s: float) -> None:
    found = gpu_bandwidth(nvml_name)
    assert found is not None and found.bytes_per_s == pytest.approx(bytes_per_s)
    assert found.source.startswith("https://www.nvidia.com/")


def test_every_table_entry_has_a_vendor_source_and_a_label_that_finds_it() -> None:
    for name, bw in GPU_BANDWIDTH.items():
        assert bw.source.startswith("https://www.nvidia.com/"), name
        assert gpu_bandwidth(bw.label) is not None, bw.label
    assert gpu_bandwidth("H100 SXM") == GPU_BANDWIDTH["NVIDIA H100 80GB HBM3"]
    assert gpu_bandwidth("rtx 4090") == GPU_BANDWIDTH["NVIDIA GeForce RTX 4090"]
    assert gpu_bandwidth("NVIDIA Imaginary 9000") is None
    assert gpu_bandwidth("H100") is None  # SXM, PCIe or NVL: a guess would be off by up to 2x


def _fake_nvml(names: tuple[str, ...], sizes: tuple[int, ...]) -> Any:
    mod: Any = types.ModuleType("pynvml")
    mod.nvmlInit = lambda: None
    mod.nvmlShutdown = lambda: None
    mod.nvmlDeviceGetCount = lambda: len(names)
    mod.nvmlDeviceGetHandleByIndex = lambda i: i
    mod.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(total=sizes[h], free=sizes[h])
    mod.nvmlDeviceGetName = lambda h: names[h]  # newer bindings return str
    return mod


def test_detect_memory_gives_the_slowest_gpus_bandwidth_and_the_smallest_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"),
                                                          (80 * GIB, 40 * GIB)))
    mem = detect_memory()
    assert (mem.device_count, mem.per_device_bytes, mem.bandwidth_bytes_per_s) == (2, 40 * GIB, 1.555e12)
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml(("NVIDIA Imaginary 9000",), (24 * GIB,)))
    assert detect_memory().bandwidth_bytes_per_s is None


# --- memory specs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "nodes", "gpus", "per_gpu"), [
    ("80GB", 1, 1, 80 * GIB), ("4x80GB", 1, 4, 80 * GIB), ("2x8x80GB", 2, 16, 80 * GIB),
    ("2 x 8 x 141GiB", 2, 16, 141 * GIB), ("8×24GB", 1, 8, 24 * GIB),
])
def test_memory_spec_nodes_and_gpus(spec: str, nodes: int, gpus: int, per_gpu: int) -> None:
    mem = memory_from_spec(spec)
    assert (mem.nodes, mem.device_count, mem.per_device_bytes) == (nodes, gpus, per_gpu)
    assert mem.total_bytes == gpus * per_gpu
    assert mem.gpus_per_node == gpus // nodes


def test_memory_spec_names_a_gpu_for_its_bandwidth() -> None:
    mem = memory_from_spec("4x80GB@H100 SXM")
    assert mem.bandwidth_bytes_per_s == 3.35e12 and "nvidia.com" in mem.bandwidth_source
    assert memory_from_spec("8x141GB @ NVIDIA H200").bandwidth_bytes_per_s == 4.8e12
    assert memory_from_spec("4x80GB").bandwidth_bytes_per_s is None
    with pytest.raises(ValueError, match="unknown GPU 'H100'"):
        memory_from_spec("4x80GB@H100")
    for bad in ("0x80GB", "2x0x80GB", "x80GB", "2x8x"):
        with pytest.raises(ValueError):
            memory_from_spec(bad)


# --- the speed estimate --------------------------------------------------------------------------------------

def test_decode_speed_is_bandwidth_over_bytes_read_per_token() -> None:
    # Llama 3.1 8B in BF16 on one H100 SXM at 8k: 8,030,261,248 params × 2 B = 16,060,522,496 B of weights; KV at
    # 8k = 32 layers × 2 (K, V) × 8 KV heads × 128 dims × 2 B × 8,192 tokens = 1,073,741,824 B.
    # 3.35e12 B/s ÷ 17,134,264,320 B = 195.51 tokens/s.
    weights, kv = 8_030_261_248 * 2, 32 * 2 * 8 * 128 * 2 * 8192
    assert kv == 1_073_741_824
    assert decode_tokens_per_s_estimate(3.35e12, weights, kv) == pytest.approx(195.51, abs=0.01)
    # Tensor parallel over 2 GPUs: each reads half, at once.
    assert decode_tokens_per_s_estimate(3.35e12, weights, kv, tensor_parallel=2) == pytest.approx(391.02, abs=0.01)
    # A mixture of experts reads only its active weights: gpt-oss-20b's 3.6B active of 21B, in MXFP4 (4.25 bits).
    active = int(3.6e9 * 4.25 / 8)
    assert decode_tokens_per_s_estimate(3.35e12, active) == pytest.approx(3.35e12 / 1.9125e9)
    assert decode_tokens_per_s_estimate(None, weights) is None
    assert decode_tokens_per_s_estimate(3.35e12, 0) is None


def test_estimate_rows_carry_the_speed_and_moe_reads_active_weights() -> None:
    arch = arch_from_config({**LLAMA_70B, "num_hidden_layers": 32, "num_attention_heads": 32, "hidden_size": 4096})
    mem = memory_from_spec("80GB@H100 SXM")
    dense = estimate(16_060_522_496, arch, mem, contexts=(8192,))
    assert dense.rows[0].tokens_per_s == pytest.approx(195.51, abs=0.01)
    moe = estimate(16_060_522_496, arch, mem, contexts=(8192,), active_weights_bytes=2_000_000_000)
    assert moe.rows[0].tokens_per_s == pytest.approx(3.35e12 / (2_000_000_000 + 1_073_741_824))
    assert moe.rows[0].total_bytes == dense.rows[0].total_bytes  # memory follows all the weights
    assert estimate(16_060_522_496, arch, memory_from_spec("80GB"), contexts=(8192,)).rows[0].tokens_per_s is None


# --- several GPUs --------------------------------------------------------------------------------------------

def test_70b_bf16_on_4x80gb_at_8k_needs_tp4_to_fit_and_tp2_is_tight() -> None:
    # Weights: 70,553,706,496 params × 2 B = 141,107,412,992 B (131.4 GiB): more than one 80 GiB GPU.
    # KV at 8k: 80 layers × 2 × 8 KV heads × 128 × 2 B × 8,192 = 2,684,354,560 B, split over TP ranks (8 KV heads).
    # Per GPU = weights/TP + KV/TP + 0.5 GiB + 5 % of its weights + 1 KiB × 8,192 tokens, against 85 % of 80 GiB:
    #   TP=2: 70,553,706,496 + 1,342,177,280 + 536,870,912 + 3,527,685,324 + 8,388,608 = 75,968,828,620 B
    #         = 70.75 GiB > 68 GiB (85 %) but ≤ 80 GiB: tight
    #   TP=4: 35,276,853,248 + 671,088,640 + 536,870,912 + 1,763,842,662 + 8,388,608 = 38,257,044,070 B
    #         = 35.63 GiB ≤ 68 GiB: fits
    arch = arch_from_config(LLAMA_70B)
    mem = memory_from_spec("4x80GB")
    weights = PARAMS_70B * 2
    kv = 80 * 2 * 8 * 128 * 2 * 8192
    plan = plan_parallel(weights, kv, 8192, arch, mem)
    assert plan is not None
    assert (plan.tensor_parallel, plan.pipeline_parallel, plan.verdict) == (4, 1, "fits")
    assert plan.per_gpu_bytes == pytest.approx(38_257_044_070, abs=2)
    assert plan.line == "TP=4 (4 of 4 GPUs)"
    # With 85 GiB per GPU, TP=2's 70.75 GiB is under 85 % (72.25 GiB): TP=2 is the smallest that fits.
    bigger = plan_parallel(weights, kv, 8192, arch, memory_from_spec("4x85GB"))
    assert bigger is not None and bigger.tensor_parallel == 2
    assert bigger.per_gpu_bytes == pytest.approx(75_968_828_620, abs=2)
    # The estimate's row takes the plan and its verdict (vLLM); llama.cpp splits layers and gets none.
    row = estimate(weights, arch, mem, contexts=(8192,)).rows[0]
    assert row.parallel == plan and row.verdict == "fits"
    assert estimate(weights, arch, mem, contexts=(8192,), runtime="llama.cpp").rows[0].parallel is None


def test_405b_bf16_takes_two_nodes_tp8_pp2() -> None:
    # Weights: 405,853,388,800 × 2 B = 811,706,777,600 B (756 GiB). One node of 8 × 80 GiB: 94.5 GiB of weights
    # per GPU, too much. Two nodes, TP=8 × PP=2 = 16 GPUs: 50,731,673,600 B of weights per GPU;
    # KV at 8k = 126 × 2 × 8 × 128 × 2 × 8,192 = 4,227,858,432 B, / 8 (TP) / 2 (PP) = 264,241,152 B;
    # overhead 536,870,912 + 2,536,583,680 + 8,388,608 → 54,077,757,952 B = 50.36 GiB ≤ 68 GiB: fits.
    arch = arch_from_config(LLAMA_405B)
    weights = PARAMS_405B * 2
    kv = 126 * 2 * 8 * 128 * 2 * 8192
    plan = plan_parallel(weights, kv, 8192, arch, memory_from_spec("2x8x80GB"))
    assert plan is not None
    assert plan.line == "2 nodes × 8 GPUs: TP=8, PP=2"
    assert (plan.nodes, plan.gpus, plan.verdict) == (2, 16, "fits")
    assert plan.per_gpu_bytes == pytest.approx(54_077_757_952, abs=2)
    # On one node alone nothing fits: the largest plan, and it says so.
    alone = plan_parallel(weights, kv, 8192, arch, memory_from_spec("8x80GB"))
    assert alone is not None and (alone.tensor_parallel, alone.verdict) == (8, "does not fit")


def test_tp_must_divide_the_heads_as_vllm_requires() -> None:
    # Qwen2.5-7B: 28 attention heads, 4 KV heads. 7 divides 28 but neither divides nor is divided by 4 KV heads.
    qwen = arch_from_config({"num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
                             "hidden_size": 3584})
    assert tensor_parallel_sizes(qwen, 8) == [1, 2, 4]
    # Llama 70B: 64 heads, 8 KV heads; TP 16 > 8 KV heads replicates them (16 % 8 == 0), which vLLM accepts.
    assert tensor_parallel_sizes(arch_from_config(LLAMA_70B), 16) == [1, 2, 4, 8, 16]
    assert tensor_parallel_sizes(None, 8) == [1, 2, 4, 8]


def test_mla_cache_is_not_split_by_tensor_parallel() -> None:
    # DeepSeek-V3 caches one 576-wide latent per token and layer; every TP rank holds it whole.
    arch = arch_from_config({"num_hidden_layers": 61, "num_attention_heads": 128, "num_key_value_heads": 128,
                             "hidden_size": 7168, "kv_lora_rank": 512, "qk_rope_head_dim": 64})
    kv = 61 * 576 * 2 * 32768
    plan = plan_parallel(0, kv, 32768, arch, memory_from_spec("8x80GB"))
    assert plan is not None and plan.tensor_parallel == 1
    from modelpick_tui.catalog.fit.parallel import per_gpu_bytes
    assert per_gpu_bytes(0, kv, 32768, arch, 8, 1) - per_gpu_bytes(0, 0, 32768, arch, 8, 1) == kv


# --- the CPU's bandwidth -------------------------------------------------------------------------------------

def test_cpu_bandwidth_is_measured_once_and_cached_in_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def measure(budget_s: float = 1.0) -> float:
        calls.append(budget_s)
        return 12.5e9

    monkeypatch.setattr(speed, "measure_cpu_bandwidth", measure)
    monkeypatch.setattr(speed, "_quiet", lambda: True)
    first = speed.cpu_bandwidth(tmp_path)
    assert first.bytes_per_s == 12.5e9 and len(calls) == 1
    stored = json.loads((tmp_path / speed.CACHE_FILE).read_text())["cpu"]
    assert stored["bytes_per_s"] == 12.5e9
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 12.5e9 and len(calls) == 1  # from the cache
    # A cache written on another machine (a home shared over NFS) is measured again.
    (tmp_path / speed.CACHE_FILE).write_text(json.dumps({"cpu": {**stored, "machine": "elsewhere"}}))
    speed.cpu_bandwidth(tmp_path)
    assert len(calls) == 2
    (tmp_path / speed.CACHE_FILE).write_text("{not json")
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 12.5e9 and len(calls) == 3


def test_a_bandwidth_measured_under_load_is_measured_again_and_the_best_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Other work on the cores only lowers a copy's speed: 0.56 GB/s taken at load 9 must not stay the figure.
    figures = iter([0.56e9, 5.1e9, 4.2e9, 9.9e9])
    monkeypatch.setattr(speed, "measure_cpu_bandwidth", lambda budget_s=1.0: next(figures))
    monkeypatch.setattr(speed, "_quiet", lambda: False)
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 0.56e9  # used, not settled
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 5.1e9  # measured again: the better figure
    monkeypatch.setattr(speed, "_quiet", lambda: True)
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 5.1e9  # 4.2 taken quiet settles it; the best stays
    assert speed.cpu_bandwidth(tmp_path).bytes_per_s == 5.1e9  # settled: no fourth measurement
    assert next(figures) == 9.9e9
    stored = json.loads((tmp_path / speed.CACHE_FILE).read_text())["cpu"]
    assert stored["settled"] is True and stored["tries"] == 3


def test_an_unquiet_machine_settles_after_a_few_tries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(speed, "measure_cpu_bandwidth", lambda budget_s=1.0: calls.append(1) or 3e9)
    monkeypatch.setattr(speed, "_quiet", lambda: False)
    for _ in range(speed.SETTLE_AFTER + 3):
        speed.cpu_bandwidth(tmp_path)
    assert len(calls) == speed.SETTLE_AFTER  # never more than that many half-second measurements


def test_cpu_bandwidth_measurement_is_real_and_bounded() -> None:
    measured = speed.measure_cpu_bandwidth(budget_s=0.2)
    # Any machine that runs this moves between 0.1 GB/s and 2 TB/s through one process.
    assert 1e8 < measured < 2e12


# --- where a user sees it ------------------------------------------------------------------------------------

def _render(renderable: Any) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_card_fit_shows_the_speed_estimate_and_the_tp_plan(services: Services) -> None:
    services.catalog._memory = memory_from_spec("4x80GB@H100 SXM")
    details = services.catalog.details("meta-llama/Llama-3.3-70B-Instruct")
    assert details is not None
    text = _render(card_view.fit_table(details))
    assert "~tok/s 4k" in text
    assert "vLLM on 4 GPUs, BF16: 4k TP=4 fits · 8k TP=4 fits · 32k TP=4 fits · 128k TP=4 fits" in text
    assert "decode tokens/s is an estimate: 3.35 TB/s (H100 SXM datasheet)" in text
    # The BF16 row at 4k: 3.35e12 / (141,107,412,992 B + 80 × 2 × 8 × 128 × 2 × 4,096 B) × 4 (TP) = 94.1
    bf16 = next(line for line in text.splitlines() if line.strip().startswith("BF16"))
    assert bf16.split()[-1] == f"{3.35e12 * 4 / (PARAMS_70B * 2 + 80 * 2 * 8 * 128 * 2 * 4096):.0f}" == "94"


def test_card_fit_on_an_unknown_gpu_says_why_there_is_no_speed(services: Services) -> None:
    details = services.catalog.details("meta-llama/Llama-3.3-70B-Instruct")  # the fixture's "test GPU 24 GiB"
    assert details is not None
    text = _render(card_view.fit_table(details))
    assert "~tok/s" not in text and "decode speed not estimated" in text


def test_cli_fit_json(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    result = run(db, "fit", "meta-llama/Llama-3.3-70B-Instruct", "--memory", "2x8x80GB@H100 SXM", "--ctx", "8192",
                 "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    mem = out["memory"]
    assert (mem["nodes"], mem["device_count"], mem["per_device_bytes"], mem["bandwidth_bytes_per_s"]) == (
        2, 16, 80 * GIB, 3.35e12)
    assert "estimate" in out["speed_basis"]
    bf16 = next(q for q in out["quants"] if q["quant"] == "BF16")
    [row] = bf16["rows"]
    assert (row["context"], row["tensor_parallel_size"], row["pipeline_parallel_size"], row["nodes"]) == (8192, 4, 1, 1)
    assert row["plan"] == "TP=4 (4 of 8 GPUs)" and row["verdict"] == "fits"
    kv = 80 * 2 * 8 * 128 * 2 * 8192
    assert row["kv_bytes"] == kv
    assert row["decode_tokens_per_s_estimate"] == pytest.approx(3.35e12 * 4 / (PARAMS_70B * 2 + kv), abs=0.01)


def test_cli_fit_bad_input_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    bad = run(db, "fit", "meta-llama/Llama-3.3-70B-Instruct", "--memory", "4x80GB@H100")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "unknown GPU 'H100'" in bad.output
    missing = run(db, "fit", "nobody/nothing")
    assert missing.exit_code == 1 and "not in the catalogue" in missing.output


def test_cli_fit_table_on_ram_uses_the_measured_cpu_bandwidth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed, "measure_cpu_bandwidth", lambda budget_s=1.0: 20e9)
    monkeypatch.setitem(sys.modules, "pynvml", None)  # no GPU: system RAM
    result = run(tmp_path / "m.db", "fit", "HuggingFaceTB/SmolLM2-135M-Instruct", "--ctx", "4096")
    assert result.exit_code == 0, result.output
    assert "20 GB/s (measured on this machine)" in result.output


# --- mixtures of experts: speed from the active share, experts in system RAM (GGUF) ------------------------------

# Qwen3-30B-A3B's config counts (fit/params.py, checked by helper facts against the Hub): 30,532,110,336 in all,
# 28,991,029,248 in the routed experts (48 layers × 128 experts × 3 × 2048 × 768), 3,041,855,488 active.
QWEN3_30B_TOTAL, QWEN3_30B_ROUTED, QWEN3_30B_ACTIVE = 30_532_110_336, 28_991_029_248, 3_041_855_488


def test_memory_spec_with_system_ram() -> None:
    mem = memory_from_spec("8GB+32GB@RTX 4090")
    assert (mem.per_device_bytes, mem.host_ram_bytes, mem.bandwidth_bytes_per_s) == (8 * GIB, 32 * GIB, 1008e9)
    assert memory_from_spec("24GB").host_ram_bytes == 0
    with pytest.raises(ValueError):
        memory_from_spec("8GB+0GB")


def test_a_gguf_moe_fits_a_small_gpu_with_its_experts_in_ram(services: Services) -> None:
    # unsloth/Qwen3-30B-A3B-GGUF's Q4_K_M file: 18,711,460,162 B. Routed experts: 28,991,029,248 / 30,532,110,336
    # = 94.95 % of the weights → 17,767,015,868 B to system RAM; 944,444,294 B stay on the GPU, with
    # KV at 8k = 48 layers × 2 × 4 KV heads × 128 × 2 B × 8,192 = 805,306,368 B and the GPU's overhead
    # 536,870,912 (CUDA) + 47,222,214 (5 %) + 8,388,608 (1 KiB/token) + 311,164,928 (512 × 151,936 vocab × 4 B
    # of llama.cpp logits) = 903,646,662 B: 2,653,397,324 B = 2.47 GiB ≤ 85 % of 8 GiB: fits; the experts'
    # 16.55 GiB ≤ 85 % of 32 GiB: fits. Whole, 19.8 GiB does not fit 8 GiB.
    services.catalog._memory = memory_from_spec("8GB+32GB@RTX 4090")
    details = services.catalog.details("unsloth/Qwen3-30B-A3B-GGUF")
    assert details is not None
    q4 = next(q for q in details.fits if q.label == "Q4_K_M")
    row = next(r for r in q4.estimate.rows if r.context == 8192)
    assert row.verdict == "does not fit" and row.tokens_per_s is None  # it cannot run from the GPU alone
    off = row.experts_in_ram
    assert off is not None
    assert (off.ram_bytes, off.gpu_bytes, off.verdict) == (17_767_015_868, 2_653_397_324, "fits")
    text = _render(card_view.fit_table(details))
    assert "experts in system RAM (llama.cpp --cpu-moe, estimate; not in llama-cpp-python's server)" in text
    assert "llama-cpp-python's server (the backend here) has no such option" in " ".join(q4.estimate.notes)


def test_moe_speed_reads_the_active_share(services: Services) -> None:
    # The same Q4_K_M on a 24 GiB RTX 4090 at 4k: active share 3,041,855,488 / 30,532,110,336 of 18,711,460,162 B
    # = 1,864,186,823 B; KV at 4k 402,653,184 B. 1.008e12 / 2,266,840,007 = 444.7 tokens/s (dense: 1.008e12 /
    # 19,114,113,346 = 52.7).
    services.catalog._memory = memory_from_spec("24GB@RTX 4090")
    details = services.catalog.details("unsloth/Qwen3-30B-A3B-GGUF")
    assert details is not None
    q4 = next(q for q in details.fits if q.label == "Q4_K_M")
    row = next(r for r in q4.estimate.rows if r.context == 4096)
    active = int(18_711_460_162 * QWEN3_30B_ACTIVE / QWEN3_30B_TOTAL)
    assert active == 1_864_186_823
    assert row.tokens_per_s == pytest.approx(1.008e12 / (active + 48 * 2 * 4 * 128 * 2 * 4096))
    assert row.tokens_per_s == pytest.approx(444.7, abs=0.1)


def test_dense_models_keep_their_experts_on_the_gpu(services: Services) -> None:
    services.catalog._memory = memory_from_spec("8GB+32GB")
    details = services.catalog.details("bartowski/Llama-3.2-1B-Instruct-GGUF")
    assert details is not None
    assert all(r.experts_in_ram is None for q in details.fits for r in q.estimate.rows)


def test_cli_fit_json_experts_in_ram(tmp_path: Path) -> None:
    result = run(tmp_path / "m.db", "fit", "unsloth/Qwen3-30B-A3B-GGUF", "--memory", "8GB+32GB", "--ctx", "8192",
                 "--json")
    assert result.exit_code == 0, result.output
    q4 = next(q for q in json.loads(result.stdout)["quants"] if q["quant"] == "Q4_K_M")
    assert q4["rows"][0]["experts_in_ram"] == {"gpu_bytes": 2_653_397_324, "ram_bytes": 17_767_015_868,
                                               "verdict": "fits"}
    assert any("--cpu-moe" in n and "estimate only" in n for n in q4["notes"])
