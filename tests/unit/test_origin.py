"""Where models come from and their tier: the shipped origin table, its checks, the stored columns the filters use,
fine-tunes against their base, the user's entries winning, and the tier boundaries (issue 18)."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from modelpick_tui.catalog import origin
from modelpick_tui.catalog.facts import ModelFacts
from modelpick_tui.catalog.origin import OriginError, load_table, user_entry
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.catalog.store import CatalogStore
from modelpick_tui.db import open_db

REPO = Path(__file__).resolve().parents[2]

# Where each publisher the issue names is headquartered, from the pages the table cites (written here by hand:
# a table edit that moves one of them fails this test, not only the table's own checks).
EXPECTED = {
    "meta-llama": "US", "Qwen": "CN", "mistralai": "FR", "google": "US", "deepseek-ai": "CN", "moonshotai": "CN",
    "zai-org": "CN", "THUDM": "CN", "microsoft": "US", "openai": "US", "HuggingFaceTB": "US", "nvidia": "US",
    "ibm-granite": "US", "allenai": "US", "tiiuae": "AE", "CohereForAI": "CA", "CohereLabs": "CA", "01-ai": "CN",
    "baichuan-inc": "CN", "internlm": "CN", "stepfun-ai": "CN", "MiniMaxAI": "CN", "ByteDance-Seed": "CN",
    "tencent": "CN", "LGAI-EXAONE": "KR", "upstage": "KR", "ai21labs": "IL", "Snowflake": "US", "databricks": "US",
    "apple": "US",
    # Individuals and community groups with no published base: unknown, stated, not guessed.
    "bartowski": "unknown", "TheBloke": "unknown", "lmstudio-community": "unknown",
    # ModelScope's namespaces: a maker's own (Zhipu AI), and ModelScope's mirrors of other makers' models.
    "ZhipuAI": "CN", "LLM-Research": "unknown", "AI-ModelScope": "unknown",
}

# The rows a maintainer checked against the live page (docs/catalog.md, "How the origin table was checked"): none yet.
VERIFIED_ONLINE: set[str] = set()


# --- the shipped table ------------------------------------------------------------------------------------------


def test_the_shipped_table_names_every_publisher_the_issue_lists_with_its_country() -> None:
    table = load_table()
    assert {org: table[org.lower()].country for org in EXPECTED} == EXPECTED
    for entry in table.values():
        assert entry.country == "unknown" or re.fullmatch(r"[A-Z]{2}", entry.country), entry
        assert entry.source.startswith("https://"), entry
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.checked), entry
        assert entry.by == "table"
    # A country-less org is not in the table by accident: an organisation it does not name is unknown.
    assert origin.OriginBook(table).country("nobody-knows-this-org") == "unknown"


def test_the_wheel_ships_the_table() -> None:
    # setuptools' package-data decides what the wheel carries: the table must match one of its patterns.
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    relative = origin.TABLE_PATH.relative_to(REPO / "modelpick_tui").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in data["modelpick_tui"]), data


@pytest.mark.parametrize(("row", "error"), [
    ("acme,XX,https://acme.example,2026-01-02,offline,", "line 3: not an ISO 3166-1 alpha-2 country code"),
    ("acme,,https://acme.example,2026-01-02,offline,", "line 3: not an ISO 3166-1 alpha-2 country code"),
    ("acme,US,,2026-01-02,offline,", "line 3: the source must be an http(s) URL"),
    ("acme,US,https://acme.example,last year,offline,", "line 3: the date checked must be YYYY-MM-DD"),
    ("acme,US,https://acme.example,2026-01-02,offline", "line 3: 5 fields, not 6"),
    ("acme,US,https://acme.example,2026-01-02,,", "line 3: verified must be offline"),
    ("acme,US,https://acme.example,2026-01-02,yes,", "line 3: verified must be offline"),
    ("ACME,US,https://acme.example,2026-01-02,offline,", "line 3: acme is in the table twice"),
])
def test_a_bad_table_row_is_refused_naming_its_line(tmp_path: Path, row: str, error: str) -> None:
    path = tmp_path / "origins.csv"
    path.write_text("# comment\norg,country,source,checked,verified,note\n" + row + "\n"
                    + ("acme,US,https://acme.example,2026-01-02,online,\n" if "twice" in error else ""))
    if "twice" in error:  # the duplicate is the second row
        error = error.replace("line 3", "line 4")
    with pytest.raises(OriginError, match=re.escape(error)):
        load_table(path)


def test_every_shipped_row_says_how_it_was_checked() -> None:
    # The table was written without network: every row cites its source but none was opened. A row marked online
    # must be one a maintainer checked against the live page (docs/catalog.md); none is yet, and none is claimed.
    table = load_table()
    assert {e.org for e in table.values() if e.verified == "online"} == VERIFIED_ONLINE
    assert {e.verified for e in table.values()} <= {"offline", "online"}
    raw = origin.TABLE_PATH.read_text().splitlines()
    header = next(line for line in raw if not line.startswith("#"))
    assert header.split(",")[4] == "verified"
    meta = table["meta-llama"]
    assert meta.provenance() == "en.wikipedia.org/wiki/Meta_Platforms · not verified online"
    assert meta.to_json()["verified"] == "offline"
    # "unknown" stays a state with its own provenance, not a missing row.
    assert table["bartowski"].country == "unknown" and table["bartowski"].verified == "offline"
    checked = origin.OriginEntry("acme", "FR", "https://www.acme.example/about/", "2027-01-05", verified="online")
    assert checked.provenance() == "acme.example/about · verified online, 2027-01-05"
    mine = user_entry("acme", "fr", "https://acme.example/about", "2026-12-02")
    assert (mine.verified, mine.provenance()) == ("user", "acme.example/about · your entry, 2026-12-02")


def test_user_entries_are_checked() -> None:
    assert user_entry("acme", "fr", "https://acme.example/about").country == "FR"
    assert user_entry("acme", "Unknown", "https://acme.example/about").country == "unknown"
    for org, country, source in (("acme", "ZZ", "https://a.example"), ("acme", "US", "acme.example"),
                                 ("a b", "US", "https://a.example")):
        with pytest.raises(OriginError):
            user_entry(org, country, source)


# --- the catalogue's stored origins and tiers --------------------------------------------------------------------


def _model(model_id: str, params: int | None = 7 * 10**9, base: str = "") -> ModelFacts:
    return ModelFacts(id=model_id, author=model_id.split("/")[0], task="text-generation", params=params,
                      base_model=base, downloads=1)


@pytest.fixture
def store() -> CatalogStore:
    s = CatalogStore(open_db(None))
    s.upsert_models([
        _model("meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, base="meta-llama/Llama-3.1-8B"),
        _model("meta-llama/Llama-3.1-8B", 8_030_261_248),
        _model("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", 8_030_261_248, base="meta-llama/Llama-3.1-8B-Instruct"),
        _model("bartowski/Qwen2.5-7B-Instruct-GGUF", 7_615_616_512, base="Qwen/Qwen2.5-7B-Instruct"),
        _model("Qwen/Qwen2.5-7B-Instruct", 7_615_616_512, base="Qwen/Qwen2.5-7B"),
        _model("mistralai/Mistral-Large-Instruct-2411", 122_610_069_504),
        _model("deepseek-ai/DeepSeek-V3", 671_026_419_200),
        _model("NousResearch/Hermes-3-Llama-3.1-8B", 8_030_261_248, base="meta-llama/Llama-3.1-8B"),
        _model("quantlord420/mystery-7b", None, base="someone-unlisted/base-7b"),
    ])
    return s


def ids(store: CatalogStore, **query: object) -> set[str]:
    return {r.id for r in store.search(CatalogQuery(limit=100, **query)).rows}  # type: ignore[arg-type]


def test_a_repack_keeps_its_publisher_and_shows_its_base_models_origin(store: CatalogStore) -> None:
    rows = {r.id: r for r in store.search(CatalogQuery(limit=100)).rows}
    repack = rows["bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"]
    assert (repack.origin, repack.base_origin) == ("unknown", "US")
    assert (rows["bartowski/Qwen2.5-7B-Instruct-GGUF"].origin,
            rows["bartowski/Qwen2.5-7B-Instruct-GGUF"].base_origin) == ("unknown", "CN")
    # An original names no base (or its own pre-trained one): its own publisher's country.
    assert (rows["meta-llama/Llama-3.1-8B"].origin, rows["meta-llama/Llama-3.1-8B"].base_origin) == ("US", "US")
    assert (rows["quantlord420/mystery-7b"].origin, rows["quantlord420/mystery-7b"].base_origin) == (
        "unknown", "unknown")
    book = store.origins.book()
    shown = book.of_model("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "meta-llama/Llama-3.1-8B-Instruct")
    assert shown.to_json() == {"publisher": "bartowski", "country": "unknown", "by": "table",
                               "verified": "offline", "source": "https://huggingface.co/bartowski",
                               "base_model": "meta-llama/Llama-3.1-8B-Instruct", "base_country": "US",
                               "base_by": "table", "base_verified": "offline"}


def test_origin_filters_match_the_publisher_or_with_by_base_the_base_model(store: CatalogStore) -> None:
    us = {"meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B", "NousResearch/Hermes-3-Llama-3.1-8B"}
    assert ids(store, origins=("US",)) == us  # NousResearch is a US company
    assert ids(store, origins=("US", "FR")) == us | {"mistralai/Mistral-Large-Instruct-2411"}
    assert ids(store, origins=("US",), by_base=True) == us | {"bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"}
    # Excluding CN keeps the unknown ones (they are not from China as far as anyone says)...
    assert ids(store, exclude_origins=("CN",)) == ids(store) - {"Qwen/Qwen2.5-7B-Instruct",
                                                                 "deepseek-ai/DeepSeek-V3"}
    # ...by base it drops the repack of a Chinese model; naming unknown drops the unknown.
    assert "bartowski/Qwen2.5-7B-Instruct-GGUF" not in ids(store, exclude_origins=("CN",), by_base=True)
    assert ids(store, exclude_origins=("CN", "unknown")) == us | {"mistralai/Mistral-Large-Instruct-2411"}
    assert ids(store, origins=("unknown",)) == {"bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
                                                "bartowski/Qwen2.5-7B-Instruct-GGUF", "quantlord420/mystery-7b"}
    # The filter combines with text search and counts what matches.
    result = store.search(CatalogQuery(text="llama", origins=("US",), limit=1))
    assert result.matching == 3 and result.rows[0].origin == "US"


@pytest.mark.parametrize(("params", "tier"), [
    (31_999_999_999, "low"), (32_000_000_000, "medium"), (32_763_876_352, "medium"),  # Qwen2.5-32B: medium
    (299_999_999_999, "medium"), (300_000_000_000, "high"), (671_026_419_200, "high"),  # DeepSeek-V3 (total)
    (None, "unknown"), (0, "unknown"),
])
def test_the_tier_follows_total_parameters(params: int | None, tier: str) -> None:
    store = CatalogStore(open_db(None))
    store.upsert_models([_model("acme/m", params)])
    assert store.search(CatalogQuery()).rows[0].tier == tier
    assert ids(store, tiers=(tier,)) == {"acme/m"}


def test_the_tier_follows_a_corrected_parameter_count(store: CatalogStore) -> None:
    # An MoE whose count was read too small (packed weights), corrected later in the params column.
    store.update_model("deepseek-ai/DeepSeek-V3", params=37_000_000_000)
    assert ids(store, tiers=("high",)) == set()
    store.update_model("deepseek-ai/DeepSeek-V3", params=671_026_419_200)
    assert ids(store, tiers=("high",)) == {"deepseek-ai/DeepSeek-V3"}
    assert ids(store, tiers=("low", "medium")) == ids(store) - {"deepseek-ai/DeepSeek-V3", "quantlord420/mystery-7b"}
    assert (store.get("deepseek-ai/DeepSeek-V3") or {})["tier"] == "high"


def test_a_users_entry_wins_and_unset_gives_the_table_back(store: CatalogStore) -> None:
    origins = store.origins
    changed = origins.set_entry(user_entry("bartowski", "GB", "https://example.org/bartowski"))
    assert changed == 2  # the two bartowski repacks
    assert ids(store, origins=("GB",)) == {"bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
                                           "bartowski/Qwen2.5-7B-Instruct-GGUF"}
    # Correcting a shipped entry: the user's wins for the publisher and for every model based on it.
    origins.set_entry(user_entry("qwen", "SG", "https://example.org/qwen"))
    assert ids(store, origins=("SG",)) == {"Qwen/Qwen2.5-7B-Instruct"}
    assert ids(store, origins=("SG",), by_base=True) == {"Qwen/Qwen2.5-7B-Instruct",
                                                          "bartowski/Qwen2.5-7B-Instruct-GGUF"}
    entry = origins.book().entry("Qwen")
    assert entry is not None and (entry.by, entry.country, entry.source) == ("user", "SG", "https://example.org/qwen")
    # Kept apart from the shipped table, in the database: a new store over the same file reads them.
    assert [(e.org, e.country) for e in type(origins)(store.database).user_entries()] == [
        ("bartowski", "GB"), ("qwen", "SG")]
    # Newly synced rows take the user's entry too.
    store.upsert_models([_model("Qwen/Qwen3-8B", 8_190_735_360)])
    assert "Qwen/Qwen3-8B" in ids(store, origins=("SG",))
    # Another process (a TUI open while `modelpick origin set` ran) tags what it writes next with the new entry.
    other = CatalogStore(store.database)
    assert other.origins.book().country("Qwen") == "SG"
    other.origins.set_entry(user_entry("Qwen", "JP", "https://example.org/qwen"))
    store.upsert_models([_model("Qwen/Qwen3-4B", 4_022_468_096)])
    assert "Qwen/Qwen3-4B" in ids(store, origins=("JP",))
    origins.set_entry(user_entry("qwen", "SG", "https://example.org/qwen"))
    assert origins.unset_entry("QWEN") == 4
    assert ids(store, origins=("SG",)) == set()
    assert {"Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-8B", "Qwen/Qwen3-4B"} <= ids(store, origins=("CN",))
    assert origins.unset_entry("qwen") is None


def test_stored_origins_are_recomputed_when_the_shipped_table_changes(store: CatalogStore) -> None:
    assert store.origins.refresh() == 0  # computed at ingest with this table: nothing to change
    # Rows written by a modelpick whose table said otherwise (or before the columns existed).
    with store.database.write() as db:
        db.execute("UPDATE models SET origin = 'unknown', base_origin = 'unknown'")
    store.set_meta("origin_table", "an older table")
    assert store.origins.refresh() == 8  # all but the one that is unknown on both counts
    assert ids(store, origins=("US",)) == {"meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B",
                                           "NousResearch/Hermes-3-Llama-3.1-8B"}
    assert store.origins.refresh() == 0


def test_the_text_index_still_follows_the_columns_it_holds(store: CatalogStore) -> None:
    # m015 narrowed the full-text index's update trigger to its own columns.
    store.update_model("quantlord420/mystery-7b", task="zebra-generation")
    assert ids(store, text="zebra") == {"quantlord420/mystery-7b"}
    store.upsert_models([_model("quantlord420/mystery-7b", None, base="meta-llama/Llama-3.1-8B")])
    assert ids(store, text="zebra") == set()
    assert "quantlord420/mystery-7b" in ids(store, text="llama", by_base=True, origins=("US",))


def test_dense_and_sparse_origin_filters_give_the_top_of_the_sort() -> None:
    # A dense filter walks the downloads index, a sparse one is answered from the origin index: both give the page
    # a plain sort of every match would.
    store = CatalogStore(open_db(None))
    orgs = ["meta-llama"] * 6 + ["Qwen"] * 3 + ["someone"]  # US 60 %, CN 30 %, unknown 10 %
    facts = [ModelFacts(id=f"{orgs[i % 10]}/m-{i}", author=orgs[i % 10], params=(i % 40) * 10**9 or None,
                        downloads=(i * 7919) % 1000) for i in range(400)]
    store.upsert_models(facts)
    country = {"meta-llama": "US", "Qwen": "CN", "someone": "unknown"}

    def top(keep: object) -> list[str]:
        kept = [f for f in facts if keep(f)]  # type: ignore[operator]
        return [f.id for f in sorted(kept, key=lambda f: (-f.downloads, f.id))[:5]]

    for query, keep in (
        (CatalogQuery(origins=("US",), limit=5), lambda f: country[f.author] == "US"),  # dense: 240 ≥ 5 × 20
        (CatalogQuery(exclude_origins=("US", "CN"), limit=5), lambda f: country[f.author] == "unknown"),  # sparse
        (CatalogQuery(exclude_origins=("CN",), tiers=("medium",), limit=5),
         lambda f: country[f.author] != "CN" and f.params and f.params >= 32e9),
    ):
        result = store.search(query)
        assert [r.id for r in result.rows] == top(keep), query
        assert result.matching == sum(1 for f in facts if keep(f))
