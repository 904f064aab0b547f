"""What the fit estimate needs of a model a server loaded, read from what it loaded: a GGUF file's header and size
(llama.cpp), a model folder's config.json and safetensors (vLLM), or for a repo id its newest snapshot in the
Hugging Face cache. measured.py sets that estimate beside the engine's own figures.

Apart from measured.py, which stays pure: the screens import that one, and this one reads files.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..catalog.fit.arch import arch_from_config, arch_from_gguf
from .engine_report import EngineReport
from .measured import EstimateInputs, Figure, compare, memory_kind


def _snapshot(repo_id: str) -> Path | None:
    """The snapshot `refs/main` points at in the Hugging Face cache, or None: a repo id vLLM loaded from there."""
    from ..catalog.local import hf_hub_cache_dir

    if repo_id.count("/") != 1 or repo_id.startswith(("/", ".", "~")):
        return None
    repo = hf_hub_cache_dir() / f"models--{repo_id.replace('/', '--')}"
    try:
        revision = (repo / "refs" / "main").read_text().strip()
    except OSError:
        return None
    snapshot = repo / "snapshots" / revision
    return snapshot if revision and snapshot.is_dir() else None


@lru_cache(maxsize=64)  # the servers screen asks every 2 s: read each file's header once
def inputs_for(backend: str, model_ref: str) -> EstimateInputs:
    """The estimate's inputs for the model a server loaded. Never raises: what cannot be read is None."""
    path = Path(model_ref).expanduser() if model_ref else None
    if backend == "llama" and path is not None and path.is_file():
        from ..catalog.gguf import read_gguf_metadata

        try:
            meta = read_gguf_metadata(path)
            size: int | None = path.stat().st_size
        except (OSError, ValueError):
            meta, size = {}, None
        return EstimateInputs(size, arch_from_gguf(meta) if meta else None)
    if backend == "vllm" and path is not None:
        folder = path if path.is_dir() else _snapshot(model_ref)
        if folder is None:
            return EstimateInputs(None, None)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            config = None
        arch = arch_from_config(config) if isinstance(config, dict) else None
        sizes = [f.stat().st_size for f in folder.glob("*.safetensors")]  # a cache's links: stat follows them
        return EstimateInputs(sum(sizes) if sizes else None, arch)
    return EstimateInputs(None, None)


def for_report(backend: str, model_ref: str, report: EngineReport) -> list[Figure]:
    """`measured.compare` for a server's report, with the estimate's inputs read from the model it loaded."""
    return compare(report, inputs_for(backend, model_ref), memory_kind(report))
