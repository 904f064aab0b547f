"""Paths and environment, read once when asked for (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def package_sample_dir() -> Path:
    """The embedded sample catalogue shipped beside the package (a checkout or an sdist)."""
    return Path(__file__).resolve().parent.parent / "sample_data"


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
        )

    def resolved_token(self) -> str | None:
        """HF_TOKEN from the environment, else huggingface_hub's own token store."""
        if self.hf_token:
            return self.hf_token
        try:
            from huggingface_hub import get_token

            return get_token()
        except Exception:  # a broken token file must not stop the catalogue
            return None
