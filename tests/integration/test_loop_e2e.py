"""The whole loop from the command line, on real parts: serve the real Gemma 3 270M GGUF with llama.cpp, run a
prompt set against it, share the review as a file (export → a teammate's verdicts → import), add traces another
tool produced, cluster the failures, and write the decision report — which must name the model that meets the bar
and pin it by its GGUF file's sha256. Every server the test starts is stopped; nothing is left behind."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from modelpick_tui.cli import main
from modelpick_tui.serving.supervisor import group_members, port_is_free
from tests.support.cleanup import kill_recorded_servers

pytestmark = [pytest.mark.llama, pytest.mark.integration, pytest.mark.timeout(300)]

SUPPORT = Path(__file__).resolve().parents[2] / "sample_data" / "prompts" / "support.jsonl"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("MODELPICK_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = home / "modelpick.db"
    try:
        yield path
    finally:  # whatever happened above, no server outlives the test
        kill_recorded_servers(path)


def cli(db: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    assert "Traceback" not in result.output
    assert result.exit_code == code, (args, result.output)
    return result


def test_serve_run_review_cluster_report(db_path: Path, gemma_gguf: Path, tmp_path: Path) -> None:
    # 1. Serve: a detached llama.cpp server, ready, with its URL and key printed once.
    info = json.loads(cli(db_path, "serve", "llama", str(gemma_gguf), "--name", "gemma", "--ctx", "1024",
                          "--json").stdout)
    assert info["name"] == "gemma" and info["time_to_ready_s"] > 0
    port = info["port"]

    # 2. Run: six support prompts, every answer a trace with its metrics.
    prompts = tmp_path / "six.jsonl"
    # The set's first line holds its default checks (a record without a prompt): keep it, then six prompts.
    defaults, *rows = SUPPORT.read_text().splitlines(keepends=True)
    assert "default_checks" in defaults
    prompts.write_text(defaults + "".join(rows[:6]))
    cli(db_path, "run", str(prompts), "-e", "gemma", "--max-tokens", "24", "--temperature", "0",
        "--name", "e2e")
    runs = json.loads(cli(db_path, "runs", "--json").stdout)
    runs = runs if isinstance(runs, list) else [runs]
    run = next(r for r in runs if r["name"] == "e2e")
    assert run["status"] == "done"

    # 3. Review as a team: export, a teammate labels in the file (3 pass, 3 fail with notes), import merges.
    shared = tmp_path / "review.jsonl"
    cli(db_path, "export", "--format", "jsonl", str(shared))
    rows = [json.loads(line) for line in shared.read_text().splitlines()]
    assert len(rows) == 6 and all(r["model"] == "gemma" and r["output"] for r in rows)
    notes = ["refused to help with a harmless request", "declined to answer a simple question",
             "made up a setting that does not exist"]
    for i, row in enumerate(rows):
        row["verdict"] = "pass" if i % 2 == 0 else "fail"
        row["note"] = "" if i % 2 == 0 else notes[i // 2]
        row["labelled_at"] = "2030-01-01T00:00:00.000Z"
    # …and traces another tool produced, for a larger model that failed most prompts.
    for i in range(6):
        rows.append({"id": f"rival-{i}", "prompt": rows[i]["prompt"], "model": "rival-model-8B",
                     "output": "I cannot help with that.", "verdict": "fail" if i else "pass",
                     "note": "refused a harmless request" if i else "", "run": "elsewhere"})
    shared.write_text("".join(json.dumps(r) + "\n" for r in rows))
    imported = cli(db_path, "import", str(shared)).stdout
    assert "imported 6 traces, 12 labels" in imported
    cli(db_path, "import", str(shared))  # twice: nothing duplicated
    labels = cli(db_path, "labels").stdout
    assert "12 labelled of 12" in labels

    # 4. Analyze: the failed traces clustered into modes that cover all 8 failures of both models.
    modes = json.loads(cli(db_path, "failures", "--recluster", "--method", "tfidf", "--json").stdout)
    mode_list = modes["modes"]
    assert sum(m["size"] for m in mode_list) == 8
    assert {"gemma", "rival-model-8B"} <= {name for m in mode_list for name in m["per_model"]}

    # 5. Decide: gemma (3/6) meets a 0.5 bar on the estimate, the rival (1/6) does not; pinned by sha256.
    out = tmp_path / "reports"
    report = json.loads(cli(db_path, "report", "--bar", "0.5", "--basis", "estimate", "--out", str(out),
                            "--json").stdout)
    sha = hashlib.sha256(gemma_gguf.read_bytes()).hexdigest()
    text = json.dumps(report)
    assert sha in text and "rival-model-8B" in text
    markdown = next(out.glob("*.md")).read_text()
    assert "gemma" in markdown.splitlines()[0] or "gemma" in markdown[:400]
    assert sha in markdown and "rival-model-8B" in markdown

    # 6. Stop: nothing left, the port free.
    cli(db_path, "stop", "--all")
    assert port_is_free("127.0.0.1", port)
    assert not group_members(info["pid"])  # the server led its own process group
