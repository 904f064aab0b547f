"""The screens' styles: the browse screen's are the app's (modelpick.tcss, all the first page parses); every other
screen's are screens.tcss, which Textual loads as user CSS with the first screen that names it (ui/css.py)."""

from __future__ import annotations

import importlib
import pkgutil
import re

from textual.app import App
from textual.screen import Screen

import modelpick_tui.ui.screens as screens_pkg
from modelpick_tui.ui.css import SCREENS_CSS
from modelpick_tui.ui.screens.browse import BrowseScreen


def _screens() -> list[type[Screen]]:  # type: ignore[type-arg]
    found = []
    for info in pkgutil.iter_modules(screens_pkg.__path__):
        module = importlib.import_module(f"{screens_pkg.__name__}.{info.name}")
        found += [value for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, Screen) and value.__module__ == module.__name__]
    return found


def test_every_screen_but_browse_loads_the_screens_styles() -> None:
    screens = _screens()
    assert len(screens) > 20
    for screen in screens:
        if screen is BrowseScreen:
            assert not screen.__dict__.get("CSS_PATH")
        else:
            assert screen.__dict__.get("CSS_PATH") == SCREENS_CSS, screen.__name__


def test_every_id_in_the_screens_styles_belongs_to_a_screen() -> None:
    """No rule left for a widget that no longer exists, and none of the browse screen's."""
    sources = "".join(path.read_text() for path in sorted(SCREENS_CSS.parent.rglob("*.py")))
    css = re.sub(r"/\*.*?\*/", "", SCREENS_CSS.read_text(), flags=re.S)
    ids = set(re.findall(r"#([a-z][a-z0-9-]*)", css))
    assert ids
    for name in ids:
        assert f'"{name}"' in sources or f"#{name}" in sources, name
    browse_css = (SCREENS_CSS.parent / "modelpick.tcss").read_text()
    assert not ids & set(re.findall(r"#([a-z][a-z0-9-]*)", browse_css))


async def test_the_screens_styles_apply_once_a_screen_opens() -> None:
    """The start form's rows are one line high (screens.tcss), as they were when the app's CSS held them."""
    from modelpick_tui.ui.screens.note import NoteModal

    class Host(App[None]):
        CSS_PATH = SCREENS_CSS.parent / "modelpick.tcss"

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        assert not app.stylesheet.has_source(str(SCREENS_CSS), "")
        await app.push_screen(NoteModal("org/model"))
        await pilot.pause()
        assert app.stylesheet.has_source(str(SCREENS_CSS), "")
        box = app.screen.query_one("#note-box")
        assert box.outer_size.width == 70  # screens.tcss: #note-box { width: 70; ... }
