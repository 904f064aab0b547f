"""The rubric and the LLM judge: a rubric text per run, one endpoint grading traces with it (strict JSON
verdicts, stored apart from the human labels), and the judge's agreement with the humans (percent
agreement, Cohen's kappa, confusion counts) shown before anyone trusts it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from .base import Store
from .failure_modes import final_modes
from .stats import cohen_kappa

if TYPE_CHECKING:
    from ..serving.client import ChatClient
    from ..serving.endpoints import Endpoint
    from .traces import Trace, TraceStore

ALL_RUNS = "*"  # the rubrics row used when no run is named, and the fallback of a run without its own
TRUST_KAPPA = 0.6  # below this the judge disagrees with the humans too often to stand in for them
JUDGE_SYSTEM = (
    "You grade one answer of an AI model against a rubric. Read the rubric, the prompt, the reference answer "
    "(if any) and the model's output. Reply with one JSON object and nothing else: "
    '{"verdict": "pass" or "fail", "reason": "one short sentence"}.'
)
_MAX_FIELD = 6000  # characters of prompt / reference / output sent to the judge (a small model has a small context)


@dataclass(frozen=True)
class Rubric:
    run_id: str
    text: str
    updated_at: str

    @property
    def sha256(self) -> str:
        return rubric_sha(self.text)


def rubric_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    verdict: str  # pass | fail | error
    reason: str
    error: str | None = None


@dataclass
class AgreementReport:
    """Judge vs human over the traces both graded pass/fail."""

    n: int
    percent: float
    kappa: float | None
    confusion: dict[str, int]  # "human/judge" -> count, e.g. "pass/fail"
    judge_errors: int  # traces the human labelled whose judge verdict is "error"
    unjudged: int  # traces the human labelled that the judge has not graded

    @property
    def trusted(self) -> bool:
        return self.kappa is not None and self.kappa >= TRUST_KAPPA

    def summary(self) -> str:
        if not self.n:
            return "no trace has both a human label (pass/fail) and a judge verdict yet"
        kappa = "undefined" if self.kappa is None else f"{self.kappa:.2f}"
        return f"agreement {self.percent:.0%} over {self.n} traces, Cohen's kappa {kappa}"

    def warning(self) -> str | None:
        if self.trusted:
            return None
        if not self.n:
            return "the judge is not to be trusted: nothing to compare it with yet (label traces first)"
        why = "undefined (one verdict only on one side)" if self.kappa is None else f"{self.kappa:.2f} < {TRUST_KAPPA}"
        return f"the judge is not to be trusted: kappa {why}"

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "percent_agreement": round(self.percent, 4),
                "kappa": None if self.kappa is None else round(self.kappa, 4), "confusion": self.confusion,
                "judge_errors": self.judge_errors, "unjudged": self.unjudged, "trusted": self.trusted,
                "trust_threshold_kappa": TRUST_KAPPA}


# --- parsing --------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def _objects(text: str) -> list[str]:
    """Candidate JSON objects in `text`: the whole text, fenced blocks, then each balanced {...} span."""
    found = [text.strip()]
    found += [m.group(1).strip() for m in _FENCE.finditer(text)]
    depth, start, in_str, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start: i + 1])
    return found


def parse_verdict(text: str) -> Verdict:
    """{"verdict": "pass"|"fail", "reason": "..."} from a judge's answer (code fences and text around the
    object tolerated); anything else is verdict "error" naming what was wrong."""
    for candidate in _objects(text or ""):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        verdict = str(data.get("verdict", "")).strip().lower()
        if verdict in ("pass", "fail"):
            reason = data.get("reason", "")
            return Verdict(verdict, reason if isinstance(reason, str) else json.dumps(reason))
        return Verdict("error", "", f"verdict must be pass or fail, got {data.get('verdict')!r}")
    if not (text or "").strip():
        return Verdict("error", "", "empty answer")
    return Verdict("error", "", "the answer is not the JSON object asked for")


def judge_messages(rubric: str, trace: Trace) -> list[dict[str, str]]:
    parts = [f"## Rubric\n{rubric.strip() or '(none: pass a correct, helpful, safe answer)'}",
             f"## Prompt\n{(trace.prompt or '')[:_MAX_FIELD]}"]
    if trace.system:
        parts.insert(1, f"## System prompt the model was given\n{trace.system[:_MAX_FIELD]}")
    if trace.reference:
        parts.append(f"## Reference answer\n{trace.reference[:_MAX_FIELD]}")
    parts.append(f"## Model output\n{(trace.output or '')[:_MAX_FIELD]}")
    parts.append('Answer with JSON only: {"verdict": "pass" | "fail", "reason": "..."}')
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


# --- storage --------------------------------------------------------------------------------------------


class JudgeStore(Store):
    """The `rubrics` and `judge_verdicts` tables (judge verdicts never touch the human `labels`)."""

    def rubric(self, run_id: str | None = None) -> Rubric | None:
        """The run's rubric, else the one for all runs."""
        keys = [run_id, ALL_RUNS] if run_id else [ALL_RUNS]
        with self.lock:
            for key in keys:
                rows = list(self.db.query("select * from rubrics where run_id = ?", [key]))
                if rows:
                    return Rubric(rows[0]["run_id"], rows[0]["text"] or "", rows[0]["updated_at"] or "")
        return None

    def set_rubric(self, run_id: str | None, text: str) -> Rubric:
        row = {"run_id": run_id or ALL_RUNS, "text": text, "updated_at": now_iso()}
        with self.write():
            self.db.table("rubrics").upsert(row, pk="run_id")
        return Rubric(**row)

    def add_verdict(self, trace_id: str, verdict: Verdict, *, judge_endpoint: str, judge_model: str,
                    rubric_sha256: str, raw: str) -> None:
        row = {"trace_id": trace_id, "judge_endpoint": judge_endpoint, "judge_model": judge_model,
               "rubric_sha256": rubric_sha256, "verdict": verdict.verdict, "reason": verdict.reason,
               "raw": raw, "error": verdict.error, "created_at": now_iso()}
        with self.write():
            self.db.table("judge_verdicts").insert(row)

    def latest(self, *, judge_model: str | None = None, run_id: str | None = None) -> dict[str, dict[str, Any]]:
        """trace id -> its latest judge verdict row (of `judge_model` when given)."""
        sql = ("select v.* from judge_verdicts v join traces t on t.id = v.trace_id"
               " where (? is null or v.judge_model = ?) and (? is null or t.run_id = ?) order by v.id")
        with self.lock:
            rows = [dict(r) for r in self.db.query(sql, [judge_model, judge_model, run_id, run_id])]
        return {r["trace_id"]: r for r in rows}

    def judged(self, judge_model: str, rubric_sha256: str) -> set[str]:
        """Traces this judge already graded (pass or fail) under this rubric: a re-run skips them."""
        with self.lock:
            return {r["trace_id"] for r in self.db.query(
                "select distinct trace_id from judge_verdicts where judge_model = ? and rubric_sha256 = ?"
                " and verdict in ('pass', 'fail')", [judge_model, rubric_sha256])}

    def human_labels(self, run_id: str | None = None) -> dict[str, str]:
        """trace id -> latest human verdict, for traces labelled pass or fail."""
        sql = ("select t.id, l.verdict from traces t left join latest_labels l on l.trace_id = t.id"
               " where (? is null or t.run_id = ?)")
        with self.lock:
            rows = list(self.db.query(sql, [run_id, run_id]))
        return {r["id"]: r["verdict"] for r in rows if r["verdict"] in ("pass", "fail")}

    def agreement(self, *, run_id: str | None = None, judge_model: str | None = None) -> AgreementReport:
        human = self.human_labels(run_id)
        judge = self.latest(judge_model=judge_model, run_id=run_id)
        pairs = [(h, judge[t]["verdict"]) for t, h in sorted(human.items())
                 if t in judge and judge[t]["verdict"] in ("pass", "fail")]
        stats = cohen_kappa([h for h, _ in pairs], [j for _, j in pairs])
        confusion = Counter(f"{h}/{j}" for h, j in pairs)
        return AgreementReport(
            n=stats.n, percent=stats.percent, kappa=stats.kappa,
            confusion={k: confusion.get(k, 0) for k in ("pass/pass", "pass/fail", "fail/pass", "fail/fail")},
            judge_errors=sum(1 for t in human if t in judge and judge[t]["verdict"] == "error"),
            unjudged=sum(1 for t in human if t not in judge))

    def draft_rubric(self, run_id: str | None = None, examples: int = 2) -> str:
        """A rubric to edit, written from the failure modes (names and reviewers' notes)."""
        sql = ("select f.id, l.note from trace_failure_modes m"
               " join failure_modes f on f.id = m.mode_id join traces t on t.id = m.trace_id"
               " left join latest_labels l on l.trace_id = t.id"
               " where (? is null or t.run_id = ?) order by f.name, l.id")
        with self.lock:
            rows = [dict(r) for r in self.db.query(sql, [run_id, run_id])]
            final = final_modes(self.db.query("select * from failure_modes"))
        notes: dict[str, list[str]] = {}
        for row in rows:
            mode = final.get(row["id"])
            if mode is None:  # deleted, or merged into a mode that is gone
                continue
            bucket = notes.setdefault(str(mode["name"] or mode["id"]), [])
            note = " ".join((row.get("note") or "").split())
            if note and note not in bucket:
                bucket.append(note)
        lines = ["PASS when the answer is correct, does what the prompt asks, and matches the reference "
                 "answer where one is given.", "", "FAIL when any of these happens:"]
        if notes:
            for name, found in sorted(notes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                quoted = "; ".join(f'"{n[:120]}"' for n in found[:examples])
                lines.append(f"- {name}" + (f" (e.g. {quoted})" if quoted else ""))
        else:
            lines += ["- the answer is wrong or contradicts the reference",
                      "- it refuses a harmless request", "- it ignores the requested format or length"]
        return "\n".join(lines) + "\n"


# --- running the judge ----------------------------------------------------------------------------------


@dataclass
class JudgeSummary:
    judged: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0  # already graded by this judge under this rubric
    error_lines: list[str] = field(default_factory=list)


def traces_to_judge(traces: TraceStore, judge: JudgeStore, run_id: str | None, *, labelled_only: bool = True,
                    limit: int | None = None) -> list[Trace]:
    """Traces with an output (no error), those with a human pass/fail label only by default."""
    found = [t for t in traces.list(run_id=run_id) if not t.error and t.output]
    if labelled_only:
        human = judge.human_labels(run_id)
        found = [t for t in found if t.id in human]
    return found[:limit] if limit is not None else found


async def run_judge(store: JudgeStore, endpoint: Endpoint, traces: Sequence[Trace], rubric: str, *,
                    concurrency: int = 4, max_tokens: int = 256, resume: bool = True,
                    client: ChatClient | None = None,
                    on_progress: Callable[[int, int, JudgeSummary], None] | None = None) -> JudgeSummary:
    """Grade `traces` with `endpoint` under `rubric`, at most `concurrency` requests at a time; each verdict
    is committed as it arrives (a cancelled run keeps what it graded, and `resume` skips those next time)."""
    from ..serving.client import ChatClient, ChatRequest, Timeouts
    from ..serving.events import Done
    from ..serving.params import SamplingParams

    sha = rubric_sha(rubric)
    summary = JudgeSummary()
    done_before = store.judged(endpoint.model, sha) if resume else set()
    todo = [t for t in traces if t.id not in done_before]
    summary.skipped = len(traces) - len(todo)
    total = len(todo)
    gate = asyncio.Semaphore(max(1, concurrency))
    own = client is None
    chat = client or ChatClient(Timeouts(connect=5.0, read=120.0, deadline=300.0))

    async def one(trace: Trace) -> None:
        request = ChatRequest(endpoint.model, tuple(judge_messages(rubric, trace)),
                              SamplingParams(temperature=0.0, max_tokens=max_tokens))
        async with gate:
            result = await chat.collect(endpoint.base_url, request, api_key=endpoint.api_key)
        if isinstance(result, Done):
            verdict, raw = parse_verdict(result.text), result.text
            if verdict.error and result.metrics.finish_reason == "length":
                verdict = Verdict("error", "", f"{verdict.error} (cut off at max_tokens={max_tokens})")
        else:
            verdict, raw = Verdict("error", "", f"the judge request failed: {result.error}"), result.text
        await asyncio.to_thread(store.add_verdict, trace.id, verdict, judge_endpoint=endpoint.name,
                                judge_model=endpoint.model, rubric_sha256=sha, raw=raw)
        summary.judged += 1
        if verdict.verdict == "pass":
            summary.passed += 1
        elif verdict.verdict == "fail":
            summary.failed += 1
        else:
            summary.errors += 1
            if verdict.error and verdict.error not in summary.error_lines:
                summary.error_lines.append(verdict.error)
        if on_progress is not None:
            on_progress(summary.judged, total, summary)

    try:
        await asyncio.gather(*(one(t) for t in todo))
    finally:
        if own:
            await chat.aclose()
    return summary
