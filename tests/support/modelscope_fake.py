"""A fake ModelScope on 127.0.0.1 with the real API's routes and shapes (modelscope/hub/api.py, and ModelScope's
MCP server for the search): every answer in the `{Code, Success, Data, Message, RequestId}` envelope.

    PUT  /api/v1/dolphin/models {"Name", "SortBy", "PageNumber", "PageSize", ...} → Data.Model.{Models, TotalCount}
    GET  /api/v1/models/{owner}/{name}?Revision=master                            → Data: the model's details
    GET  /api/v1/models/{owner}/{name}/repo/files?Revision=master&Recursive=True  → Data.Files (blobs and trees)
    GET  /api/v1/models/{owner}/{name}/repo?Revision=master&FilePath=README.md    → the file

    with FakeModelScope() as ms:   # MODELPICK_MODELSCOPE_ENDPOINT=ms.url

The models: Qwen/Qwen3-8B and qwen/qwen2.5-7b-instruct (on the Hub as Qwen/Qwen2.5-7B-Instruct: another case),
ZhipuAI/chatglm3-6b (its card names its Hugging Face original THUDM/chatglm3-6b), and two ModelScope-only repos:
iic/MS-Alpha-7B and iic/MS-Alpha-7B-GGUF (quants at the top and in a subfolder). Failures: FakeHttpServer's
`fail_status`, `stall_seconds`, and `malformed` (a body that is not JSON), `envelope_error` (HTTP 200 with
Success false, as ModelScope answers for a model that does not exist), and per model `details_fail` ({"owner/name":
HTTP status, or 0 for the envelope's "Model not exist!"}). `readme_in_details = False` leaves ReadMeContent out of
the details (the README is then its own request); `details_requests` counts the details asked per model."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from tests.support.hub_http import FakeHttpServer, HubResponse, Request, json_response

__all__ = ["MODELS", "FakeModelScope"]

GiB = 2**30


def _model(path: str, name: str, *, downloads: int, stars: int, license: str, task: str, tags: list[str],
           created: int, files: list[tuple[str, int]], card: str) -> dict[str, Any]:
    return {"entry": {"Id": abs(hash((path, name))) % 10**6, "Path": path, "Name": name, "ChineseName": "",
                      "Downloads": downloads, "Stars": stars, "License": license, "Tasks": [{"Name": task}],
                      "Tags": tags, "CreatedBy": path, "CreatedTime": created, "LastUpdatedTime": created + 86400,
                      "SupportInference": "", "Visibility": 5},
            "files": files, "card": card}


MODELS: list[dict[str, Any]] = [
    _model("Qwen", "Qwen3-8B", downloads=912_345, stars=210, license="Apache License 2.0", task="text-generation",
           tags=["qwen3", "chat"], created=1745800000,
           files=[("config.json", 728), ("model-00001-of-00005.safetensors", 3_996_250_744),
                  ("model-00005-of-00005.safetensors", 1_089_994_880), ("README.md", 1200)],
           card="# Qwen3-8B\n\nA dense 8B model of the Qwen3 family.\n"),
    _model("qwen", "qwen2.5-7b-instruct", downloads=401_000, stars=95, license="Apache License 2.0",
           task="text-generation", tags=["qwen2.5"], created=1726500000,
           files=[("config.json", 663), ("model-00001-of-00004.safetensors", 3_945_441_440)],
           card="# Qwen2.5-7B-Instruct\n"),
    _model("ZhipuAI", "chatglm3-6b", downloads=301_500, stars=820, license="Apache License 2.0",
           task="chat", tags=["chatglm"], created=1698200000,
           files=[("config.json", 1317), ("pytorch_model-00001-of-00007.bin", 1_827_781_090)],
           card="# ChatGLM3-6B\n\nMirrored from [the original](https://huggingface.co/THUDM/chatglm3-6b) on the "
                "Hugging Face Hub; see also https://huggingface.co/datasets/THUDM/LongBench.\n"),
    _model("iic", "MS-Alpha-7B-GGUF", downloads=150_200, stars=60, license="Apache License 2.0",
           task="text-generation", tags=["gguf"], created=1746000000,
           files=[("MS-Alpha-7B-Q4_K_M.gguf", 4_683_073_184), ("MS-Alpha-7B-Q5_K_M.gguf", 5_444_831_904),
                  ("Q8_0/MS-Alpha-7B-Q8_0-00001-of-00002.gguf", 4_000_000_000),
                  ("Q8_0/MS-Alpha-7B-Q8_0-00002-of-00002.gguf", 4_098_566_272), ("README.md", 900)],
           card="# MS-Alpha-7B-GGUF\n\nQuantised with llama.cpp.\n"),
    _model("iic", "MS-Alpha-7B", downloads=12_000, stars=33, license="Apache License 2.0",
           task="text-generation", tags=["chinese"], created=1750000000,
           files=[("config.json", 700), ("model.safetensors", 14_000_000_000)],
           card="# MS-Alpha-7B\n\nFirst published on ModelScope.\n"),
]

_SORT_KEYS = {"DownloadsCount": "Downloads", "StarsCount": "Stars", "GmtModified": "LastUpdatedTime",
              "Default": "Downloads"}


def _envelope(data: Any, code: int = 200, message: str = "", success: bool = True) -> HubResponse:
    return json_response(200, {"Code": code, "Data": data, "Message": message, "RequestId": str(uuid.uuid4()),
                               "Success": success})


class FakeModelScope(FakeHttpServer):
    METHODS = ("GET", "HEAD", "PUT")

    def __init__(self, models: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.models = list(MODELS if models is None else models)
        self.malformed = False
        self.envelope_error = False
        self.searches: list[dict[str, Any]] = []  # the bodies of every list request
        self.details_fail: dict[str, int] = {}
        self.readme_in_details = True
        self.details_requests: dict[str, int] = {}

    def _find(self, owner: str, name: str) -> dict[str, Any] | None:
        return next((m for m in self.models if (m["entry"]["Path"], m["entry"]["Name"]) == (owner, name)), None)

    def _route(self, req: Request) -> HubResponse:
        if self.malformed:
            return HubResponse(200, b'{"Code": 200, "Data": {"Model": {"Models": [{"Path": "Qwen", ')
        if self.envelope_error:
            return _envelope(None, code=10010205, message="Model not exist!", success=False)
        path = unquote(req.raw_path).rstrip("/")
        if req.method == "PUT" and path == "/api/v1/dolphin/models":
            return self._list(json.loads(req.body or b"{}"))
        parts = path.removeprefix("/api/v1/models/").split("/")
        if req.method == "GET" and path.startswith("/api/v1/models/") and len(parts) >= 2:
            model = self._find(parts[0], parts[1])
            if model is None:
                return _envelope(None, code=10010205, message="Model not exist!", success=False)
            rest = parts[2:]
            if not rest:
                mid = f"{parts[0]}/{parts[1]}"
                self.details_requests[mid] = self.details_requests.get(mid, 0) + 1
                status = self.details_fail.get(mid)
                if status == 0:
                    return _envelope(None, code=10010205, message="Model not exist!", success=False)
                if status is not None:
                    return json_response(status, {"Code": status, "Message": "failed", "Success": False})
                readme = {"ReadMeContent": model["card"]} if self.readme_in_details else {}
                return _envelope({**model["entry"], **readme, "Revision": "master"})
            if rest == ["repo", "files"]:
                return _envelope({"Files": self._files(model), "LatestCommitter": None})
            if rest == ["repo"]:
                wanted = req.last("FilePath")
                if wanted == "README.md" and model["card"] is not None:
                    return HubResponse(200, model["card"].encode(), content_type="text/plain; charset=utf-8")
                return json_response(404, {"Code": 10010205, "Message": "file not exist", "Success": False})
        return json_response(404, {"Code": 404, "Message": "not found", "Success": False})

    def _list(self, body: dict[str, Any]) -> HubResponse:
        self.searches.append(body)
        text = str(body.get("Name") or "").lower()
        found = [m["entry"] for m in self.models
                 if text in f"{m['entry']['Path']}/{m['entry']['Name']}".lower()]
        key = _SORT_KEYS.get(str(body.get("SortBy")), "Downloads")
        found.sort(key=lambda e: -e[key] if isinstance(e.get(key), int) else 0)
        size = int(body.get("PageSize") or 10)
        page = int(body.get("PageNumber") or 1)
        chunk = found[(page - 1) * size: page * size]
        return _envelope({"Model": {"Models": chunk, "TotalCount": len(found)}})

    @staticmethod
    def _files(model: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        folders = sorted({name.rsplit("/", 1)[0] for name, _ in model["files"] if "/" in name})
        for folder in folders:
            out.append({"Name": folder, "Path": folder, "Type": "tree", "Size": 0, "Sha256": "", "IsLFS": False,
                        "Mode": "040000", "Revision": "master", "CommitMessage": "upload"})
        for name, size in model["files"]:
            out.append({"Name": name.rsplit("/", 1)[-1], "Path": name, "Type": "blob", "Size": size,
                        "Sha256": uuid.uuid5(uuid.NAMESPACE_URL, name).hex * 2, "IsLFS": size > 10_000_000,
                        "Mode": "100644", "Revision": "master", "CommitMessage": "upload"})
        out.append({"Name": ".gitattributes", "Path": ".gitattributes", "Type": "blob", "Size": 1519, "Sha256": "",
                    "IsLFS": False, "Mode": "100644", "Revision": "master", "CommitMessage": "init"})
        return out
