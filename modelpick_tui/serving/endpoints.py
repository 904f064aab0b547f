"""Endpoints to send prompts to: a server modelpick runs, a remote endpoint it knows by name, or a bare
OpenAI-compatible URL. The compare screen, the runner and the judge all resolve endpoints here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from .spec import ServingError


class Server(Protocol):
    """What an endpoint is made of: the fields of a server's record (registry.Server). Protocols, this and the
    next, keep this module free of the supervisor and the registry (processes, SQL), so the screens can name an
    Endpoint without loading them."""

    name: str
    backend: str
    model: str
    served_model: str
    base_url: str
    api_key: str | None
    status: str
    error: str | None


class Servers(Protocol):
    """What resolving a name needs of the supervisor (a protocol, so the supervisor, whose backends
    normalise URLs here, is not imported back)."""

    def servers(self) -> Sequence[Server]: ...

    def get(self, name: str) -> Server: ...

    def reattach(self) -> object: ...


@dataclass(frozen=True)
class Endpoint:
    name: str  # what the user calls it (the server's name, or host:port for a bare URL)
    base_url: str  # the OpenAI base, …/v1
    model: str  # the name to put in a request's `model`
    api_key: str | None = field(default=None, repr=False)
    backend: str = "remote"  # llama | vllm | remote
    model_ref: str | None = None  # what pins the model: a GGUF path, a repo id or dir, a remote's name
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request (OpenRouter's attribution), none secret

    @property
    def public_url(self) -> str:
        """The base URL fit to store or show: any credentials in it replaced by ***."""
        return redact_url(self.base_url)

    def public(self) -> dict[str, str | None]:
        """What may be stored with a run: everything but the key (and a URL's password)."""
        return {"name": self.name, "base_url": self.public_url, "model": self.model, "backend": self.backend,
                "model_ref": self.model_ref}


def from_server(server: Server) -> Endpoint:
    spec = getattr(server, "spec", None)
    return Endpoint(name=server.name, base_url=server.base_url, model=server.served_model or server.model,
                    api_key=server.api_key, backend=server.backend, model_ref=server.model,
                    headers=tuple(getattr(spec, "headers", ()) or ()))


# Routes a user may paste with the base (the URL of one request rather than the API's root).
_ROUTES = ("/chat/completions", "/completions", "/models")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# `scheme://user:password@`, anywhere in a text (an error line quotes the URL it failed on).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")


def redact_url(text: str) -> str:
    """Every URL's credentials in `text` replaced by ***: `http://alice:S3cret@h/v1` → `http://***@h/v1`.
    The one redaction of URLs for whatever is printed, stored or exported."""
    return _USERINFO.sub(r"\1***@", text) if "@" in text else text


def split_credentials(url: str) -> tuple[str, str | None]:
    """(`url` without its `user:password@`, that `user:password` or None): the credentials go to a key
    file or stay in memory, the rest may be stored."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    return urlunsplit(parts._replace(netloc=host)), userinfo or None


def with_credentials(url: str, userinfo: str | None) -> str:
    """`url` with `user:password@` put back (in memory only: httpx sends it as Basic auth)."""
    if not userinfo:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc.rpartition('@')[2]}"))


def normalise_base_url(url: str) -> str:
    """The OpenAI base every client uses, from what a user types or pastes: `http://host:8000`, `host:8000`
    (http assumed), `…/v1/` and `…/v1/chat/completions` all become `http://host:8000/v1`.

    Raises ServingError (one line) for another scheme, a URL without a host or a bad port."""
    text = url.strip()
    if not _SCHEME.match(text):
        text = "http://" + text
    text = text.rstrip("/")
    for route in _ROUTES:
        text = text.removesuffix(route)
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ServingError(f"not an http(s) URL: {redact_url(url.strip())!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ServingError(f"bad port in URL: {redact_url(url.strip())!r}") from None
    return api_root(text)


def api_root(base_url: str) -> str:
    """`http://h:p`, `http://h:p/` and `http://h:p/v1/` all mean `http://h:p/v1`: the base as given, with the
    OpenAI prefix (a client's join, no checks; user input goes through `normalise_base_url`)."""
    root = base_url.strip().rstrip("/")
    return root if root.endswith("/v1") else root + "/v1"


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def available(supervisor: Servers) -> list[Endpoint]:
    """Every endpoint a prompt can go to now: ready servers and remote endpoints, by name."""
    return [from_server(s) for s in supervisor.servers() if s.status == "ready"]


def resolve(supervisor: Servers, text: str, *, model: str | None = None, api_key: str | None = None) -> Endpoint:
    """NAME (a server or remote endpoint modelpick knows, detached ones included) or URL (with `model`).

    Raises ServingError with one line for the user."""
    if is_url(text):
        base_url = normalise_base_url(text)
        if not model:
            raise ServingError(f"{redact_url(text)}: give the model name too (--model NAME)")
        # The name is stored with every trace: the host and port, never the URL's credentials (which stay
        # in the in-memory base URL only).
        netloc = urlsplit(split_credentials(base_url)[0]).netloc
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


def resolve_run_endpoints(supervisor: Servers, run: Mapping[str, Any],
                          keys: dict[str, str] | None = None) -> list[Endpoint]:
    """A stored run's endpoints, usable again: each by its name through the supervisor (servers and remote
    endpoints modelpick knows, with their keys), else — a bare URL — from the stored URL and model, with the
    key from `keys` (by name). Raises ServingError (one line) for one that is gone or not ready."""
    out: list[Endpoint] = []
    for stored in run.get("endpoints", []):
        name = stored["name"]
        key = (keys or {}).get(name)
        try:
            endpoint = resolve(supervisor, name, model=stored.get("model"), api_key=key)
        except ServingError:
            if not stored.get("base_url"):
                raise
            # Stored redacted: a URL's credentials lived in the first run's memory only.
            endpoint = Endpoint(name=name, base_url=split_credentials(stored["base_url"])[0],
                                model=stored["model"], api_key=key,
                                backend=stored.get("backend") or "remote", model_ref=stored.get("model_ref"))
        out.append(endpoint)
    return out
