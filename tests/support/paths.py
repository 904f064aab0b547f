"""Where things are, for tests: the repository, its sample data, the stand-in server program."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
STUB = REPO / "tests" / "support" / "stub_server.py"
