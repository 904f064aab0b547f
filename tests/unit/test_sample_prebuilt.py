"""The prebuilt sample catalogue (catalog/sample.py): an empty catalogue that copies it holds what loading the
sample writes, row for row; a stale, foreign or unusable file is never used."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from modelpick_tui.catalog import sample as prebuilt
from modelpick_tui.catalog.query import CatalogQuery
from modelpick_tui.catalog.service import CatalogService
from modelpick_tui.catalog.sources.hub import HubClient
from modelpick_tui.catalog.store import CatalogStore, _insertable
from modelpick_tui.db import Database
from modelpick_tui.settings import Settings, default_prebuilt_sample, package_sample_dir

SAMPLE = package_sample_dir()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prebuilt") / "sample-catalog.db"
    assert prebuilt.build(SAMPLE, out) == 232
    return out


def _catalog(path: Path, sample: Path = SAMPLE, pre: Path | None = None) -> CatalogService:
    hub = HubClient(endpoint="http://127.0.0.1:9", token=None, offline=True, timeout=1, deadline=1)
    return CatalogService(CatalogStore(Database(path)), hub, sample, prebuilt=pre)


def _rows(db: Database, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with db.lock:
        return db.conn.execute(sql).fetchall()


def _contents(catalog: CatalogService) -> dict[str, object]:
    db = catalog.store.database
    columns = _insertable(db.conn, "main", "models")
    names = ", ".join(f'"{c}"' for c in columns)
    searches = {text: [r.id for r in catalog.search(CatalogQuery(text=text, limit=500)).rows]
                for text in ("llama", "qwen instruct", "apache-2.0", "gguf", "text-generation")}
    return {
        "models": _rows(db, f"SELECT {names} FROM models ORDER BY id"),
        "files": _rows(db, "SELECT model_id, filename, size, quant, format, sha256 FROM model_files "
                           "ORDER BY model_id, filename"),
        "cards": _rows(db, "SELECT model_id, text, sha, source FROM cards ORDER BY model_id"),
        "cards stored": _rows(db, "SELECT count(*) FROM cards WHERE fetched_at >= datetime('now', '-1 hour')"),
        "meta": _rows(db, "SELECT key, value FROM meta WHERE key IN ('sample_loaded', 'origin_table') ORDER BY key"),
        "searches": searches,
        "first page": [r.id for r in catalog.search(CatalogQuery()).rows],
    }


def test_a_copied_catalogue_is_the_loaded_one_row_for_row(tmp_path: Path, built: Path) -> None:
    loaded = _catalog(tmp_path / "loaded.db")
    assert loaded.ensure_loaded() == 232
    copied = _catalog(tmp_path / "copied.db", pre=built)
    assert prebuilt.copy_into(copied.store, SAMPLE, built) == 232  # the copy, not a load, filled it
    copied.ensure_loaded()  # nothing left to do: the origins were computed with the shipped table
    assert copied.answers_now()
    mine, reference = _contents(copied), _contents(loaded)
    for part in reference:
        assert mine[part] == reference[part], part
    assert len(reference["models"]) == 232 and reference["files"] and reference["cards"]  # type: ignore[arg-type]
    assert reference["searches"]["llama"]  # type: ignore[index]


def test_the_service_copies_an_empty_catalogue_and_loads_otherwise(tmp_path: Path, built: Path) -> None:
    catalog = _catalog(tmp_path / "a.db", pre=built)
    assert catalog.load_sample() == 232
    assert catalog.store.get_meta("origin_table")  # copied with the rows (a parse leaves it to ensure_loaded)
    assert prebuilt.copy_into(catalog.store, SAMPLE, built) is None  # not empty any more: never copied twice
    assert catalog.load_sample() == 232  # a reload (`catalog load-sample`) parses and upserts
    assert catalog.store.count() == 232


def test_a_stale_file_is_not_used(tmp_path: Path, built: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    card = sorted((sample / "cards").glob("*.md"))[0]
    card.write_text(card.read_text() + "\nedited\n")
    catalog = _catalog(tmp_path / "a.db", sample=sample, pre=built)
    assert prebuilt.copy_into(catalog.store, sample, built) is None
    assert catalog.load_sample() == 232  # parsed instead, the edit in
    assert any("edited" in row[0] for row in _rows(catalog.store.database, "SELECT text FROM cards"))


def test_a_home_with_its_own_origin_entries_loads_instead(tmp_path: Path, built: Path) -> None:
    catalog = _catalog(tmp_path / "a.db", pre=built)
    with catalog.store.database.transaction() as conn:
        cols = _insertable(conn, "main", "origin_entries")
        conn.execute(f"INSERT INTO origin_entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     ["meta-llama"] + [None] * (len(cols) - 1))
    assert prebuilt.copy_into(catalog.store, SAMPLE, built) is None


def test_a_missing_or_damaged_file_is_not_used(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path / "a.db")
    assert prebuilt.copy_into(catalog.store, SAMPLE, tmp_path / "none.db") is None
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert prebuilt.copy_into(catalog.store, SAMPLE, junk) is None
    assert catalog.store.count() == 0  # and the home's own database still answers


def test_settings_point_at_the_set_up_s_file() -> None:
    assert Settings.from_env({}).prebuilt_sample == default_prebuilt_sample()
    assert default_prebuilt_sample().is_relative_to(sys.prefix)  # this environment's, where make writes it
    assert Settings.from_env({"MODELPICK_PREBUILT_SAMPLE": ""}).prebuilt_sample is None
    assert Settings.from_env({"MODELPICK_PREBUILT_SAMPLE": "/x/y.db"}).prebuilt_sample == Path("/x/y.db")


def test_a_new_home_starts_as_a_copy_of_the_prebuilt_file(tmp_path: Path, built: Path) -> None:
    loaded = _catalog(tmp_path / "loaded.db")
    loaded.ensure_loaded()
    home = tmp_path / "home" / "modelpick.db"
    seeded = _catalog(home, pre=built)
    assert seeded.seed_new_home()  # one file copy: the schema, the rows, the meta
    seeded.ensure_loaded()
    assert seeded.answers_now()
    mine, reference = _contents(seeded), _contents(loaded)
    for part in reference:
        assert mine[part] == reference[part], part
    assert oct(home.stat().st_mode & 0o777) == "0o600"  # private, as every home's database
    assert not seeded.seed_new_home()  # never over a database that holds something


def test_a_home_is_not_seeded_from_a_stale_file_or_over_data(tmp_path: Path, built: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    (sample / "catalog.jsonl").write_text((sample / "catalog.jsonl").read_text() + "\n")
    stale = _catalog(tmp_path / "a.db", sample=sample, pre=built)
    assert not stale.seed_new_home()
    assert stale.store.count() == 0 and stale.ensure_loaded() == 232  # loaded instead
    used = tmp_path / "b.db"
    used.write_bytes(b"")
    other = _catalog(used, pre=built)
    other.store.database.open()  # a database made here (schema, nothing else)
    assert not other.seed_new_home()
