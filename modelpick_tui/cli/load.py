"""CLI command: `modelpick load ENDPOINT…` — each endpoint's capacity at a latency SLO (evals/load/ does the work)."""

from __future__ import annotations

import sys
from typing import Any

import click

from .output import api_key_option, echo_json, escape, fail, ms_cell, print_table, say, services_from

EXIT_CANCELLED = 130


@click.command("load")
@click.argument("endpoints", nargs=-1, metavar="ENDPOINT...")
@click.option("--prompt-set", "prompt_set", metavar="SET",
              help="A JSONL/CSV prompt set or a stored set's id (default: the prompts of the runs already made on "
                   "the endpoint, else the sample support set).")
@click.option("--slo", default=None, metavar="BOUNDS",
              help="What a request must meet: ttft=500ms,tpot=50ms[,e2e=2s] (ms or s). [default: ttft=500ms,tpot=50ms]")
@click.option("--target", type=click.FloatRange(0.01, 0.999), default=0.9, show_default=True,
              help="The share of requests that must meet the SLO (a level passes when its 95% interval clears it).")
@click.option("--max-concurrency", type=click.IntRange(1, 4096), default=64, show_default=True,
              help="The most concurrent users tried.")
@click.option("--duration", type=click.FloatRange(0.5, 86_400), default=20.0, show_default=True,
              help="Seconds each level runs (an unresolved level runs as long again, once).")
@click.option("--max-tokens", type=click.IntRange(1, 1_000_000), default=128, show_default=True,
              help="The longest answer asked for.")
@click.option("--model", help="The model name, for URL endpoints.")
@api_key_option("--api-key", what="API key, for URL endpoints (never stored).")
@click.option("--hardware", help="What the endpoint runs on (`1xNVIDIA H100 80GB HBM3`, `cpu`); default: this "
                                 "machine's for a server modelpick started, unknown for a URL.")
@click.option("--resume", "resume_id", metavar="ID", help="Go on with an interrupted load test.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per endpoint on stdout.")
@click.pass_context
def load(ctx: click.Context, endpoints: tuple[str, ...], prompt_set: str | None, slo: str | None, target: float,
         max_concurrency: int, duration: float, max_tokens: int, model: str | None, api_key: str | None,
         hardware: str | None, resume_id: str | None, as_json: bool) -> None:
    """How many concurrent users each ENDPOINT (a server's name, or an OpenAI-compatible URL with --model)
    serves within a latency SLO: one user first, then doubling until too few requests meet the SLO, then
    bisection. Each level is stored as it finishes; Ctrl-C keeps them (`--resume ID` goes on).

    \b
    Exit status: 0 every test finished; 1 bad input, or a server failed or could not be reached; 130 Ctrl-C."""
    from ..evals.load import DEFAULT_SLO, SloError, parse_slo
    from ..evals.load.sources import LoadPromptsError, prompts_for, this_machine
    from ..evals.load.tester import new_test
    from ..serving.endpoints import is_url, resolve
    from ..serving.spec import ServingError

    if resume_id and endpoints:
        fail("give endpoints or --resume ID, not both")
    if not resume_id and not endpoints:
        fail("give at least one endpoint (a server's name or a URL with --model; see `modelpick servers`)")
    try:
        slo_text = str(parse_slo(slo or DEFAULT_SLO))
    except SloError as exc:
        fail(f"--slo: {exc}")
    services = services_from(ctx)
    jobs: list[tuple[Any, Any, Any]] = []  # (endpoint, test, prompts)
    try:
        if resume_id:
            test = services.load.get(resume_id)
            if test is None:
                fail(f"no load test {resume_id!r}")
            assert test is not None
            if test.status == "done":
                fail(f"load test {resume_id} is finished: {test.sentence}")
            url = is_url(test.endpoint)
            endpoint = resolve(services.supervisor, test.endpoint, model=test.model if url else None,
                               api_key=api_key if url else None)
            prompts, _ = prompts_for(endpoint.name, prompt_set=test.prompt_set, traces=services.traces,
                                     sets=services.prompt_sets, sample_dir=services.settings.sample_dir)
            jobs.append((endpoint, test, prompts))
        else:
            for text in endpoints:
                url = is_url(text)
                endpoint = resolve(services.supervisor, text, model=model if url else None,
                                   api_key=api_key if url else None)
                prompts, source = prompts_for(endpoint.name, prompt_set=prompt_set, traces=services.traces,
                                              sets=services.prompt_sets, sample_dir=services.settings.sample_dir)
                machine = hardware or (None if endpoint.backend == "remote" else this_machine())
                test = new_test(endpoint.public_url if url else endpoint.name, endpoint.model, machine,
                                slo=slo_text, target=target, max_tokens=max_tokens, max_concurrency=max_concurrency,
                                duration_s=duration, prompt_set=source)
                jobs.append((endpoint, test, prompts))
    except (ServingError, LoadPromptsError) as exc:
        fail(str(exc))
    failed = False
    for endpoint, test, prompts in jobs:
        failed |= not _one(services, endpoint, test, prompts, as_json=as_json, resumed=bool(resume_id))
    sys.exit(1 if failed else 0)


def _one(services: Any, endpoint: Any, test: Any, prompts: Any, *, as_json: bool, resumed: bool) -> bool:
    """Run one endpoint's test with its progress shown; print its result. False when it could not finish."""
    import asyncio

    from ..serving.client import ChatClient, EndpointError, Timeouts, list_models

    try:
        asyncio.run(list_models(endpoint.base_url, endpoint.api_key))
    except EndpointError as exc:
        say(f"error: {escape(test.endpoint)}: {escape(str(exc))}", err=True)
        return False
    if not resumed:
        services.load.start(test)
    timeouts = Timeouts(connect=10.0, read=120.0, deadline=600.0)
    view = _View(test)

    async def go() -> Any:
        from ..evals.load.tester import run_test

        async with ChatClient(timeouts, max_connections=test.max_concurrency + 4) as client:
            return await run_test(services.load, client, endpoint, test, prompts, timeouts=timeouts,
                                  on_progress=view.progress, on_level=view.level)

    try:
        with view.bars:
            result = asyncio.run(go())
    except KeyboardInterrupt:
        done = len(services.load.levels(test.id))
        say(escape(f"interrupted load test {test.id} of {test.endpoint} after {done} finished level(s), kept; "
                   f"go on with: modelpick load --resume {test.id}"), err=True)
        sys.exit(EXIT_CANCELLED)
    _show(result, as_json)
    if result.status == "failed":
        say(f"error: {escape(result.endpoint)}: {escape(result.error or 'failed')}", err=True)
        return False
    return True


class _View:
    """A progress bar per level (in a terminal), else a line per level finished."""

    def __init__(self, test: Any) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from .output import err_console

        self.test = test
        self.terminal = err_console.is_terminal
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[extra]}"),
                             TimeElapsedColumn(), console=err_console, transient=False, disable=not self.terminal)
        self.tasks: dict[int, Any] = {}

    def progress(self, p: Any) -> None:
        if not self.terminal:
            return
        task = self.tasks.get(p.concurrency)
        if task is None:
            task = self.tasks[p.concurrency] = self.bars.add_task(
                escape(f"{p.endpoint} · {_users(p.concurrency)}"), total=p.duration_s, extra="")
        met = "" if p.attainment is None else f"{p.attainment:.0%} met the SLO · "
        more = " · running longer (unresolved)" if p.extending else ""
        self.bars.update(task, total=p.duration_s, completed=min(p.elapsed_s, p.duration_s),
                         extra=f"{met}{p.requests} requests · {p.errors} errors{more}")

    def level(self, lv: Any) -> None:
        from ..evals.load.tester import CLIENT_BUSY

        line = (f"{self.test.endpoint} · {_users(lv.concurrency)}: {lv.requests} requests, {lv.attainment:.0%} met "
                f"the SLO (95% CI {lv.ci_low * 100:.0f}-{lv.ci_high * 100:.0f}%), {lv.rps:.2f} req/s → {lv.verdict}")
        if lv.error:
            line += f": {lv.error}"
        if self.terminal and lv.concurrency in self.tasks:
            self.bars.update(self.tasks[lv.concurrency], total=1, completed=1,
                             extra=f"{lv.attainment:.0%} met the SLO · {lv.requests} requests → {lv.verdict}")
        else:
            say(escape(line), err=True)
        if (lv.client_cpu or 0) >= CLIENT_BUSY:
            say(f"[yellow]warning:[/] the load generator used {lv.client_cpu:.0%} of a core at {lv.concurrency} "
                "users: the client, not the server, may be the limit", err=True)


def _show(result: Any, as_json: bool) -> None:
    if as_json:
        echo_json(result.to_json())
        return
    from rich.table import Table

    table = Table(title=escape(f"load test {result.id}: {result.endpoint} ({result.model}) at {result.slo}, target "
                               f"{result.target:.0%}"), title_justify="left")
    for col in ("users", "requests", "errors", "req/s", "out tok/s", "TTFT p50/p99 ms", "TPOT p50/p99 ms",
                "ITL p50 ms", "e2e p50/p99 ms", "met SLO (95% CI)", "verdict"):
        table.add_column(col, justify="left" if col == "verdict" else "right")
    for lv in result.levels:
        table.add_row(str(lv.concurrency), str(lv.requests), str(lv.errors), f"{lv.rps:.2f}", f"{lv.output_tps:.1f}",
                      f"{ms_cell(lv.ttft_p50)}/{ms_cell(lv.ttft_p99)}",
                      f"{ms_cell(lv.tpot_p50)}/{ms_cell(lv.tpot_p99)}",
                      ms_cell(lv.itl_p50), f"{ms_cell(lv.e2e_p50)}/{ms_cell(lv.e2e_p99)}",
                      f"{lv.attainment:.0%} ({lv.ci_low * 100:.0f}-{lv.ci_high * 100:.0f}%)", lv.verdict)
    print_table(table)
    counted = ""
    if result.token_count_source == "chunks":
        counted = " (tokens counted by chunks: the server reports no usage)"
    say(escape(f"{result.endpoint}: {result.sentence}{counted}"))
    if result.reason and result.reason not in (result.sentence or ""):
        say(escape(f"why: {result.reason}"), err=True)


def _users(n: int) -> str:
    return "1 user" if n == 1 else f"{n} users"
