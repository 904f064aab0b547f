"""The fake Hub (tests/support/fakehub.py), driven only through the real huggingface_hub client.

These tests pin down both the fake and what the real client does with it: how it pages, which errors it
raises, how long it retries. huggingface_hub reads HF_ENDPOINT / HF_HUB_OFFLINE at import time, so every call
passes `endpoint=` (or the `hub_as_default_endpoint` fixture patches the constants for ModelCard.load).
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, ModelCard, constants, hf_hub_download
from huggingface_hub.errors import (
    BadRequestError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile, RepoFolder

from tests.support.fakehub import DEFAULT_TOKEN, MAX_SERVED_SIZE, FakeHub
from tests.support.hub_catalog import builtin_catalog
from tests.support.hub_sample import write_sample_data

MODELS, CARDS = builtin_catalog()
BY_ID = {m["id"]: m for m in MODELS}
PUBLIC_IDS = [m["id"] for m in MODELS if not m["private"]]
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
QWEN7 = "Qwen/Qwen2.5-7B-Instruct"
GGUF = "bartowski/Qwen2.5-7B-Instruct-GGUF"
TINY = "fakehub-org/tiny-random-llama"
NO_CARD = "plain-org/no-card-2b"
NO_LICENSE = "mergekit-fan/untitled-7b-merge"
PRIVATE = "acme-corp/private-llm"
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(autouse=True)
def _isolated_hf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ambient token, no offline mode, no shared cache: every test sees only the fake Hub."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def hub():
    with FakeHub(MODELS, CARDS, page_size=4) as hub:
        yield hub
    assert hub.errors == [], "the fake Hub itself failed:\n" + "\n".join(hub.errors)


@pytest.fixture
def api(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture
def authed(hub: FakeHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=DEFAULT_TOKEN)


@pytest.fixture
def hub_as_default_endpoint(hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeHub:
    """For APIs without `endpoint=` (ModelCard.load): point the import-time constants at the hub."""
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return hub


def list_calls(hub: FakeHub):
    return [r for r in hub.requests if r.path == "/api/models"]


def ids(infos) -> list[str]:
    return [info.id for info in infos]


# ---------------------------------------------------------------------------------------------- list_models


def test_list_models_follows_every_page_and_returns_each_model_once(hub: FakeHub, api: HfApi) -> None:
    got = ids(api.list_models())
    assert got == PUBLIC_IDS  # catalogue order, the private repo hidden from an anonymous caller
    calls = list_calls(hub)
    assert len(calls) == math.ceil(len(PUBLIC_IDS) / 4)
    assert "cursor" not in calls[0].query
    assert all("cursor" in c.query for c in calls[1:])
    assert len({c.query["cursor"][0] for c in calls[1:]}) == len(calls) - 1


def test_list_models_keeps_query_params_on_next_pages(hub: FakeHub, api: HfApi) -> None:
    got = ids(api.list_models(filter="license:apache-2.0", sort="downloads", expand=["downloads"]))
    assert len(got) == 7 and len(set(got)) == 7
    calls = list_calls(hub)
    assert len(calls) == 2
    for call in calls:
        assert call.query["filter"] == ["license:apache-2.0"]
        assert call.query["sort"] == ["downloads"]
        assert call.query["expand"] == ["downloads"]


def test_list_item_has_the_default_list_shape(api: HfApi) -> None:
    info = next(iter(api.list_models(search="Qwen2.5-7B-Instruct", author="Qwen")))
    extra = vars(info)
    assert info.id == QWEN7 and extra["modelId"] == QWEN7 and len(extra["_id"]) == 24
    assert info.downloads == BY_ID[QWEN7]["downloads"] and info.likes == BY_ID[QWEN7]["likes"]
    assert info.trending_score == BY_ID[QWEN7]["trendingScore"]
    assert info.tags == BY_ID[QWEN7]["tags"] and info.pipeline_tag == "text-generation"
    assert info.library_name == "transformers" and info.private is False
    assert info.created_at is not None and info.created_at.year == 2024
    # Not in the default list shape:
    assert info.author is None and info.sha is None and info.last_modified is None
    assert (
        info.siblings is None and info.safetensors is None and info.card_data is None and info.config is None
    )
    assert "config_json" not in extra


QWEN05 = "Qwen/Qwen2.5-0.5B-Instruct"
MISTRAL = "mistralai/Mistral-7B-Instruct-v0.3"
GEMMA = "google/gemma-2-9b-it"
PHI = "microsoft/Phi-3.5-mini-instruct"
DEEPSEEK = "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"
OLMO = "allenai/OLMo-2-1124-13B-Instruct"
MLX = "mlx-community/Qwen2.5-7B-Instruct-4bit"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"search": "qwen2.5"}, [QWEN7, QWEN05, GGUF, MLX]),  # substring of the id, any case
        ({"author": "Qwen"}, [QWEN7, QWEN05]),
        ({"filter": "gguf"}, [GGUF]),
        ({"filter": "license:apache-2.0"}, [QWEN7, QWEN05, MISTRAL, OLMO, GGUF, MLX, TINY]),
        ({"filter": ["license:apache-2.0", "gguf"]}, [GGUF]),  # every filter must match
        ({"filter": "mlx"}, [MLX]),  # a library name
        ({"pipeline_tag": "text-generation", "search": "phi"}, [PHI]),
        ({"gated": True}, [LLAMA, MISTRAL, GEMMA]),
        (
            {"num_parameters": "min:6B,max:15B"},
            [LLAMA, QWEN7, MISTRAL, GEMMA, DEEPSEEK, OLMO, GGUF, NO_LICENSE],
        ),
        ({"num_parameters": "max:1B"}, [QWEN05, TINY]),
        ({"num_parameters": "min:10B"}, [DEEPSEEK, OLMO]),
        ({"apps": "llama.cpp"}, [GGUF]),
        ({"apps": "vllm", "num_parameters": "max:4B"}, [QWEN05, PHI, NO_CARD, TINY]),
        ({"search": "no-such-model"}, []),
    ],
)
def test_list_models_filters(api: HfApi, kwargs: dict, expected: list[str]) -> None:
    assert ids(api.list_models(**kwargs)) == expected


def test_list_models_gated_false_is_the_complement(api: HfApi) -> None:
    gated = set(ids(api.list_models(gated=True)))
    not_gated = set(ids(api.list_models(gated=False)))
    assert gated.isdisjoint(not_gated) and gated | not_gated == set(PUBLIC_IDS)


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("downloads", "downloads"),
        ("likes", "likes"),
        ("trending_score", "trendingScore"),
        ("last_modified", "lastModified"),
        ("created_at", "createdAt"),
    ],
)
def test_list_models_sorts_descending(hub: FakeHub, api: HfApi, sort: str, key: str) -> None:
    got = ids(api.list_models(sort=sort))  # type: ignore[arg-type]
    values = [BY_ID[i][key] for i in got]
    assert values == sorted(values, reverse=True) and sorted(got) == sorted(PUBLIC_IDS)
    assert list_calls(hub)[0].query["sort"] == [{"trending_score": "trendingScore"}.get(sort, key)]


def test_list_models_limit_stops_paging(hub: FakeHub, api: HfApi) -> None:
    top5 = ids(api.list_models(sort="downloads", limit=5))
    assert top5 == sorted(PUBLIC_IDS, key=lambda i: -BY_ID[i]["downloads"])[:5]
    calls = list_calls(hub)
    assert len(calls) == 2  # pages of 4: the client stops (islice) as soon as it has 5
    assert calls[0].query["limit"] == ["5"]
    hub.clear_requests()
    assert len(list(api.list_models(limit=3))) == 3
    assert len(list_calls(hub)) == 1


def test_list_models_expand_returns_only_those_properties(hub: FakeHub, api: HfApi) -> None:
    infos = {i.id: i for i in api.list_models(expand=["safetensors", "gguf", "siblings", "gated", "config"])}
    assert list_calls(hub)[0].query["expand"] == ["safetensors", "gguf", "siblings", "gated", "config"]
    llama, gguf = infos[LLAMA], infos[GGUF]
    assert llama.safetensors is not None and llama.safetensors.total == 8030261248
    assert llama.gated == "manual" and infos[QWEN7].gated is False
    assert llama.config == {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
    assert llama.downloads is None and llama.tags is None and llama.likes is None
    assert llama.siblings is not None and all(s.size is None for s in llama.siblings)  # names only in lists
    assert gguf.gguf is not None and gguf.gguf["total"] == 7615616512 and gguf.safetensors is None
    assert "config_json" not in vars(llama)


def test_list_models_full_carddata_and_config(api: HfApi) -> None:
    full = {i.id: i for i in api.list_models(full=True)}[LLAMA]
    assert full.author == "meta-llama" and full.sha == BY_ID[LLAMA]["sha"] and full.last_modified is not None
    assert full.siblings is not None and {s.rfilename for s in full.siblings} >= {"config.json", "README.md"}
    assert all(s.size is None for s in full.siblings) and full.card_data is None
    with_card = {i.id: i for i in api.list_models(cardData=True)}
    llama_card, merge_card = with_card[LLAMA].card_data, with_card[NO_LICENSE].card_data
    assert llama_card is not None and llama_card.license == "llama3.1"
    assert merge_card is not None and merge_card.license is None
    with_config = {i.id: i for i in api.list_models(fetch_config=True)}
    assert with_config[QWEN7].config == {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2"}
    assert with_config[GGUF].config is None


def test_list_models_rejects_an_unknown_expand(api: HfApi) -> None:
    with pytest.raises(BadRequestError):
        list(api.list_models(expand=["nope"]))  # type: ignore[list-item]


# ----------------------------------------------------------------------------------------------- model_info


def test_model_info_parses_every_field(api: HfApi) -> None:
    info = api.model_info(LLAMA)
    assert info.sha == BY_ID[LLAMA]["sha"] and info.author == "meta-llama" and info.gated == "manual"
    assert info.safetensors is not None and info.safetensors.total == 8030261248
    assert info.safetensors.parameters == {"BF16": 8030261248}
    assert info.card_data is not None and info.card_data.license == "llama3.1"
    assert info.card_data.base_model == "meta-llama/Llama-3.1-8B"
    assert info.config == {"architectures": ["LlamaForCausalLM"], "model_type": "llama"}
    assert info.transformers_info is not None and info.transformers_info.auto_model == "AutoModelForCausalLM"
    assert info.last_modified is not None and info.created_at is not None
    assert info.used_storage is not None and info.used_storage > 3e10
    assert info.siblings is not None and len(info.siblings) == len(BY_ID[LLAMA]["siblings"])
    assert all(s.size is None and s.lfs is None for s in info.siblings)
    assert "config_json" not in vars(info)

    gguf = api.model_info(GGUF)
    assert (
        gguf.gguf is not None
        and gguf.gguf["architecture"] == "qwen2"
        and gguf.gguf["context_length"] == 32768
    )
    assert gguf.safetensors is None and gguf.config is None
    quants = sorted(s.rfilename for s in gguf.siblings or [] if s.rfilename.endswith(".gguf"))
    assert len(quants) == 6 and "Qwen2.5-7B-Instruct-Q4_K_M.gguf" in quants


def test_model_info_files_metadata_gives_sizes(api: HfApi) -> None:
    info = api.model_info(LLAMA, files_metadata=True)
    siblings = {s.rfilename: s for s in info.siblings or []}
    shard = siblings["model-00001-of-00004.safetensors"]
    assert shard.size == 4976698672 and shard.lfs is not None and shard.lfs.size == 4976698672
    assert len(shard.lfs.sha256) == 64 and shard.blob_id
    readme = siblings["README.md"]
    assert readme.size == len(CARDS[LLAMA].encode()) and readme.lfs is None
    expected = {s["rfilename"]: s["size"] for s in BY_ID[LLAMA]["siblings"]}
    assert {name: s.size for name, s in siblings.items()} == expected


def test_model_info_revision_and_expand(api: HfApi) -> None:
    sha = BY_ID[QWEN7]["sha"]
    assert api.model_info(QWEN7, revision=sha).sha == sha
    assert api.model_info(QWEN7, revision="main").id == QWEN7
    with pytest.raises(RevisionNotFoundError):
        api.model_info(QWEN7, revision="v9.9")
    info = api.model_info(QWEN7, expand=["safetensors", "downloads"])
    assert info.safetensors is not None and info.downloads == BY_ID[QWEN7]["downloads"]
    assert info.sha is None and info.siblings is None and info.tags is None


# -------------------------------------------------------------------------------------------- list_repo_tree


def test_list_repo_tree(hub: FakeHub, api: HfApi) -> None:
    root = list(api.list_repo_tree(LLAMA))
    folders = [e for e in root if isinstance(e, RepoFolder)]
    files = {e.path: e for e in root if isinstance(e, RepoFile)}
    assert [f.path for f in folders] == ["original"]
    assert "original/params.json" not in files
    shard = files["model-00004-of-00004.safetensors"]
    assert shard.size == 1168138808 and shard.lfs is not None and shard.lfs.pointer_size == 135
    assert files["config.json"].lfs is None and files["config.json"].size > 0

    everything = list(api.list_repo_tree(LLAMA, recursive=True))
    assert {e.path for e in everything if isinstance(e, RepoFile)} == {
        s["rfilename"] for s in BY_ID[LLAMA]["siblings"]
    }
    sub = list(api.list_repo_tree(LLAMA, path_in_repo="original"))
    assert sorted(e.path for e in sub) == [
        "original/consolidated.00.pth",
        "original/params.json",
        "original/tokenizer.model",
    ]
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(LLAMA, path_in_repo="nope"))

    hub.tree_page_size = 3
    hub.clear_requests()
    paged = list(api.list_repo_tree(LLAMA, recursive=True, expand=True))
    assert [e.path for e in paged] == [e.path for e in everything]
    assert hub.request_count(f"/api/models/{LLAMA}/tree/") == math.ceil(len(everything) / 3)
    assert all(e.last_commit is not None and e.last_commit.oid == BY_ID[LLAMA]["sha"] for e in paged)


# -------------------------------------------------------------------------------- downloads and model cards


def test_hf_hub_download_readme_and_config(hub: FakeHub, tmp_path: Path) -> None:
    readme = hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(readme).read_text(encoding="utf-8") == CARDS[QWEN7]
    assert BY_ID[QWEN7]["sha"] in readme  # the snapshot folder is named after X-Repo-Commit
    config = hf_hub_download(QWEN7, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert json.loads(Path(config).read_text()) == BY_ID[QWEN7]["config_json"]
    assert [(r.method, r.path) for r in hub.requests] == [
        ("HEAD", f"/{QWEN7}/resolve/main/README.md"),
        ("GET", f"/{QWEN7}/resolve/main/README.md"),
        ("HEAD", f"/{QWEN7}/resolve/main/config.json"),
        ("GET", f"/{QWEN7}/resolve/main/config.json"),
    ]
    # Cached: the next call only checks the ETag (HEAD), no GET.
    hub.clear_requests()
    assert hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False) == readme
    assert [r.method for r in hub.requests] == ["HEAD"]


def test_hf_hub_download_lfs_file_through_the_cdn_redirect(hub: FakeHub, tmp_path: Path) -> None:
    path = hf_hub_download(
        TINY, "model.safetensors", endpoint=hub.url, cache_dir=tmp_path, token=DEFAULT_TOKEN
    )
    data = Path(path).read_bytes()
    assert len(data) == 65792
    again = hf_hub_download(
        TINY, "model.safetensors", endpoint=hub.url, cache_dir=tmp_path / "b", token=False
    )
    assert Path(again).read_bytes() == data  # a deterministic body
    cdn = [r for r in hub.requests if r.path.startswith("/__cdn/")]
    assert cdn and all(r.token is None for r in cdn)  # the client drops the token off the Hub's origin
    head = next(r for r in hub.requests if r.method == "HEAD")
    assert head.token == DEFAULT_TOKEN and head.headers["x-hf-download-counter"] == "1"
    # Without the redirect, the Hub origin serves the LFS body itself.
    hub.lfs_redirect = False
    hub.clear_requests()
    direct = hf_hub_download(
        TINY, "model.safetensors", endpoint=hub.url, cache_dir=tmp_path / "c", token=False
    )
    assert Path(direct).read_bytes() == data
    assert [(r.method, r.status) for r in hub.requests] == [("HEAD", 200), ("GET", 200)]


def test_hf_hub_download_missing_file_and_large_file(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(NO_CARD, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(QWEN7, "no-such-file.txt", endpoint=hub.url, cache_dir=tmp_path, token=False)
    # Metadata of a big file is served (HEAD), its body is not.
    meta = HfApi(endpoint=hub.url, token=False).get_hf_file_metadata(
        url=f"{hub.url}/{GGUF}/resolve/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf"
    )
    assert meta.size == 4683073952 and meta.commit_hash == BY_ID[GGUF]["sha"]
    assert meta.etag is not None and len(meta.etag) == 64
    assert meta.size > MAX_SERVED_SIZE


def test_model_card_load_parses_front_matter(hub_as_default_endpoint: FakeHub) -> None:
    card = ModelCard.load(QWEN7)
    assert card.data.license == "apache-2.0" and card.data.base_model == "Qwen/Qwen2.5-7B"
    assert card.data.pipeline_tag == "text-generation" and card.data.library_name == "transformers"
    assert card.data.tags == ["chat", "conversational"] and card.data.language == ["en"]
    assert "# Qwen2.5-7B-Instruct" in card.text
    assert ModelCard.load(NO_LICENSE).data.license is None
    assert ModelCard.load(LLAMA).data.license == "llama3.1"  # the card of a gated repo is public
    with pytest.raises(EntryNotFoundError):
        ModelCard.load(NO_CARD)


# ------------------------------------------------------------------------------------------ gating and auth


def test_injected_gating_needs_a_token(hub: FakeHub, api: HfApi, authed: HfApi, tmp_path: Path) -> None:
    hub.gated = {QWEN7}
    with pytest.raises(GatedRepoError) as info:
        api.model_info(QWEN7)
    assert info.value.response.status_code == 401
    assert info.value.server_message is not None and "Please log in" in info.value.server_message
    with pytest.raises(GatedRepoError):
        hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    with pytest.raises(GatedRepoError):
        list(api.list_repo_tree(QWEN7))
    assert authed.model_info(QWEN7).id == QWEN7
    path = hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=DEFAULT_TOKEN)
    assert Path(path).read_text(encoding="utf-8") == CARDS[QWEN7]


def test_gated_repo_files_like_the_real_hub(hub: FakeHub, api: HfApi, tmp_path: Path) -> None:
    assert api.model_info(LLAMA).gated == "manual"  # metadata stays public
    readme = hf_hub_download(LLAMA, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(readme).read_text(encoding="utf-8") == CARDS[LLAMA]
    with pytest.raises(GatedRepoError):
        hf_hub_download(LLAMA, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=False)
    config = hf_hub_download(LLAMA, "config.json", endpoint=hub.url, cache_dir=tmp_path, token=DEFAULT_TOKEN)
    assert json.loads(Path(config).read_text())["num_key_value_heads"] == 8


def test_invalid_token_is_a_plain_401(hub: FakeHub) -> None:
    with pytest.raises(HfHubHTTPError) as info:
        HfApi(endpoint=hub.url, token="hf_not_a_real_token").model_info(QWEN7)
    assert info.value.response.status_code == 401
    assert not isinstance(info.value, RepositoryNotFoundError | GatedRepoError)
    hub.reject_invalid_tokens, hub.gated = False, {QWEN7}
    with pytest.raises(GatedRepoError) as gated:
        HfApi(endpoint=hub.url, token="hf_not_a_real_token").model_info(QWEN7)
    assert gated.value.response.status_code == 403  # authenticated, not on the authorized list


def test_unknown_and_private_repos(hub: FakeHub, api: HfApi, authed: HfApi, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError) as info:
        api.model_info("nobody/nothing")
    assert info.value.response.status_code == 404 and info.value.server_message == "Repository not found"
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/nothing", "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    with pytest.raises(RepositoryNotFoundError):
        list(api.list_repo_tree("nobody/nothing"))
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(PRIVATE)
    assert authed.model_info(PRIVATE).private is True
    assert PRIVATE in ids(authed.list_models()) and PRIVATE not in ids(api.list_models())


# ------------------------------------------------------------------------------- failures, retries, timeouts


def test_a_500_once_is_retried_by_list_models(hub: FakeHub, api: HfApi) -> None:
    hub.fail_status, hub.fail_count, hub.retry_after = 500, 1, 0
    start = time.monotonic()
    assert ids(api.list_models(limit=3)) == PUBLIC_IDS[:3]
    elapsed = time.monotonic() - start
    assert [c.status for c in list_calls(hub)] == [500, 200]
    assert 0.9 <= elapsed < 3  # Retry-After: 0 still waits 0 + 1 s


def test_a_permanent_503_fails_after_five_retries(hub: FakeHub, api: HfApi, tmp_path: Path) -> None:
    """list_models and hf_hub_download side by side (to keep the test ~5 s): both give up after 5 retries."""
    hub.fail_status, hub.retry_after = 503, 0

    def timed(fn):
        start = time.monotonic()
        with pytest.raises(Exception) as info:
            fn()
        return info.value, time.monotonic() - start

    with ThreadPoolExecutor(max_workers=2) as pool:
        listing = pool.submit(timed, lambda: list(api.list_models()))
        download = pool.submit(
            timed,
            lambda: hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False),
        )
        (list_error, list_elapsed), (download_error, download_elapsed) = listing.result(), download.result()

    assert isinstance(list_error, HfHubHTTPError) and list_error.response.status_code == 503
    assert len(list_calls(hub)) == 6  # 1 + max_retries=5
    assert 4.5 <= list_elapsed < 8  # 5 waits of Retry-After + 1 s (without Retry-After: 1+2+4+8+8 = 23 s)
    # hf_hub_download: one HEAD without retries, then 1 + 5 with; and the error is "not in the local cache".
    assert isinstance(download_error, LocalEntryNotFoundError)
    assert isinstance(download_error.__cause__, HfHubHTTPError)
    assert hub.request_count(f"/{QWEN7}/resolve/", "HEAD") == 7
    assert 4.5 <= download_elapsed < 8


def test_hf_hub_download_recovers_from_one_500_at_once(hub: FakeHub, tmp_path: Path) -> None:
    hub.fail_status, hub.fail_count = 500, 1  # no Retry-After
    start = time.monotonic()
    path = hf_hub_download(QWEN7, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert Path(path).read_text(encoding="utf-8") == CARDS[QWEN7] and time.monotonic() - start < 0.9
    assert [(r.method, r.status) for r in hub.requests] == [("HEAD", 500), ("HEAD", 200), ("GET", 200)]


def test_model_info_does_not_retry(hub: FakeHub, api: HfApi) -> None:
    hub.fail_status = 503
    start = time.monotonic()
    with pytest.raises(HfHubHTTPError) as info:
        api.model_info(QWEN7)
    assert info.value.response.status_code == 503 and time.monotonic() - start < 1
    assert hub.request_count("/api/models/") == 1


def test_rate_limit_429_message(hub: FakeHub, api: HfApi) -> None:
    hub.fail_status, hub.fail_count, hub.retry_after = 429, 1, 7
    with pytest.raises(HfHubHTTPError) as info:
        api.model_info(QWEN7)
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert "rate limit" in str(info.value) and "Retry after 7 seconds" in str(info.value)
    assert api.model_info(QWEN7).id == QWEN7  # fail_count used up


def test_stall_gives_a_client_timeout_and_stop_is_prompt(hub: FakeHub, api: HfApi) -> None:
    hub.stall_seconds = 30
    start = time.monotonic()
    with pytest.raises(httpx2.TimeoutException):
        api.model_info(QWEN7, timeout=0.5)
    assert time.monotonic() - start < 2
    start = time.monotonic()
    hub.stop()
    assert time.monotonic() - start < 1.5
    hub.stop()  # twice is fine
    with pytest.raises(RuntimeError):
        _ = hub.url


def test_injection_can_target_a_path_prefix(hub: FakeHub, api: HfApi) -> None:
    hub.fail_status, hub.inject_path_prefix = 502, "/api/models/"
    assert len(ids(api.list_models(limit=2))) == 2
    with pytest.raises(HfHubHTTPError):
        api.model_info(QWEN7)


def test_concurrent_clients(hub: FakeHub, api: HfApi) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        infos = list(pool.map(lambda i: api.model_info(PUBLIC_IDS[i % len(PUBLIC_IDS)]), range(40)))
    assert [i.id for i in infos] == [PUBLIC_IDS[i % len(PUBLIC_IDS)] for i in range(40)]


def test_files_argument_serves_real_content(tmp_path: Path) -> None:
    weights, notes = b"\x00safetensors-ish\x01" * 100, b"hello from the fake hub\n"
    files = {(TINY, "model.safetensors"): weights, (TINY, "docs/notes.txt"): notes}
    with FakeHub(MODELS, CARDS, files=files) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        siblings = {s.rfilename: s for s in api.model_info(TINY, files_metadata=True).siblings or []}
        assert siblings["model.safetensors"].size == len(weights) and siblings["model.safetensors"].lfs
        assert siblings["docs/notes.txt"].size == len(notes) and siblings["docs/notes.txt"].lfs is None
        assert [e.path for e in api.list_repo_tree(TINY, path_in_repo="docs")] == ["docs/notes.txt"]
        for name, content in (("model.safetensors", weights), ("docs/notes.txt", notes)):
            path = hf_hub_download(TINY, name, endpoint=hub.url, cache_dir=tmp_path, token=False)
            assert Path(path).read_bytes() == content


# ------------------------------------------------------------------------------------------- sample data


def test_from_sample_data_round_trip(tmp_path: Path) -> None:
    write_sample_data(tmp_path / "data", MODELS, CARDS)
    with FakeHub.from_sample_data(tmp_path / "data", page_size=5) as hub:
        api = HfApi(endpoint=hub.url, token=False)
        assert ids(api.list_models()) == PUBLIC_IDS
        path = hf_hub_download(GGUF, "README.md", endpoint=hub.url, cache_dir=tmp_path / "c", token=False)
        assert Path(path).read_text(encoding="utf-8") == CARDS[GGUF]


@pytest.mark.skipif(
    not (SAMPLE_DATA / "catalog.jsonl").is_file(), reason="sample_data/catalog.jsonl not written yet"
)
def test_the_real_sample_data_loads(tmp_path: Path) -> None:
    with FakeHub.from_sample_data(SAMPLE_DATA) as hub:
        records = hub.models
        api = HfApi(endpoint=hub.url, token=DEFAULT_TOKEN)
        listed = ids(api.list_models(expand=["safetensors", "gguf", "siblings", "cardData", "config"]))
        assert sorted(listed) == sorted(m["id"] for m in records)
        for record in records[:5]:
            info = api.model_info(record["id"], files_metadata=True)
            assert {s.rfilename for s in info.siblings or []} >= {s["rfilename"] for s in record["siblings"]}
        with_card = [m["id"] for m in records if m["id"] in hub.cards][:3]
        for repo_id in with_card:
            path = hf_hub_download(
                repo_id, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=DEFAULT_TOKEN
            )
            assert Path(path).read_text(encoding="utf-8") == hub.cards[repo_id]
        assert hub.errors == []
