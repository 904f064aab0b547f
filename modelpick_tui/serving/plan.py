"""What the start-server modal starts from, worked out without a screen: the defaults for a card's model
(`plan_for`), and how the memory fractions of vLLM servers sharing a GPU add up (`gpu_split`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from ..catalog.fit.budget import verdict_for

CONTEXTS = (4096, 8192, 32768)  # the largest of these that "fits" is the default context
MAX_GPU_SHARE = 0.95  # vLLM servers on one GPU may hold at most this much of it together (CUDA context, others)
DEFAULT_VLLM_FRACTION = 0.9  # vLLM's own default --gpu-memory-utilization


@dataclass
class QuantChoice:
    label: str  # Q4_K_M
    filename: str | None  # in the repo, or the local path of a scanned file
    local_path: str | None  # where it is on this machine, None when it needs a download
    ctx: int = 4096
    size: int | None = None  # bytes (all parts of a split file)


@dataclass(frozen=True)
class GpuPeer:
    """A vLLM server that runs (or is being started) beside the one to start: what share of which GPUs."""

    name: str
    fraction: float
    devices: tuple[str, ...]  # GPU indexes (or UUIDs) as CUDA_VISIBLE_DEVICES names them
    status: str = "running"  # running | starting


@dataclass
class StartPlan:
    """What the modal starts from. For a model with no card (the servers screen's `n`), all blank."""

    model_id: str = ""
    backend: str = "llama"
    quants: list[QuantChoice] = field(default_factory=list)
    model: str = ""  # vLLM: repo id or local folder
    ctx: int = 4096
    n_gpu_layers: int = 0
    mem_fraction: float = 0.9
    name: str = ""
    chat_format: str = ""
    pick: int = 0  # the quant selected at first
    memory_note: str = ""
    device_count: int = 0  # GPUs found (NVML); the CUDA_VISIBLE_DEVICES field shows when there are several
    cuda_visible_devices: str = ""
    peers: list[GpuPeer] = field(default_factory=list)
    tensor_parallel: int = 1  # vLLM: the fit's smallest plan at `ctx` on several GPUs (catalog/fit/parallel.py)
    pipeline_parallel: int = 1
    ray: bool = False  # the plan spans nodes: vLLM's Ray executor on the user's Ray cluster
    gpus_per_node: int = 0  # GPUs on one host of the memory planned for (MODELPICK_MEMORY=2x8x80GB: 8); 0: not known


def server_name(model_id: str, quant: str = "", taken: set[str] | None = None) -> str:
    """A server name from a model id: `google/gemma-3-4b-it` + Q4_K_M → `gemma-3-4b-it-q4_k_m`."""
    base = model_id.rsplit("/", 1)[-1] or "server"
    if quant and quant.lower() not in base.lower():
        base = f"{base}-{quant}"
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._").lower()[:56] or "server"
    name, n = base, 2
    while taken and name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def devices_of(cuda_visible_devices: str | None, tensor_parallel: int | None, device_count: int) -> tuple[str, ...]:
    """The GPUs a vLLM server uses: the first `tensor_parallel` (TP × PP, the GPUs it takes) of those
    CUDA_VISIBLE_DEVICES lists (all of the machine's when it is not set)."""
    if cuda_visible_devices and cuda_visible_devices.strip():
        ids = tuple(x.strip() for x in cuda_visible_devices.split(",") if x.strip())
    else:
        ids = tuple(str(i) for i in range(max(device_count, 1)))
    return ids[: max(tensor_parallel or 1, 1)]


@dataclass(frozen=True)
class GpuSplit:
    line: str  # "this 0.45 + running qwen-a 0.45 = 0.90 of GPU 0"; "" when the GPUs are not shared
    total: float  # the sum on the most committed GPU this server uses
    device: str | None  # that GPU
    others: float  # what the other servers hold of it

    @property
    def too_much(self) -> bool:
        return self.total > MAX_GPU_SHARE + 1e-9


def gpu_split(fraction: float, devices: tuple[str, ...], peers: list[GpuPeer]) -> GpuSplit:
    """How the memory fractions add up on the most committed GPU among `devices`."""
    worst: tuple[float, str, list[GpuPeer]] | None = None
    for device in devices:
        sharing = [p for p in peers if device in p.devices]
        if not sharing:
            continue
        total = fraction + sum(p.fraction for p in sharing)
        if worst is None or total > worst[0]:
            worst = (total, device, sharing)
    if worst is None:
        return GpuSplit("", fraction, None, 0.0)
    total, device, sharing = worst
    parts = " + ".join(f"{p.status} {p.name} {p.fraction:g}" for p in sharing)
    return GpuSplit(f"this {fraction:g} + {parts} = {total:.2f} of GPU {device}", total, device,
                    total - fraction)


def best_ctx(estimate: Any, max_context: int | None) -> int:
    """The largest of CONTEXTS that fits (the backend turns off llama-cpp-python's per-position logits,
    which would otherwise add n_ctx × vocab × 4 bytes that the fit estimate does not count)."""
    best = CONTEXTS[0]
    for row in estimate.rows:
        if row.context not in CONTEXTS or row.beyond_max_context:
            continue
        if verdict_for(row.total_bytes, estimate.memory) == "fits":
            best = max(best, row.context)
    if max_context:
        best = min(best, max_context)
    return best


def chat_format_for(architecture: str) -> str:
    """llama-cpp-python's --chat_format for a GGUF of this architecture that carries no chat template, "" to let
    llama.cpp decide. Gemma GGUFs (the base ones carry no chat template) answer chat requests empty under its
    llama-2 fallback; with "gemma" they answer. resolve.default_chat_format applies it when the file has no template."""
    return "gemma" if architecture.lower().startswith("gemma") else ""


def plan_for(details: Any, cached_files: dict[str, str], taken: set[str],
             base: dict[str, Any] | None = None, gpu_in_use: float = 0.0, *,
             peers: list[GpuPeer] | None = None, device_count: int = 0) -> StartPlan:
    """The modal's defaults for a card's model (`ModelDetails`). `cached_files` maps a repo file name to
    its path on this machine (the Hugging Face cache). `peers`: the vLLM servers already running or being
    started; a new one on a GPU they use gets at most what they leave (`gpu_in_use`: their sum, when
    which GPUs they use is not known)."""
    row = details.model
    model_id = row["id"]
    memory = details.memory
    max_ctx = row.get("context_length")
    quants: list[QuantChoice] = []
    for q in details.fits:
        if not q.filename:
            continue
        local = q.filename if q.filename.startswith("/") else cached_files.get(q.filename)
        quants.append(QuantChoice(q.label, q.filename, local, best_ctx(q.estimate, max_ctx), q.size))
    plan = StartPlan(model_id=model_id, quants=quants, peers=list(peers or []), device_count=device_count)
    plan.n_gpu_layers = 0 if memory.kind == "ram" else -1
    if quants:
        plan.backend = "llama"
        plan.memory_note = f"{memory.name}: {'CPU only' if memory.kind == 'ram' else 'all layers on the GPU'}"
        # A quant on this machine first; else the largest (best) one that fits at 4k; else the smallest.
        fitting = [q for q, f in zip(quants, [f for f in details.fits if f.filename], strict=True)
                   if f.estimate.rows and f.estimate.rows[0].verdict == "fits"]
        pick = next((q for q in quants if q.local_path), fitting[-1] if fitting else quants[0])
        plan.pick = quants.index(pick)
        plan.ctx = pick.ctx
        plan.chat_format = chat_format_for(str(row.get("architecture") or ""))
        plan.name = server_name(model_id, "" if model_id.startswith("local/") else pick.label, taken)
        return plan
    plan.backend = "vllm"
    plan.model = model_id
    plan.memory_note = f"{memory.name} ({'no GPU found' if memory.kind == 'ram' else 'GPU'})"
    plan.name = server_name(model_id, "", taken)
    if details.fits:
        est = details.fits[0].estimate
        plan.ctx = best_ctx(est, max_ctx)
        row = next((r for r in est.rows if r.context == plan.ctx), None)
        total, budget = (row.total_bytes if row else 0), memory.total_bytes
        if row is not None and row.parallel is not None:  # several GPUs: what one of them holds, of one
            p = row.parallel
            plan.gpus_per_node = p.gpus_per_node
            plan.tensor_parallel, plan.pipeline_parallel, plan.ray = p.tensor_parallel, p.pipeline_parallel, p.nodes > 1
            total, budget = p.per_gpu_bytes, memory.per_device_bytes
        if budget and total:
            # The estimate for one sequence plus headroom; vLLM fills the rest of its share with KV cache.
            plan.mem_fraction = min(0.95, max(0.1, math.ceil((total / budget + 0.05) * 20) / 20))
    if plan.peers:
        gpu_in_use = max(gpu_in_use, _place(plan))
    if gpu_in_use > 0:
        left = round(MAX_GPU_SHARE - gpu_in_use, 2)
        plan.mem_fraction = max(0.05, min(plan.mem_fraction, left))
        plan.memory_note += f"; other vLLM servers hold {gpu_in_use:g} of it, {max(left, 0):g} is left"
    return plan


def _place(plan: StartPlan) -> float:
    """With several GPUs, put the new server on the least committed one (CUDA_VISIBLE_DEVICES); return
    what the other servers hold of the GPU it goes on."""
    def held(device: str) -> float:
        return round(sum(p.fraction for p in plan.peers if device in p.devices), 2)

    if plan.device_count > 1:
        device = min((str(i) for i in range(plan.device_count)), key=held)
        if held(device) < held("0"):
            plan.cuda_visible_devices = device
        return held(device)
    return held("0")
