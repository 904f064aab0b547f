"""The shortlist side by side (evals/shortlist.py) and `modelpick shortlist --compare [--json]`: benchmark rows aligned
by dataset and metric, empty cells (never zeros) for a card that reports nothing, the best value per row marked
(lower for perplexity-like metrics), measured decode speed from the runs on this machine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from modelpick_tui.catalog.facts import EvalRow
from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.evals.shortlist import benchmark_rows, side_by_side
from modelpick_tui.evals.traces import Trace
from modelpick_tui.services import Services, build_services
from modelpick_tui.settings import Settings
from tests.support.cli import run

THREE = ("Qwen/Qwen2.5-7B-Instruct", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "google/gemma-3-4b-it")


def _texts(row: object) -> list[str]:
    return [("★ " if c.best else "") + c.text for c in row.cells]  # type: ignore[attr-defined]


def test_benchmarks_align_by_dataset_and_metric() -> None:
    a = [EvalRow("t", "MMLU", "accuracy", 70.0), EvalRow("t", "WikiText", "perplexity", 9.5),
         EvalRow("t", "MMLU", "accuracy", 10.0)]  # the same pair twice (another split): the first counts
    b: list[EvalRow] = []  # a card that reports nothing
    c = [EvalRow("t", " mmlu ", "Accuracy", 72.5), EvalRow("t", "WikiText", "perplexity", 8.25),
         EvalRow("t", "Arena", "verdict", "strong")]
    rows = {r.key: r for r in benchmark_rows([a, b, c])}
    assert list(rows) == ["bench:mmlu|accuracy", "bench:wikitext|perplexity", "bench:arena|verdict"]
    assert rows["bench:mmlu|accuracy"].label == "MMLU · accuracy"  # the first card's spelling
    assert _texts(rows["bench:mmlu|accuracy"]) == ["70", "", "★ 72.5"]
    assert _texts(rows["bench:wikitext|perplexity"]) == ["9.5", "", "★ 8.25"]  # lower is better
    assert _texts(rows["bench:arena|verdict"]) == ["", "", "strong"]  # text, never compared
    assert all(r.cells[1].text == "" and r.cells[1].value is None for r in rows.values())


def test_a_tie_marks_both_and_a_lone_value_is_not_best() -> None:
    rows = benchmark_rows([[EvalRow("t", "X", "acc", 1.0)], [EvalRow("t", "X", "acc", 1.0)],
                           [EvalRow("t", "X", "acc", 0.5)]])
    assert _texts(rows[0]) == ["★ 1", "★ 1", "0.5"]
    assert _texts(benchmark_rows([[EvalRow("t", "Y", "acc", 3.0)], []])[0]) == ["3", ""]


@pytest.fixture
def services_100gbs(settings: Settings) -> Iterator[Services]:
    """A 24 GiB GPU with 100 GB/s of memory bandwidth: the speed ceiling is bandwidth ÷ bytes a token reads."""
    memory = Memory(kind="gpu", total_bytes=24 * 2**30, available_bytes=24 * 2**30, name="test GPU 24 GiB",
                    device_count=1, bandwidth_bytes_per_s=100e9)
    svc = build_services(settings, memory=memory)
    svc.catalog.ensure_loaded()
    yield svc
    svc.close()


def test_side_by_side_facts_and_measured_speed(services_100gbs: Services) -> None:
    services = services_100gbs
    for model_id in THREE:
        services.catalog.shortlist_add(model_id, "note " + model_id)
    # Decode speed measured on this machine: two answers through a server that loaded Qwen (by repo id).
    run_id = services.traces.create_run(kind="compare")
    for rate in (4.0, 6.0):
        services.traces.add(Trace(run_id=run_id, prompt="hi", endpoint="q", model="Qwen/Qwen2.5-7B-Instruct",
                                  model_ref="Qwen/Qwen2.5-7B-Instruct", tokens_per_s=rate, output="x"))
    services.traces.add(Trace(run_id=run_id, prompt="hi", endpoint="q", model="Qwen/Qwen2.5-7B-Instruct",
                              tokens_per_s=99.0, error="timeout"))  # a failed answer's rate does not count
    side = side_by_side(services.catalog, services.traces, services.supervisor.registry, 4096)
    rows = {r.key: r for r in side.rows}
    assert [c.model_id for c in side.candidates] == list(THREE) and side.context == 4096
    # The ceiling by hand: Qwen2.5-7B in BF16 (the quant the fit row shows: 2 bytes × 7,615,616,512 parameters)
    # plus its KV cache at 4,096 tokens (28 layers × 4 KV heads × 128 dims × 2 × 2 bytes per token), read once per
    # token at 100 GB/s: 6.47 tokens/s. Measured: the median of 4 and 6 = 5.0, 77% of it.
    ceiling = 100e9 / (2 * 7_615_616_512 + 28 * 4 * 128 * 2 * 2 * 4096)
    assert round(ceiling, 2) == 6.47
    speed = _texts(rows["speed"])
    assert speed[0] == "5.0 / 6.5 (BF16), 77% of it"
    assert all(t.startswith("— / ") for t in speed[1:])  # no runs of theirs: the estimate alone
    assert _texts(rows["gated"]) == ["★ no", "★ no", "yes (manual)"]
    assert rows["memory"].cells[0].text == ""  # no engine has loaded any of them
    facts = side.to_dict()["candidates"][0]
    assert facts["speed"] == {"measured_tokens_per_s": 5.0, "measured_answers": 2,
                              "estimated_tokens_per_s": round(ceiling, 2), "ratio": round(5.0 / ceiling, 3)}
    assert facts["card_quality"] == {"present": 5, "of": 6, "missing": ["training data"]}


def test_on_a_machine_without_a_gpu_the_estimate_comes_from_the_cpus_bandwidth(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # A laptop: the models run from system RAM, whose bandwidth is measured once (catalog/fit/speed.py); the speed
    # row must set that estimate beside the (here absent) measurement, as on a GPU.
    from modelpick_tui.catalog.fit import speed

    monkeypatch.setattr(speed, "measure_cpu_bandwidth", lambda budget_s=1.0: 100e9)
    memory = Memory(kind="ram", total_bytes=64 * 2**30, available_bytes=64 * 2**30, name="system RAM")
    services = build_services(settings, memory=memory)
    try:
        services.catalog.ensure_loaded()
        services.catalog.shortlist_add(THREE[0], "")
        side = side_by_side(services.catalog, services.traces, services.supervisor.registry, 4096)
        speed_row = next(r for r in side.rows if r.key == "speed")
        assert _texts(speed_row) == ["— / 6.5 (BF16)"]  # the same 100 GB/s ceiling as the GPU case above
    finally:
        services.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "modelpick.db"


def test_cli_shortlist_compare_json(db: Path) -> None:
    for model_id in THREE:
        assert run(db, "shortlist", "add", model_id).exit_code == 0
    result = run(db, "shortlist", "--compare", "--json", "--context", "32768")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["context"] == 32768 and [c["model_id"] for c in data["candidates"]] == list(THREE)
    qwen, tiny, gemma = data["candidates"]
    assert (qwen["licence"], qwen["permissive"], gemma["licence"], gemma["permissive"]) == (
        "apache-2.0", True, "gemma", False)
    assert qwen["params_total"] and qwen["context_length"] == 32768 and qwen["downloads"] > 0
    assert tiny["benchmarks"] == [] and tiny["card_quality"]["present"] == 0
    assert qwen["fit"]["verdict"] in ("fits", "tight", "does not fit") and qwen["fit"]["quant"]
    rows = {r["key"]: r for r in data["rows"]}
    gsm = [c["text"] for c in rows["bench:gsm8k|exact match"]["cells"]]
    assert gsm == ["91.6", "", "89.2"] and rows["bench:gsm8k|exact match"]["cells"][0]["best"]
    assert rows["bench:gsm8k|exact match"]["cells"][1] == {"text": "", "value": None, "best": False}
    table = run(db, "shortlist", "--compare")
    assert table.exit_code == 0 and "shortlist side by side: fit at 8,192 tokens" in table.stdout
    assert "★ 91.6" in table.stdout
    bad = run(db, "shortlist", "--json")
    assert bad.exit_code == 2 and "--json and --context go with --compare" in bad.output


def test_cli_compare_prints_card_values_as_text(db: Path, settings: Settings) -> None:
    assert run(db, "shortlist", "add", "google/gemma-3-4b-it").exit_code == 0
    # YAML's "\\e" is ESC: an OSC 52 (write the clipboard) after Rich markup, in a dataset's name.
    card = ('---\nlicense: mit\nmodel-index:\n- name: x\n  results:\n  - task: {type: text-generation}\n'
            '    dataset: {name: "[bold red]pwned[/] \\e]52;c;SGVsbG8=\\a", type: x}\n'
            '    metrics:\n    - {type: acc, value: 1.5}\n---\n# x\n')
    svc = build_services(replace(settings, db_path=db))
    svc.catalog.store.save_card("google/gemma-3-4b-it", card, source="sample")
    svc.close()
    out = run(db, "shortlist", "--compare").stdout
    assert "[bold red]pwned[/]" in out and "\x1b" not in out and "\x07" not in out
    data = json.loads(run(db, "shortlist", "--compare", "--json").stdout)
    assert data["rows"][-1]["label"].startswith("[bold red]pwned[/]")
