"""The filter panel of the browse screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.validation import Function
from textual.widgets import Input, Label, Select, SelectionList, Switch

from ...catalog.counts import parse_param_count
from ...catalog.details import Facets
from ...catalog.facts import SIZE_CLASSES
from ...catalog.query import SORT_LABELS, SOURCE_FILTERS, TIERS, CatalogQuery
from ...catalog.units import format_params
from .ticks import TickList

GATED_OPTIONS = [("open only", "open"), ("gated only", "gated")]
# The parameter bounds: (input id, CatalogQuery field, placeholder).
BOUNDS = (("f-min-params", "min_params", "min e.g. 7B"), ("f-max-params", "max_params", "max e.g. 15B"),
          ("f-min-active", "min_active", "min e.g. 1B"), ("f-max-active", "max_active", "max e.g. 5B"))


def _bound(text: str) -> int | None:
    """An input's bound; empty is no bound. Raises ValueError for text that is not a count."""
    return parse_param_count(text) if text.strip() else None


def _valid(text: str) -> bool:
    try:
        _bound(text)
    except ValueError:
        return False
    return True


class FilterPanel(VerticalScroll):
    """Licence (with a permissive switch), size class, parameter bounds (total and active), tier, origin, task,
    format, gated, author, sort, local."""

    DEFAULT_CSS = """
    FilterPanel { width: 32; dock: left; border-right: solid $primary-darken-2; padding: 0 1; }
    FilterPanel Label { margin-top: 1; color: $text-muted; }
    FilterPanel SelectionList { height: auto; max-height: 8; border: none; padding: 0; }
    FilterPanel Select { width: 100%; }
    FilterPanel .switch-row { height: auto; }
    FilterPanel .bounds { height: auto; }
    FilterPanel .bounds Input { width: 1fr; }
    """

    @dataclass
    class Changed(Message):
        values: dict[str, Any]

    def __init__(self, facets: Facets, query: CatalogQuery, **kwargs: Any):
        super().__init__(**kwargs)
        self.facets = facets
        self._initial = query

    def compose(self) -> ComposeResult:
        q = self._initial
        yield Label("permissive licences only")
        yield Switch(value=q.permissive_only, id="f-permissive")
        yield Label("licence")
        yield TickList(
            *[(Text(f"{name} ({n})"), name, name in q.licenses) for name, n in self.facets.licenses],
            id="f-licenses",
        )
        yield Label("size")
        yield TickList(*[(s, s, s in q.size_classes) for s in SIZE_CLASSES], id="f-sizes")
        for label, pair in (("parameters (all)", BOUNDS[:2]), ("active parameters (per token)", BOUNDS[2:])):
            yield Label(label)
            with Horizontal(classes="bounds"):
                for widget_id, field, placeholder in pair:
                    value = getattr(q, field)
                    yield Input(format_params(value) if value else "", placeholder=placeholder, id=widget_id,
                                validators=[Function(_valid, "a count such as 7B or 500M")])
        yield from self._origin_filters(q)
        yield Label("task")
        yield Select([(Text(f"{t} ({n})"), t) for t, n in self.facets.tasks], prompt="any task",
                     value=q.task or Select.NULL, id="f-task")
        yield Label("format")
        yield Select([(Text(f"{f} ({n})"), f) for f, n in self.facets.formats], prompt="any format",
                     value=q.format or Select.NULL, id="f-format")
        yield Label("gated")
        gated = {True: "gated", False: "open"}.get(q.gated) if q.gated is not None else None
        yield Select(GATED_OPTIONS, prompt="any", value=gated or Select.NULL, id="f-gated")
        yield Label("author")
        yield Select([(Text(f"{a} ({n})"), a) for a, n in self.facets.authors], prompt="any author",
                     value=q.author or Select.NULL, id="f-author")
        yield Label("sort by")
        yield Select([(label, key) for key, label in SORT_LABELS.items()], allow_blank=False,
                     value=q.sort, id="f-sort")
        yield Label("on this machine only")
        yield Switch(value=q.local_only, id="f-local")

    def _origin_filters(self, q: CatalogQuery) -> ComposeResult:
        # Tier, then the origin: countries of the publishers and of the base models, each with both counts.
        yield Label("tier (total parameters)")
        yield TickList(*[(t, t, t in q.tiers) for t in TIERS], id="f-tiers")
        own, base = dict(self.facets.origins), dict(self.facets.base_origins)
        countries = sorted(own.keys() | base.keys(), key=lambda c: (c == "unknown", -own.get(c, 0), c))
        labels = [(Text(f"{c} ({own.get(c, 0)}, base {base.get(c, 0)})"), c) for c in countries]
        yield Label("origin (publisher's country)")
        yield TickList(*[(label, c, c in q.origins) for label, c in labels], id="f-origins")
        yield Label("not from")
        yield TickList(*[(label, c, c in q.exclude_origins) for label, c in labels], id="f-exclude-origins")
        yield Label("origin of the base model")
        yield Switch(value=q.by_base, id="f-by-base")
        yield Label("source (listed or hosted on)")
        yield TickList(*[(f"{mark}  {name}", mark, mark in q.sources) for mark, name in SOURCE_FILTERS.items()],
                       id="f-sources")

    def _origin_values(self) -> dict[str, Any]:
        return {
            "tiers": tuple(self.query_one("#f-tiers", SelectionList).selected),
            "origins": tuple(self.query_one("#f-origins", SelectionList).selected),
            "exclude_origins": tuple(self.query_one("#f-exclude-origins", SelectionList).selected),
            "by_base": self.query_one("#f-by-base", Switch).value,
            "sources": tuple(self.query_one("#f-sources", SelectionList).selected),
        }

    def _show_origin(self, q: CatalogQuery) -> None:
        self.query_one("#f-by-base", Switch).value = q.by_base
        for widget_id, values in (("#f-tiers", q.tiers), ("#f-origins", q.origins),
                                  ("#f-exclude-origins", q.exclude_origins), ("#f-sources", q.sources)):
            ticks = self.query_one(widget_id, SelectionList)
            ticks.deselect_all()
            for value in values:
                ticks.select(value)

    def values(self) -> dict[str, Any]:
        def sel(widget_id: str) -> Any:
            value = self.query_one(widget_id, Select).value
            return None if value is Select.NULL else value

        gated = sel("#f-gated")
        bounds: dict[str, int | None] = {}
        for widget_id, field, _ in BOUNDS:
            text = self.query_one(f"#{widget_id}", Input).value
            bounds[field] = _bound(text) if _valid(text) else None  # a half-typed bound is no bound yet
        return {
            **bounds,
            "permissive_only": self.query_one("#f-permissive", Switch).value,
            "licenses": tuple(self.query_one("#f-licenses", SelectionList).selected),
            "size_classes": tuple(self.query_one("#f-sizes", SelectionList).selected),
            "task": sel("#f-task"),
            "format": sel("#f-format"),
            "gated": None if gated is None else gated == "gated",
            "author": sel("#f-author"),
            "sort": sel("#f-sort") or "downloads",
            "local_only": self.query_one("#f-local", Switch).value,
            **self._origin_values(),
        }

    def show(self, q: CatalogQuery) -> None:
        """Reflect a query changed by keys, without echoing change events back."""
        with self.prevent(Switch.Changed, Select.Changed, SelectionList.SelectedChanged):
            self.query_one("#f-permissive", Switch).value = q.permissive_only
            self.query_one("#f-local", Switch).value = q.local_only
            self.query_one("#f-sort", Select).value = q.sort
            gated = {True: "gated", False: "open"}.get(q.gated) if q.gated is not None else None
            self.query_one("#f-gated", Select).value = gated or Select.NULL
            for widget_id, value in (("#f-task", q.task), ("#f-format", q.format), ("#f-author", q.author)):
                self.query_one(widget_id, Select).value = value or Select.NULL
            licences = self.query_one("#f-licenses", SelectionList)
            licences.deselect_all()
            for name in q.licenses:
                licences.select(name)
            sizes = self.query_one("#f-sizes", SelectionList)
            sizes.deselect_all()
            for name in q.size_classes:
                sizes.select(name)
            self._show_origin(q)

    @on(Switch.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    @on(Input.Changed, ".bounds Input")
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self.values()))
