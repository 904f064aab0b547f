"""Command palette: the actions of the current screen, and models by name."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from ..untrusted import clean
from .actions import PALETTE_HELP, key_label, palette_actions


class ActionsProvider(Provider):
    def _actions(self):  # type: ignore[no-untyped-def]
        screen_name = getattr(self.screen, "SCREEN_NAME", "")
        for action in palette_actions(("app", screen_name)):
            target = self.app if action.screen == "app" else self.screen
            # The key beside what it does: the footers show only a few keys, the palette is where the rest are found.
            help_text = f"{PALETTE_HELP.get(action.id, action.description)}  ({key_label(action.key)})"
            yield action, partial(target.run_action, action.action), help_text

    async def discover(self) -> Hits:
        for action, run, help_text in self._actions():
            yield DiscoveryHit(action.description, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, run, help_text in self._actions():
            score = max(matcher.match(action.description), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(action.description), run, help=help_text)


class ModelsProvider(Provider):
    """Type part of a model id to open its card."""

    async def search(self, query: str) -> Hits:
        from ..catalog.query import CatalogQuery

        if len(query.strip()) < 2:
            return
        result = self.app.catalog.search(CatalogQuery(text=query, limit=8))  # type: ignore[attr-defined]
        for row in result.rows:
            # Hub text is untrusted: the label is a Text (never parsed), the help is markup-escaped.
            yield Hit(
                0.5,
                Text(clean(f"open card: {row.id}")),
                partial(self.app.open_card, row.id),  # type: ignore[attr-defined]
                text=f"open card: {row.id}",
                help=escape(clean(f"{row.task or '?'} · {row.license or 'no licence'}")),
            )
