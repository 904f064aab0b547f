"""A local Ollama: its models listed (GET /api/tags, real shape) as local models, its GGUF blobs on disk read by the
local scan under the names its manifests give, and a probe that is fast and silent where no Ollama runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from modelpick_tui.catalog.sources.errors import HubError
from modelpick_tui.catalog.sources.ollama import OllamaClient
from modelpick_tui.settings import ollama_base
from tests.support.cli import run
from tests.support.files import write_gguf
from tests.support.ollama_fake import FakeOllama, write_models_dir


@pytest.mark.parametrize(("host", "base"), [
    ("", "http://127.0.0.1:11434"), ("0.0.0.0", "http://127.0.0.1:11434"), ("gpu-box", "http://gpu-box:11434"),
    ("gpu-box:8080", "http://gpu-box:8080"), ("https://ollama.example.com", "https://ollama.example.com:443"),
    ("http://10.0.0.5:11435/", "http://10.0.0.5:11435"), ("0.0.0.0:11500", "http://127.0.0.1:11500"),
])
def test_ollama_host_read_as_ollama_reads_it(host: str, base: str) -> None:
    assert ollama_base(host) == base


def test_models_listed_with_their_details() -> None:
    with FakeOllama() as ollama:
        models = OllamaClient(ollama.host).models()
    assert models is not None
    assert [(m.name, m.parameter_size, m.quantization, m.size) for m in models] == [
        ("llama3.2:3b", "3.2B", "Q4_K_M", 2019393189), ("qwen3:0.6b", "751.63M", "Q4_K_M", 522653767)]


def test_no_ollama_is_none_and_quick() -> None:
    with FakeOllama() as ollama:
        host = ollama.host
    started = time.monotonic()
    assert OllamaClient(host).models() is None
    assert time.monotonic() - started < 2  # a refused connection, not a timeout


@pytest.mark.parametrize(("setup", "line"), [
    (lambda f: setattr(f, "malformed", True), "/api/tags with something that is not JSON"),
    (lambda f: setattr(f, "fail_status", 500), "is unavailable (HTTP 500)"),
])
def test_a_broken_ollama_is_one_line(setup, line: str) -> None:  # type: ignore[no-untyped-def]
    with FakeOllama() as ollama:
        setup(ollama)
        with pytest.raises(HubError) as caught:
            OllamaClient(ollama.host).models()
    assert line in str(caught.value) and "\n" not in str(caught.value)


def test_sync_lists_ollama_models_and_reads_its_blobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = write_gguf(tmp_path / "tiny.gguf", name="Tiny Llama", context=8192)
    models = write_models_dir(tmp_path / "ollama-models", {"llama3.2:3b": tiny, "me/tiny:latest": tiny,
                                                           "phi3:mini": tmp_path / "missing.gguf"})
    monkeypatch.setenv("OLLAMA_MODELS", str(models))
    db = tmp_path / "m.db"
    with FakeOllama() as ollama:
        url = ollama.url
        monkeypatch.setenv("OLLAMA_HOST", ollama.host)
        synced = run(db, "catalog", "sync", "--source", "ollama")
    assert synced.exit_code == 0, synced.output
    assert "2 Ollama models: llama3.2:3b, qwen3:0.6b" in synced.stdout
    listed = run(db, "catalog", "search", "--local", "--json", "ollama")
    rows = {r["id"]: r for r in map(json.loads, listed.stdout.splitlines())}
    # The blob both manifests name is one model, under its first name; its header gives the facts.
    assert set(rows) == {"ollama/llama3.2:3b", "ollama/qwen3:0.6b"}
    assert rows["ollama/llama3.2:3b"]["sources"] == ["ollama"] and rows["ollama/llama3.2:3b"]["local"]
    assert rows["ollama/qwen3:0.6b"]["params"] == 751_630_000  # "751.63M" as /api/tags gives it
    nothing = run(tmp_path / "other.db", "catalog", "sync", "--source", "ollama")  # no Ollama there any more
    assert nothing.exit_code == 0 and nothing.stdout.startswith(f"no Ollama answers at {url}")


def test_catalog_scan_reads_an_ollama_folder(tmp_path: Path) -> None:
    tiny = write_gguf(tmp_path / "tiny.gguf", name="Tiny Llama", context=8192)
    models = write_models_dir(tmp_path / "ollama-models", {"llama3.2:3b": tiny})
    (models / "manifests" / "registry.ollama.ai" / "library" / "broken").mkdir(parents=True)
    (models / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest").write_text("{not json")
    db = tmp_path / "m.db"
    scanned = run(db, "catalog", "scan", str(models))
    assert scanned.exit_code == 0, scanned.output
    assert "found llama3.2:3b:" in scanned.stdout and "1 GGUF files" in scanned.stdout
    assert "broken/latest: not an Ollama manifest" in scanned.stderr
    listed = run(db, "catalog", "search", "--local", "--json", "llama3.2")
    [row] = map(json.loads, listed.stdout.splitlines())
    assert row["id"] == "ollama/llama3.2:3b" and row["formats"] == ["gguf"] and row["params"]
