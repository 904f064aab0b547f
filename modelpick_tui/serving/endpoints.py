"""Endpoints to send prompts to: a server modelpick runs, a remote endpoint it knows by name, or a bare
OpenAI-compatible URL. The compare screen, the runner and the judge all resolve endpoints here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .spec import ServingError

if TYPE_CHECKING:
    from .registry import Server
    from .supervisor import Supervisor


@dataclass(frozen=True)
class Endpoint:
    name: str  # what the user calls it (the server's name, or host:port for a bare URL)
    base_url: str  # the OpenAI base, …/v1
    model: str  # the name to put in a request's `model`
    api_key: str | None = field(default=None, repr=False)
    backend: str = "remote"  # llama | vllm | remote
    model_ref: str | None = None  # what pins the model: a GGUF path, a repo id or dir, a remote's name

    def public(self) -> dict[str, str | None]:
        """What may be stored with a run: everything but the key."""
        return {"name": self.name, "base_url": self.base_url, "model": self.model, "backend": self.backend,
                "model_ref": self.model_ref}


def from_server(server: Server) -> Endpoint:
    return Endpoint(name=server.name, base_url=server.base_url, model=server.served_model or server.model,
                    api_key=server.api_key, backend=server.backend, model_ref=server.model)


def normalise_base_url(url: str) -> str:
    """`http://host:8000`, `…/v1/` and `…/v1/chat/completions` all become `http://host:8000/v1`."""
    url = url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions", "/models"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServingError(f"not an http(s) URL: {url!r}")
    return url if url.endswith("/v1") else url + "/v1"


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def available(supervisor: Supervisor) -> list[Endpoint]:
    """Every endpoint a prompt can go to now: ready servers and remote endpoints, by name."""
    return [from_server(s) for s in supervisor.servers() if s.status == "ready"]


def resolve(supervisor: Supervisor, text: str, *, model: str | None = None, api_key: str | None = None) -> Endpoint:
    """NAME (a server or remote endpoint modelpick knows, detached ones included) or URL (with `model`).

    Raises ServingError with one line for the user."""
    if is_url(text):
        base_url = normalise_base_url(text)
        if not model:
            raise ServingError(f"{text}: give the model name too (--model NAME)")
        netloc = urlsplit(base_url).netloc
        return Endpoint(name=netloc, base_url=base_url, model=model, api_key=api_key, model_ref=model)
    try:
        server = supervisor.get(text)
    except ServingError:
        supervisor.reattach()  # a detached server or a remote endpoint another modelpick recorded
        server = supervisor.get(text)
    if server.status != "ready":
        cause = f": {server.error}" if server.error else ""
        raise ServingError(f"{text} is {server.status}{cause}")
    endpoint = from_server(server)
    if model:
        endpoint = Endpoint(**{**endpoint.__dict__, "model": model})
    if api_key:
        endpoint = Endpoint(**{**endpoint.__dict__, "api_key": api_key})
    return endpoint
