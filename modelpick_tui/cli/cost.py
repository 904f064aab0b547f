"""`modelpick cost [MODEL...]`, `cost price`, `cost prices`, `cost api-price`: the prices the user sets and what
each load-tested model costs at its capacity (evals/cost.py; the capacity comes from `modelpick load`)."""

from __future__ import annotations

from typing import Any

import click

from .output import echo_json, escape, fail, print_table, say, services_from

_MAX_MODEL = 300  # characters of a model name given for an API price


class _CostGroup(click.Group):
    """`cost MODEL…` and `cost --workload …` show the costs (the `show` command); `cost price …` and the other
    subcommands are themselves."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group("cost", cls=_CostGroup)
def cost() -> None:
    """Prices and costs: `cost price HARDWARE USD_PER_HOUR`, `cost api-price MODEL IN OUT`, `cost prices`, and
    `cost [show] [MODEL...] [--workload 2rps,in=800,out=300]` for $/1M tokens, replicas and the monthly cost."""


@cost.command("price")
@click.argument("hardware")
@click.argument("usd_per_hour", required=False)
@click.option("--remove", is_flag=True, help="Forget the price of HARDWARE.")
@click.pass_context
def price_cmd(ctx: click.Context, hardware: str, usd_per_hour: str | None, remove: bool) -> None:
    """Set what HARDWARE costs an hour, in dollars: `cpu` or COUNTxGPU-NAME as NVML names the GPU, e.g.
    `modelpick cost price '1xNVIDIA H100 80GB HBM3' 2.49`."""
    from ..evals.cost import parse_price
    from ..evals.prices import CostError, normalise_hardware

    services = services_from(ctx)
    try:
        name = normalise_hardware(hardware)
        if remove:
            if usd_per_hour is not None:
                fail("give a price or --remove, not both")
            found = services.prices.remove_price(name)
            say(f"price of {escape(name)} removed" if found else f"no price was set for {escape(name)}")
            return
        if usd_per_hour is None:
            fail(f"give the price an hour in dollars: modelpick cost price {name!r} 2.49")
        price = services.prices.set_price(name, parse_price(usd_per_hour))
    except CostError as exc:
        fail(str(exc))
    say(f"price set: {escape(price.hardware)} at ${price.usd_per_hour:g} an hour")


@cost.command("api-price")
@click.argument("model")
@click.argument("usd_per_1m_input", required=False)
@click.argument("usd_per_1m_output", required=False)
@click.option("--remove", is_flag=True, help="Forget the API price of MODEL.")
@click.pass_context
def api_price_cmd(ctx: click.Context, model: str, usd_per_1m_input: str | None, usd_per_1m_output: str | None,
                  remove: bool) -> None:
    """Set what an API charges for MODEL, in dollars per 1M input and per 1M output tokens, e.g.
    `modelpick cost api-price Qwen/Qwen3-8B 0.20 0.60`: `cost` then says the volume above which self-hosting
    it is cheaper."""
    from ..evals.cost import parse_token_price
    from ..evals.prices import CostError

    services = services_from(ctx)
    model = model.strip()
    if not model or len(model) > _MAX_MODEL or any(not ch.isprintable() for ch in model):
        fail(f"model {model[:80]!r}: expected the served model's name, on one line")
    if remove:
        if usd_per_1m_input is not None:
            fail("give the prices or --remove, not both")
        found = services.prices.remove_api_price(model)
        say(f"API price of {escape(model)} removed" if found else f"no API price was set for {escape(model)}")
        return
    if usd_per_1m_input is None or usd_per_1m_output is None:
        fail("give both prices in dollars per 1M tokens: modelpick cost api-price MODEL INPUT OUTPUT")
    try:
        usd_in, usd_out = parse_token_price(usd_per_1m_input), parse_token_price(usd_per_1m_output)
    except CostError as exc:
        fail(str(exc))
    price = services.prices.set_api_price(model, usd_in, usd_out)
    say(f"API price set: {escape(price.model)} at ${price.usd_per_1m_input:g} per 1M input and "
        f"${price.usd_per_1m_output:g} per 1M output tokens")


@cost.command("prices")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per price on stdout (JSON Lines).")
@click.pass_context
def prices_cmd(ctx: click.Context, as_json: bool) -> None:
    """The hardware prices an hour and the API prices per 1M tokens that were set."""
    services = services_from(ctx)
    hardware, apis = services.prices.prices(), services.prices.api_prices()
    if as_json:
        for p in hardware:
            echo_json({"kind": "hardware", **p.to_json()})
        for a in apis:
            echo_json({"kind": "api", **a.to_json()})
        return
    if not hardware and not apis:
        say("no prices set: modelpick cost price HARDWARE USD_PER_HOUR (e.g. '1xNVIDIA H100 80GB HBM3' 2.49, or "
            "cpu 0.10); modelpick cost api-price MODEL IN OUT")
        return
    for p in hardware:
        say(f"{escape(p.hardware)}  ${p.usd_per_hour:g}/hour  (set {escape(p.updated_at)})")
    for a in apis:
        say(f"API {escape(a.model)}  ${a.usd_per_1m_input:g} in / ${a.usd_per_1m_output:g} out per 1M tokens  "
            f"(set {escape(a.updated_at)})")


@cost.command("show")
@click.argument("models", nargs=-1)
@click.option("--workload", help="What the fleet must serve: 2rps,in=800,out=300 or 10Mtok/month[,in=…,out=…] "
                                 "(in/out: tokens per request; default the load test's own mix).")
@click.option("--slo", help="The SLO of the load tests to price (default: each model's latest load test).")
@click.option("--hardware", help="The hardware of load tests that did not record one (a URL endpoint's).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model on stdout (JSON Lines).")
@click.pass_context
def show_cmd(ctx: click.Context, models: tuple[str, ...], workload: str | None, slo: str | None,
             hardware: str | None, as_json: bool) -> None:
    """Per load-tested model: capacity at the SLO, $/1M output tokens and $/1M requests on its hardware, and for
    a workload the replicas, GPUs and monthly cost, and the volume where self-hosting beats the API price (yours from
    `cost api-price`, else OpenRouter's for the same model from `catalog sync --source openrouter`)."""
    from ..evals.cost import parse_workload
    from ..evals.cost_lookup import cost_figures
    from ..evals.prices import CostError, normalise_hardware

    services = services_from(ctx)
    try:
        wl = parse_workload(workload) if workload is not None else None
        hw = normalise_hardware(hardware) if hardware is not None else None
        slo_key = _slo_key(slo)
        figures = cost_figures(services.load, services.prices, list(models) or None, slo_key, wl, hw,
                               hosted=services.sources)
    except CostError as exc:
        fail(str(exc))
    if as_json:
        for fig in figures:
            echo_json(fig.to_json())
        return
    if not figures:
        say("no load test yet: measure a model's capacity first (modelpick load ENDPOINT --slo ttft=500ms,tpot=50ms)")
        return
    show_table(figures, wl)


def _slo_key(slo: str | None) -> str | None:
    """The SLO as the load tests store it (evals/load.parse_slo's normalised text); its errors are one line."""
    if slo is None:
        return None
    from ..evals.load import parse_slo
    from ..evals.prices import CostError

    try:
        return str(parse_slo(slo))
    except ValueError as exc:
        raise CostError(str(exc)) from None


def show_table(figures: list[Any], workload: Any) -> None:
    from rich.table import Table

    from ..evals.cost import api_words
    from ..evals.prices import money

    slos = {f.slo for f in figures if f.slo}
    one_slo = len(slos) == 1
    title = ("cost at capacity" + (f" within {next(iter(slos))}" if one_slo else "")
             + (f", workload {workload.text}" if workload else ""))
    table = Table(title=escape(title), title_justify="left")
    columns = ["model", *([] if one_slo else ["SLO"]), "capacity", "hardware", "$/hour", "$/1M out", "$/1M req"]
    if workload is not None:
        columns += ["replicas", "GPUs", "$/month"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("model", "SLO", "hardware") else "right")
    notes = []
    for f in figures:
        missing = f.missing or "set a price"
        if f.capacity_rps is None:
            short = missing if missing in ("not measured", "no capacity at this SLO") else "none within the SLO"
            table.add_row(escape(f.model), *([] if one_slo else [""]), escape(short),
                          *[""] * (len(columns) - (2 if one_slo else 3)))
            if short != missing:  # the load test's own words, under the table
                notes.append(f"{f.model}: {missing}")
            continue
        users = f"{f.capacity_concurrency} user{'s' if f.capacity_concurrency != 1 else ''}"
        row = [escape(f.model), *([] if one_slo else [escape(f.slo or "")]), f"{users}, {f.capacity_rps:.3g} rps",
               escape(f.hardware or "unknown"), money(f.usd_per_hour, missing) + ("*" if f.price_from else ""),
               money(f.usd_per_1m_output_tokens, missing), money(f.usd_per_1m_requests, missing)]
        if workload is not None:
            gpus = "" if f.gpus is None else ("cpu" if f.gpus == 0 else str(f.gpus))
            row += [str(f.replicas or ""), gpus, money(f.monthly_usd, missing)]
        table.add_row(*row)
        if f.price_from:
            notes.append(f"* {f.model}: no price set for {f.hardware}; {f.price_from} per hour")
        if f.load is not None and f.replicas:
            mix = "the load test's mix" if f.load.mix_from_test else "as given"
            size = ("?" if f.load.in_tokens is None else f"{f.load.in_tokens:.0f}") + f" in + {f.load.out_tokens:.0f}"
            notes.append(f"{f.model}: {f.load.rps:.3g} req/s × {size} out tokens ({mix}) → {f.replicas} "
                         f"replica{'s' if f.replicas != 1 else ''} behind a gateway, bound by {f.bound_by}")
        notes.append(f"{f.model}: {api_words(f)}")
    print_table(table)
    for line in notes:
        say(escape(line))
