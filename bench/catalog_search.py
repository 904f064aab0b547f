"""Search + filter latency of the local catalogue at 10k, 50k and 200k synthetic models.

The origin and tier filters (issue 18) are timed apart, against the same bare query written by hand, with what
recomputing the stored origins costs (a user's entry for one organisation; every row after a table change).

Beside each figure, the same search as a bare SQLite FTS5 join with the same filters and
ORDER BY downloads, measured in the same run on the same rows: the ratio is what to read.

    .venv/bin/python bench/catalog_search.py [--sizes 10000,50000,200000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modelpick_tui.catalog.facts import ModelFacts  # noqa: E402
from modelpick_tui.catalog.origin import user_entry  # noqa: E402
from modelpick_tui.catalog.query import CatalogQuery  # noqa: E402
from modelpick_tui.catalog.store import CatalogStore, fts_query  # noqa: E402
from modelpick_tui.db import open_db  # noqa: E402

FAMILIES = ["llama", "qwen2.5", "qwen3", "mistral", "gemma", "phi", "deepseek", "glm", "smollm", "falcon",
            "olmo", "granite", "yi", "internlm", "starcoder", "tinyllama", "kimi", "mixtral", "codellama", "bge"]
VARIANTS = ["instruct", "chat", "base", "coder", "math", "vl", "gguf", "awq", "gptq", "it", "dpo", "sft",
            "abliterated", "uncensored", "reasoning", "distill", "merge", "lora", "embed", "mlx"]
SIZES = [0.5, 1, 1.5, 3, 4, 7, 8, 9, 12, 14, 24, 32, 70, 72, 123, 405]
LICENSES = ["apache-2.0", "mit", "llama3.1", "gemma", "other", "cc-by-nc-4.0", "", "openrail", "bsd-3-clause"]
TASKS = ["text-generation", "text-generation", "text-generation", "image-text-to-text", "feature-extraction",
         "text-classification", "sentence-similarity"]
AUTHORS = [f"user{i}" for i in range(2000)] + ["Qwen", "meta-llama", "mistralai", "google", "bartowski",
                                               "unsloth", "microsoft", "deepseek-ai", "TheBloke"]

QUERIES = [
    CatalogQuery(text="qwen"),
    CatalogQuery(text="llama 8b instruct", permissive_only=False, size_classes=("3-8B",)),
    CatalogQuery(text="coder", permissive_only=True),
    CatalogQuery(text="mistral", task="text-generation", sort="likes"),
    CatalogQuery(text="gguf", format="gguf", size_classes=("3-8B", "8-15B")),
    CatalogQuery(text="instruct", permissive_only=True, size_classes=("8-15B",), gated=False),
    CatalogQuery(text="deepseek distill"),
    CatalogQuery(text="q"),
]
ORIGIN_QUERIES = [
    CatalogQuery(origins=("US", "FR")),
    CatalogQuery(exclude_origins=("CN", "unknown")),
    CatalogQuery(origins=("US",), by_base=True),
    CatalogQuery(tiers=("medium",)),
    CatalogQuery(tiers=("high",), origins=("CN",)),
    CatalogQuery(text="instruct", origins=("US", "FR"), tiers=("low",)),
    CatalogQuery(text="gguf", exclude_origins=("CN",), by_base=True),
    CatalogQuery(text="qwen", tiers=("low", "medium"), sort="likes"),
]
ORIGINALS = ["Qwen", "meta-llama", "mistralai", "google", "microsoft", "deepseek-ai"]


def synth(n: int, seed: int = 7) -> list[ModelFacts]:
    rnd = random.Random(seed)
    base_rnd = random.Random(seed + 1)  # apart, so that the rows of the figures before issue 18 stay the same
    out = []
    for i in range(n):
        fam = rnd.choice(FAMILIES)
        size = rnd.choice(SIZES)
        variant = rnd.choice(VARIANTS)
        author = rnd.choice(AUTHORS)
        fmt = ["gguf"] if variant == "gguf" else (["safetensors", variant] if variant in ("awq", "gptq") else
                                                   ["safetensors"])
        out.append(ModelFacts(
            id=f"{author}/{fam}-{size:g}b-{variant}-{i}", author=author, task=rnd.choice(TASKS),
            license=rnd.choice(LICENSES), gated=rnd.choice(["", "", "", "", "manual"]),
            downloads=int(rnd.paretovariate(1.1) * 100), likes=int(rnd.paretovariate(1.3) * 3),
            trending=rnd.randint(0, 50), last_modified=f"202{rnd.randint(3, 6)}-{rnd.randint(1, 12):02d}-01",
            params=int(size * 1e9), formats=fmt, tags=[fam, variant],
            base_model=(f"{base_rnd.choice(ORIGINALS)}/{fam}-{size:g}b" if variant not in ("base", "chat") else ""),
        ))
    return out


def bare_sql(q: CatalogQuery) -> tuple[str, list]:
    """The same search written by hand: FTS5 join, filters, ORDER BY, LIMIT."""
    where, args = (["models_fts MATCH ?"], [fts_query(q.text)]) if q.text else (["1"], [])
    if q.permissive_only:
        where.append("m.permissive = 1")
    if q.size_classes:
        where.append(f"m.size_class IN ({','.join('?' * len(q.size_classes))})")
        args += list(q.size_classes)
    if q.task:
        where.append("m.task = ?")
        args.append(q.task)
    if q.format:
        where.append("instr(m.formats, ?) > 0")
        args.append(f" {q.format} ")
    if q.gated is False:
        where.append("m.gated = ''")
    column = "m.base_origin" if q.by_base else "m.origin"
    for values, op in ((q.origins, "IN"), (q.exclude_origins, "NOT IN")):
        if values:
            where.append(f"{column} {op} ({','.join('?' * len(values))})")
            args += list(values)
    if q.tiers:
        where.append(f"m.tier IN ({','.join('?' * len(q.tiers))})")
        args += list(q.tiers)
    order = {"likes": "m.likes DESC"}.get(q.sort, "m.downloads DESC")
    source = "models_fts JOIN models m ON m.rowid = models_fts.rowid" if q.text else "models m"
    sql = (f"SELECT m.id, m.task, m.params, m.license, m.downloads FROM {source} "
           f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?")
    return sql, [*args, q.limit]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(n: int, repeat: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        store = CatalogStore(db)
        t0 = time.perf_counter()
        rows = synth(n)
        for start in range(0, n, 5000):
            store.upsert_models(rows[start : start + 5000], synced_at="2026-11-23T00:00:00Z")
        load_s = time.perf_counter() - t0
        figures = {"n": n, "load_s": load_s, **timed(store, QUERIES, repeat, ""),
                   **timed(store, ORIGIN_QUERIES, repeat, "origin_")}
        t = time.perf_counter()
        store.origins.set_entry(user_entry("Qwen", "SG", "https://example.org"))
        figures["set_entry_s"] = time.perf_counter() - t
        with db.write() as sql_db:
            sql_db.execute("UPDATE models SET origin = 'unknown', base_origin = 'unknown'")
        store.set_meta("origin_table", "stale")
        t = time.perf_counter()
        figures["refresh_rows"] = store.origins.refresh()
        figures["refresh_s"] = time.perf_counter() - t
        db.close()
    return figures


def timed(store: CatalogStore, queries: list[CatalogQuery], repeat: int, prefix: str) -> dict[str, float]:
    ours: list[float] = []
    page: list[float] = []
    bare: list[float] = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            store.search(q)
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            store.search(q, count=False)
            page.append((time.perf_counter() - t) * 1000)
            sql, args = bare_sql(q)
            t = time.perf_counter()
            store.conn.execute(sql, args).fetchall()
            bare.append((time.perf_counter() - t) * 1000)
    return {f"{prefix}ours_p50": pct(ours, 50), f"{prefix}ours_p95": pct(ours, 95),
            f"{prefix}page_p50": pct(page, 50), f"{prefix}page_p95": pct(page, 95),
            f"{prefix}bare_p50": pct(bare, 50), f"{prefix}bare_p95": pct(bare, 95)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,50000,200000")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    results = [run(int(s), args.repeat) for s in args.sizes.split(",")]
    print("ms; 'page' = search+filter+sort+limit as the bare query does it; 'page+count' adds the exact")
    print("match count behind 'N of M models' (a second pass, only when the page is full)")
    print(f"{'rows':>8} {'load s':>7} {'page p50':>9} {'page p95':>9} {'bare p50':>9} {'bare p95':>9} "
          f"{'p95 ratio':>9} {'+count p50':>11} {'+count p95':>11}")
    for prefix, what in (("", "text, licence, size, task, format, gated"), ("origin_", "origin and tier")):
        print(f"-- {what} filters")
        for r in results:
            print(f"{r['n']:>8} {r['load_s']:>7.1f} {r[prefix + 'page_p50']:>9.2f} {r[prefix + 'page_p95']:>9.2f} "
                  f"{r[prefix + 'bare_p50']:>9.2f} {r[prefix + 'bare_p95']:>9.2f} "
                  f"{r[prefix + 'page_p95'] / r[prefix + 'bare_p95']:>8.2f}x "
                  f"{r[prefix + 'ours_p50']:>11.2f} {r[prefix + 'ours_p95']:>11.2f}")
    print("-- recomputing stored origins: one user entry (Qwen); every row after a table change")
    for r in results:
        print(f"{r['n']:>8} rows: origin set {r['set_entry_s']:.2f} s · refresh {r['refresh_s']:.2f} s "
              f"({r['refresh_rows']} rows rewritten)")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"growth {first['n']}→{last['n']} rows: page p95 ×{last['page_p95'] / first['page_p95']:.1f}, "
              f"page+count p95 ×{last['ours_p95'] / first['ours_p95']:.1f}, "
              f"bare p95 ×{last['bare_p95'] / first['bare_p95']:.1f}")


if __name__ == "__main__":
    main()
