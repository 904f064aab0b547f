"""What is already on this machine: the Hugging Face cache and GGUF files in folders the user names."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fit
from .facts import ModelFacts, ModelFile

_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})$")


@dataclass
class ScanReport:
    found: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    facts: list[ModelFacts] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def hf_cache_repo_ids(cache_dir: Path | None = None) -> list[str]:
    """Model repos with files in the Hugging Face cache (`scan_cache_dir`); [] when there is no cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir)
    except (CacheNotFound, OSError):
        return []
    return sorted(r.repo_id for r in info.repos if r.repo_type == "model" and r.nb_files > 0)


def iter_gguf_files(root: Path, max_depth: int = 6) -> Iterator[Path]:
    """GGUF files under `root` (first part only for split files), not following symlinked folders."""
    root = root.expanduser()
    base_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        if len(Path(dirpath).parts) - base_depth >= max_depth:
            dirnames[:] = []
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in sorted(filenames):
            if not name.lower().endswith(".gguf"):
                continue
            m = _SPLIT.search(name[:-5])
            if m and m.group(1) != "00001":
                continue
            yield Path(dirpath) / name


def _split_size(path: Path) -> int:
    """Total size of a (possibly split) GGUF model."""
    m = _SPLIT.search(path.name[:-5])
    if not m:
        return path.stat().st_size
    stem = path.name[: m.start()]
    total = 0
    for i in range(1, int(m.group(2)) + 1):
        part = path.with_name(f"{stem}-{i:05d}-of-{m.group(2)}.gguf")
        if part.exists():
            total += part.stat().st_size
    return total


def _split_params(path: Path, meta: dict[str, Any]) -> int | None:
    """Parameters of a (possibly split) GGUF model: each shard counts its own tensors."""
    count = meta.get("GGUF.parameter_count")
    m = _SPLIT.search(path.name[:-5])
    if not m or not isinstance(count, int):
        return count if isinstance(count, int) and count > 0 else None
    stem, total = path.name[: m.start()], 0
    for i in range(1, int(m.group(2)) + 1):
        part = path.with_name(f"{stem}-{i:05d}-of-{m.group(2)}.gguf")
        try:
            part_count = fit.read_gguf_metadata(part).get("GGUF.parameter_count") if i > 1 else count
        except (OSError, ValueError):
            return None
        total += int(part_count or 0)
    return total or None


def local_model_id(path: Path) -> str:
    stem = path.name[:-5]
    m = _SPLIT.search(stem)
    if m:
        stem = stem[: m.start()]
    return f"local/{stem}"


def scan_gguf_dir(root: Path, now: str) -> ScanReport:
    """Read each GGUF file's metadata (architecture, parameters, context, quant) with the gguf package."""
    report = ScanReport()
    for path in iter_gguf_files(root):
        try:
            meta = fit.read_gguf_metadata(path)
        except Exception as exc:  # truncated or foreign file: report it, keep scanning
            report.errors.append(f"{path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            continue
        arch_name = str(meta.get("general.architecture") or "")
        context = meta.get(f"{arch_name}.context_length")
        quant = fit.quant_from_gguf(meta) or fit.quant_from_filename(path.name)
        params = _split_params(path, meta)
        size = _split_size(path)
        model_id = local_model_id(path)
        # Keep what the fit estimate needs (scalars and per-layer lists), not the chat template.
        arch_meta = {k: v for k, v in meta.items()
                     if (isinstance(v, int | float) or (isinstance(v, str) and len(v) < 256)
                         or (isinstance(v, list) and len(v) <= 1024 and all(isinstance(x, int) for x in v)))}
        license_name = str(meta.get("general.license") or "").lower()
        facts = ModelFacts(
            id=model_id,
            author="local",
            task="text-generation" if arch_name and "bert" not in arch_name else "",
            library="gguf",
            tags=["gguf", "local"] + ([arch_name] if arch_name else []),
            license=license_name,
            params=params,
            context_length=int(context) if isinstance(context, int) else None,
            architecture=arch_name,
            formats=["gguf"],
            base_model=str(meta.get("general.base_model.0.repo_url") or "").removeprefix(
                "https://huggingface.co/"
            ),
            config_json={"gguf": arch_meta},
            files=[ModelFile(str(path), size, quant, "gguf")],
            source="local",
            last_modified=now,
        )
        report.facts.append(facts)
        report.rows.append(
            {
                "path": str(path),
                "model_id": model_id,
                "size": size,
                "quant": quant,
                "architecture": arch_name,
                "params": params,
                "context_length": facts.context_length,
                "metadata_json": None,
                "scanned_at": now,
                "error": None,
            }
        )
        report.found.append(f"{path} ({arch_name or '?'}, {quant or '?'}, {fit.format_bytes(size)})")
    return report
