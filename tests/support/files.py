"""Input files tests write: a prompt set, a small GGUF."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import numpy as np


def write_set(path: Path, n: int, system: str | None = "Answer in one short sentence.") -> Path:
    """A JSONL prompt set of `n` colour questions (ids p00, p01, ...), each with a reference and a tag."""
    topics = ["the sky", "grass", "snow", "the sea", "a lemon", "coal", "blood", "milk", "a cloud", "an orange",
              "ice", "sand"]
    with path.open("w") as f:
        for i in range(n):
            row = {"id": f"p{i:02d}", "prompt": f"What colour is {topics[i % len(topics)]}?",
                   "reference": "a colour", "tags": ["colour"]}
            if system:
                row["system"] = system
            f.write(json.dumps(row) + "\n")
    return path


def write_gguf(path: Path, *, file_type: int = 15, tensors: dict[str, tuple[int, ...]] | None = None,
               split: tuple[int, int] | None = None, context: int = 4096, name: str = "Tiny Llama") -> Path:
    """A small llama-like GGUF: the metadata keys llama.cpp writes, and a couple of tiny tensors."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_license("apache-2.0")
    writer.add_context_length(context)
    writer.add_embedding_length(64)
    writer.add_block_count(2)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_file_type(file_type)
    if split is not None:
        writer.add_uint16("split.no", split[0] - 1)
        writer.add_uint16("split.count", split[1])
    for tensor, shape in (tensors or {"token_embd.weight": (64, 32), "output_norm.weight": (64,)}).items():
        writer.add_tensor(tensor, np.ones(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def stored_rows(db: Path, table: str) -> int:
    """Rows of `table` in a database another process is writing: read only, so as not to race its migrations
    (0 before the file or the table exists)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:  # not made yet
        return 0
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # no such table yet
        return 0
    finally:
        conn.close()
