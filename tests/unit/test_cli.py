"""`modelpick` from a shell: search and filters on the sample catalogue, sync against a fake Hub, scan,
shortlist, and bad input answered with one line (never a traceback)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from huggingface_hub import ModelInfo

from modelpick_tui.catalog.facts import ModelFacts, facts_from_info
from modelpick_tui.cli import main
from tests.support.fakehub import FakeHub
from tests.support.files import write_gguf

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


def sample_facts() -> list[ModelFacts]:
    out = []
    for line in (SAMPLE / "catalog.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            config = record.pop("config_json", None)
            out.append(facts_from_info(ModelInfo(**record), config, source="sample"))
    return out


FACTS = sample_facts()
TOTAL = len(FACTS)



@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli" / "modelpick.db"


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args], env=env)
    # Only click's own exits: any other exception would have been a traceback for the user.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def rows(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- search ---------------------------------------------------------------------------------


def test_search_prints_a_table_with_how_many_match(db: Path) -> None:
    result = run(db, "catalog", "search", "qwen")
    assert result.exit_code == 0
    matching = len(rows(run(db, "catalog", "search", "qwen", "--json", "--limit", "1000")))
    assert f"{matching} of {TOTAL} models" in result.stdout
    assert 0 < matching < TOTAL
    assert "downloads" in result.stdout and "license" in result.stdout


def test_search_json_is_one_object_per_line_sorted_by_downloads(db: Path) -> None:
    out = rows(run(db, "catalog", "search", "--json", "--limit", "7"))
    assert len(out) == 7
    assert set(out[0]) == {"id", "task", "params", "params_active", "params_source", "size_class", "license",
                           "permissive", "downloads", "likes", "last_modified", "gated", "formats", "local", "origin",
                           "tier", "sources", "hosted"}
    top = sorted(FACTS, key=lambda f: f.downloads, reverse=True)[:7]
    assert [r["id"] for r in out] == [f.id for f in top]


@pytest.mark.parametrize(
    ("args", "keep"),
    [
        (["--permissive"], lambda f: f.license_class.permissive),
        (["--size", "3-8B"], lambda f: f.size_class == "3-8B"),
        (["--size", "<3B", "--size", ">100B"], lambda f: f.size_class in ("<3B", ">100B")),
        (["--task", "text-generation"], lambda f: f.task == "text-generation"),
        (["--format", "gguf"], lambda f: "gguf" in f.formats),
        (["--gated"], lambda f: bool(f.gated)),
        (["--open"], lambda f: not f.gated),
        (["--author", "Qwen"], lambda f: f.author == "Qwen"),
        (["--license", "MIT"], lambda f: f.license == "mit"),
        (["--permissive", "--size", "3-8B", "--format", "gguf"],
         lambda f: f.license_class.permissive and f.size_class == "3-8B" and "gguf" in f.formats),
    ],
)
def test_filters_on_the_sample_catalogue(db: Path, args: list[str], keep: Any) -> None:
    out = rows(run(db, "catalog", "search", *args, "--json", "--limit", "1000"))
    expected = {f.id for f in FACTS if keep(f)}
    assert expected and {r["id"] for r in out} == expected


@pytest.mark.parametrize(("sort", "key"), [("likes", "likes"), ("params", "params"), ("updated", "last_modified")])
def test_sort(db: Path, sort: str, key: str) -> None:
    out = rows(run(db, "catalog", "search", "--sort", sort, "--json", "--limit", "30"))
    values = [r[key] for r in out if r[key] is not None]
    assert len(values) >= 20 and values == sorted(values, reverse=True)


def test_local_filter_and_scan(db: Path, tmp_path: Path) -> None:
    assert rows(run(db, "catalog", "search", "--local", "--json")) == []
    assert f"0 of {TOTAL} models" in run(db, "catalog", "search", "--local").stdout
    folder = tmp_path / "gguf"
    folder.mkdir()
    good = write_gguf(folder / "tiny-llama-Q4_K_M.gguf")
    (folder / "cut-Q8_0.gguf").write_bytes(good.read_bytes()[:200])
    result = run(db, "catalog", "scan", str(folder))
    assert result.exit_code == 0
    assert lines(result.stdout) == [f"found {good} (llama, Q4_K_M, {_size(good)})", f"1 GGUF files in {folder}"]
    (skipped,) = lines(result.stderr)
    assert skipped.startswith(f"skipped {folder / 'cut-Q8_0.gguf'}: not a readable GGUF file (truncated")
    out = rows(run(db, "catalog", "search", "--local", "--json"))
    assert [(r["id"], r["local"], r["formats"]) for r in out] == [("local/tiny-llama", True, ["gguf"])]


def _size(path: Path) -> str:
    from modelpick_tui.catalog.fit.memory import format_bytes

    return format_bytes(path.stat().st_size)


# --- bad input: one line, non-zero exit -------------------------------------------------------


def test_unknown_size_is_refused(db: Path) -> None:
    result = run(db, "catalog", "search", "--size", "9B")
    assert result.exit_code == 2
    assert "Invalid value for '--size'" in result.stderr and "'9B' is not one of" in result.stderr


def test_unknown_sort_is_refused(db: Path) -> None:
    result = run(db, "catalog", "search", "--sort", "stars")
    assert result.exit_code == 2 and "Invalid value for '--sort'" in result.stderr


def test_scan_of_a_missing_folder(db: Path, tmp_path: Path) -> None:
    result = run(db, "catalog", "scan", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert lines(result.stderr) == [f"Error: not a folder: {tmp_path / 'nowhere'}"]


def test_db_that_is_a_folder(tmp_path: Path) -> None:
    result = run(tmp_path, "catalog", "search")
    assert result.exit_code == 2
    assert "Invalid value for '--db'" in result.stderr and "is a directory" in result.stderr


def test_db_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = run(bad, "catalog", "search")
    assert result.exit_code == 1
    (line,) = lines(result.stderr)
    assert line.startswith(f"Error: cannot open the database {bad}: ") and "not a database" in line


def test_tui_refuses_a_database_that_is_not_one_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    result = run(bad)  # no subcommand: the TUI, which checks the file before its first frame
    assert result.exit_code == 1
    (line,) = lines(result.stderr)
    assert line.startswith(f"Error: cannot open the database {bad}: ") and "not a database" in line


def test_db_in_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run(blocker / "sub" / "modelpick.db", "catalog", "search")
    assert result.exit_code == 1
    (line,) = lines(result.stderr)
    assert line.startswith("Error: cannot open the database ")


# --- sync against the fake Hub ------------------------------------------------------------------


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub.from_sample_data(SAMPLE, page_size=4) as hub:
        yield hub
    assert hub.errors == []


@pytest.fixture
def hub_env(hub: FakeHub) -> dict[str, str]:
    return {"HF_ENDPOINT": hub.url, "MODELPICK_HUB_DEADLINE": "2", "MODELPICK_HUB_TIMEOUT": "1"}


def test_sync_from_the_hub(db: Path, hub: FakeHub, hub_env: dict[str, str]) -> None:
    result = run(db, "catalog", "sync", "--search", "qwen", "--task", "text-generation", "--limit", "10", env=hub_env)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["synced 10 models; 10 in the catalogue"]
    first = next(r for r in hub.requests if r.path == "/api/models")
    assert first.query["search"] == ["qwen"] and first.query["pipeline_tag"] == ["text-generation"]
    assert first.query["limit"] == ["10"]
    assert len([r for r in hub.requests if r.path == "/api/models"]) == 3  # 4 + 4 + 2
    # A second sync refreshes the same rows.
    again = run(db, "catalog", "sync", "--search", "qwen", "--task", "text-generation", "--limit", "10", env=hub_env)
    assert lines(again.stdout) == ["synced 10 models; 10 in the catalogue"]


def test_sync_with_the_hub_down(db: Path, hub: FakeHub, hub_env: dict[str, str]) -> None:
    assert run(db, "catalog", "load-sample").exit_code == 0
    hub.fail_status, hub.retry_after = 503, 0
    result = run(db, "catalog", "sync", "--limit", "5", env=hub_env)
    assert result.exit_code == 2
    error, banner = lines(result.stderr)
    assert error.startswith("error: the Hub is unavailable (HTTP 503)")
    assert re.fullmatch(rf"offline — cached {TOTAL} models from \d{{4}}-\d\d-\d\d", banner), banner
    assert result.stdout == ""


def test_sync_offline(db: Path, hub: FakeHub, hub_env: dict[str, str]) -> None:
    result = run(db, "catalog", "sync", env={**hub_env, "HF_HUB_OFFLINE": "1"})
    assert result.exit_code == 2
    assert lines(result.stderr) == ["error: offline mode (HF_HUB_OFFLINE=1): working from the local cache",
                                    "offline — cached 0 models from unknown date"]
    assert hub.requests == []


def test_sync_with_a_refused_token_is_one_line(db: Path, hub: FakeHub, hub_env: dict[str, str]) -> None:
    result = run(db, "catalog", "sync", "--limit", "3", env={**hub_env, "HF_TOKEN": "hf_not_a_valid_token"})
    assert result.exit_code == 2
    assert lines(result.stderr) == ["error: the Hub: not authorised (HTTP 401); check HF_TOKEN"]
    assert "hf_not_a_valid_token" not in result.output


def test_sync_rate_limited_is_one_line(db: Path, hub: FakeHub, hub_env: dict[str, str]) -> None:
    hub.fail_status, hub.retry_after = 429, 0
    result = run(db, "catalog", "sync", "--limit", "3", env=hub_env)
    assert result.exit_code == 2
    (line,) = lines(result.stderr)
    assert line.startswith("error: rate limited by the Hub (HTTP 429)")


# --- shortlist ------------------------------------------------------------------------------------


def test_shortlist_add_list_remove(db: Path) -> None:
    added = run(db, "shortlist", "add", "Qwen/Qwen2.5-7B-Instruct", "--note", "fast on 24 GB")
    assert added.exit_code == 0 and lines(added.stdout) == ["shortlisted Qwen/Qwen2.5-7B-Instruct"]
    assert run(db, "shortlist", "add", "google/gemma-3-270m").exit_code == 0
    listing = run(db, "shortlist")
    assert listing.exit_code == 0
    assert "shortlist (2)" in listing.stdout and "fast on 24 GB" in listing.stdout
    assert "Qwen/Qwen2.5-7B-Instruct" in listing.stdout and "google/gemma-3-270m" in listing.stdout
    removed = run(db, "shortlist", "rm", "google/gemma-3-270m")
    assert removed.exit_code == 0 and lines(removed.stdout) == ["removed google/gemma-3-270m"]
    assert "shortlist (1)" in run(db, "shortlist").stdout
    again = run(db, "shortlist", "rm", "google/gemma-3-270m")
    assert again.exit_code == 1 and lines(again.stderr) == ["Error: google/gemma-3-270m is not on the shortlist"]
    unknown = run(db, "shortlist", "add", "nobody/nothing")
    assert unknown.exit_code == 1
    assert lines(unknown.stderr) == ["Error: nobody/nothing is not in the catalogue (try `modelpick catalog search`)"]


# --- as a program -------------------------------------------------------------------------------


def test_python_m_help_and_the_installed_script(tmp_path: Path) -> None:
    helped = subprocess.run([sys.executable, "-m", "modelpick_tui", "--help"], capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert helped.returncode == 0, helped.stderr
    assert "catalog" in helped.stdout and "shortlist" in helped.stdout
    script = Path(sys.executable).with_name("modelpick")
    searched = subprocess.run([str(script), "--db", str(tmp_path / "x.db"), "catalog", "search", "--json", "-n", "2"],
                              capture_output=True, text=True, timeout=60)
    assert searched.returncode == 0, searched.stderr
    assert len(searched.stdout.splitlines()) == 2


def test_untrusted_ids_cannot_send_escape_sequences_to_the_terminal(db: Path) -> None:
    from modelpick_tui.catalog.facts import ModelFacts
    from modelpick_tui.services import build_services
    from modelpick_tui.settings import Settings

    settings = Settings.from_env(db=db)
    services = build_services(settings)
    services.catalog.ensure_loaded()
    services.catalog.store.upsert_models([ModelFacts(id="evil/x\x1b[2J\x1b]0;owned\x07[bold]y[/bold]",
                                                     author="evil", license="mit\x1b[31m", downloads=10**12)])
    services.close()
    result = run(db, "catalog", "search", "--limit", "1")
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "␛[2J" in result.stdout and "[bold]y[/bold]" in result.stdout


def test_promptset_check_reports_bad_rows_and_loads_the_rest(db: Path, tmp_path: Path) -> None:
    good = run(db, "promptset", str(Path(__file__).resolve().parents[2] / "sample_data/prompts/support.jsonl"))
    assert good.exit_code == 0 and good.stdout.strip() == "support: 30 prompts"
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"prompt": "a"}\n{oops\n{"prompt": "b"}\n', encoding="utf-8")
    result = run(db, "promptset", str(mixed))
    assert result.exit_code == 0
    assert result.stdout.strip() == "mixed: 2 prompts (1 bad row: line 2)"
    assert lines(result.stderr) == ["bad row line 2: not valid JSON (Expecting property name enclosed in double "
                                    "quotes at column 2)"]
    as_json = run(db, "promptset", str(mixed), "--json")
    assert [json.loads(x)["prompt"] for x in lines(as_json.stdout)] == ["a", "b"]
    missing = run(db, "promptset", str(tmp_path / "none.csv"))
    assert missing.exit_code == 1 and lines(missing.stderr) == [f"Error: {tmp_path / 'none.csv'}: no such file"]
