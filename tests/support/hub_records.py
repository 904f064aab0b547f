"""The repositories the fake Hub holds, and the JSON the Hub shapes from them: file entries with git and LFS
ids, `siblings`, `expand=` properties, the full model info, and the filters of `GET /api/models`.

A model record is the JSON of `GET /api/models/{id}?blobs=true` (camelCase keys, siblings with sizes) plus
one extra non-API key, "config_json": the full config.json dict (or None).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .hub_http import error

# `expand=` values the real Hub accepts for models (huggingface_hub.hf_api.ExpandModelProperty_T).
EXPANDABLE = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData",
    }
)  # fmt: skip
# Keys of one item of `GET /api/models` without expand/full (plus "_id" and "modelId").
LIST_DEFAULT_KEYS = (
    "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
    "createdAt",
)  # fmt: skip
LIST_FULL_KEYS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
SORT_KEYS = {
    "downloads": "downloads",
    "likes": "likes",
    "trendingScore": "trendingScore",
    "trending_score": "trendingScore",
    "lastModified": "lastModified",
    "last_modified": "lastModified",
    "createdAt": "createdAt",
    "created_at": "createdAt",
}
# apps= values: which models each local app can run.
GGUF_APPS = frozenset(
    {"llama.cpp", "ollama", "lmstudio", "jan", "localai", "llamafile", "koboldcpp", "backyard", "msty"}
)
SERVING_APPS = frozenset({"vllm", "sglang", "tgi", "text-generation-inference"})
SERVING_TASKS = frozenset({"text-generation", "image-text-to-text"})
MLX_APPS = frozenset({"mlx-lm", "mlx"})
# Files of a gated repo that the real Hub serves without an approved token.
PUBLIC_GATED_FILES = frozenset({"README.md", ".gitattributes"})
LFS_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pth", ".pt", ".onnx", ".h5", ".msgpack", ".model")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_NUM_PARAMS_RE = re.compile(r"^\s*(min|max)\s*:\s*([0-9]*\.?[0-9]+)\s*([KMBT]?)\s*$", re.IGNORECASE)


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def fake_hex(*parts: str, n: int = 40) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:n]


def config_bytes(config_json: Any) -> bytes:
    """config.json as the Hub serves it for a record's "config_json"."""
    return (json.dumps(config_json, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass


class HubFile:
    name: str
    size: int
    oid: str  # git blob oid
    lfs_sha256: str | None = None
    pointer_size: int = 134
    content: bytes | None = None  # None: a deterministic body of `size` bytes is generated on demand

    @property
    def is_lfs(self) -> bool:
        return self.lfs_sha256 is not None


@dataclass


class HubRepo:
    record: dict[str, Any]
    files: dict[str, HubFile] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def sha(self) -> str:
        return str(self.record["sha"])


def build_repo(raw: Mapping[str, Any], card: str | None, extra: dict[tuple[str, str], bytes]) -> HubRepo:
    """A repository from its record, its card (README.md) and files given by content (`extra`, keyed by
    (repo id, file name); this repo's entries are taken out of it)."""
    record = copy.deepcopy(dict(raw))
    repo_id = str(record["id"])
    record.setdefault("sha", fake_hex("sha", repo_id))
    record.setdefault("author", repo_id.split("/")[0] if "/" in repo_id else None)
    record.setdefault("private", False)
    record.setdefault("gated", False)
    record.setdefault("disabled", False)
    record.setdefault("tags", [])
    record.setdefault("siblings", [])
    repo = HubRepo(record)

    config_json = record.get("config_json")
    for sibling in record["siblings"]:
        name = sibling["rfilename"]
        content = extra.pop((repo_id, name), None)
        if content is None and name == "README.md" and card is not None:
            content = card.encode("utf-8")
        if content is None and name == "config.json" and config_json is not None:
            content = config_bytes(config_json)
        lfs = sibling.get("lfs")
        if content is not None:
            sha256 = hashlib.sha256(content).hexdigest() if lfs else None
            repo.files[name] = HubFile(name, len(content), git_blob_oid(content), sha256, content=content)
        else:
            size = int(sibling.get("size") or (lfs or {}).get("size") or 0)
            oid = sibling.get("blobId") or fake_hex("blob", repo_id, name)
            sha256 = None
            pointer_size = 134
            if lfs:
                sha256 = lfs.get("sha256") or lfs.get("oid") or fake_hex("lfs", repo_id, name, n=64)
                pointer_size = int(lfs.get("pointerSize") or 134)
            repo.files[name] = HubFile(name, size, oid, sha256, pointer_size)
    # Files the Hub would have even if the record does not list them.
    implicit: list[tuple[str, bytes]] = []
    if card is not None and "README.md" not in repo.files:
        implicit.append(("README.md", card.encode("utf-8")))
    if config_json is not None and "config.json" not in repo.files:
        implicit.append(("config.json", config_bytes(config_json)))
    implicit.extend((name, data) for (rid, name), data in list(extra.items()) if rid == repo_id)
    for name, content in implicit:
        extra.pop((repo_id, name), None)
        sha256 = hashlib.sha256(content).hexdigest() if name.endswith(LFS_SUFFIXES) else None
        repo.files[name] = HubFile(name, len(content), git_blob_oid(content), sha256, content=content)
        record["siblings"].append({"rfilename": name})
    for name in repo.files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            repo.dirs.add("/".join(parts[:i]))
    return repo


def siblings(repo: HubRepo, blobs: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, f in repo.files.items():
        if not blobs:
            out.append({"rfilename": name})
            continue
        entry: dict[str, Any] = {"rfilename": name, "size": f.size, "blobId": f.oid}
        if f.is_lfs:
            entry["lfs"] = {"size": f.size, "sha256": f.lfs_sha256, "pointerSize": f.pointer_size}
        out.append(entry)
    return out


def api_config(record: Mapping[str, Any]) -> Any:
    """The API's (trimmed) "config"; derived from config_json when the record has none. The Hub's listing keeps a
    config's architectures, model_type and quantization_config (quant_method, bits)."""
    config = record.get("config")
    cj = record.get("config_json")
    if config is None and isinstance(cj, dict):
        config = {k: cj[k] for k in ("architectures", "model_type") if k in cj}
    if isinstance(config, dict) and isinstance(cj, dict) and isinstance(cj.get("quantization_config"), dict):
        config = {**config, "quantization_config": {
            k: v for k, v in cj["quantization_config"].items()
            if k in ("quant_method", "bits", "load_in_4bit", "load_in_8bit")}}
    return config


def property_of(repo: HubRepo, key: str) -> tuple[bool, Any]:
    record = repo.record
    if key == "siblings":
        return True, siblings(repo, blobs=False)
    if key == "config":
        config = api_config(record)
        return config is not None, config
    if key == "downloadsAllTime" and key not in record and "downloads" in record:
        return True, record["downloads"]
    if key in record:
        return True, copy.deepcopy(record[key])
    return False, None


def with_ids(repo: HubRepo) -> dict[str, Any]:
    return {"_id": repo.record.get("_id") or fake_hex("_id", repo.id, n=24), "id": repo.id}


def expanded(repo: HubRepo, expand: list[str]) -> dict[str, Any]:
    out = with_ids(repo)
    for key in expand:
        present, value = property_of(repo, key)
        if present:
            out[key] = value
    return out


def full_info(repo: HubRepo, blobs: bool) -> dict[str, Any]:
    out = with_ids(repo)
    for key, value in repo.record.items():
        if key not in ("config_json", "siblings", "config", "_id", "id"):
            out[key] = copy.deepcopy(value)
    out["modelId"] = repo.id
    config = api_config(repo.record)
    if config is not None:
        out["config"] = config
    out["siblings"] = siblings(repo, blobs)
    return out


def expand_param(query: Mapping[str, list[str]]) -> list[str]:
    values = [v for key in ("expand", "expand[]") for v in query.get(key, [])]
    expand: list[str] = []
    for value in values:
        expand.extend(part for part in value.split(",") if part)
    for i, key in enumerate(expand):
        if key not in EXPANDABLE:
            raise error(400, f'"expand[{i}]" must be one of [{", ".join(sorted(EXPANDABLE))}]')
    return list(dict.fromkeys(expand))


def file_body(repo: HubRepo, f: HubFile, start: int, end: int) -> bytes:
    if f.content is not None:
        return f.content[start:end]
    pattern = hashlib.sha256(f"{repo.id}/{f.name}".encode()).digest()
    first_block = start // len(pattern)
    blocks = math.ceil(end / len(pattern)) - first_block
    data = pattern * blocks
    offset = start - first_block * len(pattern)
    return data[offset : offset + (end - start)]


# --- the filters of GET /api/models ------------------------------------------------------------------


def matches_filter(repo: HubRepo, value: str) -> bool:
    record = repo.record
    wanted = value.lower()
    tags = {str(t).lower() for t in record.get("tags") or []}
    return wanted in tags or wanted in {
        str(record.get("library_name") or "").lower(),
        str(record.get("pipeline_tag") or "").lower(),
    }


def parse_num_parameters(text: str) -> tuple[float, float]:
    low, high = 0.0, math.inf
    for part in text.split(","):
        match = _NUM_PARAMS_RE.match(part)
        if match is None:
            raise error(400, f'Invalid "num_parameters": {text!r} (expected e.g. "min:6B,max:15B")')
        value = float(match.group(2)) * _UNITS[match.group(3).upper()]
        if match.group(1).lower() == "min":
            low = value
        else:
            high = value
    return low, high


def param_count(repo: HubRepo) -> int | None:
    for key in ("safetensors", "gguf"):
        info = repo.record.get(key)
        if isinstance(info, dict) and isinstance(info.get("total"), int | float):
            return int(info["total"])
    return None


def in_range(count: int | None, low: float, high: float) -> bool:
    return count is not None and low <= count <= high


def supports_app(repo: HubRepo, app: str) -> bool:
    record = repo.record
    tags = {str(t).lower() for t in record.get("tags") or []}
    if app in GGUF_APPS:
        return bool(record.get("gguf")) or "gguf" in tags
    if app in SERVING_APPS:
        return (
            bool(record.get("safetensors"))
            and record.get("pipeline_tag") in SERVING_TASKS
            and record.get("library_name") != "mlx"
        )
    if app in MLX_APPS:
        return record.get("library_name") == "mlx" or "mlx" in tags
    raise error(400, f'Invalid "apps" value: {app!r}')

