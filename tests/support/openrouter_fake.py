"""A fake OpenRouter on 127.0.0.1: `GET /api/v1/models` in the real shape (id, canonical_slug, hugging_face_id,
name, context_length, pricing with per-token prices as strings, architecture, top_provider), and its
OpenAI-compatible `POST /api/v1/chat/completions` (a short SSE answer; 401 without the key it was given).

    with FakeOpenRouter(key="sk-or-v1-test") as router:   # MODELPICK_OPENROUTER_ENDPOINT=router.api

Failures: FakeHttpServer's `fail_status` / `stall_seconds`; `malformed` (a body that is not JSON).
`requests` records every request's headers (HTTP-Referer and X-Title among them)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.support.hub_http import FakeHttpServer, HubResponse, Request, json_response

__all__ = ["HOSTED", "FakeOpenRouter"]


def _hosted(mid: str, hf: str | None, name: str, context: int, prompt: str, completion: str) -> dict[str, Any]:
    return {"id": mid, "canonical_slug": mid, "hugging_face_id": hf, "name": name, "created": 1745876632,
            "description": f"{name}, served by several providers.", "context_length": context,
            "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"],
                             "tokenizer": "Other", "instruct_type": None},
            "pricing": {"prompt": prompt, "completion": completion, "request": "0", "image": "0",
                        "web_search": "0", "internal_reasoning": "0"},
            "top_provider": {"context_length": context, "max_completion_tokens": 16384, "is_moderated": False},
            "per_request_limits": None, "supported_parameters": ["max_tokens", "temperature", "stop"]}


# Prices are $ per token, as OpenRouter writes them: 0.000000035 $/token is $0.035 per 1M tokens.
HOSTED: list[dict[str, Any]] = [
    _hosted("qwen/qwen3-8b", "Qwen/Qwen3-8B", "Qwen: Qwen3 8B", 128000, "0.000000035", "0.000000138"),
    _hosted("qwen/qwen3-8b:free", "Qwen/Qwen3-8B", "Qwen: Qwen3 8B (free)", 40960, "0", "0"),
    _hosted("meta-llama/llama-3.1-8b-instruct", "meta-llama/Meta-Llama-3.1-8B-Instruct",
            "Meta: Llama 3.1 8B Instruct", 131072, "0.00000002", "0.00000003"),
    _hosted("meta-llama/llama-3.1-70b-instruct", "meta-llama/llama-3.1-70b-instruct",
            "Meta: Llama 3.1 70B Instruct", 131072, "0.0000001", "0.00000028"),
    _hosted("openai/gpt-4o-mini", "", "OpenAI: GPT-4o-mini", 128000, "0.00000015", "0.0000006"),
    _hosted("openrouter/auto", None, "Auto Router", 2000000, "-1", "-1"),
]


class FakeOpenRouter(FakeHttpServer):
    METHODS = ("GET", "HEAD", "POST")

    def __init__(self, key: str | None = None, models: list[dict[str, Any]] | None = None) -> None:
        super().__init__(tokens=[key] if key else [])
        self.key = key
        self.models = list(HOSTED if models is None else models)
        self.malformed = False

    @property
    def api(self) -> str:
        """What MODELPICK_OPENROUTER_ENDPOINT holds: the API base (OpenAI's routes hang from it)."""
        return f"{self.url}/api/v1"

    def _route(self, req: Request) -> HubResponse:
        if self.malformed:
            return HubResponse(200, b'{"data": [{"id": "qwen/qwen3-8b", "pricing": {"prompt": ')
        path = req.raw_path.rstrip("/")
        if req.method == "GET" and path == "/api/v1/models":
            return json_response(200, {"data": self.models})
        if req.method == "POST" and path == "/api/v1/chat/completions":
            if self.key and req.token != self.key:
                return json_response(401, {"error": {"message": "No auth credentials found", "code": 401}})
            return self._chat(json.loads(req.body or b"{}"))
        return json_response(404, {"error": {"message": "Not Found", "code": 404}})

    def _chat(self, body: dict[str, Any]) -> HubResponse:
        model = body.get("model")
        if model not in {m["id"] for m in self.models}:
            return json_response(400, {"error": {"message": f"{model} is not a valid model ID", "code": 400}})
        created = int(time.time())
        pieces = ["Blue", " is", " calm", "."]
        lines = [": OPENROUTER PROCESSING\n\n"]  # OpenRouter's keep-alive comment before the first chunk
        for i, piece in enumerate(pieces):
            lines.append("data: " + json.dumps({
                "id": "gen-1764651234-abc", "provider": "DeepInfra", "model": model,
                "object": "chat.completion.chunk", "created": created,
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece},
                             "finish_reason": "stop" if i == len(pieces) - 1 else None,
                             "native_finish_reason": "stop" if i == len(pieces) - 1 else None}]}) + "\n\n")
        lines.append("data: [DONE]\n\n")
        return HubResponse(200, "".join(lines).encode(), content_type="text/event-stream")
