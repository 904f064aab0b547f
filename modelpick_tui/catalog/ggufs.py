"""The GGUF files on this machine the start form offers: scanned folders, the packaged demo models and the
Hugging Face cache, each with its size and the catalogue's fit estimate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .details import LocalGguf
from .fit.quants import QuantFit
from .fit.weights import quant_from_filename
from .gguf import is_first_part, split_parts
from .local import CachedModel

Row = dict[str, Any]


def _fit(fits: list[QuantFit], filename: str) -> QuantFit | None:
    return next((f for f in fits if f.filename == filename), None)


def local_ggufs(local_files: Iterable[Row], cached: Iterable[CachedModel], get: Callable[[str], Row | None],
                fits: Callable[[Row], list[QuantFit]], demos: dict[str, str]) -> list[LocalGguf]:
    """Every servable GGUF file: the scanned ones that still exist (`local_files`, the store's rows; `demos` maps
    a packaged model's path to its package, in the demo's order) and the GGUF files of the cached repos. `get`
    reads a catalogue row, `fits` its fit table. The demo models first (source "demo"), then by model and file."""
    out: list[LocalGguf] = []
    for f in local_files:
        if not Path(f["path"]).is_file():
            continue
        row = get(f["model_id"]) or {}
        source = "demo" if f["path"] in demos else "scanned"
        out.append(LocalGguf(f["path"], f["model_id"], source, f["size"], f["quant"],
                             f.get("context_length") or row.get("context_length"), f.get("architecture") or "",
                             _fit(fits(row), f["path"]) if row else None))
    for model in cached:
        names = [n for n in model.files if n.lower().endswith(".gguf") and is_first_part(n)
                 and "mmproj" not in n.rsplit("/", 1)[-1].lower()]  # a vision projector is no model of its own
        if not names or model.snapshot is None:
            continue
        row = get(model.repo_id) or {}
        table = fits(row) if row else []
        for name in names:
            size = sum(model.files.get(part, 0) for part in split_parts(name)) or None
            out.append(LocalGguf(str(model.snapshot / name), model.repo_id, "HF cache", size, quant_from_filename(name),
                                 row.get("context_length"), str(row.get("architecture") or ""), _fit(table, name)))
    order = list(demos)
    return sorted(out, key=lambda g: (order.index(g.path) if g.path in demos else len(order), g.model_id.lower(),
                                      g.path))
