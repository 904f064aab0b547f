"""The scoreboard's figures on a hand-built set, the choice rule, the pins, and the decision report files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from modelpick_tui.evals import decision, provenance, scoreboard
from modelpick_tui.evals.stats import wilson
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services
from tests.support.traces import add_traces


def add_mode(services: Services, mode_id: str, name: str, trace_ids: list[str], *, status: str = "active",
             merged_into: str | None = None) -> None:
    with services.db.write() as db:
        db.table("failure_modes").insert({"id": mode_id, "name": name, "terms_json": "[]", "origin": "auto",
                                          "status": status, "merged_into": merged_into,
                                          "created_at": "x", "updated_at": "x"})
        for tid in trace_ids:
            db.table("trace_failure_modes").insert({"trace_id": tid, "mode_id": mode_id, "source": "auto",
                                                    "created_at": "x"}, replace=True)


@pytest.fixture
def decision_set(services: Services) -> str:
    """Four candidates from the sample catalogue: 0.6B below the bar, 1.7B and 8B above it, one unlabelled."""
    run = services.traces.create_run(kind="set", name="support")
    add_traces(services, run, "Qwen/Qwen3-0.6B", ["pass"] * 18 + ["fail"] * 12, latency=300)
    add_traces(services, run, "Qwen/Qwen3-1.7B", ["pass"] * 30, latency=600)
    add_traces(services, run, "Qwen/Qwen3-8B", ["pass"] * 29 + ["fail"], latency=1500)
    add_traces(services, run, "mystery", ["-"] * 3, endpoint="remote-box")
    return run


def _candidates(services: Services, run_id: str) -> list[decision.Candidate]:
    return decision.candidates(services.traces, services.failures, services.catalog.store, run_id)


def _write_report(services: Services, out_dir: Path | None = None, **options: Any) -> decision.ReportFiles:
    return decision.write_report(services.traces, services.failures, services.catalog.store, services.judge,
                                 out_dir or services.settings.reports_dir, **options)


def test_scoreboard_figures_on_a_hand_built_set(services: Services) -> None:
    run = services.traces.create_run(kind="set")
    a = [Trace(run_id=run, prompt=f"q{i}", endpoint="ep-a", model="a", ttft_ms=10.0 * (i + 1),
               latency_ms=100.0 * (i + 1), tokens_per_s=[5.0, 10.0, 20.0, 40.0][i]) for i in range(4)]
    a.append(Trace(run_id=run, prompt="q-err", endpoint="ep-a", model="a", error="HTTP 500", latency_ms=9999.0))
    b = [Trace(run_id=run, prompt=f"q{i}", endpoint="ep-b", model="b", latency_ms=50.0) for i in range(3)]
    services.traces.add_many(a + b)
    for t, v in zip(a[:4], ["pass", "pass", "fail", "fail"], strict=True):
        services.review.label(t.id, v)
    services.review.label(a[3].id, "pass")  # relabelled: the latest label wins
    services.review.label(b[0].id, "fail")
    services.review.label(b[1].id, "skip")
    add_mode(services, "m2", "refusals", [b[0].id])
    add_mode(services, "m1", "declines", [a[2].id], status="merged", merged_into="m2")
    services.review.prefer(a[0].id, b[0].id, "left")
    services.review.prefer(b[1].id, a[1].id, "right")
    services.review.prefer(a[2].id, b[2].id, "tie")

    scores = {s.model: s for s in decision.scores(services.traces, services.failures, run)}
    sa, sb = scores["a"], scores["b"]
    assert (sa.traces, sa.errors, sa.labelled, sa.passed) == (5, 1, 4, 3)
    assert sa.pass_rate == wilson(3, 4)
    assert sa.latency_p50 == 250.0 and sa.latency_p95 == pytest.approx(385.0)  # the error's 9999 ms left out
    assert sa.ttft_p50 == 25.0
    assert sa.tokens_per_s == 15.0
    assert sa.failure_modes == {"refusals": 1}  # counted under the mode it was merged into
    assert sa.win is not None and (sa.win.wins, sa.win.losses, sa.win.ties) == (2, 0, 1)
    assert sa.win.rate.estimate == pytest.approx(2.5 / 3)
    assert (sb.labelled, sb.passed, sb.skipped) == (1, 0, 1)
    assert sb.failure_modes == {"refusals": 1}
    assert sb.endpoints == ["ep-b"]
    assert [s.model for s in scoreboard.sort_scores(list(scores.values()), "latency")] == ["b", "a"]
    assert [s.model for s in scoreboard.sort_scores(list(scores.values()), "pass")] == ["a", "b"]
    assert decision.scores(services.traces, services.failures, "no-such-run") == []


def test_choose_picks_the_smallest_model_meeting_the_bar(services: Services, decision_set: str) -> None:
    cands = _candidates(services, decision_set)
    chosen, rejected = decision.choose(cands, bar=0.8)
    assert chosen is not None and chosen.score.model == "Qwen/Qwen3-1.7B"
    assert chosen.provenance.params == 2031739904 and chosen.provenance.license == "apache-2.0"
    reasons = {c.score.model: c.reason for c in rejected}
    assert reasons["Qwen/Qwen3-0.6B"].startswith("pass rate 0.60 [0.42, 0.75] below bar 0.80")
    assert reasons["Qwen/Qwen3-8B"] == "meets bar but larger (8.2B) than chosen (2.0B)"
    assert reasons["mystery"].startswith("no labelled traces")
    # On the point estimate the 0.6B still fails a 0.8 bar; at a 0.5 bar it is the smallest and wins.
    chosen_low_bar, _ = decision.choose(_candidates(services, decision_set), bar=0.5, basis="estimate")
    assert chosen_low_bar is not None and chosen_low_bar.score.model == "Qwen/Qwen3-0.6B"
    nobody, everyone = decision.choose(_candidates(services, decision_set), bar=0.99)
    assert nobody is None and len(everyone) == 4


def test_report_files_name_the_chosen_model(services: Services, decision_set: str, tmp_path: Path) -> None:
    services.judge.set_rubric(decision_set, "PASS when the answer is right.\nFAIL when it refuses.")
    out = _write_report(services, tmp_path / "reports", run_id=decision_set, bar=0.8)
    assert out.markdown_path.parent == tmp_path / "reports"
    assert out.markdown_path.name.endswith("-Qwen3-1.7B.md") and out.json_path.suffix == ".json"
    data = json.loads(out.json_path.read_text())
    assert data["decision"] == "Qwen/Qwen3-1.7B"
    assert data["chosen"]["license"] == "apache-2.0" and data["chosen"]["params"] == 2031739904
    # No HF cache here: the pin is the catalogue's sha, said to be the Hub's head when synced.
    assert data["chosen"]["revision_pin"].startswith("Qwen/Qwen3-1.7B@f633597d8f0cd129dcb835d8371e1935f4b8dc52")
    assert {r["model"]: r["reason"] for r in data["rejected"]}["Qwen/Qwen3-8B"].startswith("meets bar but larger")
    assert data["rubric"].startswith("PASS when the answer is right.")
    assert data["bar"] == 0.8 and data["date"] == out.decision.date
    md = out.markdown_path.read_text()
    assert md.startswith("# Model decision: Qwen/Qwen3-1.7B")
    for expected in ("Pinned revision: `Qwen/Qwen3-1.7B@f633597d", "Licence: apache-2.0", "Parameters: 2.0B",
                     "## Rejected candidates", "`Qwen/Qwen3-0.6B` (752M", "below bar 0.80",
                     "FAIL when it refuses.", "| Qwen/Qwen3-8B | 8.2B | 30 | 30 | 97% [83%, 99%]"):
        assert expected in md, expected
    [row] = services.db.query("select * from decisions where id = ?", [out.decision_id])
    assert row["model"] == "Qwen/Qwen3-1.7B" and row["markdown_path"] == str(out.markdown_path)
    # A second report the same day does not overwrite the first.
    again = _write_report(services, tmp_path / "reports", run_id=decision_set)
    assert again.markdown_path != out.markdown_path and out.markdown_path.exists()


def test_report_defaults_to_the_reports_folder_and_says_when_nothing_meets_the_bar(
        services: Services, decision_set: str) -> None:
    out = _write_report(services, bar=1.0)
    assert out.markdown_path.parent == services.settings.home / "reports"
    assert "no-decision" in out.markdown_path.name
    assert json.loads(out.json_path.read_text())["decision"] is None
    assert "# Model decision: no model meets the bar" in out.markdown_path.read_text()


def test_gguf_file_is_pinned_by_its_sha256(services: Services, tmp_path: Path) -> None:
    gguf = tmp_path / "models" / "tiny-chat-270M-Q4_K_M.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF" + bytes(range(256)) * 64)  # not a loadable GGUF: parameters come from the name
    expected = hashlib.sha256(gguf.read_bytes()).hexdigest()
    prov = provenance.provenance(services.catalog.store, "tiny", str(gguf))
    assert prov.pin == f"sha256:{expected}" and prov.pin_kind == "gguf-sha256"
    assert (prov.params, prov.params_source) == (270_000_000, "name")
    cached = [r["key"] for r in services.db.query("select key from meta where key like 'sha256:%'")]
    assert cached == [f"sha256:{gguf.resolve()}:{gguf.stat().st_size}:{gguf.stat().st_mtime_ns}"]
    assert provenance.provenance(services.catalog.store, "tiny", str(gguf)).pin == prov.pin  # from the cache
    run = services.traces.create_run(kind="set")
    add_traces(services, run, "tiny", ["pass"] * 40, model_ref=str(gguf), endpoint="tiny")
    out = _write_report(services, run_id=run)
    assert out.decision.model == "tiny"
    assert f"Pinned revision: `sha256:{expected}`" in out.markdown_path.read_text()


def test_a_remote_endpoint_is_unpinned_and_a_missing_file_does_not_break_the_report(services: Services) -> None:
    assert provenance.provenance(services.catalog.store, "gpt-oss", "gpt-oss").pin == provenance.UNPINNED
    prov = provenance.provenance(services.catalog.store, "x", "/nowhere/Model-7B-Q4.gguf")
    assert prov.pin == provenance.UNPINNED and prov.params == 7_000_000_000
    pinned = provenance.provenance(services.catalog.store, "r", "Qwen/Qwen3-4B@0123abcd")
    assert pinned.pin == "Qwen/Qwen3-4B@0123abcd" and pinned.params == 4022468096
    branch = provenance.provenance(services.catalog.store, "r", "acme/unknown-model@main")  # a branch moves: not a pin
    assert branch.pin_kind == "unpinned" and "not a commit" in branch.pin


@pytest.mark.llama
def test_the_real_gemma_gguf_gives_its_parameter_count(services: Services, gemma_gguf: Path) -> None:
    prov = provenance.provenance(services.catalog.store, "gemma", str(gemma_gguf), pin=False)
    assert prov.params_source == "gguf" and 200_000_000 < (prov.params or 0) < 400_000_000


def test_a_gguf_in_the_hf_cache_is_known_by_its_snapshot_path_not_its_blob(services: Services, tmp_path: Path) -> None:
    """huggingface_hub's cache: snapshots/<rev>/file is a symlink to blobs/<sha>; the repo and revision are in the
    snapshot path only (resolving the symlink first lost them), and the local scan stores the path it walked."""
    repo = tmp_path / "hub" / "models--acme--Tiny-Chat"
    blob = repo / "blobs" / ("b" * 64)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"GGUF" + bytes(64))
    rev = "c" * 40
    link = repo / "snapshots" / rev / "tiny-chat-270M-Q4_K_M.gguf"
    link.parent.mkdir(parents=True)
    link.symlink_to(blob)
    prov = provenance.provenance(services.catalog.store, "tiny", str(link), pin=False)
    assert prov.revision == rev and prov.file == str(blob)
    services.catalog.store.save_local_files([{"path": str(link), "model_id": "acme/Tiny-Chat", "params": 271_000_000,
                                              "size": 68}])
    prov = provenance.provenance(services.catalog.store, "tiny", str(link), pin=False)
    assert (prov.params, prov.params_source) == (271_000_000, "local scan")
