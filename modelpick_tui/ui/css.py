"""Where the screens' styles are. modelpick.tcss (the app's CSS_PATH) holds the browse screen's, all that the first
page parses; screens.tcss holds every other screen's, loaded as user CSS by Textual when the first of them opens
(each sets `CSS_PATH = SCREENS_CSS`; tests/ui/test_screen_css.py checks that every screen does)."""

from __future__ import annotations

from pathlib import Path

SCREENS_CSS = Path(__file__).with_name("screens.tcss")
