"""A fake local Ollama on 127.0.0.1: `GET /api/tags` in Ollama's shape, and its OpenAI-compatible `/v1/models` and
`/v1/chat/completions` (streamed the way Ollama streams: a chunk per piece with `system_fingerprint: fp_ollama`, a
last chunk with `finish_reason`, then `[DONE]`). Standard library only, on the fake Hub's HTTP server.

    with FakeOllama() as ollama:            # models: llama3.2:3b and qwen3:0.6b
        env OLLAMA_HOST=ollama.host  →  modelpick lists and attaches them

Failures: `fail_status`, `stall_seconds` (from FakeHttpServer), `malformed = True` (a body that is not JSON).
Files: `write_models_dir(root, {name: gguf_path})` lays out ~/.ollama/models (manifests + sha256-… blobs).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from tests.support.hub_http import FakeHttpServer, HubResponse, Request, json_response

__all__ = ["ANSWER", "FakeOllama", "write_models_dir"]

ANSWER = ["Red", ",", " green", " and", " blue", "."]

DEFAULT_MODELS: list[dict[str, Any]] = [
    {"name": "llama3.2:3b", "model": "llama3.2:3b", "modified_at": "2026-10-02T09:12:44.190183573Z",
     "size": 2019393189, "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
     "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                 "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}},
    {"name": "qwen3:0.6b", "model": "qwen3:0.6b", "modified_at": "2026-09-14T18:01:02.5512Z",
     "size": 522653767, "digest": "7df6b6e09427a769808717c0a93cadc4ae99ed4eb8bf5ca557c90846becea435",
     "details": {"parent_model": "", "format": "gguf", "family": "qwen3", "families": ["qwen3"],
                 "parameter_size": "751.63M", "quantization_level": "Q4_K_M"}},
]


class FakeOllama(FakeHttpServer):
    METHODS = ("GET", "HEAD", "POST")

    def __init__(self, models: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.reject_invalid_tokens = False  # Ollama takes any key (clients send "ollama")
        self.models = list(DEFAULT_MODELS if models is None else models)
        self.malformed = False

    @property
    def host(self) -> str:
        """What OLLAMA_HOST holds to point at this fake."""
        return f"127.0.0.1:{self.port}"

    def _route(self, req: Request) -> HubResponse:
        if self.malformed:
            return HubResponse(200, b'{"models": [{"name": "llama3.2:3b", "si')
        path = req.raw_path.rstrip("/")
        if req.method == "GET" and path == "/api/tags":
            return json_response(200, {"models": self.models})
        if req.method == "GET" and path == "/api/version":
            return json_response(200, {"version": "0.12.3"})
        if req.method == "GET" and path == "/v1/models":
            return json_response(200, {"object": "list", "data": [
                {"id": m["name"], "object": "model", "created": 1759396364, "owned_by": "library"}
                for m in self.models]})
        if req.method == "POST" and path == "/v1/chat/completions":
            return self._chat(json.loads(req.body or b"{}"))
        return HubResponse(404, b"404 page not found", content_type="text/plain")

    def _chat(self, body: dict[str, Any]) -> HubResponse:
        model = body.get("model")
        if model not in {m["name"] for m in self.models}:
            return json_response(404, {"error": {"message": f'model "{model}" not found, try pulling it first',
                                                 "type": "api_error", "param": None, "code": None}})
        created = int(time.time())
        pieces = ANSWER[: int(body.get("max_tokens") or len(ANSWER))]

        def chunk(delta: dict[str, str], finish: str | None) -> str:
            return "data: " + json.dumps({
                "id": "chatcmpl-417", "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"

        if not body.get("stream"):
            return json_response(200, {
                "id": "chatcmpl-417", "object": "chat.completion", "created": created, "model": model,
                "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(pieces)},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": len(pieces), "total_tokens": 12 + len(pieces)}})
        events = [chunk({"role": "assistant", "content": p}, None) for p in pieces]
        events.append(chunk({"role": "assistant", "content": ""},
                            "length" if len(pieces) < len(ANSWER) else "stop"))
        events.append("data: [DONE]\n\n")
        return HubResponse(200, "".join(events).encode(), content_type="text/event-stream")


def write_models_dir(root: Path, models: dict[str, Path]) -> Path:
    """Ollama's model folder under `root`: for each `name:tag`, a manifest under manifests/registry.ollama.ai/… and
    its weights as blobs/sha256-<digest> (a link to the GGUF given), a template layer beside it."""
    for name, gguf in models.items():
        model, _, tag = name.partition(":")
        namespace, _, model = model.rpartition("/")
        digest = hashlib.sha256(str(gguf).encode()).hexdigest()  # a stand-in: the scan does not hash 100 MB
        blobs = root / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        blob = blobs / f"sha256-{digest}"
        if not blob.exists():
            os.symlink(gguf, blob)
        template = b"{{ .Prompt }}"
        template_digest = hashlib.sha256(template).hexdigest()
        (blobs / f"sha256-{template_digest}").write_bytes(template)
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                               "digest": f"sha256:{template_digest}", "size": len(template)},
                    "layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
                                "size": gguf.stat().st_size if gguf.exists() else 0},
                               {"mediaType": "application/vnd.ollama.image.template",
                                "digest": f"sha256:{template_digest}", "size": len(template)}]}
        folder = root / "manifests" / "registry.ollama.ai" / (namespace or "library") / model
        folder.mkdir(parents=True, exist_ok=True)
        (folder / (tag or "latest")).write_text(json.dumps(manifest))
    return root
