"""The decision's constraints beyond the quality bar (`modelpick report --slo … --workload … --budget …`): a
candidate must serve the workload within the SLO, at a monthly cost within the budget. Each candidate's figures
come from its newest load test (evals/load/) priced on its hardware (evals/cost.py); a candidate never
load-tested is "not measured", never passed on trust."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .cost import NOT_MEASURED, CostFigures, Workload
from .cost_lookup import cost_figures
from .prices import money

if TYPE_CHECKING:
    from .cost_lookup import HostedPrices
    from .stores.cost import PriceStore
    from .stores.load import LoadStore

# What rejected a candidate, in the order they are checked (the first that fails is named).
QUALITY, NOT_TESTED, SLO, BUDGET = "quality", "not measured", "slo", "budget"


@dataclass(frozen=True)
class Constraints:
    """What the chosen model must also do: meet `slo` (the normalised text load tests store; None: any SLO a
    load test was run at), serve `workload`, cost at most `budget` dollars a month."""

    slo: str | None = None
    workload: Workload | None = None
    budget: float | None = None

    def __post_init__(self) -> None:
        if self.budget is not None and self.workload is None:
            # The monthly cost is the cost of a fleet for a workload: without one there is nothing to compare.
            raise ValueError("--budget needs --workload: the monthly cost is that of the fleet a workload needs")

    def words(self) -> str:
        parts = [f"SLO {self.slo}" if self.slo else "the SLO of each model's latest load test"]
        if self.workload is not None:
            parts.append(f"workload {self.workload.text}")
        if self.budget is not None:
            parts.append(f"budget {money(self.budget)}/month")
        return ", ".join(parts)

    def meets_words(self) -> str:
        """What a candidate that passes everything meets, in a reason: "bar, SLO and budget"."""
        return "bar, SLO" + (" and budget" if self.budget is not None else "")

    def to_json(self) -> dict[str, Any]:
        return {"slo": self.slo, "workload": self.workload.to_json() if self.workload else None,
                "budget_usd_per_month": self.budget}

    def costs(self, load: LoadStore, prices: PriceStore, models: list[str], hosted: HostedPrices | None = None,
              links: Mapping[str, Sequence[str]] | None = None) -> dict[str, CostFigures]:
        """Each model's figures at this SLO and workload (evals/cost_lookup.py), its API price the user's or
        OpenRouter's from `hosted` (matched by name or `links`)."""
        return {f.model: f for f in cost_figures(load, prices, models, self.slo, self.workload, hosted=hosted,
                                                 links=links)}

    def check(self, fig: CostFigures | None) -> tuple[str, str] | None:
        """(the constraint, the reason with its figure) that `fig` fails, or None when it meets them all."""
        at = f" at {self.slo}" if self.slo else ""
        if fig is None or fig.capacity_rps is None:
            missing = fig.missing if fig is not None else NOT_MEASURED
            if missing == NOT_MEASURED:
                return NOT_TESTED, (f"not measured: never load-tested{at} (modelpick load ENDPOINT"
                                    f"{' --slo ' + self.slo if self.slo else ''})")
            return SLO, f"does not serve within the SLO: {missing}"
        if not fig.capacity_rps or not fig.capacity_concurrency:
            return SLO, f"does not serve within the SLO{at}: no load met it (capacity {fig.capacity_concurrency})"
        if self.budget is not None:
            fleet = f"{fig.replicas} replica{'s' if fig.replicas != 1 else ''}" + (
                f", {fig.gpus} GPU{'s' if fig.gpus != 1 else ''}" if fig.gpus else "")
            if fig.monthly_usd is None:
                hw = fig.hardware or "its hardware"
                return BUDGET, (f"budget not checked: {fig.missing} for {hw} ({fleet} for the workload; "
                                "modelpick cost price HARDWARE USD_PER_HOUR)")
            if fig.monthly_usd > self.budget:
                return BUDGET, (f"over budget: {money(fig.monthly_usd)}/month ({fleet} on {fig.hardware}) > "
                                f"{money(self.budget)}/month")
        return None

    def serves_words(self, fig: CostFigures) -> str:
        """The chosen model's capacity and cost in a clause: "8 users (2 req/s) within ttft=…; 3 replicas …"."""
        users = f"{fig.capacity_concurrency} user{'s' if fig.capacity_concurrency != 1 else ''}"
        said = f"{users} ({fig.capacity_rps:.3g} req/s) within {fig.slo}"
        if fig.replicas is not None and self.workload is not None:
            said += (f"; {fig.replicas} replica{'s' if fig.replicas != 1 else ''}"
                     + (f" ({fig.gpus} GPU{'s' if fig.gpus != 1 else ''})" if fig.gpus else "")
                     + f" for {self.workload.text}, {money(fig.monthly_usd, fig.missing or 'set a price')}/month")
        return said


def rule_text(constraints: Constraints | None) -> str:
    """The decision's rule in words, for the report."""
    if constraints is None:
        return "the smallest model whose pass rate meets the bar; ties by latency p50"
    return ("the smallest model (total parameters; ties by active parameters, then latency p50) whose pass rate "
            f"meets the bar and that meets {constraints.words()}")


def attach_costs(cands: Sequence[Any], load: LoadStore, prices: PriceStore,
                 constraints: Constraints | None = None, *, hosted: HostedPrices | None = None) -> None:
    """Each candidate's capacity and cost (evals/decision.py's `Candidate.cost`) at the constraints' SLO and
    workload (none: its newest load test, no workload); the API price found by its name or its catalogue id."""
    links = {c.score.model: [c.provenance.catalog_id] for c in cands if c.provenance.catalog_id}
    costs = (constraints or Constraints()).costs(load, prices, [c.score.model for c in cands], hosted, links)
    for c in cands:
        c.cost = costs.get(c.score.model)


def parse_bar(text: str | float) -> float:
    """The pass rate a model must reach: 0.8, or 80%; a ValueError (one line) for anything else."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"bar {raw[:40]!r}: expected a pass rate between 0 and 1 (or 0-100%), e.g. 0.8")
    return value


def parse_constraints(slo: str | None, workload: str | None, budget: str | None) -> Constraints | None:
    """`--slo`, `--workload` and `--budget` as given (None or empty: that constraint is not applied) → Constraints,
    None when none is given. Bad input is a ValueError whose text is the one line to show (SloError, CostError,
    a budget without a workload)."""
    from .cost import parse_budget, parse_workload
    from .load import parse_slo

    slo, workload, budget = (t if t is not None and t.strip() else None for t in (slo, workload, budget))
    if slo is None and workload is None and budget is None:
        return None
    return Constraints(str(parse_slo(slo)) if slo is not None else None,
                       parse_workload(workload) if workload is not None else None,
                       parse_budget(budget) if budget is not None else None)


@dataclass(frozen=True)
class ReportInputs:
    """The bar and constraints of the last decision report, as typed (`modelpick report` or the TUI's `w`): a
    setting of the home (meta key REPORT_INPUTS), so the next report starts from them. Empty: not applied."""

    bar: str = "0.8"
    slo: str = ""
    workload: str = ""
    budget: str = ""

    def to_text(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_text(cls, text: str | None) -> ReportInputs:
        """The stored setting; anything unreadable (a hand edit, an older shape) is the defaults."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(**{k: str(data[k])[:200] for k in ("bar", "slo", "workload", "budget")
                      if isinstance(data.get(k), str | int | float)})

    def parse(self) -> tuple[float, Constraints | None]:
        """(the bar, the constraints) these texts say; a ValueError (one line) for the first that is wrong."""
        return parse_bar(self.bar or "0.8"), parse_constraints(self.slo, self.workload, self.budget)


REPORT_INPUTS = "report_inputs"  # the meta key of the last report's ReportInputs
