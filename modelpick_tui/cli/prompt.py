"""`modelpick prompt new|list|show`: prompt versions, the named system prompt plus few-shot examples a run can
use (`modelpick run SET --prompt NAME`; evals/prompts.py)."""

from __future__ import annotations

from pathlib import Path

import click

from .output import echo_json, echo_text, escape, fail, print_table, say, services_from


@click.group("prompt")
def prompt() -> None:
    """Prompt versions: a named system prompt with positive and negative examples, for `run --prompt NAME`."""


@prompt.command("new")
@click.argument("name")
@click.option("--system", "system_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="The system prompt, from this file (- reads stdin).")
@click.option("--from", "parent", metavar="VERSION", help="Start from this version (its system prompt and examples).")
@click.option("--examples-from-labels", "k", type=click.IntRange(0, 50),
              help="Up to K passing answers as positive and K failing as negative examples (one per failure "
                   "mode first), from the labelled traces; they replace the examples of --from.")
@click.option("--run", "run_id", help="Pick the examples from this run's traces only.")
@click.option("--json", "as_json", is_flag=True, help="The version as JSON on stdout.")
@click.pass_context
def new(ctx: click.Context, name: str, system_file: Path | None, parent: str | None, k: int | None,
        run_id: str | None, as_json: bool) -> None:
    """Store a new prompt version NAME (its id is the hash of its content)."""
    import sys

    from ..evals.prompts import MAX_EXAMPLE_CHARS, PromptVersion, PromptVersionError, check_name, pick_examples
    from ..evals.records import NotRecords, read_user_text

    services = services_from(ctx)
    store = services.prompt_versions
    try:
        name = check_name(name)
    except PromptVersionError as exc:
        fail(str(exc))
    base = None
    if parent is not None:
        base = store.get(parent)
        if base is None:
            fail(f"no prompt version {parent!r} (see `modelpick prompt list`)")
    system = base.system if base else None
    examples = base.examples if base else ()
    if system_file is not None:
        try:
            system = sys.stdin.read() if str(system_file) == "-" else read_user_text(system_file,
                                                                                     "a system prompt")[0]
        except NotRecords as exc:
            fail(str(exc))
        system = system.strip() or None
    if run_id is not None and services.traces.get_run(run_id) is None:
        fail(f"no run {run_id!r} (the runs are listed by `modelpick runs`)")
    if k is not None:
        candidates = store.example_candidates(run_id)
        try:
            examples = pick_examples(candidates, k)
        except ValueError as exc:
            fail(str(exc))
        labelled = sum(c.get("verdict") in ("pass", "fail") for c in candidates)
        if k and not examples and labelled:
            say(f"none of the {labelled} labelled traces can be an example: each prompt or answer is longer than "
                f"{MAX_EXAMPLE_CHARS:,} characters", err=True)
        elif k and not examples:
            say("no labelled trace to take examples from (label some first: modelpick review, V)", err=True)
    if system is None and not examples:
        fail("a prompt version needs a system prompt (--system FILE), examples (--examples-from-labels K), or "
             "--from VERSION")
    try:
        version = store.save(PromptVersion(name, system, tuple(examples), parent=base.id if base else None))
    except PromptVersionError as exc:
        fail(str(exc))
    if as_json:
        echo_json(version.to_json())
        return
    positives = sum(e.positive for e in version.examples)
    say(f"prompt version {escape(version.label)}: system prompt "
        f"{'of ' + str(len(version.system)) + ' characters' if version.system else 'none'}, "
        f"{positives} positive and {len(version.examples) - positives} negative examples")
    say(f"run it with: modelpick run SET --prompt {escape(version.name)} -e ENDPOINT", err=True)


@prompt.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Every prompt version: name, id, examples, traces it produced."""
    from rich.table import Table

    store = services_from(ctx).prompt_versions
    versions, counts = store.list(), store.trace_counts()
    if as_json:
        for v in versions:
            echo_json({**v.to_json(), "traces": counts.get(v.id, 0)})
        return
    table = Table(title=f"prompt versions ({len(versions)})", title_justify="left")
    for col in ("name", "id", "from", "examples +/−", "traces", "created"):
        table.add_column(col)
    by_id = {v.id: v.name for v in versions}
    for v in versions:
        positives = sum(e.positive for e in v.examples)
        table.add_row(escape(v.name), v.id, escape(by_id.get(v.parent or "", v.parent or "")),
                      f"{positives}/{len(v.examples) - positives}", str(counts.get(v.id, 0)),
                      escape(v.created_at[:16].replace("T", " ")))
    print_table(table)


@prompt.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The version as JSON.")
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A version's system prompt and examples, as a run sends them."""
    version = services_from(ctx).prompt_versions.get(name)
    if version is None:
        fail(f"no prompt version {name!r} (see `modelpick prompt list`)")
    if as_json:
        echo_json(version.to_json())
        return
    say(f"[bold]{escape(version.label)}[/]")
    echo_text("--- system (for prompts without their own) ---")
    echo_text(version.system_for(None) or "(none)")
    for turn in version.history():
        echo_text(f"--- example {turn['role']} ---")
        echo_text(turn["content"])
