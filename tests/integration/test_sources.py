"""ModelScope and OpenRouter through the real client code against local fakes with the real shapes: synced into the
same cache (one row for a model on both hubs, its sources shown), ModelScope's details, files and card, OpenRouter's
prices per model, and every failure one line with the cache taking over."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelpick_tui.catalog import source_sync
from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.catalog.query import ListParams
from modelpick_tui.catalog.sources import modelscope as modelscope_source
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support.cli import run
from tests.support.modelscope_fake import FakeModelScope
from tests.support.openrouter_fake import FakeOpenRouter


@pytest.fixture
def modelscope(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeModelScope]:
    with FakeModelScope() as fake:
        monkeypatch.setenv("MODELPICK_MODELSCOPE_ENDPOINT", fake.url)
        monkeypatch.setenv("MODELPICK_HUB_TIMEOUT", "2")
        yield fake


@pytest.fixture
def openrouter(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenRouter]:
    with FakeOpenRouter(key="sk-or-v1-test") as fake:
        monkeypatch.setenv("MODELPICK_OPENROUTER_ENDPOINT", fake.api)
        yield fake


@pytest.fixture
def svc(settings: Settings, memory_24g, modelscope: FakeModelScope,  # type: ignore[no-untyped-def]
        openrouter: FakeOpenRouter) -> Iterator[Services]:
    live = dataclasses.replace(settings, modelscope_endpoint=modelscope.url, openrouter_endpoint=openrouter.api,
                               hub_timeout=2.0)
    services = build_services(live, memory=memory_24g)
    services.catalog.ensure_loaded()
    yield services
    services.close()


def search_json(db: Path, *args: str) -> dict[str, dict]:
    result = run(db, "catalog", "search", "--json", "-n", "1000", *args)
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_modelscope_sync_one_row_per_model_with_its_sources(tmp_path: Path, modelscope: FakeModelScope) -> None:
    db = tmp_path / "m.db"
    synced = run(db, "catalog", "sync", "--source", "modelscope")
    assert synced.exit_code == 0, synced.output
    assert ("synced 5 models from ModelScope (2 new, 3 also on the Hugging Face Hub, 1 by the original its page "
            "names)") in synced.stdout
    assert synced.stderr == ""  # every page read: nothing left, nothing failed
    rows = search_json(db)
    # Same owner/name: one row; another case (qwen/qwen2.5-7b-instruct): the Hub's row, one row all the same.
    assert rows["Qwen/Qwen3-8B"]["sources"] == ["huggingface", "modelscope"]
    assert rows["Qwen/Qwen2.5-7B-Instruct"]["sources"] == ["huggingface", "modelscope"]
    assert "qwen/qwen2.5-7b-instruct" not in rows
    # Another name: its ModelScope page names THUDM/chatglm3-6b as its original, one row right after the sync
    # (its card never opened: the details carry the README).
    assert rows["THUDM/chatglm3-6b"]["sources"] == ["huggingface", "modelscope"]
    assert "ZhipuAI/chatglm3-6b" not in rows
    assert modelscope.request_count("/api/v1/models/ZhipuAI/chatglm3-6b/repo") == 0
    assert rows["iic/MS-Alpha-7B"]["sources"] == ["modelscope"]
    assert rows["iic/MS-Alpha-7B-GGUF"]["formats"] == ["gguf"]
    assert rows["meta-llama/Llama-3.1-8B-Instruct"]["sources"] == ["huggingface"]
    # Only the models whose name matches no Hub row had their page read, once: the next sync reads none again.
    assert modelscope.details_requests == {"ZhipuAI/chatglm3-6b": 1, "iic/MS-Alpha-7B-GGUF": 1, "iic/MS-Alpha-7B": 1}
    again = run(db, "catalog", "sync", "--source", "modelscope")
    assert "(0 new, 3 also on the Hugging Face Hub)" in again.stdout
    assert len(search_json(db, "MS-Alpha")) == 2
    assert sum(modelscope.details_requests.values()) == 3


def test_search_by_source(tmp_path: Path, modelscope: FakeModelScope, openrouter: FakeOpenRouter) -> None:
    db = tmp_path / "m.db"
    assert run(db, "catalog", "sync", "--source", "modelscope").exit_code == 0
    assert run(db, "catalog", "sync", "--source", "openrouter").exit_code == 0
    every = search_json(db)
    # What each row's `sources` and `hosted` say (read apart from the filter's SQL) is what the filter matches.
    on_ms = {m for m, r in every.items() if "modelscope" in r["sources"]}
    hosted = {m for m, r in every.items() if r["hosted"]}
    assert on_ms == {"Qwen/Qwen3-8B", "Qwen/Qwen2.5-7B-Instruct", "THUDM/chatglm3-6b", "iic/MS-Alpha-7B",
                     "iic/MS-Alpha-7B-GGUF"}
    assert "Qwen/Qwen3-8B" in hosted and "iic/MS-Alpha-7B" not in hosted
    assert set(search_json(db, "--source", "ms")) == on_ms
    assert set(search_json(db, "--source", "openrouter")) == hosted
    assert set(search_json(db, "--source", "ms,or")) == on_ms | hosted
    assert set(search_json(db, "--source", "hf", "--source", "ms")) == set(every)
    assert set(search_json(db, "--source", "hf")) == set(every) - {"iic/MS-Alpha-7B", "iic/MS-Alpha-7B-GGUF"}
    table = run(db, "catalog", "search", "Qwen3-8B", "--source", "or")
    assert "hf+ms+or" in table.stdout
    bad = run(db, "catalog", "search", "--source", "civitai")
    assert bad.exit_code == 2
    errors = [line for line in bad.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "not a source: 'civitai'" in errors[0]


def test_modelscope_search_and_paging(svc: Services, modelscope: FakeModelScope,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sync = svc.catalog.sources
    assert sync is not None
    report = sync.sync_modelscope("gguf", limit=50)
    assert report.fetched == 1 and modelscope.searches[-1]["Name"] == "gguf"
    monkeypatch.setattr(modelscope_source, "PAGE_SIZE", 2)
    modelscope.searches.clear()
    report = sync.sync_modelscope(None, limit=4)
    assert report.fetched == 4
    assert [(b["PageNumber"], b["PageSize"]) for b in modelscope.searches] == [(1, 2), (2, 2)]


def test_modelscope_details_files_in_subfolders_and_card(svc: Services) -> None:
    assert svc.catalog.sources is not None
    svc.catalog.sources.sync_modelscope(None, limit=50)
    details = svc.catalog.details("iic/MS-Alpha-7B-GGUF")
    assert details is not None and details.notice == ""
    files = {f["filename"]: (f["size"], f["quant"]) for f in details.model["files"]}
    assert files == {"MS-Alpha-7B-Q4_K_M.gguf": (4_683_073_184, "Q4_K_M"),
                     "MS-Alpha-7B-Q5_K_M.gguf": (5_444_831_904, "Q5_K_M"),
                     "Q8_0/MS-Alpha-7B-Q8_0-00001-of-00002.gguf": (4_000_000_000, "Q8_0"),
                     "Q8_0/MS-Alpha-7B-Q8_0-00002-of-00002.gguf": (4_098_566_272, "Q8_0")}
    assert details.card_text is not None and "Quantised with llama.cpp." in details.card_text
    assert [s["source"] for s in details.sources] == ["modelscope"]
    assert details.model["license"] == "apache-2.0" and details.model["downloads"] == 150_200
    assert details.model["params"] == 7_000_000_000  # from its name, as for the Hub's repos


def test_a_modelscope_page_naming_its_hub_original_makes_one_row(svc: Services,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sync = svc.catalog.sources
    assert sync is not None
    monkeypatch.setattr(source_sync, "ORIGIN_READS", 0)  # no page read at the sync: opening the card merges it
    sync.sync_modelscope(None, limit=50)
    assert svc.catalog.store.exists("ZhipuAI/chatglm3-6b")
    count = svc.catalog.store.count()
    details = svc.catalog.details("ZhipuAI/chatglm3-6b")
    assert details is not None and details.model["id"] == "THUDM/chatglm3-6b"
    assert details.notice.startswith("the same model as THUDM/chatglm3-6b on the Hugging Face Hub")
    assert [(s["source"], s["id"]) for s in details.sources] == [("huggingface", "THUDM/chatglm3-6b"),
                                                                 ("modelscope", "ZhipuAI/chatglm3-6b")]
    assert not svc.catalog.store.exists("ZhipuAI/chatglm3-6b") and svc.catalog.store.count() == count - 1
    report = sync.sync_modelscope(None, limit=50)  # merged for good: the next sync links it, makes no row
    assert report.added == 0 and not svc.catalog.store.exists("ZhipuAI/chatglm3-6b")


def test_a_hub_sync_merges_a_modelscope_row_whose_page_named_it_before(
        tmp_path: Path, memory_24g: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.fakehub import FakeHub
    from tests.support.modelscope_fake import MODELS
    from tests.support.paths import SAMPLE

    # A ModelScope mirror whose page names a Hub model the catalogue does not have yet.
    mirror = {**MODELS[4], "entry": {**MODELS[4]["entry"], "Path": "LLM-Research", "Name": "Mystery-8B"},
              "card": "# Mystery-8B\n\nThe original: https://huggingface.co/acme-labs/Mystery-8B-Instruct\n"}
    record = next(json.loads(line) for line in (SAMPLE / "catalog.jsonl").read_text().splitlines()
                  if '"Qwen/Qwen2.5-7B-Instruct"' in line)
    record = {**record, "id": "acme-labs/Mystery-8B-Instruct", "author": "acme-labs"}
    with FakeModelScope(models=[mirror]) as ms, FakeHub([record], {}) as hub:
        settings = Settings(home=tmp_path / "home", db_path=tmp_path / "home" / "m.db", sample_dir=SAMPLE,
                            hf_endpoint=hub.url, hub_timeout=2.0, modelscope_endpoint=ms.url)
        svc = build_services(settings, memory=memory_24g)
        try:
            svc.catalog.ensure_loaded()
            sync = svc.catalog.sources
            assert sync is not None
            report = sync.sync_modelscope(None, limit=50)
            assert (report.added, report.named) == (1, 0)  # its original is not in the catalogue: a row of its own
            assert svc.catalog.store.exists("LLM-Research/Mystery-8B")
            asked = ms.request_count()
            svc.catalog.sync(ListParams(search="Mystery", limit=None))
            # The Hub row came: the ModelScope row is merged into it, from what its page said (no new request).
            assert not svc.catalog.store.exists("LLM-Research/Mystery-8B")
            assert [(x["source"], x["id"]) for x in sync.sources.sources("acme-labs/Mystery-8B-Instruct")] == [
                ("huggingface", "acme-labs/Mystery-8B-Instruct"), ("modelscope", "LLM-Research/Mystery-8B")]
            assert ms.request_count() == asked
            assert sync.sync_modelscope(None, limit=50).added == 0
        finally:
            svc.close()


def test_pages_read_at_sync_are_bounded_and_the_rest_wait_for_the_next(svc: Services, modelscope: FakeModelScope,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sync = svc.catalog.sources
    assert sync is not None
    monkeypatch.setattr(source_sync, "ORIGIN_READS", 1)
    modelscope.readme_in_details = False  # the README is then its own request, as a details answer without it needs
    first = sync.sync_modelscope(None, limit=50)
    # The listing's order (downloads): chatglm3-6b's page first, which names its Hub original.
    assert (first.added, first.linked, first.named) == (2, 3, 1)
    assert first.notes == ["read 1 ModelScope pages for the Hugging Face original they name; 2 more are left for "
                           "the next sync (at most 1 pages and 60 s a sync)"]
    assert modelscope.request_count("/api/v1/models/ZhipuAI/chatglm3-6b/repo") == 1
    assert [(s["source"], s["id"]) for s in sync.sources.sources("THUDM/chatglm3-6b")] == [
        ("huggingface", "THUDM/chatglm3-6b"), ("modelscope", "ZhipuAI/chatglm3-6b")]
    assert not svc.catalog.store.exists("ZhipuAI/chatglm3-6b")
    second = sync.sync_modelscope(None, limit=50)
    assert second.notes[0].startswith("read 1 ModelScope pages") and "1 more are left" in second.notes[0]
    third = sync.sync_modelscope(None, limit=50)
    assert third.notes == [] and (third.added, third.linked, third.named) == (0, 3, 0)
    assert modelscope.details_requests == {"ZhipuAI/chatglm3-6b": 1, "iic/MS-Alpha-7B-GGUF": 1, "iic/MS-Alpha-7B": 1}


def test_a_page_that_cannot_be_read_is_one_line_and_the_sync_goes_on(tmp_path: Path,
                                                                     modelscope: FakeModelScope) -> None:
    db = tmp_path / "m.db"
    modelscope.details_fail = {"iic/MS-Alpha-7B": 0, "iic/MS-Alpha-7B-GGUF": 404}
    synced = run(db, "catalog", "sync", "--source", "modelscope")
    assert synced.exit_code == 0, synced.output
    assert "(2 new, 3 also on the Hugging Face Hub, 1 by the original its page names)" in synced.stdout
    assert sorted(synced.stderr.splitlines()) == [
        "note: could not read iic/MS-Alpha-7B's ModelScope page for its Hugging Face original: ModelScope: "
        "iic/MS-Alpha-7B: Model not exist!",
        "note: could not read iic/MS-Alpha-7B-GGUF's ModelScope page for its Hugging Face original: "
        "iic/MS-Alpha-7B-GGUF was not found on ModelScope"]
    assert "ZhipuAI/chatglm3-6b" not in search_json(db)
    # Out of reach: the reads stop (one line), the listing is kept, and the pages wait for the next sync.
    modelscope.details_fail = {m: 503 for m in ("iic/MS-Alpha-7B", "iic/MS-Alpha-7B-GGUF")}
    again = run(db, "catalog", "sync", "--source", "modelscope")
    assert again.exit_code == 0, again.output
    assert again.stderr.splitlines() == [
        "note: stopped reading ModelScope pages for their Hugging Face original (ModelScope is unavailable (HTTP "
        "503): using the local cache); 2 are left for the next sync"]
    modelscope.details_fail = {}
    last = run(db, "catalog", "sync", "--source", "modelscope")
    assert last.stderr == "" and modelscope.details_requests["iic/MS-Alpha-7B"] == 3


@pytest.mark.parametrize(("setup", "line"), [
    (lambda f: setattr(f, "fail_status", 401), "ModelScope: not authorised (HTTP 401) for the model list"),
    (lambda f: setattr(f, "fail_status", 429), "rate limited by ModelScope (HTTP 429); try again later"),
    (lambda f: setattr(f, "fail_status", 503), "ModelScope is unavailable (HTTP 503): using the local cache"),
    (lambda f: setattr(f, "stall_seconds", 5), "ModelScope did not answer within 2 s: using the local cache"),
    (lambda f: setattr(f, "malformed", True), "ModelScope answered the model list with something that is not JSON"),
    (lambda f: setattr(f, "envelope_error", True), "ModelScope: the model list: Model not exist!"),
])
def test_modelscope_failures_are_one_line(tmp_path: Path, modelscope: FakeModelScope, setup, line: str) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "m.db"
    setup(modelscope)
    result = run(db, "catalog", "sync", "--source", "modelscope")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error: {line}"
    offline = line.endswith("using the local cache")
    assert len(lines) == (2 if offline else 1), lines
    if offline:  # the cache takes over: what it holds, and it still answers
        assert lines[1].startswith("offline — cached 232 models from 20")
    assert "Qwen/Qwen3-8B" in search_json(db)


def test_modelscope_unreachable_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeModelScope() as gone:
        url = gone.url
    monkeypatch.setenv("MODELPICK_MODELSCOPE_ENDPOINT", url)
    result = run(tmp_path / "m.db", "catalog", "sync", "--source", "modelscope")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == ("error: ModelScope is unreachable (connection refused): using the "
                                             "local cache")


def test_openrouter_prices_per_million_tokens(tmp_path: Path, svc: Services, openrouter: FakeOpenRouter) -> None:
    db = tmp_path / "m.db"
    synced = run(db, "catalog", "sync", "--source", "openrouter")
    assert synced.exit_code == 0, synced.output
    # 6 listed; linked by hugging_face_id in any case: Qwen/Qwen3-8B and meta-llama/llama-3.1-70b-instruct.
    assert "synced 6 hosted models from OpenRouter (2 are models of the catalogue)" in synced.stdout
    rows = search_json(db, "Qwen3-8B")
    # By hand: "0.000000035" $/token × 1,000,000 = $0.035 per 1M prompt tokens; "0.000000138" → $0.138.
    assert rows["Qwen/Qwen3-8B"]["hosted"] == [
        {"provider": "openrouter", "id": "qwen/qwen3-8b:free", "usd_per_m_in": 0.0, "usd_per_m_out": 0.0,
         "context_length": 40960},
        {"provider": "openrouter", "id": "qwen/qwen3-8b", "usd_per_m_in": 0.035, "usd_per_m_out": 0.138,
         "context_length": 128000}]
    assert search_json(db, "Llama-3.1-70B-Instruct")["meta-llama/Llama-3.1-70B-Instruct"]["hosted"][0][
        "usd_per_m_out"] == 0.28
    assert svc.catalog.sources is not None
    svc.catalog.sources.sync_openrouter()
    assert svc.api_prices("Qwen/Qwen3-8B") == [("qwen/qwen3-8b:free", 0.0, 0.0), ("qwen/qwen3-8b", 0.035, 0.138)]
    assert svc.api_prices("qwen/QWEN3-8B") == svc.api_prices("Qwen/Qwen3-8B")  # any case, as the link
    assert svc.api_prices("meta-llama/Llama-3.2-1B") == []
    details = svc.catalog.details("Qwen/Qwen3-8B")
    assert details is not None and [h["id"] for h in details.hosted] == ["qwen/qwen3-8b:free", "qwen/qwen3-8b"]


@pytest.mark.parametrize(("setup", "line"), [
    (lambda f: setattr(f, "fail_status", 401),
     "OpenRouter: not authorised (HTTP 401) for the model list; check OPENROUTER_API_KEY"),
    (lambda f: setattr(f, "fail_status", 429), "rate limited by OpenRouter (HTTP 429); try again later"),
    (lambda f: setattr(f, "fail_status", 502), "OpenRouter is unavailable (HTTP 502): using the local cache"),
    (lambda f: setattr(f, "malformed", True), "OpenRouter answered the model list with something that is not JSON"),
])
def test_openrouter_failures_are_one_line(tmp_path: Path, openrouter: FakeOpenRouter, setup, line: str) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "m.db"
    assert run(db, "catalog", "sync", "--source", "openrouter").exit_code == 0
    setup(openrouter)
    result = run(db, "catalog", "sync", "--source", "openrouter")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {line}"
    openrouter.fail_status = None
    openrouter.malformed = False
    # The last list stays: a failed sync replaces nothing.
    assert search_json(db, "Qwen3-8B")["Qwen/Qwen3-8B"]["hosted"][1]["usd_per_m_in"] == 0.035


def test_a_modelscope_card_offline_comes_from_the_cache(svc: Services, modelscope: FakeModelScope) -> None:
    assert svc.catalog.sources is not None
    svc.catalog.sources.sync_modelscope(None, limit=50)
    read_at_sync = modelscope.request_count("/api/v1/models/iic/MS-Alpha-7B-GGUF")  # its page, for an original
    first = svc.catalog.details("iic/MS-Alpha-7B")
    assert first is not None and first.card_text is not None and "First published on ModelScope." in first.card_text
    modelscope.fail_status = 503
    again = svc.catalog.details("iic/MS-Alpha-7B", refresh=True)
    assert again is not None
    assert again.notice == "ModelScope is unavailable (HTTP 503): using the local cache"
    assert again.card_text == first.card_text and again.model["downloads"] == 12_000
    cached = svc.catalog.details("iic/MS-Alpha-7B-GGUF")  # never opened: not asked while ModelScope is down
    assert cached is not None and cached.notice == ("offline — ModelScope could not be reached: no card cached for "
                                                    "this model")
    assert modelscope.request_count("/api/v1/models/iic/MS-Alpha-7B-GGUF") == read_at_sync


def test_hostile_modelscope_text_is_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.modelscope_fake import MODELS

    hostile = {**MODELS[4], "entry": {**MODELS[4]["entry"], "Path": "evil",
                                      "Name": "x[bold red]BOOM[/]\x1b]52;c;aGk=\x07",
                                      "License": "[link=file:///etc/passwd]mit[/link]\x1b[2J"}}
    db = tmp_path / "m.db"
    with FakeModelScope(models=[hostile]) as fake:
        monkeypatch.setenv("MODELPICK_MODELSCOPE_ENDPOINT", fake.url)
        synced = run(db, "catalog", "sync", "--source", "modelscope")
    assert synced.exit_code == 0, synced.output
    listed = run(db, "catalog", "search", "evil")
    as_json = run(db, "catalog", "search", "evil", "--json")
    for out in (listed.stdout, as_json.stdout):
        assert "\x1b" not in out and "\x07" not in out
    assert "[link=file:///etc/passwd]mit[/link]" in listed.stdout.replace("\n", "")
    assert "[bold red]BOOM[/]" in listed.stdout.replace("\n", "")  # shown as written, never as markup


def test_the_hubs_filters_are_refused_for_other_sources(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    result = run(db, "catalog", "sync", "--source", "openrouter", "--search", "qwen", "--task", "text-generation")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: --search, --task: not with --source openrouter (the Hub's filters; "
                                     "ModelScope takes --search)")


def test_odd_modelscope_values_are_no_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.modelscope_fake import MODELS

    odd = {**MODELS[4], "entry": {**MODELS[4]["entry"], "Downloads": "1.2k", "Stars": None, "CreatedTime": "soon",
                                  "LastUpdatedTime": 10**20, "Tags": ["ok", 3, None], "Tasks": "text-generation"}}
    db = tmp_path / "m.db"
    with FakeModelScope(models=[odd]) as fake:
        monkeypatch.setenv("MODELPICK_MODELSCOPE_ENDPOINT", fake.url)
        synced = run(db, "catalog", "sync", "--source", "modelscope")
    assert synced.exit_code == 0, synced.output
    row = search_json(db, "MS-Alpha")["iic/MS-Alpha-7B"]
    assert (row["downloads"], row["likes"], row["last_modified"], row["task"]) == (0, 0, "", "")
