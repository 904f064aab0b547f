"""What every grader says of each trace of a run, in one read: its latest human label, its checks, its judge's
latest verdict and its failure mode (the tables: labels, check_results, judge_verdicts, trace_failure_modes).
The run diff (evals/diff.py) and the judge's correction read it."""

from __future__ import annotations

from ..diff import Graded
from ..failure_modes import final_modes
from .base import Store


class GradeStore(Store):
    """Reads across the graders' tables; writes nothing."""

    def graded(self, run_id: str) -> list[Graded]:
        """The run's traces in the order they were made, each with what its graders say."""
        sql = (
            "select t.id, t.prompt_id, t.prompt, t.model, t.endpoint, t.error, l.verdict as human,"
            " (select min(c.passed) from check_results c where c.trace_id = t.id) as checks_ok,"
            " (select v.verdict from judge_verdicts v where v.trace_id = t.id order by v.id desc limit 1) as judge,"
            " (select m.mode_id from trace_failure_modes m where m.trace_id = t.id) as mode_id"
            " from traces t left join latest_labels l on l.trace_id = t.id"
            " where t.run_id = ? order by t.created_at, t.rowid")
        # The cursor's tuples, not sqlite-utils' dicts: a run of 10k traces is read in ~0.1 s instead of ~0.5 s.
        with self.lock:
            rows = self.db.conn.execute(sql, [run_id]).fetchall()
            modes = final_modes(self.db.query("select * from failure_modes")) if any(r[9] for r in rows) else {}
        out = []
        for trace_id, prompt_id, prompt, model, endpoint, error, human, checks_ok, judge, mode_id in rows:
            mode = modes.get(mode_id) if mode_id else None
            out.append(Graded(
                trace_id, prompt_id, prompt or "", model or "", endpoint or "", error,
                human if human in ("pass", "fail") else None,
                None if checks_ok is None else ("pass" if checks_ok else "fail"),
                judge if judge in ("pass", "fail") else None,
                str(mode.get("name") or mode.get("id")) if mode else None))
        return out
