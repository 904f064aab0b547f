"""What a test must not inherit from the shell that runs pytest, and how conftest's autouse fixture takes it away.

Two kinds of leak. The environment: modelpick and its libraries read HF_*, MODELPICK_*, proxies and the like
whenever asked, so clearing them per test is enough. And huggingface_hub's `constants`, which it computes once,
when first imported (here: when conftest imports it, before any fixture runs): `HF_HUB_OFFLINE=1 pytest` leaves
`constants.HF_HUB_OFFLINE` True for the whole session, `HF_ENDPOINT` its ENDPOINT, HF_HOME its token and cache
paths. Rather than list those names (a new huggingface_hub adds more), `reset_hub_constants` runs constants.py
again under the test's environment and puts back every value that came out different, in `constants` and in the
few huggingface_hub modules that copied one with `from .constants import NAME`.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
from huggingface_hub import constants as hf_constants

# By prefix: what modelpick reads (MODELPICK_*, and the sources' OLLAMA_HOST, OPENROUTER_API_KEY,
# MODELPICK_MODELSCOPE_ENDPOINT ...), and what huggingface_hub, transformers and vLLM read. (Not TEXTUAL_*: Textual
# reads them once, at import, and pytest-textual-snapshot passes its folder in one.)
CLEARED_PREFIXES = ("MODELPICK_", "HF_", "HUGGING_FACE_", "HUGGINGFACE_", "TRANSFORMERS_", "VLLM_", "OLLAMA_",
                    "OPENROUTER_", "MODELSCOPE_", "OPENAI_")
# One by one: huggingface_hub's cache root and telemetry switches, Rich's and Textual's colour and size,
# and proxies (httpx would send the tests' requests to 127.0.0.1 through a user's proxy).
CLEARED_NAMES = ("XDG_CACHE_HOME", "DO_NOT_TRACK", "DISABLE_TELEMETRY", "NO_COLOR", "FORCE_COLOR", "COLUMNS",
                 "LINES", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def cleared(name: str) -> bool:
    """Whether the autouse fixture removes this environment variable for every test."""
    upper = name.upper()
    return upper.startswith(CLEARED_PREFIXES) or upper in CLEARED_NAMES


def clear_environment(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for name in [n for n in environ if cleared(n)]:
        monkeypatch.delenv(name)


_ABSENT = object()


@functools.cache
def _constants_code() -> CodeType:
    path = Path(str(hf_constants.__file__))
    return compile(path.read_text(encoding="utf-8"), str(path), "exec")


def _constants_now() -> dict[str, Any]:
    """huggingface_hub's constants as its constants.py computes them from the environment as it is now (run in a
    namespace of its own: the real module stays the one in use)."""
    namespace: dict[str, Any] = {"__name__": "_hf_constants_now", "__file__": hf_constants.__file__}
    exec(_constants_code(), namespace)
    return {name: value for name, value in namespace.items() if name.isupper()}


def reset_hub_constants(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Give huggingface_hub the constants it would have computed had it been imported in this test's environment;
    the names that differ from what it computed at import, with their values now."""
    changed = {name: value for name, value in _constants_now().items()
               if getattr(hf_constants, name, _ABSENT) != value}
    for name, value in changed.items():
        monkeypatch.setattr(hf_constants, name, value, raising=False)
    # Copies made with `from ..constants import NAME` (the cache scanner's HF_HUB_CACHE, tqdm's progress-bar
    # switch, the git credential helper's ENDPOINT): only module attributes of a scalar type, only these names.
    for module_name, module in list(sys.modules.items()):
        if module is hf_constants or module is None or not module_name.startswith("huggingface_hub."):
            continue
        for name, value in changed.items():
            copied = vars(module).get(name, _ABSENT)
            if copied is not _ABSENT and isinstance(copied, str | bool | int | type(None)) and copied != value:
                monkeypatch.setattr(module, name, value)
    return changed
