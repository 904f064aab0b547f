"""Natively quantised repos through the real huggingface_hub client and a fake Hub serving their real shapes:
a sync then a search shows the true parameter counts, not the Hub's stored-element totals; the details bring the
mixture of experts' active count and the weights as stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.catalog.query import CatalogQuery, ListParams
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support.fakehub import FakeHub
from tests.support.hub_quantised import gpt_oss_20b_dtypes, quantised_cards, quantised_repos, qwen_awq_dtypes
from tests.support.paths import SAMPLE


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(quantised_repos(), quantised_cards()) as hub:
        yield hub
    assert hub.errors == []


@pytest.fixture
def svc(hub: FakeHub, tmp_path: Path, memory_24g: Memory) -> Iterator[Services]:
    settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db", sample_dir=SAMPLE,
                        hf_endpoint=hub.url, hub_timeout=2.0, hub_deadline=5.0)
    services = build_services(settings, memory=memory_24g)
    yield services
    services.close()


def test_sync_then_search_shows_the_true_counts(svc: Services) -> None:
    # The Hub's totals are of stored elements: 11,956,805,184 for gpt-oss-20b ("12.0B"), 1.96B for the AWQ repo.
    assert round(sum(gpt_oss_20b_dtypes().values()) / 1e9, 1) == 12.0
    assert round(sum(qwen_awq_dtypes().values()) / 1e9, 2) == 1.96
    svc.catalog.sync(ListParams(limit=10))
    rows = {r.id: r for r in svc.catalog.search(CatalogQuery(limit=10)).rows}
    oss, awq = rows["openai/gpt-oss-20b"], rows["Qwen/Qwen2.5-7B-Instruct-AWQ"]
    # U8 x 32/17 (MXFP4 blocks and scales) + BF16 = 20,914,757,184: OpenAI's card says 20.91B.
    assert oss.params == 20_914_757_184 and oss.size_class == "15-40B" and oss.params_source == "dtypes"
    # Qwen2.5-7B's own count (its unquantised repo) is 7,615,616,512; AWQ keeps it to within its g_idx-free packing.
    assert awq.params == 7_615_616_512 and awq.size_class == "3-8B"
    # Filters use the true count.
    found = svc.catalog.search(CatalogQuery(min_params=15_000_000_000)).rows
    assert [r.id for r in found] == ["openai/gpt-oss-20b"]


def test_sync_fetches_a_mixture_of_experts_config_for_its_active_count(hub: FakeHub, svc: Services) -> None:
    svc.catalog.sync(ListParams(limit=10))
    rows = {r.id: r for r in svc.catalog.search(CatalogQuery(limit=10)).rows}
    assert round(rows["openai/gpt-oss-20b"].params_active / 1e9, 2) == 3.61  # no details fetch needed
    assert rows["Qwen/Qwen2.5-7B-Instruct-AWQ"].params_active is None  # dense: its config is not asked for
    asked = {r.path.split("/resolve/")[0] for r in hub.requests if r.path.endswith("/config.json")}
    assert asked == {"/openai/gpt-oss-20b"}  # huggingface_hub's HEAD then GET of the one file
    assert active_search(svc) == ["openai/gpt-oss-20b"]


def test_details_bring_the_active_count_and_the_weights_as_stored(svc: Services) -> None:
    svc.catalog.sync(ListParams(limit=10))
    assert svc.catalog.refresh_details("openai/gpt-oss-20b") == ""
    row = svc.catalog.store.get("openai/gpt-oss-20b")
    assert row is not None and round(row["params_active"] / 1e9, 2) == 3.61 and row["native_format"] == "MXFP4"
    fits = svc.catalog.fits(row, svc.catalog.memory())
    shards = [f["size"] for f in row["files"] if f["filename"].startswith("model-")]
    assert (fits[0].label, fits[0].stored, fits[0].size) == ("MXFP4", 3, sum(shards))
    assert 12.5 < fits[0].size / 2**30 < 13.0  # OpenAI's card: 12.8 GiB of checkpoint
    assert active_search(svc) == ["openai/gpt-oss-20b"]


def active_search(svc: Services) -> list[str]:
    return [r.id for r in svc.catalog.search(CatalogQuery(max_active=5_000_000_000, min_params=10**10)).rows]
