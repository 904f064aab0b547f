"""`modelpick servers`, `stop` and `endpoint`: the servers that run, and the remote endpoints."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import click

from ..clock import seconds_since
from .output import api_key_option, echo_json, escape, fail, print_table, say, services_from


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"



def _measured(supervisor: Any, row: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Any]]:
    """The engine's latest report for a server and its figures beside the fit estimate ([] without one)."""
    from ..serving.engine_report import EngineReport
    from ..serving.estimate_inputs import for_report

    reports = supervisor.registry.reports(server=row["name"])[:1]
    if not reports or row.get("kind") == "remote":
        return None, []
    report = EngineReport.from_row(reports[0])
    return reports[0], for_report(row.get("kind") or "", row.get("model") or "", report)


def _server_rows(supervisor: Any) -> list[dict[str, Any]]:
    from ..serving.supervisor import LIVE, MemoryUse, group_memory, group_rss

    now = datetime.now(UTC)
    out = []
    for row in supervisor.records():
        live = row.get("status") in LIVE and row.get("kind") != "remote"
        since = seconds_since(row.get("started_at"), now) if live else None
        uptime = round(since, 1) if since is not None else None
        use = group_memory(row.get("pgid")) if live else MemoryUse("rss", 0)
        report, figures = _measured(supervisor, row)
        out.append({
            "name": row["name"], "backend": row.get("kind"), "model": row.get("model"),
            "served_model": row.get("served_model"), "url": row.get("base_url"), "port": row.get("port"),
            "status": row.get("status"), "detached": bool(row.get("detached")), "pid": row.get("pid"),
            "started_at": row.get("started_at"), "uptime_s": uptime, "time_to_ready_s": row.get("time_to_ready_s"),
            "rss_bytes": group_rss(row.get("pgid")) if live else None, "error": row.get("error"),
            # GPU memory (NVML) where the group holds any, else RSS: "GPU 3.1 GiB" / "RSS 957 MiB".
            "memory": str(use) or None, "memory_kind": use.kind if live else None,
            "memory_bytes": use.bytes if live else None,
            # What the engine reported at load (serving/engine_report.py) and each part beside the fit estimate.
            "engine_report": report, "measured_vs_estimated": [f.to_dict() for f in figures],
            "_figures": figures,
        })
    return out


@click.command("servers")
@click.option("--all", "show_all", is_flag=True, help="Include stopped servers.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout, for scripts (no keys).")
@click.pass_context
def servers_cmd(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List model servers and remote endpoints (stale records are cleaned first)."""
    from rich.table import Table

    supervisor = services_from(ctx).supervisor
    supervisor.reattach()
    rows = [r for r in _server_rows(supervisor) if show_all or r["status"] != "stopped"]
    if as_json:
        for r in rows:
            echo_json({k: v for k, v in r.items() if k != "_figures"})
        return
    if not rows:
        say("no servers (start one with: modelpick serve llama MODEL.gguf)")
        return
    table = Table(title=f"servers ({len(rows)})", title_justify="left")
    for col, justify in (("name", "left"), ("backend", "left"), ("model", "left"), ("url", "left"),
                         ("status", "left"), ("uptime", "right"), ("ready in", "right"), ("memory", "right"),
                         ("engine (vs est.)", "right")):
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
                      r["memory"] or "", _headline(r["_figures"]))
    print_table(table)
    from ..serving.measured import line

    for r in rows:
        if r["_figures"]:
            say(f"{escape(r['name'])}: engine, measured / estimated: {escape(line(r['_figures']))}")


def _headline(figures: list[Any]) -> str:
    """The engine's total (llama.cpp) or KV tokens (vLLM) with the estimate's error: "237 MiB (+2.0%)"."""
    from ..serving.measured import format_error, format_value, headline

    top = headline(figures)
    if top is None:
        return ""
    err = format_error(top.error_pct)
    return format_value(top.measured, top.unit) + (f" ({err})" if err else "")



@click.command("stop")
@click.argument("name", required=False)
@click.option("--all", "stop_all", is_flag=True, help="Stop every server this machine's modelpick started detached.")
@click.option("--grace", type=click.FloatRange(0, 600), default=10.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL.")
@click.pass_context
def stop_cmd(ctx: click.Context, name: str | None, stop_all: bool, grace: float) -> None:
    """Stop a server (or all of them): its whole process group, until its port is free."""
    from ..serving.spec import ServingError
    from ..serving.supervisor import LIVE

    if bool(name) == stop_all:
        raise click.UsageError("give a server NAME or --all")
    supervisor = services_from(ctx).supervisor
    supervisor.reattach()
    if stop_all:
        names = [s.name for s in supervisor.servers() if s.backend != "remote" and s.status in LIVE]
        others = [r for r in supervisor.records() if r.get("kind") != "remote" and r.get("status") in LIVE
                  and r["name"] not in names]
        if not names and not others:
            say("no servers running")
        for n in names:
            _stop_one(supervisor, n, grace)
        for r in others:  # a TUI's own servers: they end with it
            say(f"left {escape(r['name'])}: it belongs to another modelpick that is still running "
                 f"(pid {r.get('pid')})", err=True)
        return
    assert name is not None
    try:
        server = supervisor.get(name)
    except ServingError:
        row = next((r for r in supervisor.records() if r["name"] == name), None)
        if row is None:
            fail(f"no server or endpoint named {name!r}")
        elif row.get("kind") == "remote":
            fail(f"{name} is a remote endpoint: modelpick does not stop it (modelpick endpoint rm {name})")
        elif row.get("status") in LIVE:
            fail(f"{name} belongs to another modelpick that is still running (pid {row.get('pid')}): stop it there")
        else:
            fail(f"{name} is not running ({row.get('status')})")
        return
    if server.backend == "remote":
        fail(f"{name} is a remote endpoint: modelpick does not stop it (modelpick endpoint rm {name})")
    _stop_one(supervisor, name, grace)


def _stop_one(supervisor: Any, name: str, grace: float) -> None:
    server = supervisor.stop(name, grace=grace)
    if server.error and "survived" in server.error:
        fail(f"{name}: {server.error}")
    say(f"stopped {escape(name)}" + (f" (port {server.port} free)" if server.port else ""))


@click.group()
def endpoint() -> None:
    """Remote OpenAI-compatible endpoints (checked, never started or stopped by modelpick)."""


@endpoint.command("add")
@click.argument("name", required=False)
@click.argument("base_url", required=False)
@click.argument("model", required=False)
@click.option("--model", "model_opt", help="The model to use, where the server lists several at /v1/models.")
@click.option("--openrouter", "openrouter", metavar="MODEL",
              help="Attach an OpenRouter model (e.g. qwen/qwen3-8b) with the key from OPENROUTER_API_KEY.")
@click.option("--ollama", "ollama", metavar="MODEL", help="Attach a model of the local Ollama (OLLAMA_HOST).")
@api_key_option("--key", what="API key (kept in the 0600 key file, never in the database).")
@click.pass_context
def endpoint_add(ctx: click.Context, name: str | None, base_url: str | None, model: str | None,
                 model_opt: str | None, openrouter: str | None, ollama: str | None, key: str | None) -> None:
    """Attach to an endpoint: BASE_URL (e.g. http://gpu-host:8000) must list MODEL at /v1/models; without
    MODEL, the one model it lists (several: pick one with --model). --openrouter MODEL or --ollama MODEL
    attach those without a URL (NAME optional)."""
    from ..serving.attach import ADDERS
    from ..serving.spec import ServingError

    services = services_from(ctx)
    supervisor = services.supervisor
    if model and model_opt and model != model_opt:
        fail(f"two models given ({model!r} and --model {model_opt!r}): give one")
    model = model or model_opt
    try:
        if openrouter or ollama:
            if openrouter and ollama:
                fail("give --openrouter or --ollama, not both")
            if base_url:
                fail("--openrouter and --ollama take no URL: give only a NAME, or none")
            kind, wanted = ("openrouter", openrouter) if openrouter else ("ollama", ollama)
            request = ADDERS[kind](services.settings, wanted or "", name)
        else:
            if not name or not base_url:
                fail("give NAME and BASE_URL (or --openrouter MODEL / --ollama MODEL)")
            from ..serving.attach import RemoteRequest

            request = RemoteRequest(name, base_url, model, key)
        if any(r["name"] == request.name for r in supervisor.records()):
            fail(f"the name {request.name!r} is taken (modelpick servers --all)")
        if not request.model:
            request = request.pick_from(supervisor.remote_models(request.base_url, request.api_key,
                                                                 request.headers_dict))
        server = supervisor.add_remote(request.name, request.base_url, request.model or "", api_key=request.api_key,
                                       api_key_env=request.api_key_env, headers=request.headers_dict)
    except ServingError as exc:
        fail(str(exc))
    if server.status != "ready":
        with contextlib.suppress(ServingError):
            supervisor.remove(request.name)
        fail(server.error or "the endpoint did not answer")
    say(f"added {escape(request.name)}: {escape(server.base_url)} serves {escape(request.model or '')}")


@endpoint.command("rm")
@click.argument("name")
@click.pass_context
def endpoint_rm(ctx: click.Context, name: str) -> None:
    """Forget a remote endpoint (and its key)."""
    supervisor = services_from(ctx).supervisor
    row = next((r for r in supervisor.records() if r["name"] == name), None)
    if row is None or row.get("kind") != "remote":
        fail(f"no remote endpoint named {name!r}")
    supervisor.remove(name)
    say(f"removed {escape(name)}")
