"""The local catalogue: FTS search, filters, sorting and counts over SQLite."""

from __future__ import annotations

import pytest

from modelpick_tui.catalog.facts import ModelFacts, ModelFile
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.catalog.store import CatalogStore, fts_query
from modelpick_tui.db import open_db


def _facts(i: int, **kw: object) -> ModelFacts:
    base: dict = dict(id=f"org{i % 3}/model-{i}-{7 + i}B-Instruct", author=f"org{i % 3}", task="text-generation",
                      license="apache-2.0", downloads=1000 * i, likes=i, trending=i % 5,
                      last_modified=f"2025-01-{i + 1:02d}T00:00:00Z", params=(7 + i) * 10**9,
                      formats=["safetensors"])
    base.update(kw)
    return ModelFacts(**base)


@pytest.fixture
def store() -> CatalogStore:
    s = CatalogStore(open_db(None))
    s.upsert_models(
        [_facts(i) for i in range(10)]
        + [
            _facts(20, id="Qwen/Qwen2.5-Coder-7B-Instruct", author="Qwen", license="apache-2.0",
                   params=7_615_616_512, downloads=5_000_000, tags=["code"]),
            _facts(21, id="meta-llama/Llama-3.1-8B-Instruct", author="meta-llama", license="llama3.1",
                   gated="manual", params=8_030_261_248, downloads=9_000_000),
            _facts(22, id="bartowski/Qwen2.5-7B-Instruct-GGUF", author="bartowski", params=7_615_616_512,
                   formats=["gguf"], files=[ModelFile("q.Q4_K_M.gguf", 4_683_073_888, "Q4_K_M", "gguf")]),
            _facts(23, id="someone/nolicense-1B", author="someone", license="", params=1_100_000_000),
            _facts(24, id="CohereForAI/c4ai-command-r-v01", author="CohereForAI", license="cc-by-nc-4.0",
                   params=35_000_000_000),
        ]
    )
    return s


def ids(store: CatalogStore, **kw: object) -> list[str]:
    return [r.id for r in store.search(CatalogQuery(**kw)).rows]  # type: ignore[arg-type]


def test_text_search_matches_id_tokens_by_prefix(store: CatalogStore) -> None:
    assert ids(store, text="qwen2.5 coder") == ["Qwen/Qwen2.5-Coder-7B-Instruct"]
    assert set(ids(store, text="qwen")) == {"Qwen/Qwen2.5-Coder-7B-Instruct", "bartowski/Qwen2.5-7B-Instruct-GGUF"}
    assert ids(store, text="lla") == ["meta-llama/Llama-3.1-8B-Instruct"]


@pytest.mark.parametrize("text", ['"', "c++", "NOT", "a AND (", "*", "' OR 1=1 --", "qwen\x00"])
def test_hostile_search_text_never_breaks_the_query(store: CatalogStore, text: str) -> None:
    store.search(CatalogQuery(text=text))  # no exception is the assertion
    assert fts_query("NOT") == '"not"*'


def test_filters_combine_and_count(store: CatalogStore) -> None:
    result = store.search(CatalogQuery(permissive_only=True, size_classes=("3-8B",)))
    got = {r.id for r in result.rows}
    assert "Qwen/Qwen2.5-Coder-7B-Instruct" in got
    assert "meta-llama/Llama-3.1-8B-Instruct" not in got  # llama3.1 is not permissive
    assert result.matching == len(result.rows)
    assert result.total == 15
    assert ids(store, gated=True) == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert "meta-llama/Llama-3.1-8B-Instruct" not in ids(store, gated=False)
    assert ids(store, format="gguf") == ["bartowski/Qwen2.5-7B-Instruct-GGUF"]
    assert ids(store, licenses=("cc-by-nc-4.0",)) == ["CohereForAI/c4ai-command-r-v01"]
    assert ids(store, size_classes=("unknown",)) == []
    assert set(ids(store, author="qwen")) == {"Qwen/Qwen2.5-Coder-7B-Instruct"}


def test_sorts(store: CatalogStore) -> None:
    assert ids(store, sort="downloads", limit=2) == ["meta-llama/Llama-3.1-8B-Instruct",
                                                     "Qwen/Qwen2.5-Coder-7B-Instruct"]
    assert ids(store, sort="params", limit=1) == ["CohereForAI/c4ai-command-r-v01"]
    assert ids(store, sort="updated", limit=1)[0] == "CohereForAI/c4ai-command-r-v01"


def test_count_beyond_the_page(store: CatalogStore) -> None:
    result = store.search(CatalogQuery(text="instruct", limit=3))
    assert len(result.rows) == 3
    assert result.matching == 13


def test_upsert_refreshes_and_keeps_local_flag(store: CatalogStore) -> None:
    store.set_local(["Qwen/Qwen2.5-Coder-7B-Instruct"])
    store.upsert_models([_facts(20, id="Qwen/Qwen2.5-Coder-7B-Instruct", downloads=1, params=7_615_616_512)])
    row = store.get("Qwen/Qwen2.5-Coder-7B-Instruct")
    assert row is not None and row["downloads"] == 1 and row["is_local"] == 1
    assert store.count() == 15
    assert ids(store, local_only=True) == ["Qwen/Qwen2.5-Coder-7B-Instruct"]


def test_upsert_replaces_files_searches_new_text_and_keeps_a_cards_first_copy(store: CatalogStore) -> None:
    gguf = "bartowski/Qwen2.5-7B-Instruct-GGUF"
    q8 = [ModelFile("q.Q8_0.gguf", 8_098_525_888, "Q8_0", "gguf")]
    # Listed twice in one batch (a sync's pages can overlap): the last listing's files and facts win.
    store.upsert_models([_facts(22, id=gguf, formats=["gguf"], files=[ModelFile("x.gguf", 1, "Q2_K", "gguf")]),
                         _facts(22, id=gguf, author="zebrafinch", formats=["gguf"], files=q8)])
    row = store.get(gguf)
    assert row is not None and row["author"] == "zebrafinch" and row["license"] == "apache-2.0"
    assert [(f["filename"], f["quant"], f["size"]) for f in row["files"]] == [("q.Q8_0.gguf", "Q8_0", 8_098_525_888)]
    assert ids(store, text="zebrafinch") == [gguf]  # the FTS index follows the update
    assert store.count() == 15
    assert store.save_missing_cards({gguf: "# first", "nobody/absent": "# none"}, source="sample") == 1
    assert store.save_missing_cards({gguf: "# second"}, source="sample") == 0
    card = store.card(gguf)
    assert card is not None and card["text"] == "# first" and card["source"] == "sample"
    assert store.card("nobody/absent") is None


def test_files_and_shortlist(store: CatalogStore) -> None:
    row = store.get("bartowski/Qwen2.5-7B-Instruct-GGUF")
    assert row is not None
    assert [(f["quant"], f["size"]) for f in row["files"]] == [("Q4_K_M", 4_683_073_888)]
    store.shortlist_add("meta-llama/Llama-3.1-8B-Instruct", "strong baseline")
    store.shortlist_add("meta-llama/Llama-3.1-8B-Instruct", "strong baseline, gated")
    assert [(s["model_id"], s["note"]) for s in store.shortlist()] == [
        ("meta-llama/Llama-3.1-8B-Instruct", "strong baseline, gated")
    ]
    assert ids(store, shortlisted_only=True) == ["meta-llama/Llama-3.1-8B-Instruct"]
    store.shortlist_remove("meta-llama/Llama-3.1-8B-Instruct")
    assert store.shortlist() == []


@pytest.fixture
def broad_store() -> CatalogStore:
    s = CatalogStore(open_db(None))
    s.upsert_models(
        _facts(i, id=f"org{i % 7}/qwen-{i}-{'gguf' if i % 3 else 'awq'}", downloads=(i * 7919) % 5003,
               license="mit" if i % 4 else "llama3.1", params=(1 + i % 20) * 10**9)
        for i in range(3000)
    )
    return s


@pytest.mark.parametrize(
    "query",
    [CatalogQuery(text="qwen", limit=20), CatalogQuery(text="qwen gguf", permissive_only=True, limit=20),
     CatalogQuery(text="qwen", size_classes=("8-15B",), sort="likes", limit=20),
     CatalogQuery(text="qwen awq", licenses=("llama3.1",), sort="updated", limit=20)],
)
def test_index_walk_and_its_fallback_give_the_same_page_as_sorting(
    broad_store: CatalogStore, query: CatalogQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelpick_tui.catalog import store as store_module

    walked = broad_store.search(query)  # thousands of matches for a page of 20: the index walk
    monkeypatch.setattr(store_module, "BROAD_MATCH", 10**9)
    sorted_ = broad_store.search(query)  # the plain sort
    monkeypatch.setattr(store_module, "BROAD_MATCH", 0)
    monkeypatch.setattr(store_module, "WALK_STEPS_PER_HIT", 0)
    fallback = broad_store.search(query)  # the walk interrupted at once, then the sort
    assert [r.id for r in walked.rows] == [r.id for r in sorted_.rows] == [r.id for r in fallback.rows]
    assert walked.matching == sorted_.matching == fallback.matching > 20
    keys = [getattr(r, {"likes": "likes", "updated": "last_modified"}.get(query.sort, "downloads"))
            for r in walked.rows]
    assert keys == sorted(keys, reverse=True)
