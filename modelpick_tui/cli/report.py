"""CLI commands: modelpick scoreboard / report / rubric / judge (issue 6: evals/scoreboard.py, decision.py,
judge.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..untrusted import json_text
from .output import api_key_option, echo_json, echo_text, escape, fail, ms_cell, print_table, say, services_from


def _check_run(services: Any, run_id: str | None) -> None:
    if run_id is not None and services.traces.get_run(run_id) is None:
        raise click.ClickException(f"no run {run_id!r} (the runs are listed by `modelpick runs`)")


def _version_id(services: Any, name: str | None) -> str | None:
    """The id of the prompt version named (or given by id); None for none; an unknown one is one line."""
    if name is None:
        return None
    version = services.prompt_versions.get(name)
    if version is None:
        raise click.ClickException(f"no prompt version {name!r} (see `modelpick prompt list`)")
    return str(version.id)


@click.command("scoreboard")
@click.option("--run", "run_id", help="Only this run's traces (default: all traces).")
@click.option("--sort", type=click.Choice(["pass", "low", "labelled", "traces", "params", "latency", "ttft",
                                           "tps", "win", "model"]), default="pass", show_default=True)
@click.option("--prompt", "prompt_name", metavar="VERSION",
              help="Only the traces made with this prompt version (`modelpick run --prompt`).")
@click.option("--slo", help="Capacity at this SLO (ttft=500ms,tpot=50ms); default: each model's newest load test.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model on stdout.")
@click.pass_context
def scoreboard_cmd(ctx: click.Context, run_id: str | None, sort: str, prompt_name: str | None, slo: str | None,
                   as_json: bool) -> None:
    """Per model: traces, labels, pass rate with a 95% interval, capacity at the SLO and $/1M output tokens (from
    `modelpick load` and `cost price`), failure modes, latency, tokens/s, win rate."""
    from rich.table import Table

    from ..catalog.units import format_params
    from ..evals.constraints import attach_costs
    from ..evals.decision import candidates
    from ..evals.prices import money
    from ..evals.scoreboard import sort_scores

    services = services_from(ctx)
    _check_run(services, run_id)
    version = _version_id(services, prompt_name)
    constraints = _constraints(slo, None, None)
    found = candidates(services.traces, services.failures, services.catalog.store, run_id, pin=False,
                       prompt_version=version)
    attach_costs(found, services.load, services.prices, constraints)
    cands = {c.score.model: c for c in found}
    scores = sort_scores([c.score for c in cands.values()], sort)
    if as_json:
        for s in scores:
            echo_json({**s.to_json(), "license": cands[s.model].provenance.license,
                       **_capacity_json(cands[s.model].cost)}, ensure_ascii=False)
        return
    if not scores:
        say("no traces yet" + (f" in run {escape(run_id)}" if run_id else "") +
            (f" made with prompt version {escape(prompt_name or '')}" if version else "") +
             ": run a prompt set (`modelpick run`) or compare endpoints first")
        return
    scope = ("run " + escape(run_id) if run_id else "all runs") + (f", prompt {escape(prompt_name)}" if prompt_name
                                                                    else "")
    table = Table(title=f"scoreboard ({scope}, sorted by {sort})",
                  title_justify="left")
    for col, justify in (("model", "left"), ("params", "right"), ("traces", "right"), ("labelled", "right"),
                         ("pass rate [95% CI]", "left"), ("capacity", "right"), ("$/1M out", "right"),
                         ("ttft p50/p95 ms", "right"),
                         ("latency p50/p95 ms", "right"), ("tok/s", "right"), ("win", "right"),
                         ("failure modes", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in scores:
        rate = s.pass_rate
        win = s.win.rate.estimate if s.win and s.win.decided else None
        modes = ", ".join(f"{k} ({v})" for k, v in list(s.failure_modes.items())[:3])
        table.add_row(escape(s.model), format_params(s.params), str(s.traces), str(s.labelled),
                      f"{rate.estimate:.0%} [{rate.low:.0%}–{rate.high:.0%}]" if s.labelled else "",
                      *_capacity_cells(cands[s.model].cost, money), f"{ms_cell(s.ttft_p50)} / {ms_cell(s.ttft_p95)}",
                      f"{ms_cell(s.latency_p50)} / {ms_cell(s.latency_p95)}",
                      "" if s.tokens_per_s is None else f"{s.tokens_per_s:.1f}",
                      "" if win is None else f"{win:.0%}", escape(modes))
    print_table(table)


def _capacity_json(fig: Any) -> dict[str, Any]:
    """A model's capacity and cost fields for the scoreboard's JSON (None where not measured or not priced)."""
    return {"slo": fig.slo, "capacity_concurrency": fig.capacity_concurrency, "capacity_rps": fig.capacity_rps,
            "hardware": fig.hardware, "usd_per_1m_output_tokens": fig.usd_per_1m_output_tokens,
            "usd_per_1m_requests": fig.usd_per_1m_requests, "cost_missing": fig.missing}


def _capacity_cells(fig: Any, money: Any) -> tuple[str, str]:
    """"8 @ ttft=500ms,tpot=50ms" and "$1.38", or what is missing ("not measured", "set a price")."""
    if fig.capacity_rps is None:
        return escape(fig.missing or "not measured"), ""
    return (f"{fig.capacity_concurrency} @ {escape(fig.slo or '')}",
            escape(money(fig.usd_per_1m_output_tokens, fig.missing or "set a price")))


@click.command("report")
@click.option("--run", "run_id", help="Decide on this run's traces (default: all traces).")
@click.option("--bar", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
              help="The pass rate a model must reach.")
@click.option("--basis", type=click.Choice(["low", "estimate"]), default="low", show_default=True,
              help="Apply the bar to the 95% interval's lower bound (low) or to the pass rate itself.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the report (default: MODELPICK_HOME/reports).")
@click.option("--prompt", "prompt_name", metavar="VERSION",
              help="Decide on the traces made with this prompt version only (the decision is a model and its prompt).")
@click.option("--slo", help="The chosen model must serve within this SLO (ttft=500ms,tpot=50ms[,e2e=2s]) at its "
                             "load-tested capacity (`modelpick load`); untested models are 'not measured'.")
@click.option("--workload", help="…and serve this workload: 2rps[,in=800,out=300] or 10Mtok/month (replicas "
                                 "behind a gateway).")
@click.option("--budget", help="…for at most this much: 3000/month (needs --workload and a price: `cost price`).")
@click.option("--json", "as_json", is_flag=True, help="Print the report's JSON on stdout.")
@click.pass_context
def report_cmd(ctx: click.Context, run_id: str | None, bar: float, basis: str, out_dir: Path | None,
               prompt_name: str | None, slo: str | None, workload: str | None, budget: str | None,
               as_json: bool) -> None:
    """Write the decision report (Markdown + JSON): the chosen model, pinned, and why the others were not. The bar
    and constraints are kept as the next report's defaults in the TUI (`w` on the scoreboard)."""
    from ..evals.constraints import ReportInputs
    from ..evals.decision import scores

    services = services_from(ctx)
    _check_run(services, run_id)
    version = _version_id(services, prompt_name)
    constraints = _constraints(slo, workload, budget)
    if not scores(services.traces, services.failures, run_id, version):
        raise click.ClickException("no traces to decide on" + (f" in run {run_id}" if run_id else "") +
                                   (f" made with prompt version {prompt_name}" if version else "") +
                                   ": run a prompt set and label its traces first")
    try:
        files = services.write_report(run_id, bar=bar, basis=basis, out_dir=out_dir, prompt_version=version,
                                      constraints=constraints)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report: {exc}") from None
    services.save_report_inputs(ReportInputs(f"{bar:g}", slo or "", workload or "", budget or ""))
    d = files.decision
    if as_json:
        click.echo(json_text(files.json_path.read_text(encoding="utf-8")), nl=False)
    elif d.chosen is not None:
        p = d.chosen.provenance
        say(f"[green]chosen[/] {escape(d.chosen.score.model)}: {escape(d.chosen.reason)}")
        say(f"  pin      {escape(p.pin)}")
        say(f"  licence  {escape(p.license or 'unknown')}")
        prompt_json = d.prompt_version_json()
        if prompt_json:
            say(f"  prompt   {escape(str(prompt_json.get('name') or prompt_json))}"
                + (f" ({escape(prompt_json['id'])})" if prompt_json.get("id") else ""))
        if d.constraints is not None and d.chosen.cost is not None:  # self-hosting it against an API, priced how
            from ..evals.cost import api_words

            say(f"  vs API   {escape(api_words(d.chosen.cost))}")
        for c in d.rejected:
            say(f"  [dim]rejected[/] {escape(c.score.model)}: {escape(c.reason)}")
    else:
        also = f" and {constraints.words()}" if constraints else ""
        say(f"[yellow]no model meets the bar {bar:.2f}{escape(also)}[/]")
        for c in d.rejected:
            say(f"  {escape(c.score.model)}: {escape(c.reason)}")
    say(f"report: {escape(str(files.markdown_path))}", err=as_json)
    say(f"json:   {escape(str(files.json_path))}", err=as_json)
    if d.chosen is None:
        sys.exit(1)


def _constraints(slo: str | None, workload: str | None, budget: str | None) -> Any:
    """The report's constraints beyond the bar (evals/constraints.py), None when none is given; bad input is one
    line."""
    from ..evals.constraints import parse_constraints

    try:
        return parse_constraints(slo, workload, budget)
    except ValueError as exc:  # SloError, CostError, a budget without a workload
        raise click.ClickException(str(exc)) from None


@click.command("rubric")
@click.option("--run", "run_id", help="The run's rubric (default: the rubric for all runs).")
@click.option("--edit", "edit_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Set the rubric from this file (- reads stdin).")
@click.option("--show", is_flag=True, help="Print the rubric (the default).")
@click.option("--draft", is_flag=True, help="Print a draft written from the failure modes, to edit.")
@click.pass_context
def rubric_cmd(ctx: click.Context, run_id: str | None, edit_file: Path | None, show: bool, draft: bool) -> None:
    """Show or set the pass/fail rubric a run is judged by."""
    services = services_from(ctx)
    _check_run(services, run_id)
    store = services.judge
    if sum(bool(x) for x in (edit_file, show, draft)) > 1:
        raise click.UsageError("use one of --edit, --show, --draft")
    if draft:
        echo_text(store.draft_rubric(run_id), nl=False)
        return
    if edit_file is not None:
        from ..evals.records import NotRecords, read_stream_text, read_user_text
        try:
            # A file goes through the one reader of user files: a regular file only, its size capped; stdin is
            # capped alike (`yes | modelpick rubric --edit -` must end with one line, not fill memory).
            text = (read_stream_text(sys.stdin.buffer, "stdin", "a rubric")[0] if str(edit_file) == "-"
                    else read_user_text(edit_file, "a rubric")[0])
        except NotRecords as exc:
            raise click.ClickException(str(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"cannot read {edit_file}: {exc}") from None
        if not text.strip():
            raise click.ClickException("the rubric is empty: nothing saved")
        rubric = store.set_rubric(run_id, text)
        say(f"rubric saved for {escape('run ' + run_id) if run_id else 'all runs'} "
             f"({len(text.splitlines())} lines, sha256 {rubric.sha256[:12]})")
        return
    found = store.rubric(run_id)
    if found is None:
        say("no rubric yet: write one with `modelpick rubric --edit FILE` (start from `--draft`)", err=True)
        sys.exit(1)
    echo_text(found.text, nl=not found.text.endswith("\n"))


@click.command("judge")
@click.option("--endpoint", "target", required=True, help="A server name, or an OpenAI-compatible URL.")
@click.option("--model", help="The model name to ask for (needed with a URL).")
@api_key_option("--api-key", what="Key for a URL endpoint.")
@click.option("--run", "run_id", help="Judge this run's traces (default: all traces).")
@click.option("--all", "all_traces", is_flag=True,
              help="Judge every trace, not only those a human labelled pass/fail.")
@click.option("--limit", type=click.IntRange(1), help="At most this many traces.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--max-tokens", type=click.IntRange(16, 8192), default=256, show_default=True)
@click.option("--structured/--no-structured", default=True, show_default=True,
              help="Ask the server for a verdict-shaped answer (llama.cpp: a JSON schema grammar; vLLM: guided "
                   "json_schema); remote endpoints are parsed as they answer.")
@click.option("--json", "as_json", is_flag=True, help="The summary and agreement as JSON on stdout.")
@click.pass_context
def judge_cmd(ctx: click.Context, target: str, model: str | None, api_key: str | None, run_id: str | None,
              all_traces: bool, limit: int | None, concurrency: int, max_tokens: int, structured: bool,
              as_json: bool) -> None:
    """Grade traces with an LLM judge under the rubric; print its agreement with the human labels."""
    import asyncio

    from ..serving.endpoints import resolve
    from ..serving.spec import ServingError

    services = services_from(ctx)
    _check_run(services, run_id)
    store = services.judge
    rubric = store.rubric(run_id)
    if rubric is None:
        fail("no rubric to judge by: write one first (modelpick rubric --draft > r.txt; "
              "modelpick rubric --edit r.txt)")
        return
    try:
        endpoint = resolve(services.supervisor, target, model=model, api_key=api_key)
    except ServingError as exc:
        fail(str(exc))
        return
    traces = services.traces_to_judge(run_id, labelled_only=not all_traces, limit=limit)
    if not traces:
        say("nothing to judge: " + ("no traces with an output" if all_traces else
                                     "no trace has a human pass/fail label yet (or use --all)"), err=True)
    else:
        say(f"judging {len(traces)} traces with {escape(endpoint.name)} ({escape(endpoint.model)})…", err=True)

    def progress(done: int, total: int, _summary: Any) -> None:
        if err_tty:
            click.echo(f"\r{done}/{total}", nl=False, err=True)

    err_tty = sys.stderr.isatty()
    try:
        summary = asyncio.run(services.run_judge(endpoint, traces, rubric.text, concurrency=concurrency,
                                                 max_tokens=max_tokens, structured=structured,
                                                 on_progress=progress))
    except KeyboardInterrupt:
        say("cancelled: the verdicts so far are kept; run again to go on", err=True)
        sys.exit(130)
    if err_tty and traces:
        click.echo("", err=True)
    agreement = store.agreement(run_id=run_id, judge_model=endpoint.model)
    corrected = store.corrected(run_id=run_id, judge_model=endpoint.model)
    if as_json:
        echo_json({"judge": endpoint.public(), "judged": summary.judged, "pass": summary.passed,
                               "fail": summary.failed, "error": summary.errors, "skipped": summary.skipped,
                               "structured": summary.structured,
                               "errors": summary.error_lines, "agreement": agreement.to_json(),
                               "corrected_pass_rate": {m: c.to_json() for m, c in corrected.items()}})
        return
    say(f"judged {summary.judged}: {summary.passed} pass, {summary.failed} fail, {summary.errors} error"
         + (f" ({summary.skipped} already judged under this rubric)" if summary.skipped else "")
         + (f" · structured output: {summary.structured}" if summary.structured else ""))
    for line in summary.error_lines[:3]:
        say(f"  [yellow]error[/] {escape(line)}")
    say(escape(agreement.summary()))
    c = agreement.confusion
    if agreement.n:
        say(f"  human pass: judge pass {c['pass/pass']}, judge fail {c['pass/fail']}; "
             f"human fail: judge pass {c['fail/pass']}, judge fail {c['fail/fail']}")
    for model, rate in corrected.items():  # the judge's pass rate, corrected for its errors (beside raw and kappa)
        say(f"  pass rate of {escape(model or '?')} by this judge: {escape(rate.line())}")
    warning = agreement.warning()
    if warning:
        say(f"[yellow]warning[/] {escape(warning)}")
