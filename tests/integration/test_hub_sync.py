"""The catalogue against a fake Hub, through the real huggingface_hub client: sync, details, failures, token.

Every call goes over HTTP to tests/support/fakehub.py on 127.0.0.1. Deadlines are short (2 s) so that the
failure tests stay fast; huggingface_hub's own retries (5xx, 429, network) run inside them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.catalog.fit.arch import arch_from_config
from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.catalog.query import CatalogQuery, ListParams
from modelpick_tui.catalog.sources import hub as hub_client
from modelpick_tui.catalog.sources.errors import HubError
from modelpick_tui.catalog.sources.hub import SYNC_EXPAND, HubClient
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support.fakehub import DEFAULT_TOKEN, FakeHub
from tests.support.paths import SAMPLE
from tests.support.waits import wait_until

RECORDS = [json.loads(line) for line in (SAMPLE / "catalog.jsonl").read_text(encoding="utf-8").splitlines() if line]
BY_ID = {r["id"]: r for r in RECORDS}
GGUF_REPO = "unsloth/Qwen3-30B-A3B-GGUF"  # eight quants, one of them split in two parts
QWEN = "Qwen/Qwen2.5-7B-Instruct"
GATED = "meta-llama/Llama-3.1-8B-Instruct"  # its files (not README.md) are gated, as on the Hub
DEADLINE = 2.0



@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub.from_sample_data(SAMPLE, page_size=40) as hub:
        yield hub
    assert hub.errors == [], "the fake Hub itself failed:\n" + "\n".join(hub.errors)


def make_services(tmp_path: Path, endpoint: str, memory: Memory, *, token: str | None = None,
                  offline: bool = False, db_name: str = "modelpick.db") -> Services:
    settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / db_name, sample_dir=SAMPLE,
                        hf_endpoint=endpoint, hf_offline=offline, hf_token=token, hub_timeout=1.0,
                        hub_deadline=DEADLINE)
    return build_services(settings, memory=memory)


@pytest.fixture
def svc(hub: FakeHub, tmp_path: Path, memory_24g: Memory) -> Iterator[Services]:
    services = make_services(tmp_path, hub.url, memory_24g)
    yield services
    services.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def list_requests(hub: FakeHub) -> list[Any]:
    return [r for r in hub.requests if r.path == "/api/models"]


def one_line(text: str) -> str:
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


# --- sync -------------------------------------------------------------------------------


def test_sync_pages_through_the_hub_and_fills_the_cache(hub: FakeHub, svc: Services) -> None:
    seen: list[int] = []
    report = svc.catalog.sync(ListParams(limit=None), lambda done, total: seen.append(done))
    assert report.fetched == len(RECORDS) == svc.catalog.store.count()
    pages = list_requests(hub)
    assert len(pages) == -(-len(RECORDS) // 40)  # every page, following the Link header
    assert all("cursor" in r.query for r in pages[1:])
    assert seen == list(range(1, len(RECORDS) + 1))
    row = svc.catalog.store.get("meta-llama/Llama-3.1-8B-Instruct")
    assert row is not None
    assert (row["params"], row["license"], row["gated"], row["source"]) == (8030261248, "llama3.1", "manual", "hub")
    assert row["downloads"] == BY_ID["meta-llama/Llama-3.1-8B-Instruct"]["downloads"]
    status = svc.catalog.status()
    assert status.online is True and status.source == "hub" and status.banner == ""


def test_search_and_filters_reach_the_hub_as_the_client_sends_them(hub: FakeHub, svc: Services) -> None:
    params = ListParams(search="qwen2.5", task="text-generation", author="Qwen", filters=("safetensors",),
                        num_parameters="min:1B", sort="likes", limit=5)
    report = svc.catalog.sync(params)
    (request,) = list_requests(hub)
    assert request.query["search"] == ["qwen2.5"]
    assert request.query["pipeline_tag"] == ["text-generation"]
    assert request.query["author"] == ["Qwen"]
    assert request.query["filter"] == ["safetensors"]
    assert request.query["num_parameters"] == ["min:1B"]
    assert request.query["sort"] == ["likes"]
    assert request.query["limit"] == ["5"]
    assert request.query["expand"] == SYNC_EXPAND
    expected = sorted(
        (r for r in RECORDS if "qwen2.5" in r["id"].lower() and r["author"] == "Qwen"
         and r.get("pipeline_tag") == "text-generation" and "safetensors" in r["tags"]
         and (r.get("safetensors") or {}).get("total", 0) >= 1e9),
        key=lambda r: r["likes"], reverse=True,
    )[:5]
    assert report.fetched == 5
    rows = svc.catalog.store.search(CatalogQuery(sort="likes"))
    assert [r.id for r in rows.rows] == [r["id"] for r in expected]


def test_resync_refreshes_rows_and_keeps_what_details_fetched(
    hub: FakeHub, svc: Services, tmp_path: Path, memory_24g: Memory
) -> None:
    svc.catalog.sync(ListParams(search="qwen", limit=None))
    count = svc.catalog.store.count()
    details = svc.catalog.details(GGUF_REPO)
    assert details is not None and details.fits[0].size is not None
    assert svc.catalog.details(QWEN) is not None
    assert svc.catalog.store.get(QWEN)["config_json"] is not None  # type: ignore[index]

    changed = [dict(r, downloads=r["downloads"] + 1000) if r["id"] == QWEN else r for r in RECORDS]
    with FakeHub(changed, {}, page_size=40) as hub2:
        again = make_services(tmp_path, hub2.url, memory_24g)
        try:
            again.catalog.sync(ListParams(search="qwen", limit=None))
            assert again.catalog.store.count() == count
            row = again.catalog.store.get(QWEN)
            assert row is not None and row["downloads"] == BY_ID[QWEN]["downloads"] + 1000
            # A listing has no config.json and no file sizes: the ones fetched before are kept.
            assert row["config_json"]["num_hidden_layers"] == 28
            gguf = again.catalog.store.get(GGUF_REPO)
            assert gguf is not None and all(f["size"] for f in gguf["files"])
            fits = again.catalog.fits(row, memory_24g)
            assert not fits[0].estimate.weights_only
        finally:
            again.close()


# --- details ----------------------------------------------------------------------------


def test_details_of_a_gguf_repo_has_one_fit_per_quant_with_real_sizes(hub: FakeHub, svc: Services) -> None:
    svc.catalog.sync(ListParams(search="Qwen3-30B-A3B", limit=None))
    before = svc.catalog.store.get(GGUF_REPO)
    assert before is not None and before["files"] and all(f["size"] is None for f in before["files"])

    details = svc.catalog.details(GGUF_REPO)
    assert details is not None and details.notice == ""
    info_requests = [r for r in hub.requests if r.path == f"/api/models/{GGUF_REPO}"]
    assert [r.query.get("blobs") for r in info_requests] == [["true"]]
    tree = {s["rfilename"]: s["size"] for s in BY_ID[GGUF_REPO]["siblings"] if s["rfilename"].endswith(".gguf")}
    split = [name for name in tree if "-of-00002" in name]
    expected = {name: size for name, size in tree.items() if name not in split}
    expected[split[0]] = sum(tree[name] for name in split)  # a split quant is the sum of its parts
    assert {q.filename: q.size for q in details.fits} == expected
    assert sorted(q.label for q in details.fits) == sorted(
        ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "Q2_K_XL", "Q4_K_XL", "BF16"]
    )
    assert [q.size for q in details.fits] == sorted(expected.values())
    for q in details.fits:
        assert q.estimate.rows[0].weights_bytes == q.size
    # The repo has no config.json: its base model's gives the architecture, so the KV cache counts.
    assert not details.fits[0].estimate.weights_only
    # (The sync fetched the base's config.json, a mixture of experts, so the base row holds it; else the details
    # fetch borrows it into this row.)
    base = svc.catalog.store.get("Qwen/Qwen3-30B-A3B")
    borrowed = (details.model["config_json"] or {}).get("_from_base_model")
    assert borrowed == "Qwen/Qwen3-30B-A3B" or (base is not None and base["config_json"] and borrowed is None)
    assert svc.catalog.arch_for(details.model) == arch_from_config(BY_ID["Qwen/Qwen3-30B-A3B"]["config_json"])
    assert details.card is not None and details.card_text


def test_details_fetches_config_and_card_for_a_synced_model(hub: FakeHub, svc: Services) -> None:
    smol = "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    svc.catalog.sync(ListParams(search="SmolLM2-1.7B-Instruct", author="HuggingFaceTB", limit=None))
    row = svc.catalog.store.get(smol)
    assert row is not None and row["config_json"] is None
    assert svc.catalog.fits(row, svc.catalog.memory())[0].estimate.weights_only  # listing only

    details = svc.catalog.details(smol)
    assert details is not None and details.notice == ""
    assert not details.fits[0].estimate.weights_only
    assert details.model["context_length"] == BY_ID[smol]["config_json"]["max_position_embeddings"]
    assert details.card is not None and details.card.license == "apache-2.0"
    paths = {r.path for r in hub.requests}
    assert f"/{smol}/resolve/{BY_ID[smol]['sha']}/config.json" in paths


def test_details_asks_the_hub_once_and_again_on_refresh(
    hub: FakeHub, svc: Services, tmp_path: Path, memory_24g: Memory
) -> None:
    svc.catalog.sync(ListParams(search="Qwen2.5-7B-Instruct", author="Qwen", limit=None))
    first = svc.catalog.details(QWEN)
    assert first is not None and first.card_text
    n = len(hub.requests)
    assert svc.catalog.details(QWEN).card_text == first.card_text  # type: ignore[union-attr]
    assert len(hub.requests) == n  # cached: no request
    svc.catalog.details(QWEN, refresh=True)
    assert hub.request_count(f"/api/models/{QWEN}") == 2

    # The repo moved on (new commit, new card): once a sync has seen the new commit, the cached
    # card is stale and opening the model brings the new text without asking for a refresh.
    newer = [dict(r, sha="f" * 40) if r["id"] == QWEN else r for r in RECORDS]
    card = "---\nlicense: apache-2.0\n---\n# Qwen2.5-7B-Instruct\n\nA rewritten card.\n"
    with FakeHub(newer, {QWEN: card}) as hub2:
        again = make_services(tmp_path, hub2.url, memory_24g)
        try:
            assert "A rewritten card." not in (again.catalog.details(QWEN).card_text or "")  # type: ignore[union-attr]
            again.catalog.sync(ListParams(search="Qwen2.5-7B-Instruct", author="Qwen", limit=None))
            refreshed = again.catalog.details(QWEN)
            assert refreshed is not None and "A rewritten card." in (refreshed.card_text or "")
            assert again.catalog.store.card(QWEN)["sha"] == "f" * 40  # type: ignore[index]
        finally:
            again.close()


def test_repo_without_readme_is_said_once_and_not_asked_again(hub: FakeHub, svc: Services) -> None:
    # Every sample repo lists a README.md; the fake Hub answers 404 for those without a card.
    no_card = next(r["id"] for r in RECORDS if not (SAMPLE / "cards" / (r["id"].replace("/", "__") + ".md")).exists()
                   and not r.get("gated"))
    svc.catalog.sync(ListParams(search=no_card.split("/")[1], limit=None))
    details = svc.catalog.details(no_card)
    assert details is not None and details.card is None
    assert details.notice == "this repository has no model card (README.md)"
    n = len(hub.requests)
    again = svc.catalog.details(no_card)
    assert again is not None and again.notice == details.notice and len(hub.requests) == n


def test_offline_details_use_the_cache_with_a_notice(
    hub: FakeHub, svc: Services, tmp_path: Path, memory_24g: Memory
) -> None:
    svc.catalog.sync(ListParams(search="qwen", limit=None))
    assert svc.catalog.details(QWEN) is not None
    svc.close()
    hub.clear_requests()
    offline = make_services(tmp_path, hub.url, memory_24g, offline=True)
    try:
        cached = offline.catalog.details(QWEN)
        assert cached is not None and cached.card is not None and cached.notice == ""
        other = offline.catalog.details(GGUF_REPO)
        assert other is not None and other.card is None
        assert one_line(other.notice) == "offline (HF_HUB_OFFLINE=1): no card cached for this model"
        refreshed = offline.catalog.details(QWEN, refresh=True)
        assert refreshed is not None and refreshed.card is not None and "HF_HUB_OFFLINE" in refreshed.notice
        banner = offline.catalog.status().banner
        count = offline.catalog.store.count()
        assert banner.startswith(f"offline — cached {count} models from 20")
        assert hub.requests == []
    finally:
        offline.close()


# --- failures: one line each, the cache takes over --------------------------------------


def test_gated_without_token_is_one_line_naming_hf_token_and_with_token_the_card_comes(
    hub: FakeHub, tmp_path: Path, memory_24g: Memory
) -> None:
    anon = make_services(tmp_path, hub.url, memory_24g, db_name="anon.db")
    try:
        anon.catalog.sync(ListParams(search="Llama-3.1-8B-Instruct", author="meta-llama", limit=None))
        hub.gated.add(GATED)  # the whole repo answers 401 GatedRepo without a token
        details = anon.catalog.details(GATED)
        assert details is not None and details.card is None
        assert "HF_TOKEN" in one_line(details.notice) and "gated" in details.notice
        assert anon.catalog.status().online is not False  # gated is not offline
    finally:
        anon.close()
    authed = make_services(tmp_path, hub.url, memory_24g, token=DEFAULT_TOKEN, db_name="authed.db")
    try:
        authed.catalog.sync(ListParams(search="Llama-3.1-8B-Instruct", author="meta-llama", limit=None))
        details = authed.catalog.details(GATED)
        assert details is not None and details.notice == ""
        assert details.card is not None and details.card.license == "llama3.1"
        assert not details.fits[0].estimate.weights_only  # config.json came too
        readme = [r for r in hub.requests if r.path.endswith(f"{GATED}/resolve/{BY_ID[GATED]['sha']}/README.md")]
        assert readme and all(r.token == DEFAULT_TOKEN for r in readme)
    finally:
        authed.close()


def test_gated_files_without_token_still_show_the_public_card(hub: FakeHub, svc: Services) -> None:
    svc.catalog.sync(ListParams(search="Llama-3.1-8B-Instruct", author="meta-llama", limit=None))
    details = svc.catalog.details(GATED)
    assert details is not None and details.card is not None  # README.md is public on a gated repo
    assert "HF_TOKEN" in one_line(details.notice)  # config.json is not


def test_not_found_is_one_line(hub: FakeHub, svc: Services) -> None:
    with pytest.raises(HubError) as err:
        svc.catalog.hub.model_info("nobody/no-such-model")
    assert err.value.kind == "not_found"
    assert one_line(str(err.value)) == "nobody/no-such-model was not found on the Hub (or it is private: set HF_TOKEN)"
    # A model the cache knows but the Hub no longer has: the card screen says so.
    svc.catalog.sync(ListParams(search="Qwen2.5-7B-Instruct", author="Qwen", limit=None))
    with FakeHub([r for r in RECORDS if r["id"] != QWEN], {}) as gone:
        client = HubClient(gone.url, None, timeout=1.0, deadline=DEADLINE)
        svc.catalog.hub = client
        details = svc.catalog.details(QWEN)
        client.close()
    assert details is not None and "was not found on the Hub" in one_line(details.notice)


def test_server_errors_fall_back_to_the_cache(hub: FakeHub, svc: Services) -> None:
    svc.catalog.sync(ListParams(search="qwen", limit=None))
    count = svc.catalog.store.count()
    hub.fail_status, hub.retry_after = 503, 0
    with pytest.raises(HubError) as err:
        svc.catalog.hub.model_info(QWEN)  # model_info is not retried by huggingface_hub
    assert err.value.kind == "unavailable" and "HTTP 503" in one_line(str(err.value))

    started = time.monotonic()
    with pytest.raises(HubError) as err:
        svc.catalog.sync(ListParams(search="llama", limit=None))  # retried until our deadline
    assert time.monotonic() - started < DEADLINE + 1.5
    assert err.value.kind == "unavailable" and "HTTP 503" in one_line(str(err.value))
    assert svc.catalog.store.count() == count  # the cache is intact
    assert svc.catalog.status().banner.startswith(f"offline — cached {count} models from ")
    details = svc.catalog.details(GGUF_REPO)  # offline now: from the cache, no request
    assert details is not None and details.notice.startswith("offline")


def test_a_transient_server_error_is_retried(hub: FakeHub, svc: Services) -> None:
    hub.fail_status, hub.fail_count, hub.retry_after = 502, 1, 0
    report = svc.catalog.sync(ListParams(search="qwen3", limit=None))
    assert report.fetched == sum(1 for r in RECORDS if "qwen3" in r["id"].lower())
    assert [r.status for r in list_requests(hub)][:2] == [502, 200]


def test_rate_limit_is_one_line(hub: FakeHub, svc: Services) -> None:
    hub.fail_status, hub.retry_after = 429, 0
    with pytest.raises(HubError) as err:
        svc.catalog.hub.model_info(QWEN)
    assert err.value.kind == "rate_limited" and "HTTP 429" in one_line(str(err.value))
    with pytest.raises(HubError) as err:
        svc.catalog.sync(ListParams(limit=10))
    assert err.value.kind == "rate_limited" and "HTTP 429" in one_line(str(err.value))
    assert svc.catalog.status().online is not False  # a rate limit is not "offline"


def test_a_stalled_hub_times_out_within_the_deadline(hub: FakeHub, svc: Services) -> None:
    svc.catalog.sync(ListParams(search="qwen", limit=None))
    hub.stall_seconds = 30
    started = time.monotonic()
    with pytest.raises(HubError) as err:
        svc.catalog.sync(ListParams(limit=10))
    assert time.monotonic() - started < DEADLINE + 1
    assert err.value.kind == "timeout" and err.value.offline_like
    one_line(str(err.value))
    assert svc.catalog.status().banner.startswith("offline — cached")


def test_model_info_times_out(hub: FakeHub, svc: Services) -> None:
    hub.stall_seconds = 30
    started = time.monotonic()
    with pytest.raises(HubError) as err:
        svc.catalog.hub.model_info(QWEN)
    assert time.monotonic() - started < DEADLINE + 0.5
    assert err.value.kind == "timeout"


def test_an_unreachable_hub_fails_fast_and_the_cache_takes_over(
    services: Services, tmp_path: Path, memory_24g: Memory
) -> None:
    # `services` holds the sample catalogue; point a client at a port nobody listens on.
    services.catalog.hub = HubClient(f"http://127.0.0.1:{closed_port()}", None, timeout=1.0, deadline=10.0)
    services.catalog._online = None
    started = time.monotonic()
    with pytest.raises(HubError) as err:
        services.catalog.sync(ListParams(limit=10))
    assert time.monotonic() - started < 1.5  # a refused connection is not retried for 25 s
    assert err.value.kind == "unreachable" and "connection refused" in one_line(str(err.value))
    status = services.catalog.status()
    assert status.online is False and status.count == 232
    assert status.banner.startswith("offline — cached 232 models from 20")
    services.catalog.hub.close()


def test_an_unreachable_hub_card_fetch_is_one_line(tmp_path: Path, memory_24g: Memory) -> None:
    client = HubClient(f"http://127.0.0.1:{closed_port()}", None, timeout=1.0, deadline=10.0,
                       cache_dir=tmp_path / "hf")
    started = time.monotonic()
    for call in (lambda: client.fetch_card(QWEN), lambda: client.model_info(QWEN)):
        with pytest.raises(HubError) as err:
            call()
        assert err.value.kind == "unreachable", err.value
        one_line(str(err.value))
    assert time.monotonic() - started < 2
    client.close()


def test_offline_mode_sends_nothing(hub: FakeHub, tmp_path: Path, memory_24g: Memory,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    settings = Settings.from_env()
    assert settings.hf_offline and settings.hf_endpoint == hub.url
    services = build_services(settings, memory=memory_24g)
    try:
        services.catalog.ensure_loaded()
        with pytest.raises(HubError) as err:
            services.catalog.sync(ListParams(limit=10))
        assert err.value.kind == "offline" and "HF_HUB_OFFLINE" in str(err.value)
        assert services.catalog.status().banner.startswith("offline — cached 232 models from ")
        assert hub.requests == []
    finally:
        services.close()


def test_retries_stay_off_the_terminal_and_stop_when_nobody_waits(
    hub: FakeHub, svc: Services, capfd: pytest.CaptureFixture[str]
) -> None:
    hub.fail_status, hub.retry_after = 503, 0
    svc.catalog.hub.deadline = 1.0
    with pytest.raises(HubError):
        svc.catalog.sync(ListParams(limit=5))
    with pytest.raises(HubError):
        svc.catalog.hub.fetch_card(QWEN)
    out, err = capfd.readouterr()
    assert "HTTP Error" not in err and "Retrying" not in err and "Traceback" not in err
    assert out == ""
    # huggingface_hub would go on retrying for ~25 s; the abandoned calls stop at their next try (a call asleep
    # in its backoff sends one more, then stops at its log line). Once no Hub call runs, nothing asks again.
    wait_until(lambda: not any(t.name == "hub-list" and t.is_alive() for t in threading.enumerate()),
               "the abandoned listing to stop", 3)
    wait_until(lambda: not hub_client._WATCH._calls, "every abandoned call to stop retrying", 5)


# --- the token --------------------------------------------------------------------------


def test_the_token_never_reaches_the_database(hub: FakeHub, tmp_path: Path, memory_24g: Memory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    token = DEFAULT_TOKEN
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("MODELPICK_HUB_DEADLINE", str(DEADLINE))
    settings = Settings.from_env()
    assert settings.hf_token == token and token not in repr(settings)
    hub.gated.add(GATED)
    services = build_services(settings, memory=memory_24g)
    assert token not in repr(services.catalog.hub)
    services.catalog.sync(ListParams(search="llama", limit=None))
    details = services.catalog.details(GATED)
    assert details is not None and details.notice == "" and details.card is not None
    assert any(r.token == token for r in hub.requests)
    services.catalog.shortlist_add(GATED, "needs a token")
    db = Path(settings.db_path)
    files = [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    assert {p.name for p in files} >= {db.name, db.name + "-wal"}  # the WAL holds the recent writes
    for path in files:
        assert token.encode() not in path.read_bytes(), path
    services.close()
    for path in Path(settings.home).rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_the_token_comes_from_huggingface_hub_token_store(hub: FakeHub, tmp_path: Path, memory_24g: Memory,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    Path(constants.HF_TOKEN_PATH).parent.mkdir(parents=True, exist_ok=True)
    Path(constants.HF_TOKEN_PATH).write_text(DEFAULT_TOKEN)  # where `hf auth login` writes it (tmp, see conftest)
    services = make_services(tmp_path, hub.url, memory_24g)
    try:
        assert services.catalog.hub.has_token
        hub.gated.add(GATED)
        services.catalog.sync(ListParams(search="Llama-3.1-8B-Instruct", author="meta-llama", limit=None))
        details = services.catalog.details(GATED)
        assert details is not None and details.card is not None and details.notice == ""
    finally:
        services.close()
