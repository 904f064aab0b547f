"""A server's start failure, read from its log and said in one line: port in use, out of memory, not enough
KV cache, a gated or missing model, an unsupported architecture, a corrupt GGUF, a missing install. A failure
nobody has named yet falls back to the log's last line."""

from __future__ import annotations

import re
from collections.abc import Callable

from .backends import LLAMA_INSTALL, VLLM_CPU_HEAD_SIZES, VLLM_INSTALL

_PORT_RE = re.compile(r"bind on address \(?'?[\w.:\[\]]*'?,\s*(\d+)\)?")


# The supervisor's first log line is the command it ran: vLLM's bind error does not name the port.
_HEADER_PORT_RE = re.compile(r"^# modelpick: .*?--port[ =](\d+)", re.M)


def _port_in_use(m: re.Match[str], log: str) -> str:
    port = _PORT_RE.search(log) or _HEADER_PORT_RE.search(log)
    where = f"port {port.group(1)}" if port else "the port"
    return f"port in use: {where} is already taken by another program; choose another port or stop that program"


def _kv_cache(m: re.Match[str], log: str) -> str:
    est = re.search(r"estimated maximum model length is (\d+)", log) or re.search(
        r"maximum number of tokens that can be stored in KV cache \((\d+)\)", log
    )
    hint = f"; vLLM suggests a max model length of at most {est.group(1)}" if est else ""
    return ("not enough memory for the KV cache at this context length: lower the max model length or raise "
            f"the GPU memory fraction{hint}")


def _max_len(m: re.Match[str], log: str) -> str:
    derived = re.search(r"derived max_model_len \((?:max_position_embeddings=)?(\d+)", log)
    return (f"max model length {m.group(1)} is above the model's maximum"
            f"{f' ({derived.group(1)})' if derived else ''}: lower it")


def _oom(m: re.Match[str], log: str) -> str:
    if "vllm" not in log.lower():
        return "out of memory while loading the model: use a smaller quant, fewer GPU layers or a shorter context"
    est = re.search(r"estimated maximum model length is (\d+)", log)
    hint = f"; vLLM suggests a max model length of at most {est.group(1)}" if est else ""
    return ("out of memory while loading the model: lower the max model length or the GPU memory fraction, or "
            f"use a quantized model{hint}")


def _head_size(m: re.Match[str], log: str) -> str:
    return (f"vLLM's CPU build does not support this model's head size ({m.group(1)}; it supports "
            f"{', '.join(map(str, VLLM_CPU_HEAD_SIZES))})")


def _fraction(m: re.Match[str], log: str) -> str:
    return ("the memory fraction asks for more than is free"
            f" ({m.group(0).strip()[:120]}): lower --gpu-memory-utilization"
            " (or set VLLM_CPU_KVCACHE_SPACE on a CPU)")


def _model_path(m: re.Match[str], log: str) -> str:
    return f"model file not found: {m.group(1).strip()}"


def _arch(m: re.Match[str], log: str) -> str:
    return f"unsupported model architecture: {m.group(1).strip()[:120]}"


Builder = Callable[[re.Match[str], str], str]


def _fixed(text: str) -> Builder:
    return lambda m, log: text


# (pattern, message builder), most specific first: one log can match several (llama.cpp prints the
# architecture error, then "failed to load model", then Python's ValueError).
_FAILURES: list[tuple[re.Pattern[str], Builder]] = [
    (re.compile(r"No module named '?(llama_cpp|uvicorn|sse_starlette|starlette_context|pydantic_settings|fastapi)"),
     _fixed(f"llama.cpp server is not installed: {LLAMA_INSTALL}")),
    (re.compile(r"No module named '?vllm|vllm: (command )?not found|No such file or directory: '[^']*vllm'"),
     _fixed(f"vLLM is not installed: {VLLM_INSTALL}")),
    (re.compile(r"Errno 98|address already in use", re.I), _port_in_use),
    (re.compile(r"User-specified max_model_len \((\d+)\) is greater than the derived max_model_len"), _max_len),
    (re.compile(r"estimated maximum model length is \d+|larger than the maximum number of tokens that can be "
                r"stored in KV cache|No available memory for the cache blocks|"
                r"is needed, which is larger than the available KV cache memory"), _kv_cache),
    (re.compile(r"Available memory on node \d+ \([^)]*\)[^\n]*|Free memory on device \([^)]*\) on startup is "
                r"less than desired GPU memory utilization[^\n]*"), _fraction),
    (re.compile(r"CUDA out of memory|CUDA error: out of memory|OutOfMemoryError|cudaMalloc failed: out of memory|"
                r"failed to allocate \S+ buffer|unable to allocate \S+ buffer|_ArrayMemoryError|"
                r"Unable to allocate [^\n]* for an array", re.I), _oom),
    (re.compile(r"GatedRepoError|Cannot access gated repo|Access to model [^\n]* is restricted"),
     _fixed("gated model: accept its licence on the Hub and set HF_TOKEN")),
    (re.compile(r"\b401 Client Error|Invalid (user )?token|Invalid credentials in Authorization header"),
     _fixed("the Hub refused the token (HTTP 401): check HF_TOKEN")),
    (re.compile(r"\b403 Client Error"),
     _fixed("the Hub refused access (HTTP 403): a gated model or a token without access; check HF_TOKEN")),
    (re.compile(r"RepositoryNotFoundError|\b404 Client Error|is not a local folder and is not a valid model "
                r"identifier"),
     _fixed("model not found: no such repository on the Hub (or a private one) and no such local folder")),
    (re.compile(r"HFValidationError: Repo id must be in the form"),
     _fixed("model not found: not a local folder, and not a Hub repo id (namespace/name)")),
    (re.compile(r"LocalEntryNotFoundError|outgoing traffic has been disabled"),
     _fixed("model not in the local Hugging Face cache and the Hub is offline (HF_HUB_OFFLINE): download it first")),
    (re.compile(r"unknown model architecture: '?([^'\n]+)'?"), _arch),
    (re.compile(r"Model architectures? \[?'?([^\]'\n]+)'?\]? (?:are|is) not supported"), _arch),
    (re.compile(r"but Transformers does not recognize this architecture|model type `([^`]+)`"),
     _fixed("unsupported model architecture: this version of the server does not know the model type")),
    (re.compile(r"Error: Model path does not exist: ([^\n]+)"), _model_path),
    (re.compile(r"invalid magic characters|not a GGUF file|gguf_init_from_file[^\n]*failed|"
                r"data is not within the file bounds|model is corrupted or incomplete|failed to read|"
                r"llama_model_load: error loading model|failed to load model|Failed to load model from file", re.I),
     _fixed("the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF file; download it again")),
    (re.compile(r"Unsupported CPU attention configuration: head_dim=(\d+)"), _head_size),
]


def recognise_failure(log_tail: str) -> str | None:
    """The one-line cause of a known start failure found in a server's log, else None."""
    for pattern, build in _FAILURES:
        m = pattern.search(log_tail)
        if m:
            return build(m, log_tail)
    return None


def last_line(log_tail: str) -> str:
    """The last non-empty line of a log, for failures nobody has named yet."""
    for line in reversed(log_tail.splitlines()):
        if line.strip() and not line.startswith("# modelpick:"):
            return line.strip()[:300]
    return ""
