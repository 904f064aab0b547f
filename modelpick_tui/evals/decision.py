"""The decision: the smallest model whose pass rate meets the bar (and with constraints, that serves the workload
within the SLO and the budget: evals/constraints.py), pinned, with why the others were rejected, and its report
(JSON, Markdown rendered by evals/decision_report.py, and a row in `decisions`). The evidence comes from
evals/scoreboard.py and evals/provenance.py; exports of traces and labels are evals/exchange.py."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.units import format_params
from ..clock import now_iso, today_iso
from ..home import make_private_dir, write_private
from .constraints import NOT_TESTED, QUALITY, Constraints, attach_costs, rule_text
from .cost import CostFigures
from .decision_report import basis_text, ms_text, render_markdown
from .provenance import Provenance, provenance
from .scoreboard import ModelScore, scoreboard
from .stats import Interval

if TYPE_CHECKING:
    from ..catalog.store import CatalogStore
    from .cost_lookup import HostedPrices
    from .stores.cost import PriceStore
    from .stores.failure_modes import FailureModeStore
    from .stores.judge import JudgeStore
    from .stores.load import LoadStore
    from .stores.traces import TraceStore

BASES = ("low", "estimate")  # the bar applies to the interval's lower bound (default) or the point estimate


# --- the decision ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    score: ModelScore
    provenance: Provenance
    meets_bar: bool = False
    reason: str = ""
    cost: CostFigures | None = None  # capacity and cost, when the decision has constraints beyond the bar
    rejected_by: str | None = None  # the constraint that rejected it: quality | not measured | slo | budget

    def to_json(self) -> dict[str, Any]:
        out = {**self.score.to_json(), "provenance": self.provenance.to_json(), "meets_bar": self.meets_bar,
               "reason": self.reason, "rejected_by": self.rejected_by}
        if self.cost is not None:
            out["capacity_and_cost"] = self.cost.to_json()
        return out


@dataclass
class Decision:
    chosen: Candidate | None
    rejected: list[Candidate]
    bar: float
    basis: str  # low | estimate
    run_id: str | None
    rubric: str | None
    date: str = field(default_factory=today_iso)
    prompts: list[dict[str, Any]] = field(default_factory=list)  # [{"id", "name"}] the chosen model's traces used
    restricted_to: str | None = None  # the prompt version id the scoreboard was restricted to
    created_at: str = field(default_factory=now_iso)
    constraints: Constraints | None = None  # --slo / --workload / --budget: what the model must also do

    @property
    def model(self) -> str | None:
        return self.chosen.score.model if self.chosen else None

    def prompt_version_json(self) -> dict[str, Any] | None:
        """The one prompt version the chosen model's traces used ({"id", "name"}), None for none; a mix says so."""
        if len(self.prompts) == 1:
            only = self.prompts[0]
            return {"id": only["id"], "name": only.get("name")} if only.get("id") else None
        if self.prompts:
            return {"mixed": [p.get("name") or p.get("id") for p in self.prompts]}
        return None

    def to_json(self) -> dict[str, Any]:
        chosen = self.chosen
        return {
            "decision": self.model, "date": self.date, "created_at": self.created_at,
            "run": self.run_id or "all", "bar": self.bar, "bar_applies_to": basis_text(self.basis),
            "chosen": None if chosen is None else {
                **chosen.to_json(), "revision_pin": chosen.provenance.pin,
                "license": chosen.provenance.license, "params": chosen.provenance.params},
            "rejected": [c.to_json() for c in self.rejected],
            "rubric": self.rubric,
            "prompt_version": self.prompt_version_json(),
            "rule": rule_text(self.constraints),
            **({"constraints": self.constraints.to_json()} if self.constraints else {}),
        }


def _rate_text(rate: Interval) -> str:
    return f"{rate.estimate:.2f} [{rate.low:.2f}, {rate.high:.2f}]"


def choose(candidates: Sequence[Candidate], bar: float = 0.8, basis: str = "low",
           constraints: Constraints | None = None) -> tuple[Candidate | None, list[Candidate]]:
    """The smallest candidate whose pass rate (its Wilson lower bound by default) meets `bar` and, with
    `constraints`, whose capacity and cost (`Candidate.cost`) meet them; ties broken by active parameters, then
    latency p50. Every other candidate comes back with the reason it was not chosen, naming the constraint."""
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}: use low or estimate")
    if not 0.0 <= bar <= 1.0:
        raise ValueError(f"the bar is a pass rate between 0 and 1, got {bar}")
    for c in candidates:
        s = c.score
        if not s.labelled:
            c.meets_bar, c.reason = False, "no labelled traces (pass/fail) to judge it by"
            continue
        rate = s.pass_rate
        value = rate.low if basis == "low" else rate.estimate
        c.meets_bar = value >= bar
        if not c.meets_bar:
            what = "lower bound" if basis == "low" else "pass rate"
            c.reason = f"pass rate {_rate_text(rate)} below bar {bar:.2f} ({what} {value:.2f}, n={s.labelled})"
    for c in candidates:
        c.rejected_by = None if c.meets_bar else QUALITY
    if constraints is not None:
        for c in candidates:
            failed = constraints.check(c.cost)
            if failed and c.meets_bar:
                c.rejected_by, c.reason = failed
            elif failed and failed[0] == NOT_TESTED:  # below the bar too: both are worth knowing
                c.reason += "; not load-tested"
    meeting = [c for c in candidates if c.rejected_by is None]
    if not meeting:
        return None, list(candidates)

    def rank(c: Candidate) -> tuple[Any, ...]:
        p, active = c.provenance.params, c.provenance.params_active
        lat = c.score.latency_p50
        return (p is None, p or 0, active or p or 0, math.inf if lat is None else lat, -c.score.pass_rate.estimate,
                c.score.model)

    chosen = min(meeting, key=rank)
    size = format_params(chosen.provenance.params)
    meets = "meets bar" if constraints is None else f"meets {constraints.meets_words()}"
    for c in meeting:
        if c is chosen:
            continue
        p, active = c.provenance.params, c.provenance.params_active
        chosen_active = chosen.provenance.params_active
        if p is None:
            c.reason = f"{meets} but its size is unknown; the chosen model's is known ({size})"
        elif chosen.provenance.params is not None and p > chosen.provenance.params:
            c.reason = f"{meets} but larger ({format_params(p)}) than chosen ({size})"
        elif (active or p) > (chosen_active or chosen.provenance.params or 0):
            c.reason = (f"{meets}, same size ({format_params(p)}) but more active parameters "
                        f"({format_params(active or p)} vs {format_params(chosen_active or chosen.provenance.params)})")
        else:
            c.reason = (f"{meets}, same size ({format_params(p)}) but slower: latency p50 "
                        f"{ms_text(c.score.latency_p50)} vs {ms_text(chosen.score.latency_p50)}")
    chosen.reason = (f"smallest model meeting the bar: pass rate {_rate_text(chosen.score.pass_rate)}, "
                     f"{size} parameters")
    if constraints is not None and chosen.cost is not None:
        chosen.reason += f"; serves {constraints.serves_words(chosen.cost)}"
    return chosen, [c for c in candidates if c is not chosen]


def scores(traces: TraceStore, failures: FailureModeStore, run_id: str | None = None,
           prompt_version: str | None = None) -> list[ModelScore]:
    """The scoreboard of `run_id` (all traces when None; only the traces of the prompt version of id
    `prompt_version` when given), from one read of the traces, their modes and the preferences."""
    with traces.lock:  # the database's one lock: the modes and the rows are read as one state
        rows, prefs = traces.scoreboard_rows(run_id, prompt_version)
        names = {mode_id: str(mode["name"] or mode["id"]) for mode_id, mode in failures.final_modes().items()}
    return scoreboard(rows, prefs, names)


def candidates(traces: TraceStore, failures: FailureModeStore, catalog: CatalogStore, run_id: str | None = None,
               *, pin: bool = True, prompt_version: str | None = None) -> list[Candidate]:
    """The scoreboard with each model's provenance (parameters, licence, pin)."""
    out = []
    for score in scores(traces, failures, run_id, prompt_version):
        prov = provenance(catalog, score.model, score.model_ref, pin=pin)
        score.params = prov.params
        out.append(Candidate(score, prov))
    return out


def decide(traces: TraceStore, failures: FailureModeStore, catalog: CatalogStore, judge: JudgeStore,
           run_id: str | None = None, bar: float = 0.8, basis: str = "low",
           prompt_version: str | None = None, *, constraints: Constraints | None = None,
           load: LoadStore | None = None, prices: PriceStore | None = None,
           hosted: HostedPrices | None = None) -> Decision:
    """Scoreboard → provenance → (with `constraints`: each candidate's capacity and cost, from `load` and `prices`,
    its API price the user's or OpenRouter's from `hosted`) → choose, with the run's rubric and the prompt versions
    the chosen model's traces were made with (the decision is a model and its prompt)."""
    cands = candidates(traces, failures, catalog, run_id, prompt_version=prompt_version)
    if constraints is not None:
        if load is None or prices is None:
            raise ValueError("constraints need the load tests and the prices")
        attach_costs(cands, load, prices, constraints, hosted=hosted)
    chosen, rejected = choose(cands, bar, basis, constraints)
    rubric = judge.rubric(run_id)
    prompts = traces.prompt_versions_used(chosen.score.model, run_id, prompt_version) if chosen else []
    return Decision(chosen, rejected, bar, basis, run_id, rubric.text if rubric else None, prompts=prompts,
                    restricted_to=prompt_version, constraints=constraints)


def _slug(text: str) -> str:
    stem = text.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:60] or "model"


@dataclass
class ReportFiles:
    decision: Decision
    markdown_path: Path
    json_path: Path
    decision_id: int


def write_report(traces: TraceStore, failures: FailureModeStore, catalog: CatalogStore, judge: JudgeStore,
                 out_dir: Path, *, run_id: str | None = None, bar: float = 0.8, basis: str = "low",
                 prompt_version: str | None = None, constraints: Constraints | None = None,
                 load: LoadStore | None = None, prices: PriceStore | None = None,
                 hosted: HostedPrices | None = None) -> ReportFiles:
    """Decide, then write DATE-MODEL.md and .json into `out_dir` (never overwriting an earlier report) and a
    decisions row."""
    decision = decide(traces, failures, catalog, judge, run_id, bar, basis, prompt_version,
                      constraints=constraints, load=load, prices=prices, hosted=hosted)
    folder = Path(out_dir)
    make_private_dir(folder)
    stem = f"{decision.date}-{_slug(decision.model) if decision.model else 'no-decision'}"
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        md_path, json_path = folder / f"{name}.md", folder / f"{name}.json"
        if not md_path.exists() and not json_path.exists():
            break
        n += 1
    payload = decision.to_json()
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    write_private(json_path, text + "\n")
    write_private(md_path, render_markdown(decision))
    row_id = traces.add_decision(decision.model, decision.created_at, text, str(md_path), str(json_path))
    return ReportFiles(decision, md_path, json_path, row_id)
