"""A catalogued model's quants (GGUF files, or weight dtypes) and the fit estimate of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..gguf import is_first_part, split_parts
from .arch import Arch
from .estimate import DEFAULT_CONTEXTS, FitEstimate, estimate
from .memory import Memory
from .weights import bits_per_weight, weights_bytes


@dataclass
class QuantFit:
    label: str  # the quant (Q4_K_M) or dtype (BF16)
    filename: str | None
    size: int | None
    estimate: FitEstimate


def quant_fits(row: Mapping[str, Any], arch: Arch | None, memory: Memory,
               contexts: tuple[int, ...] = DEFAULT_CONTEXTS) -> list[QuantFit]:
    """A fit table per GGUF quant file of a catalogue row; for other formats, per weight dtype from its params.
    ``arch`` None: weights only (see ``estimate``)."""
    out: list[QuantFit] = []
    for label, filename, size in _gguf_weights(row.get("files") or []):
        weights = size
        if weights is None and row.get("params") and bits_per_weight(label) is not None:
            weights = weights_bytes(row["params"], label)
        if weights is None:
            continue
        est = estimate(int(weights), arch, memory, contexts, runtime="llama.cpp")  # GGUF files run on llama.cpp
        out.append(QuantFit(label, filename, size, est))
    if not out and row.get("params"):
        dtype = _dtype_of(row)
        for label in dict.fromkeys([dtype, "FP8", "INT4"]):
            weights = weights_bytes(row["params"], label)
            out.append(QuantFit(label, None, None, estimate(weights, arch, memory, contexts)))
    return out


def _dtype_of(row: Mapping[str, Any]) -> str:
    config = row.get("config_json") or {}
    dtype = str(config.get("torch_dtype") or (config.get("text_config") or {}).get("torch_dtype") or "")
    return {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}.get(dtype, "BF16")


def _gguf_weights(files: list[dict[str, Any]]) -> list[tuple[str, str | None, int | None]]:
    """(quant, file to load, bytes of weights) per GGUF model file, smallest first.

    The parts of a split file are one entry (named by its first part, sized by all of them); a
    vision projector (mmproj) is an add-on loaded beside the weights, not a quant of its own."""
    groups: dict[str, dict[str, Any]] = {}
    for f in files:
        name = f.get("filename") or ""
        if f.get("format") != "gguf" or "mmproj" in name.rsplit("/", 1)[-1].lower():
            continue
        key = split_parts(name)[0]  # the parts of one split file share their first part's name
        group = groups.setdefault(key, {"label": f.get("quant") or "?", "filename": name, "size": 0})
        if is_first_part(name):
            group["filename"] = name
        size = f.get("size")
        group["size"] = None if size is None or group["size"] is None else group["size"] + size
    ordered = sorted(groups.values(), key=lambda g: (g["size"] is None, g["size"] or 0))
    return [(g["label"], g["filename"], g["size"]) for g in ordered]
