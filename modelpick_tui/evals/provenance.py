"""Provenance of a model on the scoreboard: its parameters, licence and the pin a team records (a GGUF's
sha256, remembered by path, size and mtime; a commit of its Hugging Face repository), from the file, the HF
cache, the catalogue or at worst its name."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.counts import params_from_name

if TYPE_CHECKING:
    from ..catalog.store import CatalogStore

UNPINNED = "unpinned (remote endpoint)"
_HASH_CHUNK = 1 << 20


@dataclass
class Provenance:
    catalog_id: str | None = None
    params: int | None = None
    params_source: str = "unknown"  # catalogue | local scan | gguf | name | unknown
    params_active: int | None = None  # parameters one token reads (mixture of experts), from the catalogue
    license: str | None = None
    pin: str = UNPINNED  # what a team pins: "sha256:…", "revision …", or UNPINNED
    pin_kind: str = "unpinned"  # gguf-sha256 | hf-revision | catalogue-sha | unpinned
    file: str | None = None
    revision: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def file_sha256(path: Path, catalog: CatalogStore | None = None) -> str:
    """sha256 of a (multi-GB) file, remembered in the catalogue's meta table by path, size and mtime."""
    stat = path.stat()
    key = f"sha256:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    if catalog is not None:
        cached = catalog.get_meta(key)
        if cached:
            return cached
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if catalog is not None:
        catalog.set_meta(key, value)
    return value


_HF_SNAPSHOT = re.compile(r"models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/(?P<rev>[0-9a-f]{40})/")


def _hf_cache_revision(repo_id: str) -> str | None:
    from ..catalog.local import hf_hub_cache_dir

    ref = hf_hub_cache_dir() / f"models--{repo_id.replace('/', '--')}" / "refs" / "main"
    try:
        rev = ref.read_text().strip()
    except OSError:
        return None
    return rev or None


def provenance(catalog: CatalogStore, model: str, model_ref: str | None, *, pin: bool = True) -> Provenance:
    """Parameters, licence and pin of a model: from its GGUF file (hashed, unless `pin` is False), the HF
    cache, the catalogue, or at worst its name. Never raises for a missing or unreadable file: it says so in
    the pin."""
    prov = Provenance()
    ref = (model_ref or model or "").strip()
    repo_id: str | None = None
    path = Path(ref).expanduser() if ref and ("/" in ref or ref.endswith(".gguf")) else None
    if path is not None and path.is_file():
        prov.file = str(path.resolve())
        if not pin:
            prov.pin = "sha256 not computed yet"
        else:
            try:
                prov.pin, prov.pin_kind = "sha256:" + file_sha256(path, catalog), "gguf-sha256"
            except OSError as exc:
                prov.pin = f"unpinned (cannot read {path.name}: {exc.strerror or exc})"
        # The path as given names what the file is (an HF cache snapshot's file is a symlink into blobs/, and the
        # local scan stores the paths it walked, symlinks included); the resolved one is the same file reached
        # another way.
        given = str(path.absolute())
        m = _HF_SNAPSHOT.search(given) or _HF_SNAPSHOT.search(prov.file)
        if m:
            repo_id, prov.revision = f"{m['org']}/{m['name']}", m["rev"]
        local = catalog.local_file(given) or catalog.local_file(prov.file)
        if local and local["params"]:
            prov.params, prov.params_source = int(local["params"]), "local scan"
            repo_id = repo_id or local["model_id"]
        if prov.params is None and path.suffix.lower() == ".gguf":
            try:
                from ..catalog.gguf import read_gguf_metadata

                meta = read_gguf_metadata(path)
            except (OSError, ValueError):
                meta = {}
            if meta.get("GGUF.parameter_count"):
                prov.params, prov.params_source = int(meta["GGUF.parameter_count"]), "gguf"
            if meta.get("general.license"):
                prov.license = str(meta["general.license"])
    elif "@" in ref and not ref.startswith(("http://", "https://")):
        repo_id, prov.revision = ref.split("@", 1)
        if re.fullmatch(r"[0-9a-f]{7,40}", prov.revision or ""):  # a commit sha, full or short
            prov.pin, prov.pin_kind = f"{repo_id}@{prov.revision}", "hf-revision"
        else:  # a branch or tag moves: say so rather than pass it off as a pin
            prov.pin = f"{repo_id}@{prov.revision} (a branch or tag, not a commit: pin the commit sha)"
            prov.pin_kind = "unpinned"
    else:
        repo_id = ref
    for candidate in (repo_id, model):
        if candidate and catalog.exists(candidate):
            row = catalog.get(candidate) or {}
            prov.catalog_id = candidate
            if row.get("params") and prov.params_source not in ("local scan", "gguf"):
                prov.params, prov.params_source = int(row["params"]), "catalogue"
            if row.get("params_active"):
                prov.params_active = int(row["params_active"])
            prov.license = row.get("license") or prov.license
            if prov.pin_kind == "unpinned":
                rev = _hf_cache_revision(candidate)
                if rev:
                    prov.revision = rev
                    prov.pin, prov.pin_kind = f"{candidate}@{rev} (HF cache)", "hf-revision"
                elif row.get("sha"):
                    prov.revision = row["sha"]
                    prov.pin = f"{candidate}@{row['sha']} (catalogue; the Hub's head when synced: verify it is served)"
                    prov.pin_kind = "catalogue-sha"
            break
    if prov.params is None:
        guess = params_from_name(ref) or params_from_name(model)
        if guess:
            prov.params, prov.params_source = guess, "name"
    return prov
