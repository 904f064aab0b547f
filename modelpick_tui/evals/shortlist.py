"""The shortlist side by side: candidates as columns, facts as rows, the best value per row marked.

One table for the shortlist screen and `modelpick shortlist --compare [--json]`: licence, gated, parameters
(total / active), context, card quality, community signals, fit at the user's context on this hardware, the
engine's measured memory beside the estimate, decode speed measured in runs beside the estimate, and the
card's model-index results aligned by benchmark (one row per dataset and metric; a card that does not report
one has an empty cell there, never a zero).

Card values (licences, dataset and metric names, values written as text) are untrusted: they stay plain
strings here, and the screen and the CLI print them as text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from statistics import median
from typing import TYPE_CHECKING, Any

from ..catalog.card_checklist import CHECKLIST_ITEMS
from ..catalog.facts import CardFacts, EvalRow, classify_license
from ..catalog.fit.estimate import FitRow
from ..catalog.fit.memory import Memory, format_bytes
from ..catalog.fit.quants import QuantFit, quant_fits
from ..catalog.units import format_params
from ..serving.engine_report import EngineReport
from ..serving.estimate_inputs import for_report
from ..serving.measured import format_error, format_value, headline
from .provenance import provenance
from .shortlist_table import DEFAULT_CONTEXT, Better, Candidate, Cell, FactRow, Measurement, SideBySide, mark_best

if TYPE_CHECKING:
    from ..catalog.service import CatalogService
    from ..serving.registry import Registry
    from .stores.traces import TraceStore

FIT_RANK = {"fits": 2, "tight": 1, "does not fit": 0}
# Metrics where less is better; every other benchmark figure (accuracy, pass@1, F1, BLEU…) is higher-better.
_LOWER_BETTER = re.compile(r"perplexity|\bppl\b|loss|\bwer\b|\bcer\b|error|\bmae\b|\bmse\b|rmse|bits per", re.I)


# --- benchmarks --------------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _number(value: float | str) -> float | None:
    if isinstance(value, float | int):
        return float(value)
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%?\s*", value)
    return float(m.group(1)) if m else None


def format_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def benchmark_rows(evals: list[list[EvalRow]]) -> list[FactRow]:
    """One row per (dataset, metric) any candidate reports, in order of first appearance; a candidate that does
    not report it gets an empty cell. A card reporting the same pair twice (two splits) keeps the first."""
    order: list[tuple[str, str]] = []
    labels: dict[tuple[str, str], str] = {}
    by_key: dict[tuple[str, str], dict[int, EvalRow]] = defaultdict(dict)
    for i, rows in enumerate(evals):
        for ev in rows:
            key = (_norm(ev.dataset), _norm(ev.metric))
            if key not in labels:
                order.append(key)
                labels[key] = f"{ev.dataset} · {ev.metric}"
            by_key[key].setdefault(i, ev)
    out = []
    for key in order:
        cells = []
        for i in range(len(evals)):
            r = by_key[key].get(i)
            if r is None:
                cells.append(Cell())
                continue
            num = _number(r.value)
            cells.append(Cell(format_number(num) if num is not None else str(r.value), num))
        better: Better = "low" if _LOWER_BETTER.search(key[1]) else "high"
        out.append(mark_best(FactRow(f"bench:{key[0]}|{key[1]}", labels[key], cells, better, "benchmarks")))
    return out


# --- fit, speed, measurements ------------------------------------------------------------------------------------


def fit_at(fits: list[QuantFit], context: int) -> tuple[str, FitRow] | None:
    """(quant, its fit row) at `context`: the largest quant that fits, else the smallest one."""
    rows = [(q.label, r) for q in fits for r in q.estimate.rows if r.context == context]
    if not rows:
        return None
    fitting = [x for x in rows if x[1].verdict == "fits"]
    return max(fitting, key=lambda x: x[1].weights_bytes) if fitting else min(rows, key=lambda x: x[1].total_bytes)


def _catalog_id(catalog: CatalogService, model: str, model_ref: str | None, cache: dict[Any, str | None]) -> str | None:
    key = (model, model_ref)
    if key not in cache:
        # A GGUF path as scanned first (provenance resolves symlinks, which a scanned path may go through).
        local = catalog.store.local_file(model_ref) if model_ref else None
        cache[key] = local["model_id"] if local else provenance(catalog.store, model, model_ref, pin=False).catalog_id
    return cache[key]


def measured_speeds(catalog: CatalogService, traces: TraceStore) -> dict[str, tuple[float, int]]:
    """Catalogue model → (median decode tokens/s of its answers on this machine, answers counted)."""
    rows, _ = traces.scoreboard_rows()
    rates: dict[str, list[float]] = defaultdict(list)
    cache: dict[Any, str | None] = {}
    for r in rows:
        if r["error"] or r["tokens_per_s"] is None:
            continue
        model_id = _catalog_id(catalog, r["model"] or "", r["model_ref"], cache)
        if model_id:
            rates[model_id].append(float(r["tokens_per_s"]))
    return {m: (median(v), len(v)) for m, v in rates.items()}


def measurements(catalog: CatalogService, registry: Registry, model_id: str | None = None,
                 ) -> dict[str, list[Measurement]]:
    """Catalogue model → its engines' latest reports (per server) beside the fit estimate, newest first."""
    out: dict[str, list[Measurement]] = defaultdict(list)
    cache: dict[Any, str | None] = {}
    for row in registry.reports():
        found = _catalog_id(catalog, "", row["model_ref"], cache)
        if found is None or (model_id is not None and found != model_id):
            continue
        report = EngineReport.from_row(row)
        process = ""
        if row.get("process_memory_bytes"):
            kind = "GPU" if row.get("process_memory_kind") == "gpu" else "RSS"
            process = f"{kind} {format_bytes(row['process_memory_bytes'])}"
        out[found].append(Measurement(
            row["server"], row["backend"], row["model_ref"], report.quant, report.context, row["measured_at"],
            process, for_report(row["backend"], row["model_ref"], report)))
    return dict(out)


# --- the table ---------------------------------------------------------------------------------------------------


def side_by_side(catalog: CatalogService, traces: TraceStore, registry: Registry,
                 context: int = DEFAULT_CONTEXT) -> SideBySide:
    """The shortlist as columns, the facts as rows, at `context` tokens on this machine's memory."""
    from ..catalog.card import parse_card

    memory = catalog.memory(with_speed=True)  # the speed row sets the estimate beside what runs measured
    shortlist = catalog.shortlist()
    speeds = measured_speeds(catalog, traces)
    measured = measurements(catalog, registry)
    candidates: list[Candidate] = []
    columns: list[dict[str, Any]] = []
    cards: list[CardFacts | None] = []
    for s in shortlist:
        model_id = s["model_id"]
        row = catalog.store.get(model_id)
        cached = catalog.store.card(model_id) if row is not None else None
        card = parse_card(cached["text"]) if cached and cached.get("text") else None
        cards.append(card)
        candidates.append(Candidate(model_id, s["note"] or "", row is not None))
        columns.append(_column(catalog, row or {}, card, memory, context, speeds.get(model_id),
                               measured.get(model_id, [])))
    for cand, col in zip(candidates, columns, strict=True):
        cand.facts = col["json"]
    rows = [mark_best(FactRow(key, label, [col["cells"][key] for col in columns], better))
            for key, label, better in FACT_ROWS]
    rows += benchmark_rows([c.eval_results if c is not None else [] for c in cards])
    return SideBySide(candidates, rows, context, memory.name)


FACT_ROWS: tuple[tuple[str, str, Better], ...] = (
    ("licence", "licence", "high"),
    ("gated", "gated", "low"),
    ("params", "parameters (total / active)", None),
    ("context", "context", "high"),
    ("card_quality", "card quality", "high"),
    ("downloads", "downloads", "high"),
    ("likes", "likes", "high"),
    ("last_modified", "last modified", "high"),
    ("fit", "fit", "high"),
    ("memory", "memory: engine / estimate", None),
    ("speed", "decode tok/s: measured / est.", "high"),
)


def _date_value(date: str) -> float | None:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", date)
    return float(f"{m.group(1)}{m.group(2)}{m.group(3)}") if m else None


def _column(catalog: CatalogService, row: dict[str, Any], card: CardFacts | None, memory: Memory, context: int,
            speed: tuple[float, int] | None, measured: list[Measurement]) -> dict[str, Any]:
    """One candidate's cells (by FACT_ROWS key) and its JSON facts."""
    from ..catalog.fit.arch import Arch

    cells: dict[str, Cell] = {}
    lic = classify_license(row.get("license") or (card.license if card else None))
    cells["licence"] = Cell(f"{lic.label} ({'permissive' if lic.permissive else lic.family})",
                            1.0 if lic.permissive else 0.0)
    gated = row.get("gated") or ""
    cells["gated"] = Cell(f"yes ({gated})" if gated else "no", 1.0 if gated else 0.0)
    arch: Arch | None = catalog.arch_for(row) if row else None
    total = row.get("params")
    # The catalogue's active count (a dense model's is its total), else the config's.
    active = row.get("params_active") or (arch.params.active if arch is not None and arch.params is not None
                                          else None)
    cells["params"] = Cell(f"{format_params(total)} / {format_params(active) if active else '—'}",
                           float(total) if total else None)
    ctx = row.get("context_length")
    cells["context"] = Cell(f"{ctx:,}" if ctx else "", float(ctx) if ctx else None)
    if card is not None:
        present, of = card.quality()
        missing = [item for item in CHECKLIST_ITEMS if not card.checklist.get(item)]
        text = f"{present}/{of}" + (f" (no {', '.join(missing)})" if missing else "")
        cells["card_quality"] = Cell(text, float(present))
    else:
        present, of, missing = 0, len(CHECKLIST_ITEMS), list(CHECKLIST_ITEMS)
        cells["card_quality"] = Cell("no card")
    for key in ("downloads", "likes"):
        value = row.get(key)
        cells[key] = Cell(f"{value:,}" if value is not None else "", float(value) if value is not None else None)
    modified = (row.get("last_modified") or "")[:10]
    cells["last_modified"] = Cell(modified, _date_value(modified))
    fit = fit_at(quant_fits(row, arch, memory, (context,)), context) if row else None
    if fit is not None:
        quant, fit_row = fit
        cells["fit"] = Cell(f"{quant} {format_bytes(fit_row.total_bytes)} {fit_row.verdict}",
                            float(FIT_RANK[fit_row.verdict]))
    else:
        cells["fit"] = Cell()
    top = next((f for m in measured for f in [headline(m.figures)] if f is not None), None)
    if top is not None:
        err = format_error(top.error_pct)
        est = format_value(top.estimated, top.unit) if top.estimated is not None else "—"
        cells["memory"] = Cell(f"{format_value(top.measured, top.unit)} / {est}" + (f" ({err})" if err else ""))
    else:
        cells["memory"] = Cell()
    # The bandwidth ceiling of the quant the fit row shows (catalog/fit/speed.py), at the same context.
    estimate = fit[1].tokens_per_s if fit is not None else None
    ratio = speed[0] / estimate if speed and estimate else None
    if speed or estimate:
        text = f"{speed[0]:.1f}" if speed else "—"
        text += f" / {estimate:.1f} ({fit[0]})" if estimate and fit else " / —"
        text += f", {ratio:.0%} of it" if ratio else ""
        cells["speed"] = Cell(text, speed[0] if speed else None)
    else:
        cells["speed"] = Cell()
    facts = {
        "licence": lic.label, "permissive": lic.permissive, "gated": gated or None,
        "params_total": total, "params_active": active, "context_length": ctx,
        "card_quality": {"present": present, "of": of, "missing": missing} if card is not None else None,
        "downloads": row.get("downloads"), "likes": row.get("likes"), "last_modified": row.get("last_modified"),
        "fit": {"quant": fit[0], "verdict": fit[1].verdict, "total_bytes": fit[1].total_bytes} if fit else None,
        "measured_memory": [m.to_dict() for m in measured],
        "speed": {"measured_tokens_per_s": round(speed[0], 2) if speed else None,
                  "measured_answers": speed[1] if speed else 0,
                  "estimated_tokens_per_s": round(estimate, 2) if estimate else None,
                  "ratio": round(ratio, 3) if ratio else None},
        "benchmarks": [{"dataset": r.dataset, "metric": r.metric, "value": r.value, "task": r.task}
                       for r in (card.eval_results if card else [])],
    }
    return {"cells": cells, "json": facts}

