"""More than one GPU: the smallest tensor-parallel size that fits, and a tensor × pipeline plan across nodes when one
host is not enough. The plan is vLLM's (`--tensor-parallel-size`, `--pipeline-parallel-size`, Ray across nodes):
modelpick only works out the sizes.

Per GPU, with tensor parallel size TP and pipeline parallel size PP:
- weights: weights / (TP × PP) (vLLM shards each layer's matrices over TP ranks, the layers over PP stages);
- KV cache: vLLM shards the KV heads over TP (a rank keeps max(1, KV heads / TP) heads: with more ranks than KV
  heads they are replicated), the layers over PP; multi-head latent attention (DeepSeek, Kimi) keeps one latent
  per token that every TP rank holds whole;
- overhead: what one GPU pays (``budget.overhead_bytes``: CUDA context, 5 % of its weights, per-token buffers).
TP must divide the attention heads, and the KV heads must divide TP or TP them, as vLLM checks at start.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import Arch
from .budget import FitVerdict, overhead_bytes, verdict_for
from .memory import Memory


@dataclass(frozen=True)
class ParallelPlan:
    """How a model would be spread over GPUs at one context, and what one GPU would hold."""

    tensor_parallel: int
    pipeline_parallel: int
    gpus_per_node: int  # of the memory planned for
    per_gpu_bytes: int
    verdict: FitVerdict  # against one GPU's memory

    @property
    def gpus(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel

    @property
    def nodes(self) -> int:
        """Hosts the plan spans (vLLM places the ranks node by node)."""
        return -(-self.gpus // max(1, self.gpus_per_node))

    @property
    def line(self) -> str:
        """"TP=2 (2 of 4 GPUs)", "2 nodes × 8 GPUs: TP=8, PP=2"."""
        if self.nodes > 1:
            return (f"{self.nodes} nodes × {self.gpus_per_node} GPUs: TP={self.tensor_parallel}, "
                    f"PP={self.pipeline_parallel}")
        return f"TP={self.tensor_parallel} ({self.gpus} of {self.gpus_per_node} GPUs)"

    @property
    def short(self) -> str:
        """"TP=4", "TP=8 PP=2" (for a line that has already said which GPUs)."""
        return f"TP={self.tensor_parallel}" + (f" PP={self.pipeline_parallel}" if self.pipeline_parallel > 1 else "")


def tensor_parallel_sizes(arch: Arch | None, max_size: int) -> list[int]:
    """The TP sizes vLLM accepts for `arch`, up to `max_size`, smallest first: they divide the attention heads, and
    the KV heads divide them or they divide the KV heads. Without an architecture: powers of two."""
    sizes = []
    for tp in range(1, max(1, max_size) + 1):
        if arch is None:
            ok = tp & (tp - 1) == 0
        else:
            kv = arch.n_kv_heads
            ok = arch.n_heads % tp == 0 and (arch.mla_kv_dim is not None or kv % tp == 0 or tp % kv == 0)
        if ok:
            sizes.append(tp)
    return sizes


def per_gpu_bytes(weights: int, kv: int, context: int, arch: Arch | None, tp: int, pp: int) -> int:
    """What one GPU holds with `weights` and `kv` bytes spread over TP × PP GPUs (see the module's docstring)."""
    tp, pp = max(1, tp), max(1, pp)
    weights_here = weights / (tp * pp)
    if arch is None or arch.mla_kv_dim is not None:
        kv_shards = 1
    else:
        kv_shards = min(tp, max(1, arch.n_kv_heads))
    kv_here = kv / kv_shards / pp
    return int(weights_here + kv_here + overhead_bytes(int(weights_here), context, "gpu"))


def plan_parallel(weights: int, kv: int, context: int, arch: Arch | None, memory: Memory) -> ParallelPlan | None:
    """The smallest plan that fits at `context`: first the smallest TP on one host that "fits" (else the smallest
    that is "tight"); when no TP on one host will do, TP = the largest size a node takes and the fewest pipeline
    stages that fit (across nodes when there are several: "2 nodes × 8 GPUs: TP=8, PP=2"). Past every plan, the
    largest one, "does not fit". None for memory that is not several GPUs."""
    if memory.kind != "gpu" or memory.device_count < 2:
        return None
    per_node = memory.gpus_per_node
    one_gpu = Memory("gpu", memory.per_device_bytes, memory.per_device_bytes, "one GPU")

    def make(tp: int, pp: int) -> ParallelPlan:
        need = per_gpu_bytes(weights, kv, context, arch, tp, pp)
        return ParallelPlan(tp, pp, per_node, need, verdict_for(need, one_gpu))

    sizes = tensor_parallel_sizes(arch, per_node) or [1]
    one_host = [make(tp, 1) for tp in sizes]
    for wanted in ("fits", "tight"):
        found = next((p for p in one_host if p.verdict == wanted), None)
        if found is not None:
            return found
    across = [make(sizes[-1], pp) for pp in range(2, memory.device_count // sizes[-1] + 1)]
    for wanted in ("fits", "tight"):
        found = next((p for p in across if p.verdict == wanted), None)
        if found is not None:
            return found
    return (across or one_host)[-1]
