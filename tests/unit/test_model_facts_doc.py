"""docs/model-facts.md's table of estimates against published figures: every estimate is recomputed from the
embedded catalogue (or the local GGUF files) and must equal what the page says, and stay within the row's stated
tolerance of the published or measured figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from huggingface_hub import ModelInfo

from modelpick_tui.catalog.facts import facts_from_info
from modelpick_tui.catalog.fit.arch import arch_from_config, arch_from_gguf
from modelpick_tui.catalog.fit.kv import kv_bytes_per_token, kv_cache_bytes
from modelpick_tui.catalog.fit.quants import stored_weights
from modelpick_tui.catalog.gguf import read_gguf_metadata

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "model-facts.md"
CATALOGUE = {json.loads(line)["id"]: json.loads(line)
             for line in (REPO / "sample_data" / "catalog.jsonl").read_text(encoding="utf-8").splitlines() if line}


def rows() -> list[dict[str, str]]:
    text = PAGE.read_text(encoding="utf-8").split("## Estimates against published figures", 1)[1]
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("model", "---"):
            out.append(dict(zip(("model", "figure", "estimate", "published", "tolerance", "source"), cells,
                                strict=True)))
    return out


def value(text: str) -> float:
    """'20.91B' (parameters, no space) -> 2.091e10; '70,272 B' (bytes), '12.8 GiB', '720 MiB' -> bytes."""
    m = re.fullmatch(r"([\d,.]+)( ?)(B|GiB|MiB)", text)
    assert m, text
    number = float(m.group(1).replace(",", ""))
    if m.group(3) == "B":
        return number if m.group(2) else number * 1e9
    return number * {"GiB": 2**30, "MiB": 2**20}[m.group(3)]


def estimate(model: str, figure: str) -> str:
    record = dict(CATALOGUE[model])
    config = record.pop("config_json", None)
    facts = facts_from_info(ModelInfo(**record), config)
    if figure == "total":
        return f"{facts.params / 1e9:.2f}B"
    if figure == "active":
        return f"{facts.params_active / 1e9:.2f}B"
    if figure == "weights":
        files = [{"filename": f.filename, "size": f.size, "format": f.format} for f in facts.files]
        return f"{sum(stored_weights(files).values()) / 2**30:.1f} GiB"
    if figure == "kv/token":
        arch = arch_from_config(config)
        assert arch is not None
        return f"{round(kv_bytes_per_token(arch, 32768)):,} B"
    raise AssertionError(f"unknown figure {figure!r}")


CATALOGUE_ROWS = [r for r in rows() if r["figure"] != "kv@32k"]


def test_the_table_covers_the_issue_models() -> None:
    models = {r["model"] for r in rows()}
    for model in ("openai/gpt-oss-20b", "openai/gpt-oss-120b", "mistralai/Mixtral-8x7B-Instruct-v0.1",
                  "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-Next-80B-A3B-Instruct", "deepseek-ai/DeepSeek-V3",
                  "zai-org/GLM-4.5-Air", "moonshotai/Kimi-K2-Instruct"):
        assert model in models
    assert all(r["source"] for r in rows())


@pytest.mark.parametrize("row", CATALOGUE_ROWS, ids=[f"{r['model']}:{r['figure']}" for r in CATALOGUE_ROWS])
def test_each_estimate_is_recomputed_and_within_tolerance(row: dict[str, str]) -> None:
    assert estimate(row["model"], row["figure"]) == row["estimate"], "the page is out of date"
    tolerance = float(row["tolerance"].rstrip("%")) / 100
    est, pub = value(row["estimate"]), value(row["published"])
    assert abs(est - pub) <= tolerance * pub + 1e-9 * pub, (row, est, pub)


def _local_kv(path: Path) -> str:
    arch = arch_from_gguf(read_gguf_metadata(path))
    assert arch is not None
    return f"{kv_cache_bytes(arch, 32768, full_swa=True) / 2**20:.0f} MiB"


def test_measured_kv_of_the_local_models(smollm2_gguf: Path, gemma_gguf: Path) -> None:
    local = {r["model"].split()[0]: r for r in rows() if r["figure"] == "kv@32k"}
    for name, path in (("SmolLM2-135M-Instruct", smollm2_gguf), ("Gemma", gemma_gguf)):
        row = local[name]
        assert _local_kv(path) == row["estimate"] == row["published"], row

