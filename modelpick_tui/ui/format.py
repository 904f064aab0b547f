"""Small display helpers shared by the screens (pure; no IO)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..untrusted import clean

if TYPE_CHECKING:
    from ..catalog.query import CatalogQuery, SearchResult

TASK_SHORT = {
    "text-generation": "text-gen",
    "image-text-to-text": "image-text",
    "feature-extraction": "embedding",
    "sentence-similarity": "sent-sim",
    "text-classification": "classify",
    "automatic-speech-recognition": "asr",
    "text2text-generation": "text2text",
    "visual-question-answering": "vqa",
}


def compact(n: int | None) -> str:
    """1234567 → '1.2M'."""
    if n is None:
        return "?"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{suffix}" if value >= 100 else f"{value:.1f}{suffix}"
    return str(n)


def safe(text: object, style: str = "") -> Text:
    """Untrusted text as a Text object: markup is not parsed, control sequences are made visible."""
    return Text(clean(str(text) if text is not None else ""), style=style)


def marked_cell(text: str, width: int, mark: str = "") -> Text:
    """Untrusted `text` cut to `width` cells ("…" where cut); with `mark` right-aligned at its end when given (the
    browse table's id cell carries the row's sources there: "ZhipuAI/glm-4-9b   ms")."""
    room = width - (len(mark) + 1 if mark else 0)
    cell = safe(text if len(text) <= room else text[: room - 1] + "…")
    if mark:
        cell.pad_right(max(0, room - cell.cell_len))
        cell.append(" " + mark, style="cyan")
    return cell


def task_short(task: str) -> str:
    return TASK_SHORT.get(task, task)


def metrics_line(trace: Any) -> str:
    """'ttft 35 ms · latency 820 ms · 120 tokens out · 48.0 tok/s · finish stop'."""
    parts = []
    if trace.ttft_ms is not None:
        parts.append(f"ttft {trace.ttft_ms:.0f} ms")
    if trace.latency_ms is not None:
        parts.append(f"latency {trace.latency_ms:.0f} ms")
    if trace.tokens_out is not None:
        parts.append(f"{trace.tokens_out} tokens out")
    if trace.tokens_per_s is not None:
        parts.append(f"{trace.tokens_per_s:.1f} tok/s")
    if trace.finish_reason:
        parts.append(f"finish {trace.finish_reason}")
    return " · ".join(parts) or "no metrics"


def section(title: str, body: str | None, style: str = "") -> Text:
    """A bold, underlined title over untrusted body text."""
    text = Text(title + "\n", style="bold underline")
    text.append_text(safe(body or "", style))
    return text


def catalog_summary(q: CatalogQuery, result: SearchResult) -> Text:
    """The line above the browse table: how many models match, and the filters and sort that chose them."""
    from ..catalog.query import SORT_LABELS
    from ..catalog.units import format_params

    parts = []
    if q.permissive_only:
        parts.append("permissive")
    if q.licenses:
        parts.append("licence: " + ",".join(q.licenses))
    if q.size_classes:
        parts.append(",".join(q.size_classes))
    for label, low, high in (("params", q.min_params, q.max_params), ("active", q.min_active, q.max_active)):
        if low is not None or high is not None:
            parts.append(f"{label} {format_params(low) if low else '0'}–{format_params(high) if high else '∞'}")
    for label, value in (("task", q.task), ("format", q.format), ("author", q.author)):
        if value:
            parts.append(f"{label}: {value}")
    if q.gated is not None:
        parts.append("gated only" if q.gated else "open only")
    if q.local_only:
        parts.append("local only")
    parts.extend(_origin_summary(q))
    parts.append(f"sort: {SORT_LABELS.get(q.sort, q.sort)}")
    text = Text(f"{result.matching} of {result.total} models", style="bold")
    text.append("  ·  " + "  ·  ".join(parts), style="dim")
    return text


def _origin_summary(q: CatalogQuery) -> list[str]:
    whose = "base origin" if q.by_base else "origin"
    parts = []
    if q.origins:
        parts.append(f"{whose}: " + ",".join(q.origins))
    if q.exclude_origins:
        parts.append(f"{whose} not " + ",".join(q.exclude_origins))
    if q.by_base and not (q.origins or q.exclude_origins):
        parts.append("by base model")
    if q.tiers:
        parts.append("tier: " + ",".join(q.tiers))
    if q.sources:
        parts.append("source: " + ",".join(q.sources))
    return parts
