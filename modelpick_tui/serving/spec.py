"""What a server is: the `ServerSpec` the user asked for, the error every serving step raises, and the
redaction that keeps secrets out of a stored or logged command line.

No HTTP and no processes here: the start-server form, the registry and the CLI import this to describe a
server without loading what runs one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

BackendName = Literal["llama", "vllm", "remote"]
BACKENDS: tuple[str, ...] = ("llama", "vllm", "remote")

# Flags whose value is a secret, should one come in through extra_args.
_SECRET_FLAGS = ("--api_key", "--api-key", "--hf-token", "--hf_token")


@dataclass(frozen=True)
class ServerSpec:
    """One server to start (llama, vllm) or one endpoint to attach to (remote)."""

    name: str
    backend: str  # "llama" | "vllm" | "remote"
    model: str  # GGUF path (llama), HF repo id or local dir (vllm), model name (remote)
    host: str = "127.0.0.1"
    port: int | None = None  # None: the supervisor picks a free port
    api_key: str | None = field(default=None, repr=False)  # None: a random key per server
    ctx: int | None = None  # llama --n_ctx / vLLM --max-model-len
    n_gpu_layers: int | None = None  # llama
    chat_format: str | None = None  # llama, e.g. "gemma" for a GGUF without a chat template
    model_alias: str | None = None  # llama --model_alias / vLLM --served-model-name
    gpu_memory_utilization: float | None = None  # vLLM
    tensor_parallel_size: int | None = None  # vLLM --tensor-parallel-size
    pipeline_parallel_size: int | None = None  # vLLM --pipeline-parallel-size (stages, e.g. one per node)
    # vLLM --distributed-executor-backend: "ray" to run across the nodes of a Ray cluster the user started
    # (vLLM's own executor; modelpick only passes the flag), "mp" for one host; None: vLLM decides.
    distributed_executor_backend: str | None = None
    ray_address: str | None = None  # vLLM with Ray: RAY_ADDRESS for the cluster to join (None: Ray finds it)
    dtype: str | None = None  # vLLM
    quantization: str | None = None  # vLLM
    trust_remote_code: bool = False  # vLLM: runs the repository's Python code; only when asked for
    kv_cache_gib: float | None = None  # vLLM: KV cache size (CPU build: VLLM_CPU_KVCACHE_SPACE, default 1)
    enforce_eager: bool | None = None  # vLLM --enforce-eager; None: the MODELPICK_VLLM_ENFORCE_EAGER setting
    cuda_visible_devices: str | None = None
    extra_args: tuple[str, ...] = ()
    base_url: str | None = None  # remote only: the OpenAI base URL (…/v1)
    # remote only: the environment variable the key is read from each time (OPENROUTER_API_KEY), never the key
    api_key_env: str | None = None
    # remote only: headers sent with every request, none secret (OpenRouter's attribution: HTTP-Referer, X-Title)
    headers: tuple[tuple[str, str], ...] = ()
    # The program to run instead of the backend's own (a wrapper, or a stand-in that speaks the same CLI
    # and HTTP routes); the backend's flags follow it.
    executable: tuple[str, ...] | None = None


EXECUTOR_BACKENDS = ("mp", "ray")


def gpus_needed(spec: ServerSpec) -> int:
    """GPUs a vLLM server takes: tensor × pipeline parallel size."""
    return max(1, spec.tensor_parallel_size or 1) * max(1, spec.pipeline_parallel_size or 1)


class ServingError(Exception):
    """A server or endpoint cannot be used; the message is one line for the user."""


def redact_argv(argv: Sequence[str], secrets: Sequence[str] = ()) -> list[str]:
    """argv with the values of secret flags (and any of `secrets`) replaced by ***, fit to log or store."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        flag, eq, _ = arg.partition("=")
        if flag in _SECRET_FLAGS:
            if eq:
                out.append(f"{flag}=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        for secret in secrets:
            if secret:
                arg = arg.replace(secret, "***")
        out.append(arg)
    return out

