"""OpenRouter's model list (GET /api/v1/models): where a model is hosted behind an API and at what price.

Each entry has `id` ("qwen/qwen3-8b"), `hugging_face_id` (the Hub repo, or "" / null for closed models),
`context_length` and `pricing` with `prompt` and `completion` in US dollars per token, as strings ("0.000000035";
"-1" where the price varies, as for openrouter/auto). MODELPICK_OPENROUTER_ENDPOINT points it elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import HubError
from .http import request_json

SOURCE = "OpenRouter"


@dataclass(frozen=True)
class HostedModel:
    """One OpenRouter model: its id, the Hub repo it serves, its context and its prices per token."""

    id: str
    name: str
    hugging_face_id: str
    context_length: int | None
    prompt_price: float | None  # $ per token; None: not published, or varies
    completion_price: float | None


def per_token(value: Any) -> float | None:
    """A price string as OpenRouter writes it, in $ per token; None where it is missing, negative or not a number."""
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not price.is_finite() or price < 0:
        return None
    return float(price)


def hosted_model(entry: dict[str, Any]) -> HostedModel | None:
    mid = entry.get("id")
    if not isinstance(mid, str) or not mid:
        return None
    pricing = entry.get("pricing")
    pricing = pricing if isinstance(pricing, dict) else {}
    context = entry.get("context_length")
    return HostedModel(
        id=mid, name=str(entry.get("name") or ""), hugging_face_id=str(entry.get("hugging_face_id") or ""),
        context_length=context if isinstance(context, int) and context > 0 else None,
        prompt_price=per_token(pricing.get("prompt")), completion_price=per_token(pricing.get("completion")),
    )


class OpenRouterClient:
    def __init__(self, endpoint: str, *, timeout: float = 10.0, deadline: float = 30.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline

    def list_models(self) -> list[HostedModel]:
        """Every model OpenRouter lists (one request, no key needed)."""
        body = request_json(SOURCE, "GET", f"{self.endpoint}/models", what="the model list", timeout=self.timeout,
                            deadline=self.deadline, auth_hint="; check OPENROUTER_API_KEY")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise HubError("error", f"{SOURCE} answered the model list without its `data` list")
        return [m for m in (hosted_model(e) for e in data if isinstance(e, dict)) if m is not None]
