"""Reading numbers out of config.json and GGUF values, where any key may be missing, null or of the wrong type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def pos_int(value: Any) -> int | None:
    """A strictly positive int from JSON/GGUF values, else None (bools are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    return None


def int_list(value: Any) -> list[int] | None:
    """A list of non-negative ints (per-layer arrays), else None."""
    if not isinstance(value, list | tuple) or not value:
        return None
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
            return None
        out.append(int(item))
    return out


def first(cfg: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if cfg.get(key) is not None:
            return cfg[key]
    return None
