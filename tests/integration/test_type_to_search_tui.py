"""The real `modelpick` on a pseudo-terminal, fresh home: the first thing a user does is type a model name on
the catalogue. `qwen` must search, not quit (q was quit once)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from tests.support.pty_tui import Tui, tui_env

pytestmark = pytest.mark.integration


def test_typing_qwen_on_the_browse_table_searches(tmp_path: Path) -> None:
    tui = Tui(tui_env(tmp_path / "home", tmp_path))
    try:
        mark = tui.wait_for("232 of 232 models", 60)  # a fresh home: the sample catalogue, loaded
        tui.keys(*"qwen")
        deadline = time.monotonic() + 20
        while not re.search(r"(?<!\d)([1-9]\d?) of 232 models", tui.text(mark)):  # filtered, not emptied
            assert tui.alive(), f"modelpick exited on typing qwen:\n{tui.text()[-2000:]}"
            assert time.monotonic() < deadline, tui.text()[-3000:]
            time.sleep(0.1)
        assert tui.alive() and "Qwen/" in tui.text(mark)
        tui.keys("\x11")  # ctrl+q quits
        status = tui.wait_exit(30)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        tui.close()
