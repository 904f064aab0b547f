"""The rubric a run is judged by, and what an LLM judge says under it: a verdict parsed from its (strict JSON)
answer, the messages it is sent, and its agreement with the humans (percent agreement, Cohen's kappa,
confusion counts) shown before anyone trusts it. Plain: the tables are stores/judge.py, the judge run (an
endpoint grading traces) is judge.py."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .traces import Trace


ALL_RUNS = "*"  # the rubrics row used when no run is named, and the fallback of a run without its own
TRUST_KAPPA = 0.6  # below this the judge disagrees with the humans too often to stand in for them
JUDGE_SYSTEM = (
    "You grade one answer of an AI model against a rubric. Read the rubric, the prompt, the reference answer "
    "(if any) and the model's output. Reply with one JSON object and nothing else: "
    '{"verdict": "pass" or "fail", "reason": "one short sentence"}.'
)
# The verdict's shape, asked of servers that constrain their output (evals/judge.py response_format). The reason is
# bounded so a small judge cannot ramble past max_tokens and leave the object unclosed.
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["pass", "fail"]},
                   "reason": {"type": "string", "maxLength": 200}},
    "required": ["verdict", "reason"],
    "additionalProperties": False,
}
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
