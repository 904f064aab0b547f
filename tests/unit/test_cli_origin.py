"""`modelpick catalog search --origin/--exclude-origin/--by-base/--tier` and `modelpick origin` on the sample
catalogue, checked against the sample's own facts and a hand-written list of where its publishers are based."""

from __future__ import annotations

from pathlib import Path

from modelpick_tui.catalog.facts import ModelFacts
from tests.unit.test_cli import FACTS, TOTAL, db, rows, run  # noqa: F401 (db is a fixture)

# The sample's publishers based in China, written by hand from the pages origins.csv cites.
CHINA = {"Qwen", "deepseek-ai", "THUDM", "zai-org", "moonshotai", "BAAI", "Alibaba-NLP", "01-ai", "internlm",
         "OpenGVLab"}


def org(model_id: str) -> str:
    return model_id.split("/")[0]


def base_of(f: ModelFacts) -> str:
    return f.base_model if f.base_model and f.base_model != f.id else f.id


def search(db: Path, *args: str) -> list[dict]:  # noqa: F811
    return rows(run(db, "catalog", "search", "--json", "--limit", "1000", *args))


def test_origin_filters_the_publishers_country(db: Path) -> None:  # noqa: F811
    out = search(db, "--origin", "FR")
    assert {r["id"] for r in out} == {f.id for f in FACTS if org(f.id) == "mistralai"}  # not mistral-community
    assert {(r["origin"]["country"], r["origin"]["by"]) for r in out} == {("FR", "table")}
    both = search(db, "--origin", "us,FR")
    assert {r["origin"]["country"] for r in both} == {"US", "FR"} and len(both) > len(out)
    assert [r["downloads"] for r in both] == sorted((r["downloads"] for r in both), reverse=True)


def test_by_base_matches_the_base_models_origin(db: Path) -> None:  # noqa: F811
    out = search(db, "--origin", "FR", "--by-base")
    assert {r["id"] for r in out} == {f.id for f in FACTS if org(base_of(f)) == "mistralai"}
    repacks = [r for r in out if r["origin"]["publisher"] != "mistralai"]
    assert repacks, "the sample holds repacks of Mistral models"
    for r in repacks:  # a repack keeps its own publisher and shows its base model's origin
        assert r["origin"]["base_model"].startswith("mistralai/") and r["origin"]["base_country"] == "FR"


def test_exclude_origin_leaves_out_a_country_and_keeps_the_unknown(db: Path) -> None:  # noqa: F811
    out = search(db, "--exclude-origin", "CN")
    assert len(out) == TOTAL - sum(1 for f in FACTS if org(f.id) in CHINA)
    assert not [r["id"] for r in out if org(r["id"]) in CHINA]
    assert any(r["origin"]["country"] == "unknown" for r in out)
    strict = search(db, "--exclude-origin", "CN,unknown", "--by-base")
    assert not [r["id"] for r in strict if r["origin"]["country"] == "unknown" and not r["origin"]["base_model"]]
    assert all((r["origin"]["base_country"] or r["origin"]["country"]) not in ("CN", "unknown") for r in strict)


def test_tier_filters_by_total_parameters(db: Path) -> None:  # noqa: F811
    high = search(db, "--tier", "high")
    assert {r["id"] for r in high} == {f.id for f in FACTS if f.params and f.params >= 300e9}
    assert high and {r["tier"] for r in high} == {"high"}
    medium = search(db, "--tier", "medium")
    assert {r["id"] for r in medium} == {f.id for f in FACTS if f.params and 32e9 <= f.params < 300e9}
    assert len(search(db, "--tier", "low,medium,high,unknown")) == TOTAL


def test_bad_origin_or_tier_is_one_line(db: Path) -> None:  # noqa: F811
    for args, word in ((("--origin", "ZZ"), "ZZ"), (("--exclude-origin", "china"), "china"),
                       (("--tier", "huge"), "huge")):
        result = run(db, "catalog", "search", *args)
        assert result.exit_code == 2
        errors = [line for line in result.output.splitlines() if line.startswith("Error")]
        assert len(errors) == 1 and word in errors[0]


def test_the_users_entry_wins_until_unset(db: Path) -> None:  # noqa: F811
    result = run(db, "origin", "set", "bartowski", "gb", "--source", "https://example.org/about")
    assert result.exit_code == 0, result.output
    bartowski = {f.id for f in FACTS if org(f.id) == "bartowski"}
    assert "GB" in result.output and f"{len(bartowski)} catalogue rows changed" in result.output
    out = search(db, "--origin", "GB")
    assert {r["id"] for r in out} == bartowski
    assert {(r["origin"]["country"], r["origin"]["by"]) for r in out} == {("GB", "user")}
    listed = {e["org"]: e for e in rows(run(db, "origin", "list", "--json"))}
    assert listed["bartowski"]["by"] == "user" and listed["bartowski"]["source"] == "https://example.org/about"
    assert listed["bartowski"]["replaces"]["country"] == "unknown"
    assert listed["Qwen"]["country"] == "CN" and listed["Qwen"]["by"] == "table"
    assert "you" in run(db, "origin", "list").output
    result = run(db, "origin", "unset", "bartowski")
    assert result.exit_code == 0 and "unknown" in result.output
    assert search(db, "--origin", "GB") == []
    again = run(db, "origin", "unset", "bartowski")
    assert again.exit_code == 1 and again.output.count("\n") == 1 and "no origin entry" in again.output
    bad = run(db, "origin", "set", "acme", "XX", "--source", "https://example.org")
    assert bad.exit_code == 1 and bad.output.count("\n") == 1 and "ISO 3166" in bad.output


def test_every_origin_says_how_it_was_checked(db: Path) -> None:  # noqa: F811
    # The shipped table was written from its cited pages without opening them: no row claims an online check.
    listed = rows(run(db, "origin", "list", "--json"))
    assert listed and {e["verified"] for e in listed} == {"offline"}
    text = run(db, "origin", "list").output
    assert "verified" in text and f"without opening it ({len(listed)} rows)" in " ".join(text.split())
    out = search(db, "--origin", "FR", "--by-base")
    assert {r["origin"]["base_verified"] for r in out if r["origin"]["base_model"]} == {"offline"}
    assert {(r["origin"]["verified"], r["origin"]["source"]) for r in out if r["origin"]["publisher"] == "mistralai"
            } == {("offline", "https://en.wikipedia.org/wiki/Mistral_AI")}
    # A publisher the table does not name has no entry, so nothing to have checked: unknown, verified null.
    unlisted = [r for r in search(db, "--origin", "unknown") if r["origin"]["by"] is None]
    assert unlisted and {r["origin"]["verified"] for r in unlisted} == {None}
    # The user's own entry is theirs: modelpick claims no check of it.
    assert run(db, "origin", "set", "bartowski", "GB", "--source", "https://example.org/about").exit_code == 0
    mine = {e["org"]: e for e in rows(run(db, "origin", "list", "--json"))}["bartowski"]
    assert (mine["by"], mine["verified"]) == ("user", "user")
    assert {r["origin"]["verified"] for r in search(db, "--origin", "GB")} == {"user"}
