"""Label keypress → committed to SQLite → next trace shown (the frame handed to the driver), in a headless
app driven by Pilot at 80×24, over the demo traces in a WAL database file. Measured in the same run:

  • bare commit: ReviewStore.label alone (one insert + commit), no UI;
  • minimal app: a Textual app whose key updates one Static (no database) — the floor Textual sets;
  • minimal app + text: the same, but the Static shows the next demo trace's full text (prompt, reference,
    output, metrics) — the floor for painting an item of that size, no database, no review logic;
  • review screen: `p` on modelpick's review screen (commit + next trace shown).

    .venv/bin/python bench/label_latency.py [--labels 40] [--rounds 3]

Prints p50/p95 in ms, and each as a ratio to the minimal app.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "sample_data" / "traces" / "demo.jsonl"

FRAMES: list[tuple[float, Any]] = []  # (time, marker the app showed in that frame)
_display = App._display


def _recording_display(self: App, screen: Any, renderable: Any) -> None:  # type: ignore[type-arg]
    if renderable is not None:
        FRAMES.append((time.perf_counter(), getattr(self, "shown_marker", lambda: None)()))
    _display(self, screen, renderable)


App._display = _recording_display  # type: ignore[method-assign]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def press_until_shown(pilot: Any, key: str, expected: Any) -> float:
    """Seconds from the key press to the first frame that shows `expected`."""
    t0 = time.perf_counter()
    start = len(FRAMES)
    await pilot.press(key)
    for _ in range(200):
        hit = next((t for t, marker in FRAMES[start:] if marker == expected), None)
        if hit is not None:
            return hit - t0
        await asyncio.sleep(0.001)
    raise RuntimeError(f"{expected!r} was never shown")


class Minimal(App):  # type: ignore[type-arg]
    BINDINGS = [("p", "bump", "Bump")]

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def compose(self) -> ComposeResult:
        yield Static("item 0", id="item")
        yield Footer()

    def shown_marker(self) -> int:
        return self.n

    def action_bump(self) -> None:
        self.n += 1
        self.query_one("#item", Static).update(f"item {self.n}")


class MinimalText(Minimal):
    """Shows the next demo trace's text, as the review screen does, with nothing else around it."""

    def __init__(self, texts: list[Any]) -> None:
        super().__init__()
        self.texts = texts

    def compose(self) -> ComposeResult:
        yield Static(self.texts[0], id="item")
        yield Footer()

    def action_bump(self) -> None:
        self.n += 1
        self.query_one("#item", Static).update(self.texts[self.n % len(self.texts)])


def demo_texts() -> list[Any]:
    import json

    from modelpick_tui.evals.exchange import _from_record
    from modelpick_tui.ui.screens.review import trace_text

    traces = [_from_record(json.loads(line), "demo")[0] for line in DEMO.read_text().splitlines()]
    return [trace_text(t) for t in traces]


async def minimal(n: int, texts: list[Any] | None = None) -> list[float]:
    app = MinimalText(texts) if texts else Minimal()
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(1, n + 1):
            out.append(await press_until_shown(pilot, "p", i))
    return out


async def review(n: int, home: Path) -> tuple[list[float], int]:
    from modelpick_tui.evals.exchange import import_file
    from modelpick_tui.services import build_services
    from modelpick_tui.settings import Settings
    from modelpick_tui.ui.app import make_app

    settings = Settings(home=home, db_path=home / "bench.db", sample_dir=ROOT / "sample_data", hf_offline=True)
    services = build_services(settings)
    services.catalog.ensure_loaded()
    import_file(services.review, DEMO)
    app = make_app(settings, services)

    def shown_marker() -> Any:
        screen = app.screen
        return screen.index if type(screen).__name__ == "ReviewScreen" and screen.loaded else None

    app.shown_marker = shown_marker  # type: ignore[attr-defined]
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("V")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        total = len(app.screen.items)
        for i in range(1, min(n, total - 1) + 1):
            out.append(await press_until_shown(pilot, "p", i))
    before = services.review.progress()
    services.close()
    return out, before.passed


def bare(n: int, home: Path) -> list[float]:
    from modelpick_tui.db import open_db
    from modelpick_tui.evals.stores.labels import ReviewStore

    store = ReviewStore(open_db(home / "bare.db"))
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        store.label(f"t{i}", "pass")
        out.append(time.perf_counter() - t0)
    store.database.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=int, default=40, help="presses per kind per round (at most 149)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, the kinds alternating, pooled")
    args = ap.parse_args()
    names = ("bare commit (no UI)", "minimal app (Static)", "minimal app + text", "review screen (p)")
    results: dict[str, list[float]] = {name: [] for name in names}
    texts = demo_texts()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(minimal(10))  # warm-up (imports, first paints)
        for r in range(args.rounds):  # alternate, so that load from elsewhere falls on every kind alike
            home = Path(tmp) / f"round{r}"
            results[names[0]] += bare(args.labels, home)
            results[names[1]] += asyncio.run(minimal(args.labels))
            results[names[2]] += asyncio.run(minimal(args.labels, texts))
            results[names[3]] += asyncio.run(review(args.labels, home))[0]
    base, floor = p95(results[names[1]]), p95(results[names[2]])
    n = args.labels * args.rounds
    print(f"label keypress → committed → next item shown; {n} presses each ({args.rounds} alternating rounds), "
          "headless 80×24 (Pilot)")
    for name, values in results.items():
        ms50, ms95 = statistics.median(values) * 1000, p95(values) * 1000
        print(f"  {name:<22} p50 {ms50:6.2f} ms   p95 {ms95:6.2f} ms   "
              f"p95 vs minimal {ms95 / 1000 / base:5.2f}×   vs minimal + text {ms95 / 1000 / floor:5.2f}×")
    target = p95(results[names[3]]) * 1000
    print(f"review screen p95 {target:.1f} ms (target ≤ 20 ms): {'met' if target <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
