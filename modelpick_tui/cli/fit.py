"""`modelpick fit MODEL`: the card's fit table for scripts: memory per quant and context, the verdict, the decode
speed estimate and, on several GPUs, the tensor (× pipeline) parallel plan."""

from __future__ import annotations

from typing import Any

import click

from .output import echo_json, escape, fail, print_table, say, services_from


def _row_json(r: Any) -> dict[str, Any]:
    plan, off = r.parallel, r.experts_in_ram
    return {
        "context": r.context, "weights_bytes": r.weights_bytes, "kv_bytes": r.kv_bytes,
        "overhead_bytes": r.overhead_bytes, "total_bytes": r.total_bytes, "verdict": r.verdict,
        "beyond_max_context": r.beyond_max_context,
        "decode_tokens_per_s_estimate": round(r.tokens_per_s, 2) if r.tokens_per_s is not None else None,
        "tensor_parallel_size": plan.tensor_parallel if plan else None,
        "pipeline_parallel_size": plan.pipeline_parallel if plan else None,
        "nodes": plan.nodes if plan else None,
        "per_gpu_bytes": plan.per_gpu_bytes if plan else None,
        "plan": plan.line if plan else None,
        # A GGUF mixture of experts on a GPU: routed experts in system RAM (llama.cpp --cpu-moe; an estimate).
        "experts_in_ram": {"gpu_bytes": off.gpu_bytes, "ram_bytes": off.ram_bytes, "verdict": off.verdict}
        if off else None,
    }


def _memory_json(mem: Any) -> dict[str, Any]:
    return {"kind": mem.kind, "name": mem.name, "total_bytes": mem.total_bytes,
            "available_bytes": mem.available_bytes, "device_count": mem.device_count, "nodes": mem.nodes,
            "per_device_bytes": mem.per_device_bytes if mem.kind == "gpu" else None,
            "bandwidth_bytes_per_s": mem.bandwidth_bytes_per_s, "bandwidth_source": mem.bandwidth_source}


@click.command("fit")
@click.argument("model")
@click.option("--memory", "memory_spec", metavar="SPEC",
              help="Plan for this memory instead of the one found: 24GB, 4x80GB (GPUs), 2x8x80GB (nodes x GPUs), "
                   "optionally @GPU for its bandwidth (4x80GB@H100 SXM). Default: MODELPICK_MEMORY, else NVML/RAM.")
@click.option("--ctx", "contexts", type=click.IntRange(16, 10_000_000), multiple=True,
              help="Context length in tokens (repeatable; default 4k, 8k, 32k, 128k).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout, for scripts.")
@click.pass_context
def fit_cmd(ctx: click.Context, model: str, memory_spec: str | None, contexts: tuple[int, ...],
            as_json: bool) -> None:
    """Does MODEL fit, at what context, how fast (an estimate), on how many GPUs: from the local catalogue."""
    from ..catalog.fit.estimate import DEFAULT_CONTEXTS
    from ..catalog.fit.memory import memory_from_spec
    from ..catalog.fit.quants import quant_fits
    from ..catalog.fit.speed import speed_basis

    services = services_from(ctx)
    catalog = services.catalog
    catalog.ensure_loaded()
    row = catalog.store.get(model)
    if row is None:
        fail(f"{model} is not in the catalogue (modelpick catalog search finds models; catalog sync fetches them)")
    try:
        memory = memory_from_spec(memory_spec) if memory_spec else catalog.memory(with_speed=True)
    except ValueError as exc:
        fail(str(exc))
    fits = quant_fits(row, catalog.arch_for(row), memory, contexts=tuple(sorted(set(contexts))) or DEFAULT_CONTEXTS)
    basis = speed_basis(memory.bandwidth_bytes_per_s, memory.bandwidth_source)
    if as_json:
        echo_json({"model": row["id"], "memory": _memory_json(memory), "speed_basis": basis, "quants": [
            {"quant": q.label, "file": q.filename, "weights_bytes": q.estimate.rows[0].weights_bytes
             if q.estimate.rows else None, "weights_only": q.estimate.weights_only, "notes": q.estimate.notes,
             "rows": [_row_json(r) for r in q.estimate.rows]} for q in fits]})
        return
    if not fits:
        fail(f"{model}: no size known, cannot estimate memory")
    _print(row["id"], memory, fits, basis)


def _print(model_id: str, memory: Any, fits: list[Any], basis: str) -> None:
    from rich.table import Table

    from ..catalog.fit.memory import format_bytes

    say(f"[bold]{escape(model_id)}[/] against {escape(memory.name)}: {format_bytes(memory.budget_bytes)}")
    table = Table(show_edge=False, box=None, padding=(0, 1))
    rows = [r for q in fits for r in q.estimate.rows]
    columns = [("quant", "left"), ("context", "right"), ("weights", "right"), ("KV", "right"), ("total", "right"),
               ("verdict", "left"), ("~tok/s", "right")]
    plans, offloads = any(r.parallel for r in rows), any(r.experts_in_ram for r in rows)
    columns += [("GPUs", "left")] * plans + [("experts in RAM", "left")] * offloads
    for col, justify in columns:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for q in fits:
        for r in q.estimate.rows:
            speed = f"{r.tokens_per_s:.1f}" if r.tokens_per_s is not None else "?"
            off = r.experts_in_ram
            offload = (f"GPU {format_bytes(off.gpu_bytes)} + RAM {format_bytes(off.ram_bytes)}: {off.verdict}"
                       if off else "")
            cells = [escape(q.label), f"{r.context:,}", format_bytes(r.weights_bytes), format_bytes(r.kv_bytes),
                     format_bytes(r.total_bytes), r.verdict + ("*" if r.beyond_max_context else ""), speed]
            cells += [escape(r.parallel.line) if r.parallel else ""] * plans + [offload] * offloads
            table.add_row(*cells)
    print_table(table)
    say(f"[dim]{escape(basis)}[/]")
    notes = sorted({n for q in fits for n in q.estimate.notes})
    for note in notes:
        say(f"[dim]{escape(note)}[/]")
