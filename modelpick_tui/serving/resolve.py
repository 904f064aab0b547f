"""`PATH_OR_REPO[:QUANT]` → one GGUF file for llama.cpp, and the chat format to serve it with.

- a `.gguf` file;
- a folder of GGUF files: the one of QUANT, else the only one, else an error naming the quants there;
- a Hub repo id `owner/name`: the quant file found in the Hugging Face cache first, else downloaded
  (through `catalog/sources/hub.py`, the only module that talks to the Hub). Which file is the QUANT comes from the
  cached snapshot, the catalogue's `model_files`, or the Hub's file list, in that order.

Errors are a `ResolveError` with one line for the user.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.fit.memory import format_bytes
from ..catalog.fit.weights import quant_from_filename
from ..catalog.gguf import is_first_part, split_parts
from .plan import chat_format_for
from .spec import ServingError

if TYPE_CHECKING:
    from ..catalog.sources.hub import HubClient
    from ..catalog.store import CatalogStore

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

Progress = Callable[[str, int, int | None], None]  # (file name, bytes done, total)


class ResolveError(ServingError):
    """The model cannot be turned into a GGUF file; the message is one line."""


@dataclass(frozen=True)
class ResolvedGGUF:
    path: Path
    source: str  # file | folder | cache | download
    quant: str | None = None
    repo_id: str | None = None


def canonical_quant(text: str) -> str:
    """"q4_k_m" → "Q4_K_M", the way file names are read."""
    return quant_from_filename(f"x-{text}.gguf") or text.upper()


def split_spec(text: str) -> tuple[str, str | None]:
    """`PATH_OR_REPO[:QUANT]` → (target, quant). A path that exists as given keeps any colon it has."""
    if Path(text).expanduser().exists():
        return text, None
    target, sep, quant = text.rpartition(":")
    if sep and target and quant and "/" not in quant and "\\" not in quant:
        return target, quant
    return text, None


def is_repo_id(text: str) -> bool:
    return bool(_REPO_ID.match(text)) and not text.startswith((".", "~")) and not text.lower().endswith(".gguf")


def _is_gguf(name: str) -> bool:
    base = name.rsplit("/", 1)[-1].lower()
    return base.endswith(".gguf") and not base.startswith("mmproj")


def _quant_of(name: str) -> str | None:
    return quant_from_filename(name)


def pick_file(names: list[str], quant: str | None, where: str) -> str:
    """The GGUF among `names` (first parts of split files only) for `quant`, else the only one."""
    candidates = sorted(n for n in names if _is_gguf(n) and is_first_part(n))
    if not candidates:
        raise ResolveError(f"no GGUF file in {where}")
    if quant:
        want = canonical_quant(quant)
        matches = [n for n in candidates if _quant_of(n) == want]
        if not matches:
            raise ResolveError(f"no {want} GGUF in {where}; quants there: {quants_line(candidates)}")
        if len(matches) > 1:
            raise ResolveError(f"several {want} GGUF files in {where}: {', '.join(matches[:5])}; pass one file's path")
        return matches[0]
    if len(candidates) == 1:
        return candidates[0]
    raise ResolveError(f"{len(candidates)} GGUF files in {where}: add :QUANT, one of {quants_line(candidates)}")


def quants_line(names: list[str]) -> str:
    quants = sorted({_quant_of(n) or n.rsplit("/", 1)[-1] for n in names if _is_gguf(n) and is_first_part(n)})
    return ", ".join(quants) or "none"


# --- the Hugging Face cache, read from the disk --------------------------------------------------


def cached_repo_files(cache_dir: Path, repo_id: str) -> dict[str, Path]:
    """Files of the repo's snapshot in the Hugging Face cache (the one `refs/main` names, else the newest),
    complete ones only: a file still downloading has no snapshot link yet, or a link to nothing."""
    repo_dir = cache_dir / ("models--" + repo_id.replace("/", "--"))
    snapshots = repo_dir / "snapshots"
    if not snapshots.is_dir():
        return {}
    snapshot: Path | None = None
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip()
        snapshot = candidate if candidate.is_dir() else None
    if snapshot is None:
        dirs = [d for d in snapshots.iterdir() if d.is_dir()]
        if not dirs:
            return {}
        snapshot = max(dirs, key=lambda d: d.stat().st_mtime)
    out: dict[str, Path] = {}
    for path in snapshot.rglob("*"):
        if path.is_file():  # follows the link: a dangling one is not a file
            out[path.relative_to(snapshot).as_posix()] = path
    return out


# --- resolving ---------------------------------------------------------------------------------------


def _catalogue_files(store: CatalogStore | None, repo_id: str) -> dict[str, int | None] | None:
    if store is None:
        return None
    row = store.get(repo_id)
    if not row:
        return None
    files = {str(f["filename"]): f.get("size") for f in row.get("files") or [] if _is_gguf(str(f["filename"]))}
    return files or None


def resolve_gguf(text: str, *, hub: HubClient | None = None, store: CatalogStore | None = None,
                 cache_dir: Path | None = None, progress: Progress | None = None,
                 say: Callable[[str], None] | None = None) -> ResolvedGGUF:
    """Turn `PATH_OR_REPO[:QUANT]` into a GGUF file on this machine (downloading it when it must)."""
    target, quant = split_spec(text)
    path = Path(target).expanduser()
    if path.is_file():
        return ResolvedGGUF(path.absolute(), "file", _quant_of(path.name))
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*.gguf") if p.is_file()]
        chosen = pick_file(names, quant, str(path))
        missing = [p for p in split_parts(chosen) if not (path / p).is_file()]
        if missing:
            raise ResolveError(f"split model {chosen} is incomplete: {missing[0]} is missing")
        return ResolvedGGUF((path / chosen).absolute(), "folder", _quant_of(chosen))
    if not is_repo_id(target):
        raise ResolveError(f"model file not found: {path}")
    return _resolve_repo(target, quant, hub=hub, store=store, cache_dir=cache_dir, progress=progress, say=say)


def _resolve_repo(repo_id: str, quant: str | None, *, hub: HubClient | None, store: CatalogStore | None,
                  cache_dir: Path | None, progress: Progress | None,
                  say: Callable[[str], None] | None) -> ResolvedGGUF:
    from ..catalog.local import hf_hub_cache_dir
    from ..catalog.sources.errors import HubError

    cache = cache_dir or (hub.cache_dir if hub is not None else hf_hub_cache_dir())
    cached = cached_repo_files(cache, repo_id)
    cached_gguf = [n for n in cached if _is_gguf(n)]
    if cached_gguf:
        try:
            chosen = pick_file(cached_gguf, quant, f"{repo_id} (Hugging Face cache)")
        except ResolveError:
            chosen = None  # another quant is cached: look further
        if chosen is not None and all(p in cached for p in split_parts(chosen)):
            return ResolvedGGUF(cached[chosen], "cache", _quant_of(chosen), repo_id)

    known = _catalogue_files(store, repo_id)
    sizes: Mapping[str, int | None]
    if known is not None:
        sizes = known
        chosen = pick_file(list(known), quant, f"{repo_id} (catalogue)")
    else:
        if hub is None:
            raise ResolveError(f"{repo_id} is not in the Hugging Face cache and the Hub is not available")
        try:
            sizes = hub.repo_files(repo_id)
        except HubError as err:
            if err.kind == "offline":
                raise ResolveError(f"{repo_id} is not in the Hugging Face cache and the Hub is offline "
                                   "(HF_HUB_OFFLINE=1)") from err
            raise ResolveError(f"{repo_id} is not in the Hugging Face cache, and {err}") from err
        chosen = pick_file(list(sizes), quant, repo_id)
    if hub is None:
        raise ResolveError(f"{repo_id}: {chosen} is not in the Hugging Face cache and the Hub is not available")
    try:
        path = download_gguf(hub, repo_id, chosen, sizes=sizes, progress=progress, say=say)
    except HubError as err:
        part = err.filename or chosen
        if err.kind == "disk":
            raise ResolveError(f"{repo_id}/{err}") from err
        if err.kind == "offline":
            raise ResolveError(f"{repo_id}/{part} is not in the Hugging Face cache and the Hub is offline "
                               "(HF_HUB_OFFLINE=1)") from err
        raise ResolveError(f"cannot download {repo_id}/{part}: {err}") from err
    return ResolvedGGUF(path, "download", _quant_of(chosen), repo_id)


def download_gguf(hub: HubClient, repo_id: str, filename: str, *, sizes: Mapping[str, int | None] | None = None,
                  total: int | None = None, progress: Progress | None = None,
                  cancel: threading.Event | None = None, say: Callable[[str], None] | None = None) -> Path:
    """Every part of the (possibly split) GGUF `filename` of `repo_id` into the Hugging Face cache; the path
    of its first part, which is what llama.cpp loads.

    Parts already complete in the cache are not asked for again (`progress` sees them whole at once). Before
    each download the free disk is checked for all that is left to fetch: `total` bytes of all parts, or
    the sum of their `sizes` (per part, as the catalogue or the Hub lists them) when each is known.
    `progress(part, bytes done, part's total)`; `say` gets one line per part it downloads; setting `cancel`
    stops at once and keeps what arrived, so the next call resumes it. A failure is the Hub's `HubError`,
    with `filename` set to the part it failed on."""
    from ..catalog.sources.errors import HubError

    sizes = sizes or {}
    parts = split_parts(filename)
    if total is None and all(sizes.get(p) for p in parts):
        total = sum(int(sizes[p] or 0) for p in parts)
    cached = cached_repo_files(hub.cache_dir, repo_id)
    on_disk = 0  # bytes of the parts complete so far
    paths: list[Path] = []
    for part in parts:
        if part in cached:
            size = cached[part].stat().st_size
            if progress is not None:
                progress(part, size, size)
            paths.append(cached[part])
            on_disk += size
            continue
        part_size = sizes.get(part)
        if say is not None:
            say(f"downloading {repo_id}/{part}" + (f" ({format_bytes(part_size)})" if part_size else ""))
        left = total - on_disk if total else part_size
        report = functools.partial(progress, part) if progress is not None else None
        try:
            got = hub.download_file(repo_id, part, size=left, progress=report, cancel=cancel)
        except HubError as err:
            err.filename = part
            raise
        paths.append(got)
        on_disk += got.stat().st_size
    return paths[0]


# --- chat format ---------------------------------------------------------------------------------------


def default_chat_format(meta: Mapping[str, Any]) -> tuple[str | None, str]:
    """(the --chat_format to pass, one line saying what was chosen and why) for a GGUF's metadata.

    A GGUF without a chat template makes llama-cpp-python fall back to llama-2's format; for Gemma that
    gives empty answers (SERVING.md), so Gemma gets `gemma`."""
    arch = str(meta.get("general.architecture") or "")
    if meta.get("tokenizer.chat_template"):
        return None, "chat format: the GGUF's own chat template"
    chosen = chat_format_for(arch)  # the one rule for a GGUF without a template (the start form's too)
    if chosen:
        return chosen, f"chat format: {chosen} (the GGUF has no chat template; architecture {arch})"
    return None, ("chat format: llama-2, llama.cpp's fallback (the GGUF has no chat template; "
                  "pass --chat-format to choose another)")
