"""`modelpick`: no arguments opens the TUI; subcommands are for scripts."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.table import Table

from .catalog.facts import SIZE_CLASSES, format_params
from .catalog.sources.hub import HubError, ListParams
from .catalog.store import SORTS, CatalogQuery
from .services import Services, build_services, make_app, preflight_db
from .settings import Settings
from .untrusted import clean


def escape(text: str) -> str:
    """Untrusted text for Rich output: markup escaped and terminal control sequences made visible."""
    return _escape_markup(clean(text))

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _say(text: str, *, err: bool = False) -> None:
    """One line of Rich markup, never wrapped: an error or a path split over two lines is harder to read
    and to grep."""
    (err_console if err else console).print(text, soft_wrap=True)


def _print_table(table: Table) -> None:
    # In a terminal the table fits the window; piped to a file or a pager it gets the width it needs,
    # not the 80 columns Rich assumes, so that model ids are not cut.
    if console.is_terminal:
        console.print(table)
        return
    needed = console.measure(table, options=console.options.update_width(1000)).maximum
    Console(highlight=False, width=max(console.width, needed)).print(table)


def _services(ctx: click.Context) -> Services:
    obj = ctx.find_root().obj
    if "services" not in obj:
        settings = Settings.from_env(db=obj.get("db"))
        try:
            obj["services"] = build_services(settings)
        except Exception as exc:  # a locked, unreadable or corrupt file: one line, no traceback
            raise click.ClickException(f"cannot open the database {settings.db_path}: {exc}") from exc
        ctx.call_on_close(obj["services"].close)
    return obj["services"]


@click.group(invoke_without_command=True)
@click.option("--db", type=click.Path(dir_okay=False),
              help="Database file (default: MODELPICK_DB or the user data dir).")
@click.version_option(package_name="modelpick-tui", prog_name="modelpick")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Choose an open LLM for production: catalogue, card, fit, shortlist."""
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        settings = Settings.from_env(db=db)
        try:
            preflight_db(settings.db_path)
        except Exception as exc:  # one line, no traceback
            raise click.ClickException(f"cannot open the database {settings.db_path}: {exc}") from exc
        # The TUI opens the database (and loads the sample on a first launch) in a worker, after its
        # first frame is on screen.
        services = build_services(settings, open_db_now=False)
        try:
            make_app(settings, services).run()
        finally:
            services.close()


@main.group()
def catalog() -> None:
    """The local model catalogue (filled from the Hub, the sample, or local files)."""


@catalog.command("sync")
@click.option("--search", "-s", help="Only models whose id contains this text.")
@click.option("--task", "-t", help="Pipeline tag, e.g. text-generation.")
@click.option("--author", "-a", help="Author or organisation, e.g. Qwen.")
@click.option("--filter", "filters", multiple=True, help="Hub tag filter, e.g. gguf or license:mit (repeatable).")
@click.option("--params", "num_parameters", help='Parameter range, e.g. "min:6B,max:15B".')
@click.option("--sort", type=click.Choice(["downloads", "likes", "trending_score", "last_modified", "created_at"]),
              default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.pass_context
def catalog_sync(ctx: click.Context, search: str | None, task: str | None, author: str | None,
                 filters: tuple[str, ...], num_parameters: str | None, sort: str, limit: int) -> None:
    """Fetch models from the Hub into the local cache (a re-run refreshes them)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    services = _services(ctx)
    params = ListParams(search=search, task=task, author=author, filters=filters,
                        num_parameters=num_parameters, sort=sort, limit=limit)
    with Progress(TextColumn("syncing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:  # a script's stderr gets only the result
        bar = progress.add_task("sync", total=limit)
        try:
            report = services.catalog.sync(params, lambda done, _total: progress.update(bar, completed=done))
        except HubError as err:
            progress.stop()
            status = services.catalog.status()
            _say(f"error: {escape(str(err))}", err=True)
            if err.offline_like:
                _say(escape(status.offline_line), err=True)
            sys.exit(2)
    _say(f"synced {report.fetched} models; {services.catalog.store.count()} in the catalogue")


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "task": row.task, "params": row.params, "size_class": row.size_class,
        "license": row.license, "permissive": row.permissive, "downloads": row.downloads,
        "likes": row.likes, "last_modified": row.last_modified, "gated": row.gated or False,
        "formats": list(row.formats), "local": row.is_local,
    }


@catalog.command("search")
@click.argument("text", nargs=-1)
@click.option("--license", "licenses", multiple=True, help="Licence id, e.g. apache-2.0 (repeatable).")
@click.option("--permissive", is_flag=True, help="Only permissive licences (Apache-2.0, MIT, BSD…).")
@click.option("--size", "sizes", multiple=True, type=click.Choice(SIZE_CLASSES), help="Size class (repeatable).")
@click.option("--task", help="Pipeline tag, e.g. text-generation.")
@click.option("--format", "fmt", help="gguf, safetensors, awq, gptq, mlx, onnx…")
@click.option("--gated/--open", default=None, help="Only gated, or only open models.")
@click.option("--author")
@click.option("--local", is_flag=True, help="Only models whose files are on this machine.")
@click.option("--sort", type=click.Choice(sorted(SORTS)), default="downloads", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts.")
@click.pass_context
def catalog_search(ctx: click.Context, text: tuple[str, ...], licenses: tuple[str, ...], permissive: bool,
                   sizes: tuple[str, ...], task: str | None, fmt: str | None, gated: bool | None,
                   author: str | None, local: bool, sort: str, limit: int, as_json: bool) -> None:
    """Search and filter the local catalogue (no network)."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    if local:
        services.catalog.refresh_local()  # the cache may have changed since the flags were last set
    query = CatalogQuery(text=" ".join(text), licenses=tuple(x.lower() for x in licenses),
                         permissive_only=permissive, size_classes=sizes, task=task, format=fmt,
                         gated=gated, author=author, local_only=local, sort=sort, limit=limit)
    result = services.catalog.search(query)
    if as_json:
        for row in result.rows:
            click.echo(json.dumps(_row_json(row)))
        return
    table = Table(title=f"{result.matching} of {result.total} models", title_justify="left")
    for col, justify in (("id", "left"), ("task", "left"), ("params", "right"), ("license", "left"),
                         ("downloads", "right"), ("likes", "right"), ("updated", "left"), ("gated", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in result.rows:
        table.add_row(escape(r.id), escape(r.task), format_params(r.params), escape(r.license or "none"),
                      f"{r.downloads:,}", f"{r.likes:,}", r.last_modified[:10], r.gated or "")
    _print_table(table)


@catalog.command("scan")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def catalog_scan(ctx: click.Context, dirs: tuple[Path, ...]) -> None:
    """Find GGUF files in folders and add them to the catalogue as local models."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    for d in dirs:
        if not d.is_dir():
            raise click.ClickException(f"not a folder: {clean(str(d))}")
        report = services.catalog.scan_dir(d)
        for item in report.found:
            _say(f"[green]found[/] {escape(item)}")
        for item in report.errors:
            _say(f"[yellow]skipped[/] {escape(item)}", err=True)
        _say(f"{len(report.found)} GGUF files in {escape(str(d))}")


@catalog.command("load-sample")
@click.pass_context
def catalog_load_sample(ctx: click.Context) -> None:
    """(Re)load the embedded sample catalogue into the database."""
    n = _services(ctx).catalog.load_sample()
    _say(f"loaded {n} sample models")


@main.group(invoke_without_command=True)
@click.pass_context
def shortlist(ctx: click.Context) -> None:
    """The shortlist: list it, or add/remove models."""
    if ctx.invoked_subcommand is None:
        rows = _services(ctx).catalog.shortlist()
        table = Table(title=f"shortlist ({len(rows)})", title_justify="left")
        for col in ("model", "params", "license", "note"):
            table.add_column(col)
        for r in rows:
            table.add_row(escape(r["model_id"]), format_params(r["params"]), escape(r["license"] or "none"),
                          escape(r["note"] or ""))
        _print_table(table)


@shortlist.command("add")
@click.argument("model_id")
@click.option("--note", default="", help="Why it is on the list.")
@click.pass_context
def shortlist_add(ctx: click.Context, model_id: str, note: str) -> None:
    """Put a model on the shortlist (again: replace its note)."""
    services = _services(ctx)
    services.catalog.ensure_loaded()
    if not services.catalog.store.exists(model_id):
        raise click.ClickException(f"{clean(model_id)} is not in the catalogue (try `modelpick catalog search`)")
    services.catalog.shortlist_add(model_id, note)
    _say(f"shortlisted {escape(model_id)}")


@shortlist.command("rm")
@click.argument("model_id")
@click.pass_context
def shortlist_rm(ctx: click.Context, model_id: str) -> None:
    """Take a model off the shortlist."""
    services = _services(ctx)
    if model_id not in {r["model_id"] for r in services.catalog.shortlist()}:
        raise click.ClickException(f"{clean(model_id)} is not on the shortlist")
    services.catalog.shortlist_remove(model_id)
    _say(f"removed {escape(model_id)}")


@main.command("promptset")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The prompts as JSON lines on stdout.")
def promptset(path: Path, as_json: bool) -> None:
    """Check a prompt set (JSONL or CSV): how many prompts load, and each bad row with its line."""
    from .evals.promptsets import PromptSetError, load_prompt_set

    try:
        ps = load_prompt_set(path)
    except PromptSetError as exc:
        raise click.ClickException(clean(str(exc))) from None
    if as_json:
        for p in ps.prompts:
            click.echo(json.dumps({"id": p.id, "prompt": p.prompt, "system": p.system, "reference": p.reference,
                                   "tags": list(p.tags), "line": p.line}, ensure_ascii=False))
    else:
        _say(escape(ps.summary()))
    for error in ps.errors:
        _say(f"[yellow]bad row[/] {escape(str(error))}", err=True)


# --- serving ---------------------------------------------------------------------------------------------


def _fail(line: str, code: int = 1) -> None:
    _say(f"error: {escape(line)}", err=True)
    sys.exit(code)


def _server_name(text: str) -> str:
    """A default server name from a model path or repo id: its last part, as a file-safe name."""
    stem = re.sub(r"\.gguf$", "", text.rstrip("/").rsplit("/", 1)[-1], flags=re.IGNORECASE)
    stem = re.sub(r"-\d{5}-of-\d{5}$", "", stem)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:64]
    return name or "server"


def _free_name(sup: Any, base: str) -> str:
    """`base`, or `base-2`, `base-3`… when a live server already has that name."""
    from .serving.supervisor import LIVE

    live = {r["name"] for r in sup.records() if r.get("status") in LIVE or r.get("kind") == "remote"}
    name, i = base, 2
    while name in live:
        suffix = f"-{i}"
        name = base[: 64 - len(suffix)] + suffix
        i += 1
    return name


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _start_detached(ctx: click.Context, spec: Any, timeout: float, as_json: bool) -> None:
    """Start `spec` detached, wait until ready, print name, URL, key and time to ready; or the one-line
    cause, a non-zero exit and nothing left running."""
    from .serving.spec import ServingError
    from .serving.supervisor import READY, STARTING, group_members

    services = _services(ctx)
    sup = services.servers
    adopted = {s.name for s in sup.reattach()}  # stale records cleaned: their names are free again
    try:
        server = sup.start(spec, detached=True)
        if server.status == STARTING:
            _say(f"starting {escape(spec.name)} on port {server.port} (log: {escape(str(server.log_path))})",
                 err=True)
            server = sup.wait_ready(spec.name, timeout=timeout)
    except KeyboardInterrupt:
        if spec.name not in adopted:  # ours, not a running server of that name
            with contextlib.suppress(ServingError):
                sup.stop(spec.name, grace=5.0)
                sup.remove(spec.name)
        _say(f"cancelled: {escape(spec.name)} stopped", err=True)
        sys.exit(130)
    except ServingError as exc:
        _fail(str(exc))
    if server.status != READY:
        cause = server.error or f"ended {server.status}"
        with contextlib.suppress(ServingError):
            if server.pgid and group_members(server.pgid):
                sup.stop(server.name, grace=2.0)  # nothing of it is left running, whatever happened
            sup.remove(server.name)  # the cause is shown now; the record would only be clutter
        _fail(cause)
    if as_json:
        click.echo(json.dumps({"name": server.name, "backend": server.backend, "model": server.model,
                               "served_model": server.served_model, "url": server.base_url,
                               "port": server.port, "api_key": server.api_key, "pid": server.pid,
                               "time_to_ready_s": server.time_to_ready_s,
                               "log": str(server.log_path) if server.log_path else None}))
        return
    _say(f"[green]ready[/] {escape(server.name)} in {server.time_to_ready_s:.2f} s "
         f"(detached, pid {server.pid}; stop it with: modelpick stop {escape(server.name)})")
    _say(f"  url      {escape(server.base_url)}")
    _say(f"  model    {escape(server.served_model)}")
    _say(f"  api key  {escape(server.api_key or '')}")
    _say("  (the key is shown this once: keep it)", err=True)


@main.group()
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
    from .catalog.gguf import read_gguf_metadata
    from .serving.backends import get_backend
    from .serving.resolve import ResolveError, default_chat_format, resolve_gguf
    from .serving.spec import ServerSpec

    missing = get_backend("llama").missing(ServerSpec(name="x", backend="llama", model=""))
    if missing:
        _fail(missing)
    services = _services(ctx)
    try:
        with _download_progress() as progress:
            resolved = resolve_gguf(model, hub=services.catalog.hub, store=services.catalog.store,
                                    progress=progress, say=lambda line: _say(escape(line), err=True))
    except KeyboardInterrupt:
        _say("cancelled: the download resumes where it stopped next time", err=True)
        sys.exit(130)
    except ResolveError as exc:
        _fail(str(exc))
    if resolved.source != "file":
        _say(f"model file: {escape(str(resolved.path))} ({resolved.source})", err=True)
    try:
        meta = read_gguf_metadata(resolved.path)
    except (OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        detail = re.sub(r"^not a GGUF file: .*? \((.*)\)$", r"\1", detail)
        _fail(f"the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF file ({detail}): "
              f"{resolved.path}")
    if chat_format is None:
        chat_format, line = default_chat_format(meta)
    else:
        line = f"chat format: {chat_format} (given)"
    _say(escape(line), err=True)
    base = name or _server_name(resolved.path.name)
    spec = ServerSpec(name=name or _free_name(services.servers, base), backend="llama", model=str(resolved.path),
                      port=port, ctx=ctx_len, n_gpu_layers=gpu_layers, chat_format=chat_format)
    _start_detached(ctx, spec, timeout, as_json)


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

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        tasks: dict[str, Any] = {}

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(escape(name.rsplit("/", 1)[-1][:40]), total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield update


@serve.command("vllm")
@click.argument("model")
@click.option("--name", help="Server name (default: from the model).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default: a free one).")
@click.option("--max-model-len", type=click.IntRange(16, 10_000_000), help="Context length.")
@click.option("--gpu-memory-utilization", type=click.FloatRange(0.01, 1.0), help="Fraction of GPU memory.")
@click.option("--tensor-parallel-size", type=click.IntRange(1, 1024))
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
               gpu_memory_utilization: float | None, tensor_parallel_size: int | None, dtype: str | None,
               quantization: str | None, served_model_name: str | None, trust_remote_code: bool,
               cuda_visible_devices: str | None, kv_cache_gib: float | None, enforce_eager: bool | None,
               timeout: float, as_json: bool) -> None:
    """Serve a model with vLLM. MODEL is a Hub repo id or a local folder."""
    from .serving.backends import get_backend
    from .serving.spec import ServerSpec

    spec = ServerSpec(name=name or "x", backend="vllm", model=model, port=port, ctx=max_model_len,
                      gpu_memory_utilization=gpu_memory_utilization, tensor_parallel_size=tensor_parallel_size,
                      dtype=dtype, quantization=quantization, model_alias=served_model_name,
                      trust_remote_code=trust_remote_code, cuda_visible_devices=cuda_visible_devices,
                      kv_cache_gib=kv_cache_gib, enforce_eager=enforce_eager)
    missing = get_backend("vllm").missing(spec)
    if missing:
        _fail(missing)
    if trust_remote_code:
        _say("[yellow]warning[/]: --trust-remote-code runs the repository's Python code on this machine", err=True)
    services = _services(ctx)
    spec = replace(spec, name=name or _free_name(services.servers, _server_name(model)))
    _start_detached(ctx, spec, timeout, as_json)


def _server_rows(sup: Any) -> list[dict[str, Any]]:
    from .serving.supervisor import LIVE, MemoryUse, group_memory, group_rss

    now = datetime.now(UTC)
    out = []
    for row in sup.records():
        live = row.get("status") in LIVE and row.get("kind") != "remote"
        uptime = None
        if live and row.get("started_at"):
            with contextlib.suppress(ValueError):
                uptime = round((now - datetime.fromisoformat(row["started_at"])).total_seconds(), 1)
        use = group_memory(row.get("pgid")) if live else MemoryUse("rss", 0)
        out.append({
            "name": row["name"], "backend": row.get("kind"), "model": row.get("model"),
            "served_model": row.get("served_model"), "url": row.get("base_url"), "port": row.get("port"),
            "status": row.get("status"), "detached": bool(row.get("detached")), "pid": row.get("pid"),
            "started_at": row.get("started_at"), "uptime_s": uptime, "time_to_ready_s": row.get("time_to_ready_s"),
            "rss_bytes": group_rss(row.get("pgid")) if live else None, "error": row.get("error"),
            # GPU memory (NVML) where the group holds any, else RSS: "GPU 3.1 GiB" / "RSS 957 MiB".
            "memory": str(use) or None, "memory_kind": use.kind if live else None,
            "memory_bytes": use.bytes if live else None,
        })
    return out


@main.command("servers")
@click.option("--all", "show_all", is_flag=True, help="Include stopped servers.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts (no keys).")
@click.pass_context
def servers_cmd(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List model servers and remote endpoints (stale records are cleaned first)."""
    sup = _services(ctx).servers
    sup.reattach()
    rows = [r for r in _server_rows(sup) if show_all or r["status"] != "stopped"]
    if as_json:
        for r in rows:
            click.echo(json.dumps(r))
        return
    if not rows:
        _say("no servers (start one with: modelpick serve llama MODEL.gguf)")
        return
    table = Table(title=f"servers ({len(rows)})", title_justify="left")
    for col, justify in (("name", "left"), ("backend", "left"), ("model", "left"), ("url", "left"),
                         ("status", "left"), ("uptime", "right"), ("ready in", "right"), ("memory", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    colours = {"ready": "green", "starting": "yellow", "failed": "red", "stopped": "dim"}
    for r in rows:
        status = f"[{colours.get(r['status'], 'white')}]{escape(r['status'] or '')}[/]"
        if r["error"] and r["status"] == "failed":
            status += f" {escape(r['error'][:60])}"
        model = r["model"] or ""
        table.add_row(escape(r["name"]), escape(r["backend"] or ""), escape(model.rsplit("/", 1)[-1] if
                      r["backend"] == "llama" else model), escape(r["url"] or ""), status,
                      _duration(r["uptime_s"]), _duration(r["time_to_ready_s"]),
                      r["memory"] or "")
    _print_table(table)


@main.command("stop")
@click.argument("name", required=False)
@click.option("--all", "stop_all", is_flag=True, help="Stop every server this machine's modelpick started detached.")
@click.option("--grace", type=click.FloatRange(0, 600), default=10.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL.")
@click.pass_context
def stop_cmd(ctx: click.Context, name: str | None, stop_all: bool, grace: float) -> None:
    """Stop a server (or all of them): its whole process group, until its port is free."""
    from .serving.spec import ServingError
    from .serving.supervisor import LIVE

    if bool(name) == stop_all:
        raise click.UsageError("give a server NAME or --all")
    sup = _services(ctx).servers
    sup.reattach()
    if stop_all:
        names = [s.name for s in sup.servers() if s.backend != "remote" and s.status in LIVE]
        others = [r for r in sup.records() if r.get("kind") != "remote" and r.get("status") in LIVE
                  and r["name"] not in names]
        if not names and not others:
            _say("no servers running")
        for n in names:
            _stop_one(sup, n, grace)
        for r in others:  # a TUI's own servers: they end with it
            _say(f"left {escape(r['name'])}: it belongs to another modelpick that is still running "
                 f"(pid {r.get('pid')})", err=True)
        return
    assert name is not None
    try:
        server = sup.get(name)
    except ServingError:
        row = next((r for r in sup.records() if r["name"] == name), None)
        if row is None:
            _fail(f"no server or endpoint named {name!r}")
        elif row.get("kind") == "remote":
            _fail(f"{name} is a remote endpoint: modelpick does not stop it (modelpick endpoint rm {name})")
        elif row.get("status") in LIVE:
            _fail(f"{name} belongs to another modelpick that is still running (pid {row.get('pid')}): stop it there")
        else:
            _fail(f"{name} is not running ({row.get('status')})")
        return
    if server.backend == "remote":
        _fail(f"{name} is a remote endpoint: modelpick does not stop it (modelpick endpoint rm {name})")
    _stop_one(sup, name, grace)


def _stop_one(sup: Any, name: str, grace: float) -> None:
    server = sup.stop(name, grace=grace)
    if server.error and "survived" in server.error:
        _fail(f"{name}: {server.error}")
    _say(f"stopped {escape(name)}" + (f" (port {server.port} free)" if server.port else ""))


@main.group()
def endpoint() -> None:
    """Remote OpenAI-compatible endpoints (checked, never started or stopped by modelpick)."""


@endpoint.command("add")
@click.argument("name")
@click.argument("base_url")
@click.argument("model")
@click.option("--key", envvar="MODELPICK_ENDPOINT_KEY", help="API key (or MODELPICK_ENDPOINT_KEY).")
@click.pass_context
def endpoint_add(ctx: click.Context, name: str, base_url: str, model: str, key: str | None) -> None:
    """Attach to an endpoint: BASE_URL (e.g. http://gpu-host:8000) must list MODEL at /v1/models."""
    from .serving.spec import ServingError

    sup = _services(ctx).servers
    if any(r["name"] == name for r in sup.records()):
        _fail(f"the name {name!r} is taken (modelpick servers --all)")
    try:
        server = sup.add_remote(name, base_url, model, api_key=key)
    except ServingError as exc:
        _fail(str(exc))
    if server.status != "ready":
        with contextlib.suppress(ServingError):
            sup.remove(name)
        _fail(server.error or "the endpoint did not answer")
    _say(f"added {escape(name)}: {escape(server.base_url)} serves {escape(model)}")


@endpoint.command("rm")
@click.argument("name")
@click.pass_context
def endpoint_rm(ctx: click.Context, name: str) -> None:
    """Forget a remote endpoint (and its key)."""
    sup = _services(ctx).servers
    row = next((r for r in sup.records() if r["name"] == name), None)
    if row is None or row.get("kind") != "remote":
        _fail(f"no remote endpoint named {name!r}")
    sup.remove(name)
    _say(f"removed {escape(name)}")


# The evals commands live in their own modules (one per area); they use the helpers above.
def _register_evals_commands() -> None:
    from . import cli_failures, cli_report, cli_review, cli_run

    for module in (cli_run, cli_review, cli_failures, cli_report):
        module.register(main)


_register_evals_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
