"""CLI command: `modelpick run PROMPTSET --endpoint …` (evals/runner.py does the work; `runs` lists them)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import click

from ..serving.params import DEFAULT_MAX_TOKENS, TEMPERATURE_RANGE, TOP_P_RANGE
from .output import api_key_option, escape, fail, print_table, say, services_from

PLAIN_EVERY_S = 5.0  # without a terminal: a progress line at most this often (and at every tenth)
# Exit statuses of `modelpick run`, so a script can tell a partial run from a total failure (a run in which
# every request failed used to exit 0). Ctrl-C is 130, as for any command a shell interrupts.
EXIT_ALL_ANSWERED, EXIT_ALL_FAILED, EXIT_SOME_FAILED, EXIT_CANCELLED = 0, 1, 3, 130


def _fmt_ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} ms"


def _plain_progress(emit: Any) -> Any:
    """A progress callback for logs and pipes: a line at every 10 % and at most every few seconds."""
    last = {"at": 0.0, "tenth": -1}

    def report(p: Any) -> None:
        tenth = (10 * p.done) // max(p.total, 1)
        now = time.monotonic()
        if p.done == 0 or (p.done < p.total and tenth == last["tenth"] and now - last["at"] < PLAIN_EVERY_S):
            return
        if p.done == p.total and last["tenth"] == 10:
            return
        last["at"], last["tenth"] = now, tenth
        emit(f"run {p.run_id}: {p.line()}")

    return report


@click.command("run")
@click.argument("promptset", required=False, type=click.Path(path_type=Path))
@click.option("--endpoint", "-e", "endpoints", multiple=True, metavar="NAME_OR_URL",
              help="A server or remote endpoint by name, or an OpenAI-compatible URL (repeatable).")
@click.option("--model", help="The model name, for URL endpoints.")
@api_key_option("--api-key", what="API key, for URL endpoints (never stored).")
@click.option("--concurrency", "-c", type=click.IntRange(1, 512), default=8, show_default=True,
              help="Requests in flight in all.")
@click.option("--per-endpoint", type=click.IntRange(1, 512), default=4, show_default=True,
              help="Requests in flight per endpoint (a llama.cpp server always gets one at a time).")
@click.option("--system", help='System prompt for every prompt (overrides the set\'s; "" removes it).')
@click.option("--prompt", "prompt_version", metavar="VERSION",
              help="A prompt version (`modelpick prompt new`): its system prompt for prompts without their own, and "
                   "its examples; recorded with every trace. Not with --system.")
@click.option("--temperature", type=click.FloatRange(*TEMPERATURE_RANGE))
@click.option("--top-p", type=click.FloatRange(*TOP_P_RANGE))
@click.option("--max-tokens", type=click.IntRange(1, 1_000_000), default=DEFAULT_MAX_TOKENS, show_default=True,
              help="The longest answer asked for (compare's default too).")
@click.option("--seed", type=int)
@click.option("--timeout", type=click.FloatRange(0.1, 86_400), default=120.0, show_default=True,
              help="Seconds a request may wait for the answer to start, or for the next line of it, before it "
                   "fails.")
@click.option("--max-time", type=click.FloatRange(0.1, 86_400), default=900.0, show_default=True,
              help="Seconds a request may take in all, however steadily it streams (a cut answer is stored "
                   "as failed, with what came).")
@click.option("--name", help="A name for the run (default: set × endpoints).")
@click.option("--resume", "resume_id", metavar="RUN_ID",
              help="Finish an earlier run: skip answered pairs, retry failed ones.")
@click.option("--skip-bad-rows", is_flag=True, help="Run the good rows of a prompt set that has bad ones.")
@click.pass_context
def run(ctx: click.Context, promptset: Path | None, endpoints: tuple[str, ...], model: str | None,
        api_key: str | None, concurrency: int, per_endpoint: int, system: str | None, temperature: float | None,
        top_p: float | None, max_tokens: int | None, seed: int | None, timeout: float, max_time: float,
        name: str | None,
        resume_id: str | None, skip_bad_rows: bool, prompt_version: str | None) -> None:
    """Send every prompt of PROMPTSET (JSONL or CSV) to every endpoint; each answer is stored as a trace.

    Ctrl-C cancels; `--resume RUN_ID` finishes it later without redoing what was answered.

    \b
    Exit status:
      0    every request was answered
      3    some requests failed (the others were answered; --resume retries the failed ones)
      1    every request failed, or the run could not start
      130  cancelled by Ctrl-C"""
    from ..evals.promptsets import PromptSetError, load_prompt_set
    from ..evals.traces import RunError, RunHeld, RunParams
    from ..serving.client import Timeouts
    from ..serving.endpoints import is_url, resolve, resolve_run_endpoints
    from ..serving.params import SamplingParams
    from ..serving.spec import ServingError

    if prompt_version is not None and system is not None:
        fail("give --prompt VERSION or --system TEXT, not both (a version holds its own system prompt)")
    if prompt_version is not None and resume_id:
        fail("a resumed run keeps the prompt version it began with: drop --prompt")
    if resume_id and promptset is not None:
        fail("give a prompt set or --resume RUN_ID, not both")
    if not resume_id and promptset is None:
        fail("give a prompt set file (JSONL or CSV), or --resume RUN_ID")
    if not resume_id and not endpoints:
        fail("give at least one --endpoint NAME_OR_URL (see `modelpick servers`)")
    prompt_set = None
    if promptset is not None:
        try:
            prompt_set = load_prompt_set(promptset)
        except PromptSetError as exc:
            fail(str(exc))
        assert prompt_set is not None
        if prompt_set.errors and not skip_bad_rows:
            shown = "; ".join(str(e) for e in prompt_set.errors[:3])
            more = f"; +{len(prompt_set.errors) - 3} more" if len(prompt_set.errors) > 3 else ""
            fail(f"{promptset}: {len(prompt_set.errors)} bad row(s) ({shown}{more}); fix them or pass "
                  "--skip-bad-rows")
    services = services_from(ctx)
    version = None
    if prompt_version is not None:
        version = services.prompt_versions.get(prompt_version)
        if version is None:
            fail(f"no prompt version {prompt_version!r} (see `modelpick prompt list`)")
    supervisor = services.supervisor
    timeouts = Timeouts(connect=10.0, read=timeout, deadline=max_time)
    runner = services.runner(concurrency=concurrency, per_endpoint=per_endpoint, timeouts=timeouts)
    try:
        if resume_id:
            stored = services.traces.get_run(resume_id)
            if stored is None:
                fail(f"no run {resume_id!r} (see `modelpick runs`)")
            assert stored is not None
            if stored["owner"] is not None:  # said before endpoints are resolved; the runner's claim decides
                fail(str(RunHeld(resume_id, stored["owner"])))
            keys = {e["name"]: api_key for e in stored["endpoints"] if api_key}
            targets = resolve_run_endpoints(supervisor, stored, keys)
        else:
            targets = [resolve(supervisor, text, model=model if is_url(text) else None,
                               api_key=api_key if is_url(text) else None) for text in endpoints]
    except ServingError as exc:
        fail(str(exc))
    sampling = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    params = RunParams(system, sampling, version)
    _execute(runner, prompt_set, targets, params, name or "", resume_id, RunError)


def _execute(runner: Any, prompt_set: Any, targets: list[Any], params: Any, name: str, resume_id: str | None,
             run_error: type[Exception]) -> None:
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .output import err_console

    seen: dict[str, Any] = {"run_id": resume_id}
    plain = _plain_progress(lambda line: say(escape(line), err=True))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[extra]}"), TimeElapsedColumn(), console=err_console,
                        transient=True, disable=not err_console.is_terminal)

    def on_progress(p: Any) -> None:
        seen["run_id"], seen["last"] = p.run_id, p
        if not err_console.is_terminal:
            plain(p)
            return
        if "task" not in seen:
            seen["task"] = progress.add_task(f"run {p.run_id}", total=p.total, extra="")
        extra = f"{p.failed} failed" + (f" · ETA {_eta(p.eta_s)}" if p.eta_s is not None and p.done < p.total else "")
        progress.update(seen["task"], completed=p.done, extra=extra)

    async def go() -> Any:
        if resume_id:
            return await runner.resume(resume_id, targets, on_progress=on_progress)
        return await runner.run(prompt_set, targets, params, name=name, on_progress=on_progress)

    try:
        with progress:
            result = asyncio.run(go())
    except KeyboardInterrupt:
        run_id = seen.get("run_id")
        last = seen.get("last")
        done = f" after {last.done}/{last.total} ({last.failed} failed)" if last else ""
        say(escape(f"cancelled run {run_id}{done}; resume it with: modelpick run --resume {run_id}"), err=True)
        sys.exit(EXIT_CANCELLED)
    except run_error as exc:
        fail(str(exc))
    _summary(runner, result)
    sys.exit(exit_status(result))


def exit_status(result: Any) -> int:
    """The run's exit status (see `run --help`), over the whole run (`ok` counts what a resumed run answered
    before)."""
    if result.status == "failed" or result.ok == 0:
        return EXIT_ALL_FAILED
    return EXIT_SOME_FAILED if result.failed else EXIT_ALL_ANSWERED


def _eta(seconds: float) -> str:
    from ..evals.traces import format_eta

    return format_eta(seconds)


def _summary(runner: Any, result: Any) -> None:
    from rich.table import Table

    from ..evals.runner import summarize

    traces = runner.traces.list(run_id=result.run_id)
    table = Table(title=escape(f"run {result.run_id}: {result.status}"), title_justify="left")
    for col in ("endpoint", "model", "ok", "failed", "TTFT p50", "TTFT p95", "latency p50", "tok/s"):
        # Names fold rather than end in "…": two endpoints on one host differ only at the end.
        table.add_column(col, justify="left" if col in ("endpoint", "model") else "right",
                         overflow="fold" if col in ("endpoint", "model") else "ellipsis")
    for s in summarize(traces):
        table.add_row(escape(s.endpoint), escape(s.model), str(s.ok), str(s.failed), _fmt_ms(s.ttft_p50_ms),
                      _fmt_ms(s.ttft_p95_ms), _fmt_ms(s.latency_p50_ms),
                      "" if s.tokens_per_s is None else f"{s.tokens_per_s:.1f}")
    print_table(table)
    errors = Counter(t.error for t in traces if t.error)
    for error, count in errors.most_common(3):
        say(f"[yellow]{count} failed:[/] {escape(error or '')}", err=True)
    extra = f" ({result.skipped} answered before)" if result.skipped else ""
    say(f"{result.ok + result.failed}/{result.total} answered{extra}, {result.failed} failed, "
         f"in {result.elapsed_s:.1f} s · run {escape(result.run_id)}")
    if result.failed:
        say(f"retry the failed ones with: modelpick run --resume {escape(result.run_id)}", err=True)
