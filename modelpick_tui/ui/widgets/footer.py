"""Textual's footer, recomposed only when what it shows changes.

At start the browse screen signals "bindings changed" three times for one set of keys (the table takes focus: its
watcher, then again after the refresh; the screen resumes), and Textual's footer recomposes at each: it mounts and
restyles every key again, a fifth of what the screen paints between its first frame and its first page."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


def _shown(screen: Screen[Any]) -> tuple[Any, ...]:
    """What the footer draws from the screen's bindings: their keys, labels, groups, states and tooltips."""
    return tuple((key, binding.action, binding.description, binding.key_display, binding.group, enabled, tooltip)
                 for key, (_, binding, enabled, tooltip) in screen.active_bindings.items() if binding.show)


class Footer(TextualFooter):
    _composed_for: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Textual recomposes only for its own screen while the app has focus: the same test says when the keys
        # drawn are those of `shown`.
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = _shown(screen)
            if shown == self._composed_for:
                return
            self._composed_for = shown
        super().bindings_changed(screen)
