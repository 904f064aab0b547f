"""The scoreboard (per model: pass rate with its Wilson interval, failure modes, latency, tokens/s, win rate)
and the decision report (Markdown + JSON) that names the chosen model, pins it, and says why the others
were rejected. Exports of traces and labels live in evals/review.py."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.facts import format_params, params_from_name
from .base import now_iso
from .stats import Interval, WinRate, percentile, wilson, win_rates

if TYPE_CHECKING:
    from ..services import Services

# The columns the scoreboard sorts by, in the order a key cycles through them.
SORT_KEYS = ("pass", "low", "labelled", "traces", "params", "latency", "ttft", "tps", "win", "model")
BASES = ("low", "estimate")  # the bar applies to the interval's lower bound (default) or the point estimate
UNPINNED = "unpinned (remote endpoint)"
_HASH_CHUNK = 1 << 20


# --- the scoreboard -------------------------------------------------------------------------------------


@dataclass
class ModelScore:
    """One model's evidence. `model` is the served model name (the endpoint's when a trace has none)."""

    model: str
    model_ref: str | None = None
    endpoints: list[str] = field(default_factory=list)
    traces: int = 0
    errors: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failure_modes: dict[str, int] = field(default_factory=dict)
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    latency_p50: float | None = None
    latency_p95: float | None = None
    tokens_per_s: float | None = None  # median over the traces that measured it
    win: WinRate | None = None
    params: int | None = None  # filled by provenance (the catalogue, the GGUF, the name)

    @property
    def labelled(self) -> int:
        """Traces with a pass or fail label (skips are not evidence either way)."""
        return self.passed + self.failed

    @property
    def pass_rate(self) -> Interval:
        return wilson(self.passed, self.labelled)

    def to_json(self) -> dict[str, Any]:
        rate = self.pass_rate
        win = self.win
        return {
            "model": self.model, "model_ref": self.model_ref, "endpoints": self.endpoints, "traces": self.traces,
            "errors": self.errors, "labelled": self.labelled, "passed": self.passed, "failed": self.failed,
            "skipped": self.skipped,
            "pass_rate": None if not self.labelled else _r(rate.estimate),
            "pass_rate_ci95": None if not self.labelled else [_r(rate.low), _r(rate.high)],
            "failure_modes": dict(self.failure_modes),
            "ttft_ms_p50": _r(self.ttft_p50, 1), "ttft_ms_p95": _r(self.ttft_p95, 1),
            "latency_ms_p50": _r(self.latency_p50, 1), "latency_ms_p95": _r(self.latency_p95, 1),
            "tokens_per_s_median": _r(self.tokens_per_s, 2),
            "win_rate": None if win is None or not win.decided else _r(win.rate.estimate),
            "win_rate_ci95": None if win is None or not win.decided else [_r(win.rate.low), _r(win.rate.high)],
            "wins": win.wins if win else 0, "losses": win.losses if win else 0, "ties": win.ties if win else 0,
            "both_bad": win.both_bad if win else 0, "params": self.params,
        }


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _mode_names(db: Any) -> dict[str, str | None]:
    """mode id -> the name it counts under now: merged modes follow `merged_into`, deleted ones count nowhere."""
    modes = {r["id"]: dict(r) for r in db.query("select id, name, status, merged_into from failure_modes")}

    def final(mode_id: str) -> str | None:
        seen: set[str] = set()
        while mode_id in modes and mode_id not in seen:
            seen.add(mode_id)
            mode = modes[mode_id]
            if mode["status"] == "merged" and mode["merged_into"]:
                mode_id = mode["merged_into"]
                continue
            return None if mode["status"] == "deleted" else str(mode["name"] or mode_id)
        return None

    return {mode_id: final(mode_id) for mode_id in modes}


def scoreboard(services: Services, run_id: str | None = None) -> list[ModelScore]:
    """Per model, over the traces of `run_id` (all traces when None), sorted by model name."""
    store = services.traces
    with store.lock:
        db = store.db
        rows = [dict(r) for r in db.query(
            "select t.id, t.model, t.endpoint, t.model_ref, t.error, t.ttft_ms, t.latency_ms, t.tokens_per_s,"
            " (select l.verdict from labels l where l.trace_id = t.id order by l.id desc limit 1) as verdict,"
            " (select m.mode_id from trace_failure_modes m where m.trace_id = t.id) as mode_id"
            " from traces t where (? is null or t.run_id = ?) order by t.created_at, t.id", [run_id, run_id])]
        mode_names = _mode_names(db)
        prefs = [dict(r) for r in db.query("select left_trace_id, right_trace_id, choice from preferences"
                                           " order by id")]
    scores: dict[str, ModelScore] = {}
    samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    refs: dict[str, Counter[str]] = defaultdict(Counter)
    model_of: dict[str, str] = {}
    for row in rows:
        key = row["model"] or row["endpoint"] or "?"
        model_of[row["id"]] = key
        score = scores.setdefault(key, ModelScore(model=key))
        score.traces += 1
        if row["endpoint"] and row["endpoint"] not in score.endpoints:
            score.endpoints.append(row["endpoint"])
        if row["model_ref"]:
            refs[key][row["model_ref"]] += 1
        if row["error"]:
            score.errors += 1
        else:
            for column in ("ttft_ms", "latency_ms", "tokens_per_s"):
                if row[column] is not None:
                    samples[key][column].append(float(row[column]))
        verdict = row["verdict"]
        if verdict == "pass":
            score.passed += 1
        elif verdict == "fail":
            score.failed += 1
            name = mode_names.get(row["mode_id"]) if row["mode_id"] else None
            if name:
                score.failure_modes[name] = score.failure_modes.get(name, 0) + 1
        elif verdict == "skip":
            score.skipped += 1
    for key, score in scores.items():
        s = samples[key]
        score.ttft_p50, score.ttft_p95 = percentile(s["ttft_ms"], 50), percentile(s["ttft_ms"], 95)
        score.latency_p50, score.latency_p95 = percentile(s["latency_ms"], 50), percentile(s["latency_ms"], 95)
        score.tokens_per_s = percentile(s["tokens_per_s"], 50)
        score.failure_modes = dict(sorted(score.failure_modes.items(), key=lambda kv: (-kv[1], kv[0])))
        if refs[key]:
            score.model_ref = refs[key].most_common(1)[0][0]
    # A preference counts when both of its traces are in scope and belong to two different models.
    triples = [(model_of[p["left_trace_id"]], model_of[p["right_trace_id"]], p["choice"]) for p in prefs
               if p["left_trace_id"] in model_of and p["right_trace_id"] in model_of
               and model_of[p["left_trace_id"]] != model_of[p["right_trace_id"]]]
    for model, win in win_rates(triples).items():
        scores[model].win = win
    return [scores[k] for k in sorted(scores)]


def sort_scores(scores: Sequence[ModelScore], key: str) -> list[ModelScore]:
    """Best first for the figures (highest pass rate, lowest latency…); by name for "model"."""
    inf = math.inf

    def lower_is_better(value: float | None) -> float:
        return inf if value is None else value

    def higher_is_better(value: float | None) -> float:
        return inf if value is None else -value

    keys: dict[str, Callable[[ModelScore], Any]] = {
        "pass": lambda s: higher_is_better(s.pass_rate.estimate if s.labelled else None),
        "low": lambda s: higher_is_better(s.pass_rate.low if s.labelled else None),
        "labelled": lambda s: -s.labelled,
        "traces": lambda s: -s.traces,
        "params": lambda s: lower_is_better(s.params),
        "latency": lambda s: lower_is_better(s.latency_p50),
        "ttft": lambda s: lower_is_better(s.ttft_p50),
        "tps": lambda s: higher_is_better(s.tokens_per_s),
        "win": lambda s: higher_is_better(s.win.rate.estimate if s.win and s.win.decided else None),
        "model": lambda s: s.model.lower(),
    }
    if key not in keys:
        raise ValueError(f"unknown sort {key!r}: use one of {', '.join(SORT_KEYS)}")
    return sorted(scores, key=lambda s: (keys[key](s), s.model))


# --- provenance: what the model is, and what pins it ----------------------------------------------------


@dataclass
class Provenance:
    catalog_id: str | None = None
    params: int | None = None
    params_source: str = "unknown"  # catalogue | local scan | gguf | name | unknown
    license: str | None = None
    pin: str = UNPINNED  # what a team pins: "sha256:…", "revision …", or UNPINNED
    pin_kind: str = "unpinned"  # gguf-sha256 | hf-revision | catalogue-sha | unpinned
    file: str | None = None
    revision: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def file_sha256(path: Path, services: Services | None = None) -> str:
    """sha256 of a (multi-GB) file, remembered in the database by path, size and mtime."""
    stat = path.stat()
    key = f"sha256:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    store = services.catalog.store if services is not None else None
    if store is not None:
        cached = store.get_meta(key)
        if cached:
            return cached
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if store is not None:
        store.set_meta(key, value)
    return value


_HF_SNAPSHOT = re.compile(r"models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/(?P<rev>[0-9a-f]{40})/")


def _hf_cache_revision(repo_id: str) -> str | None:
    from ..catalog.local import hf_hub_cache_dir

    ref = hf_hub_cache_dir() / f"models--{repo_id.replace('/', '--')}" / "refs" / "main"
    try:
        rev = ref.read_text().strip()
    except OSError:
        return None
    return rev or None


def provenance(services: Services, model: str, model_ref: str | None, *, pin: bool = True) -> Provenance:
    """Parameters, licence and pin of a model: from its GGUF file (hashed, unless `pin` is False), the HF
    cache, the catalogue, or at worst its name. Never raises for a missing or unreadable file: it says so in
    the pin."""
    catalog = services.catalog.store
    prov = Provenance()
    ref = (model_ref or model or "").strip()
    repo_id: str | None = None
    path = Path(ref).expanduser() if ref and ("/" in ref or ref.endswith(".gguf")) else None
    if path is not None and path.is_file():
        prov.file = str(path.resolve())
        if not pin:
            prov.pin = "sha256 not computed yet"
        else:
            try:
                prov.pin, prov.pin_kind = "sha256:" + file_sha256(path, services), "gguf-sha256"
            except OSError as exc:
                prov.pin = f"unpinned (cannot read {path.name}: {exc.strerror or exc})"
        m = _HF_SNAPSHOT.search(prov.file)
        if m:
            repo_id, prov.revision = f"{m['org']}/{m['name']}", m["rev"]
        with catalog.lock:
            local = list(catalog.db.query("select model_id, params from local_files where path = ?",
                                          [prov.file]))
        if local and local[0]["params"]:
            prov.params, prov.params_source = int(local[0]["params"]), "local scan"
            repo_id = repo_id or local[0]["model_id"]
        if prov.params is None and path.suffix.lower() == ".gguf":
            try:
                from ..catalog.fit import read_gguf_metadata

                meta = read_gguf_metadata(path)
            except (OSError, ValueError):
                meta = {}
            if meta.get("GGUF.parameter_count"):
                prov.params, prov.params_source = int(meta["GGUF.parameter_count"]), "gguf"
            if meta.get("general.license"):
                prov.license = str(meta["general.license"])
    elif "@" in ref and not ref.startswith(("http://", "https://")):
        repo_id, prov.revision = ref.split("@", 1)
        if re.fullmatch(r"[0-9a-f]{7,40}", prov.revision or ""):  # a commit sha, full or short
            prov.pin, prov.pin_kind = f"{repo_id}@{prov.revision}", "hf-revision"
        else:  # a branch or tag moves: say so rather than pass it off as a pin
            prov.pin = f"{repo_id}@{prov.revision} (a branch or tag, not a commit: pin the commit sha)"
            prov.pin_kind = "unpinned"
    else:
        repo_id = ref
    for candidate in (repo_id, model):
        if candidate and catalog.exists(candidate):
            row = catalog.get(candidate) or {}
            prov.catalog_id = candidate
            if row.get("params") and prov.params_source not in ("local scan", "gguf"):
                prov.params, prov.params_source = int(row["params"]), "catalogue"
            prov.license = row.get("license") or prov.license
            if prov.pin_kind == "unpinned":
                rev = _hf_cache_revision(candidate)
                if rev:
                    prov.revision = rev
                    prov.pin, prov.pin_kind = f"{candidate}@{rev} (HF cache)", "hf-revision"
                elif row.get("sha"):
                    prov.revision = row["sha"]
                    prov.pin = f"{candidate}@{row['sha']} (catalogue; the Hub's head when synced: verify it is served)"
                    prov.pin_kind = "catalogue-sha"
            break
    if prov.params is None:
        guess = params_from_name(ref) or params_from_name(model)
        if guess:
            prov.params, prov.params_source = guess, "name"
    return prov


# --- the decision ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    score: ModelScore
    provenance: Provenance
    meets_bar: bool = False
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**self.score.to_json(), "provenance": self.provenance.to_json(), "meets_bar": self.meets_bar,
                "reason": self.reason}


@dataclass
class Decision:
    chosen: Candidate | None
    rejected: list[Candidate]
    bar: float
    basis: str  # low | estimate
    run_id: str | None
    rubric: str | None
    date: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d"))
    created_at: str = field(default_factory=now_iso)

    @property
    def model(self) -> str | None:
        return self.chosen.score.model if self.chosen else None

    def to_json(self) -> dict[str, Any]:
        chosen = self.chosen
        return {
            "decision": self.model, "date": self.date, "created_at": self.created_at,
            "run": self.run_id or "all", "bar": self.bar, "bar_applies_to": _basis_text(self.basis),
            "chosen": None if chosen is None else {
                **chosen.to_json(), "revision_pin": chosen.provenance.pin,
                "license": chosen.provenance.license, "params": chosen.provenance.params},
            "rejected": [c.to_json() for c in self.rejected],
            "rubric": self.rubric,
            "rule": "the smallest model whose pass rate meets the bar; ties by latency p50",
        }


def _basis_text(basis: str) -> str:
    return "the 95% Wilson lower bound of the pass rate" if basis == "low" else "the pass rate"


def _rate_text(rate: Interval) -> str:
    return f"{rate.estimate:.2f} [{rate.low:.2f}, {rate.high:.2f}]"


def choose(candidates: Sequence[Candidate], bar: float = 0.8, basis: str = "low") -> tuple[Candidate | None,
                                                                                          list[Candidate]]:
    """The smallest candidate whose pass rate (its Wilson lower bound by default) meets `bar`, ties broken by
    latency p50; every other candidate comes back with the reason it was not chosen."""
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
    meeting = [c for c in candidates if c.meets_bar]
    if not meeting:
        return None, list(candidates)

    def rank(c: Candidate) -> tuple[Any, ...]:
        p = c.provenance.params
        lat = c.score.latency_p50
        return (p is None, p or 0, math.inf if lat is None else lat, -c.score.pass_rate.estimate, c.score.model)

    chosen = min(meeting, key=rank)
    size = format_params(chosen.provenance.params)
    for c in meeting:
        if c is chosen:
            continue
        p = c.provenance.params
        if p is None:
            c.reason = f"meets bar but its size is unknown; the chosen model's is known ({size})"
        elif chosen.provenance.params is not None and p > chosen.provenance.params:
            c.reason = f"meets bar but larger ({format_params(p)}) than chosen ({size})"
        else:
            c.reason = (f"meets bar, same size ({format_params(p)}) but slower: latency p50 "
                        f"{_ms(c.score.latency_p50)} vs {_ms(chosen.score.latency_p50)}")
    chosen.reason = (f"smallest model meeting the bar: pass rate {_rate_text(chosen.score.pass_rate)}, "
                     f"{size} parameters")
    return chosen, [c for c in candidates if c is not chosen]


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} ms"


def candidates(services: Services, run_id: str | None = None, *, pin: bool = True) -> list[Candidate]:
    """The scoreboard with each model's provenance (parameters, licence, pin)."""
    out = []
    for score in scoreboard(services, run_id):
        prov = provenance(services, score.model, score.model_ref, pin=pin)
        score.params = prov.params
        out.append(Candidate(score, prov))
    return out


def decide(services: Services, run_id: str | None = None, bar: float = 0.8, basis: str = "low") -> Decision:
    """Scoreboard → provenance → choose, with the run's rubric."""
    from .judge import judge_store

    chosen, rejected = choose(candidates(services, run_id), bar, basis)
    rubric = judge_store(services).rubric(run_id)
    return Decision(chosen, rejected, bar, basis, run_id, rubric.text if rubric else None)


# --- the report -----------------------------------------------------------------------------------------


def _md_cell(text: object) -> str:
    """Model names and notes are untrusted: one line, pipes escaped, no HTML."""
    from ..untrusted import clean

    value = clean(str(text)).replace("\n", " ").replace("|", "\\|")
    return value.replace("<", "&lt;").replace(">", "&gt;")


def _pct(rate: Interval | None) -> str:
    return "n/a" if rate is None else f"{rate.estimate:.0%} [{rate.low:.0%}, {rate.high:.0%}]"


def scoreboard_markdown(candidates: Iterable[Candidate]) -> list[str]:
    lines = ["| model | params | traces | labelled | pass rate [95% CI] | TTFT p50/p95 | latency p50/p95 "
             "| tok/s | win rate |",
             "|---|---:|---:|---:|---|---|---|---:|---|"]
    for c in candidates:
        s = c.score
        win = _pct(s.win.rate) + f" (n={s.win.decided})" if s.win and s.win.decided else "n/a"
        lines.append(
            f"| {_md_cell(s.model)} | {format_params(c.provenance.params)} | {s.traces} | {s.labelled} "
            f"| {_pct(s.pass_rate) if s.labelled else 'n/a'} | {_ms(s.ttft_p50)} / {_ms(s.ttft_p95)} "
            f"| {_ms(s.latency_p50)} / {_ms(s.latency_p95)} "
            f"| {'n/a' if s.tokens_per_s is None else f'{s.tokens_per_s:.1f}'} | {win} |")
    return lines


def render_markdown(decision: Decision) -> str:
    """The report a team pins in a repository: the decision first, then the evidence."""
    c = decision.chosen
    everyone = ([c] if c else []) + decision.rejected
    out = [f"# Model decision: {_md_cell(decision.model) if c else 'no model meets the bar'}", "",
           f"- Date: {decision.date} (generated {decision.created_at})",
           f"- Scope: {'run ' + _md_cell(decision.run_id) if decision.run_id else 'all runs'}",
           f"- Bar: {decision.bar:.2f} on {_basis_text(decision.basis)}",
           "- Rule: the smallest model meeting the bar; ties broken by latency p50", ""]
    if c:
        p = c.provenance
        s = c.score
        out += ["## Chosen model", "",
                f"- Model: `{_md_cell(s.model)}`" + (f" (catalogue: `{_md_cell(p.catalog_id)}`)" if p.catalog_id
                                                     else ""),
                f"- Model reference: `{_md_cell(s.model_ref or s.model)}`",
                f"- Pinned revision: `{_md_cell(p.pin)}`",
                f"- Licence: {_md_cell(p.license or 'unknown')}",
                f"- Parameters: {format_params(p.params)} (from {p.params_source})",
                f"- Endpoints: {', '.join(_md_cell(e) for e in s.endpoints) or 'n/a'}",
                f"- Pass rate: {_pct(s.pass_rate)} over {s.labelled} labelled traces "
                f"({s.passed} pass, {s.failed} fail, {s.skipped} skipped; {s.traces} traces, {s.errors} errors)",
                f"- Why: {_md_cell(c.reason)}", ""]
    else:
        out += ["## No model chosen", "", f"No candidate's pass rate meets the bar of {decision.bar:.2f}. "
                "Label more traces (a wider interval needs more evidence), improve the prompts, or lower the "
                "bar knowingly.", ""]
    out += ["## Scoreboard", "", *scoreboard_markdown(everyone), ""]
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
            out.append(f"- `{_md_cell(cand.score.model)}` ({format_params(p.params)}, licence "
                       f"{_md_cell(p.license or 'unknown')}, pin `{_md_cell(p.pin)}`): {_md_cell(cand.reason)}")
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
    return "\n".join(out)


def _slug(text: str) -> str:
    stem = text.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:60] or "model"


@dataclass
class ReportFiles:
    decision: Decision
    markdown_path: Path
    json_path: Path
    decision_id: int


def write_report(services: Services, *, run_id: str | None = None, bar: float = 0.8, basis: str = "low",
                 out_dir: Path | None = None) -> ReportFiles:
    """Decide, then write DATE-MODEL.md and .json (never overwriting an earlier report) and a decisions row."""
    decision = decide(services, run_id, bar, basis)
    folder = Path(out_dir) if out_dir is not None else services.settings.home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
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
    _write_atomic(json_path, text + "\n")
    _write_atomic(md_path, render_markdown(decision))
    store = services.traces
    with store.lock, store.db.atomic():
        table = store.db.table("decisions")
        table.insert({"model": decision.model, "created_at": decision.created_at, "report_json": text,
                      "markdown_path": str(md_path), "json_path": str(json_path)})
        row_id = int(table.last_rowid or 0)
    return ReportFiles(decision, md_path, json_path, row_id)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
