"""What an engine itself reports about its memory once it has loaded a model, read from its log.

These are the "measured" figures set beside the fit estimate (serving/measured.py): the engine's own count of
the buffers it allocated, not the process's RSS (llama.cpp maps the GGUF, so RSS grows as pages are touched;
the supervisor samples the process's memory apart).

- llama.cpp (llama-cpp-python's server prints llama.cpp's load log): ``load_tensors: CPU_Mapped model buffer
  size = 92.10 MiB`` (one line per buffer: CPU_Mapped, CPU_REPACK, CUDA0…, summed), ``llama_kv_cache: size =
  45.00 MiB (2048 cells, …)`` (one per cache: a model with sliding-window layers has two), ``CPU compute buffer
  size = 99.38 MiB`` and ``CPU output buffer size = 0.19 MiB`` (summed as the compute part), ``n_ctx = 2048``,
  ``file type = Q4_K - Medium``.
- vLLM on a GPU: ``Model loading took 14.99 GiB memory``, ``Available KV cache memory: 3.2 GiB``; its CPU build:
  ``Checkpoint size: 0.45 GiB`` (the weights it reads) and ``Explicitly set (1.0/23.21) GiB for KV cache`` (or
  ``Auto set (…)``); both: ``GPU KV cache size: 1,048,576 tokens, Maximum concurrency for 256 tokens per
  request: 4096.00x``. vLLM prints GiB with two decimals (its format_gib): ±5 MiB.

Pure functions over text; no IO but ``read_log``. Unknown or missing lines leave a figure at None.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MIB = 2**20
GIB = 2**30
# The load log of a big model is a few hundred kB (llama.cpp prints a line per tensor and layer); the
# figures come before the server starts listening, so the head of the log is enough.
LOG_BYTES = 8 * MIB

ENGINES = {"llama": "llama.cpp", "vllm": "vllm"}


@dataclass
class EngineReport:
    """Memory an engine reported at load: bytes, tokens, and where each figure came from."""

    engine: str  # "llama.cpp" | "vllm"
    weights_bytes: int | None = None
    kv_bytes: int | None = None
    compute_bytes: int | None = None  # llama.cpp: compute + output buffers; vLLM does not say
    context: int | None = None  # llama.cpp n_ctx, vLLM max model length
    kv_tokens: int | None = None  # tokens the KV cache holds (llama.cpp: its cells; vLLM: across sequences)
    max_concurrency: float | None = None  # vLLM: sequences of the max length the KV cache holds at once
    quant: str | None = None  # llama.cpp: the GGUF's file type ("Q4_K_M")
    device: str = ""  # where the weights are: "CPU", "CUDA0", "GPU"…
    weights_source: str = ""  # "model buffer" (llama.cpp), "model loading" (vLLM GPU), "checkpoint" (vLLM CPU)

    @property
    def total_bytes(self) -> int | None:
        """Weights + KV + compute, when the engine reported weights and KV."""
        if self.weights_bytes is None or self.kv_bytes is None:
            return None
        return self.weights_bytes + self.kv_bytes + (self.compute_bytes or 0)

    @property
    def empty(self) -> bool:
        return self.weights_bytes is None and self.kv_bytes is None and self.kv_tokens is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EngineReport:
        """A report from its stored row (the engine_reports table), extra columns ignored."""
        values: dict[str, Any] = {k: row[k] for k in cls.__dataclass_fields__ if row.get(k) is not None}
        return cls(**values)


def _num(text: str) -> float:
    return float(text.replace(",", ""))


# --- llama.cpp -------------------------------------------------------------------------------------------------

_LLAMA_MODEL_BUFFER = re.compile(r"load_tensors:\s+(\S+) model buffer size\s*=\s*([\d.]+) MiB")
# "llama_kv_cache: size = 45.00 MiB (2048 cells, …)"; older builds: "llama_kv_cache_unified: size = …" and
# "llama_new_context_with_model: KV self size = …".
_LLAMA_KV = re.compile(r"llama_kv_cache\w*:\s+size\s*=\s*([\d.]+) MiB \(\s*(\d+) cells|KV self size\s*=\s*([\d.]+) MiB")
_LLAMA_COMPUTE = re.compile(r"(\S+)\s+(?:compute|output) buffer size\s*=\s*([\d.]+) MiB")
_LLAMA_N_CTX = re.compile(r"llama_(?:context|new_context_with_model):\s+n_ctx\s*=\s*(\d+)")
_LLAMA_FILE_TYPE = re.compile(r"print_info: file type\s*=\s*(.+?)\s*$", re.MULTILINE)
_K_SIZES = {"Small": "S", "Medium": "M", "Large": "L"}


def llama_quant(file_type: str) -> str:
    """llama.cpp's file type as the quant names of GGUF files: "Q4_K - Medium" → "Q4_K_M"."""
    m = re.fullmatch(r"(\w+) - (Small|Medium|Large)", file_type.strip())
    if m:
        return f"{m.group(1)}_{_K_SIZES[m.group(2)]}"
    return file_type.strip().split(" ")[0].upper()


def parse_llama(text: str) -> EngineReport:
    """llama.cpp's load log → its model, KV cache and compute buffers."""
    report = EngineReport("llama.cpp", weights_source="model buffer")
    buffers = _LLAMA_MODEL_BUFFER.findall(text)
    if buffers:
        report.weights_bytes = round(sum(_num(size) for _, size in buffers) * MIB)
        devices = [name for name, _ in buffers if not name.endswith("_REPACK")]
        report.device = (devices or [buffers[0][0]])[0].split("_")[0]
    kv = _LLAMA_KV.findall(text)
    if kv:
        report.kv_bytes = round(sum(_num(size or old) for size, _, old in kv) * MIB)
        cells = [int(c) for _, c, _ in kv if c]
        report.kv_tokens = max(cells) if cells else None
    compute = _LLAMA_COMPUTE.findall(text)
    if compute:
        report.compute_bytes = round(sum(_num(size) for _, size in compute) * MIB)
    n_ctx = _LLAMA_N_CTX.findall(text)
    if n_ctx:
        report.context = int(n_ctx[-1])
    ftype = _LLAMA_FILE_TYPE.search(text)
    if ftype:
        report.quant = llama_quant(ftype.group(1))
    return report


# --- vLLM ------------------------------------------------------------------------------------------------------

_VLLM_WEIGHTS = re.compile(r"Model loading took ([\d.]+) GiB memory")
_VLLM_CHECKPOINT = re.compile(r"Checkpoint size: ([\d.]+) GiB")
_VLLM_KV_GPU = re.compile(r"Available KV cache memory: ([\d.]+) GiB")
_VLLM_KV_CPU = re.compile(r"(?:Explicitly|Auto) set \(([\d.]+)/[\d.]+\) GiB for KV cache")
_VLLM_TOKENS = re.compile(
    r"(\w+)(?: \+ host)? KV cache size: ([\d,]+) tokens, Maximum concurrency for ([\d,]+) tokens per request: "
    r"([\d.]+)x")


def parse_vllm(text: str) -> EngineReport:
    """vLLM's start log → weights, KV cache memory, KV tokens and concurrency at the max length."""
    report = EngineReport("vllm")
    weights = _VLLM_WEIGHTS.search(text)
    if weights:
        report.weights_bytes, report.weights_source = round(_num(weights.group(1)) * GIB), "model loading"
    else:
        checkpoint = _VLLM_CHECKPOINT.search(text)
        if checkpoint:
            report.weights_bytes, report.weights_source = round(_num(checkpoint.group(1)) * GIB), "checkpoint"
    kv = _VLLM_KV_GPU.search(text) or _VLLM_KV_CPU.search(text)
    if kv:
        report.kv_bytes = round(_num(kv.group(1)) * GIB)
    tokens = _VLLM_TOKENS.search(text)
    if tokens:
        report.device = tokens.group(1)
        report.kv_tokens = int(_num(tokens.group(2)))
        report.context = int(_num(tokens.group(3)))
        report.max_concurrency = _num(tokens.group(4))
    return report


def parse(backend: str, text: str) -> EngineReport | None:
    """The report of a `backend` ("llama", "vllm") log; None for a backend that writes none (remote)."""
    if backend == "llama":
        return parse_llama(text)
    if backend == "vllm":
        return parse_vllm(text)
    return None


def read_log(path: Path | None) -> str:
    """The head of a server's log (where the load figures are), "" when it cannot be read."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as f:
            return f.read(LOG_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
