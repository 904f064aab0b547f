"""The decision report in Markdown, the file a team pins in a repository: the decision first (the chosen model,
pinned, and why), then the evidence (scoreboard, capacity and cost, failure modes, rejected candidates with the
constraint each failed, rubric, method). Every untrusted text (model names, notes, reasons) goes through `_md_cell`
or `_md_code`, so no link, image or HTML can come from it.

It reads evals/decision.py's Decision and Candidate by their fields (typed Any here: decision.py imports this
module, and a type import back would make the two one)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..catalog.units import format_params
from .constraints import rule_text
from .cost import api_words
from .prices import money
from .stats import Interval


def _prompt_text(decision: Any) -> str:
    """The prompt the decision holds for, in words: the version, the set's own prompts, or a mix to restrict."""
    named = [p for p in decision.prompts if p.get("id")]
    if not decision.prompts:
        return "n/a"
    if len(decision.prompts) == 1:
        p = decision.prompts[0]
        return (f"{_md_cell(p.get('name') or '?')} ({_md_code(p['id'])})" if p.get("id")
                else "the prompt set's own prompts (no prompt version)")
    shown = ", ".join(_md_cell(p.get("name") or "?") for p in named)
    return f"mixed ({shown}{', and none' if len(named) < len(decision.prompts) else ''}): restrict with --prompt"


def basis_text(basis: str) -> str:
    return "the 95% Wilson lower bound of the pass rate" if basis == "low" else "the pass rate"


def ms_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"



# Markdown's punctuation that could make a link, an image (a viewer fetches it), a code span, emphasis,
# a heading, a table cell or HTML out of a model name or a note: each is backslash-escaped (CommonMark).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()!<>|#~{}&])")


def _md_cell(text: object) -> str:
    """Untrusted text (model names, notes, reasons) as Markdown that shows exactly that text: one line,
    every Markdown and HTML character escaped, so no link, image or code span can come from it."""
    from ..untrusted import clean

    return _MD_SPECIAL.sub(r"\\\1", " ".join(clean(str(text)).splitlines()))


def _md_code(text: object) -> str:
    """Untrusted text as a code span (where Markdown is not interpreted): its fence is one backtick longer
    than the longest run of backticks in it, so a backtick cannot end it early."""
    from ..untrusted import clean

    value = " ".join(clean(str(text)).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or len(fence) > 1 else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _pct(rate: Interval | None) -> str:
    return "n/a" if rate is None else f"{rate.estimate:.0%} [{rate.low:.0%}, {rate.high:.0%}]"


def scoreboard_markdown(candidates: Iterable[Any]) -> list[str]:
    lines = ["| model | params | traces | labelled | pass rate [95% CI] | TTFT p50/p95 | latency p50/p95 "
             "| tok/s | win rate |",
             "|---|---:|---:|---:|---|---|---|---:|---|"]
    for c in candidates:
        s = c.score
        win = _pct(s.win.rate) + f" (n={s.win.decided})" if s.win and s.win.decided else "n/a"
        lines.append(
            f"| {_md_cell(s.model)} | {format_params(c.provenance.params)} | {s.traces} | {s.labelled} "
            f"| {_pct(s.pass_rate) if s.labelled else 'n/a'} | {ms_text(s.ttft_p50)} / {ms_text(s.ttft_p95)} "
            f"| {ms_text(s.latency_p50)} / {ms_text(s.latency_p95)} "
            f"| {'n/a' if s.tokens_per_s is None else f'{s.tokens_per_s:.1f}'} | {win} |")
    return lines


def render_markdown(decision: Any) -> str:
    """The report a team pins in a repository: the decision first, then the evidence."""
    c = decision.chosen
    everyone = ([c] if c else []) + decision.rejected
    out = [f"# Model decision: {_md_cell(decision.model) if c else 'no model meets the bar'}", "",
           f"- Date: {decision.date} (generated {decision.created_at})",
           f"- Scope: {'run ' + _md_cell(decision.run_id) if decision.run_id else 'all runs'}",
           f"- Prompt version: {_prompt_text(decision)}",
           f"- Bar: {decision.bar:.2f} on {basis_text(decision.basis)}",
           *([f"- Constraints: {_md_cell(decision.constraints.words())}"] if decision.constraints else []),
           ("- Rule: the smallest model meeting the bar; ties broken by latency p50" if decision.constraints is None
            else f"- Rule: {_md_cell(rule_text(decision.constraints))}"), ""]
    if c:
        p = c.provenance
        s = c.score
        out += ["## Chosen model", "",
                f"- Model: {_md_code(s.model)}" + (f" (catalogue: {_md_code(p.catalog_id)})" if p.catalog_id
                                                     else ""),
                f"- Model reference: {_md_code(s.model_ref or s.model)}",
                f"- Pinned revision: {_md_code(p.pin)}",
                f"- Licence: {_md_cell(p.license or 'unknown')}",
                f"- Parameters: {format_params(p.params)}"
                + (f" ({format_params(p.params_active)} active)" if p.params_active else "")
                + f" (from {p.params_source})",
                f"- Endpoints: {', '.join(_md_cell(e) for e in s.endpoints) or 'n/a'}",
                f"- Pass rate: {_pct(s.pass_rate)} over {s.labelled} labelled traces "
                f"({s.passed} pass, {s.failed} fail, {s.skipped} skipped; {s.traces} traces, {s.errors} errors)",
                f"- Why: {_md_cell(c.reason)}", ""]
    elif decision.constraints is not None:
        out += ["## No model chosen", "", f"No candidate meets the bar of {decision.bar:.2f} and "
                f"{_md_cell(decision.constraints.words())}: each rejected candidate below names the constraint.", ""]
    else:
        out += ["## No model chosen", "", f"No candidate's pass rate meets the bar of {decision.bar:.2f}. "
                "Label more traces (a wider interval needs more evidence), improve the prompts, or lower the "
                "bar knowingly.", ""]
    out += ["## Scoreboard", "", *scoreboard_markdown(everyone), ""]
    if decision.constraints is not None:
        out += ["## Capacity and cost", "", *capacity_markdown(everyone), "", *api_markdown(everyone), ""]
    modes = [(cand.score.model, cand.score.failure_modes) for cand in everyone if cand.score.failure_modes]
    out += ["## Failure modes", ""]
    if modes:
        for model, counts in modes:
            out.append(f"- {_md_cell(model)}: " + ", ".join(f"{_md_cell(k)} ({v})" for k, v in counts.items()))
    else:
        out.append("No failure modes recorded.")
    out += ["", "## Rejected candidates", ""]
    if decision.rejected:
        for cand in decision.rejected:
            p = cand.provenance
            out.append(f"- {_md_code(cand.score.model)} ({format_params(p.params)}, licence "
                       f"{_md_cell(p.license or 'unknown')}, pin {_md_code(p.pin)}): {_md_cell(cand.reason)}")
    else:
        out.append("None.")
    out += ["", "## Rubric", ""]
    if decision.rubric:
        out += ["```text", decision.rubric.replace("```", "ʼʼʼ").rstrip(), "```"]
    else:
        out.append("No rubric was written for this scope (`modelpick rubric --edit FILE`).")
    out += ["", "## Method", "",
            "Pass rate: human labels (the latest label per trace; skips excluded) with a 95% Wilson score "
            "interval. Latency and TTFT: percentiles over traces without errors. Tokens/s: median decode rate. "
            "Win rate: pairwise preferences, a tie counting half, with a Wilson interval. Traces and labels: "
            "`modelpick export` (CSV/JSONL).", ""]
    if decision.constraints is not None:
        out[-1:] = ["Capacity: each model's newest load test at the SLO (`modelpick load`); cost: hourly price over "
                    "what it serves an hour, replicas behind a gateway, 730 hours a month (docs/capacity.md).", ""]
    return "\n".join(out)


def api_markdown(candidates: Iterable[Any]) -> list[str]:
    """Self-hosting against an API for the same model, per candidate, with where the API price comes from (the
    user's `cost api-price`, or OpenRouter's synced list) or "set an API price"."""
    lines = ["Against an API for the same model:", ""]
    for c in candidates:
        if c.cost is not None:
            lines.append(f"- {_md_cell(c.score.model)}: {_md_cell(api_words(c.cost))}")
    return lines if len(lines) > 2 else []


def capacity_markdown(candidates: Iterable[Any]) -> list[str]:
    """Each candidate's capacity at the SLO, its hardware, $/1M output tokens and the fleet for the workload."""
    lines = ["| model | SLO | capacity | hardware | $/1M output tokens | replicas | GPUs | $/month | verdict |",
             "|---|---|---|---|---:|---:|---:|---:|---|"]
    for c in candidates:
        f = c.cost
        verdict = "chosen" if c.rejected_by is None and c.reason.startswith("smallest") else (c.rejected_by or "")
        if f is None or f.capacity_rps is None:
            lines.append(f"| {_md_cell(c.score.model)} | | {_md_cell(f.missing if f else 'not measured')} "
                         f"| | | | | | {_md_cell(verdict)} |")
            continue
        missing = f.missing or "set a price"
        lines.append(
            f"| {_md_cell(c.score.model)} | {_md_cell(f.slo or '')} | {f.capacity_concurrency} users, "
            f"{f.capacity_rps:.3g} req/s | {_md_cell(f.hardware or 'unknown')} "
            f"| {money(f.usd_per_1m_output_tokens, missing)} | {'' if f.replicas is None else f.replicas} "
            f"| {'' if f.gpus is None else f.gpus} | {money(f.monthly_usd, missing) if f.replicas else ''} "
            f"| {_md_cell(verdict)} |")
    return lines
