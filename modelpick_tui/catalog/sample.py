"""The embedded sample catalogue (sample_data/): parsed and written into a catalogue, or copied from its compiled
form, made once at install.

Loading sample_data/ into an empty catalogue parses 232 models' Hub JSON (their facts: file formats, parameter
counts from each config, architectures) and writes them: ~90 ms of CPU before a first launch's first page. The
set-up (`make install-app`, run by `make run` and `make test`) writes what that load produces into a database of its
own (`python -m modelpick_tui.catalog.sample`, into the environment's share/modelpick/); an empty catalogue then
copies its rows in one transaction (~12 ms, FTS index included).

It is used only while it is what loading would write now: its key hashes every input's name, size and modification
time (the sample's files, the schema, and the catalogue's code and data, origin table included), and it is checked
against the home's columns. A
missing or stale file, another sample folder, or a home with origin entries of the user's own (its origins differ
from the shipped table's) means the sample is parsed as before (catalog/service.py). tests/unit/test_sample_prebuilt.py
holds the copy equal to the load, row for row."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import now_iso

if TYPE_CHECKING:
    from .facts import ModelFacts
    from .store import CatalogStore

KEY = "prebuilt_key"  # meta: the key of the inputs the file was built from
_PACKAGE = Path(__file__).resolve().parent.parent  # modelpick_tui/


def _inputs(sample_dir: Path) -> list[Path]:
    catalog = _PACKAGE / "catalog"
    code = [p for p in catalog.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    sample = [sample_dir / "catalog.jsonl", *(sample_dir / "cards").glob("*.md")]
    return sorted([*code, _PACKAGE / "db.py", _PACKAGE / "schema.sql"]) + sorted(p for p in sample if p.is_file())


def key(sample_dir: Path) -> str:
    """A hash of everything a sample load's rows depend on, by each file's name, size and modification time (~90
    stats: under a millisecond, where hashing their 2 MB took 6.5 ms of a first launch). An edit, a checkout or a copy
    that does not keep the times changes it; the file is then parsed instead, which is always right."""
    digest = hashlib.sha256()
    for path in _inputs(sample_dir):
        name = str(path.relative_to(_PACKAGE) if path.is_relative_to(_PACKAGE) else path.relative_to(sample_dir))
        stat = path.stat()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]


def current(path: Path | None, sample_dir: Path) -> bool:
    """Whether the prebuilt file at `path` is what loading `sample_dir` would write now (its key is this one)."""
    from ..db import read_meta

    return path is not None and path.is_file() and read_meta(path, KEY) == key(sample_dir)


def copy_into(store: CatalogStore, sample_dir: Path, path: Path | None) -> int | None:
    """Copy the prebuilt sample into `store`'s empty catalogue; the number of models copied, or None when the file
    cannot stand in for a load (missing, stale, other columns, the user's own origin entries, a catalogue that is
    not empty)."""
    if path is None or not current(path, sample_dir):
        return None
    return store.copy_prebuilt(path)


def load_sample_into(store: CatalogStore, sample_dir: Path) -> int:
    """Parse the sample's Hub JSON into facts and write them (upsert), with its cards; the number of models."""
    from .counts import active_from_base
    from .facts import facts_from_info
    from .hub_json import model_info

    path = sample_dir / "catalog.jsonl"
    if not path.exists():
        return 0
    facts: list[ModelFacts] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            item = json.loads(line)
            config_json = item.pop("config_json", None)
            facts.append(facts_from_info(model_info(item), config_json, source="sample"))
    by_id = {f.id: f for f in facts}
    for f in facts:
        base = by_id.get(f.base_model)
        if f.params_active is None and base is not None:
            f.params_active = active_from_base(f.params, base.params, base.params_active)
    # The sample is as fresh as its newest model: that is the date the banner should show.
    dates = [f.last_modified for f in facts if f.last_modified]
    stamp = max(dates) if dates else now_iso()
    store.upsert_models(facts, synced_at=stamp)
    cards_dir = sample_dir / "cards"
    if cards_dir.is_dir():
        store.save_missing_cards({card.stem.replace("__", "/", 1): card.read_text(encoding="utf-8")
                                  for card in sorted(cards_dir.glob("*.md"))}, source="sample")
    store.set_meta("sample_loaded", stamp)
    return len(facts)


def seed(store: CatalogStore, sample_dir: Path, path: Path | None) -> bool:
    """A new home's database starts as a copy of the prebuilt sample (one file copy, where a new schema and the copy
    of its rows took ~30 ms of a first launch); False when it cannot (not new, or the file missing or stale). Its
    cards are stamped now, as a load stamps them."""
    if path is None or not current(path, sample_dir) or not store.database.seed(path):
        return False
    store.stamp_cards("sample")
    return True


def build(sample_dir: Path, out: Path) -> int:
    """Write the prebuilt sample to `out` (atomically): a sample load into a new database, and its key."""
    from ..db import Database
    from .store import CatalogStore

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    database = Database(tmp)
    try:
        store = CatalogStore(database)
        count = load_sample_into(store, sample_dir)
        store.origins.refresh()  # records the origin table's hash, as a home's first load does
        database.set_meta(KEY, key(sample_dir))
        database.compact()
    finally:
        database.close()
    os.replace(tmp, out)
    return count


if __name__ == "__main__":  # python -m modelpick_tui.catalog.sample [OUT]: what the set-up runs
    from ..settings import default_prebuilt_sample, package_sample_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default_prebuilt_sample()
    n = build(package_sample_dir(), target)
    print(f"prebuilt sample catalogue: {n} models → {target}")
