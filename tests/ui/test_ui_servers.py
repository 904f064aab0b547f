"""Pilot tests of the servers screen at 80×24: the real llama.cpp server on the real Gemma 3 270M GGUF,
started from its card by keys and stopped by keys; a remote endpoint added by keys. Every process started
is stopped in a finally, and the test checks that nothing of it is left."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from textual.widgets import Input, Static

from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.services import Services, build_services
from modelpick_tui.serving.procs import free_port, group_members, port_is_free
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app
from tests.support.paths import SAMPLE, STUB
from tests.support.pilot import SIZE, cell, describe, palette, screen_text, settle, status_of, wait_for
from tests.support.waits import wait_until

GiB = 2**30


@pytest.fixture
def ram_services(settings: Settings) -> Services:
    # System RAM, as on a laptop: the start modal must offer 0 GPU layers.
    memory = Memory(kind="ram", total_bytes=16 * GiB, available_bytes=12 * GiB, name="system RAM")
    svc = build_services(settings, memory=memory)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()


@pytest.mark.llama
@pytest.mark.integration
async def test_start_llama_server_from_card_by_keys(ram_services: Services, gemma_gguf: Path) -> None:
    from modelpick_tui.ui.screens.servers import ServersScreen
    from modelpick_tui.ui.screens.start_server import StartServerModal

    gguf = gemma_gguf
    ram_services.catalog.scan_dir(gguf.parent)
    model_id = "local/gemma-3-270m"
    app = make_app(ram_services.settings, ram_services)
    supervisor = ram_services.supervisor
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_card(model_id)
            await settle(pilot)
            await pilot.press("v")  # Serve
            await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
            modal = app.screen
            # Pre-filled from the card: the local file, CPU only, and the largest context that fits (here the
            # model's own maximum, 32k: the backend keeps llama-cpp-python from holding logits per position).
            assert modal.query_one("#start-model", Input).value == str(gguf)
            assert modal.query_one("#start-ctx", Input).value == "32768"
            assert modal.query_one("#start-layers", Input).value == "0"
            assert modal.query_one("#start-name", Input).value == "gemma-3-270m"
            assert modal.query_one("#start-chat", Input).value == "gemma"  # no chat template in this GGUF
            await pilot.press("enter")  # start
            await wait_for(pilot, lambda: isinstance(app.screen, ServersScreen), 5, "the servers screen")
            await wait_for(pilot, lambda: status_of(app, "gemma-3-270m") is not None, 5, "the row")
            assert status_of(app, "gemma-3-270m") in ("starting", "ready")
            await wait_for(pilot, lambda: status_of(app, "gemma-3-270m") in ("ready", "failed"), 60, "ready")
            assert status_of(app, "gemma-3-270m") == "ready", describe(app)
            server = supervisor.get("gemma-3-270m")
            assert cell(app, "gemma-3-270m", "ttr") == f"{server.time_to_ready_s:.1f} s"
            assert cell(app, "gemma-3-270m", "port") == str(server.port)
            # Memory: the group's RSS (no GPU here; the model is ~240 MiB on disk).
            await wait_for(pilot, lambda: cell(app, "gemma-3-270m", "mem").startswith("RSS "), 5, "RSS")
            # 32k context: KV 576 MiB + compute 512 MiB come on top of the weights, so MiB or GiB by build.
            assert re.fullmatch(r"RSS \d+(\.\d+)? (MiB|GiB)", cell(app, "gemma-3-270m", "mem"))
            screen = app.screen
            await wait_for(pilot, lambda: "Uvicorn running on" in screen.log_text, 5, "the server's log line")
            assert server.api_key and server.api_key not in screen.log_text
            pgid, port = server.pgid, server.port
            assert group_members(pgid)

            await pilot.press("x")  # stop
            await wait_for(pilot, lambda: status_of(app, "gemma-3-270m") == "stopped", 20, "stopped")
            assert group_members(pgid) == []
            # Nothing of it anywhere (other tests may run llama.cpp servers beside this one: match the port).
            assert not [p.pid for p in psutil.process_iter(["cmdline"])
                        if p.info["cmdline"] and str(gguf) in p.info["cmdline"] and str(port) in p.info["cmdline"]]
            assert port_is_free("127.0.0.1", port)

            # Restart it (same settings), then detach it: it must outlive this app.
            await pilot.press("R")
            await wait_for(pilot, lambda: status_of(app, "gemma-3-270m") in ("ready", "failed"), 60, "ready again")
            assert status_of(app, "gemma-3-270m") == "ready", describe(app)
            await pilot.press("D")
            await wait_for(pilot, lambda: cell(app, "gemma-3-270m", "backend") == "llama*", 5, "detached")
            pgid = supervisor.get("gemma-3-270m").pgid
            await pilot.press("ctrl+q")
        assert group_members(pgid), "a detached server must survive the app"

        # A new modelpick re-attaches it after its first frame; x stops it and leaves nothing.
        again = build_services(ram_services.settings, memory=ram_services.catalog.memory())
        app2 = make_app(again.settings, again)
        try:
            async with app2.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await pilot.press("S")
                await wait_for(pilot, lambda: status_of(app2, "gemma-3-270m") == "ready", 10, "re-attached")
                await pilot.press("x")
                await wait_for(pilot, lambda: status_of(app2, "gemma-3-270m") == "stopped", 20, "stopped again")
            assert group_members(pgid) == []
        finally:
            for s in again.supervisor.servers():
                if s.backend != "remote" and s.status in ("starting", "ready"):
                    again.supervisor.stop(s.name, grace=2.0)
            again.close()
    finally:
        for s in supervisor.servers():
            if s.backend != "remote" and s.status in ("starting", "ready"):
                supervisor.stop(s.name, grace=2.0)


@pytest.fixture
def stub_endpoint() -> Any:
    """A stand-in OpenAI-compatible server (tests/support/stub_server.py) serving "team-model", without a key."""
    port = free_port()
    stub = subprocess.Popen([sys.executable, str(STUB), "--port", str(port), "--model_alias", "team-model"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: not port_is_free("127.0.0.1", port), "the stand-in server to listen", 10)
        yield port, stub
    finally:
        stub.terminate()
        stub.wait(5)


async def test_add_remote_endpoint_by_keys(services: Services, stub_endpoint: Any) -> None:
    port, stub = stub_endpoint
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        assert "no servers yet" in screen_text(app)
        await pilot.press("a", *"gateway", "tab", *f"127.0.0.1:{port}", "tab", *"team-model", "enter")
        await wait_for(pilot, lambda: status_of(app, "gateway") == "ready", 10, "the endpoint ready")
        assert cell(app, "gateway", "backend") == "remote"
        assert cell(app, "gateway", "model") == "team-model"
        assert f"http://127.0.0.1:{port}/v1" in screen_text(app)
        # A wrong model name is one clear line, and the row says failed.
        await pilot.press("a", *"wrong", "tab", *f"127.0.0.1:{port}", "tab", *"nope", "enter")
        await wait_for(pilot, lambda: status_of(app, "wrong") == "failed", 10, "the endpoint failed")
        await pilot.press("down")  # select it: the line under the table gives the cause
        await pilot.pause()
        detail = str(app.screen.query_one("#server-detail", Static).content)
        assert detail == f"failed: http://127.0.0.1:{port}/v1 does not serve 'nope' (it lists: team-model)"
        # x on a remote endpoint forgets it; modelpick never stops it.
        await pilot.press("x")
        await wait_for(pilot, lambda: "wrong" not in app.screen.rows, 5, "the endpoint removed")
        assert stub.poll() is None


async def test_serving_a_hub_quant_not_on_this_machine_says_so(ram_services: Services) -> None:
    from modelpick_tui.ui.screens.start_server import StartServerModal

    app = make_app(ram_services.settings, ram_services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_card("bartowski/Llama-3.2-1B-Instruct-GGUF")
        await settle(pilot)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
        await pilot.press("enter")  # nothing to start from: the modal stays and says why
        await pilot.pause()
        assert isinstance(app.screen, StartServerModal)
        notice = str(app.screen.query_one("#start-notice", Static).content)
        assert "is not on this machine and the Hub is offline (HF_HUB_OFFLINE=1)" in notice
        assert "`modelpick serve llama bartowski/Llama-3.2-1B-Instruct-GGUF:" in notice
        assert ram_services.supervisor.servers() == []
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StartServerModal)


async def test_serving_a_safetensors_model_offers_vllm(services: Services) -> None:
    from modelpick_tui.ui.screens.start_server import StartServerModal

    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_card("google/gemma-3-4b-it")
        await settle(pilot)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
        modal = app.screen
        assert modal.backend == "vllm"
        assert modal.query_one("#start-model", Input).value == "google/gemma-3-4b-it"
        # 24 GiB GPU: a 4B model in BF16 fits at 32k; the fraction covers the estimate plus headroom.
        assert modal.query_one("#start-ctx", Input).value == "32768"
        fraction = float(modal.query_one("#start-fraction", Input).value)
        assert 0.1 <= fraction <= 0.95
        assert modal.query_one("#start-fraction").parent.display
        assert not modal.query_one("#start-layers").parent.display


async def test_quit_stops_the_servers_it_started(services: Services) -> None:
    from modelpick_tui.serving.spec import ServerSpec

    # The stand-in speaks llama.cpp's flags and readiness route: a server in a second, not in two.
    spec = ServerSpec(name="quick", backend="llama", model="stub.gguf", executable=(sys.executable, str(STUB)))
    app = make_app(services.settings, services)
    supervisor = services.supervisor
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.start_server(spec)
            await wait_for(pilot, lambda: status_of(app, "quick") == "ready", 15, "ready")
            pgid = supervisor.get("quick").pgid
            assert group_members(pgid)
            await pilot.press("ctrl+q")
        assert group_members(pgid) == []
        assert supervisor.get("quick").status == "stopped"
    finally:
        for s in supervisor.servers():
            if s.status in ("starting", "ready") and group_members(s.pgid):
                supervisor.stop(s.name, grace=2.0)


async def test_a_failed_start_shows_its_one_line_cause(services: Services) -> None:
    from modelpick_tui.serving.spec import ServerSpec

    spec = ServerSpec(name="broken", backend="llama", model="stub.gguf", executable=(sys.executable, str(STUB)),
                      extra_args=("--behave", "exit"))
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.start_server(spec)
        await wait_for(pilot, lambda: status_of(app, "broken") == "failed", 15, "failed")
        await pilot.pause()
        detail = str(app.screen.query_one("#server-detail", Static).content)
        assert detail.startswith("failed: ") and "boom: the frobnicator could not be initialised" in detail
        assert "boom: the frobnicator" in app.screen.log_text  # the log tail shows what the server said
        assert group_members(services.supervisor.get("broken").pgid) == []


def test_a_second_vllm_server_gets_what_the_first_leaves(services: Services) -> None:
    from modelpick_tui.ui.screens.start_server import plan_for

    details = services.catalog.details("google/gemma-3-4b-it")
    alone = plan_for(details, {}, set())
    beside = plan_for(details, {}, {"gemma-3-4b-it"}, gpu_in_use=0.6)
    assert alone.backend == beside.backend == "vllm"
    assert beside.name == "gemma-3-4b-it-2"
    assert beside.mem_fraction == min(alone.mem_fraction, 0.35)
    assert "other vLLM servers hold 0.6 of it, 0.35 is left" in beside.memory_note


async def test_serve_from_the_shortlist(services: Services) -> None:
    from modelpick_tui.ui.screens.start_server import StartServerModal

    services.catalog.shortlist_add("bartowski/Llama-3.2-1B-Instruct-GGUF", "small, fast")
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
        assert app.screen.plan.model_id == "bartowski/Llama-3.2-1B-Instruct-GGUF"
        assert app.screen.backend == "llama"


async def test_palette_opens_the_servers_screen_and_offers_its_actions(services: Services) -> None:
    from modelpick_tui.ui.screens.servers import ServersScreen

    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await palette(pilot, "servers")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ServersScreen)
        await palette(pilot, "add remote")
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "AddRemoteModal"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # back to browsing
        await pilot.pause()
        assert app.screen.SCREEN_NAME == "browse"


# --- the start form: vLLM's memory split, GPUs and remote code ------------------------------------------------


def test_gpu_split_adds_up_the_servers_on_the_same_gpus() -> None:
    from modelpick_tui.serving.plan import GpuPeer, devices_of, gpu_split

    assert devices_of(None, None, 4) == ("0",) and devices_of("2, 3", 2, 4) == ("2", "3")
    assert devices_of(None, 2, 0) == ("0",)  # no GPU found: one, as vLLM would take
    peers = [GpuPeer("qwen-a", 0.45, ("0",)), GpuPeer("llama-b", 0.3, ("1",), "starting")]
    split = gpu_split(0.45, ("0",), peers)
    assert split.line == "this 0.45 + running qwen-a 0.45 = 0.90 of GPU 0" and not split.too_much
    assert gpu_split(0.5, ("0",), peers).line.endswith("= 0.95 of GPU 0")  # the limit itself is allowed
    over = gpu_split(0.7, ("0", "1"), peers)
    assert over.too_much and over.device == "0" and over.line == "this 0.7 + running qwen-a 0.45 = 1.15 of GPU 0"
    assert gpu_split(0.9, ("2",), peers).line == ""  # a GPU nobody else uses


def test_a_second_vllm_server_on_another_gpu_keeps_its_share(services: Services) -> None:
    from modelpick_tui.serving.plan import GpuPeer, plan_for

    details = services.catalog.details("google/gemma-3-4b-it")
    alone = plan_for(details, {}, set())
    busy = [GpuPeer("qwen-a", 0.9, ("0",))]
    two_gpus = plan_for(details, {}, set(), peers=busy, device_count=2)
    assert two_gpus.cuda_visible_devices == "1" and two_gpus.mem_fraction == alone.mem_fraction
    one_gpu = plan_for(details, {}, set(), peers=[GpuPeer("qwen-a", 0.45, ("0",))], device_count=1)
    assert one_gpu.cuda_visible_devices == "" and one_gpu.mem_fraction == min(alone.mem_fraction, 0.5)


def _vllm_stand_in(supervisor: Any, name: str, fraction: float, cuda: str | None = None) -> Any:
    """A process registered as a vLLM server being started (the stand-in never answers /health)."""
    from modelpick_tui.serving.spec import ServerSpec

    spec = ServerSpec(name=name, backend="vllm", model=name, executable=(sys.executable, str(STUB)),
                      gpu_memory_utilization=fraction, cuda_visible_devices=cuda)
    server = supervisor.start(spec)
    assert server.status == "starting", server.error
    return server


async def _type(pilot: Any, wid: str, text: str) -> None:
    pilot.app.screen.query_one(wid, Input).focus()
    await pilot.press("home", "ctrl+k", *text)
    await pilot.pause()


async def test_vllm_form_shows_the_split_refuses_too_much_and_passes_remote_code_only_when_asked(
        services: Services) -> None:
    from textual.widgets import Switch

    from modelpick_tui.serving.backends import get_backend
    from modelpick_tui.ui.screens.start_server import StartServerModal

    supervisor = services.supervisor
    peer = _vllm_stand_in(supervisor, "qwen-a", 0.45)
    app = make_app(services.settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_card("google/gemma-3-4b-it")
            await settle(pilot)
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
            modal = app.screen
            # Pre-filled so that the two stay within 0.95 of the card, and the split is on screen.
            assert float(modal.query_one("#start-fraction", Input).value) <= 0.5
            split = str(modal.query_one("#start-split", Static).content)
            assert split.startswith("this ") and " + starting qwen-a 0.45 = " in split and split.endswith(" of GPU 0")
            assert "starting qwen-a 0.45" in screen_text(app)
            assert not modal.query_one("#start-cuda-row").display  # one GPU: nothing to choose
            assert modal.query_one("#start-trust", Switch).value is False
            assert not modal.query_one("#start-trust-warning").display

            await _type(pilot, "#start-fraction", "0.6")
            assert str(modal.query_one("#start-split", Static).content) == (
                "this 0.6 + starting qwen-a 0.45 = 1.05 of GPU 0: above 0.95, lower this one")
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is modal  # refused, with one clear line
            assert str(modal.query_one("#start-notice", Static).content) == (
                "too much of GPU 0: this 0.6 + starting qwen-a 0.45 = 1.05 of GPU 0, above 0.95; "
                "at most 0.5 for this one")
            await _type(pilot, "#start-fraction", "0.45")
            assert str(modal.query_one("#start-split", Static).content) == (
                "this 0.45 + starting qwen-a 0.45 = 0.90 of GPU 0")

            modal.query_one("#start-trust", Switch).focus()
            await pilot.press("space")  # trust remote code: on, and the warning says what that means
            await pilot.pause()
            warning = str(modal.query_one("#start-trust-warning", Static).content)
            assert modal.query_one("#start-trust-warning").display
            assert "runs the model repository's own Python code on this machine" in warning
            spec = modal.spec()
            assert spec.trust_remote_code and spec.gpu_memory_utilization == 0.45
            argv = get_backend("vllm").argv(spec, 8000)
            assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.45" and "--trust-remote-code" in argv
            await pilot.press("space")  # off again: the flag is not passed
            await pilot.pause()
            assert not modal.query_one("#start-trust-warning").display
            assert "--trust-remote-code" not in get_backend("vllm").argv(modal.spec(), 8000)
    finally:
        supervisor.stop(peer.name, grace=1.0)


async def test_several_gpus_offer_cuda_visible_devices(settings: Settings) -> None:
    from modelpick_tui.ui.screens.start_server import StartServerModal

    memory = Memory(kind="gpu", total_bytes=2 * 24 * GiB, available_bytes=2 * 24 * GiB, name="test GPU ×2",
                        device_count=2)
    svc = build_services(settings, memory=memory)
    svc.catalog.ensure_loaded()
    peer = _vllm_stand_in(svc.supervisor, "qwen-a", 0.9, cuda="0")
    app = make_app(svc.settings, svc)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_card("google/gemma-3-4b-it")
            await settle(pilot)
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
            modal = app.screen
            # GPU 0 is taken by qwen-a: the new server goes on GPU 1, with nothing to share.
            assert modal.query_one("#start-cuda-row").display
            assert modal.query_one("#start-cuda", Input).value == "1"
            assert not modal.query_one("#start-split").display
            await _type(pilot, "#start-cuda", "0")
            assert modal.query_one("#start-split").display
            assert " + starting qwen-a 0.9 = " in str(modal.query_one("#start-split", Static).content)
            await _type(pilot, "#start-cuda", "1;2")
            await pilot.press("enter")
            await pilot.pause()
            assert "CUDA devices: GPU indexes or UUIDs separated by commas" in str(
                modal.query_one("#start-notice", Static).content)
            await _type(pilot, "#start-cuda", "1")
            spec = modal.spec()
            assert spec.cuda_visible_devices == "1"
            from modelpick_tui.serving.backends import get_backend

            assert get_backend("vllm").env(spec, 8000, "k")["CUDA_VISIBLE_DEVICES"] == "1"
    finally:
        svc.supervisor.stop(peer.name, grace=1.0)
        svc.close()


# --- the start form: downloading a quant from the Hub, with progress, cancel and resume ------------------------


def file_size(path: Any) -> int:
    return os.stat(path).st_size


class _GatedFile:
    """A handler's output stream that stops after `limit` bytes of a response until `gate` is set."""

    def __init__(self, raw: Any, limit: int, gate: Any) -> None:
        self.raw, self.limit, self.gate, self.sent = raw, limit, gate, 0

    def write(self, data: bytes) -> int:
        if not self.gate.is_set() and self.sent + len(data) > self.limit:
            head = max(self.limit - self.sent, 0)
            self.raw.write(data[:head])
            self.raw.flush()
            self.sent += head
            self.gate.wait(60)
            data = data[head:]
        self.sent += len(data)
        return int(self.raw.write(data))

    def flush(self) -> None:
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


@pytest.fixture
def gated_hub(gemma_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake Hub serving the real Gemma GGUF as acme/gemma-3-270m-GGUF; a file body stops after 24 MiB
    until the test opens `hub.gate` (so the download can be caught, and cancelled, half way)."""
    import threading

    from tests.support import fakehub

    data = gemma_gguf.read_bytes()
    monkeypatch.setattr(fakehub, "MAX_SERVED_SIZE", len(data))  # it serves up to 1 MiB otherwise

    class GatedHub(fakehub.FakeHub):
        gate = threading.Event()
        answered = threading.Event()  # the held-back response has been sent, or failed to be

        def _write(self, handler: Any, method: str, response: Any) -> None:
            if method == "GET" and len(response.body) > 24 * 2**20 and not self.gate.is_set():
                handler.wfile = _GatedFile(handler.wfile, 24 * 2**20, self.gate)
                super()._write(handler, method, response)
                self.answered.set()
                return
            super()._write(handler, method, response)

    name = "gemma-3-270m-Q4_K_M.gguf"
    record = {"id": "acme/gemma-3-270m-GGUF", "tags": ["gguf"], "siblings": [
        {"rfilename": name, "size": len(data), "lfs": {"size": len(data)}}]}
    hub = GatedHub([record], files={("acme/gemma-3-270m-GGUF", name): data})
    hub.size = len(data)
    with hub:
        yield hub
        hub.gate.set()


@pytest.mark.llama
@pytest.mark.integration
async def test_download_a_quant_from_the_form_cancel_resume_and_start(
        gated_hub: Any, tmp_path: Path, gemma_gguf: Path) -> None:
    from modelpick_tui.catalog.query import ListParams
    from modelpick_tui.serving.resolve import cached_repo_files
    from modelpick_tui.ui.screens.servers import ServersScreen
    from modelpick_tui.ui.screens.start_server import StartServerModal

    repo, name = "acme/gemma-3-270m-GGUF", "gemma-3-270m-Q4_K_M.gguf"
    settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db",
                        sample_dir=SAMPLE,
                        hf_endpoint=gated_hub.url, hub_timeout=5.0, hub_deadline=10.0)
    memory = Memory(kind="ram", total_bytes=16 * GiB, available_bytes=12 * GiB, name="system RAM")
    svc = build_services(settings, memory=memory)
    svc.catalog.ensure_loaded()
    svc.catalog.sync(ListParams(search="gemma-3-270m"))
    hub = svc.catalog.hub
    blobs = hub.cache_dir / f"models--{repo.replace('/', '--')}" / "blobs"
    app = make_app(settings, svc)
    supervisor = svc.supervisor
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_card(repo)
            await settle(pilot)
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
            modal = app.screen
            notice = str(modal.query_one("#start-notice", Static).content)
            assert notice.startswith("Q4_K_M is not on this machine: enter downloads it (241 MiB) from the Hub")
            await pilot.press("enter")
            # Progress: bytes of the total, and the speed, on a bar.
            await wait_for(pilot, lambda: "20 MiB / 241 MiB" in modal.download_line, 20, "progress")
            assert modal.download_line.startswith(f"{name}  20 MiB / 241 MiB  ·  ")
            assert modal.download_line.endswith("/s")
            assert modal.query_one("#start-download").display
            assert "20 MiB / 241 MiB" in screen_text(app)

            await pilot.press("escape")  # stops the download, not the form
            await wait_for(pilot, lambda: not modal.downloading, 5, "the download to stop")
            assert app.screen is modal
            assert str(modal.query_one("#start-notice", Static).content).startswith(
                f"download of {name} cancelled: what arrived is kept")
            gated_hub.gate.set()  # the Hub goes on sending: the stopped download must not pick it up
            await wait_for(pilot, gated_hub.answered.is_set, 30, "the Hub to send the rest of the body")
            # Nothing is claimed as complete: no file in the snapshot, the bytes wait in an .incomplete blob.
            assert hub.cached_file(repo, name) is None and name not in cached_repo_files(hub.cache_dir, repo)
            partial = list(blobs.glob("*.incomplete"))
            kept = file_size(partial[0]) if len(partial) == 1 else 0
            assert 0 < kept < gated_hub.size

            gated_hub.clear_requests()
            await pilot.press("enter")  # resumes, then starts
            await wait_for(pilot, lambda: isinstance(app.screen, ServersScreen), 60, "the download and start")
            ranges = [r.headers.get("range") for r in gated_hub.requests if r.headers.get("range")]
            assert ranges and ranges[-1] == f"bytes={kept}-"  # resumed where it stopped
            path = hub.cached_file(repo, name)
            assert path is not None and file_size(path) == gated_hub.size
            await wait_for(pilot, lambda: supervisor.servers(), 30, "the server's record")  # the start is a worker's
            server_name = next(iter(s.name for s in supervisor.servers()))
            assert supervisor.get(server_name).spec.model == str(path)
            await wait_for(pilot, lambda: status_of(app, server_name) in ("ready", "failed"), 60, "ready")
            assert status_of(app, server_name) == "ready", describe(app)
            pgid = supervisor.get(server_name).pgid
            await pilot.press("x")
            await wait_for(pilot, lambda: status_of(app, server_name) == "stopped", 20, "stopped")
            assert group_members(pgid) == []
    finally:
        for s in supervisor.servers():
            if s.status in ("starting", "ready"):
                supervisor.stop(s.name, grace=2.0)
        svc.close()


async def test_a_quant_larger_than_the_free_disk_is_refused_before_any_byte(
        tmp_path: Path, memory_24g: Memory) -> None:
    from modelpick_tui.catalog.query import ListParams
    from modelpick_tui.ui.screens.start_server import StartServerModal
    from tests.support.fakehub import FakeHub

    huge = 2**50  # a petabyte
    record = {"id": "acme/huge-GGUF", "tags": ["gguf"], "siblings": [
        {"rfilename": "huge-Q4_K_M.gguf", "size": huge, "lfs": {"size": huge}}]}
    with FakeHub([record]) as hub:
        settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db", sample_dir=SAMPLE,
                            hf_endpoint=hub.url, hub_timeout=2.0, hub_deadline=5.0)
        svc = build_services(settings, memory=memory_24g)
        try:
            svc.catalog.ensure_loaded()
            svc.catalog.sync(ListParams(search="huge"))
            app = make_app(settings, svc)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                app.open_card("acme/huge-GGUF")
                await settle(pilot)
                await pilot.press("v")
                await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
                modal = app.screen
                hub.clear_requests()
                await pilot.press("enter")
                await wait_for(pilot, lambda: not modal.downloading and modal.query_one("#start-notice").display,
                               10, "the refusal")
                notice = str(modal.query_one("#start-notice", Static).content)
                assert notice.startswith("huge-Q4_K_M.gguf needs 1048576.00 GiB but only ")
                assert notice.endswith("free some space or set HF_HUB_CACHE")
                assert hub.requests == []  # not one byte asked for
                assert app.screen is modal and svc.supervisor.servers() == []
        finally:
            svc.close()
