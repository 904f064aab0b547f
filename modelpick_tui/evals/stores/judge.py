"""The `rubrics` and `judge_verdicts` tables, kept apart from the human labels (the judge itself: evals/judge.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...clock import now_iso
from ..failure_modes import final_modes
from ..rubric import ALL_RUNS, AgreementReport, Rubric, Verdict
from ..stats import Corrected, cohen_kappa, corrected_pass_rate, pass_fail_confusion
from .base import Store

if TYPE_CHECKING:
    pass


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
        return AgreementReport(
            n=stats.n, percent=stats.percent, kappa=stats.kappa, confusion=pass_fail_confusion(pairs),
            judge_errors=sum(1 for t in human if t in judge and judge[t]["verdict"] == "error"),
            unjudged=sum(1 for t in human if t not in judge))

    def corrected(self, *, run_id: str | None = None, judge_model: str | None = None) -> dict[str, Corrected]:
        """Per model of the judged traces: the judge's raw pass rate and θ, corrected by its TPR and TNR on every
        trace of the run a human labelled too (the judge's accuracy, not one model's)."""
        human = self.human_labels(run_id)
        judge = {t: r for t, r in self.latest(judge_model=judge_model, run_id=run_id).items()
                 if r["verdict"] in ("pass", "fail")}
        labelled = [(human[t] == "pass", r["verdict"] == "pass") for t, r in sorted(judge.items()) if t in human]
        with self.lock:
            models = {r["id"]: r["model"] or "" for r in self.db.query(
                "select id, model from traces where id in (select value from json_each(?))",
                [json.dumps(list(judge))])}
        per: dict[str, list[bool]] = {}
        for trace_id, row in sorted(judge.items()):
            per.setdefault(models.get(trace_id, ""), []).append(row["verdict"] == "pass")
        return {model: corrected_pass_rate(verdicts, labelled) for model, verdicts in sorted(per.items())}

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
