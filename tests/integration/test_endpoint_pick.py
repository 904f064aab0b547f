"""`modelpick endpoint add` without a model takes the one the server lists at /v1/models, or names them all and
asks for --model; --ollama attaches a model of the local Ollama by its name (through its OpenAI-compatible /v1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.ollama_fake import DEFAULT_MODELS, FakeOllama


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix("error: ")


def servers(db: Path) -> list[dict]:
    listed = run(db, "servers", "--all", "--json")
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_one_model_is_taken(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with FakeOllama(models=DEFAULT_MODELS[:1]) as server:
        url = server.url
        added = run(db, "endpoint", "add", "gpu", url)
        assert added.exit_code == 0, added.output
        assert "serves llama3.2:3b" in added.stdout
    [row] = servers(db)
    assert (row["name"], row["model"], row["url"]) == ("gpu", "llama3.2:3b", f"{url}/v1")


def test_several_models_are_listed_and_one_is_asked_for(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with FakeOllama() as server:
        line = one_line_error(run(db, "endpoint", "add", "router", server.url))
        assert line == (f"{server.url}/v1 serves 2 models: pick one with --model NAME (llama3.2:3b, qwen3:0.6b)")
        assert servers(db) == []
        added = run(db, "endpoint", "add", "router", server.url, "--model", "qwen3:0.6b")
        assert added.exit_code == 0, added.output
    assert [(r["name"], r["model"]) for r in servers(db)] == [("router", "qwen3:0.6b")]


def test_an_empty_list_is_one_line(tmp_path: Path) -> None:
    with FakeOllama(models=[]) as server:
        url = server.url
        line = one_line_error(run(tmp_path / "m.db", "endpoint", "add", "empty", url))
    assert line == f"{url}/v1 lists no model at /v1/models: give the model name"


def test_ollama_model_attached_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "m.db"
    with FakeOllama() as ollama:
        url = ollama.url
        monkeypatch.setenv("OLLAMA_HOST", ollama.host)
        added = run(db, "endpoint", "add", "--ollama", "qwen3:0.6b")
        assert added.exit_code == 0, added.output
        missing = one_line_error(run(db, "endpoint", "add", "--ollama", "mistral:7b", "other"))
    assert missing == f"{url}/v1 does not serve 'mistral:7b' (it lists: llama3.2:3b, qwen3:0.6b)"
    assert [(r["name"], r["model"], r["url"]) for r in servers(db)] == [
        ("ollama-qwen3-0.6b", "qwen3:0.6b", f"{url}/v1")]


def test_no_ollama_running_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as ollama:
        port = ollama.port
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{port}")  # nothing listens there any more
    line = one_line_error(run(tmp_path / "m.db", "endpoint", "add", "--ollama", "qwen3:0.6b"))
    assert line.startswith(f"http://127.0.0.1:{port}/v1: cannot connect")


def test_openrouter_attached_with_the_key_from_the_environment(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.files import write_set
    from tests.support.openrouter_fake import FakeOpenRouter

    db = tmp_path / "m.db"
    key = "sk-or-v1-0123456789abcdef-secret"
    with FakeOpenRouter(key=key) as router:
        monkeypatch.setenv("MODELPICK_OPENROUTER_ENDPOINT", router.api)
        missing = one_line_error(run(db, "endpoint", "add", "--openrouter", "qwen/qwen3-8b"))
        assert missing.startswith("OPENROUTER_API_KEY is not set")
        monkeypatch.setenv("OPENROUTER_API_KEY", key)
        added = run(db, "endpoint", "add", "--openrouter", "qwen/qwen3-8b")
        assert added.exit_code == 0, added.output
        assert [(r["name"], r["model"], r["url"]) for r in servers(db)] == [
            ("openrouter-qwen3-8b", "qwen/qwen3-8b", router.api)]
        prompts = write_set(tmp_path / "one.jsonl", 1)
        answered = run(db, "run", str(prompts), "-e", "openrouter-qwen3-8b", "--max-tokens", "8")
        assert answered.exit_code == 0, answered.output
        assert "1/1 answered, 0 failed" in answered.stdout
        [chat] = [r for r in router.requests if r.path == "/api/v1/chat/completions"]
        assert chat.token == key
        assert chat.headers["http-referer"] == "https://pypi.org/project/modelpick-tui/"
        assert chat.headers["x-title"] == "modelpick"
        # A new shell without the variable: the endpoint is known, its requests go without a key (401, one line).
        monkeypatch.delenv("OPENROUTER_API_KEY")
        refused = run(db, "run", str(prompts), "-e", "openrouter-qwen3-8b", "--max-tokens", "8")
        assert refused.exit_code == 1 and "1 failed" in refused.stdout
        assert router.requests[-1].token is None and router.requests[-1].status == 401
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert key.encode() not in stored  # never written: not in the database, not in a key file
