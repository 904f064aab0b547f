"""A local Ollama: its models (GET /api/tags) while it answers, and its GGUF blobs on disk.

Ollama is asked only where it is meant to be (OLLAMA_HOST, as Ollama itself reads it, else 127.0.0.1:11434), with
a short connect timeout: where no Ollama runs, the probe costs a refused connection and says nothing. Its models
are served through its OpenAI-compatible /v1 (serving/attach.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...settings import ollama_base
from .errors import HubError
from .http import request_json

# The manifest layer that holds the weights (the GGUF file); the others are template, params, licence, system.
MODEL_LAYER = "application/vnd.ollama.image.model"


@dataclass(frozen=True)
class OllamaModel:
    """One model `GET /api/tags` lists."""

    name: str  # what requests name: "llama3.2:3b"
    size: int | None  # bytes of its weights
    digest: str
    modified_at: str
    family: str
    parameter_size: str  # as Ollama writes it: "3.2B"
    quantization: str  # "Q4_K_M"
    format: str  # "gguf"


def _model(entry: Mapping[str, Any]) -> OllamaModel | None:
    name = entry.get("name") or entry.get("model")
    if not isinstance(name, str) or not name:
        return None
    details = entry.get("details")
    details = details if isinstance(details, dict) else {}
    size = entry.get("size")
    return OllamaModel(
        name=name, size=size if isinstance(size, int) else None, digest=str(entry.get("digest") or ""),
        modified_at=str(entry.get("modified_at") or ""), family=str(details.get("family") or ""),
        parameter_size=str(details.get("parameter_size") or ""),
        quantization=str(details.get("quantization_level") or ""), format=str(details.get("format") or ""),
    )


class OllamaClient:
    """GET /api/tags of the local Ollama, over httpx, bounded in time and size."""

    def __init__(self, host: str = "", *, connect_timeout: float = 0.3, timeout: float = 5.0) -> None:
        self.base = ollama_base(host)
        self.connect_timeout = connect_timeout
        self.timeout = timeout

    def models(self) -> list[OllamaModel] | None:
        """The models Ollama has, or None when no Ollama answers there (nothing to say: most machines have none).
        An Ollama that answers badly raises HubError with one line."""
        try:
            body = request_json(f"Ollama at {self.base}", "GET", f"{self.base}/api/tags", what="/api/tags",
                                timeout=self.timeout, deadline=self.timeout, connect_timeout=self.connect_timeout)
        except HubError as err:
            if err.kind == "unreachable":
                return None
            raise
        entries = body.get("models") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise HubError("error", f"Ollama at {self.base}: /api/tags is not a model list")
        return [m for m in (_model(e) for e in entries if isinstance(e, dict)) if m is not None]


# --- its files on disk --------------------------------------------------------------------------


def models_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where Ollama keeps models: OLLAMA_MODELS, else ~/.ollama/models."""
    env = os.environ if env is None else env
    return Path(os.path.expanduser(env.get("OLLAMA_MODELS") or "~/.ollama/models"))


@dataclass(frozen=True)
class OllamaBlob:
    """A model's GGUF blob, named by its manifest."""

    name: str  # "llama3.2:3b", or "namespace/model:tag" outside the library, "host/…/model:tag" off the registry
    path: Path  # blobs/sha256-<hex>
    size: int


def _manifest_name(rel: Path) -> str:
    """manifests/<registry>/<namespace>/<model>/<tag> → the name `ollama run` takes."""
    parts = rel.parts
    if len(parts) < 4:
        return "/".join(parts)
    registry, namespace, model, tag = parts[0], parts[1], "/".join(parts[2:-1]), parts[-1]
    if registry == "registry.ollama.ai":
        return f"{model}:{tag}" if namespace == "library" else f"{namespace}/{model}:{tag}"
    return f"{registry}/{namespace}/{model}:{tag}"


def scan_blobs(root: Path | None = None) -> tuple[list[OllamaBlob], list[str]]:
    """The GGUF blobs Ollama's manifests name (their weights layer), and one line per manifest passed over."""
    root = root or models_dir()
    manifests = root / "manifests"
    found: list[OllamaBlob] = []
    errors: list[str] = []
    if not manifests.is_dir():
        return found, errors
    for dirpath, dirnames, filenames in os.walk(manifests):
        dirnames.sort()
        for fname in sorted(filenames):
            path = Path(dirpath) / fname
            try:
                if path.stat().st_size > 1_000_000:
                    raise ValueError("too large for a manifest")
                manifest = json.loads(path.read_text(encoding="utf-8"))
                layers = manifest["layers"]
                layer = next(x for x in layers if isinstance(x, dict) and x.get("mediaType") == MODEL_LAYER)
                digest = str(layer["digest"])
            except StopIteration:
                continue  # an adapter or embedding-only manifest: no weights of its own
            except (OSError, ValueError, KeyError, TypeError) as exc:
                errors.append(f"{path}: not an Ollama manifest ({type(exc).__name__})")
                continue
            algo, _, hexdigest = digest.partition(":")
            if algo != "sha256" or not hexdigest.isalnum():
                errors.append(f"{path}: not an Ollama manifest (digest {digest[:20]!r})")
                continue
            blob = root / "blobs" / f"sha256-{hexdigest}"
            try:
                size = blob.stat().st_size
            except OSError:
                errors.append(f"{path}: its weights blob {blob.name} is missing")
                continue
            found.append(OllamaBlob(_manifest_name(path.relative_to(manifests)), blob, size))
    return found, errors
