"""Hub model info → the facts modelpick keeps per model (pure functions, no IO)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .counts import count_params
from .fit.weights import quant_from_filename

# --- licenses ---------------------------------------------------------------------------

PERMISSIVE = {
    "apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc",
    "unlicense", "cc0-1.0", "cc-by-4.0", "cc-by-3.0", "zlib", "bsl-1.0", "postgresql", "ncsa",
}  # fmt: skip
COPYLEFT = {"gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "agpl-3.0", "cc-by-sa-4.0",
            "cc-by-sa-3.0", "mpl-2.0", "epl-2.0", "osl-3.0", "eupl-1.2"}
# Community licences: commercial use allowed under the publisher's own conditions (read them).
COMMUNITY = {"llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "openrail",
             "openrail++", "bigscience-openrail-m", "creativeml-openrail-m", "bigcode-openrail-m",
             "bigscience-bloom-rail-1.0", "deepseek", "tongyi-qianwen", "apple-ascl", "other",
             "falcon-llm-license", "nvidia-open-model-license", "modified-mit"}


@dataclass(frozen=True)
class LicenseClass:
    name: str  # as declared, lower-case; "" when missing
    family: str  # permissive | copyleft | community | non-commercial | unknown
    permissive: bool

    @property
    def label(self) -> str:
        return self.name or "none"


def classify_license(name: str | None) -> LicenseClass:
    """Sort a declared licence into a family; a missing licence is 'unknown', never permissive."""
    lic = (name or "").strip().lower()
    if not lic or lic in {"unknown", "none", "n/a"}:
        return LicenseClass("", "unknown", False)
    if lic in PERMISSIVE:
        return LicenseClass(lic, "permissive", True)
    if "-nc" in lic or "noncommercial" in lic or "non-commercial" in lic or "research" in lic:
        return LicenseClass(lic, "non-commercial", False)
    if lic in COPYLEFT or lic.startswith(("gpl", "agpl", "lgpl")):
        return LicenseClass(lic, "copyleft", False)
    if lic in COMMUNITY or lic.startswith(("llama", "gemma")):
        return LicenseClass(lic, "community", False)
    return LicenseClass(lic, "community", False)


# --- size classes -----------------------------------------------------------------------

SIZE_CLASSES = ("<3B", "3-8B", "8-15B", "15-40B", "40-100B", ">100B", "unknown")
# Upper bounds in billions. They sit half a billion above the nominal sizes so that a model
# is classed by the size in its name: Llama 3.1 8B has 8.03B parameters and belongs in 3-8B.
_SIZE_BOUNDS = ((3.0, "<3B"), (8.5, "3-8B"), (15.5, "8-15B"), (40.5, "15-40B"), (100.5, "40-100B"))


def size_class(params: int | None) -> str:
    """The parameter class a user filters on."""
    if not params or params <= 0:
        return "unknown"
    billions = params / 1e9
    for bound, name in _SIZE_BOUNDS:
        if billions < bound:
            return name
    return ">100B"


# --- formats and files ------------------------------------------------------------------

FORMATS = ("gguf", "safetensors", "awq", "gptq", "exl2", "mlx", "onnx", "pytorch", "bnb")


@dataclass(frozen=True)
class ModelFile:
    filename: str
    size: int | None
    quant: str | None
    format: str
    sha256: str | None = None


def file_format(filename: str) -> str | None:
    lower = filename.lower()
    if lower.endswith(".gguf"):
        return "gguf"
    if lower.endswith(".safetensors"):
        return "safetensors"
    if lower.endswith(".onnx") or lower.endswith(".onnx_data"):
        return "onnx"
    if lower.endswith(".bin") and "pytorch_model" in lower:
        return "pytorch"
    return None


def detect_formats(model_id: str, tags: list[str], filenames: list[str]) -> list[str]:
    tagset = {t.lower() for t in tags}
    lower_id = model_id.lower()
    found = {f for f in (file_format(n) for n in filenames) if f}
    for fmt in ("gguf", "safetensors", "onnx", "mlx", "awq", "gptq", "exl2"):
        if fmt in tagset:
            found.add(fmt)
    for fmt in ("awq", "gptq", "exl2", "mlx"):
        if re.search(rf"(^|[-_/.]){fmt}([-_.]|$)", lower_id):
            found.add(fmt)
    if "bitsandbytes" in tagset or "bnb" in lower_id:
        found.add("bnb")
    if "pytorch" in tagset and not found:
        found.add("pytorch")
    return [f for f in FORMATS if f in found]


# --- the facts --------------------------------------------------------------------------


@dataclass
class ModelFacts:
    """One catalogue row plus its files, as stored in the `models` and `model_files` tables."""

    id: str
    author: str = ""
    task: str = ""
    library: str = ""
    tags: list[str] = field(default_factory=list)
    license: str = ""
    gated: str = ""
    downloads: int = 0
    likes: int = 0
    trending: int = 0
    created_at: str = ""
    last_modified: str = ""
    sha: str = ""
    params: int | None = None
    params_active: int | None = None  # a mixture of experts' parameters one token reads (fit/params.py)
    params_source: str = ""  # PARAMS_SOURCES: where `params` comes from
    native_format: str = ""  # a natively quantised checkpoint's weight format: MXFP4, AWQ, FP8...
    context_length: int | None = None
    architecture: str = ""
    formats: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    base_model: str = ""
    config_json: dict[str, Any] | None = None
    files: list[ModelFile] = field(default_factory=list)
    source: str = "hub"

    @property
    def license_class(self) -> LicenseClass:
        return classify_license(self.license)

    @property
    def size_class(self) -> str:
        return size_class(self.params)

    def to_row(self, synced_at: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "task": self.task,
            "library": self.library,
            "tags": json.dumps(self.tags),
            "license": self.license,
            "permissive": int(self.license_class.permissive),
            "gated": self.gated,
            "downloads": self.downloads,
            "likes": self.likes,
            "trending": self.trending,
            "created_at": self.created_at,
            "last_modified": self.last_modified,
            "sha": self.sha,
            "params": self.params,
            "params_active": self.params_active,
            "params_source": self.params_source,
            "native_format": self.native_format,
            "size_class": self.size_class,
            "context_length": self.context_length,
            "architecture": self.architecture,
            "formats": " " + " ".join(self.formats) + " " if self.formats else "",
            "languages": json.dumps(self.languages),
            "base_model": self.base_model,
            "config_json": json.dumps(self.config_json) if self.config_json else None,
            "source": self.source,
            "synced_at": synced_at,
        }


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value or "")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]


def _card_get(card_data: Any, key: str) -> Any:
    if card_data is None:
        return None
    if isinstance(card_data, dict):
        return card_data.get(key)
    return getattr(card_data, key, None)


def context_from_config(config: dict[str, Any] | None) -> int | None:
    """max_position_embeddings (or the nested text_config's), else None."""
    if not config:
        return None
    for cfg in (config, config.get("text_config") or {}, config.get("llm_config") or {}):
        for key in ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions"):
            value = cfg.get(key) if isinstance(cfg, dict) else None
            if isinstance(value, int) and value > 0:
                return value
    return None


def facts_from_info(info: Any, config_json: dict[str, Any] | None = None, source: str = "hub") -> ModelFacts:
    """Build facts from a huggingface_hub `ModelInfo`; every key may be missing."""
    tags = list(info.tags or [])
    card = info.card_data
    license_name = _card_get(card, "license")
    if isinstance(license_name, list):
        license_name = license_name[0] if license_name else None
    if not license_name:
        license_name = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), "")
    gguf = info.gguf if isinstance(info.gguf, dict) else {}
    siblings = info.siblings or []
    filenames = [s.rfilename for s in siblings]
    formats = detect_formats(info.id, tags, filenames)
    count = count_params(info, config_json, formats)
    files = []
    for s in siblings:
        fmt = file_format(s.rfilename)
        if fmt in ("gguf", "safetensors"):  # GGUF quants to pick from; safetensors weights to size the fit
            sha = s.lfs.sha256 if s.lfs is not None else None
            quant = quant_from_filename(s.rfilename) if fmt == "gguf" else None
            files.append(ModelFile(s.rfilename, s.size, quant, fmt, sha))
    languages = _as_list(_card_get(card, "language"))
    base = _as_list(_card_get(card, "base_model"))
    architecture = ""
    if isinstance(info.config, dict):
        architecture = info.config.get("model_type") or ""
    if not architecture and config_json:
        architecture = config_json.get("model_type") or ""
    architecture = architecture or gguf.get("architecture") or ""
    # A GGUF repo's own header is what llama.cpp will run; a config borrowed from its base model is not.
    gguf_only = bool(gguf) and info.safetensors is None
    if gguf_only and gguf.get("context_length"):
        context = gguf.get("context_length")
    else:
        context = context_from_config(config_json) or gguf.get("context_length")
    gated = info.gated if info.gated in ("auto", "manual") else ("manual" if info.gated is True else "")
    return ModelFacts(
        id=info.id,
        author=info.author or info.id.split("/")[0],
        task=info.pipeline_tag or "",
        library=info.library_name or "",
        tags=tags,
        license=str(license_name or "").lower(),
        gated=gated,
        downloads=int(info.downloads or 0),
        likes=int(info.likes or 0),
        trending=int(info.trending_score or 0),
        created_at=_iso(info.created_at),
        last_modified=_iso(info.last_modified),
        sha=info.sha or "",
        params=count.params,
        params_active=count.active,
        params_source=count.source,
        native_format=count.native_format,
        context_length=int(context) if context else None,
        architecture=architecture,
        formats=formats,
        languages=languages,
        base_model=base[0] if base else "",
        config_json=config_json,
        files=files,
        source=source,
    )


# --- what a model card says (card.py parses it) ---------------------------------------------------------


@dataclass
class EvalRow:
    """One metric from the card's model-index."""

    task: str
    dataset: str
    metric: str
    value: float | str
    verified: bool | None = None
    source: str | None = None


def _no_checklist() -> dict[str, bool]:
    # The checklist's rules (regular expressions) are imported with the first card, not with the catalogue's rows.
    from .card_checklist import CHECKLIST_ITEMS

    return dict.fromkeys(CHECKLIST_ITEMS, False)


@dataclass
class CardFacts:
    """What a model card says, plus what it is missing."""

    license: str | None = None
    license_name: str | None = None
    base_models: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    tags: list[str] = field(default_factory=list)
    eval_results: list[EvalRow] = field(default_factory=list)
    checklist: dict[str, bool] = field(default_factory=_no_checklist)
    body: str = ""
    sections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def quality(self) -> tuple[int, int]:
        """(items present, items checked) from the card's checklist."""
        return sum(1 for v in self.checklist.values() if v), len(self.checklist)
