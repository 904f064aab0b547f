"""`modelpick checks`: grade the traces again by their prompts' checks (evals/checks/) and show how the
checks agree with the human labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from .output import echo_json, escape, fail, print_table, say, services_from


@click.command("checks")
@click.option("--run", "run_id", help="Only this run's traces (default: every trace of a stored prompt set).")
@click.option("--set", "set_file", type=click.Path(path_type=Path),
              help="Read this prompt set's checks again first (after you changed them in the file).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: counts, agreement, each trace's checks.")
@click.pass_context
def checks_cmd(ctx: click.Context, run_id: str | None, set_file: Path | None, as_json: bool) -> None:
    """Grade traces by their prompts' checks (stored apart from labels and judge verdicts), then print each
    check's failures and the checks' agreement with the human labels (percent, Cohen's kappa, confusion, the
    traces where they disagree)."""
    from ..evals.promptsets import PromptSetError, content_id, load_prompt_set

    services = services_from(ctx)
    if run_id is not None and services.traces.get_run(run_id) is None:
        fail(f"no run {run_id!r} (the runs are listed by `modelpick runs`)")
    if set_file is not None:
        try:
            prompt_set = load_prompt_set(set_file)
        except PromptSetError as exc:
            fail(str(exc))
        if prompt_set.errors:
            fail(f"{set_file}: {len(prompt_set.errors)} bad row(s) ({prompt_set.errors[0]}); fix them first")
        set_id = content_id(prompt_set)
        if services.prompt_sets.get(set_id) is None:
            fail(f"{set_file}: no run used these prompts yet (run it with `modelpick run`)")
        changed = services.prompt_sets.set_checks(set_id, prompt_set)
        say(f"{escape(prompt_set.name)}: checks changed on {changed} prompt(s)", err=True)
    graded = services.checks.regrade(run_id)
    agreement = services.checks.agreement(run_id)
    verdicts = {t: ("pass" if all(r.passed for r in rs) else "fail") for t, rs in graded.items() if rs}
    failing = Counter(r.check.describe() for rs in graded.values() for r in rs if not r.passed)
    if as_json:
        traces = {t.id: t for t in services.traces.list(run_id=run_id)} if graded else {}
        echo_json({
            "run": run_id, "graded": len(verdicts), "pass": sum(v == "pass" for v in verdicts.values()),
            "fail": sum(v == "fail" for v in verdicts.values()), "failing_checks": dict(failing.most_common()),
            "agreement": agreement.to_json(),
            "traces": [_trace_json(traces.get(t), t, rs) for t, rs in graded.items() if rs],
        })
        return
    if not verdicts:
        say("no trace has checks" + (f" in run {escape(run_id)}" if run_id else "") +
            ": give prompts a `checks` field (docs/checks.md) and run the set")
        return
    passed = sum(v == "pass" for v in verdicts.values())
    say(f"graded {len(verdicts)} traces: {passed} pass their checks, {len(verdicts) - passed} fail")
    if failing:
        from rich.table import Table

        table = Table(title="failing checks", title_justify="left")
        table.add_column("check")
        table.add_column("traces failing", justify="right")
        for check, count in failing.most_common(12):
            table.add_row(escape(check), str(count))
        print_table(table)
    say(escape(agreement.summary()))
    if agreement.n:
        c = agreement.confusion
        say(f"  human pass: checks pass {c['pass/pass']}, checks fail {c['pass/fail']}; "
            f"human fail: checks pass {c['fail/pass']}, checks fail {c['fail/fail']}")
        for trace_id, human, machine in agreement.disagreements[:10]:
            reasons = "; ".join(r.line() for r in graded.get(trace_id, []) if not r.passed)
            say(f"  [yellow]disagree[/] {escape(trace_id[:12])}: human {human}, checks {machine}"
                + (f" ({escape(reasons)})" if reasons else ""))


def _trace_json(trace: Any, trace_id: str, results: list[Any]) -> dict[str, Any]:
    return {"trace_id": trace_id, "prompt_id": getattr(trace, "prompt_id", None),
            "endpoint": getattr(trace, "endpoint", None), "model": getattr(trace, "model", None),
            "verdict": "pass" if all(r.passed for r in results) else "fail",
            "checks": [{**r.check.to_json(), "passed": r.passed, "reason": r.reason} for r in results]}
