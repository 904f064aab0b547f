"""Mixtures of experts in the fit: what share of the weights one token reads (for the speed estimate), and whether a
GGUF would fit a small GPU with its routed experts kept in system RAM.

llama.cpp's own `llama-server` can keep the experts' tensors in system RAM (`--cpu-moe`, or `--n-cpu-moe N` for the
first N layers'): the GPU then holds attention, shared experts, embeddings and the KV cache, and the CPU runs the
routed experts from RAM. llama-cpp-python's server, the llama.cpp backend modelpick starts, has no such option,
so this is an estimate only, to say which machine a model would need with llama.cpp's own server.

Shares are of parameters (the config's counts, fit/params.py); applied to a quantised file's bytes they assume the
experts are quantised like the rest (GGUF mixes often keep attention a little wider: the GPU's part may be
somewhat larger than estimated).
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import Arch
from .budget import FitVerdict, overhead_bytes, verdict_for
from .memory import Memory

CPU_MOE_NOTE = ("with the experts in system RAM: llama.cpp's own llama-server --cpu-moe; an estimate only, "
                "llama-cpp-python's server (the backend here) has no such option")
_ORDER: dict[str, int] = {"fits": 0, "tight": 1, "does not fit": 2}


def active_share(arch: Arch | None, params: int | None = None, params_active: int | None = None) -> float:
    """The share of the weights one token reads: all of a dense model's; of a mixture of experts, its active count
    over its total (the catalogue's counts when both are known, else the config's). 1.0 when not known."""
    if params and params_active and 0 < params_active <= params:
        return params_active / params
    counted = arch.params if arch is not None else None
    if arch is not None and arch.moe is not None and counted is not None and 0 < counted.active <= counted.total:
        return counted.active / counted.total
    return 1.0


def expert_share(arch: Arch | None, params: int | None = None) -> float | None:
    """The share of the weights in routed experts (what `--cpu-moe` moves to system RAM); None for a dense model or
    one whose counts are not known."""
    if arch is None or arch.moe is None:
        return None
    counted = arch.params
    if counted is not None and counted.total > 0 and 0 < counted.routed_experts < counted.total:
        return counted.routed_experts / counted.total
    routed = arch.moe.routed_params
    if params and 0 < routed < params:
        return routed / params
    return None


@dataclass(frozen=True)
class ExpertsInRam:
    """One context with the routed experts in system RAM: what the GPU and the RAM would hold, and the verdict (the
    worse of the two)."""

    gpu_bytes: int
    ram_bytes: int
    verdict: FitVerdict
    gpu_verdict: FitVerdict
    ram_verdict: FitVerdict


def experts_in_ram(weights: int, kv: int, context: int, share: float, memory: Memory,
                   logits_vocab: int = 0) -> ExpertsInRam | None:
    """GPU: the weights outside the routed experts + the KV cache + the GPU's overhead; system RAM: the experts.
    None when the memory is not a GPU or the host's RAM is not known."""
    if memory.kind != "gpu" or memory.host_ram_bytes <= 0 or not 0 < share < 1:
        return None
    experts = int(weights * share)
    on_gpu = weights - experts
    gpu = on_gpu + kv + overhead_bytes(on_gpu, context, "gpu", logits_vocab=logits_vocab)
    gpu_verdict = verdict_for(gpu, memory)
    ram = Memory("ram", memory.host_ram_bytes, memory.host_ram_bytes, "system RAM")
    ram_verdict = verdict_for(experts, ram)
    worst = max(gpu_verdict, ram_verdict, key=_ORDER.__getitem__)
    return ExpertsInRam(gpu, experts, worst, gpu_verdict, ram_verdict)
