"""Renderables for the card screen: facts, evals, checklist, fit table. Every Hub-supplied value is
wrapped with `safe()`: markup is never parsed and control sequences are made visible."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ...catalog.counts import PARAMS_SOURCES
from ...catalog.details import ModelDetails
from ...catalog.facts import classify_license
from ...catalog.fit.memory import format_bytes
from ...catalog.origin import publisher
from ...catalog.units import format_params, format_params_with_active
from ..format import compact, safe

VERDICT_STYLE = {"fits": "green", "tight": "yellow", "does not fit": "red"}
TIER_RANGES = {"low": "< 32B", "medium": "32B to < 300B", "high": "≥ 300B"}
VERDICT_SHORT = {"fits": "fits", "tight": "tight", "does not fit": "no"}


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f}G" if n >= 2**30 else f"{n / 2**20:.0f}M"


def _join(values: list[str] | None, limit: int = 6) -> str:
    values = [v for v in (values or []) if v]
    if not values:
        return "—"
    more = f" (+{len(values) - limit})" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def facts_table(d: ModelDetails) -> Table:
    m: dict[str, Any] = d.model
    card = d.card
    lic = classify_license(m.get("license") or (card.license if card else None))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    lic_text = safe(lic.label)
    family = {"community": "community licence: read its terms", "unknown": "no licence declared",
              "non-commercial": "non-commercial: not for production"}.get(lic.family, lic.family)
    lic_text.append(f"  ({family})",
                    style="green" if lic.permissive else ("red" if lic.family in ("unknown", "non-commercial")
                                                            else "yellow"))
    rows: list[tuple[str, Text]] = [
        ("licence", lic_text),
        ("parameters", params_text(m)),
        ("context", Text(f"{m['context_length']:,} tokens" if m.get("context_length") else "unknown")),
        ("architecture", safe(m.get("architecture") or "unknown")),
        ("task", safe(m.get("task") or "—")),
        ("formats", safe(", ".join(m.get("formats") or []) or "—")),
        ("languages", safe(_join(m.get("languages") or (card.languages if card else [])))),
        ("base model", safe(_join([m.get("base_model") or ""] if m.get("base_model")
                                  else (card.base_models if card else [])))),
        *origin_rows(d),
        ("datasets", safe(_join(card.datasets if card else []))),
        ("gated", Text(f"yes ({m['gated']}) — needs HF_TOKEN" if m.get("gated") else "no",
                       style="yellow" if m.get("gated") else "")),
        ("downloads", Text(f"{compact(m.get('downloads'))}  ·  likes {compact(m.get('likes'))}")),
        ("last modified", Text((m.get("last_modified") or "—")[:10])),
        ("revision", safe((m.get("sha") or "—")[:12])),
    ]
    if d.sources:
        rows.append(("sources", safe("  ·  ".join(f"{s['source']} {s['id']}" for s in d.sources))))
    if d.hosted:
        rows.append(("hosted", hosted_text(d.hosted)))
    if d.shortlisted:
        rows.append(("shortlist", safe(d.shortlist_note or "(no note)", style="cyan")))
    for key, value in rows:
        table.add_row(key, value)
    return table


def params_text(m: dict[str, Any]) -> Text:
    """'20.9B (3.6B active)  (15-40B)', then where the count comes from: a quantised checkpoint's count decoded from
    its stored dtypes names its format; one that could not be decoded says it is the Hub's raw figure."""
    text = Text(format_params_with_active(m.get("params"), m.get("params_active"))
                + f"  ({m.get('size_class') or 'unknown'})")
    source = m.get("params_source") or ""
    if source in PARAMS_SOURCES and source != "hub":  # the Hub's own count of an unquantised model needs no note
        note = PARAMS_SOURCES[source] + (f", {m['native_format']}" if m.get("native_format") else "")
        text.append(f"\n{note}", style="yellow" if source == "hub-raw" else "dim")
    return text


def _usd(per_token: float | None) -> str:
    return "?" if per_token is None else f"${per_token * 1_000_000:.3f}".rstrip("0").rstrip(".")


def hosted_text(hosted: list[dict[str, Any]], shown: int = 4) -> Text:
    """Where the model is served behind an API: "openrouter qwen/qwen3-8b $0.035/M in, $0.138/M out", cheapest
    first."""
    parts = [f"{h['provider']} {h['id']} {_usd(h['prompt_price'])}/M in, {_usd(h['completion_price'])}/M out"
             for h in hosted[:shown]]
    more = f"  (+{len(hosted) - shown})" if len(hosted) > shown else ""
    return safe("  ·  ".join(parts) + more)


def origin_rows(d: ModelDetails) -> list[tuple[str, Text]]:
    """Where the model comes from (its publisher's country, and its base model's when another organisation
    published that) and its tier, as card rows: "US · en.wikipedia.org/wiki/Google · not verified online", the
    source the entry was written from and how it was checked (`modelpick origin list` has them all)."""
    o = d.origin
    if o is None:
        return []

    def said(country: str, name: str, entry: Any, named: bool) -> Text:
        text = safe(country, style="bold" if country != "unknown" else "dim")
        if entry is None:
            text.append_text(safe(f" — {name or 'no organisation'}: not in the origin table", style="dim"))
        else:  # the publisher's own row needs no name (the card's title has it); the base model's does
            text.append_text(safe(f" — {name} · " if named else " · ", style="dim"))
            text.append_text(safe(entry.provenance(), style="cyan" if entry.by == "user" else "dim"))
        return text

    rows = [("origin", said(o.country, o.publisher, o.entry, named=False))]
    if o.base_model and publisher(o.base_model).lower() != o.publisher.lower():
        rows.append(("base origin", said(o.base_country or "unknown", o.base_model, o.base_entry, named=True)))
    tier = d.model.get("tier") or "unknown"
    rows.append(("tier", Text(f"{tier}  ({TIER_RANGES.get(tier, 'no parameter count')}, total parameters)")))
    return rows


def evals_table(d: ModelDetails) -> Table | Text:
    if d.card is None or not d.card.eval_results:
        return Text("no eval results in the card (model-index)", style="dim")
    table = Table(title="eval results (model-index, as reported by the author)", title_justify="left",
                  expand=False, show_edge=False)
    for col in ("dataset", "metric", "value", "task"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for row in d.card.eval_results[:40]:
        value = f"{row.value:.2f}".rstrip("0").rstrip(".") if isinstance(row.value, float) else str(row.value)
        table.add_row(safe(row.dataset), safe(row.metric), safe(value), safe(row.task or ""))
    return table


def checklist(d: ModelDetails) -> Text:
    if d.card is None:
        return Text("no model card available (offline and not cached, or the repo has none)", style="red")
    present, total = d.card.quality()
    text = Text(f"card quality {present}/{total}: ", style="bold")
    for item, ok in d.card.checklist.items():
        text.append("✓ " if ok else "✗ ", style="green" if ok else "red")
        text.append(item + ("" if ok else " missing") + "   ")
    return text


def _rate(tokens_per_s: float | None) -> str:
    if tokens_per_s is None:
        return "?"
    return f"{tokens_per_s:.0f}" if tokens_per_s >= 10 else f"{tokens_per_s:.1f}"


def fit_table(d: ModelDetails) -> Group | Text:
    from ...catalog.fit.speed import speed_basis

    if not d.fits:
        return Text("no size known: cannot estimate memory", style="dim")
    mem = d.memory
    first = d.fits[0].estimate
    contexts = [r.context for r in first.rows]
    speeds = any(q.estimate.rows and q.estimate.rows[0].tokens_per_s is not None for q in d.fits)
    table = Table(title_justify="left", show_edge=False, expand=False, box=None, padding=(0, 1))
    table.add_column("quant", no_wrap=True)
    table.add_column("weights", justify="right", no_wrap=True)
    for c in contexts:
        table.add_column(f"{c // 1024}k ctx", justify="right", no_wrap=True)
    if speeds:
        table.add_column(f"~tok/s {contexts[0] // 1024}k", justify="right", no_wrap=True)
    for q in d.fits[:14]:
        cells: list[Text] = [safe(q.label), Text(_gib(q.estimate.rows[0].weights_bytes))]
        for r in q.estimate.rows:
            cell = Text(_gib(r.total_bytes) + " ")
            cell.append(VERDICT_SHORT.get(r.verdict, r.verdict), style=VERDICT_STYLE.get(r.verdict, ""))
            if r.beyond_max_context:
                cell.append("*", style="dim")
            cells.append(cell)
        if speeds:
            cells.append(Text(_rate(q.estimate.rows[0].tokens_per_s) if q.estimate.rows else "?", style="cyan"))
        table.add_row(*cells)
    head = Text(f"fit against {mem.name}: {format_bytes(mem.available_bytes)} available "
                f"of {format_bytes(mem.total_bytes)}", style="bold")
    notes = []
    if first.weights_only:
        notes.append("weights only — architecture unknown, KV cache not counted")
    else:
        notes.append("weights + KV cache (fp16) + runtime overhead; no = does not fit")
    if any(r.beyond_max_context for q in d.fits for r in q.estimate.rows):
        notes.append("* beyond the model's maximum context")
    stored = d.fits[0]
    if stored.stored and stored.size:
        files = "file" if stored.stored == 1 else "files"
        notes.insert(0, f"{stored.label}: the repo's {stored.stored} weight {files} as stored "
                        f"({stored.size / 1e9:.1f} GB); other rows: {format_params(d.model.get('params'))} "
                        "parameters at that width")
    parts: list[Table | Text] = [head, table, *_parallel_lines(d), *_experts_lines(d),
                                 Text(" · ".join(notes), style="dim")]
    if speeds or mem.kind == "gpu":
        parts.append(Text(speed_basis(mem.bandwidth_bytes_per_s, mem.bandwidth_source), style="dim"))
    return Group(*parts)


def _parallel_lines(d: ModelDetails) -> list[Text]:
    """Several GPUs: the smallest tensor (× pipeline) parallel plan per context, for the first dtype vLLM would
    run (GGUF quants run on llama.cpp, which splits layers and has no plan)."""
    q = next((q for q in d.fits if any(r.parallel for r in q.estimate.rows)), None)
    if q is None:
        return []
    mem = d.memory
    where = f"{mem.nodes} nodes × {mem.gpus_per_node} GPUs" if mem.nodes > 1 else f"{mem.device_count} GPUs"
    line = Text(f"vLLM on {where}, {q.label}: ")
    for i, r in enumerate(r for r in q.estimate.rows if r.parallel):
        assert r.parallel is not None
        if i:
            line.append(" · ")
        line.append(f"{r.context // 1024}k {r.parallel.short} ")
        line.append(VERDICT_SHORT.get(r.verdict, r.verdict), style=VERDICT_STYLE.get(r.verdict, ""))
    return [line]


def _experts_lines(d: ModelDetails) -> list[Text]:
    """A GGUF mixture of experts that a GPU cannot hold whole: the quants that would fit with their routed experts in
    system RAM (llama.cpp's own --cpu-moe; an estimate: llama-cpp-python's server has no such option)."""
    found: list[tuple[str, Any]] = []
    for q in d.fits:
        row = next((r for r in q.estimate.rows if r.experts_in_ram and r.verdict == "does not fit"
                    and r.experts_in_ram.verdict != "does not fit"), None)
        if row is not None:
            found.append((q.label, row))
    if not found:
        return []
    line = Text("experts in system RAM (llama.cpp --cpu-moe, estimate; not in llama-cpp-python's server): ")
    for i, (label, r) in enumerate(found[-3:]):  # the largest quants that would fit that way
        off = r.experts_in_ram
        if i:
            line.append(" · ")
        line.append(f"{label} {r.context // 1024}k GPU {_gib(off.gpu_bytes)} + RAM {_gib(off.ram_bytes)} ")
        line.append(VERDICT_SHORT.get(off.verdict, off.verdict), style=VERDICT_STYLE.get(off.verdict, ""))
    return [line]


def files_table(d: ModelDetails) -> Table | Text:
    """The GGUF files, one per quant (split files as one, sized by all their parts)."""
    files = [q for q in d.fits if q.filename]
    if not files:
        return Text("")
    table = Table(title="GGUF files", title_justify="left", show_edge=False, box=None, padding=(0, 1))
    table.add_column("file", overflow="ellipsis", no_wrap=True, max_width=58)
    table.add_column("quant", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    for q in files[:30]:
        name = q.filename or ""
        if name.startswith("/"):  # a scanned local file: the end of the path is what tells it apart
            name = "…/" + "/".join(name.split("/")[-2:])
        table.add_row(safe(name), safe(q.label), Text(format_bytes(q.size) if q.size else "?"))
    return table
