"""Pilot tests of where models come from: a card that shows both hubs and where the model is hosted (fakes of
ModelScope and OpenRouter with the real shapes), the add-remote form picking among the models a server lists, and
an Ollama model attached in one key and compared side by side with a real llama.cpp server (SmolLM2)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, OptionList

from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.services import Services, build_services
from modelpick_tui.serving.registry import Server
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.serving.supervisor import Supervisor
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app
from tests.support.modelscope_fake import FakeModelScope
from tests.support.ollama_fake import ANSWER, FakeOllama
from tests.support.openrouter_fake import FakeOpenRouter
from tests.support.pilot import SIZE, screen_lines, screen_text, settle, table_ids, text_of, wait_for

WIDE = (160, 40)


@pytest.fixture
def live(settings: Settings, memory_24g: Memory) -> Iterator[tuple[Services, FakeOllama]]:
    """Services pointed at fakes of ModelScope, OpenRouter and a local Ollama (the Hub stays offline)."""
    with FakeModelScope() as ms, FakeOpenRouter() as router, FakeOllama() as ollama:
        svc = build_services(dataclasses.replace(settings, modelscope_endpoint=ms.url,
                                                 openrouter_endpoint=router.api, ollama_host=ollama.host,
                                                 hub_timeout=2.0), memory=memory_24g)
        svc.catalog.ensure_loaded()
        try:
            yield svc, ollama
        finally:
            svc.stop_servers()
            svc.close()


async def test_card_shows_both_hubs_and_where_it_is_hosted(live: tuple[Services, FakeOllama]) -> None:
    services, _ = live
    sync = services.catalog.sources
    assert sync is not None
    sync.sync_modelscope(None, limit=50)
    sync.sync_openrouter()
    app = make_app(services.settings, services)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.open_card("Qwen/Qwen3-8B")
        await settle(pilot)
        facts = " ".join(text_of(app.screen.query_one("#card-facts")).split(" "))
        facts = re.sub(r"(sources|hosted) +", r"\1 ", facts)
        assert "sources huggingface Qwen/Qwen3-8B  ·  modelscope Qwen/Qwen3-8B" in facts
        # OpenRouter's "0.000000035" $/token is $0.035 per 1M tokens; its free variant first (cheapest).
        assert ("hosted openrouter qwen/qwen3-8b:free $0/M in, $0/M out  ·  openrouter qwen/qwen3-8b "
                "$0.035/M in, $0.138/M out") in facts


def _row_line(app: Any, model_id: str) -> str:
    """The visible line of the browse table's row `model_id` (at most the terminal's width)."""
    return next(line for line in screen_lines(app).splitlines() if f" {model_id} " in f"{line} ")


async def test_browse_shows_where_each_row_is_listed_and_hosted(live: tuple[Services, FakeOllama]) -> None:
    services, _ = live
    sync = services.catalog.sources
    assert sync is not None
    sync.sync_modelscope(None, limit=50)  # chatglm3-6b's ModelScope page names THUDM/chatglm3-6b: one row
    sync.sync_openrouter()  # hosts qwen/qwen3-8b (its hugging_face_id: Qwen/Qwen3-8B)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The local Ollama is found at start: its models are rows of their own.
        await wait_for(pilot, lambda: services.catalog.store.exists("ollama/qwen3:0.6b"), 10, "the Ollama models")
        expected = {"Qwen/Qwen3-8B": "hf+ms+or", "THUDM/chatglm3-6b": "hf+ms", "iic/MS-Alpha-7B": "ms",
                    "ollama/qwen3:0.6b": "ollama"}
        for text, model_id in (("Qwen3-8B", "Qwen/Qwen3-8B"), ("chatglm3", "THUDM/chatglm3-6b"),
                               ("MS-Alpha-7B", "iic/MS-Alpha-7B"), ("qwen3:0.6b", "ollama/qwen3:0.6b")):
            app.screen.query_one("#search", Input).value = text
            await wait_for(pilot, lambda m=model_id: m in table_ids(app), 10, model_id)
            await settle(pilot)
            # At 80 columns the source column is out of view: the id cell carries the marker, in view.
            line = _row_line(app, model_id)
            assert re.search(rf"{re.escape(model_id)} +{re.escape(expected[model_id])} ", line), line
            assert len(line.rstrip()) <= SIZE[0]
        # A model on the Hugging Face Hub alone has no marker.
        app.screen.query_one("#search", Input).value = "Llama-3.1-8B-Instruct"
        await wait_for(pilot, lambda: "meta-llama/Llama-3.1-8B-Instruct" in table_ids(app), 10, "Llama")
        await settle(pilot)
        assert re.search(r"meta-llama/Llama-3\.1-8B-Ins… +text-gen", _row_line(app, "meta-llama/Llama-3.1-8B-Ins…"))

        # Wide enough for every column: the source column says it, and the id cells are the ids alone.
        await pilot.resize_terminal(*WIDE)
        app.screen.query_one("#search", Input).value = "Qwen3-8B"
        await wait_for(pilot, lambda: "Qwen/Qwen3-8B" in table_ids(app), 10, "Qwen3-8B")
        await settle(pilot)
        table = app.screen.query_one("#results", DataTable)
        assert str(table.get_cell("Qwen/Qwen3-8B", "source")) == "hf+ms+or"
        assert str(table.get_cell("Qwen/Qwen3-8B", "id")) == "Qwen/Qwen3-8B"
        assert re.search(r"Qwen/Qwen3-8B .* hf\+ms\+or", _row_line(app, "Qwen/Qwen3-8B"))

        # The filter panel's source list: ModelScope's rows, then those OpenRouter hosts too.
        app.screen.query_one("#search", Input).value = ""
        await pilot.press("ctrl+f")
        await settle(pilot)
        sources = app.screen.query_one("#f-sources", OptionList)
        assert [str(sources.get_option_at_index(i).value) for i in range(sources.option_count)] == [
            "hf", "ms", "or", "ollama", "local"]
        sources.focus()
        await settle(pilot)
        await pilot.press("down", "space")
        await wait_for(pilot, lambda: len(table_ids(app)) == 5, 10, "ModelScope's rows")
        assert set(table_ids(app)) == {"Qwen/Qwen3-8B", "Qwen/Qwen2.5-7B-Instruct", "THUDM/chatglm3-6b",
                                       "iic/MS-Alpha-7B", "iic/MS-Alpha-7B-GGUF"}
        assert "source: ms" in text_of(app.screen.query_one("#summary"))
        await pilot.press("down", "space")
        await settle(pilot)
        hosted = {r.id for r in services.catalog.search(CatalogQuery(limit=1000)).rows if "or" in r.sources}
        assert hosted and "Qwen/Qwen3-8B" in hosted
        assert set(table_ids(app)) == hosted | {"Qwen/Qwen2.5-7B-Instruct", "THUDM/chatglm3-6b", "iic/MS-Alpha-7B",
                                                "iic/MS-Alpha-7B-GGUF"}


async def test_add_remote_form_picks_among_the_models_a_server_lists(live: tuple[Services, FakeOllama]) -> None:
    from modelpick_tui.ui.screens.add_remote import AddRemoteModal, PickModelModal

    services, ollama = live
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AddRemoteModal), 5, "the add-remote form")
        app.screen.query_one("#remote-name", Input).value = "router"
        app.screen.query_one("#remote-url", Input).value = ollama.url
        await pilot.press("enter")  # no model: the server lists two, so a picker opens
        await wait_for(pilot, lambda: isinstance(app.screen, PickModelModal), 10, "the model picker")
        assert "serves 2 models: pick one" in screen_text(app)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "llama3.2:3b", "qwen3:0.6b"]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: any(s.name == "router" and s.status == "ready"
                                          for s in services.supervisor.servers()), 10, "the endpoint")
        assert services.supervisor.get("router").model == "qwen3:0.6b"


@pytest.fixture
def smollm2_server(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path) -> Iterator[Server]:
    with Supervisor(tmp_path_factory.mktemp("smollm2-home")) as supervisor:
        spec = ServerSpec(name="smollm2", backend="llama", model=str(smollm2_gguf), ctx=2048)
        server = supervisor.start_and_wait(spec, timeout=120)
        assert server.status == "ready", server.error
        yield server


@pytest.mark.llama
@pytest.mark.integration
async def test_ollama_model_attached_in_one_key_and_compared_with_llama(
        live: tuple[Services, FakeOllama], smollm2_server: Server) -> None:
    from modelpick_tui.ui.screens.compare import CompareScreen

    services, _ = live
    smol = services.supervisor.add_remote("smollm2", smollm2_server.base_url,
                                          smollm2_server.served_model or smollm2_server.model,
                                          smollm2_server.api_key)
    assert smol.status == "ready", smol.error
    sync = services.catalog.sources
    assert sync is not None
    listed = sync.sync_ollama(services.catalog.scan_dir, services.catalog.refresh_local)
    assert listed is not None and len(listed) == 2
    app = make_app(services.settings, services)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.open_card("ollama/qwen3:0.6b")
        await settle(pilot)
        await pilot.press("v")  # Ollama serves it already: attached, no start form
        await wait_for(pilot, lambda: any(s.name == "ollama-qwen3-0.6b" and s.status == "ready"
                                          for s in services.supervisor.servers()), 10, "the Ollama endpoint")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and len(app.screen.panes) == 2,
                       10, "two panes")
        screen: Any = app.screen
        await pilot.press("i", *"Name three colors of the rainbow.", "enter")
        await wait_for(pilot, lambda: screen.session.turn >= 0 and not screen.session.busy
                       and all(p.state in ("done", "failed") for p in screen.panes), 60, "the answers")
        left, right = screen.panes
        assert left.region.y == right.region.y and left.region.x < right.region.x  # side by side
        traces = {t.endpoint: t for t in services.traces.list(run_id=screen.session.run_id)}
        assert set(traces) == {"smollm2", "ollama-qwen3-0.6b"}
        assert traces["ollama-qwen3-0.6b"].output == "".join(ANSWER)
        assert traces["smollm2"].error is None and traces["smollm2"].output  # the real model's own answer
        assert all(p.state == "done" for p in screen.panes)


async def test_a_running_ollama_is_found_at_start(live: tuple[Services, FakeOllama]) -> None:
    services, ollama = live
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: services.catalog.store.exists("ollama/qwen3:0.6b"), 10, "Ollama's models")
        await app.workers.wait_for_complete()
        local = services.catalog.search(CatalogQuery(local_only=True, text="ollama"))
        assert {r.id for r in local.rows} == {"ollama/llama3.2:3b", "ollama/qwen3:0.6b"}
        assert ollama.request_count("/api/tags") == 1
    # Removed from Ollama since: local no more once Ollama says so (the row stays in the catalogue).
    ollama.models = ollama.models[:1]
    sync = services.catalog.sources
    assert sync is not None
    assert sync.find_ollama() == 1
    services.catalog.refresh_local()
    local = services.catalog.search(CatalogQuery(local_only=True, text="ollama"))
    assert {r.id for r in local.rows} == {"ollama/llama3.2:3b"}
    assert services.catalog.store.exists("ollama/qwen3:0.6b")
