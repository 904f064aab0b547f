"""Clustering 1k and 10k failed traces: wall time and peak memory (max RSS) of modelpick's re-clustering —
reading the failed traces from SQLite, features, the clustering with k chosen by silhouette, naming and
saving — beside baselines measured in the same run: the raw sentence-embedding time of the same notes
alone, and TF-IDF + k-means with k fixed to the true 5. Each measurement runs in its own subprocess, so
max RSS is that job's peak (tracemalloc does not see torch's allocations).

    .venv/bin/python bench/clustering.py [SIZES...]      (default: 1000 10000)

Notes are the five synthetic modes of tests/support/failure_notes.py, each made unique by a trace-specific tail
("(prompt 317)"), so nothing is saved by embedding a repeated note once — the worst case for the cache.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JOBS = ("embed-only", "tfidf+kmeans", "recluster-tfidf", "recluster-embeddings", "recluster-again")


def dataset(n: int) -> list[tuple[str, str, str, str]]:
    import random

    from tests.support.failure_notes import synthetic_failures

    rng = random.Random(n)
    return [(mode, model, f"{note} (prompt {rng.randrange(1000)})", out)
            for mode, model, note, out in synthetic_failures(n, seed=n)]


def seed_db(n: int, path: Path) -> tuple[object, dict[str, str]]:
    from modelpick_tui.db import open_db
    from modelpick_tui.evals.stores.failure_modes import FailureModeStore
    from modelpick_tui.evals.stores.traces import TraceStore
    from modelpick_tui.evals.traces import Trace

    db = open_db(path)
    traces = TraceStore(db)
    run = traces.create_run(kind="set")
    truth = {}
    rows = []
    for mode, model, note, output in dataset(n):
        trace = Trace(run_id=run, prompt="p", endpoint=model, model=model, output=output)
        rows.append(trace)
        truth[trace.id] = (mode, note)
    traces.add_many(rows)
    with db.write() as conn:
        conn.table("labels").insert_all({"trace_id": t, "verdict": "fail", "note": note, "tags_json": "[]",
                                         "labeler": "bench", "created_at": "2026-01-01T00:00:00.000Z"}
                                        for t, (_, note) in truth.items())
    return FailureModeStore(db), {t: mode for t, (mode, _) in truth.items()}


def job(name: str, n: int) -> dict[str, object]:
    """Run one measurement in this process; returns seconds, peak RSS and the ARI against the true modes."""
    from sklearn.metrics import adjusted_rand_score

    from modelpick_tui.evals import clustering

    ari = None
    k = None
    if name == "embed-only":
        notes = [note for _, _, note, _ in dataset(n)]
        clustering._sentence_model()  # loading the model is not embedding: timed apart, like the cache does
        t0 = time.perf_counter()
        clustering.embed_sentences(notes)
        seconds = time.perf_counter() - t0
    elif name == "tfidf+kmeans":
        from sklearn.cluster import MiniBatchKMeans
        from sklearn.feature_extraction.text import TfidfVectorizer

        data = dataset(n)
        t0 = time.perf_counter()
        x = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform([d[2] for d in data])
        labels = MiniBatchKMeans(n_clusters=5, random_state=0, n_init=3).fit_predict(x)
        seconds = time.perf_counter() - t0
        ari, k = adjusted_rand_score([d[0] for d in data], labels), 5
    else:
        with tempfile.TemporaryDirectory() as tmp:
            store, truth = seed_db(n, Path(tmp) / "bench.db")
            method = "tfidf" if name == "recluster-tfidf" else "embeddings"
            if method == "embeddings":
                clustering._sentence_model()
            if name == "recluster-again":  # a second re-clustering: every note's embedding is cached
                store.recluster(method)
            t0 = time.perf_counter()
            result = store.recluster(method)
            seconds = time.perf_counter() - t0
            placed = {t: m.id for m in store.modes() for t in m.trace_ids}
            ari = adjusted_rand_score([truth[t] for t in truth], [placed[t] for t in truth])
            k = result.n_modes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"job": name, "n": n, "seconds": round(seconds, 2), "max_rss_mib": round(rss), "ari": ari, "k": k}


def main(sizes: list[int]) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    print(f"{'job':<22}{'n':>7}{'seconds':>9}{'max RSS':>10}{'ARI':>6}{'k':>4}   vs embed-only")
    for n in sizes:
        results = {}
        for name in JOBS:
            out = subprocess.run([sys.executable, __file__, "--job", name, str(n)], capture_output=True, text=True,
                                 env=env, cwd=ROOT)
            if out.returncode != 0:
                print(f"{name:<22}{n:>7}  failed: {out.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results[name] = r
            base = results.get("embed-only", {}).get("seconds")
            ratio = f"{r['seconds'] / base:6.2f}×" if base else ""
            ari = f"{r['ari']:.2f}" if r["ari"] is not None else ""
            print(f"{name:<22}{n:>7}{r['seconds']:>9.2f}{r['max_rss_mib']:>7} MiB{ari:>6}{r['k'] or '':>4}"
                  f"   {ratio}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--job":
        print(json.dumps(job(sys.argv[2], int(sys.argv[3]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [1000, 10000])
