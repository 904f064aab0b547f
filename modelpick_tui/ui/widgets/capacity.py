"""The scoreboard's capacity view (ui/screens/scoreboard.py): each model's capacity at its load test's SLO and
$/1M output tokens as cells and a line, and SLO attainment or tokens/s per user against concurrency as a chart,
one line per model. Reads evals.cost.CostFigures (and its load levels) as loaded by the screen's worker."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual_plotext import PlotextPlot

from ...evals.prices import money


def capacity_cells(fig: Any) -> tuple[Text, Text]:
    """The capacity view's cells: "8 @SLO"-style users and $/1M output tokens, or what is missing."""
    if fig is None or fig.capacity_rps is None:
        missing = "not measured" if fig is None or fig.missing == "not measured" else "none at SLO"
        return Text(missing, style="dim"), Text("")
    cost = fig.usd_per_1m_output_tokens
    return (Text(str(fig.capacity_concurrency)),
            Text("set a price", style="yellow") if cost is None else Text(money(cost)))


def capacity_words(fig: Any) -> str:
    """A model's capacity and cost in one line: "8 users @ ttft=500ms,tpot=50ms · 1xNVIDIA… · $1.38/1M out"."""
    if fig is None or fig.capacity_rps is None:
        return (fig.missing if fig is not None else None) or "not measured"
    cost = "set a price" if fig.usd_per_1m_output_tokens is None else f"{money(fig.usd_per_1m_output_tokens)}/1M out"
    users = f"{fig.capacity_concurrency} user{'s' if fig.capacity_concurrency != 1 else ''}"
    return f"{users} @ {fig.slo} · {fig.hardware or 'hardware unknown'} · {cost}"


def draw_load_chart(chart: PlotextPlot, rows: list[Any], view: str, short: Callable[[str], str]) -> None:
    """SLO attainment (%) or output tokens/s per user against concurrency, one line per load-tested model,
    the load tests' target as a red line on the attainment chart."""
    plt = chart.plt
    plt.clear_data()
    plt.clear_figure()
    tested = [c for c in rows if c.cost is not None and c.cost.levels][:6]
    what = "SLO attainment %" if view == "attainment" else "output tokens/s per user"
    if not tested:
        plt.title(f"{what}: no load test yet (modelpick load ENDPOINT)")  # 78 columns at most: else not drawn
        chart.refresh()
        return
    targets = {c.cost.target for c in tested if c.cost.target is not None}
    if view == "attainment" and len(targets) == 1:
        plt.hline(next(iter(targets)) * 100, "red")
    concurrencies: set[int] = set()
    for c in tested:
        levels = sorted((lv for lv in c.cost.levels if lv.requests), key=lambda lv: lv.concurrency)
        # Concurrency doubles level to level: on a log2 axis each doubling is one step, the low levels not crammed.
        xs = [math.log2(lv.concurrency) for lv in levels]
        ys = [lv.attainment * 100 if view == "attainment" else lv.output_tps / lv.concurrency
              for lv in levels]
        concurrencies.update(lv.concurrency for lv in levels)
        plt.plot(xs, ys, marker="braille", label=short(c.score.model))
    shown = sorted(concurrencies)
    plt.xticks([math.log2(c) for c in shown], [str(c) for c in shown])
    if view == "attainment":
        plt.ylim(0, 100)
    plt.xlabel("concurrent users")
    plt.title(f"{what} against concurrency")
    chart.refresh()
