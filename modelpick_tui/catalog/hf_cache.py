"""Where the Hugging Face cache is, apart from local.py's scans: the catalogue service and the Hub client resolve it
when they are made, before the browse table's first page, which needs none of local.py's imports (fit/, gguf)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def hf_hub_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The Hugging Face cache folder as huggingface_hub resolves it, from the environment as it is now.

    huggingface_hub reads HF_HUB_CACHE / HF_HOME once, when it is first imported; a process (or a test)
    that sets them later would otherwise read and write another cache than the one it named."""
    env = os.environ if env is None else env

    def expand(value: str) -> Path:
        return Path(os.path.expandvars(os.path.expanduser(value)))

    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(var):
            return expand(env[var])
    home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return expand(home) / "hub"
