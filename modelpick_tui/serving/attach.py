"""What attaching a remote endpoint asks for: a name, an OpenAI base URL, a model (or none: the one the server
lists), and how its key comes (typed, kept in a 0600 file; or named by an environment variable, never stored).
The shortcuts for OpenRouter and a local Ollama build the same request. No HTTP here: the TUI's form and the CLI
build requests, the supervisor checks and records them."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .endpoints import normalise_base_url, redact_url
from .spec import ServingError

if TYPE_CHECKING:
    from ..settings import Settings

OPENROUTER_KEY_ENV = "OPENROUTER_API_KEY"
# OpenRouter's app attribution (its docs: "App Attribution"): who sends the requests. Neither is a secret.
OPENROUTER_HEADERS = (("HTTP-Referer", "https://pypi.org/project/modelpick-tui/"), ("X-Title", "modelpick"))
MODELS_SHOWN = 12  # a router lists hundreds: the line names this many


@dataclass(frozen=True)
class RemoteRequest:
    name: str
    base_url: str
    model: str | None  # None: the one model the server lists
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = None  # the key is read from this variable each time, and never written down
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def headers_dict(self) -> dict[str, str]:
        return dict(self.headers)

    def pick_from(self, listed: list[str]) -> RemoteRequest:
        """This request with the model the server lists, when it lists exactly one; ServingError (one line,
        naming them) when it lists none or several."""
        if len(listed) == 1:
            return replace(self, model=listed[0])
        url = redact_url(normalise_base_url(self.base_url))
        if not listed:
            raise ServingError(f"{url} lists no model at /v1/models: give the model name")
        shown = ", ".join(listed[:MODELS_SHOWN]) + (f" (+{len(listed) - MODELS_SHOWN} more)"
                                                     if len(listed) > MODELS_SHOWN else "")
        raise ServingError(f"{url} serves {len(listed)} models: pick one with --model NAME ({shown})")


def endpoint_name(prefix: str, model: str) -> str:
    """A server name (letters, digits, '.', '_', '-') from a model id: `qwen/qwen3-8b:free` → `PREFIX-qwen3-8b-free`."""
    tail = re.sub(r"[^A-Za-z0-9._-]+", "-", model.rsplit("/", 1)[-1]).strip("-._") or "model"
    return f"{prefix}-{tail}"[:64]


def openrouter_request(settings: Settings, model: str, name: str | None = None) -> RemoteRequest:
    """OpenRouter's model `model` (its id, e.g. qwen/qwen3-8b) through its OpenAI-compatible API, with the key from
    OPENROUTER_API_KEY (read at each use, never stored) and its attribution headers."""
    if not model.strip():
        raise ServingError("give the OpenRouter model id, e.g. --openrouter qwen/qwen3-8b (modelpick catalog sync "
                           "--source openrouter lists them)")
    if not os.environ.get(OPENROUTER_KEY_ENV):
        raise ServingError(f"{OPENROUTER_KEY_ENV} is not set: create a key at https://openrouter.ai/keys and export "
                           "it (modelpick reads it from the environment and never stores it)")
    return RemoteRequest(name or endpoint_name("openrouter", model), settings.openrouter_endpoint, model.strip(),
                         api_key_env=OPENROUTER_KEY_ENV, headers=OPENROUTER_HEADERS)


def ollama_request(settings: Settings, model: str, name: str | None = None) -> RemoteRequest:
    """A model of the local Ollama (OLLAMA_HOST, else 127.0.0.1:11434) through its OpenAI-compatible /v1."""
    from ..settings import ollama_base

    if not model.strip():
        raise ServingError("give the Ollama model, e.g. --ollama llama3.2:3b (ollama list shows them)")
    return RemoteRequest(name or endpoint_name("ollama", model), ollama_base(settings.ollama_host) + "/v1",
                         model.strip())


ADDERS: dict[str, Callable[[Settings, str, str | None], RemoteRequest]] = {
    "openrouter": openrouter_request, "ollama": ollama_request}
