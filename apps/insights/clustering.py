"""Theme discovery on embeddings, BERTopic-style but bounded and deterministic.

Spherical k-means (k-means on L2-normalised vectors ~ cosine) gives clusters; class-based TF-IDF gives each
cluster its keywords; representatives are picked by maximal marginal relevance (close to the centroid, far
from each other) so the LLM labels a theme from a few diverse texts, not near-duplicates. Points far from
every centroid are outliers, capped so at most 15% stay unassigned. Pure numpy/scikit-learn: no database.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans, MiniBatchKMeans

MAX_OUTLIER_SHARE = 0.15
OUTLIER_SIMILARITY = 0.25  # below this cosine to its centroid a text is an outlier, within the cap
SEED = 13  # fixed: the same texts give the same themes

_STOPWORDS = frozenset(
    "a an the and or but if then so of to in on for with at by from up about into over after before is are "
    "was were be been being have has had do does did i me my we our you your it its this that these those "
    "they them their he she his her not no nor very too just can will would should could than also only "
    "really all any more most some such own same other as there here what which who whom when where why how "
    "get got one two still even much many lot like im ive dont doesnt didnt cant wont isnt wasnt am because "
    "while again once back out off now well make made use used using thing things way really pretty quite bit "
    "actually though anymore"
    .split()
)
_WORD = re.compile(r"[a-zA-Z][a-zA-Z'\-]{2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass
class Cluster:
    members: np.ndarray  # row indices into the embedding matrix
    centroid: np.ndarray
    keywords: list[str]
    representatives: list[int]  # row indices, diverse


MAX_K = 24
SILHOUETTE_SAMPLE = 3000


def candidate_ks(n: int) -> list[int]:
    """Numbers of themes worth trying: enough to be useful, few enough to label (at most MAX_K)."""
    if n < 6:
        return [1]
    # At most one theme per ~15 texts (and never more than MAX_K): a theme needs enough texts to be a pattern.
    upper = max(2, min(MAX_K, n // 3, max(6, n // 15)))
    # Silhouette on sentence embeddings favours very few, broad clusters; a floor that grows with the
    # corpus (sqrt(n)/2: 2 at 18 texts, 8 at 260, capped at 24) keeps themes specific enough to act on.
    floor = max(2, min(upper, round(math.sqrt(n) / 2)))
    span = [k for k in range(floor, min(upper, 3 * floor) + 1)]
    if len(span) <= 12:
        return span
    return sorted({floor, *(k for k in (4, 6, 8, 10, 12, 16, 20, 24) if floor <= k <= upper)})


def choose_k(vectors: np.ndarray) -> int:
    """The candidate k with the best silhouette (cosine) on a fixed sample: the data decides."""
    from sklearn.metrics import silhouette_score

    ks = candidate_ks(len(vectors))
    if ks == [1]:
        return 1
    rng = np.random.default_rng(SEED)
    sample = vectors if len(vectors) <= SILHOUETTE_SAMPLE else vectors[rng.choice(len(vectors), SILHOUETTE_SAMPLE,
                                                                                  replace=False)]
    best_k, best_score = ks[0], -1.0
    for k in ks:
        labels, _ = kmeans(sample, k)
        if len(set(labels.tolist())) < 2:
            continue
        score = silhouette_score(sample, labels, metric="cosine")
        if score > best_score + 0.02:  # prefer fewer themes unless more are clearly better
            best_k, best_score = k, score
    return best_k


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def kmeans(vectors: np.ndarray, k: int, init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Labels and unit centroids. Warm-started from the previous run's centroids when given (fast, stable)."""
    if k <= 1 or len(vectors) <= k:
        return np.zeros(len(vectors), dtype=int), _normalise(vectors.mean(axis=0, keepdims=True))
    if init is not None and len(init) == k:
        model = KMeans(n_clusters=k, init=init, n_init=1, random_state=SEED, max_iter=100)
    elif len(vectors) > 20_000:
        model = MiniBatchKMeans(n_clusters=k, random_state=SEED, batch_size=4096, n_init=3)
    else:
        model = KMeans(n_clusters=k, random_state=SEED, n_init=4)
    labels = model.fit_predict(vectors)
    return labels, _normalise(model.cluster_centers_)


def assign_outliers(vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """-1 for texts too far from their centroid, at most MAX_OUTLIER_SHARE of them (the farthest)."""
    similarity = np.einsum("ij,ij->i", vectors, centroids[labels])
    candidates = np.where(similarity < OUTLIER_SIMILARITY)[0]
    cap = int(MAX_OUTLIER_SHARE * len(vectors))
    if len(candidates) > cap:
        candidates = candidates[np.argsort(similarity[candidates])[:cap]]
    result = labels.copy()
    result[candidates] = -1
    return result


def tokens(text: str) -> list[str]:
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    words = [w for w in words if w not in _STOPWORDS and len(w) > 2]
    # Chinese has no spaces: character bigrams are a good-enough keyword unit without a segmenter.
    for run in _HAN.findall(text):
        words.extend(run[i:i + 2] for i in range(len(run) - 1))
    return words


def class_tfidf_keywords(texts: list[str], labels: np.ndarray, top: int = 8) -> dict[int, list[str]]:
    """c-TF-IDF: a term's frequency in a cluster, weighted by how rare it is across clusters."""
    per_class: dict[int, Counter] = {}
    for text, label in zip(texts, labels):
        if label >= 0:
            per_class.setdefault(int(label), Counter()).update(tokens(text))
    totals: Counter = Counter()
    for counts in per_class.values():
        totals.update(counts)
    average_size = sum(totals.values()) / max(len(per_class), 1)
    keywords = {}
    for label, counts in per_class.items():
        size = sum(counts.values()) or 1
        scored = {t: (c / size) * math.log(1 + average_size / totals[t]) for t, c in counts.items() if c >= 2}
        keywords[label] = [t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    return keywords


def representatives(vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray, n: int = 4,
                    diversity: float = 0.5) -> list[int]:
    """Maximal marginal relevance: each pick is close to the centroid and unlike the picks before it."""
    if len(members) == 0:
        return []
    relevance = vectors[members] @ centroid
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(n, len(members)):
        redundancy = (vectors[members] @ vectors[members[chosen]].T).max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return [int(members[i]) for i in chosen]


def discover(vectors: np.ndarray, texts: list[str], k: int | None = None,
             init: np.ndarray | None = None) -> tuple[list[Cluster], np.ndarray]:
    """Clusters of the given (normalised) vectors; also the per-row labels (-1 = unassigned)."""
    vectors = _normalise(vectors.astype(np.float32))
    k = k or choose_k(vectors)
    labels, centroids = kmeans(vectors, k, init)
    labels = assign_outliers(vectors, labels, centroids)
    keywords = class_tfidf_keywords(texts, labels)
    clusters = []
    for label in range(len(centroids)):
        members = np.where(labels == label)[0]
        if len(members) == 0:
            continue
        clusters.append(Cluster(members=members, centroid=centroids[label], keywords=keywords.get(label, []),
                                representatives=representatives(vectors, members, centroids[label])))
    return clusters, labels


def match_to_previous(new: list[np.ndarray], previous: list[np.ndarray], threshold: float = 0.8) -> dict[int, int]:
    """New cluster index -> previous theme index, one-to-one, by centroid cosine (Hungarian assignment)."""
    if not new or not previous:
        return {}
    similarity = np.vstack(new) @ np.vstack(previous).T
    rows, cols = linear_sum_assignment(-similarity)
    return {int(r): int(c) for r, c in zip(rows, cols) if similarity[r, c] >= threshold}
