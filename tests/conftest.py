"""Shared fixtures: every test gets its own data dir, database and HF cache; nothing touches the
user's files or the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelpick_tui.catalog import fit
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
GiB = 2**30


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT",
                "MODELPICK_DB", "MODELPICK_MEMORY", "MODELPICK_SAMPLE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MODELPICK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))


@pytest.fixture
def memory_24g() -> fit.Memory:
    return fit.Memory(kind="gpu", total_bytes=24 * GiB, available_bytes=24 * GiB, name="test GPU 24 GiB",
                      device_count=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "modelpick.db", sample_dir=SAMPLE,
                    hf_offline=True)


@pytest.fixture
def services(settings: Settings, memory_24g: fit.Memory) -> Services:
    svc = build_services(settings, memory=memory_24g)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()
