"""ModelScope (modelscope.cn), the second model hub: search, a model's details, its files (subfolders and GGUF quants
included, with sizes) and its README card, over its REST API with httpx (the `modelscope` SDK weighs hundreds of MB
and pulls in torch-era dependencies for four GET/PUT calls).

The routes and shapes are those the SDK (modelscope/hub/api.py) and ModelScope's own MCP server use:
  PUT  /api/v1/dolphin/models   {"Name", "SortBy", "PageNumber", "PageSize", "Criterion", "SingleCriterion"}
       → {"Code": 200, "Success": true, "Data": {"Model": {"Models": [...], "TotalCount": N}}, "Message": ""}
  GET  /api/v1/models/{owner}/{name}?Revision=master          → the envelope, Data = the model's details
  GET  /api/v1/models/{owner}/{name}/repo/files?Revision=master&Recursive=True → Data.Files [{Path, Size, Type}]
  GET  /api/v1/models/{owner}/{name}/repo?Revision=master&FilePath=README.md   → the file itself
MODELPICK_MODELSCOPE_ENDPOINT points it elsewhere (a local fake in the tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..counts import params_from_name
from ..facts import ModelFacts, ModelFile, detect_formats, file_format
from ..fit.weights import quant_from_filename
from .errors import HubError
from .http import request_json, request_text

SOURCE = "ModelScope"
PAGE_SIZE = 100
SORTS = {"downloads": "DownloadsCount", "likes": "StarsCount", "updated": "GmtModified", "default": "Default"}
# ModelScope writes licences as names ("Apache License 2.0"); the catalogue keeps the Hub's ids.
_LICENSES = {"apache license 2.0": "apache-2.0", "apache-2.0": "apache-2.0", "mit": "mit", "mit license": "mit",
             "gpl-3.0": "gpl-3.0", "cc-by-nc-4.0": "cc-by-nc-4.0", "cc-by-4.0": "cc-by-4.0",
             "llama3.1": "llama3.1", "llama3.2": "llama3.2", "gemma": "gemma", "other": "other"}
# A Hugging Face original named on the page: a link to its model page.
_HF_LINK = re.compile(r"https?://huggingface\.co/([A-Za-z0-9][\w.-]*/[\w.-]+)")


def _ok(envelope: Any, what: str) -> Any:
    """Data of a `{Code, Success, Data, Message}` envelope; HubError (one line) when it says it failed."""
    if not isinstance(envelope, dict) or "Data" not in envelope and "Success" not in envelope:
        raise HubError("error", f"{SOURCE} answered {what} without its {{Code, Success, Data}} envelope")
    if envelope.get("Success") is False or envelope.get("Code") not in (None, 200, 0):
        message = str(envelope.get("Message") or "no message")[:200].splitlines()[0]
        kind = "not_found" if "not exist" in message.lower() or envelope.get("Code") == 404 else "error"
        raise HubError(kind, f"{SOURCE}: {what}: {message}")
    return envelope.get("Data")


def _iso(value: Any) -> str:
    """ModelScope's times are Unix seconds; anything else is no date."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 32503680000:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""


def _count(value: Any) -> int:
    """A count from remote JSON: a non-negative integer, else 0 (never an exception)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _license(value: Any) -> str:
    text = str(value or "").strip()
    return _LICENSES.get(text.lower(), text.lower().replace(" ", "-"))


def _tasks(data: dict[str, Any]) -> list[str]:
    tasks = data.get("Tasks") or []
    out: list[str] = []
    for t in tasks if isinstance(tasks, list) else []:
        name = t.get("Name") if isinstance(t, dict) else t
        if isinstance(name, str) and name:
            out.append(name)
    return out


def model_id(data: dict[str, Any]) -> str:
    """`Path/Name`: the owner and the model, as on ModelScope's pages."""
    return f"{data.get('Path') or ''}/{data.get('Name') or ''}"


def hf_original(card: str | None) -> str | None:
    """The Hugging Face model a ModelScope card names as its original (its first huggingface.co model link)."""
    for match in _HF_LINK.finditer(card or ""):
        repo = match.group(1).rstrip(".")
        if repo.split("/")[0] not in ("datasets", "spaces", "docs", "blog", "papers", "models"):
            return repo
    return None


def facts_from_modelscope(data: dict[str, Any], files: list[dict[str, Any]] | None = None) -> ModelFacts:
    """A catalogue row from a ModelScope listing entry or details (and its file list, when fetched)."""
    mid = model_id(data)
    tags = [t for t in (data.get("Tags") or []) if isinstance(t, str)] if isinstance(data.get("Tags"), list) else []
    blobs = [f for f in files or [] if f.get("Type") != "tree"]
    names = [str(f.get("Path") or f.get("Name") or "") for f in blobs]
    gguf = [ModelFile(n, f["Size"] if isinstance(f.get("Size"), int) else None, quant_from_filename(n), "gguf")
            for n, f in zip(names, blobs, strict=True) if file_format(n) == "gguf"]
    tasks = _tasks(data)
    return ModelFacts(
        id=mid,
        author=str(data.get("Path") or ""),
        task=tasks[0] if tasks else "",
        tags=["modelscope", *tags],
        license=_license(data.get("License")),
        downloads=_count(data.get("Downloads")),
        likes=_count(data.get("Stars")),
        created_at=_iso(data.get("CreatedTime")),
        last_modified=_iso(data.get("LastUpdatedTime")),
        params=params_from_name(mid),
        formats=detect_formats(mid, tags, names),
        files=gguf,
        source="modelscope",
    )


class ModelScopeClient:
    """ModelScope's REST API: one call per method, each bounded (timeout per read, deadline per answer)."""

    def __init__(self, endpoint: str, *, timeout: float = 10.0, deadline: float = 30.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline

    def _call(self, method: str, path: str, what: str, body: Any = None) -> Any:
        envelope = request_json(SOURCE, method, f"{self.endpoint}{path}", what=what, body=body,
                                timeout=self.timeout, deadline=self.deadline)
        return _ok(envelope, what)

    @staticmethod
    def _repo(model: str) -> str:
        owner, _, name = model.partition("/")
        if not owner or not name or "/" in name:
            raise HubError("error", f"not a ModelScope model id (owner/name): {model!r}")
        return f"{quote(owner, safe='')}/{quote(name, safe='')}"

    def list_models(self, search: str | None = None, limit: int = 500, sort: str = "downloads"
                    ) -> Iterator[dict[str, Any]]:
        """Listing entries, page by page (PageNumber from 1, PageSize up to 100), until `limit` or the last page."""
        fetched = 0
        page = 1
        while fetched < limit:
            size = min(PAGE_SIZE, limit - fetched)
            data = self._call("PUT", "/api/v1/dolphin/models", "the model list", {
                "Name": search or "", "SortBy": SORTS.get(sort, "Default"), "PageNumber": page, "PageSize": size,
                "Criterion": [], "SingleCriterion": []})
            block = (data or {}).get("Model") or {}
            models = block.get("Models") or [] if isinstance(block, dict) else []
            for entry in models:
                if isinstance(entry, dict) and entry.get("Path") and entry.get("Name"):
                    yield entry
                    fetched += 1
                    if fetched >= limit:
                        return
            total = block.get("TotalCount") if isinstance(block, dict) else None
            if not models or len(models) < size or (isinstance(total, int) and page * size >= total):
                return
            page += 1

    def model_info(self, model: str) -> dict[str, Any]:
        data = self._call("GET", f"/api/v1/models/{self._repo(model)}?Revision=master", model)
        if not isinstance(data, dict):
            raise HubError("error", f"{SOURCE}: {model}: the details are not an object")
        return data

    def files(self, model: str) -> list[dict[str, Any]]:
        """Every file of the repository, subfolders included ({Path, Size, Type: blob|tree, Sha256})."""
        data = self._call("GET", f"/api/v1/models/{self._repo(model)}/repo/files?Revision=master&Recursive=True",
                          f"{model}'s files")
        files = (data or {}).get("Files") if isinstance(data, dict) else None
        return [f for f in files or [] if isinstance(f, dict)]

    def card(self, model: str) -> str | None:
        """README.md, or None when the repository has none."""
        return request_text(SOURCE, "GET", f"{self.endpoint}/api/v1/models/{self._repo(model)}/repo"
                            "?Revision=master&FilePath=README.md", what=f"{model}'s README.md",
                            timeout=self.timeout, deadline=self.deadline, missing_ok=True)
