"""A catalogued model's quants (GGUF files, or weight dtypes) and the fit estimate of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..gguf import is_first_part, split_parts
from .arch import Arch
from .estimate import DEFAULT_CONTEXTS, FitEstimate, estimate
from .experts import active_share, expert_share
from .memory import Memory
from .weights import bits_per_weight, weights_bytes


@dataclass
class QuantFit:
    label: str  # the quant (Q4_K_M), dtype (BF16) or a checkpoint's native format (MXFP4)
    filename: str | None
    size: int | None
    estimate: FitEstimate
    stored: int = 0  # the repo's own weights: how many safetensors files its bytes are the sum of


def quant_fits(row: Mapping[str, Any], arch: Arch | None, memory: Memory,
               contexts: tuple[int, ...] = DEFAULT_CONTEXTS) -> list[QuantFit]:
    """A fit table per GGUF quant file of a catalogue row; for a safetensors repo, its weight files as stored
    (labelled with its native format: MXFP4, AWQ, BF16...) and then other formats from its parameter count.
    ``arch`` None: weights only (see ``estimate``). A mixture of experts reads its active share per token."""
    out: list[QuantFit] = []
    # A mixture of experts: a token reads its active share (speed); llama.cpp could keep the experts in RAM.
    share = active_share(arch, row.get("params"), row.get("params_active"))
    experts = expert_share(arch, row.get("params"))
    for label, filename, size in _gguf_weights(row.get("files") or []):
        weights = size
        if weights is None and row.get("params") and bits_per_weight(label) is not None:
            weights = weights_bytes(row["params"], label)
        if weights is None:
            continue
        est = estimate(int(weights), arch, memory, contexts, runtime="llama.cpp",  # GGUF files run on llama.cpp
                       active_weights_bytes=int(weights * share), expert_share=experts)
        out.append(QuantFit(label, filename, size, est))
    if out:
        return out
    stored = stored_weights(row.get("files") or [])
    native = row.get("native_format") or _dtype_of(row)
    if stored:
        # What the user would download and the runtime load: the repo's weight files, in its own format.
        size = sum(stored.values())
        est = estimate(size, arch, memory, contexts, active_weights_bytes=int(size * share))
        out.append(QuantFit(native, None, size, est, stored=len(stored)))
    if row.get("params"):
        # Beside it, what the same parameters would weigh in the other common formats.
        for label in dict.fromkeys([_dtype_of(row), "FP8", "INT4"]):
            if stored and label == native:
                continue
            weights = weights_bytes(row["params"], label)
            out.append(QuantFit(label, None, None, estimate(weights, arch, memory, contexts,
                                                            active_weights_bytes=int(weights * share))))
    return out


def stored_weights(files: list[dict[str, Any]]) -> dict[str, int]:
    """The safetensors files a runtime loads (name → bytes), {} when any size is unknown.

    Shards and weights kept in a subfolder count; copies in another layout do not: a repo with weights at its
    root loads those (Mistral's consolidated*.safetensors and an original/ folder are the same weights again,
    for other loaders), else the subfolder holding the most bytes."""
    by_folder: dict[str, dict[str, int | None]] = {}
    for f in files:
        name = str(f.get("filename") or "")
        if f.get("format") != "safetensors" and not name.endswith(".safetensors"):
            continue
        folder, _, base = name.rpartition("/")
        by_folder.setdefault(folder, {})[base] = f.get("size")
    if not by_folder:
        return {}
    folder = "" if "" in by_folder else max(by_folder, key=lambda k: sum(v or 0 for v in by_folder[k].values()))
    chosen = by_folder[folder]
    hf_layout = {k: v for k, v in chosen.items() if not k.startswith("consolidated")}
    chosen = hf_layout or chosen
    if any(size is None for size in chosen.values()):
        return {}
    prefix = f"{folder}/" if folder else ""
    return {prefix + name: int(size or 0) for name, size in sorted(chosen.items())}


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
