"""The card's "measured" section: what the engines that served this model reported at load, beside the fit
estimate, part by part with the error in % (evals/shortlist.measurements; serving/measured.py)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ...evals.shortlist_table import Measurement
from ...serving.measured import format_error, format_value
from ..format import safe

# Within this share the estimate is as good as it claims (estimate.py: "good to ~10%"); beyond 15% it needs
# calibrating (docs/serve.md, "measured vs estimated").
GOOD_PCT, FAIR_PCT = 10.0, 15.0


def _error_text(error: float | None) -> Text:
    if error is None:
        return Text("")
    style = "green" if abs(error) <= GOOD_PCT else "yellow" if abs(error) <= FAIR_PCT else "red"
    return Text(format_error(error), style=style)


def measured_section(measurements: list[Measurement]) -> Group:
    """One table per engine report (newest first, at most three): part, measured, estimated, error."""
    parts: list[Table | Text] = [Text("measured by the engine vs estimated", style="bold underline")]
    for m in measurements[:3]:
        head = Text(f"{m.backend} · ", style="bold")
        head.append(safe(m.server))
        head.append(f" · {m.quant or '?'} · {m.context or '?'} ctx · {m.measured_at[:16]}", style="dim")
        if m.process_memory:
            head.append(f"   process {m.process_memory} at ready (moves with use: mmap)", style="dim")
        table = Table(show_edge=False, box=None, padding=(0, 1))
        for col, justify in (("part", "left"), ("measured", "right"), ("estimated", "right"), ("error", "right")):
            table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for f in m.figures:
            table.add_row(f.part, format_value(f.measured, f.unit), format_value(f.estimated, f.unit),
                          _error_text(f.error_pct))
        parts += [head, table]
    return Group(*parts)
