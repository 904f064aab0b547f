"""Estimated beside measured, for real: llama.cpp's server (llama-cpp-python) loads SmolLM2-135M-Instruct and the Gemma
3 270M, and vLLM's CPU build the tiny Llama; what each engine printed at load is parsed, stored with the model, quant
and context, and shown beside the fit estimate with the error — on the card and the servers screen (Pilot, 80×24)
and in `modelpick servers --json`.

The expected KV figures are hand computations from the models' shapes (written out below), which the engines' own
logs state too; the estimate must come within 15% of every part llama.cpp reports. Every server is stopped in a
finally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from modelpick_tui.cli import main
from modelpick_tui.services import Services
from modelpick_tui.serving.spec import ServerSpec
from modelpick_tui.settings import Settings
from modelpick_tui.ui.app import make_app
from tests.support.pilot import SIZE, settle, text_of, wait_for

MiB = 2**20

# (server name, context, chat format, KV bytes by hand, quant, file size (SERVING.md)). KV by hand: SmolLM2-135M:
# 30 layers × 3 KV heads × 64 dims; Gemma 3 270M: 18 layers × 1 KV head × 256 dims (its 15 sliding-window layers
# cached at full size by llama-cpp-python's server); × 2 (K and V) × context × 2 bytes (f16).
CASES = {
    "smollm2": ("smol", 2048, None, 30 * 3 * 64 * 2 * 2048 * 2, "Q4_1", 98_362_432),
    "gemma": ("gemma", 4096, "gemma", 18 * 1 * 256 * 2 * 4096 * 2, "Q4_K_M", 253_113_024),
}


@pytest.mark.llama
@pytest.mark.integration
@pytest.mark.parametrize("model", ["smollm2", "gemma"])
async def test_llama_cpp_reports_stored_and_shown_beside_the_estimate(
        model: str, services: Services, request: pytest.FixtureRequest) -> None:
    gguf: Path = request.getfixturevalue(f"{model}_gguf")
    name, ctx, chat, kv_by_hand, quant, file_size = CASES[model]
    catalog = services.catalog
    catalog.scan_dir(gguf.parent) if model == "gemma" else catalog.add_demo_models()
    model_id = catalog.store.local_file(str(gguf))["model_id"]  # type: ignore[index]
    supervisor = services.supervisor
    try:
        server = supervisor.start_and_wait(ServerSpec(name, "llama", str(gguf), ctx=ctx, chat_format=chat),
                                           timeout=120)
        assert server.status == "ready", server.error
        rows = supervisor.registry.reports(server=name)
        assert len(rows) == 1
        row = rows[0]
        assert (row["model_ref"], row["quant"], row["context"]) == (str(gguf), quant, ctx)
        assert row["kv_bytes"] == kv_by_hand
        assert row["weights_bytes"] > 0.9 * file_size and row["compute_bytes"] > 0
        assert row["process_memory_kind"] == "rss" and row["process_memory_bytes"] > 0
        # Each part llama.cpp reports is within 15% of the estimate (docs/serve.md: no calibration needed here).
        figures = supervisor.measured(name)
        assert [f.part for f in figures] == ["weights", "KV cache", "compute", "engine total"]
        for f in figures:
            assert f.error_pct is not None and abs(f.error_pct) < 15, (f.part, f.estimated, f.measured)

        measured = services.measured(model_id)
        assert [m.server for m in measured] == [name]

        app = make_app(services.settings, services)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.open_card(model_id)
            await settle(pilot)
            section = app.screen.query_one("#card-measured", Static)
            await wait_for(pilot, lambda: section.display, 10, "the card's measured section")
            text = text_of(section)
            kv = f"{kv_by_hand // MiB} MiB"
            assert "measured by the engine vs estimated" in text and f"· {quant} · {ctx} ctx" in text
            # The KV row: part, measured, estimated, error (the engine's figure is the estimate's).
            assert f"KV cache {kv} {kv} +0.0%" in " ".join(text.split()), text
            assert "engine total" in text and "moves with use" in text
            await pilot.press("escape", "S")
            await settle(pilot)
            detail = app.screen.query_one("#server-detail", Static)
            await wait_for(pilot, lambda: "engine, measured / estimated" in text_of(detail), 10, "the detail line")
            assert f"KV cache {kv} / est {kv} (+0.0%)" in " ".join(text_of(detail).split())
    finally:
        supervisor.close(grace=2.0)


@pytest.mark.llama
@pytest.mark.integration
def test_cli_servers_json_has_the_engines_figures(smollm2_gguf: Path, settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    db = str(settings.db_path)
    result = runner.invoke(main, ["--db", db, "serve", "llama", str(smollm2_gguf), "--name", "smol-cli", "--ctx",
                                  "2048"], catch_exceptions=False)
    try:
        assert result.exit_code == 0, result.output
        listed = runner.invoke(main, ["--db", db, "servers", "--json"], catch_exceptions=False)
        row = next(json.loads(x) for x in listed.output.splitlines() if json.loads(x)["name"] == "smol-cli")
        assert row["engine_report"]["kv_bytes"] == 30 * 3 * 64 * 2 * 2048 * 2
        assert row["engine_report"]["quant"] == "Q4_1" and row["engine_report"]["context"] == 2048
        parts = {f["part"]: f for f in row["measured_vs_estimated"]}
        assert parts["KV cache"]["error_pct"] == 0.0 and parts["KV cache"]["unit"] == "bytes"
        assert abs(parts["engine total"]["error_pct"]) < 15
        table = runner.invoke(main, ["--db", db, "servers"], catch_exceptions=False, terminal_width=200)
        assert "smol-cli: engine, measured / estimated: weights" in table.output
    finally:
        runner.invoke(main, ["--db", db, "stop", "smol-cli", "--grace", "2"])


def _cached_repo(root: Path, repo_id: str, files: dict[str, bytes]) -> None:
    """A repo in the Hugging Face cache as huggingface_hub lays it out (snapshot links to blobs)."""
    repo = root / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / "abc123"
    for folder in (repo / "refs", repo / "blobs", snap):
        folder.mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    for i, (name, data) in enumerate(files.items()):
        (repo / "blobs" / f"b{i}").write_bytes(data)
        (snap / name).symlink_to(repo / "blobs" / f"b{i}")


async def test_vllm_report_of_a_cached_repo_on_its_card(services: Services) -> None:
    """vLLM started with a repo id loads it from the Hugging Face cache: its report (the real CPU build's log of the
    tiny Llama) reaches that repo's card, the estimate read from the cached config.json."""
    from modelpick_tui.catalog.local import hf_hub_cache_dir
    from modelpick_tui.serving.engine_report import parse_vllm
    from modelpick_tui.serving.registry import Server
    from tests.support import tinymodel
    from tests.support.paths import REPO

    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": tinymodel.HIDDEN,
              "num_hidden_layers": tinymodel.LAYERS, "num_attention_heads": tinymodel.HEADS,
              "num_key_value_heads": tinymodel.HEADS, "intermediate_size": tinymodel.INTERMEDIATE,
              "max_position_embeddings": tinymodel.MAX_POSITIONS, "vocab_size": tinymodel.VOCAB,
              "torch_dtype": "bfloat16"}
    _cached_repo(hf_hub_cache_dir(), "acme/tiny-llama", {"config.json": json.dumps(config).encode(),
                                                          "model.safetensors": b"\0" * 4096})
    services.catalog.refresh_local()  # the cached repo joins the catalogue
    assert services.catalog.store.exists("acme/tiny-llama")
    report = parse_vllm((REPO / "tests" / "support" / "engine_logs" / "vllm-cpu-tiny.log").read_text())
    server = Server(name="tiny", backend="vllm", model="acme/tiny-llama", served_model="tiny",
                    base_url="http://127.0.0.1:1/v1", port=1)
    services.supervisor.registry.save_report(server, report, "rss", 2 * 2**30)
    app = make_app(services.settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_card("acme/tiny-llama")
        await settle(pilot)
        section = app.screen.query_one("#card-measured", Static)
        await wait_for(pilot, lambda: section.display, 10, "the card's measured section")
        text = " ".join(text_of(section).split())
        # 1 GiB of KV cache ÷ (2 layers × 4 KV heads × 32 dims × 2 × 2 bytes = 1,024 bytes per token).
        assert "KV tokens 1,048,576 tokens 1,048,576 tokens +0.0%" in text, text
        assert "max concurrency 4096.0x 4096.0x +0.0%" in text and "vllm · tiny · ? · 256 ctx" in text
        assert "process RSS 2.0 GiB at ready" in text


@pytest.mark.llama
@pytest.mark.integration
async def test_measured_decode_speed_beside_the_estimate(smollm2_gguf: Path, settings: Settings,
                                                         tmp_path: Path) -> None:
    """Answers of a real run on SmolLM2 (llama.cpp) measure its decode tokens/s; the side by side sets their median
    beside the bandwidth ceiling at the same context, with the share of it reached."""
    import asyncio
    from statistics import median

    from modelpick_tui.catalog.fit.memory import Memory
    from modelpick_tui.evals.promptsets import load_prompt_set
    from modelpick_tui.evals.shortlist import side_by_side
    from modelpick_tui.evals.traces import RunParams
    from modelpick_tui.services import build_services
    from modelpick_tui.serving.client import Timeouts
    from modelpick_tui.serving.endpoints import from_server
    from modelpick_tui.serving.params import SamplingParams
    from tests.support.files import write_set

    # A stated bandwidth (5 GB/s, what speed.measure_cpu_bandwidth found on this machine when quiet), so the ceiling
    # is a hand computation: 5e9 ÷ (98,362,432 bytes of weights + 47,185,920 of KV cache at 2,048 tokens).
    memory = Memory(kind="ram", total_bytes=16 * 2**30, available_bytes=12 * 2**30, name="system RAM",
                    bandwidth_bytes_per_s=5e9)
    services = build_services(settings, memory=memory)
    services.catalog.ensure_loaded()
    services.catalog.add_demo_models()
    model_id = services.catalog.store.local_file(str(smollm2_gguf))["model_id"]  # type: ignore[index]
    services.catalog.shortlist_add(model_id, "")
    supervisor = services.supervisor
    try:
        server = await asyncio.to_thread(supervisor.start_and_wait, ServerSpec("smol", "llama", str(smollm2_gguf),
                                                                               ctx=2048), timeout=120)
        assert server.status == "ready", server.error
        runner = services.runner(concurrency=1, timeouts=Timeouts(read=60, deadline=120))
        params = RunParams(sampling=SamplingParams(temperature=0.0, max_tokens=32, seed=1))
        result = await runner.run(load_prompt_set(write_set(tmp_path / "colours.jsonl", 3)), [from_server(server)],
                                  params, name="speed")
        rates = [t.tokens_per_s for t in services.traces.list(run_id=result.run_id) if t.tokens_per_s]
        assert len(rates) >= 2, result
        side = await asyncio.to_thread(side_by_side, services.catalog, services.traces, supervisor.registry, 2048)
        ceiling = 5e9 / (98_362_432 + 47_185_920)
        assert round(ceiling, 1) == 34.4
        speed = side.candidates[0].facts["speed"]
        assert speed["measured_tokens_per_s"] == round(median(rates), 2)
        assert speed["estimated_tokens_per_s"] == round(ceiling, 2)
        assert speed["ratio"] == round(median(rates) / ceiling, 3)
        cell = next(r for r in side.rows if r.key == "speed").cells[0].text
        print(f"SmolLM2 Q4_1 decode on llama.cpp here: {cell} (rates {rates})")
        assert cell.startswith(f"{median(rates):.1f} / 34.4 (Q4_1), ")
    finally:
        await asyncio.to_thread(services.close)
