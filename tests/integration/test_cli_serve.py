"""`modelpick serve / servers / stop / endpoint`: detached servers started from the command line (the real
llama.cpp server on the real Gemma 3 270M GGUF), listed, asked, stopped with nothing left behind; bad input
answered with one line; PATH_OR_REPO[:QUANT] resolved from files, folders, the Hugging Face cache, the
catalogue and a (fake) Hub. Every server a test starts is killed at the end, even when the test fails."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from click.testing import CliRunner, Result

from modelpick_tui.catalog.sources.hub import HubClient
from modelpick_tui.cli import main
from modelpick_tui.cli.serve import server_name
from modelpick_tui.serving.resolve import (
    ResolveError,
    cached_repo_files,
    canonical_quant,
    default_chat_format,
    download_gguf,
    resolve_gguf,
    split_spec,
)
from modelpick_tui.serving.supervisor import group_members, port_is_free
from tests.support.cleanup import kill_recorded_servers
from tests.support.fakehub import FakeHub


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A modelpick home and database in tmp; every server recorded there is killed afterwards."""
    home = tmp_path / "home"
    monkeypatch.setenv("MODELPICK_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    db_path = home / "modelpick.db"
    try:
        yield db_path
    finally:
        kill_recorded_servers(db_path)


def run(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) >= 1 and lines[-1].startswith("error: "), result.stderr
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0].removeprefix("error: ")


def ready(result: Result) -> dict[str, str]:
    """name, url, key and time to ready from `serve`'s text output."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    head = re.search(r"^ready (\S+) in ([\d.]+) s \(detached, pid (\d+)", result.stdout, re.M)
    url = re.search(r"^  url +(\S+)$", result.stdout, re.M)
    key = re.search(r"^  api key +(\S+)$", result.stdout, re.M)
    assert head and url and key, result.stdout
    return {"name": head.group(1), "seconds": head.group(2), "pid": head.group(3), "url": url.group(1),
            "key": key.group(1)}


def servers_json(db: Path, *flags: str) -> dict[str, dict[str, Any]]:
    result = run(db, "servers", "--json", *flags)
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# --- the real llama.cpp server ---------------------------------------------------------------------------


@pytest.mark.llama
def test_serve_gemma_list_chat_endpoint_stop(env: Path, gemma_gguf: Path) -> None:
    result = run(env, "serve", "llama", str(gemma_gguf), "--name", "gemma", "--ctx", "1024")
    info = ready(result)
    assert info["name"] == "gemma" and re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", info["url"])
    assert "chat format: gemma (the GGUF has no chat template; architecture gemma3)" in result.stderr
    port = int(info["url"].rsplit(":", 1)[1].removesuffix("/v1"))
    pid = int(info["pid"])
    print(f"serve → ready in {info['seconds']} s")

    # It outlived the command; `servers` finds it (a new process, as far as the registry knows) ready.
    row = servers_json(env)["gemma"]
    assert row["status"] == "ready" and row["url"] == info["url"] and row["detached"] is True
    assert row["rss_bytes"] > 50 * 2**20 and row["time_to_ready_s"] > 0 and row["uptime_s"] >= 0
    assert "api_key" not in row and info["key"] not in json.dumps(row)
    table = run(env, "servers")
    assert "gemma" in table.stdout and "ready" in table.stdout and info["url"] in table.stdout

    request = {"model": "gemma", "messages": [{"role": "user", "content": "Name three colors."}],
               "max_tokens": 12, "temperature": 0}
    resp = httpx.post(f"{info['url']}/chat/completions", json=request,
                      headers={"Authorization": f"Bearer {info['key']}"}, timeout=60)
    assert resp.status_code == 200 and resp.json()["choices"][0]["message"]["content"].strip()
    # The key was printed once; it is in no log and nowhere in the database.
    home = env.parent
    assert all(info["key"] not in p.read_text(errors="replace") for p in (home / "logs").iterdir())
    assert info["key"].encode() not in env.read_bytes()

    # A remote endpoint: checked with /v1/models (this server stands in for one), listed, removed.
    bad = run(env, "endpoint", "add", "team", info["url"].removesuffix("/v1"), "gemma", "--key", "wrong")
    assert one_line_error(bad) == f"{info['url']}: HTTP 401, the API key is missing or wrong"
    added = run(env, "endpoint", "add", "team", info["url"], "gemma", "--key", info["key"])
    assert added.exit_code == 0 and added.stdout.strip() == f"added team: {info['url']} serves gemma"
    assert servers_json(env)["team"]["backend"] == "remote"
    assert one_line_error(run(env, "stop", "team")).startswith("team is a remote endpoint")
    assert run(env, "endpoint", "rm", "team").exit_code == 0
    assert "team" not in servers_json(env, "--all")

    stopped = run(env, "stop", "gemma")
    assert stopped.exit_code == 0 and stopped.stdout.strip() == f"stopped gemma (port {port} free)"
    assert port_is_free("127.0.0.1", port) and not alive(pid)
    assert servers_json(env) == {} and servers_json(env, "--all")["gemma"]["status"] == "stopped"
    assert one_line_error(run(env, "stop", "nobody")) == "no server or endpoint named 'nobody'"


@pytest.mark.llama
def test_serve_from_folder_and_hf_cache_then_stop_all(env: Path, gemma_gguf: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "gemma-3-270m-Q4_K_M.gguf").symlink_to(gemma_gguf)
    # A repo in the Hugging Face cache, laid out as huggingface_hub does (snapshot links to blobs).
    repo = tmp_path / "hf-cache" / "models--acme--gemma-GGUF"
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / "0123abcd").symlink_to(gemma_gguf)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("c0ffee")
    (repo / "snapshots" / "c0ffee").mkdir(parents=True)
    (repo / "snapshots" / "c0ffee" / "gemma-q4_k_m.gguf").symlink_to(repo / "blobs" / "0123abcd")

    wrong = run(env, "serve", "llama", f"{folder}:Q8_0")
    assert one_line_error(wrong) == f"no Q8_0 GGUF in {folder}; quants there: Q4_K_M"

    first = ready(run(env, "serve", "llama", f"{folder}:q4_k_m"))
    assert first["name"] == "gemma-3-270m-Q4_K_M"
    cached = run(env, "serve", "llama", "acme/gemma-GGUF:Q4_K_M", "--json")  # offline: the cache only
    assert cached.exit_code == 0, cached.stderr
    second = json.loads(cached.stdout)
    assert second["name"] == "gemma-q4_k_m" and second["api_key"] and second["time_to_ready_s"] > 0
    assert "(cache)" in cached.stderr
    listed = servers_json(env)
    assert {listed[n]["status"] for n in (first["name"], second["name"])} == {"ready"}
    pids = [int(first["pid"]), second["pid"]]

    done = run(env, "stop", "--all")
    assert done.exit_code == 0 and sorted(done.stdout.splitlines()) == sorted(
        f"stopped {n} (port {p} free)" for n, p in ((first["name"], first["url"].split(":")[2][:-3]),
                                                     (second["name"], second["port"])))
    assert not any(alive(p) for p in pids)
    assert servers_json(env) == {}
    assert run(env, "stop", "--all").stdout.strip() == "no servers running"


# --- failures: one line, nothing left ------------------------------------------------------------------


@pytest.mark.llama
def test_serve_missing_path(env: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    assert one_line_error(run(env, "serve", "llama", str(missing))) == f"model file not found: {missing}"


@pytest.mark.llama
def test_serve_truncated_gguf(env: Path, tmp_path: Path, gemma_gguf: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    with open(gemma_gguf, "rb") as src:
        truncated.write_bytes(src.read(1 << 20))
    line = one_line_error(run(env, "serve", "llama", str(truncated)))
    assert line.startswith("the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF file (")
    assert line.endswith(str(truncated))
    assert servers_json(env, "--all") == {}  # nothing was started


@pytest.mark.llama
def test_serve_gguf_the_server_cannot_load(env: Path, tmp_path: Path) -> None:
    """A GGUF whose header reads but which llama.cpp cannot load: the server starts, fails, and the cause
    comes from its log; its process is gone and the record with it."""
    from tests.support.files import write_gguf

    tiny = write_gguf(tmp_path / "tiny-Q4_K_M.gguf")  # no tokenizer, no layers: llama.cpp refuses it
    result = run(env, "serve", "llama", str(tiny), "--name", "tiny")
    assert one_line_error(result) == ("the GGUF file cannot be loaded: it is truncated, corrupt or not a GGUF "
                                      "file; download it again")
    assert "starting tiny on port" in result.stderr
    assert "llama-2" in result.stderr  # no chat template, not Gemma: the fallback is named
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(tiny) in " ".join(p.info["cmdline"] or [])]
    assert servers_json(env, "--all") == {}


@pytest.mark.llama
def test_serve_repo_downloaded_through_the_cli(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repo neither cached nor catalogued: its file list from the (fake) Hub, the quant downloaded into the
    Hugging Face cache, then served (this GGUF cannot be loaded: the cause comes back as one line)."""
    from tests.support.files import write_gguf

    data = write_gguf(tmp_path / "x.gguf").read_bytes()
    record = {"id": "acme/tiny-GGUF", "siblings": [
        {"rfilename": "tiny-Q4_K_M.gguf", "size": len(data), "lfs": {"size": len(data)}},
        {"rfilename": "tiny-Q8_0.gguf", "size": len(data), "lfs": {"size": len(data)}},
    ]}
    offline = run(env, "serve", "llama", "acme/tiny-GGUF:Q4_K_M")
    assert one_line_error(offline) == ("acme/tiny-GGUF is not in the Hugging Face cache and the Hub is offline "
                                       "(HF_HUB_OFFLINE=1)")
    with FakeHub([record], files={("acme/tiny-GGUF", "tiny-Q4_K_M.gguf"): data}) as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_HUB_OFFLINE")
        assert one_line_error(run(env, "serve", "llama", "acme/tiny-GGUF")) == (
            "2 GGUF files in acme/tiny-GGUF: add :QUANT, one of Q4_K_M, Q8_0")
        result = run(env, "serve", "llama", "acme/tiny-GGUF:Q4_K_M", "--name", "tiny")
    assert f"downloading acme/tiny-GGUF/tiny-Q4_K_M.gguf ({len(data) / 1024:.0f} KiB)" in result.stderr
    cached = cached_repo_files(tmp_path / "hf-cache", "acme/tiny-GGUF")
    assert cached["tiny-Q4_K_M.gguf"].read_bytes() == data
    assert f"model file: {cached['tiny-Q4_K_M.gguf']} (download)" in result.stderr
    assert one_line_error(result).startswith("the GGUF file cannot be loaded")
    assert servers_json(env, "--all") == {}


@pytest.mark.llama
def test_ctrl_c_while_waiting_stops_the_server(env: Path, gemma_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelpick_tui.serving.supervisor import Supervisor

    pgids: list[int | None] = []

    def interrupted(self: Supervisor, name: str, timeout: float = 0, poll: float = 0) -> None:
        pgids.append(self.get(name).pgid)
        raise KeyboardInterrupt

    monkeypatch.setattr(Supervisor, "wait_ready", interrupted)
    result = run(env, "serve", "llama", str(gemma_gguf), "--name", "g")
    assert result.exit_code == 130 and result.stderr.splitlines()[-1] == "cancelled: g stopped"
    assert pgids and pgids[0] and group_members(pgids[0]) == []
    assert servers_json(env, "--all") == {}


@pytest.mark.llama
def test_serve_port_in_use_leaves_nothing(env: Path, gemma_gguf: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(env, "serve", "llama", str(gemma_gguf), "--port", str(port))
    assert one_line_error(result) == f"port in use: 127.0.0.1:{port} is already taken by another program"
    assert servers_json(env, "--all") == {}


def test_serve_vllm_not_installed(env: Path) -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    line = one_line_error(run(env, "serve", "vllm", "acme/tiny"))
    assert line.startswith("vLLM is not installed: pip install 'modelpick-tui[vllm]'")


def test_stop_needs_a_name_or_all(env: Path) -> None:
    assert run(env, "stop").exit_code == 2
    assert one_line_error(run(env, "endpoint", "rm", "nothing")) == "no remote endpoint named 'nothing'"
    assert run(env, "servers").stdout.startswith("no servers")


# --- resolving PATH_OR_REPO[:QUANT] ----------------------------------------------------------------------


def test_split_spec_and_names(tmp_path: Path) -> None:
    assert split_spec("acme/m-GGUF:Q4_K_M") == ("acme/m-GGUF", "Q4_K_M")
    assert split_spec("acme/m-GGUF") == ("acme/m-GGUF", None)
    odd = tmp_path / "a:b.gguf"
    odd.write_bytes(b"x")
    assert split_spec(str(odd)) == (str(odd), None)
    assert canonical_quant("q4_k_m") == "Q4_K_M"
    assert server_name("/x/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf") == "Qwen2.5-0.5B-Instruct-Q4_K_M"
    assert server_name("m-00001-of-00003.gguf") == "m"
    assert server_name("acme/weird name!") == "weird-name"


def test_default_chat_format() -> None:
    assert default_chat_format({"general.architecture": "gemma3"})[0] == "gemma"
    assert default_chat_format({"general.architecture": "gemma3", "tokenizer.chat_template": "{{x}}"})[0] is None
    fmt, line = default_chat_format({"general.architecture": "llama"})
    assert fmt is None and "llama-2" in line


def test_folder_resolution(tmp_path: Path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "m-Q4_K_M.gguf").write_bytes(b"GGUF")
    assert resolve_gguf(str(d)).path == d / "m-Q4_K_M.gguf"
    (d / "m-Q8_0-00001-of-00002.gguf").write_bytes(b"GGUF")
    (d / "mmproj-m-f16.gguf").write_bytes(b"GGUF")  # a vision projector, not a model
    with pytest.raises(ResolveError, match=r"^2 GGUF files in .*: add :QUANT, one of Q4_K_M, Q8_0$"):
        resolve_gguf(str(d))
    with pytest.raises(ResolveError, match="split model m-Q8_0-00001-of-00002.gguf is incomplete"):
        resolve_gguf(f"{d}:Q8_0")
    (d / "m-Q8_0-00002-of-00002.gguf").write_bytes(b"GGUF")
    assert resolve_gguf(f"{d}:Q8_0").quant == "Q8_0"
    with pytest.raises(ResolveError, match="^model file not found: "):
        resolve_gguf("./not/here.gguf")


def _fake_cache(root: Path, repo_id: str, files: dict[str, bytes], complete: bool = True) -> Path:
    repo = root / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for i, (name, data) in enumerate(files.items()):
        blob = repo / "blobs" / f"b{i}"
        if complete:
            blob.write_bytes(data)
        (snap / name).symlink_to(blob)  # dangling while the blob is incomplete
    return snap


class _Store:
    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows

    def get(self, model_id: str) -> dict[str, Any] | None:
        return self.rows.get(model_id)


def test_repo_from_cache_and_catalogue(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    snap = _fake_cache(cache, "acme/m-GGUF", {"m-Q4_K_M.gguf": b"GGUF", "README.md": b"hi"})
    assert set(cached_repo_files(cache, "acme/m-GGUF")) == {"m-Q4_K_M.gguf", "README.md"}
    got = resolve_gguf("acme/m-GGUF", cache_dir=cache)
    assert got.source == "cache" and got.path == snap / "m-Q4_K_M.gguf" and got.repo_id == "acme/m-GGUF"
    assert resolve_gguf("acme/m-GGUF:q4_k_m", cache_dir=cache).quant == "Q4_K_M"

    store = _Store({"acme/m-GGUF": {"files": [
        {"filename": "m-Q4_K_M.gguf", "size": 4, "quant": "Q4_K_M"},
        {"filename": "m-Q5_K_M.gguf", "size": 5, "quant": "Q5_K_M"},
        {"filename": "model.safetensors", "size": 9, "quant": None},
    ]}})
    with pytest.raises(ResolveError,
                       match=r"^no Q8_0 GGUF in acme/m-GGUF \(catalogue\); quants there: Q4_K_M, Q5_K_M$"):
        resolve_gguf("acme/m-GGUF:Q8_0", cache_dir=cache, store=store)  # type: ignore[arg-type]
    with pytest.raises(ResolveError, match="m-Q5_K_M.gguf is not in the Hugging Face cache"):
        resolve_gguf("acme/m-GGUF:Q5_K_M", cache_dir=cache, store=store)  # type: ignore[arg-type]
    # A download that never finished leaves a dangling link: not taken for the file.
    _fake_cache(cache, "acme/half", {"h-Q4_K_M.gguf": b"GGUF"}, complete=False)
    with pytest.raises(ResolveError, match="acme/half is not in the Hugging Face cache"):
        resolve_gguf("acme/half", cache_dir=cache)


def test_repo_downloaded_from_the_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"GGUF" + bytes(300_000)
    record = {"id": "acme/dl-GGUF", "siblings": [
        {"rfilename": "dl-Q4_K_M.gguf", "size": len(data), "lfs": {"size": len(data)}},
        {"rfilename": "dl-Q8_0.gguf", "size": 10**15, "lfs": {"size": 10**15}},
    ]}
    with FakeHub([record], files={("acme/dl-GGUF", "dl-Q4_K_M.gguf"): data}) as fake:
        hub = HubClient(endpoint=fake.url, token=None, cache_dir=tmp_path / "cache")
        try:
            seen: list[tuple[str, int, int | None]] = []
            said: list[str] = []
            got = resolve_gguf("acme/dl-GGUF:Q4_K_M", hub=hub, progress=lambda *a: seen.append(a),
                               say=said.append)
            assert got.source == "download" and got.path.read_bytes() == data
            assert seen[-1] == ("dl-Q4_K_M.gguf", len(data), len(data))
            assert said == ["downloading acme/dl-GGUF/dl-Q4_K_M.gguf (293 KiB)"]
            # Now it is cached: no Hub call at all.
            before = fake.request_count()
            assert resolve_gguf("acme/dl-GGUF:Q4_K_M", hub=hub).source == "cache"
            assert fake.request_count() == before
            with pytest.raises(ResolveError, match=r"^acme/dl-GGUF/dl-Q8_0.gguf needs 931322\.57 GiB "
                                                   r"but only [\d.]+ GiB is free in "):
                resolve_gguf("acme/dl-GGUF:Q8_0", hub=hub)
            with pytest.raises(ResolveError, match=r"^no Q2_K GGUF in acme/dl-GGUF; quants there: Q4_K_M, Q8_0$"):
                resolve_gguf("acme/dl-GGUF:Q2_K", hub=hub)
        finally:
            hub.close()


def test_split_gguf_downloads_each_missing_part_once(tmp_path: Path) -> None:
    """The one download routine (the CLI's resolve and the start form both use it): a split GGUF's parts in
    order, the parts already cached not asked for again, the disk checked for all that is left, cancel and
    failures naming the part."""
    import threading

    from modelpick_tui.catalog.sources.errors import HubError

    repo = "acme/split-GGUF"
    names = [f"s-Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    data = {name: b"GGUF" + bytes([i]) * (100_000 + i) for i, name in enumerate(names)}
    record = {"id": repo, "siblings": [{"rfilename": n, "size": len(d), "lfs": {"size": len(d)}}
                                       for n, d in data.items()]}
    sizes = {n: len(d) for n, d in data.items()}
    with FakeHub([record], files={(repo, n): d for n, d in data.items()}) as fake:
        hub = HubClient(endpoint=fake.url, token=None, cache_dir=tmp_path / "cache")
        try:
            hub.download_file(repo, names[0])  # part 1 is already here
            fake.clear_requests()
            cancel = threading.Event()
            cancel.set()
            with pytest.raises(HubError, match="cancelled: what arrived is kept") as stopped:
                download_gguf(hub, repo, names[0], sizes=sizes, cancel=cancel)
            assert stopped.value.kind == "cancelled" and stopped.value.filename == names[1]
            with pytest.raises(HubError, match=rf"^{names[1]} needs 1048576\.00 GiB but only ") as full:
                download_gguf(hub, repo, names[0], total=2**50)  # all that is left, checked before a byte
            assert full.value.kind == "disk" and full.value.filename == names[1]
            assert fake.requests == []

            seen: list[tuple[str, int, int | None]] = []
            said: list[str] = []
            first = download_gguf(hub, repo, names[0], sizes=sizes, progress=lambda *a: seen.append(a),
                                  say=said.append)
            assert first == cached_repo_files(hub.cache_dir, repo)[names[0]] and first.read_bytes() == data[names[0]]
            assert seen[0] == (names[0], sizes[names[0]], sizes[names[0]])  # cached: whole at once
            assert list(dict.fromkeys(part for part, _, _ in seen)) == names  # in order, one after the other
            assert {part: (done, total) for part, done, total in seen} == {n: (sizes[n], sizes[n]) for n in names}
            assert said == [f"downloading {repo}/{n} (98 KiB)" for n in names[1:]]
            assert {r.path.rsplit("/", 1)[-1] for r in fake.requests if "/resolve/" in r.path} == set(names[1:])
            cached = cached_repo_files(hub.cache_dir, repo)
            assert all(cached[n].read_bytes() == data[n] for n in names)
            # From the CLI: the first part stands for the model, and it is now in the cache.
            assert resolve_gguf(f"{repo}:Q8_0", hub=hub).path == first
        finally:
            hub.close()
